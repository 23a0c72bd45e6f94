"""Payments (L3): a receipt made of cash and cheques, and the re-enable decision it may allow.

The payment is committed first; the caller then asks whether to re-enable the client (N6)
and, if so, calls `enforcement.paid.enable_after_payment` in a second, short transaction. Asking inside the
payment's transaction would hold the receipt numbering row locked while an operator reads
the question, stalling every other payment.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TypedDict

from ispcube.db import models as m
from ispcube.db.ledger_models import Cheque
from ispcube.db.overdue import overdue_debts
from ispcube.db.uow import UnitOfWork
from ispcube.domain.dates import parse_date
from ispcube.domain.ledger import EntryKind
from ispcube.domain.money import format_amount, parse_amount
from ispcube.domain.terms import HELD
from ispcube.domain.text import one_line
from ispcube.domain.vocabulary import parse_payment_method
from ispcube.errors import Invalid, UsageError
from ispcube.services.admin import config
from ispcube.services.clients.lifecycle import find_client
from ispcube.services.ledger import money_in
from ispcube.services.ledger.cheques import ChequeIn, parse_cheque, refuse_known_cheques
from ispcube.services.ledger.posting import COLLECTING, currency, post, require_role
from ispcube.services.process.runtime import Actor, Runtime

ZERO = Decimal("0.00")


class PaymentRecord(TypedDict):
    """`pay`: the receipt posted and the balance after it."""
    client: str
    receipt: int
    entry: int
    amount: str
    cash: str
    cheques: list[int]
    balance: str
    overdue: str


@dataclass(frozen=True)
class PaymentResult:
    client: str
    entry_id: int
    receipt: int
    amount: Decimal                 # what the client paid (positive)
    cash: Decimal
    cheque_ids: list[int]
    balance: Decimal
    overdue: Decimal
    may_enable: bool                # cut, and the overdue debt is now at or below the threshold
    enable_blocker: str | None = field(default=None)   # why not, when the client is cut

    def as_dict(self) -> "PaymentRecord":
        return {"client": self.client, "receipt": self.receipt, "entry": self.entry_id,
                "amount": format_amount(self.amount), "cash": format_amount(self.cash),
                "cheques": self.cheque_ids, "balance": format_amount(self.balance),
                "overdue": format_amount(self.overdue)}


def pay(rt: Runtime, code: str, *, cash: str | None = None, cheques: list[str] | None = None,
        comment: str | None = None, on_date: str | None = None, amount: str | None = None,
        method: str | None = None) -> PaymentResult:
    """Record a payment typed by a user: amounts and dates as text, checked here. METHOD (any word
    of the vocabulary) says how AMOUNT was paid: cash goes to the cash box, cheques come with
    CHEQUES, a transfer, a card or another method goes to no cash box. Posted under the lock
    enforce decides under (ledger/money_in.py)."""
    cash, electronic = _by_method(cash, amount, cheques or [], method)
    one_line(comment, "--comment")
    with money_in.posting(rt), rt.uow() as uow:
        actor = rt.actor(uow)
        require_role(actor, COLLECTING, "record payments")
        client = find_client(uow, code, actor)
        money = currency(uow)
        local = rt.local_formats()
        cash_amount = parse_amount(cash, field="cash", currency=money, local=local) if cash is not None else ZERO
        parsed = [parse_cheque(text, money, local) for text in cheques or []]
        paid_on = parse_date(on_date, field="--date", local=local) if on_date else rt.today()
        if paid_on > rt.today():
            raise Invalid(f"--date {paid_on.isoformat()} is in the future")
        result = record_payment(uow, rt, actor, client, cash_amount, parsed,
                                comment=comment, paid_on=paid_on, payment_method=electronic)
        uow.commit()
        return result


def _by_method(cash: str | None, amount: str | None, cheques: list[str],
               method: str | None) -> tuple[str | None, str | None]:
    """(the amount paid in cash, the payment method of a payment that goes to no cash box)."""
    if cash is not None and amount is not None:
        raise UsageError("give the amount once: --cash for cash, or --amount with --method")
    name = parse_payment_method(method, "--method") if method is not None else None
    if name in (None, "cash", "cheque"):
        if name == "cheque" and not cheques:
            raise Invalid("--method cheque: give each cheque with --cheque bank=..,number=..,amount=..,deposit=..")
        if name == "cheque" and amount is not None:
            raise Invalid("--method cheque: a cheque's amount goes in its --cheque (amount=..), not in --amount")
        return (amount if amount is not None else cash), None
    if cheques:
        raise Invalid(f"--cheque goes with a payment in cash or cheques, not with --method {name}")
    if amount is None:
        raise Invalid(f"--method {name}: give the amount paid with --amount"
                      + (" (--cash is money into the cash box)" if cash is not None else ""))
    return amount, name


def record_payment(uow: UnitOfWork, rt: Runtime, actor: Actor, client: m.Client, cash: Decimal,
                   cheques: list[ChequeIn], *, comment: str | None, paid_on: date,
                   payment_method: str | None = None) -> PaymentResult:
    """Post the receipt and its cheques in UOW (the caller commits).

    An electronic payment (PAYMENT_METHOD given, e.g. 'stripe') passes its amount as CASH but
    goes to no cash box: it stays out of the cash report (L7).
    """
    total = cash + sum((c.amount for c in cheques), ZERO)
    if total <= 0:
        raise Invalid(f"payment for client {client.code} is empty: give --cash and/or --cheque with an amount")
    refuse_known_cheques(uow, cheques)
    in_a_box = payment_method is None
    by_entity = in_a_box and config.get_value(uow.session, "cash_by_entity")
    method = payment_method or ("cash" if not cheques else "cheque" if cash == 0 else "cash+cheque")
    posted = post(uow, rt, client, EntryKind.RECEIPT, -total, entry_date=paid_on,
                  comment=(comment or "").strip() or None, payment_method=method,
                  cash_amount=cash if in_a_box else None,
                  cash_entity=actor.cash_entity if by_entity else None,
                  log_text=_describe(cash, cheques, comment) if in_a_box else comment)
    rows = [Cheque(entry_id=posted.entry_id, client_id=client.id, bank=c.bank, number=c.number,
                   amount=c.amount, deposit_date=c.deposit_date, status="pending", status_at=rt.now())
            for c in cheques]
    uow.session.add_all(rows)
    uow.flush()
    overdue = overdue_debts(uow, rt.today(), [client.id])[client.id]
    threshold = config.get_value(uow.session, "unlock_threshold")
    blocker = None
    held = client.service in HELD    # what --enable gives back
    if held and overdue > threshold:
        blocker = (f"client {client.code} stays {client.service}: its overdue debt {format_amount(overdue)} is above "
                   f"the unlock threshold {format_amount(threshold)}")
    return PaymentResult(client.code, posted.entry_id, posted.number, total, cash, [r.id for r in rows],
                         posted.balance, overdue, held and blocker is None, blocker)


def _describe(cash: Decimal, cheques: list[ChequeIn], comment: str | None) -> str:
    parts = [f"cash {format_amount(cash)}"] if cash else []
    parts += [f"cheque {c.label} {format_amount(c.amount)} to deposit {c.deposit_date.isoformat()}"
              for c in cheques]
    if comment and comment.strip():
        parts.append(comment.strip())
    return "; ".join(parts)
