"""`ledger import` (M3, R5, R15): opening balances, debits, credits and payments in bulk,
through the CLI, on SQLite and PostgreSQL."""

import csv
from datetime import date, timedelta
from decimal import Decimal
import os
from pathlib import Path
import shutil
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select, text

from ispcube.db import models as m
from ispcube.db.ledger_models import LedgerEntry
from ispcube.db.overdue import overdue_debts
from ispcube.domain.overdue import overdue_debt
from tests.conftest import Cli
from tests.support.kill import kill_while_writing, sqlite_write_locked

HEADER = ["client", "date", "kind", "amount", "reference", "description", "due_date", "payment_method"]
FUTURE_DAY = "2099-01-02"      # in the future whatever day the suite runs (or crosses midnight)
FAR_DUE = "2099-06-30"     # not yet due whatever day the suite runs
IMPORT = [sys.executable, "-c", "from ispcube.cli.main import run; run()"]


@pytest.fixture
def base(cli):
    for code, name in (("A1", "Ana"), ("B2", "Beto"), ("C3", "Carla"), ("D4", "Dado de Baja")):
        cli.ok("client", "add", "--code", code, "--name", name, "--address", f"Calle {code}")
    cli.ok("--yes", "client", "delete", "D4")
    cli.ok("operator", "add", "--name", "ana", "--role", "collector")
    return cli


def deleted_code(cli) -> str:
    return cli.json("client", "list", "--deleted")[0]["code"]


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


GOOD = [
    ["A1", "2026-01-01", "opening", "1500.50", "SI-A1", "saldo anterior", "", ""],
    ["A1", "2026-02-01", "dx", "200", "F-0001", "factura febrero", FAR_DUE, ""],
    ["B2", "2026-01-01", "saldo_inicial", "-300", "SI-B2", "", "", ""],
    ["B2", "2026-02-03", "pago", "100", "R-9", "pago parcial", "", "efectivo"],
    ["A1", "2026-02-05", "cx", "50.25", "NC-1", "", "", ""],
    ["C3", "2026-02-06", "debito", "80", "ND-7", "reconexión", "", ""],
]


def entries(runtime) -> list[LedgerEntry]:
    with runtime.uow() as uow:
        found = list(uow.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id)))
        uow.session.expunge_all()       # kept as read: leaving the unit of work expires loaded rows
        return found


def balances(cli) -> dict[str, str]:
    return {c["code"]: c["balance"] for c in cli.json("client", "list")}


def snapshot(runtime) -> dict:
    with runtime.engine.connect() as conn:
        return {name: sorted(map(repr, conn.execute(text(f"SELECT * FROM {name}")).all()))
                for name in ("ledger_entries", "clients", "client_events", "sequences")}


def test_lines_post_the_entries_adjust_and_pay_would_and_say_so(base, runtime, tmp_path):
    path = write_csv(tmp_path / "saldos.csv", GOOD)
    done = base.json("ledger", "import", str(path))
    assert {k: done[k] for k in ("lines", "posted", "opening", "dx", "cx", "payment", "already_imported",
                                 "invalid", "clients", "written")} == {
        "lines": 6, "posted": 6, "opening": 2, "dx": 2, "cx": 1, "payment": 1, "already_imported": 0,
        "invalid": 0, "clients": 3, "written": True}
    assert balances(base) == {"A1": "1650.25", "B2": "-400.00", "C3": "80.00"}
    shown = base.json("ledger", "show", "A1")
    assert [(r["document"], r["debit"], r["credit"], r["balance"], r["due"], r["kind"], r["reference"])
            for r in shown] == [
        ("opening balance 1", "1500.50", None, "1500.50", None, "opening", "SI-A1"),
        ("DX 1", "200.00", None, "1700.50", FAR_DUE, "dx", "F-0001"),
        ("CX 1", None, "50.25", "1650.25", None, "cx", "NC-1")]
    assert "opening balance 1" in base.ok("ledger", "show", "A1").stdout
    both = base.ok("ledger", "show", "A1", "B2").stdout.splitlines()
    assert both[0].split()[:2] == ["client", "entry"] and len(both) == 2 + 5
    assert [r["client"] for r in base.json("ledger", "show", "B2", "A1")] == ["B2"] * 2 + ["A1"] * 3
    stored = {e.import_ref: e for e in entries(runtime)}
    receipt = stored["R-9"]
    assert (receipt.kind, receipt.amount, receipt.payment_method, receipt.cash_amount, receipt.comment) == (
        "receipt", Decimal("-100.00"), "cash", None, "pago parcial")
    assert (stored["SI-B2"].kind, stored["SI-B2"].amount) == ("opening", Decimal("-300.00"))
    assert {e.operator for e in stored.values()} == {"system"}
    # The numbering goes on from there, as `ledger adjust` and `pay` take it.
    assert base.json("ledger", "adjust", "C3", "--debit", "5", "--reason", "x")["number"] == 3
    assert base.json("pay", "B2", "--cash", "1")["receipt"] == 2
    # Imported receipts are history, not today's cash (L7).
    assert base.json("ledger", "cash", "--date", "2026-02-03") == []


