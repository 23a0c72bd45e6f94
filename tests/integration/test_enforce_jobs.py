"""N8: the cron wrapper logs each run to a file and passes the exit code on for monitoring."""

from contextlib import ExitStack
import os
from pathlib import Path
import subprocess
import sys

import pytest

from ispcube.services.process.job_lock import job_lock
from tests.support.network import add_client, add_mikrotik, cut_list, start_simulators

WRAPPER = Path(__file__).resolve().parents[2] / "jobs" / "ispcube-job"


@pytest.fixture
def job(cli, db_url, tmp_path):
    with ExitStack() as stack:
        (core,) = start_simulators(stack, 1)
        add_mikrotik(cli, "core", core)
        add_client(cli, "D1", "core", "10.0.0.1", debt="100")
        env = {**os.environ, "ISPCUBE_DATABASE_URL": db_url, "ISPCUBE_LOG_DIR": str(tmp_path / "logs"),
               "ISPCUBE_BIN": str(Path(sys.executable).parent / "ispcube")}

        def run(*args):
            done = subprocess.run([str(WRAPPER), *args], env=env, capture_output=True, text=True, timeout=120)
            return done.returncode, (tmp_path / "logs" / f"{args[0]}.log").read_text()
        yield run, core


def test_logs_to_a_file_and_passes_exit_codes_on(job, runtime):
    run, core = job
    code, log = run("enforce")
    assert code == 0 and cut_list(core) == {"10.0.0.1": "D1"}
    assert "start enforce" in log and "1 cut" in log and "end enforce exit 0 (ok)" in log

    core.refuse_connections = True
    code, log = run("enforce", "--router", "core")
    assert code == 3 and "exit 3 (partial failure" in log and "router core" in log

    with job_lock(runtime.engine, "preaviso"):
        code, log = run("preaviso")
    assert code == 75 and "exit 75 (skipped: another run holds the lock)" in log


def test_unknown_job_is_a_usage_error(job):
    done = subprocess.run([str(WRAPPER), "backup"], capture_output=True, text=True)
    assert done.returncode == 2 and "usage: ispcube-job enforce|preaviso" in done.stderr
