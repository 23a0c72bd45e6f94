"""One run of a job at a time (N2, R3): the second run gets `Busy` (exit 75).

PostgreSQL: a session advisory lock on a dedicated connection; SQLite: an exclusive `flock`
on a file beside the database. Both vanish with the process, so a run killed with SIGKILL
never leaves a stale lock behind.
"""

from contextlib import contextmanager
import os
from pathlib import Path
from typing import Iterator
import zlib

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from ispcube.errors import Busy


def _busy(job: str) -> Busy:
    return Busy(f"another `ispcube {job}` run holds the lock; try again later")


@contextmanager
def job_lock(engine: Engine, job: str) -> Iterator[None]:
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine, job):
            yield
        return
    with _file_lock(engine, job):
        yield


@contextmanager
def _advisory_lock(engine: Engine, job: str) -> Iterator[None]:
    key = zlib.crc32(f"ispcube:{job}".encode())
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if not conn.execute(select(func.pg_try_advisory_lock(key))).scalar():
            raise _busy(job)
        try:
            yield
        finally:
            conn.execute(select(func.pg_advisory_unlock(key)))


@contextmanager
def _file_lock(engine: Engine, job: str) -> Iterator[None]:
    import fcntl
    database = engine.url.database
    if not database or database == ":memory:":
        yield  # a private in-memory database has no other users
        return
    path = Path(f"{database}.{job}.lock")
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _busy(job) from None
        yield
    finally:
        os.close(handle)
