"""P3: `ispcube export clients --out FILE.xlsx` of 100,000 clients: <= 1.3x a bare openpyxl
write-only loop writing the same cells, and a peak memory of <= 300 MB.

Both run as child processes (wall time, and peak RSS read with resource.getrusage in a child
that runs nothing else). The baseline fetches the same record query with the bare driver (the
SQL compiled once by SQLAlchemy beforehand) and appends each row as it comes to an openpyxl
write-only sheet. Options: --rows N, --backend sqlite|postgresql.
"""

from pathlib import Path
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(Path(__file__).parent))
from client_bench_data import ISPCUBE, backends, load_note, parse_rows, populated, verdict  # noqa: E402

ROWS = parse_rows()
PEAK = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, done.returncode)
"""
BARE = """
import sys
from openpyxl import Workbook
from sqlalchemy import create_engine
url, sql, out = sys.argv[1:]
raw = create_engine(url).raw_connection()
cursor = raw.cursor()
cursor.execute(sql)
book = Workbook(write_only=True)
sheet = book.create_sheet("Clients")
sheet.append([d[0] for d in cursor.description][1:])
while True:
    rows = cursor.fetchmany(2000)
    if not rows:
        break
    for row in rows:
        sheet.append(list(row)[1:])
book.save(out)
"""


def in_child(*command: str) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of COMMAND, run in a child that runs nothing else."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PEAK, *command], capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    peak_kb, code = done.stdout.split()
    if code != "0":
        raise SystemExit(f"{command[0]} failed with exit {code}")
    return seconds, int(peak_kb) / 1024


def record_sql(url: str) -> str:
    from ispcube.db import models as m
    from ispcube.db.engine import get_engine
    from ispcube.services.clients.views import view_select
    query = view_select().where(m.Client.deleted.is_(False)).order_by(m.Client.code)
    return str(query.compile(get_engine(url), compile_kwargs={"literal_binds": True}))


def main() -> int:
    print(f"P3 export clients to XLSX, {ROWS} clients; {load_note()}")
    ok = True
    for backend in backends():
        with populated(backend, "ispcube_bench_export", ROWS) as url, tempfile.TemporaryDirectory() as directory:
            ours_file, bare_file = Path(directory) / "ours.xlsx", Path(directory) / "bare.xlsx"
            ours, ours_peak = in_child(str(ISPCUBE), "--db", url, "export", "clients", "--out", str(ours_file))
            bare, bare_peak = in_child(sys.executable, "-c", BARE, url, record_sql(url), str(bare_file))
            print(f"  {backend}: export {ours:.2f} s, peak RSS {ours_peak:.0f} MB, "
                  f"{ours_file.stat().st_size / 1e6:.1f} MB file")
            print(f"  {backend}: bare openpyxl loop {bare:.2f} s, peak RSS {bare_peak:.0f} MB; "
                  f"ratio {ours / bare:.2f}x")
            ok &= verdict(f"{backend} ratio to the bare loop", ours / bare, 1.3, "x")
            ok &= verdict(f"{backend} peak memory", ours_peak, 300, "MB")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
