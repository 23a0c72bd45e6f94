"""Set-based enforcement (N2, P4 in miniature): the number of SQL statements does not grow with
clients, router calls are one read per list per router plus one per change, and R3: two
concurrent runs, the second exits 75."""

from contextlib import ExitStack
import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import event, select

from ispcube.db import models as m
from ispcube.domain.terms import JobName
from ispcube.services.enforcement.routers import claimed
from tests.support.bulk import pay_all, seed_clients
from tests.support.network import add_mikrotik, cut_list, start_simulators

pytestmark = pytest.mark.slow   # enforce over many clients, and two runs racing as processes


@pytest.fixture
def net(cli):
    with ExitStack() as stack:
        sims = start_simulators(stack, 2)
        add_mikrotik(cli, "r1", sims[0])
        add_mikrotik(cli, "r2", sims[1])
        yield cli, sims


def _router_ids(runtime):
    with runtime.uow() as uow:
        return list(uow.session.scalars(select(m.Router.id).order_by(m.Router.name)))


def _counted_run(runtime):
    from ispcube.services.enforcement.enforce import run_enforce
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(runtime.engine, "before_cursor_execute", listener)
    try:
        summary = run_enforce(runtime)
    finally:
        event.remove(runtime.engine, "before_cursor_execute", listener)
    return summary, len(statements)


def test_queries_do_not_grow_with_clients_and_router_calls_are_minimal(net, runtime):
    cli, sims = net
    ids = _router_ids(runtime)
    debtor = lambda n: n % 4 in (0, 1)  # noqa: E731 - half the clients, on both routers
    seed_clients(runtime.engine, ids, 20, debtor=debtor)
    small, small_queries = _counted_run(runtime)
    assert small.cut == 10 and small.failed == 0

    seed_clients(runtime.engine, ids, 200, debtor=debtor, first=21)
    for sim in sims:
        sim.reset_counters()
    large, large_queries = _counted_run(runtime)
    assert large.cut == 100 and large.failed == 0
    assert large_queries == small_queries
    for sim in sims:
        assert sim.command_counts["/ip/firewall/address-list/print"] == 1
        assert sim.command_counts["/ip/firewall/address-list/add"] == sim.writes == 50
    assert sum(len(cut_list(sim)) for sim in sims) == 110

    pay_all(runtime.engine, lambda n: n % 8 == 0)           # 27 of the 110 pay
    for sim in sims:
        sim.reset_counters()
    paid, _ = _counted_run(runtime)
    assert paid.restored == 27 and sum(sim.writes for sim in sims) == 27
    for sim in sims:
        sim.reset_counters()
    again, _ = _counted_run(runtime)
    assert (again.cut, again.restored, again.done) == (0, 0, 0)
    assert sum(sim.writes for sim in sims) == 0


def test_two_concurrent_runs_the_second_exits_75(net, runtime, db_url):
    cli, sims = net
    seed_clients(runtime.engine, _router_ids(runtime), 12, debtor=lambda n: True)
    for sim in sims:
        sim.latency_ms = 150                     # the first run spends seconds on the routers
    env = {**os.environ, "ISPCUBE_DATABASE_URL": db_url}
    first = subprocess.Popen([sys.executable, "-c", "from ispcube.cli.main import run; run()", "enforce"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while sims[0].connections + sims[1].connections == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        second = cli("enforce")
        assert second.exit_code == 75, second.stderr
        assert "another `ispcube enforce` run holds the lock" in second.stderr
    finally:
        out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert sum(len(cut_list(sim)) for sim in sims) == 12
    assert cli("enforce").exit_code == 0          # the lock went with the first run


@pytest.mark.pg
def test_a_router_claimed_by_another_host_is_skipped(net, runtime, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("router claims (advisory locks tried without waiting) are a PostgreSQL feature")
    cli, sims = net
    seed_clients(runtime.engine, _router_ids(runtime), 4, debtor=lambda n: True)
    with runtime.uow() as uow:
        r1 = uow.session.scalars(select(m.Router.id).where(m.Router.name == "r1")).one()
    with claimed(runtime.engine, [r1], JobName.PROVISION) as provisioning:   # another job's run: not skipped
        assert provisioning == {r1}
        assert {r["router"]: r["status"] for r in cli.json("enforce", "--check")["routers"]} == {"r1": "ok",
                                                                                                  "r2": "ok"}
    with claimed(runtime.engine, [r1], JobName.ENFORCE) as other_host:       # enforce on another host
        assert other_host == {r1}
        summary = cli.json("enforce")
        routers = {r["router"]: r for r in summary["routers"]}
        assert routers["r1"]["status"] == "skipped" and "claimed by another run" in routers["r1"]["error"]
        assert routers["r2"]["status"] == "ok"
        assert cut_list(sims[0]) == {} and len(cut_list(sims[1])) == 2
    cli.ok("enforce")
    assert len(cut_list(sims[0])) == 2
