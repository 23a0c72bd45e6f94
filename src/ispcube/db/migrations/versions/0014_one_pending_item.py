"""Collections: at most one pending direct-debit item per client (K3, R17)

A partial unique index on `collection_items (client_id) WHERE status = 'pending'`: two
`collect sepa` runs at once can no longer both request a client's debt. A database where that
already happened cannot take the index; the upgrade then names the clients and their batches,
so the operator settles one of them first (the bank's statement, or `collect settle`).

Revision ID: 0014
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa

from ispcube.errors import Refused

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    twice = op.get_bind().execute(sa.text(
        "SELECT c.code, i.batch_id FROM collection_items i JOIN clients c ON c.id = i.client_id "
        "WHERE i.status = 'pending' AND i.client_id IN (SELECT client_id FROM collection_items "
        "WHERE status = 'pending' GROUP BY client_id HAVING COUNT(*) > 1) ORDER BY c.code, i.batch_id")).all()
    if twice:
        batches: dict[str, list[str]] = {}
        for code, batch in twice:
            batches.setdefault(code, []).append(str(batch))
        named = "; ".join(f"client {code} in batches {', '.join(found)}" for code, found in batches.items())
        raise Refused(f"direct debits requested twice and still pending ({named}): settle or import the "
                           "bank's answer for one of the batches of each client, then upgrade again")
    op.create_index('uq_collection_items_pending', 'collection_items', ['client_id'], unique=True,
                    sqlite_where=PENDING, postgresql_where=PENDING)


def downgrade() -> None:
    op.drop_index('uq_collection_items_pending', table_name='collection_items')
