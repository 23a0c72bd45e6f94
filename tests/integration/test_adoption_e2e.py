"""Issue 21's migration, end to end: an Argentine ISP moves in from another system's export
(Spanish headers, Latin-1, semicolons, dd/mm/yyyy dates, decimal commas, two phone columns, a
column ignored, suspended and Baja clients, opening debts) through the client, connection and
ledger imports; the first enforce runs against a router that already holds the old system's
cuts: nobody reconnected, nobody cut before the grace date, no drift."""

from contextlib import ExitStack
from datetime import date

from tests.support.network import add_mikrotik, cut_list, start_simulators

CLIENTES = """Código;Nombre y apellido;Domicilio;Teléfono;Celular;Servicio;Vendedor viejo
1001;José Núñez;Av. Mitre 123;(02255) 46-1950;+54 9 11 4555-1234;Activo;Pérez
1002;María Peña;Calle 9 456;011 4555-1234;;Cortado;Pérez
1003;Raúl Ibáñez;Calle 10 789;;+54 9 11 4555-9999;Suspendido;Gómez
1004;Inés Gómez;Calle 11 12;;;Baja;Gómez
1005;Luis Díaz;Calle 12 34;;;Activo;Gómez
"""
CONEXIONES = """Cliente;Router;IP;Usuario PPPoE
1001;core;10.0.0.1;
1002;core;10.0.0.2;
1003;core;;ppp1003
1005;core;10.0.0.5;
"""
SALDOS = """Cliente;Fecha;Tipo;Importe;Comprobante
1002;01/06/2026;Saldo inicial;15.000,50;SI-1002
1003;01/06/2026;Saldo inicial;9.800,00;SI-1003
1005;01/06/2026;Saldo inicial;12.345,60;SI-1005
"""


def _write(path, text: str):
    path.write_text(text, encoding="latin-1")
    return str(path)


def test_an_isp_moves_in_and_the_first_enforce_changes_nothing_it_should_not(cli, tmp_path):
    with ExitStack() as stack:
        (core,) = start_simulators(stack, 1)
        add_mikrotik(cli, "core", core)
        core.add_address("morosos", "10.0.0.2", comment="corte sistema anterior")
        core.add_ppp_secret("ppp1003", password="x", profile="hogar", disabled=True)
        cli.ok("config", "set", "country", "AR")
        cli.ok("config", "set", "enforce.adopt_lists", "morosos")

        clients = cli.json("client", "import", _write(tmp_path / "clientes.csv", CLIENTES),
                           "--ignore-column", "Vendedor viejo")
        assert clients["new"] == 5, clients
        listed = {c["code"]: c for c in cli.json("client", "list")}
        assert {code: c["service"] for code, c in listed.items()} == {"1001": "active", "1002": "cut",
                                                                     "1003": "cut", "1005": "active"}
        phones = cli.json("client", "show", "1001")["phones"]
        assert "46-1950" in str(phones) and "4555-1234" in str(phones)
        [gone] = cli.json("client", "list", "--deleted")
        assert gone["previous_code"] == "1004"

        assert cli.json("connection", "import", _write(tmp_path / "conexiones.csv", CONEXIONES))["new"] == 4
        ledger = cli.json("ledger", "import", _write(tmp_path / "saldos.csv", SALDOS))
        assert ledger["posted"] == 3 and ledger["grace_until"] > date.today().isoformat()
        balances = {code: cli.json("client", "show", code)["balance"] for code in ("1002", "1003", "1005")}
        assert balances == {"1002": "15000.50", "1003": "9800.00", "1005": "12345.60"}

        plan = cli.json("enforce", "--dry-run")
        assert {d["client"]: d["action"] for d in plan["decisions"]} == {"1005": "held"}
        core.reset_counters()
        first = cli.json("enforce")
        assert (first["cut"], first["restored"], first["failed"]) == (0, 0, 0)
        assert core.writes == 0                                   # nobody reconnected, nobody cut again
        assert cut_list(core) == {} and [r["address"] for r in core.address_list("morosos")] == ["10.0.0.2"]
        check = cli("enforce", "--check")
        assert check.exit_code == 0 and "0 drift" in check.stdout, check.stdout + check.stderr

        grace = ledger["grace_until"]
        after = cli.json("--yes", "enforce", "--today", grace)
        assert after["cut"] == 1 and cut_list(core) == {"10.0.0.5": "1005"}
        assert cli.json("client", "show", "1001")["service"] == "active"
