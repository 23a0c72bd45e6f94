"""What each cash entity and operator collected on a day (L7), cash and cheques apart.

Receipts count positively; the annulment of a receipt on the day counts negatively in the
cash entity the receipt went to (the money goes back out of that box). A collector sees only
its own collections.
"""

from typing import TypedDict

from sqlalchemy import case, func, select

from ispcube.db.ledger_models import LedgerEntry
from ispcube.domain.dates import parse_date
from ispcube.domain.ledger import EntryKind
from ispcube.domain.money import format_amount
from ispcube.domain.roles import Role
from ispcube.services.process.runtime import Runtime


class CashRow(TypedDict):
    """`ledger cash`: what one operator collected into one cash box on the day."""
    date: str
    entity: str | None
    operator: str
    receipts: int
    annulled: int
    cash: str
    cheques: str
    total: str


def cash_report(rt: Runtime, on_date: str | None = None, entity: str | None = None) -> list[CashRow]:
    day = parse_date(on_date, field="--date", local=rt.local_formats()) if on_date else rt.today()
    entry = LedgerEntry
    query = (select(entry.cash_entity, entry.operator,
                    func.sum(case((entry.kind == EntryKind.RECEIPT, 1), else_=0)),
                    func.sum(case((entry.kind == EntryKind.REVERSAL, 1), else_=0)),
                    func.sum(entry.cash_amount), func.sum(-entry.amount))
             .where(entry.entry_date == day, entry.cash_amount.is_not(None),
                    entry.kind.in_((EntryKind.RECEIPT, EntryKind.REVERSAL)))
             .group_by(entry.cash_entity, entry.operator)
             .order_by(entry.cash_entity.nulls_last(), entry.operator))
    if entity is not None:
        query = query.where(entry.cash_entity == entity.strip())
    with rt.uow() as uow:
        actor = rt.actor(uow)
        if actor.role == Role.COLLECTOR:
            query = query.where(entry.operator == actor.name)
        rows = uow.session.execute(query).all()
    return [{"date": day.isoformat(), "entity": cash_entity, "operator": operator,
             "receipts": receipts, "annulled": annulled, "cash": format_amount(cash),
             "cheques": format_amount(total - cash), "total": format_amount(total)}
            for cash_entity, operator, receipts, annulled, cash, total in rows]
