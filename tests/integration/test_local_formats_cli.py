"""Every command option that takes money or a date reads it in the ISP's local formats (U1).

The table below names each such option; the walk over the command tree finds every option
shown as AMOUNT, DATE, DATETIME or CHEQUE (and every option whose name speaks of money or a
day), so a new command that takes one fails here until it is added to the table. Each case
runs the command as an Argentine ISP types it (decimal comma, day first) and reads back
what was stored; an ambiguous amount is refused with the reading it would have had.
"""

import json
import re

import click
import pytest
import typer

from ispcube.cli.main import app
from ispcube.cli.reference import _walk
from ispcube.sim.mercadopago import MercadoPagoSimulator

LOCAL_AMOUNT, READ_AMOUNT = "1.234,56", "1234.56"
AMBIGUOUS = "1.234"
MARKED = {"AMOUNT", "DATE", "DATETIME", "CHEQUE", "[DATE]"}
# Options whose name speaks of money or a day but that take neither.
NOT_MONEY_OR_DATE = {("operator", "add", "cash_entity"): "a cash box's name",
                     ("operator", "edit", "cash_entity"): "a cash box's name",
                     ("billing", "run", "period"): "a month, YYYY-MM",
                     ("invoice", "list", "period"): "a month, YYYY-MM",
                     ("invoice", "print", "period"): "a month, YYYY-MM",
                     ("connection", "add", "now"): "a flag: make the connection on its router at once",
                     ("connection", "edit", "now"): "a flag: make the connection on its router at once",
                     ("invoice", "send", "period"): "a month, YYYY-MM"}
_SPEAKS_OF = re.compile(r"(^|_)(date|today|now|price|amount|cash|debit|credit|threshold|balance|over|since|until|"
                        r"from|to|expiry|deposit|period|due)($|_)")


def _json(result) -> dict | list:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _plan_price(cli, name):
    return next(row["price"] for row in cli.json("plan", "list") if row["name"] == name)


def _statement(cli):
    return sorted(row["date"] for row in cli.json("ledger", "show", "A1"))


def _exported_dates(out):
    with open(_json(out)["file"], encoding="utf-8") as file:
        return [row["date"] for row in json.load(file)]


def _client_args(command):
    return ["A1"] if command == "edit" else ["--code", "A2", "--name", "Bea"]


def _client_field(command, field):
    return lambda cli, out: _json(out) and cli.json("client", "show", "A1" if command == "edit" else "A2")[field]


