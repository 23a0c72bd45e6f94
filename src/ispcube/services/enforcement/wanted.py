"""The wanted service state of every client and connection (N1, N5, N6), from set-based reads.

`decide` is a pure function over rows read in a fixed number of queries: it says which
clients the job cuts, restores, or hands back to automatic control. Manual states win:
a client cut by an operator stays cut until an operator enables it; a client enabled by an
operator is left alone until its overdue debt is back at or below the threshold, and from
then on the job governs it again (so `pay --enable` never shields a client for good).

`current_wanted` re-reads what the routers must show for a few clients, under a router's lock,
so a run never writes a state that an operator changed after the run planned.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select, update

from ispcube.adapters.drivers import Target
from ispcube.db import models as m
from ispcube.db.network_models import Commitment
from ispcube.db.uow import UnitOfWork
from ispcube.domain.money import format_amount


@dataclass
class ClientRow:
    id: int
    code: str
    previous_code: str | None
    service: str
    service_by: str | None
    free: bool
    blockable: bool
    deleted: bool


@dataclass
class Decision:
    client_id: int
    service: str
    service_by: str | None
    kind: str            # client log kind
    message: str


def load_clients(uow: UnitOfWork) -> dict[int, ClientRow]:
    rows = uow.session.execute(select(
        m.Client.id, m.Client.code, m.Client.previous_code, m.Client.service, m.Client.service_by,
        m.Client.free, m.Client.blockable, m.Client.deleted))
    return {row.id: ClientRow(*row) for row in rows}


def commitments_in_force(uow: UnitOfWork, today: date) -> set[int]:
    """Clients whose open commitment postpones the cut past TODAY."""
    return set(uow.session.scalars(select(Commitment.client_id).where(
        Commitment.status == "open", Commitment.due_date > today)))


def load_targets(uow: UnitOfWork, router_ids: list[int] | None = None) -> dict[int, list[tuple[int, Target]]]:
    """{router id: [(client id, Target)]} for every connection, in one query."""
    query = (select(m.Connection.id, m.Connection.router_id, m.Connection.client_id,
                    m.Connection.ip, m.Connection.pppoe_user, m.Client.code, m.Client.previous_code)
             .join(m.Client, m.Client.id == m.Connection.client_id).order_by(m.Connection.id))
    if router_ids is not None:
        query = query.where(m.Connection.router_id.in_(router_ids))
    targets: dict[int, list[tuple[int, Target]]] = {}
    for conn_id, router_id, client_id, ip, user, code, earlier in uow.session.execute(query):
        targets.setdefault(router_id, []).append((client_id, Target(conn_id, code, ip, user, earlier)))
    return targets


RECHECK_CHUNK = 500   # client ids per query (SQLite's limit on parameters is far above)


def current_wanted(rt, today: date, *, router_id: int | None = None,
                   client_ids: list[int] | None = None) -> dict[int, str]:
    """{client id: "mark" | "clear"} as the clients' state stands now: every client with a
    connection on ROUTER_ID (one query), or CLIENT_IDS (one query per chunk of them).

    A client the job cut that has since got a payment commitment in force is restored here
    first (what the next run would decide), so the job never cuts it on the router."""
    clients, wanted = m.Client.__table__, {}
    in_force = select(Commitment.client_id).where(Commitment.status == "open", Commitment.due_date > today)
    if router_id is not None:
        batches = [clients.c.id.in_(select(m.Connection.client_id).where(m.Connection.router_id == router_id))]
    else:
        ids = client_ids or []
        batches = [clients.c.id.in_(ids[start:start + RECHECK_CHUNK])
                   for start in range(0, len(ids), RECHECK_CHUNK)]
    with rt.uow() as uow:
        for which in batches:
            rows = uow.session.execute(select(
                clients.c.id, clients.c.service, clients.c.service_by, clients.c.id.in_(in_force))
                .where(which)).all()
            shielded = [cid for cid, service, by, committed in rows
                        if service == "cut" and by == "job" and committed]
            released = set(_release(uow, rt, shielded, today))
            wanted.update({cid: "mark" if service == "cut" and cid not in released else "clear"
                           for cid, service, _, _ in rows})
        uow.commit()
    return wanted


def _release(uow: UnitOfWork, rt, client_ids: list[int], today: date) -> list[int]:
    """Restore CLIENT_IDS, cut by the job, now under a commitment; the ids it did restore."""
    if not client_ids:
        return []
    from ispcube.services.clients.log import log_many
    clients = m.Client.__table__
    released = uow.session.execute(
        update(clients).where(clients.c.id.in_(client_ids), clients.c.service == "cut",
                              clients.c.service_by == "job")
        .values(service="active").returning(clients.c.id)).scalars().all()
    log_many(uow, rt, [(cid, "service.restore", "service restored: a payment commitment is in force")
                       for cid in released])
    from ispcube.services.notices.outbox import notices_for_moves
    notices_for_moves(uow, rt, today, {cid: ("cut", "active") for cid in released}, "commitment")
    return list(released)


def decide(clients: dict[int, ClientRow], debts: dict[int, Decimal], threshold: Decimal,
           shielded: set[int]) -> list[Decision]:
    """What the daily job changes; SHIELDED clients have a commitment in force."""
    decisions = []
    for client in clients.values():
        if client.deleted:
            continue
        debt = debts.get(client.id, Decimal("0"))
        over = debt > threshold
        exempt = client.free or not client.blockable or client.id in shielded
        figures = f"overdue debt {format_amount(debt)}, threshold {format_amount(threshold)}"
        if client.service == "active" and client.service_by != "manual" and over and not exempt:
            decisions.append(Decision(client.id, "cut", "job", "service.cut", f"service cut: {figures}"))
        elif client.service == "cut" and client.service_by == "job" and (not over or exempt):
            why = figures if not over else _exemption(client, shielded)
            decisions.append(Decision(client.id, "active", "job", "service.restore",
                                      f"service restored: {why}"))
        elif client.service == "active" and client.service_by == "manual" and not over:
            decisions.append(Decision(client.id, "active", "job", "service.auto",
                                      f"back under automatic control: {figures}"))
    return decisions


def _exemption(client: ClientRow, shielded: set[int]) -> str:
    if client.free:
        return "the client is free"
    if not client.blockable:
        return "the client is not blockable"
    return "a payment commitment is in force"
