"""The wanted service state of every client and connection (N1, N5, N6), from set-based reads:
the rows `domain.enforcement.decide` works on.

`current_wanted` re-reads what the routers must show for a few clients, under a router's lock,
so a run never writes a state that an operator changed after the run planned.
"""

from datetime import date

from sqlalchemy import select, update

from ispcube.adapters.drivers import Target
from ispcube.db import models as m
from ispcube.db.chunks import chunks
from ispcube.db.commitments import in_force
from ispcube.db.network_models import Commitment
from ispcube.db.uow import UnitOfWork
from ispcube.domain.enforcement import ClientRow, Decision
from ispcube.domain.terms import DecidedBy, Service, Want


def load_clients(uow: UnitOfWork) -> dict[int, ClientRow]:
    rows = uow.session.execute(select(
        m.Client.id, m.Client.code, m.Client.previous_code, m.Client.service, m.Client.service_by,
        m.Client.free, m.Client.blockable, m.Client.deleted))
    return {row.id: ClientRow(*row) for row in rows}


def commitments_in_force(uow: UnitOfWork, today: date) -> set[int]:
    """Clients whose open commitment postpones the cut past TODAY."""
    return set(uow.session.scalars(select(Commitment.client_id).where(in_force(Commitment, today))))


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


def current_wanted(rt, today: date, *, state: Service = Service.CUT, router_id: int | None = None,
                   client_ids: list[int] | None = None) -> dict[int, Want]:
    """{client id: mark | clear} on the list of STATE as the clients' state stands now: every
    client with a connection on ROUTER_ID (one query), or CLIENT_IDS (one query per chunk).

    A client the job cut or throttled that has since got a payment commitment in force is
    restored here first (what the next run would decide), so the job never cuts it on the
    router."""
    clients, wanted = m.Client.__table__, {}
    committed = select(Commitment.client_id).where(in_force(Commitment, today))
    if router_id is not None:
        batches = [clients.c.id.in_(select(m.Connection.client_id).where(m.Connection.router_id == router_id))]
    else:
        batches = [clients.c.id.in_(part) for part in chunks(client_ids or [])]
    with rt.uow() as uow:
        for which in batches:
            rows = uow.session.execute(select(
                clients.c.id, clients.c.service, clients.c.service_by, clients.c.id.in_(committed))
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
