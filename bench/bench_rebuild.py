"""P5: `ispcube ledger rebuild` of 100,000 clients with 2,000,000 entries on PostgreSQL in <= 30 s.

1% of the cached balances are made wrong first, so the rebuild has something to report and fix.
Baseline, measured in the same run and database: a bare SELECT client_id, SUM(amount) ...
GROUP BY client_id over the same entries, i.e. the least any rebuild can cost.
"""

from datetime import date
import json
from pathlib import Path
import sys

sys.path.insert(0, str(Path(__file__).parent))
from ledger_bench_db import add_clients, report, run_ispcube, scratch_database, timed_sql, vacuum  # noqa: E402

CLIENTS = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 100_000
ENTRIES = CLIENTS * 20
# Set-up only (not timed): entries of every kind spread over the clients, numbered per series.
ADD_ENTRIES = f"""
INSERT INTO ledger_entries (client_id, kind, series, number, entry_date, amount, operator)
SELECT c.first_id + mod(g, {CLIENTS}), k.kind, k.kind, g,
       DATE '2024-01-01' + mod(g, 900), k.sign * mod(g::bigint * 7919, 1000000) / 100.0, 'bench'
FROM generate_series(1, {ENTRIES}) AS g
CROSS JOIN (SELECT min(id) AS first_id FROM clients) AS c
JOIN (VALUES (0, 'dx', 1), (1, 'cx', -1), (2, 'receipt', -1), (3, 'dx', 1)) AS k(slot, kind, sign)
  ON k.slot = mod(g, 4)
"""
SET_BALANCES = """
UPDATE clients SET balance = s.total
FROM (SELECT client_id, SUM(amount) AS total FROM ledger_entries GROUP BY client_id) AS s
WHERE clients.id = s.client_id
"""
BREAK_ONE_IN_A_HUNDRED = "UPDATE clients SET balance = balance + 0.01 WHERE mod(id, 100) = 0"
BASELINE = "SELECT client_id, SUM(amount) FROM ledger_entries GROUP BY client_id"


def main() -> int:
    with scratch_database("ispcube_bench_rebuild") as url:
        add_clients(url, CLIENTS, date(2026, 5, 1))
        for statement in (ADD_ENTRIES, SET_BALANCES, BREAK_ONE_IN_A_HUNDRED):
            timed_sql(url, statement, keep=True)
        vacuum(url)
        baseline = timed_sql(url, BASELINE)
        seconds, out = run_ispcube(url, "--format", "json", "ledger", "rebuild")
        fixed = json.loads(out)
        again, out = run_ispcube(url, "--format", "json", "ledger", "rebuild")
        print(f"clients: {fixed['checked']}; entries: {ENTRIES}; wrong balances found and fixed: "
              f"{len(fixed['wrong'])}; left wrong after: {len(json.loads(out)['wrong'])}")
        ok = report("ledger rebuild", seconds, 30, baseline, "bare SUM ... GROUP BY of the same entries")
        print(f"second rebuild (nothing to fix): {again:.2f} s")
        return 0 if ok and len(fixed["wrong"]) == CLIENTS // 100 and not json.loads(out)["wrong"] else 1


if __name__ == "__main__":
    sys.exit(main())
