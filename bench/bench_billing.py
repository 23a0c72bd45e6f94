"""P5: `ispcube billing run` for 100,000 clients on PostgreSQL in <= 20 s.

Baseline, measured in the same run and database: a bare INSERT ... SELECT of the same number of
invoice rows (client, plan price) into a copy of ledger_entries with the same indexes, i.e. the
least any billing can cost. Also times the second run of the period, which must add nothing.
"""

from datetime import date
import json
from pathlib import Path
import sys

sys.path.insert(0, str(Path(__file__).parent))
from ledger_bench_db import add_clients, report, run_ispcube, scratch_database, timed_sql  # noqa: E402

CLIENTS = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 100_000
PERIOD = "2026-05"
BASELINE = """
INSERT INTO bench_baseline (client_id, kind, series, number, entry_date, due_date, period, amount, operator)
SELECT c.id, 'invoice', 'invoice-0', row_number() OVER (ORDER BY c.code), DATE '2026-05-01',
       DATE '2026-05-10', '2026-05', p.price, 'bench'
FROM clients c JOIN plans p ON p.id = c.plan_id
WHERE NOT c.free AND NOT c.deleted
"""


def main() -> int:
    with scratch_database("ispcube_bench_billing") as url:
        add_clients(url, CLIENTS, date(2026, 5, 1))
        timed_sql(url, "CREATE TABLE bench_baseline (LIKE ledger_entries INCLUDING DEFAULTS INCLUDING INDEXES "
                       "INCLUDING CONSTRAINTS)", keep=True)
        _, _ = run_ispcube(url, "billing", "run", "--period", "2026-04", "--dry-run")   # warm the caches
        baseline = timed_sql(url, BASELINE)
        seconds, out = run_ispcube(url, "--format", "json", "billing", "run", "--period", PERIOD)
        made = json.loads(out)
        again, out = run_ispcube(url, "--format", "json", "billing", "run", "--period", PERIOD)
        print(f"clients: {CLIENTS}; invoiced {made['invoices']} ({made['prorated']} prorated), "
              f"total {made['total']}; second run added {json.loads(out)['invoices']}")
        ok = report("billing run", seconds, 20, baseline, "bare INSERT ... SELECT of the same rows")
        print(f"second run of the same period: {again:.2f} s")
        return 0 if ok and json.loads(out)["invoices"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
