"""One router's provisioning (S2, S3): read its objects once, make the difference, record it.

A unit (a MikroTik, or the RADIUS routers of one database: `lines.units`) is written under the
locks enforce takes to write its routers' cut and throttle lists (`enforcement/router_lock.py`),
so provisioning and enforce, or a manual cut, never write one router at once. Under them the
open tasks are read first and the lines after: every task read has its change in the lines.
After the writes the lines are read again, and a task whose connection changed meanwhile stays
open for the next run (that change is not on the router yet).

A task closes when every op for its client was made and no op that is nobody's (a plan's
profile) failed; a failed op records its error on its client's tasks, and opens one when it has
none. A client whose object a foreign one blocks (a conflict), or that has no password, keeps
its tasks open with one sentence saying why. Foreign objects are left alone.
"""

from __future__ import annotations

from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Iterable, Iterator

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Engine

from ispcube.adapters.drivers import CUT_LIST, THROTTLE_LIST, Driver, driver_class, driver_for
from ispcube.db import models as m
from ispcube.db.network_models import RouterTask
from ispcube.db.uow import UnitOfWork
from ispcube.domain.provisioning import (
    MARK,
    Diff,
    Held,
    Line,
    ObjectKind,
    Op,
    Verb,
    Wanted,
    diff,
    login_kind,
    wanted_objects,
)
from ispcube.domain.terms import Action, JobName, Mode, TaskStatus
from ispcube.errors import RouterError
from ispcube.services.admin import config, provision_queue
from ispcube.services.clients.log import log_many
from ispcube.services.enforcement import router_lock as locks, tasks
from ispcube.services.enforcement.outcomes import RouterRow, RouterStatus
from ispcube.services.network.routers import config_of
from ispcube.services.provisioning import lines as db
from ispcube.services.provisioning.lines import Unit
from ispcube.services.provisioning.outcomes import ForeignRow, OpRow, ProblemRow, foreign_row, op_row

if TYPE_CHECKING:
    from ispcube.services.process.runtime import Runtime

LOCKED_LISTS = (CUT_LIST, THROTTLE_LIST)    # the lists whose writers touch what provisioning writes
TASKS = RouterTask.__table__
DONE_WORDS = {Verb.ADD: "made", Verb.SET: "changed", Verb.REMOVE: "removed"}


def provisions(kind: str) -> bool:
    """Does the driver of routers of KIND read the objects it provisions (S1)?"""
    cls = driver_class(kind)
    return cls is not None and cls.read_objects is not Driver.read_objects


@contextmanager
def unit_locked(engine: Engine, router_ids: Iterable[int], wait_s: float | None = None) -> Iterator[bool]:
    """Hold the locks enforce takes on the cut and throttle lists of every router of ROUTER_IDS,
    always in one order (enforce holds one at a time, so nobody waits in a circle); yields
    False if one was not had within WAIT_S."""
    with ExitStack() as stack:
        for router_id in sorted(router_ids):
            for list_name in LOCKED_LISTS:
                if not stack.enter_context(locks.router_lock(engine, router_id, list_name, wait_s)):
                    yield False
                    return
        yield True


@dataclass(frozen=True)
class Scope:
    rt: "Runtime"
    today: date
    mode: Mode = Mode.APPLY


@dataclass(frozen=True)
class TaskRow:
    id: int
    connection_id: int | None
    client_id: int
    code: str
    action: Action
    attempts: int = 0
    target: str = ""        # what the task was made for: "10.0.0.5 pppoe:ana"


@dataclass
class Reading:
    """What the database says a unit must hold, read under its locks."""
    tasks: list[TaskRow]
    lines: list[Line]
    ids_by_code: dict[str, int]
    adopted: set[tuple[str, str]]

    def leaving(self, login: ObjectKind, failed_only: bool = False) -> dict[tuple[ObjectKind, str], str]:
        """{(LOGIN, user): client code} of the logins the open removal tasks are for (of those
        whose last attempt failed, with FAILED_ONLY)."""
        return {(login, user): task.code for task in self.tasks
                if task.action == Action.DEPROVISION and (task.attempts or not failed_only)
                and (user := provision_queue.label_user(task.target))}


