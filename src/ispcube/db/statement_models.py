"""Bank statements and payment files imported (K5, R15).

`bank_transactions` holds one row per transaction of a statement or payment file that was
acted on: a credit posted as a receipt, a returned direct debit, a credit that settled an
item already taken as paid by `collect settle`, or a reversal of a credit (charged back; its
`reverses_key` names the credit, unique: a credit is reversed once). Its `key` is the
transaction's stable identity where it was booked (`account`, the bank's reference; see
services/payments/statements/lines.py) under a unique index: a transaction is acted on at
most once, whatever the files, their overlap or the number of processes importing them.
Unmatched credits are not kept, so a later import matches them once the client's data is fixed.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ispcube.db.models import Base
from ispcube.db.types import Money


class PaymentImport(Base):
    __tablename__ = "payment_imports"
    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str] = mapped_column(String(500))
    file_format: Mapped[str] = mapped_column(String(20))      # csv | xlsx | camt053 | mt940 | mercadopago
    imported_at: Mapped[datetime] = mapped_column(DateTime)
    operator: Mapped[str] = mapped_column(String(64))
    posted: Mapped[int] = mapped_column(Integer)
    returned: Mapped[int] = mapped_column(Integer)
    total: Mapped[Decimal] = mapped_column(Money)


class BankTransaction(Base):
    __tablename__ = "bank_transactions"
    __table_args__ = (Index("uq_bank_transactions_reverses", "reverses_key", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("payment_imports.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))             # receipt | return | settled | reversal
    booked: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)             # as the bank moved it: credits positive
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("collection_items.id"), index=True)
    matched_by: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str | None] = mapped_column(String(140))
    account: Mapped[str | None] = mapped_column(String(70))    # the statement's account, a file's source
    reverses_key: Mapped[str | None] = mapped_column(String(255))
