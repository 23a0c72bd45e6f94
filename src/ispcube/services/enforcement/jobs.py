"""The router-job engine (N2, N6, N7): what enforce, preaviso and a manual enable/disable share.

A job takes its lock (`locked`), names the routers to work on (`load_routers`), says for each
of its lists what every client wants (a `Pass`: the list's `ListJob`, a wanted function and,
for states an operator may change meanwhile, how to read them again) and hands them to
`run_routers`. That claims the routers, expires the tasks past their retry window, reads the
open tasks and the connections once, and works on several routers at once; on each router
every pass is made in turn by `routers.work_on_router` (read the list once, write only the
difference under the router's lock, record every outcome on the durable tasks). The outcomes
add up into a `Summary`. `apply_to_client` is the same router step for the routers of one
client, at once (a manual change).
"""

from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from sqlalchemy import select

from ispcube.db import models as m
from ispcube.db.uow import UnitOfWork
from ispcube.domain.enforcement import ClientRow
from ispcube.domain.terms import JobName, Mode
from ispcube.errors import NotFound
from ispcube.services.enforcement import tasks
from ispcube.services.enforcement.outcomes import (
    ChangeRow,
    DecisionRow,
    ExpiredTask,
    RouterRow,
    RouterStatus,
    run_failure,
)
from ispcube.services.enforcement.routers import (
    ListJob,
    Pass,
    RouterOutcome,
    Scope,
    claimed,
    work_on_router,
)
from ispcube.services.enforcement.wanted import load_targets
from ispcube.services.process.job_lock import job_lock

if TYPE_CHECKING:
    from ispcube.services.process.runtime import Runtime

ROUTER_WORKERS = 8                 # routers worked on at the same time


@dataclass
class Summary:
    job: str
    today: str
    mode: str
    cut: int = 0
    restored: int = 0
    throttled: int = 0       # enforce's throttle stage (E1)
    warned: int = 0          # preaviso
    unwarned: int = 0        # preaviso
    done: int = 0
    failed: int = 0
    expired: int = 0
    drift: int = 0
    routers: list[RouterRow] = field(default_factory=list)
    changes: list[ChangeRow] = field(default_factory=list)
    expired_tasks: list[ExpiredTask] = field(default_factory=list)
    decisions: list[DecisionRow] = field(default_factory=list)   # a plan: why each client changes (or waits)

    @property
    def ok(self) -> bool:
        return not (self.failed or self.expired or self.drift)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        if self.mode == Mode.CHECK:
            return f"{self.job} --check {self.today}: {self.drift} drift, {self.failed} router(s) unreadable"
        done = "planned" if self.mode == Mode.PLAN else "done"
        changes = len(self.changes) if self.mode == Mode.PLAN else self.done
        if self.job == JobName.PREAVISO:
            return (f"preaviso {self.today}: {self.warned} warned, {self.unwarned} warnings removed, "
                    f"{changes} router changes {done}, {self.failed} failed, {self.expired} expired")
        throttled = f"{self.throttled} throttled, " if self.throttled else ""
        return (f"{self.job} {self.today}: {throttled}{self.cut} cut, {self.restored} restored, "
                f"{changes} router changes {done}, {self.failed} failed, {self.expired} expired")

    def failure(self) -> str:
        return run_failure(self.job, self.mode == Mode.CHECK, self.drift, self.failed, self.expired)


@contextmanager
def locked(rt: "Runtime", job: JobName) -> Iterator[None]:
    """One run of JOB at a time (exit 75 for the second), by an admin or an operator only."""
    rt.check_office(f"run {job}")     # it reads and acts on every client
    with job_lock(rt.engine, job):
        yield


def load_routers(uow: UnitOfWork, name: str | None = None) -> list[m.Router]:
    """Every router by name, or the one called NAME; detached, to be read after UOW ends."""
    query = select(m.Router).order_by(m.Router.name)
    if name:
        query = query.where(m.Router.name == name)
    routers = list(uow.session.scalars(query))
    if name and not routers:
        raise NotFound(f"router '{name}' does not exist")
    for router in routers:
        uow.session.expunge(router)   # read-only from here on, also after a dry run's rollback
    return routers


def retry_until(rt: "Runtime", today: date) -> date:
    """The last day a task opened TODAY is retried (`enforce.retry_days`)."""
    with rt.uow() as uow:
        return tasks.retry_until(uow, today)


def known_codes(clients: dict[int, ClientRow]) -> dict[str, int]:
    """Every client code, and every previous code, to its client id (entries of ours)."""
    codes = {c.previous_code: cid for cid, c in clients.items() if c.previous_code}
    codes.update({c.code: cid for cid, c in clients.items()})
    return codes


OnOutcome = Callable[[m.Router, RouterOutcome], None]


