"""Pipelined writes to a MikroTik (S5): tagged commands in flight on one connection, answers
matched by tag when the router answers out of order, a trap failing its own change only
(that change retried by the next run, the others kept), and about N / depth round trips."""

from contextlib import ExitStack
import socket
import time

import pytest
from sqlalchemy import select

from ispcube.adapters.drivers import CUT_LIST, RouterConfig, Target, Write, driver_for
from ispcube.adapters.routeros_pipeline import Answer, LostConnection, PipelinedWriter
from ispcube.db import models as m
from ispcube.db.network_models import RouterTask
from ispcube.errors import RouterProtocolError, RouterUnreachable
from ispcube.sim.routeros import RouterOSSimulator
from tests.support.bulk import client_ip, seed_clients
from tests.support.network import add_mikrotik, cut_list, start_simulators

PASSWORD = "pw"


def _logged_in(sim: RouterOSSimulator) -> socket.socket:
    sock = socket.create_connection(sim.address, timeout=5)
    writer = PipelinedWriter(sock)
    assert writer.run([["/login", "=name=admin", f"=password={PASSWORD}"]]) == [Answer()]
    return sock


@pytest.fixture
def sim():
    with RouterOSSimulator(password=PASSWORD, frozen_clock=True) as router:
        yield router


def test_answers_out_of_order_are_matched_to_their_commands(sim):
    sim.out_of_order = 5
    sim.add_address("ispcube-cut", "10.0.0.7", comment="someone")        # the 7th add is refused
    sock = _logged_in(sim)
    commands = [["/ip/firewall/address-list/add", "=list=ispcube-cut", f"=address=10.0.0.{n}", f"=comment=C{n}"]
                for n in range(1, 24)]
    answers = PipelinedWriter(sock, depth=8).run(commands)
    sock.close()
    assert answers[6] == Answer(True, "failure: already have such entry")
    ids = {row["address"]: row[".id"] for row in sim.address_list()}
    assert [answer.ret for answer in answers] == [ids[f"10.0.0.{n}"] if n != 7 else None for n in range(1, 24)]
    assert all(not answer.trapped for index, answer in enumerate(answers) if index != 6)
    assert sim.writes == 22


def test_commands_in_flight_cost_about_one_round_trip_per_depth(sim):
    sock = _logged_in(sim)
    sim.latency_ms = 50
    started = time.monotonic()
    answers = PipelinedWriter(sock, depth=16).run(
        [["/queue/simple/add", f"=name=q{n}", f"=target=10.1.0.{n}"] for n in range(64)])
    elapsed = time.monotonic() - started
    sock.close()
    assert len(answers) == 64 and not any(answer.trapped for answer in answers)
    assert 0.2 <= elapsed < 0.2 * 2    # 64 / 16 = 4 round trips of 50 ms, not 64


def test_a_session_ended_by_the_router_is_a_lost_connection(sim):
    sock = _logged_in(sim)
    with pytest.raises(LostConnection, match="ended the session"):
        PipelinedWriter(sock).run([["/quit"]])
    sock.close()


def _driver(sim: RouterOSSimulator, depth: int = 4):
    return driver_for(RouterConfig("core", "mikrotik", sim.host, sim.port, username="admin", secret=PASSWORD,
                                   write_depth=depth))


def test_driver_writes_a_batch_a_trap_failing_its_change_only(sim):
    sim.out_of_order = 3
    sim.add_ppp_secret("ana")
    sim.add_ppp_active("ana", address="10.0.0.1")
    sim.trap_words = {"=address=10.0.0.5"}
    targets = [Target(n, f"C{n}", f"10.0.0.{n}", "ana" if n == 1 else None) for n in range(1, 11)]
    with _driver(sim) as driver:
        holding = driver.read(CUT_LIST, targets)
        errors = driver.write_many(holding, [Write("mark", target) for target in targets])
        assert driver.writes == 11          # nine adds, plus the secret disabled and its session removed
    assert [n for n, error in enumerate(errors, start=1) if error is not None] == [5]
    assert isinstance(errors[4], RouterProtocolError) and str(errors[4]).startswith("router core: action timed out")
    assert sorted(cut_list(sim)) == sorted(f"10.0.0.{n}" for n in range(1, 11) if n != 5)
    assert sim.ppp_secrets()[0]["disabled"] == "true" and sim.ppp_active() == []
    assert holding.entries.get("10.0.0.5") is None and holding.entries["10.0.0.4"] == "C4"
    sim.trap_words = set()
    with _driver(sim) as driver:                # what failed is written again; the rest is not
        holding = driver.read(CUT_LIST, targets)
        assert [driver.marked(holding, target) for target in targets] == [n != 5 for n in range(1, 11)]
        assert driver.write_many(holding, [Write("clear", target) for target in targets]) == [None] * 10
        assert driver.writes == 10          # nine removes and the secret enabled again
    assert cut_list(sim) == {} and sim.ppp_secrets()[0]["disabled"] == "false"


def test_driver_losing_the_router_fails_the_whole_batch(sim):
    targets = [Target(n, f"C{n}", f"10.0.0.{n}") for n in range(1, 6)]
    with _driver(sim) as driver:
        holding = driver.read(CUT_LIST, targets)
        sim.drop_after_words = 0
        errors = driver.write_many(holding, [Write("mark", target) for target in targets])
    assert all(isinstance(error, RouterUnreachable) for error in errors)
    assert str(errors[0]) == "router core: unreachable (the router closed the connection)"


@pytest.fixture
def net(cli):
    with ExitStack() as stack:
        (core,) = start_simulators(stack, 1)
        add_mikrotik(cli, "core", core)
        yield cli, core


def test_enforce_keeps_the_others_when_one_change_is_refused_and_retries_it(net, runtime):
    from ispcube.services.enforcement.enforce import run_enforce
    cli, core = net
    with runtime.uow() as uow:
        router_ids = list(uow.session.scalars(select(m.Router.id)))
    seed_clients(runtime.engine, router_ids, 40, debtor=lambda n: True)
    core.out_of_order = 4
    core.trap_words = {f"=address={client_ip(17)}"}
    first = run_enforce(runtime)
    assert (first.cut, first.done, first.failed) == (40, 39, 1)
    assert len(cut_list(core)) == 39 and client_ip(17) not in cut_list(core)
    assert core.command_counts["/ip/firewall/address-list/add"] == 40
    [(target, error)] = _open_tasks(runtime)
    assert target == client_ip(17) and error.startswith("router core: action timed out")
    core.trap_words = set()
    core.reset_counters()
    second = run_enforce(runtime)
    assert (second.done, second.failed) == (1, 0) and core.writes == 1
    assert cut_list(core)[client_ip(17)] == "B000017" and len(cut_list(core)) == 40
    assert _open_tasks(runtime) == []


def _open_tasks(runtime):
    with runtime.uow() as uow:
        return [tuple(row) for row in uow.session.execute(
            select(RouterTask.target, RouterTask.last_error).where(RouterTask.status == "open"))]
