"""`ledger import FILE` (M3): opening balances, debits, credits and payments in bulk.

Each line is checked (imports/ledger/check.py), then settled against the database and the
file's earlier lines in batches: the client exists and is not deleted, its reference was not
imported before (such a line is skipped and counted as already imported, so a file run again,
or one overlapping it, posts nothing twice) nor used on an earlier line of the file, and the
balance it leaves fits the money column. Valid lines are posted in batches inside one
transaction (imports/ledger/store.py), which commits only when the import is accepted: any
invalid line means nothing is posted, unless --skip-invalid. Afterwards the cached balances
equal the sums of the entries (`ledger rebuild` finds nothing), and each client whose account
moved gets one client log line saying what the import posted.
"""

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Callable

from ispcube.domain.money import MAX_AMOUNT, format_amount
from ispcube.errors import Invalid
from ispcube.services.imports.ledger.check import CheckContext, Checked, Line, check_line
from ispcube.services.imports.ledger.columns import map_columns
from ispcube.services.imports.ledger.store import ClientRef, LedgerImportDb
from ispcube.services.imports.read import SourceRow, open_source
from ispcube.services.ledger.posting import KIND_NAMES, currency
from ispcube.services.process.runtime import Runtime

CHUNK = 2000
SHOWN = {"opening": "opening", "dx": "dx", "cx": "cx", "receipt": "payment"}


@dataclass(frozen=True)
class LedgerImportOptions:
    skip_invalid: bool = False
    dry_run: bool = False


@dataclass(frozen=True)
class Problem:
    line: int
    column: str
    value: str
    reason: str

    def sentence(self) -> str:
        from ispcube.domain.text import quoted
        return f"line {self.line}, column {self.column}: value {quoted(self.value)}: {self.reason}"


@dataclass
class LedgerImportSummary:
    file: str
    encoding: str
    lines: int = 0
    posted: int = 0
    already: int = 0
    invalid: int = 0
    clients: int = 0
    by_kind: Counter = field(default_factory=Counter)     # opening, dx, cx, payment
    written: bool = False
    dry_run: bool = False
    skip_invalid: bool = False
    ignored_columns: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"file": self.file, "encoding": self.encoding, "lines": self.lines, "posted": self.posted,
                **{kind: self.by_kind[kind] for kind in SHOWN.values()},
                "already_imported": self.already, "invalid": self.invalid, "clients": self.clients,
                "written": self.written, "dry_run": self.dry_run, "ignored_columns": self.ignored_columns}


def import_ledger(rt: Runtime, path: str | Path, options: LedgerImportOptions,
                  progress: Callable[[int], None] | None = None,
                  on_start: Callable[[int | None], None] | None = None) -> LedgerImportSummary:
    """Import PATH; ON_START gets the expected line count, PROGRESS each batch's size.

    Only an admin or an operator may import: an import moves the accounts of the whole base."""
    rt.check_office("import ledger lines")
    with open_source(path) as source:
        columns = map_columns(source.header)
        with rt.uow() as uow:
            db = LedgerImportDb(uow)
            if options.dry_run:
                db.start()
            else:
                db.lock()
            context = CheckContext(columns, currency(uow), rt.today(), source.mixed)
            run = _Run(rt, db, options, context, source.path.name, source.encoding)
            if on_start:
                on_start(source.total)
            for chunk in _chunks(source.rows):
                run.settle([check_line(context, row.line, row.cells) for row in chunk])
                if progress:
                    progress(len(chunk))
            if run.finish():
                uow.commit()
            return run.summary


