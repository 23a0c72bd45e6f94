"""CPU-bound work on every core: an ordered map over chunks with a bounded backlog.

Used by bulk jobs whose per-item work is pure Python or C (import validation, argon2
hashing). Results come back in submission order, and at most `window` chunks are in flight,
so a 100,000-row job never holds more than a few chunks in memory.
"""

from collections import deque
from concurrent.futures import ProcessPoolExecutor
import multiprocessing
import os
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
    with ProcessPoolExecutor(workers, mp_context=context, initializer=initializer,
                             initargs=initargs) as pool:
        pending: deque = deque()
        for chunk in chunks:
            pending.append(pool.submit(func, chunk))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
