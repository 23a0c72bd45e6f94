"""The running account through the CLI (L1, L2, L5, L6, R10, R12), on SQLite and PostgreSQL."""

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from ispcube.db.ledger_models import LedgerEntry
from ispcube.db.models import Client, ClientEvent


@pytest.fixture
def base(cli):
    cli.ok("operator", "add", "--name", "ana", "--role", "collector")
    cli.ok("client", "add", "--code", "A1", "--name", "Ana Pérez")
    cli.ok("client", "add", "--code", "B2", "--name", "Beto Gómez", "--address", "Otra 2")
    return cli


def entries(runtime, code="A1"):
    with runtime.uow() as uow:
        return uow.session.execute(select(*LedgerEntry.__table__.c).join(Client, Client.id == LedgerEntry.client_id)
                                   .where(Client.code == code).order_by(LedgerEntry.id)).all()


def balance(cli, code="A1"):
    return cli.json("client", "show", code)["balance"]


def test_adjust_debit_and_credit_notes_move_the_balance(base, runtime):
    dx = base.json("ledger", "adjust", "A1", "--debit", "1500.50", "--reason", "reconnection fee")
    assert (dx["kind"], dx["number"], dx["amount"], dx["balance"]) == ("DX", 1, "1500.50", "1500.50")
    out = base.ok("ledger", "adjust", "A1", "--credit", "500", "--reason", "goodwill").stdout
    assert out == "CX 1 recorded for client A1: -500.00, balance 1000.50\n"
    base.ok("ledger", "adjust", "B2", "--debit", "10", "--reason", "x")
    assert [(e.kind, e.series, e.number) for e in entries(runtime)] == [("dx", "dx", 1), ("cx", "cx", 1)]
    assert [e.number for e in entries(runtime, "B2")] == [2]
    assert balance(base) == "1000.50"
    log = base.json("client", "log", "A1")
    assert [e["kind"] for e in log[-2:]] == ["ledger.dx", "ledger.cx"]
    assert "goodwill" in log[-1]["message"] and "balance 1000.50" in log[-1]["message"]


ADJUST_REFUSALS = [
    (["--debit", "10", "--credit", "5", "--reason", "x"], 2, "exactly one of --debit or --credit"),
    (["--reason", "x"], 2, "exactly one of --debit or --credit"),
    (["--debit", "10"], 1, "--reason must say why"),
    (["--debit", "10.5055", "--reason", "x"], 1, "debit '10.5055' has more than 2 decimals"),
    (["--debit", "-5", "--reason", "x"], 1, "debit '-5' must not be negative"),
    (["--credit", "0", "--reason", "x"], 1, "credit '0' must be greater than zero"),
    (["--debit", "1e3", "--reason", "x"], 1, "debit '1e3' is not an amount"),
    (["--debit", "abc", "--reason", "x"], 1, "debit 'abc' is not an amount"),
]


def test_adjust_refusals_change_nothing(base, runtime):
    for args, code, message in ADJUST_REFUSALS:
        result = base("ledger", "adjust", "A1", *args)
        assert result.exit_code == code and message in result.stderr, (args, result.stderr)
        assert result.stderr.count("\n") == 1, args
        assert entries(runtime) == [] and balance(base) == "0.00", args


def test_unknown_client_and_collector_refused(base, runtime):
    missing = base("ledger", "adjust", "NOPE", "--debit", "1", "--reason", "x")
    assert missing.exit_code == 1 and "client 'NOPE' does not exist" in missing.stderr
    collector = base("--operator", "ana", "ledger", "adjust", "A1", "--debit", "1", "--reason", "x")
    assert collector.exit_code == 1 and "ana' is a collector" in collector.stderr
    assert entries(runtime) == []


def test_statement_running_balance_and_period(base, runtime):
    with runtime.uow() as uow:  # entries on past dates, as billing and payments leave them
        from datetime import date
        from decimal import Decimal

        from ispcube.services.ledger import posting as ledger
        client = uow.session.scalar(select(Client).where(Client.code == "A1"))
        for day, kind, amount in ((1, "dx", "100.00"), (5, "receipt", "-30.00"), (9, "dx", "7.25"),
                                  (20, "cx", "-2.25")):
            ledger.post(uow, runtime, client, kind, Decimal(amount), entry_date=date(2026, 3, day))
        uow.commit()
    rows = base.json("ledger", "show", "A1")
    assert [r["balance"] for r in rows] == ["100.00", "70.00", "77.25", "75.00"]
    assert [(r["debit"], r["credit"]) for r in rows][:2] == [("100.00", None), (None, "30.00")]
    assert rows[-1]["balance"] == balance(base)
    window = base.json("ledger", "show", "A1", "--from", "2026-03-05", "--to", "2026-03-09")
    assert [(r["document"], r["balance"]) for r in window] == [
        ("brought forward", "100.00"), ("receipt 1", "70.00"), ("DX 2", "77.25")]
    table = base.ok("ledger", "show", "A1").stdout
    assert "running" not in table and "DX 1" in table and "75.00" in table
    bad = base("ledger", "show", "A1", "--from", "2026-02-30")
    assert bad.exit_code == 1 and "--from '2026-02-30' is not a date" in bad.stderr
    reversed_range = base("ledger", "show", "A1", "--from", "2026-03-09", "--to", "2026-03-01")
    assert reversed_range.exit_code == 1 and "is after --to" in reversed_range.stderr


