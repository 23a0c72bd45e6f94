"""`client import` (C9, R5) through the CLI, on SQLite and PostgreSQL."""

import csv
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
BAD_ROWS = FIXTURES / "bad_rows.csv"
GOOD_IN_BAD_ROWS = ["G1", "G2", "G3"]
# Every bad row of bad_rows.csv: (line, column, what the reason says)
EXPECTED_PROBLEMS = [
    (3, "nombre", "is required"),
    (4, "documento", "is not a valid AR DNI"),
    (6, "documento", "same ID number as line 5"),
    (7, "domicilio", "looks like a duplicate of E1 Existente (same service address)"),
    (8, "codigo_postal", "no such postal code"),
    (9, "estado", "no such status"),
    (10, "mail", "is not a valid address"),
    (11, "telefono", "is not a phone number"),
    (12, "fecha_alta", "is not a date"),
    (13, "latitud", "is out of range"),
    (14, "nombre", "is not valid UTF-8"),
    (15, "domicilio", "the row has 2 columns, the header has 12"),
    (16, "13", "extra column"),
]


@pytest.fixture
def base(cli):
    cli.ok("postal-code", "add", "--code", "1414", "--locality", "Palermo")
    cli.ok("postal-code", "add", "--code", "X5000", "--locality", "Córdoba")
    cli.ok("status", "add", "--name", "Activo")
    cli.ok("operator", "add", "--name", "ana", "--role", "collector")
    cli.ok("plan", "add", "--name", "Hogar", "--price", "9500")
    cli.ok("client", "add", "--code", "E1", "--name", "Existente", "--address", "Bolívar 5",
           "--postal-code", "1414")
    return cli


def codes(cli) -> list[str]:
    return [c["code"] for c in cli.json("client", "list")]


def write_csv(path: Path, header: list[str], rows: list[list[str]], delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_written(base):
    result = base("client", "import", str(BAD_ROWS))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    for line, column, reason in EXPECTED_PROBLEMS:
        prefix = f"line {line}, column {column}: value '"
        assert any(text.startswith(prefix) and reason in text for text in lines), (line, column, reason)
    reported = {int(text.split(",")[0].split()[1]) for text in lines if text.startswith("line ")}
    assert reported == {line for line, _, _ in EXPECTED_PROBLEMS}
    assert lines[-1] == ("ispcube: 13 of 16 rows are invalid: nothing imported "
                         "(fix them, or use --skip-invalid to import the valid ones)")
    assert codes(base) == ["E1"]
    assert "16 rows, 3 new, 0 updated, 0 unchanged, 13 invalid; nothing written" in result.stdout


def test_skip_invalid_writes_exactly_the_good_rows_and_exits_3(base):
    result = base("client", "import", str(BAD_ROWS), "--skip-invalid")
    assert result.exit_code == 3, result.stderr
    assert "13 rows invalid, skipped; 3 rows valid, imported" in result.stderr
    assert codes(base) == ["E1"] + GOOD_IN_BAD_ROWS
    g3 = base.json("client", "show", "G3")
    assert (g3["name"], g3["id_number"], g3["status"]) == ("Ñandú Sánchez", "20-26756539-3", "Activo")
    assert g3["phones"] == ["+54 9 11 5555-0000"] and (g3["lat"], g3["lng"]) == (-31.4, -64.2)
    assert g3["signup_date"] == "2022-12-31" and g3["locality"] == "Palermo"
    log = base.json("client", "log", "G1")
    assert [(e["kind"], e["message"]) for e in log] == [
        ("client.import", "client G1 added by import of bad_rows.csv")]


def test_dry_run_reports_and_writes_nothing(base, tmp_path):
    result = base("client", "import", str(BAD_ROWS), "--dry-run", "--skip-invalid")
    assert result.exit_code == 3 and "dry run, nothing written" in result.stdout
    assert codes(base) == ["E1"]
    good = write_csv(tmp_path / "good.csv", ["name", "address"], [["Uno", "Calle 1"], ["Dos", "Calle 2"]])
    summary = base.json("client", "import", str(good), "--dry-run")
    assert (summary["rows"], summary["new"], summary["written"], summary["dry_run"]) == (2, 2, False, True)
    assert codes(base) == ["E1"]


def test_report_file_holds_the_problems_instead_of_stderr(base, tmp_path):
    report = tmp_path / "problems.csv"
    result = base("client", "import", str(BAD_ROWS), "--report", str(report))
    assert result.exit_code == 1 and "line 3" not in result.stderr
    with report.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(int(r["line"]), r["column"]) for r in rows] == [(line, col) for line, col, _ in EXPECTED_PROBLEMS]
    assert rows[0]["value"] == "" and rows[0]["reason"] == "is required"


