"""Escalation (E2, E3): a client's service may be `throttled`, a router task `unthrottle`

Both are longer than their columns held: PostgreSQL widens `clients.service` and
`router_tasks.action` from 8 to 12 characters. SQLite does not enforce the length of a
VARCHAR, and a batch rebuild of `clients` would drop the search-index triggers of 0007, so
they are left as they are there.

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


WIDENED = (('clients', 'service'), ('router_tasks', 'action'))


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for table, column in WIDENED:
            op.alter_column(table, column, type_=sa.String(length=12), existing_type=sa.String(length=8))


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("UPDATE clients SET service = 'cut' WHERE service = 'throttled'")
        op.execute("UPDATE router_tasks SET status = 'cancelled' "
                   "WHERE action IN ('throttle', 'unthrottle') AND status = 'open'")
        op.execute("UPDATE router_tasks SET action = 'restore' WHERE action = 'unthrottle'")
        for table, column in WIDENED:
            op.alter_column(table, column, type_=sa.String(length=8), existing_type=sa.String(length=12))
