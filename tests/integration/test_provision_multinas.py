"""Two NASes on one RADIUS database (S1, S2): nas1 (127.0.0.1) and nas2 (127.0.0.2), each a
pyrad NAS on loopback with its own CoA port and secret, are one provisioning unit written by
nas1's driver. A live session is found on whichever NAS radacct says holds it, and the CoA of a
plan change or the Disconnect of a removal goes to that NAS, signed with its secret (a request
signed with another NAS's is dropped by the NAS, unanswered). A NAS that does not answer fails
the run (exit 3, naming it) for its own sessions only, and the next run repeats the request."""

from contextlib import ExitStack
from dataclasses import dataclass
from typing import Iterator

import pytest
from sqlalchemy import create_engine, insert, select

from ispcube.adapters.radius_schema import METADATA, RADACCT, RADREPLY
from ispcube.db.network_models import RouterTask
from tests.conftest import Cli
from tests.support.radius_nas import FakeNas

HOGAR_RATE = "5M/20M"       # MikroTik's rate-limit is upload/download
RAPIDO_RATE = "10M/40M"


@dataclass
class Network:
    cli: Cli
    radius_url: str
    nas1: FakeNas
    nas2: FakeNas

    def session(self, user: str, nas: FakeNas) -> None:
        engine = create_engine(self.radius_url)
        with engine.begin() as conn:
            conn.execute(insert(RADACCT).values(username=user, acctsessionid=f"s-{user}", nasipaddress=nas.host))
        engine.dispose()

    def rate(self, user: str) -> str | None:
        engine = create_engine(self.radius_url)
        with engine.connect() as conn:
            found = conn.execute(select(RADREPLY.c.value).where(RADREPLY.c.username == user,
                                                                RADREPLY.c.attribute == "Mikrotik-Rate-Limit")).scalar()
        engine.dispose()
        return found


@pytest.fixture
def network(cli, tmp_path) -> Iterator[Network]:
    """nas1 and nas2 on one SQLite RADIUS database; A1's `ana` on nas1 with a live session there,
    B2's `beto` and C3's `carla` on nas2 with theirs on nas2, all on plan Hogar."""
    radius_url = f"sqlite:///{tmp_path / 'radius.db'}"
    engine = create_engine(radius_url)
    METADATA.create_all(engine)
    engine.dispose()
    with ExitStack() as stack:
        nas1 = stack.enter_context(FakeNas(secret=b"secret-one", host="127.0.0.1"))
        nas2 = stack.enter_context(FakeNas(secret=b"secret-two", host="127.0.0.2"))
        for name, nas, secret in (("nas1", nas1, "secret-one"), ("nas2", nas2, "secret-two")):
            cli.ok("router", "add", name, "--kind", "radius", "--host", nas.host, "--coa-port", str(nas.port),
                   "--radius-db", radius_url, "--secret-env", "NAS_SECRET", env={"NAS_SECRET": secret})
        cli.ok("plan", "add", "--name", "Hogar", "--price", "9500", "--down-kbps", "20000", "--up-kbps", "5000")
        net = Network(cli, radius_url, nas1, nas2)
        for code, user, router in (("A1", "ana", "nas1"), ("B2", "beto", "nas2"), ("C3", "carla", "nas2")):
            cli.ok("client", "add", "--code", code, "--name", f"Cliente {code}", "--address", f"Calle {code}")
            cli.ok("connection", "add", code, "--router", router, "--pppoe-user", user, "--plan", "Hogar",
                   "--pppoe-password-stdin", "--now", input=f"clave-{user}\n")
            net.session(user, nas1 if router == "nas1" else nas2)
        assert cli("provision", "--check", "--all").exit_code == 0
        yield net


def _coas(nas: FakeNas) -> list[tuple[str, str, str]]:
    return [(r["User-Name"], r.get("Acct-Session-Id", ""), r.get("Mikrotik-Rate-Limit", "")) for r in nas.coa_requests]


def _disconnects(nas: FakeNas) -> list[tuple[str, str]]:
    return [(r["User-Name"], r.get("Acct-Session-Id", "")) for r in nas.requests]


def _asked(nas: FakeNas) -> list[str]:
    """The users NAS was sent a request for (each packet; a silent NAS gets each one twice)."""
    return [r["User-Name"] for r in nas.coa_requests + nas.requests]


def _open_tasks(runtime) -> list[tuple[str, str, int]]:
    with runtime.uow() as uow:
        return [(t.action, t.target, t.attempts) for t in uow.session.scalars(
            select(RouterTask).where(RouterTask.job == "provision", RouterTask.status == "open")
            .order_by(RouterTask.id))]


