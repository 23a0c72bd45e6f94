"""Values at and beyond the limits (R12): amounts, balances, ids, dates, NUL bytes, long text.

Every command that takes an amount, a record id or a date is walked with a value beyond what
the database or Python's dates hold, on SQLite and PostgreSQL: exit 1, one sentence on
stderr, no traceback or SQL, and not one row of any table changed.
"""

import pytest
from sqlalchemy import select

from ispcube.db.all_models import metadata
from ispcube.db.engine import get_engine
from ispcube.db.models import Client, Connection, Plan, Router

MAX = "999999999999.99"
HUGE_ID = "99999999999999999999"
CHEQUE = "bank=Nación,number={number},amount={amount},deposit={deposit}"


@pytest.fixture
def base(cli, monkeypatch):
    # a charge refused before any call; any call that slipped through would stay on loopback
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_limits")
    monkeypatch.setenv("STRIPE_API_BASE", "http://127.0.0.1:9")
    cli.ok("plan", "add", "--name", "Hogar", "--price", "9500")
    cli.ok("client", "add", "--code", "A1", "--name", "Ana", "--plan", "Hogar", "--signup-date", "2026-01-01")
    cli.ok("pay", "A1", "--cash", "10", "--cheque", CHEQUE.format(number=1, amount=20, deposit="2026-12-01"))
    return cli


def snapshot(cli) -> dict[str, list]:
    """Every row of every table, to prove a refused command changed nothing."""
    with get_engine(cli.url).connect() as conn:
        return {table.name: sorted(map(repr, conn.execute(select(table)).all())) for table in metadata.sorted_tables}


def refused(cli, args, fragment, **kwargs) -> str:
    before = snapshot(cli)
    result = cli(*args, **kwargs)
    assert result.exit_code == 1, (args, result.exit_code, result.stdout, result.stderr)
    assert result.stderr.startswith("ispcube: ") and result.stderr.count("\n") == 1, (args, result.stderr)
    for leak in ("Traceback", "unexpected error", "SELECT", "INSERT", "UPDATE", "[parameters"):
        assert leak not in result.stderr, (args, result.stderr)
    assert fragment in result.stderr, (args, result.stderr)
    assert snapshot(cli) == before, args
    return result.stderr


TOO_LARGE = ["1000000000000", "99999999999999999999999", "9" * 400]
AMOUNT_COMMANDS = [
    (["pay", "A1", "--cash", "{v}"], "cash"),
    (["pay", "A1", "--cheque", CHEQUE.format(number=9, amount="{v}", deposit="2026-12-01")], "amount of cheque"),
    (["ledger", "adjust", "A1", "--debit", "{v}", "--reason", "x"], "debit"),
    (["ledger", "adjust", "A1", "--credit", "{v}", "--reason", "x"], "credit"),
    (["plan", "add", "--name", "Huge", "--price", "{v}"], "price"),
    (["plan", "edit", "Hogar", "--price", "{v}"], "price"),
    (["config", "set", "unlock_threshold", "{v}"], "unlock threshold"),
    (["stripe", "charge", "A1", "{v}"], "amount"),
]


@pytest.mark.parametrize("command, field", AMOUNT_COMMANDS, ids=[c[0][0] + "-" + c[1] for c in AMOUNT_COMMANDS])
def test_every_amount_beyond_the_money_column_is_refused(base, command, field):
    for value in TOO_LARGE:
        message = refused(base, [arg.replace("{v}", value) for arg in command],
                          "is too large (at most 999999999999.99)")
        assert field in message and len(message) < 300, message


def test_a_balance_at_the_bound_keeps_every_report_working_and_goes_no_further(base):
    base.ok("client", "add", "--code", "B2", "--name", "Beto", "--plan", "Hogar", "--signup-date", "2026-01-01")
    paid = base.json("pay", "B2", "--cash", MAX)
    assert paid["balance"] == "-" + MAX
    for args, after in ((["pay", "B2", "--cash", "0.01"], "1000000000000.00"),
                        (["ledger", "adjust", "B2", "--credit", "1", "--reason", "x"], "1000000000000.99")):
        refused(base, args, f"client B2: the balance -{MAX} would become -{after}, outside what a balance "
                            f"can hold (-{MAX} to {MAX}); nothing was changed")
    assert base.json("ledger", "rebuild")["wrong"] == []
    cash = base.json("ledger", "cash")
    assert sum(float(row["total"]) for row in cash) == pytest.approx(float(MAX) + 30)
    billed = base.json("billing", "run", "--period", "2026-11")
    assert billed["invoices"] == 2 and billed["total"] == "19000.00"
    base.ok("cheque", "set-status", "1", "rejected")
    assert base.json("ledger", "rebuild")["wrong"] == []


