"""Credit and debit notes (I6): what the tax authority holds is corrected by notes, never edited.

- `ledger annul` of an entry with a fiscal document goes through here, in the annulment's
  transaction. An authorized (or, with the `none` driver, internally numbered) invoice gets a
  credit note of its letter for its whole amount, associated with it (`CbtesAsoc` when AFIP
  authorizes it); an invoice with notes in force is refused (they are annulled first, or what
  remains is credited). A note is cancelled by the opposite note, associated with it. A draft
  AFIP never saw becomes `void`: there is nothing to cancel. A document in flight (its
  authorization asked, the answer not recorded) cannot be annulled until `invoice authorize`
  has settled it: it may hold a CAE already. A debit note is not annulled while later credit
  notes leave less of its invoice than the debit note added: its cancelling credit note would
  credit more than was invoiced.
- `ledger adjust CODE --credit|--debit AMOUNT --fiscal [--invoice ENTRY]` posts the CX or DX
  and, beside it, a credit or debit note of the invoice's letter associated with it, the
  amount split into net and VAT at the invoice's rate. Without `--invoice` the note corrects
  the client's latest invoice in force (authorized, or internal with the `none` driver, and
  not annulled); the answer names it. A credit never exceeds what remains of the invoice
  after its earlier notes.

A note is a draft that `invoice authorize` sends (after its invoice) with the `afip` driver;
with `none` it is `internal`, numbered in a series of its own per company, point of sale and
document type (the ledger's CX, DX and reversal series would collide under one type).
"""

from __future__ import annotations

from sqlalchemy import func, insert, select

from ispcube.db import models as m
from ispcube.db.fiscal_models import FiscalDocument
from ispcube.db.ledger_models import LedgerEntry
from ispcube.db.uow import UnitOfWork
from ispcube.db.upsert import insert_on_conflict
from ispcube.domain.fiscal import FiscalStatus, fiscal_number
from ispcube.domain.money import format_amount
from ispcube.domain.tax import DEFAULT_VAT_RATE, DocumentKind, Letter, TaxSplit, document_type, split_for_letter
from ispcube.errors import Invalid, Refused, UsageError
from ispcube.services.fiscal.corrected import corrected_invoice, notes_in_force, remaining
from ispcube.services.fiscal.drivers import FiscalDriver, driver_in_use
from ispcube.services.fiscal.parties import company_issuer, receptor_columns, receptor_data
from ispcube.services.ledger.posting import Adjusted, Posted, adjust, entry_label, reserve_numbers
from ispcube.services.ledger.statement import Annulled, annul
from ispcube.services.process.runtime import Runtime

NOTE_WORDS = {DocumentKind.INVOICE: "invoice", DocumentKind.CREDIT_NOTE: "credit note",
              DocumentKind.DEBIT_NOTE: "debit note"}
CANCELLED_BY = {DocumentKind.INVOICE: DocumentKind.CREDIT_NOTE, DocumentKind.DEBIT_NOTE: DocumentKind.CREDIT_NOTE,
                DocumentKind.CREDIT_NOTE: DocumentKind.DEBIT_NOTE}


class FiscalAdjusted(Adjusted, total=False):
    """`ledger adjust --fiscal`: the CX or DX and the note issued beside it."""
    note: str               # "credit note" or "debit note"
    letter: str
    status: str             # internal, or draft until `invoice authorize` sends it
    fiscal_number: str | None
    invoice: int            # the corrected invoice's ledger entry
    invoice_number: str     # as people name it: its fiscal number, else the internal one


def annul_entry(rt: Runtime, entry_ref: str, reason: str | None) -> Annulled:
    """`ledger annul`: the reversal and, for a fiscal document, what cancels it before the tax authority."""
    return annul(rt, entry_ref, reason, beside=cancel_document)


