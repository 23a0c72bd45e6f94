"""Client search index

`client list --search` is `search_text LIKE '%folded text%'` (P2). On PostgreSQL a trigram GIN
index answers such substring patterns without reading every client. SQLite has no index for
infix LIKE; a scan of the compact search_text column of 100,000 clients stays within P2
(bench/bench_search.py measures it), so nothing is added there.

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE INDEX IF NOT EXISTS ix_clients_search_text_trgm "
               "ON clients USING gin (search_text gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_clients_search_text_trgm")
