"""R1: `enforce` killed with SIGKILL at many points (before, during and after router writes,
notably between a router write and the database commit), then run again: the routers end in
the wanted state with no duplicate task, log entry or list entry."""

from collections import Counter
from contextlib import ExitStack
import os
import random
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select, text

from ispcube.db import models as m
from ispcube.db.network_models import RouterTask
from tests.support.bulk import pay_all, seed_clients
from tests.support.network import add_mikrotik, cut_list, start_simulators

ENFORCE = [sys.executable, "-c", "from ispcube.cli.main import run; run()", "enforce"]


@pytest.fixture
def net(cli, runtime):
    with ExitStack() as stack:
        sims = start_simulators(stack, 2, latency_ms=25)
        add_mikrotik(cli, "r1", sims[0])
        add_mikrotik(cli, "r2", sims[1])
        with runtime.uow() as uow:
            ids = list(uow.session.scalars(select(m.Router.id).order_by(m.Router.name)))
        seed_clients(runtime.engine, ids, 24, debtor=lambda n: True)
        yield cli, sims


def _start(db_url):
    return subprocess.Popen(ENFORCE, env={**os.environ, "ISPCUBE_DATABASE_URL": db_url},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _kill_when(process, condition, timeout=30.0) -> bool:
    """SIGKILL PROCESS as soon as CONDITION() holds; False if it ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if condition():
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.002)
    process.kill()
    process.wait()
    raise AssertionError("enforce neither finished nor reached the kill point")


def _writes(sims):
    return sum(sim.writes for sim in sims)


def _kill_points(db_url, sims, rng, count):
    """COUNT runs killed: at a random moment, or right after the k-th router write."""
    killed = 0
    for attempt in range(count):
        process = _start(db_url)
        if attempt % 3 == 0:
            started, delay = time.monotonic(), rng.uniform(0.05, 1.5)
            killed += _kill_when(process, lambda: time.monotonic() - started > delay)
        else:
            base, k = _writes(sims), rng.randint(1, 4)
            killed += _kill_when(process, lambda: _writes(sims) >= base + k)
    return killed


def _assert_clean(cli, runtime, sims, wanted_cut):
    cli.ok("enforce")
    listed = {}
    for sim in sims:
        listed.update(cut_list(sim))
        counts = Counter(row["address"] for row in sim.address_list("ispcube-cut"))
        assert max(counts.values(), default=1) == 1
    assert listed == wanted_cut
    for sim in sims:
        sim.reset_counters()
    cli.ok("enforce")
    assert _writes(sims) == 0
    with runtime.uow() as uow:
        open_tasks = uow.session.scalar(select(func.count()).select_from(RouterTask)
                                        .where(RouterTask.status == "open"))
        assert open_tasks == 0
        per_connection = uow.session.execute(text(
            "SELECT connection_id, action, COUNT(*) FROM router_tasks WHERE status = 'done' "
            "GROUP BY connection_id, action HAVING COUNT(*) > 1")).all()
        assert per_connection == []
        events = uow.session.execute(text(
            "SELECT client_id, kind, COUNT(*) FROM client_events "
            "WHERE kind IN ('service.cut', 'service.restore', 'router.cut', 'router.restore') "
            "GROUP BY client_id, kind HAVING COUNT(*) > 1")).all()
        assert events == []


def test_killed_runs_leave_nothing_lost_or_duplicated(net, runtime, db_url):
    cli, sims = net
    rng = random.Random(5)
    killed = _kill_points(db_url, sims, rng, 7)
    _assert_clean(cli, runtime, sims, {f"10.0.0.{n}": f"B{n:06d}" for n in range(1, 25)})

    pay_all(runtime.engine, lambda n: n % 2 == 0)        # half of them pay: restores to do
    killed += _kill_points(db_url, sims, rng, 6)
    _assert_clean(cli, runtime, sims, {f"10.0.0.{n}": f"B{n:06d}" for n in range(1, 25, 2)})
    assert killed >= 10
