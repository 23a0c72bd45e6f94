"""A fiscal document shows both parties as they were when it was issued (I2), on SQLite and
PostgreSQL: an invoice authorized by the loopback AFIP, or numbered by the `none` driver,
prints the same issuer and receptor after the company and the client are edited; a draft
billed after the edits shows them."""

from ispcube.services.fiscal.authorize import authorize
from tests.integration.test_fiscal_authorize import afip, bill, entry_of, rt  # noqa: F401 - fixtures
from tests.integration.test_fiscal_invoices import pdf_text, qr_of
from tests.support.afip import CUIT

OLD = ("Red Sur SRL", f"CUIT / NIF: {CUIT}", "Av. Colón 100, Córdoba", "IVA Responsable Inscripto",
       "Ingresos Brutos: 901-123456-7", "Inicio de actividades: 01/04/2019",
       "Empresa A1", "Bolívar 321", "Transporte de cargas")
NEW = ("Otra Red SA", "CUIT / NIF: 30-71234567-1", "Calle Nueva 9", "Responsable Monotributo",
       "Ingresos Brutos: 999-1", "Inicio de actividades: 02/01/2024",
       "Nuevo Nombre SA", "Mitre 55")


def fiscal_data_before(cli):
    cli.ok("company", "edit", "1", "--address", "Av. Colón 100, Córdoba", "--gross-income", "901-123456-7",
           "--activity-start", "2019-04-01")
    cli.ok("client", "edit", "A1", "--fiscal-address", "Bolívar 321", "--activity", "Transporte de cargas")


def fiscal_data_after(cli):
    cli.ok("company", "edit", "1", "--name", "Otra Red SA", "--tax-id", "30-71234567-1", "--address",
           "Calle Nueva 9", "--vat-condition", "monotributo", "--activity-start", "2024-01-02",
           "--gross-income", "999-1")
    cli.ok("client", "edit", "A1", "--name", "Nuevo Nombre SA", "--vat-condition", "consumidor-final",
           "--fiscal-address", "Mitre 55", "--activity", "")


def printed(cli, entry, path) -> str:
    cli.ok("invoice", "print", str(entry), "--out", str(path))
    return pdf_text(path)


def assert_shows(text, shown, hidden):
    for words in shown:
        assert words in text, words
    for words in hidden:
        assert words not in text, words


def test_an_authorized_invoice_keeps_both_parties_as_issued(cli, afip, rt, tmp_path, monkeypatch):  # noqa: F811
    bill(cli, afip, tmp_path, monkeypatch)
    fiscal_data_before(cli)
    assert authorize(rt).line() == "authorized 6 invoice(s)"
    a1 = entry_of(rt, "A1")
    issued = printed(cli, a1, tmp_path / "a1.pdf")
    assert_shows(issued, OLD, NEW)
    fiscal_data_after(cli)
    again = printed(cli, a1, tmp_path / "a1-after.pdf")
    assert_shows(again, OLD, NEW)
    assert "Condición frente al IVA IVA Responsable Inscripto" in " ".join(again.split())   # the receptor's too
    assert qr_of(tmp_path / "a1-after.pdf", tmp_path)["cuit"] == CUIT
    shown = cli.json("invoice", "show", str(a1))
    assert (shown["letter"], shown["receptor_vat"]) == ("A", "IVA Responsable Inscripto")

    cli.ok("billing", "run", "--period", "2026-12")          # a draft after the edits: as they are now
    [december] = [r for r in cli.json("invoice", "list", "--period", "2026-12", "--client", "A1")]
    draft = printed(cli, december["entry"], tmp_path / "a1-draft.pdf")
    assert_shows(draft, NEW, ("Red Sur SRL", "Av. Colón", "Bolívar 321", "01/04/2019", "Empresa A1"))
    assert "Condición frente al IVA Consumidor Final" in " ".join(draft.split())


def test_notes_are_named_apart_and_keep_their_invoice_receptor(cli, afip, rt, tmp_path, monkeypatch):  # noqa: F811
    bill(cli, afip, tmp_path, monkeypatch)
    fiscal_data_before(cli)
    assert authorize(rt).ok
    cli.ok("ledger", "adjust", "A1", "--credit", "1000", "--fiscal", "--reason", "corte de servicio")
    fiscal_data_after(cli)
    assert authorize(rt).line() == "authorized 0 invoice(s) and 1 note(s)"
    [note] = [r for r in cli.json("invoice", "list", "--client", "A1") if r["kind"] == "credit-note"]
    assert note["status"] == "authorized"
    text = printed(cli, note["entry"], tmp_path / "nc.pdf")
    # issued after the company edit: the company as it is; the receptor its invoice's, as AFIP got it
    assert_shows(text, ("Otra Red SA", "Responsable Monotributo", "Empresa A1", "Bolívar 321"),
                 ("Red Sur SRL", "Nuevo Nombre SA", "Mitre 55"))


def test_the_none_driver_keeps_both_parties_from_billing(cli, tmp_path):
    cli.ok("plan", "add", "--name", "Hogar", "--price", "18900")
    cli.ok("company", "add", "--number", "1", "--name", "Red Sur SRL", "--tax-id", str(CUIT),
           "--point-of-sale", "2")
    cli.ok("client", "add", "--code", "A1", "--name", "Empresa A1", "--plan", "Hogar", "--company", "1",
           "--signup-date", "2026-01-01", "--vat-condition", "responsable-inscripto",
           "--id-type", "CUIT", "--id-number", "20-12345678-6")
    fiscal_data_before(cli)
    cli.ok("billing", "run", "--period", "2026-11")
    [invoice] = cli.json("invoice", "list")
    assert invoice["status"] == "internal"
    fiscal_data_after(cli)
    assert_shows(printed(cli, invoice["entry"], tmp_path / "a1.pdf"), OLD, NEW)
    cli.ok("ledger", "adjust", "A1", "--credit", "1000", "--fiscal", "--reason", "corte de servicio")
    [note] = [r for r in cli.json("invoice", "list") if r["kind"] == "credit-note"]
    assert_shows(printed(cli, note["entry"], tmp_path / "nc.pdf"),
                 ("Otra Red SA", "Responsable Monotributo", "Empresa A1", "Bolívar 321"),
                 ("Red Sur SRL", "Nuevo Nombre SA", "Mitre 55"))
    cli.ok("billing", "run", "--period", "2026-12")
    [december] = cli.json("invoice", "list", "--period", "2026-12")
    assert_shows(printed(cli, december["entry"], tmp_path / "dec.pdf"), NEW, ("Red Sur SRL", "Empresa A1"))
