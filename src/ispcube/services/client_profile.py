"""What an operator reads about one client: profile, connections, notes, log (C2, C6)."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from ispcube.db import models as m
from ispcube.services import events
from ispcube.services.clients import find_client, show_client
from ispcube.services.runtime import Runtime


def profile(rt: Runtime, code: str) -> dict[str, Any]:
    with rt.uow() as uow:
        actor = rt.actor(uow)
        shown = show_client(uow, code, actor)
        client = find_client(uow, code, actor)
        shown["connections"] = connections_of(uow, client.id)
        shown["last_notes"] = events.notes(uow, client, limit=3)
        return shown


def connections_of(uow, client_id: int) -> list[dict[str, Any]]:
    panel = aliased(m.Router)
    rows = uow.session.execute(
        select(m.Connection, m.Router.name, m.Plan.name, panel.name)
        .join(m.Router, m.Router.id == m.Connection.router_id)
        .outerjoin(m.Plan, m.Plan.id == m.Connection.plan_id)
        .outerjoin(panel, panel.id == m.Connection.panel_router_id)
        .where(m.Connection.client_id == client_id).order_by(m.Connection.id))
    return [{"router": router, "ip": c.ip, "mac": c.mac, "pppoe_user": c.pppoe_user, "plan": plan,
             "cpe_kind": c.cpe_kind, "panel": panel_name} for c, router, plan, panel_name in rows]


def log(rt: Runtime, code: str) -> list[dict[str, Any]]:
    with rt.uow() as uow:
        return events.client_log(uow, find_client(uow, code, rt.actor(uow)))


def add_note(rt: Runtime, code: str, text: str) -> dict[str, Any]:
    with rt.uow() as uow:
        return events.add_note(uow, rt, find_client(uow, code, rt.actor(uow)), text)


def notes(rt: Runtime, code: str) -> list[dict[str, Any]]:
    with rt.uow() as uow:
        return events.notes(uow, find_client(uow, code, rt.actor(uow)))
