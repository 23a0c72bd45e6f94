"""The duplicate/fraud check (C4) also guards `client edit` and `client import --update`:
taking another client's ID number or service address is refused (exit 4 on edit, the row's
problem on import) unless --allow-duplicate, which is logged; a client never matches itself."""

import csv

import pytest


@pytest.fixture
def base(cli):
    cli.ok("postal-code", "add", "--code", "1414", "--locality", "Palermo")
    cli.ok("client", "add", "--code", "A1", "--name", "Ana", "--id-type", "DNI", "--id-number", "20123456",
           "--address", "Amenábar 123", "--postal-code", "1414")
    cli.ok("client", "add", "--code", "B2", "--name", "Beto", "--id-type", "DNI", "--id-number", "30111222",
           "--address", "Cabildo 900", "--postal-code", "1414")
    return cli


def _state(cli, code):
    shown = cli.json("client", "show", code)
    return shown["id_number"], shown["address"], len(cli.json("client", "log", code))


def _write(path, header, rows):
    with path.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows([header, *rows])
    return path


@pytest.mark.parametrize("args, what", [
    (["--id-type", "DNI", "--id-number", "20.123.456"], "A1 Ana (same ID number)"),
    (["--id-number", "20123456"], "A1 Ana (same ID number)"),
    (["--address", "AMENABAR 123"], "A1 Ana (same service address)"),
])
def test_edit_taking_another_clients_id_or_address_refused(base, args, what):
    before = _state(base, "B2")
    result = base("client", "edit", "B2", *args)
    assert result.exit_code == 4, result.stderr
    assert result.stderr.startswith("ispcube: client B2 'Beto' looks like a duplicate of ")
    assert what in result.stderr and "--allow-duplicate" in result.stderr
    assert result.stderr.count("\n") == 1
    assert _state(base, "B2") == before


def test_edit_taking_a_deleted_debtors_id_flags_possible_fraud(base, runtime):
    from sqlalchemy import update

    from ispcube.db.models import Client
    with runtime.uow() as uow:
        uow.session.execute(update(Client).where(Client.code == "A1").values(balance="800.00"))
        uow.commit()
    base.ok("--yes", "client", "delete", "A1")
    result = base("client", "edit", "B2", "--id-number", "20123456")
    assert result.exit_code == 4
    assert "a deleted client (was A1) owing 800.00: possible fraud" in result.stderr


def test_edit_with_allow_duplicate_changes_and_logs_the_override(base):
    base.ok("client", "edit", "B2", "--id-number", "20123456", "--allow-duplicate")
    assert base.json("client", "show", "B2")["id_number"] == "20.123.456"
    log = base.json("client", "log", "B2")
    assert [e["kind"] for e in log[-2:]] == ["client.edit", "client.duplicate-override"]
    assert "A1 Ana (same ID number)" in log[-1]["message"]


def test_edit_keeping_its_own_id_and_address_is_not_a_duplicate(base):
    base.ok("client", "edit", "A1", "--id-number", "20.123.456", "--address", "Amenabar 123", "--phone",
            "011 4444-5555")
    base.ok("client", "add", "--code", "C3", "--name", "Cata", "--address", "Cabildo 900", "--postal-code", "1414",
            "--allow-duplicate")
    base.ok("client", "edit", "C3", "--nickname", "Vecina de Beto")   # an old, allowed match is not re-asked
    assert base.json("client", "show", "C3")["nickname"] == "Vecina de Beto"


def test_import_update_taking_another_clients_id_refused(base, tmp_path):
    path = _write(tmp_path / "u.csv", ["code", "id_number"], [["B2", "20.123.456"]])
    before = _state(base, "B2")
    result = base("client", "import", str(path), "--update")
    assert result.exit_code == 1
    assert ("line 2, column id_number: value '20.123.456': looks like a duplicate of A1 Ana (same ID number)"
            in result.stderr)
    assert _state(base, "B2") == before


def test_import_update_taking_another_clients_address_refused(base, tmp_path):
    path = _write(tmp_path / "u.csv", ["code", "address"], [["B2", "amenabar 123"]])
    result = base("client", "import", str(path), "--update")
    assert result.exit_code == 1
    assert "line 2, column address: value 'amenabar 123': looks like a duplicate of A1 Ana (same service address)" \
        in result.stderr
    assert base.json("client", "show", "B2")["address"] == "Cabildo 900"


def test_import_update_two_rows_with_one_new_id_refused(base, tmp_path):
    path = _write(tmp_path / "u.csv", ["code", "id_number"], [["A1", "40555666"], ["B2", "40.555.666"]])
    result = base("client", "import", str(path), "--update")
    assert result.exit_code == 1
    assert "line 3, column id_number: value '40.555.666': same ID number as line 2" in result.stderr
    assert [base.json("client", "show", c)["id_number"] for c in ("A1", "B2")] == ["20.123.456", "30.111.222"]


def test_import_new_row_and_update_row_with_one_id_refused(base, tmp_path):
    path = _write(tmp_path / "u.csv", ["code", "name", "id_number"], [["B2", "Beto", "40555666"],
                                                                      ["N1", "Nuevo", "40555666"]])
    result = base("client", "import", str(path), "--update")
    assert result.exit_code == 1 and "line 3, column id_number" in result.stderr
    assert "same ID number as line 2" in result.stderr
    assert [c["code"] for c in base.json("client", "list")] == ["A1", "B2"]


def test_import_update_restating_its_own_keys_is_unchanged(base, tmp_path):
    path = _write(tmp_path / "u.csv", ["code", "id_type", "id_number", "address", "postal_code"],
                  [["A1", "DNI", "20123456", "Amenábar 123", "1414"],
                   ["B2", "DNI", "30.111.222", "Cabildo 900", "1414"]])
    result = base.ok("client", "import", str(path), "--update")
    assert "0 updated, 2 unchanged" in result.stdout


def test_import_update_allow_duplicate_updates_and_logs_the_override(base, tmp_path):
    path = _write(tmp_path / "u.csv", ["code", "id_number"], [["B2", "20123456"]])
    base.ok("client", "import", str(path), "--update", "--allow-duplicate")
    assert base.json("client", "show", "B2")["id_number"] == "20.123.456"
    overrides = [e["message"] for e in base.json("client", "log", "B2") if e["kind"] == "client.duplicate-override"]
    assert len(overrides) == 1 and "A1 Ana (same ID number)" in overrides[0]
