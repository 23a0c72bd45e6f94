"""Killing a command in the middle of its work, for the tests that check what it leaves: an
import in its write, a router job at a chosen point, a job whose lock must then be free."""

import os
import signal
import sqlite3
import subprocess
import time
from typing import Callable


def kill_while_writing(process: subprocess.Popen, writing: Callable[[], bool], after: float = 0.3) -> None:
    """SIGKILL PROCESS AFTER seconds into its write, having checked just before that it still
    holds its write lock: killed after its commit, the test would check nothing (and fail on a
    fast machine), so an import that got that far is a failure of the test, said as such."""
    time.sleep(after)
    assert process.poll() is None and writing(), "the import committed before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()


def sqlite_write_locked(path: str) -> bool:
    """Whether another connection holds the write lock of the SQLite database at PATH."""
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()


def kill_when(process: subprocess.Popen, condition: Callable[[], bool], timeout: float = 30.0) -> bool:
    """SIGKILL PROCESS as soon as CONDITION() holds; False if it ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if condition():
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.002)
    process.kill()
    process.wait()
    raise AssertionError("the command neither finished nor reached the kill point")


def wait_for_lock_release(engine, job: str, timeout: float = 10.0) -> None:
    """A killed run's job lock goes with it, but on PostgreSQL only once the server has noticed
    the dead connection and ended its backend: wait for that, as the next cron run would."""
    from ispcube.errors import Busy
    from ispcube.services.process.job_lock import job_lock
    deadline = time.monotonic() + timeout
    while True:
        try:
            with job_lock(engine, job):
                return
        except Busy:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
