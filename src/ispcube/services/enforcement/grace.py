"""Migration grace (U6): debt brought in by `ledger import` (its lines, opening balances) is
not cut before `migration.grace_until`, so the first `enforce` after moving in cuts nobody
who was never warned. The first import sets the date to today plus the preaviso window (the
days of the month the warning runs), unless it is set already; `config set` changes it.

Until that date a client with migrated debt is judged on what it owes of the debits posted
here since (invoices, notes), already due: payments settle the oldest debt first, and the
migrated debt is the oldest (domain/overdue.py, `cuttable_debt`). Two queries, whatever the
number of clients.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, func, or_, select

from ispcube.db.ledger_models import LedgerEntry
from ispcube.db.models import Setting
from ispcube.db.uow import UnitOfWork
from ispcube.domain.ledger import EntryKind
from ispcube.domain.overdue import ZERO, cuttable_debt, oldest_unpaid_due
from ispcube.domain.settings import setting
from ispcube.services.admin import config

KEY = "migration.grace_until"


@dataclass(frozen=True)
class Held:
    """A client whose overdue debt is partly migrated debt in its grace."""
    overdue: Decimal          # the whole overdue debt
    cuttable: Decimal         # the part owed of what was posted here since
    since: date | None        # due date of the oldest unpaid of those (E1), None if nothing is owed


def migrated() -> ColumnElement[bool]:
    """The entries that came with the move: imported lines and opening balances."""
    return or_(LedgerEntry.import_ref.is_not(None), LedgerEntry.kind == EntryKind.OPENING)


def grace_until(uow: UnitOfWork) -> date | None:
    value = config.get_value(uow.session, KEY)
    return date.fromisoformat(value) if value else None


def in_grace(uow: UnitOfWork, today: date) -> date | None:
    """The grace date when it is still ahead of TODAY."""
    until = grace_until(uow)
    return until if until is not None and today < until else None


def held_debts(uow: UnitOfWork, today: date, debts: dict[int, Decimal]) -> dict[int, Held]:
    """{client id: Held} of the clients whose overdue debt on TODAY (DEBTS) is partly migrated."""
    migrated_ids = set(uow.session.scalars(select(LedgerEntry.client_id).where(migrated()).distinct()))
    owing = {cid for cid in migrated_ids if debts.get(cid, ZERO) > 0}
    if not owing:
        return {}
    due = func.coalesce(LedgerEntry.due_date, LedgerEntry.entry_date)
    rows = uow.session.execute(
        select(LedgerEntry.client_id, due, LedgerEntry.amount)
        .where(LedgerEntry.client_id.in_(select(LedgerEntry.client_id).where(migrated())), ~migrated(),
               due <= today, or_(LedgerEntry.amount > 0, LedgerEntry.reverses_id.is_not(None))))
    posted: dict[int, Decimal] = {}
    debits: dict[int, list[tuple[date, Decimal]]] = {}
    for client_id, on, amount in rows:
        posted[client_id] = posted.get(client_id, ZERO) + amount
        if amount > 0:
            debits.setdefault(client_id, []).append((on, amount))
    held = {}
    for client_id in owing:
        overdue = debts[client_id]
        cuttable = cuttable_debt(overdue, posted.get(client_id, ZERO))
        if cuttable < overdue:
            held[client_id] = Held(overdue, cuttable, oldest_unpaid_due(cuttable, debits.get(client_id, [])))
    return held


def start_grace(uow: UnitOfWork, today: date) -> date | None:
    """In an import's transaction: set the grace date to TODAY plus the preaviso window
    (written with the import's lines, or not at all), unless it is set already; the date set."""
    if config.get_value(uow.session, KEY):
        return None
    window = config.get_value(uow.session, "preaviso.to_day") - config.get_value(uow.session, "preaviso.from_day")
    until = today + timedelta(days=max(window + 1, 1))
    row = uow.session.get(Setting, KEY)
    if row is None:
        uow.session.add(Setting(key=KEY, value=setting(KEY).dump(until.isoformat())))
    else:
        row.value = setting(KEY).dump(until.isoformat())
    return until
