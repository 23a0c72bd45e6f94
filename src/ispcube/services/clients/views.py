"""How a client is shown, over the mapped tables: the record of clients/record.py, which
the listings filter with ORM expressions (`m.Client.deleted`, `COLLECTOR.name`...)."""

from sqlalchemy import Select, inspect
from sqlalchemy.orm import aliased

from ispcube.db import models as m
from ispcube.services.clients.record import RecordTables, client_dict, record_select  # noqa: F401

COLLECTOR = aliased(m.Operator, name="collector")
SELLER = aliased(m.Operator, name="seller")

_MAPPED = RecordTables(m.Client.__table__, m.PostalCode.__table__, m.Status.__table__,
                       m.Company.__table__, inspect(COLLECTOR).selectable,
                       inspect(SELLER).selectable, m.Plan.__table__, m.Node.__table__)


def view_select() -> Select:
    """One query for the client and every name it refers to (no per-client lookups)."""
    return record_select(_MAPPED)
