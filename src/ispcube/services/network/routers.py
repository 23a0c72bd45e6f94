"""Routers (A4, N3, N4): the NAS table, and how a row becomes a driver config.

The secret (API password or RADIUS shared secret) is stored but never returned by a listing;
it reaches the driver only through `config_of`.
"""

from typing import Any, TypedDict

from sqlalchemy import delete, func, or_, select
from sqlalchemy.engine import make_url

from ispcube.adapters.drivers import RouterConfig, kind_of, kinds
from ispcube.db import models as m
from ispcube.db.uow import UnitOfWork
from ispcube.domain.network import parse_router_host
from ispcube.domain.text import one_line, quoted, refuse_nul
from ispcube.domain.values import parse_port
from ispcube.errors import Invalid, NotFound, Refused

FIELDS = ("kind", "host", "port", "api_ssl", "username", "coa_port", "node", "radius_db_url")


class RouterShown(TypedDict):
    """A router as `router add|edit|list` show it: its secret only as set or not."""
    name: str
    kind: str
    host: str
    port: int | None
    api_ssl: bool
    username: str | None
    secret: str                      # "set" or ""
    coa_port: int | None
    node: str | None
    radius_db: str | None            # the URL without its password


def find_router(uow: UnitOfWork, name: str) -> m.Router:
    router = uow.session.scalar(select(m.Router).where(m.Router.name == name.strip()))
    if router is None:
        raise NotFound(f"router {quoted(name)} does not exist")
    return router


def _port(text: str | None, what: str) -> int | None:
    if text is None or str(text).strip() == "":
        return None
    return parse_port(text, f"router {what}")


