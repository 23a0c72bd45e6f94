"""Collections: the client's bank details, SEPA direct-debit batches and their items (K1, K3)

The bank columns are added with plain ALTER TABLE ... ADD COLUMN on both backends: a batch
rebuild of `clients` on SQLite would drop the search-index triggers of 0007.

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

from ispcube.db.types import Money

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

BANK_COLUMNS = (
    sa.Column('iban', sa.String(length=34), nullable=True),
    sa.Column('bic', sa.String(length=11), nullable=True),
    sa.Column('account_holder', sa.String(length=70), nullable=True),
    sa.Column('mandate_ref', sa.String(length=35), nullable=True),
    sa.Column('mandate_date', sa.Date(), nullable=True),
    sa.Column('cbu', sa.String(length=22), nullable=True),
)


def upgrade() -> None:
    for column in BANK_COLUMNS:
        op.add_column('clients', column)
    op.create_index('uq_clients_mandate_ref', 'clients', ['mandate_ref'], unique=True)
    op.create_table(
        'collection_batches',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('message_id', sa.String(length=35), nullable=False, unique=True),
        sa.Column('pain', sa.String(length=16), nullable=False),
        sa.Column('collection_date', sa.Date(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('operator', sa.String(length=64), nullable=False),
        sa.Column('file_name', sa.String(length=500), nullable=True),
        sa.Column('total', Money(), nullable=False),
        sa.Column('items', sa.Integer(), nullable=False),
    )
    op.create_table(
        'collection_items',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('batch_id', sa.Integer(), sa.ForeignKey('collection_batches.id'), nullable=False, index=True),
        sa.Column('client_id', sa.Integer(), sa.ForeignKey('clients.id'), nullable=False, index=True),
        sa.Column('amount', Money(), nullable=False),
        sa.Column('end_to_end_id', sa.String(length=35), nullable=False, unique=True),
        sa.Column('sequence', sa.String(length=4), nullable=False),
        sa.Column('mandate_ref', sa.String(length=35), nullable=False, index=True),
        sa.Column('iban', sa.String(length=34), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False, index=True),
        sa.Column('reason', sa.String(length=200), nullable=True),
        sa.Column('settled_at', sa.DateTime(), nullable=True),
        sa.Column('entry_id', sa.Integer(), sa.ForeignKey('ledger_entries.id'), nullable=True),
    )


def downgrade() -> None:
    op.drop_table('collection_items')
    op.drop_table('collection_batches')
    op.drop_index('uq_clients_mandate_ref', table_name='clients')
    for column in reversed(BANK_COLUMNS):
        with op.batch_alter_table('clients') as batch:
            batch.drop_column(column.name)
