"""The client's radio (F1, F2): levels read from its airOS CPE, or from the MikroTik it is
registered on."""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from ispcube.adapters.drivers import kind_of
from ispcube.db import models as m
from ispcube.db.uow import UnitOfWork
from ispcube.domain.signal import Level, format_uptime, levels
from ispcube.domain.text import quoted
from ispcube.domain.values import parse_port as port_number
from ispcube.errors import Invalid, NotFound, Refused
from ispcube.services.admin import config
from ispcube.services.clients.lifecycle import find_client
from ispcube.services.process.runtime import Runtime


def parse_port(text: str | None) -> int | None:
    return None if text is None else port_number(text, "--port")


def parse_timeout(text: str) -> float:
    try:
        value = float(str(text).strip())
    except ValueError:
        raise Invalid(f"--timeout {quoted(text)} is not a number of seconds") from None
    if not 0 < value <= 120:
        raise Invalid(f"--timeout {quoted(text)} must be above 0 and at most 120 seconds")
    return value


@dataclass
class CpeReport:
    code: str
    name: str
    ip: str
    device: dict[str, Any]
    values: dict[str, float | None]
    extra: dict[str, Any] = field(default_factory=dict)

    def levels(self) -> list[Level]:
        return levels(self.values)

    def record(self, human: bool) -> dict[str, Any]:
        record: dict[str, Any] = {"client": self.code, "name": self.name, "ip": self.ip, **self.device}
        for level in self.levels():
            record[level.metric] = f"{level.shown()} ({level.band})" if human else level.value
        record.update(self.extra)
        if not human:
            record.update({f"{level.metric}_band": level.band for level in self.levels()})
        return record


def own_url(uow: UnitOfWork) -> str:
    return uow.engine.url.render_as_string(hide_password=False)


def client_connections(uow: UnitOfWork, client: m.Client) -> list[tuple[m.Connection, m.Router]]:
    return [(connection, router) for connection, router in uow.session.execute(
        select(m.Connection, m.Router).join(m.Router, m.Router.id == m.Connection.router_id)
        .where(m.Connection.client_id == client.id).order_by(m.Connection.id))]


def cpe_address(uow: UnitOfWork, client: m.Client) -> str:
    """The connection's IP; for a RADIUS connection the address RADIUS gave it last."""
    from ispcube.adapters.radacct import AccountingUnavailable, last_framed_ip
    unreadable = None
    for connection, router in client_connections(uow, client):
        address = None
        if kind_of(router.kind).radius_tables and connection.pppoe_user:
            try:
                address = last_framed_ip(router.radius_db_url or own_url(uow), [connection.pppoe_user])
            except AccountingUnavailable as exc:
                unreadable = exc
        address = address or connection.ip
        if address:
            return address
    if unreadable:
        raise unreadable
    raise NotFound(f"client {client.code} has no connection with an IP address, and RADIUS accounting "
                   "gives none (see `ispcube connection`)")


def cpe_report(rt: Runtime, code: str, *, username: str = "ubnt", port: int | None = None,
               timeout: float = 5.0, out: str | None = None) -> CpeReport:
    from ispcube.adapters import airos, charts
    if out:
        charts.image_format(out)
    with rt.uow() as uow:
        client = find_client(uow, code, rt.actor(uow))
        ip = cpe_address(uow, client)
        passwords = config.get_value(uow.session, "cpe.passwords")
        code, name = client.code, client.name
    if not passwords:
        raise Invalid("no CPE passwords are configured: "
                      "echo 'pw1,pw2' | ispcube config set cpe.passwords -")
    status = airos.read_status(ip, passwords, username=username, port=port, timeout=timeout)
    report = CpeReport(
        code, name, ip,
        device={"device": status.device_name, "model": status.model,
                "firmware": f"{status.firmware} (airOS {status.airos})",
                "uptime": format_uptime(status.uptime_s) if status.uptime_s is not None else None,
                "ssid": status.ssid, "mode": status.mode},
        values={"signal": status.signal, "noise": status.noise, "ccq": status.ccq,
                "airmax_quality": status.airmax_quality, "airmax_capacity": status.airmax_capacity})
    if status.capacity_down_mbps is not None:
        report.extra["capacity"] = f"{status.capacity_down_mbps:g} Mbit/s down, {status.capacity_up_mbps:g} Mbit/s up"
    if status.airos == 8:
        report.extra["note"] = "airOS 8 reports no CCQ; airMAX quality is its link score"
    if out:
        charts.draw_levels(report.levels(), f"{code} {name}",
                           f"{status.device_name or ''} {status.model or ''} at {ip}, airOS {status.firmware}, "
                           f"{rt.now():%Y-%m-%d %H:%M}", out)
    return report


@dataclass
class SignalReading:
    code: str
    name: str
    router: str
    mac: str
    registration: Any = None

    def levels(self) -> list[Level]:
        r = self.registration
        return levels({"signal": r.signal, "snr": r.snr, "tx_ccq": r.tx_ccq, "rx_ccq": r.rx_ccq})

    def record(self, human: bool) -> dict[str, Any]:
        r = self.registration
        record: dict[str, Any] = {"client": self.code, "name": self.name, "mac": self.mac, "router": self.router,
                                  "registered": r is not None}
        if r is None:
            return record
        record |= {"interface": r.interface,
                   "table": "wireless (RouterOS 6)" if r.table == "wireless" else "wifi (RouterOS 7)"}
        for level in self.levels():
            record[level.metric] = f"{level.shown()} ({level.band})" if human else level.value
        record.update({"tx_rate": r.tx_rate, "rx_rate": r.rx_rate,
                       "uptime": format_uptime(r.uptime_s) if r.uptime_s is not None else None,
                       "last_ip": r.last_ip})
        if not human:
            record.update({"tx_rate_mbps": r.tx_rate_mbps, "rx_rate_mbps": r.rx_rate_mbps, "uptime_s": r.uptime_s,
                           **{f"{level.metric}_band": level.band for level in self.levels()}})
        return record


def _router_access(uow: UnitOfWork, connection: m.Connection, timeout: float):
    from ispcube.adapters.routeros_signal import RouterAccess
    router = uow.session.get_one(m.Router, connection.panel_router_id or connection.router_id)
    if router.kind != "mikrotik":
        raise Refused(f"router {router.name} is a {router.kind} NAS without a wireless registration table: "
                      "set the connection's panel to the MikroTik the CPE is registered on")
    return RouterAccess(router.name, router.host, router.port, router.api_ssl, router.username,
                        router.secret, timeout)


def cpe_signal(rt: Runtime, code: str, *, timeout: float = 5.0) -> list[SignalReading]:
    """Each of the client's CPEs (connections with a MAC) as its access point sees it; a CPE
    that is not registered has no registration (all of them unregistered is an error)."""
    from ispcube.adapters.routeros_signal import find_registration
    with rt.uow() as uow:
        client = find_client(uow, code, rt.actor(uow))
        asks = [(connection.mac, _router_access(uow, connection, timeout))
                for connection, _router in client_connections(uow, client) if connection.mac]
        code, name = client.code, client.name
    if not asks:
        raise NotFound(f"client {code} has no connection with a CPE MAC address (see `ispcube connection`)")
    readings = [SignalReading(code, name, access.name, mac, find_registration(access, mac)) for mac, access in asks]
    if all(reading.registration is None for reading in readings):
        where = "; ".join(f"{r.mac} on router {r.router}" for r in readings)
        raise NotFound(f"the CPE of client {code} is not registered ({where}): it is off, out of range "
                       "or on another access point")
    return readings
