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
from ispcube.services.enforcement.terms import DecidedBy, Service, Want


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
    service: Service
    service_by: DecidedBy | None
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


def current_wanted(rt, today: date, *, state: Service = Service.CUT, router_id: int | None = None,
                   client_ids: list[int] | None = None) -> dict[int, Want]:
    """{client id: mark | clear} on the list of STATE as the clients' state stands now: every
    client with a connection on ROUTER_ID (one query), or CLIENT_IDS (one query per chunk).

    A client the job cut or throttled that has since got a payment commitment in force is
    restored here first (what the next run would decide), so the job never cuts it on the
    router."""
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
            shielded = {cid: service for cid, service, by, committed in rows
                        if service in (Service.CUT, Service.THROTTLED) and by == DecidedBy.JOB and committed}
            released = set(_release(uow, rt, today, shielded))
            wanted.update({cid: Want.MARK if service == state and cid not in released else Want.CLEAR
                           for cid, service, _, _ in rows})
        uow.commit()
    return wanted


def _release(uow: UnitOfWork, rt, today: date, shielded: dict[int, str]) -> list[int]:
    """Restore the clients of SHIELDED ({id: cut or throttled, by the job}) now under a
    commitment; the ids it did restore (one UPDATE per state, so none an operator changed)."""
    from ispcube.services.enforcement.states import Was, service_states_changed
    clients, released = m.Client.__table__, list[int]()
    for state in sorted(set(shielded.values())):
        ids = [cid for cid, service in shielded.items() if service == state]
        released += uow.session.execute(
            update(clients).where(clients.c.id.in_(ids), clients.c.service == state,
                                  clients.c.service_by == DecidedBy.JOB)
            .values(service=Service.ACTIVE).returning(clients.c.id)).scalars().all()
    message = "service restored: a payment commitment is in force"
    service_states_changed(
        uow, rt, today, [Decision(cid, Service.ACTIVE, DecidedBy.JOB, "service.restore", message) for cid in released],
        {cid: Was(shielded[cid], DecidedBy.JOB) for cid in released}, "commitment")
    return released


@dataclass(frozen=True)
class Stages:
    """E1: days overdue (from the oldest unpaid debit's due date) before a debtor is throttled
    and cut; 0 turns a stage off (no throttle; the cut at once, as without stages)."""
    throttle_after: int = 0
    cut_after: int = 0

    @property
    def on(self) -> bool:
        return bool(self.throttle_after or self.cut_after)

    def stage(self, days: int) -> Service:
        """The state of a debtor DAYS overdue."""
        if not self.cut_after or days >= self.cut_after:
            return Service.CUT
        if self.throttle_after and days >= self.throttle_after:
            return Service.THROTTLED
        return Service.ACTIVE


def decide(clients: dict[int, ClientRow], debts: dict[int, Decimal], threshold: Decimal,
           shielded: set[int], stages: Stages = Stages(), days: dict[int, int] | None = None) -> list[Decision]:
    """What the daily job changes; SHIELDED clients have a commitment in force. With STAGES,
    a debtor DAYS[id] overdue is throttled or cut as its stage says (E1)."""
    decisions = []
    days = days or {}
    for client in clients.values():
        if client.deleted:
            continue
        debt = debts.get(client.id, Decimal("0"))
        over = debt > threshold
        exempt = client.free or not client.blockable or client.id in shielded
        figures = f"overdue debt {format_amount(debt)}, threshold {format_amount(threshold)}"
        if client.service_by == DecidedBy.MANUAL:
            if client.service == Service.ACTIVE and not over:
                decisions.append(Decision(client.id, Service.ACTIVE, DecidedBy.JOB, "service.auto",
                                          f"back under automatic control: {figures}"))
            continue                      # an operator's state wins until then
        if client.service != Service.ACTIVE and client.service_by != DecidedBy.JOB:
            continue                      # cut before ispcube governed it: left alone
        overdue_days = days.get(client.id, 0)
        if over and stages.on:
            figures += f", {overdue_days} days overdue"
        wanted = stages.stage(overdue_days) if over and not exempt else Service.ACTIVE
        if wanted == client.service:
            continue
        if wanted == Service.CUT:
            decisions.append(Decision(client.id, Service.CUT, DecidedBy.JOB, "service.cut",
                                      f"service cut: {figures}"))
        elif wanted == Service.THROTTLED:
            decisions.append(Decision(client.id, Service.THROTTLED, DecidedBy.JOB, "service.throttle",
                                      f"service throttled: {figures}"))
        else:
            why = _exemption(client, shielded) if over and exempt else figures
            decisions.append(Decision(client.id, Service.ACTIVE, DecidedBy.JOB, "service.restore",
                                      f"service restored: {why}"))
    return decisions


def _exemption(client: ClientRow, shielded: set[int]) -> str:
    if client.free:
        return "the client is free"
    if not client.blockable:
        return "the client is not blockable"
    return "a payment commitment is in force"
