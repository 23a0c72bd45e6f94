"""Ledger invariant (hypothesis): after any sequence of adjust, pay, annul and invoice, every
cached balance equals the sum of its entries, and equals what a plain model of the account says."""

from decimal import Decimal
import itertools

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest
from sqlalchemy import func, select

from ispcube.db.ledger_models import LedgerEntry
from ispcube.db.models import Client, Plan
from ispcube.errors import Refused
from ispcube.services.ledger import billing, pay as payments, posting as ledger, rebuild, statement

PRICE = Decimal("123.45")
amounts = st.integers(min_value=1, max_value=10_000_000).map(lambda c: f"{Decimal(c) / 100:.2f}")
operations = st.lists(st.one_of(
    st.tuples(st.just("debit"), amounts),
    st.tuples(st.just("credit"), amounts),
    st.tuples(st.just("pay"), amounts),
    st.tuples(st.just("annul"), st.integers(min_value=0, max_value=20)),
    st.tuples(st.just("invoice"), st.sampled_from(["2026-01", "2026-02", "2026-03"])),
), max_size=10)
_codes = itertools.count()


@pytest.fixture
def plan_id(runtime):
    with runtime.uow() as uow:
        plan = Plan(name="Hogar", price=PRICE)
        uow.session.add(plan)
        uow.commit()
        return plan.id


def new_client(runtime, plan_id) -> str:
    code = f"H{next(_codes):05d}"
    with runtime.uow() as uow:
        uow.session.add(Client(code=code, name=code, phones="", emails="", plan_id=plan_id,
                               signup_date=billing.date(2020, 1, 1)))
        uow.commit()
    return code


def apply(runtime, code, operation, posted: list, billed: set) -> None:
    """Run OPERATION through the services; record in POSTED what the model expects."""
    kind, value = operation
    if kind in ("debit", "credit"):
        done = ledger.adjust(runtime, code, debit=value if kind == "debit" else None,
                             credit=value if kind == "credit" else None, reason="property")
        posted.append({"id": done["entry"], "amount": Decimal(done["amount"]), "annullable": True})
    elif kind == "pay":
        done = payments.pay(runtime, code, cash=value)
        posted.append({"id": done.entry_id, "amount": -Decimal(value), "annullable": True})
    elif kind == "invoice":
        billing.run_billing(runtime, value)
        if value not in billed:
            billed.add(value)
            with runtime.uow() as uow:
                entry_id = uow.session.scalar(select(LedgerEntry.id).join(Client, Client.id == LedgerEntry.client_id)
                                              .where(Client.code == code, LedgerEntry.period == value))
            posted.append({"id": entry_id, "amount": PRICE, "annullable": True})
    elif posted:
        target = posted[value % len(posted)]
        if not target["annullable"]:
            with pytest.raises(Refused):
                statement.annul(runtime, str(target["id"]), "property")
            return
        done = statement.annul(runtime, str(target["id"]), "property")
        target["annullable"] = False
        posted.append({"id": done["entry"], "amount": -target["amount"], "annullable": False})


@pytest.mark.slow   # 25 generated sequences of ledger operations on the database
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_cached_balance_always_equals_the_entries(runtime, plan_id, ops):
    code = new_client(runtime, plan_id)
    posted: list[dict] = []
    billed: set[str] = set()
    for operation in ops:
        apply(runtime, code, operation, posted, billed)
    with runtime.uow() as uow:
        client = uow.session.scalar(select(Client).where(Client.code == code))
        entries_sum = uow.session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0))
                                         .where(LedgerEntry.client_id == client.id))
        cached = client.balance
    assert cached == sum((p["amount"] for p in posted), Decimal("0.00"))
    assert entries_sum == cached
    assert rebuild.rebuild(runtime)["wrong"] == []     # every client, not only this one
    rows = statement.statement(runtime, code)
    assert (rows[-1]["balance"] if rows else "0.00") == f"{cached:.2f}"
