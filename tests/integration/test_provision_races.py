"""Provision and enforce writing one router at once (R17, S2): real `ispcube` processes against
a slow simulated MikroTik, on SQLite and PostgreSQL, the interleaving forced, not left to
timing. One run is stopped in the middle of its router writes (the router holds its fourth
write until the process is stopped with SIGSTOP); the other is started and seen waiting for the
router's lock (it writes nothing meanwhile); then the first goes on. Both finish, each writing
from what it reads once it holds the router, and the router ends as both `enforce --check` and
`provision --check` want it. Either order is tested."""

from contextlib import ExitStack, contextmanager
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import select, text

from ispcube.db import models as m
from tests.support.network import add_mikrotik, cut_list, start_simulators

pytestmark = pytest.mark.slow   # two processes racing for one router

ISPCUBE = [sys.executable, "-c", "from ispcube.cli.main import run; run()"]
NEW = 8            # new PPPoE connections provision makes: a profile and 8 secrets, one write each
DEBTORS = 6        # clients enforce cuts: an address-list entry and a disabled secret each


@pytest.fixture
def net(cli, runtime):
    """Router core (25 ms a round trip, one write per round trip); plan Hogar; DEBTORS clients
    with a PPPoE connection and an IP, made on the router, owing money (not cut yet)."""
    with ExitStack() as stack:
        (core,) = start_simulators(stack, 1, latency_ms=25)
        add_mikrotik(cli, "core", core)
        cli.ok("config", "set", "enforce.write_depth", "1")
        cli.ok("plan", "add", "--name", "Hogar", "--price", "9500", "--down-kbps", "20000", "--up-kbps", "5000")
        for n in range(1, DEBTORS + 1):
            _client(cli, f"D{n}", f"deudor{n}", f"10.0.1.{n}")
            cli.ok("ledger", "adjust", f"D{n}", "--debit", "5000", "--reason", "deuda")
        cli.ok("provision")
        with runtime.uow() as uow:
            router_id = uow.session.scalars(select(m.Router.id)).one()
        yield cli, core, router_id


def _client(cli, code: str, user: str, ip: str) -> None:
    cli.ok("client", "add", "--code", code, "--name", f"Cliente {code}", "--address", f"Calle {code}")
    cli.ok("connection", "add", code, "--router", "core", "--ip", ip, "--pppoe-user", user, "--plan", "Hogar",
           "--pppoe-password-stdin", input=f"clave-{user}\n")


def _ispcube(db_url: str, *args: str) -> subprocess.Popen:
    """`ispcube ARGS`; on PostgreSQL its sessions carry the process's name (PGAPPNAME, read by libpq)."""
    return subprocess.Popen([*ISPCUBE, "--format", "json", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "ISPCUBE_DATABASE_URL": db_url,
                                            "PGAPPNAME": f"race-{args[-1]}"})


@contextmanager
def _stopped_writing(sim, run: subprocess.Popen):
    """RUN stopped (SIGSTOP) in the middle of its writes to SIM: three made, its fourth held
    until the process is stopped, then answered (it reads the answer once continued). The
    process goes on (SIGCONT) when the body ends."""
    sim.reset_counters()
    sim.hold_writes_after = 3
    stopped = False
    try:
        deadline = time.monotonic() + 120
        while not sim.write_held.wait(0.05):
            assert run.poll() is None, run.communicate()
            assert time.monotonic() < deadline, "the run never wrote to the router"
        os.kill(run.pid, signal.SIGSTOP)
        stopped = True
        assert sim.writes == 3
        sim.release_writes()
        yield
    finally:
        sim.release_writes()
        if stopped:
            os.kill(run.pid, signal.SIGCONT)


