"""VAT on an invoice (I1): conditions, letters, AFIP codes, the price split and the RG 4892 QR."""

import base64
from datetime import date
from decimal import Decimal
import json
from urllib.parse import parse_qs, urlsplit

from hypothesis import given, strategies as st
import pytest

from ispcube.domain.money import MAX_AMOUNT
from ispcube.domain.tax import (
    CLASS_A_RECEPTORS,
    DEFAULT_RECEPTOR,
    CompanyVat,
    DocumentKind,
    Letter,
    QrInvoice,
    ReceptorVat,
    company_vat,
    document_type,
    invoice_letter,
    qr_payload,
    qr_url,
    receptor_document,
    receptor_vat,
    split_final_price,
    split_for_letter,
    vat_rate,
    vat_rate_id,
    vat_within_tolerance,
)
from ispcube.errors import Invalid

RATES = [Decimal("21"), Decimal("10.5"), Decimal("27")]
prices = st.integers(min_value=0, max_value=int(MAX_AMOUNT * 100)).map(lambda c: Decimal(c) / 100)
small_prices = st.integers(min_value=0, max_value=10_000_000).map(lambda c: Decimal(c) / 100)


def test_receptor_codes_are_afips():
    assert {c.name: c.value for c in ReceptorVat} == {
        "RESPONSABLE_INSCRIPTO": 1, "EXENTO": 4, "CONSUMIDOR_FINAL": 5, "MONOTRIBUTO": 6,
        "NO_CATEGORIZADO": 7, "PROVEEDOR_EXTERIOR": 8, "CLIENTE_EXTERIOR": 9, "IVA_LIBERADO": 10,
        "MONOTRIBUTO_SOCIAL": 13, "IVA_NO_ALCANZADO": 15, "MONOTRIBUTO_PROMOVIDO": 16}
    assert DEFAULT_RECEPTOR is ReceptorVat.CONSUMIDOR_FINAL
    assert ReceptorVat.CONSUMIDOR_FINAL.label == "Consumidor Final"


def test_conditions_are_read_by_word_or_code():
    assert receptor_vat("consumidor-final") is ReceptorVat.CONSUMIDOR_FINAL
    assert receptor_vat(" Monotributo-Social ") is ReceptorVat.MONOTRIBUTO_SOCIAL
    assert receptor_vat("1") is ReceptorVat.RESPONSABLE_INSCRIPTO
    assert company_vat("Monotributo") is CompanyVat.MONOTRIBUTO
    with pytest.raises(Invalid, match="'particular' is not one of: responsable-inscripto, exento"):
        receptor_vat("particular")
    with pytest.raises(Invalid, match="'consumidor-final' is not one of"):
        company_vat("consumidor-final")


@pytest.mark.parametrize("receptor", list(ReceptorVat))
def test_letter_rule(receptor):
    inscripto = invoice_letter(CompanyVat.RESPONSABLE_INSCRIPTO, receptor)
    assert inscripto is (Letter.A if receptor in CLASS_A_RECEPTORS else Letter.B)
    assert invoice_letter(CompanyVat.MONOTRIBUTO, receptor) is Letter.C
    assert invoice_letter(CompanyVat.EXENTO, receptor) is Letter.C


def test_a_goes_to_inscriptos_and_monotributistas_b_to_final_consumers():
    issuer = CompanyVat.RESPONSABLE_INSCRIPTO
    assert invoice_letter(issuer, ReceptorVat.RESPONSABLE_INSCRIPTO) is Letter.A
    assert invoice_letter(issuer, ReceptorVat.MONOTRIBUTO) is Letter.A
    assert invoice_letter(issuer, ReceptorVat.CONSUMIDOR_FINAL) is Letter.B
    assert invoice_letter(issuer, ReceptorVat.EXENTO) is Letter.B


def test_document_type_codes():
    codes = {(kind, letter): document_type(kind, letter) for kind in DocumentKind for letter in Letter}
    assert codes == {
        (DocumentKind.INVOICE, Letter.A): 1, (DocumentKind.INVOICE, Letter.B): 6,
        (DocumentKind.INVOICE, Letter.C): 11,
        (DocumentKind.CREDIT_NOTE, Letter.A): 3, (DocumentKind.CREDIT_NOTE, Letter.B): 8,
        (DocumentKind.CREDIT_NOTE, Letter.C): 13,
        (DocumentKind.DEBIT_NOTE, Letter.A): 2, (DocumentKind.DEBIT_NOTE, Letter.B): 7,
        (DocumentKind.DEBIT_NOTE, Letter.C): 12}


def test_receptor_documents_as_afip_codes_them():
    assert receptor_document("CUIT", "30-71234567-1") == (80, 30712345671)
    assert receptor_document("cuil", "20-12345678-6") == (86, 20123456786)
    assert receptor_document("DNI", "30.123.456") == (96, 30123456)
    for kind, number in (("RUT", "12345678-5"), (None, None), ("DNI", ""), ("DNI", "0")):
        assert receptor_document(kind, number) == (99, 0)


