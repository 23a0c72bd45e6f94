"""R19, U7: the cron wrapper run as cron runs it (no terminal, stdin from /dev/null, a minimal
environment, a user that is not root) is silent when the job succeeds and prints that run's
lines on stderr when it fails; a user without /var/log/ispcube logs to its own state folder.
Statements with unmatched credits wait in pending/ and are imported again on the next run."""

from contextlib import ExitStack
from datetime import date, timedelta
from decimal import Decimal as D
import os
from pathlib import Path
import pwd
import shutil
import subprocess
import sys
import tempfile

import pytest

from ispcube.services.payments.statements.camt_build import Entry, Tx, statement
from tests.conftest import Cli
from tests.support.network import add_client, add_mikrotik, cut_list, start_simulators

ROOT = Path(__file__).resolve().parents[2]
WRAPPER = ROOT / "jobs" / "ispcube-job"
ISPCUBE = Path(sys.executable).with_name("ispcube")
NOBODY = 65534


def _cron_user() -> tuple[list[str], int, str]:
    """(the command prefix that runs as the cron user, its uid, its name). Run as root, the jobs
    run as `nobody`; it may read and enter any folder (CAP_DAC_READ_SEARCH, no more), since the
    Python of this virtualenv may sit where other users cannot enter, but it writes only where
    `nobody` may, so /var/log/ispcube stays closed to it."""
    if os.geteuid() != 0:
        return [], os.geteuid(), pwd.getpwuid(os.geteuid()).pw_name
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv is needed to run the wrapper as a user that is not root")
    return ([setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--inh-caps=+dac_read_search",
             "--ambient-caps=+dac_read_search"], NOBODY, pwd.getpwuid(NOBODY).pw_name)


@pytest.fixture
def cron():
    prefix, uid, user = _cron_user()
    if os.access("/var/log/ispcube", os.W_OK) and uid == os.geteuid():
        pytest.skip("this user may write /var/log/ispcube: its own state folder is not needed")
    shared = Path(tempfile.mkdtemp(prefix="ispcube-cron-"))
    shared.chmod(0o755)
    db = shared / "isp.db"
    cli = Cli(f"sqlite:///{db}")
    cli.ok("init")
    try:
        with ExitStack() as stack:
            (core,) = start_simulators(stack, 1)
            add_mikrotik(cli, "core", core)
            add_client(cli, "D1", "core", "10.0.0.1", debt="100")
            home = shared / "home"
            home.mkdir()
            if os.geteuid() == 0:
                for path in (shared, *shared.rglob("*")):
                    os.chown(path, uid, -1)
            env = {"HOME": str(home), "LOGNAME": user, "SHELL": "/bin/sh", "PATH": "/usr/bin:/bin",
                   "ISPCUBE_DATABASE_URL": f"sqlite:///{db}", "ISPCUBE_BIN": str(ISPCUBE)}

            def run(*args: str) -> subprocess.CompletedProcess:
                return subprocess.run([*prefix, "/usr/bin/env", "-i", *(f"{k}={v}" for k, v in env.items()),
                                       str(WRAPPER), *args], stdin=subprocess.DEVNULL, capture_output=True,
                                      text=True, timeout=120, start_new_session=True)
            yield run, core, home / ".local" / "state" / "ispcube", user
    finally:
        shutil.rmtree(shared)


def test_silent_on_success_speaks_on_failure_in_the_users_own_log_folder(cron):
    run, core, own, user = cron
    first = run("enforce")
    assert first.returncode == 0 and first.stdout == ""
    assert first.stderr == f"ispcube-job: /var/log/ispcube is not writable by {user}: logging to {own}\n"
    assert cut_list(core) == {"10.0.0.1": "D1"}
    log = (own / "enforce.log").read_text()
    assert "start enforce" in log and "1 cut" in log and "end enforce exit 0 (ok)" in log
    assert f"/var/log/ispcube is not writable by {user}: logging to {own}" in log

    again = run("enforce")
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")

    core.refuse_connections = True
    failed = run("enforce")
    assert failed.returncode == 3 and failed.stdout == ""
    assert failed.stderr.startswith("ispcube-job enforce failed (exit 3: partial failure")
    assert "router core" in failed.stderr and "end enforce exit 3 (partial failure" in failed.stderr
    assert failed.stderr.count(" start enforce") == 1           # that run's lines, not the earlier ones
    assert (own / "enforce.log").read_text().count(" start enforce") == 3

    core.refuse_connections = False
    wrong = run("enforce", "--router", "nope")
    assert wrong.returncode == 1 and wrong.stdout == ""
    assert "ispcube-job enforce failed (exit 1: error)" in wrong.stderr and "nope" in wrong.stderr
    assert "end enforce --router nope exit 1 (error)" in wrong.stderr