def test_one_client_log_line_per_client_says_what_was_posted(base, tmp_path):
    base.ok("ledger", "import", str(write_csv(tmp_path / "saldos.csv", GOOD)))
    logged = [(e["kind"], e["message"]) for e in base.json("client", "log", "A1")][1:]
    assert logged == [("ledger.import", "ledger import of saldos.csv: 3 entries (1 CX, 1 DX, 1 opening balance), "
                                        "1650.25 in all; balance 1650.25")]
    assert [e["message"] for e in base.json("client", "log", "B2")][1:] == [
        "ledger import of saldos.csv: 2 entries (1 opening balance, 1 payment), -400.00 in all; balance -400.00"]
    assert len(base.json("client", "log", "C3")) == 2


def test_every_bad_line_is_reported_with_its_line_and_nothing_is_posted(base, runtime, tmp_path):
    base.ok("ledger", "adjust", "A1", "--debit", "10", "--reason", "antes")
    zz = deleted_code(base)
    rows = [
        ["A1", "2026-01-01", "opening", "100", "OK-1", "", "", ""],                  # 2: good
        ["A1", "2026-01-02", "dx", "12,5,0", "L3", "", "", ""],                      # 3
        ["A1", "2026-01-02", "dx", "10.5555", "L4", "", "", ""],                     # 4
        ["A1", "2026-01-02", "dx", "abc", "L5", "", "", ""],                        # 5
        ["A1", "2026-01-02", "dx", "-5", "L6", "", "", ""],                         # 6
        ["A1", "2026-01-02", "pago", "0", "L7", "", "", ""],                        # 7
        ["A1", "2026-02-30", "dx", "5", "L8", "", "", ""],                          # 8
        ["A1", "02/13/2026", "dx", "5", "L9", "", "", ""],                          # 9
        ["A1", FUTURE_DAY, "dx", "5", "L10", "", "", ""],                             # 10
        ["A1", "2026-01-02", "bonus", "5", "L11", "", "", ""],                      # 11
        ["ZZ404", "2026-01-02", "dx", "5", "L12", "", "", ""],                      # 12
        [zz, "2026-01-02", "dx", "5", "L13", "", "", ""],                           # 13
        ["A1", "2026-01-02", "dx", "5", "", "", "", ""],                            # 14
        ["A1", "2026-01-02", "dx", "5", "OK-1", "", "", ""],                        # 15: same as line 2
        ["A1", "2026-01-02", "dx", "5", "L16", "", "", "efectivo"],                 # 16
        ["A1", "2026-01-02", "dx", "5", "L17", "", "2026-13-01", ""],               # 17
        ["", "2026-01-02", "dx", "5", "L18", "", "", ""],                           # 18
        ["A1", "2026-01-02", "dx"],                                                 # 19
        ["A1", "2026-01-02", "dx", "5", "L20", "", "", "", "sobra"],                # 20
        ["A1", "2026-01-02", "dx", "5", "L\x0021", "", "", ""],                     # 21
        ["A1", "2026-01-02", "dx", "5", "x" * 101, "", "", ""],                     # 22
        ["A1", "2026-01-02", "dx", "999999999999.99", "L23", "", "", ""],           # 23
        ["B2", "2026-01-02", "dx", "5", "OK-2", "", "", ""],                        # 24: good
    ]
    expected = [
        (3, "amount", "12,5,0", "is not an amount"),
        (4, "amount", "10.5555", "has more than 2 decimals for ARS"),
        (5, "amount", "abc", "is not an amount"),
        (6, "amount", "-5", "must not be negative"),
        (7, "amount", "0", "must be greater than zero"),
        (8, "date", "2026-02-30", "is not a date (day/month/year as locale.dates dmy says"),
        (9, "date", "02/13/2026", "is not a date (day/month/year as locale.dates dmy says"),
        (10, "date", FUTURE_DAY, "is in the future"),
        (11, "kind", "bonus", "is not a kind of ledger line: say opening, dx, cx or payment"),
        (12, "client", "ZZ404", "no such client"),
        (13, "client", zz, "is a deleted client"),
        (14, "reference", "", "is required"),
        (15, "reference", "OK-1", "is also on line 2 for client A1"),
        (16, "payment_method", "efectivo", "only a payment has a payment method"),
        (17, "due_date", "2026-13-01", "is not a date"),
        (18, "client", "", "is required"),
        (19, "amount", "", "the row has 3 columns, the header has 8"),
        (20, "9", "sobra", "extra column: the header has 8 columns, the row has 9"),
        (21, "reference", "L\\x0021", "holds a NUL byte"),
        (22, "reference", "x" * 40 + "...", "is longer than 100 characters"),
        (23, "amount", "999999999999.99", "would take the balance of client A1 to 1000000000109.99"),
    ]
    before = snapshot(runtime)
    result = base("ledger", "import", str(write_csv(tmp_path / "bad.csv", rows)))
    assert result.exit_code == 1, result.stderr
    lines = result.stderr.splitlines()
    for line, column, value, reason in expected:
        prefix = f"line {line}, column {column}: value '{value}': "
        assert any(t.startswith(prefix) and reason in t for t in lines), (line, column, value, reason, lines)
    reported = {int(t.split(",")[0].split()[1]) for t in lines if t.startswith("line ")}
    assert reported == {line for line, _, _, _ in expected}
    assert lines[-1] == ("ispcube: 21 of 23 lines are invalid: nothing imported "
                         "(fix them, or use --skip-invalid to import the valid ones)")
    assert "Traceback" not in result.stderr
    assert snapshot(runtime) == before


