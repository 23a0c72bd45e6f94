"""One PPPoE user per router (R17, defect 6), held by the database and not only by the check
a command makes before it writes: a unique index on (router, PPPoE user), a migration that
names the connections that already clash, and the refusal of a write that lost the race as
one sentence (forced on PostgreSQL: the test holds the row another command is about to add)."""

import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from ispcube.errors import Refused
from tests.integration.test_connection_import import row, write_csv

ISPCUBE = [sys.executable, "-c", "from ispcube.cli.main import run; run()"]


@pytest.fixture
def net(cli):
    cli.ok("router", "add", "core", "--kind", "mikrotik", "--host", "10.9.0.1")
    for code in ("A1", "A2"):
        cli.ok("client", "add", "--code", code, "--name", f"Cliente {code}", "--address", f"Calle {code}")
    cli.ok("connection", "add", "A1", "--router", "core", "--ip", "10.0.0.1", "--pppoe-user", "ana")
    return cli


def _insert(conn, client: str, ip: str, user: str) -> None:
    conn.execute(text("INSERT INTO connections (client_id, router_id, ip, pppoe_user) "
                      "SELECT c.id, r.id, :ip, :user FROM clients c, routers r "
                      "WHERE c.code = :client AND r.name = 'core'"), {"client": client, "ip": ip, "user": user})


def test_the_database_refuses_a_pppoe_user_twice_on_a_router(net, runtime):
    with pytest.raises(IntegrityError), runtime.engine.begin() as conn:
        _insert(conn, "A2", "10.0.0.2", "ana")
    with runtime.engine.begin() as conn:          # no PPPoE user at all stays allowed on many connections
        _insert(conn, "A2", "10.0.0.3", None)
        _insert(conn, "A2", "10.0.0.4", None)
    assert len(net.json("connection", "list")) == 3


def test_the_migration_names_the_connections_that_already_clash(net, runtime):
    from alembic import command

    from ispcube.db import schema
    with runtime.engine.begin() as conn:
        command.downgrade(schema._alembic_config(runtime.engine, conn), "0012")
    with runtime.engine.begin() as conn:
        _insert(conn, "A2", "10.0.0.2", "ana")
    with pytest.raises(Refused) as refused:
        schema.upgrade(runtime.engine)
    assert "PPPoE user 'ana' on router core: connections 1 and 2" in str(refused.value)
    assert schema.current_revision(runtime.engine) == "0012"        # nothing changed
    with runtime.engine.begin() as conn:
        conn.execute(text("UPDATE connections SET pppoe_user = 'beto' WHERE id = 2"))
    schema.upgrade(runtime.engine)
    assert schema.current_revision(runtime.engine) == schema.HEAD_REVISION


def _start(db_url: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([*ISPCUBE, *args], env={**os.environ, "ISPCUBE_DATABASE_URL": db_url},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_blocked_on_a_row(conn, process: subprocess.Popen) -> None:
    """Until another backend waits for a lock our open transaction holds (the unique key)."""
    deadline = time.monotonic() + 30
    while not conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                "AND datname = current_database()")).scalar():
        assert process.poll() is None, process.communicate()
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"the command never reached its write: {process.communicate()}")
        time.sleep(0.02)


@pytest.mark.parametrize("command", ["import", "add"])
def test_a_pppoe_user_given_out_meanwhile_is_one_sentence(net, db_url, runtime, tmp_path, command):
    """The other command checked the user free and writes while ours holds it uncommitted;
    ours commits first: the other is refused in one sentence and changes nothing."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite takes one writer at a time: the second reads after the first commits")
    file = write_csv(tmp_path / "conns.csv", [row(client="A2", ip="10.0.0.7", pppoe="beto")])
    args = ("connection", "import", str(file)) if command == "import" else \
        ("connection", "add", "A2", "--router", "core", "--ip", "10.0.0.7", "--pppoe-user", "beto")
    watching = runtime.engine.execution_options(isolation_level="AUTOCOMMIT")   # a fresh view each time
    with runtime.engine.connect() as holder, watching.connect() as watcher:
        holder.begin()
        _insert(holder, "A1", "10.0.0.8", "beto")
        process = _start(db_url, *args)
        _wait_blocked_on_a_row(watcher, process)
        holder.commit()
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1, out + err
    assert "the PPPoE user" in err and "by another command" in err and "nothing was" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and "INSERT" not in err
    users = [(c["client"], c["pppoe_user"]) for c in net.json("connection", "list")]
    assert sorted(users) == [("A1", "ana"), ("A1", "beto")]
