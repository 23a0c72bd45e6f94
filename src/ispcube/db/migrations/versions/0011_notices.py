"""Notices: the e-mail outbox (E4, E5, R16)

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

from ispcube.db.types import Money

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'notices',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('client_id', sa.Integer(), sa.ForeignKey('clients.id'), nullable=False, index=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False, index=True),
        sa.Column('amount', Money(), nullable=True),
        sa.Column('next_step', sa.String(length=16), nullable=True),
        sa.Column('next_on', sa.Date(), nullable=True),
        sa.Column('once_key', sa.String(length=60), nullable=True, unique=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.String(length=300), nullable=True),
        sa.Column('recipients', sa.Text(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table('notices')