def test_skip_invalid_posts_exactly_the_good_lines_and_exits_3(base, runtime, tmp_path):
    rows = GOOD[:2] + [["A1", "2026-01-02", "dx", "1.0015", "MALA", "", "", ""]] + GOOD[2:]
    result = base("ledger", "import", str(write_csv(tmp_path / "mixta.csv", rows)), "--skip-invalid")
    assert result.exit_code == 3, result.stderr
    assert "line 4, column amount: value '1.0015': has more than 2 decimals" in result.stderr
    assert "1 line invalid, skipped; 6 lines posted, 0 already imported" in result.stderr
    assert sorted(e.import_ref for e in entries(runtime)) == sorted(r[4] for r in GOOD)
    assert balances(base) == {"A1": "1650.25", "B2": "-400.00", "C3": "80.00"}


def test_dry_run_and_report_file(base, runtime, tmp_path):
    path = write_csv(tmp_path / "saldos.csv", GOOD + [["Q9", "2026-01-02", "dx", "5", "Q", "", "", ""]])
    before = snapshot(runtime)
    report = tmp_path / "problemas.csv"
    dry = base("--format", "json", "ledger", "import", str(path), "--dry-run", "--skip-invalid",
               "--report", str(report))
    assert dry.exit_code == 3 and "6 lines to post (dry run, nothing written)" in dry.stderr
    assert "line 8" not in dry.stderr
    with report.open(encoding="utf-8") as f:
        assert list(csv.reader(f)) == [["line", "column", "value", "reason"], ["8", "client", "Q9", "no such client"]]
    assert snapshot(runtime) == before
    clean = base.json("ledger", "import", str(write_csv(tmp_path / "ok.csv", GOOD)), "--dry-run")
    assert (clean["posted"], clean["written"], clean["dry_run"]) == (6, False, True)
    assert snapshot(runtime) == before


