"""M4: `ispcube ledger import` of 100,000 ledger lines (opening balances, debits, credits,
payments) for 20,000 clients.

Target: <= 15 s on either backend. Printed beside a baseline measured in the same run: the
same entries (clients resolved, numbers given) stored with a bare psycopg COPY (PostgreSQL)
or one sqlite3 executemany (SQLite) into the ledger_entries table of the same database, and
rolled back, i.e. what storing them costs without reading the file, checking a line or moving
a balance. The import is timed as a user runs it (the installed command, start-up included),
then run again: every line is already imported and nothing is posted.
Options: --rows N (lines), --backend sqlite|postgresql.
"""

import csv
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
import sys
import tempfile
import time

sys.path.insert(0, str(Path(__file__).parent))
from client_bench_data import (  # noqa: E402
    backends,
    load_note,
    parse_rows,
    populated,
    run_ispcube,
    verdict,
)
from ledger_bench_db import vacuum  # noqa: E402

LINES = parse_rows()
CLIENTS = max(1, LINES // 5)
HEADER = ["client", "date", "kind", "amount", "reference", "description", "due_date", "payment_method"]
KINDS = ["opening", "dx", "cx", "pago", "dx"]
SERIES = {"opening": "opening", "dx": "dx", "cx": "cx", "pago": "receipt"}
START = date(2025, 1, 1)


def ledger_lines(count: int):
    """COUNT lines: each client's first is its opening balance, then debits, credits, payments."""
    for i in range(count):
        client, step = i % CLIENTS, i // CLIENTS
        kind = KINDS[step % len(KINDS)]
        amount = f"{(i * 37) % 90_000 / 10 + 1:.2f}"
        if kind == "opening" and i % 7 == 0:
            amount = "-" + amount                      # some in the client's favour
        due = (START + timedelta(days=40 + step)).isoformat() if kind == "dx" and i % 3 == 0 else ""
        yield [f"C{client + 1:06d}", (START + timedelta(days=step)).isoformat(), kind, amount, f"L{i:07d}",
               f"migrado, línea {i}" if i % 2 else "", due, "efectivo" if kind == "pago" else ""]


def write_ledger_csv(path: Path, count: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(ledger_lines(count))
    return path


def stored_rows(ids: dict[str, int]):
    """The file's lines as ledger_entries holds them (no checking, numbers given in order)."""
    numbers = dict.fromkeys(SERIES.values(), 0)
    for client, day, kind, amount, reference, description, due, method in ledger_lines(LINES):
        series = SERIES[kind]
        numbers[series] += 1
        value = Decimal(amount) if kind in ("opening", "dx") else -Decimal(amount)
        yield (ids[client], series, series, numbers[series], day, due or None, value, "bench",
               description or None, method or None, reference)


COLUMNS = "client_id, kind, series, number, entry_date, due_date, amount, operator, comment, payment_method, import_ref"


def client_ids(url: str) -> dict[str, int]:
    from sqlalchemy import create_engine, text
    engine = create_engine(url)
    with engine.connect() as conn:
        ids = dict(conn.execute(text("SELECT code, id FROM clients")).all())
    engine.dispose()
    return ids


def bare_copy(url: str) -> float:
    import psycopg
    rows = list(stored_rows(client_ids(url)))
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        start = time.perf_counter()
        with conn.cursor() as cursor, cursor.copy(f"COPY ledger_entries ({COLUMNS}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        seconds = time.perf_counter() - start
        conn.rollback()
    return seconds


def bare_executemany(url: str) -> float:
    import sqlite3
    rows = [(*row[:6], int(row[6] * 100), *row[7:]) for row in stored_rows(client_ids(url))]   # cents
    conn = sqlite3.connect(url.split("///", 1)[1])
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    marks = ", ".join("?" for _ in range(11))
    start = time.perf_counter()
    conn.executemany(f"INSERT INTO ledger_entries ({COLUMNS}) VALUES ({marks})", rows)
    seconds = time.perf_counter() - start
    conn.rollback()
    conn.close()
    return seconds


def main() -> int:
    print(f"M4 ledger import, {LINES} lines for {CLIENTS} clients; {load_note()}")
    ok = True
    with tempfile.TemporaryDirectory() as directory:
        path = write_ledger_csv(Path(directory) / "ledger.csv", LINES)
        print(f"  file: {path.stat().st_size / 1e6:.1f} MB")
        for backend in backends():
            with populated(backend, "ispcube_bench_ledger_import", CLIENTS) as url:
                baseline = bare_copy(url) if backend == "postgresql" else bare_executemany(url)
                vacuum(url)
                seconds, out = run_ispcube(url, "ledger", "import", str(path))
                print(f"  {backend}: {out.strip()}")
                again, out = run_ispcube(url, "ledger", "import", str(path))
                print(f"  {backend}: again: {out.strip()}")
                _, rebuilt = run_ispcube(url, "ledger", "rebuild")
                print(f"  {backend}: ledger rebuild: {rebuilt.strip()}")
            what = "bare psycopg COPY" if backend == "postgresql" else "bare sqlite3 executemany"
            print(f"  {backend}: import {seconds:.2f} s; run again (all already imported) {again:.2f} s; "
                  f"baseline ({what} of the same entries): {baseline:.2f} s; ratio {seconds / baseline:.1f}x")
            ok &= verdict(f"{backend} ledger import", seconds, 15)
            ok &= "0 wrong balance" in rebuilt
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
