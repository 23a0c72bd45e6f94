"""P1: `ispcube client import` of 100,000 valid clients from CSV.

Targets: PostgreSQL <= 15 s and <= 20x a bare psycopg COPY of the same rows; SQLite <= 15 s.
Baseline, measured in the same run: the same rows COPYed with psycopg (PostgreSQL) or inserted
with one sqlite3 executemany (SQLite) into the clients table of a fresh database, i.e. what
storing them costs without any checking. The import is timed as a user runs it (the installed
command, start-up included). Options: --rows N, --backend sqlite|postgresql.
"""

from pathlib import Path
import resource
import sys
import tempfile
import time

sys.path.insert(0, str(Path(__file__).parent))
from client_bench_data import (  # noqa: E402
    add_references,
    backends,
    client_rows,
    load_note,
    parse_rows,
    run_ispcube,
    scratch_database,
    verdict,
    write_clients_csv,
)

ROWS = parse_rows()
def stored_rows():
    """The file's rows as the clients table holds them (no checking, no derived columns)."""
    for r in client_rows(ROWS):
        yield (r[0], r[1], r[2], r[3], r[4], r[6], r[7], r[9], float(r[10]), float(r[11]), r[12])


COLUMNS = "code, name, address, id_type, id_number, phones, emails, signup_date, lat, lng, payment_method"
CONSTANTS = {"contract": False, "free": False, "blockable": True, "preaviso": True, "tickets_blocked": False,
             "balance": 0, "service": "active", "deleted": False, "address_key": "", "search_text": ""}


def bare_copy(url: str) -> float:
    import psycopg
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        extra = ", ".join(CONSTANTS)
        start = time.perf_counter()
        with conn.cursor() as cursor, cursor.copy(f"COPY clients ({COLUMNS}, {extra}) FROM STDIN") as copy:
            for row in stored_rows():
                copy.write_row(row + tuple(CONSTANTS.values()))
        conn.commit()
        return time.perf_counter() - start


def bare_executemany(url: str) -> float:
    import sqlite3
    conn = sqlite3.connect(url.split("///", 1)[1])
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    extra = ", ".join(CONSTANTS)
    marks = ", ".join("?" for _ in range(11 + len(CONSTANTS)))
    values = tuple(int(v) if isinstance(v, bool) else v for v in CONSTANTS.values())
    start = time.perf_counter()
    conn.executemany(f"INSERT INTO clients ({COLUMNS}, {extra}) VALUES ({marks})",
                     (row + values for row in stored_rows()))
    conn.commit()
    seconds = time.perf_counter() - start
    conn.close()
    return seconds


def main() -> int:
    print(f"P1 client import, {ROWS} rows; {load_note()}")
    ok = True
    with tempfile.TemporaryDirectory() as directory:
        path = write_clients_csv(Path(directory) / "clients.csv", ROWS)
        print(f"  file: {path.stat().st_size / 1e6:.1f} MB")
        for backend in backends():
            with scratch_database(backend, "ispcube_bench_import") as url:
                add_references(url)
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                seconds, out = run_ispcube(url, "client", "import", str(path))
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                print(f"  {backend}: {out.strip()}")
                print(f"  {backend}: import {seconds:.2f} s wall, {cpu:.2f} s CPU (all processes)")
            with scratch_database(backend, "ispcube_bench_import_base") as url:
                baseline = bare_copy(url) if backend == "postgresql" else bare_executemany(url)
            what = "bare psycopg COPY" if backend == "postgresql" else "bare sqlite3 executemany"
            print(f"  {backend}: baseline ({what} of the same rows): {baseline:.2f} s; "
                  f"ratio {seconds / baseline:.1f}x")
            ok &= verdict(f"{backend} import", seconds, 15)
            if backend == "postgresql":
                ok &= verdict("postgresql ratio to COPY", seconds / baseline, 20, "x")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
