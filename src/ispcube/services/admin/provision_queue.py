"""Provisioning tasks (S2): what a change to connections, plans or clients leaves for
`ispcube provision`, written in the change's own transaction.

A task names a router that has work and the client and connection it is for; `provision`
brings the whole router to the wanted state (`domain/provisioning.py`), so a task is a promise
that the router will be looked at, retried until `enforce.retry_days` pass, never a list of
writes to replay. Tasks live in `router_tasks` under the job `provision`:

- `provision` (one open per connection): the connection's objects must be made or changed on
  its router. A connection moved to another router moves its open task there.
- `deprovision` (no connection: the row may be gone): what a connection left on a router (it was
  deleted, moved away, or its client deleted) must be removed.

Set-based: a statement for any number of connections (a read per 500 ids, so an import's
thousands stay within the parameters a statement may carry).

It sits in `services/admin`, the lowest package of services, because changes made below the
network package write tasks too: a plan's speed (the maintenance tables) and a client's
deletion and restoration (`services/clients`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Iterable, Protocol

from sqlalchemy import bindparam, insert, select, text, update

from ispcube.db import models as m
from ispcube.db.chunks import chunks
from ispcube.db.network_models import RouterTask
from ispcube.db.uow import UnitOfWork
from ispcube.db.upsert import insert_on_conflict
from ispcube.domain.terms import Action, JobName, TaskStatus
from ispcube.services.admin import config

TASKS = RouterTask.__table__


class Clock(Protocol):
    """What the queue asks of the runtime (services/process/runtime.py, a package above this
    one): the moment and the day a task is made on."""
    def now(self) -> datetime: ...
    def today(self) -> date: ...


def _window(uow: UnitOfWork, rt: Clock) -> dict:
    now = rt.now()
    today = rt.today()
    return {"job": JobName.PROVISION.value, "status": TaskStatus.OPEN.value, "attempts": 0, "last_error": None,
            "created_at": now, "created_on": today,
            "retry_until": today + timedelta(days=config.get_value(uow.session, "enforce.retry_days"))}


PPPOE = "pppoe:"


def _label(ip: str | None, pppoe_user: str | None) -> str:
    return " ".join(x for x in (ip, pppoe_user and f"{PPPOE}{pppoe_user}") if x)[:160]


def label_user(label: str) -> str | None:
    """The PPPoE user a task's label names (`_label`'s words), if any."""
    head, found, user = label.partition(PPPOE)     # the address comes first; a user may hold spaces
    return user if found and head in ("", head.rstrip() + " ") and user else None


def queue_provision(uow: UnitOfWork, rt: Clock, connection_ids: Iterable[int], origin: str = "manual") -> int:
    """Open a `provision` task for each connection of CONNECTION_IDS on its current router
    (an open one is moved to that router and kept); the number of connections."""
    ids = sorted(set(connection_ids))
    if not ids:
        return 0
    rows = [row for part in chunks(ids) for row in uow.session.execute(
        select(m.Connection.id, m.Connection.router_id, m.Connection.client_id, m.Connection.ip,
               m.Connection.pppoe_user).where(m.Connection.id.in_(part)))]
    if not rows:
        return 0
    uow.session.execute(
        update(TASKS).where(TASKS.c.connection_id == bindparam("cid"), TASKS.c.action == Action.PROVISION.value,
                            TASKS.c.status == TaskStatus.OPEN.value)
        .values(router_id=bindparam("rid"), target=bindparam("label")),
        [{"cid": r.id, "rid": r.router_id, "label": _label(r.ip, r.pppoe_user)} for r in rows])
    window = _window(uow, rt)
    insert_ignoring_open = insert_on_conflict(uow.dialect, RouterTask).on_conflict_do_nothing(
        index_elements=["connection_id", "action"], index_where=text("status = 'open'"))
    uow.session.execute(insert_ignoring_open, [
        {**window, "router_id": r.router_id, "connection_id": r.id, "client_id": r.client_id,
         "action": Action.PROVISION.value, "origin": origin, "target": _label(r.ip, r.pppoe_user)}
        for r in rows])
    return len(rows)


def queue_removal(uow: UnitOfWork, rt: Clock, leaving: Iterable[tuple[int, int, str | None, str | None]],
                  origin: str = "manual") -> int:
    """Open a `deprovision` task for each (router id, client id, ip, pppoe user) in LEAVING:
    a connection gone from that router. Call before the connection row changes or goes."""
    rows = list(leaving)
    if rows:
        window = _window(uow, rt)
        uow.session.execute(insert(RouterTask), [
            {**window, "router_id": router_id, "connection_id": None, "client_id": client_id,
             "action": Action.DEPROVISION.value, "origin": origin, "target": _label(ip, user)}
            for router_id, client_id, ip, user in rows])
    return len(rows)


def queue_for_plan(uow: UnitOfWork, rt: Clock, plan_id: int) -> int:
    """A plan's speed changed: every connection on it (of clients not deleted) is provisioned again."""
    ids = uow.session.scalars(
        select(m.Connection.id).join(m.Client, m.Client.id == m.Connection.client_id)
        .where(m.Connection.plan_id == plan_id, m.Client.deleted.is_(False))).all()
    return queue_provision(uow, rt, ids, origin="plan")


def queue_for_client(uow: UnitOfWork, rt: Clock, client_id: int, leaving: bool) -> int:
    """A client deleted (LEAVING: its connections' objects are removed) or restored (made again)."""
    conns = uow.session.execute(
        select(m.Connection.id, m.Connection.router_id, m.Connection.ip, m.Connection.pppoe_user)
        .where(m.Connection.client_id == client_id)).all()
    if leaving:
        return queue_removal(uow, rt, [(c.router_id, client_id, c.ip, c.pppoe_user) for c in conns], origin="client")
    return queue_provision(uow, rt, [c.id for c in conns], origin="client")
