"""Client listing (C3): filters that combine, and an accent-insensitive search within them."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Iterator

from sqlalchemy import Connection, Select, exists, literal, or_, select
from sqlalchemy.orm import aliased

from ispcube.db import models as m
from ispcube.db.overdue import overdue_select, overdue_since_select
from ispcube.db.types import Money
from ispcube.db.uow import UnitOfWork
from ispcube.domain.numbers import MAX_ID
from ispcube.domain.text import quoted
from ispcube.domain.vocabulary import parse_payment_method, parse_service_state
from ispcube.errors import Invalid
from ispcube.services.clients.search import search_condition
from ispcube.services.clients.views import COLLECTOR, SELLER, client_dict, view_select
from ispcube.services.process.runtime import Actor


@dataclass(frozen=True)
class ClientFilter:
    postal_code: str | None = None
    locality: str | None = None
    node: str | None = None
    status: str | None = None
    collector: str | None = None
    seller: str | None = None
    payment_method: str | None = None
    company: str | None = None
    service: str | None = None
    free: bool | None = None
    deleted: bool = False
    search: str | None = None
    # U9, with the overdue rule enforce uses, on TODAY: a debt already due; a balance above an
    # amount; the oldest unpaid debit due at least so many days ago.
    debtors: bool = False
    balance_over: Decimal | None = None
    overdue_days: int | None = None
    today: date | None = None


def filtered_select(conn: Connection, f: ClientFilter, actor: Actor) -> Select:
    service = parse_service_state(f.service, "--service") if f.service else None
    query = view_select().where(m.Client.deleted.is_(f.deleted or service == "deleted"))
    if f.postal_code:
        query = query.where(m.PostalCode.code == f.postal_code.strip())
    if f.locality:
        query = query.where(m.PostalCode.locality.ilike(f.locality.strip()))
    if f.node:
        router_node = aliased(m.Node)
        on_node_router = exists().where(m.Connection.client_id == m.Client.id,
                                        m.Router.id == m.Connection.router_id,
                                        router_node.id == m.Router.node_id,
                                        router_node.name.ilike(f.node.strip()))
        query = query.where(or_(m.Node.name.ilike(f.node.strip()), on_node_router))
    if f.status:
        query = query.where(m.Status.name.ilike(f.status.strip()))
    if f.collector:
        query = query.where(COLLECTOR.name == f.collector.strip())
    if f.seller:
        query = query.where(SELLER.name == f.seller.strip())
    if f.payment_method:
        query = query.where(m.Client.payment_method == parse_payment_method(f.payment_method))
    if f.company:
        if not f.company.strip().isdigit() or len(f.company.strip()) > 2:
            raise Invalid(f"company {quoted(f.company)} is not a billing company number (1 to 5)")
        query = query.where(m.Company.number == int(f.company))
    if service and service != "deleted":
        query = query.where(m.Client.service == service)
    if f.free is not None:
        query = query.where(m.Client.free.is_(f.free))
    if f.search and f.search.strip():
        query = query.where(search_condition(conn, f.search))
    if f.balance_over is not None:
        query = query.where(m.Client.balance > literal(f.balance_over, Money))
    if f.debtors or f.overdue_days is not None:
        query = query.where(_overdue_condition(f))
    if actor.collector_id is not None:
        query = query.where(m.Client.collector_id == actor.collector_id)
    return query.order_by(m.Client.code)


def _overdue_condition(f: ClientFilter):
    """Clients owing a debt already due on F.today, due F.overdue_days ago or more (set-based)."""
    on = f.today or date.today()
    if f.overdue_days is None:
        owing = overdue_select(on).subquery("owing")
        return m.Client.id.in_(select(owing.c.client_id).where(owing.c.overdue > 0))
    since = overdue_since_select(on).subquery("since")
    return m.Client.id.in_(select(since.c.client_id)
                           .where(since.c.since <= on - timedelta(days=f.overdue_days)))


def list_clients(uow: UnitOfWork, f: ClientFilter, actor: Actor, limit: int | None = None) -> list[dict[str, Any]]:
    conn = uow.session.connection()
    query = filtered_select(conn, f, actor)
    if limit is not None and limit < 0:
        raise Invalid(f"--limit {limit} must not be negative")
    if limit:
        query = query.limit(min(limit, MAX_ID))     # more rows than a table can hold: all of them
    # Plain columns, no entities: Core execution skips the ORM's row loading.
    return [client_dict(row) for row in conn.execute(query)]


def stream_clients(uow: UnitOfWork, f: ClientFilter, actor: Actor, batch: int = 2000) -> Iterator[dict[str, Any]]:
    conn = uow.session.connection()
    result = conn.execute(filtered_select(conn, f, actor).execution_options(yield_per=batch))
    for row in result:
        yield client_dict(row)
