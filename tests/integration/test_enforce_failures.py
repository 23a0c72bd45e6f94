"""R2: routers that are down, refuse the login or answer errors; retries, expiry, exit 3."""

from contextlib import ExitStack
import json

import pytest

from tests.support.network import add_client, add_mikrotik, cut_list, start_simulators


@pytest.fixture
def net(cli):
    with ExitStack() as stack:
        sims = start_simulators(stack, 4)
        for name, sim in zip(("down", "badlogin", "errors", "good"), sims, strict=True):
            add_mikrotik(cli, name, sim)
        yield cli, dict(zip(("down", "badlogin", "errors", "good"), sims, strict=True))


def test_failing_routers_do_not_stop_the_others_and_expire_after_the_window(net):
    cli, sims = net
    sims["down"].refuse_connections = True
    sims["badlogin"].fail_login = True
    sims["errors"].trap_on = {"/ip/firewall/address-list/add"}
    for index, name in enumerate(("down", "badlogin", "errors", "good")):
        add_client(cli, f"C{index}", name, f"10.0.{index}.1", debt="100")

    first = cli("--format", "json", "--yes", "enforce", "--today", "2026-03-01")
    assert first.exit_code == 3, first.stderr
    assert "3 failure(s) on the routers" in first.stderr
    assert cut_list(sims["good"]) == {"10.0.3.1": "C3"}
    summary = json.loads(first.stdout)
    status = {r["router"]: (r["status"], r["error"]) for r in summary["routers"]}
    assert status["good"] == ("ok", None)
    assert status["down"][0] == "failed" and "router down: " in status["down"][1]
    assert "invalid user name or password" in status["badlogin"][1]
    assert "action timed out" in status["errors"][1]

    for day in ("2026-03-02", "2026-03-06"):       # still retried within enforce.retry_days (5)
        again = cli("--format", "json", "--yes", "enforce", "--today", day)
        assert again.exit_code == 3 and json.loads(again.stdout)["expired"] == 0
    sims["errors"].trap_on = set()
    healed = json.loads(cli("--format", "json", "--yes", "enforce", "--today", "2026-03-06").stdout)
    assert healed["done"] == 1 and cut_list(sims["errors"]) == {"10.0.2.1": "C2"}

    last = cli("--format", "json", "--yes", "enforce", "--today", "2026-03-07")
    assert last.exit_code == 3 and "2 task(s) expired" in last.stderr
    expired = json.loads(last.stdout)["expired_tasks"]
    assert sorted((e["client"], e["router"], e["since"]) for e in expired) == [
        ("C0", "down", "2026-03-01"), ("C1", "badlogin", "2026-03-01")]
    log = cli.json("client", "log", "C0")
    assert log[-1]["kind"] == "service.expired" and "gave up cut on router down" in log[-1]["message"]
    assert sum(e["kind"] == "service.expired" for e in log) == 1

    sims["down"].refuse_connections = False     # back up after the window: the drift is still fixed
    after = cli("--format", "json", "--yes", "enforce", "--today", "2026-03-08")
    assert json.loads(after.stdout)["expired"] == 0
    assert cut_list(sims["down"]) == {"10.0.0.1": "C0"}


def test_a_reply_lost_mid_way_is_retried_without_duplicates(net):
    cli, sims = net
    good = sims["good"]
    add_client(cli, "C1", "good", "10.0.3.1", debt="100")
    add_client(cli, "C2", "good", "10.0.3.2", debt="100")
    good.drop_after_words = 1          # the add is done but its reply never arrives
    result = cli("--yes", "enforce", "--today", "2026-03-01")
    assert result.exit_code == 3
    good.drop_after_words = None
    cli.ok("--yes", "enforce", "--today", "2026-03-01")
    assert cut_list(good) == {"10.0.3.1": "C1", "10.0.3.2": "C2"}
    good.reset_counters()
    cli.ok("--yes", "enforce", "--today", "2026-03-02")
    assert good.writes == 0
    kinds = [e["kind"] for e in cli.json("client", "log", "C1")]
    assert kinds.count("service.cut") == 1 and kinds.count("router.cut") == 1


def test_a_restore_cancels_the_pending_cut(net):
    cli, sims = net
    sims["down"].refuse_connections = True
    add_client(cli, "C0", "down", "10.0.0.1", debt="100")
    assert cli("--yes", "enforce", "--today", "2026-03-01").exit_code == 3
    cli.ok("pay", "C0", "--cash", "100", "--no-enable")
    assert cli("--yes", "enforce", "--today", "2026-03-02").exit_code == 3     # the restore waits for the router
    sims["down"].refuse_connections = False
    sims["down"].add_address("ispcube-cut", "10.0.0.1", comment="C0")
    cli.ok("--yes", "enforce", "--today", "2026-03-03")
    assert cut_list(sims["down"]) == {}
    cli.ok("--yes", "enforce", "--today", "2026-03-20")                        # nothing left to expire
