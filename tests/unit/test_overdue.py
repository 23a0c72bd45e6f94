"""Overdue debt (N1) as a pure function: properties, and agreement with a FIFO settlement."""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, strategies as st

from ispcube.domain.overdue import clamp_overdue, overdue_debt

START = date(2026, 1, 1)
cents = st.integers(min_value=1, max_value=5_000_000).map(lambda c: Decimal(c) / 100)
days = st.integers(min_value=0, max_value=400)
invoices = st.lists(st.tuples(days.map(lambda d: START + timedelta(d)), cents), max_size=12)


@given(st.integers(-5_000_000, 5_000_000).map(lambda c: Decimal(c) / 100), invoices, days)
def test_never_negative_never_above_the_balance(balance, dated, day):
    overdue = overdue_debt(balance, dated, START + timedelta(day))
    assert overdue >= 0
    assert overdue <= max(balance, Decimal(0))


@given(st.integers(0, 5_000_000).map(lambda c: Decimal(c) / 100), invoices)
def test_equals_the_balance_once_every_invoice_is_due(balance, dated):
    last_due = max((due for due, _ in dated), default=START)
    assert overdue_debt(balance, dated, last_due) == balance
    assert overdue_debt(balance, dated, last_due + timedelta(30)) == balance


def fifo_overdue(debits: list[tuple[date, Decimal]], paid: Decimal, on_date: date) -> Decimal:
    """An independent model: payments settle debits oldest due date first; sum what is left due."""
    left = paid
    overdue = Decimal(0)
    for due, amount in sorted(debits):
        settled = min(left, amount)
        left -= settled
        if due <= on_date:
            overdue += amount - settled
    return overdue


@given(invoices, st.integers(0, 30), cents, st.integers(0, 10_000_000).map(lambda c: Decimal(c) / 100), days)
def test_agrees_with_settling_the_oldest_debt_first(dated, dx_day, dx_amount, paid, day):
    on_date = START + timedelta(day)
    dx = (START + timedelta(dx_day), dx_amount)     # a DX is due as soon as it is posted
    debits = dated + [dx]
    balance = sum(amount for _, amount in debits) - paid
    if dx[0] > on_date:     # not posted yet on that date: leave it out of the balance and the model
        balance -= dx_amount
        debits = dated
    assert overdue_debt(balance, dated, on_date) == fifo_overdue(debits, paid, on_date)


def test_an_annulled_invoice_not_yet_due_counts_for_nothing():
    # 100 overdue from March, plus an April invoice of 50 and its reversal (same due date)
    dated = [(date(2026, 3, 10), Decimal("100")), (date(2026, 4, 10), Decimal("50")),
             (date(2026, 4, 10), Decimal("-50"))]
    assert overdue_debt(Decimal("100.00"), dated, date(2026, 4, 1)) == Decimal("100.00")


def test_entries_without_due_date_are_due_at_once_and_clamping():
    assert overdue_debt(Decimal("30.00"), [(None, Decimal("30"))], date(2026, 1, 1)) == Decimal("30.00")
    assert clamp_overdue(Decimal("-5.00"), Decimal("0")) == 0
    assert clamp_overdue(Decimal("40.00"), Decimal("100")) == 0
    assert clamp_overdue(Decimal("40.00"), Decimal("-10")) == Decimal("40.00")
    assert clamp_overdue(Decimal("40.00"), Decimal("15")) == Decimal("25.00")


def test_while_migrated_debt_has_its_grace_only_what_was_posted_here_may_be_cut():
    from ispcube.domain.overdue import cuttable_debt
    assert cuttable_debt(Decimal("4000.00"), Decimal("1000.00")) == Decimal("1000.00")   # the newest part
    assert cuttable_debt(Decimal("600.00"), Decimal("1000.00")) == Decimal("600.00")     # all of it is new
    assert cuttable_debt(Decimal("5000.00"), Decimal("0.00")) == Decimal("0.00")         # all migrated
    assert cuttable_debt(Decimal("100.00"), Decimal("-50.00")) == Decimal("0.00")        # annulled here
