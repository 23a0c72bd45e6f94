"""Documents and card payments: templates, Stripe charges

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

from ispcube.db.types import Money

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

CARD_COLUMNS = (
    ('stripe_customer_id', sa.String(length=64)),
    ('stripe_payment_method_id', sa.String(length=64)),
    ('card_brand', sa.String(length=20)),
    ('card_last4', sa.String(length=4)),
    ('card_expiry', sa.String(length=7)),
)


def upgrade() -> None:
    op.create_table('document_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('saved_at', sa.DateTime(), nullable=False),
    sa.Column('operator', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('document_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_templates_name'), ['name'], unique=False)

    op.create_table('stripe_charges',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('open_client_id', sa.Integer(), nullable=True),
    sa.Column('amount', Money(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('payment_method_id', sa.String(length=64), nullable=False),
    sa.Column('payment_intent_id', sa.String(length=64), nullable=True),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('failure', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('operator', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], ),
    sa.ForeignKeyConstraint(['entry_id'], ['ledger_entries.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('entry_id'),
    sa.UniqueConstraint('open_client_id')
    )
    with op.batch_alter_table('stripe_charges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stripe_charges_client_id'), ['client_id'], unique=False)

    with op.batch_alter_table('clients', schema=None) as batch_op:
        for name, type_ in CARD_COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('clients', schema=None) as batch_op:
        for name, _ in reversed(CARD_COLUMNS):
            batch_op.drop_column(name)

    with op.batch_alter_table('stripe_charges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stripe_charges_client_id'))
    op.drop_table('stripe_charges')

    with op.batch_alter_table('document_templates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_templates_name'))
    op.drop_table('document_templates')
