"""Card payments through Stripe (D4): link a card, save it, charge it once (R6).

A charge is written as pending (and committed) before Stripe is called; the record's id is the
idempotency key and the metadata of the PaymentIntent. When the answer is lost (timeout, Stripe
down), the record stays pending and the client can have no other charge until it is finished:
running the same command again first looks the PaymentIntent up at Stripe, so a card charged
before the answer was lost is recorded, not charged again. A pending record moves to succeeded
or failed exactly once (a conditional UPDATE claims it), and a success posts its receipt in the
same transaction, so the ledger gets one payment per charge whatever runs concurrently.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
import uuid

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ispcube.db import models as m
from ispcube.db.document_models import StripeCharge
from ispcube.domain.money import decimals_for, format_amount, parse_amount
from ispcube.errors import Invalid, Refused
from ispcube.services import events
from ispcube.services.clients import find_client
from ispcube.services.ledger import COLLECTING, currency, require_role
from ispcube.services.payments import record_payment
from ispcube.services.runtime import Runtime


@dataclass(frozen=True)
class PendingCharge:
    id: str
    client_id: int
    code: str
    amount: Decimal
    currency: str
    customer: str
    payment_method: str
    card: str
    created_at: datetime
    resumed: bool


@dataclass(frozen=True)
class ChargeResult:
    client: str
    charge: str
    amount: Decimal
    currency: str
    card: str
    intent: str
    receipt: int
    entry: int
    balance: Decimal
    resumed: bool

    def as_dict(self) -> dict[str, Any]:
        return {"client": self.client, "charge": self.charge, "amount": format_amount(self.amount),
                "currency": self.currency, "card": self.card, "payment_intent": self.intent,
                "receipt": self.receipt, "entry": self.entry, "balance": format_amount(self.balance),
                "resumed": self.resumed}


def card_label(client: m.Client) -> str:
    return f"{client.card_brand} ****{client.card_last4} exp {client.card_expiry}"


def link(rt: Runtime, gateway, code: str, return_url: str | None) -> dict[str, str]:
    """Make sure the client is a Stripe customer and open a setup Checkout page for its card."""
    if not return_url or not return_url.startswith(("https://", "http://")):
        raise Invalid("--return-url must be the http(s) page Stripe sends the client to after saving the card "
                      "(or set ISPCUBE_STRIPE_RETURN_URL)")
    with rt.uow() as uow:
        actor = rt.actor(uow)
        require_role(actor, COLLECTING, "link cards")
        client = find_client(uow, code, actor)
        customer = _customer(uow, rt, gateway, client)
        code = client.code
    url = gateway.setup_session(customer=customer, code=code, return_url=return_url)
    return {"client": code, "customer": customer, "url": url}


def _customer(uow, rt: Runtime, gateway, client: m.Client) -> str:
    if client.stripe_customer_id:
        return client.stripe_customer_id
    email = next((e for e in client.emails.split(";") if e), None)
    phone = next((p for p in client.phones.split(";") if p), None)
    client.stripe_customer_id = gateway.create_customer(code=client.code, name=client.name,
                                                        email=email, phone=phone)
    events.log(uow, rt, client, "stripe.customer", f"Stripe customer {client.stripe_customer_id} created")
    uow.commit()
    return client.stripe_customer_id


def set_card(rt: Runtime, gateway, code: str, payment_method: str) -> dict[str, str]:
    """Attach the card the client saved on Stripe and keep its brand, last digits and expiry."""
    payment_method = payment_method.strip()
    if not payment_method.startswith("pm_") or not payment_method[3:].replace("_", "").isalnum():
        raise Invalid(f"payment method '{payment_method}' is not a Stripe payment method id (pm_...)")
    with rt.uow() as uow:
        actor = rt.actor(uow)
        require_role(actor, COLLECTING, "save cards")
        client = find_client(uow, code, actor)
        card = gateway.attach_card(_customer(uow, rt, gateway, client), payment_method)
        client.stripe_payment_method_id = card.payment_method_id
        client.card_brand, client.card_last4, client.card_expiry = card.brand, card.last4, card.expiry
        events.log(uow, rt, client, "stripe.card", f"card {card_label(client)} saved ({card.payment_method_id})")
        uow.commit()
        return {"client": client.code, "card": card_label(client), "payment_method": card.payment_method_id}


def charge(rt: Runtime, gateway, code: str, amount_text: str) -> ChargeResult:
    """Charge AMOUNT to the client's saved card and record the payment once."""
    pending = _open_charge(rt, code, amount_text)
    outcome = None
    if pending.resumed:
        outcome = gateway.find_payment(charge_id=pending.id, customer=pending.customer,
                                       since=pending.created_at)
    if outcome is None:
        minor = int(pending.amount.scaleb(decimals_for(pending.currency)).to_integral_value())
        outcome = gateway.charge(charge_id=pending.id, customer=pending.customer,
                                 payment_method=pending.payment_method, amount_minor=minor,
                                 currency=pending.currency, code=pending.code)
    return _finish(rt, pending, outcome)


