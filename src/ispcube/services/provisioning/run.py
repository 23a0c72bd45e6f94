"""`ispcube provision` (S2): bring the routers with provisioning work to their wanted objects.

One run, under the job lock (exit 75 for a second): the routers named (every router that
provisions with --all, the one of --router, else those with open `provision`/`deprovision`
tasks), grouped into units (`lines.units`: the RADIUS routers of one database are one), are
claimed (SKIP LOCKED on PostgreSQL); tasks past their retry window expire and are logged on
their clients; several units are worked on at once (`router_work.work_on_unit`). A kill at
any point leaves the tasks of what was not recorded open, and the next run reads the router
again and makes only what is still missing.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

from sqlalchemy import select

from ispcube.db import models as m
from ispcube.db.network_models import RouterTask
from ispcube.db.uow import UnitOfWork
from ispcube.domain.terms import JobName, Mode, TaskStatus
from ispcube.errors import RouterProtocolError
from ispcube.services.enforcement import tasks
from ispcube.services.enforcement.jobs import load_routers, locked
from ispcube.services.enforcement.outcomes import RouterStatus
from ispcube.services.enforcement.routers import claimed
from ispcube.services.process.runtime import Runtime
from ispcube.services.provisioning.lines import Unit, units
from ispcube.services.provisioning.outcomes import Summary
from ispcube.services.provisioning.router_work import Scope, UnitOutcome, provisions, work_on_unit

WORKERS = 4      # units at once: each holds two lock connections and one for its transaction


def run_provision(rt: Runtime, today: date | None = None, *, router: str | None = None, every: bool = False,
                  dry_run: bool = False, check: bool = False) -> Summary:
    today = today or rt.today()
    mode = Mode.CHECK if check else Mode.PLAN if dry_run else Mode.APPLY
    summary = Summary(today.isoformat(), mode)
    with locked(rt, JobName.PROVISION):
        with rt.uow() as uow:
            chosen, named = _chosen(uow, router, every)
            everyone = load_routers(uow)
        own = rt.engine.url.render_as_string(hide_password=False)
        work = [u for u in units(everyone, own) if set(u.ids) & chosen]
        refused = [u.router for u in work if not provisions(u.router.kind)]
        if named and refused:
            raise RouterProtocolError(f"router {refused[0].name}: a {refused[0].kind} router is not provisioned")
        work = [u for u in work if provisions(u.router.kind)]
        with claimed(rt.engine, [rid for u in work for rid in u.ids], JobName.PROVISION) as mine:
            if mode == Mode.APPLY:
                with rt.uow() as uow:
                    summary.expired_tasks = tasks.expire(uow, rt, JobName.PROVISION, today, sorted(chosen))
                    summary.expired = len(summary.expired_tasks)
                    uow.commit()
            scope = Scope(rt, today, mode)
            with ThreadPoolExecutor(max_workers=WORKERS) as pool:
                pending = [(u, pool.submit(work_on_unit, scope, u)) for u in work if set(u.ids) <= mine]
                for unit in work:
                    if not set(unit.ids) <= mine:
                        summary.routers.append({"router": unit.router.name, "status": RouterStatus.SKIPPED,
                                                "error": "claimed by another run"})
                for unit, future in pending:
                    _add(summary, unit, future.result())
    return summary


def _chosen(uow: UnitOfWork, name: str | None, every: bool) -> tuple[set[int], bool]:
    """The ids of the routers asked for, and whether one was named."""
    if name:
        return {r.id for r in load_routers(uow, name)}, True
    if every:
        return set(uow.session.scalars(select(m.Router.id))), False
    return set(uow.session.scalars(
        select(RouterTask.router_id).where(RouterTask.job == JobName.PROVISION.value,
                                           RouterTask.status == TaskStatus.OPEN.value).distinct())), False


def _add(summary: Summary, unit: Unit, outcome: UnitOutcome) -> None:
    summary.routers.append(outcome.row())
    summary.changes += outcome.changes
    summary.problems += outcome.problems
    summary.foreign += outcome.foreign
    summary.done += outcome.done
    summary.failed += outcome.failed
    summary.closed += outcome.closed
    if summary.mode == Mode.CHECK:
        summary.drift += len(outcome.changes) + len(outcome.problems)
