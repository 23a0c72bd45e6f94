"""TARGET2 business days: the days SEPA direct debits are settled on (K3).

TARGET2 is open on weekdays except its own holidays (New Year's Day, Good Friday, Easter
Monday, 1 May, 25 and 26 December), which the `holidays` package keeps as the ECB's
financial calendar. A SEPA Core collection is asked for a business day at least one business
day after the file is made.
"""

from datetime import date, timedelta
from functools import lru_cache

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@lru_cache(maxsize=32)
def _closed(year: int) -> dict[date, str]:
    import holidays
    return dict(holidays.financial_holidays("XECB", years=year).items())


def closed_because(day: date) -> str | None:
    """Why TARGET2 does not settle on DAY ('a Saturday', 'a TARGET2 holiday (Good Friday)'), or None."""
    if day.weekday() >= 5:
        return f"a {_WEEKDAYS[day.weekday()]}"
    holiday = _closed(day.year).get(day)
    return f"a TARGET2 holiday ({holiday})" if holiday else None


def next_business_day(after: date) -> date:
    """The first TARGET2 business day after AFTER."""
    day = after + timedelta(days=1)
    while closed_because(day):
        day += timedelta(days=1)
    return day


def first_collection_day(today: date, wanted: date | None = None) -> date:
    """The first day a collection may be asked for, on or after WANTED: a business day at least
    one business day after TODAY."""
    day = max(next_business_day(today), wanted or today)
    while closed_because(day):
        day += timedelta(days=1)
    return day
