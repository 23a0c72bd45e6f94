"""`collect debts` (K4): what each client of a payment method owes, as CSV or XLSX for a gateway."""

import csv
from datetime import date
from decimal import Decimal
import os

import pytest


@pytest.fixture
def owing(cli):
    cli.ok("client", "add", "--code", "G1", "--name", "=HYPERLINK(\"x\")", "--payment-method", "cobrodigital",
           "--epayment-code", "CD-0001", "--email", "a@example.com;b@example.com", "--phone", "011 4555-1234",
           "--cbu", "2850590940090418135201", "--id-type", "DNI", "--id-number", "20123456")
    cli.ok("client", "add", "--code", "G2", "--name", "Paga al día", "--payment-method", "cobrodigital")
    cli.ok("client", "add", "--code", "G3", "--name", "Otro medio", "--payment-method", "webpay")
    cli.ok("client", "add", "--code", "G4", "--name", "Borrado", "--payment-method", "cobrodigital")
    for code, amount in (("G1", "1500.50"), ("G3", "100"), ("G4", "80")):
        cli.ok("ledger", "adjust", code, "--debit", amount, "--reason", "cuota")
    cli.ok("--yes", "client", "delete", "G4")
    return cli


def test_csv_lists_only_the_method_s_debtors_with_formula_cells_inert(owing, tmp_path):
    out = tmp_path / "deudas.csv"
    done = owing.json("collect", "debts", "--payment-method", "CobroDigital", "--out", str(out))
    assert (done["clients"], done["total"]) == (1, "1500.50")
    assert os.stat(out).st_mode & 0o777 == 0o600
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert rows == [{"Code": "G1", "Name": "'=HYPERLINK(\"x\")", "Electronic payment code": "CD-0001",
                     "ID number": "20.123.456", "Email": "a@example.com", "Phone": "011 4555-1234",
                     "Amount due": "1500.50", "Due date": date.today().isoformat(), "IBAN": "",
                     "CBU": "2850590940090418135201"}]


def test_xlsx_carries_numbers_and_dates(owing, tmp_path):
    from openpyxl import load_workbook
    out = tmp_path / "deudas.xlsx"
    owing.ok("collect", "debts", "--payment-method", "webpay", "--out", str(out))
    sheet = load_workbook(out, read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Code", "Name", "Electronic payment code")
    assert rows[1][0] == "G3" and Decimal(str(rows[1][6])) == Decimal("100")
    assert rows[1][7].date() == date.today()


@pytest.mark.parametrize("args, says", [
    (("--payment-method", "bitcoin"), "is not one of"),
    (("--payment-method", "webpay", "--out", "deudas.pdf"), "must end in .csv or .xlsx"),
    (("--payment-method", "webpay", "--out", "/no/such/dir/d.csv"), "does not exist"),
])
def test_bad_requests_write_nothing(owing, tmp_path, args, says):
    folder = tmp_path / "out"
    folder.mkdir()
    options = {"--out": str(folder / "d.csv"), **dict(zip(args[::2], args[1::2], strict=True))}
    if "/" not in options["--out"]:
        options["--out"] = str(folder / options["--out"])
    refused = owing("collect", "debts", *[part for pair in options.items() for part in pair])
    assert refused.exit_code == 1 and says in refused.stderr and refused.stderr.count("\n") == 1
    assert list(folder.iterdir()) == []


def test_an_existing_file_is_kept_unless_yes(owing, tmp_path):
    out = tmp_path / "deudas.csv"
    out.write_text("mine")
    refused = owing("collect", "debts", "--payment-method", "webpay", "--out", str(out))
    assert refused.exit_code == 2 and "already exists" in refused.stderr and out.read_text() == "mine"
    owing.ok("--yes", "collect", "debts", "--payment-method", "webpay", "--out", str(out))
    assert "G3" in out.read_text(encoding="utf-8-sig")


def test_out_dash_writes_the_csv_to_standard_output_and_the_summary_to_stderr(owing, tmp_path):
    done = owing("collect", "debts", "--payment-method", "Cobro Digital", "--out", "-")
    assert done.exit_code == 0, done.stderr
    rows = list(csv.DictReader(done.stdout.splitlines()))
    assert [(row["Code"], row["Name"], row["Amount due"]) for row in rows] == [("G1", "'=HYPERLINK(\"x\")", "1500.50")]
    assert done.stderr.strip() == "1 client(s) owing 1500.50 written to standard output"
    assert owing("collect", "debts", "--payment-method", "webpay", "--out", "-", "--quiet").stderr == ""
    assert not os.path.exists("-") and not list(tmp_path.glob("*.part"))