def _db_url(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    from ispcube.db.engine import normalise_url
    try:
        make_url(normalise_url(text.strip()))
    except Exception:  # noqa: BLE001 - any parse failure is the same mistake for the user
        raise Invalid(f"router radius-db {quoted(text)} is not a database URL") from None
    return text.strip()


def _apply(uow: UnitOfWork, router: m.Router, values: dict[str, Any]) -> None:
    if values.get("kind") is not None:
        kind = values["kind"].strip().lower()
        if kind not in kinds():
            raise Invalid(f"router kind {quoted(values['kind'])} is not one of {', '.join(kinds())}")
        router.kind = kind
    if values.get("host") is not None:
        router.host = parse_router_host(values["host"])
    if "port" in values and values["port"] is not None:
        router.port = _port(values["port"], "port")
    if "coa_port" in values and values["coa_port"] is not None:
        router.coa_port = _port(values["coa_port"], "coa-port")
    if values.get("api_ssl") is not None:
        router.api_ssl = bool(values["api_ssl"])
    if values.get("username") is not None:
        one_line(values["username"], "router user")
        router.username = values["username"].strip() or None
    if values.get("radius_db_url") is not None:
        router.radius_db_url = _db_url(values["radius_db_url"])
    if values.get("node") is not None:
        router.node_id = _node_id(uow, values["node"])
    if values.get("secret") is not None:
        router.secret = refuse_nul(values["secret"], "the router secret")


def _node_id(uow: UnitOfWork, name: str) -> int | None:
    if not name.strip():
        return None
    node_id = uow.session.scalar(select(m.Node.id).where(m.Node.name == name.strip()))
    if node_id is None:
        raise Invalid(f"router node {quoted(name)}: no such node")
    return node_id


def add_router(uow: UnitOfWork, name: str, values: dict[str, Any]) -> RouterShown:
    if not name.strip():
        raise Invalid("router name must not be empty")
    one_line(name, "router name")
    if uow.session.scalar(select(m.Router.id).where(m.Router.name == name.strip())) is not None:
        raise Refused(f"router {quoted(name)} already exists")
    for required in ("kind", "host"):
        if not values.get(required):
            raise Invalid(f"router {name}: --{required} required")
    router = m.Router(name=name.strip(), api_ssl=False)
    _apply(uow, router, values)
    uow.session.add(router)
    uow.commit()
    return router_dict(uow, router)


def edit_router(uow: UnitOfWork, name: str, values: dict[str, Any]) -> RouterShown:
    router = find_router(uow, name)
    new_name = one_line(values.pop("name", None), "router name")
    if new_name:
        if uow.session.scalar(select(m.Router.id).where(m.Router.name == new_name.strip(),
                                                        m.Router.id != router.id)) is not None:
            raise Refused(f"router {quoted(new_name)} already exists")
        router.name = new_name.strip()
    _apply(uow, router, values)
    uow.commit()
    return router_dict(uow, router)


def delete_router(uow: UnitOfWork, name: str) -> int:
    """Delete router NAME; returns how many removals queued for it are dropped with it (what
    ispcube made there for connections deleted since stays on the router)."""
    router = find_router(uow, name)
    users = uow.session.execute(
        select(m.Client.code, m.Connection.ip).join(m.Client, m.Client.id == m.Connection.client_id)
        .where(or_(m.Connection.router_id == router.id, m.Connection.panel_router_id == router.id))
        .order_by(m.Client.code).limit(6)).all()
    if users:
        shown = ", ".join(f"client {code}" + (f" ({ip})" if ip else "") for code, ip in users[:5])
        raise Refused(f"router {quoted(name)} is in use by connections of {shown}"
                      f"{' and more' if len(users) > 5 else ''}; move or delete them first")
    from ispcube.db.network_models import AdoptedObject, RouterTask
    from ispcube.domain.terms import Action, JobName, TaskStatus
    mine = RouterTask.router_id == router.id
    if uow.session.scalar(select(RouterTask.id).where(mine, RouterTask.job != JobName.PROVISION.value).limit(1)):
        raise Refused(f"router {quoted(name)} has a history of enforcement tasks; it cannot be deleted, "
                      "only renamed or left without connections")
    # Provisioning work is about the objects on this router, which ispcube stops managing with it:
    # what its deleted connections left there is the router's own business from now on.
    dropped = uow.session.scalar(select(func.count()).select_from(RouterTask).where(
        mine, RouterTask.action == Action.DEPROVISION.value, RouterTask.status == TaskStatus.OPEN.value))
    uow.session.execute(delete(RouterTask).where(mine))
    uow.session.execute(delete(AdoptedObject).where(AdoptedObject.router_id == router.id))
    uow.session.delete(router)
    uow.commit()
    return dropped or 0


def router_dict(uow: UnitOfWork, router: m.Router) -> RouterShown:
    node = uow.session.get(m.Node, router.node_id) if router.node_id else None
    return {"name": router.name, "kind": router.kind, "host": router.host, "port": router.port,
            "api_ssl": router.api_ssl, "username": router.username,
            "secret": "set" if router.secret else "", "coa_port": router.coa_port,
            "node": node.name if node else None, "radius_db": _shown_url(router.radius_db_url)}


def _shown_url(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - stored before validation existed: show nothing secret
        return "(set)"


def list_routers(uow: UnitOfWork) -> list[RouterShown]:
    return [router_dict(uow, r) for r in uow.session.scalars(select(m.Router).order_by(m.Router.name))]


def config_of(router: m.Router, own_db_url: str, timeout: float = 5.0) -> RouterConfig:
    """The driver's view of a router; RADIUS tables default to ispcube's own database."""
    radius_db = router.radius_db_url or (own_db_url if kind_of(router.kind).radius_tables else None)
    return RouterConfig(name=router.name, kind=router.kind, host=router.host, port=router.port,
                        api_ssl=router.api_ssl, username=router.username, secret=router.secret,
                        coa_port=router.coa_port, radius_db_url=radius_db, timeout=timeout)


def nas_peers(uow: UnitOfWork, router: m.Router, own_db_url: str) -> tuple[RouterConfig, ...]:
    """The other routers whose RADIUS users live in ROUTER's database, by name (S1): a live
    session of one of its users may be on any of these NASes."""
    if not kind_of(router.kind).radius_tables:
        return ()
    database = config_of(router, own_db_url).radius_db_url
    others = (config_of(r, own_db_url) for r in uow.session.scalars(
        select(m.Router).where(m.Router.id != router.id).order_by(m.Router.name)) if kind_of(r.kind).radius_tables)
    return tuple(peer for peer in others if peer.radius_db_url == database)


def own_url(uow: UnitOfWork) -> str:
    return uow.engine.url.render_as_string(hide_password=False)


def test_router(uow: UnitOfWork, name: str) -> dict[str, Any]:
    """Reach the router, log in and read our lists (N3 `router test`)."""
    from ispcube.adapters.drivers import driver_for
    router = find_router(uow, name)
    with driver_for(config_of(router, own_url(uow))) as driver:
        found = driver.probe()
    return {"router": router.name, "kind": router.kind, "reachable": True, "login": "ok", **found}
