"""Fiscal credit and debit notes from `ledger adjust --fiscal` (I6), on SQLite and PostgreSQL:
authorized against the simulated AFIP with the invoice they correct in the request, numbered
internally with the `none` driver, never crediting more than was invoiced, refused (changing
nothing) for anything but an invoice of the client that the tax authority holds, and printed."""

from decimal import Decimal

from sqlalchemy import func, select

from ispcube.db.fiscal_models import FiscalDocument
from ispcube.db.ledger_models import LedgerEntry
from ispcube.services.fiscal.authorize import authorize
from ispcube.services.fiscal.notes import adjust_entry
from tests.integration.test_fiscal_authorize import CUIT, afip, bill, billed, entry_of, rt  # noqa: F401 - fixtures
from tests.integration.test_fiscal_invoices import pdf_text

FACTURA_A, FACTURA_B = 1, 6
ND_A, NC_B, ND_B = 2, 8, 7


def counts(rt):  # noqa: F811
    """How many ledger entries and fiscal documents there are, and the clients' balances."""
    with rt.uow() as uow:
        return (uow.session.scalar(select(func.count()).select_from(LedgerEntry)),
                uow.session.scalar(select(func.count()).select_from(FiscalDocument)))


def test_credit_and_debit_notes_are_authorized_with_their_invoice_associated(billed, rt, afip, tmp_path):  # noqa: F811
    assert authorize(rt).authorized == 6
    b2 = entry_of(rt, "B2")
    credit = adjust_entry(rt, "B2", credit="5000", debit=None, reason="cinco días sin servicio", fiscal=True,
                          invoice=str(b2))
    assert (credit["kind"], credit["amount"], credit["balance"]) == ("CX", "-5000.00", "13900.00")
    assert (credit["note"], credit["letter"], credit["status"], credit["invoice"], credit["invoice_number"]) == \
        ("credit note", "B", "draft", b2, "B 00003-00000002")
    debit = billed.json("ledger", "adjust", "A1", "--debit", "1000", "--fiscal", "--reason", "visita técnica")
    assert (debit["kind"], debit["note"], debit["letter"], debit["invoice"], debit["invoice_number"]) == \
        ("DX", "debit note", "A", entry_of(rt, "A1"), "A 00003-00000001")     # the latest invoice in force
    run = authorize(rt)
    assert (run.ok, run.authorized, run.line()) == (True, 2, "authorized 0 invoice(s) and 2 note(s)")
    nc, nd = afip.authorized(CUIT, 3, NC_B, 1), afip.authorized(CUIT, 3, ND_A, 1)
    assert nc is not None and [(a.kind, a.point_of_sale, a.number) for a in nc.detail.associated] == \
        [(FACTURA_B, 3, 2)]
    assert (nc.detail.total, nc.detail.net, nc.detail.vat) == \
        (Decimal("5000.00"), Decimal("4132.23"), Decimal("867.77"))
    assert nd is not None and [(a.kind, a.point_of_sale, a.number) for a in nd.detail.associated] == \
        [(FACTURA_A, 3, 1)]
    assert (nd.detail.total, nd.detail.net, nd.detail.vat, nd.detail.doc_number) == \
        (Decimal("1000.00"), Decimal("826.45"), Decimal("173.55"), 20123456786)
    notes = {r["client"]: r for r in billed.json("invoice", "list") if r["kind"] != "invoice"}
    assert {code: (r["title"], r["code"], r["fiscal_number"], r["associated"], r["associated_entry"], r["cae"])
            for code, r in notes.items()} == {
        "B2": ("Nota de Crédito", NC_B, "B 00003-00000001", "invoice B 00003-00000002", b2, nc.cae),
        "A1": ("Nota de Débito", ND_A, "A 00003-00000001", "invoice A 00003-00000001", entry_of(rt, "A1"), nd.cae)}
    out = billed.ok("invoice", "print", str(notes["B2"]["entry"]), "--out", str(tmp_path / "nc.pdf")).stdout
    assert out.startswith("nota de crédito B 00003-00000001 of client B2 written to")
    text = pdf_text(tmp_path / "nc.pdf")
    for words in ("NOTA DE CRÉDITO", "Cód. 008", "Comp. N.º 00000001", "Comprobante asociado: Factura B "
                  "00003-00000002", "cinco días sin servicio", "5.000,00", "IVA contenido", "867,77",
                  f"CAE N.º: {nc.cae}", "01/11/2026 al 30/11/2026"):
        assert words in text, words
    # The statement tells the note from the invoice that has the same number (each kind is numbered apart).
    statement = {r["entry"]: r for r in billed.json("ledger", "show", "B2")}
    assert statement[notes["B2"]["entry"]]["fiscal_number"] == "NC B 00003-00000001"
    assert statement[notes["B2"]["entry"]]["document"].endswith("(NC B 00003-00000001)")
    assert statement[b2]["fiscal_number"] == "B 00003-00000002"
    billed.ok("ledger", "annul", str(notes["B2"]["entry"]), "--reason", "mal cargado")   # an ND cancels the NC
    assert authorize(rt).authorized == 1
    cancel = afip.authorized(CUIT, 3, ND_B, 1)
    assert cancel is not None and [(a.kind, a.point_of_sale, a.number) for a in cancel.detail.associated] == \
        [(NC_B, 3, 1)] and cancel.detail.total == Decimal("5000.00")
    nd_pdf = tmp_path / "nd.pdf"
    billed.ok("invoice", "print", str(notes["A1"]["entry"]), "--out", str(nd_pdf))
    assert all(words in pdf_text(nd_pdf) for words in ("NOTA DE DÉBITO", "Cód. 002", "Neto gravado", "826,45",
                                                       "Comprobante asociado: Factura A 00003-00000001"))


