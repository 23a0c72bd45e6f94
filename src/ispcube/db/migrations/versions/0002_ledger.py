"""Running account: ledger entries and cheques

Ledger entries are immutable (R10): triggers refuse every UPDATE and DELETE on
ledger_entries, on PostgreSQL and on SQLite alike, whatever code path tries it.

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

from ispcube.db.types import Money

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ledger_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('series', sa.String(length=20), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=True),
    sa.Column('entry_date', sa.Date(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('period', sa.String(length=7), nullable=True),
    sa.Column('amount', Money(), nullable=False),
    sa.Column('operator', sa.String(length=64), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('cash_entity', sa.String(length=64), nullable=True),
    sa.Column('payment_method', sa.String(length=30), nullable=True),
    sa.Column('cash_amount', Money(), nullable=True),
    sa.Column('reverses_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], ),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], ),
    sa.ForeignKeyConstraint(['reverses_id'], ['ledger_entries.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('client_id', 'period', name='uq_ledger_invoice_period'),
    sa.UniqueConstraint('reverses_id'),
    sa.UniqueConstraint('series', 'number', name='uq_ledger_series_number')
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_entries_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_entry_date'), ['entry_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_due_date'), ['due_date'], unique=False)

    op.create_table('cheques',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('bank', sa.String(length=100), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('amount', Money(), nullable=False),
    sa.Column('deposit_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('status_at', sa.DateTime(), nullable=True),
    sa.Column('rejection_entry_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], ),
    sa.ForeignKeyConstraint(['entry_id'], ['ledger_entries.id'], ),
    sa.ForeignKeyConstraint(['rejection_entry_id'], ['ledger_entries.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('cheques', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cheques_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cheques_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cheques_status'), ['status'], unique=False)
    _create_immutability_triggers()


_REFUSAL = "ledger entries are immutable: post a reversal instead"
_PG_FUNCTION = f"""
CREATE FUNCTION ledger_entries_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{_REFUSAL} (% refused)', TG_OP;
END
$$"""


def _create_immutability_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute("CREATE TRIGGER ledger_entries_immutable BEFORE UPDATE OR DELETE ON ledger_entries "
                   "FOR EACH ROW EXECUTE FUNCTION ledger_entries_immutable()")
        return
    for action in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER ledger_entries_no_{action.lower()} BEFORE {action} ON ledger_entries "
                   f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL} ({action} refused)'); END")


def _drop_immutability_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_immutable ON ledger_entries")
        op.execute("DROP FUNCTION IF EXISTS ledger_entries_immutable()")
        return
    for action in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS ledger_entries_no_{action}")


def downgrade() -> None:
    _drop_immutability_triggers()
    with op.batch_alter_table('cheques', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cheques_status'))
        batch_op.drop_index(batch_op.f('ix_cheques_entry_id'))
        batch_op.drop_index(batch_op.f('ix_cheques_client_id'))

    op.drop_table('cheques')
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_entries_due_date'))
        batch_op.drop_index(batch_op.f('ix_ledger_entries_entry_date'))
        batch_op.drop_index(batch_op.f('ix_ledger_entries_client_id'))

    op.drop_table('ledger_entries')
