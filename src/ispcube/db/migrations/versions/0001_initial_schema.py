"""initial schema

Revision ID: 0001
Revises:
"""
from alembic import op
import sqlalchemy as sa

from ispcube.db.types import Money

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('companies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('tax_id', sa.String(length=40), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('phone', sa.String(length=60), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('logo_path', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number')
    )
    op.create_table('nodes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lng', sa.Float(), nullable=True),
    sa.Column('radius_m', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('operators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('cash_entity', sa.String(length=64), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('price', Money(), nullable=False),
    sa.Column('down_kbps', sa.Integer(), nullable=True),
    sa.Column('up_kbps', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('postal_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('locality', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('sequences',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('statuses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('clients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('nickname', sa.String(length=200), nullable=True),
    sa.Column('fiscal_address', sa.String(length=300), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('address_key', sa.String(length=400), nullable=False),
    sa.Column('client_type', sa.String(length=60), nullable=True),
    sa.Column('id_type', sa.String(length=20), nullable=True),
    sa.Column('id_number', sa.String(length=40), nullable=True),
    sa.Column('id_key', sa.String(length=40), nullable=True),
    sa.Column('company_id', sa.Integer(), nullable=True),
    sa.Column('street1', sa.String(length=200), nullable=True),
    sa.Column('street2', sa.String(length=200), nullable=True),
    sa.Column('postal_code_id', sa.Integer(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lng', sa.Float(), nullable=True),
    sa.Column('signup_date', sa.Date(), nullable=True),
    sa.Column('extra1', sa.String(length=200), nullable=True),
    sa.Column('extra2', sa.String(length=200), nullable=True),
    sa.Column('phones', sa.Text(), nullable=False),
    sa.Column('emails', sa.Text(), nullable=False),
    sa.Column('contact', sa.String(length=200), nullable=True),
    sa.Column('epayment_code', sa.String(length=60), nullable=True),
    sa.Column('status_id', sa.Integer(), nullable=True),
    sa.Column('payment_method', sa.String(length=30), nullable=True),
    sa.Column('collector_id', sa.Integer(), nullable=True),
    sa.Column('seller_id', sa.Integer(), nullable=True),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('node_id', sa.Integer(), nullable=True),
    sa.Column('contract', sa.Boolean(), nullable=False),
    sa.Column('contract_type', sa.Integer(), nullable=True),
    sa.Column('contract_expiry', sa.Date(), nullable=True),
    sa.Column('free', sa.Boolean(), nullable=False),
    sa.Column('blockable', sa.Boolean(), nullable=False),
    sa.Column('preaviso', sa.Boolean(), nullable=False),
    sa.Column('preaviso_from', sa.Integer(), nullable=True),
    sa.Column('preaviso_to', sa.Integer(), nullable=True),
    sa.Column('activity', sa.String(length=200), nullable=True),
    sa.Column('webpass_hash', sa.String(length=200), nullable=True),
    sa.Column('tickets_blocked', sa.Boolean(), nullable=False),
    sa.Column('tickets_message', sa.String(length=500), nullable=True),
    sa.Column('balance', Money(), nullable=False),
    sa.Column('service', sa.String(length=8), nullable=False),
    sa.Column('service_by', sa.String(length=8), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('previous_code', sa.String(length=40), nullable=True),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['collector_id'], ['operators.id'], ),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], ),
    sa.ForeignKeyConstraint(['node_id'], ['nodes.id'], ),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], ),
    sa.ForeignKeyConstraint(['postal_code_id'], ['postal_codes.id'], ),
    sa.ForeignKeyConstraint(['seller_id'], ['operators.id'], ),
    sa.ForeignKeyConstraint(['status_id'], ['statuses.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    sa.UniqueConstraint('epayment_code')
    )
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clients_address_key'), ['address_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_clients_collector_id'), ['collector_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clients_deleted'), ['deleted'], unique=False)
        batch_op.create_index(batch_op.f('ix_clients_id_key'), ['id_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_clients_node_id'), ['node_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clients_postal_code_id'), ['postal_code_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clients_status_id'), ['status_id'], unique=False)

    op.create_table('routers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('port', sa.Integer(), nullable=True),
    sa.Column('api_ssl', sa.Boolean(), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=True),
    sa.Column('secret', sa.String(length=255), nullable=True),
    sa.Column('coa_port', sa.Integer(), nullable=True),
    sa.Column('node_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['node_id'], ['nodes.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('client_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('operator', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('client_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_events_client_id'), ['client_id'], unique=False)

    op.create_table('client_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('author', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('client_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_notes_client_id'), ['client_id'], unique=False)

    op.create_table('connections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('router_id', sa.Integer(), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=True),
    sa.Column('mac', sa.String(length=17), nullable=True),
    sa.Column('pppoe_user', sa.String(length=100), nullable=True),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('cpe_kind', sa.String(length=30), nullable=True),
    sa.Column('panel_router_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], ),
    sa.ForeignKeyConstraint(['panel_router_id'], ['routers.id'], ),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], ),
    sa.ForeignKeyConstraint(['router_id'], ['routers.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('router_id', 'ip', name='uq_connections_router_ip')
    )
    with op.batch_alter_table('connections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_connections_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_connections_router_id'), ['router_id'], unique=False)

    operators = sa.table("operators", sa.column("name"), sa.column("full_name"), sa.column("role"),
                         sa.column("active"))
    op.bulk_insert(operators, [{"name": "system", "full_name": "Scheduled jobs", "role": "admin",
                                "active": True}])


def downgrade() -> None:
    with op.batch_alter_table('connections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_connections_router_id'))
        batch_op.drop_index(batch_op.f('ix_connections_client_id'))

    op.drop_table('connections')
    with op.batch_alter_table('client_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_client_notes_client_id'))

    op.drop_table('client_notes')
    with op.batch_alter_table('client_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_client_events_client_id'))

    op.drop_table('client_events')
    op.drop_table('routers')
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clients_status_id'))
        batch_op.drop_index(batch_op.f('ix_clients_postal_code_id'))
        batch_op.drop_index(batch_op.f('ix_clients_node_id'))
        batch_op.drop_index(batch_op.f('ix_clients_id_key'))
        batch_op.drop_index(batch_op.f('ix_clients_deleted'))
        batch_op.drop_index(batch_op.f('ix_clients_collector_id'))
        batch_op.drop_index(batch_op.f('ix_clients_address_key'))

    op.drop_table('clients')
    op.drop_table('statuses')
    op.drop_table('settings')
    op.drop_table('sequences')
    op.drop_table('postal_codes')
    op.drop_table('plans')
    op.drop_table('operators')
    op.drop_table('nodes')
    op.drop_table('companies')
