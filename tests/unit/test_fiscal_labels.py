"""How an entry with a fiscal document is named to a person (I8): `domain.fiscal.shown_document`
and the number an export's `fiscal_number` column holds (`authority_number`)."""

import pytest

from ispcube.domain.fiscal import authority_number, shown_document


@pytest.mark.parametrize(("status", "number", "shown", "authority"), [
    ("authorized", 125, "invoice 1-15 (B 00003-00000125)", "B 00003-00000125"),
    ("draft", None, "invoice 1-15 (draft, not yet fiscal)", None),
    ("in-flight", 126, "invoice 1-15 (draft, not yet fiscal)", None),   # numbered, but AFIP has not answered
    ("void", None, "invoice 1-15 (void, never fiscal)", None),
    ("internal", 15, "invoice 1-15", None),                             # the `none` driver: as before
    (None, None, "invoice 1-15", None),                                  # no fiscal document
])
def test_the_label_and_the_authority_number_follow_the_status(status, number, shown, authority):
    letter = "B" if status else None
    assert shown_document("invoice 1-15", status, letter, 3 if status else None, number) == shown
    assert authority_number(status, letter, 3 if status else None, number) == authority


@pytest.mark.parametrize(("kind", "authority"), [
    ("invoice", "B 00003-00000001"), ("credit-note", "NC B 00003-00000001"), ("debit-note", "ND B 00003-00000001"),
])
def test_a_note_is_told_from_the_invoice_of_the_same_number(kind, authority):
    # AFIP numbers each kind of document apart: an invoice and a credit note can share a number.
    assert authority_number("authorized", "B", 3, 1, kind) == authority
    assert shown_document("reversal 5", "authorized", "B", 3, 1, kind) == f"reversal 5 ({authority})"
