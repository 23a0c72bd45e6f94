"""Shared set-up of the client benchmarks (P1-P3, P6): scratch databases, a generated
client file, timing helpers. Not a benchmark itself (run_all.py runs only bench_*.py files).
"""

from contextlib import contextmanager
import csv
import os
from pathlib import Path
import random
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Iterator
import uuid

from sqlalchemy import create_engine, text

ADMIN_URL = os.environ.get("ISPCUBE_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
ISPCUBE = Path(sys.executable).with_name("ispcube")
HEADER = ["code", "name", "address", "id_type", "id_number", "postal_code", "phone", "email", "status",
          "signup_date", "lat", "lng", "payment_method", "plan", "collector"]
FIRST = ["Juan", "María", "José", "Ana", "Luis", "Sofía", "Carlos", "Lucía", "Jorge", "Valentina", "Raúl", "Inés"]
LAST = ["Pérez", "Gómez", "Rodríguez", "Fernández", "López", "Martínez", "García", "Sánchez", "Romero",
        "Díaz", "Núñez", "Muñoz"]
STREETS = ["Amenábar", "Bolívar", "Corrientes", "Santa Fe", "Rivadavia", "Cabildo", "Juramento", "Olazábal"]
POSTAL_CODES = ["1414", "1425", "X5000", "B1900"]


def parse_rows(default: int = 100_000) -> int:
    """`--rows N` on the command line (smaller runs while trying things out)."""
    if "--rows" in sys.argv:
        return int(sys.argv[sys.argv.index("--rows") + 1])
    return default


def backends() -> list[str]:
    """`--backend sqlite|postgresql` restricts the run to one backend."""
    if "--backend" in sys.argv:
        return [sys.argv[sys.argv.index("--backend") + 1]]
    return ["sqlite", "postgresql"]


def client_rows(count: int, seed: int = 7) -> Iterator[list[str]]:
    """COUNT valid, distinct clients (unique codes, DNI numbers and addresses)."""
    rng = random.Random(seed)
    for i in range(1, count + 1):
        yield [f"C{i:06d}", f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}", f"{rng.choice(STREETS)} {i}",
               "DNI", str(10_000_000 + i), rng.choice(POSTAL_CODES), f"011 4{i % 1000:03d}-{i % 10000:04d}",
               f"cliente{i}@example.com", "Activo", f"20{10 + i % 15}-{1 + i % 12:02d}-{1 + i % 28:02d}",
               f"{-34 - (i % 1000) / 1000:.4f}", f"{-58 - (i % 999) / 1000:.4f}",
               rng.choice(["cash", "transfer", "card"]), "Hogar", "ana" if i % 10 == 0 else ""]


def write_clients_csv(path: Path, count: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(client_rows(count))
    return path


def add_references(url: str) -> None:
    """What the generated clients refer to: postal codes, a status, a plan, a collector."""
    for code in POSTAL_CODES:
        run_ispcube(url, "postal-code", "add", "--code", code, "--locality", f"Localidad {code}")
    run_ispcube(url, "status", "add", "--name", "Activo")
    run_ispcube(url, "plan", "add", "--name", "Hogar", "--price", "9500")
    run_ispcube(url, "operator", "add", "--name", "ana", "--role", "collector")


def run_ispcube(url: str, *args: str) -> tuple[float, str]:
    """Run the installed command as a user would; its wall time and stdout."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    start = time.perf_counter()
    done = subprocess.run([str(ISPCUBE), "--db", url, *args], capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"ispcube {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    return seconds, done.stdout


@contextmanager
def scratch_database(backend: str, prefix: str) -> Iterator[str]:
    """A new, migrated database (a temporary SQLite file, or a PostgreSQL database), removed
    afterwards whatever happens."""
    from ispcube.db.engine import get_engine
    from ispcube.db.schema import upgrade
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix=prefix) as directory:
            url = f"sqlite:///{directory}/bench.db"
            upgrade(get_engine(url))
            try:
                yield url
            finally:
                get_engine(url).dispose()
        return
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(get_engine(url))
        yield url
    finally:
        get_engine(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def populated(backend: str, prefix: str, count: int) -> Iterator[str]:
    """A scratch database holding COUNT clients, imported with `client import`."""
    with scratch_database(backend, prefix) as url, tempfile.TemporaryDirectory() as directory:
        add_references(url)
        seconds, _ = run_ispcube(url, "client", "import", str(write_clients_csv(Path(directory) / "c.csv", count)))
        print(f"  ({backend}: {count} clients imported in {seconds:.1f} s for the set-up)")
        yield url


def median_of(times: list[float]) -> float:
    return statistics.median(times)


def verdict(label: str, value: float, limit: float, unit: str = "s") -> bool:
    ok = value <= limit
    print(f"  {label}: {value:.3f} {unit} (limit {limit:g} {unit}) {'OK' if ok else 'OVER'}")
    return ok


def load_note() -> str:
    """The machine's load while measuring: the figures mean little on a busy machine."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} on {os.cpu_count()} cores"
