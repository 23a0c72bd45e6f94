"""Provisioning RADIUS users (S1) through the driver: `read_objects` reads every user of the
FreeRADIUS tables, `apply_objects` makes the ops `diff` gives, on a SQLite RADIUS database and
on Debian's FreeRADIUS over PostgreSQL, whose Access-Accepts (radtest) carry what was written;
a pyrad NAS on loopback answers the CoA a plan change sends to a live session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import pytest
from sqlalchemy import Engine, create_engine, insert, select, text

from ispcube.adapters.drivers import RouterConfig, driver_for
from ispcube.adapters.radius_schema import METADATA, RADACCT, RADCHECK, RADREPLY, RADUSERGROUP
from ispcube.domain.provisioning import Held, ObjectKind, Plan
from tests.conftest import _pg_admin_engine
from tests.support.freeradius import FreeRadius, require_freeradius
from tests.support.radius_nas import FakeNas

BASIC = Plan("basic", down_kbps=20000, up_kbps=10000)
FAST = Plan("fast", down_kbps=50000, up_kbps=25000)


@dataclass
class RadiusDb:
    url: str
    engine: Engine
    server: FreeRadius | None     # the FreeRADIUS answering from this database (PostgreSQL only)
    nas: FakeNas

    @property
    def config(self) -> RouterConfig:
        return RouterConfig("nas1", "radius", "127.0.0.1", secret="nas-secret", coa_port=self.nas.port,
                            radius_db_url=self.url, timeout=1.0)

    def execute(self, statement: str, **params) -> None:
        with self.engine.begin() as conn:
            conn.execute(text(statement), params)

    def rows(self, user: str) -> list[tuple]:
        """Every row of USER in the user tables, without ids (what a test compares)."""
        with self.engine.connect() as conn:
            found = []
            for table in (RADCHECK, RADREPLY):
                found += [(table.name, a, o, v) for a, o, v in conn.execute(
                    select(table.c.attribute, table.c.op, table.c.value)
                    .where(table.c.username == user).order_by(table.c.id))]
            found += [("radusergroup", g, p) for g, p in conn.execute(
                select(RADUSERGROUP.c.groupname, RADUSERGROUP.c.priority)
                .where(RADUSERGROUP.c.username == user).order_by(RADUSERGROUP.c.id))]
            return found

    def start_session(self, user: str, session: str) -> None:
        if self.server is not None:
            self.server.accounting(**{"User-Name": user, "Acct-Status-Type": "Start", "Acct-Session-Id": session,
                                      "NAS-IP-Address": "127.0.0.1"})
            return
        with self.engine.begin() as conn:
            conn.execute(insert(RADACCT).values(username=user, acctsessionid=session, nasipaddress="127.0.0.1"))


@pytest.fixture(scope="module")
def freeradius() -> Iterator[FreeRadius]:
    require_freeradius()
    _pg_admin_engine().dispose()          # its database is on PostgreSQL: skip or fail as the suite does
    with FreeRadius() as server:
        yield server


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=[pytest.mark.pg, pytest.mark.slow])])
def radius_db(request, tmp_path) -> Iterator[RadiusDb]:
    server: FreeRadius | None = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'radius.db'}"
        engine = create_engine(url)
        METADATA.create_all(engine)
    else:
        server = request.getfixturevalue("freeradius")
        server.execute("TRUNCATE radcheck, radreply, radgroupreply, radusergroup, radacct")
        url, engine = server.db_url, server.engine
    with FakeNas(secret=b"nas-secret") as nas:
        yield RadiusDb(url, engine, server, nas)
    if server is None:
        engine.dispose()


def foreign_user(db: RadiusDb) -> None:
    """zoe, typed by hand: a password, an address, a group of the ISP's own."""
    db.execute("INSERT INTO radcheck (username, attribute, op, value) VALUES ('zoe', 'Cleartext-Password', ':=', 'z')")
    db.execute("INSERT INTO radreply (username, attribute, op, value) VALUES ('zoe', 'Framed-IP-Address', ':=', "
               "'10.9.9.9')")
    db.execute("INSERT INTO radusergroup (username, groupname, priority) VALUES ('zoe', 'gold', 1)")


def read(db: RadiusDb) -> list[Held]:
    with driver_for(db.config) as driver:
        return driver.read_objects()


def test_read_objects_reads_every_user_once_with_its_items_and_plan_group(radius_db):
    foreign_user(radius_db)
    radius_db.execute("INSERT INTO radcheck (username, attribute, op, value) VALUES "
                      "('ana', 'Cleartext-Password', ':=', 'pw'), ('ana', 'Simultaneous-Use', ':=', '1')")
    radius_db.execute("INSERT INTO radreply (username, attribute, op, value) VALUES "
                      "('ana', 'Mikrotik-Rate-Limit', ':=', '10M/20M'), ('ana', 'Framed-IP-Address', ':=', '10.5.0.1')")
    radius_db.execute("INSERT INTO radusergroup (username, groupname, priority) VALUES "
                      "('ana', 'ispcube-throttle', 0), ('ana', 'ispcube-basic', 10), ('beto', 'ispcube', 10), "
                      "('carl', 'ispcube-cut', 0)")
    held = read(radius_db)
    assert held == [
        Held(ObjectKind.RADIUS_USER, "ana", {"Cleartext-Password": "pw", "Simultaneous-Use": "1",
                                             "Mikrotik-Rate-Limit": "10M/20M", "Framed-IP-Address": "10.5.0.1",
                                             "group": "ispcube-basic"}, None, True),
        Held(ObjectKind.RADIUS_USER, "beto", {"group": "ispcube"}, None, True),
        Held(ObjectKind.RADIUS_USER, "zoe", {"Cleartext-Password": "z", "Framed-IP-Address": "10.9.9.9"}, None, False),
    ]                                  # carl is only in enforce's cut group: no user


def test_read_objects_of_an_empty_database(radius_db):
    assert read(radius_db) == []
