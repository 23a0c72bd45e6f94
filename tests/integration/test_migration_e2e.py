"""A whole ISP moved in with three commands, then enforced (M1-M4, SPEC 11): 10,000 clients,
their connections on two simulated MikroTiks and the balances carried over; the first
`enforce` cuts exactly the migrated debtors, and running it again changes nothing."""

from contextlib import ExitStack
import csv
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.support.network import add_mikrotik, cut_list, start_simulators

pytestmark = pytest.mark.slow

CLIENTS = 10_000


def _write(path: Path, header: list[str], rows) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _ip(n: int) -> str:
    return f"10.{20 + n // 62500}.{(n // 250) % 250}.{n % 250 + 1}"


def _debtor(n: int) -> bool:
    return n % 7 == 3          # one client in seven arrives with an overdue balance


def test_three_commands_move_an_isp_in_and_enforce_cuts_exactly_its_debtors(cli, tmp_path):
    past = (date.today() - timedelta(days=40)).isoformat()
    codes = [f"M{n:05d}" for n in range(CLIENTS)]
    clients = _write(tmp_path / "clientes.csv", ["codigo", "nombre", "domicilio"],
                     ((code, f"Cliente {code}", f"Calle {n} {code}") for n, code in enumerate(codes)))
    connections = _write(tmp_path / "conexiones.csv", ["client", "router", "ip"],
                         ((code, f"r{n % 2 + 1}", _ip(n)) for n, code in enumerate(codes)))
    # Everyone carries an opening balance; the debtors' is owed and overdue, the others paid it.
    lines = []
    for n, code in enumerate(codes):
        lines.append([code, past, "saldo_inicial", "15000", f"S-{code}", past])
        if not _debtor(n):
            lines.append([code, past, "pago", "15000", f"P-{code}", ""])
    ledger = _write(tmp_path / "saldos.csv", ["client", "date", "kind", "amount", "reference", "due_date"], lines)

    with ExitStack() as stack:
        sims = start_simulators(stack, 2)
        for index, sim in enumerate(sims, 1):
            add_mikrotik(cli, f"r{index}", sim)

        assert cli.json("client", "import", str(clients))["new"] == CLIENTS
        assert cli.json("connection", "import", str(connections))["new"] == CLIENTS
        imported = cli.json("ledger", "import", str(ledger))
        debtors = {code for n, code in enumerate(codes) if _debtor(n)}
        assert imported["posted"] == len(lines) and imported["clients"] == CLIENTS
        assert imported["grace_until"] > date.today().isoformat()
        held = cli.json("enforce", "--dry-run")              # U6: the migrated debt waits for its grace
        assert held["cut"] == 0 and sum(d["action"] == "held" for d in held["decisions"]) == len(debtors)
        cli.ok("config", "set", "migration.grace_until", date.today().isoformat())     # the grace is over

        plan = cli.json("enforce", "--dry-run")
        assert plan["cut"] == len(debtors) and not any(s["status"] == "failed" for s in plan["routers"])
        assert cut_list(sims[0]) == {} == cut_list(sims[1])          # a dry run writes nothing

        done = cli.json("enforce")
        assert done["cut"] == len(debtors)
        on_routers = {**cut_list(sims[0]), **cut_list(sims[1])}
        assert set(on_routers.values()) == debtors
        assert set(on_routers) == {_ip(n) for n, code in enumerate(codes) if code in debtors}
        assert {c["code"] for c in cli.json("client", "list", "--service", "cut")} == debtors

        again = cli.json("enforce")
        assert again["cut"] == 0 and again["restored"] == 0
        assert sum(s["writes"] for s in again["routers"]) == 0
