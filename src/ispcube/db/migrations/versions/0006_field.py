"""Field tools: geocoding provenance

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # 'hand' (client add/edit, import) or 'geocoded'; NULL on older rows counts as by hand,
    # so coordinates that were there before geocoding existed are never overwritten.
    with op.batch_alter_table('clients') as batch:
        batch.add_column(sa.Column('coords_source', sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('clients') as batch:
        batch.drop_column('coords_source')
