"""Credit notes (I6): a fiscal document names the document it cancels

Revision ID: 0018
Revises: 0017
"""
from alembic import op
import sqlalchemy as sa

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no foreign key: SQLite would rebuild the table for one); the services
    # write only ids of fiscal documents here.
    op.add_column('fiscal_documents', sa.Column('associated_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('fiscal_documents') as batch:
        batch.drop_column('associated_id')
