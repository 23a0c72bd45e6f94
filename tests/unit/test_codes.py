"""client.code_format: only formats whose every code `client add --code` would accept."""

import pytest

from ispcube.domain.codes import format_code, parse_code_format
from ispcube.errors import Invalid


@pytest.mark.parametrize("fmt, number, code", [
    ("{n:05d}", 7, "00007"),
    ("{n}", 12, "12"),
    ("{n:d}", 12, "12"),
    ("C{n:06d}", 42, "C000042"),
    ("C-{n:04}/AR", 3, "C-0003/AR"),
    ("Ñandú_{n}.x#", 1, "Ñandú_1.x#"),
    ("  C{n}  ", 5, "C5"),
    ("Z{n}", 1, "Z1"),
    ("{n:020d}", 1, "0" * 19 + "1"),
    ("A" * 31 + "{n}", 1, "A" * 31 + "1"),
])
def test_formats_that_yield_valid_codes(fmt, number, code):
    assert format_code(parse_code_format(fmt), number) == code


@pytest.mark.parametrize("fmt, why", [
    ("{n.__class__}", "is not a code format"),
    ("{n!r}", "is not a code format"),
    ("{x}", "is not a code format"),
    ("{}", "is not a code format"),
    ("{0}", "is not a code format"),
    ("C", "is not a code format"),
    ("", "is not a code format"),
    ("{n}{n}", "is not a code format"),
    ("C {n}", "is not a code format"),
    ("C\t{n}", "is not a code format"),
    ("C\n{n}", "is not a code format"),
    ("C\x1b{n}", "is not a code format"),
    ("{n:5d}", "is not a code format"),
    ("{n:>5}", "is not a code format"),
    ("{n:x}", "is not a code format"),
    ("{n:,d}", "is not a code format"),
    ("{{n}}", "is not a code format"),
    ("{n:0100000d}", "is not a code format"),
    ("{n:021d}", "pads the number too wide"),
    ("A" * 32 + "{n}", "too little room for the number"),
    ("X" * 25 + "{n:020d}", "too little room for the number"),
    ("ZZ{n}", "reserved for deleted clients"),
    ("zz-{n}", "reserved for deleted clients"),
])
def test_formats_refused_with_what_is_allowed(fmt, why):
    with pytest.raises(Invalid) as caught:
        parse_code_format(fmt)
    message = str(caught.value)
    assert why in message and "{n:0Wd}" in message and "\n" not in message


def test_a_stored_format_no_longer_allowed_is_refused_before_use():
    with pytest.raises(Invalid, match="setting client.code_format: '{n.__class__}' is not a code format"):
        format_code("{n.__class__}", 1)
    with pytest.raises(Invalid, match="client.code_format"):
        format_code("{x}", 1)
