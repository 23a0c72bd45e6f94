"""Amounts in words, in Spanish, as receipts and cheques write them.

1234.50 -> "mil doscientos treinta y cuatro con 50/100". The cents are written as a fraction
(the usual form on receipts in Spanish-speaking countries), the whole part in words.
"""

from decimal import ROUND_HALF_UP, Decimal

_UNITS = ("cero uno dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce quince "
          "dieciséis diecisiete dieciocho diecinueve veinte veintiuno veintidós veintitrés "
          "veinticuatro veinticinco veintiséis veintisiete veintiocho veintinueve").split()
_TENS = {3: "treinta", 4: "cuarenta", 5: "cincuenta", 6: "sesenta", 7: "setenta", 8: "ochenta",
         9: "noventa"}
_HUNDREDS = {1: "ciento", 2: "doscientos", 3: "trescientos", 4: "cuatrocientos", 5: "quinientos",
             6: "seiscientos", 7: "setecientos", 8: "ochocientos", 9: "novecientos"}
# Before "mil", "millón" or "billón" the words ending in "uno" lose their last vowel.
_SHORTENED = {"uno": "un", "veintiuno": "veintiún"}
_LIMIT = 10 ** 18


def number_in_words(number: int) -> str:
    """A whole number in Spanish words: 21 -> "veintiuno", 21000 -> "veintiún mil"."""
    if number < 0:
        return "menos " + number_in_words(-number)
    if number >= _LIMIT:
        raise ValueError(f"{number} is too large to write in words")
    if number == 0:
        return "cero"
    billions, rest = divmod(number, 10 ** 12)
    millions, rest = divmod(rest, 10 ** 6)
    parts = []
    if billions:
        parts.append("un billón" if billions == 1 else f"{_below_million(billions, True)} billones")
    if millions:
        parts.append("un millón" if millions == 1 else f"{_below_million(millions, True)} millones")
    if rest:
        parts.append(_below_million(rest, False))
    return " ".join(parts)


def amount_in_words(amount: Decimal) -> str:
    """An amount with cents: Decimal("1234.50") -> "mil doscientos treinta y cuatro con 50/100"."""
    cents_total = int((abs(Decimal(amount)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    whole, cents = divmod(cents_total, 100)
    sign = "menos " if amount < 0 and cents_total else ""
    return f"{sign}{number_in_words(whole)} con {cents:02d}/100"


def _below_million(number: int, shortened: bool) -> str:
    thousands, units = divmod(number, 1000)
    parts = []
    if thousands:
        parts.append("mil" if thousands == 1 else f"{_below_thousand(thousands, True)} mil")
    if units:
        parts.append(_below_thousand(units, shortened))
    return " ".join(parts)


def _below_thousand(number: int, shortened: bool) -> str:
    hundreds, rest = divmod(number, 100)
    parts = []
    if hundreds:
        parts.append("cien" if number == 100 else _HUNDREDS[hundreds])
    if rest:
        words = _below_hundred(rest).split(" ")
        if shortened:
            words[-1] = _SHORTENED.get(words[-1], words[-1])
        parts.append(" ".join(words))
    return " ".join(parts)


def _below_hundred(number: int) -> str:
    if number < 30:
        return _UNITS[number]
    tens, units = divmod(number, 10)
    return _TENS[tens] if units == 0 else f"{_TENS[tens]} y {_UNITS[units]}"
