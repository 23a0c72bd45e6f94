"""Invoices waiting for their CAE (I4): the day a run named one overdue on its client's log

Revision ID: 0021
Revises: 0020
"""
from alembic import op
import sqlalchemy as sa

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN on both backends; an invoice open before it has not been logged yet.
    op.add_column('fiscal_documents', sa.Column('overdue_logged', sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column('fiscal_documents', 'overdue_logged')
