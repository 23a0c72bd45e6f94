"""`client import FILE` (C9): bring a whole client base in from CSV or XLSX.

Every row is checked as `client add` checks it (imports/clients/check.py, on every core for
large files), then against the file's earlier rows and the stored clients (duplicates, codes,
electronic payment codes). Valid rows are written in batches inside one transaction, which
commits only when the import is accepted: any invalid row means nothing is written, unless
--skip-invalid. Rows are streamed; memory holds the file's keys, not its rows. The database
work runs on its own thread, overlapping the checking; a migration-sized file on PostgreSQL
loads with the foreign keys set aside until commit (imports/bulk_load.py).
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ispcube.domain.codes import format_code
from ispcube.domain.text import quoted
from ispcube.services.admin import config
from ispcube.services.clients.lifecycle import load_refs
from ispcube.services.imports.bulk_insert import bind_processors
from ispcube.services.imports.bulk_load import bulk_load
from ispcube.services.imports.clients.check import (
    ADDRESS_KEY,
    ID_KEY,
    INSERT_COLUMNS,
    UNIQUE,
    CheckContext,
    Checked,
    cell_text,
    check_chunk,
    finish_search_text,
    insert_row,
    start_worker,
)
from ispcube.services.imports.clients.columns import ColumnMap, map_columns
from ispcube.services.imports.clients.store import CLIENTS, EVENTS, ImportDb
from ispcube.services.imports.read import Source, SourceRow, open_source
from ispcube.services.process.pool import ordered_map, usable_cores
from ispcube.services.process.runtime import Actor, Runtime
from ispcube.services.process.serial_thread import SerialThread

CHUNK = 1000
PARALLEL_FROM = 5000     # rows; below this, starting worker processes costs more than it saves
DERIVED = ("id_key", "address_key", "search_text")


@dataclass(frozen=True)
class ImportOptions:
    skip_invalid: bool = False
    dry_run: bool = False
    update: bool = False
    allow_duplicate: bool = False


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


def import_clients(rt: Runtime, path: str | Path, options: ImportOptions,
                   progress: Callable[[int], None] | None = None,
                   on_start: Callable[[int | None], None] | None = None) -> ImportSummary:
    """Import PATH; ON_START gets the expected row count, PROGRESS each batch's size.

    Only an admin or an operator may import: an import adds to or rewrites the whole base."""
    rt.check_office("import clients")
    with open_source(path) as source:
        columns = map_columns(source.header, update=options.update)
        with rt.uow() as uow:
            # First in the transaction: a migration-sized load locks the tables before reading them.
            conn = uow.session.connection()
            aside = None if options.dry_run else bulk_load(conn, CLIENTS.name, source.total, logs=EVENTS.name)
            run = _ImportRun(rt, uow, rt.actor(uow), options, columns, source, table_locked=aside is not None)
            dialect = rt.engine.dialect
            context = CheckContext(load_refs(uow), columns, rt.today(),
                                   f"{dialect.name}+{dialect.driver}", source.mixed)
            if on_start:
                on_start(source.total)
            run.run(context, progress or (lambda _n: None))
            if run.summary.written:
                if aside is not None:
                    aside.restore()
                uow.commit()
            return run.summary


class _ImportRun:
    def __init__(self, rt: Runtime, uow, actor: Actor, options: ImportOptions, columns: ColumnMap,
                 source: Source, table_locked: bool = False):
        self.rt, self.actor, self.options, self.columns, self.source = rt, actor, options, columns, source
        self.db = ImportDb(uow.session.connection(), table_locked)
        self.database: SerialThread     # every call on the connection while rows stream, see run()
        self.processors = bind_processors(rt.engine.dialect, CLIENTS, INSERT_COLUMNS)
        self.code_format = config.get_value(uow.session, "client.code_format")
        self.summary = ImportSummary(file=source.path.name, encoding=source.encoding,
                                     dry_run=options.dry_run, skip_invalid=options.skip_invalid,
                                     ignored_columns=list(columns.ignored))
        # key -> line of the valid rows seen so far, for duplicates inside the file
        self.codes: dict[str, int] = {}
        self.unique: dict[str, dict[str, int]] = {field: {} for field in UNIQUE}
        self.id_keys: dict[str, int] = {}
        self.addresses: dict[str, int] = {}
        self.pending: dict[int, tuple[dict | None, tuple[str, str] | None]] = {}
        self.refusing = False
        self.last_number: int | None = None
        self.code_index = columns.fields.index("code") if "code" in columns.present else None

    def run(self, context: CheckContext, progress: Callable[[int], None]) -> None:
        workers = usable_cores() if (self.source.total or 0) >= PARALLEL_FROM else 1
        self.copy_rows = context.copy_rows       # rows this process builds take the workers' form
        with SerialThread(name="import-db") as self.database:
            for sent in ordered_map(check_chunk, self._chunks(), workers=workers,
                                    initializer=start_worker, initargs=(context,)):
                self._settle([Checked.from_wire(row) for row in sent])
                progress(len(sent))
            writing = not self.options.dry_run and not self.refusing
            if writing and self.last_number is not None:
                self.database.send(self.db.set_sequence, "client_code", self.last_number)
            self.database.finish()
        self.summary.written = writing and (self.summary.new + self.summary.updated) > 0

    # reading: rows in chunks, each with the stored client it updates (--update)

    def _chunks(self):
        batch: list[SourceRow] = []
        for row in self.source.rows:
            batch.append(row)
            if len(batch) == CHUNK:
                yield self._prepare(batch)
                batch = []
        if batch:
            yield self._prepare(batch)

    def _prepare(self, rows: list[SourceRow]) -> list[tuple[int, list, dict | None]]:
        codes = {row.line: self._code_cell(row) for row in rows}
        known = self.db.known_codes(code for code in codes.values() if code)
        stored = self.database.ask(self.db.existing, known) if known else {}
        prepared = []
        for row in rows:
            code = codes[row.line]
            existing, problem = stored.get(code) if code else None, None
            if existing is not None and not self.options.update:
                problem = (code, f"client code '{code}' is already in use (use --update to change existing clients)")
                existing = None
            if existing is not None or problem is not None:
                self.pending[row.line] = (existing, problem)
            prepared.append((row.line, row.cells, existing))
        return prepared

    def _code_cell(self, row: SourceRow) -> str | None:
        index = self.code_index
        if index is None:
            return None
        value = cell_text(row.cells[index]) if index < len(row.cells) else None
        return value.strip() if value and value.strip() else None

    # checking against the base and the file, then writing

    def _settle(self, chunk: list[Checked]) -> None:
        for row in chunk:
            if row.line in self.pending:
                row.existing, problem = self.pending.pop(row.line)
                if problem:
                    row.problems.insert(0, (self._column("code"), *problem))
        self._check_base([row for row in chunk if row.ok])
        for row in chunk:
            if row.ok:
                self._check_file(row)
        self.summary.rows += len(chunk)
        for row in chunk:
            if not row.ok:
                self.summary.invalid += 1
                self.summary.problems += [Problem(row.line, *problem) for problem in row.problems]
                self.refusing = self.refusing or not self.options.skip_invalid
        valid = [row for row in chunk if row.ok]
        if not self.options.dry_run and not self.refusing:
            self._write(valid)
        else:
            self.summary.new += sum(1 for row in valid if row.existing is None)
            self.summary.updated += sum(1 for row in valid if row.existing is not None)

    def _column(self, name: str) -> str:
        return self.columns.column_of(name) if name in self.columns.present else name

    def _address_field(self) -> str:
        present = self.columns.present
        return "fiscal_address" if "fiscal_address" in present and "address" not in present else "address"

    def _new_keys(self, row: Checked) -> tuple[str | None, str]:
        """The ID and address keys a row brings to the duplicate check (C4): all of a new
        row's, only those an update changes (a client never matches itself)."""
        id_key, address = row.keys[ID_KEY], row.keys[ADDRESS_KEY]
        if row.existing is None:
            return id_key, address
        return (id_key if id_key and id_key != row.existing.get("id_key") else None,
                address if address and address != row.existing.get("address_key") else "")

    def _check_base(self, rows: list[Checked]) -> None:
        keyed = [(row, *self._new_keys(row)) for row in rows]
        keyed = [(row, id_key, address) for row, id_key, address in keyed if id_key or address]
        keys = [(id_key, address, (row.existing or {}).get("id")) for row, id_key, address in keyed]
        found = self.database.ask(self.db.duplicates, keys) if self.db.known_keys(keys) else [()] * len(keys)
        for (row, _, _), matches in zip(keyed, found, strict=True):
            if matches and self.options.allow_duplicate:
                row.duplicates = (row.duplicates or []) + matches
            elif matches:
                by_id = any("(same ID number)" in match for match in matches)
                column = "id_number" if by_id else self._address_field()
                row.problems.append((self._column(column), self._shown_key(row, column),
                                     "looks like a duplicate of " + "; ".join(matches)
                                     + " (use --allow-duplicate to import it anyway)"))
        for name in UNIQUE:
            held = self.db.known_unique(name, [row.key(name) for row in rows if row.key(name)])
            holders = self.database.ask(self.db.unique_holders, name, held) if held else {}
            for row in rows:
                holder = holders.get(row.key(name) or "") if holders else None
                if holder and (row.existing is None or holder[0] != row.existing["id"]):
                    row.problems.append((self._column(name), row.key(name),
                                         f"already belongs to client {holder[1]}"))

    def _shown_key(self, row: Checked, column: str) -> str:
        """The row's value behind a duplicate key; an update that leaves the column out
        shows the stored value it keeps."""
        return str(row.key(column) or (row.existing or {}).get(column) or "")

    def _check_file(self, row: Checked) -> None:
        code = row.keys[0]
        id_key, address = self._new_keys(row)
        code = code or (row.existing or {}).get("code")
        if code and code in self.codes:
            row.problems.append((self._column("code"), code,
                                 f"client code '{code}' is also on line {self.codes[code]}"))
        for name, what in UNIQUE.items():
            value = row.key(name)
            if value and value in self.unique[name]:
                row.problems.append((self._column(name), value, f"{what} also on line {self.unique[name][value]}"))
        earlier = []
        if id_key and id_key in self.id_keys:
            earlier.append((f"same ID number as line {self.id_keys[id_key]}", "id_number"))
        if address and address in self.addresses:
            earlier.append((f"same service address as line {self.addresses[address]}", self._address_field()))
        if earlier and self.options.allow_duplicate:
            row.duplicates = (row.duplicates or []) + [f"{what} of {self.summary.file}" for what, _ in earlier]
        elif earlier:
            what, column = earlier[0]
            row.problems.append((self._column(column), self._shown_key(row, column),
                                 f"{what} (use --allow-duplicate to import it anyway)"))
        if not row.ok:
            return
        if code:
            self.codes[code] = row.line
        for name, seen in self.unique.items():
            if row.key(name):
                seen[row.key(name)] = row.line
        if id_key:
            self.id_keys.setdefault(id_key, row.line)
        if address:
            self.addresses.setdefault(address, row.line)

    def _write(self, rows: list[Checked]) -> None:
        new = [row for row in rows if row.existing is None]
        self._assign_codes([row for row in new if row.insert_row is None])
        self.database.send(self.db.insert_clients, [row.insert_row for row in new], [row.code for row in new],
                           self.rt.now(), self.rt.operator, self.summary.file)
        self.summary.new += len(new)
        added = [row for row in new if row.duplicates]
        ids = self.database.ask(self.db.ids_of, [row.code for row in added]) if added else {}
        overridden = [(ids[row.code], row) for row in added]
        overridden += [(row.existing["id"], row) for row in rows if row.existing is not None and row.duplicates]
        events = [(client_id, "client.duplicate-override", "duplicate check overridden: " + "; ".join(row.duplicates))
                  for client_id, row in overridden]
        changes = []
        for row in (row for row in rows if row.existing is not None):
            changed = {k: v for k, v in row.values.items() if k not in DERIVED and row.existing.get(k) != v}
            if not changed:
                self.summary.unchanged += 1
                continue
            self.summary.updated += 1
            client_id = row.existing["id"]
            changes.append((client_id, {**changed, **{k: row.values[k] for k in DERIVED if k in row.values}}))
            events.append((client_id, "client.import-update",
                           f"import of {self.summary.file} (line {row.line}): "
                           + "; ".join(f"{k} {_shown(row.existing.get(k))} -> {_shown(v)}"
                                       for k, v in changed.items())))
        if changes:
            self.database.send(self.db.update_clients, changes)
        if events:
            self.database.send(self.db.log, events, self.rt.now(), self.rt.operator)

    def _assign_codes(self, rows: list[Checked]) -> None:
        """Codes from the configured format for new rows without one, skipping codes in use."""
        if not rows:
            return
        if self.last_number is None:
            self.last_number = self.database.ask(self.db.sequence, "client_code")
        codes: list[str] = []
        while len(codes) < len(rows):
            candidates = []
            while len(candidates) < len(rows) - len(codes):
                self.last_number += 1
                candidate = format_code(self.code_format, self.last_number)
                if candidate not in self.codes:
                    candidates.append(candidate)
            taken = self.database.ask(self.db.taken_codes, candidates)
            codes += [c for c in candidates if c not in taken]
        for row, code in zip(rows, codes, strict=True):
            row.values["code"] = code
            finish_search_text(row.values)
            row.insert_row = insert_row(row.values, self.processors, self.copy_rows)
            self.codes[code] = row.line


def _shown(value: Any) -> str:
    return "(empty)" if value in (None, "") else str(value)
