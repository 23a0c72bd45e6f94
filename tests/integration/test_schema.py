"""Schema creation and the refusal to run on an out-of-date PostgreSQL schema (A1)."""

import uuid

import pytest
from sqlalchemy import create_engine, text

from ispcube.db.schema import HEAD_REVISION, head_from_scripts
from tests.conftest import PG_ADMIN_URL, Cli, _pg_admin_engine


def test_head_revision_constant_matches_the_migrations():
    assert HEAD_REVISION == head_from_scripts()


def test_embedded_sqlite_created_and_migrated_on_first_use(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    from click.testing import CliRunner

    from ispcube.cli.main import entry
    with CliRunner().isolation() as (out, err, _):
        assert entry(["--format", "json", "client", "list"]) == 0
    assert (tmp_path / "data" / "ispcube" / "ispcube.db").exists()


@pytest.fixture
def empty_pg():
    admin = _pg_admin_engine()
    name = f"ispcube_empty_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    from ispcube.db.engine import get_engine
    get_engine(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}").dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.mark.pg
def test_postgresql_refuses_until_upgraded(empty_pg):
    cli = Cli(empty_pg)
    refused = cli("client", "list")
    assert refused.exit_code == 1 and "run `ispcube db upgrade`" in refused.stderr
    assert "none" in cli.ok("db", "current").stdout
    cli.ok("db", "upgrade")
    assert f"{HEAD_REVISION} (up to date)" in cli.ok("db", "current").stdout
    cli.ok("client", "list")
    engine = create_engine(empty_pg)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    engine.dispose()
    behind = cli("client", "list")
    assert behind.exit_code == 1 and "schema is at 0000" in behind.stderr


def test_unreachable_database_is_one_sentence():
    cli = Cli("postgresql+psycopg://nobody@127.0.0.1:1/none")
    result = cli("client", "list")
    assert result.exit_code == 1 and result.stderr.startswith("ispcube: cannot reach the database")
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


def test_bad_url_is_one_sentence():
    result = Cli("mysql://x@127.0.0.1/db")("client", "list")
    assert result.exit_code == 1 and "not supported" in result.stderr
