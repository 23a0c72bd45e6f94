"""One path for money in (defect 7, R17): a payment and `enforce` at once never leave a client
who paid cut, whichever goes first. Real processes on SQLite and PostgreSQL; the order is
forced: the test stops the first at its write (a row lock, or SQLite's write lock, held by
the test) while it holds the lock of money in, starts the second, then lets the first go.

- enforce first: it decided on the old balance and cuts; the payment, posted after it,
  reads the client cut and gives the service back (payments import, pay --enable);
- the payment first: enforce, deciding after it, reads the new balance and cuts nobody.
"""

from contextlib import contextmanager
from datetime import date
import os
import sqlite3
import subprocess
import sys
import time

import pytest
from sqlalchemy import text

from ispcube.errors import Busy
from ispcube.services.process.job_lock import job_lock

ISPCUBE = [sys.executable, "-c", "from ispcube.cli.main import run; run()"]


@pytest.fixture
def debtor(cli):
    cli.ok("client", "add", "--code", "K1", "--name", "Karina", "--address", "Calle 1")
    cli.ok("ledger", "adjust", "K1", "--debit", "5000", "--reason", "deuda")
    return cli


def start(db_url: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([*ISPCUBE, *args], env={**os.environ, "ISPCUBE_DATABASE_URL": db_url},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def held(engine, lock: str) -> bool:
    """Whether another process holds LOCK (a job lock, or "money-in")."""
    try:
        with job_lock(engine, lock):
            return False
    except Busy:
        return True


@contextmanager
def writes_stopped(db_url: str, engine):
    """Hold what the first writer needs to write: client K1's row (PostgreSQL) or the write
    lock (SQLite)."""
    if db_url.startswith("sqlite"):
        conn = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT id FROM clients WHERE code = 'K1' FOR UPDATE"))
        yield
        conn.rollback()


def until(check, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 60
    while not check():
        assert process.poll() is None, (what, process.communicate())
        assert time.monotonic() < deadline, f"never {what}"
        time.sleep(0.02)


def waiting_on_money_in(db_url: str, engine, lock_before: str | None) -> bool:
    """Whether a second process waits for the lock of money in: the server shows the wait on
    PostgreSQL; on SQLite, the job lock it takes just before is held (None: nothing to see)."""
    if db_url.startswith("postgresql"):
        with engine.connect() as conn:
            return bool(conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'advisory' "
                                          "AND datname = current_database()")).scalar())
    return lock_before is None or held(engine, lock_before)


def payment(tmp_path, how: str) -> tuple[str, ...]:
    if how == "pay --enable":
        return ("pay", "K1", "--cash", "5000", "--enable")
    file = tmp_path / "cobros.csv"
    file.write_text(f"date,amount,reference,client,source\n{date.today().isoformat()},5000.00,T-1,K1,banco\n",
                    encoding="utf-8")
    return ("payments", "import", str(file))


def service(cli) -> str:
    return cli.json("client", "show", "K1")["service"]


@pytest.mark.parametrize("how", ["payments import", "pay --enable"])
def test_enforce_deciding_first_then_the_payment_gives_service_back(debtor, db_url, runtime, tmp_path, how):
    engine = runtime.engine
    with writes_stopped(db_url, engine):
        enforce = start(db_url, "enforce")
        until(lambda: held(engine, "money-in"), enforce, "took the lock of money in")
        paying = start(db_url, *payment(tmp_path, how))
        before = "payments import" if how == "payments import" else None
        until(lambda: waiting_on_money_in(db_url, engine, before), paying, "waited for enforce")
    out, err = enforce.communicate(timeout=60)
    assert enforce.returncode == 0, out + err
    out, err = paying.communicate(timeout=60)
    assert paying.returncode == 0, out + err
    log = [e["kind"] for e in debtor.json("client", "log", "K1")]
    assert "service.cut" in log and log.index("service.cut") < log.index("service.enable"), log
    assert service(debtor) == "active" and debtor.json("client", "show", "K1")["balance"] == "0.00"
    final = debtor.json("enforce")
    assert final["cut"] == 0 and service(debtor) == "active"
    assert debtor("enforce", "--check").exit_code == 0


@pytest.mark.parametrize("how", ["payments import", "pay --enable"])
def test_the_payment_first_then_enforce_reads_the_new_balance(debtor, db_url, runtime, tmp_path, how):
    engine = runtime.engine
    with writes_stopped(db_url, engine):
        paying = start(db_url, *payment(tmp_path, how))
        until(lambda: held(engine, "money-in"), paying, "took the lock of money in")
        enforce = start(db_url, "enforce")
        until(lambda: waiting_on_money_in(db_url, engine, "enforce"), enforce, "waited for the payment")
    out, err = paying.communicate(timeout=60)
    assert paying.returncode == 0, out + err
    out, err = enforce.communicate(timeout=60)
    assert enforce.returncode == 0, out + err
    assert "0 cut" in out, out
    assert "service.cut" not in [e["kind"] for e in debtor.json("client", "log", "K1")]
    assert service(debtor) == "active" and debtor("enforce", "--check").exit_code == 0
