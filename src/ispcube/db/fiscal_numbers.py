"""The fiscal documents of many ledger entries at once (I8), for a join, not a query per row.

Every listing, receipt and export that names ledger entries outer-joins this subquery on
`entry_id` and passes its columns to `domain.fiscal.shown_document` (the label a person reads)
and `authority_number` (the export's `fiscal_number` column). One row per entry that has a
fiscal document (an invoice, or the credit or debit note of a reversal or an adjustment).
"""

from sqlalchemy import Subquery, select

from ispcube.db.fiscal_models import FiscalDocument


def fiscal_by_entry(name: str = "fiscal") -> Subquery:
    """Subquery (entry_id, status, letter, point_of_sale, number, cae, kind) of every fiscal document."""
    return (select(FiscalDocument.entry_id, FiscalDocument.status, FiscalDocument.letter,
                   FiscalDocument.point_of_sale, FiscalDocument.number, FiscalDocument.cae, FiscalDocument.kind)
            .subquery(name))
