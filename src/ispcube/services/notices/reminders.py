"""Notices about money about to fall due: the preaviso warning (E4) and the reminder (E5).

A preaviso warning is told once per client and month, however often the warning page is
shown; a reminder is written by `notify` once per unpaid invoice, from
`notify.reminder_days_before` days before it falls due. Both name what the client owes and
the date its invoice falls due (from then on the debt is overdue and enforce may cut).
"""

from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import String, and_, cast, exists, func, literal, select, type_coerce
from sqlalchemy.orm import aliased

from ispcube.db import models as m
from ispcube.db.chunks import chunks
from ispcube.db.ledger_models import LedgerEntry
from ispcube.db.notice_models import Notice
from ispcube.db.overdue import overdue_since
from ispcube.db.types import Money
from ispcube.db.uow import UnitOfWork
from ispcube.domain.enforcement import Stages
from ispcube.domain.ledger import EntryKind
from ispcube.domain.terms import NextStep, Service
from ispcube.services.admin import config
from ispcube.services.notices.outbox import NoticeIn, NoticeKind, write_notices


def _not_reversed(entry):
    reversal = aliased(LedgerEntry)
    return ~exists().where(reversal.reverses_id == entry.id)


def preaviso_notices(uow: UnitOfWork, rt, client_ids: list[int], now: datetime) -> None:
    """A notice per warned client (once a month): its balance, and the next stage (E1) with its
    day, counted from the due date of its oldest unpaid debit, or else of its next invoice."""
    if not client_ids:
        return
    today = now.date()
    stages = Stages(config.get_value(uow.session, "escalation.throttle_after_days"),
                    config.get_value(uow.session, "escalation.cut_after_days"))
    since = overdue_since(uow, today)
    invoice = aliased(LedgerEntry)
    next_due = (select(func.min(invoice.due_date))
                .where(invoice.client_id == m.Client.id, invoice.kind == EntryKind.INVOICE,
                       invoice.due_date >= today, _not_reversed(invoice))
                .correlate(m.Client).scalar_subquery())
    ids = sorted(set(client_ids))
    rows: list = []
    for part in chunks(ids):
        rows += uow.session.execute(select(m.Client.id, m.Client.balance, next_due)
                                    .where(m.Client.id.in_(part))).all()
    write_notices(uow, rt, [NoticeIn(cid, NoticeKind.PREAVISO, balance, *next_stage(stages, since.get(cid, due), today),
                                     once_key=f"preaviso:{cid}:{today:%Y-%m}")
                            for cid, balance, due in rows])


def next_stage(stages, fell_due: date | None, today: date) -> tuple[NextStep | None, date | None]:
    """The stage a debt that fell (or falls) due on FELL_DUE reaches next, and its day: the
    throttle when STAGES has one and its day is to come, else the cut; nothing when both days
    are past (the client is shielded: not blockable, or a commitment) or no debt falls due."""
    if fell_due is None:
        return None, None
    steps = [(NextStep.CUT, fell_due + timedelta(days=stages.cut_after))]
    if stages.stage(stages.throttle_after) == Service.THROTTLED:
        steps.insert(0, (NextStep.THROTTLE, fell_due + timedelta(days=stages.throttle_after)))
    return next(((step, day) for step, day in steps if day >= today), (None, None))


def reminder_key(entry_id: int) -> str:
    return f"reminder:{entry_id}"


def due_reminders(uow: UnitOfWork, today: date, days_before: int) -> list[NoticeIn]:
    """The reminders owed on TODAY: invoices falling due within DAYS_BEFORE days, still unpaid
    (payments settle the oldest debits first), not annulled, and not reminded yet. One query."""
    if days_before <= 0:
        return []
    entry, later = LedgerEntry, aliased(LedgerEntry)
    later_debits = type_coerce(
        select(func.coalesce(func.sum(later.amount), 0))
        .where(later.client_id == entry.client_id, later.amount > 0, later.id > entry.id)
        .correlate(entry).scalar_subquery(), Money)
    key = literal("reminder:") + cast(entry.id, String)
    rows = uow.session.execute(
        select(entry.id, entry.client_id, entry.amount, entry.due_date, m.Client.balance, later_debits)
        .join(m.Client, m.Client.id == entry.client_id)
        .where(entry.kind == EntryKind.INVOICE, entry.due_date > today,
               entry.due_date <= today + timedelta(days=days_before),
               ~m.Client.deleted, m.Client.balance > 0, _not_reversed(entry),
               ~exists().where(and_(Notice.once_key == key)))
        .order_by(entry.id))
    reminders = []
    for entry_id, client_id, amount, due, balance, newer in rows:
        unpaid = min(amount, balance - (newer or Decimal("0")))
        if unpaid > 0:
            reminders.append(NoticeIn(client_id, NoticeKind.REMINDER, unpaid, NextStep.DUE, due,
                                      once_key=reminder_key(entry_id)))
    return reminders
