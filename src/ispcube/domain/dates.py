"""Dates as people write them, from 1900-01-01 to 9999-12-31, through one parser (U1).

ISO `2026-03-05` is read everywhere; `05/03/2026`, `5/3/26`, `05-03-2026` and `05.03.2026`
are read in the order of the setting `locale.dates` (dmy, mdy or ymd; domain/local_formats.py).
A two-digit year is 1969-2068, as POSIX reads it. Only ASCII digits.

A date the jobs act on as their clock (`enforce --today`, `preaviso --now`, a payment
commitment) has windows counted from it (retry days, warning hours, the days a cut is
retried after a commitment), so it must leave a year of room on either side: years 1901 to
9998. Outside the range Python's date arithmetic would overflow half-way through a run.
"""

from datetime import date, datetime
import re

from ispcube.domain.local_formats import ORDER_SHOWN, LocalFormats
from ispcube.domain.text import quoted
from ispcube.errors import Invalid

FIRST_YEAR, LAST_YEAR = 1900, 9999
CLOCK_ROOM = 1      # years kept free on either side of a clock date
DAY_FIRST = LocalFormats()
_ISO = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_WRITTEN = re.compile(r"([0-9]{1,4})([/.-])([0-9]{1,2})\2([0-9]{1,4})")
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?")


def year_range(clock: bool = False) -> tuple[int, int]:
    room = CLOCK_ROOM if clock else 0
    return FIRST_YEAR + room, LAST_YEAR - room


def check_year(year: int, shown: str, field: str, clock: bool = False) -> None:
    first, last = year_range(clock)
    if not first <= year <= last:
        raise Invalid(f"{field} {quoted(shown)} is out of range (years {first} to {last})")


def parse_date(text: str, *, field: str = "date", clock: bool = False, local: LocalFormats = DAY_FIRST) -> date:
    """A date in ISO or in LOCAL's order, within the range; CLOCK: one that windows are counted from."""
    raw = str(text).strip()
    try:
        value = _read_date(raw, local)
    except ValueError:
        raise Invalid(f"{field} {quoted(text)} is not a date ({_hint(local)})") from None
    check_year(value.year, text, field, clock)
    return value


def _read_date(raw: str, local: LocalFormats) -> date:
    iso = _ISO.fullmatch(raw)
    if iso:
        return date(*map(int, iso.groups()))
    written = _WRITTEN.fullmatch(raw)
    if not written:
        raise ValueError(raw)
    first, _, second, third = written.groups()
    if len(first) == 4:                          # 2026/03/05: a four-digit year first is never a day
        year, month, day = first, second, third
    elif local.dates == "ymd":
        year, month, day = first, second, third
    elif local.dates == "mdy":
        month, day, year = first, second, third
    else:
        day, month, year = first, second, third
    if len(year) not in (2, 4) or len(day) > 2:
        raise ValueError(raw)
    full_year = int(year) if len(year) == 4 else (1900 if int(year) >= 69 else 2000) + int(year)
    return date(full_year, int(month), int(day))


def _hint(local: LocalFormats) -> str:
    example = {"dmy": "05/03/2026", "mdy": "03/05/2026", "ymd": "2026/03/05"}[local.dates]
    return f"{ORDER_SHOWN[local.dates]} as locale.dates {local.dates} says, e.g. {example}, or YYYY-MM-DD"


def parse_datetime(text: str, *, field: str = "date and time", clock: bool = False,
                   local: LocalFormats = DAY_FIRST) -> datetime:
    """An ISO date and time, or a date as parse_date reads it, a space or T, and HH:MM[:SS]."""
    raw = str(text).strip()
    try:
        value = _read_datetime(raw, local)
    except ValueError:
        raise Invalid(f"{field} {quoted(text)} is not a date and time "
                      f"(YYYY-MM-DDTHH:MM, or {ORDER_SHOWN[local.dates]} HH:MM)") from None
    check_year(value.year, text, field, clock)
    return value


def _read_datetime(raw: str, local: LocalFormats) -> datetime:
    if _ISO.match(raw) and raw.isascii():
        return datetime.fromisoformat(raw)
    day_text, _, time_text = raw.replace("T", " ", 1).partition(" ")
    day = _read_date(day_text, local)
    if not time_text.strip():
        return datetime(day.year, day.month, day.day)
    clock_time = _TIME.fullmatch(time_text.strip())
    if not clock_time:
        raise ValueError(raw)
    hour, minute, second = (int(part or 0) for part in clock_time.groups())
    return datetime(day.year, day.month, day.day, hour, minute, second)


def parse_coordinate(text: str, *, field: str, limit: float) -> float:
    try:
        value = float(str(text).strip())
    except ValueError:
        raise Invalid(f"{field} {quoted(text)} is not a number") from None
    if not -limit <= value <= limit or value != value:
        raise Invalid(f"{field} {quoted(text)} is out of range (-{limit:g} to {limit:g})")
    return value
