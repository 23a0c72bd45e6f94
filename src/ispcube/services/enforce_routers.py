"""Making each router match the wanted state (N2-N4, N7): read each list once, apply only the
difference, record every outcome on the durable tasks.

A router that fails does not stop the others. Work that fails is left on an open task (one is
opened for a failed change that had none) and retried by the next run until its retry window
ends. On PostgreSQL the routers are claimed with SELECT ... FOR UPDATE SKIP LOCKED, so two
processes never work on the same router at once.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Callable, Iterator

from sqlalchemy import select
from sqlalchemy.engine import Engine

from ispcube.adapters.drivers import CUT_LIST, Driver, Holding, Target, driver_for
from ispcube.db import models as m
from ispcube.errors import RouterError, RouterUnreachable
from ispcube.services import enforce_tasks as tasks
from ispcube.services.routers import config_of

Wanted = Callable[[int], str | None]   # client id -> "mark", "clear" or None (leave as it is)


@dataclass(frozen=True)
class ListJob:
    job: str                 # enforce | preaviso
    list_name: str
    mark: str                # task action that puts a connection on the list
    clear: str               # task action that takes it off
    timeout_s: int | None = None
    log_changes: bool = True


@dataclass(frozen=True)
class Run:
    """What every router of one run shares."""
    rt: object
    job: ListJob
    today: date
    retry_until: date                 # for tasks opened by this run
    known_codes: dict[str, int]       # client codes (and previous codes) -> client id
    mode: str = "apply"               # apply | plan | check


@dataclass
class Change:
    action: str              # the job's mark or clear action, or "stray"
    client_id: int | None
    target: Target | None
    task: tasks.OpenTask | None = None
    key: str | None = None   # stray entries: the router's key (an address)

    def row(self, router: str) -> dict:
        label = self.target.label if self.target else self.key
        return {"router": router, "action": "remove stray" if self.action == "stray" else self.action,
                "client": self.target.client_code if self.target else None, "target": label}


@dataclass
class RouterOutcome:
    router: str
    status: str = "ok"       # ok | failed | skipped
    done: int = 0
    failed: int = 0
    writes: int = 0
    error: str | None = None
    changes: list[dict] = field(default_factory=list)
    marked_clients: list[int] = field(default_factory=list)


@contextmanager
def claimed(engine: Engine, router_ids: list[int]) -> Iterator[set[int]]:
    """The routers this process may work on; on PostgreSQL the others are skipped.

    The claim is FOR NO KEY UPDATE SKIP LOCKED: it excludes every other claim, but not the
    key-share locks that inserting a task (a foreign key to the router) takes meanwhile."""
    if engine.dialect.name != "postgresql" or not router_ids:
        yield set(router_ids)
        return
    with engine.connect() as conn, conn.begin():
        yield set(conn.execute(select(m.Router.id).where(m.Router.id.in_(router_ids))
                               .with_for_update(skip_locked=True, key_share=True)).scalars())


def plan_changes(driver: Driver, holding: Holding, job: ListJob, targets: list[tuple[int, Target]],
                 wanted: Wanted, open_tasks: dict, known_codes: dict[str, int]) -> tuple[list[Change], list[int]]:
    """Changes needed on one router, and the ids of open tasks that no longer apply."""
    changes, stale = [], []
    open_tasks = dict(open_tasks)
    for client_id, target in targets:
        want = wanted(client_id)
        mark_task = open_tasks.pop((target.connection_id, job.mark), None)
        clear_task = open_tasks.pop((target.connection_id, job.clear), None)
        if want == "mark":
            stale += [clear_task.id] if clear_task else []
            if mark_task or not driver.marked(holding, target):
                changes.append(Change(job.mark, client_id, target, mark_task))
        elif want == "clear":
            stale += [mark_task.id] if mark_task else []
            if clear_task or not driver.cleared(holding, target):
                changes.append(Change(job.clear, client_id, target, clear_task))
        else:   # left as it is (warned recently): only a mark that failed is still retried
            stale += [clear_task.id] if clear_task else []
            changes += [Change(job.mark, client_id, target, mark_task)] if mark_task else []
    stale += [task.id for task in open_tasks.values()]   # connections moved or deleted
    for key in driver.strays(holding, [t for _, t in targets], known_codes):
        changes.append(Change("stray", known_codes.get(holding.entries.get(key)), None, key=key))
    return changes, stale


def work_on_router(run: Run, router: m.Router, targets, wanted: Wanted, open_tasks: dict) -> RouterOutcome:
    """run.mode: apply (make the router match), plan (say what would change) or check (drift).

    OPEN_TASKS: {(connection id, action): OpenTask} of this router and job."""
    rt, job, mode = run.rt, run.job, run.mode
    outcome = RouterOutcome(router.name)
    driver = driver_for(config_of(router, rt.engine.url.render_as_string(hide_password=False)))
    if job.list_name != CUT_LIST and not driver.supports_preaviso:
        outcome.status = "skipped"
        outcome.error = f"{router.kind} routers keep no {job.list_name} list"
        return outcome
    try:
        driver.open()
        try:
            holding = driver.read(job.list_name, [t for _, t in targets])
            changes, stale = plan_changes(driver, holding, job, targets, wanted, open_tasks,
                                          run.known_codes)
            outcome.changes = [c.row(router.name) for c in changes]
            if mode != "apply":
                return outcome
            _apply(run, driver, holding, router, changes, stale, outcome)
        finally:
            driver.close()
    except RouterError as exc:
        outcome.status, outcome.error = "failed", str(exc)
        if mode == "apply":
            _record_unreachable(rt, router, list(open_tasks.values()), str(exc), outcome)
    return outcome


def _apply(run: Run, driver: Driver, holding: Holding, router: m.Router, changes: list[Change],
           stale: list[int], outcome: RouterOutcome) -> None:
    """Make CHANGES on the router, then record every outcome in one transaction."""
    rt, job = run.rt, run.job
    done, failures, new_failures, log = [], [], [], []
    dead: str | None = None            # once the connection is lost, the rest fail with it
    for change in changes:
        error = dead or _attempt(driver, holding, job, change)
        if isinstance(error, _Lost):
            dead = error = str(error)
        if error is None:
            outcome.done += 1
            if change.action == job.mark and change.client_id is not None:
                outcome.marked_clients.append(change.client_id)
            done += [change.task.id] if change.task else []
            if job.log_changes and change.client_id is not None:
                log.append((change.client_id, f"router.{change.action}", _done_message(change, router)))
            continue
        outcome.failed += 1
        outcome.status, outcome.error = "failed", outcome.error or error
        if change.task:
            failures.append((change.task.id, error))
        elif change.target is not None:
            new_failures.append(_failed_task(run, router, change, error))
    outcome.writes = driver.writes
    with rt.uow() as uow:
        now = rt.now()
        tasks.close(uow, done, "done", now)
        tasks.cancel(uow, stale, now)
        tasks.record_failures(uow, failures)
        tasks.queue(uow, new_failures, now)
        tasks.log_many(uow, rt, log)
        uow.commit()


class _Lost(str):
    """The error of a change that lost the connection to the router."""


def _attempt(driver: Driver, holding: Holding, job: ListJob, change: Change) -> str | None:
    """Make one change; None when done, else why not."""
    requested = change.task is not None
    try:
        if change.action == job.mark:
            driver.mark(holding, change.target, job.timeout_s, requested)
        elif change.action == job.clear:
            driver.clear(holding, change.target, requested)
        else:
            driver.remove_stray(holding, change.key)
    except RouterUnreachable as exc:
        return _Lost(str(exc))
    except RouterError as exc:
        return str(exc)
    return None


def _done_message(change: Change, router: m.Router) -> str:
    verb = {"cut": "cut", "restore": "restored", "warn": "warned", "unwarn": "warning removed",
            "stray": "stray entry removed"}[change.action]
    return f"{verb} on router {router.name} ({change.target.label if change.target else change.key})"


def _failed_task(run: Run, router: m.Router, change: Change, error: str) -> dict:
    return {"job": run.job.job, "router_id": router.id, "connection_id": change.target.connection_id,
            "client_id": change.client_id, "action": change.action, "origin": "drift",
            "target": change.target.label, "created_on": run.today, "retry_until": run.retry_until,
            "attempts": 1, "last_error": error[:500]}


def _record_unreachable(rt, router: m.Router, open_tasks: list, error: str, outcome: RouterOutcome) -> None:
    outcome.failed += len(open_tasks)
    with rt.uow() as uow:
        tasks.record_failures(uow, [(t.id, error) for t in open_tasks])
        uow.commit()
