"""Client service states and the router lists that show them (N1, N5, N6, E1-E3).

A client's service is active, throttled or cut (`domain.terms.Service`). The routers show it on two
lists: the cut list holds the cut clients, the throttle list the throttled ones; an active
client is on neither. Each list is one `Pass` of the router-job engine (`jobs`).

Every change of a client's service state, whoever decides it (the enforce job, a broken or
a new commitment, an operator), goes through `service_states_changed`, in the transaction
that changes the state: it writes the client log, a durable router task per connection and
list, and the client's notice (the outbox, E4), and is where anything else that follows a
change belongs. `change_service_states` updates the clients' rows and calls it.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Callable, Literal

from sqlalchemy import bindparam, exists, or_, select, update

from ispcube.adapters.drivers import CUT_LIST, THROTTLE_LIST
from ispcube.db import models as m
from ispcube.db.chunks import one_list
from ispcube.db.network_models import RouterTask
from ispcube.db.uow import UnitOfWork
from ispcube.domain.enforcement import Decision
from ispcube.domain.terms import Action, JobName, Service, TaskStatus, Want
from ispcube.services.admin import config
from ispcube.services.clients.log import log_many
from ispcube.services.enforcement import tasks
from ispcube.services.enforcement.jobs import Pass
from ispcube.services.enforcement.routers import ListJob
from ispcube.services.enforcement.wanted import current_wanted
from ispcube.services.notices.outbox import notices_for_moves

if TYPE_CHECKING:
    from ispcube.domain.terms import NextStep
    from ispcube.services.process.runtime import Runtime

CLIENTS = m.Client.__table__   # Core table: one executemany UPDATE for every change
CUT_JOB = ListJob(JobName.ENFORCE, CUT_LIST, Action.CUT, Action.RESTORE)
THROTTLE_JOB = ListJob(JobName.ENFORCE, THROTTLE_LIST, Action.THROTTLE, Action.UNTHROTTLE)
# The list that shows each state, with its job: a client is marked on its state's list only.
SHOWN_ON = {Service.CUT: CUT_JOB, Service.THROTTLED: THROTTLE_JOB}
Origin = Literal["job", "manual", "commitment"]


@dataclass(frozen=True)
class Was:
    """A client's service state before a change (the change applies only if it still holds)."""
    service: str
    service_by: str | None


def change_service_states(uow: UnitOfWork, rt: "Runtime", today: date, decisions: list[Decision],
                          was: dict[int, Was], origin: Origin,
                          retry_until: dict[int, date] | None = None, *,
                          debts: dict[int, Decimal] | None = None,
                          next_steps: dict[int, tuple["NextStep", date]] | None = None) -> None:
    """Apply DECISIONS (one per client) in the caller's transaction: one UPDATE of the clients
    still in the state WAS says, one INSERT into the client log, and the router tasks of the
    clients whose service changes (one statement).

    A client no longer in the state the decision was made from (an operator changed it
    meanwhile) is left as it is; the run's router work may then act on the old decision once,
    and the next run sees the operator's state and puts it right. RETRY_UNTIL: the last day
    the tasks of some clients are retried, if not the usual (a commitment's cut); DEBTS and
    NEXT_STEPS, what the notices name (see `service_states_changed`)."""
    if not decisions:
        return
    uow.session.flush()
    uow.session.execute(
        update(CLIENTS).where(CLIENTS.c.id == bindparam("cid"), CLIENTS.c.service == bindparam("was"),
                              CLIENTS.c.service_by.is_not_distinct_from(bindparam("was_by")))
        .values(service=bindparam("new_service"), service_by=bindparam("new_by")),
        [{"cid": d.client_id, "was": str(was[d.client_id].service), "was_by": was[d.client_id].service_by,
          "new_service": str(d.service), "new_by": d.service_by} for d in decisions])
    service_states_changed(uow, rt, today, decisions, was, origin, retry_until, debts=debts,
                           next_steps=next_steps)


