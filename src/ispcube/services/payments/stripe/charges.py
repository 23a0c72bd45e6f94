"""Card payments through Stripe (D4): link a card, save it, charge it once (R6).

A charge is written as pending (and committed) before Stripe is called; the record's id is the
idempotency key and the metadata of the PaymentIntent. Only when the outcome is unknown (no
answer, Stripe failing mid-way, still processing) does the record stay pending, and the client
can have no other charge until it is finished: running the same command again first looks the
PaymentIntent up at Stripe, so a card charged before the answer was lost is recorded, not
charged again, and one that was not is sent again with the same key. A definite refusal
(declined, authentication required, a request Stripe turns down) closes the record as failed
and writes it to the client log, so the next `stripe charge` is a new attempt.

A pending record moves to succeeded or failed exactly once (a conditional UPDATE claims it),
and a success posts its receipt in the same transaction, so the ledger gets one payment per
charge whatever runs concurrently. Every failure after the record was written exits 3 and says
what stands (R13); only a refusal before it (no card, bad amount, role) exits 1.
"""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypedDict
import uuid

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ispcube.db import models as m
from ispcube.db.document_models import StripeCharge
from ispcube.domain.money import decimals_for, format_amount, parse_amount
from ispcube.errors import Invalid, IspcubeError, PartialFailure, Refused
from ispcube.services.clients import log as events
from ispcube.services.clients.lifecycle import find_client
from ispcube.services.ledger import money_in
from ispcube.services.ledger.pay import record_payment
from ispcube.services.ledger.posting import COLLECTING, currency, require_role
from ispcube.services.process.runtime import Runtime


class ChargeNotMade(PartialFailure):
    """Stripe refused the charge: nothing was charged, the attempt is closed and in the client log."""


class ChargeUnfinished(PartialFailure):
    """Stripe's answer is not known yet (lost, or still processing): the charge stays pending."""


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
    resumed: bool                   # an unfinished attempt of an earlier run


class ChargeRecord(TypedDict):
    """`stripe charge`: the card charged and the receipt posted."""
    client: str
    charge: str
    amount: str
    currency: str
    card: str
    payment_intent: str
    receipt: int
    entry: int
    balance: str
    resumed: bool
    retried: bool


class CheckoutLink(TypedDict):
    """`stripe link`: the Checkout page where the client saves a card."""
    client: str
    customer: str
    url: str


class CardSaved(TypedDict):
    """`stripe set-card`: the card kept for the client's charges."""
    client: str
    card: str
    payment_method: str


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
    resumed: bool                   # charged by an earlier attempt whose answer was lost
    retried: bool = False           # an earlier attempt Stripe had no charge for, sent again now

    def as_dict(self) -> ChargeRecord:
        return {"client": self.client, "charge": self.charge, "amount": format_amount(self.amount),
                "currency": self.currency, "card": self.card, "payment_intent": self.intent,
                "receipt": self.receipt, "entry": self.entry, "balance": format_amount(self.balance),
                "resumed": self.resumed, "retried": self.retried}


def card_label(client: m.Client) -> str:
    return f"{client.card_brand} ****{client.card_last4} exp {client.card_expiry}"


def link(rt: Runtime, gateway, code: str, return_url: str | None) -> CheckoutLink:
    """Make sure the client is a Stripe customer and open a setup Checkout page for its card."""
    if not return_url or not return_url.startswith(("https://", "http://")):
        raise Invalid("--return-url must be the http(s) page Stripe sends the client to after saving the card "
                      "(or set ISPCUBE_STRIPE_RETURN_URL)")
    with rt.uow() as uow:
        actor = rt.actor(uow)
        require_role(actor, COLLECTING, "link cards")
        client = find_client(uow, code, actor)
        customer, created = _customer(uow, rt, gateway, client)
        code = client.code
    with _customer_stands(code, customer, created, "the Checkout link was not made"):
        url = gateway.setup_session(customer=customer, code=code, return_url=return_url)
    return {"client": code, "customer": customer, "url": url}


def _customer(uow, rt: Runtime, gateway, client: m.Client) -> tuple[str, bool]:
    """The client's Stripe customer, and whether it was created (and committed) just now."""
    if client.stripe_customer_id:
        return client.stripe_customer_id, False
    email = next((e for e in client.emails.split(";") if e), None)
    phone = next((p for p in client.phones.split(";") if p), None)
    client.stripe_customer_id = gateway.create_customer(code=client.code, name=client.name,
                                                        email=email, phone=phone)
    events.log(uow, rt, client, "stripe.customer", f"Stripe customer {client.stripe_customer_id} created")
    uow.commit()
    return client.stripe_customer_id, True


@contextmanager
def _customer_stands(code: str, customer: str, created: bool, not_done: str):
    """A step after the customer was stored failed: exit 3 saying the customer stands (R13);
    when the customer was there before, this run changed nothing and the error stays as it is."""
    try:
        yield
    except IspcubeError as exc:
        if not created:
            raise
        raise PartialFailure(f"client {code} is now Stripe customer {customer} (stored), but {not_done}: "
                             f"{exc}; run the command again to finish") from None