def test_importing_again_posts_nothing_and_counts_what_was_there(base, runtime, tmp_path):
    path = write_csv(tmp_path / "saldos.csv", GOOD)
    base.ok("ledger", "import", str(path))
    before = snapshot(runtime)
    again = base("ledger", "import", str(path))
    assert again.exit_code == 0, again.stderr
    assert "6 lines, 0 to post" in again.stdout and "6 already imported" in again.stdout
    assert snapshot(runtime) == before
    # An overlapping file: what it shares with the first is skipped, the rest posted once.
    overlap = write_csv(tmp_path / "mas.csv", GOOD[3:] + [["C3", "2026-03-01", "pago", "80", "R-10", "", "", ""]])
    done = base.json("ledger", "import", str(overlap))
    assert (done["posted"], done["already_imported"], done["payment"]) == (1, 3, 1)
    assert balances(base)["C3"] == "0.00"
    assert base.json("ledger", "import", str(overlap), "--dry-run")["already_imported"] == 4
    # Invalid lines skipped and nothing new beside them: nothing changed, so exit 1, not 3.
    bad = write_csv(tmp_path / "mala.csv", GOOD[:2] + [["A1", "2026-03-02", "dx", "x", "N-1", "", "", ""]])
    skipped = base("ledger", "import", str(bad), "--skip-invalid")
    assert skipped.exit_code == 1, skipped.stderr
    assert "1 line invalid, skipped; nothing else to post: 2 already imported (nothing changed)" in skipped.stderr
    # The same reference on another client is another line.
    other = base.json("ledger", "import", str(write_csv(tmp_path / "otro.csv", [
        ["C3", "2026-03-02", "dx", "1", "SI-A1", "", "", ""]])))
    assert other["posted"] == 1


def test_the_database_refuses_a_second_copy_of_a_reference(base, runtime):
    from sqlalchemy.exc import IntegrityError
    with runtime.engine.connect() as conn:
        client = conn.scalar(select(m.Client.id).where(m.Client.code == "A1"))
        row = {"client_id": client, "kind": "dx", "series": "dx", "entry_date": date(2026, 1, 1),
               "amount": Decimal("1"), "operator": "x", "import_ref": "R"}
        conn.execute(LedgerEntry.__table__.insert(), [{**row, "number": 91}])
        with pytest.raises(IntegrityError):
            conn.execute(LedgerEntry.__table__.insert(), [{**row, "number": 92}])
        conn.rollback()


def test_balances_overdue_and_rebuild_agree_afterwards(base, runtime, tmp_path):
    today = date.today()
    past, soon = (today - timedelta(days=40)).isoformat(), (today + timedelta(days=20)).isoformat()
    rows = [
        ["A1", past, "opening", "1000", "S1", "", "", ""],
        ["A1", past, "dx", "300", "F1", "", soon, ""],               # not yet due
        ["B2", past, "opening", "500", "S2", "", soon, ""],          # an opening debt falling due later
        ["B2", past, "pago", "100", "P1", "", "", ""],
        ["C3", past, "opening", "-50", "S3", "", "", ""],            # in the client's favour
    ]
    base.ok("ledger", "import", str(write_csv(tmp_path / "deudas.csv", rows)))
    assert base.json("ledger", "rebuild") == {"checked": 4, "wrong": []}
    with runtime.uow() as uow:
        sums = dict(uow.session.execute(select(LedgerEntry.client_id, func.sum(LedgerEntry.amount))
                                        .group_by(LedgerEntry.client_id)).all())
        clients = {c.code: c for c in uow.session.scalars(select(m.Client))}
        assert {code: c.balance for code, c in clients.items() if c.id in sums} == {
            code: sums[c.id] for code, c in clients.items() if c.id in sums}
        for on in (today, today + timedelta(days=30)):
            debts = overdue_debts(uow, on)
            for code in ("A1", "B2", "C3"):
                client = clients[code]
                dated = [(e.due_date, e.amount) for e in uow.session.scalars(
                    select(LedgerEntry).where(LedgerEntry.client_id == client.id))]
                assert debts[client.id] == overdue_debt(client.balance, dated, on), (code, on)
        assert overdue_debts(uow, today)[clients["A1"].id] == Decimal("1000.00")
        assert overdue_debts(uow, today)[clients["B2"].id] == Decimal("0.00")
        assert overdue_debts(uow, today + timedelta(days=30))[clients["B2"].id] == Decimal("400.00")