def adjust_entry(rt: Runtime, code: str, *, debit: str | None, credit: str | None, reason: str | None,
                 fiscal: bool = False, invoice: str | None = None) -> FiscalAdjusted:
    """`ledger adjust`: a DX or CX and, with FISCAL, the debit or credit note of INVOICE
    (a ledger entry; None: the client's latest invoice in force)."""
    if not fiscal:
        if invoice is not None:
            raise UsageError("--invoice names the invoice a fiscal note corrects: it goes with --fiscal")
        return FiscalAdjusted(**adjust(rt, code, debit=debit, credit=credit, reason=reason))
    if debit is None and credit is None:
        raise Invalid("--fiscal needs --credit AMOUNT (a credit note) or --debit AMOUNT (a debit note)")
    issued: dict = {}

    def issue(uow: UnitOfWork, client: m.Client, posted: Posted) -> None:
        issued.update(issue_note(uow, client, posted, invoice))

    done = adjust(rt, code, debit=debit, credit=credit, reason=reason, beside=issue)
    return FiscalAdjusted(**done, **issued)


def issue_note(uow: UnitOfWork, client: m.Client, posted: Posted, invoice_ref: str | None) -> dict:
    """The note beside the CX or DX POSTED of CLIENT, correcting INVOICE_REF (see the module)."""
    driver = driver_in_use(uow.session)
    invoice, invoice_entry = corrected_invoice(uow, client, invoice_ref, driver.authorizes)
    kind = DocumentKind.CREDIT_NOTE if posted.amount < 0 else DocumentKind.DEBIT_NOTE
    amount = abs(posted.amount)
    shown = fiscal_number(invoice.letter, invoice.point_of_sale, invoice.number) or \
        entry_label(invoice_entry.kind, invoice_entry.series, invoice_entry.number)
    if kind is DocumentKind.CREDIT_NOTE:
        left = remaining(uow, invoice)
        if amount > left:
            named = shown if shown.startswith("invoice ") else f"invoice {shown}"    # the internal label names it
            raise Refused(f"a credit of {format_amount(amount)} is more than what remains of {named} of "
                          f"client {client.code} ({format_amount(left)} after its earlier notes): a credit note "
                          "never credits more than was invoiced")
    split = split_for_letter(amount, invoice.vat_rate or DEFAULT_VAT_RATE, Letter(invoice.letter))
    entry = uow.session.get(LedgerEntry, posted.entry_id)
    assert entry is not None
    note = write_note(uow, driver, invoice, kind, entry, split)
    return {"note": NOTE_WORDS[kind], "letter": invoice.letter, "status": note.status,
            "fiscal_number": fiscal_number(note.letter, note.point_of_sale, note.number)
            if note.status == FiscalStatus.INTERNAL else None,
            "invoice": invoice_entry.id, "invoice_number": shown}


def cancel_document(uow: UnitOfWork, entry: LedgerEntry, reversal_id: int) -> None:
    """Beside the reversal of ENTRY: what cancels its fiscal document, if it has one."""
    document = uow.session.scalar(select(FiscalDocument).where(FiscalDocument.entry_id == entry.id))
    if document is None or document.status == FiscalStatus.VOID:
        return
    kind = DocumentKind(document.kind)
    word = NOTE_WORDS[kind]
    if document.status == FiscalStatus.IN_FLIGHT:
        raise Refused(f"entry {entry.id} is a {word} whose authorization AFIP may have granted already: run "
                      f"`ispcube invoice authorize` first, then annul it (a {NOTE_WORDS[CANCELLED_BY[kind]]} will "
                      "cancel it)")
    if document.status == FiscalStatus.DRAFT:
        document.status = FiscalStatus.VOID
        return
    if kind is DocumentKind.DEBIT_NOTE:
        _refuse_over_credit(uow, entry, document)
    if kind is DocumentKind.INVOICE:
        standing = notes_in_force(uow, document)
        if standing:
            raise Refused(f"entry {entry.id} is an invoice corrected by notes in force (entries "
                          f"{', '.join(str(e) for e in standing)}): annul them first, or credit what remains "
                          f"({format_amount(remaining(uow, document))}) with `ispcube ledger adjust CODE --credit "
                          f"AMOUNT --fiscal --invoice {entry.id}`")
    reversal = uow.session.get(LedgerEntry, reversal_id)
    assert reversal is not None
    write_note(uow, driver_in_use(uow.session), document, CANCELLED_BY[kind], reversal,
               TaxSplit(document.total, document.net, document.vat, document.vat_rate))