def set_card(rt: Runtime, gateway, code: str, payment_method: str) -> CardSaved:
    """Attach the card the client saved on Stripe and keep its brand, last digits and expiry."""
    payment_method = payment_method.strip()
    if not payment_method.startswith("pm_") or not payment_method[3:].replace("_", "").isalnum():
        raise Invalid(f"payment method '{payment_method}' is not a Stripe payment method id (pm_...)")
    with rt.uow() as uow:
        actor = rt.actor(uow)
        require_role(actor, COLLECTING, "save cards")
        client = find_client(uow, code, actor)
        customer, created = _customer(uow, rt, gateway, client)
        with _customer_stands(client.code, customer, created, "the card was not saved"):
            card = gateway.attach_card(customer, payment_method)
        client.stripe_payment_method_id = card.payment_method_id
        client.card_brand, client.card_last4, client.card_expiry = card.brand, card.last4, card.expiry
        events.log(uow, rt, client, "stripe.card", f"card {card_label(client)} saved ({card.payment_method_id})")
        uow.commit()
        done: CardSaved = {"client": client.code, "card": card_label(client),
                           "payment_method": card.payment_method_id}
    try:
        gateway.make_default(customer, card.payment_method_id)
    except IspcubeError as exc:
        # Our charges name the card themselves: it is saved and usable, only Stripe's default is not set.
        raise PartialFailure(f"card {done['card']} saved for client {done['client']} (charges use it), but it is "
                             f"not the customer's default at Stripe: {exc}; run the command again to set it") from None
    return done


def charge(rt: Runtime, gateway, code: str, amount_text: str) -> ChargeResult:
    """Charge AMOUNT to the client's saved card and record the payment once."""
    return send(rt, gateway, _open_charge(rt, code, amount_text))


def send(rt: Runtime, gateway, pending: PendingCharge) -> ChargeResult:
    """Make the pending charge at Stripe (an unfinished one is looked up there first) and record it.

    Raises `ChargeNotMade` when Stripe refused it (the attempt is closed and logged) and
    `ChargeUnfinished` when its outcome is not known yet (the record stays pending)."""
    outcome = None
    if pending.resumed:
        try:
            outcome = gateway.find_payment(charge_id=pending.id, customer=pending.customer,
                                           since=pending.created_at)
        except IspcubeError as exc:
            raise Refused(f"{exc}; the card charge of {format_amount(pending.amount)} {pending.currency} to client "
                          f"{pending.code} from {pending.created_at:%Y-%m-%d %H:%M} stays pending as it was: "
                          f"run `ispcube stripe charge {pending.code} {format_amount(pending.amount)}` again "
                          "to finish it") from None
    found_earlier = outcome is not None
    if outcome is None:
        if pending.resumed:
            _count_attempt(rt, pending)
        minor = int(pending.amount.scaleb(decimals_for(pending.currency)).to_integral_value())
        outcome = gateway.charge(charge_id=pending.id, customer=pending.customer,
                                 payment_method=pending.payment_method, amount_minor=minor,
                                 currency=pending.currency, code=pending.code)
    return _finish(rt, pending, outcome, found_earlier)


def _count_attempt(rt: Runtime, pending: PendingCharge) -> None:
    """An unfinished charge Stripe has no trace of is sent again: count the attempt first."""
    with rt.uow() as uow:
        uow.session.execute(update(StripeCharge).where(StripeCharge.id == pending.id)
                            .values(attempts=StripeCharge.attempts + 1)
                            .execution_options(synchronize_session=False))
        uow.commit()


def _open_charge(rt: Runtime, code: str, amount_text: str) -> PendingCharge:
    """The client's unfinished charge of the same amount, or a new pending one (committed)."""
    with rt.uow() as uow:
        actor = rt.actor(uow)
        require_role(actor, COLLECTING, "charge cards")
        client = find_client(uow, code, actor)
        money = currency(uow)
        amount = parse_amount(amount_text, field="amount", currency=money, allow_zero=False,
                              local=rt.local_formats())
        unfinished = uow.session.scalar(select(StripeCharge).where(StripeCharge.open_client_id == client.id))
        if unfinished is not None and unfinished.amount != amount:
            raise Refused(f"client {client.code} has an unfinished card charge of {format_amount(unfinished.amount)} "
                          f"from {unfinished.created_at:%Y-%m-%d %H:%M}: run `ispcube stripe charge {client.code} "
                          f"{format_amount(unfinished.amount)}` to finish it first")
        if unfinished is None:
            if not (client.stripe_customer_id and client.stripe_payment_method_id):
                raise Refused(f"client {client.code} has no saved card: run `ispcube stripe link {client.code}`, "
                              f"then `ispcube stripe set-card {client.code} PM_ID`")
            unfinished = new_record(uow, rt, client, str(uuid.uuid4()), amount, money)
            resumed = False
        else:
            resumed = True     # nothing written: a look-up at Stripe comes first
        commit_record(uow, client, "run the command again in a moment")
        return pending_of(unfinished, client, resumed)


