"""Where the database lives: a private SQLite file (it holds router and CPE passwords), a named
database that must exist (a typo in a cron line fails instead of filling a new empty file),
and PostgreSQL URLs holding % (a socket folder, an escaped password or user) for Alembic."""

import os
from pathlib import Path
import stat
import uuid

from click.testing import CliRunner
import pytest
from sqlalchemy import create_engine, make_url, text

from tests.conftest import PG_ADMIN_URL, Result


def run(*args: str, env: dict | None = None) -> Result:
    from ispcube.cli.main import entry
    with CliRunner().isolation(env=env) as (out, err, _):
        code = entry(list(args))
    return Result(code, out.getvalue().decode(), err.getvalue().decode())


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask():
    """umask 0: every mode checked below is the one ispcube asks for, not the umask's."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def test_embedded_database_is_private_from_its_first_use(tmp_path, open_umask):
    folder = tmp_path / "xdg-data" / "ispcube"
    assert run("client", "list").exit_code == 0
    assert run("enforce").exit_code == 0
    assert mode(folder) == 0o700
    files = sorted(p.name for p in folder.iterdir())
    assert "ispcube.db" in files and "ispcube.db-wal" in files and any(f.endswith(".lock") for f in files)
    assert {p.name: mode(p) for p in folder.iterdir()} == {name: 0o600 for name in files}


def test_init_makes_a_private_file_in_a_folder_it_leaves_alone(tmp_path, open_umask):
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    database = folder / "isp.db"
    result = run("--db", str(database), "init")
    assert result.exit_code == 0 and result.stderr == "", result.stderr
    assert mode(folder) == 0o755
    assert {p.name: mode(p) for p in folder.iterdir() if p.name.startswith("isp.db")} == \
        {p.name: 0o600 for p in folder.iterdir() if p.name.startswith("isp.db")}


def test_a_database_others_can_read_gets_one_warning(tmp_path):
    database = tmp_path / "isp.db"
    assert run("--db", str(database), "init").exit_code == 0
    assert run("--db", str(database), "client", "list").stderr == ""
    database.chmod(0o644)
    result = run("--db", str(database), "client", "add", "--code", "A1", "--name", "Ana")
    assert result.exit_code == 0
    assert result.stderr == (f"ispcube: warning: the database {database} can be read by other users and holds "
                             f"router and CPE passwords: run chmod 600 {database}*\n")
    assert mode(database) == 0o644  # a warning, not a change behind the operator's back


@pytest.mark.parametrize("how", ["option", "environment"])
def test_a_named_sqlite_file_in_a_missing_folder_is_refused(tmp_path, how):
    url = f"sqlite:///{tmp_path}/no/such/dir/x.db"
    for command in (["client", "list"], ["init"]):
        result = run("--db", url, *command) if how == "option" else \
            run(*command, env={"ISPCUBE_DATABASE_URL": url})
        assert result.exit_code == 1
        assert result.stderr == (f"ispcube: the folder of the SQLite database {tmp_path}/no/such/dir/x.db does "
                                 "not exist: check the database path (ispcube creates no folder it is given)\n")
    assert not (tmp_path / "no").exists()


def test_only_init_creates_a_named_sqlite_file(tmp_path):
    database = tmp_path / "typo.db"
    for command in (["client", "list"], ["enforce"], ["db", "upgrade"], ["db", "current"]):
        result = run("--db", str(database), *command)
        assert result.exit_code == 1 and "does not exist: create it with" in result.stderr, result.stderr
        assert not database.exists()
    assert run("--db", str(database), "init").exit_code == 0
    assert run("--db", str(database), "client", "list").exit_code == 0


@pytest.mark.parametrize("args, env", [(["--db", ""], None), (["--db", "  "], None),
                                       ([], {"ISPCUBE_DATABASE_URL": ""})])
def test_an_empty_database_url_is_refused(tmp_path, args, env):
    result = run(*args, "client", "list", env=env)
    assert result.exit_code == 1
    assert result.stderr.startswith("ispcube: the database URL is empty: ")
    assert len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "xdg-data").exists()


def _pg_urls(name: str) -> list[str]:
    base = make_url(PG_ADMIN_URL).set(database=name)
    plain = base.render_as_string(hide_password=False)
    urls = [plain.replace("://postgres@", "://postgres:p%40ss%25w@"),   # an escaped password
            plain.replace("://postgres@", "://%70ostgres@"),             # an escaped user name
            plain.replace("postgresql+psycopg://", "postgresql://")]
    if Path("/var/run/postgresql/.s.PGSQL.5432").exists():
        urls.append(f"postgresql://postgres@/{name}?host=%2Fvar%2Frun%2Fpostgresql")
        urls.append(f"postgresql://postgres@/{name}?host=/var/run/postgresql")
    return urls


def test_postgresql_urls_holding_percent_signs_init_upgrade_and_report(tmp_path):
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"ispcube_pct_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:  # noqa: BLE001 - no server here
        pytest.skip("PostgreSQL unreachable")
    try:
        urls = _pg_urls(name)
        first = run("--db", urls[0], "init")
        assert first.exit_code == 0 and first.stdout.startswith("database ready: "), first.stderr
        assert "p%40ss" not in first.stdout and "p@ss" not in first.stdout
        for url in urls:
            upgraded = run("--db", url, "db", "upgrade")
            assert upgraded.exit_code == 0, (url, upgraded.stderr)
            current = run("--db", url, "db", "current")
            assert current.exit_code == 0 and current.stdout.endswith("(up to date)\n"), (url, current.stderr)
            assert run("--db", url, "init").exit_code == 0
    finally:
        from ispcube.db.engine import get_engine, normalise_url
        for url in _pg_urls(name):
            get_engine(normalise_url(url)).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
