"""The RADIUS users ispcube provisions (S1): a user is its rows in FreeRADIUS's tables, the
password a radcheck item, the address and speed radreply items, and its plan a radusergroup row
(`ispcube-<plan>`, or `ispcube` without a plan), which marks the user as ispcube's.

The enforce groups `ispcube-cut` and `ispcube-throttle` belong to enforcement: a name found
only there is no user, and neither is ever taken for a plan group.

Read with a fixed handful of queries, whatever the number of users.
"""

from __future__ import annotations

from sqlalchemy import Connection, not_, select

from ispcube.adapters.drivers import CUT_LIST, THROTTLE_LIST
from ispcube.adapters.radius_schema import RADCHECK, RADREPLY, RADUSERGROUP
from ispcube.domain.provisioning import NO_PLAN_GROUP, PREFIX, Held, ObjectKind

ENFORCE_GROUPS = (CUT_LIST, THROTTLE_LIST)
GROUP = "group"


def is_plan_group(name: str) -> bool:
    return (name == NO_PLAN_GROUP or name.startswith(PREFIX)) and name not in ENFORCE_GROUPS


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
