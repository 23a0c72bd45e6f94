"""Names the shell completes while a user types (U9): client codes and router names."""

from sqlalchemy import select

from ispcube.db import models as m
from ispcube.db.uow import UnitOfWork

LIMIT = 200     # a TAB lists a screenful, not the 10,000 clients of a large ISP


def client_codes(uow: UnitOfWork, prefix: str) -> list[str]:
    """Codes of the clients not deleted that start with PREFIX."""
    query = (select(m.Client.code).where(m.Client.deleted.is_(False), m.Client.code.startswith(prefix, autoescape=True))
             .order_by(m.Client.code).limit(LIMIT))
    return list(uow.session.scalars(query))


def router_names(uow: UnitOfWork, prefix: str) -> list[str]:
    query = (select(m.Router.name).where(m.Router.name.startswith(prefix, autoescape=True))
             .order_by(m.Router.name).limit(LIMIT))
    return list(uow.session.scalars(query))
