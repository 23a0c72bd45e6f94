"""U6: debt brought in by `ledger import` is not cut before `migration.grace_until` (set by the
first import); preaviso warns those clients meanwhile; `enforce --dry-run` names each
would-be cut, and each client the grace holds back, with why."""

from contextlib import ExitStack
import csv
from datetime import date, timedelta
import json

import pytest

from tests.support.network import add_mikrotik, cut_list, start_simulators

HEADER = ["client", "date", "kind", "amount", "reference"]


@pytest.fixture
def moved(cli, tmp_path):
    """M1 and M2 came with debt from the old system; M2 and N1 are billed March 2026 here."""
    with ExitStack() as stack:
        (core,) = start_simulators(stack, 1)
        add_mikrotik(cli, "core", core)
        cli.ok("plan", "add", "--name", "Hogar", "--price", "1000")
        for code, ip, plan in (("M1", "10.0.0.1", ()), ("M2", "10.0.0.2", ("--plan", "Hogar")),
                               ("N1", "10.0.0.3", ("--plan", "Hogar"))):
            cli.ok("client", "add", "--code", code, "--name", f"Cliente {code}", "--address", f"Calle {code}",
                   "--signup-date", "2025-01-01", *plan)
            cli.ok("connection", "add", code, "--router", "core", "--ip", ip, *plan)
        ledger = tmp_path / "saldos.csv"
        with ledger.open("w", newline="", encoding="utf-8") as out:
            csv.writer(out).writerows([HEADER, ["M1", "2026-01-01", "opening", "5000", "SI-M1"],
                                       ["M2", "2026-01-01", "opening", "3000", "SI-M2"]])
        imported = cli.ok("ledger", "import", str(ledger)).stdout
        cli.ok("billing", "run", "--period", "2026-03")                  # due on the 10th
        yield cli, core, imported


def test_the_first_import_sets_the_grace_date_from_the_preaviso_window(moved, tmp_path):
    cli, core, imported = moved
    until = date.today() + timedelta(days=10)                          # warnings run on days 1 to 10
    assert cli.ok("config", "get", "migration.grace_until").stdout.strip() == until.isoformat()
    assert f"migration.grace_until set to {until}: debt brought in by ledger import is not cut" in imported
    cli.ok("config", "set", "migration.grace_until", "2026-04-01")
    again = tmp_path / "more.csv"
    again.write_text("client,date,kind,amount,reference\nN1,2026-01-01,dx,10,X-1\n", encoding="utf-8")
    second = cli.json("ledger", "import", str(again))
    assert second["grace_until"] is None and second["posted"] == 1
    assert cli.ok("config", "get", "migration.grace_until").stdout.strip() == "2026-04-01"
    refused = cli("config", "set", "migration.grace_until", "1/4")
    assert refused.exit_code == 1 and "migration.grace_until" in refused.stderr


def test_migrated_debt_is_not_cut_before_the_grace_date_and_the_plan_says_why(moved):
    cli, core, _ = moved
    cli.ok("config", "set", "migration.grace_until", "2026-04-01")
    plan = cli("enforce", "--dry-run", "--today", "2026-03-20")
    assert plan.exit_code == 0, plan.stderr
    why = [line.split() for line in plan.stdout.split("why:")[1].split("plan:")[0].splitlines()[3:]]
    assert [row[:3] for row in why] == [["M2", "cut", "4000.00"], ["N1", "cut", "1000.00"],
                                        ["M1", "held", "5000.00"]]
    assert " ".join(why[0][3:]).endswith("(for what was posted here; the migrated debt waits until 2026-04-01)")
    assert " ".join(why[2][3:]) == "migrated debt: not cut before 2026-04-01 (migration.grace_until)"
    assert cut_list(core) == {} and core.writes == 0
    decisions = json.loads(cli.ok("--format", "json", "enforce", "--dry-run", "--today", "2026-03-20").stdout)
    assert {d["client"]: d["action"] for d in decisions["decisions"]} == {"M2": "cut", "N1": "cut", "M1": "held"}

    done = cli.json("--yes", "enforce", "--today", "2026-03-20")
    assert done["cut"] == 2 and done["decisions"] == []                  # the reasons come with a plan
    assert cut_list(core) == {"10.0.0.2": "M2", "10.0.0.3": "N1"}
    assert cli.json("client", "show", "M1")["service"] == "active"

    assert cli.json("--yes", "enforce", "--today", "2026-04-01")["cut"] == 1
    assert cut_list(core) == {"10.0.0.1": "M1", "10.0.0.2": "M2", "10.0.0.3": "N1"}


def test_days_overdue_of_a_client_with_migrated_debt_count_from_what_was_posted_here(moved):
    cli, core, _ = moved
    cli.ok("config", "set", "migration.grace_until", "2026-06-01")
    cli.ok("config", "set", "escalation.cut_after_days", "20")
    cli.ok("config", "set", "escalation.throttle_after_days", "3")
    plan = cli.json("enforce", "--dry-run", "--today", "2026-03-15")
    rows = {d["client"]: d for d in plan["decisions"]}
    assert (rows["M2"]["action"], rows["M2"]["days"]) == ("throttle", 5)     # the March invoice, due the 10th
    assert rows["M1"]["action"] == "held"


def test_preaviso_warns_the_clients_with_migrated_debt_while_the_grace_lasts(moved):
    cli, core, _ = moved
    cli.ok("config", "set", "migration.grace_until", "2026-04-06")
    cli.ok("--yes", "preaviso", "--now", "2026-04-02T10:00")
    assert {row["address"] for row in core.address_list("ispcube-preaviso")} == {"10.0.0.1", "10.0.0.2",
                                                                                  "10.0.0.3"}
    core.advance_clock(3600)
    cli.ok("config", "set", "preaviso.every_hours", "1")
    cli.ok("--yes", "preaviso", "--now", "2026-04-07T10:00")                 # the grace is over
    assert "10.0.0.1" not in {row["address"] for row in core.address_list("ispcube-preaviso")}
