"""The demo's simulated routers, as the demo database describes them (SPEC 7).

The tour runs its MikroTik only while it prints; `ispcube sim routeros --demo DB` brings the
routers of a demo database back afterwards, on the ports and with the credentials their rows
name (demo credentials, known on purpose), holding what the demo left on them, rebuilt from
the database: the cut list with every cut client's address, the PPPoE secrets (disabled for
cut clients), the entry the ISP made by hand, and a wireless registration for each CPE that
is switched on. Warning-list entries are not rebuilt: on a real router they expire within
minutes (`preaviso.seconds`). Registrations follow from the database alone (the CPE's distance
to its node sets its signal; its MAC picks the rest), so the tour and a later
`sim routeros --demo` show the same levels.
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass, field
from datetime import date
import json
import math
from pathlib import Path
import sqlite3
import zlib

from sqlalchemy import select

from ispcube.adapters.drivers import CUT_LIST, THROTTLE_LIST
from ispcube.db import models as m
from ispcube.errors import NotFound, Refused
from ispcube.services.process.runtime import Runtime
from ispcube.sim.registrations import RegistrationRow

ROUTER_NAME = "demo-core"
ROUTER_PORT = 18728                      # the demo's router API port; any free one if it is taken
ROUTER_USER = "admin"
ROUTER_PASSWORD = "ispcube-demo"         # a sample router: its password is part of the sample
PPP_PASSWORD = "demo"
PPP_PROFILE = "hogar"
FOREIGN = ("203.0.113.7", "blocked by hand")   # an entry the ISP made itself: never touched
LOOPBACK = {"127.0.0.1", "localhost"}


@dataclass
class DemoRouter:
    """What one simulated router of the demo holds."""
    name: str
    port: int
    username: str
    password: str = field(repr=False)
    cut: list[tuple[str, str]] = field(default_factory=list)             # (address, client code)
    throttled: list[tuple[str, str]] = field(default_factory=list)       # (address, client code)
    secrets: list[tuple[str, bool]] = field(default_factory=list)        # (PPPoE user, disabled)
    registrations: list[RegistrationRow] = field(default_factory=list)

    def simulator(self):
        from ispcube.sim.routeros import RouterOSSimulator
        sim = RouterOSSimulator(username=self.username, password=self.password, identity=self.name,
                                port=self.port)
        seed(sim, self)
        return sim


def seed(sim, router: DemoRouter) -> None:
    """Put ROUTER's lists, secrets and registrations on the simulator SIM."""
    for address, code in router.cut:
        sim.add_address(CUT_LIST, address, comment=code)
    for address, code in router.throttled:
        sim.add_address(THROTTLE_LIST, address, comment=code)
    for user, disabled in router.secrets:
        sim.add_ppp_secret(user, password=PPP_PASSWORD, profile=PPP_PROFILE, disabled=disabled)
    for row in router.registrations:
        row.seed(sim)


def cpe_mac(index: int) -> str:
    """The MAC of the demo's INDEX-th CPE (a Ubiquiti prefix, as most wireless ISPs use)."""
    return "24:A4:3C:" + ":".join(f"{(index >> shift) & 0xFF:02X}" for shift in (16, 8, 0))


def registration(mac: str, ip: str | None, distance_m: float | None, radius_m: float | None) -> RegistrationRow | None:
    """The registration the access point shows for the CPE MAC; None when the CPE is off
    (one in twelve, picked by its MAC, so `cpe signal` also shows what an absent CPE looks like)."""
    spread = zlib.crc32(mac.encode())
    if spread % 12 == 0:
        return None
    reach = min(1.0, distance_m / radius_m) if distance_m is not None and radius_m else 0.5
    signal = round(-52 - 26 * reach) - spread % 7
    ccq = max(40, 100 - round(45 * reach) - spread % 9)
    near = reach < 0.5
    return RegistrationRow(mac_address=mac, signal=signal, tx_ccq=ccq, rx_ccq=max(40, ccq - spread % 5),
                           tx_rate="130Mbps" if near else "58.5Mbps", rx_rate="117Mbps" if near else "52Mbps",
                           uptime=3600 * (1 + spread % 400), last_ip=ip)


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine; plenty for a few kilometres)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lng2 - lng1) / 2) ** 2)
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


