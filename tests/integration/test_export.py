"""`export clients` (C10, R8, R9) through the CLI, on SQLite and PostgreSQL."""

import csv
import json
import zipfile

import pytest
from sqlalchemy import delete

HOSTILE = '=HYPERLINK("http://evil.example/x","click me")'


@pytest.fixture
def base(cli):
    cli.ok("postal-code", "add", "--code", "1414", "--locality", "Palermo")
    cli.ok("postal-code", "add", "--code", "X5000", "--locality", "Córdoba")
    cli.ok("status", "add", "--name", "Activo")
    cli.ok("operator", "add", "--name", "ana", "--role", "collector")
    cli.ok("operator", "add", "--name", "sara", "--role", "seller")
    cli.ok("plan", "add", "--name", "Hogar", "--price", "9500")
    cli.ok("node", "add", "--name", "Norte")
    cli.ok("company", "add", "--number", "1", "--name", "Red Sur SRL")
    cli.ok("client", "add", "--code", "A1", "--name", "Transporte de las Américas S.L.",
           "--nickname", "Transporte", "--fiscal-address", "Bolívar 321", "--address", "Bilbao 445",
           "--client-type", "Empresa", "--id-type", "CUIT", "--id-number", "20267565393",
           "--company", "1", "--street1", "Corrientes", "--street2", "Lavalle", "--postal-code", "1414",
           "--lat", "-34.6", "--lng", "-58.4", "--signup-date", "2026-03-15", "--extra1", "pelo rojo",
           "--extra2", "x", "--phone", "011 4555-1234; +54 9 11 5555-0000", "--email", "a@x.com;b@y.org",
           "--contact", "Raúl", "--epayment-code", "EP-77", "--status", "activo",
           "--payment-method", "transfer", "--collector", "ana", "--seller", "sara", "--plan", "Hogar",
           "--node", "Norte", "--contract", "--contract-type", "2", "--contract-expiry", "2027-03-15",
           "--free", "--no-blockable", "--no-preaviso", "--preaviso-days", "1-8", "--activity", "Cargas")
    cli.ok("client", "add", "--code", "A2", "--name", HOSTILE, "--address", "Calle 2", "--postal-code", "X5000",
           "--phone", "+54 11 4444-0000", "--extra1", "@SUM(1+1)", "--extra2", "-2+3")
    cli.ok("client", "add", "--code", "A3", "--name", "José Pérez", "--address", "Calle 3", "--postal-code", "1414")
    cli.ok("client", "note", "add", "A3", "debe dos meses, llamar")
    cli.ok("client", "webpass", "set", "A3", "--stdin", input="una clave secreta\n")
    return cli


def read_xlsx(path):
    from openpyxl import load_workbook
    sheet = load_workbook(path).active
    return [list(row) for row in sheet.iter_rows()]


def test_xlsx_read_back_with_a_hostile_name_inert(base, tmp_path):
    out = tmp_path / "clients.xlsx"
    assert "3 clients written" in base.ok("export", "clients", "--out", str(out)).stdout
    rows = read_xlsx(out)
    header = [c.value for c in rows[0]]
    assert header[:5] == ["Code", "Name", "Nickname", "Fiscal address", "Address"]
    assert "Management notes" not in header and "Balance" in header
    by_code = {row[0].value: {h: c for h, c in zip(header, row, strict=True)} for row in rows[1:]}
    assert list(by_code) == ["A1", "A2", "A3"]
    hostile = by_code["A2"]["Name"]
    assert (hostile.value, hostile.data_type, hostile.quotePrefix) == (HOSTILE, "s", True)
    assert by_code["A2"]["Extra 1"].data_type == "s" and by_code["A2"]["Phones"].value == "+54 11 4444-0000"
    assert all(cell.data_type != "f" for row in rows for cell in row)
    a1 = by_code["A1"]
    assert a1["Signup date"].value.date().isoformat() == "2026-03-15" and a1["Balance"].value == 0
    assert (a1["ID number"].value, a1["Phones"].value) == ("20-26756539-3", "011 4555-1234;+54 9 11 5555-0000")
    assert (a1["Free"].value, a1["Collector"].value, a1["Locality"].value) == (True, "ana", "Palermo")
    assert by_code["A3"]["Web password"].value is True
    sheet_xml = zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "argon2" not in sheet_xml and "llamar" not in sheet_xml
    assert oct(out.stat().st_mode & 0o777) == "0o600"


