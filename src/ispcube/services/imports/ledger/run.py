"""`ledger import FILE` (M3): opening balances, debits, credits and payments in bulk; a kind
of the import engine (imports/engine.py, M1), which reads, chunks, counts and commits.

Each line is checked by a pure function (imports/ledger/check.py), then settled against the
database and the file's earlier lines: the client exists and is not deleted, its reference
was not imported before (such a line is skipped and counted as already imported, so a file run
again, or one overlapping it, posts nothing twice) nor used on an earlier line of the file,
and the balance it leaves fits the money column. A line of this database's own statement
(`ledger show --format csv`: its reference names an entry of the client, 'receipt 12', with
the same date and amount, or is the statement's brought-forward row) is already there and
counted as already imported too, so a statement exported and imported back posts nothing.
Valid lines are posted chunk by chunk inside the engine's one transaction
(imports/ledger/store.py), which commits only when the import is accepted. Afterwards the
cached balances equal the sums of the entries (`ledger rebuild` finds nothing), and each
client whose account moved has one client-log line saying what the import posted.

In the engine's counts a posted line is `new` and a line imported before is `unchanged`.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TypedDict

from ispcube.domain.ledger import EntryKind
from ispcube.domain.money import MAX_AMOUNT, format_amount
from ispcube.services.admin.config import local_formats
from ispcube.services.enforcement.grace import start_grace
from ispcube.services.imports.columns import ColumnMap
from ispcube.services.imports.engine import ImportRun, ImportSummary, TableImportOptions
from ispcube.services.imports.ledger.check import CheckContext, CheckedLedgerLine, Line, check_chunk, start_worker
from ispcube.services.imports.ledger.columns import map_columns
from ispcube.services.imports.ledger.store import ClientRef, LedgerImportDb
from ispcube.services.imports.read import Source
from ispcube.services.ledger.posting import KIND_NAMES, currency
from ispcube.services.process.runtime import Runtime

SHOWN = {"opening": "opening", "dx": "dx", "cx": "cx", "receipt": "payment"}


class LedgerImportRecord(TypedDict):
    """`ledger import`: the lines read, posted (per kind, as SHOWN names them) and refused."""
    file: str
    encoding: str
    lines: int
    posted: int
    opening: int
    dx: int
    cx: int
    payment: int
    already_imported: int
    invalid: int
    clients: int
    written: bool
    dry_run: bool
    ignored_columns: list[str]
    grace_until: str | None


@dataclass
class LedgerImportSummary(ImportSummary):
    by_kind: Counter = field(default_factory=Counter)     # lines posted (or to post): opening, dx, cx, payment
    clients: int = 0                                      # clients whose account they move
    grace_until: date | None = None                       # set by this import: the first one (U6)

    @property
    def posted(self) -> int:
        return self.new

    @property
    def already(self) -> int:
        return self.unchanged

    def as_dict(self) -> LedgerImportRecord:
        return {"file": self.file, "encoding": self.encoding, "lines": self.rows, "posted": self.new,
                "opening": self.by_kind["opening"], "dx": self.by_kind["dx"], "cx": self.by_kind["cx"],
                "payment": self.by_kind["payment"],
                "already_imported": self.unchanged, "invalid": self.invalid, "clients": self.clients,
                "written": self.written, "dry_run": self.dry_run, "ignored_columns": self.ignored_columns,
                "grace_until": self.grace_until.isoformat() if self.grace_until else None}


class LedgerImport(ImportRun):
    """Ledger lines, a kind of the engine (imports/engine.py)."""
    office = "import ledger lines"
    job = "ledger import"
    posts_money = True
    check_chunk = staticmethod(check_chunk)
    start_worker = staticmethod(start_worker)

    def __init__(self, rt: Runtime, uow, options: TableImportOptions, columns: ColumnMap,
                 source: Source, table_locked: bool = False):
        super().__init__(rt, uow, options, columns, source, table_locked)
        self.summary: LedgerImportSummary = LedgerImportSummary(
            file=self.summary.file, encoding=self.summary.encoding, dry_run=options.dry_run,
            skip_invalid=options.skip_invalid, ignored_columns=list(columns.ignored))
        self.db = LedgerImportDb(uow)
        # First in the transaction: wait for another import to end before reading anything.
        if options.dry_run:
            self.db.start()
        else:
            self.db.lock()
        self.clients: dict[str, ClientRef | None] = {}
        self.seen: dict[tuple[int, str], int] = {}          # (client id, reference) -> line
        self.balances: dict[int, Decimal] = {}              # client id -> balance once its lines are posted
        self.posted: dict[int, Counter] = {}                # client id -> lines posted per kind
        self.totals: dict[int, Decimal] = {}                # client id -> what they add up to

    @classmethod
    def map_columns(cls, header: list[str], options: TableImportOptions) -> ColumnMap:
        return map_columns(header)

    def context(self) -> CheckContext:
        return CheckContext(self.columns, currency(self.uow), self.rt.today(), self.source.mixed,
                            local=local_formats(self.uow.session))

    def settle(self, sent: list) -> list[CheckedLedgerLine]:
        chunk = [CheckedLedgerLine.from_wire(row) for row in sent]
        lines = [(row, row.value) for row in chunk if row.value is not None]
        wanted = {line.client for _, line in lines if line.client not in self.clients}
        if wanted:
            found = self.database.ask(self.db.clients, wanted)
            self.clients.update({code: found.get(code) for code in wanted})
        known: list[tuple[CheckedLedgerLine, Line, ClientRef]] = []
        for row, line in lines:
            client = self.clients[line.client]
            if client is None:
                row.problems.append((self.column("client"), line.client, "no such client"))
            elif client.deleted:
                row.problems.append((self.column("client"), line.client,
                                     "is a deleted client (restore it with `ispcube client restore` first)"))
            else:
                known.append((row, line, client))
        keys = {(client.id, line.reference) for _, line, client in known}
        stored = self.database.ask(self.db.imported, keys) if keys else set()
        stored |= self.database.ask(self.db.already_there, [(client.id, line) for _, line, client in known])
        for row, line, client in known:
            key = (client.id, line.reference)
            if key in self.seen:
                row.problems.append((self.column("reference"), line.reference,
                                     f"is also on line {self.seen[key]} for client {line.client}"))
                continue
            self.seen[key] = row.line
            if key in stored:
                row.already = True
                continue
            balance = self.balances.get(client.id, client.balance) + line.amount
            if abs(balance) > MAX_AMOUNT:
                row.problems.append((self.column("amount"), format_amount(abs(line.amount)),
                                     f"would take the balance of client {line.client} to {format_amount(balance)}, "
                                     f"beyond what a balance holds ({format_amount(MAX_AMOUNT)} either way)"))
                continue
            self.balances[client.id] = balance
            row.client_id = client.id
        return chunk

    def _count(self, rows: list[CheckedLedgerLine]) -> list[tuple[int, Line]]:
        """The lines of ROWS to post, as (client id, line); counted per kind and client."""
        posting = [(row.client_id, row.value) for row in rows
                   if not row.already and row.client_id is not None and row.value is not None]
        for client_id, line in posting:
            self.summary.by_kind[SHOWN[line.kind]] += 1
            self.posted.setdefault(client_id, Counter())[line.kind] += 1
            self.totals[client_id] = self.totals.get(client_id, Decimal(0)) + line.amount
        self.summary.clients = len(self.posted)
        return posting

    def tally(self, rows: list[CheckedLedgerLine]) -> tuple[int, int, int]:
        return len(self._count(rows)), 0, sum(1 for row in rows if row.already)

    def write(self, rows: list[CheckedLedgerLine]) -> tuple[int, int, int]:
        posting = self._count(rows)
        if posting:
            self.database.send(self.db.insert, posting, self.rt.operator)
        return len(posting), 0, sum(1 for row in rows if row.already)

    def finish(self) -> None:
        if self.posted:
            self.database.send(self._finish)

    def _finish(self) -> None:
        """On the database thread: move the balances and log each client once."""
        balances = self.db.move_balances()
        self.summary.grace_until = start_grace(self.uow, self.rt.today())
        self.db.log([(client_id, self._log_text(counts, self.totals[client_id], balances[client_id]))
                     for client_id, counts in self.posted.items()], self.rt.now(), self.rt.operator)

    def _log_text(self, counts: Counter, total: Decimal, balance: Decimal) -> str:
        entries = sum(counts.values())
        kinds = ", ".join(f"{count} {KIND_NAMES[kind] if kind != EntryKind.RECEIPT else 'payment'}"
                          for kind, count in sorted(counts.items()))
        return (f"ledger import of {self.summary.file}: {entries} entr{'y' if entries == 1 else 'ies'} "
                f"({kinds}), {format_amount(total)} in all; balance {format_amount(balance)}")
