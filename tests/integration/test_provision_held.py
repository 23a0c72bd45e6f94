"""A held client's new login (S1, S2): a client whose service is cut gets a new PPPoE connection
made at once (`connection add --now`) and it cannot log in, on the simulated MikroTik (its
secret is made disabled, as enforce's cut leaves one) and on FreeRADIUS (the user is made in
enforce's cut group: radtest gets the cut reply); the next enforce run writes nothing for it,
and provision afterwards never touches that state."""

from contextlib import ExitStack
import json

import pytest

from tests.support.network import add_mikrotik, start_simulators
from tests.support.radius_network import radius_fixtures

freeradius, radius = radius_fixtures()


def _drift_of(cli, user: str) -> list[str]:
    """What `provision --check` finds about USER (the fixture's hand-made users are drift of their own)."""
    check = cli("--format", "json", "provision", "--check", "--all")
    found = json.loads(check.stdout)
    return [c["name"] for c in found["changes"] if c["name"] == user] + \
        [p["problem"] for p in found["problems"] if f"'{user}'" in p["problem"]]


@pytest.fixture
def mikrotik(cli):
    with ExitStack() as stack:
        sim = start_simulators(stack, 1)[0]
        add_mikrotik(cli, "r1", sim)
        cli.ok("plan", "add", "--name", "Hogar", "--price", "9500", "--down-kbps", "20000", "--up-kbps", "5000")
        cli.ok("client", "add", "--code", "A1", "--name", "Ana", "--address", "Calle 1")
        yield cli, sim


def test_a_cut_clients_new_secret_is_made_disabled_and_enforce_then_writes_nothing(mikrotik):
    cli, sim = mikrotik
    cli.ok("ledger", "adjust", "A1", "--debit", "5000", "--reason", "deuda")
    assert cli.json("--yes", "enforce")["cut"] == 1
    made = cli.json("connection", "add", "A1", "--router", "r1", "--pppoe-user", "ana", "--plan", "Hogar",
                    "--pppoe-password-stdin", "--now", input="clave-ana\n")["provisioned"]
    assert made["status"] == "done" and "disabled=yes" in made["made"][-1]["fields"]
    [secret] = sim.ppp_secrets()
    assert (secret["name"], secret["disabled"], secret["profile"]) == ("ana", "true", "ispcube-Hogar")

    sim.reset_counters()
    again = cli.json("--yes", "enforce")
    assert (again["changes"], again["done"], sim.writes) == ([], 0, 0)
    assert cli.json("--yes", "enforce", "--check")["drift"] == 0
    assert cli("provision", "--check", "--all").exit_code == 0

    cli.ok("pay", "A1", "--cash", "5000")                     # restored by enforce, left so by provision
    cli.ok("--yes", "enforce")
    assert sim.ppp_secrets()[0]["disabled"] == "false"
    assert cli.json("provision", "--all")["changes"] == []
    assert sim.ppp_secrets()[0]["disabled"] == "false"


def test_an_active_clients_new_secret_is_made_enabled(mikrotik):
    cli, sim = mikrotik
    made = cli.json("connection", "add", "A1", "--router", "r1", "--pppoe-user", "ana", "--pppoe-password-stdin",
                    "--now", input="clave-ana\n")["provisioned"]
    assert "disabled" not in made["made"][-1]["fields"]
    assert sim.ppp_secrets()[0]["disabled"] == "false"


def test_a_cut_clients_new_radius_user_gets_the_cut_reply_and_enforce_then_writes_nothing(radius):
    cli, server, nas = radius
    cli.ok("enforce")                                          # A1 (ana, owing 300) is cut
    sent = len(nas.requests)
    assert server.radtest("ana", "pw") == (True, {"Mikrotik-Address-List": "ispcube-cut"})
    made = cli.json("connection", "add", "A1", "--router", "nas1", "--pppoe-user", "ana2", "--pppoe-password-stdin",
                    "--now", input="clave-2\n")["provisioned"]
    assert made["status"] == "done" and "service=cut" in made["made"][0]["fields"]
    assert server.radtest("ana2", "clave-2") == (True, {"Mikrotik-Address-List": "ispcube-cut"})

    again = cli.json("enforce")
    assert (again["changes"], again["done"], len(nas.requests)) == ([], 0, sent)
    assert cli.json("enforce", "--check")["drift"] == 0
    assert _drift_of(cli, "ana2") == []

    cli.ok("pay", "A1", "--cash", "300")                       # restored: enforce takes it out, provision leaves it
    cli.ok("enforce")
    assert server.radtest("ana2", "clave-2") == (True, {})
    assert json.loads(cli("--format", "json", "provision", "--all").stdout)["changes"] == []
    assert server.radtest("ana2", "clave-2") == (True, {})

    cli.ok("connection", "add", "B2", "--router", "nas1", "--pppoe-user", "beto2",    # an active client's: plain
           "--pppoe-password-stdin", "--now", input="clave-b\n")
    assert server.radtest("beto2", "clave-b") == (True, {})
