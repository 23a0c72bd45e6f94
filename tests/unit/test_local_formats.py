"""The one money parser and the one date parser in the operator's local formats (U1)."""

from datetime import date, datetime
from decimal import Decimal

from hypothesis import given, strategies as st
import pytest

from ispcube.domain.dates import parse_date, parse_datetime
from ispcube.domain.local_formats import LocalFormats, parse_decimal_setting
from ispcube.domain.money import MAX_AMOUNT, parse_amount
from ispcube.errors import Invalid

COMMA, POINT = LocalFormats("comma"), LocalFormats("point")


@pytest.mark.parametrize("country, mark", [("AR", "comma"), ("CL", "comma"), ("UY", "comma"), ("ES", "comma"),
                                           ("BR", "comma"), ("CO", "comma"), ("MX", "point"), ("PE", "point")])
def test_the_country_gives_the_decimal_mark_unless_the_setting_does(country, mark):
    assert LocalFormats.of(country).decimal == mark
    assert LocalFormats.of(country, "point").decimal == "point"
    assert LocalFormats.of(country, "comma", "mdy") == LocalFormats("comma", "mdy")


def test_the_decimal_setting_takes_english_and_spanish_words():
    assert parse_decimal_setting(" Coma ") == "comma"
    assert parse_decimal_setting("punto") == "point"
    assert parse_decimal_setting("") == ""
    with pytest.raises(Invalid, match="is not comma or point"):
        parse_decimal_setting("semicolon")


@pytest.mark.parametrize("text, expected", [
    ("1.234,56", "1234.56"), ("1234,56", "1234.56"), ("1,234.56", "1234.56"), ("1500.50", "1500.50"),
    ("18900,00", "18900.00"), ("1.234.567", "1234567.00"), ("1,234,567.5", "1234567.50"), ("0,5", "0.50"),
    ("12", "12.00"), (" 7,05 ", "7.05")])
def test_amounts_with_one_reading_read_the_same_in_either_locale(text, expected):
    assert parse_amount(text, local=COMMA) == Decimal(expected)
    assert parse_amount(text, local=POINT) == Decimal(expected)


def test_a_thousands_group_alone_is_ambiguous_and_refused_with_its_reading():
    with pytest.raises(Invalid) as caught:
        parse_amount("1.234", local=COMMA)
    assert str(caught.value) == ("amount '1.234' is ambiguous with locale.decimal comma: it would read as 1234; "
                                 "write 1234 or 1.234,00")
    with pytest.raises(Invalid, match="ambiguous with locale.decimal point: it would read as 1234; write 1234 or "
                                      "1,234.00"):
        parse_amount("1,234", local=POINT)
    # with the locale's own decimal mark, three decimals are three decimals
    with pytest.raises(Invalid, match="has more than 2 decimals for ARS"):
        parse_amount("1,234", local=COMMA)


def test_a_currency_without_cents_reads_a_group_of_three_as_thousands():
    assert parse_amount("1.234", currency="CLP", local=COMMA) == Decimal("1234")


@pytest.mark.parametrize("text", ["١٢٣", "１２３", "12٣", "1.２34,00"])
def test_digits_of_other_scripts_are_refused(text):
    with pytest.raises(Invalid, match="has digits other than 0-9"):
        parse_amount(text, local=COMMA)


@pytest.mark.parametrize("text", ["1.23.456", "12,34.5", "1.234,5,6", "1,", ".5", "1 234", "1_000", "$100"])
def test_malformed_amounts_are_refused_naming_the_locale(text):
    with pytest.raises(Invalid, match=r"is not an amount \(digits with a decimal comma, e.g. 1500,50"):
        parse_amount(text, local=COMMA)


@pytest.mark.parametrize("text", ["1000000000000", "1.000.000.000.000,00", "9" * 400])
def test_absurd_amounts_are_refused_in_one_sentence(text):
    with pytest.raises(Invalid) as caught:
        parse_amount(text, local=COMMA)
    assert "is too large (at most 999999999999.99)" in str(caught.value)
    assert len(str(caught.value)) < 200


@given(st.decimals(min_value=-MAX_AMOUNT, max_value=MAX_AMOUNT, places=2), st.sampled_from(["comma", "point"]),
       st.booleans())
def test_any_amount_written_in_the_locale_reads_back(value, mark, grouped):
    local = LocalFormats(mark)
    text = f"{value:,.2f}" if grouped else f"{value:.2f}"
    if mark == "comma":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    assert parse_amount(text, local=local, allow_negative=True) == value


@given(st.integers(min_value=1000, max_value=999_999), st.sampled_from(["comma", "point"]))
def test_a_whole_amount_written_with_the_grouping_mark_is_never_read_as_a_fraction(value, mark):
    local = LocalFormats(mark)
    text = f"{value:,}".replace(",", local.grouping)
    try:
        assert parse_amount(text, local=local) == value
    except Invalid as exc:          # refused, never misread
        assert f"it would read as {value}" in str(exc)


@pytest.mark.parametrize("text, order, expected", [
    ("2026-03-05", "dmy", date(2026, 3, 5)), ("2026-03-05", "mdy", date(2026, 3, 5)),
    ("05/03/2026", "dmy", date(2026, 3, 5)), ("5/3/26", "dmy", date(2026, 3, 5)),
    ("05-03-2026", "dmy", date(2026, 3, 5)), ("05.03.2026", "dmy", date(2026, 3, 5)),
    ("03/05/2026", "mdy", date(2026, 3, 5)), ("26/03/05", "ymd", date(2026, 3, 5)),
    ("2026/03/05", "dmy", date(2026, 3, 5)), ("1/1/69", "dmy", date(1969, 1, 1)),
    ("31/12/68", "dmy", date(2068, 12, 31))])
def test_dates_as_people_write_them(text, order, expected):
    assert parse_date(text, local=LocalFormats(dates=order)) == expected


@pytest.mark.parametrize("text", ["13/05/2026", "31/02/2026", "05/03/202", "05/03-2026", "٠٥/٠٣/٢٠٢٦", "20260305",
                                  "5 March 2026", "2026-W10-4"])
def test_what_is_not_a_date_says_the_order_it_was_read_in(text):
    with pytest.raises(Invalid) as caught:
        parse_date(text, field="--date", local=LocalFormats(dates="mdy"))
    assert str(caught.value).startswith(f"--date '{text}' is not a date (month/day/year as locale.dates mdy says")


@given(st.dates(min_value=date(1969, 1, 1), max_value=date(2068, 12, 31)), st.sampled_from(["dmy", "mdy", "ymd"]),
       st.booleans())
def test_any_date_written_in_the_locale_order_reads_back(day, order, short_year):
    year = f"{day.year % 100:02d}" if short_year else str(day.year)
    parts = {"d": str(day.day), "m": f"{day.month:02d}", "y": year}
    if order == "ymd" and not short_year:
        parts["y"] = str(day.year)
    text = "/".join(parts[letter] for letter in order)
    assert parse_date(text, local=LocalFormats(dates=order)) == day
    assert parse_date(day.isoformat(), local=LocalFormats(dates=order)) == day


def test_a_date_and_time_in_iso_or_the_local_order():
    assert parse_datetime("2026-03-05T10:30") == datetime(2026, 3, 5, 10, 30)
    assert parse_datetime("05/03/2026 10:30") == datetime(2026, 3, 5, 10, 30)
    assert parse_datetime("03/05/2026 8:05:09", local=LocalFormats(dates="mdy")) == datetime(2026, 3, 5, 8, 5, 9)
    with pytest.raises(Invalid, match="is not a date and time"):
        parse_datetime("05/03/2026 25:00")
