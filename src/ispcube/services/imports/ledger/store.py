"""What `ledger import` asks the database and what it writes, a batch at a time (M3, M4).

Imports are serialised on the `ledger-import` sequence row, taken first in the transaction
(before anything stored is read), so a second run started meanwhile waits, then sees every
line the first one posted as already imported. The unique index on (client_id, import_ref)
backs this up: whatever path wrote a reference, the database refuses a second copy.

Entries are inserted in bulk (COPY on PostgreSQL), numbered per series through the
`sequences` table as `services/ledger/posting.py` numbers them: one reservation per series and
batch, which keeps the series row locked until commit, so numbers are neither given twice nor
skipped. Balances move once at the end, by one UPDATE ... FROM the sums of the entries this
import inserted, guarded so no balance outgrows the money column.
"""

from datetime import datetime
from decimal import Decimal
from typing import Iterable

from sqlalchemy import and_, func, select, type_coerce, update

from ispcube.db import models as m
from ispcube.db.ledger_models import LedgerEntry
from ispcube.db.types import Money
from ispcube.db.uow import UnitOfWork
from ispcube.services.imports.bulk_insert import bulk_insert
from ispcube.services.imports.ledger.check import Line
from ispcube.services.ledger.posting import fits, reserve_numbers

ENTRIES = LedgerEntry.__table__
EVENTS = m.ClientEvent.__table__
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
        self.conn = uow.session.connection()
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
        e = LedgerEntry
        rows = self.session.execute(select(e.client_id, e.import_ref).where(
            e.client_id.in_({client for client, _ in keys}), e.import_ref.in_({ref for _, ref in keys})))
        return {(client, ref) for client, ref in rows if ref is not None} & keys

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
        bulk_insert(self.conn, ENTRIES, ENTRY_COLUMNS, rows)

    def move_balances(self) -> dict[int, Decimal]:
        """Add what this import posted to each client's cached balance; {client id: balance}.

        None of it when a balance would outgrow the money column (the caller checked each line
        against the balances it read; this catches a payment posted meanwhile)."""
        e = LedgerEntry
        ours = and_(e.id > self.before_id, e.import_ref.is_not(None))
        sums = select(e.client_id, func.sum(e.amount).label("total")).where(ours).group_by(e.client_id) \
            .subquery("posted")
        total = type_coerce(sums.c.total, Money)
        clients = self.session.scalar(select(func.count()).select_from(sums)) or 0
        moved = (update(m.Client).where(m.Client.id == sums.c.client_id, fits(m.Client.balance + total))
                 .values(balance=m.Client.balance + total).returning(m.Client.id, m.Client.balance)
                 .execution_options(synchronize_session=False))
        balances = dict(self.session.execute(moved).all())
        if len(balances) != clients:
            return {}
        return balances

    def log(self, events: list[tuple[int, str]], at: datetime, operator: str) -> None:
        """One client log row per (client id, message), in one bulk insert."""
        bulk_insert(self.conn, EVENTS, ("client_id", "at", "operator", "kind", "message"),
                    ((client_id, at, operator, "ledger.import", message) for client_id, message in events))
