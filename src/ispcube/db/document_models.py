"""Documents and card payments (D1, D4): operators' template versions and Stripe charge records."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ispcube.db.limits import long_text
from ispcube.db.models import Base
from ispcube.db.types import Money


class DocumentTemplate(Base):
    """One saved version of a template; the newest row of a name is the one in use.

    A row with no body records a reset to the shipped default, so the history says who
    changed which template when.
    """
    __tablename__ = "document_templates"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), index=True)
    body: Mapped[str | None] = mapped_column(Text, info=long_text(512 * 1024))  # as `template set` reads
    saved_at: Mapped[datetime] = mapped_column(DateTime)
    operator: Mapped[str] = mapped_column(String(64))


class StripeCharge(Base):
    """A card charge, written as pending before Stripe is called.

    Its id is the idempotency key sent to Stripe and the `ispcube_charge` metadata of the
    PaymentIntent, so a charge whose answer was lost can be found and finished, never repeated.
    `open_client_id` holds the client id while the charge is pending and is cleared when it
    ends: the unique constraint allows one unfinished charge per client, even under concurrency.
    """
    __tablename__ = "stripe_charges"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    open_client_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(12))      # pending, succeeded, failed
    customer_id: Mapped[str] = mapped_column(String(64))
    payment_method_id: Mapped[str] = mapped_column(String(64))
    payment_intent_id: Mapped[str | None] = mapped_column(String(64))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"), unique=True)
    failure: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    operator: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
