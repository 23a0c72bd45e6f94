"""What a Mercado Pago payment is to the money path of `payments import` (G2, G3): a `Line`.

An approved payment is a credit keyed `mercadopago:<payment id>` on the account `mercadopago`,
so it is posted once whatever the runs, pages and overlaps; its client is the one the payment
link named in its external reference (`ispcube-link:<link>:<client code>`), else the one whose
ID number is the payer's. A refunded or charged-back payment is a reversal of that credit
(`rvsl:mercadopago:<payment id>`), charged back with a DX once. Pure: the links are read
beforehand.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
import re
from typing import Any

from ispcube.domain.money import decimals_for
from ispcube.services.payments.statements.book import id_digits
from ispcube.services.payments.statements.lines import Line

SOURCE = "mercadopago"
PAID = "approved"
TAKEN_BACK = ("refunded", "charged_back")
_REFERENCE = re.compile(r"^ispcube-link:(\d+):")


def credit_key(payment_id: str) -> str:
    return f"{SOURCE}:{payment_id}"


def link_reference(link_id: int, code: str) -> str:
    """The external reference of a payment link: the link (so the debt) and the client."""
    return f"ispcube-link:{link_id}:{code}"


def link_of(reference: Any) -> int | None:
    """The link an external reference of ours names."""
    found = _REFERENCE.match(reference) if isinstance(reference, str) else None
    return int(found.group(1)) if found else None


@dataclass(frozen=True)
class Skipped:
    """A payment that is not posted, and why."""
    payment_id: str
    status: str
    reason: str


def read_payment(payment: dict[str, Any], currency: str, link_codes: dict[int, str]) -> Line | Skipped:
    """PAYMENT as a credit (approved) or a reversal (refunded, charged back); else Skipped.

    LINK_CODES: the client code of each link the external references name."""
    payment_id, status = str(payment.get("id") or "?"), str(payment.get("status") or "?")
    if status != PAID and status not in TAKEN_BACK:
        return Skipped(payment_id, status, f"{status}: not paid (yet)")
    amount = _amount(payment.get("transaction_amount"), currency)
    if amount is None:
        return Skipped(payment_id, status, f"amount {payment.get('transaction_amount')!r} is not an amount in "
                                           f"{currency}")
    if str(payment.get("currency_id") or currency).upper() != currency:
        return Skipped(payment_id, status, f"paid in {payment.get('currency_id')}; the accounts are in {currency}")
    when = _day(payment.get("date_approved")) or _day(payment.get("date_last_updated")) or _day(
        payment.get("date_created"))
    if when is None:
        return Skipped(payment_id, status, "no date the payment was made")
    where = f"payment {payment_id}"
    if status in TAKEN_BACK:
        return Line(where, f"rvsl:{credit_key(payment_id)}", _day(payment.get("date_last_updated")) or when,
                    amount, False, currency, reference=payment_id, account=SOURCE, bank_ref=payment_id,
                    reversal=True, names=(payment_id,), text=f"{status.replace('_', ' ')} by Mercado Pago")
    reference = payment.get("external_reference")
    link = link_of(reference)
    payer = (payment.get("payer") or {}).get("identification") or {}
    text = " ".join(str(part) for part in (payment.get("description"), reference) if part)
    return Line(where, credit_key(payment_id), when, amount, True, currency, reference=payment_id,
                account=SOURCE, bank_ref=payment_id, payment_method=SOURCE, text=text[:500],
                client_code=link_codes.get(link) if link is not None else None, code_rule="external_reference",
                id_number=id_digits(str(payer.get("number") or "")), text_names_client=False)


def _amount(value: Any, currency: str) -> Decimal | None:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    places = decimals_for(currency)
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal(1).scaleb(-places)):
        return None
    return amount.quantize(Decimal("0.01"))


def _day(text: Any) -> date | None:
    """The day of a time as Mercado Pago writes it, in its own offset (the payer's day)."""
    try:
        return datetime.fromisoformat(text).date() if isinstance(text, str) else None
    except ValueError:
        return None
