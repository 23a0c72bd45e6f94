"""The demo's provisioning step (S7): a client's connection made on the simulated MikroTik at
once, as `connection edit --now` makes it, with its plan's speed."""

from typing import Iterator

from sqlalchemy import select

from ispcube.db import models as m
from ispcube.services.process.runtime import Runtime
from ispcube.services.provisioning.now import provision_connection


def provisioned(rt: Runtime, sim) -> Iterator[str]:
    """The first active client on a plan with an IP-only connection, made on the router."""
    with rt.uow() as uow:
        found = uow.session.execute(
            select(m.Connection.id, m.Client.code, m.Plan.name)
            .join(m.Client, m.Client.id == m.Connection.client_id).join(m.Plan, m.Plan.id == m.Connection.plan_id)
            .where(m.Client.service == "active", m.Client.deleted.is_(False), m.Connection.pppoe_user.is_(None),
                   m.Connection.ip.is_not(None), m.Plan.down_kbps.is_not(None))
            .order_by(m.Client.code).limit(1)).first()
    if found is None:
        return
    connection_id, code, plan = found
    made = provision_connection(rt, connection_id)
    yield f"Provisioning: `connection edit {connection_id} --now` makes client {code}'s connection on the router:"
    for row in made.made:
        yield f"  {row['action']} {row['kind']} '{row['name']}' {row['fields']}"
    for queue in sim.simple_queues():
        if queue.get("comment") == f"ispcube:{code}":
            yield (f"  router {made.router} now holds queue '{queue['name']}' for {queue['target']} at "
                   f"{queue['max-limit']} bit/s (upload/download): plan '{plan}'")
