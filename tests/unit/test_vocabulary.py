"""One vocabulary for values that are words, English and Spanish (U2)."""

import pytest

from ispcube.domain import vocabulary
from ispcube.domain.vocabulary import ledger_kind, payment_method, service_state
from ispcube.errors import Invalid


@pytest.mark.parametrize("word, method", [
    ("Efectivo", "cash"), ("TRANSFERENCIA", "transfer"), ("Transferencia bancaria", "transfer"),
    ("Débito automático", "debit"), ("debito-automatico", "debit"), ("Tarjeta de crédito", "card"),
    ("Cheque", "cheque"), ("Mercado Pago", "mercadopago"), ("mercado_pago", "mercadopago"),
    ("Domiciliación bancaria", "sepa"), ("Cobro Digital", "cobrodigital"), ("cash", "cash"), (" Stripe ", "stripe"),
    ("Otro", "other")])
def test_payment_methods_in_either_language(word, method):
    assert payment_method(word) == method == vocabulary.parse_payment_method(word)


def test_an_unknown_payment_method_names_the_choices():
    assert payment_method("bitcoin") is None
    with pytest.raises(Invalid, match=r"--method 'bitcoin' is not one of cash, transfer, card, cheque"):
        vocabulary.parse_payment_method("bitcoin", "--method")


@pytest.mark.parametrize("word, state", [
    ("Activo", "active"), ("ACTIVA", "active"), ("Cortado", "cut"), ("Suspendido", "cut"), ("reducido", "throttled"),
    ("Baja", "deleted"), ("dado de baja", "deleted"), ("cut", "cut"), ("throttled", "throttled")])
def test_service_states_in_either_language(word, state):
    assert service_state(word) == state == vocabulary.parse_service_state(word)


def test_an_unknown_service_state_names_the_choices():
    with pytest.raises(Invalid, match=r"service 'roto' is not active, throttled, cut or deleted \(or activo"):
        vocabulary.parse_service_state("roto")


@pytest.mark.parametrize("word, kind", [
    ("DX", "dx"), ("ND", "dx"), ("N/D", "dx"), ("Nota de débito", "dx"), ("factura", "dx"), ("CX", "cx"),
    ("NC", "cx"), ("n.c.", "cx"), ("Nota de Crédito", "cx"), ("Saldo inicial", "opening"),
    ("opening_balance", "opening"),
    ("Pago", "receipt"), ("payment", "receipt"), ("Anulación", "reversal"), ("xx", None)])
def test_ledger_kinds_with_nd_and_nc(word, kind):
    assert ledger_kind(word) == kind
