"""What every statement and payment file is read into (K5): one `Line` per bank transaction.

Each line carries its stable `key`, the transaction's identity where it was booked, which is
what makes R15 hold: the same transaction read from the same file, an overlapping statement
or another process gets the same key, and the unique index on `bank_transactions.key` lets it
be acted on once. A key is the account the transaction was booked on (a statement's account;
a gateway's source for a payment file) plus the reference the bank or gateway gave it:

- camt.053: the transaction's AcctSvcrRef; else the entry's AcctSvcrRef and the
  transaction's place in the entry; else a digest of its booking date, amount, direction,
  counterparty and remittance information.
- MT940: the bank's reference (after `//` in `:61:`); else a digest of the value date, the
  amount, the customer reference and `:86:`.
- CSV/XLSX: `file:<source>:<reference>`, the reference being the payment's id at its source.

The payer's EndToEndId is never part of a key: payers reuse them. It only finds our own
collection items (match.py). A reversal (camt RvslInd, MT940 RC/RD) gets its own key
(`rvsl:` before the reference), as banks repeat the reference of what it reverses.

Keys written before identities were scoped this way (an EndToEndId key, an MT940 key with
dates and amounts, a payment file's bare reference) were all renamed `old:...` by migration
0015; each line also carries the key the earlier scheme gave it (`legacy_key`), so a
statement imported before is still found (with the same booking date and amount) and posts
nothing. A key met twice in one file (two
identical payments without any reference) gets its occurrence number, so an overlapping file
numbers them the same.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
import hashlib
import re
from typing import TypedDict

from ispcube.domain.money import decimals_for
from ispcube.domain.text import quoted
from ispcube.errors import Invalid

# SEPA return and reject reason codes (EPC guidance): a debit naming one is a returned debit.
RETURN_REASONS = frozenset({
    "AC01", "AC04", "AC06", "AC13", "AG01", "AG02", "AM04", "AM05", "BE05", "CNOR", "DNOR", "FF01", "FOCR",
    "MD01", "MD02", "MD06", "MD07", "MS02", "MS03", "RC01", "RR01", "RR02", "RR03", "RR04", "SL01", "DUPL",
    "TECH", "FRAD", "AC03", "AM09", "CUST", "UPAY", "ED05", "NOAS", "NOOR"})
_END_TO_END = re.compile(r"\bISPCUBE-\d+-\d+\b")
_CENT = Decimal("0.01")
_NOT_PROVIDED = {"", "NOTPROVIDED", "NONREF", "NOT PROVIDED"}


class ShownLine(TypedDict):
    """A line as messages and reports show it."""
    where: str
    date: str
    amount: str
    direction: str               # credit | debit
    reference: str | None
    end_to_end_id: str | None
    text: str


@dataclass
class Line:
    where: str                     # "entry 3, transaction 2" / "line 7": how a message names it
    key: str
    booked: date
    amount: Decimal                # positive; CREDIT says which way the money went
    credit: bool
    currency: str
    reference: str | None = None   # the bank's or gateway's reference, shown and kept
    end_to_end_id: str | None = None
    client_code: str | None = None     # CSV `client`; camt structured creditor reference
    epayment_code: str | None = None
    iban: str | None = None
    cbu: str | None = None
    name: str | None = None        # the payer's name as the bank gives it
    text: str = ""                 # remittance information
    return_reason: str | None = None
    booked_entry: bool = True      # camt: a BOOK entry (pending and information entries are listed only)
    payment_method: str | None = None
    account: str = ""              # where it was booked: the statement's account, a payment file's source
    bank_ref: str | None = None    # the bank's (or gateway's) own reference of the transaction
    reversal: bool = False         # the bank reverses an earlier transaction (RvslInd, MT940 RC/RD)
    names: tuple[str, ...] = ()    # a reversal: the references that may name what it reverses
    legacy_key: str | None = None  # the key an import before migration 0015 gave it
    code_rule: str = "client"      # how CLIENT_CODE was found: named in the file, or by a gateway's reference
    id_number: str | None = None   # the payer's ID number (digits), as a gateway gives it
    text_names_client: bool = True     # a code in TEXT may name the client (not in a gateway's description)

    def shown(self) -> ShownLine:
        return {"where": self.where, "date": self.booked.isoformat(), "amount": f"{self.amount:.2f}",
                "direction": "credit" if self.credit else "debit", "reference": self.reference,
                "end_to_end_id": self.end_to_end_id, "text": self.text[:140]}


def digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join("" if p is None else str(p) for p in parts).encode()).hexdigest()[:24]


def number_repeats(lines: list[Line]) -> None:
    """Give a key met more than once in the file its occurrence number (from the second on),
    and the legacy keys likewise."""
    seen: dict[str, int] = {}
    legacy: dict[str, int] = {}
    for line in lines:
        line.key = _numbered(line.key, seen)
        if line.legacy_key is not None:
            line.legacy_key = f"old:{_numbered(line.legacy_key, legacy)}"


def _numbered(key: str, seen: dict[str, int]) -> str:
    count = seen.get(key, 0) + 1
    seen[key] = count
    if count > 1:
        key = f"{key}#{count}"
    return f"{key[:200]}~{digest(key)}" if len(key) > 255 else key


def provided(value: str | None) -> str | None:
    """A reference as given, or None for the placeholders banks write when there is none."""
    if value is None:
        return None
    value = " ".join(value.split())
    return None if value.upper() in _NOT_PROVIDED else value


def exact_amount(text: str, currency: str, where: str) -> Decimal:
    """A statement amount with no more decimals than CURRENCY has, else one sentence."""
    value, problem = checked_amount(text, currency)
    if problem:
        raise Invalid(f"{where}: amount {quoted(text)} {problem}")
    assert value is not None, "no problem, so a value"
    return value


def checked_amount(text: str, currency: str) -> tuple[Decimal | None, str | None]:
    """(the amount, None) or (None, what is wrong with it); a comma may be the decimal point."""
    raw = text.strip().replace(",", ".")
    whole, point, fraction = raw.partition(".")
    if point and not fraction and whole:
        point = ""             # MT940 writes whole amounts with a bare decimal comma: 500,
    if not (whole.isascii() and whole.isdigit() and len(whole) <= 12) or \
            (point and not (fraction.isascii() and fraction.isdigit())):
        return None, "is not an amount"
    places = decimals_for(currency)
    if len(fraction) > places:
        return None, f"has more than {places} decimals for {currency.upper()}"
    return Decimal(f"{whole}.{fraction or '0'}").quantize(_CENT), None


def end_to_end_in(text: str) -> str | None:
    """One of our collection EndToEndIds named in free text (MT940 :86:), if exactly one is."""
    found = set(_END_TO_END.findall(text or ""))
    return found.pop() if len(found) == 1 else None


def reason_in(text: str) -> str | None:
    """A SEPA return reason code named in free text, if exactly one is."""
    found = {word for word in re.findall(r"[A-Z]{2}\d{2}|[A-Z]{4}", (text or "").upper()) if word in RETURN_REASONS}
    return found.pop() if len(found) == 1 else None
