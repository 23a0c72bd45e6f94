"""Staged escalation (E1-E3) on simulated MikroTiks, on SQLite and PostgreSQL: a debtor is
throttled (address list `ispcube-throttle`) some days after its oldest unpaid debit fell due,
cut some days later (moved to `ispcube-cut`), and restored when it pays; every move shown by
--dry-run, checked by --check, retried while a router is down, and idempotent."""

from contextlib import ExitStack
from datetime import date, timedelta
import json

import pytest
from sqlalchemy import select

from ispcube.db.network_models import RouterTask
from tests.support.network import add_client, add_mikrotik, cut_list, start_simulators

THROTTLE = "ispcube-throttle"
TODAY = date.today()       # `ledger adjust` dates the debit today: it falls due today


def day(n: int) -> str:
    return (TODAY + timedelta(days=n)).isoformat()


@pytest.fixture
def net(cli):
    with ExitStack() as stack:
        sims = start_simulators(stack, 2)
        add_mikrotik(cli, "core", sims[0])
        add_mikrotik(cli, "edge", sims[1])
        cli.ok("config", "set", "escalation.cut_after_days", "10")
        cli.ok("config", "set", "escalation.throttle_after_days", "5")
        yield cli, sims


def test_a_debtor_is_throttled_then_cut_then_restored(net):
    cli, (core, edge) = net
    add_client(cli, "D1", "core", "10.0.0.11", debt="1000")
    add_client(cli, "D2", "edge", "10.0.1.11", debt="1000")
    add_client(cli, "P1", "core", "10.0.0.12")
    add_client(cli, "F1", "edge", "10.0.1.12", debt="1000", extra=("--free",))

    early = cli.json("--yes", "enforce", "--today", day(4))          # not yet 5 days overdue: nothing
    assert (early["throttled"], early["cut"], early["done"]) == (0, 0, 0)
    assert cut_list(core, THROTTLE) == {} and cut_list(core) == {}

    plan = cli.json("enforce", "--dry-run", "--today", day(5))
    assert sorted((c["client"], c["action"]) for c in plan["changes"]) == [("D1", "throttle"), ("D2", "throttle")]
    assert cut_list(core, THROTTLE) == {} and cli.json("client", "show", "D1")["service"] == "active"

    throttled = cli.json("--yes", "enforce", "--today", day(5))
    assert (throttled["throttled"], throttled["cut"], throttled["done"], throttled["failed"]) == (2, 0, 2, 0)
    assert cut_list(core, THROTTLE) == {"10.0.0.11": "D1"} and cut_list(edge, THROTTLE) == {"10.0.1.11": "D2"}
    assert cut_list(core) == {} and cut_list(edge) == {}
    assert cli.json("client", "show", "D1")["service"] == "throttled"
    assert [c["code"] for c in cli.json("client", "list", "--service", "throttled")] == ["D1", "D2"]
    log = cli.json("client", "log", "D1")
    assert [e["kind"] for e in log][-2:] == ["service.throttle", "router.throttle"]
    assert "overdue debt 1000.00, threshold 0.00, 5 days overdue" in log[-2]["message"]
    assert cli.json("enforce", "--check")["drift"] == 0

    core.reset_counters(), edge.reset_counters()
    again = cli.json("--yes", "enforce", "--today", day(6))            # same stage: nothing to write
    assert (again["throttled"], again["cut"], again["done"]) == (0, 0, 0)
    assert core.writes == edge.writes == 0

    plan = cli.json("enforce", "--dry-run", "--today", day(10))
    assert sorted((c["client"], c["action"]) for c in plan["changes"]) == [
        ("D1", "cut"), ("D1", "unthrottle"), ("D2", "cut"), ("D2", "unthrottle")]
    cut = cli.json("--yes", "enforce", "--today", day(10))
    assert (cut["throttled"], cut["cut"], cut["done"]) == (0, 2, 4)
    assert cut_list(core) == {"10.0.0.11": "D1"} and cut_list(core, THROTTLE) == {}
    assert cut_list(edge) == {"10.0.1.11": "D2"} and cut_list(edge, THROTTLE) == {}
    assert cli.json("client", "show", "D2")["service"] == "cut"

    cli.ok("pay", "D1", "--cash", "1000", "--no-enable")
    restored = cli.json("--yes", "enforce", "--today", day(11))
    assert (restored["restored"], restored["done"]) == (1, 1)
    assert cut_list(core) == {} and cut_list(core, THROTTLE) == {}
    assert cli.json("client", "show", "D1")["service"] == "active"
    core.reset_counters(), edge.reset_counters()
    assert cli.json("--yes", "enforce", "--today", day(11))["done"] == 0 and core.writes == edge.writes == 0


