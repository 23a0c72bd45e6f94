"""CPU-bound work on every core: an ordered map over chunks with a bounded backlog.

Used by bulk jobs whose per-item work is pure Python or C (import validation, argon2
hashing). Results come back in submission order, and at most `window` chunks are in flight,
so a 100,000-row job never holds more than a few chunks in memory.

Workers die with the process that started them: a forked worker holds a copy of its
parent's database socket, so a worker left behind by a parent killed with SIGKILL would
keep the parent's transaction, and its locks, open for ever.
"""

from collections import deque
from concurrent.futures import ProcessPoolExecutor
import multiprocessing
import os
import signal
import sys
from typing import Any, Callable, Iterable, Iterator


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def ordered_map(func: Callable[[Any], Any], chunks: Iterable[Any], *, workers: int,
                initializer: Callable[..., None] | None = None, initargs: tuple = (),
                window: int | None = None) -> Iterator[Any]:
    """func(chunk) for every chunk, in order; in-process when WORKERS <= 1.

    Workers are forked where the platform allows it, so they start at once and inherit the
    imported modules; they only ever run FUNC (never touch the parent's database connections).
    """
    if workers <= 1:
        if initializer is not None:
            initializer(*initargs)
        for chunk in chunks:
            yield func(chunk)
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    window = window or workers * 2
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                             initargs=(os.getpid(), initializer, initargs)) as pool:
        pending: deque = deque()
        for chunk in chunks:
            pending.append(pool.submit(func, chunk))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _start_worker(parent: int, initializer: Callable[..., None] | None, initargs: tuple) -> None:
    if sys.platform == "linux":
        import ctypes
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:      # the parent died before the line above took effect
            os._exit(1)
    if initializer is not None:
        initializer(*initargs)
