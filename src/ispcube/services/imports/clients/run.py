"""`client import FILE` (C9): bring a whole client base in from CSV or XLSX; the first kind of
the import engine (imports/engine.py, M1), which reads, chunks, counts and commits.

Every row is checked as `client add` checks it (imports/clients/check.py, on every core for
large files), then against the file's earlier rows and the stored clients (duplicates, codes,
electronic payment codes). Valid rows are written in batches inside one transaction, which
commits only when the import is accepted: any invalid row means nothing is written, unless
--skip-invalid. Rows are streamed; memory holds the file's keys, not its rows. The database
work runs on its own thread, overlapping the checking; a migration-sized file on PostgreSQL
loads with the foreign keys set aside until commit (db/bulk_load.py).
"""

from typing import Any

from ispcube.db.bulk_insert import bind_processors
from ispcube.domain.codes import format_code
from ispcube.services.admin import config
from ispcube.services.clients.lifecycle import load_refs
from ispcube.services.imports.clients.check import (
    ADDRESS_KEY,
    CODE,
    ID_KEY,
    INSERT_COLUMNS,
    UNIQUE,
    CheckContext,
    ClientRow,
    ClientUpdateRow,
    NewClientRow,
    RefusedClientRow,
    UncodedClientRow,
    ValidClientRow,
    Wire,
    cell_text,
    check_chunk,
    received,
    start_worker,
)
from ispcube.services.imports.clients.columns import ColumnMap, map_columns
from ispcube.services.imports.clients.store import CLIENTS, EVENTS, ImportDb
from ispcube.services.imports.engine import (
    PARALLEL_FROM,
    ImportRun,
    TableImportOptions,
)
from ispcube.services.imports.read import Source, SourceRow
from ispcube.services.process.runtime import Runtime

__all__ = ["PARALLEL_FROM", "ClientImport", "TableImportOptions"]

DERIVED = ("id_key", "address_key", "search_text")