def test_a_partial_payment_moves_the_oldest_unpaid_debit_and_the_stage_back(net):
    cli, (core, _) = net
    add_client(cli, "D1", "core", "10.0.0.11", debt="600")
    cli.json("--yes", "enforce", "--today", day(10))
    assert cut_list(core) == {"10.0.0.11": "D1"}
    # A second debit, due later: paying the first (the oldest) leaves only 3 days overdue.
    cli.ok("ledger", "adjust", "D1", "--debit", "400", "--reason", "second month")
    cli.ok("pay", "D1", "--cash", "600", "--no-enable")
    cli.json("--yes", "enforce", "--today", day(3))       # nothing overdue long enough: restored
    assert cli.json("client", "show", "D1")["service"] == "active" and cut_list(core) == {}
    moved = cli.json("--yes", "enforce", "--today", day(7))
    assert moved["throttled"] == 1 and cut_list(core, THROTTLE) == {"10.0.0.11": "D1"}


def test_manual_states_and_commitments_win_over_the_stages(net):
    cli, (core, _) = net
    add_client(cli, "D1", "core", "10.0.0.11", debt="1000")
    add_client(cli, "D2", "core", "10.0.0.12", debt="1000")
    cli.json("--yes", "enforce", "--today", day(6))
    assert cut_list(core, THROTTLE) == {"10.0.0.11": "D1", "10.0.0.12": "D2"}

    cli.ok("client", "enable", "D1", "--reason", "promised at the desk")
    assert cut_list(core, THROTTLE) == {"10.0.0.12": "D2"}       # at once, on the router
    cli.ok("client", "disable", "D2", "--reason", "stolen equipment")
    assert cut_list(core, THROTTLE) == {} and cut_list(core) == {"10.0.0.12": "D2"}
    later = cli.json("--yes", "enforce", "--today", day(12))
    assert (later["throttled"], later["cut"], later["restored"]) == (0, 0, 0)
    assert cli.json("client", "show", "D1")["service"] == "active"

    add_client(cli, "D3", "core", "10.0.0.13", debt="1000")
    cli.json("--yes", "enforce", "--today", day(6))
    assert cut_list(core, THROTTLE) == {"10.0.0.13": "D3"}
    cli.ok("commit", "D3", day(20))
    restored = cli.json("--yes", "enforce", "--today", day(8))
    assert restored["restored"] == 1 and cut_list(core, THROTTLE) == {}


def test_a_router_down_keeps_the_throttle_task_open_for_five_days(net, runtime):
    cli, (core, _) = net
    add_client(cli, "D1", "core", "10.0.0.11", debt="1000")
    core.refuse_connections = True
    failed = cli("--format", "json", "--yes", "enforce", "--today", day(5))
    assert failed.exit_code == 3
    assert json.loads(failed.stdout)["throttled"] == 1
    with runtime.uow() as uow:
        task = uow.session.scalars(select(RouterTask).where(RouterTask.action == "throttle")).one()
        assert (task.status, task.retry_until) == ("open", TODAY + timedelta(days=10))
    core.refuse_connections = False
    drift = cli("--format", "json", "enforce", "--check")
    assert drift.exit_code == 3 and json.loads(drift.stdout)["drift"] == 1
    done = cli.json("--yes", "enforce", "--today", day(6))
    assert (done["done"], done["failed"]) == (1, 0) and cut_list(core, THROTTLE) == {"10.0.0.11": "D1"}
    with runtime.uow() as uow:
        assert uow.session.scalars(select(RouterTask.status).where(RouterTask.action == "throttle")).one() == "done"


