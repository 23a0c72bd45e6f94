"""A change and its provisioning task commit together (S2): `connection add`, `edit` and
`delete` killed with SIGKILL after the change is written and before its commit leave neither
the change, nor its client-log entry, nor a task.

PostgreSQL only: the test holds a lock the command's transaction needs after it wrote the
change, so the command is caught there and killed; SQLite's one write lock cannot stop a writer
between two of its statements.
"""

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import create_engine, select, text

from ispcube.db import models as m
from ispcube.db.network_models import RouterTask
from tests.conftest import Cli, _reset_pg

pytestmark = pytest.mark.pg
CLI = [sys.executable, "-c", "from ispcube.cli.main import run; run()"]


@pytest.fixture
def pg(pg_database):
    _reset_pg(pg_database)
    cli = Cli(pg_database)
    cli.ok("router", "add", "core", "--kind", "mikrotik", "--host", "10.9.0.1")
    cli.ok("router", "add", "edge", "--kind", "mikrotik", "--host", "10.9.0.3")
    cli.ok("client", "add", "--code", "A1", "--name", "Ana", "--address", "Calle 1")
    cli.ok("connection", "add", "A1", "--router", "core", "--ip", "10.0.0.5", "--pppoe-user", "ana")
    engine = create_engine(pg_database)
    with engine.begin() as conn:
        conn.execute(text("UPDATE router_tasks SET status = 'done'"))
    yield cli, engine
    engine.dispose()


def _state(engine) -> tuple:
    with engine.connect() as conn:
        return (conn.execute(select(m.Connection.id, m.Connection.router_id, m.Connection.ip)
                             .order_by(m.Connection.id)).all(),
                conn.scalar(select(text("count(*)")).select_from(m.ClientEvent)),
                conn.execute(select(RouterTask.action, RouterTask.status).order_by(RouterTask.id)).all())


def _waiting(engine, pid_of_holder: int) -> bool:
    """Whether a session waits for a lock the holder's session has."""
    with engine.connect() as conn:
        return bool(conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"),
                                {"pid": pid_of_holder}))


def _killed_while_blocked(cli: Cli, engine, hold: str, args: list[str]) -> None:
    """Run `ispcube ARGS` while a transaction holds HOLD (SQL taking a lock); SIGKILL it once
    it waits for that lock, i.e. with its change written and not committed."""
    with engine.connect() as holder:
        holder.execute(text(hold))
        holder_pid = holder.scalar(text("SELECT pg_backend_pid()"))
        process = subprocess.Popen([*CLI, "--db", cli.url, "--yes", *args], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env={**os.environ})
        deadline = time.monotonic() + 30
        while not _waiting(engine, holder_pid):
            assert process.poll() is None, f"{args} ended before it reached the lock: {process.communicate()}"
            assert time.monotonic() < deadline, f"{args} never waited for the lock"
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
        process.communicate()
        holder.rollback()


def test_a_killed_add_leaves_neither_the_connection_nor_a_task(pg):
    cli, engine = pg
    before = _state(engine)
    # The task's statements come after the connection and its log entry are written.
    _killed_while_blocked(cli, engine, "LOCK TABLE router_tasks IN EXCLUSIVE MODE",
                          ["connection", "add", "A1", "--router", "core", "--ip", "10.0.0.6"])
    assert _state(engine) == before


def test_a_killed_edit_leaves_neither_the_move_nor_its_tasks(pg):
    cli, engine = pg
    conn_id = cli.json("connection", "list")[0]["id"]
    with engine.begin() as conn:       # an open task of the connection, for the edit to move
        conn.execute(text("UPDATE router_tasks SET status = 'open'"))
    before = _state(engine)
    # The edit writes the connection, its log entry and the removal on the old router, then
    # waits to move the connection's open task: killed there.
    _killed_while_blocked(cli, engine, f"SELECT id FROM router_tasks WHERE connection_id = {conn_id} FOR UPDATE",
                          ["connection", "edit", str(conn_id), "--router", "edge"])
    assert _state(engine) == before


def test_a_killed_delete_leaves_the_connection_and_no_removal(pg):
    cli, engine = pg
    conn_id = cli.json("connection", "list")[0]["id"]
    before = _state(engine)
    # The delete writes its log entry and the removal task, then waits to delete the row.
    _killed_while_blocked(cli, engine, f"SELECT id FROM connections WHERE id = {conn_id} FOR UPDATE",
                          ["connection", "delete", str(conn_id)])
    assert _state(engine) == before
    assert cli.json("connection", "list")[0]["id"] == conn_id
