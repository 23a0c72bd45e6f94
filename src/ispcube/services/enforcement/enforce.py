"""`ispcube enforce` (N1, N2, N5): cut the debtors and restore the payers on every router.

One run: (1) under the job lock, the balances of clients whose commitment falls due are
rebuilt; (2) one transaction decides every client's wanted state with set-based queries,
writes the client log and queues a durable task per router change; (3) each router is read
once and made to match, every outcome recorded on its task; tasks past their retry window are
expired and reported. Step (3) holds each router's lock and plans it from the clients' state
as it stands then, so a manual change made during the run is never undone (`enforcement/routers.py`).
A kill at any point leaves either the old state or the new one plus open tasks, and the next
run finishes the work without repeating what was done.
"""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date

from sqlalchemy import bindparam, select, update

from ispcube.adapters.drivers import CUT_LIST
from ispcube.db import models as m
from ispcube.errors import NotFound
from ispcube.services.admin import config
from ispcube.services.clients.log import log_many
from ispcube.services.enforcement import tasks
from ispcube.services.enforcement.routers import ListJob, Run, claimed, work_on_router
from ispcube.services.enforcement.wanted import (
    Decision,
    commitments_in_force,
    current_wanted,
    decide,
    load_clients,
    load_targets,
)
from ispcube.services.ledger import commitments
from ispcube.services.notices.outbox import notices_for_moves
from ispcube.services.process.job_lock import job_lock

ROUTER_WORKERS = 8                 # routers worked on at the same time
CLIENTS = m.Client.__table__   # Core table: one executemany UPDATE for every decision
ENFORCE = ListJob("enforce", CUT_LIST, "cut", "restore")


