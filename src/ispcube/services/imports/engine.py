"""The import engine (M1): every kind of import (clients, connections...) flows through it.

read (imports/read.py) -> map the columns (the kind's column map) -> check rows in chunks
(the kind's pure row check, on every core for large files: process/pool.py) -> settle each
chunk against the database and the file's earlier rows -> write the valid rows set-based.

The engine owns what every kind shares: the options (all-or-nothing unless --skip-invalid,
--dry-run, --update), the one transaction, which commits only when the import is accepted,
the migration-sized load (db/bulk_load.py), the worker pool, the database thread (every
call on the import's connection goes through it, overlapping the checking), the counts and
the problems, each `line N, column X: value 'V': reason`. Rows are streamed; memory holds
what a kind keeps of the file's keys, not its rows.

A kind is an `ImportRun` subclass giving:
- `map_columns(header, options)`: the field of each column (unknown columns refuse the file);
- `check_chunk` and `start_worker`: module-level functions (picklable) checking rows
  without the database, set up in each worker with what `context()` returns;
- `prepare(rows)` (optional): what each row is sent to the workers with;
- `settle(sent)`: the checked rows, as objects with `line`, `problems`, `ok` and `existing`
  (the stored record a row changes under --update, or None), after the checks that need
  the database or the file's earlier rows;
- `write(rows)`: the valid rows of a chunk written set-based, returning (new, updated, unchanged);
- `tally(rows)` (optional): the same counts for valid rows that are not written (a dry run,
  or an import already refused);
- `finish()` (optional): what is written once, after the last chunk, when the import is accepted;
- `job` (optional): the job lock an import that writes holds (a second run exits 75);
- `posts_money` (optional): its transaction holds the lock of money in (ledger/money_in.py);
- `refused(exc)` (optional): a unique index's refusal of the write (another command got there
  first) as one sentence.
"""

from abc import ABC, abstractmethod
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar, Iterator, Protocol, Sequence

from ispcube.db.bulk_load import bulk_load
from ispcube.db.failures import is_refused_as_duplicate
from ispcube.domain.text import quoted
from ispcube.errors import Invalid, IspcubeError
from ispcube.services.imports.columns import ColumnMap, header_key
from ispcube.services.imports.read import Source, SourceRow, open_source
from ispcube.services.ledger import money_in
from ispcube.services.process.job_lock import job_lock
from ispcube.services.process.pool import ordered_map, usable_cores
from ispcube.services.process.runtime import Runtime
from ispcube.services.process.serial_thread import SerialThread

CHUNK = 1000
PARALLEL_FROM = 5000     # rows; below this, starting worker processes costs more than it saves


@dataclass(frozen=True)
class TableImportOptions:
    """How the engine imports a table of rows (CSV or XLSX), whatever its kind."""
    skip_invalid: bool = False
    dry_run: bool = False
    update: bool = False
    allow_duplicate: bool = False      # clients only: rows matching another client's ID or address
    ignore_columns: tuple[str, ...] = ()   # columns of the file not to import (--ignore-column)


@dataclass(frozen=True)
class Problem:
    line: int
    column: str
    value: str
    reason: str

    def sentence(self) -> str:
        return f"line {self.line}, column {self.column}: value {quoted(self.value)}: {self.reason}"


@dataclass
class ImportSummary:
    file: str
    encoding: str
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    written: bool = False
    dry_run: bool = False
    skip_invalid: bool = False
    ignored_columns: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def valid(self) -> int:
        return self.new + self.updated + self.unchanged


class Settled(Protocol):
    """A row after settling, as the engine reads it."""
    line: int
    problems: list[tuple[str, str, str]]        # column, value, reason
    existing: Any

    @property
    def ok(self) -> bool: ...


