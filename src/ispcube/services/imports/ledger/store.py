"""What `ledger import` asks the database and what it writes, a batch at a time (M3, M4).

Imports are serialised on the `ledger-import` sequence row, taken first in the transaction
(before anything stored is read), so a second run started meanwhile waits, then sees every
line the first one posted as already imported. The unique index on (client_id, import_ref)
backs this up: whatever path wrote a reference, the database refuses a second copy.

Entries are inserted in bulk (COPY on PostgreSQL), numbered per series through the
`sequences` table as `services/ledger/posting.py` numbers them: one reservation per series and
batch, which keeps the series row locked until commit, so numbers are neither given twice nor
skipped. Balances move once, at the end, by each client's sum of the entries this import
inserted (`posting.move_balances`, guarded so no balance outgrows the money column), and
each client gets one client-log line.
"""

from datetime import datetime
from decimal import Decimal
from typing import Iterable

from sqlalchemy import Integer, String, and_, column, func, select, values

from ispcube.db import models as m
from ispcube.db.ledger_models import LedgerEntry
from ispcube.db.uow import UnitOfWork
from ispcube.services.clients.log import log_bulk
from ispcube.services.imports.bulk_insert import bulk_insert
from ispcube.services.imports.ledger.check import Line
from ispcube.services.ledger.posting import move_balances, reserve_numbers

ENTRIES = LedgerEntry.__table__
ENTRY_COLUMNS = ("client_id", "kind", "series", "number", "entry_date", "due_date", "amount", "operator",
                 "comment", "payment_method", "import_ref")
RUN_LOCK = "ledger-import"


class ClientRef:
    __slots__ = ("id", "deleted", "balance")

    def __init__(self, id_: int, deleted: bool, balance: Decimal):
        self.id, self.deleted, self.balance = id_, deleted, balance


class LedgerImportDb:
    def __init__(self, uow: UnitOfWork):
        self.uow = uow
        self.session = uow.session
        self.before_id = 0
        self.any_imported = True

    def lock(self) -> None:
        """Wait for any other ledger import to end; then read where this one starts."""
        reserve_numbers(self.uow, RUN_LOCK, 0)
        self.start()

    def start(self) -> None:
        self.before_id = self.session.scalar(select(func.max(LedgerEntry.id))) or 0
        self.any_imported = self.session.scalar(
            select(LedgerEntry.id).where(LedgerEntry.import_ref.is_not(None)).limit(1)) is not None

    def clients(self, codes: Iterable[str]) -> dict[str, ClientRef]:
        c = m.Client
        rows = self.session.execute(select(c.code, c.id, c.deleted, c.balance).where(c.code.in_(list(codes))))
        return {code: ClientRef(id_, deleted, balance) for code, id_, deleted, balance in rows}

    def imported(self, keys: set[tuple[int, str]]) -> set[tuple[int, str]]:
        """The (client id, reference) pairs of KEYS already posted by an earlier import."""
        if not keys or not self.any_imported:
            return set()
        # A join with the pairs, so each one is one probe of the unique index (two IN lists
        # would probe every client with every reference on SQLite).
        e = LedgerEntry
        wanted = values(column("client_id", Integer), column("ref", String), name="wanted").data(list(keys)) \
            .cte("wanted")
        rows = self.session.execute(select(e.client_id, e.import_ref).join_from(
            wanted, e, and_(e.client_id == wanted.c.client_id, e.import_ref == wanted.c.ref)))
        return {(client, ref) for client, ref in rows if ref is not None}

    def insert(self, lines: list[tuple[int, Line]], operator: str) -> None:
        """Post LINES ((client id, line) in file order): numbers per series, then one bulk insert."""
        counts: dict[str, int] = {}
        for _, line in lines:
            counts[line.kind] = counts.get(line.kind, 0) + 1
        next_number = {kind: reserve_numbers(self.uow, kind, count) - count + 1
                       for kind, count in sorted(counts.items())}
        rows = []
        for client_id, line in lines:
            number = next_number[line.kind]
            next_number[line.kind] = number + 1
            rows.append((client_id, line.kind, line.kind, number, line.entry_date, line.due_date, line.amount,
                         operator, line.description, line.payment_method, line.reference))
        bulk_insert(self.session.connection(), ENTRIES, ENTRY_COLUMNS, rows)

    def move_balances(self) -> dict[int, Decimal]:
        """Add what this import posted to each client's cached balance; {client id: new balance}."""
        e = LedgerEntry
        ours = and_(e.id > self.before_id, e.import_ref.is_not(None))
        move_balances(self.uow, ours)
        moved = select(e.client_id).where(ours).distinct().subquery("moved")
        return dict(self.session.execute(select(m.Client.id, m.Client.balance)
                                         .join(moved, moved.c.client_id == m.Client.id)).all())

    def log(self, events: list[tuple[int, str]], at: datetime, operator: str) -> None:
        """One client-log line per (client id, message), in one bulk insert."""
        log_bulk(self.session.connection(), at, operator,
                 ((client_id, "ledger.import", message) for client_id, message in events))
