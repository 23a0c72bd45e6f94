"""M4: `ispcube connection import` of 100,000 valid connections from CSV.

Target: <= 15 s on SQLite and on PostgreSQL. Baseline, measured in the same run and the same
database: the same rows, their client and router ids already known, COPYed with psycopg
(PostgreSQL) or inserted with one sqlite3 executemany (SQLite) into the empty connections
table, i.e. what storing them costs without any checking; the table is emptied again before
the import. The set-up (100,000 clients, 4 routers) is not timed. The import is timed as a
user runs it (the installed command, start-up included). Options: --rows N,
--backend sqlite|postgresql.
"""

import csv
from pathlib import Path
import resource
import sys
import tempfile
import time

sys.path.insert(0, str(Path(__file__).parent))
from client_bench_data import (  # noqa: E402
    add_references,
    backends,
    load_note,
    parse_rows,
    run_ispcube,
    scratch_database,
    verdict,
    write_clients_csv,
)

ROWS = parse_rows()
ROUTERS = ["r0", "r1", "r2", "r3"]
HEADER = ["client", "router", "ip", "mac", "pppoe_user", "plan", "cpe_kind", "panel"]
COLUMNS = "client_id, router_id, ip, mac, pppoe_user, plan_id, cpe_kind, panel_router_id"


def connection_rows(count: int):
    """COUNT valid connections, one per client C000001...: distinct IPs, MACs and PPPoE users."""
    for i in range(1, count + 1):
        yield [f"C{i:06d}", ROUTERS[i % len(ROUTERS)], f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}",
               f"02:00:{(i >> 24) & 255:02X}:{(i >> 16) & 255:02X}:{(i >> 8) & 255:02X}:{i & 255:02X}",
               f"user{i}", "Hogar", "ubiquiti", ""]


def write_connections_csv(path: Path, count: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(connection_rows(count))
    return path


def stored_rows(url: str) -> list[tuple]:
    """The file's rows as the connections table holds them (ids looked up beforehand)."""
    from sqlalchemy import create_engine, text
    engine = create_engine(url)
    with engine.connect() as conn:
        clients = dict(conn.execute(text("SELECT code, id FROM clients")).all())
        routers = dict(conn.execute(text("SELECT name, id FROM routers")).all())
        plan = conn.execute(text("SELECT id FROM plans WHERE name = 'Hogar'")).scalar()
    engine.dispose()
    return [(clients[r[0]], routers[r[1]], r[2], r[3], r[4], plan, r[6], None) for r in connection_rows(ROWS)]


def bare_copy(url: str, rows: list[tuple]) -> float:
    import psycopg
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        start = time.perf_counter()
        with conn.cursor() as cursor, cursor.copy(f"COPY connections ({COLUMNS}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
        seconds = time.perf_counter() - start
        conn.execute("TRUNCATE connections CASCADE")
        conn.commit()
        return seconds


def bare_executemany(url: str, rows: list[tuple]) -> float:
    import sqlite3
    conn = sqlite3.connect(url.split("///", 1)[1])
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    start = time.perf_counter()
    conn.executemany(f"INSERT INTO connections ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    conn.commit()
    seconds = time.perf_counter() - start
    conn.execute("DELETE FROM connections")
    conn.commit()
    conn.close()
    return seconds


def main() -> int:
    print(f"M4 connection import, {ROWS} rows; {load_note()}")
    ok = True
    with tempfile.TemporaryDirectory() as directory:
        clients = write_clients_csv(Path(directory) / "clients.csv", ROWS)
        path = write_connections_csv(Path(directory) / "connections.csv", ROWS)
        print(f"  file: {path.stat().st_size / 1e6:.1f} MB")
        for backend in backends():
            with scratch_database(backend, "ispcube_bench_connections") as url:
                add_references(url)
                for n, name in enumerate(ROUTERS):
                    run_ispcube(url, "router", "add", name, "--kind", "mikrotik", "--host", f"10.255.0.{n + 1}")
                setup, _ = run_ispcube(url, "client", "import", str(clients))
                print(f"  ({backend}: {ROWS} clients imported in {setup:.1f} s for the set-up)")
                rows = stored_rows(url)
                baseline = bare_copy(url, rows) if backend == "postgresql" else bare_executemany(url, rows)
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                seconds, out = run_ispcube(url, "connection", "import", str(path))
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                print(f"  {backend}: {out.strip()}")
                print(f"  {backend}: import {seconds:.2f} s wall, {cpu:.2f} s CPU (all processes)")
            what = "bare psycopg COPY" if backend == "postgresql" else "bare sqlite3 executemany"
            print(f"  {backend}: baseline ({what} of the same rows): {baseline:.2f} s; "
                  f"ratio {seconds / baseline:.1f}x")
            ok &= verdict(f"{backend} import", seconds, 15)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
