"""Balance rebuild (L6, the seed's "Reconstrucción de Saldos"): cache = SUM(entries).

One query finds every client whose cached balance differs from the sum of its entries (they
are reported), one UPDATE ... FROM the same query fixes them all; the number of statements
does not grow with clients.

On PostgreSQL the entries table is locked in SHARE mode first: a payment committed between
the query that reads the sums and the UPDATE would otherwise be overwritten by a stale sum.
SHARE lets readers through and makes new entries wait until the rebuild commits. Callers
that also lock client rows must rebuild first, in a transaction of its own.
"""

from decimal import Decimal
from typing import TypedDict

from sqlalchemy import func, select, text, type_coerce, update

from ispcube.db import models as m
from ispcube.db.ledger_models import LedgerEntry
from ispcube.db.types import Money
from ispcube.db.uow import UnitOfWork
from ispcube.domain.money import format_amount
from ispcube.domain.text import quoted
from ispcube.errors import NotFound
from ispcube.services.clients.log import log_many
from ispcube.services.ledger.posting import BOOKKEEPERS, require_role
from ispcube.services.process.runtime import Runtime


class WrongBalance(TypedDict):
    code: str
    cached: str
    actual: str


class Rebuilt(TypedDict):
    """`ledger rebuild`: how many balances were checked, and the wrong ones (now fixed)."""
    checked: int
    wrong: list[WrongBalance]


def rebuild(rt: Runtime, codes: list[str] | None = None) -> Rebuilt:
    """Rebuild the balances of CODES (every client when empty); report and fix the wrong ones."""
    with rt.uow() as uow:
        require_role(rt.actor(uow), BOOKKEEPERS, "rebuild balances")
        client_ids = _ids_of(uow, codes) if codes else None
        wrong = rebuild_balances(uow, rt, client_ids)
        checked = len(client_ids) if client_ids is not None else uow.session.execute(
            select(func.count()).select_from(m.Client)).scalar_one()
        uow.commit()
        return {"checked": checked, "wrong": [
            {"code": code, "cached": format_amount(cached), "actual": format_amount(actual)}
            for code, cached, actual in wrong]}


def _ids_of(uow: UnitOfWork, codes: list[str]) -> list[int]:
    wanted = [code.strip() for code in codes]
    found = dict(uow.session.execute(select(m.Client.code, m.Client.id).where(m.Client.code.in_(wanted))).all())
    missing = [code for code in wanted if code not in found]
    if missing:
        raise NotFound(f"client {quoted(missing[0])} does not exist")
    return list(found.values())


def rebuild_balances(uow: UnitOfWork, rt: Runtime,
                     client_ids: list[int] | None = None) -> list[tuple[str, Decimal, Decimal]]:
    """Fix every cached balance (of CLIENT_IDS) that differs from its entries, in UOW.

    Returns (code, cached, actual) of each wrong one, by code, and logs the fix on each client.
    The caller commits.
    """
    if uow.dialect == "postgresql":
        uow.session.execute(text("LOCK TABLE ledger_entries IN SHARE MODE"))
    totals = select(LedgerEntry.client_id, func.sum(LedgerEntry.amount).label("total")).group_by(LedgerEntry.client_id)
    if client_ids is not None:
        totals = totals.where(LedgerEntry.client_id.in_(client_ids))
    sums = totals.subquery("sums")
    actual = type_coerce(func.coalesce(sums.c.total, 0), Money)
    query = (select(m.Client.id, m.Client.code, m.Client.balance.label("cached"), actual.label("actual"))
             .outerjoin(sums, sums.c.client_id == m.Client.id)
             .where(m.Client.balance != actual))
    if client_ids is not None:
        query = query.where(m.Client.id.in_(client_ids))
    wrong = uow.session.execute(query.order_by(m.Client.code)).all()
    if not wrong:
        return []
    fixes = query.subquery("fixes")
    uow.session.execute(update(m.Client).where(m.Client.id == fixes.c.id).values(balance=fixes.c.actual)
                        .execution_options(synchronize_session=False))
    uow.session.expire_all()
    log_many(uow, rt, [(client_id, "ledger.rebuild", f"cached balance {format_amount(cached)} was wrong; "
                        f"rebuilt from the entries: {format_amount(total)}") for client_id, _, cached, total in wrong])
    return [(code, cached, total) for _, code, cached, total in wrong]
