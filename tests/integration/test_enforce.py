"""`ispcube enforce` (N1-N3) against simulated MikroTiks, on SQLite and PostgreSQL."""

from contextlib import ExitStack

import pytest

from tests.support.network import add_client, add_mikrotik, cut_list, start_simulators


@pytest.fixture
def net(cli):
    with ExitStack() as stack:
        sims = start_simulators(stack, 2)
        add_mikrotik(cli, "core", sims[0])
        add_mikrotik(cli, "edge", sims[1])
        yield cli, sims


def test_debtors_cut_payers_restored_and_second_run_writes_nothing(net):
    cli, (core, edge) = net
    core.add_ppp_secret("d2", password="x")
    core.add_ppp_active("d2", address="10.0.0.12")
    add_client(cli, "D1", "core", "10.0.0.11", debt="1000")
    add_client(cli, "D2", "core", "10.0.0.12", debt="1000", pppoe="d2")
    add_client(cli, "P1", "core", "10.0.0.13")
    add_client(cli, "F1", "edge", "10.0.1.11", debt="1000", extra=("--free",))
    add_client(cli, "N1", "edge", "10.0.1.12", debt="1000", extra=("--no-blockable",))
    add_client(cli, "E1", "edge", "10.0.1.13", debt="1000")
    core.add_address("ispcube-cut", "10.9.9.9", comment="blocked by hand")
    core.add_address("other", "10.0.0.13", comment="P1")

    summary = cli.json("enforce")
    assert (summary["cut"], summary["restored"], summary["failed"]) == (3, 0, 0)
    assert cut_list(core) == {"10.0.0.11": "D1", "10.0.0.12": "D2", "10.9.9.9": "blocked by hand"}
    assert cut_list(edge) == {"10.0.1.13": "E1"}
    assert [s["disabled"] for s in core.ppp_secrets()] == ["true"] and core.ppp_active() == []
    assert cut_list(core, "other") == {"10.0.0.13": "P1"}
    assert cli.json("client", "show", "D1")["service"] == "cut"
    assert cli.json("client", "show", "F1")["service"] == "active"
    log = cli.json("client", "log", "D1")
    assert [e["kind"] for e in log][-2:] == ["service.cut", "router.cut"]
    assert "overdue debt 1000.00, threshold 0.00" in log[-2]["message"]

    core.reset_counters(), edge.reset_counters()
    again = cli.json("enforce")
    assert (again["cut"], again["restored"], again["done"]) == (0, 0, 0)
    assert core.writes == edge.writes == 0
    assert core.command_counts["/ip/firewall/address-list/print"] == 1

    cli.ok("pay", "D1", "--cash", "1000", "--no-enable")
    cli.ok("pay", "D2", "--cash", "1000", "--no-enable")
    restored = cli.json("enforce")
    assert restored["restored"] == 2
    assert cut_list(core) == {"10.9.9.9": "blocked by hand"}
    assert [s["disabled"] for s in core.ppp_secrets()] == ["false"]
    assert cli.json("client", "show", "D1")["service"] == "active"


def test_threshold_and_not_yet_due_invoices_are_respected(net):
    cli, (core, _) = net
    cli.ok("config", "set", "unlock_threshold", "500")
    add_client(cli, "A1", "core", "10.0.0.1", debt="500")
    add_client(cli, "A2", "core", "10.0.0.2", debt="500.01")
    assert cli.json("enforce")["cut"] == 1
    assert cut_list(core) == {"10.0.0.2": "A2"}


def test_dry_run_prints_the_plan_and_changes_nothing(net):
    cli, (core, _) = net
    add_client(cli, "D1", "core", "10.0.0.11", debt="1000")
    result = cli.ok("enforce", "--dry-run")
    assert "plan:" in result.stdout and "D1" in result.stdout and "10.0.0.11" in result.stdout
    assert "1 cut" in result.stdout
    assert cut_list(core) == {} and core.writes == 0
    assert cli.json("client", "show", "D1")["service"] == "active"
    assert "service.cut" not in [e["kind"] for e in cli.json("client", "log", "D1")]