def _open_charge(rt: Runtime, code: str, amount_text: str) -> PendingCharge:
    """The client's unfinished charge of the same amount, or a new pending one (committed)."""
    with rt.uow() as uow:
        actor = rt.actor(uow)
        require_role(actor, COLLECTING, "charge cards")
        client = find_client(uow, code, actor)
        money = currency(uow)
        amount = parse_amount(amount_text, field="amount", currency=money, allow_zero=False)
        unfinished = uow.session.scalar(select(StripeCharge).where(StripeCharge.open_client_id == client.id))
        if unfinished is not None and unfinished.amount != amount:
            raise Refused(f"client {client.code} has an unfinished card charge of {format_amount(unfinished.amount)} "
                          f"from {unfinished.created_at:%Y-%m-%d %H:%M}: run `ispcube stripe charge {client.code} "
                          f"{format_amount(unfinished.amount)}` to finish it first")
        if unfinished is None:
            if not (client.stripe_customer_id and client.stripe_payment_method_id):
                raise Refused(f"client {client.code} has no saved card: run `ispcube stripe link {client.code}`, "
                              f"then `ispcube stripe set-card {client.code} PM_ID`")
            unfinished = StripeCharge(id=str(uuid.uuid4()), client_id=client.id, open_client_id=client.id,
                                      amount=amount, currency=money, status="pending",
                                      customer_id=client.stripe_customer_id,
                                      payment_method_id=client.stripe_payment_method_id, attempts=0,
                                      operator=rt.operator, created_at=rt.now())
            uow.session.add(unfinished)
            resumed = False
        else:
            resumed = True
        unfinished.attempts += 1
        try:
            uow.commit()
        except IntegrityError:
            raise Refused(f"another card charge for client {client.code} is being made right now; "
                          "run the command again in a moment") from None
        return PendingCharge(unfinished.id, client.id, client.code, amount, money, unfinished.customer_id,
                             unfinished.payment_method_id, card_label(client), unfinished.created_at, resumed)


def _claim(uow, pending: PendingCharge, rt: Runtime, **values: Any) -> bool:
    """Move the charge out of pending; False when another run already did."""
    done = uow.session.execute(
        update(StripeCharge).where(StripeCharge.id == pending.id, StripeCharge.status == "pending")
        .values(open_client_id=None, finished_at=rt.now(), **values)
        .execution_options(synchronize_session=False))
    return done.rowcount == 1


def _finish(rt: Runtime, pending: PendingCharge, outcome) -> ChargeResult:
    amount = f"{format_amount(pending.amount)} {pending.currency}"
    with rt.uow() as uow:
        if outcome.status == "succeeded":
            if not _claim(uow, pending, rt, status="succeeded", payment_intent_id=outcome.intent_id):
                raise Refused(f"charge {pending.id} was finished meanwhile by another run: "
                              f"see `ispcube ledger show {pending.code}`")
            client = uow.session.get(m.Client, pending.client_id)
            paid = record_payment(uow, rt, rt.actor(uow), client, pending.amount, [],
                                  comment=f"Stripe {outcome.intent_id}", paid_on=rt.today(),
                                  payment_method="stripe")
            uow.session.execute(update(StripeCharge).where(StripeCharge.id == pending.id)
                                .values(entry_id=paid.entry_id).execution_options(synchronize_session=False))
            uow.commit()
            return ChargeResult(pending.code, pending.id, pending.amount, pending.currency, pending.card,
                                outcome.intent_id, paid.receipt, paid.entry_id, paid.balance, pending.resumed)
        if outcome.status in ("declined", "authentication_required"):
            if _claim(uow, pending, rt, status="failed", payment_intent_id=outcome.intent_id,
                      failure=f"{outcome.status}: {outcome.reason}"):
                client = uow.session.get(m.Client, pending.client_id)
                events.log(uow, rt, client, f"stripe.{outcome.status.replace('_', '-')}",
                           f"card charge of {amount} not made: {outcome.reason}")
                uow.commit()
            raise Refused(_refusal(pending, outcome, amount))
        if outcome.status == "processing":
            uow.session.execute(update(StripeCharge).where(StripeCharge.id == pending.id)
                                .values(payment_intent_id=outcome.intent_id)
                                .execution_options(synchronize_session=False))
            uow.commit()
            raise Refused(f"the card charge of {amount} to client {pending.code} is still processing at Stripe: "
                          f"run `ispcube stripe charge {pending.code} {format_amount(pending.amount)}` again later "
                          "to record it (it will not charge twice)")
    raise Refused(f"Stripe did not answer ({outcome.reason}): the card charge of {amount} to client "
                  f"{pending.code} is pending; run `ispcube stripe charge {pending.code} "
                  f"{format_amount(pending.amount)}` again to finish it (it will not charge twice)")


def _refusal(pending: PendingCharge, outcome, amount: str) -> str:
    if outcome.status == "authentication_required":
        return (f"the card of client {pending.code} ({pending.card}) needs the cardholder's authentication: "
                f"nothing was charged or recorded; send a new `ispcube stripe link {pending.code}`")
    return (f"the card of client {pending.code} ({pending.card}) was declined ({outcome.reason}): "
            f"{amount} was not charged and nothing was recorded")
