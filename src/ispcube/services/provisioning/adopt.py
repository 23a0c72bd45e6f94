"""`network adopt ROUTER [--apply]` (S4): an existing router's PPPoE secrets, queues, address
lists (MikroTik) or users (RADIUS) become connections, without a single write to the router.

The router is read once (`Driver.read_objects(addresses=True)`), the database once (the
connections that router's objects may be, the clients, the plans, what was adopted before), and
`domain/adoption.py` says which connection each object is. Without APPLY that is the whole run: a
report. With APPLY, in one transaction: the missing connections are made (their IP, PPPoE user,
password from the router, plan found by speed), existing connections get what they lacked and
the login's password as the router has it (the one its CPE uses), every
matched secret, queue or user is recorded in `adopted_objects` (ispcube owns it from then on, S3)
and each client's log says so. Adopting again finds everything recorded: nothing changes.

Nothing is queued for `provision`: the router keeps what it has until an operator provisions it
(`provision --check` shows what that would change, e.g. the secrets' profiles becoming
`ispcube-<plan>`). One adopt per router at a time (exit 75 for the second), and none while
enforce, provision or a manual change writes to it: the router is read under the locks they
take (`router_work.unit_locked`), so what is read is not half a run's writes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ispcube.adapters.drivers import driver_for
from ispcube.db import models as m
from ispcube.db.network_models import AdoptedObject
from ispcube.db.uow import UnitOfWork
from ispcube.domain.adoption import Adoption, ClientName, Known, Match, State, match_objects
from ispcube.domain.provisioning import Plan
from ispcube.errors import Busy, Refused
from ispcube.services.clients import log as events
from ispcube.services.network.connections import taken_on_router
from ispcube.services.network.routers import config_of, find_router, own_url
from ispcube.services.process.job_lock import job_lock
from ispcube.services.provisioning.lines import load_adopted, sharing
from ispcube.services.provisioning.router_work import unit_locked

if TYPE_CHECKING:
    from ispcube.services.process.runtime import Runtime


class MatchedRow(TypedDict):
    kind: str
    name: str
    client: str
    state: str                 # new, connected, adopted, own, known (domain.adoption.State)
    by: str | None             # pppoe user, ip, comment, user name
    connection: int | None
    ip: str | None
    pppoe_user: str | None
    plan: str | None
    note: str | None           # why no plan


class ObjectRow(TypedDict):
    kind: str
    name: str
    why: str


@dataclass
class AdoptReport:
    router: str
    kind: str
    applied: bool
    objects: int = 0                # secrets, queues, users and addresses read
    connections_made: int = 0
    connections_completed: int = 0  # existing connections that got an IP, user, password or plan
    recorded: int = 0               # objects recorded as adopted
    matched: list[MatchedRow] = field(default_factory=list)
    unmatched: list[ObjectRow] = field(default_factory=list)
    conflicts: list[ObjectRow] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        counts: dict[str, int] = {}
        for row in self.matched:
            counts[row["state"]] = counts.get(row["state"], 0) + 1
        found = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "none"
        head = f"network adopt {self.router}: {self.objects} objects read, matched: {found}; " \
               f"{len(self.unmatched)} unmatched, {len(self.conflicts)} conflicts"
        if self.applied:
            return (f"{head}; {self.connections_made} connections made, {self.connections_completed} completed, "
                    f"{self.recorded} objects adopted; nothing was written to the router")
        return f"{head}; nothing changed (--apply adopts)"


def adopt(rt: "Runtime", name: str, apply: bool) -> AdoptReport:
    """Read router NAME once and match its objects to clients; with APPLY, adopt them."""
    rt.check_office("adopt a router's network")
    with rt.uow() as uow:
        router_id = find_router(uow, name).id
    try:
        with job_lock(rt.engine, f"adopt-router-{router_id}"):
            return _adopt(rt, router_id, apply)
    except Busy:
        raise Busy(f"another `ispcube network adopt {name}` run holds router {name}; try again later") from None


def _adopt(rt: "Runtime", router_id: int, apply: bool) -> AdoptReport:
    with rt.uow() as uow:
        router = uow.session.get_one(m.Router, router_id)
        unit = sharing(uow, router, own_url(uow))     # a RADIUS database holds every NAS's users
        config = config_of(router, own_url(uow))
    with unit_locked(rt.engine, unit.ids) as held_lock:
        if not held_lock:
            raise Busy(f"router {router.name} is being written by another run (enforce, provision or a manual "
                       "change); try again later")
        with rt.uow() as uow:
            known, routers_of = _known(uow, unit.ids)
            clients = {c.code: c.id for c in uow.session.execute(
                select(m.Client.code, m.Client.id).where(m.Client.deleted.is_(False)))}
            names = [ClientName(code, name) for code, name in uow.session.execute(
                select(m.Client.code, m.Client.name).where(m.Client.deleted.is_(False)))]
            plans = {p.name: p for p in uow.session.scalars(select(m.Plan))}
            with driver_for(config) as driver:
                held = driver.read_objects(addresses=True)
            found = match_objects(router.kind, held, known, names, [_plan(p) for p in plans.values()],
                                  load_adopted(uow, unit.ids))
            report = AdoptReport(router.name, router.kind, apply, objects=sum(h.kind != "profile" for h in held))
            _report(report, found)
            if apply:
                _apply(uow, rt, router, found, report, clients, {n: p.id for n, p in plans.items()}, routers_of)
            return report


def _known(uow: UnitOfWork, router_ids: list[int]) -> tuple[list[Known], dict[int, int]]:
    rows = uow.session.execute(
        select(m.Connection.id, m.Connection.router_id, m.Client.code, m.Connection.ip, m.Connection.pppoe_user,
               m.Connection.pppoe_password, m.Plan.name, m.Client.deleted)
        .join(m.Client, m.Client.id == m.Connection.client_id)
        .outerjoin(m.Plan, m.Plan.id == m.Connection.plan_id)
        .where(m.Connection.router_id.in_(router_ids))).all()
    known = [Known(r.id, r.code, r.ip, r.pppoe_user, bool(r.pppoe_password), r.name, r.deleted) for r in rows]
    return known, {r.id: r.router_id for r in rows}


def _plan(plan: m.Plan) -> Plan:
    return Plan(plan.name, plan.down_kbps, plan.up_kbps, plan.burst_down_kbps, plan.burst_up_kbps,
                plan.burst_seconds)


def _report(report: AdoptReport, found: Adoption) -> None:
    for match in found.matched:
        report.matched.append({
            "kind": str(match.kind), "name": match.name, "client": match.client_code, "state": str(match.state),
            "by": str(match.by) if match.by else None, "connection": match.connection_id,
            "ip": match.changes.get("ip"), "pppoe_user": match.changes.get("pppoe_user"), "plan": match.plan,
            "note": match.plan_note})
    report.unmatched = [{"kind": str(u.kind), "name": u.name, "why": u.why} for u in found.unmatched]
    report.conflicts = [{"kind": str(c.kind), "name": c.name, "why": c.why} for c in found.conflicts]


def _apply(uow: UnitOfWork, rt: "Runtime", router: m.Router, found: Adoption, report: AdoptReport,
           clients: dict[str, int], plan_ids: dict[str, int], routers_of: dict[int, int]) -> None:
    """Make and complete the connections, record the objects, log each client: one transaction."""
    made: list[tuple[Match, m.Connection]] = []
    completed: dict[int, list[Match]] = {}
    for match in found.matched:
        if match.state == State.NEW:
            changes = match.changes
            made.append((match, m.Connection(
                client_id=clients[match.client_code], router_id=router.id, ip=changes.get("ip"),
                pppoe_user=changes.get("pppoe_user"), pppoe_password=changes.get("password"),
                plan_id=plan_ids[changes["plan"]] if "plan" in changes else None)))
        elif match.state == State.CONNECTED:
            completed.setdefault(match.connection_id or 0, []).append(match)
    uow.session.add_all([conn for _, conn in made])
    conns = {c.id: c for c in uow.session.scalars(select(m.Connection).where(m.Connection.id.in_(completed)))}
    log: list[events.Entry] = []
    for conn_id, matches in completed.items():
        conn, taken = conns[conn_id], []
        for match in matches:
            taken += _complete(conn, match, plan_ids)
        if taken:
            report.connections_completed += 1
        if taken or any(match.recorded for match in matches):     # a run that changes nothing logs nothing
            log.append((conn.client_id, "connection.adopt", _adopted_line(router, conn_id, matches, taken)))
    try:
        uow.flush()
    except IntegrityError as exc:
        uow.session.rollback()
        raise Refused(f"{taken_on_router(exc)} of an adopted object was given out on router {router.name} by "
                      "another command at the same moment; nothing was changed") from None
    now = rt.now()
    records = [(match, conn.id, router.id) for match, conn in made] + [
        (match, match.connection_id, routers_of[match.connection_id or 0])
        for matches in completed.values() for match in matches if match.recorded]
    uow.session.add_all([AdoptedObject(router_id=router_id, kind=str(match.kind), name=match.name,
                                       connection_id=conn_id, adopted_at=now)
                         for match, conn_id, router_id in records if match.recorded])
    for match, conn in made:
        log.append((conn.client_id, "connection.add", _made_line(router, conn, match)))
    events.log_many(uow, rt, log)
    uow.commit()
    report.connections_made = len(made)
    report.recorded = sum(match.recorded for match, _, _ in records)


def _complete(conn: m.Connection, match: Match, plan_ids: dict[str, int]) -> list[str]:
    """Give CONN what MATCH found that it lacked; the words for the log (never the password)."""
    taken = []
    changes = match.changes
    if "ip" in changes and not conn.ip:
        conn.ip = changes["ip"]
        taken.append(f"ip {conn.ip}")
    if "pppoe_user" in changes and not conn.pppoe_user:
        conn.pppoe_user = changes["pppoe_user"]
        taken.append(f"pppoe {conn.pppoe_user}")
    if "password" in changes and conn.pppoe_password != changes["password"]:
        taken.append("its PPPoE password" if not conn.pppoe_password
                     else "its PPPoE password as the router has it (the one stored before was never on it)")
        conn.pppoe_password = changes["password"]
    if "plan" in changes and conn.plan_id is None:
        conn.plan_id = plan_ids[changes["plan"]]
        taken.append(f"plan {changes['plan']}")
    return taken


def _adopted_line(router: m.Router, conn_id: int, matches: list[Match], taken: list[str]) -> str:
    adopted = ", ".join(f"{m.kind} '{m.name}'" for m in matches if m.recorded)
    kept = ", ".join(f"{m.kind} '{m.name}'" for m in matches if not m.recorded)
    line = (f"router {router.name}'s {adopted} adopted for connection {conn_id} (network adopt)" if adopted else
            f"connection {conn_id} completed from router {router.name}'s {kept}, which stays the router's "
            "(its speed is no plan's; network adopt)")
    return line + (f"; the connection took {', '.join(taken)}" if taken else "")


def _made_line(router: m.Router, conn: m.Connection, match: Match) -> str:
    parts = [f"router {router.name}", conn.ip, conn.pppoe_user and f"pppoe {conn.pppoe_user}",
             conn.pppoe_password and "its PPPoE password", match.plan and f"plan {match.plan}"]
    return (f"connection {conn.id} added from router {router.name}'s {match.kind} '{match.name}' (network adopt): "
            + ", ".join(p for p in parts if p))