def run_routers(scope: Scope, routers: list[m.Router], passes: list[Pass], summary: Summary,
                on_outcome: OnOutcome | None = None) -> None:
    """Every router of ROUTERS made to match every pass of PASSES (or planned, or checked),
    into SUMMARY. ON_OUTCOME(router, outcome) is called after each router."""
    rt = scope.rt
    jobs = {step.job.job_name for step in passes}
    assert len(jobs) == 1, "the passes of one run belong to one job (its tasks expire together)"
    job = jobs.pop()
    with claimed(rt.engine, [r.id for r in routers], job) as mine:
        ids = [r.id for r in routers if r.id in mine]
        with rt.uow() as uow:
            if scope.mode == Mode.APPLY:
                summary.expired_tasks = tasks.expire(uow, rt, job, scope.today, ids)
                summary.expired = len(summary.expired_tasks)
                uow.commit()
            open_by_pass = [_open_by_router(uow, step.job, ids) for step in passes]
            targets = load_targets(uow, ids)
        # Routers are slow and independent: several are worked on at once, each with its own
        # connection and transaction; the summary is assembled in the routers' order.
        with ThreadPoolExecutor(max_workers=ROUTER_WORKERS) as pool:
            pending = [(router, pool.submit(_every_pass, scope, router, targets.get(router.id, []), passes,
                                            [open_tasks.get(router.id, {}) for open_tasks in open_by_pass]))
                       for router in routers if router.id in mine]
            for router in routers:
                if router.id not in mine:
                    summary.routers.append({"router": router.name, "status": RouterStatus.SKIPPED,
                                            "error": "claimed by another run"})
            for router, future in pending:
                outcome = future.result()
                add_outcome(summary, scope.mode, outcome)
                if on_outcome is not None:
                    on_outcome(router, outcome)


def _open_by_router(uow: UnitOfWork, job: ListJob, router_ids: Iterable[int]) -> dict[int, dict]:
    """{router id: {(connection id, action): OpenTask}} of JOB's list."""
    by_router: dict[int, dict] = {}
    for task in tasks.open_tasks(uow, job.job_name, router_ids, job.actions):
        by_router.setdefault(task.router_id, {})[(task.connection_id, task.action)] = task
    return by_router


def _every_pass(scope: Scope, router: m.Router, targets, passes: list[Pass],
                open_tasks: list[dict]) -> RouterOutcome:
    """Every pass on one router, in order; their outcomes as one."""
    outcomes = [work_on_router(scope, step, router, targets, open_here)
                for step, open_here in zip(passes, open_tasks, strict=True)]
    return combined(router.name, outcomes)


def combined(router: str, outcomes: list[RouterOutcome]) -> RouterOutcome:
    """The outcomes of a router's passes as one: failed if one failed, skipped if all were."""
    if len(outcomes) == 1:
        return outcomes[0]
    total = RouterOutcome(router)
    statuses = {o.status for o in outcomes}
    total.status = (RouterStatus.FAILED if RouterStatus.FAILED in statuses
                    else RouterStatus.OK if RouterStatus.OK in statuses else RouterStatus.SKIPPED)
    for outcome in outcomes:
        total.done += outcome.done
        total.failed += outcome.failed
        total.writes += outcome.writes
        total.changes += outcome.changes
        total.marked_clients += outcome.marked_clients
        if outcome.status == total.status and total.error is None:
            total.error = outcome.error
    return total


def add_outcome(summary: Summary, mode: Mode, outcome: RouterOutcome) -> None:
    summary.done += outcome.done
    # A router that cannot be read counts as one failure even with no task waiting on it.
    summary.failed += max(outcome.failed, int(outcome.status == RouterStatus.FAILED))
    summary.changes += outcome.changes
    if mode == Mode.CHECK:
        summary.drift += len(outcome.changes)
    summary.routers.append({"router": outcome.router, "status": outcome.status,
                            "changes": len(outcome.changes), "done": outcome.done,
                            "failed": outcome.failed, "writes": outcome.writes, "error": outcome.error})


def apply_to_client(scope: Scope, client_id: int, passes: list[Pass]) -> list[RouterOutcome]:
    """Make the routers of one client match PASSES now (a manual change); one outcome per
    router, by name. Each router is written under its lock, waiting (bounded) for a run
    working on it; the passes re-read the client's state under the lock."""
    rt = scope.rt
    with rt.uow() as uow:
        router_ids = sorted(set(uow.session.scalars(
            select(m.Connection.router_id).where(m.Connection.client_id == client_id))))
        routers = list(uow.session.scalars(select(m.Router).where(m.Router.id.in_(router_ids))
                                           .order_by(m.Router.name)))
        targets = {rid: [(cid, t) for cid, t in rows if cid == client_id]
                   for rid, rows in load_targets(uow, router_ids).items()}
        open_by_pass = [{rid: {key: task for key, task in by_key.items() if task.client_id == client_id}
                         for rid, by_key in _open_by_router(uow, step.job, router_ids).items()}
                        for step in passes]
        for router in routers:
            uow.session.expunge(router)   # used after this unit of work ends
    return [_every_pass(scope, router, targets.get(router.id, []), passes,
                        [open_tasks.get(router.id, {}) for open_tasks in open_by_pass])
            for router in routers]
