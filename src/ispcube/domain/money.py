"""Money is Decimal, always, built through one parser.

Every amount, typed or summed into a balance, fits the money column NUMERIC(14,2): at most
MAX_AMOUNT either way. The parser refuses larger amounts and `within_bounds` refuses a
balance that would outgrow it, so a sum never overflows to a float on SQLite nor fails in
the database on PostgreSQL.
"""

from decimal import Decimal, InvalidOperation
import re

from ispcube.domain.text import quoted
from ispcube.errors import Invalid

# ISO 4217 minor units for the currencies our users bill in; anything else has 2.
CURRENCY_DECIMALS = {"CLP": 0, "PYG": 0, "COP": 2, "ARS": 2, "EUR": 2, "USD": 2, "UYU": 2,
                     "MXN": 2, "PEN": 2, "BRL": 2, "BOB": 2, "VES": 2, "GTQ": 2, "CRC": 2}
MAX_AMOUNT = Decimal("999999999999.99")     # NUMERIC(14,2): 12 digits before the point
_PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def decimals_for(currency: str) -> int:
    return CURRENCY_DECIMALS.get(currency.upper(), 2)


def parse_amount(text: str, *, field: str = "amount", currency: str = "ARS",
                 allow_negative: bool = False, allow_zero: bool = True) -> Decimal:
    """Parse a user-typed amount; refuse exponents, NaN, extra decimals, signs not allowed and
    amounts beyond MAX_AMOUNT."""
    raw = str(text).strip()
    if not _PLAIN_NUMBER.match(raw):
        raise Invalid(f"{field} {quoted(text)} is not an amount "
                      "(use digits and an optional decimal point, e.g. 1500.50)")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise Invalid(f"{field} {quoted(text)} is not an amount") from None
    places = decimals_for(currency)
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int), "plain digits are never NaN or Infinity"
    if -exponent > places:
        raise Invalid(f"{field} {quoted(text)} has more than {places} decimals for {currency.upper()}")
    if value < 0 and not allow_negative:
        raise Invalid(f"{field} {quoted(text)} must not be negative")
    if value == 0 and not allow_zero:
        raise Invalid(f"{field} {quoted(text)} must be greater than zero")
    if abs(value) > MAX_AMOUNT:
        raise Invalid(f"{field} {quoted(text)} is too large (at most {format_amount(MAX_AMOUNT)})")
    return value.quantize(Decimal(1).scaleb(-2))


def within_bounds(balance: Decimal, delta: Decimal, who: str) -> None:
    """Refuse moving BALANCE (of WHO) by DELTA when the result would not fit the money column."""
    if abs(balance + delta) > MAX_AMOUNT:
        raise Invalid(f"{who}: the balance {format_amount(balance)} would become {format_amount(balance + delta)}, "
                      f"outside what a balance can hold (-{format_amount(MAX_AMOUNT)} to {format_amount(MAX_AMOUNT)}); "
                      "nothing was changed")


def format_amount(value: Decimal) -> str:
    return f"{value:.2f}"
