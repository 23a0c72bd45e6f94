"""S2: `ispcube provision` killed with SIGKILL at random points (while it logs in, between one
router write and the next, between the writes and the commit that records them) against two
simulated MikroTiks answering after 25 ms, then run again: the routers end exactly as
`provision --check` wants them, with no object made twice, and every task closed. Twice: the
first provisioning of a network, then a plan's speed changed."""

from collections import Counter
from contextlib import ExitStack
import os
import random
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select, update

from ispcube.db import models as m
from ispcube.db.engine import get_engine
from ispcube.db.network_models import RouterTask
from ispcube.services.admin import provision_queue
from tests.support.bulk import seed_clients
from tests.support.kill import kill_when, wait_for_lock_release
from tests.support.network import add_mikrotik, start_simulators

pytestmark = pytest.mark.slow   # provision runs killed at random moments, many times over

CLIENTS = 200          # 100 queues per router, one write per round trip: more than the killed runs reach
PROVISION = [sys.executable, "-c", "from ispcube.cli.main import run; run()", "provision"]


@pytest.fixture
def net(cli, runtime):
    with ExitStack() as stack:
        sims = start_simulators(stack, 2, latency_ms=25)
        add_mikrotik(cli, "r1", sims[0])
        add_mikrotik(cli, "r2", sims[1])
        cli.ok("config", "set", "enforce.write_depth", "1")   # one write per round trip: more moments to kill
        cli.ok("plan", "add", "--name", "Hogar", "--price", "9500", "--down-kbps", "20000", "--up-kbps", "5000")
        cli.ok("plan", "add", "--name", "Pyme", "--price", "19000", "--down-kbps", "50000", "--up-kbps", "10000")
        with runtime.uow() as uow:
            ids = list(uow.session.scalars(select(m.Router.id).order_by(m.Router.name)))
            plans = dict(uow.session.execute(select(m.Plan.name, m.Plan.id)).all())
        seed_clients(runtime.engine, ids, CLIENTS, debtor=lambda n: False)
        with runtime.uow() as uow:
            for parity, plan in ((0, "Hogar"), (1, "Pyme")):
                uow.session.execute(update(m.Connection).where(m.Connection.id % 2 == parity)
                                    .values(plan_id=plans[plan]))
            everyone = list(uow.session.scalars(select(m.Connection.id)))
            provision_queue.queue_provision(uow, runtime, everyone)
            uow.commit()
        yield cli, sims


def _start(db_url):
    return subprocess.Popen(PROVISION, env={**os.environ, "ISPCUBE_DATABASE_URL": db_url},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _writes(sims):
    return sum(sim.writes for sim in sims)


def _kill_points(db_url, sims, rng, count) -> int:
    """COUNT runs, each killed at a random moment after it logged in, or right after its k-th
    router write; the number killed before they ended."""
    killed = 0
    engine = get_engine(db_url)
    for attempt in range(count):
        wait_for_lock_release(engine, "provision")
        logins, process = sum(s.logins for s in sims), _start(db_url)
        if attempt % 3 == 0:
            delay, since = rng.uniform(0.0, 0.3), []

            def reached(delay=delay, since=since, logins=logins):
                if not since and sum(s.logins for s in sims) > logins:
                    since.append(time.monotonic())
                return bool(since) and time.monotonic() - since[0] >= delay
            killed += kill_when(process, reached)
        else:
            base, k = _writes(sims), rng.randint(1, 12)
            killed += kill_when(process, lambda base=base, k=k: _writes(sims) >= base + k)
    return killed


def _assert_clean(cli, runtime, sims, rates: dict[str, str]):
    """A run finishes the work; --check then finds nothing, no object is there twice, every
    queue has its plan's speed, no task is left open, and another run writes nothing."""
    wait_for_lock_release(runtime.engine, "provision")
    cli.ok("provision")
    assert cli("provision", "--check", "--all").exit_code == 0
    queues = [q for sim in sims for q in sim.simple_queues()]
    assert max(Counter((q["name"], q["target"]) for q in queues).values()) == 1
    assert len(queues) == CLIENTS
    assert {q["max-limit"] for q in queues} == set(rates.values())
    for sim in sims:
        profiles = Counter(p["name"] for p in sim.ppp_profiles())
        assert max(profiles.values()) == 1
    with runtime.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(RouterTask)
                                  .where(RouterTask.status == "open")) == 0
    for sim in sims:
        sim.reset_counters()
    assert cli.json("provision", "--all")["changes"] == []
    assert _writes(sims) == 0


def test_killed_runs_leave_the_routers_as_check_wants_them(net, runtime, db_url):
    cli, sims = net
    rng = random.Random(11)
    assert _kill_points(db_url, sims, rng, 6) >= 5
    _assert_clean(cli, runtime, sims, {"Hogar": "5000000/20000000", "Pyme": "10000000/50000000"})

    with runtime.uow() as uow:                       # a plan's speed changes: every queue on it is set again
        uow.session.execute(update(m.Plan).where(m.Plan.name == "Pyme").values(down_kbps=60000))
        plan_id = uow.session.scalar(select(m.Plan.id).where(m.Plan.name == "Pyme"))
        provision_queue.queue_for_plan(uow, runtime, plan_id)
        uow.commit()
    assert _kill_points(db_url, sims, rng, 6) >= 5
    _assert_clean(cli, runtime, sims, {"Hogar": "5000000/20000000", "Pyme": "10000000/60000000"})
