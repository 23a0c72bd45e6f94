"""Connections (A4): which client is reached through which router, by IP and/or PPPoE user.

One IP and one PPPoE user per router at a time (the database's unique indexes hold it when
two commands add connections at once); IPs, MACs and PPPoE users are validated (domain/network.py)
and stored in one spelling.
Every change is written to the client's log: it changes what the routers must hold.

A connection's PPPoE password (S1) is given on stdin, or made here when a connection is added
with a PPPoE user and none (`connection edit --new-pppoe-password` makes a new one): a made one
is returned once, for the command to show, and never again; listings, the log and errors say
only that it was set or changed. Every change a router must follow leaves a provisioning task
in the change's own transaction (S2, services/admin/provision_queue.py): the connection's, and
a removal of what it leaves behind when it moves to another router or its names change.
"""

from dataclasses import dataclass
from typing import TypedDict

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from ispcube.adapters.drivers import kind_of
from ispcube.db import models as m
from ispcube.db.uow import UnitOfWork
from ispcube.domain import network as rules
from ispcube.domain.network import Lacks, connection_lacks, parse_cpe_kind, parse_ip, parse_mac, parse_pppoe_user
from ispcube.domain.numbers import parse_id
from ispcube.errors import Invalid, NotFound, Refused
from ispcube.services.admin.provision_queue import queue_provision, queue_removal
from ispcube.services.clients import log as events
from ispcube.services.clients.lifecycle import find_client
from ispcube.services.clients.webpass import random_password
from ispcube.services.network.routers import find_router
from ispcube.services.process.runtime import require_office


class ConnectionShown(TypedDict):
    """A connection as `connection add|edit|list` show it."""
    id: int
    client: str
    router: str
    ip: str | None
    mac: str | None
    pppoe_user: str | None
    plan: str | None
    cpe_kind: str | None
    panel: str | None                # the router whose panel redirects it, if another


class ConnectionChanged(ConnectionShown):
    """What `connection add|edit` show: the connection, and the PPPoE password made for it by
    this command (None when none was made): the only time it is ever shown."""
    new_pppoe_password: str | None


@dataclass(frozen=True)
class Password:
    """What a command asks of a connection's PPPoE password: GIVEN (read from stdin), or a new
    one made here (NEW); neither leaves it as it is (on `connection add`: made when the
    connection has a PPPoE user)."""
    given: str | None = None
    new: bool = False


def _plan_id(uow: UnitOfWork, name: str) -> int:
    plan_id = uow.session.scalar(select(m.Plan.id).where(m.Plan.name == name.strip()))
    if plan_id is None:
        raise Invalid(f"connection plan '{name}': no such plan")
    return plan_id


def _router_id(uow: UnitOfWork, name: str, what: str) -> int:
    try:
        return find_router(uow, name).id
    except NotFound:
        raise Invalid(f"connection {what} '{name}': no such router") from None


def _set(uow: UnitOfWork, conn: m.Connection, values: dict[str, str | None]) -> None:
    """Apply the given options; an empty string clears an optional field."""
    parsers = {"ip": parse_ip, "mac": parse_mac, "pppoe_user": parse_pppoe_user, "cpe_kind": parse_cpe_kind,
               "plan": lambda t: _plan_id(uow, t), "panel": lambda t: _router_id(uow, t, "panel"),
               "router": lambda t: _router_id(uow, t, "router")}
    columns = {"plan": "plan_id", "panel": "panel_router_id", "router": "router_id"}
    for name, parse in parsers.items():
        raw = values.get(name)
        if raw is None:
            continue
        if not str(raw).strip():
            if name == "router":
                raise Invalid("connection router must not be empty")
            setattr(conn, columns.get(name, name), None)
            continue
        setattr(conn, columns.get(name, name), parse(raw))


