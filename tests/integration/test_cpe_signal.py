"""`cpe signal` (F2): the CPE's registration read from the simulated MikroTik (RouterOS API)."""

import socket

import pytest

from ispcube.db import models as m
from ispcube.sim.routeros import RouterOSSimulator

SECRET = "api-Secr3t"
CPE_MAC = "04:18:d6:aa:bb:cc"          # stored in lower case; RouterOS prints upper case


@pytest.fixture
def routers():
    started = []

    def start(version="6.49.10", password=SECRET):
        started.append(RouterOSSimulator(password=password, version=version, frozen_clock=True).start())
        return started[-1]
    yield start
    for router in started:
        router.stop()


@pytest.fixture
def wire(cli, runtime):
    """Client C1 with one connection; routers are added as rows pointing at the simulators."""
    cli.ok("client", "add", "--code", "C1", "--name", "Pérez Campo", "--address", "Ruta 3 km 7")

    def connect(router_sim=None, *, kind="mikrotik", panel_sim=None, mac=CPE_MAC, secret=SECRET, port=None):
        with runtime.uow() as uow:
            def row(name, sim, kind):
                router = m.Router(name=name, kind=kind, host="127.0.0.1", username="admin", secret=secret,
                                  port=port if port is not None else (sim.port if sim else 1812))
                uow.session.add(router)
                uow.flush()
                return router
            router = row("ap-sector-1", router_sim, kind)
            panel = row("panel-norte", panel_sim, "mikrotik") if panel_sim else None
            client = uow.session.query(m.Client).filter_by(code="C1").one()
            uow.session.add(m.Connection(client_id=client.id, router_id=router.id, ip="10.1.1.5", mac=mac,
                                         panel_router_id=panel.id if panel else None))
            uow.commit()
    return connect


def test_routeros6_wireless_registration(cli, wire, routers):
    ap = routers()
    ap.add_registration("04:18:D6:00:00:99", signal=-50)                  # another client
    ap.add_registration(CPE_MAC.upper(), signal=-74, signal_to_noise=26, tx_ccq=87, rx_ccq=64,
                        tx_rate="54Mbps", rx_rate="48Mbps", uptime="2w6d13:21:53", last_ip="10.1.1.5")
    wire(ap)
    result = cli("cpe", "signal", "C1")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "ap-sector-1" in out and "wireless (RouterOS 6)" in out and "04:18:d6:aa:bb:cc" in out
    assert "-74 dBm (amber)" in out and "26 dB (amber)" in out
    assert "87 % (green)" in out and "64 % (amber)" in out
    assert "54Mbps" in out and "48Mbps" in out and "20 days, 13:21:53" in out
    assert SECRET not in out + result.stderr


def test_routeros7_wifi_registration_as_json(cli, wire, routers):
    ap = routers(version="7.14.3")
    ap.add_registration(CPE_MAC, table="wifi", signal=-58, tx_rate="866.7Mbps-80MHz/2S/SGI",
                        rx_rate="650Mbps-80MHz/2S", uptime="1d2h3m4s")
    wire(ap)
    [reading] = cli.json("cpe", "signal", "C1")
    assert reading["registered"] is True and reading["table"] == "wifi (RouterOS 7)"
    assert reading["signal"] == -58 and reading["signal_band"] == "green"
    assert "snr" not in reading and "tx_ccq" not in reading          # RouterOS 7 wifi prints neither
    assert reading["tx_rate_mbps"] == pytest.approx(866.7) and reading["rx_rate_mbps"] == 650
    assert reading["uptime_s"] == 93784


def test_the_panel_nas_is_read_instead_of_the_connection_router(cli, wire, routers):
    nas, panel = routers(), routers()
    panel.add_registration(CPE_MAC, signal=-61)
    wire(nas, panel_sim=panel)
    [reading] = cli.json("cpe", "signal", "C1")
    assert reading["router"] == "panel-norte" and reading["signal"] == -61
    assert nas.connections == 0


def test_a_radius_nas_is_read_through_its_panel(cli, wire, routers):
    panel = routers()
    panel.add_registration(CPE_MAC, signal=-66)
    wire(None, kind="radius", panel_sim=panel)
    [reading] = cli.json("cpe", "signal", "C1")
    assert reading["router"] == "panel-norte" and reading["signal"] == -66


def test_a_radius_nas_without_panel_is_refused(cli, wire):
    wire(None, kind="radius")
    result = cli("cpe", "signal", "C1")
    assert result.exit_code == 1
    assert "router ap-sector-1 is a radius NAS" in result.stderr and "set the connection's panel" in result.stderr


def test_not_registered_is_a_clear_answer(cli, wire, routers):
    ap = routers()
    ap.add_registration("04:18:D6:00:00:99", signal=-50)
    wire(ap)
    result = cli("cpe", "signal", "C1")
    assert result.exit_code == 1
    assert "not registered (04:18:d6:aa:bb:cc on router ap-sector-1)" in result.stderr


def test_refused_login_and_unreachable_router_are_told_apart(cli, wire, routers):
    ap = routers(password="something-else")
    wire(ap)
    result = cli("cpe", "signal", "C1")
    assert result.exit_code == 1 and "router ap-sector-1 refused the login of user 'admin'" in result.stderr
    assert SECRET not in result.stdout + result.stderr


def test_a_router_that_is_down(cli, wire):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    wire(None, port=port)
    result = cli("cpe", "signal", "C1", "--timeout", "2")
    assert result.exit_code == 1 and "router ap-sector-1 (127.0.0.1) cannot be reached" in result.stderr


def test_a_connection_without_mac_or_a_bad_option(cli, wire, routers):
    wire(routers(), mac=None)
    result = cli("cpe", "signal", "C1")
    assert result.exit_code == 1 and "no connection with a CPE MAC address" in result.stderr
    assert "--timeout 'x'" in cli("cpe", "signal", "C1", "--timeout", "x").stderr
    assert "client 'C9' does not exist" in cli("cpe", "signal", "C9").stderr
