"""The wanted-state rules (N1, N5, N6) as a pure function: who the daily job cuts, restores or
hands back to automatic control."""

from decimal import Decimal

import pytest

from ispcube.domain.enforcement import ClientRow, decide

THRESHOLD = Decimal("500")


def client(cid=1, service="active", by=None, free=False, blockable=True, deleted=False):
    return ClientRow(cid, f"C{cid}", None, service, by, free, blockable, deleted)


def decided(row, debt, shielded=()):
    result = decide({row.id: row}, {row.id: Decimal(debt)}, THRESHOLD, set(shielded))
    return [(d.service, d.service_by, d.kind) for d in result]


@pytest.mark.parametrize("row, debt, expected", [
    (client(), "500.01", [("cut", "job", "service.cut")]),
    (client(), "500.00", []),                                           # at the threshold: kept
    (client(free=True), "9999", []),
    (client(blockable=False), "9999", []),
    (client(deleted=True), "9999", []),
    (client(by="manual"), "9999", []),                                  # manual enable wins...
    (client(by="manual"), "10", [("active", "job", "service.auto")]),   # ...until paid up
    (client(service="cut", by="job"), "500.00", [("active", "job", "service.restore")]),
    (client(service="cut", by="job"), "600", []),
    (client(service="cut", by="manual"), "0", []),                      # manual cut wins
    (client(service="cut", by="job", free=True), "600", [("active", "job", "service.restore")]),
])
def test_rules(row, debt, expected):
    assert decided(row, debt) == expected


def test_a_commitment_in_force_postpones_the_cut_and_restores():
    assert decided(client(), "9999", shielded={1}) == []
    assert decided(client(service="cut", by="job"), "9999", shielded={1}) == [
        ("active", "job", "service.restore")]


def test_a_client_with_no_ledger_rows_owes_nothing():
    assert decide({1: client()}, {}, THRESHOLD, set()) == []
