"""Service enforcement: router tasks, commitments, preaviso bookkeeping, RADIUS database URL

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    with op.batch_alter_table('routers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('radius_db_url', sa.String(length=500), nullable=True))

    op.create_table('router_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job', sa.String(length=10), nullable=False),
    sa.Column('router_id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=True),
    sa.Column('target', sa.String(length=160), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=8), nullable=False),
    sa.Column('origin', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_on', sa.Date(), nullable=False),
    sa.Column('retry_until', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], ),
    sa.ForeignKeyConstraint(['connection_id'], ['connections.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['router_id'], ['routers.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('router_tasks', schema=None) as batch_op:
        batch_op.create_index('uq_router_tasks_open', ['connection_id', 'action'], unique=True,
                              sqlite_where=OPEN, postgresql_where=OPEN)
        batch_op.create_index('ix_router_tasks_router_status', ['router_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_router_tasks_client_id'), ['client_id'], unique=False)

    op.create_table('commitments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('operator', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('commitments', schema=None) as batch_op:
        batch_op.create_index('uq_commitments_open', ['client_id'], unique=True,
                              sqlite_where=OPEN, postgresql_where=OPEN)

    op.create_table('preaviso_marks',
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('warned_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], ),
    sa.PrimaryKeyConstraint('client_id')
    )


def downgrade() -> None:
    op.drop_table('preaviso_marks')
    with op.batch_alter_table('commitments', schema=None) as batch_op:
        batch_op.drop_index('uq_commitments_open')
    op.drop_table('commitments')
    with op.batch_alter_table('router_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_router_tasks_client_id'))
        batch_op.drop_index('ix_router_tasks_router_status')
        batch_op.drop_index('uq_router_tasks_open')
    op.drop_table('router_tasks')
    with op.batch_alter_table('routers', schema=None) as batch_op:
        batch_op.drop_column('radius_db_url')