def test_latin1_and_bom_files_with_other_delimiters(base):
    latin1 = base("client", "import", str(FIXTURES / "good_latin1.csv"))
    assert latin1.exit_code == 0 and "(cp1252)" in latin1.stdout
    bom = base.ok("client", "import", str(FIXTURES / "good_bom_tab.csv"))
    assert "(utf-8)" in bom.stdout
    names = {c["code"]: c["name"] for c in base.json("client", "list")}
    assert names["T1"] == "Tabulado Uno" and {"Peña Núñez", "Cañada Ávila"} <= set(names.values())
    t1 = base.json("client", "show", "T1")
    assert t1["fiscal_address"] == "Rivadavia 1" and t1["emails"] == ["uno@example.com"]
    assert [c["code"] for c in base.json("client", "list", "--search", "pena nunez")] == ["00001"]


def test_xlsx_with_typed_cells(base, tmp_path):
    from datetime import date

    from openpyxl import Workbook
    book = Workbook()
    sheet = book.active
    sheet.append(["Código", "Nombre", "Domicilio", "Código Postal", "Fecha de alta", "Latitud", "Contrato"])
    sheet.append(["X1", "Excel Uno", "Mitre 1", 1414, date(2021, 5, 3), -34.25, True])
    sheet.append(["X2", "Excel Dos", "Mitre 2", "X5000", None, None, False])
    path = tmp_path / "clientes.xlsx"
    book.save(path)
    base.ok("client", "import", str(path))
    x1 = base.json("client", "show", "X1")
    assert (x1["postal_code"], x1["signup_date"], x1["lat"], x1["contract"]) == ("1414", "2021-05-03", -34.25, True)
    assert base.json("client", "show", "X2")["postal_code"] == "X5000"


