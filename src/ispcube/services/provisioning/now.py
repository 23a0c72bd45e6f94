"""`connection add|edit --now` (S2): one connection's objects made on its router at once.

After the change committed (its task written with it), the connection's router is locked as
`provision` locks it, read once, and only this connection's objects (and the profile its
secret uses) are made or changed; nothing else on the router is touched or removed (what the
connection left elsewhere is `provision`'s). A router that cannot be reached, or stays busy,
leaves the task open: `ispcube provision` makes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ispcube.db import models as m
from ispcube.errors import NotFound
from ispcube.services.enforcement.outcomes import Applied, RouterStatus
from ispcube.services.process.runtime import Runtime
from ispcube.services.provisioning.lines import sharing
from ispcube.services.provisioning.outcomes import OpRow
from ispcube.services.provisioning.router_work import apply, busy, driver_of, only_connection, provisions, unit_locked


@dataclass
class Now:
    """How a connection's objects went on its router."""
    router: str
    status: Applied
    made: list[OpRow] = field(default_factory=list)
    error: str | None = None       # why it is queued


def provision_connection(rt: Runtime, connection_id: int, wait_s: float | None = None) -> Now:
    with rt.uow() as uow:
        conn = uow.session.get(m.Connection, connection_id)
        if conn is None:
            raise NotFound(f"connection '{connection_id}' does not exist")
        router = uow.session.get_one(m.Router, conn.router_id)
        unit = sharing(uow, router, rt.engine.url.render_as_string(hide_password=False))
    if not provisions(unit.router.kind):
        return Now(unit.router.name, Applied.QUEUED, error=f"a {unit.router.kind} router is not provisioned")
    with unit_locked(rt.engine, unit.ids, wait_s) as held:
        if held:
            outcome = apply(rt, unit, driver_of(rt, unit), only_connection(connection_id),
                            remove_unwanted=False, connection_id=connection_id)
        else:
            outcome = busy(rt, unit, connection_id)
    if outcome.status == RouterStatus.OK:
        return Now(outcome.router, Applied.DONE, outcome.changes)
    return Now(outcome.router, Applied.QUEUED, [c for c in outcome.changes if c["error"] is None], outcome.error)
