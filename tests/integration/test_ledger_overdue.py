"""The set-based overdue debt (db/overdue.py) agrees with the domain rule, in one query."""

from datetime import date, timedelta
from decimal import Decimal
import random

from sqlalchemy import event, select

from ispcube.db import models as m, overdue
from ispcube.domain.overdue import overdue_debt
from ispcube.services.ledger import posting as ledger

START = date(2026, 1, 1)


def make_clients(runtime, count: int, seed: int = 7) -> dict[int, list]:
    """COUNT clients with random invoices, DX, CX, receipts and annulled invoices."""
    rng = random.Random(seed)
    history: dict[int, list] = {}
    with runtime.uow() as uow:
        for n in range(count):
            client = m.Client(code=f"C{n:03d}", name=f"Client {n}", phones="", emails="")
            uow.session.add(client)
            uow.flush()
            dated = history.setdefault(client.id, [])
            for month in range(rng.randint(0, 6)):
                due = date(2026, month + 1, 10)
                amount = Decimal(rng.randint(100, 900_000)) / 100
                posted = ledger.post(uow, runtime, client, "invoice", amount, entry_date=due - timedelta(9),
                                     due_date=due, period=f"2026-{month + 1:02d}", series="invoice-0")
                dated.append((due, amount))
                if rng.random() < 0.2:   # annulled: the reversal carries the invoice's due date
                    ledger.post(uow, runtime, client, "reversal", -amount, entry_date=due, due_date=due,
                                reverses_id=posted.entry_id)
                    dated.append((due, -amount))
            for kind, sign in (("dx", 1), ("cx", -1), ("receipt", -1)):
                if rng.random() < 0.5:
                    ledger.post(uow, runtime, client, kind, sign * Decimal(rng.randint(1, 2_000_000)) / 100,
                                entry_date=START)
        uow.commit()
    return history


def test_matches_the_domain_function_on_every_date(runtime):
    history = make_clients(runtime, 40)
    with runtime.uow() as uow:
        balances = dict(uow.session.execute(select(m.Client.id, m.Client.balance)).all())
        for day in range(0, 200, 4):
            on_date = START + timedelta(day)
            computed = overdue.overdue_debts(uow, on_date)
            assert set(computed) == set(balances)
            expected = {cid: overdue_debt(balances[cid], history[cid], on_date) for cid in balances}
            assert computed == expected, on_date
    assert any(v > 0 for v in expected.values()) and any(v == 0 for v in expected.values())


def test_one_query_whatever_the_number_of_clients_and_a_subset(runtime):
    make_clients(runtime, 25, seed=3)
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(runtime.engine, "before_cursor_execute", listener)
    try:
        with runtime.uow() as uow:
            everyone = overdue.overdue_debts(uow, date(2026, 3, 1))
            statements.clear()
            some = overdue.overdue_debts(uow, date(2026, 3, 1), list(everyone)[:5])
    finally:
        event.remove(runtime.engine, "before_cursor_execute", listener)
    assert len(statements) == 1
    assert some == {cid: everyone[cid] for cid in list(everyone)[:5]}


def test_credit_balance_and_unknown_ids(runtime):
    with runtime.uow() as uow:
        client = m.Client(code="X", name="X", phones="", emails="")
        uow.session.add(client)
        uow.flush()
        ledger.post(uow, runtime, client, "cx", Decimal("-50.00"), entry_date=START)
        assert overdue.overdue_debts(uow, START, [client.id, 999_999]) == {client.id: Decimal("0.00")}
