"""Fiscal invoices: the tax model and each invoice's fiscal document (I1, I3, I5, I8)

Companies get their VAT condition, point of sale, activity start, gross-income number and the
AFIP certificate and key files; clients their VAT condition (RG 5616's code, consumidor final
by default); plans their VAT rate (none: the setting tax.vat_rate, 21 by default). `fiscal_documents` holds, beside each
invoice's immutable ledger entry, what the tax authority sees of it: letter, net and VAT, the
fiscal number, its state (internal, draft, in flight, authorized), the CAE and the refusals.

Revision ID: 0016
Revises: 0015
"""
from alembic import op
import sqlalchemy as sa

from ispcube.db.types import Money

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN: a batch rebuild of `clients` on SQLite would drop 0007's search triggers.
    for column in (sa.Column('vat_condition', sa.String(length=24), nullable=True),
                   sa.Column('point_of_sale', sa.Integer(), nullable=True),
                   sa.Column('activity_start', sa.Date(), nullable=True),
                   sa.Column('gross_income', sa.String(length=40), nullable=True),
                   sa.Column('afip_cert', sa.String(length=500), nullable=True),
                   sa.Column('afip_key', sa.String(length=500), nullable=True)):
        op.add_column('companies', column)
    op.add_column('clients', sa.Column('vat_condition', sa.Integer(), nullable=False, server_default='5'))
    op.add_column('plans', sa.Column('vat_rate', sa.Numeric(4, 1), nullable=True))
    op.create_table(
        'fiscal_documents',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('entry_id', sa.Integer(), sa.ForeignKey('ledger_entries.id'), nullable=False, unique=True),
        sa.Column('client_id', sa.Integer(), sa.ForeignKey('clients.id'), nullable=False, index=True),
        sa.Column('company_id', sa.Integer(), sa.ForeignKey('companies.id'), nullable=True),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('letter', sa.String(length=1), nullable=False),
        sa.Column('document_type', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False, index=True),
        sa.Column('point_of_sale', sa.Integer(), nullable=True),
        sa.Column('number', sa.Integer(), nullable=True),
        sa.Column('issued', sa.Date(), nullable=True),
        sa.Column('service_from', sa.Date(), nullable=True),
        sa.Column('service_to', sa.Date(), nullable=True),
        sa.Column('payment_due', sa.Date(), nullable=True),
        sa.Column('total', Money(), nullable=False),
        sa.Column('net', Money(), nullable=False),
        sa.Column('vat', Money(), nullable=False),
        sa.Column('vat_rate', sa.Numeric(4, 1), nullable=True),
        sa.Column('receptor_vat', sa.Integer(), nullable=False),
        sa.Column('receptor_doc_type', sa.Integer(), nullable=False),
        sa.Column('receptor_doc_number', sa.BigInteger(), nullable=False),
        sa.Column('cae', sa.String(length=14), nullable=True),
        sa.Column('cae_due', sa.Date(), nullable=True),
        sa.Column('refusal', sa.Text(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('last_error', sa.String(length=300), nullable=True),
        sa.Column('authorized_at', sa.DateTime(), nullable=True),
        sa.UniqueConstraint('company_id', 'point_of_sale', 'document_type', 'number', name='uq_fiscal_number'),
    )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35 and later, PostgreSQL): a batch rebuild of `clients` on
    # SQLite would drop 0007's search triggers and trip the foreign keys that point at it.
    op.drop_table('fiscal_documents')
    op.drop_column('plans', 'vat_rate')
    op.drop_column('clients', 'vat_condition')
    for name in ('afip_key', 'afip_cert', 'gross_income', 'activity_start', 'point_of_sale', 'vat_condition'):
        op.drop_column('companies', name)
