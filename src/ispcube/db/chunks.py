"""Long lists of ids in pieces, so an `IN (...)` list stays well under the parameters a
statement may carry (SQLite's limit is 32,766; PostgreSQL's 65,535)."""

from collections.abc import Collection, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

ID_CHUNK = 500      # ids per IN (...) list: small statements, and few of them for a day's run


def chunks(values: Sequence[T], size: int = ID_CHUNK) -> Iterator[list[T]]:
    """VALUES in consecutive lists of at most SIZE, in their order."""
    for start in range(0, len(values), size):
        yield list(values[start:start + size])


def one_list(ids: Collection[T]) -> list[T] | None:
    """IDS as one IN (...) list while they fit one chunk; None when they are more (the caller
    then reads every row and keeps the ones it wants, in one query all the same)."""
    return list(ids) if len(ids) <= ID_CHUNK else None
