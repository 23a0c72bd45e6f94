"""How the operator's country writes amounts and dates (U1): the settings `locale.decimal` and
`locale.dates`, as one value the money and date parsers take.

`locale.decimal` says which of comma and point is the decimal mark when a value alone cannot
tell (`1.234`); left empty it follows the country: a decimal comma in Argentina, Chile,
Uruguay, Spain, Brazil and Colombia, a point in Mexico and elsewhere. `locale.dates` is the
order of day, month and year in `05/03/2026`; ISO `2026-03-05` is read everywhere.
"""

from dataclasses import dataclass
from typing import Literal

from ispcube.domain.text import fold, quoted
from ispcube.errors import Invalid

DecimalMark = Literal["comma", "point"]
DateOrder = Literal["dmy", "mdy", "ymd"]
COMMA_COUNTRIES = frozenset({"AR", "CL", "UY", "ES", "BR", "CO"})
DECIMAL_WORDS: dict[str, DecimalMark] = {"comma": "comma", "coma": "comma", ",": "comma",
                                      "point": "point", "punto": "point", "dot": "point", ".": "point"}
DATE_ORDERS: dict[str, DateOrder] = {"dmy": "dmy", "mdy": "mdy", "ymd": "ymd"}
ORDER_SHOWN = {"dmy": "day/month/year", "mdy": "month/day/year", "ymd": "year/month/day"}


@dataclass(frozen=True)
class LocalFormats:
    decimal: DecimalMark = "point"
    dates: DateOrder = "dmy"

    @property
    def mark(self) -> str:
        """The decimal mark."""
        return "," if self.decimal == "comma" else "."

    @property
    def grouping(self) -> str:
        """The thousands separator."""
        return "." if self.decimal == "comma" else ","

    @classmethod
    def of(cls, country: str, decimal: str = "", dates: str = "") -> "LocalFormats":
        """The formats the settings give: DECIMAL and DATES as stored ('' = the country's default)."""
        mark: DecimalMark = DECIMAL_WORDS.get(decimal) or ("comma" if country.upper() in COMMA_COUNTRIES else "point")
        return cls(mark, DATE_ORDERS.get(dates, "dmy"))


def parse_decimal_setting(text: str) -> str:
    """`comma`, `point` (coma, punto) or empty: the country decides."""
    word = fold(text)
    if not word:
        return ""
    if word not in DECIMAL_WORDS:
        raise Invalid(f"{quoted(text)} is not comma or point (empty: from the country)")
    return DECIMAL_WORDS[word]


def parse_dates_setting(text: str) -> str:
    word = fold(text)
    if word not in DATE_ORDERS:
        raise Invalid(f"{quoted(text)} is not dmy, mdy or ymd (the order of day, month and year)")
    return word
