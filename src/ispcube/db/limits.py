"""How long a text value may be, read from the models, and the check every write goes through.

PostgreSQL refuses a value longer than its VARCHAR(n) column with an error that carries the
statement and its parameters; SQLite stores it silently. Both must refuse it the same way,
before the database sees it, with a sentence naming the field. The limits are the models'
own: `String(n)` columns, and `Text` columns whose `info` holds a `max_length` (see
`long_text`). A check on every ORM flush covers every service that writes through the unit
of work; Core writes of user text call `check_values` themselves.
"""

from functools import lru_cache
from typing import Any, Iterable

from sqlalchemy import String, event, inspect
from sqlalchemy.orm import Session

from ispcube.errors import Invalid

# What a user calls a table's rows and the few columns whose option has another name.
NOUNS = {"clients": "client", "routers": "router", "connections": "connection",
         "operators": "operator", "postal_codes": "postal code", "statuses": "status",
         "companies": "company", "plans": "plan", "nodes": "node", "client_notes": "note",
         "settings": "setting", "document_templates": "template", "ledger_entries": "ledger entry",
         "cheques": "cheque", "commitments": "commitment", "stripe_charges": "card charge"}
FIELDS = {("routers", "username"): "user", ("routers", "radius_db_url"): "radius-db",
          ("client_notes", "text"): "text", ("clients", "phones"): "phone",
          ("clients", "emails"): "email",
          ("clients", "tickets_message"): "message", ("ledger_entries", "comment"): "comment",
          ("settings", "value"): "value", ("document_templates", "body"): "body"}


def long_text(max_length: int) -> dict[str, int]:
    """`info` for a Text column that holds what a user typed: the most it may hold."""
    return {"max_length": max_length}


def _limit_of(column) -> int | None:
    if "max_length" in column.info:
        return column.info["max_length"]
    return column.type.length if isinstance(column.type, String) else None


@lru_cache(maxsize=1)
def limits() -> dict[str, dict[str, int]]:
    """Table name -> column name -> the most characters the column holds."""
    from ispcube.db.all_models import metadata
    return {name: {c.name: n for c in table.columns if (n := _limit_of(c)) is not None}
            for name, table in metadata.tables.items()}


def column_limit(table: str, column: str) -> int | None:
    return limits().get(table, {}).get(column)


def field_name(table: str, column: str) -> str:
    return FIELDS.get((table, column), column.replace("_", "-"))


def too_long(table: str, column: str, value: Any) -> str | None:
    """The sentence refusing VALUE for TABLE.COLUMN, or None when it fits."""
    limit = column_limit(table, column)
    if limit is None or not isinstance(value, str) or len(value) <= limit:
        return None
    noun = NOUNS.get(table, table.replace("_", " "))
    return (f"{noun} {field_name(table, column)} is too long: {len(value)} characters, "
            f"at most {limit}")


def check_values(table: str, values: dict[str, Any]) -> None:
    """Refuse the first value of VALUES (column -> value) longer than its column."""
    for column, value in values.items():
        refusal = too_long(table, column, value)
        if refusal:
            raise Invalid(refusal)


def _changed_values(obj) -> Iterable[tuple[str, Any]]:
    """The column values a flush would write for OBJ (only the changed ones of a stored row:
    a value stored before the limits existed does not block editing another field)."""
    state = inspect(obj)
    for attribute in state.mapper.column_attrs:
        if attribute.key not in state.dict:
            continue
        if state.persistent and not state.attrs[attribute.key].history.has_changes():
            continue
        for column in attribute.columns:
            yield column.name, state.dict[attribute.key]


def _check_flush(session: Session, _context, _instances) -> None:
    for obj in (*session.new, *session.dirty):
        table = getattr(obj, "__tablename__", None)
        if table is None:
            continue
        check_values(table, dict(_changed_values(obj)))


event.listen(Session, "before_flush", _check_flush)