def _check(uow: UnitOfWork, conn: m.Connection) -> None:
    router = uow.session.get_one(m.Router, conn.router_id)
    lacks = connection_lacks(conn.ip, conn.pppoe_user, by_pppoe_user_only=kind_of(router.kind).pppoe_user_only)
    if lacks == Lacks.ADDRESS:
        raise Invalid("connection needs an --ip or a --pppoe-user (or both)")
    if lacks == Lacks.PPPOE_USER:
        raise Invalid(f"connection on RADIUS router {router.name} needs a --pppoe-user")
    # One IP and one PPPoE user per router: cutting either client would cut both.
    for column, label in ((m.Connection.ip, f"IP {conn.ip}"),
                          (m.Connection.pppoe_user, f"PPPoE user '{conn.pppoe_user}'")):
        value = getattr(conn, column.key)
        if not value:
            continue
        other = uow.session.execute(
            select(m.Client.code).join(m.Connection, m.Connection.client_id == m.Client.id)
            .where(m.Connection.router_id == conn.router_id, column == value,
                   m.Connection.id != (conn.id or 0))).scalar()
        if other is not None:
            raise Refused(f"{label} is already used on router {router.name} by client {other}")


def _flush_taken(uow: UnitOfWork, conn: m.Connection) -> None:
    """Flush CONN; the database's unique indexes refuse an IP or PPPoE user another command
    gave out on the router after `_check` read it (R17): one sentence, nothing changed."""
    try:
        uow.flush()
    except IntegrityError as exc:
        uow.session.rollback()
        raise Refused(f"{taken_on_router(exc)} was given out on the router by another command at the same "
                      "moment; nothing was changed") from None


def taken_on_router(exc: Exception) -> str:
    """Which of a connection's values a unique index of `connections` refused."""
    text = str(getattr(exc, "orig", None) or exc).lower()     # read to classify, never shown
    return "the PPPoE user" if "pppoe" in text else "the IP" if "ip" in text else "a value"


def add_connection(uow: UnitOfWork, rt, code: str, values: dict[str, str | None],
                   password: Password = Password()) -> ConnectionChanged:
    require_office(rt.actor(uow), "change connections")
    client = find_client(uow, code, rt.actor(uow))
    if client.deleted:
        raise Refused(f"client {client.code} is deleted: restore it with `ispcube client restore` "
                      "before adding a connection")
    if not values.get("router"):
        raise Invalid("connection --router required")
    conn = m.Connection(client_id=client.id)
    _set(uow, conn, values)
    _check(uow, conn)
    made = _set_password(conn, password if password.given is not None or not conn.pppoe_user
                         else Password(new=True))
    uow.session.add(conn)
    _flush_taken(uow, conn)
    told = "; password set" if conn.pppoe_password else ""
    events.log(uow, rt, client, "connection.add", f"connection {conn.id} added: {_describe(uow, conn)}{told}")
    queue_provision(uow, rt, [conn.id])
    uow.commit()
    return {**connection_dict(uow, conn), "new_pppoe_password": made}


def _set_password(conn: m.Connection, password: Password) -> str | None:
    """Store the password PASSWORD asks for; the one made here, if any. A connection without
    a PPPoE user has no password (clearing the user clears it)."""
    if password.given is not None and password.new:
        raise Invalid("give the PPPoE password on stdin or ask for a new one, not both")
    wanted = password.given is not None or password.new
    if not conn.pppoe_user:
        if wanted:
            raise Invalid("connection pppoe-password needs a --pppoe-user: only a PPPoE login has a password")
        conn.pppoe_password = None
        return None
    if password.given is not None:
        conn.pppoe_password = rules.parse_pppoe_password(password.given)
        return None
    if password.new:
        conn.pppoe_password = random_password()
        return conn.pppoe_password
    return None


def find_connection(uow: UnitOfWork, ident: str) -> m.Connection:
    try:
        conn = uow.session.get(m.Connection, parse_id(ident, "connection"))
    except (Invalid, NotFound):
        conn = None
    if conn is None:
        raise NotFound(f"connection '{ident}' does not exist (see `ispcube connection list`)")
    return conn


# What a router holds of a connection: a change of any of these leaves a provisioning task.
PROVISIONED = ("router_id", "ip", "pppoe_user", "plan_id", "pppoe_password")