def test_a_credit_never_exceeds_what_remains_of_the_invoice(billed, rt, afip):  # noqa: F811
    authorize(rt)
    b1 = str(entry_of(rt, "B1"))
    billed.ok("ledger", "adjust", "B1", "--credit", "15000", "--fiscal", "--invoice", b1, "--reason", "corte")
    before = counts(rt)
    over = billed("ledger", "adjust", "B1", "--credit", "3900.01", "--fiscal", "--invoice", b1, "--reason", "más")
    assert over.exit_code == 1 and over.stdout == ""
    assert over.stderr.strip() == (
        "ispcube: a credit of 3900.01 is more than what remains of invoice B 00003-00000001 of client B1 (3900.00 "
        "after its earlier notes): a credit note never credits more than was invoiced")
    assert counts(rt) == before and billed.json("client", "show", "B1")["balance"] == "3900.00"
    billed.ok("ledger", "adjust", "B1", "--debit", "100", "--fiscal", "--invoice", b1, "--reason", "reconexión")
    billed.ok("ledger", "adjust", "B1", "--credit", "4000", "--fiscal", "--invoice", b1, "--reason", "todo")
    assert billed.json("client", "show", "B1")["balance"] == "0.00"
    assert billed("ledger", "adjust", "B1", "--credit", "0.01", "--fiscal", "--invoice", b1,
                  "--reason", "x").exit_code == 1
    annul = billed("ledger", "annul", b1, "--reason", "error")     # its notes stand: the invoice is not annulled
    assert annul.exit_code == 1 and "corrected by notes in force" in annul.stderr and counts(rt)[0] == before[0] + 2


