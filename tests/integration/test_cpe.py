"""`cpe report` (F1) against fake airOS 6 and airOS 8 radios on loopback, over HTTP and HTTPS.

The fakes follow the devices' documented web behaviour: airOS 8 answers POST /api/auth with
an X-CSRF-ID header and an AIROS_* cookie (401 on a wrong password); airOS 6 has no /api/auth,
hands out AIROS_SESSIONID on GET /login.cgi, answers a right password with a 302 and a wrong
one with the login page again, and redirects /status.cgi to the login page until logged in.
"""

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import json
import secrets
import socket
import ssl
import subprocess
import threading
from urllib.parse import parse_qs

import pytest

from ispcube.db import models as m

PASSWORDS = ["first-guess", "s3cr3t-Ubnt", "third-one"]

AIROS6_STATUS = {
    "host": {"uptime": 148479, "time": "2024-05-15 17:14:28", "fwversion": "v6.3.16", "fwprefix": "XW",
             "hostname": "Cliente-Gomez", "devmodel": "NanoStation M5 ", "netrole": "bridge",
             "totalram": 63627264, "freeram": 42516480, "cpuload": 24.0},
    "wireless": {"mode": "sta", "essid": "ISP-Norte-5G", "hide_essid": 0, "apmac": "68:72:51:00:00:01",
                 "countrycode": 32, "channel": 36, "frequency": "5180 MHz", "dfs": "0",
                 "opmode": "11NAHT40PLUS", "antenna": "Built in - 16 dBi", "chains": "2X2",
                 "signal": -64, "rssi": 32, "noisef": -99, "txpower": 24, "ack": 5, "distance": 750,
                 "ccq": 991, "txrate": "270", "rxrate": "216", "security": "WPA2", "qos": "No QoS",
                 "rstatus": 5, "count": 1,
                 "polling": {"enabled": 2, "quality": 87, "capacity": 72, "priority": 2, "noack": 0,
                             "airsync_mode": 0, "atpc_status": 0},
                 "stats": {"rx_nwids": 2321817, "tx_retries": 0, "missed_beacons": 0},
                 "wds": 1, "chwidth": 20, "chanbw": 40, "chainrssi": [30, 28, 0]},
    "airview": {"enabled": 0},
    "services": {"dhcpc": 0, "dhcpd": 0, "pppoe": 0},
    "genuine": "/images/genuine.png",
}

AIROS8_STATUS = {
    "chain_names": [{"number": 1, "name": "Chain 0"}, {"number": 2, "name": "Chain 1"}],
    "host": {"hostname": "Cliente-Lopez", "device_id": "1b02df52e99054e2aea5913c64a9e40b", "uptime": 814515,
             "power_time": 814514, "time": "2024-06-23 14:35:09", "timestamp": 2432500405,
             "fwversion": "v8.7.11", "devmodel": "LiteBeam 5AC Gen2", "netrole": "bridge",
             "loadavg": 0.097656, "totalram": 63447040, "freeram": 19419136, "temperature": 0,
             "cpuload": 18.18, "height": None},
    "genuine": "/images/genuine.png",
    "services": {"dhcpc": False, "dhcpd": False, "pppoe": False, "airview": 2},
    "wireless": {"essid": "ISP-Sur-AC", "mode": "sta-ptmp", "ieeemode": "11ACVHT20", "band": 2,
                 "apmac": "68:D7:9A:9A:08:BB", "antenna_gain": 23, "frequency": 5500, "distance": 3450,
                 "security": "WPA2", "noisef": -87, "txpower": 5, "rstatus": 5, "chanbw": 20,
                 "throughput": {"tx": 2280, "rx": 2945}, "service": {"time": 814360, "link": 813727},
                 "polling": {"cb_capacity": 151480, "dl_capacity": 98320, "ul_capacity": 53160, "use": 124,
                             "tx_use": 50, "rx_use": 74, "atpc_status": 0, "fixed_frame": False,
                             "gps_sync": False, "ff_cap_rep": False},
                 "count": 1,
                 "sta": [{"mac": "68:D7:9A:9A:08:BB", "lastip": "10.20.0.1", "signal": -71, "rssi": 25,
                          "noisefloor": -87, "chainrssi": [24, 22, 0], "distance": 3450, "uptime": 397336,
                          "dl_signal_expect": -60, "ul_signal_expect": -62, "cb_capacity_expect": 234000,
                          "dl_capacity_expect": 156000, "ul_capacity_expect": 78000,
                          "dl_linkscore": 68, "ul_linkscore": 64, "dl_avg_linkscore": 70, "ul_avg_linkscore": 66,
                          "airmax": {"actual_priority": 0, "beam": 0, "desired_priority": 0,
                                     "cb_capacity": 151480, "dl_capacity": 98320, "ul_capacity": 53160,
                                     "atpc_status": 0, "rx": {"usage": 74, "cinr": 24},
                                     "tx": {"usage": 50, "cinr": 24}},
                          "last_disc": 3}],
                 "sta_disc": []},
    "interfaces": [{"ifname": "eth0", "hwaddr": "68:D7:9A:00:00:02", "enabled": True}],
}

