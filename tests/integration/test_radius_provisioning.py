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
from ispcube.domain.provisioning import Held, Line, ObjectKind, Op, Plan, Verb, diff, wanted_objects
from ispcube.domain.terms import Service
from ispcube.errors import RouterProtocolError, RouterUnreachable
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


def ana(plan: Plan | None = BASIC, ip: str | None = "10.5.0.9", password: str | None = "pw-ana") -> Line:
    return Line(1, "A1", ip, "ana", password, plan)


def provision(db: RadiusDb, lines: list[Line]) -> tuple[list[Op], list]:
    """One pass as `provision` makes it: read, diff, apply; (the ops, their results)."""
    with driver_for(db.config) as driver:
        ops = diff(wanted_objects("radius", lines), driver.read_objects()).ops
        return ops, driver.apply_objects(ops)


def test_a_user_is_made_changed_and_removed_and_a_second_pass_writes_nothing(radius_db):
    ops, results = provision(radius_db, [ana()])
    assert [op.label for op in ops] == ["add radius-user 'ana'"] and results == [None]
    assert radius_db.rows("ana") == [("radcheck", "Cleartext-Password", ":=", "pw-ana"),
                                     ("radreply", "Framed-IP-Address", ":=", "10.5.0.9"),
                                     ("radreply", "Mikrotik-Rate-Limit", ":=", "10M/20M"),
                                     ("radusergroup", "ispcube-basic", 10)]
    assert provision(radius_db, [ana()]) == ([], [])

    ops, results = provision(radius_db, [ana(FAST, ip=None)])
    assert [(op.verb, dict(op.fields)) for op in ops] == [
        (Verb.SET, {"Mikrotik-Rate-Limit": "25M/50M", "group": "ispcube-fast", "Framed-IP-Address": ""})]
    assert results == [None]
    assert radius_db.rows("ana") == [("radcheck", "Cleartext-Password", ":=", "pw-ana"),
                                     ("radreply", "Mikrotik-Rate-Limit", ":=", "25M/50M"),
                                     ("radusergroup", "ispcube-fast", 10)]
    assert provision(radius_db, [ana(FAST, ip=None)]) == ([], [])
    assert radius_db.nas.coa_requests == []            # no live session: nothing to tell

    ops, results = provision(radius_db, [])
    assert [op.label for op in ops] == ["remove radius-user 'ana'"] and results == [None]
    assert radius_db.rows("ana") == []
    assert provision(radius_db, []) == ([], [])


def test_a_held_clients_new_user_joins_enforces_group_and_nothing_after_touches_it(radius_db):
    throttled = Line(1, "A1", None, "ana", "pw-ana", BASIC, Service.THROTTLED)
    ops, results = provision(radius_db, [throttled, Line(2, "B2", None, "beto", "pw-beto", BASIC, Service.CUT)])
    assert results == [None, None]
    assert radius_db.rows("ana")[-2:] == [("radusergroup", "ispcube-basic", 10),
                                          ("radusergroup", "ispcube-throttle", 0)]
    assert radius_db.rows("beto")[-1] == ("radusergroup", "ispcube-cut", 0)
    if radius_db.server is not None:                   # the cut group's reply, as enforce's cut gives it
        radius_db.server.execute("INSERT INTO radgroupreply (groupname, attribute, op, value) "
                                 "VALUES ('ispcube-cut', 'Mikrotik-Address-List', ':=', 'ispcube-cut')")
        assert radius_db.server.radtest("beto", "pw-beto") == (True, {"Mikrotik-Rate-Limit": "10M/20M",
                                                                      "Mikrotik-Address-List": "ispcube-cut"})
    radius_db.execute("DELETE FROM radusergroup WHERE groupname = 'ispcube-throttle'")    # enforce restores ana
    assert provision(radius_db, [throttled, Line(2, "B2", None, "beto", "pw-beto", BASIC)]) == ([], [])
    assert ("radusergroup", "ispcube-throttle", 0) not in radius_db.rows("ana")
    assert radius_db.rows("beto")[-1] == ("radusergroup", "ispcube-cut", 0)
    with driver_for(radius_db.config) as driver:       # a state no group shows is refused, nothing written
        [refused] = driver.apply_objects([Op(Verb.ADD, ObjectKind.RADIUS_USER, "eva",
                                             {"Cleartext-Password": "x", "service": "active"})])
    assert isinstance(refused, RouterProtocolError) and "service=active" in str(refused)
    assert radius_db.rows("eva") == []


def test_a_plan_change_reaches_the_live_session_by_coa(radius_db):
    provision(radius_db, [ana()])
    radius_db.start_session("ana", "s-ana")
    _, results = provision(radius_db, [ana(FAST)])
    assert results == [None]
    assert radius_db.nas.coa_requests == [{"User-Name": "ana", "Acct-Session-Id": "s-ana",
                                           "Mikrotik-Rate-Limit": "25M/50M"}]
    assert radius_db.nas.requests == []                # the session stays up at its new speed
    provision(radius_db, [ana(FAST)])
    assert len(radius_db.nas.coa_requests) == 1


