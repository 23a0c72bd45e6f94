"""Service back after a payment (N6, L3): the payment is committed first (ledger/pay.py,
ledger/money_in.py); then a client it leaves at or below the unlock threshold gets its service
back here, in a second short transaction, applied on its routers at once (a router that is down
or busy keeps the change queued for the job).

`enable_after_payment` is the answer to `pay`'s question (or `pay --enable`);
`restore_paid` is what a batch of payments (payments import) does for every client it paid:
it reads the clients' state after the commit, never what it was when the batch read its data.
"""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from ispcube.db import models as m
from ispcube.db.overdue import overdue_debts
from ispcube.domain.terms import HELD, Service
from ispcube.services.admin import config
from ispcube.services.clients.lifecycle import find_client
from ispcube.services.enforcement import service_state
from ispcube.services.enforcement.outcomes import AppliedRow, OnRouters
from ispcube.services.process.runtime import Runtime


@dataclass(frozen=True)
class Reenabled:
    """A cut or throttled client given service back after a payment, and how each of its routers took it."""
    client: str
    receipt: int
    routers: list[AppliedRow]

    @property
    def queued(self) -> bool:
        return bool(service_state.queued_on({"client": self.client, "routers": self.routers}))

    def raise_if_queued(self) -> None:
        """Exit 3 when a router did not take it: the payment and the client's state stand."""
        service_state.raise_if_queued(
            {"client": self.client, "routers": self.routers},
            done=f"receipt {self.receipt} recorded (the payment stands) and the client enabled")


def enable_after_payment(rt: Runtime, code: str, receipt: int) -> Reenabled | None:
    """Give service back after receipt RECEIPT, on the routers at once; None when the client
    is no longer cut or throttled. A router that is down or busy keeps the change queued for
    the job."""
    with rt.uow() as uow:
        client = find_client(uow, code, rt.actor(uow))
        if client.service == Service.ACTIVE:
            return None
        service_state.enable(uow, rt, client, f"paid, receipt {receipt}", apply_after_commit=False)
        uow.commit()
        client_id, shown = client.id, client.code
    return Reenabled(shown, receipt, service_state.apply_now(rt, client_id))


def restore_paid(rt: Runtime, paid: dict[int, str]) -> list[OnRouters]:
    """After the commit of a payment: give service back to the clients of PAID (client id ->
    why, e.g. "paid, receipt 12") who are cut or throttled now and whose overdue debt is at or
    below the unlock threshold; one {"client", "routers"} per client enabled."""
    from ispcube.services.enforcement import service_state
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
