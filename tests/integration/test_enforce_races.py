"""An operator's change made while `enforce` works on a slow router is never undone by the run
(N2, N6, N5): real `ispcube` processes against a simulated MikroTik that answers slowly, on
SQLite and PostgreSQL. Whichever writes last writes the client's current state."""

from contextlib import ExitStack, contextmanager
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from ispcube.db import models as m
from tests.support.bulk import seed_clients
from tests.support.network import add_mikrotik, cut_list, start_simulators

pytestmark = pytest.mark.slow   # changes racing a running enforce process

CLIENTS = 60
LATENCY_MS = 70            # 60 writes: the run spends about 4 s writing to the router
LAST = f"B{CLIENTS:06d}"   # the run's last write is this client's
LAST_IP = f"10.0.0.{CLIENTS}"
FIRST, FIRST_IP = "B000001", "10.0.0.1"   # and its first write this one's
ISPCUBE = [sys.executable, "-c", "from ispcube.cli.main import run; run()"]


@pytest.fixture
def net(cli, runtime):
    with ExitStack() as stack:
        (core,) = start_simulators(stack, 1, latency_ms=LATENCY_MS)
        add_mikrotik(cli, "core", core)
        # One write per round trip: the run spends seconds writing and reads its clients again
        # meanwhile (every BATCH_S), which is what these races test.
        cli.ok("config", "set", "enforce.write_depth", "1")
        with runtime.uow() as uow:
            router_ids = list(uow.session.scalars(select(m.Router.id)))
        yield cli, core, router_ids


