"""The demo's provisioning step (S7): a client who signs up gets, at once, a PPPoE login on the
simulated MikroTik at its plan's speed, as `client add` and `connection add --pppoe-user ...
--plan ... --now` make it: the plan's profile `ispcube-<plan>` with its `rate-limit`, and the
secret on it (the password made and shown once by the command; the demo does not print it)."""

from typing import Iterator

from sqlalchemy import select

from ispcube.db import models as m
from ispcube.services.clients.lifecycle import add_client
from ispcube.services.network.connections import add_connection
from ispcube.services.process.runtime import Runtime
from ispcube.services.provisioning.now import provision_connection

SIGNUP = {"name": "Valentina Quiroga", "address": "Thames 1850"}
PPPOE_USER = "vquiroga"


def provisioned(rt: Runtime, sim, router: str) -> Iterator[str]:
    """A new client on the fastest plan, made on ROUTER (the simulated SIM) at once."""
    with rt.uow() as uow:
        plan = uow.session.scalar(select(m.Plan.name).where(m.Plan.down_kbps.is_not(None), m.Plan.up_kbps.is_not(None))
                                  .order_by(m.Plan.down_kbps.desc(), m.Plan.name).limit(1))
    if plan is None:
        return
    code = add_client(rt, dict(SIGNUP), allow_duplicate=True)["code"]
    with rt.uow() as uow:
        connection = add_connection(uow, rt, code, {"router": router, "pppoe_user": PPPOE_USER, "plan": plan})
    made = provision_connection(rt, connection["id"])
    yield (f"Provisioning: client {code} signs up; `connection add {code} --router {router} --pppoe-user "
           f"{PPPOE_USER} --plan '{plan}' --now` (its PPPoE password made and shown once) makes on the router:")
    for row in made.made:
        yield f"  {row['action']} {row['kind']} '{row['name']}' {row['fields']}"
    rates = {p["name"]: p.get("rate-limit") for p in sim.ppp_profiles()}
    for secret in sim.ppp_secrets():
        if secret["name"] == PPPOE_USER:
            yield (f"  router {made.router} now holds secret '{secret['name']}' on profile '{secret['profile']}' "
                   f"at {rates.get(secret['profile'])} (upload/download): plan '{plan}'")
