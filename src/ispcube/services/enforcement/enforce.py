"""`ispcube enforce` (N1, N2, N5, E1): cut the debtors and restore the payers on every router.

One run: (1) under the job lock, the balances of clients whose commitment falls due are
rebuilt; (2) one transaction decides every client's wanted state with set-based queries and
changes it (`states.change_service_states`: the client log and a durable task per router
change); (3) the router-job engine (`jobs.run_routers`) makes each router match, a pass per
list that shows a state (`states.passes`), every outcome recorded on its task; tasks past their
retry window are expired and reported. Each router is planned under its lock from the clients'
state as it stands then, so a manual change made during the run is never undone. A kill at
any point leaves either the old state or the new one plus open tasks, and the next run
finishes the work without repeating what was done.
"""

from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, timedelta

from ispcube.db import models as m
from ispcube.db.overdue import overdue_debts, overdue_since
from ispcube.domain.enforcement import ClientRow, Decision, Stages, decide
from ispcube.domain.money import format_amount
from ispcube.domain.terms import JobName, Mode, NextStep, Service
from ispcube.services.admin import config
from ispcube.services.enforcement import grace, jobs, states
from ispcube.services.enforcement.outcomes import DecisionRow
from ispcube.services.enforcement.wanted import commitments_in_force, load_clients
from ispcube.services.ledger import commitments, money_in
from ispcube.services.ledger.rebuild import rebuild_balances
from ispcube.services.process.runtime import Runtime


def run_enforce(rt: Runtime, today: date | None = None, *, dry_run: bool = False, check: bool = False,
                router: str | None = None) -> jobs.Summary:
    today = today or rt.today()
    mode = Mode.CHECK if check else Mode.PLAN if dry_run else Mode.APPLY
    with jobs.locked(rt, JobName.ENFORCE):
        # Deciding on the balances waits for a payment being posted, and holds payments back
        # until the decisions are committed (ledger/money_in.py): none is decided on stale.
        deciding = money_in.posting(rt) if mode == Mode.APPLY else nullcontext()
        with deciding:
            run = _decide_all(rt, today, mode, router)
        scope = jobs.Scope(rt, today, jobs.retry_until(rt, today), run.known, mode)
        passes = states.passes(rt, today, run.services.get, throttling=run.throttling, rate=run.rate)
        jobs.run_routers(scope, run.routers, passes, run.summary)
    return run.summary


@dataclass(frozen=True)
class _Decided:
    summary: jobs.Summary
    routers: list[m.Router]
    services: dict[int, str]          # client id -> the state decided for the run
    throttling: bool
    rate: str | None
    known: dict[str, int]


def _decide_all(rt: Runtime, today: date, mode: Mode, router: str | None) -> _Decided:
    """Every client's state decided and (unless a plan or a check) changed, in one transaction."""
    if mode == Mode.APPLY:
        _rebuild_due_balances(rt, today)
    with rt.uow() as uow:
        routers = jobs.load_routers(uow, router)
        clients = load_clients(uow)
        services = {cid: c.service for cid, c in clients.items()}
        summary = jobs.Summary(JobName.ENFORCE, today.isoformat(), mode)
        if mode != Mode.CHECK:
            decisions = _decide(uow, rt, today, clients, services, summary)
            summary.cut = sum(d.service == Service.CUT for d in decisions)
            summary.throttled = sum(d.service == Service.THROTTLED for d in decisions)
            summary.restored = sum(d.kind == "service.restore" for d in decisions)
        throttling = states.throttling_in_use(uow)
        rate = config.get_value(uow.session, "escalation.throttle_rate") if throttling else None
        if mode == Mode.APPLY:
            uow.commit()
        return _Decided(summary, routers, services, throttling, rate, jobs.known_codes(clients))


def _rebuild_due_balances(rt: Runtime, today: date) -> None:
    """N5: the balance of a client whose commitment falls due is rebuilt first, on its own."""
    with rt.uow() as uow:
        due = commitments.due_client_ids(uow, today)
        if not due:
            return
        rebuild_balances(uow, rt, due)
        uow.commit()


