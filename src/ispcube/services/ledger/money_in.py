"""One path for money in (L3, K5, R17): how every command that posts a receipt stays in step
with `enforce`.

`enforce` reads the balances and decides who is cut in one transaction; a payment committed
while it decides would leave a client who paid cut on a debt it no longer has. So the two
take one lock, `posting`: every command that posts a receipt (pay, payments import, collect
settle, stripe charge and charge-due, ledger import; cheque set-status, whose rejection posts
a DX) holds it around the transaction that posts, and enforce around the one that decides.
Enforce then decides on a balance from before a payment or from after it, never on one a
payment is changing:

- decided before: the cut is committed before the payment is posted, and `restore_paid`,
  run after the payment's commit, reads the client cut and gives the service back;
- decided after: enforce reads the new balance and does not cut (or restores a client it had
  cut).

`restore_paid` reads the clients' state after the commit (never what it was when the command
read its data): each paid client still cut or throttled whose overdue debt is at or below the
unlock threshold is enabled as `pay --enable` does, logged, and applied on its routers at
once (a router that fails keeps the change queued for `enforce`).

The lock is waited for, not refused: a payment queues behind an enforce deciding (seconds)
or an import posting; after `WAIT_S` the command gives up with exit 75, nothing posted.
"""

from contextlib import contextmanager
from decimal import Decimal
from typing import Any, Iterator

from sqlalchemy import select

from ispcube.db import models as m
from ispcube.services.process.job_lock import waited_lock
from ispcube.services.process.runtime import Runtime

LOCK = "money-in"
WAIT_S = 300.0


@contextmanager
def posting(rt: Runtime) -> Iterator[None]:
    """Hold while a transaction posts money in (or, in enforce, decides on the balances)."""
    with waited_lock(rt.engine, LOCK, WAIT_S,
                     f"payments or `ispcube enforce` kept the accounts busy for {WAIT_S:.0f} s; nothing was "
                     "posted, try again later"):
        yield


def restore_paid(rt: Runtime, paid: dict[int, str]) -> list[dict[str, Any]]:
    """After the commit of a payment: give service back to the clients of PAID (client id ->
    why, e.g. "paid, receipt 12") who are cut or throttled now and whose overdue debt is at or
    below the unlock threshold; one {"client", "routers"} per client enabled."""
    from ispcube.domain.terms import HELD
    from ispcube.services.admin import config
    from ispcube.services.enforcement import service_state
    from ispcube.services.ledger.overdue import overdue_debts
    if not paid:
        return []
    with rt.uow() as uow:
        held = list(uow.session.scalars(select(m.Client).where(m.Client.id.in_(list(paid)),
                                                               m.Client.service.in_([str(s) for s in HELD]))
                                        .order_by(m.Client.code)))
        if not held:
            return []
        threshold = config.get_value(uow.session, "unlock_threshold")
        owed = overdue_debts(uow, rt.today(), [c.id for c in held])
        chosen = []
        for client in held:
            if owed.get(client.id, Decimal(0)) <= threshold:
                service_state.enable(uow, rt, client, paid[client.id], apply_after_commit=False)
                chosen.append((client.id, client.code))
        uow.commit()
    return [{"client": code, "routers": service_state.apply_now(rt, client_id)} for client_id, code in chosen]
