"""A migration-sized `client import` (P1): on PostgreSQL the clients' foreign keys are set
aside for the load and put back before commit; on SQLite, the triggers of the search index,
which is rebuilt before commit. Whatever happens to the import (accepted, refused, killed),
the database ends with every key and trigger in place, an index that matches the clients,
and exactly the rows it should have; the rows read back exactly as the file had them."""

import csv
import os
from pathlib import Path
import shutil
import sqlite3
import subprocess
import sys
import time

import pytest
from sqlalchemy import create_engine, text

from ispcube.db.bulk_load import BULK_FROM, bulk_load
from ispcube.db.engine import get_engine
from ispcube.services.process.runtime import Runtime
from tests.conftest import Cli, _reset_pg
from tests.support.kill import kill_while_writing, sqlite_write_locked

pytestmark = pytest.mark.slow   # migration-sized imports (thousands of rows), some killed

HEADER = ["code", "name", "nickname", "address", "postal_code", "status", "plan", "collector", "id_type", "id_number"]
# Text COPY must escape a backslash: before a t it would read as a tab, the two characters \N
# as NULL (a real tab or line break is refused in a one-line field).
HOSTILE = {"name": "Tab\\tTab", "nickname": "\\N", "address": "C:\\casa 1"}


@pytest.fixture
def pg_url(pg_database):
    """The foreign keys are set aside only on PostgreSQL."""
    _reset_pg(pg_database)
    return pg_database


@pytest.fixture
def pg_runtime(pg_url):
    return Runtime(engine=get_engine(pg_url))


def add_refs(cli):
    cli.ok("postal-code", "add", "--code", "1414", "--locality", "Palermo")
    cli.ok("status", "add", "--name", "Activo")
    cli.ok("plan", "add", "--name", "Hogar", "--price", "9500")
    cli.ok("operator", "add", "--name", "ana", "--role", "collector")
    return cli


@pytest.fixture
def refs(cli):
    return add_refs(cli)


def write_file(path: Path, count: int, bad_line: int | None = None) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for n in range(1, count + 1):
            row = [f"M{n:06d}", f"Cliente {n}", "", f"Calle {n}", "1414", "Activo", "Hogar",
                   "ana" if n % 3 == 0 else "", "DNI", str(20_000_000 + n)]
            if n == 1:
                row[1], row[2], row[3] = HOSTILE["name"], HOSTILE["nickname"], HOSTILE["address"]
            if n + 1 == bad_line:           # the header is line 1
                row[9] = "12ab"
            writer.writerow(row)
    return path


def foreign_keys(url: str) -> set[tuple[str, str]]:
    """What a bulk load sets aside: the foreign keys on PostgreSQL, the search index's
    triggers on SQLite (whose index is checked here against the clients, too)."""
    if url.startswith("sqlite"):
        return search_triggers(url.removeprefix("sqlite:///"))
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return set(conn.execute(text(
                "SELECT CAST(conrelid AS regclass)::text, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE contype = 'f' AND conrelid IN ('clients'::regclass, 'client_events'::regclass)")).all())
    finally:
        engine.dispose()


def search_triggers(path: str) -> set[tuple[str, str]]:
    with sqlite3.connect(path) as conn:
        if conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'client_search'").fetchone()[0]:
            # rank 1: also compare the index with the clients' text (external content)
            conn.execute("INSERT INTO client_search (client_search, rank) VALUES ('integrity-check', 1)")
        return set(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                "AND name LIKE 'clients_search_%'").fetchall())


def count_clients(runtime) -> int:
    with runtime.engine.connect() as conn:
        if runtime.engine.dialect.name == "postgresql":   # a lock left behind fails, not hangs
            conn.execute(text("SET lock_timeout = '20s'"))
        return conn.execute(text("SELECT count(*) FROM clients")).scalar()


