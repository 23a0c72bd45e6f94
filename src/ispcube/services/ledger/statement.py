"""The statement of a running account and the annulment of an entry (L5).

An entry is never edited: annulling it posts a reversal with the opposite amount. A
reversal carries the due date of what it cancels (so an annulled invoice stops counting as
not yet due, see N1) and, for a receipt, its cash entity and the opposite cash part (so the
cash report of the day of the annulment shows the money going back).

Receipts with cheques (L4), so that no order of payment, rejection and annulment charges a
client twice:
- annulling a receipt reverses only what was not already charged back: the cheques rejected
  with a DX still in force are left out of the reversal (a receipt whose every part was
  charged back has nothing left to annul and is refused);
- a cheque of an annulled receipt can no longer change status (see services/ledger/cheques.py);
- the DX of a rejected cheque can be annulled (the rejection was a mistake) only while its
  receipt stands: once the receipt is annulled, that DX is part of the annulment.
The receipt's cheque rows are locked first, in the same order as a rejection locks its
cheque, so a rejection and an annulment running at once on PostgreSQL cannot both charge.
"""

from datetime import date
from decimal import Decimal
from typing import Callable, TypedDict

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from ispcube.db import models as m
from ispcube.db.fiscal_numbers import fiscal_by_entry
from ispcube.db.ledger_models import Cheque, LedgerEntry
from ispcube.db.uow import UnitOfWork
from ispcube.domain.dates import parse_date
from ispcube.domain.fiscal import authority_number, shown_document
from ispcube.domain.ledger import EntryKind
from ispcube.domain.money import format_amount
from ispcube.domain.numbers import parse_id
from ispcube.domain.text import one_line
from ispcube.errors import Invalid, NotFound, Refused
from ispcube.services.clients.lifecycle import find_client
from ispcube.services.ledger.posting import BOOKKEEPERS, entry_label, post, require_role
from ispcube.services.process.runtime import Runtime

ZERO = Decimal("0.00")


class StatementRow(TypedDict):
    """One line of `ledger show`: an entry (or the balance brought forward) and the balance after it."""
    entry: int | None
    date: str
    document: str
    due: str | None
    debit: str | None
    credit: str | None
    balance: str
    operator: str | None
    comment: str | None
    client: str
    kind: str
    reference: str
    payment_method: str | None
    fiscal_number: str | None      # AFIP's number once authorized (I8), else None
    cae: str | None


class Annulled(TypedDict):
    """`ledger annul`: the entry annulled and the reversal posted."""
    client: str
    annulled: int
    entry: int
    reversal: int
    amount: str
    balance: str


def statement(rt: Runtime, code: str, date_from: str | None = None,
              date_to: str | None = None) -> list[StatementRow]:
    """The client's entries in date order with the running balance after each.

    With a start date, the first row carries the balance brought forward. Besides what the
    statement shows, each row names its client, kind, reference and payment method, so that
    `ledger import` reads a statement written as CSV back (M3): the reference is the one an
    imported entry came with, else the entry's own label ('receipt 12'); the brought-forward
    row is an opening balance whose amount is its balance.
    """
    local = rt.local_formats()
    start = parse_date(date_from, field="--from", local=local) if date_from else None
    end = parse_date(date_to, field="--to", local=local) if date_to else None
    if start and end and start > end:
        raise Invalid(f"--from {start.isoformat()} is after --to {end.isoformat()}")
    with rt.uow() as uow:
        client = find_client(uow, code, rt.actor(uow))
        running = ZERO
        rows: list[StatementRow] = []
        if start is not None:
            running = uow.session.scalar(select(func.sum(LedgerEntry.amount)).where(
                LedgerEntry.client_id == client.id, LedgerEntry.entry_date < start)) or ZERO
            rows.append(_row(None, start, "brought forward", None, None, running, None,
                             client.code, f"brought forward {start.isoformat()}"))
        reversal = aliased(LedgerEntry)
        fiscal = fiscal_by_entry()
        query = (select(LedgerEntry, reversal.id, fiscal.c.status, fiscal.c.letter, fiscal.c.point_of_sale,
                        fiscal.c.number, fiscal.c.cae, fiscal.c.kind)
                 .outerjoin(reversal, reversal.reverses_id == LedgerEntry.id)
                 .outerjoin(fiscal, fiscal.c.entry_id == LedgerEntry.id)
                 .where(LedgerEntry.client_id == client.id)
                 .order_by(LedgerEntry.entry_date, LedgerEntry.id))
        if start is not None:
            query = query.where(LedgerEntry.entry_date >= start)
        if end is not None:
            query = query.where(LedgerEntry.entry_date <= end)
        for entry, annulled_by, status, letter, point_of_sale, number, cae, document_kind in uow.session.execute(query):
            running += entry.amount
            note = f"annulled by entry {annulled_by}" if annulled_by else None
            label = entry_label(entry.kind, entry.series, entry.number)
            shown = shown_document(label, status, letter, point_of_sale, number, document_kind)
            row = _row(entry.id, entry.entry_date, shown,
                       entry, entry.amount, running, note, client.code, entry.import_ref or label)
            authorized = authority_number(status, letter, point_of_sale, number, document_kind)
            row["fiscal_number"], row["cae"] = authorized, cae if authorized else None
            rows.append(row)
        return rows


