"""Manual service state (N6): an operator cuts or gives back a client's service.

`client.service` is active|throttled|cut; `client.service_by` says who decided it: 'job'
(enforce), 'manual' (an operator) or None (never changed). Manual states win over the daily
job (see `domain.enforcement.decide`). A change goes through `states.change_service_states` (client log,
a task per connection and list) and, once the caller commits, is applied on the client's
routers at once by the router-job engine (`jobs.apply_to_client`); a router that is down
keeps its task for the job to retry.
"""

from datetime import date

from sqlalchemy import event

from ispcube.db import models as m
from ispcube.db.models import NOTE_LENGTH
from ispcube.db.uow import UnitOfWork
from ispcube.domain.enforcement import Decision
from ispcube.domain.terms import DecidedBy, Service
from ispcube.domain.text import one_line
from ispcube.errors import Invalid, PartialFailure
from ispcube.services.admin import config
from ispcube.services.clients.lifecycle import find_client
from ispcube.services.enforcement.outcomes import Applied, AppliedRow, ManualChange, OnRouters, RouterStatus
from ispcube.services.ledger import commitments
from ispcube.services.ledger.commitments import open_commitment
from ispcube.services.process.runtime import Runtime


def enable(uow: UnitOfWork, rt: Runtime, client: m.Client, reason: str, *, apply_after_commit: bool = True) -> None:
    """Give the client service back, as an operator's decision (the caller commits)."""
    _change(uow, rt, client, Service.ACTIVE, f"service enabled: {reason}", "service.enable", apply_after_commit)


def disable(uow: UnitOfWork, rt: Runtime, client: m.Client, reason: str, *, apply_after_commit: bool = True) -> None:
    """Cut the client's service, as an operator's decision (the caller commits)."""
    _change(uow, rt, client, Service.CUT, f"service disabled: {reason}", "service.disable", apply_after_commit)


def _checked(reason: str) -> str:
    # The reason is kept in the client log: no longer than a note may be.
    one_line(reason, "--reason")
    if len(reason) > NOTE_LENGTH:
        raise Invalid(f"the reason is too long: {len(reason)} characters, at most {NOTE_LENGTH}")
    return reason


def _change(uow: UnitOfWork, rt: Runtime, client: m.Client, service: Service, message: str, kind: str,
            apply_after_commit: bool) -> None:
    from ispcube.services.enforcement.states import Was, change_service_states
    if client.service == service and client.service_by == DecidedBy.MANUAL:
        return
    was = Was(client.service, client.service_by)
    uow.flush()
    change_service_states(uow, rt, rt.today(), [Decision(client.id, service, DecidedBy.MANUAL, kind, message)],
                          {client.id: was}, "manual")
    uow.session.expire(client, ["service", "service_by"])   # the row was updated with Core
    if apply_after_commit and was.service != service:
        client_id = client.id
        event.listen(uow.session, "after_commit", lambda _session: _apply_quietly(rt, client_id), once=True)


def _apply_quietly(rt: Runtime, client_id: int) -> None:
    # Runs after the caller's commit: a router that fails keeps its task for the next job run.
    apply_now(rt, client_id)


def apply_now(rt: Runtime, client_id: int, today: date | None = None) -> list[AppliedRow]:
    """Make the client's routers match its service state now; one row per router.

    Each router is written under its lock, waiting (bounded) for an enforce run working on it;
    the client's state is read again under the lock, so the last writer writes the current
    state. A router that fails, or stays busy, keeps the queued task: status "queued"."""
    from ispcube.services.enforcement import jobs, states, tasks
    today = today or rt.today()
    with rt.uow() as uow:
        client = uow.session.get(m.Client, client_id)
        assert client is not None, "the client was read by the caller"
        codes = {c: client.id for c in (client.code, client.previous_code) if c}
        service = client.service
        throttling = states.throttling_in_use(uow)
        rate = config.get_value(uow.session, "escalation.throttle_rate") if throttling else None
        scope = jobs.Scope(rt, today, tasks.retry_until(uow, today), codes)
    steps = states.passes(rt, today, lambda _cid: service, throttling=throttling, rate=rate)
    return [{"router": outcome.router, "status": Applied.DONE if outcome.status == RouterStatus.OK else Applied.QUEUED,
             "error": outcome.error}
            for outcome in jobs.apply_to_client(scope, client_id, steps)]


def disable_client(rt, code: str, reason: str) -> ManualChange:
    if not reason or not reason.strip():
        raise Invalid("give the reason for disabling the service (--reason)")
    with rt.uow() as uow:
        client = find_client(uow, code, rt.actor(uow))
        disable(uow, rt, client, _checked(reason.strip()), apply_after_commit=False)
        uow.commit()
        client_id, shown = client.id, client.code
    return _outcome(shown, Service.CUT, apply_now(rt, client_id))


def commitment_of(rt, code: str) -> str | None:
    """The due date of the client's payment commitment in force, if any (ISO)."""
    with rt.uow() as uow:
        current = open_commitment(uow, find_client(uow, code, rt.actor(uow)).id)
        return current.due_date.isoformat() if current else None


def enable_client(rt, code: str, reason: str | None, drop_commitment: bool) -> ManualChange:
    with rt.uow() as uow:
        client = find_client(uow, code, rt.actor(uow))
        if drop_commitment:
            commitments.drop(uow, rt, client)
        enable(uow, rt, client, _checked((reason or "by an operator").strip()), apply_after_commit=False)
        uow.commit()
        client_id, shown = client.id, client.code
    return _outcome(shown, Service.ACTIVE, apply_now(rt, client_id))


def _outcome(code: str, service: str, routers: list[AppliedRow]) -> ManualChange:
    return {"client": code, "service": service, "routers": routers}


def queued_on(outcome: OnRouters) -> list[AppliedRow]:
    """The routers of OUTCOME ({"client", "routers"}) that did not take the change: the job retries it."""
    return [r for r in outcome["routers"] if r["status"] != Applied.DONE]


def not_applied(code: str, router: AppliedRow, what: str = "") -> str:
    """The sentence for a change (WHAT, when it is named) that ROUTER did not take."""
    return (f"client {code}: {what}not applied on router {router['router']} ({router['error']}); "
            "queued, `ispcube enforce` retries it")


def raise_if_queued(outcome: OnRouters, done: str | None = None) -> None:
    """Exit 3 naming the first router the change is queued for; DONE: what stands already."""
    queued = queued_on(outcome)
    if queued:
        raise PartialFailure(not_applied(outcome["client"], queued[0], f"{done}, but " if done else ""))