def test_refusals_name_why_and_change_nothing(billed, rt, afip):  # noqa: F811
    billed.ok("client", "edit", "A1", "--id-type", "DNI", "--id-number", "30123457")   # A1 stays a draft
    authorize(rt)
    billed.ok("ledger", "annul", str(entry_of(rt, "B4")), "--reason", "baja")          # B4: annulled by an NC
    receipt = billed.json("pay", "B3", "--amount", "100")["entry"]
    before = counts(rt)
    b2, a1, b4 = (str(entry_of(rt, code)) for code in ("B2", "A1", "B4"))
    cases = [
        (("B1", "--credit", "10", "--fiscal", "--invoice", b2), 1, f"entry {b2} (invoice 1-"),
        (("B3", "--credit", "10", "--fiscal", "--invoice", str(receipt)), 1, "is a receipt"),
        (("A1", "--credit", "10", "--fiscal", "--invoice", a1), 1, "is not authorized yet (a draft)"),
        (("B4", "--debit", "10", "--fiscal", "--invoice", b4), 1, "is annulled"),
        (("B1", "--fiscal"), 1, "--fiscal needs --credit AMOUNT (a credit note) or --debit AMOUNT"),
        (("B1", "--credit", "10", "--fiscal", "--invoice", "99999"), 1, "entry 99999 does not exist"),
        (("A1", "--credit", "10", "--fiscal"), 1, "client A1 has no authorized invoice in force"),
        (("B1", "--credit", "10", "--invoice", b2), 2, "it goes with --fiscal"),
    ]
    for args, code, words in cases:
        result = billed("ledger", "adjust", *args, "--reason", "prueba")
        assert (result.exit_code, words in result.stderr, len(result.stderr.strip().splitlines())) == \
            (code, True, 1), (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert counts(rt) == before
    assert "is an invoice of client B2, not of client B1" in billed(
        "ledger", "adjust", "B1", "--credit", "10", "--fiscal", "--invoice", b2, "--reason", "x").stderr


def test_a_void_invoice_takes_no_note(billed, rt, afip):  # noqa: F811
    b1 = str(entry_of(rt, "B1"))
    billed.ok("ledger", "annul", b1, "--reason", "error")          # a draft: void, AFIP never saw it
    refused = billed("ledger", "adjust", "B1", "--credit", "10", "--fiscal", "--invoice", b1, "--reason", "x")
    assert refused.exit_code == 1 and "was annulled before it was numbered (void)" in refused.stderr


def test_the_none_driver_numbers_notes_in_series_of_their_own(cli):
    cli.ok("plan", "add", "--name", "Hogar", "--price", "18900")
    cli.ok("company", "add", "--number", "1", "--name", "Red Sur SRL", "--point-of-sale", "2")
    cli.ok("client", "add", "--code", "B1", "--name", "Beto", "--plan", "Hogar", "--company", "1",
           "--signup-date", "2026-01-01")
    cli.ok("billing", "run", "--period", "2026-11")
    [invoice] = cli.json("invoice", "list")
    entry = str(invoice["entry"])
    out = cli.ok("ledger", "adjust", "B1", "--credit", "1000", "--fiscal", "--reason", "corte").stdout
    assert out.strip().endswith("balance 17900.00; credit note B 00002-00000001, associated with invoice "
                                f"B 00002-00000001 (entry {entry})")
    cx = next(r for r in cli.json("invoice", "list") if r["kind"] == "credit-note")
    assert (cx["status"], cx["net"], cx["vat"], cx["total"], cx["associated"]) == \
        ("internal", "826.45", "173.55", "1000.00", "invoice B 00002-00000001")
    cli.ok("ledger", "annul", str(cx["entry"]), "--reason", "mal cargado")      # an ND cancels the NC
    cli.ok("ledger", "annul", entry, "--reason", "baja")                       # then the invoice takes its NC
    rows = [(r["kind"], r["fiscal_number"], r["total"], r["associated"]) for r in cli.json("invoice", "list")]
    assert rows == [("invoice", "B 00002-00000001", "18900.00", None),
                    ("credit-note", "B 00002-00000001", "1000.00", "invoice B 00002-00000001"),
                    ("debit-note", "B 00002-00000001", "1000.00", "credit-note B 00002-00000001"),
                    ("credit-note", "B 00002-00000002", "18900.00", "invoice B 00002-00000001")]
    assert cli.json("client", "show", "B1")["balance"] == "0.00"


def test_a_debit_note_is_not_annulled_once_later_credits_took_what_it_added(cli, runtime):
    cli.ok("plan", "add", "--name", "Hogar", "--price", "18900")
    cli.ok("company", "add", "--number", "1", "--name", "Red Sur SRL", "--point-of-sale", "2")
    cli.ok("client", "add", "--code", "B1", "--name", "Beto", "--plan", "Hogar", "--company", "1",
           "--signup-date", "2026-01-01")
    cli.ok("billing", "run", "--period", "2026-11")
    debit = str(cli.json("ledger", "adjust", "B1", "--debit", "1000", "--fiscal", "--reason", "visita")["entry"])
    credit = str(cli.json("ledger", "adjust", "B1", "--credit", "19900", "--fiscal", "--reason", "baja")["entry"])
    before = counts(runtime)
    refused = cli("ledger", "annul", debit, "--reason", "mal cargada")
    assert (refused.exit_code, refused.stdout) == (1, "")
    assert refused.stderr == (
        f"ispcube: entry {debit} is a debit note of invoice B 00002-00000001 whose credit notes leave only 0.00 of "
        "it: the credit note of 1000.00 that would cancel it credits more than was invoiced (annul a credit note "
        "of that invoice first)\n")
    assert counts(runtime) == before and cli.json("client", "show", "B1")["balance"] == "0.00"
    cli.ok("ledger", "annul", credit, "--reason", "baja anulada")           # an ND cancels the NC: 19900 remain
    cli.ok("ledger", "annul", debit, "--reason", "mal cargada")             # now an NC of 1000 may cancel the ND
    notes = [(r["kind"], r["total"], r["associated"]) for r in cli.json("invoice", "list") if r["kind"] != "invoice"]
    assert notes == [("debit-note", "1000.00", "invoice B 00002-00000001"),
                     ("credit-note", "19900.00", "invoice B 00002-00000001"),
                     ("debit-note", "19900.00", "credit-note B 00002-00000001"),
                     ("credit-note", "1000.00", "debit-note B 00002-00000001")]
    assert cli.json("client", "show", "B1")["balance"] == "18900.00"


def test_a_letter_c_note_carries_no_vat(cli):
    cli.ok("plan", "add", "--name", "Hogar", "--price", "18900", "--vat-rate", "10.5")
    cli.ok("company", "add", "--number", "2", "--name", "Ana Pérez", "--vat-condition", "monotributo",
           "--point-of-sale", "4")
    cli.ok("client", "add", "--code", "C1", "--name", "Cora", "--plan", "Hogar", "--company", "2",
           "--signup-date", "2026-01-01", "--vat-condition", "responsable-inscripto")
    cli.ok("billing", "run", "--period", "2026-11")
    cli.ok("ledger", "adjust", "C1", "--debit", "333.33", "--fiscal", "--reason", "instalación")
    cli.ok("ledger", "adjust", "C1", "--credit", "19233.33", "--fiscal", "--reason", "baja")     # all of it
    notes = [(r["kind"], r["letter"], r["code"], r["fiscal_number"], r["net"], r["vat"], r["total"])
             for r in cli.json("invoice", "list") if r["kind"] != "invoice"]
    assert notes == [("debit-note", "C", 12, "C 00004-00000001", "333.33", "0.00", "333.33"),
                     ("credit-note", "C", 13, "C 00004-00000001", "19233.33", "0.00", "19233.33")]