def _decide(uow, rt: Runtime, today: date, clients: dict[int, ClientRow],
            services: dict[int, str], summary: jobs.Summary) -> list[Decision]:
    """Decide every client's state and change it (a dry run rolls the change back);
    SERVICES is updated to the states decided. A plan also says, in SUMMARY, why each
    client's state changes or, for migrated debt in its grace (U6), why it does not."""
    threshold = config.get_value(uow.session, "unlock_threshold")
    debts = overdue_debts(uow, today)
    settled = commitments.settle_due(uow, rt, today, debts, threshold, services)
    stages = Stages(config.get_value(uow.session, "escalation.throttle_after_days"),
                    config.get_value(uow.session, "escalation.cut_after_days"))
    since = overdue_since(uow, today) if stages.on else {}
    until = grace.in_grace(uow, today)
    held = grace.held_debts(uow, today, debts) if until else {}
    # The grace holds back a cut, never lifts one: a client the old system (or the job) cut or
    # throttled is judged on its whole debt, and is not moved on to a harsher stage meanwhile.
    kept = {cid for cid in held if clients[cid].service != Service.ACTIVE}
    held = {cid: h for cid, h in held.items() if cid not in kept}
    judged = {**debts, **{cid: h.cuttable for cid, h in held.items()}}
    if stages.on:
        for cid, h in held.items():           # days counted from what was posted here
            if h.since is None:
                since.pop(cid, None)
            else:
                since[cid] = h.since
    days = {cid: (today - day).days for cid, day in since.items()}
    daily = [d for d in decide(clients, judged, threshold, commitments_in_force(uow, today), stages, days)
             if d.client_id not in settled.handled and not (d.client_id in kept and d.service == Service.CUT)]
    decisions = settled.decisions + daily
    was = {d.client_id: states.Was(clients[d.client_id].service, clients[d.client_id].service_by)
           for d in decisions}
    states.change_service_states(uow, rt, today, decisions, was, "job", settled.retry_until, debts=debts,
                                 next_steps=_next_steps(decisions, since, stages))
    for decision in decisions:
        services[decision.client_id] = decision.service
    if summary.mode == Mode.PLAN:
        summary.decisions = _reasons(decisions, clients, debts, days, stages, threshold, held, until)
    return decisions


def _reasons(decisions: list[Decision], clients: dict[int, ClientRow], debts: dict, days: dict[int, int],
             stages: Stages, threshold, held: dict, until: date | None) -> list[DecisionRow]:
    """One row per client whose state the plan changes, or that its migrated debt's grace keeps
    from a cut: code, overdue debt, days overdue, the rule."""
    def rule(decision: Decision) -> str:
        if decision.service == Service.CUT:
            return (f"cut from {stages.cut_after} days overdue" if stages.cut_after
                    else f"overdue debt above {format_amount(threshold)}")
        if decision.service == Service.THROTTLED:
            return f"throttled from {stages.throttle_after} days overdue, cut from {stages.cut_after}"
        return decision.message.split(": ", 1)[-1]
    rows: list[DecisionRow] = []
    for decision in decisions:
        cid = decision.client_id
        because = rule(decision)
        if cid in held:
            because += f" (for what was posted here; the migrated debt waits until {until})"
        rows.append({"client": clients[cid].code, "action": decision.kind.split(".")[-1],
                     "overdue": format_amount(debts.get(cid, 0)), "days": days.get(cid), "rule": because})
    acted = {d.client_id for d in decisions}
    for cid, h in sorted(held.items(), key=lambda item: clients[item[0]].code):
        if cid not in acted and h.overdue > threshold and clients[cid].service == Service.ACTIVE:
            rows.append({"client": clients[cid].code, "action": "held", "overdue": format_amount(h.overdue),
                         "days": None, "rule": f"migrated debt: not cut before {until} (migration.grace_until)"})
    return rows


def _next_steps(decisions: list[Decision], since: dict[int, date], stages: Stages) -> dict:
    """{client id: (the cut, its day)} of the clients throttled now, for their notices (E4)."""
    return {d.client_id: (NextStep.CUT, since[d.client_id] + timedelta(days=stages.cut_after))
            for d in decisions if d.service == Service.THROTTLED and stages.cut_after and d.client_id in since}
