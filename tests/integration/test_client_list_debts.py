"""U9: `client list --debtors`, `--balance-over AMOUNT` and `--overdue-days N` pick clients by
what they owe, with the overdue rule enforce uses, in set-based queries."""

import csv
from datetime import date, timedelta

import pytest

TODAY = date.today()          # the listing counts on the real date; the data are dated from it


@pytest.fixture
def owing(cli, tmp_path):
    """A1 owes 1000 due 40 days ago; B2 300 due today; C3 500 not yet due; D4 is in credit."""
    for code in ("A1", "B2", "C3", "D4"):
        cli.ok("client", "add", "--code", code, "--name", f"Cliente {code}", "--address", f"Calle {code}")
    lines = tmp_path / "deudas.csv"
    with lines.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows([
            ["client", "date", "kind", "amount", "reference", "due_date"],
            ["A1", (TODAY - timedelta(days=40)).isoformat(), "dx", "1000", "F-1", ""],
            ["C3", (TODAY - timedelta(days=5)).isoformat(), "dx", "500", "F-2",
             (TODAY + timedelta(days=30)).isoformat()],
        ])
    cli.ok("ledger", "import", str(lines))
    cli.ok("ledger", "adjust", "B2", "--debit", "300", "--reason", "reconexión")
    cli.ok("pay", "D4", "--cash", "200", "--no-enable")
    return cli


def codes(cli, *args: str) -> list[str]:
    return [row["code"] for row in cli.json("client", "list", *args)]


def test_debtors_balance_over_and_overdue_days(owing):
    cli = owing
    assert codes(cli, "--debtors") == ["A1", "B2"]
    assert codes(cli, "--balance-over", "400") == ["A1", "C3"]
    assert codes(cli, "--balance-over", "-1000") == ["A1", "B2", "C3", "D4"]
    assert codes(cli, "--overdue-days", "0") == ["A1", "B2"]
    assert codes(cli, "--overdue-days", "40") == ["A1"]
    assert codes(cli, "--overdue-days", "41") == []
    assert codes(cli, "--debtors", "--balance-over", "500") == ["A1"]
    assert codes(cli, "--debtors", "--search", "B2") == ["B2"]
    cli.ok("pay", "A1", "--cash", "1000", "--no-enable")
    assert codes(cli, "--debtors") == ["B2"] and codes(cli, "--overdue-days", "1") == []


def test_debtors_are_whom_enforce_would_cut(owing):
    cli = owing
    cli.ok("config", "set", "migration.grace_until", TODAY.isoformat())       # no grace for the imported debt
    plan = cli.json("enforce", "--dry-run")
    assert sorted(d["client"] for d in plan["decisions"] if d["action"] == "cut") == codes(cli, "--debtors")


def test_bad_values_are_one_sentence(owing):
    cli = owing
    days = cli("client", "list", "--overdue-days", "many")
    assert days.exit_code == 1 and days.stderr.startswith("ispcube: ") and "--overdue-days" in days.stderr
    assert days.stderr.count("\n") == 1
    amount = cli("client", "list", "--balance-over", "mucho")
    assert amount.exit_code == 1 and "--balance-over 'mucho' is not an amount" in amount.stderr