# (command path, parameter) -> (arguments with {} for the value, value, what is read back, how)
CASES = {
    ("plan", "add", "price"): (["plan", "add", "--name", "Fibra", "--price", "{}"], LOCAL_AMOUNT, READ_AMOUNT,
                               lambda cli, out: _plan_price(cli, "Fibra")),
    ("plan", "edit", "price"): (["plan", "edit", "Base", "--price", "{}"], LOCAL_AMOUNT, READ_AMOUNT,
                                lambda cli, out: _plan_price(cli, "Base")),
    ("pay", "cash"): (["pay", "A1", "--cash", "{}"], LOCAL_AMOUNT, READ_AMOUNT, lambda cli, out: _json(out)["cash"]),
    ("pay", "cheque"): (["pay", "A1", "--cheque", "bank=Galicia,number=77,amount={},deposit=05/03/2020"],
                        LOCAL_AMOUNT, (READ_AMOUNT, "2020-03-05"),
                        lambda cli, out: (_json(out)["amount"], cli.json("cheque", "list")[0]["deposit_date"])),
    ("pay", "amount"): (["pay", "A1", "--amount", "{}", "--method", "Transferencia"], LOCAL_AMOUNT, READ_AMOUNT,
                        lambda cli, out: _json(out)["amount"]),
    ("pay", "on_date"): (["pay", "A1", "--cash", "10", "--date", "{}"], "05/03/2020",
                         ["2020-03-04", "2020-03-05", "2020-03-06"], lambda cli, out: _json(out) and _statement(cli)),
    ("ledger", "adjust", "debit"): (["ledger", "adjust", "A1", "--debit", "{}", "--reason", "r"], LOCAL_AMOUNT,
                                    READ_AMOUNT, lambda cli, out: _json(out)["amount"]),
    ("ledger", "adjust", "credit"): (["ledger", "adjust", "A1", "--credit", "{}", "--reason", "r"], LOCAL_AMOUNT,
                                     "-" + READ_AMOUNT, lambda cli, out: _json(out)["amount"]),
    ("ledger", "show", "date_from"): (["ledger", "show", "A1", "--from", "{}"], "5/3/20", ["2020-03-06"],
                                      lambda cli, out: [r["date"] for r in _json(out)
                                                        if r["document"] != "brought forward"]),
    ("ledger", "show", "date_to"): (["ledger", "show", "A1", "--to", "{}"], "05/03/2020", ["2020-03-04"],
                                    lambda cli, out: [r["date"] for r in _json(out)]),
    ("export", "ledger", "date_from"): (["export", "ledger", "--out", "{tmp}/l.json", "--from", "{}"], "5/3/20",
                                        ["2020-03-06"], lambda cli, out: _exported_dates(out)),
    ("export", "ledger", "date_to"): (["export", "ledger", "--out", "{tmp}/l.json", "--to", "{}"],
                                      "05/03/2020", ["2020-03-04"], lambda cli, out: _exported_dates(out)),
    ("ledger", "cash", "on_date"): (["ledger", "cash", "--date", "{}"], "06/03/2020", ["12.00"],
                                    lambda cli, out: [r["cash"] for r in _json(out)]),
    ("enforce", "today"): (["enforce", "--dry-run", "--today", "{}"], "05/03/2026", "2026-03-05",
                           lambda cli, out: _json(out)["today"]),
    ("provision", "today"): (["provision", "--dry-run", "--today", "{}"], "05/03/2026", "2026-03-05",
                             lambda cli, out: _json(out)["today"]),
    ("invoice", "authorize", "today"): (["--yes", "invoice", "authorize", "--today", "{}"], "05/03/2026", "2026-03-05",
                                        lambda cli, out: _json(out)["today"]),
    ("preaviso", "now"): (["preaviso", "--dry-run", "--now", "{}"], "05/03/2026 10:30", "2026-03-05 10:30:00",
                          lambda cli, out: _json(out)["today"]),
    ("commit", "due"): (["commit", "A1", "{}"], "05/03/2090", "2090-03-05",
                        lambda cli, out: _json(out)["commitment"]),
    ("collect", "sepa", "collection_date"): (["collect", "sepa", "--dry-run", "--collection-date", "{}"],
                                             "05/03/2090", True,        # read as 5 March, then refused:
                                             lambda cli, out: "--collection-date 2090-03-05 is more than 366 days "
                                                              "ahead" in out.stderr),
    ("demo", "today"): (["demo", "--path", "{tmp}/demo.db", "--clients", "5", "--today", "{}"], "05/03/2026", True,
                        lambda cli, out: _json(out) and "2026-03-05" in out.stdout and "2026-05-03" not in out.stdout),
    ("mercadopago", "link", "amount"): (["mercadopago", "link", "A1", "--amount", "{}"], LOCAL_AMOUNT, READ_AMOUNT,
                                        lambda cli, out: _json(out)["amount"]),
    **{("company", command, "activity_start"): (
        ["company", command, *(["--number", "3", "--name", "Red Norte SA"] if command == "add" else ["2"]),
         "--activity-start", "{}"], "5/3/20", "2020-03-05",
        lambda cli, out, number=3 if command == "add" else 2: _json(out) and next(
            c["activity_start"] for c in cli.json("company", "list") if c["number"] == number))
       for command in ("add", "edit")},
    ("stripe", "charge", "amount"): (["stripe", "charge", "A1", "{}"], LOCAL_AMOUNT, True,      # read, then refused:
                                     lambda cli, out: "client A1 has no saved card" in out.stderr),
    **{("client", command, field): (["client", command, *_client_args(command), f"--{field.replace('_', '-')}", "{}"],
                                    "5/3/20", "2020-03-05", _client_field(command, field))
       for command in ("add", "edit") for field in ("signup_date", "contract_expiry", "mandate_date")},
}


def _options_taking_money_or_dates() -> set[tuple[str, ...]]:
    root = typer.main.get_command(app)
    found = set()
    for path, command in _walk(root, []):
        for param in command.params:
            if getattr(param, "hidden", False) or isinstance(param, click.Option) and param.is_flag:
                continue
            key = (*path, param.name or "")
            if param.metavar in MARKED or (_SPEAKS_OF.search(param.name or "") and key not in NOT_MONEY_OR_DATE):
                found.add(key)
    return found


