"""One path for money in (L3, K5, R17): how every command that posts a receipt stays in step
with `enforce`.

`enforce` reads the balances and decides who is cut in one transaction; a payment committed
while it decides would leave a client who paid cut on a debt it no longer has. So the two
take one lock, `posting`: every command that posts a receipt (pay, payments import, collect
settle, stripe charge and charge-due, ledger import; cheque set-status, whose rejection posts
a DX) holds it around the transaction that posts, and enforce around the one that decides.
Enforce then decides on a balance from before a payment or from after it, never on one a
payment is changing:

- decided before: the cut is committed before the payment is posted, and `restore_paid`
  (enforcement/paid.py), run after the payment's commit, reads the client cut and gives the
  service back;
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
from typing import Iterator

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
