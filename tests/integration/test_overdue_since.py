"""The day each debtor's oldest unpaid debit fell due (E1), in one query on SQLite and
PostgreSQL, agreeing with the pure rule of `domain.overdue.oldest_unpaid_due` over invoices,
DX notes, payments and annulled invoices, and not-yet-due invoices."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import bindparam, insert, select, update

from ispcube.db import models as m
from ispcube.db.ledger_models import LedgerEntry
from ispcube.db.overdue import overdue_debts, overdue_since
from ispcube.domain.overdue import oldest_unpaid_due

ON = date(2026, 3, 20)
# (kind, entry date, due date, amount, annuls the n-th entry of the same client)
LEDGERS = {
    "A": [("invoice", date(2026, 1, 1), date(2026, 1, 10), "100", None),
          ("invoice", date(2026, 2, 1), date(2026, 2, 10), "100", None),
          ("invoice", date(2026, 3, 1), date(2026, 3, 10), "100", None),
          ("receipt", date(2026, 2, 15), None, "-150", None)],             # the January one and half of February
    "B": [("dx", date(2026, 1, 5), None, "80", None),
          ("invoice", date(2026, 2, 1), date(2026, 2, 10), "100", None),
          ("reversal", date(2026, 2, 2), date(2026, 2, 10), "-100", 1)],   # February annulled: January's DX owed
    "C": [("invoice", date(2026, 3, 1), date(2026, 3, 10), "100", None),
          ("invoice", date(2026, 4, 1), date(2026, 4, 10), "100", None)],  # April's not yet due
    "D": [("invoice", date(2026, 1, 1), date(2026, 1, 10), "100", None),
          ("receipt", date(2026, 1, 9), None, "-100", None)],              # paid up
}


def test_the_query_agrees_with_the_rule(cli, runtime):
    for code in LEDGERS:
        cli.ok("client", "add", "--code", code, "--name", f"Client {code}", "--address", f"Street {code}")
    with runtime.engine.begin() as conn:
        ids = dict(conn.execute(select(m.Client.code, m.Client.id)).all())
        number = 0
        for code, entries in LEDGERS.items():
            made = []
            for kind, on, due, amount, annuls in entries:
                number += 1
                made.append(conn.execute(insert(LedgerEntry).values(
                    client_id=ids[code], kind=kind, series=f"t-{kind}", number=number, entry_date=on,
                    due_date=due, amount=Decimal(amount), operator="system", created_at=datetime(2026, 1, 1),
                    reverses_id=made[annuls] if annuls is not None else None)
                    .returning(LedgerEntry.id)).scalar())
        table = m.Client.__table__
        conn.execute(update(table).where(table.c.id == bindparam("cid")).values(balance=bindparam("total")),
                     [{"cid": ids[code], "total": sum(Decimal(e[3]) for e in entries)}
                      for code, entries in LEDGERS.items()])
    with runtime.uow() as uow:
        since = overdue_since(uow, ON)
        debts = overdue_debts(uow, ON)
    expected = {}
    for code, entries in LEDGERS.items():
        annulled = {e[4] for e in entries if e[4] is not None}
        debits = [(due or on, Decimal(amount)) for n, (kind, on, due, amount, _) in enumerate(entries)
                  if Decimal(amount) > 0 and n not in annulled and (due or on) <= ON]
        oldest = oldest_unpaid_due(debts[ids[code]], debits)
        if oldest is not None:
            expected[ids[code]] = oldest
    assert since == expected
    assert {code: since.get(ids[code]) for code in LEDGERS} == {
        "A": date(2026, 2, 10), "B": date(2026, 1, 5), "C": date(2026, 3, 10), "D": None}