@pytest.mark.parametrize("answer, error, words", [
    ("nak", RouterProtocolError, "refused the CoA-Request for 'ana' (NAK)"),
    ("silence", RouterUnreachable, "no answer to the CoA-Request for 'ana'")])
def test_a_coa_refused_or_unanswered_fails_its_op_and_a_retried_connection_repeats_it(radius_db, answer, error, words):
    provision(radius_db, [ana(), Line(2, "B2", None, "beto", "pw-beto", BASIC)])
    radius_db.start_session("ana", "s-ana")
    radius_db.nas.answer = answer
    with driver_for(radius_db.config) as driver:
        ops = diff(wanted_objects("radius", [ana(FAST), Line(2, "B2", None, "beto", "pw-beto", FAST)]),
                   driver.read_objects()).ops
        results = driver.apply_objects(ops)
    assert [op.name for op in ops] == ["ana", "beto"]
    assert type(results[0]) is error and words in str(results[0]) and "nas-secret" not in str(results[0])
    # the rows stay written; beto, with no session on the NAS, is made whether it answers or not
    assert ("radreply", "Mikrotik-Rate-Limit", ":=", "25M/50M") in radius_db.rows("ana")
    assert results[1] is None and ("radreply", "Mikrotik-Rate-Limit", ":=", "25M/50M") in radius_db.rows("beto")
    radius_db.nas.answer = "ack"
    sent = len(radius_db.nas.coa_requests)
    with driver_for(radius_db.config) as driver:      # the next run: ana's connection was retried
        wanted = wanted_objects("radius", [ana(FAST), Line(2, "B2", None, "beto", "pw-beto", FAST)])
        assert diff(wanted, driver.read_objects()).ops == []       # ana's rows hold the rate
        again = diff(wanted, driver.read_objects(), retried=[1]).ops
        assert [(op.name, dict(op.fields)) for op in again] == [("ana", {"Mikrotik-Rate-Limit": "25M/50M"})]
        assert driver.apply_objects(again) == [None] * len(again)
    assert radius_db.nas.coa_requests[sent:] == [{"User-Name": "ana", "Acct-Session-Id": "s-ana",
                                                  "Mikrotik-Rate-Limit": "25M/50M"}]


@pytest.mark.parametrize("group", ["ispcube-throttle", "ispcube-cut"])
def test_a_session_under_an_enforce_group_keeps_what_enforce_gave_it(radius_db, group):
    provision(radius_db, [ana()])
    radius_db.execute("INSERT INTO radusergroup (username, groupname, priority) VALUES ('ana', :g, 0)", g=group)
    radius_db.start_session("ana", "s-ana")
    _, results = provision(radius_db, [ana(FAST)])
    assert results == [None] and radius_db.nas.coa_requests == []
    assert ("radusergroup", group, 0) in radius_db.rows("ana")     # enforce's row is left as it was
    assert ("radusergroup", "ispcube-fast", 10) in radius_db.rows("ana")


def test_foreign_users_are_never_touched_and_conflicts_never_overwritten(radius_db):
    foreign_user(radius_db)
    before = radius_db.rows("zoe")
    zoe = Line(3, "Z3", "10.5.0.3", "zoe", "other", BASIC)
    with driver_for(radius_db.config) as driver:
        found = diff(wanted_objects("radius", [ana(), zoe]), driver.read_objects())
        assert [w.name for w in found.conflicts] == ["zoe"] and found.foreign == []
        assert driver.apply_objects(found.ops) == [None]
    provision(radius_db, [])                          # every user of ours removed
    assert radius_db.rows("zoe") == before and radius_db.rows("ana") == []


def test_a_set_or_an_add_writes_only_the_fields_it_gives_an_empty_one_deleted(radius_db):
    provision(radius_db, [ana()])
    with driver_for(radius_db.config) as driver:
        no_speed = Op(Verb.SET, ObjectKind.RADIUS_USER, "ana", {"Mikrotik-Rate-Limit": ""})
        assert driver.apply_objects([no_speed]) == [None]
        assert radius_db.rows("ana") == [("radcheck", "Cleartext-Password", ":=", "pw-ana"),
                                         ("radreply", "Framed-IP-Address", ":=", "10.5.0.9"),
                                         ("radusergroup", "ispcube-basic", 10)]
        add = Op(Verb.ADD, ObjectKind.RADIUS_USER, "ana", {"Cleartext-Password": "new", "group": "ispcube"})
        assert driver.apply_objects([add, add]) == [None, None]
        assert radius_db.rows("ana") == [("radcheck", "Cleartext-Password", ":=", "new"),
                                         ("radreply", "Framed-IP-Address", ":=", "10.5.0.9"),
                                         ("radusergroup", "ispcube", 10)]


