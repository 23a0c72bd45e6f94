"""The RADIUS network the RADIUS enforcement tests share: one FreeRADIUS server per test module
(tests/support/freeradius.py) and, per test, a NAS on loopback (tests/support/radius_nas.py),
the router `nas1` pointing at both, and two clients on it: A1 (PPPoE user `ana`, owing 300,
with a live session `s-ana` at 10.5.0.1) and B2 (`beto`, owing nothing).

    freeradius, radius = radius_fixtures(("escalation.throttle_rate", "512k/1M"))

    def test_something(radius):
        cli, freeradius, nas = radius
"""

from typing import Iterator

import pytest

from tests.conftest import Cli, _pg_admin_engine
from tests.support.freeradius import FreeRadius, require_freeradius
from tests.support.radius_nas import FakeNas


def radius_fixtures(*settings: tuple[str, str]):
    """The fixtures `freeradius` (the module's server) and `radius` ((cli, server, NAS), with
    each (key, value) of SETTINGS set by `config set`), to assign at a test module's top."""

    @pytest.fixture(scope="module")
    def freeradius() -> Iterator[FreeRadius]:
        require_freeradius()
        _pg_admin_engine().dispose()          # its database is on PostgreSQL: skip or fail as the suite does
        with FreeRadius() as server:
            yield server

    @pytest.fixture
    def radius(freeradius: FreeRadius, cli: Cli) -> Iterator[tuple[Cli, FreeRadius, FakeNas]]:
        freeradius.execute("TRUNCATE radcheck, radreply, radgroupreply, radusergroup, radacct")
        for user in ("ana", "beto"):
            freeradius.execute("INSERT INTO radcheck (username, attribute, op, value) "
                               "VALUES (:u, 'Cleartext-Password', ':=', 'pw')", u=user)
        freeradius.execute("INSERT INTO radgroupreply (groupname, attribute, op, value) "
                           "VALUES ('ispcube-cut', 'Mikrotik-Address-List', ':=', 'ispcube-cut')")
        freeradius.accounting(**{"User-Name": "ana", "Acct-Status-Type": "Start", "Acct-Session-Id": "s-ana",
                                 "NAS-IP-Address": "127.0.0.1", "Framed-IP-Address": "10.5.0.1"})
        with FakeNas(secret=b"nas-secret") as nas:
            cli.ok("router", "add", "nas1", "--kind", "radius", "--host", "127.0.0.1", "--coa-port", str(nas.port),
                   "--radius-db", freeradius.db_url, "--secret-env", "NAS_SECRET", env={"NAS_SECRET": "nas-secret"})
            for code, user, debt in (("A1", "ana", "300"), ("B2", "beto", None)):
                cli.ok("client", "add", "--code", code, "--name", f"Cliente {code}", "--address", f"Calle {code}")
                cli.ok("connection", "add", code, "--router", "nas1", "--pppoe-user", user)
                if debt:
                    cli.ok("ledger", "adjust", code, "--debit", debt, "--reason", "deuda")
            for key, value in settings:
                cli.ok("config", "set", key, value)
            yield cli, freeradius, nas

    return freeradius, radius
