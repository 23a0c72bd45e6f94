"""Provisioning (S1-S4): PPPoE passwords, plan bursts, objects adopted from a router

Revision ID: 0019
Revises: 0018
"""
from alembic import op
import sqlalchemy as sa

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN on both backends (SQLite rebuilds no table for a nullable column).
    op.add_column('connections', sa.Column('pppoe_password', sa.String(length=100), nullable=True))
    op.add_column('plans', sa.Column('burst_down_kbps', sa.Integer(), nullable=True))
    op.add_column('plans', sa.Column('burst_up_kbps', sa.Integer(), nullable=True))
    op.add_column('plans', sa.Column('burst_seconds', sa.Integer(), nullable=True))
    op.create_table(
        'adopted_objects',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('router_id', sa.Integer(), sa.ForeignKey('routers.id'), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('connection_id', sa.Integer(), sa.ForeignKey('connections.id', ondelete='SET NULL'),
                  nullable=True),
        sa.Column('adopted_at', sa.DateTime(), nullable=False),
        sa.UniqueConstraint('router_id', 'kind', 'name', name='uq_adopted_objects_router_kind_name'),
    )


def downgrade() -> None:
    op.drop_table('adopted_objects')
    for table, column in (('plans', 'burst_seconds'), ('plans', 'burst_up_kbps'),
                          ('plans', 'burst_down_kbps'), ('connections', 'pppoe_password')):
        op.drop_column(table, column)
