"""A Mercado Pago payment read as a statement line (G2, G3), and the two rules that match it."""

from datetime import date
from decimal import Decimal

import pytest

from ispcube.services.payments.mercadopago.payments import Skipped, link_of, link_reference, read_payment
from ispcube.services.payments.statements.lines import Line
from ispcube.services.payments.statements.match import Book, LineOutcome, decide


def payment(**changes) -> dict:
    paid = {"id": 1234567890, "status": "approved", "transaction_amount": Decimal("1500.5"), "currency_id": "ARS",
            "date_approved": "2026-12-04T23:30:00.000-03:00", "date_last_updated": "2026-12-05T09:00:00.000-03:00",
            "external_reference": None, "description": "Cuota",
            "payer": {"identification": {"type": "CUIT", "number": "20-20345678-3"}}}
    return {**paid, **changes}


def test_an_approved_payment_is_a_credit_keyed_by_its_id_on_the_payers_day():
    line = read_payment(payment(), "ARS", {})
    assert isinstance(line, Line)
    assert (line.key, line.account, line.reference, line.credit) == ("mercadopago:1234567890", "mercadopago",
                                                                     "1234567890", True)
    assert (line.amount, line.booked, line.id_number) == (Decimal("1500.50"), date(2026, 12, 4), "20203456783")
    assert line.client_code is None and line.payment_method == "mercadopago"
    assert line.text == "Cuota" and line.text_names_client is False    # the payer's words name nobody


def test_the_external_reference_of_a_link_names_its_client():
    reference = link_reference(17, "C-00042")
    assert (reference, link_of(reference), link_of("factura 17"), link_of(None)) == \
        ("ispcube-link:17:C-00042", 17, None, None)
    line = read_payment(payment(external_reference=reference), "ARS", {17: "C-00042"})
    assert isinstance(line, Line) and (line.client_code, line.code_rule) == ("C-00042", "external_reference")


@pytest.mark.parametrize("status", ["refunded", "charged_back"])
def test_a_payment_taken_back_reverses_the_credit_it_was(status):
    line = read_payment(payment(status=status), "ARS", {})
    assert isinstance(line, Line)
    assert (line.key, line.credit, line.reversal, line.names) == ("rvsl:mercadopago:1234567890", False, True,
                                                                  ("1234567890",))
    assert line.booked == date(2026, 12, 5)


@pytest.mark.parametrize("changes, reason", [
    ({"status": "pending"}, "pending: not paid (yet)"),
    ({"status": "rejected"}, "rejected: not paid (yet)"),
    ({"currency_id": "USD"}, "paid in USD; the accounts are in ARS"),
    ({"transaction_amount": Decimal("10.005")}, "amount Decimal('10.005') is not an amount in ARS"),
    ({"transaction_amount": Decimal("-5")}, "amount Decimal('-5') is not an amount in ARS"),
    ({"date_approved": None, "date_last_updated": None}, "no date the payment was made"),
])
def test_what_is_not_posted_says_why(changes, reason):
    assert read_payment(payment(**changes), "ARS", {}) == Skipped("1234567890", changes.get("status", "approved"),
                                                                  reason)


def test_the_link_wins_over_the_payers_id_number_and_an_id_number_names_one_client():
    book = Book(codes={"A1": 1, "B2": 2, "5": 3, "Cuota": 3}, shown={1: "A1", 2: "B2", 3: "C3"},
                id_numbers={"20203456783": [2], "30111222": [1, 3]})
    by_link = read_payment(payment(external_reference=link_reference(5, "A1")), "ARS", {5: "A1"})
    by_id = read_payment(payment(id=2), "ARS", {})
    shared = read_payment(payment(id=3, payer={"identification": {"number": "30.111.222"}}), "ARS", {})
    nobody = read_payment(payment(id=4, payer={"identification": {"number": "99"}}), "ARS", {})
    assert all(isinstance(line, Line) for line in (by_link, by_id, shared, nobody))
    decisions = decide([by_link, by_id, shared, nobody], book)       # type: ignore[list-item]
    assert [(d.outcome, d.client_id, d.matched_by) for d in decisions[:2]] == \
        [(LineOutcome.RECEIPT, 1, "external_reference"), (LineOutcome.RECEIPT, 2, "id_number")]
    assert (decisions[2].outcome, decisions[2].reason) == (LineOutcome.AMBIGUOUS,
                                                           "the ID number 30111222 names several clients (A1, C3)")
    assert (decisions[3].outcome, decisions[3].reason) == (LineOutcome.UNMATCHED,
                                                           "no client has ID number 99")
