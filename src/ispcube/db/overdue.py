"""Overdue debt of many clients at once (N1), in one set-based query.

The SQL twin of `ispcube.domain.overdue.overdue_debt`: cached balance minus the entries not
yet due on the date (invoices and the reversals of invoices, which carry the due date of the
invoice they cancel), clamped to [0, balance]. One query whatever the number of clients.

Money columns are integer cents on SQLite: everything here is built from the mapped columns
and typed `Money`, so callers get Decimals on both backends. A caller that compares the
overdue expression with a value inside SQL must bind that value as `Money` too, e.g.
`overdue > literal(threshold, Money)`.
"""

from datetime import date
from decimal import Decimal
from typing import Iterable

from sqlalchemy import ColumnElement, Select, case, func, select, type_coerce

from ispcube.db.ledger_models import LedgerEntry
from ispcube.db.models import Client
from ispcube.db.types import Money
from ispcube.db.uow import UnitOfWork


def not_yet_due(on_date: date):
    """Subquery (client_id, total): per client, the sum of entries falling due after ON_DATE."""
    return (select(LedgerEntry.client_id, func.sum(LedgerEntry.amount).label("total"))
            .where(LedgerEntry.due_date > on_date)
            .group_by(LedgerEntry.client_id)
            .subquery("not_yet_due"))


def overdue_expression(pending: ColumnElement) -> ColumnElement:
    """Client.balance minus PENDING, clamped to [0, balance], typed Money."""
    balance = Client.balance
    return type_coerce(case(
        (balance <= 0, 0),
        (balance - pending <= 0, 0),
        (pending < 0, balance),
        else_=balance - pending), Money)


def overdue_select(on_date: date, client_ids: Iterable[int] | None = None) -> Select:
    """SELECT client_id, overdue for every client (or those of CLIENT_IDS), joinable by callers.

    Every selected client has a row; a client with nothing overdue has 0.
    """
    pending_sums = not_yet_due(on_date)
    pending = func.coalesce(pending_sums.c.total, 0)
    query = (select(Client.id.label("client_id"), overdue_expression(pending).label("overdue"))
             .outerjoin(pending_sums, pending_sums.c.client_id == Client.id))
    if client_ids is not None:
        query = query.where(Client.id.in_(list(client_ids)))
    return query


def overdue_debts(uow: UnitOfWork, on_date: date,
                  client_ids: Iterable[int] | None = None) -> dict[int, Decimal]:
    """{client id: overdue debt on ON_DATE} for every client, or for CLIENT_IDS.

    Based on the cached balance (kept exact by `services.ledger.post`); deleted and free
    clients are included: deciding what to do with them is the caller's business.
    Runs in UOW's transaction, so it sees the caller's own uncommitted entries.
    """
    rows = uow.session.execute(overdue_select(on_date, client_ids))
    return {client_id: overdue for client_id, overdue in rows}


def overdue_since_select(on_date: date) -> Select:
    """SELECT client_id, since: the due date of the oldest unpaid debit of every client with an
    overdue debt on ON_DATE (E1), joinable by callers (see `overdue_since`)."""
    reversed_ids = select(LedgerEntry.reverses_id).where(LedgerEntry.reverses_id.is_not(None))
    due = func.coalesce(LedgerEntry.due_date, LedgerEntry.entry_date)
    newer = func.sum(LedgerEntry.amount).over(
        partition_by=LedgerEntry.client_id, order_by=(due.desc(), LedgerEntry.id.desc()),
        rows=(None, -1))
    debits = (select(LedgerEntry.client_id, due.label("due"), func.coalesce(newer, 0).label("newer"))
              .where(LedgerEntry.amount > 0, LedgerEntry.reverses_id.is_(None),
                     LedgerEntry.id.not_in(reversed_ids), due <= on_date)
              .subquery("debits"))
    overdue = overdue_select(on_date).subquery("overdue")
    return (select(debits.c.client_id.label("client_id"), func.min(debits.c.due).label("since"))
            .join(overdue, overdue.c.client_id == debits.c.client_id)
            .where(overdue.c.overdue > 0, debits.c.newer < overdue.c.overdue)
            .group_by(debits.c.client_id))


def overdue_since(uow: UnitOfWork, on_date: date) -> dict[int, date]:
    """{client id: due date of its oldest unpaid debit} for every client with an overdue debt
    on ON_DATE (E1), in one query: the SQL twin of `ispcube.domain.overdue.oldest_unpaid_due`.

    A client's debits already due (invoices and DX notes, not annulled; due on their due
    date, or their date) are summed from the newest back; the oldest unpaid is the oldest
    whose newer debits do not yet reach the overdue debt."""
    return {client_id: since for client_id, since in uow.session.execute(overdue_since_select(on_date))}
