"""One run of a job at a time (N2, R3): the second run gets `Busy` (exit 75).

PostgreSQL: a session advisory lock on a dedicated connection; SQLite: an exclusive `flock`
on a file beside the database. Both vanish with the process, so a run killed with SIGKILL
never leaves a stale lock behind. `waited_lock` is the same lock for work that queues instead
of giving up: it waits (bounded) for the holder to finish.
"""

from contextlib import contextmanager
import os
from pathlib import Path
import time
from typing import Iterator
import zlib

from sqlalchemy import func, select, text
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
def waited_lock(engine: Engine, name: str, wait_s: float, busy: str) -> Iterator[None]:
    """Hold lock NAME, waiting up to WAIT_S seconds for its holder; then `Busy(BUSY)`."""
    if engine.dialect.name == "postgresql":
        with _advisory_wait(engine, name, wait_s, busy):
            yield
        return
    with _file_lock(engine, name, time.monotonic() + wait_s, busy):
        yield


POLL_S = 0.02


@contextmanager
def _advisory_wait(engine: Engine, name: str, wait_s: float, busy: str) -> Iterator[None]:
    """The server queues the waiters (they show as waiting on a lock), up to `lock_timeout`."""
    from sqlalchemy.exc import OperationalError
    key = zlib.crc32(f"ispcube:{name}".encode())
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"SET lock_timeout = {int(wait_s * 1000)}"))
        try:
            try:
                conn.execute(select(func.pg_advisory_lock(key)))
            except OperationalError as exc:
                if "LockNotAvailable" not in {cls.__name__ for cls in type(exc.orig).__mro__}:
                    raise
                raise Busy(busy) from None
            try:
                yield
            finally:
                conn.execute(select(func.pg_advisory_unlock(key)))
        finally:
            conn.execute(text("RESET lock_timeout"))


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
def _file_lock(engine: Engine, job: str, deadline: float = 0.0, busy: str | None = None) -> Iterator[None]:
    import fcntl
    database = engine.url.database
    if not database or database == ":memory:":
        yield  # a private in-memory database has no other users
        return
    path = Path(f"{database}.{job}.lock")
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise (Busy(busy) if busy else _busy(job)) from None
                time.sleep(POLL_S)
        yield
    finally:
        os.close(handle)
