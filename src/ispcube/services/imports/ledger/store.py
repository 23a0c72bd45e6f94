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

from datetime import date, datetime
from decimal import Decimal
import re
from typing import Any, Iterable

from sqlalchemy import and_, func, select, tuple_

from ispcube.db import models as m
from ispcube.db.bulk_insert import bulk_insert
from ispcube.db.chunks import chunks
from ispcube.db.ledger_models import LedgerEntry
from ispcube.db.uow import UnitOfWork
from ispcube.domain.ledger import EntryKind
from ispcube.services.clients.log import log_bulk
from ispcube.services.imports.ledger.check import Line
from ispcube.services.ledger.posting import move_balances, reserve_numbers

ENTRIES = LedgerEntry.__table__
ENTRY_COLUMNS = ("client_id", "kind", "series", "number", "entry_date", "due_date", "amount", "operator",
                 "comment", "payment_method", "import_ref")
RUN_LOCK = "ledger-import"
# How `ledger show` names an entry (posting.entry_label) and its brought-forward row.
_ENTRY_LABEL = re.compile(r"(?P<kind>invoice|DX|CX|receipt|reversal|opening balance) "
                          r"(?:(?P<company>\d+)-)?(?P<number>\d{1,12})")
_SERIES = {"DX": "dx", "CX": "cx", "opening balance": "opening"}
_BROUGHT_FORWARD = re.compile(r"brought forward (?P<day>\d{4}-\d{2}-\d{2})")


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
        # The pairs joined with the unique index, one probe each (two IN lists would probe
        # every client with every reference on SQLite). Plain SQL on the driver's cursor:
        # building it as an expression costs more than running it, and PostgreSQL must plan it
        # for these values (psycopg would prepare a statement run this often, and the generic
        # plan of a prepared one reads the whole table).
        raw: Any = self.session.connection().connection.dbapi_connection
        postgresql = self.session.get_bind().dialect.name == "postgresql"
        mark = "%s" if postgresql else "?"
        pairs = list(keys)
        sql = (f"WITH wanted (client_id, ref) AS (VALUES {', '.join([f'({mark}, {mark})'] * len(pairs))}) "
               "SELECT e.client_id, e.import_ref FROM wanted JOIN ledger_entries e "
               "ON e.client_id = wanted.client_id AND e.import_ref = wanted.ref")
        values = tuple(value for pair in pairs for value in pair)
        cursor = raw.cursor()
        try:
            if postgresql:
                cursor.execute(sql, values, prepare=False)
            else:
                cursor.execute(sql, values)
            return {(client, ref) for client, ref in cursor.fetchall()}
        finally:
            cursor.close()

    def already_there(self, lines: list[tuple[int, Line]]) -> set[tuple[int, str]]:
        """The (client id, reference) of LINES that are rows of this database's own statement
        (`ledger show --format csv`): a reference naming an entry of the client ('receipt 12',
        'invoice 1-15') with the same date and amount, or the brought-forward row of a
        statement (`brought forward D`) whose amount is the client's balance before D."""
        named: dict[tuple[int, str, int], tuple[int, Line]] = {}
        forward: dict[tuple[int, date], tuple[int, Line]] = {}
        for client_id, line in lines:
            if (label := _ENTRY_LABEL.fullmatch(line.reference)) is not None:
                series = _SERIES.get(label["kind"], label["kind"])
                if label["company"] is not None:
                    series = f"invoice-{label['company']}"
                named[(client_id, series, int(label["number"]))] = (client_id, line)
            elif (brought := _BROUGHT_FORWARD.fullmatch(line.reference)) is not None and line.kind == EntryKind.OPENING:
                forward[(client_id, date.fromisoformat(brought["day"]))] = (client_id, line)
        found: set[tuple[int, str]] = set()
        e = LedgerEntry
        for part in chunks(list(named), 2000):
            for client_id, series, number, amount, on in self.session.execute(
                    select(e.client_id, e.series, e.number, e.amount, e.entry_date)
                    .where(tuple_(e.client_id, e.series, e.number).in_(part))):
                _, line = named[(client_id, series, number)]
                if amount == line.amount and on == line.entry_date:
                    found.add((client_id, line.reference))
        for (client_id, day), (_, line) in forward.items():
            before = self.session.scalar(select(func.coalesce(func.sum(e.amount), 0))
                                         .where(e.client_id == client_id, e.entry_date < day))
            if before == line.amount:
                found.add((client_id, line.reference))
        return found

    def insert(self, lines: list[tuple[int, Line]], operator: str) -> None:
        """Post LINES ((client id, line) in file order): numbers per series, then one bulk insert."""
        counts: dict[str, int] = {}
        for _, line in lines:
            counts[line.kind] = counts.get(line.kind, 0) + 1
        next_number = {kind: reserve_numbers(self.uow, kind, count) - count + 1
                       for kind, count in sorted(counts.items())}
        # Values as the driver takes them, built here rather than through each column type's
        # bind processing (as bulk_insert would): money in cents and dates as text on SQLite.
        sqlite = self.session.get_bind().dialect.name == "sqlite"
        rows = []
        for client_id, line in lines:
            number = next_number[line.kind]
            next_number[line.kind] = number + 1
            on: Any = line.entry_date
            due: Any = line.due_date
            amount: Any = line.amount
            if sqlite:
                on, due, amount = on.isoformat(), due and due.isoformat(), int(amount * 100)
            rows.append((client_id, line.kind, line.kind, number, on, due, amount, operator, line.description,
                         line.payment_method, line.reference))
        bulk_insert(self.session.connection(), ENTRIES, ENTRY_COLUMNS, rows, processed=True)

    def move_balances(self) -> dict[int, Decimal]:
        """Add what this import posted to each client's cached balance; {client id: new balance}."""
        e = LedgerEntry
        ours = and_(e.id > self.before_id, e.import_ref.is_not(None))
        return move_balances(self.uow, ours, returning=True)

    def log(self, events: list[tuple[int, str]], at: datetime, operator: str) -> None:
        """One client-log line per (client id, message), in one bulk insert."""
        log_bulk(self.session.connection(), at, operator,
                 ((client_id, "ledger.import", message) for client_id, message in events))
