"""Shared set-up of the ledger benchmarks (P5): a scratch PostgreSQL database and bulk clients.

Not a benchmark itself (run_all.py runs only bench_*.py files).
"""

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
import random
import subprocess
import sys
import time

from sqlalchemy import create_engine, insert, select

sys.path.insert(0, str(Path(__file__).parent))
import client_bench_data  # noqa: E402

ISPCUBE = Path(sys.executable).with_name("ispcube")


def scratch_database(prefix: str):
    """A new, migrated PostgreSQL database, dropped afterwards whatever happens."""
    return client_bench_data.scratch_database("postgresql", prefix)


def add_clients(url: str, count: int, period_start: date, seed: int = 5) -> None:
    """COUNT clients over 3 plans and 2 companies; 2% free, 1% deleted, 5% signed up inside the
    month of PERIOD_START (prorated), 10% with one or two connections carrying plans."""
    from ispcube.db import models as m
    from ispcube.db.engine import get_engine
    rng = random.Random(seed)
    engine = get_engine(url)
    with engine.begin() as conn:
        plans = [conn.execute(insert(m.Plan).values(name=f"Plan {n}", price=Decimal(price)).returning(m.Plan.id))
                 .scalar_one() for n, price in enumerate(("9500.00", "14500.00", "21900.00"))]
        companies = [conn.execute(insert(m.Company).values(number=n, name=f"Company {n}").returning(m.Company.id))
                     .scalar_one() for n in (1, 2)]
        router = conn.execute(insert(m.Router).values(name="bench", kind="mikrotik", host="127.0.0.1")
                              .returning(m.Router.id)).scalar_one()
        rows = []
        for n in range(count):
            inside = rng.random() < 0.05
            signup = (period_start + timedelta(days=rng.randint(1, 27)) if inside
                      else date(2020, 1, 1) + timedelta(days=rng.randint(0, 2000)))
            rows.append({"code": f"B{n:06d}", "name": f"Bench client {n}", "phones": "", "emails": "",
                         "address_key": "", "search_text": "", "plan_id": rng.choice(plans),
                         "company_id": rng.choice(companies + [None]), "signup_date": signup,
                         "free": rng.random() < 0.02, "deleted": rng.random() < 0.01, "balance": Decimal("0")})
        for start in range(0, count, 10_000):
            conn.execute(insert(m.Client), rows[start:start + 10_000])
        ids = conn.execute(select(m.Client.id)).scalars().all()
        connections = []
        for client_id in rng.sample(ids, count // 10):
            for extra in range(rng.choice((1, 2))):
                connections.append({"client_id": client_id, "router_id": router, "plan_id": rng.choice(plans),
                                    "ip": f"10.{2 * extra + client_id // 65536}"
                                          f".{client_id // 256 % 256}.{client_id % 256}"})
        conn.execute(insert(m.Connection), connections)
    vacuum(url)


def run_ispcube(url: str, *args: str) -> tuple[float, str]:
    """Seconds the installed command takes, start-up included, and what it printed."""
    started = time.perf_counter()
    done = subprocess.run([str(ISPCUBE), "--db", url, *args], capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"ispcube {' '.join(args)} failed ({done.returncode}): {done.stderr}")
    return elapsed, done.stdout


def timed_sql(url: str, statement: str, keep: bool = False) -> float:
    """Seconds one statement takes, in its own transaction, rolled back unless KEEP."""
    engine = create_engine(url)
    with engine.connect() as conn:
        started = time.perf_counter()
        result = conn.exec_driver_sql(statement)
        if result.returns_rows:
            result.fetchall()
        elapsed = time.perf_counter() - started
        conn.commit() if keep else conn.rollback()
    engine.dispose()
    return elapsed


def vacuum(url: str) -> None:
    """What autovacuum would have done after a bulk load (visibility map, statistics)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":     # SQLite spells it as two statements
            conn.exec_driver_sql("VACUUM")
            conn.exec_driver_sql("ANALYZE")
        else:
            conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()


def report(name: str, seconds: float, limit: float, baseline: float, baseline_name: str) -> bool:
    ok = seconds <= limit
    print(f"{name}: {seconds:.2f} s (limit {limit:.0f} s: {'ok' if ok else 'TOO SLOW'}); "
          f"baseline {baseline_name}: {baseline:.2f} s; ratio {seconds / baseline:.1f}x", flush=True)
    return ok
