"""Ledger import: the reference each imported entry had in its file

`ledger import` stores a line's reference on the entry it posts; the unique index on
(client_id, import_ref) makes the database refuse a second copy of the same line, whatever
runs at once. Entries posted here have no reference (NULL), which the index leaves alone.
The new entry kind `opening` needs no change: kinds are not constrained in the schema.

The column is added with a plain ALTER TABLE ... ADD COLUMN on both backends: a batch
rebuild of `ledger_entries` on SQLite would drop its immutability triggers of 0002.

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('ledger_entries', sa.Column('import_ref', sa.String(length=100), nullable=True))
    op.create_index('uq_ledger_import_ref', 'ledger_entries', ['client_id', 'import_ref'], unique=True)


def downgrade() -> None:
    op.drop_index('uq_ledger_import_ref', table_name='ledger_entries')
    op.execute('ALTER TABLE ledger_entries DROP COLUMN import_ref')   # keeps SQLite's triggers
