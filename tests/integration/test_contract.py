"""Contracts (D3): `client contract CODE --out FILE.pdf` with the model the contract type names."""

from pathlib import Path
import subprocess

import pytest


def pdf_text(path: Path) -> str:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    return " ".join(text.split())   # one line: titles may wrap


@pytest.fixture
def base(cli):
    cli.ok("company", "add", "--number", "1", "--name", "Red Sur SRL", "--tax-id", "30-71234567-9",
           "--address", "Av. Belgrano 1450")
    cli.ok("config", "set", "invoice.due_day", "15")
    cli.ok("plan", "add", "--name", "Hogar 20", "--price", "9500", "--down-kbps", "20000", "--up-kbps", "1500")
    cli.ok("client", "add", "--code", "R1", "--name", "Juana Pérez", "--company", "1", "--plan", "Hogar 20",
           "--fiscal-address", "Amenábar 123", "--id-type", "DNI", "--id-number", "30123456",
           "--signup-date", "2026-03-15", "--contract", "--contract-type", "1",
           "--contract-expiry", "2027-03-15")
    cli.ok("client", "add", "--code", "E1", "--name", "Transporte América S.A.", "--company", "1",
           "--plan", "Hogar 20", "--address", "Bilbao 445", "--contract-type", "2",
           "--activity", "Transporte de cargas", "--contact", "Raúl Fernández")
    return cli


def test_residential_contract(base, tmp_path):
    done = base.ok("client", "contract", "R1", "--out", str(tmp_path / "c.pdf"))
    assert done.stdout.startswith(f"contract 1 of client R1 written to {tmp_path / 'c.pdf'} (")
    text = pdf_text(tmp_path / "c.pdf")
    for expected in ("Residencial", "Juana Pérez", "DNI 30.123.456", "Red Sur SRL (CUIT / NIF 30-71234567-9)",
                     "Amenábar 123", "Hogar 20 — bajada 20 Mbit/s, subida 1,5 Mbit/s",
                     "ARS 9.500,00 (nueve mil quinientos con 00/100)", "Fecha de alta 15/03/2026",
                     "hasta el 15/03/2027", "el día 15 de cada mes"):
        assert expected in text, expected
    assert "empresas" not in text


def test_business_contract_uses_the_second_model(base, tmp_path):
    base.ok("client", "contract", "E1", "--out", str(tmp_path / "c.pdf"))
    text = pdf_text(tmp_path / "c.pdf")
    for expected in ("Contrato de servicio de conectividad a Internet para empresas",
                     "Razón social Transporte América S.A.", "Actividad comercial Transporte de cargas",
                     "Contacto técnico Raúl Fernández", "Bilbao 445", "ARS 9.500,00"):
        assert expected in text, expected
    assert "Residencial" not in text


def test_operators_model_replaces_the_default(base, tmp_path):
    (tmp_path / "c2.html").write_text('{% extends "base" %}{% block content %}'
                                      '<p>MODELO PROPIO para {{ client.name }} ({{ contract.plan.name }})</p>'
                                      '{% endblock %}')
    base.ok("template", "set", "contract-2", str(tmp_path / "c2.html"))
    base.ok("client", "contract", "E1", "--out", str(tmp_path / "c.pdf"))
    assert "MODELO PROPIO para Transporte América S.A. (Hogar 20)" in pdf_text(tmp_path / "c.pdf")


def test_client_without_contract_type_is_refused(base, tmp_path):
    base.ok("client", "add", "--code", "N1", "--name", "Sin Contrato", "--address", "Otra 1")
    result = base("client", "contract", "N1", "--out", str(tmp_path / "c.pdf"))
    assert result.exit_code == 1
    assert result.stderr == ("ispcube: client N1 has no contract type: set it with "
                             "`ispcube client edit N1 --contract-type 1` (or 2)\n")
    missing = base("client", "contract", "ZZ9", "--out", str(tmp_path / "c.pdf"))
    assert missing.exit_code == 1 and "client 'ZZ9' does not exist" in missing.stderr
    assert not (tmp_path / "c.pdf").exists()
