"""Phones as people write them (U3), stored in one readable form."""

import pytest

from ispcube.domain.contact import parse_phones
from ispcube.errors import Invalid


@pytest.mark.parametrize("written, stored", [
    ("(02255) 46-1950", "02255 46-1950"), ("+54 9 11 4555-1234", "+54 9 11 4555-1234"),
    ("011 4555-1234 int 23", "011 4555-1234 ext 23"), ("011 4555-1234 Interno: 23", "011 4555-1234 ext 23"),
    ("0351 455.1234 ext. 7", "0351 455-1234 ext 7"), ("(011)4555 - 1234 #12", "011 4555-1234 ext 12"),
    ("+54 (11) 4555/1234", "+54 11 4555-1234"), ("  011   4555-1234 ", "011 4555-1234")])
def test_a_phone_as_written_is_stored_in_one_form(written, stored):
    assert parse_phones(written) == [stored]


def test_the_same_number_written_two_ways_is_stored_the_same():
    assert parse_phones("(011) 4555-1234") == parse_phones("011 4555 - 1234") == ["011 4555-1234"]


def test_several_phones_keep_their_order():
    assert parse_phones("(02255) 46-1950; 15 5555-6666, 011 4555-1234 int 2") == [
        "02255 46-1950", "15 5555-6666", "011 4555-1234 ext 2"]


@pytest.mark.parametrize("text", ["abc", "1234", "+54 (11 4555-1234", "+54+11 4555-1234", "١٢٣٤٥٦٧",
                                  "4555-1234 int", "4555-1234 int 1234567", "1" * 16])
def test_what_is_not_a_phone_is_refused_naming_it(text):
    with pytest.raises(Invalid) as caught:
        parse_phones(text)
    assert str(caught.value).startswith(f"phone '{text}' is not a phone number")
