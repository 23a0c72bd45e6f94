"""R4: 20 concurrent `pay` processes on one client (PostgreSQL): the balance is exact.

Real processes of the installed command. The test holds the client's row lock while they
start, and lets go only once all 20 are inside their transactions waiting on a lock, so the
payments truly overlap instead of merely running one after the other.
"""

from decimal import Decimal
import json
from pathlib import Path
import subprocess
import sys
import time

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import Cli, _reset_pg

ISPCUBE = Path(sys.executable).with_name("ispcube")
PAYERS = 20

pytestmark = [pytest.mark.pg, pytest.mark.slow]


def waiting_on_locks(conn) -> int:
    return conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                             "AND wait_event_type = 'Lock'")).scalar()


def test_twenty_concurrent_payments_on_one_client(pg_database):
    _reset_pg(pg_database)
    cli = Cli(pg_database)
    cli.ok("client", "add", "--code", "R4", "--name", "Concurrencia")
    cli.ok("ledger", "adjust", "R4", "--debit", "5000", "--reason", "debt to pay")
    amounts = [Decimal("10.01") * (n + 1) for n in range(PAYERS)]     # a lost update shows in the cents
    blocker = create_engine(pg_database)
    watcher = create_engine(pg_database, isolation_level="AUTOCOMMIT")
    with blocker.connect() as hold, watcher.connect() as watch:
        hold.execute(text("SELECT id FROM clients WHERE code = 'R4' FOR UPDATE"))
        payers = [subprocess.Popen([str(ISPCUBE), "--db", pg_database, "--format", "json", "pay", "R4",
                                    "--cash", f"{amount:.2f}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True) for amount in amounts]
        deadline = time.monotonic() + 120
        while waiting_on_locks(watch) < PAYERS:
            assert time.monotonic() < deadline, f"only {waiting_on_locks(watch)} payers ever waited together"
            assert all(p.poll() is None for p in payers), "a payer finished while the client was locked"
            time.sleep(0.1)
        hold.rollback()
    outputs = [p.communicate(timeout=120) for p in payers]
    blocker.dispose()
    watcher.dispose()
    assert [p.returncode for p in payers] == [0] * PAYERS, [err for _, err in outputs if err]
    receipts = [json.loads(out) for out, _ in outputs]
    assert sorted(r["receipt"] for r in receipts) == list(range(1, PAYERS + 1))
    expected = Decimal("5000.00") - sum(amounts)
    assert cli.json("client", "show", "R4")["balance"] == f"{expected:.2f}"
    assert min(Decimal(r["balance"]) for r in receipts) == expected
    assert len({r["balance"] for r in receipts}) == PAYERS     # each saw its own step
    assert cli.json("ledger", "rebuild") == {"checked": 1, "wrong": []}