def _asking_for_the_router(db_url: str, engine, router_id: int, run: subprocess.Popen) -> bool:
    """Whether RUN waits for the lock of the router's cut list, which the stopped run holds: on
    SQLite it has the lock's file open; on PostgreSQL one of its sessions (named by PGAPPNAME)
    last asked for that advisory lock (the two-key form, the router's id second) and holds no
    such lock yet."""
    if db_url.startswith("sqlite"):
        name = f"router-{router_id}-ispcube-cut.lock"
        return any(target.endswith(name) for target in _open_files(run.pid))
    with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        return bool(conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity a WHERE a.datname = current_database() "
            "AND a.application_name = :name AND a.query LIKE '%pg_try_advisory_lock(%,%' "
            "AND NOT EXISTS (SELECT FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'advisory' "
            "AND l.objsubid = 2 AND l.granted)"), {"name": f"race-{run.args[-1]}"}).scalar())


def _open_files(pid: int):
    folder = f"/proc/{pid}/fd"
    for fd in os.listdir(folder):
        try:
            yield os.readlink(f"{folder}/{fd}")
        except OSError:          # closed meanwhile
            continue


def _seen_waiting(db_url, engine, router_id, run: subprocess.Popen, sim) -> None:
    deadline = time.monotonic() + 120
    while not _asking_for_the_router(db_url, engine, router_id, run):
        assert run.poll() is None, run.communicate()
        assert time.monotonic() < deadline, "the second run never asked for the router"
        time.sleep(0.05)
    writes = sim.writes
    time.sleep(0.3)                 # still waiting, and nothing of it reached the router
    assert run.poll() is None and sim.writes == writes


def _finished(run: subprocess.Popen) -> dict:
    out, err = run.communicate(timeout=180)
    assert run.returncode == 0, out + err
    return json.loads(out)


def _as_both_want_it(cli, sim) -> None:
    assert cli.json("--yes", "enforce", "--check")["drift"] == 0
    check = cli("provision", "--check", "--all")
    assert check.exit_code == 0, check.stdout + check.stderr
    secrets = {s["name"]: s for s in sim.ppp_secrets()}
    assert {name for name, s in secrets.items() if s["disabled"] == "true"} == {
        f"deudor{n}" for n in range(1, DEBTORS + 1)}
    assert set(cut_list(sim)) == {f"10.0.1.{n}" for n in range(1, DEBTORS + 1)}
    assert {s["profile"] for s in secrets.values()} == {"ispcube-Hogar"} and len(secrets) == DEBTORS + NEW
    assert [p["name"] for p in sim.ppp_profiles() if p["name"].startswith("ispcube-")] == ["ispcube-Hogar"]


def _new_connections(cli) -> None:
    for n in range(1, NEW + 1):                 # queued for provision
        _client(cli, f"N{n}", f"nuevo{n}", f"10.0.2.{n}")


def test_enforce_waits_for_a_provision_run_stopped_mid_writes(net, db_url, runtime):
    cli, core, router_id = net
    _new_connections(cli)
    provision = _ispcube(db_url, "provision")
    with _stopped_writing(core, provision):
        enforce = _ispcube(db_url, "--yes", "enforce")
        _seen_waiting(db_url, runtime.engine, router_id, enforce, core)
    made = _finished(provision)
    assert made["done"] == NEW and made["failed"] == 0
    cut = _finished(enforce)
    assert cut["cut"] == DEBTORS and cut["failed"] == 0
    assert all(r["status"] == "ok" for r in cut["routers"])
    _as_both_want_it(cli, core)


def test_provision_waits_for_an_enforce_run_stopped_mid_writes(net, db_url, runtime):
    cli, core, router_id = net
    _new_connections(cli)
    enforce = _ispcube(db_url, "--yes", "enforce")
    with _stopped_writing(core, enforce):
        provision = _ispcube(db_url, "provision")
        _seen_waiting(db_url, runtime.engine, router_id, provision, core)
    cut = _finished(enforce)
    assert cut["cut"] == DEBTORS and cut["failed"] == 0
    made = _finished(provision)
    assert made["done"] == NEW and made["failed"] == 0
    assert all(r["status"] == "ok" for r in made["routers"])
    _as_both_want_it(cli, core)