@dataclass
class UnitOutcome:
    router: str
    status: RouterStatus = RouterStatus.OK
    done: int = 0
    failed: int = 0
    writes: int = 0
    closed: int = 0
    error: str | None = None
    changes: list[OpRow] = field(default_factory=list)
    problems: list[ProblemRow] = field(default_factory=list)
    foreign: list[ForeignRow] = field(default_factory=list)

    def row(self) -> RouterRow:
        return {"router": self.router, "status": self.status, "changes": len(self.changes), "done": self.done,
                "failed": self.failed, "writes": self.writes, "error": self.error}


def open_tasks(uow: UnitOfWork, router_ids: list[int], connection_id: int | None = None) -> list[TaskRow]:
    """The open provisioning tasks of ROUTER_IDS (of one connection's objects, when given)."""
    query = (select(RouterTask.id, RouterTask.connection_id, RouterTask.client_id, m.Client.code, RouterTask.action,
                    RouterTask.attempts, RouterTask.target)
             .join(m.Client, m.Client.id == RouterTask.client_id)
             .where(RouterTask.job == JobName.PROVISION.value, RouterTask.status == TaskStatus.OPEN.value,
                    RouterTask.router_id.in_(router_ids)))
    if connection_id is not None:
        query = query.where(RouterTask.connection_id == connection_id, RouterTask.action == Action.PROVISION.value)
    return [TaskRow(r.id, r.connection_id, r.client_id, r.code, Action(r.action), r.attempts, r.target)
            for r in uow.session.execute(query.order_by(RouterTask.id))]


def read_database(rt: "Runtime", unit: Unit, connection_id: int | None = None) -> Reading:
    with rt.uow() as uow:
        found = open_tasks(uow, unit.ids, connection_id)   # before the lines: each task's change is in them
        lines, ids = db.load_lines(uow, unit.ids)
        return Reading(found, lines, ids, db.load_adopted(uow, unit.ids))


def driver_of(rt: "Runtime", unit: Unit) -> Driver:
    """The driver of the unit's first router, knowing the others (the NASes sharing a RADIUS
    database: a live session on any of them is told there)."""
    with rt.uow() as uow:
        depth = config.get_value(uow.session, "enforce.write_depth")
    own = rt.engine.url.render_as_string(hide_password=False)
    first, *others = (config_of(router, own) for router in unit.routers)
    return driver_for(replace(first, write_depth=depth, peers=tuple(others)))


def problems(router: str, found: Diff) -> list[ProblemRow]:
    """One sentence per object that cannot be made as wanted."""
    rows: list[ProblemRow] = []
    for want in found.conflicts:
        whose = f"client {want.client_code}" if want.client_code else "a plan"
        rows.append({"router": router, "client": want.client_code or "",
                     "problem": f"{whose}: router {router} holds a {want.kind} '{want.name}' that ispcube did not "
                                f"make, left as it is (adopt it with `ispcube network adopt {router}`, or free "
                                "the name)"})
    for want in found.missing_password:
        rows.append({"router": router, "client": want.client_code or "",
                     "problem": f"client {want.client_code}: no PPPoE password for '{want.name}', so router {router} "
                                f"gets no {want.kind} for it (set one with `ispcube connection edit "
                                f"{want.connection_id} --pppoe-password-stdin`)"})
    return rows


def look(scope: Scope, unit: Unit) -> UnitOutcome:
    """--dry-run and --check: the ops a run would make, the problems and the foreign objects."""
    router = unit.router
    outcome = UnitOutcome(router.name)
    reading = read_database(scope.rt, unit)
    try:
        with driver_of(scope.rt, unit) as driver:
            found = diff(wanted_objects(router.kind, reading.lines), driver.read_objects(), reading.adopted)
    except RouterError as exc:
        outcome.status, outcome.error, outcome.failed = RouterStatus.FAILED, str(exc), 1
        return outcome
    outcome.changes = [op_row(router.name, op) for op in found.ops]
    outcome.problems = problems(router.name, found)
    outcome.foreign = [foreign_row(router.name, held) for held in found.foreign]
    return outcome


def work_on_unit(scope: Scope, unit: Unit) -> UnitOutcome:
    """Bring UNIT to its wanted objects (scope.mode apply), or say what that would take."""
    if scope.mode != Mode.APPLY:
        return look(scope, unit)
    rt = scope.rt
    with unit_locked(rt.engine, unit.ids) as held:
        if held:
            return apply(rt, unit, driver_of(rt, unit), lambda wanted: wanted, remove_unwanted=True)
    return busy(rt, unit, None)


