"""The pain.008 file is checked against the ISO 20022 schema before anyone may write it (K3)."""

from datetime import date
from decimal import Decimal

import pytest

from ispcube.adapters.sepa_file import Creditor, Debit, _validate, debit_file
from ispcube.errors import Invalid

CREDITOR = Creditor("Fibra del Sur S.L.", "ES7921000813610123456789", "CAIXESBBXXX", "DE98ZZZ09999999999")
DEBIT = Debit("ISPCUBE-1-1", "Lucía Gómez", "ES9121000418450200051332", None, Decimal("30.50"), "FRST",
              "MAND-S1", date(2025, 6, 1), "S1 Fibra del Sur")


@pytest.mark.parametrize("pain", ["008.001.02", "008.001.08"])
def test_a_built_file_passes_its_schema(pain):
    message_id, document = debit_file(CREDITOR, [DEBIT], date(2026, 12, 5), pain)
    assert message_id and b"<MndtId>MAND-S1</MndtId>" in document


@pytest.mark.parametrize("pain", ["008.001.02", "008.001.08"])
def test_a_file_that_breaks_the_schema_is_refused(pain):
    _, document = debit_file(CREDITOR, [DEBIT], date(2026, 12, 5), pain)
    for broken in (document.replace(b"<MndtId>MAND-S1</MndtId>", b"<MndtId></MndtId>"),
                   document.replace(b"Ccy=\"EUR\">30.50<", b"Ccy=\"EUR\">-30.50<"),
                   document.replace(b"<SeqTp>FRST</SeqTp>", b"<SeqTp>ONCE</SeqTp>")):
        assert broken != document
        with pytest.raises(Invalid, match=f"does not validate against pain.{pain}"):
            _validate(broken, pain)
