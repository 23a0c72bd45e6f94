"""Bank statements and payment files imported: each bank transaction acted on once (K5, R15)

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa

from ispcube.db.types import Money

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'payment_imports',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('file_name', sa.String(length=500), nullable=False),
        sa.Column('file_format', sa.String(length=10), nullable=False),
        sa.Column('imported_at', sa.DateTime(), nullable=False),
        sa.Column('operator', sa.String(length=64), nullable=False),
        sa.Column('posted', sa.Integer(), nullable=False),
        sa.Column('returned', sa.Integer(), nullable=False),
        sa.Column('total', Money(), nullable=False),
    )
    op.create_table(
        'bank_transactions',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('key', sa.String(length=255), nullable=False, unique=True),
        sa.Column('import_id', sa.Integer(), sa.ForeignKey('payment_imports.id'), nullable=False, index=True),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('booked', sa.Date(), nullable=False),
        sa.Column('amount', Money(), nullable=False),
        sa.Column('client_id', sa.Integer(), sa.ForeignKey('clients.id'), nullable=False, index=True),
        sa.Column('entry_id', sa.Integer(), sa.ForeignKey('ledger_entries.id'), nullable=True),
        sa.Column('item_id', sa.Integer(), sa.ForeignKey('collection_items.id'), nullable=True, index=True),
        sa.Column('matched_by', sa.String(length=20), nullable=False),
        sa.Column('reference', sa.String(length=140), nullable=True),
    )


def downgrade() -> None:
    op.drop_table('bank_transactions')
    op.drop_table('payment_imports')
