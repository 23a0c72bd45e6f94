"""C11: `ispcube client list --template listing --out FILE.pdf` for 5,000 clients.

Prints the time of the real command (a subprocess: start-up, query, sandboxed template,
WeasyPrint) and the page count, next to the baseline measured in the same run: WeasyPrint
alone rendering the very same HTML string (taken from `--out FILE.html`) to PDF, i.e. the
least any PDF listing built on WeasyPrint can cost. The database is a scratch SQLite file.
"""

from decimal import Decimal
from pathlib import Path
import subprocess
import sys
import tempfile
import time

CLIENTS = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 5_000
ISPCUBE = [sys.executable, "-c", "from ispcube.cli.main import run; run()"]   # the `ispcube` command


def build_database(path: Path) -> str:
    from sqlalchemy import insert

    from ispcube.db import models as m
    from ispcube.db.engine import get_engine
    from ispcube.db.schema import upgrade
    url = f"sqlite:///{path}"
    engine = get_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(insert(m.Company), [{"number": 1, "name": "Red Sur S.R.L.", "tax_id": "30-71234567-9",
                                          "address": "Av. Belgrano 1450, Córdoba"}])
        conn.execute(insert(m.PostalCode), [{"code": f"X50{n:02d}", "locality": f"Barrio {n}"} for n in range(20)])
        conn.execute(insert(m.Plan), [{"name": f"Hogar {n}", "price": Decimal(9500 + n * 1000)} for n in range(5)])
        conn.execute(insert(m.Client), [client_row(n) for n in range(1, CLIENTS + 1)])
    engine.dispose()
    return url


def client_row(n: int) -> dict:
    return {"code": f"{n:05d}", "name": f"Cliente de prueba número {n}", "address": f"Calle {n % 400} {n}",
            "address_key": "", "postal_code_id": n % 20 + 1, "plan_id": n % 5 + 1,
            "phones": f"0351 4{n:06d}", "emails": "", "search_text": f"{n:05d}",
            "balance": Decimal(n % 97 * 150 - 3000), "service": "cut" if n % 11 == 0 else "active",
            "contract": False, "free": False, "blockable": True, "preaviso": True,
            "tickets_blocked": False, "deleted": False}


def timed(args: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(args)} failed: {done.stderr.strip()}")
    return seconds, done.stdout


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="ispcube-bench-listing-") as folder:
        work = Path(folder)
        url = build_database(work / "bench.db")
        html_seconds, _ = timed([*ISPCUBE, "--db", url, "client", "list", "--template", "listing",
                                 "--out", str(work / "listing.html")])
        pdf_seconds, out = timed([*ISPCUBE, "--db", url, "client", "list", "--template", "listing",
                                  "--out", str(work / "listing.pdf")])
        from weasyprint import HTML
        html = (work / "listing.html").read_text(encoding="utf-8")
        start = time.perf_counter()
        document = HTML(string=html).render()
        document.write_pdf(work / "baseline.pdf")
        baseline = time.perf_counter() - start
        print(f"clients: {CLIENTS}; {out.strip()}")
        print(f"listing to HTML: {html_seconds:.2f} s")
        print(f"listing to PDF: {pdf_seconds:.2f} s, {len(document.pages)} pages "
              f"({pdf_seconds / len(document.pages) * 1000:.0f} ms per page)")
        print(f"baseline, WeasyPrint alone on the same HTML: {baseline:.2f} s; ratio {pdf_seconds / baseline:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