LOGIN_PAGE = b"""<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
<html><head><title>Login</title></head><body>
<form enctype="multipart/form-data" id="loginform" method="post" action="/login.cgi">
<input type="hidden" name="uri" value="">%s
<input type="text" name="username"><input type="password" name="password"></form></body></html>"""


class FakeAirOS:
    """An airOS 6 or 8 web interface, or (kind='web') some other web server, on 127.0.0.1."""

    def __init__(self, version=6, password=PASSWORDS[1], status=None, tls=None, kind="airos"):
        self.version, self.password, self.kind = version, password, kind
        self.status = status or (AIROS6_STATUS if version == 6 else AIROS8_STATUS)
        self.sessions: dict[str, bool] = {}          # session cookie -> logged in
        self.csrf: dict[str, str] = {}               # airOS 8: session cookie -> X-CSRF-ID
        self.tried: list[str] = []                   # passwords offered, in order
        self.status_reads = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def cookie(self, name_prefix):
                for part in self.headers.get("Cookie", "").split(";"):
                    name, _, value = part.strip().partition("=")
                    if name.startswith(name_prefix):
                        return f"{name}={value}"
                return None

            def reply(self, code, body=b"", content_type="text/html", headers=()):
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def form(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    return json.loads(body)
                return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}

            def do_GET(self):
                if fake.kind == "web":
                    return self.reply(200 if self.path == "/" else 404, b"<html>router admin</html>")
                if self.path == "/":
                    return self.reply(302 if fake.version == 6 else 200, b"", headers=[("Location", "/login.cgi")])
                if fake.version == 6 and self.path.startswith("/login.cgi"):
                    headers = []
                    if not self.cookie("AIROS_SESSIONID"):
                        sid = secrets.token_hex(16)
                        fake.sessions[f"AIROS_SESSIONID={sid}"] = False
                        headers.append(("Set-Cookie", f"AIROS_SESSIONID={sid}; Path=/; Version=1"))
                    return self.reply(200, LOGIN_PAGE % b"", headers=headers)
                if self.path == "/status.cgi":
                    session = self.cookie("AIROS_")
                    allowed = fake.sessions.get(session, False)
                    if fake.version == 8:
                        allowed = allowed and self.headers.get("X-CSRF-ID") == fake.csrf.get(session)
                        if not allowed:
                            return self.reply(401, b'{"error": "unauthorized"}', "application/json")
                    elif not allowed:
                        return self.reply(302, b"", headers=[("Location", "/login.cgi?uri=/status.cgi")])
                    fake.status_reads += 1
                    return self.reply(200, json.dumps(fake.status).encode(), "application/json")
                return self.reply(404, b"<h1>404 - Not Found</h1>")

            def do_POST(self):
                form = self.form()
                if fake.kind == "web":
                    return self.reply(404, b"<h1>404 - Not Found</h1>")
                if self.path == "/api/auth" and fake.version == 8:
                    fake.tried.append(form.get("password"))
                    if form.get("username") != "ubnt" or form.get("password") != fake.password:
                        return self.reply(401, b'{"error": "invalid credentials"}', "application/json")
                    name, value = f"AIROS_{secrets.token_hex(6).upper()}", secrets.token_hex(16)
                    fake.sessions[f"{name}={value}"] = True
                    fake.csrf[f"{name}={value}"] = csrf = secrets.token_hex(16)
                    return self.reply(200, json.dumps({"boardinfo": {}, "fullVersion": "WA.v8.7.11"}).encode(),
                                      "application/json",
                                      [("X-CSRF-ID", csrf), ("Set-Cookie", f"{name}={value}; Path=/; HttpOnly")])
                if self.path == "/login.cgi" and fake.version == 6:
                    fake.tried.append(form.get("password"))
                    session = self.cookie("AIROS_SESSIONID")
                    if session in fake.sessions and form.get("username") == "ubnt" \
                            and form.get("password") == fake.password:
                        fake.sessions[session] = True
                        return self.reply(302, b"", headers=[("Location", form.get("uri") or "/index.cgi")])
                    return self.reply(200, LOGIN_PAGE % b'<div class="error">Invalid credentials.</div>')
                return self.reply(404, b"<h1>404 - Not Found</h1>")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def tls(tmp_path_factory):
    """A self-signed certificate made for this run, as radios carry."""
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=UBNT"],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


