"""Issue 24's "done when" walk on a RADIUS router, on both backends (the RADIUS database is
Debian's FreeRADIUS over PostgreSQL): a client added with --now, given a plan, its plan's speed
changed, cut by enforce, restored, deleted and restored again. At every step the real
FreeRADIUS answers `radtest` as the step should leave it, `provision --check --all` is clean,
a live session is told each new rate by CoA, provision never takes a user out of enforce's cut
group, and the PPPoE password appears in no output."""

import json

from sqlalchemy import select

from ispcube.db import models as m
from tests.support.freeradius import FreeRadius
from tests.support.radius_nas import FakeNas
from tests.support.radius_network import radius_fixtures

freeradius, radius = radius_fixtures()

PASSWORD = "clave-carla"
CUT_DAY, RESTORE_DAY = "2026-04-01", "2026-04-02"


class Recording:
    """The CLI, keeping every output a step printed (none may show the password)."""

    def __init__(self, cli):
        self.cli, self.printed = cli, []

    def __call__(self, *args: str, **kwargs):
        result = self.cli(*args, **kwargs)
        self.printed.append(result.stdout + result.stderr)
        return result

    def ok(self, *args: str, **kwargs):
        result = self(*args, **kwargs)
        assert result.exit_code == 0, f"{args}: exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
        return result

    def json(self, *args: str, **kwargs):
        return json.loads(self.ok("--format", "json", *args, **kwargs).stdout)


def _carla(radius) -> tuple[Recording, FreeRadius, FakeNas]:
    """The shared RADIUS network without its connections (ana's and beto's users, made by hand,
    stay as foreign ones), the plan Hogar and the client C3, Carla, still without a connection."""
    shared, server, nas = radius
    cli = Recording(shared)
    for connection in cli.json("connection", "list"):
        cli.ok("connection", "delete", str(connection["id"]), "--yes")
    cli.ok("provision")
    cli.ok("plan", "add", "--name", "Hogar", "--price", "9500", "--down-kbps", "20000", "--up-kbps", "5000")
    cli.ok("client", "add", "--code", "C3", "--name", "Carla", "--address", "Calle 3")
    return cli, server, nas


def _session(server: FreeRadius) -> None:
    """carla's live session on the NAS, as its accounting Start reports it."""
    server.accounting(**{"User-Name": "carla", "Acct-Status-Type": "Start", "Acct-Session-Id": "s-carla",
                         "NAS-IP-Address": "127.0.0.1", "Framed-IP-Address": "10.5.0.3"})


def _deleted_code(runtime) -> str:
    """The code `client delete` gave Carla."""
    with runtime.uow() as uow:
        return uow.session.scalar(select(m.Client.code).where(m.Client.deleted.is_(True), m.Client.name == "Carla"))


def _clean(cli: Recording) -> None:
    result = cli("provision", "--check", "--all")
    assert result.exit_code == 0, result.stdout + result.stderr


def _rows(server) -> list[tuple]:
    """Every row the RADIUS tables hold for carla, without ids."""
    with server.engine.connect() as conn:
        found = [("radcheck", *r) for r in conn.exec_driver_sql(
            "SELECT attribute, op, value FROM radcheck WHERE username = 'carla' ORDER BY id")]
        found += [("radreply", *r) for r in conn.exec_driver_sql(
            "SELECT attribute, op, value FROM radreply WHERE username = 'carla' ORDER BY id")]
        found += [("radusergroup", *r) for r in conn.exec_driver_sql(
            "SELECT groupname, priority FROM radusergroup WHERE username = 'carla' ORDER BY priority, id")]
        return found