def test_a_collector_may_not_import(base, runtime, tmp_path):
    before = snapshot(runtime)
    refused = base("--operator", "ana", "ledger", "import", str(write_csv(tmp_path / "s.csv", GOOD)))
    assert (refused.exit_code, refused.stdout) == (1, "")
    assert refused.stderr == ("ispcube: operator 'ana' is a collector: "
                              "only an admin or an operator may import ledger lines\n")
    assert snapshot(runtime) == before


def test_spanish_columns_xlsx_and_the_file_level_refusals(base, tmp_path):
    from openpyxl import Workbook
    book = Workbook()
    sheet = book.active
    sheet.append(["Cliente", "Fecha", "Tipo", "Importe", "Referencia", "Descripción", "Vencimiento"])
    sheet.append(["A1", date(2026, 1, 1), "Saldo inicial", 1200.5, 7001, "migrado", None])
    sheet.append(["B2", date(2026, 1, 3), "Crédito", 20, "NC 3", None, None])
    book.save(tmp_path / "saldos.xlsx")
    done = base.json("ledger", "import", str(tmp_path / "saldos.xlsx"))
    assert (done["posted"], done["opening"], done["cx"]) == (2, 1, 1)
    assert [r["reference"] for r in base.json("ledger", "show", "A1")] == ["7001"]
    assert balances(base)["B2"] == "-20.00"
    for header, message in (
            (["client", "date", "kind", "amount"], "the file has no reference column"),
            (["client", "date", "kind", "reference"], "no amount (or debit and credit) column"),
            (["client", "date", "kind", "amount", "reference", "color"], "'color' (column 6) is not a ledger line"),
            (["client", "cliente", "date", "kind", "amount", "reference"], "columns 'client' and 'cliente'")):
        refused = base("ledger", "import", str(write_csv(tmp_path / "cols.csv", [], header)))
        assert refused.exit_code == 1 and message in refused.stderr, (header, refused.stderr)


def _export(cli: Cli, codes: list[str], path: Path, *extra: str) -> Path:
    """`ledger show --format csv` of the clients, into one file."""
    path.write_text(cli.ok("--format", "csv", "ledger", "show", *codes, *extra).stdout, encoding="utf-8")
    return path


def _fresh_sqlite(sqlite_template, path: Path, codes: list[str]) -> Cli:
    shutil.copy(sqlite_template, path)
    other = Cli(f"sqlite:///{path}")
    for code in codes:
        other.ok("client", "add", "--code", code, "--name", f"Cliente {code}", "--address", f"Otra {code}")
    return other


def _statement(cli: Cli, code: str) -> list[tuple]:
    return [(r["date"], r["debit"], r["credit"], r["balance"], r["due"], r["comment"], r["payment_method"])
            for r in cli.json("ledger", "show", code)]


