"""Invoices listed, shown and printed (I2, I8): the fiscal number once AFIP gave it, the PDF
read back with pdftotext, and the RG 4892 QR decoded from the printed page."""

import base64
import json
import subprocess

from PIL import Image
import zxingcpp

from ispcube.services.fiscal.authorize import authorize
from tests.integration.test_fiscal_authorize import CUIT, afip, bill, rt  # noqa: F401 - fixtures


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def qr_of(path, tmp_path) -> dict:
    """The JSON of the QR printed on the first page of PATH, read from the rendered page."""
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")],
                   check=True)
    page = next(tmp_path.glob("page*.png"))
    found = zxingcpp.read_barcodes(Image.open(page))
    assert len(found) == 1, "one QR on the page"
    url = found[0].text
    assert url.startswith("https://www.afip.gob.ar/fe/qr/?p=")
    return json.loads(base64.b64decode(url.split("?p=", 1)[1]))


def test_invoices_listed_shown_and_printed_with_cae_and_qr(cli, afip, rt, tmp_path, monkeypatch):  # noqa: F811
    bill(cli, afip, tmp_path, monkeypatch)
    drafts = cli.json("invoice", "list", "--period", "2026-11")
    assert {(r["client"], r["status"], r["fiscal_number"]) for r in drafts} == \
        {(code, "draft", None) for code in ("A1", "A2", "B1", "B2", "B3", "B4")}
    draft = next(r for r in drafts if r["client"] == "B1")
    cli.ok("invoice", "print", str(draft["entry"]), "--out", str(tmp_path / "borrador.pdf"))
    assert "Comprobante aún no autorizado por AFIP: no válido como factura." in pdf_text(tmp_path / "borrador.pdf")
    assert authorize(rt).ok
    listed = {r["client"]: r for r in cli.json("invoice", "list", "--status", "authorized")}
    assert (listed["A1"]["fiscal_number"], listed["B4"]["fiscal_number"]) == ("A 00003-00000001", "B 00003-00000004")
    a1 = cli.json("invoice", "show", str(listed["A1"]["entry"]))
    assert (a1["letter"], a1["code"], a1["net"], a1["vat"], a1["total"], a1["receptor_doc_number"]) == \
        ("A", 1, "15619.83", "3280.17", "18900.00", 20123456786)
    out = cli.ok("invoice", "print", str(a1["entry"]), "--out", str(tmp_path / "a1.pdf")).stdout
    assert out.startswith("factura A 00003-00000001 of client A1 written to")
    text = pdf_text(tmp_path / "a1.pdf")
    for words in ("Cód. 001", "Comp. N.º 00000001", "Punto de venta: 00003", "Empresa A1", "20-12345678-6",
                  "IVA Responsable Inscripto", "Neto gravado", "15.619,83", "IVA 21 %",
                  "Vencimiento del pago: 30/11/2026", "3.280,17", "18.900,00",
                  f"CAE N.º: {a1['cae']}", "Servicio de internet 2026-11", "01/11/2026 al 30/11/2026"):
        assert words in text, words
    assert qr_of(tmp_path / "a1.pdf", tmp_path) == {
        "ver": 1, "fecha": "2026-11-30", "cuit": CUIT, "ptoVta": 3, "tipoCmp": 1, "nroCmp": 1, "importe": 18900,
        "moneda": "PES", "ctz": 1, "tipoDocRec": 80, "nroDocRec": 20123456786, "tipoCodAut": "E",
        "codAut": int(a1["cae"])}
    done = cli.json("invoice", "print", "--period", "2026-11", "--out-dir", str(tmp_path))
    assert done["invoices"] == 6 and str(tmp_path / "factura-B-00003-00000002.pdf") in done["files"]
    b2 = pdf_text(tmp_path / "factura-B-00003-00000002.pdf")
    assert "Cód. 006" in b2 and "Neto gravado" not in b2 and "IVA contenido" in b2 and "3.280,17" in b2
    again = cli("invoice", "print", "--period", "2026-11", "--out-dir", str(tmp_path))
    assert again.exit_code == 0                        # our own files are replaced


def test_the_none_driver_lists_the_internal_number(cli):
    cli.ok("plan", "add", "--name", "Hogar", "--price", "18900")
    cli.ok("company", "add", "--number", "1", "--name", "Red Sur SRL", "--point-of-sale", "2")
    cli.ok("client", "add", "--code", "B1", "--name", "Beto", "--plan", "Hogar", "--company", "1",
           "--signup-date", "2026-01-01")
    cli.ok("billing", "run", "--period", "2026-11")
    [row] = cli.json("invoice", "list")
    assert (row["status"], row["internal"], row["fiscal_number"], row["letter"]) == \
        ("internal", "invoice 1-1", "B 00002-00000001", "B")
    missing = cli("invoice", "show", "99")
    assert missing.exit_code == 1 and "invoice 99 does not exist" in missing.stderr
    wrong = cli("invoice", "print", "--period", "2026-11")
    assert wrong.exit_code == 2 and "--period YYYY-MM --out-dir DIR" in wrong.stderr
