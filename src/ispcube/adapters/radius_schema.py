"""The FreeRADIUS SQL tables ispcube reads and writes (the standard schema, as SQLAlchemy Core
sees it), and the one query both enforcement and provisioning ask of radacct: the users' open
sessions on the NASes sharing the database.

Check items (radcheck) and reply items (radreply, radgroupreply) are rows of attribute, op and
value; radusergroup puts a user in groups, which FreeRADIUS reads in ascending `priority`.
"""

from __future__ import annotations

from typing import Collection, NamedTuple

from sqlalchemy import Column, Connection, DateTime, Integer, MetaData, String, Table, func, select

METADATA = MetaData()


def _items(name: str) -> Table:
    return Table(name, METADATA, Column("id", Integer, primary_key=True), Column("username", String(64)),
                 Column("attribute", String(64)), Column("op", String(2)), Column("value", String(253)))


RADCHECK = _items("radcheck")
RADREPLY = _items("radreply")
RADUSERGROUP = Table("radusergroup", METADATA,
                     Column("id", Integer, primary_key=True), Column("username", String(64)),
                     Column("groupname", String(64)), Column("priority", Integer))
RADGROUPREPLY = Table("radgroupreply", METADATA,
                      Column("id", Integer, primary_key=True), Column("groupname", String(64)),
                      Column("attribute", String(64)), Column("op", String(2)), Column("value", String(253)))
RADACCT = Table("radacct", METADATA,
                Column("radacctid", Integer, primary_key=True), Column("username", String(64)),
                Column("acctsessionid", String(64)), Column("nasipaddress", String(45)),
                Column("acctstarttime", DateTime), Column("acctstoptime", DateTime))
RATE_LIMIT = "Mikrotik-Rate-Limit"


class Session(NamedTuple):
    """A user's open session: the NAS address radacct names, and its Acct-Session-Id."""
    nas: str
    id: str


def sessions_on(conn: Connection, nas_hosts: Collection[str], users: Collection[str]) -> dict[str, Session]:
    """The open session of each of USERS on any NAS at NAS_HOSTS, the latest started when a user
    has several."""
    if not users or not nas_hosts:
        return {}
    # FreeRADIUS's PostgreSQL schema keeps the NAS address as inet: compare its host part.
    nas = func.host(RADACCT.c.nasipaddress) if conn.dialect.name == "postgresql" else RADACCT.c.nasipaddress
    rows = conn.execute(select(RADACCT.c.username, nas, RADACCT.c.acctsessionid)
                        .where(RADACCT.c.acctstoptime.is_(None), nas.in_(list(nas_hosts)))
                        .order_by(RADACCT.c.acctstarttime))
    return {name: Session(host, session) for name, host, session in rows if name in users}