@pytest.fixture
def radios():
    started = []

    def start(**options):
        started.append(FakeAirOS(**options))
        return started[-1]
    yield start
    for radio in started:
        radio.close()


@pytest.fixture
def field(cli, runtime):
    """Client C1 whose connection's IP is the loopback radio; the CPE passwords configured."""
    cli.ok("config", "set", "cpe.passwords", "-", input=",".join(PASSWORDS) + "\n")
    cli.ok("client", "add", "--code", "C1", "--name", "Gómez Hogar", "--address", "Norte 1")
    with runtime.uow() as uow:
        router = m.Router(name="torre-norte", kind="mikrotik", host="127.0.0.1", username="admin", secret="x")
        uow.session.add(router)
        uow.flush()
        client = uow.session.query(m.Client).filter_by(code="C1").one()
        uow.session.add(m.Connection(client_id=client.id, router_id=router.id, ip="127.0.0.1",
                                     mac="04:18:D6:00:00:01", cpe_kind="ubiquiti"))
        uow.commit()
    return cli


def test_airos6_over_http_reports_levels_with_ccq_in_percent(field, radios):
    radio = radios(version=6)
    result = field("cpe", "report", "C1", "--port", str(radio.port))
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Cliente-Gomez" in out and "NanoStation M5" in out and "v6.3.16 (airOS 6)" in out
    assert "-64 dBm (green)" in out and "-99 dBm (green)" in out
    assert "99.1 % (green)" in out                                # 991 tenths
    assert "87 % (green)" in out and "72 % (green)" in out        # airMAX quality and capacity
    assert "1 day, 17:14:39" in out and "ISP-Norte-5G" in out
    for password in PASSWORDS:
        assert password not in out + result.stderr
    assert radio.tried == PASSWORDS[:2] and radio.status_reads == 1


def test_airos8_over_https_with_a_self_signed_certificate(field, radios, tls):
    radio = radios(version=8, tls=tls)
    report = field.json("cpe", "report", "C1", "--port", str(radio.port))
    assert report["client"] == "C1" and report["ip"] == "127.0.0.1"
    assert report["firmware"] == "v8.7.11 (airOS 8)" and report["model"] == "LiteBeam 5AC Gen2"
    assert report["signal"] == -71 and report["noise"] == -87
    assert "ccq" not in report                                    # airOS 8 has none
    assert report["airmax_quality"] == 64                         # the weaker link score
    assert report["airmax_capacity"] == pytest.approx(64.7)       # 151480 of 234000 expected
    assert report["capacity"] == "98.3 Mbit/s down, 53.2 Mbit/s up"
    assert [report[f"{metric}_band"] for metric in ("signal", "noise", "airmax_quality", "airmax_capacity")] \
        == ["amber"] * 4
    assert radio.tried == PASSWORDS[:2]


def test_all_passwords_refused_is_its_own_error(field, radios, tls):
    for radio in (radios(version=8, tls=tls, password="nobody-knows"), radios(version=6, password="nope")):
        result = field("cpe", "report", "C1", "--port", str(radio.port))
        assert result.exit_code == 1
        assert "refused all 3 configured password(s)" in result.stderr
        assert radio.tried == PASSWORDS and radio.status_reads == 0
        for password in PASSWORDS:
            assert password not in result.stdout + result.stderr


def test_a_web_server_that_is_not_airos_is_told_apart(field, radios):
    radio = radios(kind="web")
    result = field("cpe", "report", "C1", "--port", str(radio.port))
    assert result.exit_code == 1 and "is not an airOS CPE" in result.stderr


