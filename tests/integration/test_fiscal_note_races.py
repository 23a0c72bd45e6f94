"""Two fiscal notes of one invoice at once (I6, R17), on SQLite and PostgreSQL: a credit never
takes the invoice below nothing, and an invoice is never annulled beside a credit note that
still stands, whichever goes first.

The interleaving is forced. The first writer runs the service the command calls, in a thread,
and is held just before it writes its note: after it posted its CX (or reversal) and read
what remains of the invoice (or which notes stand), with its transaction open. The test holds
it there in SQLAlchemy's `before_cursor_execute` event, at the statement that inserts the
note. The second runs the command itself, in another thread, and must be seen waiting for a
lock the first holds (a write started and not finished; on PostgreSQL the server also shows
the wait) before the first is let go. The loser says why in one sentence and exits 1; what it
began is rolled back.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
import threading
import time

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import Engine

from ispcube.db.fiscal_models import FiscalDocument
from ispcube.db.ledger_models import LedgerEntry
from ispcube.db.models import Client
from ispcube.services.fiscal.corrected import remaining
from ispcube.services.fiscal.notes import adjust_entry, annul_entry
from tests.conftest import Result

NOW = datetime(2026, 12, 4, 10, 0)
NOTE = "INSERT INTO fiscal_documents"


@pytest.fixture
def invoice(cli, runtime) -> str:
    """Client B1's invoice for November (18900.00, numbered internally by the `none` driver)."""
    runtime.clock = lambda: NOW
    cli.ok("plan", "add", "--name", "Hogar", "--price", "18900")
    cli.ok("company", "add", "--number", "1", "--name", "Red Sur SRL", "--point-of-sale", "2")
    cli.ok("client", "add", "--code", "B1", "--name", "Beto", "--plan", "Hogar", "--company", "1",
           "--signup-date", "2026-01-01")
    cli.ok("billing", "run", "--period", "2026-11")
    [row] = cli.json("invoice", "list")
    return str(row["entry"])


@dataclass
class Watch:
    """What the writers' threads send to the database: the first one's note is held until
    `go` is set; `parked` is set once it is held there."""
    first: str
    parked: threading.Event = field(default_factory=threading.Event)
    go: threading.Event = field(default_factory=threading.Event)
    writing: dict[str, int] = field(default_factory=dict)   # per thread: writes begun and not finished

    def before(self, conn, cursor, statement, parameters, context, executemany):
        name = threading.current_thread().name
        if _writes(statement):
            self.writing[name] = self.writing.get(name, 0) + 1
        if name == self.first and statement.lstrip().startswith(NOTE):
            self.parked.set()
            assert self.go.wait(60), "the test never let the first writer go"

    def after(self, conn, cursor, statement, parameters, context, executemany):
        name = threading.current_thread().name
        if _writes(statement):
            self.writing[name] -= 1


def _writes(statement: str) -> bool:
    said = statement.lstrip().upper()
    return said.startswith(("INSERT", "UPDATE", "DELETE")) or "FOR UPDATE" in said


@contextmanager
def watching(first: str):
    watch = Watch(first)
    event.listen(Engine, "before_cursor_execute", watch.before)
    event.listen(Engine, "after_cursor_execute", watch.after)
    try:
        yield watch
    finally:
        watch.go.set()
        event.remove(Engine, "before_cursor_execute", watch.before)
        event.remove(Engine, "after_cursor_execute", watch.after)


class Writer(threading.Thread):
    def __init__(self, name: str, work):
        super().__init__(name=name, daemon=True)
        self.work, self.outcome = work, None

    def run(self):
        try:
            self.outcome = self.work()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
            self.outcome = exc


def until(check, writer: Writer, what: str) -> None:
    deadline = time.monotonic() + 30
    while not check():
        assert writer.is_alive(), (what, writer.outcome)
        assert time.monotonic() < deadline, f"never {what}"
        time.sleep(0.005)


def waits_for_a_lock(watch: Watch, name: str, runtime) -> bool:
    """Whether NAME has begun a write it cannot finish: the first writer holds the database
    (SQLite's write lock) or the rows it needs (PostgreSQL, where the server shows the wait)."""
    if not watch.writing.get(name):
        return False
    if runtime.engine.dialect.name == "sqlite":
        return True
    with runtime.engine.connect() as conn:
        return bool(conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                      "AND datname = current_database()")).scalar())


