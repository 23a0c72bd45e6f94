"""The cash report (L7): per cash entity and operator, cash and cheques apart, for one day."""

from datetime import date, timedelta

import pytest

CHEQUE = "bank=Galicia,number={n},amount={amount},deposit=2026-12-01"
TODAY = date.today()
YESTERDAY = (TODAY - timedelta(days=1)).isoformat()


@pytest.fixture
def day(cli):
    cli.ok("config", "set", "cash_by_entity", "yes")
    cli.ok("operator", "add", "--name", "ana", "--role", "collector", "--cash-entity", "Caja Norte")
    cli.ok("operator", "add", "--name", "beto", "--role", "collector", "--cash-entity", "Caja Sur")
    cli.ok("client", "add", "--code", "A1", "--name", "Ana", "--collector", "ana")
    cli.ok("client", "add", "--code", "B2", "--name", "Beto", "--address", "Otra 2", "--collector", "beto")
    cli.ok("--operator", "ana", "pay", "A1", "--cash", "100", "--cheque", CHEQUE.format(n=1, amount="50"))
    cli.ok("--operator", "ana", "pay", "A1", "--cash", "20.25")
    cli.ok("--operator", "beto", "pay", "B2", "--cash", "7")
    cli.ok("pay", "A1", "--cheque", CHEQUE.format(n=2, amount="30"))           # system: no cash entity
    cli.ok("--operator", "beto", "pay", "B2", "--cash", "1000", "--date", YESTERDAY)
    return cli


def summary(rows):
    return [(r["entity"], r["operator"], r["receipts"], r["annulled"], r["cash"], r["cheques"], r["total"])
            for r in rows]


def test_totals_per_entity_and_operator(day):
    assert summary(day.json("ledger", "cash")) == [
        ("Caja Norte", "ana", 2, 0, "120.25", "50.00", "170.25"),
        ("Caja Sur", "beto", 1, 0, "7.00", "0.00", "7.00"),
        (None, "system", 1, 0, "0.00", "30.00", "30.00"),
    ]
    assert summary(day.json("ledger", "cash", "--date", YESTERDAY)) == [
        ("Caja Sur", "beto", 1, 0, "1000.00", "0.00", "1000.00")]
    assert summary(day.json("ledger", "cash", "--entity", "Caja Norte")) == [
        ("Caja Norte", "ana", 2, 0, "120.25", "50.00", "170.25")]
    table = day.ok("ledger", "cash", "--entity", "Caja Sur").stdout
    assert "Caja Sur" in table and "beto" in table and "7.00" in table


def test_annulled_receipt_goes_back_out_of_its_box(day):
    first = day.json("ledger", "show", "A1")[0]["entry"]
    day.ok("ledger", "annul", str(first), "--reason", "returned")
    rows = summary(day.json("ledger", "cash", "--entity", "Caja Norte"))
    assert rows == [("Caja Norte", "ana", 2, 0, "120.25", "50.00", "170.25"),
                    ("Caja Norte", "system", 0, 1, "-100.00", "-50.00", "-150.00")]


def test_a_collector_sees_only_its_own_collections(day):
    assert [r["operator"] for r in day.json("--operator", "ana", "ledger", "cash")] == ["ana"]


def test_bad_date(day):
    result = day("ledger", "cash", "--date", "2026-13-01")
    assert result.exit_code == 1 and "--date '2026-13-01' is not a date" in result.stderr


def test_electronic_payments_stay_out_of_the_cash_boxes(day, runtime):
    from decimal import Decimal

    from ispcube.services.clients import lifecycle as clients
    from ispcube.services.ledger import cash_report, pay as payments
    with runtime.uow() as uow:
        client = clients.find_client(uow, "A1")
        paid = payments.record_payment(uow, runtime, runtime.actor(uow), client, Decimal("999.00"), [],
                                       comment="card", paid_on=TODAY, payment_method="stripe")
        uow.commit()
    assert paid.balance == Decimal("-1199.25")
    assert [r["operator"] for r in cash_report.cash_report(runtime)] == ["ana", "beto", "system"]
    assert sum(Decimal(r["total"]) for r in cash_report.cash_report(runtime)) == Decimal("207.25")