def test_both_stages_off_cut_at_once_and_throttled_clients_are_moved_off(net):
    cli, (core, _) = net
    add_client(cli, "D1", "core", "10.0.0.11", debt="1000")
    cli.json("--yes", "enforce", "--today", day(5))
    assert cut_list(core, THROTTLE) == {"10.0.0.11": "D1"}
    cli.ok("config", "set", "escalation.throttle_after_days", "0")
    cli.ok("config", "set", "escalation.cut_after_days", "0")
    moved = cli.json("--yes", "enforce", "--today", day(5))
    assert moved["cut"] == 1 and cut_list(core) == {"10.0.0.11": "D1"} and cut_list(core, THROTTLE) == {}
    core.reset_counters()
    cli.json("--yes", "enforce", "--today", day(5))
    assert core.command_counts["/ip/firewall/address-list/print"] == 1   # the throttle list no longer read


@pytest.mark.parametrize("key, value, words", [
    ("escalation.throttle_rate", "fast", "throttle rate 'fast' is not RX/TX"),
    ("escalation.throttle_rate", "0/1M", "is not RX/TX"),
    ("escalation.throttle_after_days", "-1", "escalation.throttle_after_days"),
    ("escalation.cut_after_days", "3", "must be below escalation.cut_after_days (3)"),
])
def test_bad_escalation_settings_are_refused(net, key, value, words):
    cli, _ = net
    bad = cli("config", "set", key, value)
    assert bad.exit_code == 1 and words in bad.stderr, bad.stderr
    assert str(cli.json("config", "get", "escalation.cut_after_days")["value"]) == "10"


def test_throttled_shows_in_exports_the_listing_and_the_map(net, tmp_path):
    cli, _ = net
    add_client(cli, "D1", "core", "10.0.0.11", debt="1000")
    add_client(cli, "P1", "core", "10.0.0.12")
    cli.ok("client", "edit", "D1", "--lat", "-34.6", "--lng", "-58.4")
    cli.ok("client", "edit", "P1", "--lat", "-34.61", "--lng", "-58.41")
    cli.json("--yes", "enforce", "--today", day(5))
    cli.ok("export", "clients", "--service", "throttled", "--out", str(tmp_path / "t.json"))
    exported = json.loads((tmp_path / "t.json").read_text())
    assert [(c["code"], c["service"]) for c in exported] == [("D1", "throttled")]
    shown = cli.json("map", "--out", str(tmp_path / "map.html"))
    assert (shown["active"], shown["throttled"], shown["cut"]) == (1, 1, 0)
    page = (tmp_path / "map.html").read_text()
    assert "throttled: ['#e65100', '#ffb300']" in page
    assert "1 throttled" in cli.ok("map", "--out", str(tmp_path / "map.html"), "--yes").stdout


def test_each_move_between_stages_writes_one_notice_naming_the_next_step(net, runtime):
    from ispcube.db.notice_models import Notice
    cli, _ = net
    add_client(cli, "D1", "core", "10.0.0.11", debt="1000")
    cli.json("enforce", "--dry-run", "--today", day(5))       # a dry run writes no notice
    cli.json("--yes", "enforce", "--today", day(5))
    cli.json("--yes", "enforce", "--today", day(6))                    # same stage: no second notice
    cli.json("--yes", "enforce", "--today", day(10))
    cli.ok("pay", "D1", "--cash", "1000", "--no-enable")
    cli.json("--yes", "enforce", "--today", day(11))
    with runtime.uow() as uow:
        notices = uow.session.execute(select(Notice.kind, Notice.amount, Notice.next_step, Notice.next_on)
                                      .order_by(Notice.id)).all()
    assert [(kind, next_step, next_on) for kind, _, next_step, next_on in notices] == [
        ("throttled", "cut", TODAY + timedelta(days=10)), ("cut", None, None), ("restored", None, None)]
    assert str(notices[0].amount) == "1000.00"
