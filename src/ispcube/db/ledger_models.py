"""The running account (L1): immutable ledger entries and the cheques of receipts.

`amount` is the entry's effect on the balance: positive raises what the client owes
(invoice, DX), negative lowers it (CX, receipt); a reversal carries the opposite of the entry
it annuls; an opening balance (brought over from another system by `ledger import`) carries
the balance as it stood there, negative when in the client's favour. Balance = SUM(amount).
An imported entry keeps the reference it had in its file (`import_ref`): a unique index on
(client_id, import_ref) lets the database itself refuse importing a line twice.

Rows are inserted, never updated or deleted: migration 0002 installs triggers that refuse
UPDATE and DELETE on both backends.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from ispcube.db.limits import long_text
from ispcube.db.models import NOTE_LENGTH, Base
from ispcube.db.types import Money
from ispcube.domain.ledger import EntryKind

ENTRY_KINDS = tuple(EntryKind)
IMPORT_REF_LENGTH = 100


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("series", "number", name="uq_ledger_series_number"),
        UniqueConstraint("client_id", "period", name="uq_ledger_invoice_period"),
        Index("uq_ledger_import_ref", "client_id", "import_ref", unique=True),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    series: Mapped[str] = mapped_column(String(20))     # numbering series: kind, or invoice-<company>
    number: Mapped[int] = mapped_column(Integer)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    entry_date: Mapped[date] = mapped_column(Date, index=True)
    due_date: Mapped[date | None] = mapped_column(Date, index=True)  # invoices and their reversals
    period: Mapped[str | None] = mapped_column(String(7))  # invoices only: YYYY-MM, one per client
    amount: Mapped[Decimal] = mapped_column(Money)
    operator: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str | None] = mapped_column(Text, info=long_text(NOTE_LENGTH))
    cash_entity: Mapped[str | None] = mapped_column(String(64))
    payment_method: Mapped[str | None] = mapped_column(String(30))
    cash_amount: Mapped[Decimal | None] = mapped_column(Money)  # receipts: the part paid in cash
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"), unique=True)
    import_ref: Mapped[str | None] = mapped_column(String(IMPORT_REF_LENGTH))   # imported entries only
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class Cheque(Base):
    __tablename__ = "cheques"
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    bank: Mapped[str] = mapped_column(String(100))
    number: Mapped[str] = mapped_column(String(40))
    amount: Mapped[Decimal] = mapped_column(Money)
    deposit_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    status_at: Mapped[datetime | None] = mapped_column(DateTime)
    rejection_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