def _refuse_over_credit(uow: UnitOfWork, entry: LedgerEntry, debit_note: FiscalDocument) -> None:
    """Refuse to cancel DEBIT_NOTE (the ledger ENTRY) when the credit note that cancels it would
    take its invoice below nothing: later credit notes already credited what it added."""
    invoice = uow.session.get(FiscalDocument, debit_note.associated_id)
    if invoice is None:
        return
    left = remaining(uow, invoice)
    if debit_note.total <= left:
        return
    invoice_entry = uow.session.get(LedgerEntry, invoice.entry_id)
    assert invoice_entry is not None
    number = fiscal_number(invoice.letter, invoice.point_of_sale, invoice.number)
    shown = f"invoice {number}" if number else entry_label(invoice_entry.kind, invoice_entry.series,
                                                           invoice_entry.number)
    raise Refused(f"entry {entry.id} is a debit note of {shown} whose credit notes leave only "
                  f"{format_amount(left)} of it: the credit note of {format_amount(debit_note.total)} that would "
                  "cancel it credits more than was invoiced (annul a credit note of that invoice first)")


def write_note(uow: UnitOfWork, driver: FiscalDriver, associated: FiscalDocument, kind: DocumentKind,
               entry: LedgerEntry, amounts: TaxSplit) -> FiscalDocument:
    """A note of KIND on ENTRY, of ASSOCIATED's letter, company, receptor and service period,
    associated with it; internal and numbered now, or a draft for `invoice authorize`."""
    internal = driver.status_at_billing is FiscalStatus.INTERNAL
    letter = Letter(associated.letter)
    code = document_type(kind, letter)
    number = _internal_number(uow, associated.company_id, associated.point_of_sale, code) if internal else None
    uow.session.execute(insert(FiscalDocument.__table__).values(
        entry_id=entry.id, client_id=associated.client_id, company_id=associated.company_id,
        kind=kind.value, letter=letter.value, document_type=code, status=driver.status_at_billing.value,
        point_of_sale=associated.point_of_sale, number=number, issued=entry.entry_date if internal else None,
        service_from=associated.service_from, service_to=associated.service_to, payment_due=entry.entry_date,
        total=amounts.total, net=amounts.net, vat=amounts.vat, vat_rate=associated.vat_rate,
        receptor_vat=associated.receptor_vat, receptor_doc_type=associated.receptor_doc_type,
        receptor_doc_number=associated.receptor_doc_number, attempts=0, associated_id=associated.id,
        **(_parties(uow, associated) if internal else {})))
    note = uow.session.scalar(select(FiscalDocument).where(FiscalDocument.entry_id == entry.id))
    assert note is not None
    return note


def _parties(uow: UnitOfWork, associated: FiscalDocument) -> dict[str, str | None]:
    """What a note numbered now keeps of its parties: the company as it is, and the receptor of
    the document it corrects (its own when it kept one, else its client as it is)."""
    company = uow.session.get(m.Company, associated.company_id) if associated.company_id else None
    receptor = associated.receptor
    if receptor is None:
        receptor = receptor_data(*uow.session.execute(
            select(*receptor_columns()).outerjoin(m.PostalCode, m.PostalCode.id == m.Client.postal_code_id)
            .where(m.Client.id == associated.client_id)).one())
    return {"issuer": company_issuer(company), "receptor": receptor}


def _internal_number(uow: UnitOfWork, company_id: int | None, point_of_sale: int | None, code: int) -> int:
    """The next internal number of notes of type CODE: a series per company, point of sale and
    type, started past any number that type already holds there."""
    series = f"fiscal-{company_id or 0}-{point_of_sale or 0}-{code}"
    highest = uow.session.scalar(select(func.max(FiscalDocument.number)).where(
        FiscalDocument.company_id.is_(None) if company_id is None else FiscalDocument.company_id == company_id,
        FiscalDocument.point_of_sale.is_(None) if point_of_sale is None
        else FiscalDocument.point_of_sale == point_of_sale,
        FiscalDocument.document_type == code))
    uow.session.execute(insert_on_conflict(uow.dialect, m.Sequence).values(name=series, value=highest or 0)
                        .on_conflict_do_nothing(index_elements=[m.Sequence.name]))
    return reserve_numbers(uow, series)