def _chunks(rows):
    batch: list[SourceRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


class _Run:
    def __init__(self, rt: Runtime, db: LedgerImportDb, options: LedgerImportOptions, context: CheckContext,
                 file: str, encoding: str):
        self.rt, self.db, self.options, self.context = rt, db, options, context
        self.summary = LedgerImportSummary(file=file, encoding=encoding, dry_run=options.dry_run,
                                           skip_invalid=options.skip_invalid,
                                           ignored_columns=list(context.columns.ignored))
        self.clients: dict[str, ClientRef | None] = {}
        self.seen: dict[tuple[int, str], int] = {}          # (client id, reference) -> line
        self.balances: dict[int, Decimal] = {}              # client id -> balance once its lines are posted
        self.posted: dict[int, Counter] = {}                # client id -> entries per kind
        self.totals: dict[int, Decimal] = {}                # client id -> what its entries add up to
        self.refusing = False

    def _column(self, name: str) -> str:
        columns = self.context.columns
        return columns.column_of(name) if name in columns.present else name

    def settle(self, chunk: list[Checked]) -> None:
        valid = [(row, row.value) for row in chunk if row.value is not None]
        wanted = {line.client for _, line in valid if line.client not in self.clients}
        if wanted:
            found = self.db.clients(wanted)
            self.clients.update({code: found.get(code) for code in wanted})
        keyed: list[tuple[Checked, Line, ClientRef]] = []
        for row, line in valid:
            client = self.clients[line.client]
            if client is None:
                row.problems.append((self._column("client"), line.client, "no such client"))
            elif client.deleted:
                row.problems.append((self._column("client"), line.client,
                                     "is a deleted client (restore it with `ispcube client restore` first)"))
            else:
                keyed.append((row, line, client))
        stored = self.db.imported({(client.id, line.reference) for _, line, client in keyed})
        to_post: list[tuple[int, Line]] = []
        for row, line, client in keyed:
            key = (client.id, line.reference)
            if key in self.seen:
                row.problems.append((self._column("reference"), line.reference,
                                     f"is also on line {self.seen[key]} for client {line.client}"))
                continue
            self.seen[key] = row.line
            if key in stored:
                self.summary.already += 1
                continue
            balance = self.balances.get(client.id, client.balance) + line.amount
            if abs(balance) > MAX_AMOUNT:
                row.problems.append((self._column("amount"), format_amount(abs(line.amount)),
                                     f"would take the balance of client {line.client} to {format_amount(balance)}, "
                                     f"beyond what a balance holds ({format_amount(MAX_AMOUNT)} either way)"))
                continue
            self.balances[client.id] = balance
            to_post.append((client.id, line))
        self.summary.lines += len(chunk)
        for row in chunk:
            if not row.ok:
                self.summary.invalid += 1
                self.summary.problems += [Problem(row.line, *problem) for problem in row.problems]
                self.refusing = self.refusing or not self.options.skip_invalid
        for client_id, line in to_post:
            self.summary.by_kind[SHOWN[line.kind]] += 1
            self.posted.setdefault(client_id, Counter())[line.kind] += 1
            self.totals[client_id] = self.totals.get(client_id, Decimal(0)) + line.amount
        self.summary.posted += len(to_post)
        if to_post and not self.options.dry_run and not self.refusing:
            self.db.insert(to_post, self.rt.operator)

    def finish(self) -> bool:
        """Move the balances and log each client; True when there is something to commit."""
        self.summary.clients = len(self.posted)
        if self.options.dry_run or self.refusing or not self.posted:
            return False
        balances = self.db.move_balances()
        if not balances:
            raise Invalid("a payment posted during the import would take a client's balance beyond what a "
                          f"balance holds ({format_amount(MAX_AMOUNT)} either way): nothing was imported")
        events = [(client_id, self._log_text(counts, self.totals[client_id], balances[client_id]))
                  for client_id, counts in self.posted.items()]
        self.db.log(events, self.rt.now(), self.rt.operator)
        self.summary.written = True
        return True

    def _log_text(self, counts: Counter, total: Decimal, balance: Decimal) -> str:
        entries = sum(counts.values())
        kinds = ", ".join(f"{count} {KIND_NAMES[kind] if kind != 'receipt' else 'payment'}"
                          for kind, count in sorted(counts.items()))
        return (f"ledger import of {self.summary.file}: {entries} entr{'y' if entries == 1 else 'ies'} "
                f"({kinds}), {format_amount(total)} in all; balance {format_amount(balance)}")