@dataclass
class Summary:
    job: str
    today: str
    mode: str
    cut: int = 0
    restored: int = 0
    warned: int = 0          # preaviso
    unwarned: int = 0        # preaviso
    done: int = 0
    failed: int = 0
    expired: int = 0
    drift: int = 0
    routers: list[dict] = field(default_factory=list)
    changes: list[dict] = field(default_factory=list)
    expired_tasks: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.failed or self.expired or self.drift)

    def as_dict(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        if self.mode == "check":
            return f"{self.job} --check {self.today}: {self.drift} drift, {self.failed} router(s) unreadable"
        done = "planned" if self.mode == "plan" else "done"
        if self.job == "preaviso":
            return (f"preaviso {self.today}: {self.warned} warned, {self.unwarned} warnings removed, "
                    f"{len(self.changes) if self.mode == 'plan' else self.done} router changes {done}, "
                    f"{self.failed} failed, {self.expired} expired")
        return (f"{self.job} {self.today}: {self.cut} cut, {self.restored} restored, "
                f"{len(self.changes) if self.mode == 'plan' else self.done} router changes {done}, "
                f"{self.failed} failed, {self.expired} expired")

    def failure(self) -> str:
        if self.mode == "check":
            parts = [f"{self.drift} difference(s) between the routers and the wanted state" if self.drift else "",
                     f"{self.failed} router(s) could not be read" if self.failed else ""]
        else:
            parts = [f"{self.failed} failure(s) on the routers" if self.failed else "",
                     f"{self.expired} task(s) expired" if self.expired else ""]
        return f"{self.job}: " + " and ".join(p for p in parts if p) + "; see the summary above"


def run_enforce(rt, today: date | None = None, *, dry_run: bool = False, check: bool = False,
                router: str | None = None) -> Summary:
    today = today or rt.today()
    mode = "check" if check else "plan" if dry_run else "apply"
    rt.check_office("run enforce")     # it reads and acts on every client
    with job_lock(rt.engine, "enforce"):
        if mode == "apply":
            _rebuild_due_balances(rt, today)
        with rt.uow() as uow:
            routers = _routers(uow, router)
            clients = load_clients(uow)
            services = {cid: c.service for cid, c in clients.items()}
            summary = Summary("enforce", today.isoformat(), mode)
            if mode != "check":
                decisions = _decide_and_queue(uow, rt, today, clients, services)
                summary.cut = sum(d.service == "cut" for d in decisions)
                summary.restored = sum(d.kind == "service.restore" for d in decisions)
            if mode == "apply":
                uow.commit()
            known = known_codes(clients)
        run = Run(rt, ENFORCE, today, _retry_until(rt, today), known, mode,
                  current=lambda **which: current_wanted(rt, today, **which))
        wanted = lambda client_id: "mark" if services.get(client_id) == "cut" else "clear"  # noqa: E731
        routers_phase(run, routers, wanted, summary)
    return summary


def known_codes(clients) -> dict[str, int]:
    codes = {c.previous_code: cid for cid, c in clients.items() if c.previous_code}
    codes.update({c.code: cid for cid, c in clients.items()})
    return codes


def _retry_until(rt, today: date) -> date:
    with rt.uow() as uow:
        return tasks.retry_until(uow, today)


def _routers(uow, name: str | None) -> list[m.Router]:
    query = select(m.Router).order_by(m.Router.name)
    if name:
        query = query.where(m.Router.name == name)
    routers = list(uow.session.scalars(query))
    if name and not routers:
        raise NotFound(f"router '{name}' does not exist")
    for router in routers:
        uow.session.expunge(router)   # read-only from here on, also after a dry run's rollback
    return routers


def _rebuild_due_balances(rt, today: date) -> None:
    """N5: the balance of a client whose commitment falls due is rebuilt first, on its own."""
    with rt.uow() as uow:
        due = commitments.due_client_ids(uow, today)
        if not due:
            return
        from ispcube.services.ledger.rebuild import rebuild_balances
        rebuild_balances(uow, rt, due)
        uow.commit()


def _decide_and_queue(uow, rt, today: date, clients, services: dict[int, str]) -> list[Decision]:
    from ispcube.services.ledger.overdue import overdue_debts
    threshold = config.get_value(uow.session, "unlock_threshold")
    debts = overdue_debts(uow, today)
    settled = commitments.settle_due(uow, rt, today, debts, threshold, services)
    daily = [d for d in decide(clients, debts, threshold, commitments_in_force(uow, today))
             if d.client_id not in settled.handled]
    decisions = settled.decisions + daily
    apply_decisions(uow, rt, decisions, clients)
    for decision in decisions:
        services[decision.client_id] = decision.service
    changed = {d.client_id: d for d in decisions if d.kind in ("service.cut", "service.restore")}
    queue_for_clients(uow, rt, today, changed, "job", settled.retry_until)
    notices_for_moves(uow, rt, today, {d.client_id: (clients[d.client_id].service, d.service) for d in decisions},
                      "job", debts=debts)
    return decisions


def apply_decisions(uow, rt, decisions: list[Decision], clients) -> None:
    """One UPDATE and one INSERT for all decisions.

    The UPDATE only touches a client still in the state the decision was made from, so an
    operator's change made meanwhile is never overwritten (the run's router work may then act
    on the old decision once; the next run sees the operator's state and puts it right)."""
    if not decisions:
        return
    uow.session.execute(
        update(CLIENTS).where(CLIENTS.c.id == bindparam("cid"), CLIENTS.c.service == bindparam("was"))
        .values(service=bindparam("new_service"), service_by=bindparam("new_by")),
        [{"cid": d.client_id, "was": clients[d.client_id].service, "new_service": d.service,
          "new_by": d.service_by} for d in decisions])
    log_many(uow, rt, [(d.client_id, d.kind, d.message) for d in decisions])


def queue_for_clients(uow, rt, today: date, changed: dict[int, Decision], origin: str,
                      retry_until: dict[int, date] | None = None) -> None:
    """A task per connection of each changed client (cut or restore), in one statement."""
    if not changed:
        return
    default_until = tasks.retry_until(uow, today)
    rows = []
    for conn_id, router_id, client_id, ip, user in _connections_of(uow, changed):
        action = "cut" if changed[client_id].service == "cut" else "restore"
        rows.append({"job": "enforce", "router_id": router_id, "connection_id": conn_id,
                     "client_id": client_id, "action": action,
                     "origin": "commitment" if retry_until and client_id in retry_until else origin,
                     "target": " ".join(x for x in (ip, user and f"pppoe:{user}") if x),
                     "created_on": today, "retry_until": (retry_until or {}).get(client_id, default_until)})
    tasks.queue(uow, rows, rt.now())


def _connections_of(uow, client_ids) -> list:
    """The connections of CLIENT_IDS in one query: an IN list while it is short, otherwise
    every connection filtered here (a long IN list would hit SQLite's limit on parameters)."""
    query = select(m.Connection.id, m.Connection.router_id, m.Connection.client_id,
                   m.Connection.ip, m.Connection.pppoe_user)
    if len(client_ids) <= 500:
        return uow.session.execute(query.where(m.Connection.client_id.in_(list(client_ids)))).all()
    return [row for row in uow.session.execute(query) if row.client_id in client_ids]


def routers_phase(run: Run, routers: list[m.Router], wanted, summary: Summary,
                  on_outcome=None) -> None:
    """Every router of ROUTERS made to match WANTED (or planned, or checked), into SUMMARY.

    ON_OUTCOME(router, outcome) is called after each router (preaviso keeps its bookkeeping)."""
    rt = run.rt
    with claimed(rt.engine, [r.id for r in routers]) as mine:
        ids = [r.id for r in routers if r.id in mine]
        with rt.uow() as uow:
            if run.mode == "apply":
                summary.expired_tasks = tasks.expire(uow, rt, run.job.job, run.today, ids)
                summary.expired = len(summary.expired_tasks)
                uow.commit()
            open_by_router: dict[int, dict] = {}
            for task in tasks.open_tasks(uow, run.job.job, ids):
                open_by_router.setdefault(task.router_id, {})[(task.connection_id, task.action)] = task
            targets = load_targets(uow, ids)
        # Routers are slow and independent: several are worked on at once, each with its own
        # connection and transaction; the summary is assembled in the routers' order.
        with ThreadPoolExecutor(max_workers=ROUTER_WORKERS) as pool:
            pending = [(router, pool.submit(work_on_router, run, router, targets.get(router.id, []),
                                            wanted, open_by_router.get(router.id, {})))
                       for router in routers if router.id in mine]
            for router in routers:
                if router.id not in mine:
                    summary.routers.append({"router": router.name, "status": "skipped",
                                            "error": "claimed by another run"})
            for router, future in pending:
                _add_outcome(summary, run, future.result())
                if on_outcome is not None:
                    on_outcome(router, future.result())


def _add_outcome(summary: Summary, run: Run, outcome) -> None:
    summary.done += outcome.done
    # A router that cannot be read counts as one failure even with no task waiting on it.
    summary.failed += max(outcome.failed, int(outcome.status == "failed"))
    summary.changes += outcome.changes
    if run.mode == "check":
        summary.drift += len(outcome.changes)
    summary.routers.append({"router": outcome.router, "status": outcome.status,
                            "changes": len(outcome.changes), "done": outcome.done,
                            "failed": outcome.failed, "writes": outcome.writes, "error": outcome.error})