def busy(rt: "Runtime", unit: Unit, connection_id: int | None) -> UnitOutcome:
    """The unit's locks stayed taken: its open tasks record why and stay open."""
    outcome = UnitOutcome(unit.router.name, RouterStatus.FAILED)
    outcome.error = (f"router {unit.router.name}: another process kept writing to it for {locks.WAIT_S:.0f} s "
                     "(an enforce run or a manual change)")
    outcome.failed = _fail_waiting(rt, unit, connection_id, outcome.error)
    return outcome


def _fail_waiting(rt: "Runtime", unit: Unit, connection_id: int | None, error: str) -> int:
    """Record ERROR on the open tasks of UNIT (of CONNECTION_ID's objects, when given: it gets a
    task if it has none, so `provision` makes them); how many failed."""
    with rt.uow() as uow:
        waiting = open_tasks(uow, unit.ids, connection_id)
        tasks.record_failures(uow, [(t.id, error) for t in waiting])
        if connection_id is not None and not waiting:
            _open_failed(uow, rt, {connection_id: error})
        uow.commit()
    return max(1, len(waiting))


def apply(rt: "Runtime", unit: Unit, driver: Driver, limit, remove_unwanted: bool,
          connection_id: int | None = None) -> UnitOutcome:
    """Under the unit's locks: read the database and the router, make the ops, record them.
    LIMIT(wanted objects) keeps the ones this call works on."""
    router = unit.router
    outcome = UnitOutcome(router.name)
    reading = read_database(rt, unit, connection_id)
    try:
        with driver:
            held = driver.read_objects()
            # A connection whose last attempt failed has what left no trace (a CoA) made again,
            # and a login whose removal failed has its live session ended again (a Disconnect).
            retried = {t.connection_id for t in reading.tasks if t.attempts and t.connection_id is not None}
            found = diff(limit(wanted_objects(router.kind, reading.lines)), held, reading.adopted, remove_unwanted,
                         retried, reading.leaving(login_kind(router.kind), failed_only=True))
            errors: list[RouterError | None] = driver.apply_objects(found.ops) if found.ops else []
            outcome.writes = driver.writes
    except RouterError as exc:
        outcome.status, outcome.error = RouterStatus.FAILED, str(exc)
        outcome.failed = _fail_waiting(rt, unit, connection_id, str(exc))
        return outcome
    results = [(op, None if error is None else str(error)) for op, error in zip(found.ops, errors, strict=True)]
    outcome.changes = [op_row(router.name, op, error) for op, error in results]
    outcome.problems = problems(router.name, found)
    if remove_unwanted:
        outcome.foreign = [foreign_row(router.name, h) for h in found.foreign]
    outcome.done = sum(error is None for _, error in results)
    outcome.failed = len(results) - outcome.done + len(outcome.problems)
    if outcome.failed:
        outcome.status = RouterStatus.FAILED
        outcome.error = next((e for _, e in results if e), None) or outcome.problems[0]["problem"]
    outcome.closed = settle(rt, unit, reading, {(h.kind, h.name): h for h in held}, results, outcome.problems)
    return outcome


def _code(op: Op, held: dict[tuple[ObjectKind, str], Held],
          leaving: dict[tuple[ObjectKind, str], str]) -> str | None:
    """The client an op is for: its own, the one whose removal task names a removed login (a
    RADIUS user carries no mark, and a deleted client's code is no longer its mark's), or the
    one a removed object's mark names."""
    if op.client_code:
        return op.client_code
    if op.verb == Verb.REMOVE and (code := leaving.get((op.kind, op.name))):
        return code
    have = held.get((op.kind, op.name))
    return have.comment[len(MARK):] if have is not None and have.comment.startswith(MARK) else None


