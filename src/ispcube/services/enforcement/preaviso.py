"""`ispcube preaviso` (N7): the hourly payment warning on the routers.

Within the day range of the month (global `preaviso.from_day..to_day`, or the client's own
range) every client with preaviso on, not free, not cut, with an unpaid invoice (a positive
balance and at least one invoice) is put on the address-list `ispcube-preaviso` with a timeout
of `preaviso.seconds`, at most once every `preaviso.every_hours`; the router sends that
client's web traffic to the warning page for that time. Everyone else is taken off the list.
Same tasks, retries and lock as enforce.
"""

from datetime import datetime, timedelta

from sqlalchemy import and_, exists, or_, select

from ispcube.adapters.drivers import PREAVISO_LIST
from ispcube.db import models as m
from ispcube.db.ledger_models import LedgerEntry
from ispcube.db.network_models import PreavisoMark
from ispcube.db.upsert import insert_on_conflict
from ispcube.domain.ledger import EntryKind
from ispcube.domain.terms import Action, JobName, Mode, Service, Want
from ispcube.services.admin import config
from ispcube.services.enforcement import grace, jobs
from ispcube.services.enforcement.routers import ListJob, RouterOutcome
from ispcube.services.enforcement.wanted import load_clients
from ispcube.services.notices.reminders import preaviso_notices
from ispcube.services.process.runtime import Runtime


def wanted_warnings(uow, now: datetime) -> dict[int, Want]:
    """{client id: mark | clear}; a client warned too recently is left out (left as is)."""
    get = lambda key: config.get_value(uow.session, key)  # noqa: E731
    first, last, every = get("preaviso.from_day"), get("preaviso.to_day"), get("preaviso.every_hours")
    owed = LedgerEntry.kind == EntryKind.INVOICE
    if grace.in_grace(uow, now.date()):     # U6: warned before the migrated debt may be cut
        owed = or_(owed, and_(grace.migrated(), LedgerEntry.amount > 0))
    has_invoice = exists().where(LedgerEntry.client_id == m.Client.id, owed)
    rows = uow.session.execute(
        select(m.Client.id, m.Client.preaviso_from, m.Client.preaviso_to, PreavisoMark.warned_at,
               (m.Client.preaviso & ~m.Client.free & ~m.Client.deleted & (m.Client.service != Service.CUT)
                & (m.Client.balance > 0) & has_invoice).label("eligible"))
        .outerjoin(PreavisoMark, PreavisoMark.client_id == m.Client.id))
    wanted = {}
    recent = now - timedelta(hours=every)
    for client_id, own_from, own_to, warned_at, eligible in rows:
        low, high = (own_from, own_to) if own_from is not None else (first, last)
        if not (eligible and low <= now.day <= high):
            wanted[client_id] = Want.CLEAR
        elif warned_at is None or warned_at <= recent:
            wanted[client_id] = Want.MARK
    return wanted


def run_preaviso(rt: Runtime, now: datetime | None = None, *, dry_run: bool = False) -> jobs.Summary:
    now = (now or rt.now()).replace(microsecond=0)
    mode = Mode.PLAN if dry_run else Mode.APPLY
    with jobs.locked(rt, JobName.PREAVISO):
        with rt.uow() as uow:
            routers = jobs.load_routers(uow)
            wanted = wanted_warnings(uow, now)
            known = jobs.known_codes(load_clients(uow))
            seconds = config.get_value(uow.session, "preaviso.seconds")
        job = ListJob(JobName.PREAVISO, PREAVISO_LIST, Action.WARN, Action.UNWARN, timeout_s=seconds,
                      log_changes=False)
        scope = jobs.Scope(rt, now.date(), jobs.retry_until(rt, now.date()), known, mode)
        summary = jobs.Summary(JobName.PREAVISO, now.isoformat(sep=" "), mode)

        def bookkeeping(router, outcome: RouterOutcome) -> None:
            summary.warned += len(outcome.marked_clients)
            summary.unwarned += outcome.done - len(outcome.marked_clients)
            if mode == Mode.APPLY and outcome.marked_clients:
                _mark_warned(rt, outcome.marked_clients, now)
        jobs.run_routers(scope, routers, [jobs.Pass(job, wanted.get)], summary, bookkeeping)
    return summary


def _mark_warned(rt, client_ids: list[int], now: datetime) -> None:
    table = PreavisoMark.__table__
    with rt.uow() as uow:
        statement = insert_on_conflict(uow.dialect, table)
        uow.session.execute(statement.on_conflict_do_update(
            index_elements=["client_id"], set_={"warned_at": statement.excluded.warned_at}),
            [{"client_id": cid, "warned_at": now} for cid in sorted(set(client_ids))])
        preaviso_notices(uow, rt, client_ids, now)
        uow.commit()
