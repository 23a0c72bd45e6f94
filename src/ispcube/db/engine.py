"""Where the database is, and how we connect to it.

The SQLite file holds router secrets and CPE passwords: it is created readable by its owner
only, in a private folder when ispcube makes the folder. A database named by the operator
(--db, ISPCUBE_DATABASE_URL, the config file) must already exist, or be made by `init`:
a typo in a cron line must fail, not run on a new empty database.
"""

from dataclasses import dataclass, field
from functools import lru_cache
import os
from pathlib import Path
import stat

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError

from ispcube.errors import Invalid

_OTHERS = stat.S_IRWXG | stat.S_IRWXO


def default_sqlite_path() -> Path:
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "ispcube" / "ispcube.db"


def normalise_url(url: str | None) -> str:
    """Accept a SQLAlchemy URL, a postgresql:// URL (driven by psycopg 3) or a file path;
    None is the embedded database, an empty text is a mistake."""
    if url is None:
        return f"sqlite:///{default_sqlite_path()}"
    url = url.strip()
    if not url:
        raise Invalid("the database URL is empty: give a PostgreSQL URL or a SQLite file to --db "
                      "(or ISPCUBE_DATABASE_URL), or leave it out for the embedded database")
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().absolute()}"
    return url


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for PostgreSQL or an in-memory database)."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):   # ValueError: a port that is not a number
        return None
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


@dataclass
class Database:
    engine: Engine
    warnings: list[str] = field(default_factory=list)


def open_database(given: str | None, *, create: bool = False) -> Database:
    """The database GIVEN by the operator (None: the embedded one, made on first use).

    A named SQLite file must exist unless CREATE (`init`), and its folder always must.
    """
    url = normalise_url(given)
    path = sqlite_file(url)
    if path is not None:
        if given is None:
            _private_folder(path.parent)
        elif not path.parent.is_dir():
            raise Invalid(f"the folder of the SQLite database {path} does not exist: check the database "
                          "path (ispcube creates no folder it is given)")
        elif not path.exists() and not create:
            raise Invalid(f"the SQLite database {path} does not exist: create it with "
                          f"`ispcube --db {path} init` (no other command creates one)")
        elif path.exists():
            _refuse_other_files(path, empty_allowed=create or given is None)
    database = Database(get_engine(url))
    if path is not None and _readable_by_others(path):
        database.warnings.append(f"the database {path} can be read by other users and holds router and "
                                 f"CPE passwords: run chmod 600 {path}*")
    return database


SQLITE_HEADER = b"SQLite format 3\x00"


def _refuse_other_files(path: Path, *, empty_allowed: bool) -> None:
    """A file given as the database that is not a SQLite database (a typo naming another file,
    or an empty one where a database was expected) is never opened, let alone migrated."""
    if not path.is_file():
        raise Invalid(f"{path} is not a SQLite database file: check the database path")
    with path.open("rb") as file:
        header = file.read(len(SQLITE_HEADER))
    if not header and empty_allowed:
        return
    if not header:
        raise Invalid(f"{path} is an empty file, not a database: create one there with "
                      f"`ispcube --db {path} init`, or check the database path")
    if header != SQLITE_HEADER:
        raise Invalid(f"{path} is not a SQLite database: check the database path")


def _private_folder(folder: Path) -> None:
    """Make FOLDER readable by its owner only, when it does not exist yet (never chmod one
    the operator made)."""
    if folder.is_dir():
        return
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        return
    folder.chmod(0o700)


def _readable_by_others(path: Path) -> bool:
    files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
    return any(f.exists() and f.stat().st_mode & _OTHERS for f in files)


def _create_private_file(path: Path) -> None:
    """An empty file is an empty SQLite database; made here so its mode is 0600 (SQLite gives
    its -wal and -shm files the mode of the database file). Without its folder, connecting
    fails and says so (open_database refuses that case earlier for the operator's own)."""
    if not path.parent.is_dir():
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    # hide_parameters: an error's text (a traceback under --debug, a log) never carries the
    # values sent with a statement, such as a router's password.
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):   # ValueError: a port that is not a number
        raise Invalid("the database URL is not a valid URL (check its host and port)") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.get_driver_name() != "pysqlite":
            raise Invalid(f"the SQLite driver '{parsed.get_driver_name()}' is not supported: give the file's path, "
                          "or sqlite:///PATH")
        if parsed.database and parsed.database != ":memory:" and not Path(parsed.database).exists():
            _create_private_file(Path(parsed.database))
        engine = create_engine(parsed, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise Invalid(f"database '{parsed.get_backend_name()}' is not supported (use SQLite or PostgreSQL)")
    if parsed.get_driver_name() != "psycopg":
        raise Invalid(f"the PostgreSQL driver '{parsed.get_driver_name()}' is not supported: write the URL as "
                      "postgresql://USER@HOST/DB (ispcube drives PostgreSQL with psycopg 3)")
    return create_engine(parsed, pool_pre_ping=True, hide_parameters=True)