def test_csv_neutralised_and_json_as_stored(base, tmp_path):
    base.ok("export", "clients", "--out", str(tmp_path / "c.csv"))
    with (tmp_path / "c.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = {r["Code"]: r for r in csv.DictReader(f)}
    assert rows["A2"]["Name"] == "'" + HOSTILE and rows["A2"]["Extra 1"] == "'@SUM(1+1)"
    assert rows["A2"]["Extra 2"] == "'-2+3" and rows["A2"]["Phones"] == "'+54 11 4444-0000"
    assert rows["A1"]["Latitude"] == "-34.6" and rows["A1"]["Name"] == "Transporte de las Américas S.L."
    base.ok("export", "clients", "--out", str(tmp_path / "c.json"))
    records = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))
    assert records[1]["name"] == HOSTILE and records[0]["phones"] == ["011 4555-1234", "+54 9 11 5555-0000"]
    assert records == base.json("client", "list")
    for name in ("c.csv", "c.json"):
        assert "argon2" not in (tmp_path / name).read_text(encoding="utf-8")


def test_same_filters_and_search_as_client_list(base, tmp_path):
    for args in (["--search", "perez"], ["--postal-code", "1414"], ["--free"], ["--collector", "ana"],
                 ["--search", "calle", "--postal-code", "X5000"]):
        out = tmp_path / "f.json"
        base.ok("--yes", "export", "clients", "--out", str(out), *args)
        exported = [r["code"] for r in json.loads(out.read_text(encoding="utf-8"))]
        assert exported == [c["code"] for c in base.json("client", "list", *args)], args
    bad = base("export", "clients", "--out", str(tmp_path / "g.json"), "--service", "maybe")
    assert bad.exit_code == 1 and "is not active, throttled, cut or deleted" in bad.stderr


def test_notes_only_with_with_notes(base, tmp_path):
    base.ok("export", "clients", "--out", str(tmp_path / "n.csv"), "--with-notes")
    with (tmp_path / "n.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = {r["Code"]: r for r in csv.DictReader(f)}
    assert rows["A3"]["Management notes"].endswith("system: debe dos meses, llamar")
    assert rows["A1"]["Management notes"] == ""
    base.ok("export", "clients", "--out", str(tmp_path / "n.json"), "--with-notes")
    records = json.loads((tmp_path / "n.json").read_text(encoding="utf-8"))
    assert [n["text"] for n in records[2]["notes"]] == ["debe dos meses, llamar"]
    base.ok("export", "clients", "--out", str(tmp_path / "n.xlsx"), "--with-notes")
    assert read_xlsx(tmp_path / "n.xlsx")[3][-1].value.endswith("debe dos meses, llamar")


def test_an_existing_file_is_replaced_only_with_yes(base, tmp_path):
    """R14: an export may land on anything (a database, a spreadsheet someone keeps)."""
    out = tmp_path / "clientes.csv"
    out.write_text("SQLite format 3 (not ours)")
    refused = base("export", "clients", "--out", str(out))
    assert refused.exit_code == 2 and "already exists" in refused.stderr and "--yes" in refused.stderr
    assert out.read_text() == "SQLite format 3 (not ours)"
    base.ok("--yes", "export", "clients", "--out", str(out))
    assert out.read_text(encoding="utf-8-sig").startswith("Code,")


def test_bad_output_refused(base, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    assert "must end in .xlsx or .csv or .json" in base("export", "clients", "--out", str(out / "x.pdf")).stderr
    missing_dir = base("export", "clients", "--out", str(out / "nope" / "x.csv"))
    assert missing_dir.exit_code == 1 and "does not exist" in missing_dir.stderr
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_round_trip_into_an_empty_client_base(base, runtime, tmp_path, kind):
    from ispcube.db import models as m
    before = base.json("client", "list")
    out = tmp_path / f"all.{kind}"
    base.ok("export", "clients", "--out", str(out))
    with runtime.uow() as uow:
        for model in (m.ClientEvent, m.ClientNote, m.Client):
            uow.session.execute(delete(model))
        uow.commit()
    assert base.json("client", "list") == []
    imported = base.ok("client", "import", str(out))
    assert "3 new" in imported.stdout and "columns not imported: Locality" in imported.stdout
    after = base.json("client", "list")
    for record in before:
        record["web_password"] = False     # passwords are never exported
    assert after == before


def test_control_characters_do_not_break_the_spreadsheet(base, tmp_path):
    """Names with control characters are refused now; one stored before that is still exported."""
    from sqlalchemy import text

    from ispcube.db.engine import get_engine
    base.ok("client", "add", "--code", "A4", "--name", "AnaBell", "--address", "Calle 4")
    with get_engine(base.url).begin() as conn:
        conn.execute(text("UPDATE clients SET name = :name WHERE code = 'A4'"), {"name": "Ana\x01Bell"})
    base.ok("export", "clients", "--out", str(tmp_path / "c.xlsx"), "--search", "a4")
    assert read_xlsx(tmp_path / "c.xlsx")[1][1].value == "AnaBell"