def race(runtime, first, second) -> tuple[object, object]:
    """Run FIRST until it is about to write its note, then SECOND until it waits, then both."""
    with watching("first") as watch:
        a = Writer("first", first)
        a.start()
        until(watch.parked.is_set, a, "reached its note")
        b = Writer("second", second)
        b.start()
        until(lambda: waits_for_a_lock(watch, "second", runtime), b, "waited for the first writer")
        watch.go.set()
        for writer in (a, b):
            writer.join(60)
            assert not writer.is_alive(), f"{writer.name} never finished"
    return a.outcome, b.outcome


def standing(runtime, invoice: str) -> tuple[Decimal, list[tuple[str, Decimal]], int, Decimal]:
    """What remains of the invoice, its notes, the ledger entries and client B1's balance."""
    with runtime.uow() as uow:
        document = uow.session.scalar(select(FiscalDocument).where(FiscalDocument.entry_id == int(invoice)))
        assert document is not None
        notes = uow.session.execute(select(FiscalDocument.kind, FiscalDocument.total)
                                    .where(FiscalDocument.id != document.id).order_by(FiscalDocument.id)).all()
        entries = uow.session.scalar(select(func.count()).select_from(LedgerEntry))
        balance = uow.session.scalar(select(Client.balance).where(Client.code == "B1"))
        assert balance == uow.session.scalar(select(func.sum(LedgerEntry.amount))), "balance is not the entries' sum"
        return remaining(uow, document), [(kind, total) for kind, total in notes], entries, balance


def refused(result: object, sentence: str) -> None:
    assert isinstance(result, Result), result
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"ispcube: {sentence}\n"), result


def test_two_credits_of_one_invoice_at_once_never_credit_more_than_it(cli, runtime, invoice):
    first = lambda: adjust_entry(runtime, "B1", credit="10000", debit=None, reason="corte de diez días",  # noqa: E731
                                 fiscal=True, invoice=invoice)
    second = lambda: cli("ledger", "adjust", "B1", "--credit", "10000", "--fiscal", "--invoice", invoice,  # noqa: E731
                         "--reason", "corte")
    done, loser = race(runtime, first, second)
    assert isinstance(done, dict) and (done["note"], done["balance"]) == ("credit note", "8900.00"), done
    refused(loser, "a credit of 10000.00 is more than what remains of invoice B 00002-00000001 of client B1 "
                   "(8900.00 after its earlier notes): a credit note never credits more than was invoiced")
    assert standing(runtime, invoice) == (Decimal("8900.00"), [("credit-note", Decimal("10000.00"))], 2,
                                          Decimal("8900.00"))
    cli.ok("ledger", "adjust", "B1", "--credit", "8900", "--fiscal", "--invoice", invoice, "--reason", "el resto")
    assert standing(runtime, invoice)[0] == Decimal(0)


def test_a_credit_and_the_annulment_of_its_invoice_at_once_the_credit_first(cli, runtime, invoice):
    first = lambda: adjust_entry(runtime, "B1", credit="1000", debit=None, reason="corte",  # noqa: E731
                                 fiscal=True, invoice=invoice)
    second = lambda: cli("ledger", "annul", invoice, "--reason", "baja")  # noqa: E731
    done, loser = race(runtime, first, second)
    assert isinstance(done, dict) and done["balance"] == "17900.00", done
    refused(loser, f"entry {invoice} is an invoice corrected by notes in force (entries {done['entry']}): annul "
                   "them first, or credit what remains (17900.00) with `ispcube ledger adjust CODE --credit AMOUNT "
                   f"--fiscal --invoice {invoice}`")
    assert standing(runtime, invoice) == (Decimal("17900.00"), [("credit-note", Decimal("1000.00"))], 2,
                                          Decimal("17900.00"))


def test_a_credit_and_the_annulment_of_its_invoice_at_once_the_annulment_first(cli, runtime, invoice):
    first = lambda: annul_entry(runtime, invoice, "baja")  # noqa: E731
    second = lambda: cli("ledger", "adjust", "B1", "--credit", "1000", "--fiscal", "--invoice", invoice,  # noqa: E731
                         "--reason", "corte")
    done, loser = race(runtime, first, second)
    assert isinstance(done, dict) and done["balance"] == "0.00", done
    refused(loser, f"entry {invoice} (invoice 1-1) is annulled (by entry {done['entry']}): there is nothing left "
                   "to correct")
    assert standing(runtime, invoice) == (Decimal(0), [("credit-note", Decimal("18900.00"))], 2, Decimal(0))
