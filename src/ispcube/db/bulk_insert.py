"""Inserting many rows fast (P1): COPY on PostgreSQL, a driver executemany on SQLite.

SQLAlchemy's executemany spends more time building parameters than the database spends
storing them; here each value still goes through the column type's own bind processing
(Money becomes cents on SQLite, datetimes take SQLAlchemy's SQLite format), so the rows read
back exactly as if SQLAlchemy had written them. Runs inside the caller's transaction.
"""

from typing import Any, Iterable, Sequence

from sqlalchemy import Connection, Table

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def bulk_insert(conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]],
                processed: bool = False) -> None:
    """Insert ROWS (tuples in the order of COLUMNS) into TABLE; PROCESSED: the values are
    already as the driver takes them (see `bind_processors`)."""
    dialect = conn.dialect
    processors = [] if processed else bind_processors(conn.dialect, table, columns)
    if processors:
        rows = (_processed(row, processors) for row in rows)
    raw: Any = conn.connection.dbapi_connection   # the driver's own: psycopg's COPY, sqlite3's executemany
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


def copy_line(values: Sequence[Any]) -> str:
    """One row in PostgreSQL's COPY text format, values as the driver takes them (see
    `bind_processors`). Large imports build these on their worker processes, so the process
    talking to the database only joins and sends text."""
    fields = ["\\N" if v is None else v if v.__class__ is str else _copy_field(v) for v in values]
    line = "\t".join(fields)
    # Text rarely holds a tab, a backslash or a line break: escape field by field only then
    # (the only backslashes in a plain line are those of the NULL markers).
    if line.count("\t") != len(fields) - 1 or "\n" in line or "\r" in line \
            or line.count("\\") != values.count(None):
        line = "\t".join(f.translate(_COPY_ESCAPES) if v.__class__ is str else f
                         for f, v in zip(fields, values, strict=True))
    return line + "\n"


def _copy_field(value: Any) -> str:
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, str):
        return value
    return str(value)          # int, Decimal, float, date: their str() is what COPY reads


def copy_lines(conn: Connection, table: Table, columns: Sequence[str], lines: Iterable[str]) -> None:
    """Insert rows already formatted by `copy_line` (PostgreSQL only; in the caller's transaction)."""
    preparer = conn.dialect.identifier_preparer
    names = ", ".join(preparer.quote(name) for name in columns)
    raw: Any = conn.connection.dbapi_connection   # psycopg's, with its COPY
    with raw.cursor() as cursor, \
            cursor.copy(f"COPY {preparer.format_table(table)} ({names}) FROM STDIN") as copy:
        copy.write("".join(lines))


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
