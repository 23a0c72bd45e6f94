"""A client's traffic graph (F3) from FreeRADIUS accounting.

radacct keeps one row per session with its totals as of the last Start / Interim-Update /
Stop, not a time series: each session's octets are spread evenly over the time it lasted, then
summed into bins sized for the range (15 minutes for a day ... a week for a year).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, TypedDict

from ispcube.adapters.drivers import kind_of
from ispcube.domain.values import parse_int_in
from ispcube.errors import NotFound
from ispcube.services.clients.lifecycle import find_client
from ispcube.services.process.runtime import Runtime

MAX_DAYS = 366
# (longest range in days, bin width, how the axis names it)
BIN_SIZES = ((1, timedelta(minutes=15), "15-minute"), (3, timedelta(minutes=30), "30-minute"),
             (7, timedelta(hours=1), "hourly"), (31, timedelta(hours=6), "6-hour"),
             (92, timedelta(days=1), "daily"), (MAX_DAYS, timedelta(weeks=1), "weekly"))


def parse_days(text: str) -> int:
    return parse_int_in(text, 1, MAX_DAYS, "--days")


def bin_size(days: int) -> tuple[timedelta, str]:
    return next((width, label) for longest, width, label in BIN_SIZES if days <= longest)


@dataclass
class Binned:
    starts: list[datetime]
    width: timedelta
    download: list[float]        # octets per bin
    upload: list[float]

    def rates(self, octets: list[float]) -> list[float]:
        """Average bit/s over each bin."""
        return [value * 8 / self.width.total_seconds() for value in octets]


def spread(sessions: Iterable, since: datetime, until: datetime, width: timedelta) -> Binned:
    """Each session's octets spread evenly over [start, end]; what falls outside the range is dropped."""
    count = max(1, -(-(until - since) // width))
    starts = [since + i * width for i in range(count)]
    binned = Binned(starts, width, [0.0] * count, [0.0] * count)
    for session in sessions:
        length = (session.end - session.start).total_seconds()
        if length <= 0:
            if since <= session.start < until:
                index = int((session.start - since) // width)
                binned.download[index] += session.download_octets
                binned.upload[index] += session.upload_octets
            continue
        first = max(0, int((session.start - since) // width))
        last = min(count - 1, int((min(session.end, until) - since) // width))
        for index in range(first, last + 1):
            left, right = max(session.start, starts[index]), min(session.end, starts[index] + width, until)
            share = max(0.0, (right - left).total_seconds()) / length
            binned.download[index] += session.download_octets * share
            binned.upload[index] += session.upload_octets * share
    return binned


def human_bytes(octets: float) -> str:
    for divisor, unit in ((1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
        if octets >= divisor:
            return f"{octets / divisor:.1f} {unit}"
    return f"{octets:.0f} B"


def human_rate(bps: float) -> str:
    for divisor, unit in ((1e9, "Gbit/s"), (1e6, "Mbit/s"), (1e3, "kbit/s")):
        if bps >= divisor:
            return f"{bps / divisor:.1f} {unit}"
    return f"{bps:.0f} bit/s"


def _accounting_sources(uow, client) -> dict[str, list[str]]:
    """RADIUS database URL -> the client's PPPoE user names accounted there."""
    from ispcube.services.field.cpe import client_connections, own_url
    sources: dict[str, list[str]] = {}
    for connection, router in client_connections(uow, client):
        if connection.pppoe_user and (kind_of(router.kind).radius_tables or router.radius_db_url):
            url = router.radius_db_url or own_url(uow)
            sources.setdefault(url, [])
            if connection.pppoe_user not in sources[url]:
                sources[url].append(connection.pppoe_user)
    return sources


# `field traffic`: the client's RADIUS traffic over the days asked, and the graph drawn.
Traffic = TypedDict("Traffic", {
    "client": str, "name": str, "from": str, "to": str, "sessions": int, "bins": str, "download": str,
    "upload": str, "download_bytes": int, "upload_bytes": int, "peak_download": str, "peak_upload": str,
    "graph": str})


def client_traffic(rt: Runtime, code: str, *, days: int, out: str) -> Traffic:
    from ispcube.adapters import charts, radacct
    charts.image_format(out)
    with rt.uow() as uow:
        client = find_client(uow, code, rt.actor(uow))
        sources = _accounting_sources(uow, client)
        code, name = client.code, client.name
    if not sources:
        raise NotFound(f"client {code} has no RADIUS connection (a PPPoE user on a RADIUS NAS): "
                       "traffic comes from RADIUS accounting")
    until = rt.now()
    since = until - timedelta(days=days)
    sessions = [s for url, users in sources.items() for s in radacct.sessions(url, users, since, until)
                if s.end >= since]
    users = ", ".join(user for names in sources.values() for user in names)
    if not sessions:
        raise NotFound(f"client {code} has no RADIUS accounting in the last {days} day(s) "
                       f"(PPPoE user {users})")
    width, label = bin_size(days)
    binned = spread(sessions, since, until, width)
    down, up = binned.rates(binned.download), binned.rates(binned.upload)
    total_down, total_up = sum(binned.download), sum(binned.upload)
    charts.draw_traffic(binned.starts, binned.width, down, up, f"{code} {name}: traffic over the last {days} day(s)",
                        f"download {human_bytes(total_down)}, upload {human_bytes(total_up)}; "
                        f"PPPoE {users}; {len(sessions)} RADIUS session(s)", label, out)
    return {"client": code, "name": name, "from": since.isoformat(sep=" "), "to": until.isoformat(sep=" "),
            "sessions": len(sessions), "bins": f"{len(binned.starts)} x {label}",
            "download": human_bytes(total_down), "upload": human_bytes(total_up),
            "download_bytes": round(total_down), "upload_bytes": round(total_up),
            "peak_download": human_rate(max(down)), "peak_upload": human_rate(max(up)), "graph": out}
