"""MT940 statements (SWIFT customer statement) read into lines, with the `mt940` package.

Each `:61:` is a line: its reference (customer // bank), value date and amount, with the
`:86:` text as remittance information. A debit (D, or RC: the reversal of a credit) naming one
of our EndToEndIds in its text is a returned direct debit, with the SEPA reason code the text
names. RC and RD are reversals: the references of the `:61:` name what they reverse. The
entry date (`:61:YYMMDDMMDD`) carries no year: it is the one nearest the value date, so a
value date of 31 December with an entry date of 0102 lands on 2 January of the next year.
Amounts keep the currency of the opening balance; more decimals than it has are refused.
"""

from datetime import date
from pathlib import Path
import re

from ispcube.domain.text import quoted
from ispcube.errors import Invalid
from ispcube.services.payments.statements.lines import (
    Line,
    digest,
    end_to_end_in,
    exact_amount,
    number_repeats,
    provided,
    reason_in,
)

_AMOUNT = re.compile(r"^:61:\d{6}(\d{4})?(RC|RD|C|D)[A-Z]?([0-9,]+)", re.MULTILINE)
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}[A-Z0-9]{11,30}\b")


def looks_like_mt940(head: str) -> bool:
    return ":20:" in head and (":25:" in head or ":60F:" in head or ":61:" in head)


def read_mt940(path: Path, currency: str) -> list[Line]:
    from mt940 import MT940
    text = _text(path)
    if ":61:" not in text and ":20:" not in text:
        raise Invalid(f"'{path}' is not an MT940 statement: it has no :20: or :61: field")
    # mt940 reads amounts as decimals however many places they have, and drops the RC/RD
    # marks of reversals: both are read here as written.
    marks = []
    for number, match in enumerate(_AMOUNT.finditer(text), start=1):
        exact_amount(match.group(3), currency, f"transaction {number} (:61:)")
        marks.append(match.group(2))
    try:
        statements = MT940(_Lines(text)).statements
    except (AttributeError, ValueError, IndexError, TypeError, ArithmeticError) as exc:
        raise Invalid(f"'{path}' is not a well-formed MT940 statement ({type(exc).__name__}): nothing was "
                      "posted") from None
    lines: list[Line] = []
    number = 0
    for statement in statements:
        account = (statement.account or "").strip()
        opening = statement.start_balance
        if opening is not None and opening.currency.upper() != currency.upper():
            raise Invalid(f"statement {quoted(statement.statement.strip())} of account {account} is in "
                          f"{opening.currency}, but the accounts are kept in {currency.upper()}")
        for tx in statement.transactions:
            number += 1
            where = f"transaction {number} (:61: of {tx.date.isoformat()})"
            details = " ".join((tx.description or "").split())
            reference = provided(tx.reference)
            bank_reference = provided(tx.institution_reference)
            credit = tx.amount > 0
            amount = exact_amount(str(abs(tx.amount)), currency, where)
            legacy = (f"mt940:{account}:{tx.reference.strip()}//{(tx.institution_reference or '').strip()}:"
                      f"{tx.date.isoformat()}:{tx.amount}:{digest(details)}")
            reversal = number <= len(marks) and marks[number - 1] in ("RC", "RD")
            mark = "rvsl:" if reversal else ""
            key = f"mt940:{account}:{mark}{bank_reference}" if bank_reference else \
                f"mt940:{account}:{mark}d:{digest(tx.date, tx.amount, reference, details)}"
            e2e = _tag(details, "EREF") or end_to_end_in(details)
            iban = _tag(details, "IBAN") or _first_iban(details)
            reason = None
            if not credit and e2e:
                reason = reason_in(_tag(details, "RTRN") or "") or reason_in(details) or "unspecified"
            lines.append(Line(where, key, entry_date(tx.date, tx.booking), amount, credit, currency,
                              reference=reference or bank_reference, end_to_end_id=provided(e2e),
                              iban=iban, name=_tag(details, "NAME"), text=details, return_reason=reason,
                              account=account, bank_ref=bank_reference or reference, reversal=reversal,
                              names=tuple(ref for ref in (bank_reference, reference) if ref), legacy_key=legacy))
    if len(marks) != number:
        raise Invalid(f"'{path}' is not a well-formed MT940 statement: {len(marks)} :61: field(s) read as "
                      f"written, {number} by the parser; nothing was posted")
    if not lines and not statements:
        raise Invalid(f"'{path}' is not an MT940 statement: no statement found")
    number_repeats(lines)
    return lines


def entry_date(value_date: date, booking: date | None) -> date:
    """The entry date of a `:61:` whose MMDD the parser put in the value date's year: the year
    that puts it nearest the value date (entries cross the year end by days, not months)."""
    if booking is None:
        return value_date
    nearest = booking
    for year in (booking.year - 1, booking.year + 1):
        try:
            moved = booking.replace(year=year)
        except ValueError:          # 29 February in a year without one
            continue
        if abs((moved - value_date).days) < abs((nearest - value_date).days):
            nearest = moved
    return nearest


class _Lines:
    """The text as the lines mt940 iterates over."""

    def __init__(self, text: str):
        self.text = text

    def __iter__(self):
        return iter(self.text.splitlines(keepends=True))


def _text(path: Path) -> str:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding).replace("\r\n", "\n").replace("\r", "\n")
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def _tag(details: str, name: str) -> str | None:
    """A field of a structured :86:: `/EREF/value/` (Dutch banks) or `?20EREF+value?21` (German ones)."""
    match = re.search(rf"/{name}/([^/]*)", details) or re.search(rf"(?<![A-Za-z]){name}\+([^?/\s]+)", details)
    return (match.group(1).strip() or None) if match else None


def _first_iban(details: str) -> str | None:
    found = _IBAN.findall(details)
    return found[0] if len(found) == 1 else None
