"""Overdue debt (N1): the part of a client's balance that has fallen due.

Payments settle the oldest debt first, so whatever a client still owes is made of its most
recent debits; the invoices that are not yet due are the most recent of all. The overdue debt
on a date D is therefore the balance minus the invoices not yet due on D, clamped to
[0, balance]: a client in credit owes nothing, and not-yet-due invoices larger than the
balance leave nothing overdue.

`db/overdue.py` computes the same figures for many clients at once in SQL; both must agree, and
the SQL is held to this rule on random ledgers (tests/integration/test_overdue_rule.py).
"""

from datetime import date
from decimal import Decimal
from typing import Iterable

ZERO = Decimal("0.00")


def clamp_overdue(balance: Decimal, not_yet_due: Decimal) -> Decimal:
    """The overdue part of BALANCE when NOT_YET_DUE of it falls due later."""
    if balance <= 0:
        return ZERO
    return min(balance, max(ZERO, balance - not_yet_due))


def overdue_debt(balance: Decimal, dated_debits: Iterable[tuple[date | None, Decimal]],
                 on_date: date) -> Decimal:
    """Overdue debt on ON_DATE of a client with BALANCE.

    DATED_DEBITS are the entries that carry a due date, as (due_date, amount): invoices, and
    the reversals of invoices (which carry the due date of the invoice they cancel, with the
    opposite amount, so an annulled invoice counts for nothing). Entries without a due date
    (DX, CX, receipts) are due at once.
    """
    not_yet_due = sum((amount for due, amount in dated_debits if due is not None and due > on_date), ZERO)
    return clamp_overdue(balance, not_yet_due)


def oldest_unpaid_due(overdue: Decimal, debits: Iterable[tuple[date, Decimal]]) -> date | None:
    """The due date of the oldest debit still unpaid (E1), for an OVERDUE debt above zero.

    DEBITS are the client's debits already due, as (due date, amount): invoices and DX notes
    not annulled (an entry without a due date falls due on its date). Payments settle the
    oldest first, so the overdue debt is made of the most recent of them: going back from the
    newest, the oldest unpaid one is the first that reaches OVERDUE."""
    if overdue <= 0:
        return None
    newer = ZERO
    oldest = None
    for due, amount in sorted(debits, reverse=True):
        if newer >= overdue:
            break
        oldest = due
        newer += amount
    return oldest


def cuttable_debt(overdue: Decimal, new_debits: Decimal) -> Decimal:
    """The part of an OVERDUE debt that may be cut for while migrated debt has its grace (U6).

    Payments settle the oldest debt first and migrated debt (imported lines, opening balances)
    is the oldest, so what is still owed of the debits posted here since, NEW_DEBITS (those
    already due), is the newest part of the overdue debt: at most all of it."""
    return max(ZERO, min(overdue, new_debits))