def test_check_reports_drift_without_changing_anything(net):
    cli, (core, _) = net
    add_client(cli, "D1", "core", "10.0.0.11", debt="1000")
    add_client(cli, "P1", "core", "10.0.0.12")
    cli.ok("enforce")
    entry = core.address_list("ispcube-cut")[0][".id"]
    with core.lock:
        core.state.address_list.remove(entry)          # someone removed the cut by hand
    core.add_address("ispcube-cut", "10.0.0.12", comment="P1")  # and cut a payer by hand
    core.reset_counters()
    result = cli("enforce", "--check")
    assert result.exit_code == 3, result.stderr
    assert "10.0.0.11" in result.stdout and "10.0.0.12" in result.stdout
    assert "2 difference(s)" in result.stderr and core.writes == 0
    cli.ok("enforce")
    assert cut_list(core) == {"10.0.0.11": "D1"}
    assert cli.ok("enforce", "--check").exit_code == 0


def test_entries_follow_a_changed_ip_and_a_deleted_connection(net):
    cli, (core, _) = net
    add_client(cli, "D1", "core", "10.0.0.11", debt="1000")
    add_client(cli, "D2", "core", "10.0.0.12", debt="1000")
    cli.ok("enforce")
    ids = {c["ip"]: c["id"] for c in cli.json("connection", "list")}
    cli.ok("connection", "edit", str(ids["10.0.0.11"]), "--ip", "10.0.0.21")
    cli.ok("--yes", "connection", "delete", str(ids["10.0.0.12"]))
    cli.ok("enforce")
    assert cut_list(core) == {"10.0.0.21": "D1"}


def test_deleting_a_cut_client_never_gives_its_service_back(net):
    cli, (core, _) = net
    core.add_ppp_secret("d2", password="x")
    add_client(cli, "D1", "core", "10.0.0.11", debt="1000")
    add_client(cli, "D2", "core", "10.0.0.12", debt="1000", pppoe="d2")
    add_client(cli, "P1", "core", "10.0.0.13")
    cli.ok("enforce")
    assert cut_list(core) == {"10.0.0.11": "D1", "10.0.0.12": "D2"}
    out = cli.ok("--yes", "client", "delete", "D1", "D2", "P1").stdout
    lines = out.replace("client ", "").replace(")", "").splitlines()
    zz = dict(line.split(" deleted (now ") for line in lines)
    core.reset_counters()
    summary = cli.json("enforce")
    assert (summary["restored"], summary["done"], core.writes) == (0, 0, 0)
    assert cut_list(core) == {"10.0.0.11": "D1", "10.0.0.12": "D2"}
    assert core.ppp_secrets()[0]["disabled"] == "true"
    assert cli("enforce", "--check").exit_code == 0

    cli.ok("client", "enable", zz["D1"], "--reason", "the operator acts")   # only an operator gives it back
    assert cut_list(core) == {"10.0.0.12": "D2"}
    cli.ok("client", "disable", zz["P1"], "--reason", "equipment kept")
    cli.ok("enforce")
    assert cut_list(core) == {"10.0.0.12": "D2", "10.0.0.13": zz["P1"]}
    assert cli("enforce", "--check").exit_code == 0


def test_recoding_a_cut_client_keeps_it_cut(net):
    cli, (core, _) = net
    add_client(cli, "D1", "core", "10.0.0.11", debt="1000")
    cli.ok("enforce")
    cli.ok("client", "recode", "D1", "D9")
    core.reset_counters()
    cli.ok("enforce")
    assert cut_list(core) == {"10.0.0.11": "D1"} and core.writes == 0
    cli.ok("pay", "D9", "--cash", "1000", "--no-enable")
    cli.ok("enforce")
    assert cut_list(core) == {}


def test_unknown_router_and_bad_date_are_errors(net):
    cli, _ = net
    result = cli("enforce", "--router", "nope")
    assert result.exit_code == 1 and "router 'nope' does not exist" in result.stderr
    result = cli("enforce", "--today", "2026-02-30")
    assert result.exit_code == 1 and "--today '2026-02-30'" in result.stderr
