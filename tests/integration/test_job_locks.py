"""One run at a time of every writer that works on many clients (R3, R17): while another run
holds the job's lock, `ledger import`, `billing run` and `connection import` exit 75, say so in
one sentence and change nothing; the database still forbids what the lock guards (one invoice
per client and period, one PPPoE user per router: tested beside their commands)."""

import pytest
from sqlalchemy import text

from ispcube.services.process.job_lock import job_lock
from tests.integration.test_connection_import import row, write_csv


@pytest.fixture
def base(cli):
    cli.ok("router", "add", "core", "--kind", "mikrotik", "--host", "10.9.0.1")
    cli.ok("plan", "add", "--name", "Hogar", "--price", "9500")
    cli.ok("client", "add", "--code", "A1", "--name", "Ana", "--address", "Calle 1", "--signup-date", "2026-01-01")
    cli.ok("connection", "add", "A1", "--router", "core", "--ip", "10.0.0.1", "--plan", "Hogar")
    return cli


def _counts(runtime) -> tuple[int, int, int]:
    with runtime.engine.connect() as conn:
        return tuple(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                     for table in ("ledger_entries", "connections", "client_events"))


@pytest.mark.parametrize("job", ["ledger import", "billing run", "connection import"])
def test_a_second_run_exits_75_and_changes_nothing(base, runtime, tmp_path, job):
    ledger = tmp_path / "ledger.csv"
    ledger.write_text("client,date,kind,amount,reference\nA1,2026-01-05,debit,100,L1\n", encoding="utf-8")
    args = {"ledger import": ("ledger", "import", str(ledger)),
            "billing run": ("billing", "run", "--period", "2026-02"),
            "connection import": ("connection", "import",
                                  str(write_csv(tmp_path / "conns.csv", [row(client="A1", ip="10.0.0.2")])))}[job]
    before = _counts(runtime)
    with job_lock(runtime.engine, job):
        busy = base(*args)
    assert busy.exit_code == 75, busy.stdout + busy.stderr
    assert busy.stderr == f"ispcube: another `ispcube {job}` run holds the lock; try again later\n"
    assert _counts(runtime) == before
    base.ok(*args)                                   # the lock gone, the same run works
    assert _counts(runtime) != before