def test_annul_posts_a_reversal_once(base, runtime):
    base.ok("ledger", "adjust", "A1", "--debit", "800", "--reason", "install")
    entry = entries(runtime)[0].id
    done = base.json("ledger", "annul", str(entry), "--reason", "typed twice")
    assert (done["annulled"], done["amount"], done["balance"]) == (entry, "-800.00", "0.00")
    reversal = entries(runtime)[-1]
    assert (reversal.kind, reversal.reverses_id, reversal.number) == ("reversal", entry, 1)
    assert "annuls DX 1: typed twice" in reversal.comment
    again = base("ledger", "annul", str(entry), "--reason", "again")
    assert again.exit_code == 1 and f"is already annulled by entry {reversal.id}" in again.stderr
    of_reversal = base("ledger", "annul", str(reversal.id), "--reason", "undo")
    assert of_reversal.exit_code == 1 and "is a reversal itself" in of_reversal.stderr
    statement = base.json("ledger", "show", "A1")
    assert f"annulled by entry {reversal.id}" in statement[0]["comment"]
    assert len(entries(runtime)) == 2 and balance(base) == "0.00"


def test_annul_refusals(base):
    base.ok("ledger", "adjust", "A1", "--debit", "5", "--reason", "x")
    for args, message in ((["999", "--reason", "x"], "entry 999 does not exist"),
                          (["abc", "--reason", "x"], "entry 'abc' is not an entry number"),
                          (["1"], "--reason must say why")):
        result = base("ledger", "annul", *args)
        assert result.exit_code == 1 and message in result.stderr, (args, result.stderr)
    assert balance(base) == "5.00" and len(base.json("ledger", "show", "A1")) == 1


def test_entries_cannot_be_updated_or_deleted_by_any_code_path(base, runtime):
    base.ok("ledger", "adjust", "A1", "--debit", "5", "--reason", "x")
    for statement in ("UPDATE ledger_entries SET amount = 0", "DELETE FROM ledger_entries",
                      "UPDATE ledger_entries SET comment = 'edited'"):
        with runtime.engine.connect() as conn:
            with pytest.raises(DBAPIError, match="ledger entries are immutable"):
                conn.execute(text(statement))
    with runtime.uow() as uow:  # nor through the ORM
        entry = uow.session.scalars(select(LedgerEntry)).one()
        entry.comment = "changed"
        with pytest.raises(DBAPIError, match="immutable"):
            uow.commit()
    assert entries(runtime)[0].comment == "x"


def corrupt(runtime, code, value):
    with runtime.uow() as uow:
        uow.session.execute(update(Client).where(Client.code == code).values(balance=value))
        uow.commit()


def test_rebuild_lists_and_fixes_every_wrong_cache(base, runtime):
    base.ok("ledger", "adjust", "A1", "--debit", "120.40", "--reason", "x")
    base.ok("client", "add", "--code", "C3", "--name", "Carla", "--address", "Tres 3")
    corrupt(runtime, "A1", "99.99")
    corrupt(runtime, "C3", "-5.00")     # no entries at all: must be 0
    done = base.json("ledger", "rebuild")
    assert done == {"checked": 3, "wrong": [{"code": "A1", "cached": "99.99", "actual": "120.40"},
                                             {"code": "C3", "cached": "-5.00", "actual": "0.00"}]}
    assert (balance(base), balance(base, "C3"), balance(base, "B2")) == ("120.40", "0.00", "0.00")
    assert "rebuilt from the entries: 120.40" in base.json("client", "log", "A1")[-1]["message"]
    assert base.ok("ledger", "rebuild").stdout == "3 client(s) checked, 0 wrong balance(s) fixed\n"


def test_rebuild_of_some_clients_only(base, runtime):
    corrupt(runtime, "A1", "1.00")
    corrupt(runtime, "B2", "2.00")
    out = base.ok("ledger", "rebuild", "B2").stdout
    assert "B2" in out and "2.00" in out and "A1" not in out and "1 wrong balance(s) fixed" in out
    assert (balance(base), balance(base, "B2")) == ("1.00", "0.00")
    missing = base("ledger", "rebuild", "B2", "NOPE")
    assert missing.exit_code == 1 and "client 'NOPE' does not exist" in missing.stderr
    with runtime.uow() as uow:
        assert uow.session.scalar(select(ClientEvent.id).where(ClientEvent.kind == "ledger.rebuild",
                                                               ClientEvent.client_id == 1)) is None
