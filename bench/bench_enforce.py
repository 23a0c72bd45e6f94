"""P4: `enforce` over 100,000 clients on 200 simulated MikroTiks (2 ms per API call), 5% of
the states changing.

Checks and prints: the run time (<= 60 s); SQL statements of the run at 10,000 and at 100,000
clients (must be equal: they do not grow with clients); router calls (must be one read of the
list per router plus one call per change); a second run (must write nothing). Baseline,
measured in the same run: a bare routeros-api loop making the same number of calls (log in,
read the list, one add per change) on the same simulated routers.

Usage: python bench/bench_enforce.py [CLIENTS] [--pg]   (SQLite by default)
"""

from contextlib import ExitStack
import os
from pathlib import Path
import sys
import tempfile
import time

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, select  # noqa: E402

from ispcube.db import models as m  # noqa: E402
from ispcube.db.engine import get_engine  # noqa: E402
from ispcube.db.schema import upgrade  # noqa: E402
from ispcube.services.enforcement.enforce import run_enforce  # noqa: E402
from ispcube.services.network import routers as router_service  # noqa: E402
from ispcube.services.process.runtime import Runtime  # noqa: E402
from ispcube.sim.routeros import RouterOSSimulator  # noqa: E402
from tests.support.bulk import client_ip, seed_clients  # noqa: E402

ROUTERS, LATENCY_MS, LIMIT_S = 200, 2, 60
# Client n sits on router n % ROUTERS as its (n // ROUTERS)-th client; by that rank it stays cut
# (10%), newly owes (2.5%: to cut) or was cut and paid (2.5%: to restore), on every router alike.
STAYS_CUT = lambda n: (n // ROUTERS) % 10 == 5  # noqa: E731
TO_CUT = lambda n: (n // ROUTERS) % 40 == 0  # noqa: E731
TO_RESTORE = lambda n: (n // ROUTERS) % 40 == 20  # noqa: E731


def build(url: str, sims: list[RouterOSSimulator], clients: int) -> Runtime:
    engine = get_engine(url)
    upgrade(engine)
    rt = Runtime(engine=engine)
    with rt.uow() as uow:
        for index, sim in enumerate(sims):
            router_service.add_router(uow, f"r{index:03d}", {
                "kind": "mikrotik", "host": sim.host, "port": str(sim.port), "username": "admin",
                "secret": sim.password})
        ids = list(uow.session.scalars(select(m.Router.id).order_by(m.Router.name)))
    seed_clients(engine, ids, clients, debtor=lambda n: STAYS_CUT(n) or TO_CUT(n),
                 cut=lambda n: STAYS_CUT(n) or TO_RESTORE(n))
    for n in range(1, clients + 1):          # the routers already hold the cuts made earlier
        if STAYS_CUT(n) or TO_RESTORE(n):
            sims[n % len(sims)].add_address("ispcube-cut", client_ip(n), comment=f"B{n:06d}")
    return rt


def counted(rt: Runtime, sims):
    statements = []
    listener = lambda *args: statements.append(1)  # noqa: E731
    event.listen(rt.engine, "before_cursor_execute", listener)
    for sim in sims:
        sim.reset_counters()
    started = time.perf_counter()
    try:
        summary = run_enforce(rt)
    finally:
        event.remove(rt.engine, "before_cursor_execute", listener)
    seconds = time.perf_counter() - started
    calls = sum(sim.commands for sim in sims)
    reads = sum(sim.command_counts["/ip/firewall/address-list/print"] for sim in sims)
    writes = sum(sim.writes for sim in sims)
    return summary, seconds, len(statements), calls, reads, writes


def baseline(sims, writes_per_router: list[int]) -> float:
    import routeros_api
    started = time.perf_counter()
    for sim, writes in zip(sims, writes_per_router, strict=True):
        pool = routeros_api.RouterOsApiPool(sim.host, username="admin", password=sim.password,
                                            port=sim.port, plaintext_login=True)
        api = pool.get_api()
        import socket
        pool.socket.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        resource = api.get_resource("/ip/firewall/address-list")
        resource.get(list="ispcube-cut")
        for index in range(writes):
            resource.add(list="bench-baseline", address=f"192.168.{index // 250}.{index % 250 + 1}")
        pool.disconnect()
    return time.perf_counter() - started


def database_url(name: str, use_pg: bool, folder: Path) -> str:
    if not use_pg:
        return f"sqlite:///{folder / (name + '.db')}"
    from sqlalchemy import create_engine, text
    admin_url = os.environ.get("ISPCUBE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def measure(clients: int, use_pg: bool, folder: Path, with_baseline: bool) -> dict:
    with ExitStack() as stack:
        sims = [stack.enter_context(RouterOSSimulator(password="bench", latency_ms=LATENCY_MS,
                                                      identity=f"r{i:03d}", frozen_clock=True))
                for i in range(ROUTERS)]
        rt = build(database_url(f"ispcube_bench_enforce_{clients}", use_pg, folder), sims, clients)
        summary, seconds, statements, calls, reads, writes = counted(rt, sims)
        expected_changes = sum(1 for n in range(1, clients + 1) if TO_CUT(n) or TO_RESTORE(n))
        per_router = [sim.writes for sim in sims]
        second, again_s, again_statements, _, _, again_writes = counted(rt, sims)
        figures = {"clients": clients, "seconds": seconds, "statements": statements, "calls": calls,
                   "reads": reads, "writes": writes, "expected_changes": expected_changes,
                   "cut": summary.cut, "restored": summary.restored, "failed": summary.failed,
                   "again_seconds": again_s, "again_writes": again_writes}
        if with_baseline:
            figures["baseline"] = baseline(sims, per_router)
        rt.engine.dispose()
        return figures


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    clients = int(args[0]) if args else 100_000
    use_pg = "--pg" in sys.argv
    with tempfile.TemporaryDirectory(prefix="ispcube-bench-enforce-") as folder:
        small = measure(clients // 10, use_pg, Path(folder), with_baseline=False)
        large = measure(clients, use_pg, Path(folder), with_baseline=True)
    backend = "PostgreSQL" if use_pg else "SQLite"
    print(f"enforce, {backend}, {ROUTERS} simulated routers at {LATENCY_MS} ms per call")
    for f in (small, large):
        print(f"  {f['clients']:>7} clients: {f['seconds']:6.2f} s, {f['statements']} SQL statements, "
              f"{f['calls']} router calls = {f['reads']} reads + {f['writes']} writes "
              f"({f['expected_changes']} changes: {f['cut']} cut, {f['restored']} restored); "
              f"second run {f['again_seconds']:.2f} s, {f['again_writes']} writes")
    ratio = large["seconds"] / large["baseline"]
    print(f"  baseline (bare routeros-api loop, same calls): {large['baseline']:.2f} s; "
          f"enforce / baseline = {ratio:.2f}")
    checks = {
        f"<= {LIMIT_S} s": large["seconds"] <= LIMIT_S,
        "statements do not grow with clients": small["statements"] == large["statements"],
        "one read per router + one call per change": (
            large["reads"] == ROUTERS and large["writes"] == large["expected_changes"]
            and large["calls"] == large["reads"] + large["writes"]),
        "second run writes nothing": large["again_writes"] == 0,
        "nothing failed": large["failed"] == 0,
    }
    for name, ok in checks.items():
        print(f"  {'ok ' if ok else 'FAIL'} {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