def edit_connection(uow: UnitOfWork, rt, ident: str, values: dict[str, str | None],
                    password: Password = Password()) -> ConnectionChanged:
    require_office(rt.actor(uow), "change connections")
    conn = find_connection(uow, ident)
    client = uow.session.get_one(m.Client, conn.client_id)
    before = _describe(uow, conn)
    held = {name: getattr(conn, name) for name in PROVISIONED}
    with uow.session.no_autoflush:   # the change is checked before the unique indexes see it
        _set(uow, conn, values)
        _check(uow, conn)
        made = _set_password(conn, password)
    _flush_taken(uow, conn)
    after = _describe(uow, conn)
    told = _password_change(held["pppoe_password"], conn.pppoe_password)
    described = f"{before} -> {after}" if before != after or not told else ""
    events.log(uow, rt, client, "connection.edit",
               f"connection {conn.id} changed: " + "; ".join(x for x in (described, told) if x))
    # A deleted client's connections hold nothing (their removal was queued by the deletion);
    # its restoration queues them as they then are.
    if not client.deleted and any(getattr(conn, name) != value for name, value in held.items()):
        if (conn.router_id, conn.ip, conn.pppoe_user) != (held["router_id"], held["ip"], held["pppoe_user"]):
            # Moved, or its names changed: what the old ones name on the old router goes.
            queue_removal(uow, rt, [(held["router_id"], client.id, held["ip"], held["pppoe_user"])])
        queue_provision(uow, rt, [conn.id])
    uow.commit()
    return {**connection_dict(uow, conn), "new_pppoe_password": made}


def _password_change(before: str | None, after: str | None) -> str:
    """What the client log says of a password change: never the password."""
    if before == after:
        return ""
    return "password set" if before is None else "password cleared" if after is None else "password changed"


def delete_connection(uow: UnitOfWork, rt, ident: str) -> None:
    require_office(rt.actor(uow), "change connections")
    conn = find_connection(uow, ident)
    client = uow.session.get_one(m.Client, conn.client_id)
    events.log(uow, rt, client, "connection.delete", f"connection {conn.id} deleted: {_describe(uow, conn)}")
    if not client.deleted:    # a deleted client's objects were queued for removal when it was deleted
        queue_removal(uow, rt, [(conn.router_id, client.id, conn.ip, conn.pppoe_user)])
    uow.session.delete(conn)
    uow.commit()


def _describe(uow: UnitOfWork, conn: m.Connection) -> str:
    router = uow.session.get_one(m.Router, conn.router_id)
    plan = uow.session.get(m.Plan, conn.plan_id) if conn.plan_id is not None else None
    parts = [f"router {router.name}", conn.ip, conn.mac and f"mac {conn.mac}",
             conn.pppoe_user and f"pppoe {conn.pppoe_user}", plan and f"plan {plan.name}"]
    return ", ".join(p for p in parts if p)


def _listing():
    panel = aliased(m.Router)
    return (select(m.Connection, m.Client.code, m.Router.name, m.Plan.name, panel.name)
            .join(m.Client, m.Client.id == m.Connection.client_id)
            .join(m.Router, m.Router.id == m.Connection.router_id)
            .outerjoin(m.Plan, m.Plan.id == m.Connection.plan_id)
            .outerjoin(panel, panel.id == m.Connection.panel_router_id))


def _row(row) -> ConnectionShown:
    conn, code, router, plan, panel = row
    return {"id": conn.id, "client": code, "router": router, "ip": conn.ip, "mac": conn.mac,
            "pppoe_user": conn.pppoe_user, "plan": plan, "cpe_kind": conn.cpe_kind, "panel": panel}


def connection_dict(uow: UnitOfWork, conn: m.Connection) -> ConnectionShown:
    return _row(uow.session.execute(_listing().where(m.Connection.id == conn.id)).one())


def list_connections(uow: UnitOfWork, rt, client: str | None = None,
                     router: str | None = None) -> list[ConnectionShown]:
    actor = rt.actor(uow)
    query = _listing().order_by(m.Router.name, m.Connection.id)
    if client:
        query = query.where(m.Connection.client_id == find_client(uow, client, actor).id)
    elif actor.collector_id is not None:
        query = query.where(m.Client.collector_id == actor.collector_id)
    if router:
        query = query.where(m.Connection.router_id == find_router(uow, router).id)
    return [_row(row) for row in uow.session.execute(query)]
