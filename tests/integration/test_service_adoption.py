"""U5: `client import` takes the service state the old system left each client in (a `service`
column, in English or Spanish; Baja imports the client deleted), and the first `enforce`
adopts the cuts it finds on the routers for those clients (an address on one of the lists of
`enforce.adopt_lists`, a PPPoE secret disabled) instead of undoing or repeating them."""

from contextlib import ExitStack

import pytest

from tests.support.network import add_mikrotik, cut_list, start_simulators

CLIENTS = """codigo;nombre;domicilio;servicio
A1;Ana Activa;Calle 1;Activo
C2;Carlos Cortado;Calle 2;Cortado
C3;Clara Suspendida;Calle 3;Suspendido
R4;Rita Reducida;Calle 4;Limitado
B5;Beto de Baja;Calle 5;Baja
"""


@pytest.fixture
def adopted(cli, tmp_path):
    with ExitStack() as stack:
        (core,) = start_simulators(stack, 1)
        add_mikrotik(cli, "core", core)
        core.add_address("morosos", "10.0.0.2", comment="sistema anterior")     # the old system's cut
        core.add_address("morosos", "10.9.9.9", comment="no es un cliente")
        core.add_ppp_secret("ppp-c3", password="x", profile="hogar", disabled=True)
        cli.ok("config", "set", "enforce.adopt_lists", "morosos, suspendidos")
        clients = tmp_path / "clientes.csv"
        clients.write_text(CLIENTS, encoding="latin-1")
        imported = cli.json("client", "import", str(clients))
        assert imported["new"] == 5, imported
        for code, args in (("A1", ("--ip", "10.0.0.1")), ("C2", ("--ip", "10.0.0.2")),
                           ("C3", ("--pppoe-user", "ppp-c3")), ("R4", ("--ip", "10.0.0.4"))):
            cli.ok("connection", "add", code, "--router", "core", *args)
        for code in ("C2", "C3"):
            cli.ok("ledger", "adjust", code, "--debit", "900", "--reason", "deuda del sistema anterior")
        yield cli, core


def test_the_service_column_imports_the_state_and_baja_as_deleted(adopted):
    cli, _ = adopted
    states = {c["code"]: c["service"] for c in cli.json("client", "list")}
    assert states == {"A1": "active", "C2": "cut", "C3": "cut", "R4": "throttled"}
    [gone] = cli.json("client", "list", "--deleted")
    assert gone["code"].startswith("ZZ") and gone["previous_code"] == "B5"


def test_the_first_enforce_adopts_the_cuts_on_the_routers(adopted):
    cli, core = adopted
    core.reset_counters()
    first = cli.json("enforce")
    assert (first["cut"], first["restored"]) == (0, 1)          # R4 owes nothing: the job lets it go
    assert core.writes == 0                                      # nothing undone, nothing cut again
    assert cut_list(core) == {} and {r["address"] for r in core.address_list("morosos")} == {"10.0.0.2",
                                                                                          "10.9.9.9"}
    assert [s["disabled"] for s in core.ppp_secrets() if s["name"] == "ppp-c3"] in (["true"], ["yes"], [True])
    check = cli("enforce", "--check")
    assert check.exit_code == 0 and "0 drift" in check.stdout, check.stdout + check.stderr

    cli.ok("pay", "C2", "--cash", "900", "--enable")             # paid: the adopted cut is ispcube's to lift
    assert {r["address"] for r in core.address_list("morosos")} == {"10.9.9.9"}
    assert cli.json("client", "show", "C2")["service"] == "active"
    cli.ok("pay", "C3", "--cash", "900", "--no-enable")
    assert cli.json("enforce")["restored"] == 1
    assert [s["disabled"] for s in core.ppp_secrets() if s["name"] == "ppp-c3"] in (["false"], ["no"], [False])
    assert cli("enforce", "--check").exit_code == 0


def test_a_cut_client_not_found_cut_on_the_router_is_cut_there(adopted):
    cli, core = adopted
    cli.ok("config", "set", "enforce.adopt_lists", "")        # the old system's list is not named
    assert cli.json("enforce")["cut"] == 0
    assert cut_list(core) == {"10.0.0.2": "C2"}                  # no adopted list: ispcube's own cut


def test_a_bad_service_word_is_refused_naming_the_line(cli, tmp_path):
    clients = tmp_path / "clientes.csv"
    clients.write_text("nombre,servicio\nAna,Moroso\n", encoding="utf-8")
    refused = cli("client", "import", str(clients))
    assert refused.exit_code == 1 and "line 2" in refused.stderr and "'Moroso'" in refused.stderr
    assert cli.json("client", "list") == []
