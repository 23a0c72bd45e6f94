"""The words a value may be written in, English and Spanish (U2): one vocabulary for options,
filters and import cells alike.

Payment methods (`Efectivo`, `Transferencia`, `Débito automático`, `Tarjeta`, `Cheque`,
`Mercado Pago`...), service states (`Activo`, `Reducido`, `Cortado`, `Suspendido`, `Baja`)
and ledger kinds (`ND`/`NC` besides `DX`/`CX`) are read case- and accent-insensitively, with
spaces, dashes, dots and underscores alike, into the one word ispcube stores. Yes/no lives in
values.py.
"""

import re

from ispcube.domain.ledger import EntryKind
from ispcube.domain.text import fold, quoted
from ispcube.errors import Invalid

PAYMENT_METHODS = ("cash", "transfer", "card", "cheque", "debit", "sepa", "cobrodigital", "webpay",
                   "mercadopago", "stripe", "other")
SERVICE_STATES = ("active", "throttled", "cut", "deleted")
LEDGER_KINDS = (EntryKind.OPENING, EntryKind.DX, EntryKind.CX, EntryKind.RECEIPT, EntryKind.REVERSAL)

_PAYMENT_WORDS = {
    "efectivo": "cash", "contado": "cash", "en efectivo": "cash",
    "transferencia": "transfer", "transferencia bancaria": "transfer", "deposito": "transfer",
    "deposito bancario": "transfer", "bank transfer": "transfer",
    "tarjeta": "card", "tarjeta de credito": "card", "tarjeta de debito": "card", "credit card": "card",
    "check": "cheque",
    "debito automatico": "debit", "debito": "debit", "debito directo": "debit", "direct debit": "debit",
    "domiciliacion": "sepa", "domiciliacion bancaria": "sepa", "adeudo directo": "sepa", "recibo domiciliado": "sepa",
    "sepa direct debit": "sepa",
    "mercado pago": "mercadopago", "cobro digital": "cobrodigital", "web pay": "webpay",
    "otro": "other", "otros": "other", "otra": "other",
}
_SERVICE_WORDS = {
    "activo": "active", "activa": "active", "habilitado": "active", "conectado": "active", "alta": "active",
    "reducido": "throttled", "reducida": "throttled", "limitado": "throttled", "velocidad reducida": "throttled",
    "cortado": "cut", "cortada": "cut", "corte": "cut", "suspendido": "cut", "suspendida": "cut",
    "bloqueado": "cut", "deshabilitado": "cut",
    "baja": "deleted", "dado de baja": "deleted", "de baja": "deleted", "eliminado": "deleted",
}
_LEDGER_WORDS = {
    "opening balance": "opening", "saldo inicial": "opening", "saldo anterior": "opening",
    "debito": "dx", "debit": "dx", "nd": "dx", "n d": "dx", "nota de debito": "dx", "nota debito": "dx",
    "invoice": "dx", "factura": "dx",
    "credito": "cx", "credit": "cx", "nc": "cx", "n c": "cx", "nota de credito": "cx", "nota credito": "cx",
    "payment": "receipt", "pago": "receipt", "recibo": "receipt",
    "anulacion": "reversal",
}
_SEPARATORS = re.compile(r"[\s_./-]+")


def key(text: object) -> str:
    """TEXT as the vocabulary looks it up: folded, separators as one space."""
    return _SEPARATORS.sub(" ", fold(str(text))).strip()


def payment_method(text: object) -> str | None:
    """The payment method TEXT names, or None."""
    word = key(text)
    found = _PAYMENT_WORDS.get(word) or _PAYMENT_WORDS.get(word.replace(" ", ""))
    if found:
        return found
    return word.replace(" ", "") if word.replace(" ", "") in PAYMENT_METHODS else None


def parse_payment_method(text: object, label: str = "payment method") -> str:
    method = payment_method(text)
    if method is None:
        raise Invalid(f"{label} {quoted(text)} is not one of {', '.join(PAYMENT_METHODS)} "
                      "(or efectivo, transferencia, tarjeta, débito automático, Mercado Pago...)")
    return method


def service_state(text: object) -> str | None:
    """active, throttled, cut or deleted for a word of TEXT, or None."""
    word = key(text)
    return word if word in SERVICE_STATES else _SERVICE_WORDS.get(word)


def parse_service_state(text: object, label: str = "service") -> str:
    state = service_state(text)
    if state is None:
        raise Invalid(f"{label} {quoted(text)} is not active, throttled, cut or deleted "
                      "(or activo, reducido, cortado, suspendido, baja)")
    return state


def ledger_kind(text: object) -> EntryKind | None:
    """opening, dx, cx, receipt or reversal for a kind cell (DX, ND, nota de crédito, pago...), or None."""
    word = key(text)
    kind = word if word in LEDGER_KINDS else _LEDGER_WORDS.get(word)
    return EntryKind(kind) if kind else None