class ImportRun(ABC):
    """One import of one kind: the engine's loop, with the kind's steps as methods (see above)."""
    office: ClassVar[str]                       # what an operator outside the office may not do
    table: ClassVar[str | None] = None          # set aside by bulk_load for a migration-sized file
    logs: ClassVar[str | None] = None           # a table of rows about TABLE's rows, locked with it
    job: ClassVar[str | None] = None            # the job lock held while writing (exit 75 for a second run)
    posts_money: ClassVar[bool] = False         # posts receipts: written under the lock enforce decides under
    check_chunk: Callable[[Any], list]          # staticmethod(module-level function) in each kind
    start_worker: Callable[[Any], None]

    def __init__(self, rt: Runtime, uow, options: TableImportOptions, columns: ColumnMap, source: Source,
                 table_locked: bool = False):
        self.rt, self.uow, self.options, self.columns, self.source = rt, uow, options, columns, source
        self.table_locked = table_locked
        self.summary = ImportSummary(file=source.path.name, encoding=source.encoding,
                                     dry_run=options.dry_run, skip_invalid=options.skip_invalid,
                                     ignored_columns=list(columns.ignored))
        self.refusing = False
        self.database: SerialThread     # every call on the connection while rows stream, see run()

    # the kind's steps

    @classmethod
    @abstractmethod
    def map_columns(cls, header: list[str], options: TableImportOptions) -> ColumnMap:
        ...

    @abstractmethod
    def context(self) -> Any:
        """What every worker's `start_worker` gets (picklable)."""
        ...

    def prepare(self, rows: list[SourceRow]) -> list:
        return rows            # each a (line, cells) tuple

    @abstractmethod
    def settle(self, sent: list) -> Sequence[Settled]:
        ...

    @abstractmethod
    def write(self, rows: list) -> tuple[int, int, int]:
        ...

    def tally(self, rows: list) -> tuple[int, int, int]:
        return (sum(1 for row in rows if row.existing is None),
                sum(1 for row in rows if row.existing is not None), 0)

    def finish(self) -> None:
        return None

    @classmethod
    def refused(cls, exc: Exception) -> IspcubeError | None:
        """A unique index's refusal EXC of the write as one sentence (None: not the kind's to say)."""
        return None

    # the engine

    def run(self, context: Any, progress: Callable[[int], None]) -> None:
        workers = usable_cores() if (self.source.total or 0) >= PARALLEL_FROM else 1
        with SerialThread(name="import-db") as self.database:
            for sent in ordered_map(self.check_chunk, self._chunks(), workers=workers,
                                    initializer=self.start_worker, initargs=(context,)):
                self._take(self.settle(sent))
                progress(len(sent))
            writing = not self.options.dry_run and not self.refusing
            if writing:
                self.finish()
            self.database.finish()
        self.summary.written = writing and (self.summary.new + self.summary.updated) > 0

    def column(self, name: str) -> str:
        """The file's header for field NAME (NAME itself when the file has no such column)."""
        return self.columns.shown(name)

    def _chunks(self) -> Iterator[list]:
        batch: list[SourceRow] = []
        for row in self.source.rows:
            batch.append(row)
            if len(batch) == CHUNK:
                yield self.prepare(batch)
                batch = []
        if batch:
            yield self.prepare(batch)

    def _take(self, chunk: Sequence[Settled]) -> None:
        summary = self.summary
        summary.rows += len(chunk)
        for row in chunk:
            if not row.ok:
                summary.invalid += 1
                summary.problems += [Problem(row.line, *problem) for problem in row.problems]
                self.refusing = self.refusing or not self.options.skip_invalid
        valid = [row for row in chunk if row.ok]
        if not self.options.dry_run and not self.refusing:
            new, updated, unchanged = self.write(valid)
        else:
            new, updated, unchanged = self.tally(valid)
        summary.new += new
        summary.updated += updated
        summary.unchanged += unchanged


def _without(header: list[str], ignored: Sequence[str]) -> tuple[list[str], tuple[str, ...]]:
    """HEADER with the columns named by --ignore-column blanked (matched as column names are:
    case, accents and punctuation aside), and their titles; a name the file lacks is refused."""
    keys = {header_key(name): name for name in ignored}
    missing = [name for key, name in keys.items() if key not in {header_key(title) for title in header if title}]
    if missing:
        raise Invalid(f"--ignore-column {', '.join(quoted(name) for name in missing)}: the file has no such column "
                      f"(its columns: {', '.join(title for title in header if title)})")
    dropped = tuple(title for title in header if title and header_key(title) in keys)
    return [("" if title and header_key(title) in keys else title) for title in header], dropped


def run_import(rt: Runtime, path: str | Path, options: TableImportOptions, kind: type[ImportRun],
               progress: Callable[[int], None] | None = None,
               on_start: Callable[[int | None], None] | None = None) -> ImportSummary:
    """Import PATH as KIND; ON_START gets the expected row count, PROGRESS each chunk's size.

    Only an admin or an operator may import: an import adds to or rewrites a whole table."""
    rt.check_office(kind.office)
    with open_source(path) as source:
        header, dropped = _without(source.header, options.ignore_columns)
        columns = kind.map_columns(header, options)
        if dropped:
            columns = ColumnMap(columns.fields, tuple(source.header), columns.ignored + dropped)
        locked = job_lock(rt.engine, kind.job) if kind.job and not options.dry_run else nullcontext()
        posting = money_in.posting(rt) if kind.posts_money and not options.dry_run else nullcontext()
        with locked, posting:
            try:
                return _run_in_transaction(rt, source, columns, options, kind, progress, on_start)
            except Exception as exc:
                sentence = kind.refused(exc) if is_refused_as_duplicate(exc) else None
                if sentence is None:
                    raise
                raise sentence from None


def _run_in_transaction(rt: Runtime, source: Source, columns: ColumnMap, options: TableImportOptions,
                        kind: type[ImportRun], progress: Callable[[int], None] | None,
                        on_start: Callable[[int | None], None] | None) -> ImportSummary:
    with rt.uow() as uow:
        # First in the transaction: a migration-sized load locks the tables before reading them.
        conn = uow.session.connection()
        aside = None if options.dry_run or kind.table is None else \
            bulk_load(conn, kind.table, source.total, logs=kind.logs)
        run = kind(rt, uow, options, columns, source, table_locked=aside is not None)
        context = run.context()
        if on_start:
            on_start(source.total)
        run.run(context, progress or (lambda _n: None))
        if run.summary.written:
            if aside is not None:
                aside.restore()
            uow.commit()
        return run.summary
