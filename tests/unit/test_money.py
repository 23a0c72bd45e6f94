from decimal import Decimal

import pytest

from ispcube.domain.money import parse_amount
from ispcube.errors import Invalid


@pytest.mark.parametrize("text, expected", [("10", "10.00"), ("10.5", "10.50"), ("10.50", "10.50"),
                                            (" 0.01 ", "0.01")])
def test_amounts_that_parse(text, expected):
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["10.505", "1e3", "abc", "NaN", "inf", "", "1,5,0", "--1", "+5"])
def test_amounts_refused_with_one_sentence(text):
    with pytest.raises(Invalid) as caught:
        parse_amount(text)
    assert f"'{text}'" in str(caught.value)


def test_negative_refused_unless_allowed():
    with pytest.raises(Invalid, match="must not be negative"):
        parse_amount("-5")
    assert parse_amount("-5", allow_negative=True) == Decimal("-5.00")


def test_currency_without_cents_refuses_decimals():
    with pytest.raises(Invalid, match="more than 0 decimals for CLP"):
        parse_amount("100.5", currency="CLP")
    assert parse_amount("100", currency="CLP") == Decimal("100.00")