def _row(entry_id, on: date, label: str, entry: LedgerEntry | None, amount: Decimal | None,
         running: Decimal, note: str | None, client: str, reference: str) -> StatementRow:
    comment = "; ".join(t for t in ((entry.comment if entry else None), note) if t)
    return {"entry": entry_id, "date": on.isoformat(), "document": label,
            "due": entry.due_date.isoformat() if entry and entry.due_date else None,
            "debit": format_amount(amount) if amount is not None and amount > 0 else None,
            "credit": format_amount(-amount) if amount is not None and amount < 0 else None,
            "balance": format_amount(running), "operator": entry.operator if entry else None,
            "comment": comment or None, "client": client, "kind": entry.kind if entry else EntryKind.OPENING,
            "reference": reference, "payment_method": entry.payment_method if entry else None,
            "fiscal_number": None, "cae": None}


# What is written beside a reversal in its transaction (a credit note, I6): called with the unit
# of work, the annulled entry and the reversal's entry id; it may refuse (the annulment rolls back).
BesideReversal = Callable[[UnitOfWork, LedgerEntry, int], None]


def annul(rt: Runtime, entry_ref: str, reason: str | None, beside: BesideReversal | None = None) -> Annulled:
    """Post the reversal of entry ENTRY_REF (its id, as the statement shows it)."""
    reason = one_line((reason or "").strip(), "--reason")
    if not reason:
        raise Invalid("--reason must say why the entry is annulled")
    entry_id = parse_id(entry_ref, "entry", " (see `ispcube ledger show CODE`)", "an entry number")
    with rt.uow() as uow:
        actor = rt.actor(uow)
        require_role(actor, BOOKKEEPERS, "annul entries")
        entry = uow.session.get(LedgerEntry, entry_id)
        client = uow.session.get(m.Client, entry.client_id) if entry else None
        if entry is None or client is None or (actor.collector_id is not None
                                               and client.collector_id != actor.collector_id):
            raise NotFound(f"entry {entry_id} does not exist (see `ispcube ledger show CODE`)")
        label = entry_label(entry.kind, entry.series, entry.number)
        _refuse_if_final(uow, entry, label)
        reversed_amount = -entry.amount - charged_back(uow, entry, label)
        try:
            posted = post(uow, rt, client, EntryKind.REVERSAL, reversed_amount, entry_date=rt.today(),
                          comment=f"annuls {label}: {reason}", reverses_id=entry.id,
                          due_date=entry.due_date, cash_entity=entry.cash_entity,
                          cash_amount=-entry.cash_amount if entry.cash_amount is not None else None)
            if beside is not None:
                beside(uow, entry, posted.entry_id)
            uow.commit()
        except IntegrityError:  # the unique reverses_id: a concurrent annulment won the race
            raise Refused(f"entry {entry_id} ({label}) was annulled meanwhile by someone else") from None
        return {"client": client.code, "annulled": entry_id, "entry": posted.entry_id,
                "reversal": posted.number, "amount": format_amount(posted.amount),
                "balance": format_amount(posted.balance)}


def charged_back(uow, entry: LedgerEntry, label: str) -> Decimal:
    """What of receipt ENTRY its rejected cheques already charged back by a DX in force.

    Locks the receipt's cheques (a rejection locks its cheque the same way); for the DX of a
    rejected cheque, refuses when its receipt is annulled. Zero for any other entry.
    """
    if entry.kind == EntryKind.DX:
        receipt_id = uow.session.scalar(select(Cheque.entry_id).where(Cheque.rejection_entry_id == entry.id)
                                        .with_for_update())
        if receipt_id is not None and _reversal_of(uow, receipt_id) is not None:
            raise Refused(f"entry {entry.id} ({label}) charges back a rejected cheque of a receipt that was "
                          "annulled; the annulment already left that cheque out")
        return ZERO
    if entry.kind != EntryKind.RECEIPT:
        return ZERO
    cheques = uow.session.scalars(select(Cheque).where(Cheque.entry_id == entry.id)
                                  .order_by(Cheque.id).with_for_update()).all()
    total = sum((c.amount for c in cheques if c.status == "rejected" and c.rejection_entry_id is not None
                 and _reversal_of(uow, c.rejection_entry_id) is None), ZERO)
    if total and total == -entry.amount:
        raise Refused(f"entry {entry.id} ({label}) has nothing left to annul: its cheques were all rejected "
                      "and charged back")
    return total


def _reversal_of(uow, entry_id: int) -> int | None:
    return uow.session.scalar(select(LedgerEntry.id).where(LedgerEntry.reverses_id == entry_id))


def _refuse_if_final(uow, entry: LedgerEntry, label: str) -> None:
    if entry.kind == EntryKind.REVERSAL:
        raise Refused(f"entry {entry.id} is a reversal itself and cannot be annulled "
                      "(post a DX or CX with `ispcube ledger adjust` instead)")
    done = _reversal_of(uow, entry.id)
    if done is not None:
        raise Refused(f"entry {entry.id} ({label}) is already annulled by entry {done}")
