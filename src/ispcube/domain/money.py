"""Money is Decimal, always, built through one parser (U1).

Every command option, setting and import cell that takes an amount reads it here, so
`plan add --price 18900,00` and a gateway file's `18.900,00` mean the same. The decimal mark
comes from `locale.decimal` (domain/local_formats.py) only where the value alone cannot tell:
`1.234,56`, `1,234.56`, `1234,56` and `1500.50` have one reading each, while `1.234` (a
thousand or one and a quarter?) is refused with the reading the setting would give it, so a
wrong guess never posts a thousand times too much. Only ASCII digits: Arabic-Indic or
full-width digits pasted from elsewhere are refused, as are exponents and NaN.

Every amount, typed or summed into a balance, fits the money column NUMERIC(14,2): at most
MAX_AMOUNT either way. The parser refuses larger amounts and `within_bounds` refuses a
balance that would outgrow it, so a sum never overflows to a float on SQLite nor fails in
the database on PostgreSQL.
"""

from decimal import Decimal
import re

from ispcube.domain.local_formats import LocalFormats
from ispcube.domain.text import quoted
from ispcube.errors import Invalid

# ISO 4217 minor units for the currencies our users bill in; anything else has 2.
CURRENCY_DECIMALS = {"CLP": 0, "PYG": 0, "COP": 2, "ARS": 2, "EUR": 2, "USD": 2, "UYU": 2,
                     "MXN": 2, "PEN": 2, "BRL": 2, "BOB": 2, "VES": 2, "GTQ": 2, "CRC": 2}
MAX_AMOUNT = Decimal("999999999999.99")     # NUMERIC(14,2): 12 digits before the point
WHOLE_DIGITS = 12
POINT = LocalFormats("point")
_WRITTEN = re.compile(r"[0-9][0-9.,]*")      # ASCII digits only: \d would take any script's digits


def decimals_for(currency: str) -> int:
    return CURRENCY_DECIMALS.get(currency.upper(), 2)


def parse_amount(text: str, *, field: str = "amount", currency: str = "ARS",
                 allow_negative: bool = False, allow_zero: bool = True, local: LocalFormats = POINT) -> Decimal:
    """Parse an amount as people write it (see the module's text) with LOCAL's decimal mark;
    refuse other digits than 0-9, extra decimals, signs not allowed and amounts beyond MAX_AMOUNT."""
    raw = str(text).strip()
    negative = raw.startswith("-")
    number = raw[1:].strip() if negative else raw
    places = decimals_for(currency)
    if any(ch.isdigit() and not ch.isascii() for ch in number):
        raise Invalid(f"{field} {quoted(text)} has digits other than 0-9: write the amount with the digits 0 to 9")
    if not _WRITTEN.fullmatch(number) or not number[-1].isdigit():
        raise Invalid(f"{field} {quoted(text)} is not an amount (digits with a decimal "
                      f"{local.decimal}, e.g. {_example(local)})")
    whole, fraction = _split(number, text, field, local, places)
    if len(whole.lstrip("0")) > WHOLE_DIGITS:
        raise Invalid(f"{field} {quoted(text)} is too large (at most {format_amount(MAX_AMOUNT)})")
    if len(fraction) > places:
        raise Invalid(f"{field} {quoted(text)} has more than {places} decimals for {currency.upper()}")
    value = Decimal(f"{'-' if negative else ''}{whole}.{fraction or '0'}")
    if value < 0 and not allow_negative:
        raise Invalid(f"{field} {quoted(text)} must not be negative")
    if value == 0 and not allow_zero:
        raise Invalid(f"{field} {quoted(text)} must be greater than zero")
    if abs(value) > MAX_AMOUNT:
        raise Invalid(f"{field} {quoted(text)} is too large (at most {format_amount(MAX_AMOUNT)})")
    return value.quantize(Decimal(1).scaleb(-2))


def _split(number: str, text: str, field: str, local: LocalFormats, places: int) -> tuple[str, str]:
    """(whole digits, decimal digits) of NUMBER, digits and separators only."""
    marks = [ch for ch in number if ch in ".,"]
    if not marks:
        return number, ""
    last = marks[-1]
    if len(set(marks)) == 2:                    # 1.234,56 / 1,234.56: the last mark is the decimal one
        whole, _, fraction = number.rpartition(last)
        if last in whole:
            _not_an_amount(text, field, local)
        return _ungrouped(whole, text, field, local), fraction
    if len(marks) > 1:                          # 1.234.567: only thousands
        return _ungrouped(number, text, field, local), ""
    whole, _, fraction = number.partition(last)
    looks_grouped = len(fraction) == 3 and len(whole) <= 3 and not whole.startswith("0")
    if looks_grouped and last == local.grouping:
        if places == 0:                         # 1.234 pesos chilenos: no currency has 3 decimals here
            return whole + fraction, ""
        raise Invalid(f"{field} {quoted(text)} is ambiguous with locale.decimal {local.decimal}: it would read "
                      f"as {int(whole + fraction)}; write {int(whole + fraction)} or {number}{local.mark}00")
    return whole, fraction


def _ungrouped(whole: str, text: str, field: str, local: LocalFormats) -> str:
    """WHOLE without its thousands separators, which must each stand before three digits."""
    groups = re.split(r"[.,]", whole)
    if len(set(re.sub(r"[0-9]", "", whole))) > 1 or not 1 <= len(groups[0]) <= 3 or \
            any(len(group) != 3 for group in groups[1:]):
        _not_an_amount(text, field, local)
    return "".join(groups)


def _not_an_amount(text: str, field: str, local: LocalFormats) -> None:
    raise Invalid(f"{field} {quoted(text)} is not an amount (digits with a decimal {local.decimal}, "
                  f"e.g. {_example(local)})")


def _example(local: LocalFormats) -> str:
    return "1500,50 or 1.500,50" if local.decimal == "comma" else "1500.50 or 1,500.50"


def within_bounds(balance: Decimal, delta: Decimal, who: str) -> None:
    """Refuse moving BALANCE (of WHO) by DELTA when the result would not fit the money column."""
    if abs(balance + delta) > MAX_AMOUNT:
        raise Invalid(f"{who}: the balance {format_amount(balance)} would become {format_amount(balance + delta)}, "
                      f"outside what a balance can hold (-{format_amount(MAX_AMOUNT)} to {format_amount(MAX_AMOUNT)}); "
                      "nothing was changed")


def format_amount(value: Decimal) -> str:
    return f"{value:.2f}"
