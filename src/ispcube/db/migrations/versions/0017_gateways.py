"""Payment gateways (G1, G2): Mercado Pago payment links, the fetch's cursor and its unmatched payments

`payment_imports.file_format` grows to 20 characters, so a fetch from a gateway is recorded as
an import named after it (`mercadopago`); on PostgreSQL only: SQLite does not hold a text to its
declared length, and rebuilding the table would break the bank transactions that refer to it.

Revision ID: 0017
Revises: 0016
"""
from alembic import op
import sqlalchemy as sa

from ispcube.db.types import Money

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def _file_format(length: int, was: int) -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('payment_imports', 'file_format', type_=sa.String(length=length),
                        existing_type=sa.String(length=was), existing_nullable=False)


def upgrade() -> None:
    _file_format(20, 10)
    op.create_table(
        'mercadopago_links',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('client_id', sa.Integer(), sa.ForeignKey('clients.id'), nullable=False),
        sa.Column('after_entry', sa.Integer(), nullable=False),
        sa.Column('amount', Money(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('preference_id', sa.String(length=120), nullable=True),
        sa.Column('link', sa.String(length=500), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('operator', sa.String(length=64), nullable=False))
    op.create_index('ix_mercadopago_links_client_id', 'mercadopago_links', ['client_id'])
    op.create_index('uq_mercadopago_links_debt', 'mercadopago_links', ['client_id', 'after_entry', 'amount'],
                    unique=True)
    op.create_table(
        'gateway_cursors',
        sa.Column('source', sa.String(length=20), primary_key=True),
        sa.Column('updated_to', sa.String(length=40), nullable=False),
        sa.Column('fetched_at', sa.DateTime(), nullable=False))
    op.create_table(
        'gateway_unmatched',
        sa.Column('source', sa.String(length=20), primary_key=True),
        sa.Column('payment_id', sa.String(length=64), primary_key=True),
        sa.Column('seen_at', sa.DateTime(), nullable=False),
        sa.Column('reason', sa.String(length=300), nullable=False))


def downgrade() -> None:
    op.drop_table('gateway_unmatched')
    op.drop_table('gateway_cursors')
    op.drop_index('uq_mercadopago_links_debt', table_name='mercadopago_links')
    op.drop_index('ix_mercadopago_links_client_id', table_name='mercadopago_links')
    op.drop_table('mercadopago_links')
    _file_format(10, 20)
