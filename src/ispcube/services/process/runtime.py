"""What every service call needs: the database, the acting operator and the clock.

Kept free of the ORM (start-up time, P6): the unit of work is imported when first used and
the acting operator is read with SQLAlchemy Core.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Callable, Iterator

from sqlalchemy import Boolean, Integer, String, column, select, table
from sqlalchemy.engine import Engine

from ispcube.domain.roles import Role
from ispcube.domain.text import quoted
from ispcube.errors import NotFound, Refused

if TYPE_CHECKING:
    from ispcube.db.uow import UnitOfWork
    from ispcube.domain.local_formats import LocalFormats

OPERATORS = table("operators", column("id", Integer()), column("name", String()),
                  column("role", String()), column("cash_entity", String()),
                  column("active", Boolean()))


@dataclass(frozen=True)
class Actor:
    name: str
    role: Role
    operator_id: int | None
    cash_entity: str | None

    @property
    def collector_id(self) -> int | None:
        """The collector whose clients are the only ones this actor may see, if any."""
        return self.operator_id if self.role == Role.COLLECTOR else None


# Who may change what every client depends on (maintenance tables, routers, settings,
# templates), run the jobs over every client (billing, enforce, preaviso) or write the whole
# base (imports, web password files): not collectors and sellers, who act on their own
# clients only (A3, R11).
OFFICE = (Role.ADMIN, Role.OPERATOR)


def require_office(actor: Actor, what: str) -> None:
    if actor.role not in OFFICE:
        raise Refused(f"operator '{actor.name}' is a {actor.role}: only an admin or an operator may {what}")


def load_actor(executor, name: str) -> Actor:
    """The operator NAME, read through EXECUTOR (a Core connection or an ORM session)."""
    o = OPERATORS.c
    row = executor.execute(select(o.id, o.name, o.role, o.cash_entity, o.active)
                           .where(o.name == name)).first()
    if row is None or not row.active:
        raise NotFound(f"operator {quoted(name)} does not exist or is inactive "
                       "(see `ispcube operator list`)")
    return Actor(name=row.name, role=Role(row.role), operator_id=row.id, cash_entity=row.cash_entity)


@dataclass
class Runtime:
    engine: Engine
    operator: str = "system"
    clock: Callable[[], datetime] = field(default=datetime.now)
    _formats: "LocalFormats | None" = field(default=None, init=False, repr=False)

    def uow(self) -> "UnitOfWork":
        from ispcube.db.uow import UnitOfWork
        return UnitOfWork(self.engine)

    def now(self) -> datetime:
        return self.clock().replace(microsecond=0)

    def today(self) -> date:
        return self.clock().date()

    def local_formats(self) -> "LocalFormats":
        """How this ISP writes amounts and dates (settings locale.*), read once per command."""
        if self._formats is None:
            from ispcube.services.admin.config import local_formats
            with self.uow() as uow:
                self._formats = local_formats(uow.session)
        return self._formats

    def actor(self, uow: "UnitOfWork") -> Actor:
        return load_actor(uow.session, self.operator)

    def check_office(self, what: str) -> None:
        """Refuse, before anything is read or written, an actor outside OFFICE."""
        with self.uow() as uow:
            require_office(self.actor(uow), what)

    @contextmanager
    def office_uow(self, what: str) -> Iterator["UnitOfWork"]:
        """A unit of work for a change only an admin or an operator may make (OFFICE)."""
        with self.uow() as uow:
            require_office(self.actor(uow), what)
            yield uow
