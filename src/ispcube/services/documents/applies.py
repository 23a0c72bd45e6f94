"""What a payment receipt pays (D2, I8): the debts its money settles, oldest first.

Payments are not tied to a document when they are taken (`pay` credits the running account),
so the receipt reads what it paid from the account as it stood when it was written: the money
paid before it settles the oldest debts first, and the receipt's own amount settles what comes
next. A debt is an invoice, a DX or an opening balance owed, less what reversals written before
the receipt took off it; a reversal counts against the entry it annuls, not as money. Whatever
is left over is paid on account. Each debt is named with its fiscal number once AFIP authorized
it, or marked as not yet fiscal (`domain.fiscal.shown_document`).

One query for the debts the receipt reaches, with their fiscal documents, and one for the
money paid before it, whatever the length of the account.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, literal, select, type_coerce

from ispcube.db.fiscal_numbers import fiscal_by_entry
from ispcube.db.ledger_models import LedgerEntry
from ispcube.db.types import Money
from ispcube.db.uow import UnitOfWork
from ispcube.domain.fiscal import FiscalStatus, authority_number, shown_document
from ispcube.domain.ledger import EntryKind
from ispcube.services.ledger.posting import entry_label

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Applied:
    """One debt a receipt pays: the entry, how `ledger show` names it, and the part paid."""

    entry: int
    kind: str
    date: date
    internal: str                 # 'invoice 1-15'
    number: str                   # the internal number alone: '1-15' (invoice of company 1), '3' (DX 3)
    document: str                 # 'invoice 1-15 (B 00003-00000015)', or marked not yet fiscal
    fiscal_number: str | None     # AFIP's number once authorized
    not_yet_fiscal: bool          # a draft (or in flight): no fiscal number yet
    amount: Decimal               # what the debt was (less earlier reversals)
    paid: Decimal                 # what this receipt paid of it


def receipt_applies(uow: UnitOfWork, receipt: LedgerEntry) -> list[Applied]:
    """The debts RECEIPT pays, oldest first (see the module's description)."""
    earlier = (LedgerEntry.client_id == receipt.client_id, LedgerEntry.id < receipt.id)
    reversed_part = (select(LedgerEntry.reverses_id.label("entry_id"), func.sum(LedgerEntry.amount).label("total"))
                     .where(*earlier, LedgerEntry.kind == EntryKind.REVERSAL)
                     .group_by(LedgerEntry.reverses_id).subquery("reversed_part"))
    standing = (select(LedgerEntry.id, LedgerEntry.kind, LedgerEntry.series, LedgerEntry.number,
                       LedgerEntry.entry_date,
                       type_coerce(LedgerEntry.amount + func.coalesce(reversed_part.c.total, 0), Money)
                       .label("amount"))
                .outerjoin(reversed_part, reversed_part.c.entry_id == LedgerEntry.id)
                .where(*earlier, LedgerEntry.kind != EntryKind.REVERSAL).subquery("standing"))
    paid_before = uow.session.scalar(select(type_coerce(func.sum(-standing.c.amount), Money))
                                     .where(standing.c.amount < 0)) or ZERO
    paid_through = paid_before - receipt.amount
    debts = (select(standing, type_coerce(func.sum(standing.c.amount).over(order_by=standing.c.id), Money)
                    .label("owed_through"))
             .where(standing.c.amount > 0).subquery("debts"))
    fiscal = fiscal_by_entry()
    rows = uow.session.execute(
        select(debts.c.id, debts.c.kind, debts.c.series, debts.c.number, debts.c.entry_date, debts.c.amount,
               debts.c.owed_through, fiscal.c.status, fiscal.c.letter, fiscal.c.point_of_sale, fiscal.c.number,
               fiscal.c.kind)
        .outerjoin(fiscal, fiscal.c.entry_id == debts.c.id)
        .where(debts.c.owed_through > literal(paid_before, Money),
               debts.c.owed_through - debts.c.amount < literal(paid_through, Money))
        .order_by(debts.c.id)).all()
    applied = []
    for (entry_id, kind, series, number, on, amount, owed_through, status, letter, point_of_sale, fiscal_no,
         document_kind) in rows:
        paid = min(owed_through, paid_through) - max(owed_through - amount, paid_before)
        label = entry_label(kind, series, number)
        applied.append(Applied(
            entry=entry_id, kind=kind, date=on, internal=label,
            number=f"{series.removeprefix('invoice-')}-{number}" if kind == EntryKind.INVOICE else str(number),
            document=shown_document(label, status, letter, point_of_sale, fiscal_no, document_kind),
            fiscal_number=authority_number(status, letter, point_of_sale, fiscal_no, document_kind),
            not_yet_fiscal=status in (FiscalStatus.DRAFT, FiscalStatus.IN_FLIGHT), amount=amount, paid=paid))
    return applied
