"""Payments (L3): amounts, cheques, cash entities, collector scope and re-enabling a cut client."""

import pytest
from sqlalchemy import func, select, update

from ispcube.db.ledger_models import Cheque, LedgerEntry
from ispcube.db.models import Client


@pytest.fixture
def base(cli):
    cli.ok("operator", "add", "--name", "ana", "--role", "collector", "--cash-entity", "Caja Norte")
    cli.ok("operator", "add", "--name", "beto", "--role", "collector", "--cash-entity", "Caja Sur")
    cli.ok("plan", "add", "--name", "Hogar", "--price", "9500")
    cli.ok("client", "add", "--code", "A1", "--name", "Ana Pérez", "--collector", "ana", "--plan", "Hogar",
           "--signup-date", "2020-01-01")
    cli.ok("client", "add", "--code", "B2", "--name", "Beto Gómez", "--address", "Otra 2", "--collector", "beto")
    return cli


def counts(runtime):
    with runtime.uow() as uow:
        return (uow.session.scalar(select(func.count()).select_from(LedgerEntry)),
                uow.session.scalar(select(func.count()).select_from(Cheque)))


def balance(cli, code="A1"):
    return cli.json("client", "show", code)["balance"]


@pytest.mark.parametrize("amount, paid", [("10", "10.00"), ("10.5", "10.50"), ("10.50", "10.50")])
def test_good_amounts(base, amount, paid):
    out = base.ok("pay", "A1", "--cash", amount).stdout
    assert out == f"receipt 1 recorded for client A1: paid {paid}, balance -{paid}\n"
    assert balance(base) == f"-{paid}"


BAD_AMOUNTS = [
    ("10.5055", "cash '10.5055' has more than 2 decimals"),
    ("1e3", "cash '1e3' is not an amount"),
    ("-5", "cash '-5' must not be negative"),
    ("abc", "cash 'abc' is not an amount"),
    ("NaN", "cash 'NaN' is not an amount"),
]
BAD_PAYMENTS = [(["--cash", amount], message) for amount, message in BAD_AMOUNTS] + [
    ([], "payment for client A1 is empty"),
    (["--cash", "0"], "payment for client A1 is empty"),
    (["--cheque", "bank=Galicia,number=1,amount=10"], "deposit missing"),
    (["--cheque", "bank=Galicia,number=1,amount=10,deposit=2026-02-30"], "deposit date of cheque"),
    (["--cheque", "bank=Galicia,number=1,amount=1e3,deposit=2026-12-01"], "is not an amount"),
    (["--cheque", "bank=Galicia,number=1,amount=0,deposit=2026-12-01"], "must be greater than zero"),
    (["--cheque", "bank=Galicia,numero=1,amount=1,deposit=2026-12-01"], "'numero=1' is not one of"),
    (["--cheque", "bank=G,number=1,amount=1,deposit=2026-12-01",
      "--cheque", "bank=g,number=1,amount=2,deposit=2026-12-01"], "cheque g 1 is given twice"),
    (["--cash", "5", "--date", "2099-01-01"], "--date 2099-01-01 is in the future"),
    (["--cash", "5", "--date", "yesterday"], "--date 'yesterday' is not a date"),
]


def test_bad_payments_refused_with_one_sentence_and_nothing_written(base, runtime):
    for args, message in BAD_PAYMENTS:
        result = base("pay", "A1", *args)
        assert result.exit_code == 1 and message in result.stderr, (args, result.stderr)
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, args
        assert counts(runtime) == (0, 0) and balance(base) == "0.00", args


def test_cash_and_cheques_in_one_receipt(base, runtime):
    paid = base.json("pay", "A1", "--cash", "100", "--comment", "at the office", "--date", "2026-01-15",
                     "--cheque", "bank=Galicia,number=00123,amount=250.50,deposit=2026-12-01",
                     "--cheque", "bank=Nación,number=77,amount=49.50,deposit=2027-01-10")
    assert (paid["receipt"], paid["balance"], paid["amount"], paid["cash"]) == (1, "-400.00", "400.00", "100.00")
    assert paid["enabled"] is False and len(paid["cheques"]) == 2
    with runtime.uow() as uow:
        entry = uow.session.scalars(select(LedgerEntry)).one()
        assert (entry.kind, entry.amount, entry.cash_amount, str(entry.entry_date)) == (
            "receipt", -400, 100, "2026-01-15")
        assert (entry.payment_method, entry.comment, entry.cash_entity) == ("cash+cheque", "at the office", None)
        cheques = uow.session.scalars(select(Cheque).order_by(Cheque.id)).all()
        assert [(c.bank, c.number, str(c.amount), c.status) for c in cheques] == [
            ("Galicia", "00123", "250.50", "pending"), ("Nación", "77", "49.50", "pending")]
    log = base.json("client", "log", "A1")[-1]["message"]
    assert "receipt 1" in log and "cheque Galicia 00123 250.50" in log and "at the office" in log
    again = base("pay", "B2", "--cheque", "bank=galicia,number=00123,amount=5,deposit=2026-12-01")
    assert again.exit_code == 1 and "cheque Galicia 00123 is already recorded" in again.stderr


