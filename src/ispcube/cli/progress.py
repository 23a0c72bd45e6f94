"""A progress bar for long work, on stderr, only when stderr is a terminal (nothing when piped)."""

from contextlib import contextmanager
import sys
from typing import Iterator


class Progress:
    """What a service reports to: `start(total)` once, then `advance(n)` as work gets done."""

    def __init__(self, description: str, bar=None):
        self.description, self._bar, self._task = description, bar, None

    @property
    def active(self) -> bool:
        return self._bar is not None

    def start(self, total: int | None) -> None:
        if self._bar is not None:
            self._task = self._bar.add_task(self.description, total=total)

    def advance(self, done: int) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task, done)


@contextmanager
def progress_bar(description: str, *, quiet: bool = False) -> Iterator[Progress]:
    if quiet or not sys.stderr.isatty():
        yield Progress(description)
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress as RichProgress, TextColumn, TimeRemainingColumn
    with RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), console=Console(stderr=True), transient=True) as bar:
        yield Progress(description, bar)
