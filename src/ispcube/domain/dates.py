"""Dates are ISO YYYY-MM-DD everywhere, from 1900-01-01 to 9999-12-31.

A date the jobs act on as their clock (`enforce --today`, `preaviso --now`, a payment
commitment) has windows counted from it (retry days, warning hours, the days a cut is
retried after a commitment), so it must leave a year of room on either side: years 1901 to
9998. Outside the range Python's date arithmetic would overflow half-way through a run.
"""

from datetime import date, datetime

from ispcube.domain.text import quoted
from ispcube.errors import Invalid

FIRST_YEAR, LAST_YEAR = 1900, 9999
CLOCK_ROOM = 1      # years kept free on either side of a clock date


def year_range(clock: bool = False) -> tuple[int, int]:
    room = CLOCK_ROOM if clock else 0
    return FIRST_YEAR + room, LAST_YEAR - room


def check_year(year: int, shown: str, field: str, clock: bool = False) -> None:
    first, last = year_range(clock)
    if not first <= year <= last:
        raise Invalid(f"{field} {quoted(shown)} is out of range (years {first} to {last})")


def parse_date(text: str, *, field: str = "date", clock: bool = False) -> date:
    """A YYYY-MM-DD date within the range; CLOCK: one that windows are counted from."""
    try:
        value = date.fromisoformat(str(text).strip())
    except ValueError:
        raise Invalid(f"{field} {quoted(text)} is not a date (use YYYY-MM-DD)") from None
    check_year(value.year, text, field, clock)
    return value


def parse_datetime(text: str, *, field: str = "date and time", clock: bool = False) -> datetime:
    try:
        value = datetime.fromisoformat(str(text).strip())
    except ValueError:
        raise Invalid(f"{field} {quoted(text)} is not a date and time (use YYYY-MM-DDTHH:MM)") from None
    check_year(value.year, text, field, clock)
    return value


def parse_coordinate(text: str, *, field: str, limit: float) -> float:
    try:
        value = float(str(text).strip())
    except ValueError:
        raise Invalid(f"{field} {quoted(text)} is not a number") from None
    if not -limit <= value <= limit or value != value:
        raise Invalid(f"{field} {quoted(text)} is out of range (-{limit:g} to {limit:g})")
    return value
