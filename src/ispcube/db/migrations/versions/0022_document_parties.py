"""Fiscal documents keep both parties as they were when issued (I2): the issuer's and the
receptor's fiscal data, written when the document gets its number

Revision ID: 0022
Revises: 0021
"""
from alembic import op
import sqlalchemy as sa

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN on both backends. Documents numbered before have none and print with
    # their company's and client's data as they are (what they printed until now).
    op.add_column('fiscal_documents', sa.Column('issuer', sa.Text(), nullable=True))
    op.add_column('fiscal_documents', sa.Column('receptor', sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column('fiscal_documents', 'receptor')
    op.drop_column('fiscal_documents', 'issuer')
