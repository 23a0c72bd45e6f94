"""Fiscal documents' words (I3, I5): the drivers a company may invoice through and the states
an invoice's fiscal document goes through.

- `none`: the internal numbering, as before any fiscal driver (the default outside Argentina);
  the document is `internal` from the start, its number the ledger's.
- `afip`: Argentina's electronic invoice; a `draft` until `invoice authorize` marks it
  `in-flight` with its number (before asking) and then `authorized` with AFIP's CAE, or back
  to `draft` with AFIP's refusal.
"""

from datetime import date, timedelta
from enum import StrEnum

from ispcube.domain.text import quoted
from ispcube.errors import Invalid


class FiscalStatus(StrEnum):
    INTERNAL = "internal"
    DRAFT = "draft"
    IN_FLIGHT = "in-flight"
    AUTHORIZED = "authorized"
    VOID = "void"              # a draft annulled before it was numbered: AFIP never saw it


# The fiscal drivers and what each does; `services/fiscal/drivers.py` holds their behaviour.
FISCAL_DRIVERS = {
    "none": "internal numbering only (no tax authority)",
    "afip": "Argentina's electronic invoice: each invoice authorized with a CAE by AFIP/ARCA",
}
AFIP_ENVIRONMENTS = ("testing", "production")


def fiscal_driver(text: str) -> str:
    name = text.strip().lower()
    if name not in FISCAL_DRIVERS:
        raise Invalid(f"fiscal driver {quoted(text)} is not one of: {', '.join(FISCAL_DRIVERS)}")
    return name


def afip_environment(text: str) -> str:
    name = text.strip().lower()
    if name not in AFIP_ENVIRONMENTS:
        raise Invalid(f"AFIP environment {quoted(text)} is not one of: {', '.join(AFIP_ENVIRONMENTS)}")
    return name


def payment_due(issued: date | None, due: date | None) -> date | None:
    """The payment due date an invoice tells AFIP (FchVtoPago): its own, or the invoice's date
    when that comes later (AFIP refuses a due date before the invoice, 10036)."""
    if issued is not None and (due is None or due < issued):
        return issued
    return due


def fiscal_number(letter: str, point_of_sale: int | None, number: int | None) -> str | None:
    """A document's number as AFIP prints it: `B 00003-00000125` (None until it has one)."""
    if number is None or point_of_sale is None:
        return None
    return f"{letter} {point_of_sale:05d}-{number:08d}"


NOT_YET_FISCAL = "draft, not yet fiscal"
NEVER_FISCAL = "void, never fiscal"


# A note's number is prefixed with its kind: AFIP numbers each kind of document apart, so an
# invoice and a credit note of one letter and point of sale may both be `B 00003-00000001`.
NOTE_PREFIX = {"credit-note": "NC", "debit-note": "ND"}


def authority_number(status: str | None, letter: str | None, point_of_sale: int | None,
                     number: int | None, kind: str | None = None) -> str | None:
    """The number the tax authority gave a document (`B 00003-00000125`; a note's with its kind,
    `NC B 00003-00000001`), None before it gave one and for the `none` driver's internal
    documents (their number is the ledger's)."""
    if status != FiscalStatus.AUTHORIZED or letter is None:
        return None
    shown = fiscal_number(letter, point_of_sale, number)
    prefix = NOTE_PREFIX.get(kind or "")
    return f"{prefix} {shown}" if prefix and shown else shown


def shown_document(label: str, status: str | None, letter: str | None, point_of_sale: int | None,
                   number: int | None, kind: str | None = None) -> str:
    """How a listing, a receipt or an export names an entry whose internal LABEL is `invoice 1-15`
    (I8): with AFIP's number once authorized, `invoice 1-15 (B 00003-00000125)`; marked as not yet
    fiscal before (`invoice 1-15 (draft, not yet fiscal)`, also while in flight) and as never
    fiscal when voided; as it is for entries with no fiscal document or the `none` driver's."""
    if status in (FiscalStatus.DRAFT, FiscalStatus.IN_FLIGHT):
        return f"{label} ({NOT_YET_FISCAL})"
    if status == FiscalStatus.VOID:
        return f"{label} ({NEVER_FISCAL})"
    shown = authority_number(status, letter, point_of_sale, number, kind)
    return f"{label} ({shown})" if shown else label


def overdue_before(today: date, retry_days: int) -> date:
    """An open document posted before the day returned has waited longer than RETRY_DAYS for its
    CAE: posted on day D, it is retried through D + RETRY_DAYS and overdue from the day after,
    the day enforce's router tasks of D expire (`enforce.retry_days`)."""
    return today - timedelta(days=retry_days)
