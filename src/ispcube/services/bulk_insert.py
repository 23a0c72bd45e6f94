"""Inserting many rows fast (P1): COPY on PostgreSQL, a driver executemany on SQLite.

SQLAlchemy's executemany spends more time building parameters than the database spends
storing them; here each value still goes through the column type's own bind processing
(Money becomes cents on SQLite, datetimes take SQLAlchemy's SQLite format), so the rows read
back exactly as if SQLAlchemy had written them. Runs inside the caller's transaction.
"""

from typing import Any, Iterable, Sequence

from sqlalchemy import Connection, Table


def bulk_insert(conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]],
                processed: bool = False) -> None:
    """Insert ROWS (tuples in the order of COLUMNS) into TABLE; PROCESSED: the values are
    already as the driver takes them (see `bind_processors`)."""
    dialect = conn.dialect
    processors = [] if processed else bind_processors(conn.dialect, table, columns)
    if processors:
        rows = (_processed(row, processors) for row in rows)
    raw = conn.connection.dbapi_connection
    names = ", ".join(dialect.identifier_preparer.quote(name) for name in columns)
    target = dialect.identifier_preparer.format_table(table)
    if dialect.name == "postgresql":
        with raw.cursor() as cursor, cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    cursor = raw.cursor()
    try:
        cursor.executemany(f"INSERT INTO {target} ({names}) VALUES ({', '.join('?' for _ in columns)})", rows)
    finally:
        cursor.close()


def dialect_named(drivername: str):
    """A dialect object without an engine (worker processes build rows for the parent's)."""
    from sqlalchemy.engine import make_url
    return make_url(f"{drivername}://").get_dialect()()


def bind_processors(dialect, table: Table, columns: Sequence[str]) -> list[tuple[int, Any]]:
    """(position, function) for the columns whose type converts values for this dialect."""
    found = (table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns)
    return [(i, p) for i, p in enumerate(found) if p is not None]


def _processed(row: Sequence[Any], processors) -> list[Any]:
    values = list(row)
    for index, process in processors:
        values[index] = process(values[index])
    return values