def test_rates_allowed_and_their_afip_ids():
    assert [vat_rate(r) for r in ("21", "10.5", "10,5", "27")] == [Decimal(21), Decimal("10.5"),
                                                                   Decimal("10.5"), Decimal(27)]
    assert [vat_rate_id(r) for r in RATES] == [5, 4, 6]
    for wrong in ("0", "19", "abc", "-21"):
        with pytest.raises(Invalid, match="is not one of: 21, 10.5, 27"):
            vat_rate(wrong)


def test_split_known_values():
    split = split_final_price(Decimal("12100.00"), Decimal(21))
    assert (split.net, split.vat, split.total) == (Decimal("10000.00"), Decimal("2100.00"), Decimal("12100.00"))
    # 100 / 1.21 = 82.6446...: net 82.64, VAT the remaining 17.36 (82.64 x 0.21 = 17.3544)
    split = split_final_price(Decimal("100"), Decimal(21))
    assert (split.net, split.vat) == (Decimal("82.64"), Decimal("17.36"))
    assert split_final_price(Decimal("0.01"), Decimal(27)).net == Decimal("0.01")


def test_split_refuses_what_is_not_a_price():
    with pytest.raises(Invalid, match="more than 2 decimals"):
        split_final_price(Decimal("10.001"), Decimal(21))
    with pytest.raises(Invalid, match="negative"):
        split_final_price(Decimal("-1.00"), Decimal(21))


@given(prices, st.sampled_from(RATES))
def test_split_adds_up_to_the_cent_within_afips_tolerance(total, rate):
    split = split_final_price(total, rate)
    assert split.net + split.vat == total
    assert split.net == split.net.quantize(Decimal("0.01")) and split.vat == split.vat.quantize(Decimal("0.01"))
    assert split.net >= 0 and split.vat >= 0
    assert vat_within_tolerance(split.net, split.vat, rate)
    # the AFIP check as its manual writes it, independently of the helper above
    assert abs(split.net * rate / 100 - split.vat) <= Decimal("0.01")


@given(small_prices, st.sampled_from(RATES))
def test_split_net_is_the_closest_cent(total, rate):
    split = split_final_price(total, rate)
    exact = total * 100 / (100 + rate)
    assert abs(split.net - exact) <= Decimal("0.005")


@given(small_prices, st.sampled_from(RATES), st.sampled_from(list(Letter)))
def test_split_for_letter(total, rate, letter):
    split = split_for_letter(total, rate, letter)
    assert split.net + split.vat == total
    if letter is Letter.C:
        assert (split.net, split.vat, split.rate) == (total, Decimal("0.00"), None)
    else:
        assert split == split_final_price(total, rate)


def test_tolerance_rejects_a_vat_too_far():
    assert not vat_within_tolerance(Decimal("100.00"), Decimal("21.02"), Decimal(21))
    assert vat_within_tolerance(Decimal("100.00"), Decimal("21.01"), Decimal(21))


def decode(url: str) -> dict:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://www.afip.gob.ar/fe/qr/"
    return json.loads(base64.b64decode(parse_qs(parts.query)["p"][0], validate=True))


def test_qr_decodes_to_the_invoice():
    invoice = QrInvoice(issued=date(2026, 11, 30), issuer_cuit=30712345671, point_of_sale=3,
                        document_type=6, number=1234, total=Decimal("18900.50"), cae="76123456789012",
                        receptor_doc_type=96, receptor_doc_number=30123456)
    data = decode(qr_url(invoice))
    assert data == {"ver": 1, "fecha": "2026-11-30", "cuit": 30712345671, "ptoVta": 3, "tipoCmp": 6,
                    "nroCmp": 1234, "importe": 18900.5, "moneda": "PES", "ctz": 1, "tipoDocRec": 96,
                    "nroDocRec": 30123456, "tipoCodAut": "E", "codAut": 76123456789012}
    assert list(data) == list(qr_payload(invoice))


@given(prices)
def test_qr_amount_is_exact(total):
    invoice = QrInvoice(issued=date(2026, 1, 2), issuer_cuit=20123456786, point_of_sale=1, document_type=11,
                        number=1, total=total, cae="70000000000001")
    data = decode(qr_url(invoice))
    assert Decimal(str(data["importe"])) == total
    assert "tipoDocRec" not in data and "nroDocRec" not in data


def test_qr_needs_a_cae_of_14_digits():
    invoice = QrInvoice(issued=date(2026, 1, 2), issuer_cuit=20123456786, point_of_sale=1, document_type=11,
                        number=1, total=Decimal(1), cae="123")
    with pytest.raises(Invalid, match="CAE '123' is not 14 digits"):
        qr_url(invoice)
