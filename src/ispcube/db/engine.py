"""Where the database is, and how we connect to it."""

from functools import lru_cache
import os
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError

from ispcube.errors import Invalid


def default_sqlite_path() -> Path:
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "ispcube" / "ispcube.db"


def normalise_url(url: str | None) -> str:
    """Accept a SQLAlchemy URL, a postgresql:// URL (driven by psycopg 3) or a file path."""
    if not url:
        return f"sqlite:///{default_sqlite_path()}"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().absolute()}"
    return url


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise Invalid(f"database URL '{url}' is not a valid URL") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise Invalid(f"database '{parsed.get_backend_name()}' is not supported (use SQLite or PostgreSQL)")
    return create_engine(parsed, pool_pre_ping=True)