def test_a_radio_answering_nonsense_status_is_not_airos(field, radios):
    radio = radios(version=6, status={"hello": "world"})
    result = field("cpe", "report", "C1", "--port", str(radio.port))
    assert result.exit_code == 1 and "is not an airOS CPE" in result.stderr


def test_a_silent_cpe_times_out(field):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)                     # the kernel accepts the connection; nobody ever answers
    try:
        result = field("cpe", "report", "C1", "--port", str(silent.getsockname()[1]), "--timeout", "0.5")
    finally:
        silent.close()
    assert result.exit_code == 1 and "did not answer within 0.5 s" in result.stderr


def test_nothing_listening_is_unreachable(field):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    result = field("cpe", "report", "C1", "--port", str(port))
    assert result.exit_code == 1 and f"refuses connections on port {port}" in result.stderr


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_levels_are_drawn_to_an_image(field, radios, tmp_path, suffix):
    radio = radios(version=6)
    out = tmp_path / f"levels.{suffix}"
    result = field("cpe", "report", "C1", "--port", str(radio.port), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    data = out.read_bytes()
    if suffix == "png":
        assert data.startswith(b"\x89PNG")
        from matplotlib.image import imread
        pixels = imread(str(out))
        assert pixels.shape[1] >= 800 and pixels.shape[0] >= 400
    else:
        text = data.decode()
        assert text.lstrip().startswith("<?xml") and "<svg" in text
        assert "99.1 %" in text and "green" in text and "Gómez Hogar" in text


def test_bad_requests_are_refused_before_any_radio_is_asked(field, radios, tmp_path, runtime):
    radio = radios(version=6)
    result = field("cpe", "report", "C1", "--port", str(radio.port), "--out", str(tmp_path / "x.pdf"))
    assert result.exit_code == 1 and "must end in .png or .svg" in result.stderr
    assert field("cpe", "report", "C1", "--port", "99999").exit_code == 1
    assert "--timeout 'soon'" in field("cpe", "report", "C1", "--timeout", "soon").stderr
    assert "client 'NOPE' does not exist" in field("cpe", "report", "NOPE").stderr
    field.ok("client", "add", "--code", "C2", "--name", "Sin Conexion", "--address", "Sur 2")
    result = field("cpe", "report", "C2")
    assert result.exit_code == 1 and "has no connection with an IP address" in result.stderr
    field.ok("config", "set", "cpe.passwords", "-", input="\n")
    result = field("cpe", "report", "C1", "--port", str(radio.port))
    assert result.exit_code == 1 and "no CPE passwords are configured" in result.stderr
    assert radio.tried == []


def test_a_radius_client_is_reached_at_its_last_framed_ip(field, radios, runtime, tmp_path):
    """No IP on the connection: the newest radacct row of its PPPoE user gives it."""
    from sqlalchemy import create_engine, text
    radius_db = tmp_path / "radius.db"
    engine = create_engine(f"sqlite:///{radius_db}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE radacct (radacctid INTEGER PRIMARY KEY, acctsessionid TEXT, "
                          "username TEXT, nasipaddress TEXT, acctstarttime TIMESTAMP, acctupdatetime TIMESTAMP, "
                          "acctstoptime TIMESTAMP, acctsessiontime BIGINT, acctinputoctets BIGINT, "
                          "acctoutputoctets BIGINT, framedipaddress TEXT)"))
        conn.execute(text("INSERT INTO radacct (acctsessionid, username, nasipaddress, acctstarttime, framedipaddress) "
                          "VALUES ('s1', 'gomez', '10.0.0.1', '2024-05-01 10:00:00', '10.9.9.9'), "
                          "('s2', 'gomez', '10.0.0.1', '2024-05-02 10:00:00', '127.0.0.1'), "
                          "('s3', 'other', '10.0.0.1', '2024-05-03 10:00:00', '10.8.8.8')"))
    engine.dispose()
    with runtime.uow() as uow:
        nas = m.Router(name="nas-radius", kind="radius", host="10.0.0.1", secret="testing123",
                       radius_db_url=f"sqlite:///{radius_db}")
        uow.session.add(nas)
        uow.flush()
        connection = uow.session.query(m.Connection).one()
        connection.router_id, connection.ip, connection.pppoe_user = nas.id, None, "gomez"
        uow.commit()
    radio = radios(version=6)
    assert field.json("cpe", "report", "C1", "--port", str(radio.port))["ip"] == "127.0.0.1"
