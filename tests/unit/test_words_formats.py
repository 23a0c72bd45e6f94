"""How documents write amounts, dates and speeds (Spanish conventions), and the shipped templates."""

from datetime import date, datetime
from decimal import Decimal
import re

import pytest

from ispcube.services.documents.context import sample_context, speed
from ispcube.services.documents.templates import DOCUMENTS, format_date, format_money, render_html


@pytest.mark.parametrize("value, currency, text", [
    (Decimal("1234.5"), "ARS", "1.234,50"), (Decimal("-200"), "EUR", "-200,00"),
    (Decimal("0"), "ARS", "0,00"), (Decimal("1234567.89"), "ARS", "1.234.567,89"),
    (Decimal("15000"), "CLP", "15.000"), (None, "ARS", ""),
])
def test_money(value, currency, text):
    assert format_money(value, currency) == text


@pytest.mark.parametrize("value, text", [
    (date(2026, 4, 2), "02/04/2026"), ("2026-12-31", "31/12/2026"),
    (datetime(2026, 1, 5, 10, 30), "05/01/2026"), (None, ""),
])
def test_dates(value, text):
    assert format_date(value) == text


@pytest.mark.parametrize("kbps, text", [(512, "512 kbit/s"), (1500, "1,5 Mbit/s"), (20000, "20 Mbit/s"),
                                        (None, None)])
def test_speed(kbps, text):
    assert speed(kbps) == text


FETCHED_FROM_NETWORK = re.compile(r"""(\bsrc\s*=\s*["']?|url\(\s*["']?|@import\s+["']?"""
                                  r"""|<link\b[^>]*\bhref\s*=\s*["']?)(https?:)?//""", re.IGNORECASE)


@pytest.mark.parametrize("document", DOCUMENTS)
def test_shipped_templates_render_their_sample(document):
    html = render_html({}, document, sample_context(document))
    assert "Red Sur S.R.L." in html and "30-71234567-9" in html
    assert "<script" not in html
    # Nothing a renderer would fetch from the network (a link the reader may follow is no fetch:
    # an invoice carries its payment link).
    assert not FETCHED_FROM_NETWORK.search(html)


def test_sample_receipt_escapes_and_words():
    context = sample_context("receipt")
    context["client"]["name"] = "<b>Pérez & Hijos</b>"
    html = render_html({}, "receipt", context)
    assert "&lt;b&gt;Pérez &amp; Hijos&lt;/b&gt;" in html and "<b>Pérez" not in html
    assert "cuatro mil setecientos treinta y cuatro con 50/100" in html