CASES[("client", "list", "balance_over")] = (["client", "list", "--balance-over", "{}"], LOCAL_AMOUNT, [],
                                              lambda cli, out: [row["code"] for row in _json(out)])


def test_every_option_taking_money_or_a_date_is_in_the_table():
    found = _options_taking_money_or_dates()
    assert found == set(CASES), (f"not in the table: {sorted(found - set(CASES))}; "
                                 f"no longer options: {sorted(set(CASES) - found)}")


@pytest.fixture
def shop(cli, monkeypatch):
    """An Argentine ISP (decimal comma, day first: the country's defaults) with a client and a plan,
    and a simulated Mercado Pago for its payment links."""
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_not_used")
    mercadopago = MercadoPagoSimulator("APP_USR-local-formats").start()
    monkeypatch.setenv("ISPCUBE_MERCADOPAGO_TOKEN", mercadopago.token)
    cli.ok("config", "set", "mercadopago.url", mercadopago.url)
    cli.ok("plan", "add", "--name", "Base", "--price", "1000")
    cli.ok("client", "add", "--code", "A1", "--name", "Ana", "--mandate-ref", "M-1")
    cli.ok("company", "add", "--number", "2", "--name", "Red Sur SA")
    for day, cash in (("2020-03-04", "11"), ("2020-03-06", "12")):
        cli.ok("pay", "A1", "--cash", cash, "--date", day)
    yield cli
    mercadopago.stop()


@pytest.mark.parametrize("case", sorted(CASES), ids=" ".join)
def test_each_option_reads_the_local_format(shop, case, tmp_path):
    args, value, expected, read = CASES[case]
    out = shop("--format", "json", *[arg.replace("{}", value).replace("{tmp}", str(tmp_path)) for arg in args])
    assert read(shop, out) == expected


AMOUNT_CASES = sorted(case for case in CASES if CASES[case][1] == LOCAL_AMOUNT)


@pytest.mark.parametrize("case", AMOUNT_CASES, ids=" ".join)
def test_an_ambiguous_amount_is_refused_with_its_reading_everywhere(shop, case):
    args = CASES[case][0]
    before = shop.json("ledger", "show", "A1"), shop.json("plan", "list")
    out = shop(*[arg.replace("{}", AMBIGUOUS) for arg in args])
    assert out.exit_code == 1, out.stdout + out.stderr
    assert "'1.234' is ambiguous with locale.decimal comma: it would read as 1234; write 1234 or 1.234,00" \
        in out.stderr
    assert (shop.json("ledger", "show", "A1"), shop.json("plan", "list")) == before


def test_the_point_locale_reads_the_same_options_the_other_way(shop):
    shop.ok("config", "set", "locale.decimal", "point")
    shop.ok("config", "set", "locale.dates", "mdy")
    assert shop.json("pay", "A1", "--cash", "1,234.5")["cash"] == "1234.50"
    refused = shop("pay", "A1", "--cash", "1,234")
    assert refused.exit_code == 1 and "ambiguous with locale.decimal point: it would read as 1234" in refused.stderr
    shop.ok("client", "edit", "A1", "--signup-date", "03/05/2020")
    assert shop.json("client", "show", "A1")["signup_date"] == "2020-03-05"
    refused = shop("client", "edit", "A1", "--signup-date", "13/05/2020")
    assert refused.exit_code == 1 and "month/day/year as locale.dates mdy says" in refused.stderr


def test_settings_read_money_in_the_local_format(shop):
    assert shop.json("config", "set", "unlock_threshold", "1.500,5")["value"] == "1500.50"
    refused = shop("config", "set", "unlock_threshold", "1.500")
    assert refused.exit_code == 1 and "ambiguous with locale.decimal comma" in refused.stderr
    assert shop.json("config", "get", "unlock_threshold")["value"] == "1500.50"
    refused = shop("config", "set", "locale.decimal", "semicolon")
    assert refused.exit_code == 1 and "is not comma or point" in refused.stderr


def test_other_digits_and_absurd_amounts_are_refused_in_one_sentence(shop):
    for text, reason in (("١٢٣", "has digits other than 0-9"), ("１２３", "has digits other than 0-9"),
                         ("9" * 300, "is too large (at most 999999999999.99)")):
        refused = shop("pay", "A1", "--cash", text)
        assert refused.exit_code == 1 and reason in refused.stderr and "Traceback" not in refused.stderr