def test_migration_sized_import_writes_every_row_and_keeps_every_key(refs, runtime, db_url, tmp_path):
    keys = foreign_keys(db_url)
    assert keys
    path = write_file(tmp_path / "base.csv", BULK_FROM)
    result = refs("client", "import", str(path))
    assert result.exit_code == 0, result.stderr
    assert f"{BULK_FROM} new" in result.stdout
    assert foreign_keys(db_url) == keys
    assert count_clients(runtime) == BULK_FROM
    first = refs.json("client", "show", "M000001")
    assert {field: first[field] for field in HOSTILE} == HOSTILE
    assert (first["status"], first["plan"], first["locality"]) == ("Activo", "Hogar", "Palermo")
    assert refs.json("client", "show", "M000003")["collector"] == "ana"
    with runtime.engine.connect() as conn:
        logged = conn.execute(text("SELECT count(*) FROM client_events WHERE kind = 'client.import'")).scalar()
    assert logged == BULK_FROM
    assert [c["code"] for c in refs.json("client", "list", "--search", "tab\\ttab")] == ["M000001"]
    assert [c["code"] for c in refs.json("client", "list", "--search", "cliente 9999")] == ["M009999"]


def test_refused_migration_sized_import_leaves_keys_and_data_as_they_were(refs, runtime, db_url, tmp_path):
    keys = foreign_keys(db_url)
    assert keys
    path = write_file(tmp_path / "base.csv", BULK_FROM, bad_line=BULK_FROM + 1)
    result = refs("client", "import", str(path))
    assert result.exit_code == 1
    assert f"line {BULK_FROM + 1}, column id_number: value '12ab'" in result.stderr
    assert count_clients(runtime) == 0
    assert foreign_keys(db_url) == keys


