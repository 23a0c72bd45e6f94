"""P6: start-up. `ispcube --help` <= 0.35 s and `ispcube client show CODE` <= 0.6 s wall clock,
against `python -c pass` as the baseline, all measured in the same run.

Each command runs REPEAT times as a fresh process of the installed `ispcube`; the figure is the
median (the minimum is printed too: on a shared machine it is the least disturbed run).
Bytecode caching is on, as for an installed package. `client show` is timed on the embedded
SQLite (the default) and, for information, on PostgreSQL. Options: --backend sqlite|postgresql.
"""

import os
from pathlib import Path
import statistics
import subprocess
import sys
import time

sys.path.insert(0, str(Path(__file__).parent))
from client_bench_data import ISPCUBE, backends, load_note, run_ispcube, scratch_database, verdict  # noqa: E402

REPEAT = 15
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timings(command: list[str]) -> tuple[float, float]:
    subprocess.run(command, stdout=subprocess.DEVNULL, env=ENV, check=True)   # bytecode cache, disk cache
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, env=ENV, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def show(label: str, median: float, fastest: float, baseline: float) -> None:
    print(f"  {label}: median {median:.3f} s, min {fastest:.3f} s; {median / baseline:.1f}x python -c pass")


def main() -> int:
    print(f"P6 start-up; {load_note()}")
    baseline, fastest = timings([sys.executable, "-c", "pass"])
    show("python -c pass", baseline, fastest, baseline)
    help_median, help_min = timings([str(ISPCUBE), "--help"])
    show("ispcube --help", help_median, help_min, baseline)
    ok = verdict("ispcube --help (median)", help_median, 0.35)
    for backend in backends():
        with scratch_database(backend, "ispcube_bench_startup") as url:
            run_ispcube(url, "client", "add", "--code", "C1", "--name", "Cliente Uno", "--address", "Calle 1")
            run_ispcube(url, "client", "note", "add", "C1", "llamar el lunes")
            median, fastest = timings([str(ISPCUBE), "--db", url, "client", "show", "C1"])
        show(f"ispcube client show ({backend})", median, fastest, baseline)
        if backend == "sqlite":
            ok &= verdict("ispcube client show, embedded SQLite (median)", median, 0.6)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
