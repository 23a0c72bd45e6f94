"""The client's bank details (K1) and the creditor settings (K2), through the CLI on both backends."""

import csv

import pytest

IBAN = "ES91 2100 0418 4502 0005 1332"          # CaixaBank: schwifty knows its BIC
IBAN_OTHER = "DE89 3704 0044 0532 0130 00"      # Commerzbank Köln


def _client(cli, code):
    return cli.json("client", "show", code)


def test_bank_details_are_stored_in_electronic_form_and_shown_in_groups(cli):
    cli.ok("client", "add", "--code", "S1", "--name", "Lucía Gómez", "--iban", "es91 2100 0418 4502 0005 1332",
           "--mandate-ref", "ISP-S1-2026", "--mandate-date", "2026-01-15", "--payment-method", "sepa")
    shown = _client(cli, "S1")
    assert (shown["iban"], shown["bic"], shown["mandate_ref"], shown["mandate_date"]) == \
        (IBAN, "CAIXESBB", "ISP-S1-2026", "2026-01-15")
    assert shown["account_holder"] is None and shown["cbu"] is None
    cli.ok("client", "edit", "S1", "--iban", IBAN_OTHER, "--account-holder", "Pedro Gómez")
    shown = _client(cli, "S1")
    assert (shown["iban"], shown["bic"], shown["account_holder"]) == (IBAN_OTHER, "COBADEFFXXX", "Pedro Gómez")
    cli.ok("client", "edit", "S1", "--bic", "caixesbbxxx")
    assert _client(cli, "S1")["bic"] == "CAIXESBBXXX"
    cli.ok("client", "add", "--code", "A1", "--name", "Juan", "--cbu", "2850590940090418135201")
    assert _client(cli, "A1")["cbu"] == "2850590940090418135201"


def test_bad_bank_details_are_refused_and_nothing_changes(cli):
    cli.ok("client", "add", "--code", "S1", "--name", "Lucía", "--mandate-ref", "M-1")
    cases = [
        (("--iban", "ES91 2100 0418 4502 0005 1333"), "iban"),
        (("--bic", "CAIXES"), "bic"),
        (("--mandate-ref", "M_1"), "mandate-ref"),
        (("--mandate-ref", "x" * 36), "mandate-ref"),
        (("--mandate-date", "2026-02-30"), "mandate-date"),
        (("--cbu", "2850590940090418135202"), "cbu"),
        (("--account-holder", "y" * 71), "account-holder"),
    ]
    for flags, field in cases:
        refused = cli("client", "add", "--code", "S2", "--name", "Otro", *flags)
        assert refused.exit_code == 1, (flags, refused.stderr)
        assert field in refused.stderr and refused.stderr.count("\n") == 1, refused.stderr
        assert "Traceback" not in refused.stderr
    taken = cli("client", "add", "--code", "S2", "--name", "Otro", "--mandate-ref", "M-1")
    assert taken.exit_code == 1 and "mandate reference 'M-1' already belongs to client S1" in taken.stderr
    assert [c["code"] for c in cli.json("client", "list")] == ["S1"]
    cli.ok("client", "add", "--code", "S2", "--name", "Otro")
    moved = cli("client", "edit", "S2", "--mandate-ref", "M-1")
    assert moved.exit_code == 1 and "already belongs to client S1" in moved.stderr
    assert _client(cli, "S2")["mandate_ref"] is None
    cli.ok("client", "edit", "S1", "--epayment-code", "PAGO-1")
    moved = cli("client", "edit", "S2", "--epayment-code", "PAGO-1")
    assert moved.exit_code == 1 and "electronic payment code 'PAGO-1' already belongs to client S1" in moved.stderr


def test_bank_columns_import_with_spanish_names_and_round_trip_through_export(cli, tmp_path):
    cli.ok("client", "add", "--code", "E1", "--name", "Existente", "--mandate-ref", "M-E1")
    source = tmp_path / "bancos.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["codigo", "nombre", "iban", "titular", "mandato", "fecha_mandato", "cbu"])
        writer.writerow(["S1", "Lucía", IBAN, "Pedro", "M-S1", "2026-01-15", ""])
        writer.writerow(["A1", "Juan", "", "", "", "", "2850590940090418135201"])
    cli.ok("client", "import", str(source))
    assert _client(cli, "S1")["bic"] == "CAIXESBB" and _client(cli, "A1")["cbu"] == "2850590940090418135201"
    csv_out = tmp_path / "clientes.csv"
    cli.ok("export", "clients", "--out", str(csv_out))
    rows = {row["Code"]: row for row in csv.DictReader(csv_out.open(encoding="utf-8-sig"))}
    assert (rows["S1"]["IBAN"], rows["S1"]["BIC"], rows["S1"]["Account holder"], rows["S1"]["Mandate reference"],
            rows["S1"]["Mandate date"], rows["A1"]["CBU"]) == \
        (IBAN, "CAIXESBB", "Pedro", "M-S1", "2026-01-15", "2850590940090418135201")
    cli.ok("client", "import", "--update", str(csv_out))
    assert _client(cli, "S1")["mandate_ref"] == "M-S1"