def settle(rt: "Runtime", unit: Unit, reading: Reading, held: dict[tuple[ObjectKind, str], Held],
           results: list[tuple[Op, str | None]], trouble: list[ProblemRow]) -> int:
    """Record the outcome of a unit's ops on its tasks and in its clients' logs, in one
    transaction; the number of tasks closed."""
    departing = reading.leaving(login_kind(unit.router.kind))
    by_code: dict[str, str] = {}
    general = None          # a failure that is nobody's in particular holds every task open
    for op, error in results:
        if error is not None:
            code = _code(op, held, departing)
            if code:
                by_code.setdefault(code, error)
            else:
                general = general or error
    for problem in trouble:
        if problem["client"]:
            by_code.setdefault(problem["client"], problem["problem"])
        else:
            general = general or problem["problem"]
    with rt.uow() as uow:
        now = rt.now()
        lines_now, _ = db.load_lines(uow, unit.ids)
        moved = {line.connection_id for line in set(lines_now) ^ set(reading.lines)}
        done, failures = [], []
        for task in reading.tasks:
            error = general or by_code.get(task.code)
            if error:
                failures.append((task.id, error))
            elif task.connection_id is None or task.connection_id not in moved:
                done.append(task.id)
        tasks.close(uow, done, TaskStatus.DONE, now)
        tasks.record_failures(uow, failures)
        _open_for_failures(uow, rt, unit, reading, held, results)
        ids = dict(reading.ids_by_code)
        codes = {code for op, _ in results if (code := _code(op, held, departing))}
        ids.update(db.client_ids(uow, codes - ids.keys()))
        log_many(uow, rt, [(ids[code], "router.provision",
                            f"{op.kind} '{op.name}' {DONE_WORDS[op.verb]} on router {unit.router.name}")
                           for op, error in results if error is None and (code := _code(op, held, departing)) in ids])
        uow.commit()
    return len(done)


def _open_for_failures(uow: UnitOfWork, rt: "Runtime", unit: Unit, reading: Reading,
                       held: dict[tuple[ObjectKind, str], Held], results: list[tuple[Op, str | None]]) -> None:
    """A failed op that no open task covers gets one, with its error, so the next run retries it."""
    departing = reading.leaving(login_kind(unit.router.kind))
    provisioning = {t.connection_id for t in reading.tasks if t.action == Action.PROVISION}
    removing = {t.code for t in reading.tasks if t.action == Action.DEPROVISION}
    made = {op.connection_id: error for op, error in results
            if error and op.connection_id is not None and op.connection_id not in provisioning}
    _open_failed(uow, rt, made)
    removed = {code: (op, error) for op, error in results
               if error and op.verb == Verb.REMOVE and (code := _code(op, held, departing)) and code not in removing}
    ids = db.client_ids(uow, removed)
    leaving = [(unit.router.id, ids[code], None, op.name) for code, (op, _) in removed.items() if code in ids]
    if leaving:
        provision_queue.queue_removal(uow, rt, leaving, origin="drift")
        uow.session.execute(
            update(TASKS).where(TASKS.c.router_id == unit.router.id, TASKS.c.client_id == bindparam("client"),
                                TASKS.c.status == TaskStatus.OPEN.value, TASKS.c.attempts == 0,
                                TASKS.c.action == Action.DEPROVISION.value)
            .values(attempts=1, last_error=bindparam("error")),
            [{"client": ids[code], "error": error[:500]} for code, (_, error) in removed.items() if code in ids])


def _open_failed(uow: UnitOfWork, rt: "Runtime", failed: dict[int, str]) -> None:
    """A `provision` task for each connection of FAILED ({connection id: error}), with its error."""
    if failed:
        provision_queue.queue_provision(uow, rt, failed, origin="drift")
        uow.session.execute(
            update(TASKS).where(TASKS.c.connection_id == bindparam("cid"), TASKS.c.status == TaskStatus.OPEN.value,
                                TASKS.c.action == Action.PROVISION.value)
            .values(attempts=TASKS.c.attempts + 1, last_error=bindparam("error")),
            [{"cid": cid, "error": error[:500]} for cid, error in failed.items()])


def only_connection(connection_id: int):
    """LIMIT for one connection's objects: its own, and the profile its secret uses."""
    def limit(wanted: list[Wanted]) -> list[Wanted]:
        mine = [w for w in wanted if w.connection_id == connection_id]
        profiles = {w.fields.get("profile") for w in mine}
        return [w for w in wanted if w.kind == ObjectKind.PROFILE and w.name in profiles] + mine
    return limit
