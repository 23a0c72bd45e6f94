"""The RADIUS users ispcube provisions (S1): a user is its rows in FreeRADIUS's tables, the
password a radcheck item, the address and speed radreply items (all `:=`), and its plan a
radusergroup row (`ispcube-<plan>`, or `ispcube` without a plan), which marks it as ispcube's.

FreeRADIUS reads a user's own items, then its groups in ascending `priority`, stopping after
the first group unless that group's reply says `Fall-Through = Yes`; a group's `:=` reply item
replaces the user's. The enforce groups `ispcube-cut` and `ispcube-throttle` (enforcement's,
priority 0) therefore come before the plan group (`PLAN_PRIORITY`): a throttled user gets the
throttle rate instead of its plan's, a cut user the cut group's reply. Provisioning writes
those groups once only: a user added for a client whose service is held (the op's `service`,
cut or throttled) joins the group enforce shows that state with, in the add's transaction, so
it never logs in unrestricted; afterwards they are enforce's alone (a set never writes them),
and a name found only there is no user. A removed user loses every row,
its enforce groups too: with no password it is rejected, and a name given later to someone
else starts clean (enforce marks it again if it must).

Read with a fixed handful of queries, whatever the number of users.
"""

from __future__ import annotations

from typing import Mapping

from sqlalchemy import Connection, and_, delete, insert, not_, or_, select

from ispcube.adapters.drivers import CUT_LIST, THROTTLE_LIST
from ispcube.adapters.radius_schema import RADCHECK, RADREPLY, RADUSERGROUP
from ispcube.domain.provisioning import NO_PLAN_GROUP, PREFIX, SERVICE, Held, ObjectKind, Op, Verb
from ispcube.domain.terms import Service

ENFORCE_GROUPS = (CUT_LIST, THROTTLE_LIST)
# The group enforce puts a user of each held state in (enforcement/states.py shows a state on one list).
ENFORCE_GROUP_OF = {Service.CUT.value: CUT_LIST, Service.THROTTLED.value: THROTTLE_LIST}
PLAN_PRIORITY = 10
GROUP = "group"
CHECK_ITEMS = ("Cleartext-Password",)
REPLY_ITEMS = ("Framed-IP-Address", "Mikrotik-Rate-Limit")


def is_plan_group(name: str) -> bool:
    return (name == NO_PLAN_GROUP or name.startswith(PREFIX)) and name not in ENFORCE_GROUPS


def _plan_groups():
    column = RADUSERGROUP.c.groupname
    return and_(or_(column == NO_PLAN_GROUP, column.like(PREFIX + "%")), not_(column.in_(ENFORCE_GROUPS)))


def read_users(conn: Connection) -> list[Held]:
    """Every user in the database, ours and foreign: each check and reply item it has (the
    first row of an attribute), and `group`, its plan group, when it has one (then `marked`).
    A name found only in the enforce groups is no user."""
    fields: dict[str, dict[str, str]] = {}
    for table in (RADCHECK, RADREPLY):
        rows = conn.execute(select(table.c.username, table.c.attribute, table.c.value).order_by(table.c.id))
        for user, attribute, value in rows:
            fields.setdefault(user, {}).setdefault(attribute, value)
    marked: set[str] = set()
    groups = conn.execute(select(RADUSERGROUP.c.username, RADUSERGROUP.c.groupname)
                          .where(not_(RADUSERGROUP.c.groupname.in_(ENFORCE_GROUPS)))
                          .order_by(RADUSERGROUP.c.priority, RADUSERGROUP.c.id))
    for user, group in groups:
        held = fields.setdefault(user, {})
        if is_plan_group(group) and user not in marked:
            held[GROUP] = group
            marked.add(user)
    return [Held(ObjectKind.RADIUS_USER, user, held, None, user in marked) for user, held in sorted(fields.items())]


def unknown_fields(op: Op) -> list[str]:
    """Fields of OP that are no RADIUS item ispcube provisions (an add's `service`, the state its
    user starts in, must be a held one: cut or throttled)."""
    known = (GROUP, *CHECK_ITEMS, *REPLY_ITEMS) + ((SERVICE,) if op.verb == Verb.ADD else ())
    unknown = [name for name in op.fields if name not in known]
    if SERVICE in known and SERVICE in op.fields and op.fields[SERVICE] not in ENFORCE_GROUP_OF:
        unknown.append(f"{SERVICE}={op.fields[SERVICE]}")
    return unknown


def apply_user(conn: Connection, op: Op) -> None:
    """Make OP on one user: add and set write each field given (an empty value deletes the
    item), remove deletes every row of the user. An add over an existing user rewrites its
    fields; a remove of a user that is gone deletes nothing."""
    if op.verb == Verb.REMOVE:
        for table in (RADCHECK, RADREPLY, RADUSERGROUP):
            conn.execute(delete(table).where(table.c.username == op.name))
        return
    _write_fields(conn, op.name, op.fields)


def _write_fields(conn: Connection, user: str, fields: Mapping[str, str]) -> None:
    for name, value in fields.items():
        if name == SERVICE:
            _join_enforce_group(conn, user, ENFORCE_GROUP_OF[value])
            continue
        if name == GROUP:
            conn.execute(delete(RADUSERGROUP).where(RADUSERGROUP.c.username == user, _plan_groups()))
            if value:
                conn.execute(insert(RADUSERGROUP).values(username=user, groupname=value, priority=PLAN_PRIORITY))
            continue
        table = RADCHECK if name in CHECK_ITEMS else RADREPLY
        conn.execute(delete(table).where(table.c.username == user, table.c.attribute == name))
        if value:
            conn.execute(insert(table).values(username=user, attribute=name, op=":=", value=value))


def _join_enforce_group(conn: Connection, user: str, group: str) -> None:
    """USER in enforce's GROUP, as enforce puts it there (priority 0), unless it is already."""
    there = conn.execute(select(RADUSERGROUP.c.id).where(RADUSERGROUP.c.username == user,
                                                         RADUSERGROUP.c.groupname == group)).first()
    if there is None:
        conn.execute(insert(RADUSERGROUP).values(username=user, groupname=group, priority=0))


def rate_of(conn: Connection, user: str) -> str | None:
    """USER's own rate item, if it has one."""
    return conn.execute(select(RADREPLY.c.value).where(RADREPLY.c.username == user,
                                                       RADREPLY.c.attribute == "Mikrotik-Rate-Limit")
                        .order_by(RADREPLY.c.id).limit(1)).scalar()


def enforced_users(conn: Connection, users: list[str]) -> set[str]:
    """Which of USERS are in an enforce group (cut or throttled)."""
    if not users:
        return set()
    return set(conn.execute(select(RADUSERGROUP.c.username).where(
        RADUSERGROUP.c.username.in_(users), RADUSERGROUP.c.groupname.in_(ENFORCE_GROUPS))).scalars())
