"""Payment commitments (N5): postponed cut, checked on the date after a balance rebuild,
kept when paid, cut when not, the cut retried for 5 days when the router is down."""

from contextlib import ExitStack
import json

import pytest
from sqlalchemy import text

from tests.support.network import add_client, add_mikrotik, cut_list, start_simulators


@pytest.fixture
def net(cli):
    with ExitStack() as stack:
        (core,) = start_simulators(stack, 1)
        add_mikrotik(cli, "core", core)
        add_client(cli, "D1", "core", "10.0.0.1", debt="100")
        add_client(cli, "D2", "core", "10.0.0.2", debt="100")
        yield cli, core


def test_commit_set_show_clear_and_bad_input(net):
    cli, _ = net
    for args, message in [(["D1", "2026-02-30"], "commitment date '2026-02-30'"),
                          (["D1", "2000-01-01"], "is in the past"),
                          (["NOPE", "2099-01-01"], "client 'NOPE' does not exist")]:
        result = cli("commit", *args)
        assert result.exit_code == 1 and message in result.stderr, result.stderr
    assert cli("commit", "D1").exit_code == 2
    cli.ok("commit", "D1", "2099-05-10")
    assert cli.json("client", "show", "D1")["commitment"] == "2099-05-10"
    cli.ok("commit", "D1", "--clear")
    assert cli.json("client", "show", "D1")["commitment"] is None
    assert cli("commit", "D1", "--clear").exit_code == 1
    kinds = [e["kind"] for e in cli.json("client", "log", "D1")]
    assert kinds[-2:] == ["commitment.set", "commitment.clear"]


def test_kept_when_paid_cut_on_the_date_when_not(net, runtime):
    cli, core = net
    with runtime.uow() as uow:    # a commitment recorded back then (its date is now in the past)
        for code in ("D1", "D2"):
            uow.session.execute(text(
                "INSERT INTO commitments (client_id, due_date, status, operator, created_at) "
                "SELECT id, :due, 'open', 'system', :at FROM clients WHERE code = :code"),
                {"due": "2026-03-10", "at": "2026-03-01 10:00:00", "code": code})
        uow.commit()
    cli.ok("--yes", "enforce", "--today", "2026-03-05")
    assert cut_list(core) == {}                           # postponed until the date
    cli.ok("pay", "D1", "--cash", "100", "--no-enable")
    summary = cli.json("--yes", "enforce", "--today", "2026-03-10")
    assert summary["cut"] == 1 and cut_list(core) == {"10.0.0.2": "D2"}
    assert "commitment of 2026-03-10 kept" in cli.json("client", "log", "D1")[-1]["message"]
    messages = [e["message"] for e in cli.json("client", "log", "D2")]
    assert any("commitment of 2026-03-10 not met" in m for m in messages)


def test_the_balance_is_rebuilt_before_the_check(net, runtime):
    cli, core = net
    with runtime.uow() as uow:
        uow.session.execute(text("UPDATE clients SET balance = 0 WHERE code = 'D1'"))   # a stale cache
        uow.session.execute(text(
            "INSERT INTO commitments (client_id, due_date, status, operator, created_at) "
            "SELECT id, '2026-03-10', 'open', 'system', '2026-03-01 10:00:00' FROM clients WHERE code = 'D1'"))
        uow.commit()
    cli.ok("--yes", "enforce", "--today", "2026-03-10", "--router", "core")
    assert "10.0.0.1" in cut_list(core)
    assert "ledger.rebuild" in [e["kind"] for e in cli.json("client", "log", "D1")]


def test_the_cut_is_retried_for_five_days_then_given_up(net, runtime):
    cli, core = net
    cli.ok("pay", "D2", "--cash", "100", "--no-enable")
    with runtime.uow() as uow:
        uow.session.execute(text(
            "INSERT INTO commitments (client_id, due_date, status, operator, created_at) "
            "SELECT id, '2026-03-10', 'open', 'system', '2026-03-01 10:00:00' FROM clients WHERE code = 'D1'"))
        uow.commit()
    cli.ok("config", "set", "enforce.retry_days", "1")    # commitments keep their own 5 days
    core.refuse_connections = True
    for day in ("2026-03-10", "2026-03-11", "2026-03-15"):
        result = cli("--format", "json", "--yes", "enforce", "--today", day)
        assert result.exit_code == 3 and json.loads(result.stdout)["expired"] == 0, day
    result = cli("--format", "json", "--yes", "enforce", "--today", "2026-03-16")
    assert result.exit_code == 3
    assert [(e["client"], e["since"]) for e in json.loads(result.stdout)["expired_tasks"]] == [
        ("D1", "2026-03-10")]
    assert cli.json("client", "log", "D1")[-1]["kind"] == "service.expired"


def test_a_commitment_in_force_restores_a_client_cut_by_the_job(net):
    cli, core = net
    cli.ok("enforce")
    assert len(cut_list(core)) == 2
    cli.ok("commit", "D1", "2099-01-01")
    cli.ok("enforce")
    assert cut_list(core) == {"10.0.0.2": "D2"}
    assert "a payment commitment is in force" in cli.json("client", "log", "D1")[-2]["message"]


def test_a_deleted_client_is_not_cut_when_its_commitment_falls_due(net, runtime):
    cli, core = net
    with runtime.uow() as uow:    # made before the client was deleted
        uow.session.execute(text(
            "INSERT INTO commitments (client_id, due_date, status, operator, created_at) "
            "SELECT id, :due, 'open', 'system', :at FROM clients WHERE code = 'D1'"),
            {"due": "2026-03-10", "at": "2026-03-01 10:00:00"})
        uow.commit()
    cli.ok("--yes", "enforce", "--today", "2026-03-05")
    assert cut_list(core) == {"10.0.0.2": "D2"}
    cli.ok("--yes", "client", "delete", "D1")
    summary = cli.json("--yes", "enforce", "--today", "2026-03-10")
    assert summary["cut"] == 0 and cut_list(core) == {"10.0.0.2": "D2"}
    assert "commitment.check" not in [e["kind"] for e in cli.json("client", "log", "ZZ00000001")]
