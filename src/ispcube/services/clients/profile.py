"""What an operator reads about one client: profile, connections, notes, log (C2, C6).

`profile` (what `client show` prints) runs on SQLAlchemy Core with lightweight tables, so the
command never imports the ORM (start-up time, P6); the other functions use the ORM services.
"""

from typing import TYPE_CHECKING, Any, TypedDict

from sqlalchemy import Date, DateTime, Integer, String, select

from ispcube.db.commitments import is_open
from ispcube.domain.text import quoted
from ispcube.errors import NotFound
from ispcube.services.clients.record import CLIENTS, PLANS, client_dict, light_table, record_select
from ispcube.services.process.runtime import Runtime, load_actor

if TYPE_CHECKING:     # the ORM's module: `client show` never imports it (start-up time)
    from ispcube.services.clients.log import LogRow, Note

CONNECTIONS = light_table("connections", ("id", Integer()), ("client_id", Integer()),
                          ("router_id", Integer()), ("ip", String()), ("mac", String()),
                          ("pppoe_user", String()), ("plan_id", Integer()), ("cpe_kind", String()),
                          ("panel_router_id", Integer()))
ROUTERS = light_table("routers", ("id", Integer()), ("name", String()))
COMMITMENTS = light_table("commitments", ("client_id", Integer()), ("due_date", Date()),
                          ("status", String()))
NOTES = light_table("client_notes", ("id", Integer()), ("client_id", Integer()), ("at", DateTime()),
                    ("author", String()), ("text", String()))


class ConnectionOfClient(TypedDict):
    """A connection as a client's profile shows it."""
    router: str
    ip: str | None
    mac: str | None
    pppoe_user: str | None
    plan: str | None
    cpe_kind: str | None
    panel: str | None


def profile(rt: Runtime, code: str) -> dict[str, Any]:
    with rt.engine.connect() as conn:
        actor = load_actor(conn, rt.operator)
        query = record_select().where(CLIENTS.c.code == code.strip())
        if actor.collector_id is not None:
            query = query.where(CLIENTS.c.collector_id == actor.collector_id)
        row = conn.execute(query).first()
        if row is None:
            raise NotFound(f"client {quoted(code)} does not exist")
        shown = client_dict(row)
        shown["connections"] = connections_of(conn, row.id)
        due = conn.execute(select(COMMITMENTS.c.due_date).where(
            COMMITMENTS.c.client_id == row.id, is_open(COMMITMENTS.c))).scalar()
        shown["commitment"] = due.isoformat() if due else None
        shown["last_notes"] = last_notes(conn, row.id, limit=3)
        from ispcube.services.clients.card import saved_card
        shown["card"] = saved_card(conn, row.id)
        return shown


def connections_of(executor, client_id: int) -> list[ConnectionOfClient]:
    """EXECUTOR: a Core connection, an ORM session, or a unit of work."""
    executor = getattr(executor, "session", executor)
    c, router, panel = CONNECTIONS.c, ROUTERS.alias("router"), ROUTERS.alias("panel")
    rows = executor.execute(
        select(router.c.name, c.ip, c.mac, c.pppoe_user, PLANS.c.name, c.cpe_kind, panel.c.name)
        .select_from(CONNECTIONS)
        .join(router, router.c.id == c.router_id)
        .outerjoin(PLANS, PLANS.c.id == c.plan_id)
        .outerjoin(panel, panel.c.id == c.panel_router_id)
        .where(c.client_id == client_id).order_by(c.id))
    return [{"router": name, "ip": ip, "mac": mac, "pppoe_user": user, "plan": plan,
             "cpe_kind": kind, "panel": panel_name}
            for name, ip, mac, user, plan, kind, panel_name in rows]


def last_notes(executor, client_id: int, limit: int) -> list["Note"]:
    n = NOTES.c
    rows = executor.execute(select(n.at, n.author, n.text).where(n.client_id == client_id)
                            .order_by(n.at.desc(), n.id.desc()).limit(limit))
    return [{"at": at.isoformat(sep=" "), "author": author, "text": text} for at, author, text in rows]


def log(rt: Runtime, code: str) -> list["LogRow"]:
    from ispcube.services.clients import log as events
    from ispcube.services.clients.lifecycle import find_client
    with rt.uow() as uow:
        return events.client_log(uow, find_client(uow, code, rt.actor(uow)))


def add_note(rt: Runtime, code: str, text: str) -> "Note":
    from ispcube.services.clients import log as events
    from ispcube.services.clients.lifecycle import find_client
    with rt.uow() as uow:
        return events.add_note(uow, rt, find_client(uow, code, rt.actor(uow)), text)


def notes(rt: Runtime, code: str) -> list["Note"]:
    from ispcube.services.clients import log as events
    from ispcube.services.clients.lifecycle import find_client
    with rt.uow() as uow:
        return events.notes(uow, find_client(uow, code, rt.actor(uow)))
