"""Money is Decimal, always, built through one parser."""

from decimal import Decimal, InvalidOperation
import re

from ispcube.errors import Invalid

# ISO 4217 minor units for the currencies our users bill in; anything else has 2.
CURRENCY_DECIMALS = {"CLP": 0, "PYG": 0, "COP": 2, "ARS": 2, "EUR": 2, "USD": 2, "UYU": 2,
                     "MXN": 2, "PEN": 2, "BRL": 2, "BOB": 2, "VES": 2, "GTQ": 2, "CRC": 2}
_PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def decimals_for(currency: str) -> int:
    return CURRENCY_DECIMALS.get(currency.upper(), 2)


def parse_amount(text: str, *, field: str = "amount", currency: str = "ARS",
                 allow_negative: bool = False, allow_zero: bool = True) -> Decimal:
    """Parse a user-typed amount; refuse exponents, NaN, extra decimals and signs not allowed."""
    raw = str(text).strip()
    if not _PLAIN_NUMBER.match(raw):
        raise Invalid(f"{field} '{text}' is not an amount (use digits and an optional decimal point, e.g. 1500.50)")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise Invalid(f"{field} '{text}' is not an amount") from None
    places = decimals_for(currency)
    if -value.as_tuple().exponent > places:
        raise Invalid(f"{field} '{text}' has more than {places} decimals for {currency.upper()}")
    if value < 0 and not allow_negative:
        raise Invalid(f"{field} '{text}' must not be negative")
    if value == 0 and not allow_zero:
        raise Invalid(f"{field} '{text}' must be greater than zero")
    return value.quantize(Decimal(1).scaleb(-2))


def format_amount(value: Decimal) -> str:
    return f"{value:.2f}"