def test_a_log_folder_that_cannot_be_written_is_one_sentence(cron, tmp_path):
    run, core, own, user = cron
    done = subprocess.run([str(WRAPPER), "enforce"], env={**os.environ, "ISPCUBE_LOG_DIR": "/proc/ispcube"},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and cut_list(core) == {}
    assert done.stderr == ("ispcube-job: cannot write the log folder /proc/ispcube (set ISPCUBE_LOG_DIR to a "
                           f"folder {pwd.getpwuid(os.geteuid()).pw_name} may write)\n")


def test_the_monthly_billing_job_invoices_this_month(cli, db_url, tmp_path):
    assert any(line.split()[-1:] == ["billing"] and "ispcube-job" in line and line.split()[2] == "1"
               for line in (ROOT / "crontab.example").read_text().splitlines() if not line.startswith("#"))
    stripe = [line for line in (ROOT / "crontab.example").read_text().splitlines() if "stripe-charge-due" in line]
    assert stripe and all(line.startswith("#") for line in stripe)
    cli.ok("plan", "add", "--name", "Hogar", "--price", "1000")
    cli.ok("client", "add", "--code", "B1", "--name", "Bea", "--address", "Calle 1", "--plan", "Hogar",
           "--signup-date", (date.today() - timedelta(days=400)).isoformat())
    env = {**os.environ, "ISPCUBE_DATABASE_URL": db_url, "ISPCUBE_LOG_DIR": str(tmp_path / "logs"),
           "ISPCUBE_BIN": str(ISPCUBE)}
    done = subprocess.run([str(WRAPPER), "billing"], env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    log = (tmp_path / "logs" / "billing.log").read_text()
    assert f"{date.today():%Y-%m}: invoiced 1 client(s)" in log and "end billing exit 0 (ok)" in log
    assert cli.json("client", "show", "B1")["balance"] == "1000.00"


def _transfer(code: str, amount: str, reference: str) -> Entry:
    return Entry(date.today() - timedelta(days=1), True,
                 [Tx(D(amount), None, f"TX-{reference}", name=f"Titular {code}", text=f"pago cliente {code}")],
                 reference=reference)


def test_a_statement_with_unmatched_credits_waits_in_pending_and_is_imported_again(cli, db_url, tmp_path):
    cli.ok("config", "set", "currency", "EUR")
    cli.ok("client", "add", "--code", "40001", "--name", "Ana", "--address", "Calle 1")
    cli.ok("ledger", "adjust", "40001", "--debit", "100", "--reason", "cuota")
    drop = tmp_path / "statements"
    drop.mkdir()
    (drop / "extracto.xml").write_text(statement([_transfer("40001", "100.00", "R1"),
                                                  _transfer("40002", "50.00", "R2")]), encoding="utf-8")
    (drop / "roto.xml").write_text("esto no es un extracto\n", encoding="utf-8")
    env = {**os.environ, "ISPCUBE_DATABASE_URL": db_url, "ISPCUBE_LOG_DIR": str(tmp_path / "logs"),
           "ISPCUBE_BIN": str(ISPCUBE)}

    def run() -> subprocess.CompletedProcess:
        return subprocess.run([str(WRAPPER), "payments-import", str(drop)], env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=120)

    first = run()
    assert first.returncode == 1 and first.stdout == ""
    assert [p.name for p in (drop / "pending").iterdir()] == ["extracto.xml"]
    assert [p.name for p in (drop / "refused").iterdir()] == ["roto.xml"]
    assert list((drop / "imported").iterdir()) == []
    assert "roto.xml' is not an XML document (line 1" in first.stderr
    assert "1 not matched" in first.stderr and "exit 3 (partial failure" in first.stderr
    assert cli.json("client", "show", "40001")["balance"] == "0.00"

    still = run()                                     # nothing new: the credit still matches nobody
    assert still.returncode == 3 and "1 already imported before; 1 not matched" in still.stderr
    assert [p.name for p in (drop / "pending").iterdir()] == ["extracto.xml"]

    cli.ok("client", "add", "--code", "40002", "--name", "Berta", "--address", "Calle 2")
    cli.ok("ledger", "adjust", "40002", "--debit", "50", "--reason", "cuota")
    matched = run()
    assert (matched.returncode, matched.stdout, matched.stderr) == (0, "", "")
    assert [p.name for p in (drop / "imported").iterdir()] == ["extracto.xml"]
    assert list((drop / "pending").iterdir()) == []
    assert cli.json("client", "show", "40002")["balance"] == "0.00"
    assert cli.json("client", "show", "40001")["balance"] == "0.00"      # posted once


def test_the_provision_job_makes_what_was_queued_silently(cli, db_url, tmp_path):
    line = next(line for line in (ROOT / "crontab.example").read_text().splitlines()
                if not line.startswith("#") and line.split()[-1:] == ["provision"])
    assert line.split()[0] == "*/5" and "ispcube-job" in line
    with ExitStack() as stack:
        (core,) = start_simulators(stack, 1)
        add_mikrotik(cli, "core", core)
        cli.ok("plan", "add", "--name", "Hogar", "--price", "1000", "--down-kbps", "20000", "--up-kbps", "5000")
        cli.ok("client", "add", "--code", "B1", "--name", "Bea", "--address", "Calle 1")
        cli.ok("connection", "add", "B1", "--router", "core", "--ip", "10.0.0.9", "--plan", "Hogar")
        env = {**os.environ, "ISPCUBE_DATABASE_URL": db_url, "ISPCUBE_LOG_DIR": str(tmp_path / "logs"),
               "ISPCUBE_BIN": str(ISPCUBE)}
        done = subprocess.run([str(WRAPPER), "provision"], env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=120)
        assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
        assert [(q["name"], q["max-limit"]) for q in core.simple_queues()] == [("ispcube-B1", "5000000/20000000")]
        assert "end provision exit 0 (ok)" in (tmp_path / "logs" / "provision.log").read_text()