@pytest.mark.pg
def test_killed_migration_sized_import_leaves_keys_in_place(pg_url, pg_runtime, tmp_path):
    db_url, runtime, refs = pg_url, pg_runtime, add_refs(Cli(pg_url))
    keys = foreign_keys(db_url)
    path = write_file(tmp_path / "base.csv", 10 * BULK_FROM)
    process = subprocess.Popen([sys.executable, "-c", "from ispcube.cli.main import run; run()",
                                "--db", db_url, "client", "import", str(path)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy())
    locked = "SELECT count(*) FROM pg_locks WHERE relation = 'clients'::regclass AND mode = 'AccessExclusiveLock'"
    deadline = time.monotonic() + 60
    with runtime.engine.connect() as conn:
        while not conn.execute(text(locked)).scalar():       # the keys go right after the lock
            assert process.poll() is None and time.monotonic() < deadline, "the import never locked the table"
            time.sleep(0.01)
            conn.rollback()
    def locking() -> bool:
        with runtime.engine.connect() as conn:
            return bool(conn.execute(text(locked)).scalar())
    kill_while_writing(process, locking)
    deadline = time.monotonic() + 10
    with runtime.engine.connect() as conn:                   # until the server ends the dead session
        while conn.execute(text(locked)).scalar() and time.monotonic() < deadline:
            time.sleep(0.05)
            conn.rollback()
    assert foreign_keys(db_url) == keys
    assert count_clients(runtime) == 0
    refs.ok("client", "import", str(write_file(tmp_path / "small.csv", 5)))
    assert count_clients(runtime) == 5


@pytest.mark.pg
def test_a_load_into_a_larger_table_sets_nothing_aside(pg_url, pg_runtime):
    keys = foreign_keys(pg_url)
    with pg_runtime.engine.connect() as conn:
        assert bulk_load(conn, "clients", BULK_FROM - 1) is None        # too small to bother
        conn.rollback()
        conn.execute(text("INSERT INTO clients (code, name, address_key, phones, emails, contract, free, blockable, "
                          "preaviso, tickets_blocked, balance, service, deleted, search_text) "
                          "SELECT 'X' || n, 'X', '', '', '', false, false, true, true, false, 0, 'active', false, '' "
                          "FROM generate_series(1, :n) AS n"), {"n": BULK_FROM + 1})
        assert bulk_load(conn, "clients", BULK_FROM, logs="client_events") is None
        aside = bulk_load(conn, "clients", BULK_FROM + 1, logs="client_events")
        assert aside is not None and {table for table, _, _ in aside.foreign_keys} == {"clients", "client_events"}
        aside.restore()
        conn.rollback()
    assert foreign_keys(pg_url) == keys


@pytest.fixture
def sqlite_url(tmp_path, sqlite_template):
    path = tmp_path / "ispcube.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


def test_killed_migration_sized_import_on_sqlite_leaves_the_index_whole(sqlite_url, tmp_path):
    path = sqlite_url.removeprefix("sqlite:///")
    refs, runtime = add_refs(Cli(sqlite_url)), Runtime(engine=get_engine(sqlite_url))
    triggers = foreign_keys(sqlite_url)
    assert len(triggers) == 3
    process = subprocess.Popen([sys.executable, "-c", "from ispcube.cli.main import run; run()",
                                "--db", sqlite_url, "client", "import", str(write_file(tmp_path / "base.csv",
                                                                                       10 * BULK_FROM))],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy())
    deadline = time.monotonic() + 60
    while not sqlite_write_locked(path):          # the import takes the write lock first
        assert process.poll() is None and time.monotonic() < deadline, "the import never took the write lock"
        time.sleep(0.01)
    kill_while_writing(process, lambda: sqlite_write_locked(path))
    assert foreign_keys(sqlite_url) == triggers
    assert count_clients(runtime) == 0
    refs.ok("client", "import", str(write_file(tmp_path / "small.csv", 5)))
    assert count_clients(runtime) == 5
    assert [c["code"] for c in refs.json("client", "list", "--search", "cliente 5")] == ["M000005"]


def test_a_load_into_a_larger_sqlite_table_sets_nothing_aside(sqlite_url):
    triggers = foreign_keys(sqlite_url)
    engine = get_engine(sqlite_url)
    with engine.connect() as conn:
        assert bulk_load(conn, "clients", BULK_FROM - 1) is None        # too small to bother
        conn.rollback()
        conn.execute(text("INSERT INTO clients (code, name, address_key, phones, emails, contract, free, blockable, "
                          "preaviso, tickets_blocked, balance, service, deleted, search_text) "
                          "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :n) "
                          "SELECT 'X' || i, 'X', '', '', '', 0, 0, 1, 1, 0, 0, 'active', 0, 'x' || i FROM n"),
                     {"n": BULK_FROM + 1})
        assert bulk_load(conn, "clients", BULK_FROM) is None
        aside = bulk_load(conn, "clients", BULK_FROM + 1)
        assert aside is not None and len(aside.search_triggers) == 3
        assert conn.scalar(text("SELECT count(*) FROM sqlite_master WHERE name LIKE 'clients_search_%'")) == 0
        aside.restore()
        assert conn.scalar(text("SELECT count(*) FROM client_search WHERE search_text GLOB '*x10001*'")) == 1
        conn.rollback()
    engine.dispose()
    assert foreign_keys(sqlite_url) == triggers


def test_migration_sized_update_on_sqlite_reindexes_what_it_changed(sqlite_url, tmp_path):
    refs = add_refs(Cli(sqlite_url))
    refs.ok("client", "import", str(write_file(tmp_path / "base.csv", BULK_FROM)))
    update = tmp_path / "update.csv"
    with update.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["code", "name"])
        writer.writerows([f"M{n:06d}", f"Renombrado {n}"] for n in range(1, BULK_FROM + 1))
    triggers = foreign_keys(sqlite_url)
    assert f"{BULK_FROM} updated" in refs.ok("client", "import", "--update", str(update)).stdout
    assert foreign_keys(sqlite_url) == triggers
    assert refs.json("client", "list", "--search", "cliente 12") == []
    assert [c["code"] for c in refs.json("client", "list", "--search", "renombrado 9999")] == ["M009999"]