def test_billing_refuses_a_run_that_would_push_a_balance_beyond_the_bound(base):
    base.ok("client", "add", "--code", "C3", "--name", "Carla", "--plan", "Hogar", "--signup-date", "2026-01-01")
    base.ok("ledger", "adjust", "C3", "--debit", "999999999000", "--reason", "migrated debt")
    for args in (["billing", "run", "--period", "2026-11"], ["billing", "run", "--period", "2026-11", "--dry-run"]):
        refused(base, args, "billing 2026-11: client C3: the balance 999999999000.00 would become "
                            "1000000008500.00, outside what a balance can hold")
    base.ok("ledger", "adjust", "C3", "--credit", "10000", "--reason", "settled")
    assert base.json("billing", "run", "--period", "2026-11")["invoices"] == 2


def test_billing_refuses_an_invoice_beyond_the_bound(base, runtime):
    base.ok("plan", "add", "--name", "Max", "--price", MAX)
    base.ok("client", "add", "--code", "D4", "--name", "Dora", "--signup-date", "2026-01-01")
    with runtime.uow() as uow:      # two connections on the dearest plan: their sum is the invoice
        router = Router(name="r1", kind="mikrotik", host="127.0.0.1")
        uow.session.add(router)
        uow.flush()
        plan = uow.session.scalar(select(Plan.id).where(Plan.name == "Max"))
        client = uow.session.scalar(select(Client.id).where(Client.code == "D4"))
        uow.session.add_all([Connection(client_id=client, router_id=router.id, ip=f"10.0.0.{n}", plan_id=plan)
                             for n in (1, 2)])
        uow.commit()
    refused(base, ["billing", "run", "--period", "2026-11"], "billing 2026-11: the invoice of client D4, "
                                                             "1999999999999.98, is beyond 999999999999.99")


ID_COMMANDS = [
    (["ledger", "annul", HUGE_ID, "--reason", "x"], f"entry '{HUGE_ID}' does not exist"),
    (["ledger", "annul", "1" * 5000, "--reason", "x"], "does not exist"),
    (["ledger", "annul", "1e30", "--reason", "x"], "entry '1e30' is not an entry number"),
    (["cheque", "set-status", HUGE_ID, "rejected"], f"cheque id '{HUGE_ID}' does not exist"),
    (["cheque", "set-status", "1e30", "rejected"], "cheque id '1e30' is not a number"),
    (["receipt", "print", HUGE_ID, "--out", "r.pdf"], f"receipt '{HUGE_ID}' does not exist"),
    (["receipt", "print", "--entry", HUGE_ID, "--out", "r.pdf"], f"entry '{HUGE_ID}' does not exist"),
    (["--yes", "connection", "delete", HUGE_ID], "does not exist"),
    (["connection", "edit", HUGE_ID, "--cpe-kind", "other"], "does not exist"),
    (["client", "list", "--company", HUGE_ID], "is not a billing company number"),
]


@pytest.mark.parametrize("command, message", ID_COMMANDS,
                         ids=[" ".join(c[0][:2]) + str(i) for i, c in enumerate(ID_COMMANDS)])
