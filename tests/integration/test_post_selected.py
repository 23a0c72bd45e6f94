"""The set-based posting path (services/ledger/posting.post_selected) that billing and the bulk
imports use: numbers follow the one-by-one path without gaps, balances move by each client's
sum, credits are logged with their sign, and a balance beyond the column refuses the batch."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Date, Integer, String, func, literal, select, union_all

from ispcube.db.ledger_models import LedgerEntry
from ispcube.db.models import Client, ClientEvent
from ispcube.db.types import Money
from ispcube.domain.money import MAX_AMOUNT
from ispcube.errors import Invalid
from ispcube.services.ledger.posting import amount_text, post, post_selected

COLUMNS = ["client_id", "kind", "series", "amount", "entry_date", "comment"]


def _clients(runtime, *codes):
    with runtime.uow() as uow:
        rows = [Client(code=c, name=c, phones="", emails="") for c in codes]
        uow.session.add_all(rows)
        uow.commit()
        return [r.id for r in rows]


def _rows(entries):
    """A subquery of literal rows (client_id, kind, amount, position within the kind's series)."""
    selects = [select(literal(cid, Integer).label("client_id"), literal(kind, String).label("kind"),
                      literal(kind, String).label("series"), literal(pos, Integer).label("position"),
                      literal(Decimal(amount), Money).label("amount"),
                      literal(date(2026, 11, 1), Date).label("entry_date"),
                      literal("opening", String).label("comment"))
               for cid, kind, amount, pos in entries]
    return union_all(*selects).subquery("rows")


def test_batch_numbers_follow_on_and_balances_move_by_each_clients_sum(runtime):
    a, b = _clients(runtime, "A1", "B1")
    with runtime.uow() as uow:
        client_a = uow.session.get(Client, a)
        post(uow, runtime, client_a, "dx", Decimal("10.00"), entry_date=runtime.today(), comment="before")
        message = LedgerEntry.kind + literal(" ") + amount_text(LedgerEntry.amount, uow.dialect)
        new = post_selected(uow, runtime, _rows([(a, "dx", "5.25", 1), (b, "dx", "100.00", 2),
                                                 (a, "cx", "-30.50", 1)]), COLUMNS, message)
        uow.commit()
        numbers = sorted(uow.session.execute(select(LedgerEntry.series, LedgerEntry.number).where(new)).all())
    assert numbers == [("cx", 1), ("dx", 2), ("dx", 3)]
    with runtime.uow() as uow:
        balances = dict(uow.session.execute(select(Client.code, Client.balance)).all())
        logged = sorted(uow.session.scalars(select(ClientEvent.message).where(ClientEvent.kind.like("ledger.%"))))
        kinds = set(uow.session.scalars(select(ClientEvent.kind)))
    assert balances == {"A1": Decimal("-15.25"), "B1": Decimal("100.00")}
    assert "cx -30.50" in logged and "dx 5.25" in logged and "dx 100.00" in logged
    assert {"ledger.dx", "ledger.cx"} <= kinds


def test_a_balance_beyond_the_column_refuses_the_batch_naming_the_client(runtime):
    (a,) = _clients(runtime, "Z9")
    with runtime.uow() as uow:
        message = literal("x")
        with pytest.raises(Invalid, match="client Z9"):
            post_selected(uow, runtime, _rows([(a, "dx", str(MAX_AMOUNT), 1), (a, "dx", "1.00", 2)]),
                          COLUMNS, message)
    with runtime.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(LedgerEntry)) == 0
