"""Making each router match the wanted state (N2-N4, N7): read each list once, apply only the
difference, record every outcome on the durable tasks.

A router that fails does not stop the others. Work that fails is left on an open task (one is
opened for a failed change that had none) and retried by the next run until its retry window
ends. On PostgreSQL the routers are claimed with SELECT ... FOR NO KEY UPDATE SKIP LOCKED, so
two job runs never work on the same router at once.

A manual change (N6) may land while a run works on a router: a job never undoes it. The job
and the manual path take the same per-router lock (`router_lock`) before reading the router
and writing to it. Under that lock the job plans the router from the database as it stands
then (`Pass.current`: one query for the state of the router's clients, one for its open
tasks), not from the state it decided at the start of the run, so a change made since is
written as it is now and its task closed. On a slow router the clients still to be written
are read again every `BATCH_S` (one query per batch of writes, never one per client), and
after its writes the job reads the clients it wrote once more and puts right any that changed
meanwhile, including a change whose own router write never came (its process was killed, or
gave up waiting). The manual path waits for the lock (bounded) and reads the router under it, so
whichever writes last writes the current state; if it gives up, its change stays queued for
the job and the command says so.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
import time
from typing import TYPE_CHECKING, Callable, Iterator

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from ispcube.adapters.drivers import CUT_LIST, Driver, Holding, RouterConfig, Target, Write, driver_for, kind_of
from ispcube.db import models as m
from ispcube.domain.terms import Action, JobName, Mode, TaskStatus, Want
from ispcube.errors import RouterError, RouterUnreachable
from ispcube.services.admin import config
from ispcube.services.clients.log import log_many
from ispcube.services.enforcement import router_lock as locks, tasks
from ispcube.services.enforcement.outcomes import ChangeRow, RouterStatus
from ispcube.services.network.routers import config_of, nas_peers

if TYPE_CHECKING:
    from ispcube.services.process.runtime import Runtime

Wanted = Callable[[int], Want | None]   # client id -> mark, clear or None (leave as it is)
# current(router_id=ID) or current(client_ids=[...]) -> {client id: mark | clear}, read now
Current = Callable[..., dict[int, Want]]
CATCH_UP_ROUNDS = 3      # passes putting right clients that changed while the job wrote
BATCH_S = 1.0            # writing to a slow router, the clients still to write are read again this often


@dataclass(frozen=True)
class ListJob:
    """One list a job keeps on the routers, and the task actions that write it."""
    job_name: JobName        # the job whose tasks record the list's writes
    list_name: str
    mark: Action             # task action that puts a connection on the list
    clear: Action            # task action that takes it off
    timeout_s: int | None = None
    log_changes: bool = True
    rate: str | None = None  # the throttle list's rate (E2), for drivers that set it per list

    @property
    def actions(self) -> tuple[Action, Action]:
        return (self.mark, self.clear)


@dataclass(frozen=True)
class Scope:
    """What every router and pass of one run shares."""
    rt: "Runtime"
    today: date
    retry_until: date                 # for tasks opened by this run
    known_codes: dict[str, int]       # client codes (and previous codes) -> client id
    mode: Mode = Mode.APPLY


@dataclass(frozen=True)
class Pass:
    """One list a job makes match on every router: what each client wants on it."""
    job: ListJob
    wanted: Wanted
    current: Current | None = None    # re-reads what clients want now (None: wanted is final)


@dataclass
class Change:
    action: Action           # the job's mark or clear action, or STRAY
    client_id: int | None
    target: Target | None
    task: tasks.OpenTask | None = None
    key: str | None = None   # stray entries: the router's key (an address)

    def row(self, router: str) -> ChangeRow:
        label = self.target.label if self.target else self.key
        return {"router": router, "action": "remove stray" if self.action == Action.STRAY else str(self.action),
                "client": self.target.client_code if self.target else None, "target": label}


@dataclass
class RouterOutcome:
    router: str
    status: RouterStatus = RouterStatus.OK
    done: int = 0
    failed: int = 0
    writes: int = 0
    error: str | None = None
    changes: list[ChangeRow] = field(default_factory=list)
    marked_clients: list[int] = field(default_factory=list)


@contextmanager
def claimed(engine: Engine, router_ids: list[int], job: str) -> Iterator[set[int]]:
    """The routers this run of JOB may work on; on PostgreSQL those another run of JOB (from
    another host) works on are skipped.

    A claim is a transaction-scoped advisory lock on (JOB, router), tried without waiting: it
    excludes another run of the same job only. A run of another job on the same router
    (provision beside enforce, preaviso beside either) is not skipped: it waits for the
    router's lock (router_lock.py) and writes after the first, from what it reads then (R17)."""
    if engine.dialect.name != "postgresql" or not router_ids:
        yield set(router_ids)
        return
    key = locks.advisory_key(f"ispcube:claim:{job}")
    with engine.connect() as conn, conn.begin():
        yield {router_id for router_id in router_ids
               if conn.execute(select(func.pg_try_advisory_xact_lock(key, router_id))).scalar()}


