"""What every service call needs: the database, the acting operator and the clock."""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Callable

from sqlalchemy import select
from sqlalchemy.engine import Engine

from ispcube.db.models import Operator
from ispcube.services.table_specs import ROLES
from ispcube.db.uow import UnitOfWork
from ispcube.errors import NotFound



@dataclass(frozen=True)
class Actor:
    name: str
    role: str
    operator_id: int | None
    cash_entity: str | None

    @property
    def collector_id(self) -> int | None:
        """The collector whose clients are the only ones this actor may see, if any."""
        return self.operator_id if self.role == "collector" else None


@dataclass
class Runtime:
    engine: Engine
    operator: str = "system"
    clock: Callable[[], datetime] = field(default=datetime.now)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine)

    def now(self) -> datetime:
        return self.clock().replace(microsecond=0)

    def today(self) -> date:
        return self.clock().date()

    def actor(self, uow: UnitOfWork) -> Actor:
        row = uow.session.scalar(select(Operator).where(Operator.name == self.operator))
        if row is None or not row.active:
            raise NotFound(f"operator '{self.operator}' does not exist or is inactive "
                           "(see `ispcube operator list`)")
        return Actor(name=row.name, role=row.role, operator_id=row.id, cash_entity=row.cash_entity)
