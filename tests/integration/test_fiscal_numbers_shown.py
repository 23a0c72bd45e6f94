"""The fiscal number wherever an invoice is shown or exported (I8), on SQLite and PostgreSQL:
a month billed with the `afip` driver shows its invoices marked as not yet fiscal, and once
the loopback AFIP authorized them, their fiscal numbers and CAEs, in the statement (table, CSV,
JSON), in `export ledger` (XLSX read back with openpyxl, CSV) and on the receipt of a payment
(the PDF read back with pdftotext). With the `none` driver the statement reads as it always
did, and the export reads back through `ledger import`."""

import csv
from decimal import Decimal
import io

from openpyxl import load_workbook

from ispcube.services.fiscal.authorize import authorize
from tests.conftest import Cli
from tests.integration.test_fiscal_authorize import afip, bill, rt  # noqa: F401 - fixtures
from tests.integration.test_fiscal_invoices import pdf_text
from tests.integration.test_ledger_import import _fresh_sqlite


def squeeze(text: str) -> str:
    return "\n".join(" ".join(line.split()) for line in text.splitlines())


def exported_xlsx(cli, path) -> list[dict]:
    cli.ok("--yes", "export", "ledger", "--out", str(path))
    sheet = load_workbook(path)["Ledger"]
    header, *rows = list(sheet.values)
    return [dict(zip(header, row, strict=True)) for row in rows]


def exported_csv(cli, path, *options: str) -> list[dict]:
    cli.ok("--yes", "export", "ledger", "--out", str(path), *options)
    with path.open(encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file))


def statement_csv(cli, code: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(cli.ok("--format", "csv", "ledger", "show", code).stdout)))


def test_statement_and_receipt_mark_drafts_then_show_the_fiscal_number(cli, afip, rt, tmp_path,  # noqa: F811
                                                                         monkeypatch):
    bill(cli, afip, tmp_path, monkeypatch)
    (tmp_path / "alta.csv").write_text("client,date,kind,amount,reference\nB1,2026-11-15,dx,100,INST-1\n",
                                       encoding="utf-8")
    cli.ok("ledger", "import", str(tmp_path / "alta.csv"))                   # a DX of a fixed day
    cli.ok("pay", "B1", "--cash", "18950", "--date", "2026-12-02", "--no-enable")
    [invoice] = [r for r in cli.json("ledger", "show", "B1") if r["kind"] == "invoice"]
    internal = invoice["reference"]                                    # 'invoice 1-3'
    assert (invoice["document"], invoice["fiscal_number"], invoice["cae"]) == \
        (f"{internal} (draft, not yet fiscal)", None, None)
    table = cli.ok("ledger", "show", "B1").stdout
    assert f"{internal} (draft, not yet fiscal)" in table
    [draft_row] = [r for r in statement_csv(cli, "B1") if r["kind"] == "invoice"]
    assert (draft_row["document"], draft_row["fiscal_number"], draft_row["cae"]) == \
        (f"{internal} (draft, not yet fiscal)", "", "")
    [draft_cell] = [r for r in exported_xlsx(cli, tmp_path / "l.xlsx") if r["client"] == "B1" and
                    r["kind"] == "invoice"]
    assert (draft_cell["document"], draft_cell["fiscal_number"], draft_cell["cae"], draft_cell["debit"]) == \
        (f"{internal} (draft, not yet fiscal)", None, None, Decimal("18900"))
    cli.ok("receipt", "print", "1", "--out", str(tmp_path / "draft.pdf"))
    text = squeeze(pdf_text(tmp_path / "draft.pdf"))
    number = internal.removeprefix("invoice ")
    assert f"Factura {number} (borrador, aún sin número fiscal) 01/11/2026 18.900,00 18.900,00" in text
    assert "Nota de débito 1" in text and "100,00 50,00" in text       # the rest of the payment

    assert authorize(rt).ok
    [invoice] = [r for r in cli.json("ledger", "show", "B1") if r["kind"] == "invoice"]
    cae = cli.json("invoice", "show", str(invoice["entry"]))["cae"]
    assert (invoice["document"], invoice["fiscal_number"], invoice["cae"]) == \
        (f"{internal} (B 00003-00000001)", "B 00003-00000001", cae)
    assert cae and len(cae) == 14
    [row] = [r for r in statement_csv(cli, "B1") if r["kind"] == "invoice"]
    assert (row["document"], row["fiscal_number"], row["cae"], row["reference"]) == \
        (f"{internal} (B 00003-00000001)", "B 00003-00000001", cae, internal)
    cells = {r["client"]: r for r in exported_xlsx(cli, tmp_path / "l.xlsx") if r["kind"] == "invoice"}
    assert len(cells) == 6
    assert (cells["B1"]["document"], cells["B1"]["fiscal_number"], cells["B1"]["cae"], cells["B1"]["reference"]) \
        == (f"{internal} (B 00003-00000001)", "B 00003-00000001", cae, internal)
    assert (cells["A2"]["fiscal_number"], cells["B4"]["fiscal_number"]) == ("A 00003-00000002", "B 00003-00000004")
    assert all(len(c["cae"]) == 14 for c in cells.values()) and len({c["cae"] for c in cells.values()}) == 6
    lines = exported_csv(cli, tmp_path / "l.csv", "--search", "B1", "--from", "2026-11-01")
    assert [(r["kind"], r["fiscal_number"], r["cae"], r["balance"]) for r in lines] == [
        ("invoice", "B 00003-00000001", cae, "18900.00"), ("dx", "", "", "19000.00"),
        ("receipt", "", "", "50.00")]
    cli.ok("--yes", "receipt", "print", "1", "--out", str(tmp_path / "fiscal.pdf"))
    text = squeeze(pdf_text(tmp_path / "fiscal.pdf"))
    assert "Factura B 00003-00000001 01/11/2026 18.900,00 18.900,00" in text
    assert "borrador" not in text and internal not in text


