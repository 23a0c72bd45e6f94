"""The words of a notice (E4): its template rendered into a subject and a plain-text body.

Templates `notice-<kind>` run in the documents' sandbox (services/documents/templates.py),
without HTML escaping; the first line of the rendered text is the subject, the rest the body.
Each receives the same names, here and when `template set` checks a new version.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from ispcube.errors import Invalid

MAX_SUBJECT = 200
METHOD_LABELS = {"cash": "efectivo", "transfer": "transferencia bancaria", "card": "tarjeta",
                 "debit": "débito automático", "sepa": "débito directo SEPA", "cobrodigital": "CobroDigital",
                 "webpay": "Webpay", "mercadopago": "Mercado Pago", "stripe": "tarjeta guardada (Stripe)"}


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def notice_context(*, kind: str, code: str, name: str, epayment_code: str | None,
                   payment_method: str | None, amount: Decimal | None, currency: str,
                   next_step: str | None, next_on: date | None, written_on: date,
                   sender: str, payment_link: str | None = None,
                   invoice: dict[str, Any] | None = None) -> dict[str, Any]:
    """PAYMENT_LINK: where the client pays what it owes online (`payments.link_provider`), or None;
    INVOICE: for a notice that carries an invoice (I7), its title, number, CAE, period, total..."""
    label = METHOD_LABELS.get(payment_method or "", payment_method) if payment_method else None
    return {"kind": kind, "currency": currency, "amount": amount, "next_step": next_step,
            "next_on": next_on, "written_on": written_on, "sender": sender, "payment_link": payment_link,
            "invoice": invoice,
            "client": {"code": code, "name": name, "epayment_code": epayment_code,
                       "payment_method": payment_method, "payment_method_label": label}}


def render_notice(env, kind: str, context: dict[str, Any]) -> Rendered:
    """Template `notice-KIND` with CONTEXT; an unusable result is one sentence naming it."""
    from ispcube.services.documents.templates import describe_error
    name = f"notice-{kind}"
    try:
        text = env.get_template(name).render(context)
    except Exception as exc:  # noqa: BLE001 - a template may fail in any way; say where and why
        raise Invalid(describe_error(exc, name)) from None
    subject, _, body = text.strip().partition("\n")
    subject, body = subject.strip(), body.strip("\n")
    if not subject or len(subject) > MAX_SUBJECT:
        raise Invalid(f"template {name}: the first line is the subject and must hold 1 to {MAX_SUBJECT} "
                      f"characters (it holds {len(subject)})")
    if not body.strip():
        raise Invalid(f"template {name}: nothing follows the subject line, the message would be empty")
    return Rendered(subject, body + "\n")


def check_notices(bodies: dict[str, str], names: list[str]) -> int:
    """Render each notice of NAMES with sample data, full and sparse; the count rendered."""
    from ispcube.services.documents.templates import environment
    env = environment(bodies, text=True)
    for name in names:
        for context in _samples(name.removeprefix("notice-")):
            render_notice(env, name.removeprefix("notice-"), context)
    return len(names)


def _samples(kind: str) -> list[dict[str, Any]]:
    full = notice_context(kind=kind, code="00042", name="María José Núñez", epayment_code="9000000042",
                          payment_method="cash", amount=Decimal("12345.60"), currency="ARS",
                          next_step="cut", next_on=date(2026, 3, 20), written_on=date(2026, 3, 10),
                          sender="Fibra Norte",
                          payment_link="https://www.mercadopago.com.ar/checkout/v1/redirect?pref_id=1-abc",
                          invoice={"title": "Factura", "letter": "B", "number": "B 00003-00000042",
                                   "fiscal_number": "B 00003-00000042", "cae": "76123456789012",
                                   "cae_due": date(2026, 3, 20), "period": "2026-03", "total": Decimal("18900.00"),
                                   "payment_due": date(2026, 3, 10), "issued": date(2026, 3, 1)})
    sparse = notice_context(kind=kind, code="7", name="Ana", epayment_code=None, payment_method=None,
                            amount=None, currency="CLP", next_step=None, next_on=None,
                            written_on=date(2026, 3, 10), sender="",
                            invoice={"title": "Factura", "letter": "C", "number": "1-15", "fiscal_number": None,
                                     "cae": None, "cae_due": None, "period": None, "total": Decimal("9500"),
                                     "payment_due": None, "issued": date(2026, 3, 1)})
    return [full, sparse]