def plan_changes(driver: Driver, holding: Holding, job: ListJob, targets: list[tuple[int, Target]],
                 wanted: Wanted, open_tasks: dict, known_codes: dict[str, int]) -> tuple[list[Change], list[int]]:
    """Changes needed on one router, and the ids of open tasks that no longer apply."""
    changes, stale = [], []
    open_tasks = dict(open_tasks)
    for client_id, target in targets:
        want = wanted(client_id)
        mark_task = open_tasks.pop((target.connection_id, job.mark), None)
        clear_task = open_tasks.pop((target.connection_id, job.clear), None)
        if want == Want.MARK:
            stale += [clear_task.id] if clear_task else []
            if mark_task or not driver.marked(holding, target):
                changes.append(Change(job.mark, client_id, target, mark_task))
        elif want == Want.CLEAR:
            stale += [mark_task.id] if mark_task else []
            if clear_task or not driver.cleared(holding, target):
                changes.append(Change(job.clear, client_id, target, clear_task))
        else:   # left as it is (warned recently): only a mark that failed is still retried
            stale += [clear_task.id] if clear_task else []
            changes += [Change(job.mark, client_id, target, mark_task)] if mark_task else []
    stale += [task.id for task in open_tasks.values()]   # connections moved or deleted
    for key in driver.strays(holding, [t for _, t in targets], known_codes):
        changes.append(Change(Action.STRAY, known_codes.get(holding.entries.get(key) or ""), None, key=key))
    return changes, stale


def work_on_router(scope: Scope, step: Pass, router: m.Router, targets, open_tasks: dict) -> RouterOutcome:
    """STEP's list on one router; scope.mode: apply (make the router match), plan (say what
    would change) or check (drift).

    OPEN_TASKS: {(connection id, action): OpenTask} of this router and job. Applying holds the
    router's lock for the job's list from the read to the last write."""
    rt, job, wanted = scope.rt, step.job, step.wanted
    outcome = RouterOutcome(router.name)
    adopt_lists, write_depth = _router_settings(rt)
    own = rt.engine.url.render_as_string(hide_password=False)
    config = replace(config_of(router, own), adopt_lists=adopt_lists if job.list_name == CUT_LIST else (),
                     write_depth=write_depth, peers=_peers(rt, router, own))
    driver = driver_for(replace(config, throttle_rate=job.rate) if job.rate else config)
    if not driver.keeps(job.list_name):
        outcome.status = RouterStatus.SKIPPED
        outcome.error = f"{router.kind} routers keep no {job.list_name} list"
        return outcome
    if scope.mode != Mode.APPLY:
        return _plan_and_apply(scope, step, driver, router, targets, wanted, open_tasks, outcome)
    with locks.router_lock(rt.engine, router.id, job.list_name) as held:
        if held:
            if step.current is not None:
                wanted, open_tasks = _as_now(scope, step, router, targets, open_tasks)
            return _plan_and_apply(scope, step, driver, router, targets, wanted, open_tasks, outcome)
    outcome.status = RouterStatus.FAILED
    outcome.error = (f"router {router.name}: another process kept writing to it for {locks.WAIT_S:.0f} s "
                     f"(an enforce run or a manual change)")
    _record_unreachable(rt, router, list(open_tasks.values()), outcome.error, outcome)
    return outcome


def _router_settings(rt) -> tuple[tuple[str, ...], int]:
    """The lists of `enforce.adopt_lists` (U5: the cuts the old system left on the routers) and
    `enforce.write_depth` (S5: commands in flight at once)."""
    with rt.uow() as uow:
        names, depth = config.get_values(uow.session, "enforce.adopt_lists", "enforce.write_depth")
    return tuple(name.strip() for name in names.split(",") if name.strip()), depth


def _peers(rt: "Runtime", router: m.Router, own_db_url: str) -> tuple[RouterConfig, ...]:
    """The NASes sharing a RADIUS router's database: a session of one of its connections may be
    on any of them (a CPE dials in where it can), and is cut or throttled there."""
    if not kind_of(router.kind).radius_tables:
        return ()
    with rt.uow() as uow:
        return nas_peers(uow, router, own_db_url)


