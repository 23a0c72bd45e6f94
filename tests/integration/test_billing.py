"""Monthly billing (L8): who is invoiced, for how much, due when, numbered how; idempotent."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event, func, insert, select
from sqlalchemy.exc import IntegrityError

from ispcube.db.ledger_models import LedgerEntry
from ispcube.db.models import Client, ClientEvent, Connection, Plan, Router


@pytest.fixture
def base(cli):
    cli.ok("plan", "add", "--name", "Hogar", "--price", "9500")
    cli.ok("plan", "add", "--name", "Mil", "--price", "1000")
    cli.ok("company", "add", "--number", "1", "--name", "Red Sur SRL")
    cli.ok("company", "add", "--number", "2", "--name", "Fibra Norte SA")
    return cli


def add(cli, code, *extra):
    cli.ok("client", "add", "--code", code, "--name", f"Cliente {code}", "--address", f"Calle {code}", *extra)


def invoices(runtime, period=None):
    with runtime.uow() as uow:
        query = (select(Client.code, LedgerEntry.series, LedgerEntry.number, LedgerEntry.amount,
                        LedgerEntry.entry_date, LedgerEntry.due_date)
                 .join(Client, Client.id == LedgerEntry.client_id).where(LedgerEntry.kind == "invoice")
                 .order_by(LedgerEntry.series, LedgerEntry.number))
        if period:
            query = query.where(LedgerEntry.period == period)
        return [tuple(row) for row in uow.session.execute(query)]


def test_full_and_prorated_invoices_due_on_the_configured_day(base, runtime):
    base.ok("config", "set", "invoice.due_day", "15")
    add(base, "FULL", "--plan", "Hogar", "--signup-date", "2026-01-01")
    add(base, "HALF", "--plan", "Hogar", "--signup-date", "2026-04-16")    # 15 of 30 days
    add(base, "LATE", "--plan", "Mil", "--signup-date", "2026-03-11")      # 21 of 31 days: 677.419...
    add(base, "FIRST", "--plan", "Hogar", "--signup-date", "2026-04-01")   # the whole month
    out = base.ok("billing", "run", "--period", "2026-04").stdout
    assert out == "2026-04: invoiced 4 client(s) (1 prorated), total 24750.00, due 2026-04-15\n"
    assert base.json("billing", "run", "--period", "2026-03")["total"] == "10177.42"
    rows = {code: (amount, entry_date, due) for code, _, _, amount, entry_date, due in invoices(runtime)}
    assert rows["HALF"] == (Decimal("4750.00"), date(2026, 4, 16), date(2026, 5, 15))   # after the due day
    assert rows["LATE"][0] == Decimal("677.42") and rows["LATE"][2] == date(2026, 3, 15)
    assert rows["FIRST"] == (Decimal("9500.00"), date(2026, 4, 1), date(2026, 4, 15))
    assert base.json("client", "show", "HALF")["balance"] == "4750.00"
    assert base.json("client", "show", "FULL")["balance"] == "19000.00"


def test_second_run_adds_nothing(base, runtime):
    for n in range(4):
        add(base, f"C{n}", "--plan", "Hogar", "--signup-date", "2025-12-01")
    first = base.json("billing", "run", "--period", "2026-02")
    second = base.json("billing", "run", "--period", "2026-02")
    assert (first["invoices"], second["invoices"], second["total"]) == (4, 0, "0.00")
    assert len(invoices(runtime)) == 4
    assert {base.json("client", "show", f"C{n}")["balance"] for n in range(4)} == {"9500.00"}
    assert base.json("ledger", "rebuild")["wrong"] == []
    with runtime.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(ClientEvent)
                                  .where(ClientEvent.kind == "ledger.invoice")) == 4


def test_the_database_itself_refuses_a_second_invoice_for_a_period(base, runtime):
    add(base, "A1", "--plan", "Hogar", "--signup-date", "2025-12-01")
    base.ok("billing", "run", "--period", "2026-02")
    with runtime.engine.connect() as conn:
        client_id = conn.scalar(select(Client.id))
        with pytest.raises(IntegrityError):
            conn.execute(insert(LedgerEntry).values(
                client_id=client_id, kind="invoice", series="invoice-9", number=1, entry_date=date(2026, 2, 1),
                period="2026-02", amount=Decimal("1"), operator="x"))


def test_who_is_billable(base, runtime):
    add(base, "PLAN", "--plan", "Hogar", "--signup-date", "2025-01-01")
    add(base, "FREE", "--plan", "Hogar", "--free", "--signup-date", "2025-01-01")
    add(base, "GONE", "--plan", "Hogar", "--signup-date", "2025-01-01")
    base.ok("--yes", "client", "delete", "GONE")
    add(base, "NOPLAN", "--signup-date", "2025-01-01")
    add(base, "FUTURE", "--plan", "Hogar", "--signup-date", "2026-03-01")
    add(base, "CONN", "--plan", "Mil", "--signup-date", "2025-01-01")
    add(base, "CONNNOPLAN", "--plan", "Mil", "--signup-date", "2025-01-01")
    with runtime.uow() as uow:   # connections: their plans win over the client's own plan
        router = Router(name="r1", kind="mikrotik", host="127.0.0.1")
        uow.session.add(router)
        uow.flush()
        plans = dict(uow.session.execute(select(Plan.name, Plan.id)).all())
        ids = dict(uow.session.execute(select(Client.code, Client.id)).all())
        uow.session.add_all([
            Connection(client_id=ids["CONN"], router_id=router.id, ip="10.0.0.1", plan_id=plans["Hogar"]),
            Connection(client_id=ids["CONN"], router_id=router.id, ip="10.0.0.2", plan_id=plans["Hogar"]),
            Connection(client_id=ids["CONN"], router_id=router.id, ip="10.0.0.3"),
            Connection(client_id=ids["CONNNOPLAN"], router_id=router.id, ip="10.0.0.4")])
        uow.commit()
    base.ok("billing", "run", "--period", "2026-02")
    billed = {code: amount for code, _, _, amount, _, _ in invoices(runtime)}
    assert billed == {"PLAN": Decimal("9500.00"), "CONN": Decimal("19000.00"), "CONNNOPLAN": Decimal("1000.00")}


def test_numbering_per_company_series_continues_across_periods(base, runtime):
    add(base, "A", "--plan", "Hogar", "--company", "1", "--signup-date", "2025-01-01")
    add(base, "B", "--plan", "Hogar", "--company", "2", "--signup-date", "2025-01-01")
    add(base, "C", "--plan", "Hogar", "--company", "1", "--signup-date", "2025-01-01")
    add(base, "D", "--plan", "Hogar", "--signup-date", "2025-01-01")
    base.ok("billing", "run", "--period", "2026-01")
    add(base, "E", "--plan", "Hogar", "--company", "1", "--signup-date", "2025-01-01")
    base.ok("billing", "run", "--period", "2026-02")
    numbered = [(code, series, number) for code, series, number, *_ in invoices(runtime)]
    assert numbered == [
        ("D", "invoice-0", 1), ("D", "invoice-0", 2),
        ("A", "invoice-1", 1), ("C", "invoice-1", 2), ("A", "invoice-1", 3), ("C", "invoice-1", 4),
        ("E", "invoice-1", 5), ("B", "invoice-2", 1), ("B", "invoice-2", 2)]
    statement = base.json("ledger", "show", "E")
    assert statement[0]["document"] == "invoice 1-5" and statement[0]["comment"] == "service 2026-02"
    log = base.json("client", "log", "E")[-1]
    assert (log["kind"], log["message"]) == ("ledger.invoice", "invoice 1-5 for 2026-02: 9500.00 (service 2026-02)")
    base.ok("ledger", "adjust", "E", "--debit", "1", "--reason", "x")   # other series are apart
    assert base.json("ledger", "show", "E")[-1]["document"] == "DX 1"


def test_dry_run_counts_and_writes_nothing(base, runtime):
    add(base, "A", "--plan", "Hogar", "--signup-date", "2025-01-01")
    add(base, "B", "--plan", "Mil", "--signup-date", "2026-06-21")     # 10 of 30 days: 333.33
    out = base.ok("billing", "run", "--period", "2026-06", "--dry-run").stdout
    assert out == "2026-06: would invoice 2 client(s) (1 prorated), total 9833.33, due 2026-06-10\n"
    assert invoices(runtime) == []
    assert base.json("client", "show", "A")["balance"] == "0.00"
    assert base.json("billing", "run", "--period", "2026-06")["total"] == "9833.33"


def test_statements_do_not_grow_with_clients(base, runtime):
    def statements_for(period):
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(runtime.engine, "before_cursor_execute", listener)
        try:
            base.ok("billing", "run", "--period", period)
        finally:
            event.remove(runtime.engine, "before_cursor_execute", listener)
        return len(seen)
    add(base, "A", "--plan", "Hogar", "--signup-date", "2025-01-01")
    few = statements_for("2026-01")
    for n in range(12):
        add(base, f"M{n}", "--plan", "Hogar", "--company", str(n % 2 + 1), "--signup-date", "2025-01-01")
    assert statements_for("2026-02") <= few + 2     # at most one more sequence row per new series


def test_bad_period_refused(base, runtime):
    add(base, "A", "--plan", "Hogar", "--signup-date", "2025-01-01")
    for period in ("2026-13", "2026-1", "abril", "2026-00"):
        result = base("billing", "run", "--period", period)
        assert result.exit_code == 1 and f"period '{period}' is not a month (use YYYY-MM" in result.stderr
    assert invoices(runtime) == []
