"""Shared fixtures: a fresh database per test on SQLite and on PostgreSQL, and a CLI runner.

PostgreSQL tests use ISPCUBE_TEST_PG (default postgresql://postgres@127.0.0.1:5432/postgres)
to create a throw-away database for the session. Locally they are skipped when the server
is down; in CI (CI=true) they fail instead, so a missing database never passes silently.
"""

from dataclasses import dataclass
import os
import shutil
import uuid

from click.testing import CliRunner
import pytest
from sqlalchemy import create_engine, text

PG_ADMIN_URL = os.environ.get("ISPCUBE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


class Cli:
    """Runs `ispcube ARGS` in-process through the real entry point, against one database."""

    def __init__(self, url: str):
        self.url = url

    def __call__(self, *args: str, input: str | bytes | None = None, env: dict | None = None) -> Result:
        from ispcube.cli.main import entry
        runner = CliRunner()
        with runner.isolation(input=input, env=env) as (out, err, _):
            code = entry(["--db", self.url, *args])
        return Result(code, out.getvalue().decode(), err.getvalue().decode())

    def ok(self, *args: str, **kwargs) -> Result:
        result = self(*args, **kwargs)
        assert result.exit_code == 0, f"{args}: exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
        return result

    def json(self, *args: str, **kwargs):
        import json
        return json.loads(self.ok("--format", "json", *args, **kwargs).stdout)


def _pg_admin_engine():
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means the server is not usable
        engine.dispose()
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI but unreachable at {PG_ADMIN_URL}: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {PG_ADMIN_URL}")
    return engine


@pytest.fixture(scope="session")
def pg_database():
    """A throw-away PostgreSQL database, migrated once for the whole session."""
    admin = _pg_admin_engine()
    name = f"ispcube_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    from ispcube.db.engine import get_engine
    from ispcube.db.schema import upgrade
    upgrade(get_engine(url))
    yield url
    get_engine(url).dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _reset_pg(url: str) -> None:
    from ispcube.db.all_models import metadata
    from ispcube.db.engine import get_engine
    engine = get_engine(url)
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        conn.execute(text("INSERT INTO operators (name, full_name, role, active) "
                          "VALUES ('system', 'Scheduled jobs', 'admin', true)"))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A migrated SQLite file; each test gets its own copy."""
    from ispcube.db.engine import get_engine
    from ispcube.db.schema import upgrade
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = get_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def db_url(request, tmp_path, sqlite_template):
    """A fresh, migrated, empty database: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "ispcube.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_database")
    _reset_pg(url)
    return url


@pytest.fixture
def cli(db_url) -> Cli:
    return Cli(db_url)


@pytest.fixture
def runtime(db_url):
    from ispcube.db.engine import get_engine
    from ispcube.services.process.runtime import Runtime
    return Runtime(engine=get_engine(db_url))


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Never touch the user's own data or config directories."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    for name in ("ISPCUBE_DATABASE_URL", "ISPCUBE_OPERATOR", "ISPCUBE_CONFIG"):
        monkeypatch.delenv(name, raising=False)