def demo_routers(rt: Runtime) -> list[DemoRouter]:
    """Every MikroTik of the demo database with what the demo left on it, in router order."""
    with rt.uow() as uow:
        rows = uow.session.scalars(select(m.Router).where(m.Router.kind == "mikrotik").order_by(m.Router.id)).all()
        if not rows:
            raise Refused("the demo database names no MikroTik router: nothing to simulate")
        routers = {}
        for row in rows:
            if row.host not in LOOPBACK:
                raise Refused(f"router {row.name} is at {row.host}, not on this machine (127.0.0.1): "
                              "only the demo's own routers are simulated")
            routers[row.id] = DemoRouter(row.name, row.port or 8728, row.username or "admin", row.secret or "")
        first = next(iter(routers.values()))
        first.cut.append(FOREIGN)
        query = (select(m.Connection, m.Client.code, m.Client.service, m.Client.lat, m.Client.lng,
                        m.Node.lat, m.Node.lng, m.Node.radius_m)
                 .join(m.Client, m.Client.id == m.Connection.client_id)
                 .outerjoin(m.Node, m.Node.id == m.Client.node_id).order_by(m.Connection.id))
        for connection, code, service, lat, lng, node_lat, node_lng, radius in uow.session.execute(query):
            router = routers.get(connection.router_id)
            if router is None:
                continue
            if service == "cut" and connection.ip:
                router.cut.append((connection.ip, code))
            if service == "throttled" and connection.ip:
                router.throttled.append((connection.ip, code))
            if connection.pppoe_user:
                router.secrets.append((connection.pppoe_user, service == "cut"))
            panel = routers.get(connection.panel_router_id or connection.router_id)
            if connection.mac and panel is not None:
                away = (distance_m(lat, lng, node_lat, node_lng)
                        if lat is not None and lng is not None and node_lat is not None and node_lng is not None
                        else None)
                found = registration(connection.mac, connection.ip, away, radius)
                if found:
                    panel.registrations.append(found)
        return list(routers.values())


def first_registered(rt: Runtime) -> str | None:
    """The code of a client whose CPE is registered (for the tour's `cpe signal` example)."""
    with rt.uow() as uow:
        for code, mac in uow.session.execute(
                select(m.Client.code, m.Connection.mac).join(m.Connection, m.Connection.client_id == m.Client.id)
                .where(m.Connection.mac.is_not(None)).order_by(m.Client.code)):
            if mac is not None and zlib.crc32(mac.encode()) % 12:
                return code
    return None


def enforce_command(program: str, db: str, day: date | None) -> str:
    """The command that shows what enforce would change in the demo database DB on DAY, the
    story's day (without it enforce acts on the real date, when more may have fallen due)."""
    return f"{program} --db {db} enforce --dry-run" + (f" --today {day}" if day else "")


def story_day(path: Path) -> date | None:
    """The day the demo database at PATH told its story on (the `demo.today` setting)."""
    try:
        with closing(sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)) as connection:
            row = connection.execute("SELECT value FROM settings WHERE key = 'demo.today'").fetchone()
        return date.fromisoformat(json.loads(row[0])) if row and json.loads(row[0]) else None
    except (sqlite3.Error, ValueError):
        return None


def demo_path(text: str) -> Path:
    """The demo database file that `--demo DB` names (a path, or a sqlite:/// URL)."""
    from ispcube.services.demo.tour import is_demo_database
    path = Path(text.split("sqlite:///", 1)[1] if text.startswith("sqlite:///") else text).expanduser()
    if not path.is_file():
        raise NotFound(f"--demo {text}: no such file (build one with `ispcube demo --path FILE`)")
    if not is_demo_database(path):
        raise Refused(f"--demo {text} is not a demo database: only what `ispcube demo` built is simulated")
    return path
