"""The invoice a fiscal note corrects (I6), and what is left of it after its notes.

A note names one invoice of its client that the tax authority holds: authorized by AFIP (or,
with the `none` driver, numbered internally), not annulled, not a draft nor in flight. What
remains of an invoice is its total, less its credit notes, plus its debit notes, each
counted with the note that cancelled it (a note is cancelled by the opposite one, associated
with it); void drafts count for nothing. Two notes of one invoice are never checked against
the same remainder: each is written after its CX, DX or reversal has moved the client's
balance, which holds the client's row until it commits, so the second reads the first.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import exists, select
from sqlalchemy.orm import aliased

from ispcube.db import models as m
from ispcube.db.fiscal_models import FiscalDocument
from ispcube.db.ledger_models import LedgerEntry
from ispcube.db.uow import UnitOfWork
from ispcube.domain.fiscal import FiscalStatus
from ispcube.domain.numbers import parse_id
from ispcube.domain.tax import DocumentKind
from ispcube.errors import NotFound, Refused
from ispcube.services.ledger.posting import KIND_NAMES, entry_label

IN_FORCE = (FiscalStatus.AUTHORIZED.value, FiscalStatus.INTERNAL.value)
SIGN = {DocumentKind.CREDIT_NOTE.value: -1, DocumentKind.DEBIT_NOTE.value: 1}


def corrected_invoice(uow: UnitOfWork, client: m.Client, invoice_ref: str | None,
                      authority: bool) -> tuple[FiscalDocument, LedgerEntry]:
    """The invoice INVOICE_REF (a ledger entry) of CLIENT, or its latest in force when None;
    Refused naming why a note cannot correct it. AUTHORITY: the driver in use asks a tax
    authority, which never saw an internally numbered invoice."""
    if invoice_ref is None:
        return _latest(uow, client)
    entry_id = parse_id(invoice_ref, "invoice", " (see `ispcube invoice list`)", "an entry number")
    entry = uow.session.get(LedgerEntry, entry_id)
    if entry is None:
        raise NotFound(f"entry {entry_id} does not exist (see `ispcube invoice list --client {client.code}`)")
    label = entry_label(entry.kind, entry.series, entry.number)
    invoice = uow.session.scalar(select(FiscalDocument).where(FiscalDocument.entry_id == entry.id,
                                                              FiscalDocument.kind == DocumentKind.INVOICE.value))
    if invoice is None:
        raise Refused(f"entry {entry_id} is a {KIND_NAMES.get(entry.kind, entry.kind)} ({label}), not an invoice: "
                      f"a note corrects an invoice (see `ispcube invoice list --client {client.code}`)")
    if invoice.client_id != client.id:
        owner = uow.session.scalar(select(m.Client.code).where(m.Client.id == invoice.client_id))
        raise Refused(f"entry {entry_id} ({label}) is an invoice of client {owner}, not of client {client.code}")
    _refuse_unless_in_force(uow, invoice, entry, label, authority)
    return invoice, entry


def _refuse_unless_in_force(uow: UnitOfWork, invoice: FiscalDocument, entry: LedgerEntry, label: str,
                            authority: bool) -> None:
    head = f"entry {entry.id} ({label})"
    if invoice.status == FiscalStatus.VOID:
        raise Refused(f"{head} was annulled before it was numbered (void): there is nothing to correct")
    if invoice.status in (FiscalStatus.DRAFT, FiscalStatus.IN_FLIGHT):
        state = "a draft" if invoice.status == FiscalStatus.DRAFT else "in flight"
        raise Refused(f"{head} is not authorized yet ({state}): run `ispcube invoice authorize` first, since a "
                      "note can only correct an invoice the tax authority holds")
    if authority and invoice.status == FiscalStatus.INTERNAL:
        raise Refused(f"{head} was numbered internally (fiscal.driver none) and the tax authority never saw it: "
                      "a note cannot name it")
    reversal = uow.session.scalar(select(LedgerEntry.id).where(LedgerEntry.reverses_id == entry.id))
    if reversal is not None:
        raise Refused(f"{head} is annulled (by entry {reversal}): there is nothing left to correct")


def _annulled(entry_id):
    """SQL condition: the entry ENTRY_ID (a column) has a reversal."""
    reversal = aliased(LedgerEntry)
    return exists().where(reversal.reverses_id == entry_id)


def _latest(uow: UnitOfWork, client: m.Client) -> tuple[FiscalDocument, LedgerEntry]:
    found = uow.session.execute(
        select(FiscalDocument, LedgerEntry).join(LedgerEntry, LedgerEntry.id == FiscalDocument.entry_id)
        .where(FiscalDocument.client_id == client.id, FiscalDocument.kind == DocumentKind.INVOICE.value,
               FiscalDocument.status.in_(IN_FORCE), ~_annulled(LedgerEntry.id))
        .order_by(LedgerEntry.entry_date.desc(), LedgerEntry.id.desc()).limit(1)).first()
    if found is None:
        raise Refused(f"client {client.code} has no authorized invoice in force for a note to correct "
                      f"(see `ispcube invoice list --client {client.code}`)")
    return found[0], found[1]


def remaining(uow: UnitOfWork, invoice: FiscalDocument) -> Decimal:
    """INVOICE's total after its notes and the notes that cancelled them (see the module)."""
    notes = uow.session.execute(select(FiscalDocument.id, FiscalDocument.kind, FiscalDocument.total).where(
        FiscalDocument.associated_id == invoice.id, FiscalDocument.status != FiscalStatus.VOID)).all()
    ids = [note_id for note_id, _, _ in notes]
    counter = uow.session.execute(select(FiscalDocument.kind, FiscalDocument.total).where(
        FiscalDocument.associated_id.in_(ids), FiscalDocument.status != FiscalStatus.VOID)).all() if ids else []
    moved = sum((SIGN[kind] * total for _, kind, total in notes), Decimal(0))
    moved += sum((SIGN[kind] * total for kind, total in counter), Decimal(0))
    return invoice.total + moved


def notes_in_force(uow: UnitOfWork, invoice: FiscalDocument) -> list[int]:
    """The ledger entries of INVOICE's notes that stand: not void, their entry not annulled."""
    return list(uow.session.scalars(
        select(FiscalDocument.entry_id).where(FiscalDocument.associated_id == invoice.id,
                                              FiscalDocument.status != FiscalStatus.VOID,
                                              ~_annulled(FiscalDocument.entry_id))
        .order_by(FiscalDocument.entry_id)))
