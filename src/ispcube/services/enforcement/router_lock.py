"""One writer per router list at a time (N2, N6): the enforce job and a manual change take the
same lock before they read a router's list and write to it.

Waiting is bounded: the holder is either the job working on one router or a manual change
making a few writes. PostgreSQL: a session advisory lock (two-integer form: list, router id)
on a dedicated connection; SQLite: an exclusive `flock` on a file beside the database, one
per router and list. Both vanish with the process, so a killed run never leaves one behind.
"""

from contextlib import contextmanager
import os
from pathlib import Path
import time
from typing import Iterator
import zlib

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

WAIT_S = 60.0        # the longest a writer waits for another before giving up
POLL_S = 0.05


@contextmanager
def router_lock(engine: Engine, router_id: int, list_name: str, wait_s: float | None = None) -> Iterator[bool]:
    """Hold the lock on LIST_NAME of router ROUTER_ID; yields False if WAIT_S (default
    `WAIT_S`) passed first."""
    deadline = time.monotonic() + (WAIT_S if wait_s is None else wait_s)
    if engine.dialect.name == "postgresql":
        with _advisory(engine, router_id, list_name, deadline) as held:
            yield held
        return
    with _flock(engine, router_id, list_name, deadline) as held:
        yield held


def _signed(value: int) -> int:
    return value - 2 ** 32 if value >= 2 ** 31 else value


def advisory_key(name: str) -> int:
    """The first key of PostgreSQL's two-integer advisory locks for NAME (the second is a router's id)."""
    return _signed(zlib.crc32(name.encode()))


@contextmanager
def _advisory(engine: Engine, router_id: int, list_name: str, deadline: float) -> Iterator[bool]:
    keys = (advisory_key(f"ispcube:router:{list_name}"), router_id)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        while not conn.execute(select(func.pg_try_advisory_lock(*keys))).scalar():
            if time.monotonic() > deadline:
                yield False
                return
            time.sleep(POLL_S)
        try:
            yield True
        finally:
            conn.execute(select(func.pg_advisory_unlock(*keys)))


@contextmanager
def _flock(engine: Engine, router_id: int, list_name: str, deadline: float) -> Iterator[bool]:
    import fcntl
    database = engine.url.database
    if not database or database == ":memory:":
        yield True   # a private in-memory database has no other users
        return
    path = Path(f"{database}.locks")
    path.mkdir(mode=0o700, exist_ok=True)
    handle = os.open(path / f"router-{router_id}-{list_name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    yield False
                    return
                time.sleep(POLL_S)
        yield True
    finally:
        os.close(handle)
