"""The client listing (C11): `client list [filters] --template listing --out FILE.pdf|.html`."""

from decimal import Decimal
from pathlib import Path
import subprocess

import pytest
from sqlalchemy import insert, select

from ispcube.db import models as m


def pdf_text(path: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(["pdftotext", "-layout", *pages, str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def pdf_pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:")))


def squeeze(text: str) -> str:
    return "\n".join(" ".join(line.split()) for line in text.splitlines())


@pytest.fixture
def base(cli):
    cli.ok("company", "add", "--number", "1", "--name", "Red Sur SRL", "--tax-id", "30-71234567-9")
    cli.ok("postal-code", "add", "--code", "1414", "--locality", "Palermo")
    cli.ok("postal-code", "add", "--code", "X5000", "--locality", "Córdoba")
    cli.ok("operator", "add", "--name", "ana", "--role", "collector")
    cli.ok("client", "add", "--code", "A1", "--name", "José Pérez", "--postal-code", "1414",
           "--address", "Gorriti 4500", "--phone", "011 4555-1234", "--collector", "ana")
    cli.ok("client", "add", "--code", "A2", "--name", "Lucía Gómez", "--postal-code", "1414",
           "--address", "Thames 1200")
    cli.ok("client", "add", "--code", "B1", "--name", "Carlos Díaz", "--postal-code", "X5000",
           "--address", "Colón 50")
    cli.ok("ledger", "adjust", "A1", "--debit", "1500.25", "--reason", "abono")
    cli.ok("ledger", "adjust", "A2", "--credit", "200", "--reason", "bonificación")
    cli.ok("client", "disable", "A1", "--reason", "deuda")
    return cli


def test_filtered_listing_to_pdf_with_totals(base, tmp_path):
    done = base.ok("client", "list", "--locality", "Palermo", "--template", "listing",
                   "--out", str(tmp_path / "l.pdf"))
    assert done.stdout == f"listing of 2 client(s) written to {tmp_path / 'l.pdf'} (1 page)\n"
    text = squeeze(pdf_text(tmp_path / "l.pdf"))
    assert "Red Sur SRL" in text and "Localidad: Palermo" in text
    assert "A1 José Pérez Gorriti 4500 Palermo 011 4555-1234" in text and "cortado 1.500,25" in text
    assert "A2 Lucía Gómez Thames 1200 Palermo" in text and "activo -200,00" in text
    assert "Carlos Díaz" not in text
    for line in ("Clientes listados 2", "Con servicio cortado 1", "Deuda total (saldos deudores) ARS 1.500,25",
                 "Saldos a favor ARS 200,00", "Saldo total ARS 1.300,25"):
        assert line in text, line


def test_listing_as_html_is_self_contained(base, tmp_path):
    base.ok("client", "list", "--search", "diaz", "--out", str(tmp_path / "l.html"))
    html = (tmp_path / "l.html").read_text(encoding="utf-8")
    assert "<td>Carlos Díaz</td>" in html and "José Pérez" not in html
    assert "Búsqueda: «diaz»" in html
    assert "http" not in html.replace('http-equiv', '') and "<link" not in html


def test_listing_replaces_its_own_file_and_refuses_anothers_without_yes(base, tmp_path):
    out = tmp_path / "l.html"
    base.ok("client", "list", "--search", "diaz", "--out", str(out))
    base.ok("client", "list", "--search", "gomez", "--out", str(out))      # ours: replaced
    assert "Lucía Gómez" in out.read_text(encoding="utf-8")
    out.write_text(out.read_text(encoding="utf-8") + "<p>edited by hand</p>\n", encoding="utf-8")
    refused = base("client", "list", "--out", str(out))
    assert refused.exit_code == 2 and "already exists and ispcube did not write it" in refused.stderr
    assert out.read_text(encoding="utf-8").endswith("<p>edited by hand</p>\n")
    base.ok("--yes", "client", "list", "--out", str(out))
    assert "edited by hand" not in out.read_text(encoding="utf-8")


def test_collector_lists_only_own_clients(base, tmp_path):
    base.ok("--operator", "ana", "client", "list", "--template", "listing", "--out", str(tmp_path / "l.html"))
    html = (tmp_path / "l.html").read_text(encoding="utf-8")
    assert "José Pérez" in html and "Lucía Gómez" not in html and "Carlos Díaz" not in html


@pytest.mark.parametrize("args, error", [
    (["--template", "receipt", "--out", "l.pdf"], "--template 'receipt' is not a listing template"),
    (["--template", "listing"], "--out FILE is required"),
    (["--template", "listing", "--out", "l.xlsx"], "--out 'l.xlsx' must end in .pdf or .html"),
    (["--service", "gone", "--out", "l.pdf"], "service 'gone' is not active, throttled, cut or deleted"),
])
def test_bad_listing_requests(base, tmp_path, monkeypatch, args, error):
    monkeypatch.chdir(tmp_path)
    result = base("client", "list", *args)
    assert result.exit_code == 1 and error in result.stderr and result.stderr.count("\n") == 1
    assert not list(tmp_path.glob("l.*"))


def add_many(runtime, count: int) -> None:
    rows = [{"code": f"L{n:04d}", "name": f"Cliente Largo Número {n}", "address": f"Calle {n}",
             "address_key": "", "phones": "", "emails": "", "search_text": f"l{n:04d}",
             "balance": Decimal(n), "service": "active", "contract": False, "free": False,
             "blockable": True, "preaviso": True, "tickets_blocked": False, "deleted": False}
            for n in range(1, count + 1)]
    with runtime.engine.begin() as conn:
        conn.execute(insert(m.Client), rows)
        assert conn.scalar(select(m.Client.id).where(m.Client.code == "L0001")) is not None


def test_long_listing_repeats_its_head_on_every_page(cli, runtime, tmp_path):
    cli.ok("company", "add", "--number", "1", "--name", "Red Sur SRL")
    add_many(runtime, 130)
    cli.ok("client", "list", "--template", "listing", "--out", str(tmp_path / "l.pdf"))
    pages = pdf_pages(tmp_path / "l.pdf")
    assert pages >= 3
    for page in range(1, pages + 1):
        text = squeeze(pdf_text(tmp_path / "l.pdf", page))
        assert "Red Sur SRL" in text and "Código Nombre Domicilio" in text, page
        assert f"Página {page} de {pages}" in text
    everything = squeeze(pdf_text(tmp_path / "l.pdf"))
    assert all(f"L{n:04d} Cliente Largo Número {n}" in everything for n in range(1, 131))
    assert "Clientes listados 130" in everything and "Saldo total ARS 8.515,00" in everything
