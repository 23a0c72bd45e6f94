"""Fiscal documents (I3, I5, I8): what the tax authority sees of each invoice.

One row beside an invoice's ledger entry (which is never updated): its letter and AFIP
document type, the final price split into net and VAT, the receptor as AFIP names it, and the
fiscal number with its state. With the `none` fiscal driver the number is the internal one
(status `internal`); with `afip` an invoice starts as a `draft` with no number, is marked
`in-flight` with its number (committed) before the request that asks its CAE, and ends
`authorized` with the CAE, or back to `draft` with AFIP's refusal. A draft whose invoice was
annulled before it was numbered is `void`; an authorized one is cancelled by a credit note
(`kind` credit-note, `associated_id` the invoice's document). The unique constraint on
(company, point of sale, type, number) is the last guard against two documents under one number.
An open document that waited longer than `fiscal.retry_days` for its CAE is logged on its client
once: `overdue_logged` holds the day. `issuer` and `receptor` hold both parties' fiscal data
as they were when the document got its number (JSON, services/fiscal/parties.py): a fiscal
document prints what was true when it was issued, whatever the company or client say later.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ispcube.db.limits import long_text
from ispcube.db.models import NOTE_LENGTH, Base
from ispcube.db.types import Money


class FiscalDocument(Base):
    __tablename__ = "fiscal_documents"
    __table_args__ = (
        UniqueConstraint("company_id", "point_of_sale", "document_type", "number", name="uq_fiscal_number"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    kind: Mapped[str] = mapped_column(String(12))               # tax.DocumentKind
    letter: Mapped[str] = mapped_column(String(1))              # tax.Letter
    document_type: Mapped[int] = mapped_column(Integer)         # AFIP's CbteTipo
    status: Mapped[str] = mapped_column(String(10), index=True)  # fiscal.FiscalStatus
    point_of_sale: Mapped[int | None] = mapped_column(Integer)
    number: Mapped[int | None] = mapped_column(Integer)
    issued: Mapped[date | None] = mapped_column(Date)
    service_from: Mapped[date | None] = mapped_column(Date)
    service_to: Mapped[date | None] = mapped_column(Date)
    payment_due: Mapped[date | None] = mapped_column(Date)
    total: Mapped[Decimal] = mapped_column(Money)
    net: Mapped[Decimal] = mapped_column(Money)
    vat: Mapped[Decimal] = mapped_column(Money)
    vat_rate: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))   # the plans' (letter C: not charged)
    receptor_vat: Mapped[int] = mapped_column(Integer)          # tax.ReceptorVat
    receptor_doc_type: Mapped[int] = mapped_column(Integer)
    receptor_doc_number: Mapped[int] = mapped_column(BigInteger)
    cae: Mapped[str | None] = mapped_column(String(14))
    cae_due: Mapped[date | None] = mapped_column(Date)
    refusal: Mapped[str | None] = mapped_column(Text, info=long_text(NOTE_LENGTH))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(String(300))
    authorized_at: Mapped[datetime | None] = mapped_column(DateTime)
    associated_id: Mapped[int | None] = mapped_column(Integer)    # a note: the document it cancels (I6)
    overdue_logged: Mapped[date | None] = mapped_column(Date)     # the day a run logged it waiting too long (I4)
    issuer: Mapped[str | None] = mapped_column(Text)              # the company's fiscal data when issued (I2)
    receptor: Mapped[str | None] = mapped_column(Text)            # the client's fiscal data when issued (I2)
