"""The one parser of yes/no, whole numbers in a range and ports (domain/values.py)."""

import pytest

from ispcube.domain.values import parse_int_in, parse_port, parse_yes_no, whole_number, yes_no
from ispcube.errors import Invalid


@pytest.mark.parametrize("word", ["yes", "YES", " si ", "sí", "Sí", "s", "y", "true", "1", "on"])
def test_every_yes_word_is_yes(word):
    assert yes_no(word) is True and parse_yes_no(word) is True


@pytest.mark.parametrize("word", ["no", "NO", " n", "false", "0", "off"])
def test_every_no_word_is_no(word):
    assert yes_no(word) is False and parse_yes_no(word) is False


@pytest.mark.parametrize("word", ["", "maybe", "2", "yes please", "nein", "oui"])
def test_anything_else_is_refused_naming_the_label_and_value(word):
    assert yes_no(word) is None
    with pytest.raises(Invalid, match=f"^--free '{word}' is not yes or no"):
        parse_yes_no(word, "--free")


@pytest.mark.parametrize("text,expected", [("5", 5), (" 42 ", 42), ("-3", -3), ("+7", 7), ("0", 0)])
def test_whole_numbers_in_ascii_digits(text, expected):
    assert whole_number(text) == expected


@pytest.mark.parametrize("text", ["", "1.5", "1_000", "٣", "1e3", "12 3", "0x10", "9" * 19, "five"])
def test_what_python_int_would_take_or_is_no_number_is_not_a_whole_number(text):
    assert whole_number(text) is None
    with pytest.raises(Invalid, match="is not a whole number"):
        parse_int_in(text, 0, 10, "--days")


def test_range_bounds_are_inclusive_and_named():
    assert parse_int_in("1", 1, 28) == 1 and parse_int_in("28", 1, 28) == 28
    with pytest.raises(Invalid, match=r"^invoice.due_day '29' is out of range \(1 to 28\)$"):
        parse_int_in("29", 1, 28, "invoice.due_day")


@pytest.mark.parametrize("text", ["0", "65536", "-1"])
def test_ports_outside_1_to_65535_are_out_of_range(text):
    with pytest.raises(Invalid, match=rf"^router port '{text}' is out of range \(1 to 65535\)$"):
        parse_port(text, "router port")


def test_a_port_that_is_no_number_says_so():
    assert parse_port("8728") == 8728
    with pytest.raises(Invalid, match="^--port 'api' is not a port number$"):
        parse_port("api", "--port")
