"""Service enforcement (N): router work tasks, payment commitments and preaviso bookkeeping.

Tables are created by migrations 0004 and 0019 (adopted objects).
"""

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from ispcube.db.models import Base

_OPEN = text("status = 'open'")


class RouterTask(Base):
    """One change a router must make for one connection; durable until done or expired.

    At most one open task per connection and action (partial unique index), so a task is
    created idempotently however many times a run is interrupted and repeated.
    """
    __tablename__ = "router_tasks"
    __table_args__ = (
        Index("uq_router_tasks_open", "connection_id", "action", unique=True,
              sqlite_where=_OPEN, postgresql_where=_OPEN),
        Index("ix_router_tasks_router_status", "router_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(10))          # enforce | preaviso
    router_id: Mapped[int] = mapped_column(ForeignKey("routers.id"))
    # Kept as history when the connection is deleted (the label says what it was).
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("connections.id", ondelete="SET NULL"))
    target: Mapped[str] = mapped_column(String(160))      # "10.0.0.5 pppoe:ana" at creation
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    action: Mapped[str] = mapped_column(String(12))       # cut | restore | throttle | unthrottle | warn | unwarn
    origin: Mapped[str] = mapped_column(String(10))       # job | manual | commitment | drift
    status: Mapped[str] = mapped_column(String(10), default="open")  # open|done|expired|cancelled
    created_on: Mapped[date] = mapped_column(Date)
    retry_until: Mapped[date] = mapped_column(Date)       # tried on every run up to this day
    created_at: Mapped[datetime] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)


class Commitment(Base):
    """A payment commitment (N5): no automatic cut before due_date; checked on due_date."""
    __tablename__ = "commitments"
    __table_args__ = (
        Index("uq_commitments_open", "client_id", unique=True,
              sqlite_where=_OPEN, postgresql_where=_OPEN),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"))
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open|kept|cut|failed|cleared
    operator: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)


class PreavisoMark(Base):
    """When a client was last put on the warning list (preaviso.every_hours counts from it)."""
    __tablename__ = "preaviso_marks"
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), primary_key=True)
    warned_at: Mapped[datetime] = mapped_column(DateTime)


class AdoptedObject(Base):
    """An object found on a router that ispcube took as its own (S3, S4: `network adopt --apply`),
    without writing to the router: provisioning may change and remove it from then on."""
    __tablename__ = "adopted_objects"
    __table_args__ = (UniqueConstraint("router_id", "kind", "name", name="uq_adopted_objects_router_kind_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    router_id: Mapped[int] = mapped_column(ForeignKey("routers.id"))
    kind: Mapped[str] = mapped_column(String(16))          # domain.provisioning.ObjectKind
    name: Mapped[str] = mapped_column(String(100))
    connection_id: Mapped[int | None] = mapped_column(ForeignKey("connections.id", ondelete="SET NULL"))
    adopted_at: Mapped[datetime] = mapped_column(DateTime)
