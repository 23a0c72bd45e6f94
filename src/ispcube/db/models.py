"""SQLAlchemy models. The schema itself is created by the Alembic migrations."""

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ispcube.db.limits import long_text
from ispcube.db.types import Money

# The most a typed text may hold where the column itself sets no length (see db/limits.py).
NOTE_LENGTH = 10_000
LIST_LENGTH = 1_000


class Base(DeclarativeBase):
    # Every model maps one Table; said here so Core statements on `Model.__table__` type-check.
    __table__: ClassVar[Table]


class Setting(Base):
    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, info=long_text(NOTE_LENGTH))


class Sequence(Base):
    """Counters for generated numbers (client codes, receipt numbers...)."""
    __tablename__ = "sequences"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Operator(Base):
    __tablename__ = "operators"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    cash_entity: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class PostalCode(Base):
    __tablename__ = "postal_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    locality: Mapped[str] = mapped_column(String(200))


class Status(Base):
    __tablename__ = "statuses"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str | None] = mapped_column(String(200))


class Company(Base):
    __tablename__ = "companies"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(200))
    tax_id: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(60))
    email: Mapped[str | None] = mapped_column(String(200))
    logo_path: Mapped[str | None] = mapped_column(String(500))
    vat_condition: Mapped[str | None] = mapped_column(String(24))      # tax.CompanyVat; None: inscripto
    point_of_sale: Mapped[int | None] = mapped_column(Integer)         # AFIP's electronic point of sale
    activity_start: Mapped[date | None] = mapped_column(Date)
    gross_income: Mapped[str | None] = mapped_column(String(40))
    afip_cert: Mapped[str | None] = mapped_column(String(500))         # PEM file paths, never printed
    afip_key: Mapped[str | None] = mapped_column(String(500))


class Plan(Base):
    __tablename__ = "plans"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    price: Mapped[Decimal] = mapped_column(Money)
    down_kbps: Mapped[int | None] = mapped_column(Integer)
    up_kbps: Mapped[int | None] = mapped_column(Integer)
    vat_rate: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))     # None: setting tax.vat_rate
    burst_down_kbps: Mapped[int | None] = mapped_column(Integer)        # S1: optional burst
    burst_up_kbps: Mapped[int | None] = mapped_column(Integer)
    burst_seconds: Mapped[int | None] = mapped_column(Integer)


class Node(Base):
    __tablename__ = "nodes"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    radius_m: Mapped[int | None] = mapped_column(Integer)


class Router(Base):
    """A NAS: a MikroTik reached over its API, or a RADIUS-managed NAS."""
    __tablename__ = "routers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int | None] = mapped_column(Integer)
    api_ssl: Mapped[bool] = mapped_column(Boolean, default=False)
    username: Mapped[str | None] = mapped_column(String(100))
    secret: Mapped[str | None] = mapped_column(String(255))
    coa_port: Mapped[int | None] = mapped_column(Integer)
    node_id: Mapped[int | None] = mapped_column(ForeignKey("nodes.id"))
    radius_db_url: Mapped[str | None] = mapped_column(String(500))  # FreeRADIUS tables; None: ours