def test_a_plan_change_reaches_each_session_on_the_nas_holding_it(network, runtime):
    cli, nas1, nas2 = network.cli, network.nas1, network.nas2
    cli.ok("connection", "edit", "2", "--plan", "")           # beto's rate off: a Disconnect, to nas2
    cli.ok("plan", "add", "--name", "Rapido", "--price", "12000", "--down-kbps", "40000", "--up-kbps", "10000")
    cli.ok("connection", "edit", "3", "--plan", "Rapido")
    out = cli("provision")
    assert out.exit_code == 0, out.stdout + out.stderr
    assert _coas(nas2) == [("carla", "s-carla", RAPIDO_RATE)] and _disconnects(nas2) == [("beto", "s-beto")]
    assert _coas(nas1) == [] and _disconnects(nas1) == []
    assert _open_tasks(runtime) == []

    cli.ok("plan", "edit", "Hogar", "--down-kbps", "40000", "--up-kbps", "10000")
    assert cli("provision").exit_code == 0
    assert _coas(nas1) == [("ana", "s-ana", RAPIDO_RATE)]
    assert _coas(nas2) == [("carla", "s-carla", RAPIDO_RATE)]     # carla's plan is Rapido, beto has none
    assert "secret-one" not in cli("router", "list").stdout + cli("provision", "--check", "--all").stdout


def test_a_session_on_another_nas_than_its_connections_is_told_there(network):
    cli, nas1, nas2 = network.cli, network.nas1, network.nas2
    network.session("ana", nas2)                                # ana's CPE dialled in to nas2 later
    cli.ok("--yes", "client", "delete", "A1")
    assert cli("provision").exit_code == 0
    assert _disconnects(nas2) == [("ana", "s-ana")] and _disconnects(nas1) == []


def test_a_deleted_clients_session_on_nas2_is_disconnected_by_nas2(network, runtime):
    cli, nas1, nas2 = network.cli, network.nas1, network.nas2
    cli.ok("--yes", "client", "delete", "B2")
    out = cli.json("provision")
    assert [(c["action"], c["name"], c["error"]) for c in out["changes"]] == [("remove", "beto", None)]
    assert _disconnects(nas2) == [("beto", "s-beto")] and _disconnects(nas1) == []
    assert _open_tasks(runtime) == []


def test_nas2_down_fails_its_sessions_only_and_the_next_run_repeats_them(network, runtime):
    cli, nas1, nas2 = network.cli, network.nas1, network.nas2
    nas2.answer = "silence"
    cli.ok("plan", "edit", "Hogar", "--down-kbps", "40000", "--up-kbps", "10000")
    cli.ok("--yes", "client", "delete", "B2")
    down = cli("--format", "json", "provision")
    assert down.exit_code == 3, down.stdout + down.stderr
    assert "router nas2: no answer to the" in down.stdout + down.stderr
    assert "secret-two" not in down.stdout + down.stderr
    assert _coas(nas1) == [("ana", "s-ana", RAPIDO_RATE)]      # ana, on nas1, got her new rate
    assert network.rate("ana") == RAPIDO_RATE
    # the first request to nas2 went unanswered (pyrad sent it twice); the other op on nas2 waits
    first = _asked(nas2)
    assert len(first) == 2 and len(set(first)) == 1
    assert sorted(_open_tasks(runtime)) == [             # A1's closed: nas1 answered
        ("deprovision", "pppoe:beto", 1), ("provision", "pppoe:beto", 1), ("provision", "pppoe:carla", 1)]

    again = cli("provision")                                    # still down: repeated, still failed
    assert again.exit_code == 3 and "router nas2: no answer to the" in again.stdout + again.stderr
    assert _asked(nas2)[2:] == first                              # the same request again, and only it
    assert _coas(nas1) == [("ana", "s-ana", RAPIDO_RATE)]      # nothing more for nas1's user

    nas2.answer = "ack"
    up = cli("provision")
    assert up.exit_code == 0, up.stdout + up.stderr
    assert ("carla", "s-carla", RAPIDO_RATE) in _coas(nas2) and ("beto", "s-beto") in _disconnects(nas2)
    assert network.rate("carla") == RAPIDO_RATE and network.rate("beto") is None
    assert _open_tasks(runtime) == []
    assert cli("provision", "--check", "--all").exit_code == 0
    assert _coas(nas1) == [("ana", "s-ana", RAPIDO_RATE)]


def test_enforce_cuts_a_session_on_the_nas_holding_it_and_each_router_its_own(network):
    cli, nas1, nas2 = network.cli, network.nas1, network.nas2
    network.session("ana", nas2)                                # A1 is on nas1; her CPE dialled in to nas2
    for code in ("A1", "B2"):
        cli.ok("ledger", "adjust", code, "--debit", "50000", "--reason", "deuda")
    out = cli("--yes", "enforce")
    assert out.exit_code == 0, out.stdout + out.stderr
    assert sorted(_disconnects(nas2)) == [("ana", "s-ana"), ("beto", "s-beto")] and _disconnects(nas1) == []
    assert "secret-two" not in out.stdout + out.stderr
