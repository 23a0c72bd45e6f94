"""Killing an import in the middle of its write, for the tests that check it leaves nothing."""

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
