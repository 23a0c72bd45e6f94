"""One parser for each kind of small value an operator types: yes/no, a whole number in a range, a port.

Every command option, setting, maintenance-table column and import cell that takes one of these
goes through the functions here, so `si` means yes everywhere and `1_000` or `٣` is nowhere a
number. Each raises `Invalid` with LABEL (the option, setting or column) and the value quoted.
"""

import re

from ispcube.domain.text import quoted
from ispcube.errors import Invalid

# One vocabulary, English and Spanish, as operators and old systems' exports write it.
YES = frozenset({"yes", "y", "si", "sí", "s", "true", "1", "on"})
NO = frozenset({"no", "n", "false", "0", "off"})
PORTS = (1, 65535)

_WHOLE = re.compile(r"[+-]?[0-9]{1,18}")


def yes_no(value: object) -> bool | None:
    """True or False for a word of the vocabulary (any case, spaces around), None otherwise."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    return True if word in YES else False if word in NO else None


def parse_yes_no(value: object, label: str = "") -> bool:
    answer = yes_no(value)
    if answer is None:
        raise Invalid(f"{_lead(label)}{quoted(value)} is not yes or no (yes/no, si/no, true/false, 1/0)")
    return answer


def whole_number(value: object) -> int | None:
    """The integer VALUE writes in ASCII digits (an optional sign, no spaces inside), else None."""
    text = str(value).strip()
    return int(text) if _WHOLE.fullmatch(text) else None


def parse_int_in(value: object, low: int, high: int, label: str = "", noun: str = "whole number") -> int:
    number = whole_number(value)
    if number is None:
        raise Invalid(f"{_lead(label)}{quoted(value)} is not a {noun}")
    if not low <= number <= high:
        raise Invalid(f"{_lead(label)}{quoted(value)} is out of range ({low} to {high})")
    return number


def parse_port(value: object, label: str = "port") -> int:
    return parse_int_in(value, *PORTS, label=label, noun="port number")


def _lead(label: str) -> str:
    return f"{label} " if label else ""
