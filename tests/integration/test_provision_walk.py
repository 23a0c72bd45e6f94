"""Issue 24's "done when" walk on the simulated MikroTik, on both backends: a client added with
--now, given a plan, its plan changed, cut by enforce, restored, deleted and restored again;
`provision --check` is clean at every step, provision never re-enables a secret enforce cut, and
enforce never undoes what provision made."""

from contextlib import ExitStack

import pytest
from sqlalchemy import select

from ispcube.db import models as m
from tests.support.network import add_mikrotik, cut_list, start_simulators


@pytest.fixture
def net(cli):
    with ExitStack() as stack:
        sim = start_simulators(stack, 1)[0]
        add_mikrotik(cli, "r1", sim)
        cli.ok("plan", "add", "--name", "Hogar", "--price", "9500", "--down-kbps", "20000", "--up-kbps", "5000")
        cli.ok("plan", "add", "--name", "Pyme", "--price", "19000", "--down-kbps", "50000", "--up-kbps", "10000")
        yield cli, sim


def _secret(sim, name: str) -> dict[str, str]:
    [row] = [s for s in sim.ppp_secrets() if s["name"] == name]
    return row


def _clean(cli) -> None:
    result = cli("provision", "--check", "--all")
    assert result.exit_code == 0, result.stdout + result.stderr


def test_the_walk_of_a_client_through_provision_and_enforce(net, runtime):
    cli, sim = net
    cli.ok("client", "add", "--code", "A1", "--name", "Ana", "--address", "Calle 1")
    made = cli.ok("connection", "add", "A1", "--router", "r1", "--ip", "10.0.0.5", "--pppoe-user", "ana",
                  "--pppoe-password-stdin", "--now", input="clave-ana\n").stdout
    assert "add secret 'ana'" in made and "password=(set)" in made and "clave-ana" not in made
    assert (_secret(sim, "ana")["profile"], _secret(sim, "ana")["password"]) == ("default", "clave-ana")
    _clean(cli)

    cli.ok("connection", "edit", "1", "--plan", "Hogar", "--now")             # given a plan
    assert _secret(sim, "ana")["profile"] == "ispcube-Hogar"
    assert {p["name"]: p.get("rate-limit") for p in sim.ppp_profiles()}["ispcube-Hogar"] == "5M/20M"
    _clean(cli)

    cli.ok("connection", "edit", "1", "--plan", "Pyme")                       # changed, made by provision
    cli.ok("provision")
    assert _secret(sim, "ana")["profile"] == "ispcube-Pyme"
    _clean(cli)

    cli.ok("ledger", "adjust", "A1", "--debit", "5000", "--reason", "deuda")  # cut
    cli("--yes", "enforce")
    assert _secret(sim, "ana")["disabled"] == "true" and "10.0.0.5" in cut_list(sim)
    _clean(cli)
    assert cli.json("provision")["changes"] == []                    # never re-enables it
    assert _secret(sim, "ana")["disabled"] == "true"
    assert cli.json("--yes", "enforce", "--check")["drift"] == 0

    cli.ok("pay", "A1", "--cash", "5000")                                     # restored
    cli.ok("--yes", "enforce")
    assert _secret(sim, "ana")["disabled"] == "false" and cut_list(sim) == {}
    assert _secret(sim, "ana")["profile"] == "ispcube-Pyme"                   # enforce left the plan alone
    _clean(cli)

    cli.ok("--yes", "client", "delete", "A1")                                 # deleted: its secret goes
    cli.ok("provision")
    assert [s["name"] for s in sim.ppp_secrets()] == []
    _clean(cli)

    with runtime.uow() as uow:
        deleted = uow.session.scalar(select(m.Client.code).where(m.Client.deleted.is_(True)))
    cli.ok("client", "restore", deleted)                                      # restored: made again
    cli.ok("provision")
    assert (_secret(sim, "ana")["profile"], _secret(sim, "ana")["remote-address"]) == ("ispcube-Pyme", "10.0.0.5")
    _clean(cli)
    sim.reset_counters()
    assert cli.json("provision")["changes"] == [] and sim.writes == 0