def test_the_walk_of_a_client_on_a_radius_router(radius, runtime):
    cli, server, nas = _carla(radius)

    made = cli.ok("connection", "add", "C3", "--router", "nas1", "--ip", "10.5.0.3", "--pppoe-user", "carla",
                  "--pppoe-password-stdin", "--now", input=PASSWORD + "\n").stdout      # 1. added, no plan
    assert "add radius-user 'carla'" in made and "Cleartext-Password=(set)" in made
    assert server.radtest("carla", PASSWORD) == (True, {"Framed-IP-Address": "10.5.0.3"})
    assert server.radtest("carla", "wrong") == (False, {})
    assert [g for t, g, *_ in _rows(server) if t == "radusergroup"] == ["ispcube"]
    _clean(cli)

    _session(server)
    [connection] = cli.json("connection", "list")
    cli.ok("connection", "edit", str(connection["id"]), "--plan", "Hogar")           # 2. given a plan
    cli.ok("provision")
    assert server.radtest("carla", PASSWORD) == (True, {"Framed-IP-Address": "10.5.0.3",
                                                        "Mikrotik-Rate-Limit": "5M/20M"})
    assert nas.coa_requests == [{"User-Name": "carla", "Acct-Session-Id": "s-carla",
                                 "Mikrotik-Rate-Limit": "5M/20M"}]
    _clean(cli)

    cli.ok("plan", "edit", "Hogar", "--down-kbps", "30000", "--up-kbps", "6000")    # 3. its speed changed
    cli.ok("provision")
    assert server.radtest("carla", PASSWORD)[1]["Mikrotik-Rate-Limit"] == "6M/30M"
    assert [r["Mikrotik-Rate-Limit"] for r in nas.coa_requests] == ["5M/20M", "6M/30M"]
    _clean(cli)

    cli.ok("ledger", "adjust", "C3", "--debit", "5000", "--reason", "deuda")        # 4. cut
    cli.ok("--yes", "enforce", "--today", CUT_DAY)
    assert server.radtest("carla", PASSWORD) == (True, {"Framed-IP-Address": "10.5.0.3",
                                                        "Mikrotik-Rate-Limit": "6M/30M",
                                                        "Mikrotik-Address-List": "ispcube-cut"})
    assert {"User-Name": "carla", "Acct-Session-Id": "s-carla"} in nas.requests  # dropped into the cut
    _clean(cli)
    held, told = _rows(server), len(nas.coa_requests)
    assert ("radusergroup", "ispcube-cut", 0) in held
    ran = cli.json("provision", "--all")                                            # writes nothing
    assert ran["changes"] == [] and [r["writes"] for r in ran["routers"]] == [0]
    assert _rows(server) == held and len(nas.coa_requests) == told
    assert cli.json("--yes", "enforce", "--check", "--today", CUT_DAY)["drift"] == 0

    cli.ok("pay", "C3", "--cash", "5000", "--date", RESTORE_DAY)                    # 5. restored
    cli.ok("--yes", "enforce", "--today", RESTORE_DAY)
    assert server.radtest("carla", PASSWORD) == (True, {"Framed-IP-Address": "10.5.0.3",
                                                        "Mikrotik-Rate-Limit": "6M/30M"})
    assert [g for t, g, *_ in _rows(server) if t == "radusergroup"] == ["ispcube-Hogar"]
    _clean(cli)

    cli.ok("--yes", "client", "delete", "C3")                                        # 6. deleted
    cli.ok("provision")
    assert server.radtest("carla", PASSWORD) == (False, {})
    assert _rows(server) == []
    _clean(cli)

    cli.ok("client", "restore", _deleted_code(runtime))                             # 7. restored
    cli.ok("provision")
    assert server.radtest("carla", PASSWORD) == (True, {"Framed-IP-Address": "10.5.0.3",
                                                        "Mikrotik-Rate-Limit": "6M/30M"})
    assert [g for t, g, *_ in _rows(server) if t == "radusergroup"] == ["ispcube-Hogar"]
    _clean(cli)
    assert cli.json("provision", "--all")["changes"] == []

    assert all(PASSWORD not in printed for printed in cli.printed)


def test_a_cut_client_changed_deleted_and_restored_stays_cut_until_it_pays(radius, runtime):
    cli, server, nas = _carla(radius)
    cli.ok("connection", "add", "C3", "--router", "nas1", "--ip", "10.5.0.3", "--pppoe-user", "carla",
           "--plan", "Hogar", "--pppoe-password-stdin", "--now", input=PASSWORD + "\n")
    _session(server)
    cli.ok("ledger", "adjust", "C3", "--debit", "5000", "--reason", "deuda")
    cli.ok("--yes", "enforce", "--today", CUT_DAY)
    cut = {"Framed-IP-Address": "10.5.0.3", "Mikrotik-Rate-Limit": "5M/20M", "Mikrotik-Address-List": "ispcube-cut"}
    assert server.radtest("carla", PASSWORD) == (True, cut)

    cli.ok("plan", "edit", "Hogar", "--down-kbps", "30000", "--up-kbps", "6000")      # changed while cut
    cli.ok("provision")
    assert server.radtest("carla", PASSWORD) == (True, {**cut, "Mikrotik-Rate-Limit": "6M/30M"})
    assert nas.coa_requests == []
    _clean(cli)

    cli.ok("--yes", "client", "delete", "C3")                                          # deleted while cut
    cli.ok("provision")
    assert server.radtest("carla", PASSWORD) == (False, {}) and _rows(server) == []
    _clean(cli)
    cli.ok("client", "restore", _deleted_code(runtime))                               # back: still cut
    cli.ok("provision")
    assert server.radtest("carla", PASSWORD) == (True, {**cut, "Mikrotik-Rate-Limit": "6M/30M"})
    _clean(cli)
    assert cli.json("--yes", "enforce", "--check", "--today", CUT_DAY)["drift"] == 0

    cli.ok("pay", "C3", "--cash", "5000", "--date", RESTORE_DAY)
    cli.ok("--yes", "enforce", "--today", RESTORE_DAY)
    assert server.radtest("carla", PASSWORD) == (True, {"Framed-IP-Address": "10.5.0.3",
                                                        "Mikrotik-Rate-Limit": "6M/30M"})
    _clean(cli)
    assert all(PASSWORD not in printed for printed in cli.printed)