def test_money_goes_to_the_operators_cash_entity_when_configured(base, runtime):
    base.ok("--operator", "ana", "pay", "A1", "--cash", "10")
    base.ok("config", "set", "cash_by_entity", "yes")
    base.ok("--operator", "ana", "pay", "A1", "--cash", "20")
    with runtime.uow() as uow:
        assert uow.session.scalars(select(LedgerEntry.cash_entity).order_by(LedgerEntry.id)).all() == [
            None, "Caja Norte"]


def test_a_collector_collects_only_its_own_clients(base, runtime):
    result = base("--operator", "ana", "pay", "B2", "--cash", "10")
    assert result.exit_code == 1 and "client 'B2' does not exist" in result.stderr
    assert counts(runtime) == (0, 0)
    base.ok("--operator", "beto", "pay", "B2", "--cash", "10")
    base.ok("operator", "add", "--name", "sara", "--role", "seller")
    seller = base("--operator", "sara", "pay", "A1", "--cash", "10")
    assert seller.exit_code == 1 and "only admin, operator, collector may record payments" in seller.stderr


def cut_with_overdue_invoice(cli, runtime, code="A1"):
    cli.ok("billing", "run", "--period", "2026-01")    # 9500.00, due 2026-01-10: overdue now
    with runtime.uow() as uow:
        uow.session.execute(update(Client).where(Client.code == code).values(service="cut", service_by="job"))
        uow.commit()


def service(cli, code="A1"):
    return cli.json("client", "show", code)["service"]


def test_enable_when_the_payment_clears_the_overdue_debt(base, runtime):
    cut_with_overdue_invoice(base, runtime)
    out = base.ok("pay", "A1", "--cash", "9500", "--enable").stdout
    assert out.splitlines() == ["receipt 1 recorded for client A1: paid 9500.00, balance 0.00",
                                "client A1 re-enabled"]
    assert service(base) == "active"
    kinds = [e["kind"] for e in base.json("client", "log", "A1")]
    assert kinds[-2:] == ["ledger.receipt", "service.enable"]


def test_threshold_decides_and_no_enable_keeps_the_cut(base, runtime):
    cut_with_overdue_invoice(base, runtime)
    partial = base.ok("pay", "A1", "--cash", "9000", "--enable").stdout
    assert "client A1 stays cut: its overdue debt 500.00 is above the unlock threshold 0.00" in partial
    assert service(base) == "cut"
    base.ok("config", "set", "unlock_threshold", "600")
    assert base.json("pay", "A1", "--cash", "1", "--no-enable")["enabled"] is False
    assert service(base) == "cut"
    assert base.json("pay", "A1", "--cash", "1")["enabled"] is False   # off a terminal: safe default
    assert service(base) == "cut"
    assert base.json("pay", "A1", "--cash", "1", "--enable")["enabled"] is True
    assert service(base) == "active"


def test_enable_flag_on_a_client_that_is_not_cut_changes_nothing(base):
    base.ok("billing", "run", "--period", "2026-01")
    paid = base.json("pay", "A1", "--cash", "9500", "--enable")
    assert paid["enabled"] is False and paid["overdue"] == "0.00"
    assert [e["kind"] for e in base.json("client", "log", "A1")][-1] == "ledger.receipt"


def read_until(fd: int, marker: bytes, seconds: float = 90) -> bytes:
    """What the terminal shows until MARKER (generous time: CI machines can be busy)."""
    import os
    import select as io_select
    import time
    seen, deadline = b"", time.monotonic() + seconds
    while marker not in seen:
        ready, _, _ = io_select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, f"no {marker!r} on the terminal; it showed {seen!r}"
        try:
            chunk = os.read(fd, 1024)
        except OSError:     # EIO: the command exited and closed the terminal
            chunk = b""
        assert chunk, f"the command ended without {marker!r}; it showed {seen!r}"
        seen += chunk
    return seen


def test_on_a_terminal_the_question_is_asked_and_answered(tmp_path):
    """A real pseudo-terminal: the installed command asks, the operator answers y."""
    import os
    from pathlib import Path
    import pty
    import subprocess
    import sys

    from tests.conftest import Cli
    url = f"sqlite:///{tmp_path / 'tty.db'}"
    cli = Cli(url)
    cli.ok("init")
    cli.ok("plan", "add", "--name", "Hogar", "--price", "100")
    cli.ok("client", "add", "--code", "T1", "--name", "Tomás", "--plan", "Hogar", "--signup-date", "2020-01-01")
    cli.ok("billing", "run", "--period", "2026-01")
    from ispcube.db.engine import get_engine
    with get_engine(url).begin() as conn:
        conn.execute(update(Client).values(service="cut"))
    main, child = pty.openpty()
    ispcube = Path(sys.executable).with_name("ispcube")
    process = subprocess.Popen([str(ispcube), "--db", url, "pay", "T1", "--cash", "100"],
                               stdin=child, stdout=child, stderr=child, close_fds=True)
    os.close(child)
    seen = read_until(main, b"Print receipt 1 to a PDF? [y/N]")
    os.write(main, b"n\n")
    seen += read_until(main, b"re-enable it?")
    os.write(main, b"y\n")
    seen += read_until(main, b"re-enabled")
    assert process.wait(timeout=30) == 0
    os.close(main)
    assert b"Client T1 is cut and now owes 0.00 overdue: re-enable it? [y/N]" in seen
    assert b"client T1 re-enabled" in seen
    assert cli.json("client", "show", "T1")["service"] == "active"