class Client(Base):
    __tablename__ = "clients"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    nickname: Mapped[str | None] = mapped_column(String(200))
    fiscal_address: Mapped[str | None] = mapped_column(String(300))
    address: Mapped[str | None] = mapped_column(String(300))
    address_key: Mapped[str] = mapped_column(String(400), index=True, default="")
    client_type: Mapped[str | None] = mapped_column(String(60))
    id_type: Mapped[str | None] = mapped_column(String(20))
    id_number: Mapped[str | None] = mapped_column(String(40))
    id_key: Mapped[str | None] = mapped_column(String(40), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    street1: Mapped[str | None] = mapped_column(String(200))
    street2: Mapped[str | None] = mapped_column(String(200))
    postal_code_id: Mapped[int | None] = mapped_column(ForeignKey("postal_codes.id"), index=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    coords_source: Mapped[str | None] = mapped_column(String(8))  # 'hand' or 'geocoded'
    signup_date: Mapped[date | None] = mapped_column(Date)
    extra1: Mapped[str | None] = mapped_column(String(200))
    extra2: Mapped[str | None] = mapped_column(String(200))
    phones: Mapped[str] = mapped_column(Text, default="", info=long_text(LIST_LENGTH))
    emails: Mapped[str] = mapped_column(Text, default="", info=long_text(LIST_LENGTH))
    contact: Mapped[str | None] = mapped_column(String(200))
    epayment_code: Mapped[str | None] = mapped_column(String(60), unique=True)
    status_id: Mapped[int | None] = mapped_column(ForeignKey("statuses.id"), index=True)
    payment_method: Mapped[str | None] = mapped_column(String(30))
    collector_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"), index=True)
    seller_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"))
    node_id: Mapped[int | None] = mapped_column(ForeignKey("nodes.id"), index=True)
    contract: Mapped[bool] = mapped_column(Boolean, default=False)
    contract_type: Mapped[int | None] = mapped_column(Integer)
    contract_expiry: Mapped[date | None] = mapped_column(Date)
    free: Mapped[bool] = mapped_column(Boolean, default=False)
    blockable: Mapped[bool] = mapped_column(Boolean, default=True)
    preaviso: Mapped[bool] = mapped_column(Boolean, default=True)
    preaviso_from: Mapped[int | None] = mapped_column(Integer)
    preaviso_to: Mapped[int | None] = mapped_column(Integer)
    activity: Mapped[str | None] = mapped_column(String(200))
    vat_condition: Mapped[int] = mapped_column(Integer, default=5, server_default="5")  # tax.ReceptorVat
    webpass_hash: Mapped[str | None] = mapped_column(String(200))
    tickets_blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    tickets_message: Mapped[str | None] = mapped_column(String(500))
    balance: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    service: Mapped[str] = mapped_column(String(12), default="active")   # active | throttled | cut
    service_by: Mapped[str | None] = mapped_column(String(8))
    deleted: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    previous_code: Mapped[str | None] = mapped_column(String(40))
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    # Card payments (D4, migration 0005): the Stripe customer and saved card, never the card number.
    stripe_customer_id: Mapped[str | None] = mapped_column(String(64))
    stripe_payment_method_id: Mapped[str | None] = mapped_column(String(64))
    card_brand: Mapped[str | None] = mapped_column(String(20))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    card_expiry: Mapped[str | None] = mapped_column(String(7))  # YYYY-MM
    # Bank details for collections (K1, migration 0008): electronic forms, as files carry them.
    iban: Mapped[str | None] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))
    account_holder: Mapped[str | None] = mapped_column(String(70))
    mandate_ref: Mapped[str | None] = mapped_column(String(35), unique=True)
    mandate_date: Mapped[date | None] = mapped_column(Date)
    cbu: Mapped[str | None] = mapped_column(String(22))


class Connection(Base):
    __tablename__ = "connections"
    __table_args__ = (UniqueConstraint("router_id", "ip", name="uq_connections_router_ip"),
                      Index("uq_connections_router_pppoe", "router_id", "pppoe_user", unique=True))
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    router_id: Mapped[int] = mapped_column(ForeignKey("routers.id"), index=True)
    ip: Mapped[str | None] = mapped_column(String(45))
    mac: Mapped[str | None] = mapped_column(String(17))
    pppoe_user: Mapped[str | None] = mapped_column(String(100))
    # S1: the PPPoE password ispcube provisions; stored like the routers' secrets, never printed
    pppoe_password: Mapped[str | None] = mapped_column(String(100))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"))
    cpe_kind: Mapped[str | None] = mapped_column(String(30))
    panel_router_id: Mapped[int | None] = mapped_column(ForeignKey("routers.id"))


class ClientNote(Base):
    __tablename__ = "client_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    author: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text, info=long_text(NOTE_LENGTH))


class ClientEvent(Base):
    """The client log: every change to a client, its account or its service."""
    __tablename__ = "client_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    operator: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
