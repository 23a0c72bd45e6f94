"""U8: `enforce --today` and `preaviso --now` on a day other than today change routers only
with --yes; without it they run as a dry run and say so in one line."""

from contextlib import ExitStack
from datetime import date, timedelta
import json

import pytest

from tests.support.network import add_client, add_mikrotik, cut_list, start_simulators


@pytest.fixture
def net(cli):
    with ExitStack() as stack:
        (core,) = start_simulators(stack, 1)
        add_mikrotik(cli, "core", core)
        add_client(cli, "D1", "core", "10.0.0.1", debt="500")      # due at once: overdue from today on
        yield cli, core


def test_enforce_on_another_day_is_a_dry_run_unless_yes(net):
    cli, core = net
    today, later = date.today(), (date.today() + timedelta(days=3)).isoformat()
    rehearsal = cli("enforce", "--today", later)
    assert rehearsal.exit_code == 0, rehearsal.stderr
    assert rehearsal.stderr == (f"ispcube: --today {later} is not today ({today}): a dry run, nothing is changed "
                                "(add --yes to apply it)\n")
    assert f"enforce {later}: 1 cut, 0 restored, 1 router changes planned" in rehearsal.stdout
    assert cut_list(core) == {} and core.writes == 0
    assert cli.json("client", "show", "D1")["service"] == "active"

    as_json = cli("--format", "json", "enforce", "--today", later)
    assert json.loads(as_json.stdout)["mode"] == "plan" and as_json.stderr.count("\n") == 1

    applied = cli("--yes", "--format", "json", "enforce", "--today", later)
    assert applied.exit_code == 0 and applied.stderr == ""
    assert json.loads(applied.stdout)["mode"] == "apply"
    assert cut_list(core) == {"10.0.0.1": "D1"}
    assert cli.json("client", "show", "D1")["service"] == "cut"


def test_enforce_as_of_today_applies_without_yes(net):
    cli, core = net
    result = cli("--format", "json", "enforce", "--today", date.today().isoformat())
    assert result.exit_code == 0 and result.stderr == ""
    assert json.loads(result.stdout)["mode"] == "apply" and cut_list(core) == {"10.0.0.1": "D1"}


def test_preaviso_at_another_day_is_a_dry_run_unless_yes(net):
    cli, core = net
    cli.ok("config", "set", "preaviso.to_day", "31")
    moment = f"{date.today() - timedelta(days=1)}T10:00"
    rehearsal = cli("--format", "json", "preaviso", "--now", moment)
    assert rehearsal.exit_code == 0, rehearsal.stderr
    assert rehearsal.stderr == (f"ispcube: --now {moment} is not today ({date.today()}): a dry run, nothing is "
                                "changed (add --yes to apply it)\n")
    assert json.loads(rehearsal.stdout)["mode"] == "plan" and core.writes == 0
    applied = cli("--yes", "--format", "json", "preaviso", "--now", moment)
    assert json.loads(applied.stdout)["mode"] == "apply" and applied.stderr == ""
    today = cli("--format", "json", "preaviso", "--now", f"{date.today()}T10:00")
    assert json.loads(today.stdout)["mode"] == "apply" and today.stderr == ""