def test_a_receipt_pays_the_oldest_debts_first_and_the_rest_on_account(cli, tmp_path):
    cli.ok("company", "add", "--number", "1", "--name", "Red Sur SRL", "--point-of-sale", "2")
    cli.ok("plan", "add", "--name", "Hogar", "--price", "1000")
    cli.ok("client", "add", "--code", "B1", "--name", "Beto", "--plan", "Hogar", "--company", "1",
           "--signup-date", "2026-01-01")
    cli.ok("billing", "run", "--period", "2026-10")
    cli.ok("ledger", "adjust", "B1", "--debit", "300", "--reason", "error")
    dx = next(r["entry"] for r in cli.json("ledger", "show", "B1") if r["kind"] == "dx")
    cli.ok("ledger", "annul", str(dx), "--reason", "cargado por error")     # annulled: nothing to pay
    cli.ok("billing", "run", "--period", "2026-11")
    cli.ok("pay", "B1", "--cash", "400", "--date", "2026-11-05", "--no-enable")
    cli.ok("pay", "B1", "--cash", "2000", "--date", "2026-11-06", "--no-enable")
    cli.ok("receipt", "print", "1", "--out", str(tmp_path / "r1.pdf"))
    first = squeeze(pdf_text(tmp_path / "r1.pdf"))
    assert "Factura 1-1 01/10/2026 1.000,00 400,00" in first
    assert "Factura 1-2" not in first and "A cuenta" not in first and "Nota de débito" not in first
    cli.ok("receipt", "print", "2", "--out", str(tmp_path / "r2.pdf"))
    second = squeeze(pdf_text(tmp_path / "r2.pdf"))
    assert "Factura 1-1 01/10/2026 1.000,00 600,00" in second
    assert "Factura 1-2 01/11/2026 1.000,00 1.000,00" in second
    assert "A cuenta 400,00" in second and "Nota de débito" not in second and "borrador" not in second


def test_the_none_driver_statement_reads_as_before(cli):
    cli.ok("company", "add", "--number", "1", "--name", "Red Sur SRL", "--point-of-sale", "2")
    cli.ok("plan", "add", "--name", "Hogar", "--price", "1000")
    cli.ok("client", "add", "--code", "B1", "--name", "Beto", "--plan", "Hogar", "--company", "1",
           "--signup-date", "2026-01-01")
    cli.ok("billing", "run", "--period", "2026-10")
    [row] = cli.json("ledger", "show", "B1")
    assert (row["document"], row["fiscal_number"], row["cae"]) == ("invoice 1-1", None, None)
    assert cli.ok("ledger", "show", "B1").stdout.splitlines()[2].split()[2:4] == ["invoice", "1-1"]


def test_the_none_driver_export_reads_back_through_ledger_import(cli, tmp_path, sqlite_template):
    cli.ok("company", "add", "--number", "1", "--name", "Red Sur SRL", "--point-of-sale", "2")
    cli.ok("plan", "add", "--name", "Hogar", "--price", "1000")
    for code in ("B1", "B2"):
        cli.ok("client", "add", "--code", code, "--name", f"Cliente {code}", "--plan", "Hogar", "--company", "1",
               "--signup-date", "2026-01-01")
    cli.ok("billing", "run", "--period", "2026-10")
    cli.ok("pay", "B1", "--cash", "400", "--date", "2026-10-05", "--no-enable")
    rows = exported_csv(cli, tmp_path / "cuentas.csv")
    assert [(r["client"], r["document"], r["fiscal_number"], r["debit"], r["credit"], r["balance"]) for r in rows] \
        == [("B1", "invoice 1-1", "", "1000.00", "", "1000.00"), ("B1", "receipt 1", "", "", "400.00", "600.00"),
            ("B2", "invoice 1-2", "", "1000.00", "", "1000.00")]
    other: Cli = _fresh_sqlite(sqlite_template, tmp_path / "otra.db", ["B1", "B2"])
    done = other.json("ledger", "import", str(tmp_path / "cuentas.csv"))
    assert (done["posted"], done["invalid"]) == (3, 0)
    assert [other.json("client", "show", code)["balance"] for code in ("B1", "B2")] == ["600.00", "1000.00"]
