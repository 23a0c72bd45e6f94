"""The notice outbox (E4, E5, R16): one row per e-mail a client is owed.

A row is written in the same transaction as the change it tells of (a cut, a restore, a
throttle, a preaviso warning) or, for reminders, by `notify` itself; `notify` sends the
pending ones and records each as `sent` only after the mail server accepted it. Statuses:
pending, sent, expired (not sent within the retry window), no_email (the client has no
address), rejected (the server refused the address for good). `once_key`, when set, makes
a notice that must exist at most once (a reminder per invoice, a preaviso warning per month,
an invoice's e-mail); `entry_id` names the invoice an `invoice` notice carries as a PDF (I7).
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ispcube.db.models import Base
from ispcube.db.types import Money


class Notice(Base):
    __tablename__ = "notices"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))                   # throttled | cut | restored | ...
    status: Mapped[str] = mapped_column(String(10), index=True)     # pending | sent | expired | ...
    amount: Mapped[Decimal | None] = mapped_column(Money)           # what the client owed then
    next_step: Mapped[str | None] = mapped_column(String(16))       # throttle | cut | due
    next_on: Mapped[date | None] = mapped_column(Date)
    once_key: Mapped[str | None] = mapped_column(String(60), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    recipients: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    entry_id: Mapped[int | None] = mapped_column(Integer)          # an invoice notice: its ledger entry
