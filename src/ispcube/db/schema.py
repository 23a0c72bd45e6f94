"""Schema version checks without importing Alembic on every command (start-up time)."""

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

from ispcube.errors import IspcubeError, SchemaOutdated

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Revisions are numbered files (0001_x.py, 0002_y.py...) in one line; the highest is the head.
# Read from the file names so start-up never imports Alembic; a test checks it against Alembic.
HEAD_REVISION = max(p.name.split("_", 1)[0] for p in (MIGRATIONS_DIR / "versions").glob("[0-9]*_*.py"))


def current_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except (OperationalError, ProgrammingError) as exc:
        if "alembic_version" in str(exc):
            return None
        from ispcube.db.failures import reason
        raise IspcubeError(f"cannot reach the database: {reason(exc)}") from None


def _alembic_config(engine: Engine, connection):
    from alembic.config import Config
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Alembic keeps options in a configparser, which reads % as interpolation: a socket folder
    # (?host=%2Fvar...) or a percent-escaped password must reach env.py unchanged.
    config.set_main_option("sqlalchemy.url",
                           engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate in one transaction; a failure says so in a sentence (never the migration's SQL)."""
    from alembic import command

    from ispcube.db.failures import is_database_error, translate
    try:
        with engine.begin() as connection:
            command.upgrade(_alembic_config(engine, connection), revision)
    except Exception as exc:
        if not is_database_error(exc):
            raise
        raise IspcubeError(f"the database schema could not be migrated to {HEAD_REVISION}: "
                           f"{translate(exc)}") from None


def ensure_current(engine: Engine) -> None:
    """SQLite (embedded) is migrated on first use; PostgreSQL refuses until `db upgrade`."""
    revision = current_revision(engine)
    if revision == HEAD_REVISION:
        return
    if engine.dialect.name == "sqlite":
        upgrade(engine)
        return
    if revision is None:
        raise SchemaOutdated("the database has no ispcube schema: run `ispcube db upgrade` (or `ispcube init`)")
    raise SchemaOutdated(f"the database schema is at {revision}, this ispcube needs {HEAD_REVISION}: "
                         "run `ispcube db upgrade`")


def head_from_scripts() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None, "the migrations have one head"
    return head