def test_ids_beyond_64_bits_are_not_found_in_one_sentence(base, command, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = refused(base, command, message)
    assert len(text) < 300, text


DATE_COMMANDS = [
    (["pay", "A1", "--cash", "1", "--date", "0001-01-01"], "--date '0001-01-01' is out of range (years 1900 to 9999)"),
    (["pay", "A1", "--cheque", CHEQUE.format(number=9, amount=5, deposit="0001-01-01")],
     "out of range (years 1900 to 9999)"),
    (["pay", "A1", "--cheque", CHEQUE.format(number=9, amount=5, deposit="1899-12-31")],
     "out of range (years 1900 to 9999)"),
    (["ledger", "show", "A1", "--from", "0001-01-01"], "--from '0001-01-01' is out of range"),
    (["ledger", "show", "A1", "--to", "0001-01-01"], "--to '0001-01-01' is out of range"),
    (["ledger", "cash", "--date", "0001-01-01"], "--date '0001-01-01' is out of range"),
    (["billing", "run", "--period", "0000-01"], "period '0000-01' is out of range (1900-01 to 9999-11)"),
    (["billing", "run", "--period", "2026-13"], "period '2026-13' is not a month"),
    (["billing", "run", "--period", "9999-12"], "period '9999-12' is out of range (1900-01 to 9999-11)"),
    (["billing", "run", "--period", "9999-12", "--dry-run"], "period '9999-12' is out of range"),
    (["enforce", "--today", "9999-12-31"], "--today '9999-12-31' is out of range (years 1901 to 9998)"),
    (["enforce", "--today", "1900-01-01"], "--today '1900-01-01' is out of range (years 1901 to 9998)"),
    (["enforce", "--dry-run", "--today", "9999-12-31"], "out of range (years 1901 to 9998)"),
    (["preaviso", "--now", "9999-12-31T23:59"], "--now '9999-12-31T23:59' is out of range (years 1901 to 9998)"),
    (["preaviso", "--now", "1900-01-01T00:00"], "out of range (years 1901 to 9998)"),
    (["commit", "A1", "9999-12-31"], "commitment date '9999-12-31' is out of range (years 1901 to 9998)"),
    (["client", "add", "--code", "Z9", "--name", "Zed", "--signup-date", "0001-01-01"],
     "out of range (years 1900 to 9999)"),
    (["client", "edit", "A1", "--contract-expiry", "0001-01-01"], "out of range (years 1900 to 9999)"),
]


@pytest.mark.parametrize("command, message", DATE_COMMANDS,
                         ids=[" ".join(c[0][:2]) + str(i) for i, c in enumerate(DATE_COMMANDS)])
def test_dates_outside_the_range_are_refused_in_one_sentence(base, command, message):
    refused(base, command, message)


def test_the_last_dates_in_range_still_work(base):
    assert base.json("billing", "run", "--period", "9999-11", "--dry-run")["due"] == "9999-11-10"
    assert base.json("billing", "run", "--period", "1900-01", "--dry-run")["invoices"] == 0
    base.ok("commit", "A1", "9998-12-31")
    base.ok("enforce", "--dry-run", "--today", "9998-12-31")
    base.ok("ledger", "show", "A1", "--from", "1900-01-01", "--to", "9999-12-31")


def test_nul_bytes_are_refused_wherever_text_enters(base, tmp_path):
    refused(base, ["pay", "A1", "--cash", "1", "--comment", "a\x00b"], "the value of --comment holds a NUL byte")
    refused(base, ["pay", "A1", "--cash", "1", "--comment=a\x00b"], "option --comment holds a NUL byte")
    refused(base, ["client", "add", "--code", "N\x001", "--name", "x"], "the value of --code holds a NUL byte")
    refused(base, ["client", "note", "add", "A1", "-"], "the note holds a NUL byte", input="call\x00back")
    refused(base, ["config", "set", "state", "-"], "setting state: the value holds a NUL byte", input="Salta\x00")
    refused(base, ["router", "add", "r1", "--kind", "mikrotik", "--host", "127.0.0.1", "--user", "admin",
                   "--secret-stdin"], "the router secret holds a NUL byte", input="pass\x00word\n")
    template = tmp_path / "receipt.html"
    template.write_bytes(base.ok("template", "show", "receipt").stdout.encode() + b"\x00")
    refused(base, ["template", "set", "receipt", str(template)], "template receipt: the file holds a NUL byte")
    config = tmp_path / "xdg-config" / "ispcube" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('operator = "ana\\u0000"\n')
    refused(base, ["client", "list"], f"config file {config}: operator holds a NUL byte")
    config.unlink()
    rows = tmp_path / "clients.csv"
    rows.write_bytes(b"code,name\nN2,Na\x00me\n")
    before = snapshot(base)
    result = base("client", "import", str(rows))
    assert result.exit_code == 1 and snapshot(base) == before
    assert result.stderr == ("line 2, column name: value 'Na\\x00me': holds a NUL byte (\\0)\n"
                             "ispcube: 1 of 1 rows are invalid: nothing imported (fix them, or use --skip-invalid "
                             "to import the valid ones)\n")


LONG = "x" * 10_000
LONG_VALUES = [
    ["pay", "A1", "--cash", LONG],
    ["pay", "A1", "--cheque", LONG],
    ["pay", "A1", "--cheque", CHEQUE.format(number=LONG, amount=LONG, deposit="2026-12-01")],
    ["pay", "A1", "--cash", "1", "--date", LONG],
    ["ledger", "annul", LONG, "--reason", "x"],
    ["ledger", "show", "A1", "--from", LONG],
    ["cheque", "set-status", "1", LONG],
    ["cheque", "set-status", LONG, "rejected"],
    ["billing", "run", "--period", LONG],
    ["ledger", "rebuild", LONG],
    ["config", "set", "invoice.due_day", LONG],
    ["config", "set", "country", LONG],
    ["enforce", "--today", LONG],
    ["client", "show", LONG],
    ["ledger", "adjust", LONG, "--debit", "1", "--reason", "x"],
    ["plan", "edit", LONG, "--price", "1"],
    ["plan", "add", "--name", "Z", "--price", "1", "--down-kbps", LONG],
    ["--operator", LONG, "pay", "A1", "--cash", "1"],
    ["client", "traffic", "A1", "--days", LONG, "--out", "t.png"],
    ["client", "list", "--service", LONG],
    ["client", "list", "--company", LONG],
]


@pytest.mark.parametrize("command", LONG_VALUES, ids=[" ".join(c[:2]) + str(i) for i, c in enumerate(LONG_VALUES)])
def test_errors_quote_only_the_start_of_a_long_value(base, command):
    message = refused(base, command, "xxx...'")
    assert len(message) < 400, message


def test_a_row_limit_beyond_64_bits_lists_every_row_and_a_negative_one_is_refused(base):
    assert [row["code"] for row in base.json("client", "list", "--limit", HUGE_ID)] == ["A1"]
    refused(base, ["client", "list", "--limit=-5"], "--limit -5 must not be negative")