def test_a_statement_exported_as_csv_reads_back_into_another_database(base, runtime, tmp_path, sqlite_template):
    """Round trip: what `ledger show --format csv` writes, `ledger import` takes as it is."""
    base.ok("company", "add", "--number", "1", "--name", "Red SA")
    base.ok("plan", "add", "--name", "Hogar", "--price", "9500")
    base.ok("client", "edit", "A1", "--plan", "Hogar", "--company", "1", "--signup-date", "2025-01-01")
    base.ok("billing", "run", "--period", (date.today() - timedelta(days=40)).strftime("%Y-%m"))
    base.ok("billing", "run", "--period", date.today().strftime("%Y-%m"))
    base.ok("ledger", "adjust", "A1", "--debit", "250", "--reason", "=HYPERLINK(\"x\")")
    base.ok("pay", "A1", "--cash", "300", "--cheque", "bank=Nación,number=1,amount=200,deposit=2026-12-10")
    base.ok("ledger", "adjust", "B2", "--credit", "75.5", "--reason", "bonificación")
    base.ok("pay", "B2", "--cash", "10")
    shown = base.json("ledger", "show", "A1")
    invoice = next(r["entry"] for r in shown if r["document"].startswith("invoice"))
    receipt = next(r["entry"] for r in shown if r["document"].startswith("receipt"))
    base.ok("ledger", "annul", str(invoice), "--reason", "mal facturada")
    base.ok("ledger", "annul", str(receipt), "--reason", "cheque sin fondos")
    base.ok("ledger", "import", str(write_csv(tmp_path / "saldos.csv", [
        ["B2", "2026-01-01", "opening", "-40", "SI-B2", "", "", ""]])))
    exported = _export(base, ["A1", "B2"], tmp_path / "cuentas.csv")

    other = _fresh_sqlite(sqlite_template, tmp_path / "otra.db", ["A1", "B2"])
    done = other.json("ledger", "import", str(exported))
    assert done["invalid"] == 0 and done["ignored_columns"] == ["entry", "document", "operator", "fiscal_number", "cae"]
    for code in ("A1", "B2"):
        assert _statement(other, code) == _statement(base, code)
    other_runtime = _runtime(other.url)
    for on in (date.today(), date.today() + timedelta(days=45)):
        assert _overdue(runtime, on) == _overdue(other_runtime, on)
    # The references travel: exported again, nothing is new; imported into a third, the same.
    again = _export(other, ["A1", "B2"], tmp_path / "otra-vez.csv")
    assert other.json("ledger", "import", str(again))["already_imported"] == done["lines"]
    assert [r["reference"] for r in other.json("ledger", "show", "B2")] == [
        r["reference"] for r in base.json("ledger", "show", "B2")]
    assert "SI-B2" in [r["reference"] for r in base.json("ledger", "show", "B2")]

    # A window of the statement: the balance brought forward arrives as an opening balance.
    start = (date.today() - timedelta(days=1)).isoformat()
    window = _export(base, ["A1"], tmp_path / "ventana.csv", "--from", start)
    third = _fresh_sqlite(sqlite_template, tmp_path / "tercera.db", ["A1"])
    third.ok("ledger", "import", str(window))
    moved = third.json("ledger", "show", "A1")
    assert moved[0]["document"] == "opening balance 1"
    assert moved[-1]["balance"] == base.json("client", "show", "A1")["balance"]


def _runtime(url: str):
    from ispcube.db.engine import get_engine
    from ispcube.services.process.runtime import Runtime
    return Runtime(engine=get_engine(url))


def _overdue(runtime, on: date) -> dict[str, Decimal]:
    with runtime.uow() as uow:
        codes = dict(uow.session.execute(select(m.Client.id, m.Client.code)).all())
        return {codes[i]: debt for i, debt in overdue_debts(uow, on).items() if codes[i] in ("A1", "B2")}


def _many(path: Path, count: int, clients: list[str]) -> Path:
    return write_csv(path, [[clients[n % len(clients)], "2026-01-01", "dx", f"{n % 97 + 1}.25", f"M-{n}", "", "", ""]
                            for n in range(count)])


