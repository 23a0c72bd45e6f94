"""Bank transactions identified where they were booked: account plus the bank's reference (K5, R15)

New keys are the account (a statement's account, a payment file's source) and the bank's
or gateway's reference; the payer's EndToEndId is no longer part of any key, and payment
files' references are scoped by their source. Every key written before this revision is
renamed `old:<key>`: an import computes each line's key under the old scheme too and finds
those (with the same booking date and amount), so a statement imported before still posts
nothing, while the old keys can never collide with new ones.

`account` is filled from the old statement keys (`camt:<account>:...`, `mt940:<account>:...`;
payment files had none), so a reversal finds the credits imported before; `reverses_key`
names the credit a reversal charged back, once (unique).

Revision ID: 0015
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('bank_transactions', sa.Column('account', sa.String(length=70), nullable=True))
    op.add_column('bank_transactions', sa.Column('reverses_key', sa.String(length=255), nullable=True))
    op.create_index('uq_bank_transactions_reverses', 'bank_transactions', ['reverses_key'], unique=True)
    for prefix in ('camt:', 'mt940:'):
        start = len(prefix) + 1
        if op.get_bind().dialect.name == 'postgresql':
            account = "split_part(key, ':', 2)"
        else:
            account = f"substr(key, {start}, instr(substr(key, {start}), ':') - 1)"
        op.execute(f"UPDATE bank_transactions SET account = substr({account}, 1, 70) WHERE key LIKE '{prefix}%'")
    op.execute("UPDATE bank_transactions SET key = 'old:' || key")


def downgrade() -> None:
    op.execute("UPDATE bank_transactions SET key = substr(key, 5) WHERE key LIKE 'old:%'")
    op.drop_index('uq_bank_transactions_reverses', table_name='bank_transactions')
    with op.batch_alter_table('bank_transactions') as batch:
        batch.drop_column('reverses_key')
        batch.drop_column('account')