def _plan_and_apply(scope: Scope, step: Pass, driver: Driver, router: m.Router, targets, wanted: Wanted,
                    open_tasks: dict, outcome: RouterOutcome) -> RouterOutcome:
    """Read the list off the router once, plan the difference and, when applying, write it;
    a router that cannot be reached fails the open tasks waiting on it."""
    try:
        driver.open()
        try:
            holding = driver.read(step.job.list_name, [t for _, t in targets])
            changes, stale = plan_changes(driver, holding, step.job, targets, wanted, open_tasks,
                                          scope.known_codes)
            outcome.changes = [c.row(router.name) for c in changes]
            if scope.mode != Mode.APPLY:
                return outcome
            _apply(scope, step, driver, holding, router, targets, changes, stale, outcome)
        finally:
            driver.close()
    except RouterError as exc:
        outcome.status, outcome.error = RouterStatus.FAILED, str(exc)
        if scope.mode == Mode.APPLY:
            _record_unreachable(scope.rt, router, list(open_tasks.values()), str(exc), outcome)
    return outcome


def _written(job: ListJob, changes: list[Change]) -> dict[int, Want]:
    """{client id: mark | clear} that CHANGES write (strays belong to no wanted state)."""
    return {c.client_id: Want.MARK if c.action == job.mark else Want.CLEAR for c in changes
            if c.client_id is not None and c.action in (job.mark, job.clear)}


def _moved(step: Pass, planned: dict[int, Want]) -> dict[int, Want]:
    """The clients of PLANNED whose current state wants otherwise, with what it wants."""
    if step.current is None or not planned:
        return {}
    now = step.current(client_ids=sorted(planned))
    return {cid: want for cid, want in now.items() if planned.get(cid) != want}


def _as_now(scope: Scope, step: Pass, router: m.Router, targets, open_tasks: dict) -> tuple[Wanted, dict]:
    """What ROUTER must hold as the database stands now (read under the router's lock): the
    current state of every client with a connection on it, and the open tasks of those
    clients and of OPEN_TASKS' (a manual change made since the run planned has its own)."""
    assert step.current is not None, "only a run that re-reads what clients want asks for it"
    now = step.current(router_id=router.id)
    concerned = {cid for cid, _ in targets} | {t.client_id for t in open_tasks.values()}
    with scope.rt.uow() as uow:
        fresh = [t for t in tasks.open_tasks(uow, step.job.job_name, [router.id], step.job.actions)
                 if t.client_id in concerned]
    return now.get, {(t.connection_id, t.action): t for t in fresh}


def _replan(scope: Scope, step: Pass, driver: Driver, holding: Holding, router: m.Router, targets,
            moved: dict[int, Want]) -> tuple[list[Change], list[int]]:
    """The changes that make MOVED clients' connections on ROUTER hold what MOVED says, with
    their open tasks read now; also their tasks to cancel."""
    with scope.rt.uow() as uow:
        theirs = [t for t in tasks.open_tasks(uow, step.job.job_name, [router.id], step.job.actions)
                  if t.client_id in moved]
    mine = [(cid, target) for cid, target in targets if cid in moved]
    return plan_changes(driver, holding, step.job, mine, moved.get,
                        {(t.connection_id, t.action): t for t in theirs}, {})


@dataclass
class _Record:
    """The outcomes of a router's writes, recorded together at the end."""
    done: list[int] = field(default_factory=list)
    failures: list[tuple[int, str]] = field(default_factory=list)
    new_failures: list[dict] = field(default_factory=list)
    log: list[tuple[int, str, str]] = field(default_factory=list)
    dead: str | None = None            # once the connection is lost, the rest fail with it


def _apply(scope: Scope, step: Pass, driver: Driver, holding: Holding, router: m.Router, targets,
           changes: list[Change], stale: list[int], outcome: RouterOutcome) -> None:
    """Make CHANGES on the router, put right the clients that changed state meanwhile, then
    record every outcome in one transaction."""
    rt = scope.rt
    record = _Record()
    changes, stale = _write_in_batches(scope, step, driver, holding, router, targets, changes, stale, outcome,
                                       record)
    for _ in range(CATCH_UP_ROUNDS):
        moved = {} if record.dead else _moved(step, _written(step.job, changes))
        if not moved:
            break
        changes, more_stale = _replan(scope, step, driver, holding, router, targets, moved)
        stale += more_stale
        outcome.changes += [c.row(router.name) for c in changes]
        _write(scope, step, driver, holding, router, changes, outcome, record)
    outcome.writes = driver.writes
    with rt.uow() as uow:
        now = rt.now()
        tasks.close(uow, record.done, TaskStatus.DONE, now)
        tasks.cancel(uow, stale, now)
        tasks.record_failures(uow, record.failures)
        tasks.queue(uow, record.new_failures, now)
        log_many(uow, rt, record.log)
        uow.commit()


