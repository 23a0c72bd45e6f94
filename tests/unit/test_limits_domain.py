"""The domain's bounds: amounts, balances, record ids, dates, NUL bytes and quoted values."""

from datetime import date
from decimal import Decimal
import re

import pytest

from ispcube.domain.dates import parse_date, parse_datetime
from ispcube.domain.money import MAX_AMOUNT, parse_amount, within_bounds
from ispcube.domain.numbers import MAX_ID, parse_id
from ispcube.domain.text import quoted, refuse_nul, refuse_nul_arguments
from ispcube.errors import Invalid, NotFound


@pytest.mark.parametrize("text, allowed", [
    ("999999999999.99", True), ("-999999999999.99", True), ("1000000000000", False),
    ("999999999999.999", False), ("-1000000000000.00", False), ("9" * 5000, False)])
def test_the_largest_amount_is_what_numeric_14_2_holds(text, allowed):
    if allowed:
        assert abs(parse_amount(text, allow_negative=True)) == MAX_AMOUNT
        return
    with pytest.raises(Invalid) as caught:
        parse_amount(text, allow_negative=True)
    assert len(str(caught.value)) < 200


@pytest.mark.parametrize("balance, delta, fits", [
    ("999999999999.98", "0.01", True), ("999999999999.99", "0.01", False),
    ("-999999999999.99", "-0.01", False), ("-999999999999.99", "999999999999.99", True)])
def test_a_balance_may_not_outgrow_the_column(balance, delta, fits):
    if fits:
        within_bounds(Decimal(balance), Decimal(delta), "client A1")
    else:
        with pytest.raises(Invalid, match="^client A1: the balance .* outside what a balance can hold"):
            within_bounds(Decimal(balance), Decimal(delta), "client A1")


@pytest.mark.parametrize("text, error, message", [
    ("12", None, None), (str(MAX_ID), None, None), (" 7 ", None, None),
    (str(MAX_ID + 1), NotFound, f"entry '{MAX_ID + 1}' does not exist"),
    ("9" * 5000, NotFound, "entry '" + "9" * 40 + "...' does not exist"),
    ("0", NotFound, "entry '0' does not exist"), ("-3", NotFound, "entry '-3' does not exist"),
    ("1e30", Invalid, "entry '1e30' is not a number"), ("", Invalid, "entry '' is not a number"),
    ("١٢", Invalid, "is not a number"), ("1_000", Invalid, "is not a number")])
def test_record_ids_fit_64_bits(text, error, message):
    if error is None:
        assert parse_id(text, "entry") == int(text)
        return
    with pytest.raises(error) as caught:
        parse_id(text, "entry")
    assert message in str(caught.value)


@pytest.mark.parametrize("text, clock, year", [
    ("1900-01-01", False, 1900), ("9999-12-31", False, 9999), ("1901-01-01", True, 1901),
    ("9998-12-31", True, 9998), ("1899-12-31", False, None), ("0001-01-01", False, None),
    ("1900-06-01", True, None), ("9999-01-01", True, None)])
def test_date_ranges(text, clock, year):
    if year is not None:
        assert parse_date(text, clock=clock) == date(year, *map(int, text[5:].split("-")))
        assert parse_datetime(text + "T10:00", clock=clock).year == year
        return
    with pytest.raises(Invalid, match="is out of range"):
        parse_date(text, clock=clock)
    with pytest.raises(Invalid, match="is out of range"):
        parse_datetime(text + "T10:00", clock=clock)


def test_quoted_cuts_long_values_and_shows_control_characters():
    assert quoted("abc") == "'abc'"
    assert quoted("x" * 41) == "'" + "x" * 40 + "...'"
    assert quoted("a\x00b\nc") == "'a\\x00b\\nc'"


def test_nul_bytes_are_named_by_field_or_option():
    assert refuse_nul("fine", "the note") == "fine" and refuse_nul(None, "x") is None
    with pytest.raises(Invalid, match=r"^the note holds a NUL byte"):
        refuse_nul("a\x00", "the note")
    refuse_nul_arguments(["pay", "A1", "--cash", "5"])
    for args, field in ((["pay", "A1", "--comment", "a\x00"], "the value of --comment"),
                        (["pay", "A1", "--comment=a\x00"], "option --comment"),
                        (["client", "note", "add", "A1", "a\x00"], "argument 'a\\x00'")):
        with pytest.raises(Invalid, match="^" + re.escape(field) + " holds a NUL byte"):
            refuse_nul_arguments(args)
