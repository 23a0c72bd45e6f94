"""The plaintext file of `client webpass generate`: under its name only once its hashes are stored.

The passwords go to a hidden partial file beside the target (mode 600, locked while its run
lives), flushed to disk before the hashes are committed; only after the commit is the file
linked to its name. So the name never holds a password that is not stored. A run stopped
before the commit leaves no hash (and SIGTERM removes its partial file); a run killed with
SIGKILL may leave a partial file, which the next run settles: deleted when its passwords were
not stored, linked into place when they were (the run died between the commit and the link,
the one moment where hashes are stored and the file is not yet under its name).
"""

from contextlib import contextmanager
import csv
import fcntl
import glob
import os
from pathlib import Path
import secrets
import signal
import threading
from typing import Callable, ContextManager, Iterator

from ispcube.domain.spreadsheet_safety import is_dangerous
from ispcube.errors import Invalid

SUFFIX = ".webpass-partial"
SAMPLE = 3      # passwords checked to tell a stored leftover from one that was not


def create_partial(final: Path) -> tuple[Path, int]:
    """A new, locked partial file for FINAL and its descriptor."""
    partial = final.with_name(f".{final.name}.{secrets.token_hex(4)}{SUFFIX}")
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise Invalid(f"cannot create a file in '{final.parent}': {exc.strerror}") from None
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    return partial, descriptor


def final_name(partial: Path) -> Path:
    return partial.with_name(partial.name[1:-len(SUFFIX)].rsplit(".", 1)[0])


@contextmanager
def leftovers(folder: Path) -> Iterator[list[Path]]:
    """The partial files in FOLDER whose run is gone (a live run holds its lock), held locked."""
    held: list[tuple[Path, int]] = []
    try:
        for partial in sorted(folder.glob(f".*{SUFFIX}")):
            try:
                descriptor = os.open(partial, os.O_RDONLY)
            except OSError:
                continue
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(descriptor)
                continue
            held.append((partial, descriptor))
        yield [partial for partial, _ in held]
    finally:
        for _, descriptor in held:
            os.close(descriptor)


def sample(partial: Path) -> list[tuple[str, str]]:
    """(code, password) of the first complete rows; none when the file was cut short."""
    rows = []
    try:
        with partial.open(encoding="utf-8", newline="") as handle:
            for row in csv.reader(handle):
                if len(row) == 4 and row != ["code", "name", "email", "password"]:
                    rows.append((_code(row[0]), row[3]))
                if len(rows) == SAMPLE:
                    break
    except (OSError, UnicodeDecodeError, csv.Error):
        return []
    return rows


def _code(cell: str) -> str:
    """The client code as stored, from the cell that may have been neutralised (R9)."""
    return cell[1:] if cell.startswith("'") and is_dangerous(cell[1:]) else cell


def left_linked(final: Path) -> bool:
    """Whether FINAL is the file of a run killed between its link and the unlink of the partial."""
    for partial in final.parent.glob(f".{glob.escape(final.name)}.*{SUFFIX}"):
        try:
            if final_name(partial) == final and os.path.samefile(partial, final):
                return True
        except OSError:
            continue
    return False


def put_in_place(partial: Path, final: Path) -> None:
    """Give PARTIAL its final name without ever replacing a file (a link, then the unlink)."""
    try:
        os.link(partial, final)
    except FileExistsError:
        if not os.path.samefile(partial, final):    # not a link left by a run killed after it
            raise
    os.unlink(partial)
    _sync_folder(final.parent)


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class Stopped(KeyboardInterrupt):
    """SIGTERM during a run: handled like Ctrl-C, so the partial file is removed."""


@contextmanager
def stoppable() -> Iterator[Callable[..., ContextManager[None]]]:
    """SIGTERM stops the run with `Stopped` until it may no longer be stopped.

    Yields `held`, a context during which SIGTERM waits (a step that must not be cut in two:
    creating the partial file, committing and linking it); with `last=True` the run is as
    good as done after it, and a SIGTERM then is ignored. Outside the main thread (where
    signal handlers cannot be set) SIGTERM keeps its default action.
    """
    if threading.current_thread() is not threading.main_thread():
        yield _nothing
        return
    late = threading.Event()

    def stop(signum, frame):
        if not late.is_set():
            raise Stopped()

    @contextmanager
    def held(last: bool = False) -> Iterator[None]:
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        try:
            yield
            if last:
                late.set()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield held
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _nothing(last: bool = False) -> Iterator[None]:
    yield
