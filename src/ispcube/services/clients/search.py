"""`--search`: which clients hold a folded substring, answered from an index (C3, P2).

PostgreSQL answers `search_text LIKE '%term%'` from the trigram GIN index of migration 0003.
On SQLite the same question goes to the FTS5 trigram table `client_search` of migration 0007
as `search_text GLOB '*term*'` (the folded text is lower case, so the case-sensitive GLOB
loses nothing, and unlike LIKE ... ESCAPE it can use the index). The other terms read
`clients.search_text` with LIKE, as PostgreSQL does, and give the same answers more slowly:
terms of fewer than three characters (they hold no trigram); terms holding GLOB's own
characters * ? [ (rare in names, phones and codes; SQLite 3.40's FTS5 mishandles such a
pattern next to non-ASCII text, missing rows or crashing); and databases whose index or its
triggers are missing (a SQLite without FTS5 builds none).
"""

from sqlalchemy import ColumnElement, Connection, select

from ispcube.db import models as m
from ispcube.db.search_index import INDEX, has_search_index
from ispcube.domain.text import fold

_TRIGRAM = 3
_GLOB_SPECIAL = frozenset("*?[")


def search_condition(conn: Connection, term: str) -> ColumnElement[bool]:
    """Clients whose search text holds TERM, folded (case and accents ignored)."""
    folded = fold(term)
    if len(folded) >= _TRIGRAM and _GLOB_SPECIAL.isdisjoint(folded) and has_search_index(conn):
        matching = select(INDEX.c.rowid).where(INDEX.c.search_text.op("GLOB")(f"*{folded}*"))
        return m.Client.id.in_(matching)
    return m.Client.search_text.contains(folded, autoescape=True)
