"""Charge every card client its overdue debt (K6), once a day, from cron.

The clients are those paying by `stripe`, not deleted, with a saved card and an overdue debt
(N1) today; each is charged that debt through the same path as `stripe charge` (a pending
record committed first, then Stripe, then the receipt). The record's id, and so the idempotency
key and the PaymentIntent metadata, is made of the day and the client: a run retried the same
day finds the day's record and never opens a second one. A charge left pending by a run that
was killed or lost Stripe's answer is finished by the next run the same day (looked up at
Stripe first, sent again with the same key only when Stripe has no trace of it).

A declined card is closed and logged for that client and the run goes on; the day's attempt
is then spent (the next day's run tries again). Payments recorded here re-enable nobody: the
next `enforce` restores the clients it cut. One run at a time (job lock).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import NotRequired, TypedDict
import uuid

from sqlalchemy import literal, select

from ispcube.db import models as m
from ispcube.db.document_models import StripeCharge
from ispcube.db.overdue import overdue_debts, overdue_select
from ispcube.db.types import Money
from ispcube.domain.money import format_amount
from ispcube.errors import IspcubeError, PartialFailure
from ispcube.services.ledger.posting import currency
from ispcube.services.payments.stripe.charges import ChargeNotMade, commit_record, new_record, pending_of, send
from ispcube.services.process.job_lock import job_lock
from ispcube.services.process.runtime import Runtime

JOB = "stripe charge-due"
DUE_NAMESPACE = uuid.UUID("6f1d9a52-3c1e-4b8e-9a55-0c2f7d4e8b21")


class DueRow(TypedDict):
    """A client with money due today, and the amount."""
    client: str
    amount: str
    currency: str


class ChargedRow(DueRow):
    """A client charged; a dry run names only the client and the amount it would charge."""
    card: NotRequired[str]
    payment_intent: NotRequired[str]
    receipt: NotRequired[int]
    balance: NotRequired[str]
    resumed: NotRequired[bool]


class ChargedBeforeRow(DueRow):
    """A client an earlier run charged today."""
    payment_intent: str | None


class MissedRow(DueRow):
    """A client not charged (declined, unfinished, no card): why."""
    reason: str


class DueRecord(TypedDict):
    """`stripe charge-due`: every client with money due and what became of it."""
    date: str
    dry_run: bool
    currency: str
    total: str
    charged: list[ChargedRow]
    declined: list[MissedRow]
    pending: list[MissedRow]
    no_card: list[MissedRow]
    already_charged: list[ChargedBeforeRow]


@dataclass
class DueRun:
    day: date
    currency: str
    dry_run: bool
    charged: list[ChargedRow] = field(default_factory=list)      # charged (or, dry run, to be)
    declined: list[MissedRow] = field(default_factory=list)
    pending: list[MissedRow] = field(default_factory=list)       # outcome unknown, or blocked
    no_card: list[MissedRow] = field(default_factory=list)
    already_charged: list[ChargedBeforeRow] = field(default_factory=list)
    changed: bool = False       # a charge was opened, sent or closed by this run

    @property
    def total(self) -> Decimal:
        return sum((Decimal(c["amount"]) for c in self.charged), Decimal(0))

    @property
    def not_charged(self) -> list[MissedRow]:
        return self.declined + self.pending + self.no_card

    def as_dict(self) -> DueRecord:
        return {"date": self.day.isoformat(), "dry_run": self.dry_run, "currency": self.currency,
                "total": format_amount(self.total), "charged": self.charged, "declined": self.declined,
                "pending": self.pending, "no_card": self.no_card, "already_charged": self.already_charged}


def due_charge_id(day: date, client_id: int, customer: str) -> str:
    """The id of the day's charge of a client: the idempotency key per client and day.

    Named after the Stripe customer too, which Stripe never gives twice, so two databases on
    one Stripe account (or one rebuilt from scratch) never send each other's keys."""
    return str(uuid.uuid5(DUE_NAMESPACE, f"{customer}/{client_id}/{day.isoformat()}"))


def charge_due(rt: Runtime, gateway, *, dry_run: bool) -> DueRun:
    """Charge (or, with DRY_RUN, list) every card client with money due today."""
    rt.check_office("charge the cards of every client with money due")
    with job_lock(rt.engine, JOB):
        day = rt.today()
        run, to_charge = _plan(rt, day, dry_run)
        if dry_run:
            run.charged = [{**_row(code, amount, run.currency)} for _, code, amount, _ in to_charge]
            return run
        for client_id, code, amount, resumed in to_charge:
            _charge_one(rt, gateway, run, day, client_id, code, amount, resumed)
        return run


