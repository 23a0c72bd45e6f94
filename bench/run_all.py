"""Run every benchmark in bench/ (files named bench_*.py), one process each."""

from pathlib import Path
import subprocess
import sys

failed = 0
for script in sorted(Path(__file__).parent.glob("bench_*.py")):
    print(f"== {script.stem}", flush=True)
    failed += subprocess.run([sys.executable, str(script), *sys.argv[1:]]).returncode != 0
sys.exit(1 if failed else 0)
