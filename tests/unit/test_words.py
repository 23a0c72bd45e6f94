"""Amounts in Spanish words (receipts): known forms, and a round trip through an independent reader."""

from decimal import Decimal

from hypothesis import given, strategies as st
import pytest

from ispcube.domain.words import amount_in_words, number_in_words


@pytest.mark.parametrize("number, words", [
    (0, "cero"), (1, "uno"), (15, "quince"), (16, "dieciséis"), (21, "veintiuno"),
    (22, "veintidós"), (30, "treinta"), (31, "treinta y uno"), (99, "noventa y nueve"),
    (100, "cien"), (101, "ciento uno"), (115, "ciento quince"), (500, "quinientos"),
    (700, "setecientos"), (999, "novecientos noventa y nueve"), (1000, "mil"), (1001, "mil uno"),
    (2000, "dos mil"), (21000, "veintiún mil"), (31000, "treinta y un mil"),
    (100000, "cien mil"), (101000, "ciento un mil"), (201000, "doscientos un mil"),
    (1_000_000, "un millón"), (2_000_000, "dos millones"), (21_000_000, "veintiún millones"),
    (1_001_000, "un millón mil"), (1_000_001, "un millón uno"),
    (1_000_000_000, "mil millones"), (1_000_000_000_000, "un billón"),
    (999_999_999_999, "novecientos noventa y nueve mil novecientos noventa y nueve millones "
                      "novecientos noventa y nueve mil novecientos noventa y nueve"),
])
def test_whole_numbers(number, words):
    assert number_in_words(number) == words


@pytest.mark.parametrize("amount, words", [
    ("1234.50", "mil doscientos treinta y cuatro con 50/100"),
    ("0.05", "cero con 05/100"),
    ("21", "veintiuno con 00/100"),
    ("9500.00", "nueve mil quinientos con 00/100"),
    ("-10.10", "menos diez con 10/100"),
    ("1000000.99", "un millón con 99/100"),
])
def test_amounts(amount, words):
    assert amount_in_words(Decimal(amount)) == words


_VALUES = {"cero": 0, "un": 1, "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
           "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12, "trece": 13,
           "catorce": 14, "quince": 15, "dieciséis": 16, "diecisiete": 17, "dieciocho": 18,
           "diecinueve": 19, "veinte": 20, "veintiún": 21, "veintiuno": 21, "veintidós": 22,
           "veintitrés": 23, "veinticuatro": 24, "veinticinco": 25, "veintiséis": 26,
           "veintisiete": 27, "veintiocho": 28, "veintinueve": 29, "treinta": 30, "cuarenta": 40,
           "cincuenta": 50, "sesenta": 60, "setenta": 70, "ochenta": 80, "noventa": 90,
           "cien": 100, "ciento": 100, "doscientos": 200, "trescientos": 300,
           "cuatrocientos": 400, "quinientos": 500, "seiscientos": 600, "setecientos": 700,
           "ochocientos": 800, "novecientos": 900}


def read_words(text: str) -> int:
    """A reader written from the grammar, not from the writer: sum small words, scale at multipliers."""
    total, group, millions_part = 0, 0, 0
    for word in text.split():
        if word == "y":
            continue
        if word == "mil":
            group = (group or 1) * 1000
            millions_part += group
            group = 0
        elif word in ("millón", "millones"):
            total += (millions_part + group) * 10 ** 6
            millions_part, group = 0, 0
        elif word in ("billón", "billones"):
            total += (millions_part + group) * 10 ** 12
            millions_part, group = 0, 0
        else:
            group += _VALUES[word]
    return total + millions_part + group


@given(st.integers(min_value=0, max_value=10 ** 15))
def test_words_read_back_to_the_same_number(number):
    words = number_in_words(number)
    assert read_words(words) == number
    assert "  " not in words and words == words.strip()


@given(st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2))
def test_amount_words_keep_the_cents(amount):
    words, cents = amount_in_words(amount).split(" con ")
    assert read_words(words) * 100 + int(cents.removesuffix("/100")) == int(amount * 100)
