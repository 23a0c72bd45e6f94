"""Client search index on SQLite

`client list --search` looks for a folded substring of `clients.search_text` (P2). PostgreSQL
answers that from the trigram GIN index of 0003; until now SQLite read every client. SQLite's
FTS5 has a trigram tokenizer that answers the same substring question from an index:
`client_search` is an external-content FTS5 table over `clients.search_text` (rowid = client
id). It keeps no positions (detail none): a GLOB on it takes the rows holding every trigram
of the term from the index, then checks the pattern on their text. Triggers keep it in step,
in the same transaction as every write to a client. A migration-sized import sets the
triggers aside inside its transaction and rebuilds the index in one pass before it commits
(services/bulk_load.py).

Built only where the SQLite library has FTS5 (nearly every build has); without it the search
keeps reading the table, as before. A database file built with the index needs FTS5 wherever
it is written to later. Note for later migrations: rebuilding `clients` in batch mode drops
its triggers, so such a migration must create them again (`create_triggers`).

Revision ID: 0007
Revises: 0006
"""
from alembic import op
from sqlalchemy import text

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

TRIGGERS = {
    "clients_search_insert":
        "AFTER INSERT ON clients BEGIN "
        "INSERT INTO client_search (rowid, search_text) VALUES (new.id, new.search_text); END",
    "clients_search_delete":
        "AFTER DELETE ON clients BEGIN "
        "INSERT INTO client_search (client_search, rowid, search_text) "
        "VALUES ('delete', old.id, old.search_text); END",
    "clients_search_update":
        "AFTER UPDATE OF search_text ON clients WHEN old.search_text IS NOT new.search_text BEGIN "
        "INSERT INTO client_search (client_search, rowid, search_text) "
        "VALUES ('delete', old.id, old.search_text); "
        "INSERT INTO client_search (rowid, search_text) VALUES (new.id, new.search_text); END",
}


def fts5_available(bind) -> bool:
    """FTS5 compiled in, and the trigram tokenizer (SQLite 3.34 and later)."""
    version = tuple(int(part) for part in bind.execute(text("SELECT sqlite_version()")).scalar().split("."))
    options = {row[0] for row in bind.execute(text("PRAGMA compile_options"))}
    return "ENABLE_FTS5" in options and version >= (3, 34)


def create_triggers() -> None:
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite" or not fts5_available(bind):
        return
    op.execute("CREATE VIRTUAL TABLE client_search USING fts5("
               "search_text, content='clients', content_rowid='id', tokenize='trigram', "
               "detail='none', columnsize=0)")
    op.execute("INSERT INTO client_search (client_search) VALUES ('rebuild')")
    create_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS client_search")
