"""S5: 1,000 changes on one simulated MikroTik at 30 ms per round trip, written pipelined
(16 tagged commands in flight on one connection), beside the serial routeros-api loop (one
command, one round trip) in the same run.

Prints: the pipelined writer (the MikroTik driver's batch write, what enforce uses), `enforce`
itself cutting 1,000 clients on that router, and the serial loop; each against N / depth round
trips. Checks: the pipelined writer within 2x of N / depth round trips, enforce as well (plus
its one read of the list), every change on the router.

Usage: python bench/bench_writes.py [CHANGES]
"""

from pathlib import Path
import socket
import sys
import tempfile
import time

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select  # noqa: E402

from ispcube.adapters.drivers import CUT_LIST, WRITE_DEPTH, RouterConfig, Target, Write, driver_for  # noqa: E402
from ispcube.db import models as m  # noqa: E402
from ispcube.db.engine import get_engine  # noqa: E402
from ispcube.db.schema import upgrade  # noqa: E402
from ispcube.services.enforcement.enforce import run_enforce  # noqa: E402
from ispcube.services.network import routers as router_service  # noqa: E402
from ispcube.services.process.runtime import Runtime  # noqa: E402
from ispcube.sim.routeros import RouterOSSimulator  # noqa: E402
from tests.support.bulk import client_ip, seed_clients  # noqa: E402

LATENCY_MS, PASSWORD = 30, "bench"


def targets(changes: int) -> list[Target]:
    return [Target(n, f"B{n:06d}", client_ip(n)) for n in range(1, changes + 1)]


def pipelined(sim: RouterOSSimulator, changes: int) -> float:
    """The driver's batch write: every change a `mark` (an address-list add), depth in flight."""
    config = RouterConfig("bench", "mikrotik", sim.host, sim.port, username="admin", secret=PASSWORD)
    with driver_for(config) as driver:
        holding = driver.read(CUT_LIST, [])
        writes = [Write("mark", target) for target in targets(changes)]
        started = time.perf_counter()
        errors = [error for index in range(0, changes, driver.batch)
                  for error in driver.write_many(holding, writes[index:index + driver.batch])]
        seconds = time.perf_counter() - started
    assert errors == [None] * changes, next(error for error in errors if error is not None)
    return seconds


def serial(sim: RouterOSSimulator, changes: int) -> float:
    """A bare routeros-api loop: one add, one answer, the next add."""
    import routeros_api
    pool = routeros_api.RouterOsApiPool(sim.host, username="admin", password=PASSWORD, port=sim.port,
                                        plaintext_login=True)
    api = pool.get_api()
    pool.socket.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    resource = api.get_resource("/ip/firewall/address-list")
    started = time.perf_counter()
    for target in targets(changes):
        resource.add(list="bench-serial", address=target.ip, comment=target.client_code)
    seconds = time.perf_counter() - started
    pool.disconnect()
    return seconds


def enforce(sim: RouterOSSimulator, changes: int, folder: Path) -> tuple[float, int]:
    """`enforce` cutting CHANGES debtors on the router: its run time and the router's writes."""
    engine = get_engine(f"sqlite:///{folder / 'writes.db'}")
    upgrade(engine)
    rt = Runtime(engine=engine)
    with rt.uow() as uow:
        router_service.add_router(uow, "core", {"kind": "mikrotik", "host": sim.host, "port": str(sim.port),
                                                "username": "admin", "secret": PASSWORD})
        router_ids = list(uow.session.scalars(select(m.Router.id)))
    seed_clients(engine, router_ids, changes, debtor=lambda n: True)
    sim.reset_counters()
    started = time.perf_counter()
    summary = run_enforce(rt)
    seconds = time.perf_counter() - started
    engine.dispose()
    assert summary.cut == changes and summary.failed == 0, summary.line()
    return seconds, sim.writes


def main() -> int:
    changes = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000
    floor = -(-changes // WRITE_DEPTH) * LATENCY_MS / 1000     # N / depth round trips
    with RouterOSSimulator(password=PASSWORD, latency_ms=LATENCY_MS, frozen_clock=True) as sim:
        piped = pipelined(sim, changes)
        written = len(sim.address_list(CUT_LIST))
        with tempfile.TemporaryDirectory(prefix="ispcube-bench-writes-") as folder:
            sim.state.address_list.remove(",".join(row[".id"] for row in sim.address_list()))
            enforced, enforce_writes = enforce(sim, changes, Path(folder))
        one_by_one = serial(sim, changes)
    print(f"{changes} changes on one simulated MikroTik at {LATENCY_MS} ms per round trip, depth {WRITE_DEPTH}: "
          f"N / depth round trips = {floor:.2f} s")
    print(f"  pipelined writer: {piped:6.2f} s = {piped / floor:.2f} x N / depth round trips")
    print(f"  enforce:          {enforced:6.2f} s = {enforced / floor:.2f} x (one read and the writes, "
          f"{enforce_writes} writes)")
    print(f"  serial routeros-api loop: {one_by_one:6.2f} s = {one_by_one / floor:.2f} x; "
          f"pipelined is {one_by_one / piped:.1f} times faster")
    checks = {
        "pipelined writer within 2x of N / depth round trips": piped <= 2 * floor,
        "enforce within 2x of N / depth round trips, plus its logins and reads": (
            enforced <= 2 * floor + 10 * LATENCY_MS / 1000),
        "every change on the router": written == changes and enforce_writes == changes,
    }
    for name, ok in checks.items():
        print(f"  {'ok ' if ok else 'FAIL'} {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
