"""The escalation stages (E1) as pure functions: which state a debtor's days overdue put it
in, who the daily job throttles, cuts or restores, and when the oldest unpaid debit fell due."""

from datetime import date
from decimal import Decimal

import pytest

from ispcube.domain.enforcement import ClientRow, Stages, decide
from ispcube.domain.overdue import oldest_unpaid_due

THRESHOLD = Decimal("500")
STAGES = Stages(throttle_after=5, cut_after=10)


def client(service="active", by=None, free=False):
    return ClientRow(1, "C1", None, service, by, free, True, False)


def decided(row, debt, days, stages=STAGES, shielded=()):
    result = decide({1: row}, {1: Decimal(debt)}, THRESHOLD, set(shielded), stages, {1: days})
    return [(d.service, d.kind) for d in result]


@pytest.mark.parametrize("stages, days, expected", [
    (Stages(), 0, "cut"),                      # both off: cut at once, as without stages
    (Stages(throttle_after=5), 3, "cut"),      # no cut stage: cut at once
    (Stages(cut_after=10), 9, "active"),
    (Stages(cut_after=10), 10, "cut"),
    (STAGES, 4, "active"),
    (STAGES, 5, "throttled"),
    (STAGES, 9, "throttled"),
    (STAGES, 10, "cut"),
])
def test_stage_by_days_overdue(stages, days, expected):
    assert stages.stage(days) == expected


@pytest.mark.parametrize("row, debt, days, expected", [
    (client(), "600", 4, []),
    (client(), "600", 5, [("throttled", "service.throttle")]),
    (client(), "600", 12, [("cut", "service.cut")]),                         # straight to the cut
    (client(), "500", 12, []),                                                # at the threshold
    (client(free=True), "600", 12, []),
    (client("throttled", "job"), "600", 7, []),
    (client("throttled", "job"), "600", 10, [("cut", "service.cut")]),
    (client("throttled", "job"), "100", 10, [("active", "service.restore")]),
    (client("cut", "job"), "600", 6, [("throttled", "service.throttle")]),    # paid the oldest
    (client("cut", "job"), "600", 2, [("active", "service.restore")]),
    (client("cut", "manual"), "600", 6, []),                                  # the operator wins
    (client("active", "manual"), "600", 12, []),
    (client("active", "manual"), "100", 12, [("active", "service.auto")]),
])
def test_rules_with_stages(row, debt, days, expected):
    assert decided(row, debt, days) == expected


def test_a_commitment_postpones_both_stages_and_restores():
    assert decided(client(), "600", 12, shielded={1}) == []
    assert decided(client("throttled", "job"), "600", 7, shielded={1}) == [("active", "service.restore")]


def test_the_message_names_the_days_overdue():
    [decision] = decide({1: client()}, {1: Decimal("600")}, THRESHOLD, set(), STAGES, {1: 5})
    assert decision.message == "service throttled: overdue debt 600.00, threshold 500.00, 5 days overdue"


D = date


@pytest.mark.parametrize("overdue, debits, expected", [
    ("0", [(D(2026, 1, 10), "100")], None),
    ("100", [(D(2026, 1, 10), "100"), (D(2026, 2, 10), "100")], D(2026, 2, 10)),   # the newest is unpaid
    ("150", [(D(2026, 1, 10), "100"), (D(2026, 2, 10), "100")], D(2026, 1, 10)),   # half of the oldest too
    ("200", [(D(2026, 2, 10), "100"), (D(2026, 1, 10), "100")], D(2026, 1, 10)),
    ("50", [(D(2026, 1, 10), "100")], D(2026, 1, 10)),
])
def test_oldest_unpaid_due(overdue, debits, expected):
    assert oldest_unpaid_due(Decimal(overdue), [(d, Decimal(a)) for d, a in debits]) == expected
