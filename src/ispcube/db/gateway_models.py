"""What the payment gateways leave in the database (G1, G2).

`mercadopago_links`: one Checkout Pro preference per debt. A debt is the client, the amount
and the client's newest ledger entry when the link was made (`after_entry`): while no entry is
posted after it the client owes the same, and the link is reused until it expires; the unique
index makes two `mercadopago link` runs for one debt keep one link.

`gateway_cursors`: how far `payments fetch` has read a gateway's payments (the newest update
time it searched up to, as the gateway writes times). `gateway_unmatched`: the payments a fetch
could not match, asked for again by every later fetch until one posts them (once the client's
data is fixed) or they stop being payable (refunded first).
"""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ispcube.db.models import Base
from ispcube.db.types import Money


class MercadoPagoLink(Base):
    __tablename__ = "mercadopago_links"
    __table_args__ = (Index("uq_mercadopago_links_debt", "client_id", "after_entry", "amount", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    after_entry: Mapped[int] = mapped_column(Integer)         # the client's newest ledger entry id then (0: none)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    preference_id: Mapped[str | None] = mapped_column(String(120))
    link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    operator: Mapped[str] = mapped_column(String(64))


class GatewayCursor(Base):
    __tablename__ = "gateway_cursors"
    source: Mapped[str] = mapped_column(String(20), primary_key=True)
    updated_to: Mapped[str] = mapped_column(String(40))       # ISO 8601 with its offset
    fetched_at: Mapped[datetime] = mapped_column(DateTime)


class GatewayUnmatched(Base):
    __tablename__ = "gateway_unmatched"
    source: Mapped[str] = mapped_column(String(20), primary_key=True)
    payment_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime)
    reason: Mapped[str] = mapped_column(String(300))
