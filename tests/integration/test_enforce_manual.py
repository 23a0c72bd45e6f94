"""Manual service state (N6): `client disable|enable` act on the routers at once, win over the
job, and are queued for the job when a router is down; `pay --enable` acts on the routers."""

from contextlib import ExitStack

import pytest

from tests.support.network import add_client, add_mikrotik, cut_list, start_simulators


@pytest.fixture
def net(cli):
    with ExitStack() as stack:
        (core,) = start_simulators(stack, 1)
        add_mikrotik(cli, "core", core)
        yield cli, core


def test_disable_and_enable_act_at_once_and_win_over_the_job(net):
    cli, core = net
    core.add_ppp_secret("p1")
    add_client(cli, "P1", "core", "10.0.0.1", pppoe="p1")
    add_client(cli, "D1", "core", "10.0.0.2", debt="100")
    assert cli("client", "disable", "P1").exit_code == 2          # --reason is required
    out = cli.ok("client", "disable", "P1", "--reason", "equipo robado").stdout
    assert "client P1 disabled" in out and "router core: done" in out
    assert cut_list(core) == {"10.0.0.1": "P1"} and core.ppp_secrets()[0]["disabled"] == "true"
    assert cli.json("client", "show", "P1")["service"] == "cut"
    assert "equipo robado" in cli.json("client", "log", "P1")[-2]["message"]

    cli.ok("client", "enable", "D1", "--reason", "promised to pay")
    core.reset_counters()
    summary = cli.json("enforce")
    assert (summary["cut"], summary["restored"], core.writes) == (0, 0, 0)   # manual states win
    assert cut_list(core) == {"10.0.0.1": "P1"}

    cli.ok("client", "enable", "P1")
    assert cut_list(core) == {} and core.ppp_secrets()[0]["disabled"] == "false"


def test_manual_enable_lasts_until_the_debt_is_settled(net):
    cli, core = net
    add_client(cli, "D1", "core", "10.0.0.2", debt="100")
    cli.ok("enforce")
    cli.ok("client", "enable", "D1")
    cli.ok("pay", "D1", "--cash", "100", "--no-enable")
    cli.ok("enforce")                         # paid: back under the job's control
    assert cli.json("client", "log", "D1")[-1]["kind"] == "service.auto"
    cli.ok("ledger", "adjust", "D1", "--debit", "50", "--reason", "new debt")
    cli.ok("enforce")
    assert cut_list(core) == {"10.0.0.2": "D1"}


def test_disable_with_the_router_down_is_queued_and_done_by_the_job(net):
    cli, core = net
    add_client(cli, "P1", "core", "10.0.0.1")
    core.refuse_connections = True
    result = cli("client", "disable", "P1", "--reason", "moroso")
    assert result.exit_code == 3
    assert "not applied on router core" in result.stderr and "queued" in result.stderr
    assert cli.json("client", "show", "P1")["service"] == "cut"
    core.refuse_connections = False
    cli.ok("enforce")
    assert cut_list(core) == {"10.0.0.1": "P1"}


def test_pay_enable_restores_on_the_router(net):
    cli, core = net
    add_client(cli, "D1", "core", "10.0.0.2", debt="100")
    cli.ok("enforce")
    assert cut_list(core) == {"10.0.0.2": "D1"}
    cli.ok("pay", "D1", "--cash", "100", "--enable")
    assert cut_list(core) == {}
    assert cli.json("client", "show", "D1")["service"] == "active"


