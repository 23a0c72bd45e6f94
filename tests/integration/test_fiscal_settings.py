"""The tax model's settings and data (I1, I3): company fiscal data, client and plan VAT, the
fiscal settings, on SQLite and PostgreSQL."""

import json
import os

from sqlalchemy import select

from ispcube.db import models as m
from ispcube.domain.text import quoted
from tests.support.afip import authority, company, make_identity


def _files(tmp_path, key_mode=0o600, identity=None, name="isp"):
    identity = identity or company()
    cert, key = tmp_path / f"{name}.crt", tmp_path / f"{name}.key"
    cert.write_bytes(identity.certificate_pem)
    key.write_bytes(identity.key_pem)
    os.chmod(key, key_mode)
    return cert, key


def _key_material(key) -> str:
    """A line from inside the PEM key, which no output may hold."""
    return key.read_text().splitlines()[1]


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
        assert str(tmp_path) not in shown and _key_material(key) not in shown
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


def test_company_refuses_afip_files_that_are_not_a_certificate_and_its_key(cli, tmp_path, runtime):
    """A key given as the certificate, any other file, or the key of another certificate is
    refused by company add|edit, in one sentence that shows none of the key, and nothing changes
    (before, only the tax authority's login found out, at night)."""
    cert, key = _files(tmp_path)
    other_cert, other_key = _files(tmp_path, identity=make_identity("another", authority()), name="other")
    junk = tmp_path / "junk.pem"
    junk.write_bytes(b"\xff\xfe not a certificate\n")
    os.chmod(junk, 0o600)
    cli.ok("company", "add", "--number", "1", "--name", "Red Sur SRL", "--afip-cert", str(cert), "--afip-key",
           str(key))
    with runtime.uow() as uow:
        before = [(c.afip_cert, c.afip_key) for c in uow.session.scalars(select(m.Company))]
    cert_file, key_file = "company afip-cert: AFIP certificate file", "company afip-key: AFIP key file"
    for args, says in (
            (("--afip-cert", str(key)), f"{cert_file} {quoted(str(key))} does not hold a PEM certificate"),
            (("--afip-cert", str(junk)), f"{cert_file} {quoted(str(junk))} does not hold a PEM certificate"),
            (("--afip-key", str(junk)), f"{key_file} {quoted(str(junk))} does not hold an unencrypted PEM private key"),
            (("--afip-key", str(other_key)), f"company 1: the AFIP key {other_key} does not belong to the "
                                             f"certificate {cert}: give both files of one certificate"),
            (("--afip-cert", str(other_cert)), f"company 1: the AFIP key {key} does not belong to the "
                                               f"certificate {other_cert}")):
        refused = cli("company", "edit", "1", *args)
        assert refused.exit_code == 1 and refused.stderr.startswith(f"ispcube: {says}"), refused.stderr
        assert _key_material(key) not in refused.stderr + refused.stdout
    added = cli("company", "add", "--number", "2", "--name", "Otra SA", "--afip-cert", str(cert), "--afip-key",
                str(other_key))
    assert added.exit_code == 1 and "company 2: the AFIP key" in added.stderr
    with runtime.uow() as uow:
        assert [(c.afip_cert, c.afip_key) for c in uow.session.scalars(select(m.Company))] == before
    cli.ok("company", "edit", "1", "--afip-cert", str(other_cert), "--afip-key", str(other_key))
    cli.ok("company", "edit", "1", "--phone", "351 555 0101")


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