def commit_record(uow, client: m.Client, then: str) -> None:
    """Commit the charge record (R6: before Stripe is called); a second pending charge of the
    same client, made meanwhile by another run, is refused by the database: THEN says what to do."""
    try:
        uow.commit()
    except IntegrityError:
        raise Refused(f"another card charge for client {client.code} is being made right now; {then}") from None


def new_record(uow, rt: Runtime, client: m.Client, charge_id: str, amount: Decimal, money: str) -> StripeCharge:
    """A pending charge of the client's saved card, added to UOW (the caller commits)."""
    record = StripeCharge(id=charge_id, client_id=client.id, open_client_id=client.id, amount=amount,
                          currency=money, status="pending", customer_id=client.stripe_customer_id,
                          payment_method_id=client.stripe_payment_method_id, attempts=1,
                          operator=rt.operator, created_at=rt.now())
    uow.session.add(record)
    return record


def pending_of(record: StripeCharge, client: m.Client, resumed: bool) -> PendingCharge:
    return PendingCharge(record.id, client.id, client.code, record.amount, record.currency, record.customer_id,
                         record.payment_method_id, card_label(client), record.created_at, resumed)


def _claim(uow, pending: PendingCharge, rt: Runtime, **values: Any) -> bool:
    """Move the charge out of pending; False when another run already did."""
    done = uow.session.execute(
        update(StripeCharge).where(StripeCharge.id == pending.id, StripeCharge.status == "pending")
        .values(open_client_id=None, finished_at=rt.now(), **values)
        .execution_options(synchronize_session=False))
    return done.rowcount == 1


def _finish(rt: Runtime, pending: PendingCharge, outcome, found_earlier: bool) -> ChargeResult:
    amount = f"{format_amount(pending.amount)} {pending.currency}"
    again = f"`ispcube stripe charge {pending.code} {format_amount(pending.amount)}`"
    with money_in.posting(rt), rt.uow() as uow:     # the receipt is posted as every payment is
        if outcome.status == "succeeded":
            if not _claim(uow, pending, rt, status="succeeded", payment_intent_id=outcome.intent_id):
                raise PartialFailure(_finished_meanwhile(pending))
            client = uow.session.get_one(m.Client, pending.client_id)
            paid = record_payment(uow, rt, rt.actor(uow), client, pending.amount, [],
                                  comment=f"Stripe {outcome.intent_id}", paid_on=rt.today(),
                                  payment_method="stripe")
            uow.session.execute(update(StripeCharge).where(StripeCharge.id == pending.id)
                                .values(entry_id=paid.entry_id).execution_options(synchronize_session=False))
            uow.commit()
            return ChargeResult(pending.code, pending.id, pending.amount, pending.currency, pending.card,
                                outcome.intent_id, paid.receipt, paid.entry_id, paid.balance,
                                resumed=found_earlier, retried=pending.resumed and not found_earlier)
        if outcome.status in REFUSALS:
            if not _claim(uow, pending, rt, status="failed", payment_intent_id=outcome.intent_id,
                          failure=f"{outcome.status}: {outcome.reason}"):
                raise PartialFailure(_finished_meanwhile(pending))
            client = uow.session.get_one(m.Client, pending.client_id)
            events.log(uow, rt, client, f"stripe.{outcome.status.replace('_', '-')}",
                       f"card charge of {amount} not made: {outcome.reason}")
            uow.commit()
            raise ChargeNotMade(f"{_refusal(pending, outcome)}: {amount} was not charged and no payment was "
                                 f"recorded; the failed attempt is kept in `ispcube client log {pending.code}`, "
                                 f"and {again} makes a new one")
        if outcome.status == "processing":
            uow.session.execute(update(StripeCharge).where(StripeCharge.id == pending.id)
                                .values(payment_intent_id=outcome.intent_id)
                                .execution_options(synchronize_session=False))
            uow.commit()
            raise ChargeUnfinished(f"the card charge of {amount} to client {pending.code} is still processing at "
                                 f"Stripe ({outcome.intent_id}): it stays pending, no payment recorded yet; run "
                                 f"{again} again later to record it (it will not charge twice)")
    raise ChargeUnfinished(f"no definite answer from Stripe ({outcome.reason}): it is not known whether {amount} "
                         f"was charged to the card of client {pending.code}; the charge stays pending, no payment "
                         f"recorded; run {again} again to finish it (it looks the charge up at Stripe first and "
                         "never charges twice)")


REFUSALS = ("declined", "authentication_required", "refused")


def _finished_meanwhile(pending: PendingCharge) -> str:
    return (f"card charge {pending.id} of client {pending.code} was finished meanwhile by another run: "
            f"see `ispcube ledger show {pending.code}` and `ispcube client log {pending.code}`")


def _refusal(pending: PendingCharge, outcome) -> str:
    if outcome.status == "authentication_required":
        return (f"the card of client {pending.code} ({pending.card}) needs the cardholder's authentication "
                f"(send a new `ispcube stripe link {pending.code}`)")
    if outcome.status == "refused":
        return f"the card charge to client {pending.code} ({pending.card}) was refused: {outcome.reason}"
    return f"the card of client {pending.code} ({pending.card}) was declined ({outcome.reason})"