def test_an_op_the_driver_cannot_make_fails_alone(radius_db):
    with driver_for(radius_db.config) as driver:
        results = driver.apply_objects([
            Op(Verb.ADD, ObjectKind.SECRET, "ana", {"password": "x"}),
            Op(Verb.ADD, ObjectKind.RADIUS_USER, "ana", {"Cleartext-Password": "x", "Idle-Timeout": "60"}),
            Op(Verb.ADD, ObjectKind.RADIUS_USER, "beto", {"Cleartext-Password": "pw", "group": "ispcube"})])
    assert [type(r) for r in results] == [RouterProtocolError, RouterProtocolError, type(None)]
    assert "Idle-Timeout" in str(results[1]) and "pw" not in str(results[1])
    assert radius_db.rows("ana") == [] and radius_db.rows("beto") != []


@pytest.mark.parametrize("radius_db", ["postgresql"], indirect=True)
@pytest.mark.pg
@pytest.mark.slow
def test_freeradius_accepts_a_provisioned_user_with_its_address_and_plan_rate_and_rejects_it_removed(radius_db):
    server = radius_db.server
    provision(radius_db, [ana()])
    assert server.radtest("ana", "pw-ana") == (True, {"Framed-IP-Address": "10.5.0.9",
                                                      "Mikrotik-Rate-Limit": "10M/20M"})
    assert server.radtest("ana", "wrong") == (False, {})

    radius_db.start_session("ana", "s-ana")
    provision(radius_db, [ana(FAST)])
    assert server.radtest("ana", "pw-ana") == (True, {"Framed-IP-Address": "10.5.0.9",
                                                      "Mikrotik-Rate-Limit": "25M/50M"})
    assert [r["Mikrotik-Rate-Limit"] for r in radius_db.nas.coa_requests] == ["25M/50M"]

    provision(radius_db, [])
    assert server.radtest("ana", "pw-ana") == (False, {})


@pytest.mark.parametrize("radius_db", ["postgresql"], indirect=True)
@pytest.mark.pg
@pytest.mark.slow
def test_enforce_groups_win_over_the_plan(radius_db):
    """FreeRADIUS reads a user's groups in ascending priority and stops after the first (no
    Fall-Through): the enforce groups (0) come before the plan group, whose own reply items,
    put there by hand, are then never read; the throttle's rate replaces the user's."""
    server = radius_db.server
    server.execute("INSERT INTO radgroupreply (groupname, attribute, op, value) VALUES "
                   "('ispcube-cut', 'Mikrotik-Address-List', ':=', 'ispcube-cut'), "
                   "('ispcube-throttle', 'Mikrotik-Rate-Limit', ':=', '512k/1M'), "
                   "('ispcube-basic', 'Mikrotik-Rate-Limit', ':=', '5M/5M')")
    provision(radius_db, [ana()])
    assert server.radtest("ana", "pw-ana")[1]["Mikrotik-Rate-Limit"] == "5M/5M"    # the group is read
    server.execute("INSERT INTO radusergroup (username, groupname, priority) VALUES ('ana', 'ispcube-throttle', 0)")
    assert server.radtest("ana", "pw-ana") == (True, {"Framed-IP-Address": "10.5.0.9",
                                                      "Mikrotik-Rate-Limit": "512k/1M"})
    provision(radius_db, [ana(FAST)])                 # a plan change while throttled
    assert server.radtest("ana", "pw-ana")[1]["Mikrotik-Rate-Limit"] == "512k/1M"
    server.execute("UPDATE radusergroup SET groupname = 'ispcube-cut' WHERE groupname = 'ispcube-throttle'")
    accepted, reply = server.radtest("ana", "pw-ana")
    assert accepted and reply["Mikrotik-Address-List"] == "ispcube-cut"
    assert provision(radius_db, [ana(FAST)]) == ([], [])     # enforce's rows are no drift


@pytest.mark.parametrize("radius_db", ["sqlite"], indirect=True)
def test_a_database_failing_before_the_ops_fails_each_of_them_in_one_sentence(radius_db):
    provision(radius_db, [ana()])
    with driver_for(radius_db.config) as driver:
        radius_db.execute("DROP TABLE radacct")     # the sessions cannot be read
        results = driver.apply_objects([Op(Verb.SET, ObjectKind.RADIUS_USER, "ana", {"Mikrotik-Rate-Limit": "1M/1M"}),
                                        Op(Verb.REMOVE, ObjectKind.RADIUS_USER, "ana")])
    assert [type(r) for r in results] == [RouterProtocolError, RouterProtocolError]
    assert str(results[0]).startswith("router nas1: RADIUS database:") and "SELECT" not in str(results[0])
    assert ("radreply", "Mikrotik-Rate-Limit", ":=", "10M/20M") in radius_db.rows("ana")     # nothing made