def test_unknown_or_repeated_columns_refuse_the_file(base, tmp_path):
    unknown = write_csv(tmp_path / "u.csv", ["name", "colour", "size"], [["Uno", "red", "L"]])
    result = base("client", "import", str(unknown))
    assert result.exit_code == 1
    assert "columns 'colour' (column 2), 'size' (column 3) are not a client field" in result.stderr
    twice = write_csv(tmp_path / "t.csv", ["nombre", "name"], [["Uno", "Uno"]])
    assert "both set the client field name" in base("client", "import", str(twice)).stderr
    no_name = write_csv(tmp_path / "n.csv", ["address"], [["Calle 1"]])
    assert "no name column" in base("client", "import", str(no_name)).stderr
    missing = base("client", "import", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 1 and "does not exist" in missing.stderr
    assert codes(base) == ["E1"]


def test_existing_codes_refused_unless_update(base, tmp_path):
    path = write_csv(tmp_path / "u.csv", ["code", "name", "phone", "email"],
                     [["E1", "Existente Cambiado", "011 4444-9999", ""]])
    refused = base("client", "import", str(path))
    assert refused.exit_code == 1 and "client code 'E1' is already in use (use --update" in refused.stderr
    base.ok("client", "edit", "E1", "--email", "e1@example.com", "--nickname", "Apodo")
    updated = base.ok("client", "import", str(path), "--update")
    assert "1 updated" in updated.stdout
    e1 = base.json("client", "show", "E1")
    assert (e1["name"], e1["phones"], e1["emails"]) == ("Existente Cambiado", ["011 4444-9999"], [])
    assert e1["nickname"] == "Apodo" and e1["address"] == "Bolívar 5"  # columns absent: untouched
    assert [c["code"] for c in base.json("client", "list", "--search", "cambiado")] == ["E1"]
    log = base.json("client", "log", "E1")[-1]
    assert log["kind"] == "client.import-update"
    assert "name Existente -> Existente Cambiado" in log["message"]
    assert "emails e1@example.com -> (empty)" in log["message"]
    entries = len(base.json("client", "log", "E1"))
    again = base.ok("client", "import", str(path), "--update")
    assert "0 updated, 1 unchanged" in again.stdout and len(base.json("client", "log", "E1")) == entries


def test_rows_without_code_get_generated_codes(base, tmp_path):
    base.ok("config", "set", "client.code_format", "C{n:03d}")
    base.ok("client", "add", "--code", "C002", "--name", "Ocupa el dos", "--address", "Otra 2")
    path = write_csv(tmp_path / "g.csv", ["name", "address"],
                     [["Uno", "Calle 1"], ["Dos", "Calle 2"], ["Tres", "Calle 3"]])
    base.ok("client", "import", str(path))
    assert codes(base) == ["C001", "C002", "C003", "C004", "E1"]
    assert base.json("client", "add", "--name", "Luego", "--address", "Calle 9")["code"] == "C005"
    assert [c["code"] for c in base.json("client", "list", "--search", "c003")] == ["C003"]


def test_imported_clients_take_part_in_the_duplicate_check(base, tmp_path):
    path = write_csv(tmp_path / "d.csv", ["name", "address", "postal_code", "id_type", "id_number"],
                     [["Importado", "Amenábar 123", "1414", "DNI", "20123456"]])
    base.ok("client", "import", str(path))
    same_address = base("client", "add", "--name", "Otro", "--address", "AMENABAR 123", "--postal-code", "1414")
    assert same_address.exit_code == 4 and "same service address" in same_address.stderr
    same_id = base("client", "add", "--name", "Otro", "--id-type", "DNI", "--id-number", "20.123.456")
    assert same_id.exit_code == 4 and "same ID number" in same_id.stderr


def test_allow_duplicate_imports_and_logs_the_override(base, tmp_path):
    path = write_csv(tmp_path / "d.csv", ["code", "name", "address", "postal_code"],
                     [["D1", "Mismo Lugar", "Bolivar 5", "1414"], ["D2", "Mismo Lugar Dos", "bolívar 5", "1414"]])
    assert base("client", "import", str(path)).exit_code == 1
    base.ok("client", "import", str(path), "--allow-duplicate")
    overrides = [e["message"] for e in base.json("client", "log", "D2") if e["kind"] == "client.duplicate-override"]
    assert overrides and "E1 Existente (same service address)" in overrides[0]
    assert "same service address as line 2 of d.csv" in overrides[0]


def test_exported_cells_made_inert_read_back_as_typed(base, tmp_path):
    path = write_csv(tmp_path / "q.csv", ["name", "phone"], [["'=Cuidado", "'+54 11 4444-5555"]])
    base.ok("client", "import", str(path))
    shown = base.json("client", "list", "--search", "cuidado")[0]
    assert (shown["name"], shown["phones"]) == ("=Cuidado", ["+54 11 4444-5555"])


def test_large_file_is_checked_on_every_core_with_the_same_result(base, tmp_path):
    from ispcube.services.imports.clients.run import PARALLEL_FROM
    count = PARALLEL_FROM + 10
    rows = [[f"L{i:05d}", f"Cliente {i}", f"Calle {i}", "1414", "DNI", str(10_000_000 + i)] for i in range(count)]
    rows[-3][5] = "12ab"
    rows[-2][0] = rows[7][0]
    path = write_csv(tmp_path / "big.csv", ["code", "name", "address", "postal_code", "id_type", "id_number"], rows)
    result = base("client", "import", str(path), "--skip-invalid")
    assert result.exit_code == 3
    assert f"line {count - 1}, column id_number: value '12ab'" in result.stderr
    assert f"line {count}, column code: value 'L00007': client code 'L00007' is also on line 9" in result.stderr
    assert len(base.json("client", "list", "--search", "cliente")) == count - 2
    assert base.json("client", "show", "L00042")["id_number"] == "10.000.042"


def test_an_existing_report_file_is_not_replaced_without_yes(base, tmp_path):
    report = tmp_path / "problems.csv"
    report.write_bytes(b"SQLite format 3\x00someone's data")
    result = base("client", "import", str(BAD_ROWS), "--report", str(report))
    assert result.exit_code == 2 and "--yes" in result.stderr, result.stderr
    assert report.read_bytes() == b"SQLite format 3\x00someone's data"
    result = base("client", "import", str(BAD_ROWS), "--report", str(report), "--yes")
    assert result.exit_code == 1 and report.read_text(encoding="utf-8").startswith("line,column")
