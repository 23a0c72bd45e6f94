"""Collections (K3): a direct-debit batch as sent to the bank, and one item per client.

An item is `pending` from the moment its file is written until the bank's answer settles it:
`paid` (a receipt is posted, `entry_id`) or `rejected` (with the bank's reason code). A
client with a pending item is never put in another batch, so nothing is collected twice; the
database itself refuses a second pending item for a client (partial unique index).
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from ispcube.db.models import Base
from ispcube.db.types import Money


class CollectionBatch(Base):
    __tablename__ = "collection_batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))                   # sepa
    message_id: Mapped[str] = mapped_column(String(35), unique=True)
    pain: Mapped[str] = mapped_column(String(16))                   # 008.001.02 | 008.001.08
    collection_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    operator: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str | None] = mapped_column(String(500))
    total: Mapped[Decimal] = mapped_column(Money)
    items: Mapped[int] = mapped_column(Integer)


class CollectionItem(Base):
    __tablename__ = "collection_items"
    __table_args__ = (
        Index("uq_collection_items_pending", "client_id", unique=True,
              sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("collection_batches.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    end_to_end_id: Mapped[str] = mapped_column(String(35), unique=True)
    sequence: Mapped[str] = mapped_column(String(4))                # FRST | RCUR
    mandate_ref: Mapped[str] = mapped_column(String(35), index=True)
    iban: Mapped[str] = mapped_column(String(34))
    status: Mapped[str] = mapped_column(String(10), index=True)     # pending | paid | rejected
    reason: Mapped[str | None] = mapped_column(String(200))
    settled_at: Mapped[datetime | None] = mapped_column(DateTime)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
