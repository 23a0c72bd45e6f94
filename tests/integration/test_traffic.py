"""`client traffic` (F3): accounting sent through Debian's FreeRADIUS with radclient (Start,
Interim-Update, Stop) lands in radacct; the graph is drawn from it."""

from datetime import timedelta
import json
import time

import pytest

from ispcube.db import models as m
from tests.support.freeradius import FreeRadius, require_freeradius

pytestmark = pytest.mark.slow   # a real FreeRADIUS server

GIGAWORD = 2 ** 32


@pytest.fixture(scope="module")
def radius():
    require_freeradius()
    with FreeRadius() as server:
        yield server


@pytest.fixture
def accounting(radius):
    radius.execute("TRUNCATE radacct")

    def send(status, session, user="gomez", ago=timedelta(0), **counters):
        radius.accounting(**{"User-Name": user, "Acct-Status-Type": status, "Acct-Session-Id": session,
                             "NAS-IP-Address": "127.0.0.1", "Framed-IP-Address": "10.50.0.7",
                             "Event-Timestamp": str(int(time.time() - ago.total_seconds())), **counters})
    return send


@pytest.fixture
def field(cli, runtime, radius):
    """Client C1 with PPPoE user 'gomez' on a RADIUS NAS whose accounting is FreeRADIUS's database."""
    cli.ok("client", "add", "--code", "C1", "--name", "Gómez Hogar", "--address", "Norte 1")
    cli.ok("client", "add", "--code", "C2", "--name", "Sin Radius", "--address", "Norte 2")
    with runtime.uow() as uow:
        nas = m.Router(name="nas-1", kind="radius", host="127.0.0.1", secret=radius.secret,
                       radius_db_url=radius.db_url)
        uow.session.add(nas)
        uow.flush()
        client = uow.session.query(m.Client).filter_by(code="C1").one()
        uow.session.add(m.Connection(client_id=client.id, router_id=nas.id, pppoe_user="gomez"))
        uow.commit()
    return cli


def feed_two_sessions(accounting):
    """A finished session of two hours (over 4 GiB down: Gigawords) and one still open."""
    hour = timedelta(hours=1)
    accounting("Start", "s-1", ago=3 * hour)
    accounting("Interim-Update", "s-1", ago=2 * hour, **{"Acct-Input-Octets": "200000000",
               "Acct-Output-Octets": "900000000", "Acct-Session-Time": "3600"})
    accounting("Stop", "s-1", ago=1 * hour, **{"Acct-Input-Octets": "500000000", "Acct-Output-Octets": "700000000",
               "Acct-Output-Gigawords": "1", "Acct-Session-Time": "7200"})
    accounting("Start", "s-2", ago=timedelta(minutes=50))
    accounting("Interim-Update", "s-2", ago=timedelta(minutes=10), **{"Acct-Input-Octets": "30000000",
               "Acct-Output-Octets": "120000000", "Acct-Session-Time": "2400"})
    accounting("Start", "x-1", user="otro", ago=2 * hour)                        # someone else
    accounting("Stop", "x-1", user="otro", ago=hour, **{"Acct-Output-Octets": "999999999"})


def test_graph_of_a_day_from_freeradius_accounting(field, accounting, tmp_path):
    feed_two_sessions(accounting)
    out = tmp_path / "traffic.png"
    result = field("--format", "json", "client", "traffic", "C1", "--days", "1", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["sessions"] == 2 and summary["bins"] == "96 x 15-minute"
    assert summary["download_bytes"] == GIGAWORD + 700_000_000 + 120_000_000
    assert summary["upload_bytes"] == 500_000_000 + 30_000_000
    assert summary["download"] == "5.1 GB" and summary["upload"] == "530.0 MB"
    assert summary["peak_download"].endswith("Mbit/s")
    from matplotlib.image import imread
    assert out.read_bytes().startswith(b"\x89PNG") and imread(str(out)).shape[1] >= 1000


def test_a_week_is_drawn_hourly_and_older_sessions_stay_out(field, accounting, tmp_path):
    feed_two_sessions(accounting)
    accounting("Start", "old", ago=timedelta(days=10))
    accounting("Stop", "old", ago=timedelta(days=9, hours=23), **{"Acct-Output-Octets": "123456789"})
    out = tmp_path / "week.svg"
    result = field("client", "traffic", "C1", "--out", str(out))          # --days defaults to 7
    assert result.exit_code == 0, result.stderr
    assert "168 x hourly" in result.stdout and "5.1 GB" in result.stdout
    svg = out.read_text()
    assert "<svg" in svg and "download" in svg and "upload" in svg and "hourly average" in svg


def test_without_radius_or_without_accounting_the_answer_is_clear(field, accounting, tmp_path):
    out = tmp_path / "none.png"
    result = field("client", "traffic", "C2", "--out", str(out))
    assert result.exit_code == 1 and "client C2 has no RADIUS connection" in result.stderr
    result = field("client", "traffic", "C1", "--out", str(out))
    assert result.exit_code == 1
    assert "client C1 has no RADIUS accounting in the last 7 day(s) (PPPoE user gomez)" in result.stderr
    assert not out.exists()


def test_bad_options_and_an_unreadable_accounting_database(field, runtime, tmp_path, radius):
    assert "--days '0'" in field("client", "traffic", "C1", "--days", "0", "--out", str(tmp_path / "a.png")).stderr
    assert "must end in .png or .svg" in field("client", "traffic", "C1", "--out", str(tmp_path / "a.jpg")).stderr
    assert field("client", "traffic", "C1").exit_code == 2                 # --out is required
    with runtime.uow() as uow:
        uow.session.query(m.Router).one().radius_db_url = radius.db_url + "_gone"
        uow.commit()
    result = field("client", "traffic", "C1", "--out", str(tmp_path / "a.png"))
    assert result.exit_code == 1 and "cannot read RADIUS accounting" in result.stderr
    assert list(tmp_path.glob("a.*")) == []


def test_cpe_report_looks_for_the_cpe_at_the_last_framed_ip(field, accounting):
    """Same FreeRADIUS radacct (PostgreSQL inet column): `cpe report` goes to the newest address."""
    import socket
    accounting("Start", "a-1", ago=timedelta(days=2), **{"Framed-IP-Address": "10.99.0.1"})
    accounting("Start", "a-2", ago=timedelta(hours=1), **{"Framed-IP-Address": "127.0.0.1"})
    field.ok("config", "set", "cpe.passwords", "-", input="ubnt\n")
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    result = field("cpe", "report", "C1", "--port", str(port))
    assert result.exit_code == 1 and f"the CPE at 127.0.0.1 refuses connections on port {port}" in result.stderr
