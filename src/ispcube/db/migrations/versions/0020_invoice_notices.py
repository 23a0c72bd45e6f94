"""Invoices by e-mail (I7): a notice may carry the invoice it sends

Revision ID: 0020
Revises: 0019
"""
from alembic import op
import sqlalchemy as sa

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no foreign key: SQLite would rebuild the table for one); the services
    # write only ids of ledger entries that have a fiscal document here.
    op.add_column('notices', sa.Column('entry_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column('notices', 'entry_id')
