"""Formula injection (R9): a cell a spreadsheet would run as a formula is made inert.

Cells starting with = + - @ (or a tab or carriage return, which some spreadsheets skip before
looking for those) are formulas to Excel and LibreOffice when the file is CSV. A plain number
such as -34.6 is left alone: it is read as the number it is.
"""

import re
from typing import TypeGuard

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def is_dangerous(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and value.startswith(TRIGGERS) and not _PLAIN_NUMBER.match(value)


def neutralise(value: object) -> object:
    """The text with an apostrophe in front when a spreadsheet would run it (CSV files)."""
    return "'" + value if is_dangerous(value) else value
