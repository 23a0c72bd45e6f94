"""The client lifecycle (C1-C7) through the CLI, on SQLite and PostgreSQL."""

import pytest


@pytest.fixture
def base(cli):
    cli.ok("postal-code", "add", "--code", "1414", "--locality", "Palermo")
    cli.ok("postal-code", "add", "--code", "X5000", "--locality", "Córdoba")
    cli.ok("status", "add", "--name", "Activo")
    cli.ok("operator", "add", "--name", "ana", "--role", "collector")
    cli.ok("operator", "add", "--name", "beto", "--role", "collector")
    cli.ok("operator", "add", "--name", "sara", "--role", "seller")
    cli.ok("plan", "add", "--name", "Hogar", "--price", "9500")
    cli.ok("node", "add", "--name", "Norte")
    cli.ok("company", "add", "--number", "1", "--name", "Red Sur SRL")
    return cli


def add(cli, code, name, *extra):
    return cli.ok("client", "add", "--code", code, "--name", name, *extra)


def test_add_with_every_field_and_show_json(base):
    base.ok("client", "add", "--code", "A1", "--name", "Transporte de las Américas S.L.",
            "--nickname", "Transporte América", "--fiscal-address", "Bolívar 321",
            "--address", "Bilbao 445", "--client-type", "Empresa", "--id-type", "CUIT",
            "--id-number", "20267565393", "--company", "1", "--street1", "Corrientes",
            "--street2", "Lavalle", "--postal-code", "1414", "--lat", "-34.6", "--lng", "-58.4",
            "--signup-date", "2026-03-15", "--extra1", "pelo rojo", "--extra2", "x",
            "--phone", "011 4555-1234; +54 9 11 5555-0000", "--email", "a@x.com;b@y.org",
            "--contact", "Raúl Fernández", "--epayment-code", "EP-77", "--status", "activo",
            "--payment-method", "transfer", "--collector", "ana", "--seller", "sara",
            "--plan", "Hogar", "--node", "Norte", "--contract", "--contract-type", "2",
            "--contract-expiry", "2027-03-15", "--free", "--no-blockable", "--no-preaviso",
            "--preaviso-days", "1-8", "--activity", "Transporte de cargas")
    shown = base.json("client", "show", "A1")
    assert shown["id_number"] == "20-26756539-3"
    assert shown["phones"] == ["011 4555-1234", "+54 9 11 5555-0000"]
    assert shown["emails"] == ["a@x.com", "b@y.org"]
    assert (shown["fiscal_address"], shown["address"]) == ("Bolívar 321", "Bilbao 445")
    assert (shown["postal_code"], shown["locality"], shown["company"]) == ("1414", "Palermo", 1)
    assert (shown["collector"], shown["seller"], shown["status"]) == ("ana", "sara", "Activo")
    assert (shown["contract"], shown["contract_type"], shown["contract_expiry"]) == (True, 2, "2027-03-15")
    assert (shown["free"], shown["blockable"], shown["preaviso"]) == (True, False, False)
    assert shown["preaviso_days"] == "1-8" and shown["signup_date"] == "2026-03-15"
    assert shown["balance"] == "0.00" and shown["service"] == "active"
    assert shown["deleted"] is False and shown["previous_code"] is None


def test_generated_codes_follow_the_format(base):
    base.ok("config", "set", "client.code_format", "C{n:04d}")
    first = base.json("client", "add", "--name", "Uno")["code"]
    second = base.json("client", "add", "--name", "Dos", "--address", "Otra 2")["code"]
    assert (first, second) == ("C0001", "C0002")


@pytest.mark.parametrize("args, field", [
    (["--signup-date", "2026-02-30"], "signup-date '2026-02-30': is not a date"),
    (["--email", "juan@"], "email 'juan@'"),
    (["--id-type", "DNI", "--id-number", "12ab"], "id-number '12ab'"),
    (["--postal-code", "9999"], "postal-code '9999': no such postal code"),
    (["--lat", "-95"], "lat '-95'"),
    (["--phone", "abc"], "phone 'abc'"),
    (["--status", "Nope"], "status 'Nope'"),
    (["--collector", "sara"], "collector 'sara': operator is a seller"),
    (["--payment-method", "gold"], "payment-method 'gold'"),
    (["--preaviso-days", "9-2"], "preaviso-days '9-2'"),
    (["--contract-type", "3"], "contract-type '3'"),
])
def test_bad_input_refused_and_nothing_written(base, args, field):
    result = base("client", "add", "--name", "Mal", *args)
    assert result.exit_code == 1, result.stderr
    assert field in result.stderr and result.stderr.count("\n") == 1
    assert base.json("client", "list") == []