def test_an_import_refuses_a_mandate_reference_held_twice(cli, tmp_path):
    cli.ok("client", "add", "--code", "E1", "--name", "Existente", "--mandate-ref", "M-E1")
    source = tmp_path / "bancos.csv"
    source.write_text("codigo,nombre,mandato\nS1,Lucía,M-9\nS2,Juan,M-9\nS3,Ana,M-E1\nS4,Eva,M/1//\n",
                      encoding="utf-8")
    refused = cli("client", "import", str(source))
    assert refused.exit_code == 1
    assert "line 3, column mandato: value 'M-9': mandate reference also on line 2" in refused.stderr
    assert "line 4, column mandato: value 'M-E1': already belongs to client E1" in refused.stderr
    assert "line 5, column mandato" in refused.stderr
    assert [c["code"] for c in cli.json("client", "list")] == ["E1"]


def test_creditor_settings_are_checked(cli):
    cli.ok("config", "set", "sepa.creditor_id", "DE98 ZZZ 09999999999")
    assert cli.ok("config", "get", "sepa.creditor_id").stdout.strip() == "DE98ZZZ09999999999"
    cli.ok("config", "set", "sepa.creditor_iban", IBAN)
    assert cli.ok("config", "get", "sepa.creditor_iban").stdout.strip() == "ES9121000418450200051332"
    cli.ok("config", "set", "sepa.creditor_bic", "CAIXESBBXXX")
    cli.ok("config", "set", "sepa.creditor_name", "Fibra del Sur S.L.")
    for key, value in (("sepa.creditor_id", "DE97ZZZ09999999999"), ("sepa.creditor_iban", "ES00 1234"),
                       ("sepa.creditor_bic", "XX"), ("sepa.creditor_name", "n" * 71)):
        refused = cli("config", "set", key, value)
        assert refused.exit_code == 1 and "Traceback" not in refused.stderr, (key, refused.stderr)
    assert cli.ok("config", "get", "sepa.creditor_id").stdout.strip() == "DE98ZZZ09999999999"


def test_a_mandate_signed_after_today_is_refused_everywhere(cli, runtime, tmp_path):
    """Today comes from the runtime's clock: the service is called with a fixed day, the CLI
    with a date a month after the real one."""
    from dataclasses import replace
    from datetime import date, datetime, timedelta

    from ispcube.errors import Invalid
    from ispcube.services.clients.lifecycle import add_client, edit_client
    fixed = replace(runtime, clock=lambda: datetime(2026, 12, 4, 9, 0))
    with pytest.raises(Invalid, match=r"mandate-date '2026-12-05': is after today \(2026-12-04\)"):
        add_client(fixed, {"code": "S1", "name": "Lucía", "mandate_date": "2026-12-05"})
    add_client(fixed, {"code": "S1", "name": "Lucía", "mandate_date": "2026-12-04"})
    with pytest.raises(Invalid, match="is after today"):
        edit_client(fixed, "S1", {"mandate_date": "2027-01-01"})
    assert _client(cli, "S1")["mandate_date"] == "2026-12-04"
    later = (date.today() + timedelta(days=31)).isoformat()
    refused = cli("client", "add", "--code", "S2", "--name", "Otro", "--mandate-date", later)
    assert refused.exit_code == 1 and f"mandate-date '{later}': is after today" in refused.stderr
    refused = cli("client", "edit", "S1", "--mandate-date", later)
    assert refused.exit_code == 1 and _client(cli, "S1")["mandate_date"] == "2026-12-04"
    source = tmp_path / "mandatos.csv"
    source.write_text(f"codigo,nombre,fecha_mandato\nS3,Ana,2025-01-10\nS4,Eva,{later}\n", encoding="utf-8")
    refused = cli("client", "import", str(source))
    assert refused.exit_code == 1
    assert f"line 3, column fecha_mandato: value '{later}': is after today" in refused.stderr
    assert [c["code"] for c in cli.json("client", "list")] == ["S1"]