def test_a_payment_at_the_counter_asks_its_questions_through_the_caller(net, runtime):
    from ispcube.services.payments.counter import pay_at_counter
    cli, core = net
    add_client(cli, "D1", "core", "10.0.0.2", debt="100")
    cli.ok("enforce")
    asked: list[str] = []
    answers = {"Print": False, "Client": True}

    def ask(question: str) -> bool:
        asked.append(question)
        return answers[question.split()[0]]
    done = pay_at_counter(runtime, "D1", cash="100", ask_print=ask, ask_enable=ask,
                          on_receipt=lambda document: asked.append(f"written {document.path}"))
    assert asked == ["Print receipt 1 to a PDF?", "Client D1 is cut and now owes 0.00 overdue: re-enable it?"]
    assert done.enabled is not None and not done.enabled.queued and done.as_dict()["enabled"] is True
    assert (done.paid.receipt, cut_list(core)) == (1, {})
    cli.ok("ledger", "adjust", "D1", "--debit", "50", "--reason", "test debt")
    again = pay_at_counter(runtime, "D1", cash="10", ask_print=ask, ask_enable=ask, on_receipt=print)
    assert asked[-1] == "Print receipt 2 to a PDF?" and again.enabled is None   # not cut: nothing to ask


def test_enable_asks_about_a_commitment_or_takes_the_flag(net):
    cli, core = net
    add_client(cli, "D1", "core", "10.0.0.2", debt="100")
    cli.ok("client", "disable", "D1", "--reason", "x")
    cli.ok("commit", "D1", "2099-01-10")
    cli.ok("client", "enable", "D1")                 # off a terminal: the safe default keeps it
    assert cli.json("client", "show", "D1")["commitment"] == "2099-01-10"
    cli.ok("client", "disable", "D1", "--reason", "x")
    cli.ok("client", "enable", "D1", "--drop-commitment")
    assert cli.json("client", "show", "D1")["commitment"] is None
    assert "commitment.clear" in [e["kind"] for e in cli.json("client", "log", "D1")]


def test_unknown_client_is_an_error(net):
    cli, _ = net
    result = cli("client", "disable", "NOPE", "--reason", "x")
    assert result.exit_code == 1 and "client 'NOPE' does not exist" in result.stderr


def test_pay_enable_with_the_router_down_says_queued_and_the_payment_stands(net):
    cli, core = net
    add_client(cli, "D1", "core", "10.0.0.2", debt="100")
    cli.ok("enforce")
    core.refuse_connections = True
    result = cli("pay", "D1", "--cash", "100", "--enable")
    assert result.exit_code == 3, result.stderr
    assert "re-enabled" not in result.stdout and "receipt 1 recorded" in result.stdout
    assert "not applied on router core" in result.stderr and "queued" in result.stderr
    assert "payment stands" in result.stderr and result.stderr.count("\n") == 1
    shown = cli.json("client", "show", "D1")
    assert (shown["service"], shown["balance"]) == ("active", "0.00")
    assert cut_list(core) == {"10.0.0.2": "D1"}
    core.refuse_connections = False
    cli.ok("enforce")
    assert cut_list(core) == {}


def test_pay_enable_with_the_router_down_in_json_still_exits_3(net):
    cli, core = net
    add_client(cli, "D1", "core", "10.0.0.2", debt="100")
    cli.ok("enforce")
    core.refuse_connections = True
    result = cli("--format", "json", "pay", "D1", "--cash", "100", "--enable")
    assert result.exit_code == 3 and "queued" in result.stderr
    assert '"enabled": true' in result.stdout


def test_a_manual_change_waits_for_a_busy_router_then_says_queued(net, runtime, monkeypatch):
    from ispcube.adapters.drivers import CUT_LIST
    from ispcube.services.enforcement import router_lock
    cli, core = net
    add_client(cli, "P1", "core", "10.0.0.1")
    from sqlalchemy import select

    from ispcube.db import models as m
    with runtime.uow() as uow:
        core_id = uow.session.scalar(select(m.Router.id).where(m.Router.name == "core"))
    monkeypatch.setattr(router_lock, "WAIT_S", 0.5)
    with router_lock.router_lock(runtime.engine, core_id, CUT_LIST) as held:   # a run working on core
        assert held
        result = cli("client", "disable", "P1", "--reason", "moroso")
    assert result.exit_code == 3
    assert "not applied on router core" in result.stderr and "queued" in result.stderr
    assert "another process kept writing to it" in result.stderr
    assert cli.json("client", "show", "P1")["service"] == "cut" and cut_list(core) == {}
    cli.ok("enforce")
    assert cut_list(core) == {"10.0.0.1": "P1"}
