"""After its tour the demo can be explored: `sim routeros --demo DB` brings its router back,
holding what the demo left on it, so enforce, `cpe signal` and the map work on the demo."""

import json
import math
import os
import re
import signal
import socket
import subprocess
import sys

import pytest
import routeros_api

from tests.conftest import Cli

DAY = "2026-12-04"      # a day the demo's story once could not be told on (R18)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    tour = Cli(f"sqlite:///{path.parent / 'unused.db'}").ok("demo", "--path", str(path), "--clients", "60",
                                                          "--today", DAY).stdout
    return path, tour


def _sim(*args: str, env: dict | None = None) -> tuple[subprocess.Popen, list[str]]:
    process = subprocess.Popen([sys.executable, "-c", "from ispcube.cli.main import run; run()", "sim", "routeros",
                                *args],
                               env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    lines = []
    while not lines or "Ctrl-C" not in lines[-1]:
        line = process.stdout.readline()
        assert line, process.communicate(timeout=20)
        lines.append(line)
    return process, lines


def _stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    return out


def test_the_tour_ends_saying_how_to_explore_it(demo):
    path, tour = demo
    ending = tour.split("Explore it.")[1]
    assert f"ispcube sim routeros --demo {path}" in ending
    assert f"ispcube --db {path} enforce --dry-run --today {DAY}" in ending
    assert re.search(rf"ispcube --db {re.escape(str(path))} cpe signal \d+", ending)
    assert f"ispcube --db {path} map --out map.html" in ending


def test_sim_routeros_demo_brings_back_the_router_the_demo_left(demo):
    path, tour = demo
    db = Cli(f"sqlite:///{path}")
    [router] = db.json("router", "list")
    assert (router["name"], router["host"], router["username"]) == ("demo-core", "127.0.0.1", "admin")
    db.ok("router", "edit", "demo-core", "--port", str(_free_port()))   # clear of any other demo's router
    port = db.json("router", "list")[0]["port"]
    process, lines = _sim("--demo", str(path))
    try:
        assert f"simulated MikroTik 'demo-core' listening on 127.0.0.1:{port} (user admin)" in lines[0]
        assert f"ispcube --db {path} enforce --dry-run --today {DAY}" in lines[-1]
        check = db("enforce", "--check", "--today", DAY)
        assert check.exit_code == 0 and "0 drift" in check.stdout, check.stdout + check.stderr
        planned = db("enforce", "--dry-run", "--today", DAY)
        assert planned.exit_code == 0 and "0 router changes planned" in planned.stdout, planned.stdout + planned.stderr

        pool = routeros_api.RouterOsApiPool("127.0.0.1", username="admin", password="ispcube-demo", port=port,
                                            plaintext_login=True)
        held = {row["address"]: row.get("comment") for row in
                pool.get_api().get_resource("/ip/firewall/address-list").get(list="ispcube-cut")}
        pool.disconnect()
        cut = {c["code"] for c in db.json("client", "list", "--service", "cut")}
        ips = {c["ip"]: c["client"] for c in db.json("connection", "list")}
        assert held == {"203.0.113.7": "blocked by hand", **{ip: code for ip, code in ips.items() if code in cut}}
        throttled = {c["code"] for c in db.json("client", "list", "--service", "throttled")}
        assert len(cut) > 0 and len(throttled) > 0

        code = re.search(r"cpe signal (\d+)", tour).group(1)
        reading = db.json("cpe", "signal", code)
        assert reading[0]["registered"] is True and -90 < reading[0]["signal"] < -40
    finally:
        out = _stop(process)
    assert "stopped after" in out and "ispcube-demo" not in out


def test_sim_routeros_demo_refuses_what_is_not_a_demo_database(tmp_path):
    real = tmp_path / "isp.db"
    Cli(f"sqlite:///{real}").ok("init")
    refused = Cli(f"sqlite:///{tmp_path / 'other.db'}")("sim", "routeros", "--demo", str(real))
    assert refused.exit_code == 1
    assert refused.stderr == (f"ispcube: --demo {real} is not a demo database: "
                              "only what `ispcube demo` built is simulated\n")
    missing = Cli(f"sqlite:///{tmp_path / 'other.db'}")("sim", "routeros", "--demo", str(tmp_path / "nope.db"))
    assert missing.exit_code == 1 and "no such file" in missing.stderr
    assert not (tmp_path / "nope.db").exists()


def test_sim_routeros_demo_takes_ports_and_credentials_from_the_database(demo, tmp_path):
    path, _ = demo
    mixed = Cli(f"sqlite:///{tmp_path / 'other.db'}")("sim", "routeros", "--demo", str(path), "--port", "0")
    assert mixed.exit_code == 2 and "--demo takes the ports" in mixed.stderr


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    (lat1, lng1), (lat2, lng2) = a, b
    x = math.radians(lng2 - lng1) * math.cos(math.radians((lat1 + lat2) / 2))
    return 6_371_000 * math.hypot(x, math.radians(lat2 - lat1))


def test_the_demo_map_is_one_region_per_company_around_the_office(demo, tmp_path):
    path, _ = demo
    db = Cli(f"sqlite:///{path}")
    out = tmp_path / "map.geojson"
    assert "the office, " in db.ok("map", "--geojson", str(out)).stdout
    features = json.loads(out.read_text())["features"]
    [office] = [tuple(reversed(f["geometry"]["coordinates"])) for f in features if f["properties"]["kind"] == "office"]
    nodes = {f["properties"]["name"]: (tuple(reversed(f["geometry"]["coordinates"])), f["properties"]["radius_m"])
             for f in features if f["properties"]["kind"] == "node"}
    clients = {f["properties"]["code"]: (tuple(reversed(f["geometry"]["coordinates"])), f["properties"]["node"])
               for f in features if f["properties"]["kind"] == "client"}
    assert len(clients) == 60
    for code, (where, node) in clients.items():
        centre, radius = nodes[node]
        assert _metres(where, centre) <= radius, f"client {code} is outside the coverage of {node}"
    for centre, _ in nodes.values():
        assert _metres(centre, office) < 30_000
    regions = {}
    for company in ("1", "2"):
        codes = {c["code"] for c in db.json("client", "list", "--company", company)}
        regions[company] = {clients[code][1] for code in codes}
        spots = [clients[code][0] for code in codes]
        assert spots and max(_metres(a, b) for a in spots for b in spots) < 20_000
    assert regions["1"] and regions["2"] and not regions["1"] & regions["2"]


def test_registrations_for_a_router_the_demo_does_not_have_are_refused(demo, tmp_path):
    path, _ = demo
    table = tmp_path / "cpes.csv"
    table.write_text("mac_address,signal,router\n24:A4:3C:99:00:01,-60,edge-7\n")
    refused = Cli(f"sqlite:///{tmp_path / 'other.db'}")("sim", "routeros", "--demo", str(path), "--registrations",
                                                        str(table))
    assert refused.exit_code == 1
    assert refused.stderr == (f"ispcube: registrations file {table} row 1: router 'edge-7' is not one of the "
                              "demo's (demo-core)\n")


def test_the_tour_takes_another_port_when_the_demo_port_is_busy(tmp_path):
    from ispcube.services.demo.network import ROUTER_PORT
    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", ROUTER_PORT))
        holder.listen()
    except OSError:
        pass                      # something else holds it already: the tour must step aside all the same
    try:
        path = tmp_path / "demo.db"
        Cli(f"sqlite:///{tmp_path / 'unused.db'}").ok("demo", "--path", str(path), "--clients", "10", "--today", DAY)
    finally:
        holder.close()
    [router] = Cli(f"sqlite:///{path}").json("router", "list")
    assert router["port"] != ROUTER_PORT


def test_the_demo_authorizes_its_months_with_afip_and_prints_an_invoice_with_its_qr(demo, tmp_path):
    from tests.integration.test_fiscal_invoices import pdf_text, qr_of
    path, tour = demo
    line = next(line for line in tour.splitlines() if line.startswith("AFIP (simulated"))
    authorized = int(re.search(r": (\d+) invoices authorized with a CAE each", line).group(1))
    billed = sum(int(n) for n in re.findall(r"^Billing \d{4}-\d{2}: (\d+) invoices, due", tour, re.MULTILINE)[:2])
    assert authorized == billed > 0
    cli = Cli(f"sqlite:///{path}")
    invoices = cli.json("invoice", "list")
    assert {r["status"] for r in invoices if r["kind"] == "invoice"} == {"authorized"}
    assert len({r["cae"] for r in invoices}) == len(invoices)
    printed = re.search(r"^Invoice (\S+ \S+) of client (\S+), CAE (\d{14}), printed with its QR: (.+)$", tour,
                        re.MULTILINE)
    assert printed and "Comprobante autorizado por AFIP" in pdf_text(printed.group(4))
    qr = qr_of(printed.group(4), tmp_path)
    assert (qr["codAut"], qr["ptoVta"], qr["tipoCmp"]) == (int(printed.group(3)), 2, 6)