def _write_in_batches(scope: Scope, step: Pass, driver: Driver, holding: Holding, router: m.Router, targets,
                      changes: list[Change], stale: list[int], outcome: RouterOutcome,
                      record: _Record) -> tuple[list[Change], list[int]]:
    """Write CHANGES; on a slow router, every BATCH_S the clients still to be written are read
    again, and one whose state changed meanwhile gets the writes it wants now instead.
    Returns the changes written (or tried) and the tasks to cancel."""
    pending, done = list(changes), []
    checked = time.monotonic()
    while pending:
        if time.monotonic() - checked > BATCH_S and not record.dead:
            moved = _moved(step, _written(step.job, pending))
            if moved:
                fresh, more_stale = _replan(scope, step, driver, holding, router, targets, moved)
                pending = [c for c in pending if c.client_id not in moved or c.action == Action.STRAY] + fresh
                stale = [t for t in stale if t not in {c.task.id for c in fresh if c.task}] + more_stale
                outcome.changes += [c.row(router.name) for c in fresh]
            checked = time.monotonic()
            continue
        batch, pending = pending[:driver.batch], pending[driver.batch:]
        _write(scope, step, driver, holding, router, batch, outcome, record)
        done += batch
    return done, stale


def _write(scope: Scope, step: Pass, driver: Driver, holding: Holding, router: m.Router, changes: list[Change],
           outcome: RouterOutcome, record: _Record) -> None:
    job = step.job
    errors: list[str | None] = [None] * len(changes) if record.dead else _attempt(driver, holding, job, changes)
    for change, error in zip(changes, errors, strict=True):
        error = record.dead or error
        if isinstance(error, _Lost):
            record.dead = error = str(error)
        if error is None:
            outcome.done += 1
            if change.action == job.mark and change.client_id is not None:
                outcome.marked_clients.append(change.client_id)
            record.done += [change.task.id] if change.task else []
            if job.log_changes and change.client_id is not None:
                record.log.append((change.client_id, f"router.{change.action}", _done_message(change, router)))
            continue
        outcome.failed += 1
        outcome.status, outcome.error = RouterStatus.FAILED, outcome.error or error
        if change.task:
            record.failures.append((change.task.id, error))
        elif change.target is not None:
            record.new_failures.append(_failed_task(scope, job, router, change, error))


class _Lost(str):
    """The error of a change that lost the connection to the router."""


def _attempt(driver: Driver, holding: Holding, job: ListJob, changes: list[Change]) -> list[str | None]:
    """Make CHANGES (the driver may have several in flight at once); for each, None when
    done, else why not."""
    errors = driver.write_many(holding, [_as_write(job, change) for change in changes])
    return [None if error is None else _Lost(str(error)) if isinstance(error, RouterUnreachable) else str(error)
            for error in errors]


def _as_write(job: ListJob, change: Change) -> Write:
    requested = change.task is not None
    if change.action == job.mark:
        return Write("mark", change.target, timeout_s=job.timeout_s, requested=requested)
    if change.action == job.clear:
        return Write("clear", change.target, requested=requested)
    return Write("stray", key=change.key)


def _done_message(change: Change, router: m.Router) -> str:
    verb = {Action.CUT: "cut", Action.RESTORE: "restored", Action.THROTTLE: "throttled",
            Action.UNTHROTTLE: "throttle removed", Action.WARN: "warned", Action.UNWARN: "warning removed",
            Action.STRAY: "stray entry removed"}[change.action]
    return f"{verb} on router {router.name} ({change.target.label if change.target else change.key})"


def _failed_task(scope: Scope, job: ListJob, router: m.Router, change: Change, error: str) -> dict:
    target = change.target
    assert target is not None, "only a change with a connection becomes a task"
    return {"job": job.job_name, "router_id": router.id, "connection_id": target.connection_id,
            "client_id": change.client_id, "action": change.action, "origin": "drift",
            "target": target.label, "created_on": scope.today, "retry_until": scope.retry_until,
            "attempts": 1, "last_error": error[:500]}


def _record_unreachable(rt, router: m.Router, open_tasks: list, error: str, outcome: RouterOutcome) -> None:
    outcome.failed += len(open_tasks)
    with rt.uow() as uow:
        tasks.record_failures(uow, [(t.id, error) for t in open_tasks])
        uow.commit()
