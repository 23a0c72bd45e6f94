"""The wanted service state of a client (N6): what the routers should be made to match.

`client.service` is active|cut; `client.service_by` says who decided it: 'job' (enforce),
'manual' (an operator) or None (never changed). Manual states win over the job.
"""

from ispcube.db import models as m
from ispcube.db.uow import UnitOfWork
from ispcube.services import events


def enable(uow: UnitOfWork, rt, client: m.Client, reason: str) -> None:
    """Give the client service back, as an operator's decision (the caller commits)."""
    if client.service == "active" and client.service_by == "manual":
        return
    client.service, client.service_by = "active", "manual"
    events.log(uow, rt, client, "service.enable", f"service enabled: {reason}")