def _start(url: str, path: Path) -> subprocess.Popen:
    return subprocess.Popen([*IMPORT, "--db", url, "--format", "json", "ledger", "import", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())


@pytest.mark.pg
def test_two_runs_at_once_on_postgresql_post_each_line_once(pg_database, tmp_path):
    from tests.conftest import _reset_pg
    _reset_pg(pg_database)
    cli, runtime = Cli(pg_database), _runtime(pg_database)
    for code in ("A1", "B2", "C3"):
        cli.ok("client", "add", "--code", code, "--name", f"Cliente {code}")
    path = _many(tmp_path / "muchas.csv", 6000, ["A1", "B2", "C3"])
    runs = [_start(pg_database, path) for _ in range(2)]
    outputs = [run.communicate(timeout=120) for run in runs]
    import json
    # The second either found the first's job lock (exit 75) or ran after it (nothing new).
    done = sorted((json.loads(out)["posted"], json.loads(out)["already_imported"]) if run.returncode == 0
                  else (run.returncode, err) for run, (out, err) in zip(runs, outputs, strict=True))
    assert done in ([(0, 6000), (6000, 0)],
                    [(75, "ispcube: another `ispcube ledger import` run holds the lock; try again later\n"),
                     (6000, 0)]), outputs
    with runtime.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(LedgerEntry)) == 6000
        numbers = list(uow.session.scalars(select(LedgerEntry.number).order_by(LedgerEntry.number)))
    assert numbers == list(range(1, 6001))
    assert cli.json("ledger", "rebuild")["wrong"] == []
    assert [e["kind"] for e in cli.json("client", "log", "A1")].count("ledger.import") == 1


def _holds_write_lock(url: str) -> bool:
    """True while another connection holds the write lock (SQLite) or has inserted entries in
    a transaction still open (PostgreSQL)."""
    if url.startswith("sqlite"):
        return sqlite_write_locked(url.removeprefix("sqlite:///"))
    from ispcube.db.engine import get_engine
    with get_engine(url).connect() as conn:
        return bool(conn.scalar(text(
            "SELECT count(*) FROM pg_locks WHERE relation = 'ledger_entries'::regclass "
            "AND mode = 'RowExclusiveLock' AND pid <> pg_backend_pid()")))


@pytest.mark.slow
def test_a_killed_import_leaves_nothing_half_written(base, runtime, db_url, tmp_path):
    path = _many(tmp_path / "muchas.csv", 60_000, ["A1", "B2", "C3"])
    before = snapshot(runtime)
    process = _start(db_url, path)
    deadline = time.monotonic() + 60
    while not _holds_write_lock(db_url):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the import never started writing"
        time.sleep(0.01)
    kill_while_writing(process, lambda: _holds_write_lock(db_url))
    deadline = time.monotonic() + 10
    while _holds_write_lock(db_url) and time.monotonic() < deadline:    # until the server ends the session
        time.sleep(0.05)
    assert snapshot(runtime) == before
    done = base.json("ledger", "import", str(path))
    assert (done["posted"], done["already_imported"]) == (60_000, 0)
    assert base.json("ledger", "rebuild")["wrong"] == []


def test_enforce_acts_on_migrated_debt_like_any_other(cli, tmp_path):
    from contextlib import ExitStack

    from tests.support.network import add_client, add_mikrotik, cut_list, start_simulators
    with ExitStack() as stack:
        core = start_simulators(stack, 1)[0]
        add_mikrotik(cli, "core", core)
        for code, ip in (("M1", "10.0.0.11"), ("M2", "10.0.0.12"), ("M3", "10.0.0.13")):
            add_client(cli, code, "core", ip)
        past = (date.today() - timedelta(days=30)).isoformat()
        cli.ok("ledger", "import", str(write_csv(tmp_path / "deudas.csv", [
            ["M1", past, "saldo_inicial", "8000", "S-M1", "", "", ""],            # owed, overdue: cut
            ["M2", past, "saldo_inicial", "8000", "S-M2", "", FAR_DUE, ""],     # owed, not yet due
            ["M3", past, "saldo_inicial", "8000", "S-M3", "", "", ""],
            ["M3", past, "pago", "8000", "P-M3", "", "", "transferencia"],        # paid off
        ])))
        cli.ok("config", "set", "migration.grace_until", date.today().isoformat())     # its grace (U6) is over
        plan = cli.ok("enforce", "--dry-run").stdout
        assert "M1" in plan and "M2" not in plan and "M3" not in plan
        assert cli.json("enforce")["cut"] == 1
        assert cut_list(core) == {"10.0.0.11": "M1"}
        assert cli.json("client", "show", "M1")["service"] == "cut"