def test_name_required_and_code_unique(base):
    assert "name" in base("client", "add", "--address", "x").stderr
    add(base, "A1", "Ana")
    duplicate = base("client", "add", "--code", "A1", "--name", "Otra", "--address", "Otra 9")
    assert duplicate.exit_code == 1 and "'A1' is already in use" in duplicate.stderr
    assert base("client", "add", "--code", "ZZ1", "--name", "x").exit_code == 1


def test_duplicate_id_or_address_refused_with_exit_4(base):
    add(base, "A1", "Juan Pérez", "--id-type", "DNI", "--id-number", "20123456",
        "--fiscal-address", "Amenábar 123", "--postal-code", "1414")
    same_id = base("client", "add", "--name", "Otro", "--id-type", "DNI", "--id-number", "20.123.456")
    assert same_id.exit_code == 4 and "A1 Juan Pérez (same ID number)" in same_id.stderr
    same_address = base("client", "add", "--name", "Otra", "--address", "AMENABAR  123.",
                        "--postal-code", "1414")
    assert same_address.exit_code == 4 and "same service address" in same_address.stderr
    other_town = base("client", "add", "--name", "Otra", "--address", "Amenabar 123",
                      "--postal-code", "X5000")
    assert other_town.exit_code == 0
    assert len(base.json("client", "list")) == 2


def test_deleted_debtor_flagged_as_possible_fraud_and_override_logged(base, runtime):
    from sqlalchemy import update

    from ispcube.db.models import Client
    add(base, "A1", "Juan Pérez", "--id-type", "DNI", "--id-number", "20123456")
    with runtime.uow() as uow:  # a debt, as the ledger will leave it
        uow.session.execute(update(Client).where(Client.code == "A1").values(balance="1500.00"))
        uow.commit()
    base.ok("--yes", "client", "delete", "A1")
    again = base("client", "add", "--name", "Juan P.", "--id-type", "DNI", "--id-number", "20123456")
    assert again.exit_code == 4
    assert "deleted client (was A1) owing 1500.00: possible fraud" in again.stderr
    forced = base.json("client", "add", "--name", "Juan P.", "--id-type", "DNI",
                       "--id-number", "20123456", "--allow-duplicate")
    log = base.json("client", "log", forced["code"])
    assert any(e["kind"] == "client.duplicate-override" and "possible fraud" in e["message"] for e in log)


def test_soft_delete_hides_and_restore_brings_back(base):
    add(base, "A1", "Ana")
    base.ok("--yes", "client", "delete", "A1")
    assert base.json("client", "list") == []
    deleted = base.json("client", "list", "--deleted")
    assert [(c["code"][:2], c["previous_code"], c["deleted"]) for c in deleted] == [("ZZ", "A1", True)]
    zz = deleted[0]["code"]
    assert base.json("client", "show", zz)["name"] == "Ana"
    assert base("client", "show", "A1").exit_code == 1
    add(base, "A1", "Nueva Ana", "--address", "Otra 1")
    taken = base("client", "restore", zz)
    assert taken.exit_code == 1 and "--code" in taken.stderr
    base.ok("client", "restore", zz, "--code", "A9")
    assert base.json("client", "show", "A9")["deleted"] is False
    kinds = [e["kind"] for e in base.json("client", "log", "A9")]
    assert kinds == ["client.add", "client.delete", "client.restore"]


def test_recode(base):
    add(base, "A1", "Ana")
    add(base, "A2", "Beto", "--address", "Otra 2")
    assert base("client", "recode", "A1", "A2").exit_code == 1
    base.ok("client", "recode", "A1", "B1")
    shown = base.json("client", "show", "B1")
    assert shown["previous_code"] == "A1"
    assert base("client", "show", "A1").exit_code == 1


def test_edit_changes_only_given_fields_and_logs(base):
    add(base, "A1", "Ana", "--phone", "011 4444-5555", "--email", "ana@x.com")
    base.ok("client", "edit", "A1", "--email", "", "--no-preaviso", "--postal-code", "1414")
    shown = base.json("client", "show", "A1")
    assert shown["emails"] == [] and shown["phones"] == ["011 4444-5555"]
    assert shown["preaviso"] is False and shown["postal_code"] == "1414"
    log = base.json("client", "log", "A1")
    assert log[-1]["kind"] == "client.edit" and "preaviso True -> False" in log[-1]["message"]
    bad = base("client", "edit", "A1", "--email", "nope")
    assert bad.exit_code == 1 and base.json("client", "show", "A1")["emails"] == []
    assert base("client", "edit", "NOPE", "--name", "x").stderr.startswith("ispcube: client 'NOPE' does not exist")


