"""One PPPoE user per router (R17), as one IP per router already is: a unique index on
(router_id, pppoe_user), so two commands adding connections at once cannot both give it out.

Connections stored before may already share a PPPoE user on a router (two imports that ran
at once): the migration then refuses, naming them, and changes nothing; correct them with
`ispcube connection edit` and migrate again.

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

SHOWN = 5     # clashes named in the refusal


def upgrade() -> None:
    clashes = op.get_bind().execute(sa.text(
        "SELECT r.name, c.pppoe_user, MIN(c.id), MAX(c.id), COUNT(*) FROM connections c "
        "JOIN routers r ON r.id = c.router_id WHERE c.pppoe_user IS NOT NULL "
        "GROUP BY r.name, c.pppoe_user HAVING COUNT(*) > 1 ORDER BY r.name, c.pppoe_user")).all()
    if clashes:
        from ispcube.errors import Refused
        named = "; ".join(f"PPPoE user '{user}' on router {router}: connections {first} and {last}"
                          + (f" (and {count - 2} more)" if count > 2 else "")
                          for router, user, first, last, count in clashes[:SHOWN])
        more = f" and {len(clashes) - SHOWN} more clashes" if len(clashes) > SHOWN else ""
        raise Refused(f"the schema cannot be migrated: {len(clashes)} PPPoE user(s) are used twice on one router "
                      f"({named}{more}); give each connection its own with `ispcube connection edit` and "
                      "migrate again")
    op.create_index('uq_connections_router_pppoe', 'connections', ['router_id', 'pppoe_user'], unique=True)


def downgrade() -> None:
    op.drop_index('uq_connections_router_pppoe', table_name='connections')