def _ispcube(db_url, *args, wait=True):
    env = {**os.environ, "ISPCUBE_DATABASE_URL": db_url}
    process = subprocess.Popen([*ISPCUBE, *args], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    if not wait:
        return process
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


@contextmanager
def _enforce_writing(db_url, sim):
    """An `enforce` process stopped in the middle of its router writes (three done, the rest
    to do), however slow the machine: the simulated router holds the run's fourth write until
    the process is stopped (SIGSTOP, while it waits for the reply), then answers it. The body
    gets a function that lets the run go on (SIGCONT; it reads the answer waiting for it, so
    its router connection never times out), called at the latest when the body ends."""
    sim.hold_writes_after = 3
    run = _ispcube(db_url, "enforce", wait=False)
    stopped = False

    def resume():
        nonlocal stopped
        if stopped:
            os.kill(run.pid, signal.SIGCONT)
            stopped = False

    try:
        deadline = time.monotonic() + 120
        while not sim.write_held.wait(0.05):
            assert run.poll() is None, run.communicate()
            assert time.monotonic() < deadline, "enforce never wrote to the router"
        os.kill(run.pid, signal.SIGSTOP)
        stopped = True
        assert sim.writes == 3                 # the run's write to LAST is still ahead
        sim.release_writes()
        yield resume
    finally:
        sim.release_writes()
        resume()
        out, err = run.communicate(timeout=120)
    assert run.returncode == 0, out + err


def _change_waiting_for_the_router(db_url, engine, router_id, *args):
    """Run `ispcube ARGS` while the run is stopped holding the router: the change commits and
    then waits for the router's lock; its process, once it waits there."""
    before = _lock_askers(db_url, engine, router_id)
    change = _ispcube(db_url, *args, wait=False)
    deadline = time.monotonic() + 120
    while not _lock_askers(db_url, engine, router_id, change.pid) - before:
        assert change.poll() is None, change.communicate()
        assert time.monotonic() < deadline, "the change never asked for the router"
        time.sleep(0.05)
    return change


def _lock_askers(db_url, engine, router_id, pid=None):
    """Who asks for a router's lock: on SQLite, whether process PID has the lock file of the
    router's cut list open ({PID} or nothing); on PostgreSQL, the sessions whose last query
    asked for a router's advisory lock (the two-key form)."""
    if db_url.startswith("sqlite"):
        name = f"router-{router_id}-ispcube-cut.lock"
        return {pid} if pid and any(target.endswith(name) for target in _open_files(pid)) else set()
    from sqlalchemy import text
    with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        return set(conn.execute(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND query LIKE '%pg_try_advisory_lock(%,%'")).scalars())


def _waiting_for_router(run, db_url, engine, router_id):
    """Whether RUN has reached the lock of the router's cut list (held by the test): on
    SQLite it has the lock's file open; on PostgreSQL its connection asks for the advisory
    lock of a router (the two-key form; the job lock has one key) besides the test's own."""
    if db_url.startswith("sqlite"):
        name = f"router-{router_id}-ispcube-cut.lock"
        return any(target.endswith(name) for target in _open_files(run.pid))
    from sqlalchemy import text
    with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        return bool(conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND query LIKE '%pg_try_advisory_lock(%,%'")).scalar() >= 2)


def _open_files(pid):
    folder = f"/proc/{pid}/fd"
    for fd in os.listdir(folder):
        try:
            yield os.readlink(f"{folder}/{fd}")
        except OSError:          # closed meanwhile
            continue


def _service(cli, code):
    return cli.json("client", "show", code)["service"]


def test_pay_enable_during_a_run_is_not_undone_by_its_stale_cut(net, db_url, runtime):
    cli, core, router_ids = net
    seed_clients(runtime.engine, router_ids, CLIENTS, debtor=lambda n: True)
    with _enforce_writing(db_url, core) as resume:
        paying = _change_waiting_for_the_router(db_url, runtime.engine, router_ids[0],
                                                "pay", LAST, "--cash", "100", "--enable")
        resume()
        out, err = paying.communicate(timeout=120)
        assert paying.returncode == 0, err
        assert f"client {LAST} re-enabled" in out
    assert _service(cli, LAST) == "active"
    assert LAST_IP not in cut_list(core) and len(cut_list(core)) == CLIENTS - 1
    assert core.writes == CLIENTS - 1              # not even cut for a moment
    assert cli("enforce", "--check").exit_code == 0


def test_disable_during_a_run_is_not_undone_by_its_stale_restore(net, db_url, runtime):
    cli, core, router_ids = net
    seed_clients(runtime.engine, router_ids, CLIENTS, debtor=lambda n: False, cut=lambda n: True)
    for n in range(1, CLIENTS + 1):              # cut by an earlier run, paid since: to restore
        core.add_address("ispcube-cut", f"10.0.0.{n}", comment=f"B{n:06d}")
    with _enforce_writing(db_url, core) as resume:
        disabling = _change_waiting_for_the_router(db_url, runtime.engine, router_ids[0],
                                                   "client", "disable", LAST, "--reason", "equipo robado")
        resume()
        out, err = disabling.communicate(timeout=120)
        assert disabling.returncode == 0, err
    assert _service(cli, LAST) == "cut"
    assert cut_list(core) == {LAST_IP: LAST} and core.writes == CLIENTS - 1
    assert cli("enforce", "--check").exit_code == 0


def test_a_change_whose_router_write_never_came_is_put_right_by_the_run(net, db_url, runtime):
    """`client enable` killed between its commit and its router write, after the run had cut
    the client: the run, reading the clients it wrote once more, gives the service back."""
    from ispcube.services.enforcement import service_state
    from ispcube.services.process.runtime import Runtime
    cli, core, router_ids = net
    seed_clients(runtime.engine, router_ids, CLIENTS, debtor=lambda n: True)
    rt = Runtime(engine=runtime.engine, operator="system")
    with _enforce_writing(db_url, core):
        assert FIRST_IP in cut_list(core)
        with rt.uow() as uow:
            client = uow.session.scalar(select(m.Client).where(m.Client.code == FIRST))
            service_state.enable(uow, rt, client, "by an operator", apply_after_commit=False)
            uow.commit()
        assert core.writes < CLIENTS             # made before the run's last write
    assert _service(cli, FIRST) == "active"
    assert FIRST_IP not in cut_list(core) and len(cut_list(core)) == CLIENTS - 1
    assert cli("enforce", "--check").exit_code == 0


def test_a_commitment_made_during_a_run_stops_its_cut(net, db_url, runtime):
    cli, core, router_ids = net
    seed_clients(runtime.engine, router_ids, CLIENTS, debtor=lambda n: True)
    with _enforce_writing(db_url, core):
        cli.ok("commit", LAST, "2099-01-10")
        assert core.writes < CLIENTS             # made before the run's last write
    assert LAST_IP not in cut_list(core) and core.writes == CLIENTS - 1
    assert _service(cli, LAST) == "active"
    assert any(e["kind"] == "service.restore" and "a payment commitment is in force" in e["message"]
               for e in cli.json("client", "log", LAST))
    assert cli("enforce", "--check").exit_code == 0
    core.reset_counters()
    assert cli.json("enforce")["restored"] == 0 and core.writes == 0


def test_a_change_made_while_the_run_waits_for_the_router_is_never_written_over(net, db_url, runtime):
    """The run planned, then waited for the router's lock; meanwhile the client was enabled
    (its own write never came): under the lock the run reads that and never cuts it at all."""
    from ispcube.adapters.drivers import CUT_LIST
    from ispcube.services.enforcement import service_state
    from ispcube.services.enforcement.router_lock import router_lock
    from ispcube.services.process.runtime import Runtime
    cli, core, router_ids = net
    seed_clients(runtime.engine, router_ids, CLIENTS, debtor=lambda n: True)
    rt = Runtime(engine=runtime.engine, operator="system")
    with router_lock(runtime.engine, router_ids[0], CUT_LIST) as held:
        assert held
        run = _ispcube(db_url, "enforce", wait=False)
        deadline = time.monotonic() + 60
        while _service(cli, LAST) != "cut":          # the run has planned and committed its cuts
            assert run.poll() is None and time.monotonic() < deadline, run.communicate()
            time.sleep(0.05)
        with rt.uow() as uow:
            client = uow.session.scalar(select(m.Client).where(m.Client.code == LAST))
            service_state.enable(uow, rt, client, "by an operator", apply_after_commit=False)
            uow.commit()
        assert core.writes == 0
    out, err = run.communicate(timeout=120)
    assert run.returncode == 0, out + err
    assert LAST_IP not in cut_list(core) and core.writes == CLIENTS - 1
    assert "router.cut" not in [e["kind"] for e in cli.json("client", "log", LAST)]
    assert cli("enforce", "--check").exit_code == 0


def test_the_run_writes_each_router_from_the_state_when_it_holds_the_router(net, db_url, runtime):
    """A client the run planned to leave alone is disabled (its own write never came) while
    the run waits for the router: the run, planning under the lock, cuts it and closes the
    change's task, so nothing is left for a check to call drift."""
    from ispcube.adapters.drivers import CUT_LIST
    from ispcube.services.enforcement import service_state
    from ispcube.services.enforcement.router_lock import router_lock
    from ispcube.services.process.runtime import Runtime
    cli, core, router_ids = net
    seed_clients(runtime.engine, router_ids, CLIENTS, debtor=lambda n: n < CLIENTS)
    rt = Runtime(engine=runtime.engine, operator="system")
    with router_lock(runtime.engine, router_ids[0], CUT_LIST) as held:
        assert held
        run = _ispcube(db_url, "enforce", wait=False)
        deadline = time.monotonic() + 60
        while _service(cli, f"B{CLIENTS - 1:06d}") != "cut":   # planned and committed
            assert run.poll() is None and time.monotonic() < deadline, run.communicate()
            time.sleep(0.05)
        while not _waiting_for_router(run, db_url, runtime.engine, router_ids[0]):   # and waiting for the router
            assert run.poll() is None and time.monotonic() < deadline, run.communicate()
            time.sleep(0.02)
        with rt.uow() as uow:
            client = uow.session.scalar(select(m.Client).where(m.Client.code == LAST))
            service_state.disable(uow, rt, client, "equipo robado", apply_after_commit=False)
            uow.commit()
    out, err = run.communicate(timeout=120)
    assert run.returncode == 0, out + err
    assert cut_list(core)[LAST_IP] == LAST and len(cut_list(core)) == CLIENTS
    assert cli("enforce", "--check").exit_code == 0
