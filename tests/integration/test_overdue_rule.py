"""The overdue-debt SQL (db/overdue.py) answers what the rule says (domain/overdue.py), on random
ledgers, on SQLite and PostgreSQL: for every client, `overdue_debts` equals `overdue_debt` of
its balance and its entries with a due date, and `overdue_since` equals `oldest_unpaid_due` of
its debits already due (N1, E1).

A ledger is what posting makes: invoices due some days after their date, DX and CX notes,
receipts, opening balances either way, and annulments of any of them (the reversal carries the
due date of what it annuls), each dated on or after the last; the day asked about is the last
entry's day or later, as for `enforce`. Each example is written, as posting leaves the tables,
in one transaction that is rolled back, so the examples share the database without seeing
each other."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings, strategies as st

from ispcube.db import models as m
from ispcube.db.ledger_models import LedgerEntry
from ispcube.db.overdue import overdue_debts, overdue_since
from ispcube.domain.overdue import oldest_unpaid_due, overdue_debt

START = date(2026, 1, 1)
CREATED = datetime(2026, 1, 1)
SIGN = {"invoice": 1, "dx": 1, "cx": -1, "receipt": -1}


@dataclass
class Entry:
    kind: str
    entry_date: date
    amount: Decimal
    due_date: date | None = None
    annuls: int | None = None     # the position, in the client's ledger, of the entry it annuls


# Round amounts often, so that sums meet exactly (a debt just paid, a payment that reaches a
# debit's end), and odd cents too.
amounts = st.one_of(st.just(Decimal(100)), st.just(Decimal(100)), st.just(Decimal(200)),
                    st.integers(min_value=1, max_value=500_000).map(lambda c: Decimal(c) / 100))
# (what to post, days after the previous entry, amount, days until due for an invoice or which
# earlier entry an annulment takes counted back from the newest, an opening balance owed or not)
steps = st.tuples(st.sampled_from(["invoice", "invoice", "invoice", "dx", "cx", "receipt", "receipt", "opening",
                                   "annul", "annul"]),
                  st.integers(0, 20), amounts, st.integers(0, 40), st.booleans())


def ledger_of(plan: list[tuple[str, int, Decimal, int, bool]]) -> list[Entry]:
    """The entries a client's PLAN posts; an annulment of nothing left to annul posts nothing."""
    entries: list[Entry] = []
    on = START
    for kind, gap, amount, number, debit in plan:
        on += timedelta(days=gap)
        if kind == "annul":
            annulled = {e.annuls for e in entries}
            open_ = [n for n, e in enumerate(entries) if e.kind != "reversal" and n not in annulled]
            if open_:
                target = open_[-1 - number % len(open_)]
                entries.append(Entry("reversal", on, -entries[target].amount, entries[target].due_date, target))
        elif kind == "opening":
            entries.append(Entry(kind, on, amount if debit else -amount))
        elif kind == "invoice":
            entries.append(Entry(kind, on, amount, on + timedelta(days=number)))
        else:
            entries.append(Entry(kind, on, SIGN[kind] * amount))
    return entries


ledgers = st.lists(st.lists(steps, max_size=10).map(ledger_of), min_size=1, max_size=5)


def expected(entries: list[Entry], on_date: date) -> tuple[Decimal, date | None]:
    """The rule's overdue debt and oldest unpaid due date for ENTRIES on ON_DATE."""
    balance = sum((e.amount for e in entries), Decimal("0.00"))
    overdue = overdue_debt(balance, [(e.due_date, e.amount) for e in entries if e.due_date is not None], on_date)
    annulled = {e.annuls for e in entries}
    debits = [(e.due_date or e.entry_date, e.amount) for n, e in enumerate(entries)
              if e.amount > 0 and e.kind != "reversal" and n not in annulled
              and (e.due_date or e.entry_date) <= on_date]
    return overdue, oldest_unpaid_due(overdue, debits)


@settings(max_examples=75, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ledgers=ledgers, after=st.integers(0, 60))
# A payment that settles the oldest invoice to the cent: the next one is the oldest unpaid.
@example(ledgers=[ledger_of([("invoice", 0, Decimal(100), 0, True), ("invoice", 31, Decimal(100), 0, True),
                             ("receipt", 1, Decimal(100), 0, True)])], after=0)
# An annulled DX, newer than the invoice still owed, is no debit to count back from.
@example(ledgers=[ledger_of([("invoice", 0, Decimal(100), 0, True), ("dx", 31, Decimal(100), 0, True),
                             ("annul", 1, Decimal(0), 0, True)])], after=0)
def test_the_sql_answers_what_the_rule_says(runtime, ledgers, after):
    on_date = max((e.entry_date for entries in ledgers for e in entries), default=START) + timedelta(days=after)
    with runtime.uow() as uow:        # never committed: rolled back on leaving
        clients, entries = rows(ledgers)
        uow.session.add_all(clients)
        uow.flush()
        uow.session.add_all(entries)
        uow.flush()
        ids = list(range(1, len(ledgers) + 1))
        debts = overdue_debts(uow, on_date, ids)
        since = overdue_since(uow, on_date)
    for client_id, entries in zip(ids, ledgers, strict=True):
        overdue, oldest = expected(entries, on_date)
        assert (debts[client_id], since.get(client_id)) == (overdue, oldest), (entries, on_date)


def rows(ledgers: list[list[Entry]]) -> tuple[list[m.Client], list[LedgerEntry]]:
    """The clients (ids 1, 2...) and their entries as posting leaves them: each balance the sum
    of its entries, each entry numbered in its series."""
    clients, made = [], []
    entry_id = 0
    for client_id, entries in enumerate(ledgers, start=1):
        clients.append(m.Client(id=client_id, code=f"P{client_id}", name=f"Client {client_id}",
                                balance=sum((e.amount for e in entries), Decimal("0.00"))))
        first = entry_id + 1
        for e in entries:
            entry_id += 1
            made.append(LedgerEntry(id=entry_id, client_id=client_id, kind=e.kind, series=e.kind, number=entry_id,
                                    entry_date=e.entry_date, due_date=e.due_date, amount=e.amount,
                                    operator="system", created_at=CREATED,
                                    reverses_id=first + e.annuls if e.annuls is not None else None))
    return clients, made
