"""Durable router tasks (N2): queued idempotently, finished, retried, expired.

Every function here is set-based: one statement for any number of rows (an executemany
counts as one), so a run's query count does not grow with the number of clients.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterable

from sqlalchemy import and_, bindparam, select, text, update

from ispcube.db import models as m
from ispcube.db.network_models import RouterTask
from ispcube.db.uow import UnitOfWork
from ispcube.db.upsert import insert_on_conflict
from ispcube.domain.terms import OPPOSITE, Action, TaskStatus
from ispcube.services.admin import config
from ispcube.services.clients.log import log_many
from ispcube.services.enforcement.outcomes import ExpiredTask

TASKS = RouterTask.__table__   # Core table: an executemany UPDATE, not an ORM bulk update by key
OPEN = text("status = 'open'")


@dataclass
class OpenTask:
    id: int
    router_id: int
    connection_id: int | None
    client_id: int
    action: Action
    origin: str
    attempts: int


def retry_until(uow: UnitOfWork, day: date) -> date:
    return day + timedelta(days=config.get_value(uow.session, "enforce.retry_days"))


def _insert_ignoring_open(uow: UnitOfWork):
    """INSERT that skips a row when an open task for its connection and action exists."""
    return insert_on_conflict(uow.dialect, RouterTask).on_conflict_do_nothing(
        index_elements=["connection_id", "action"], index_where=OPEN)


def queue(uow: UnitOfWork, rows: list[dict], now: datetime) -> None:
    """Open a task per row (job, router_id, connection_id, client_id, action, origin, target,
    created_on, retry_until) unless one is open; open tasks doing the opposite are cancelled."""
    if not rows:
        return
    uow.session.execute(
        update(TASKS).where(TASKS.c.connection_id == bindparam("cid"),
                            TASKS.c.action == bindparam("opposite"), TASKS.c.status == TaskStatus.OPEN)
        .values(status=TaskStatus.CANCELLED, finished_at=now),
        [{"cid": r["connection_id"], "opposite": OPPOSITE[Action(r["action"])]} for r in rows])
    uow.session.execute(_insert_ignoring_open(uow),
                        [{"status": TaskStatus.OPEN, "attempts": 0, "last_error": None, "created_at": now, **r}
                         for r in rows])


def open_tasks(uow: UnitOfWork, job: str, router_ids: Iterable[int] | None = None,
               actions: Iterable[Action] | None = None) -> list[OpenTask]:
    """The open tasks of JOB, on ROUTER_IDS and of ACTIONS (one list's) when given."""
    query = select(RouterTask.id, RouterTask.router_id, RouterTask.connection_id, RouterTask.client_id,
                   RouterTask.action, RouterTask.origin, RouterTask.attempts).where(
        RouterTask.job == job, RouterTask.status == TaskStatus.OPEN)
    if router_ids is not None:
        query = query.where(RouterTask.router_id.in_(list(router_ids)))
    if actions is not None:
        query = query.where(RouterTask.action.in_([str(a) for a in actions]))
    return [OpenTask(row.id, row.router_id, row.connection_id, row.client_id, Action(row.action), row.origin,
                     row.attempts) for row in uow.session.execute(query.order_by(RouterTask.id))]


def close(uow: UnitOfWork, ids: list[int], status: TaskStatus, now: datetime) -> None:
    """Finish the open tasks IDS; one cancelled meanwhile (a manual change) stays cancelled."""
    if ids:
        uow.session.execute(
            update(TASKS).where(TASKS.c.id == bindparam("tid"), TASKS.c.status == TaskStatus.OPEN)
            .values(status=status, finished_at=now, attempts=TASKS.c.attempts + 1)
            , [{"tid": i} for i in ids])


def cancel(uow: UnitOfWork, ids: list[int], now: datetime) -> None:
    if ids:
        uow.session.execute(
            update(TASKS).where(TASKS.c.id == bindparam("tid"), TASKS.c.status == TaskStatus.OPEN)
            .values(status=TaskStatus.CANCELLED, finished_at=now)
            , [{"tid": i} for i in ids])


def record_failures(uow: UnitOfWork, failures: list[tuple[int, str]]) -> None:
    if failures:
        uow.session.execute(
            update(TASKS).where(TASKS.c.id == bindparam("tid"))
            .values(attempts=TASKS.c.attempts + 1, last_error=bindparam("error"))
            ,
            [{"tid": i, "error": error[:500]} for i, error in failures])


def expire(uow: UnitOfWork, rt, job: str, today: date, router_ids: Iterable[int] | None = None) -> list[ExpiredTask]:
    """Give up the open tasks whose retry window ended before TODAY; log each on its client."""
    query = (select(RouterTask.id, RouterTask.client_id, RouterTask.action, RouterTask.target,
                    RouterTask.created_on, RouterTask.last_error, m.Router.name, m.Client.code)
             .join(m.Router, m.Router.id == RouterTask.router_id)
             .join(m.Client, m.Client.id == RouterTask.client_id)
             .where(RouterTask.job == job, RouterTask.status == TaskStatus.OPEN, RouterTask.retry_until < today))
    if router_ids is not None:
        query = query.where(RouterTask.router_id.in_(list(router_ids)))
    rows = uow.session.execute(query).all()
    if not rows:
        return []
    now = rt.now()
    uow.session.execute(
        update(TASKS).where(and_(TASKS.c.id == bindparam("tid"), TASKS.c.status == TaskStatus.OPEN))
        .values(status=TaskStatus.EXPIRED, finished_at=now),
        [{"tid": r.id} for r in rows])
    expired: list[ExpiredTask] = [{"client": r.code, "router": r.name, "action": r.action, "target": r.target,
                "since": r.created_on.isoformat(), "last_error": r.last_error} for r in rows]
    log_many(uow, rt, [(r.client_id, "service.expired",
                        f"gave up {r.action} on router {r.name} ({r.target}), tried since "
                        f"{r.created_on.isoformat()}: {r.last_error or 'never reached'}") for r in rows])
    return expired