class ClientImport(ImportRun):
    """Clients, the engine's first kind (imports/engine.py)."""
    office = "import clients"
    table = CLIENTS.name
    logs = EVENTS.name
    check_chunk = staticmethod(check_chunk)
    start_worker = staticmethod(start_worker)

    def __init__(self, rt: Runtime, uow, options: TableImportOptions, columns: ColumnMap,
                 source: Source, table_locked: bool = False):
        super().__init__(rt, uow, options, columns, source, table_locked)
        self.db = ImportDb(uow.session.connection(), table_locked)
        self.processors = bind_processors(rt.engine.dialect, CLIENTS, INSERT_COLUMNS)
        self.code_format = config.get_value(uow.session, "client.code_format")
        # key -> line of the valid rows seen so far, for duplicates inside the file
        self.codes: dict[str, int] = {}
        self.unique: dict[str, dict[str, int]] = {field: {} for field in UNIQUE}
        self.id_keys: dict[str, int] = {}
        self.addresses: dict[str, int] = {}
        # line -> (the stored client it updates, or why its code is refused), until settled
        self.pending: dict[int, tuple[dict[str, Any] | None, tuple[str, str] | None]] = {}
        self.last_number: int | None = None
        self.code_index = columns.fields.index("code") if "code" in columns.present else None

    @classmethod
    def map_columns(cls, header: list[str], options: TableImportOptions) -> ColumnMap:
        return map_columns(header, update=options.update)

    def context(self) -> CheckContext:
        dialect = self.rt.engine.dialect
        context = CheckContext(load_refs(self.uow, self.rt.today()), self.columns, self.rt.today(),
                               f"{dialect.name}+{dialect.driver}", self.source.mixed)
        self.copy_rows = context.copy_rows       # rows this process builds take the workers' form
        return context

    def finish(self) -> None:
        if self.last_number is not None:
            self.database.send(self.db.set_sequence, "client_code", self.last_number)
        self.database.send(self.db.hide_deleted)

    # reading: rows in chunks, each with the stored client it updates (--update)

    def prepare(self, rows: list[SourceRow]) -> list[tuple[int, list[str | None], dict[str, Any] | None]]:
        codes = {row.line: self._code_cell(row) for row in rows}
        known = self.db.known_codes(code for code in codes.values() if code)
        stored = self.database.ask(self.db.existing, known) if known else {}
        prepared = []
        for row in rows:
            code = codes[row.line]
            existing = stored.get(code) if code else None
            if code and existing is not None:
                if self.options.update:
                    self.pending[row.line] = (existing, None)
                else:
                    self.pending[row.line] = (None, (code, f"client code '{code}' is already in use "
                                                           "(use --update to change existing clients)"))
                    existing = None
            prepared.append((row.line, row.cells, existing))
        return prepared

    def _code_cell(self, row: SourceRow) -> str | None:
        index = self.code_index
        if index is None:
            return None
        value = cell_text(row.cells[index]) if index < len(row.cells) else None
        return value.strip() if value and value.strip() else None

    # checking against the base and the file, then writing

    def settle(self, sent: list[Wire]) -> list[ClientRow]:
        chunk = []
        for wired in sent:
            existing, problem = self.pending.pop(wired[0], (None, None))
            row = received(wired, existing)
            if problem:
                row.problems.insert(0, (self.column("code"), *problem))
            chunk.append(row)
        valid = [row for row in chunk if not isinstance(row, RefusedClientRow) and row.ok]
        self._check_base(valid)
        for row in valid:
            if row.ok:
                self._check_file(row)
        return chunk

    def _address_field(self) -> str:
        present = self.columns.present
        return "fiscal_address" if "fiscal_address" in present and "address" not in present else "address"

    def _new_keys(self, row: ValidClientRow) -> tuple[str | None, str]:
        """The ID and address keys a row brings to the duplicate check (C4): all of a new
        row's, only those an update changes (a client never matches itself)."""
        id_key, address = row.keys[ID_KEY], row.keys[ADDRESS_KEY]
        if row.existing is None:
            return id_key, address
        return (id_key if id_key and id_key != row.existing.get("id_key") else None,
                address if address and address != row.existing.get("address_key") else "")

    def _check_base(self, rows: list[ValidClientRow]) -> None:
        keyed = [(row, *self._new_keys(row)) for row in rows]
        keyed = [(row, id_key, address) for row, id_key, address in keyed if id_key or address]
        keys = [(id_key, address, (row.existing or {}).get("id")) for row, id_key, address in keyed]
        found = self.database.ask(self.db.duplicates, keys) if self.db.known_keys(keys) else [[] for _ in keys]
        for (row, _, _), matches in zip(keyed, found, strict=True):
            if matches and self.options.allow_duplicate:
                row.duplicates = row.duplicates + matches
            elif matches:
                by_id = any("(same ID number)" in match for match in matches)
                column = "id_number" if by_id else self._address_field()
                row.problems.append((self.column(column), self._shown_key(row, column),
                                     "looks like a duplicate of " + "; ".join(matches)
                                     + " (use --allow-duplicate to import it anyway)"))
        for name in UNIQUE:
            held = self.db.known_unique(name, [row.key(name) for row in rows if row.key(name)])
            holders = self.database.ask(self.db.unique_holders, name, held) if held else {}
            for row in rows:
                holder = holders.get(row.key(name) or "") if holders else None
                if holder and (row.existing is None or holder[0] != row.existing["id"]):
                    row.problems.append((self.column(name), row.key(name),
                                         f"already belongs to client {holder[1]}"))

    def _shown_key(self, row: ValidClientRow, column: str) -> str:
        """The row's value behind a duplicate key; an update that leaves the column out
        shows the stored value it keeps."""
        return str(row.key(column) or (row.existing or {}).get(column) or "")

    def _check_file(self, row: ValidClientRow) -> None:
        code = row.keys[CODE]
        id_key, address = self._new_keys(row)
        code = code or (row.existing or {}).get("code")
        if code and code in self.codes:
            row.problems.append((self.column("code"), code,
                                 f"client code '{code}' is also on line {self.codes[code]}"))
        for name, what in UNIQUE.items():
            value = row.key(name)
            if value and value in self.unique[name]:
                row.problems.append((self.column(name), value, f"{what} also on line {self.unique[name][value]}"))
        earlier = []
        if id_key and id_key in self.id_keys:
            earlier.append((f"same ID number as line {self.id_keys[id_key]}", "id_number"))
        if address and address in self.addresses:
            earlier.append((f"same service address as line {self.addresses[address]}", self._address_field()))
        if earlier and self.options.allow_duplicate:
            row.duplicates = row.duplicates + [f"{what} of {self.summary.file}" for what, _ in earlier]
        elif earlier:
            what, column = earlier[0]
            row.problems.append((self.column(column), self._shown_key(row, column),
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

    def write(self, rows: list[ValidClientRow]) -> tuple[int, int, int]:
        coded = self._assign_codes([row for row in rows if isinstance(row, UncodedClientRow)])
        written = [coded[row.line] if isinstance(row, UncodedClientRow) else row for row in rows]
        new = [row for row in written if isinstance(row, NewClientRow)]
        updates = [row for row in written if isinstance(row, ClientUpdateRow)]
        self.database.send(self.db.insert_clients, [row.insert_row for row in new], [row.code for row in new],
                           self.rt.now(), self.rt.operator, self.summary.file)
        added = [row for row in new if row.duplicates]
        ids = self.database.ask(self.db.ids_of, [row.code for row in added]) if added else {}
        overridden: list[tuple[int, NewClientRow | ClientUpdateRow]] = [(ids[row.code], row) for row in added]
        overridden += [(row.existing["id"], row) for row in updates if row.duplicates]
        events = [(client_id, "client.duplicate-override", "duplicate check overridden: " + "; ".join(row.duplicates))
                  for client_id, row in overridden]
        changes = []
        unchanged = 0
        for row in updates:
            changed = {k: v for k, v in row.values.items() if k not in DERIVED and row.existing.get(k) != v}
            if not changed:
                unchanged += 1
                continue
            client_id = row.existing["id"]
            changes.append((client_id, {**changed, **{k: row.values[k] for k in DERIVED if k in row.values}}))
            events.append((client_id, "client.import-update",
                           f"import of {self.summary.file} (line {row.line}): "
                           + "; ".join(f"{k} {_shown(row.existing.get(k))} -> {_shown(v)}"
                                       for k, v in changed.items())))
        if changes:
            self.database.send(self.db.update_clients, changes)
        noted = [row for row in written if row.note]
        if noted:
            new_ids = self.database.ask(self.db.ids_of, [row.code for row in noted if isinstance(row, NewClientRow)])
            notes = [(new_ids[row.code] if isinstance(row, NewClientRow) else row.existing["id"], row.note)
                     for row in noted]
            self.database.send(self.db.add_notes, notes, self.rt.now(), self.rt.operator)
        if events:
            self.database.send(self.db.log, events, self.rt.now(), self.rt.operator)
        return len(new), len(changes), unchanged

    def _assign_codes(self, rows: list[UncodedClientRow]) -> dict[int, NewClientRow]:
        """Codes from the configured format for new rows without one, skipping codes in use:
        each row, by line, as the new row it now is."""
        if not rows:
            return {}
        number: int = self.database.ask(self.db.sequence, "client_code") if self.last_number is None \
            else self.last_number
        codes: list[str] = []
        while len(codes) < len(rows):
            candidates: list[str] = []
            while len(candidates) < len(rows) - len(codes):
                number += 1
                candidate = format_code(self.code_format, number)
                if candidate not in self.codes:
                    candidates.append(candidate)
            taken = self.database.ask(self.db.taken_codes, candidates)
            codes += [c for c in candidates if c not in taken]
        self.last_number = number
        coded = {}
        for row, code in zip(rows, codes, strict=True):
            coded[row.line] = row.coded(code, self.processors, self.copy_rows)
            self.codes[code] = row.line
        return coded


def _shown(value: Any) -> str:
    return "(empty)" if value in (None, "") else str(value)
