"""Payment commitments (N5, the seed's "Compromiso de Pago").

`commit CODE DATE` postpones any automatic cut until DATE. On DATE the enforce job rebuilds
the client's balance, keeps the service when the overdue debt is at or below the threshold,
and otherwise cuts, retrying the cut on each of the next 5 days if the router fails.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TypedDict

from sqlalchemy import select

from ispcube.db import models as m
from ispcube.db.commitments import falls_due, is_open
from ispcube.db.network_models import Commitment
from ispcube.db.uow import UnitOfWork
from ispcube.domain.dates import parse_date
from ispcube.domain.enforcement import Decision
from ispcube.domain.money import format_amount
from ispcube.domain.terms import CommitmentStatus, DecidedBy, Service
from ispcube.errors import Invalid, NotFound
from ispcube.services.clients import log as events
from ispcube.services.clients.lifecycle import find_client
from ispcube.services.clients.log import log_many

CUT_RETRY_DAYS = 5   # the seed (v6.46): "insistirá hasta 5 días después de la fecha original"


class CommitmentShown(TypedDict):
    """`commit`: the client's commitment in force now (None once cleared)."""
    client: str
    commitment: str | None


def open_commitment(uow: UnitOfWork, client_id: int) -> Commitment | None:
    return uow.session.scalar(select(Commitment).where(Commitment.client_id == client_id, is_open(Commitment)))


def set_commitment(rt, code: str, due: str) -> CommitmentShown:
    due_date = parse_date(due, field="commitment date", clock=True, local=rt.local_formats())
    if due_date < rt.today():
        raise Invalid(f"commitment date {due_date.isoformat()} is in the past")
    with rt.uow() as uow:
        client = find_client(uow, code, rt.actor(uow))
        if client.deleted:
            raise Invalid(f"client {client.code} is deleted")
        current = open_commitment(uow, client.id)
        if current is not None:
            current.status, current.closed_at = CommitmentStatus.CLEARED, rt.now()
            uow.flush()
        uow.session.add(Commitment(client_id=client.id, due_date=due_date, status=CommitmentStatus.OPEN,
                                   operator=rt.operator, created_at=rt.now()))
        replaced = f" (replaces the one of {current.due_date.isoformat()})" if current else ""
        events.log(uow, rt, client, "commitment.set",
                   f"payment commitment until {due_date.isoformat()}{replaced}")
        uow.commit()
        return {"client": client.code, "commitment": due_date.isoformat()}


def clear_commitment(rt, code: str) -> CommitmentShown:
    with rt.uow() as uow:
        client = find_client(uow, code, rt.actor(uow))
        if not drop(uow, rt, client):
            raise NotFound(f"client {client.code} has no payment commitment in force")
        uow.commit()
        return {"client": client.code, "commitment": None}


def drop(uow: UnitOfWork, rt, client: m.Client) -> bool:
    """Remove the client's open commitment, if any (the caller commits)."""
    current = open_commitment(uow, client.id)
    if current is None:
        return False
    current.status, current.closed_at = CommitmentStatus.CLEARED, rt.now()
    events.log(uow, rt, client, "commitment.clear",
               f"payment commitment of {current.due_date.isoformat()} removed")
    return True


def _due(today: date):
    """Open commitments due by TODAY of clients not deleted: jobs leave deleted clients alone
    (C4), so a deleted client's connections stay as they were until an operator acts."""
    return (falls_due(Commitment, today),
            Commitment.client_id.in_(select(m.Client.id).where(m.Client.deleted.is_(False))))


def due_client_ids(uow: UnitOfWork, today: date) -> list[int]:
    return list(uow.session.scalars(select(Commitment.client_id).where(*_due(today))))


@dataclass
class Settled:
    decisions: list[Decision]
    retry_until: dict[int, date]      # client id -> last day its commitment cut is retried
    handled: set[int]                 # clients the daily rules must leave alone this run


def settle_due(uow: UnitOfWork, rt, today: date, debts: dict[int, Decimal], threshold: Decimal,
               services: dict[int, str]) -> Settled:
    """Close every commitment due by TODAY: kept, or the client is cut (N5)."""
    due = uow.session.execute(select(Commitment.id, Commitment.client_id, Commitment.due_date)
                              .where(*_due(today))).all()
    settled = Settled([], {}, set())
    outcome = []
    for commitment_id, client_id, due_date in due:
        debt = debts.get(client_id, Decimal("0"))
        figures = f"overdue debt {format_amount(debt)}, threshold {format_amount(threshold)}"
        settled.handled.add(client_id)
        if debt <= threshold:
            outcome.append((commitment_id, CommitmentStatus.KEPT, client_id,
                            f"payment commitment of {due_date.isoformat()} kept: {figures}"))
            continue
        outcome.append((commitment_id, CommitmentStatus.CUT, client_id,
                        f"payment commitment of {due_date.isoformat()} not met: {figures}"))
        settled.retry_until[client_id] = due_date + timedelta(days=CUT_RETRY_DAYS)
        if services.get(client_id) != "cut":
            settled.decisions.append(Decision(client_id, Service.CUT, DecidedBy.JOB, "service.cut",
                                              f"service cut: commitment of {due_date.isoformat()} not met"))
    _close(uow, rt, outcome)
    return settled


def _close(uow: UnitOfWork, rt, outcome: list[tuple[int, CommitmentStatus, int, str]]) -> None:
    if not outcome:
        return
    from sqlalchemy import bindparam, update

    table = Commitment.__table__
    uow.session.execute(update(table).where(table.c.id == bindparam("cid"))
                        .values(status=bindparam("status"), closed_at=rt.now()),
                        [{"cid": cid, "status": status} for cid, status, _, _ in outcome])
    log_many(uow, rt, [(client_id, "commitment.check", message) for _, _, client_id, message in outcome])