def service_states_changed(uow: UnitOfWork, rt: "Runtime", today: date, decisions: list[Decision],
                           was: dict[int, Was], origin: Origin,
                           retry_until: dict[int, date] | None = None, *,
                           debts: dict[int, Decimal] | None = None,
                           next_steps: dict[int, tuple["NextStep", date]] | None = None) -> None:
    """What follows DECISIONS once the clients' rows hold them (the caller's transaction):
    one INSERT into the client log, the router tasks of every client whose service moved from
    WAS (one statement), and the notices of those moves (`notices_for_moves`: DEBTS, the
    overdue debts when read already; NEXT_STEPS, the stage that follows and its date).
    Decisions that keep the service (a manual enable of an active client, one handed back to
    the job) are logged only."""
    log_many(uow, rt, [(d.client_id, d.kind, d.message) for d in decisions])
    moves = {d.client_id: (Service(was[d.client_id].service), Service(d.service)) for d in decisions
             if was[d.client_id].service != d.service}
    _queue(uow, rt, today, moves, origin, retry_until or {})
    notices_for_moves(uow, rt, today, {cid: (str(before), str(after)) for cid, (before, after) in moves.items()},
                      origin, next_steps=next_steps, debts=debts)


def _actions(before: Service, after: Service) -> list[Action]:
    """The router tasks that move a connection from BEFORE to AFTER, marks first (a client
    moving from throttled to cut is never left on neither list)."""
    marks = [SHOWN_ON[after].mark] if after in SHOWN_ON else []
    clears = [SHOWN_ON[before].clear] if before in SHOWN_ON else []
    return marks + clears


def _queue(uow: UnitOfWork, rt: "Runtime", today: date, moves: dict[int, tuple[Service, Service]],
           origin: Origin, retry_until: dict[int, date]) -> None:
    """A task per connection and list of each moved client, in one statement."""
    if not moves:
        return
    default_until = tasks.retry_until(uow, today)
    rows = []
    for conn_id, router_id, client_id, ip, user in _connections_of(uow, moves):
        for action in _actions(*moves[client_id]):
            rows.append({"job": JobName.ENFORCE, "router_id": router_id, "connection_id": conn_id,
                         "client_id": client_id, "action": action,
                         "origin": "commitment" if client_id in retry_until else origin,
                         "target": " ".join(x for x in (ip, user and f"pppoe:{user}") if x),
                         "created_on": today, "retry_until": retry_until.get(client_id, default_until)})
    tasks.queue(uow, rows, rt.now())


def _connections_of(uow: UnitOfWork, client_ids) -> list:
    """The connections of CLIENT_IDS in one query: an IN list while it is short, otherwise
    every connection filtered here (a long IN list would hit SQLite's limit on parameters)."""
    query = select(m.Connection.id, m.Connection.router_id, m.Connection.client_id,
                   m.Connection.ip, m.Connection.pppoe_user)
    listed = one_list(client_ids)
    if listed is not None:
        return list(uow.session.execute(query.where(m.Connection.client_id.in_(listed))))
    return [row for row in uow.session.execute(query) if row.client_id in client_ids]


def throttling_in_use(uow: UnitOfWork) -> bool:
    """Does any router list of throttled clients need work: the stage is on, a client is
    throttled, or a throttle task is open? (When not, runs never read the throttle list.)"""
    if config.get_value(uow.session, "escalation.throttle_after_days"):
        return True
    return bool(uow.session.scalar(select(
        exists().where(m.Client.service == Service.THROTTLED)
        | exists().where(RouterTask.status == TaskStatus.OPEN,
                         or_(RouterTask.action == Action.THROTTLE, RouterTask.action == Action.UNTHROTTLE)))))


def passes(rt: "Runtime", today: date, service_of: Callable[[int], str | None], *,
           throttling: bool, rate: str | None = None) -> list[Pass]:
    """The enforce job's passes: the cut list, and the throttle list when THROTTLING is in
    use (at RATE). SERVICE_OF(client id) is the state decided for the run; under each router's
    lock the clients' states are read again (`current_wanted`)."""
    # The cut list first: a client moving from throttled to cut is cut before it is let off
    # the throttle list, never left on neither.
    steps = [(Service.CUT, CUT_JOB)]
    if throttling:
        steps.append((Service.THROTTLED, ListJob(JobName.ENFORCE, THROTTLE_LIST, Action.THROTTLE,
                                                 Action.UNTHROTTLE, rate=rate)))
    return [Pass(job, _wanted(service_of, state),
                 lambda state=state, **which: current_wanted(rt, today, state=state, **which))
            for state, job in steps]


def _wanted(service_of: Callable[[int], str | None], state: Service) -> Callable[[int], Want]:
    return lambda client_id: Want.MARK if service_of(client_id) == state else Want.CLEAR
