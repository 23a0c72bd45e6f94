"""R1: `enforce` killed with SIGKILL at many points (before, during and after router writes,
notably between a router write and the database commit), then run again: the routers end in
the wanted state with no duplicate task, log entry or list entry. Also through the three
states of the staged escalation (E1, E2): throttled, cut, restored."""

from collections import Counter
from contextlib import ExitStack
import os
import random
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select, text

from ispcube.db import models as m
from ispcube.db.engine import get_engine
from ispcube.db.network_models import RouterTask
from tests.support.bulk import pay_all, seed_clients
from tests.support.kill import kill_when, wait_for_lock_release
from tests.support.network import add_mikrotik, cut_list, start_simulators

pytestmark = pytest.mark.slow   # enforce runs killed at random moments, many times over

CLIENTS = 150          # 150 cuts, then 75 restores: more than the killed runs can reach
ENFORCE = [sys.executable, "-c", "from ispcube.cli.main import run; run()", "--yes", "enforce"]


@pytest.fixture
def net(cli, runtime):
    with ExitStack() as stack:
        sims = start_simulators(stack, 2, latency_ms=25)
        add_mikrotik(cli, "r1", sims[0])
        add_mikrotik(cli, "r2", sims[1])
        cli.ok("config", "set", "enforce.write_depth", "1")   # one write per round trip: more moments to kill
        with runtime.uow() as uow:
            ids = list(uow.session.scalars(select(m.Router.id).order_by(m.Router.name)))
        seed_clients(runtime.engine, ids, CLIENTS, debtor=lambda n: True)
        yield cli, sims


def _start(db_url, today=None):
    return subprocess.Popen(ENFORCE + (["--today", today] if today else []),
                            env={**os.environ, "ISPCUBE_DATABASE_URL": db_url},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _writes(sims):
    return sum(sim.writes for sim in sims)


def _logins(sims):
    return sum(sim.logins for sim in sims)


def _after_first_login(sims, delay):
    """A condition true DELAY seconds after the run first logged in to a router."""
    base, since = _logins(sims), []

    def reached():
        if not since and _logins(sims) > base:
            since.append(time.monotonic())
        return bool(since) and time.monotonic() - since[0] >= delay
    return reached


def _kill_points(db_url, sims, rng, count, today=None):
    """COUNT runs (as of TODAY), each killed: at a random moment while it talks to the
    routers, or right after its k-th router write. Each phase has more work than these runs
    can get through, so none of them ends before its kill point."""
    killed = 0
    engine = get_engine(db_url)
    for attempt in range(count):
        wait_for_lock_release(engine, "enforce")      # else the run may find the killed one's lock: exit 75
        process = _start(db_url, today)
        if attempt % 3 == 0:
            killed += kill_when(process, _after_first_login(sims, rng.uniform(0.0, 0.1)))
        else:
            base, k = _writes(sims), rng.randint(1, 4)
            killed += kill_when(process, lambda base=base, k=k: _writes(sims) >= base + k)
    return killed


def _assert_clean(cli, runtime, sims, wanted_cut, today=None, wanted_throttled=None):
    wait_for_lock_release(runtime.engine, "enforce")
    on = ("--today", today) if today else ()
    cli.ok("--yes", "enforce", *on)
    for name, wanted in (("ispcube-cut", wanted_cut), ("ispcube-throttle", wanted_throttled or {})):
        listed = {}
        for sim in sims:
            listed.update(cut_list(sim, name))
            counts = Counter(row["address"] for row in sim.address_list(name))
            assert max(counts.values(), default=1) == 1
        assert listed == wanted, name
    for sim in sims:
        sim.reset_counters()
    cli.ok("--yes", "enforce", *on)
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
            "WHERE kind IN ('service.cut', 'service.restore', 'service.throttle', 'router.cut', "
            "'router.restore', 'router.throttle', 'router.unthrottle') "
            "GROUP BY client_id, kind HAVING COUNT(*) > 1")).all()
        assert events == []


def test_killed_runs_leave_nothing_lost_or_duplicated(net, runtime, db_url):
    cli, sims = net
    rng = random.Random(5)
    assert _kill_points(db_url, sims, rng, 7) == 7
    _assert_clean(cli, runtime, sims, {f"10.0.0.{n}": f"B{n:06d}" for n in range(1, CLIENTS + 1)})

    pay_all(runtime.engine, lambda n: n % 2 == 0)        # half of them pay: restores to do
    assert _kill_points(db_url, sims, rng, 6) == 6
    _assert_clean(cli, runtime, sims, {f"10.0.0.{n}": f"B{n:06d}" for n in range(1, CLIENTS + 1, 2)})


def test_killed_runs_through_throttle_cut_and_restore(net, runtime, db_url):
    """The debts fell due on 2026-01-01: throttled from the 6th, cut from the 11th."""
    cli, sims = net
    cli.ok("config", "set", "escalation.cut_after_days", "10")
    cli.ok("config", "set", "escalation.throttle_after_days", "5")
    everyone = {f"10.0.0.{n}": f"B{n:06d}" for n in range(1, CLIENTS + 1)}
    rng = random.Random(7)
    assert _kill_points(db_url, sims, rng, 5, "2026-01-06") == 5
    _assert_clean(cli, runtime, sims, {}, "2026-01-06", wanted_throttled=everyone)

    assert _kill_points(db_url, sims, rng, 5, "2026-01-11") == 5       # each moves throttle -> cut
    _assert_clean(cli, runtime, sims, everyone, "2026-01-11")

    pay_all(runtime.engine, lambda n: n % 2 == 0)
    assert _kill_points(db_url, sims, rng, 5, "2026-01-12") == 5
    _assert_clean(cli, runtime, sims, {f"10.0.0.{n}": f"B{n:06d}" for n in range(1, CLIENTS + 1, 2)},
                  "2026-01-12")
