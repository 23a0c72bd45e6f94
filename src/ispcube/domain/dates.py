"""Dates are ISO YYYY-MM-DD everywhere."""

from datetime import date, datetime

from ispcube.errors import Invalid


def parse_date(text: str, *, field: str = "date") -> date:
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise Invalid(f"{field} '{text}' is not a date (use YYYY-MM-DD)") from None


def parse_datetime(text: str, *, field: str = "date and time") -> datetime:
    try:
        return datetime.fromisoformat(str(text).strip())
    except ValueError:
        raise Invalid(f"{field} '{text}' is not a date and time (use YYYY-MM-DDTHH:MM)") from None


def parse_coordinate(text: str, *, field: str, limit: float) -> float:
    try:
        value = float(str(text).strip())
    except ValueError:
        raise Invalid(f"{field} '{text}' is not a number") from None
    if not -limit <= value <= limit or value != value:
        raise Invalid(f"{field} '{text}' is out of range (-{limit:g} to {limit:g})")
    return value
