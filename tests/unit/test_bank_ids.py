"""Bank identifiers (K1, K2): what people type in, what is stored, what is refused."""

import pytest

from ispcube.domain.bank import (
    bic_of,
    format_iban,
    parse_bic,
    parse_cbu,
    parse_creditor_id,
    parse_iban,
    parse_mandate_ref,
)
from ispcube.errors import Invalid


@pytest.mark.parametrize("typed, stored", [
    ("ES91 2100 0418 4502 0005 1332", "ES9121000418450200051332"),
    ("es9121000418450200051332", "ES9121000418450200051332"),
    ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
])
def test_an_iban_is_stored_in_electronic_form(typed, stored):
    assert parse_iban(typed) == stored


@pytest.mark.parametrize("typed, reason", [
    ("ES91 2100 0418 4502 0005 1333", "checksum"),      # one digit off
    ("ES91 2100 0418", "length"),
    ("XX91 2100 0418 4502 0005 1332", "country"),
    ("", "not valid"),
])
def test_a_wrong_iban_is_refused_with_the_reason(typed, reason):
    with pytest.raises(Invalid, match=reason):
        parse_iban(typed)


def test_an_iban_is_shown_in_groups_of_four():
    assert format_iban("ES9121000418450200051332") == "ES91 2100 0418 4502 0005 1332"
    assert format_iban(None) is None


def test_the_bic_comes_from_the_iban_when_the_bank_is_known():
    assert bic_of("ES9121000418450200051332") == "CAIXESBB"


@pytest.mark.parametrize("typed, stored", [("caixesbbxxx", "CAIXESBBXXX"), ("CAIXESBB", "CAIXESBB")])
def test_a_bic_is_stored_in_upper_case(typed, stored):
    assert parse_bic(typed) == stored


@pytest.mark.parametrize("typed", ["CAIXES", "CAIX1SBB", "CAIXQQBBXXX"])
def test_a_wrong_bic_is_refused(typed):
    with pytest.raises(Invalid, match="BIC"):
        parse_bic(typed)


@pytest.mark.parametrize("typed", ["MANDATO-00042", "ISP/2026/42", "A", "x" * 35, "Ref (1), 'a'+b?"])
def test_mandate_references_of_the_sepa_set(typed):
    assert parse_mandate_ref(typed) == typed


@pytest.mark.parametrize("typed", ["", "x" * 36, "MANDATO_42", "mandato ñ", "/42", "42/", "4//2", "a\nb"])
def test_mandate_references_outside_the_sepa_set_are_refused(typed):
    with pytest.raises(Invalid, match="mandate reference"):
        parse_mandate_ref(typed)


def test_a_creditor_identifier_has_its_check_digits_verified():
    assert parse_creditor_id("DE98 ZZZ 09999999999") == "DE98ZZZ09999999999"
    with pytest.raises(Invalid, match="creditor identifier"):
        parse_creditor_id("DE97ZZZ09999999999")


def test_a_cbu_has_its_check_digits_verified():
    assert parse_cbu("2850590940090418135201") == "2850590940090418135201"
    with pytest.raises(Invalid, match="CBU"):
        parse_cbu("2850590940090418135202")
    with pytest.raises(Invalid, match="CBU"):
        parse_cbu("28505909")


def test_a_long_value_is_quoted_short():
    with pytest.raises(Invalid) as refused:
        parse_iban("ES" + "9" * 5000)
    assert len(str(refused.value)) < 150
