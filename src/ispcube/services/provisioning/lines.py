"""What provisioning reads from the database for one router: its lines and adopted objects.

A RADIUS router keeps its users in a database it may share with other NASes (S1): the wanted
users of that database are those of the connections on every RADIUS router using it, so the
routers sharing one are worked on as one unit (`units`) and read together. Each read is one
query, whatever the number of connections.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import select

from ispcube.adapters.drivers import kind_of
from ispcube.db import models as m
from ispcube.db.chunks import chunks
from ispcube.db.network_models import AdoptedObject
from ispcube.db.uow import UnitOfWork
from ispcube.domain.provisioning import Line, Plan
from ispcube.domain.terms import Service


@dataclass(frozen=True)
class Unit:
    """Routers whose objects live in one place: a MikroTik alone, or the RADIUS routers of one
    database. The first router is the one whose driver reads and writes."""
    routers: tuple[m.Router, ...]

    @property
    def router(self) -> m.Router:
        return self.routers[0]

    @property
    def ids(self) -> list[int]:
        return [r.id for r in self.routers]


def units(routers: Iterable[m.Router], own_db_url: str) -> list[Unit]:
    """ROUTERS grouped by where their objects live, in the order of their first router."""
    groups: dict[object, list[m.Router]] = {}
    for router in routers:
        key: object = router.id
        if kind_of(router.kind).radius_tables:
            key = ("radius", router.radius_db_url or own_db_url)
        groups.setdefault(key, []).append(router)
    return [Unit(tuple(group)) for group in groups.values()]


def sharing(uow: UnitOfWork, router: m.Router, own_db_url: str) -> Unit:
    """ROUTER's unit among every stored router (RADIUS routers of its database, or itself)."""
    everyone = list(uow.session.scalars(select(m.Router).order_by(m.Router.name)))
    for unit in units(everyone, own_db_url):
        if router.id in unit.ids:
            for member in unit.routers:
                uow.session.expunge(member)
            return Unit(tuple(sorted(unit.routers, key=lambda r: r.id != router.id)))
    raise AssertionError("a stored router belongs to a unit")


def load_lines(uow: UnitOfWork, router_ids: list[int]) -> tuple[list[Line], dict[str, int]]:
    """The connections on ROUTER_IDS of clients not deleted, with their plan, password and their
    client's service state; and
    {code: client id} of their clients."""
    rows = uow.session.execute(
        select(m.Connection.id, m.Client.id.label("client_id"), m.Client.code, m.Client.service, m.Connection.ip,
               m.Connection.pppoe_user,
               m.Connection.pppoe_password, m.Plan.name, m.Plan.down_kbps, m.Plan.up_kbps,
               m.Plan.burst_down_kbps, m.Plan.burst_up_kbps, m.Plan.burst_seconds)
        .join(m.Client, m.Client.id == m.Connection.client_id)
        .outerjoin(m.Plan, m.Plan.id == m.Connection.plan_id)
        .where(m.Connection.router_id.in_(router_ids), m.Client.deleted.is_(False))
        .order_by(m.Connection.id)).all()
    lines = [Line(r.id, r.code, r.ip, r.pppoe_user, r.pppoe_password,
                  Plan(r.name, r.down_kbps, r.up_kbps, r.burst_down_kbps, r.burst_up_kbps, r.burst_seconds)
                  if r.name is not None else None, Service(r.service))
             for r in rows]
    return lines, {r.code: r.client_id for r in rows}


def load_adopted(uow: UnitOfWork, router_ids: list[int]) -> set[tuple[str, str]]:
    """(kind, name) of the objects `network adopt` took as ispcube's on ROUTER_IDS."""
    return {(row.kind, row.name) for row in uow.session.execute(
        select(AdoptedObject.kind, AdoptedObject.name).where(AdoptedObject.router_id.in_(router_ids)))}


def client_ids(uow: UnitOfWork, codes: Iterable[str]) -> dict[str, int]:
    """{code: client id} of CODES (the clients a router's objects are marked for)."""
    found: dict[str, int] = {}
    for some in chunks(sorted(set(codes))):
        found.update({row.code: row.id for row in uow.session.execute(
            select(m.Client.code, m.Client.id).where(m.Client.code.in_(some)))})
    return found
