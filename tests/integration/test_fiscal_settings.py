"""The tax model's settings and data (I1, I3): company fiscal data, client and plan VAT, the
fiscal settings, on SQLite and PostgreSQL."""

import json
import os

from sqlalchemy import select

from ispcube.db import models as m


def _files(tmp_path, key_mode=0o600):
    cert, key = tmp_path / "isp.crt", tmp_path / "isp.key"
    cert.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    key.write_text("-----BEGIN PRIVATE KEY-----\nsecret-key-material\n-----END PRIVATE KEY-----\n")
    os.chmod(key, key_mode)
    return cert, key


def test_company_fiscal_data_and_the_afip_files_never_printed(cli, tmp_path, runtime):
    cert, key = _files(tmp_path)
    cli.ok("company", "add", "--number", "1", "--name", "Red Sur SRL", "--tax-id", "30-71234567-1",
           "--vat-condition", "responsable-inscripto", "--point-of-sale", "3", "--activity-start", "2019-04-01",
           "--gross-income", "901-123456-7", "--afip-cert", str(cert), "--afip-key", str(key))
    listed = cli.ok("--format", "json", "company", "list").stdout
    row = json.loads(listed)[0]
    assert (row["vat_condition"], row["point_of_sale"], row["activity_start"], row["gross_income"]) == \
        ("responsable-inscripto", 3, "2019-04-01", "901-123456-7")
    assert (row["afip_cert"], row["afip_key"]) == ("set", "set")
    for shown in (listed, cli.ok("company", "list").stdout):
        assert str(tmp_path) not in shown and "secret-key-material" not in shown
    with runtime.uow() as uow:
        company = uow.session.scalars(select(m.Company)).one()
        assert (company.afip_cert, company.afip_key) == (str(cert), str(key))
    cli.ok("company", "edit", "1", "--vat-condition", "monotributo", "--point-of-sale", "")
    row = json.loads(cli.ok("--format", "json", "company", "list").stdout)[0]
    assert (row["vat_condition"], row["point_of_sale"]) == ("monotributo", None)


def test_company_refuses_a_key_others_may_read_and_bad_fiscal_values(cli, tmp_path):
    cert, key = _files(tmp_path, key_mode=0o644)
    cli.ok("company", "add", "--number", "1", "--name", "Red Sur SRL")
    open_key = cli("company", "edit", "1", "--afip-key", str(key))
    assert open_key.exit_code == 1
    assert "company afip-key: AFIP key file" in open_key.stderr and "can be read by others: make it 0600" \
        in open_key.stderr
    missing = cli("company", "edit", "1", "--afip-cert", str(tmp_path / "none.crt"))
    assert missing.exit_code == 1 and "cannot read" not in missing.stdout and "No such file" in missing.stderr
    vat = cli("company", "edit", "1", "--vat-condition", "consumidor-final")
    assert vat.exit_code == 1 and "is not one of: responsable-inscripto, monotributo, exento" in vat.stderr
    point = cli("company", "edit", "1", "--point-of-sale", "99999")
    assert point.exit_code == 1 and "out of range (1 to 99998)" in point.stderr


def test_client_vat_condition_is_consumidor_final_unless_given(cli):
    cli.ok("client", "add", "--code", "A1", "--name", "Ana")
    cli.ok("client", "add", "--code", "B2", "--name", "Bodega SA", "--vat-condition", "responsable-inscripto")
    shown = json.loads(cli.ok("--format", "json", "client", "show", "A1").stdout)
    assert shown["vat_condition"] == "consumidor-final"
    cli.ok("client", "edit", "A1", "--vat-condition", "6")
    assert json.loads(cli.ok("--format", "json", "client", "show", "A1").stdout)["vat_condition"] == "monotributo"
    assert json.loads(cli.ok("--format", "json", "client", "show", "B2").stdout)["vat_condition"] == \
        "responsable-inscripto"
    bad = cli("client", "edit", "A1", "--vat-condition", "gremio")
    assert bad.exit_code == 1 and "vat-condition 'gremio'" in bad.stderr


def test_client_import_reads_the_vat_condition_column(cli, tmp_path):
    source = tmp_path / "clientes.csv"
    source.write_text("codigo,nombre,condicion_iva\nC1,Carla,monotributo\nC2,Carlos,\n", encoding="utf-8")
    cli.ok("client", "import", str(source))
    assert json.loads(cli.ok("--format", "json", "client", "show", "C1").stdout)["vat_condition"] == "monotributo"
    assert json.loads(cli.ok("--format", "json", "client", "show", "C2").stdout)["vat_condition"] == \
        "consumidor-final"


def test_plan_vat_rate_and_the_fiscal_settings(cli):
    cli.ok("plan", "add", "--name", "Empresa", "--price", "30000", "--vat-rate", "27")
    cli.ok("plan", "add", "--name", "Hogar", "--price", "18900")
    plans = {p["name"]: p["vat_rate"] for p in json.loads(cli.ok("--format", "json", "plan", "list").stdout)}
    assert float(plans["Empresa"]) == 27 and plans["Hogar"] is None
    bad = cli("plan", "edit", "Hogar", "--vat-rate", "19")
    assert bad.exit_code == 1 and "VAT rate '19' is not one of: 21, 10.5, 27" in bad.stderr
    assert cli.ok("config", "get", "tax.vat_rate").stdout.strip() == "21"
    cli.ok("config", "set", "tax.vat_rate", "10,5")
    assert cli.ok("config", "get", "tax.vat_rate").stdout.strip() == "10.5"
    assert cli.ok("config", "get", "fiscal.driver").stdout.strip() == "none"
    cli.ok("config", "set", "fiscal.driver", "afip")
    driver = cli("config", "set", "fiscal.driver", "sii")
    assert driver.exit_code == 1 and "fiscal driver 'sii' is not one of: none, afip" in driver.stderr
    assert cli.ok("config", "get", "afip.environment").stdout.strip() == "testing"
    environment = cli("config", "set", "afip.environment", "homologacion")
    assert environment.exit_code == 1 and "is not one of: testing, production" in environment.stderr
    cli.ok("config", "set", "afip.wsfe_url", "http://127.0.0.1:8080/wsfev1/service.asmx")
    url = cli("config", "set", "afip.wsaa_url", "wsaa.example")
    assert url.exit_code == 1 and "is not an http:// or https:// address" in url.stderr