def _plan(rt: Runtime, day: date, dry_run: bool) -> tuple[DueRun, list[tuple[int, str, Decimal, bool]]]:
    """Sort the clients with money due; the (client id, code, amount, resumed) to charge."""
    with rt.uow() as uow:
        money = currency(uow)
        run = DueRun(day, money, dry_run)
        rows = uow.session.execute(_owing(day)).all()
        since = datetime.combine(day - timedelta(days=1), time())     # the day's records, and a few more
        recent = uow.session.scalars(select(StripeCharge).where(StripeCharge.created_at >= since))
        todays = {r.client_id: r for r in recent if r.id == due_charge_id(day, r.client_id, r.customer_id)}
        open_ones = {r.open_client_id: r for r in uow.session.scalars(
            select(StripeCharge).where(StripeCharge.open_client_id.is_not(None)))}
        to_charge = []
        for row in rows:
            today, unfinished = todays.pop(row.id, None), open_ones.get(row.id)
            if today is not None and today.status == "succeeded":
                run.already_charged.append({**_row(row.code, today.amount, money),
                                            "payment_intent": today.payment_intent_id})
            elif today is not None and today.status == "failed":
                run.declined.append({**_row(row.code, today.amount, money),
                                     "reason": f"declined earlier today ({today.failure}); tried again tomorrow"})
            elif today is not None and row.overdue >= today.amount:
                to_charge.append((row.id, row.code, today.amount, True))
            elif unfinished is not None:
                run.pending.append(_unfinished(row.code, unfinished, money))
            elif not (row.stripe_customer_id and row.stripe_payment_method_id):
                run.no_card.append({**_row(row.code, row.overdue, money), "reason": (
                    f"no saved card: run `ispcube stripe link {row.code}`, then "
                    f"`ispcube stripe set-card {row.code} PM_ID`")})
            else:
                to_charge.append((row.id, row.code, row.overdue, False))
        # The day's unfinished charges of clients who owe less now (paid meanwhile): never sent
        # again on their own, since Stripe may have no trace of them and the money is not due.
        left = [r for r in todays.values() if r.status == "pending"]
        codes = dict(uow.session.execute(select(m.Client.id, m.Client.code)
                                         .where(m.Client.id.in_([r.client_id for r in left]))).all()) if left else {}
        run.pending += [_unfinished(codes[r.client_id], r, money) for r in left]
        return run, to_charge


def _owing(day: date):
    """The clients paying by card, not deleted, with an overdue debt on DAY (N1)."""
    owing = overdue_select(day).subquery()
    client = m.Client
    return (select(client.id, client.code, client.stripe_customer_id, client.stripe_payment_method_id,
                   owing.c.overdue)
            .join(owing, owing.c.client_id == client.id)
            .where(client.payment_method == "stripe", client.deleted.is_(False),
                   owing.c.overdue > literal(Decimal(0), Money))
            .order_by(client.code))


def _unfinished(code: str, record: StripeCharge, money: str) -> MissedRow:
    amount = format_amount(record.amount)
    return {**_row(code, record.amount, money), "reason": (
        f"has an unfinished card charge of {amount} from {record.created_at:%Y-%m-%d %H:%M} that this run "
        f"does not send again, as the client owes less now: `ispcube stripe charge {code} {amount}` finishes it "
        "(it looks the charge up at Stripe first, and sends it again only when Stripe has no trace of it)")}


def _charge_one(rt: Runtime, gateway, run: DueRun, day: date, client_id: int, code: str,
                amount: Decimal, resumed: bool) -> None:
    try:
        pending = _open(rt, day, client_id, amount, resumed)
        if pending is None:
            return      # paid meanwhile: nothing is due any more
        run.changed = run.changed or not pending.resumed
        done = send(rt, gateway, pending)
    except ChargeNotMade as exc:
        run.changed = True
        run.declined.append({**_row(code, amount, run.currency), "reason": str(exc)})
    except IspcubeError as exc:
        # A PartialFailure left the record pending (or found it finished): the run wrote something.
        run.changed = run.changed or isinstance(exc, PartialFailure)
        run.pending.append({**_row(code, amount, run.currency), "reason": str(exc)})
    else:
        run.changed = True
        run.charged.append({**_row(code, done.amount, run.currency), "card": done.card,
                            "payment_intent": done.intent, "receipt": done.receipt,
                            "balance": format_amount(done.balance), "resumed": done.resumed or done.retried})


def _open(rt: Runtime, day: date, client_id: int, amount: Decimal, resumed: bool):
    """The day's charge record of the client: the unfinished one, or a new one (committed) for
    the overdue debt read again now, since a payment may have come in while the run went on."""
    with rt.uow() as uow:
        client = uow.session.get_one(m.Client, client_id)
        assert client.stripe_customer_id, "only clients with a saved card are charged"
        charge_id = due_charge_id(day, client_id, client.stripe_customer_id)
        if resumed:
            return pending_of(uow.session.get_one(StripeCharge, charge_id), client, True)
        amount = overdue_debts(uow, day, [client_id])[client_id]
        if amount <= 0:
            return None
        record = new_record(uow, rt, client, charge_id, amount, currency(uow))
        commit_record(uow, client, "it is not charged by this run")
        return pending_of(record, client, False)


def _row(code: str, amount: Decimal, money: str) -> DueRow:
    return {"client": code, "amount": format_amount(amount), "currency": money}
