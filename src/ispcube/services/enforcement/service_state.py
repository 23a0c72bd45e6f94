"""Manual service state (N6): an operator cuts or gives back a client's service.

`client.service` is active|cut; `client.service_by` says who decided it: 'job' (enforce),
'manual' (an operator) or None (never changed). Manual states win over the daily job (see
`enforcement/wanted.py`). A change queues a task per connection and, once the caller commits, is
applied on the routers at once; a router that is down keeps its task for the job to retry.
"""

from datetime import date
from typing import Any

from sqlalchemy import event, select

from ispcube.db import models as m
from ispcube.db.models import NOTE_LENGTH
from ispcube.db.uow import UnitOfWork
from ispcube.errors import Invalid, PartialFailure
from ispcube.services.clients import log as events


def enable(uow: UnitOfWork, rt, client: m.Client, reason: str, *, apply_after_commit: bool = True) -> None:
    """Give the client service back, as an operator's decision (the caller commits)."""
    _change(uow, rt, client, "active", f"service enabled: {reason}", "service.enable", apply_after_commit)


def disable(uow: UnitOfWork, rt, client: m.Client, reason: str, *, apply_after_commit: bool = True) -> None:
    """Cut the client's service, as an operator's decision (the caller commits)."""
    _change(uow, rt, client, "cut", f"service disabled: {reason}", "service.disable", apply_after_commit)


def _checked(reason: str) -> str:
    # The reason is kept in the client log: no longer than a note may be.
    if len(reason) > NOTE_LENGTH:
        raise Invalid(f"the reason is too long: {len(reason)} characters, at most {NOTE_LENGTH}")
    return reason


def _change(uow: UnitOfWork, rt, client: m.Client, service: str, message: str, kind: str,
            apply_after_commit: bool) -> None:
    if client.service == service and client.service_by == "manual":
        return
    was = client.service
    client.service, client.service_by = service, "manual"
    events.log(uow, rt, client, kind, message)
    if was == service:
        return
    from ispcube.services.enforcement.enforce import queue_for_clients
    from ispcube.services.enforcement.wanted import Decision
    uow.flush()
    queue_for_clients(uow, rt, rt.today(), {client.id: Decision(client.id, service, "manual", kind, message)},
                      "manual")
    from ispcube.services.notices.outbox import notices_for_moves
    notices_for_moves(uow, rt, rt.today(), {client.id: (was, service)}, "manual")
    if apply_after_commit:
        client_id = client.id
        event.listen(uow.session, "after_commit", lambda _session: _apply_quietly(rt, client_id), once=True)


def _apply_quietly(rt, client_id: int) -> None:
    # Runs after the caller's commit: a router that fails keeps its task for the next job run.
    apply_now(rt, client_id)


def apply_now(rt, client_id: int, today: date | None = None) -> list[dict[str, Any]]:
    """Make the client's routers match its service state now; one row per router.

    Each router is written under its lock, waiting (bounded) for an enforce run working on it;
    the client's state is read again under the lock, so the last writer writes the current
    state. A router that fails, or stays busy, keeps the queued task: status "queued"."""
    from ispcube.services.enforcement import tasks
    from ispcube.services.enforcement.enforce import ENFORCE
    from ispcube.services.enforcement.routers import Run, work_on_router
    from ispcube.services.enforcement.wanted import current_wanted, load_targets
    today = today or rt.today()
    with rt.uow() as uow:
        client = uow.session.get(m.Client, client_id)
        router_ids = sorted(set(uow.session.scalars(
            select(m.Connection.router_id).where(m.Connection.client_id == client_id))))
        routers = list(uow.session.scalars(select(m.Router).where(m.Router.id.in_(router_ids))
                                           .order_by(m.Router.name)))
        targets = {rid: [(cid, t) for cid, t in rows if cid == client_id]
                   for rid, rows in load_targets(uow, router_ids).items()}
        mine = [t for t in tasks.open_tasks(uow, "enforce", router_ids) if t.client_id == client_id]
        codes = {c: client.id for c in (client.code, client.previous_code) if c}
        run = Run(rt, ENFORCE, today, tasks.retry_until(uow, today), codes, "apply",
                  current=lambda **which: current_wanted(rt, today, **which))
        service = client.service
        for router in routers:
            uow.session.expunge(router)   # used after this unit of work ends
    wanted = lambda _cid: "mark" if service == "cut" else "clear"  # noqa: E731
    results = []
    for router in routers:
        open_here = {(t.connection_id, t.action): t for t in mine if t.router_id == router.id}
        outcome = work_on_router(run, router, targets.get(router.id, []), wanted, open_here)
        results.append({"router": router.name,
                        "status": "done" if outcome.status == "ok" else "queued",
                        "error": outcome.error})
    return results


def disable_client(rt, code: str, reason: str) -> dict[str, Any]:
    from ispcube.services.clients.lifecycle import find_client
    if not reason or not reason.strip():
        raise Invalid("give the reason for disabling the service (--reason)")
    with rt.uow() as uow:
        client = find_client(uow, code, rt.actor(uow))
        disable(uow, rt, client, _checked(reason.strip()), apply_after_commit=False)
        uow.commit()
        client_id, shown = client.id, client.code
    return _outcome(shown, "cut", apply_now(rt, client_id))


def commitment_of(rt, code: str) -> str | None:
    """The due date of the client's payment commitment in force, if any (ISO)."""
    from ispcube.services.clients.lifecycle import find_client
    from ispcube.services.ledger.commitments import open_commitment
    with rt.uow() as uow:
        current = open_commitment(uow, find_client(uow, code, rt.actor(uow)).id)
        return current.due_date.isoformat() if current else None


def enable_client(rt, code: str, reason: str | None, drop_commitment: bool) -> dict[str, Any]:
    from ispcube.services.clients.lifecycle import find_client
    from ispcube.services.ledger import commitments
    with rt.uow() as uow:
        client = find_client(uow, code, rt.actor(uow))
        if drop_commitment:
            commitments.drop(uow, rt, client)
        enable(uow, rt, client, _checked((reason or "by an operator").strip()), apply_after_commit=False)
        uow.commit()
        client_id, shown = client.id, client.code
    return _outcome(shown, "active", apply_now(rt, client_id))


def _outcome(code: str, service: str, routers: list[dict]) -> dict[str, Any]:
    return {"client": code, "service": service, "routers": routers}


def raise_if_queued(outcome: dict[str, Any], done: str | None = None) -> None:
    """Exit 3 naming the first router the change is queued for; DONE: what stands already."""
    queued = [r for r in outcome["routers"] if r["status"] != "done"]
    if queued:
        first = queued[0]
        stands = f"{done}, but " if done else ""
        raise PartialFailure(f"client {outcome['client']}: {stands}not applied on router {first['router']} "
                             f"({first['error']}); queued, `ispcube enforce` retries it")
