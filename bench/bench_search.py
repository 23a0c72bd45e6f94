"""P2: `client list --search` over 100,000 clients, <= 150 ms per query on both backends.

Each query is the service `client list` calls (filters, joins for the shown names, collector
scope, one dict per client), timed in-process so the figure is the query's, not the start-up's
(bench_startup.py covers that). Baseline, measured in the same run: the bare SQL
`SELECT id FROM clients WHERE search_text LIKE '%term%'` through the driver, which reads every
client on SQLite (where the search uses the FTS5 trigram index instead) and uses the trigram
index on PostgreSQL. Terms an operator types to find a client (a full name, a phone fragment,
an e-mail, an ID number, a code, text matching nothing) decide the verdict; a bare surname
shared by 8% of the base is timed too, for information: there the thousands of complete
records returned cost more than finding them, so it is also compared with the driver alone
fetching the same rows (the listing's own SQL, without building records).
Options: --rows N, --backend sqlite|postgresql.
"""

from pathlib import Path
import sys
import time

sys.path.insert(0, str(Path(__file__).parent))
from client_bench_data import backends, load_note, median_of, parse_rows, populated, verdict  # noqa: E402

ROWS = parse_rows()
TERMS = ["maria gomez 4711", "4711-4711", "cliente88888@example", "10.012.345", "c054321", "zzzz nadie"]
BROAD = "núñez"
REPEAT = 5


def timed(function) -> float:
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return median_of(times)


def measure(url: str) -> tuple[dict[str, tuple[float, int]], dict[str, float]]:
    from ispcube.db.engine import get_engine
    from ispcube.domain.text import fold
    from ispcube.services.clients.query import ClientFilter, filtered_select, list_clients
    from ispcube.services.process.runtime import Runtime
    rt = Runtime(engine=get_engine(url))
    ours, bare = {}, {}
    with rt.uow() as uow:
        actor = rt.actor(uow)
        list_clients(uow, ClientFilter(search="warm up"), actor)
        for term in TERMS + [BROAD]:
            found = len(list_clients(uow, ClientFilter(search=term), actor))
            ours[term] = (timed(lambda term=term: list_clients(uow, ClientFilter(search=term), actor)), found)
        conn = uow.session.connection()
        listing = filtered_select(conn, ClientFilter(search=BROAD), actor).compile(
            conn, compile_kwargs={"literal_binds": True})
    raw = rt.engine.raw_connection()
    try:
        cursor = raw.cursor()
        mark = "%s" if rt.engine.dialect.name == "postgresql" else "?"
        query = f"SELECT id FROM clients WHERE search_text LIKE {mark}"
        for term in TERMS + [BROAD]:
            pattern = f"%{fold(term)}%"
            bare[term] = timed(lambda pattern=pattern: cursor.execute(query, (pattern,)).fetchall())
        # Rendered for a driver taking parameters, where % is written %%; sent here without any.
        sql = str(listing).replace("%%", "%") if mark == "%s" else str(listing)
        assert len(cursor.execute(sql).fetchall()) == ours[BROAD][1]
        bare["rows"] = timed(lambda: cursor.execute(sql).fetchall())
    finally:
        raw.close()
    return ours, bare


def main() -> int:
    print(f"P2 client list --search over {ROWS} clients; {load_note()}")
    ok = True
    for backend in backends():
        with populated(backend, "ispcube_bench_search", ROWS) as url:
            ours, bare = measure(url)
        for term, (seconds, found) in ours.items():
            print(f"  {backend}: --search {term!r}{' (broad, for information)' if term == BROAD else ''}: "
                  f"{seconds * 1000:.1f} ms, {found} clients; bare LIKE "
                  f"{bare[term] * 1000:.1f} ms; ratio {seconds / max(bare[term], 1e-6):.1f}x")
        broad = ours[BROAD][0]
        print(f"  {backend}: the same {ours[BROAD][1]} rows fetched by the driver alone (the listing's SQL): "
              f"{bare['rows'] * 1000:.1f} ms; the broad search is {broad / bare['rows']:.1f}x that")
        worst = max(seconds for term, (seconds, _) in ours.items() if term != BROAD)
        ok &= verdict(f"{backend} slowest query finding a client", worst * 1000, 150, "ms")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