def test_epayment_code_unique(base):
    add(base, "A1", "Ana", "--epayment-code", "777")
    clash = base("client", "add", "--name", "Beto", "--epayment-code", "777")
    assert clash.exit_code == 1 and "belongs to client A1" in clash.stderr


def test_list_filters_combine_and_search_inside_them(base):
    add(base, "A1", "José Pérez", "--postal-code", "1414", "--collector", "ana", "--payment-method", "cash")
    add(base, "A2", "Josefina Perez", "--postal-code", "X5000", "--address", "Otra 2",
        "--collector", "ana", "--payment-method", "cash")
    add(base, "A3", "María PÉREZ", "--postal-code", "1414", "--address", "Otra 3",
        "--collector", "beto", "--payment-method", "card", "--free")
    codes = lambda *args: [c["code"] for c in base.json("client", "list", *args)]  # noqa: E731
    assert codes("--search", "perez") == ["A1", "A2", "A3"]
    assert codes("--search", "PÉREZ", "--postal-code", "1414") == ["A1", "A3"]
    assert codes("--locality", "córdoba") == ["A2"]
    assert codes("--collector", "ana", "--payment-method", "cash", "--search", "jose") == ["A1", "A2"]
    assert codes("--free") == ["A3"] and codes("--no-free") == ["A1", "A2"]
    assert codes("--service", "cut") == [] and codes("--search", "%") == []
    assert codes("--search", "4555") == []
    bad = base("client", "list", "--service", "maybe")
    assert bad.exit_code == 1 and "is not active, throttled, cut or deleted" in bad.stderr


def test_search_finds_phone_email_and_id(base):
    add(base, "A1", "Ana", "--phone", "011 4555-1234", "--email", "Ana.Gomez@Example.com",
        "--id-type", "CUIT", "--id-number", "20267565393")
    for term in ("45551234", "4555-1234", "ana.gomez@example", "20-26756539", "20267565393", "a1"):
        assert [c["code"] for c in base.json("client", "list", "--search", term)] == ["A1"], term


def test_list_csv_and_table_formats(base):
    add(base, "A1", "Ana, la del 3º")
    csv_out = base.ok("--format", "csv", "client", "list").stdout.splitlines()
    assert csv_out[0].startswith("code,name,") and '"Ana, la del 3º"' in csv_out[1]
    table = base.ok("client", "list").stdout
    assert "Ana, la del 3º" in table and "balance" in table


def test_collector_sees_only_own_clients(base):
    add(base, "A1", "Ana Client", "--collector", "ana")
    add(base, "B1", "Beto Client", "--collector", "beto", "--address", "Otra 1")
    assert [c["code"] for c in base.json("--operator", "ana", "client", "list")] == ["A1"]
    hidden = base("--operator", "ana", "client", "show", "B1")
    assert hidden.exit_code == 1 and "does not exist" in hidden.stderr
    for args in (["edit", "B1", "--name", "x"], ["delete", "B1"], ["recode", "B1", "B2"],
                 ["tickets", "block", "B1", "--message", "x"]):
        refused = base("--yes", "--operator", "ana", "client", *args)
        assert refused.exit_code == 1 and "'B1' does not exist" in refused.stderr, args
    assert base.json("client", "show", "B1")["name"] == "Beto Client"


def test_notes_and_tickets(base):
    add(base, "A1", "Ana")
    base.ok("operator", "add", "--name", "oficina", "--role", "operator")
    base.ok("--operator", "oficina", "client", "note", "add", "A1", "dijo que paga el lunes")
    notes = base.json("client", "note", "list", "A1")
    assert notes[0]["author"] == "oficina" and notes[0]["text"] == "dijo que paga el lunes"
    assert base.json("client", "show", "A1")["last_notes"][0]["text"] == "dijo que paga el lunes"
    assert base("client", "tickets", "block", "A1", "--message", " ").exit_code == 1
    base.ok("client", "tickets", "block", "A1", "--message", "Comuníquese con la oficina")
    shown = base.json("client", "show", "A1")
    assert shown["tickets_blocked"] is True and shown["tickets_message"] == "Comuníquese con la oficina"
    base.ok("client", "tickets", "enable", "A1")
    assert base.json("client", "show", "A1")["tickets_blocked"] is False
    unknown = base("client", "tickets", "block", "A1", "NOPE", "--message", "x")
    assert unknown.exit_code == 1 and base.json("client", "show", "A1")["tickets_blocked"] is False
