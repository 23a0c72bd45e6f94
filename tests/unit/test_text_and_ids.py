import pytest

from ispcube.domain.contact import parse_emails, parse_phones
from ispcube.domain.ids import normalise_id
from ispcube.domain.text import fold, normalise_address
from ispcube.errors import Invalid


def test_fold_ignores_case_and_accents():
    assert fold("  José  PÉREZ Muñoz ") == "jose perez munoz"


def test_address_key_ignores_case_accents_punctuation_and_spaces():
    assert normalise_address("Amenábar 123, 2º B") == normalise_address("amenabar   123 2º-b")
    assert normalise_address("Av. Santa Fe 3200") == "av santa fe 3200"


@pytest.mark.parametrize("country, kind, number, shown, key", [
    ("AR", "DNI", "20123456", "20.123.456", "20123456"),
    ("AR", "CUIT", "20267565393", "20-26756539-3", "20267565393"),
    ("AR", "CUIL", "20-26756539-3", "20-26756539-3", "20267565393"),
    ("CL", "RUT", "76086428-5", "76.086.428-5", "760864285"),
    ("ES", "NIF", "12345678z", "12345678Z", "12345678Z"),
    ("ES", "NIE", "x2482300w", "X2482300W", "X2482300W"),
    ("ES", "CIF", "B58378431", "B58378431", "B58378431"),
])
def test_id_numbers_validated_and_normalised(country, kind, number, shown, key):
    parsed = normalise_id(country, kind, number)
    assert (parsed.shown, parsed.key) == (shown, key)


@pytest.mark.parametrize("country, kind, number", [
    ("AR", "CUIT", "20267565394"), ("CL", "RUT", "76086428-4"), ("ES", "NIF", "12345678A"),
    ("ES", "NIE", "X2482300A"), ("AR", "DNI", "12ab"),
])
def test_bad_id_numbers_refused(country, kind, number):
    with pytest.raises(Invalid, match=f"not a valid {country} {kind}"):
        normalise_id(country, kind, number)


def test_other_id_types_stored_as_given():
    parsed = normalise_id("AR", "PASAPORTE", "AAB-123456")
    assert (parsed.shown, parsed.key) == ("AAB-123456", "AAB123456")


def test_emails_and_phones():
    assert parse_emails("a@x.com; b@y.org") == ["a@x.com", "b@y.org"]
    assert parse_phones("011 4555-1234;+34 611 222 333") == ["011 4555-1234", "+34 611 222 333"]
    with pytest.raises(Invalid, match="e-mail 'nobody@' is not a valid address"):
        parse_emails("ok@x.com;nobody@")
    with pytest.raises(Invalid, match="phone 'call me'"):
        parse_phones("call me")
