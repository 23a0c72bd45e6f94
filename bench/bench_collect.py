"""K3: `ispcube collect sepa` for 50,000 clients paying by `sepa` (target <= 20 s), SQLite and PostgreSQL.

Every client pays by `sepa`, has a valid IBAN and a signed mandate, and owes one overdue invoice;
half of them also have an invoice not yet due on the collection date, which the command must
leave for the next batch. Timed: the installed command as a user runs it (start-up, the query,
the pain.008 file built and validated against the schema, the batch and its items recorded,
the file written). Baseline, measured in the same run: sepaxml alone building the same
transactions from plain Python values and libxml2 (lxml) validating them against the schema,
with no database, i.e. the work the command cannot avoid.

Usage: python bench/bench_collect.py [--rows N] [--backend sqlite|postgresql]
"""

from datetime import date, timedelta
import json
from pathlib import Path
import sys
import tempfile
import time

sys.path.insert(0, str(Path(__file__).parent))
from client_bench_data import (
    backends,
    load_note,
    parse_rows,
    run_ispcube,
    scratch_database,
)
from ledger_bench_db import add_clients, report, vacuum

CLIENTS = parse_rows(50_000)
LIMIT_S = 20
TODAY = date.today()
COLLECTION = TODAY + timedelta(days=1)
CREDITOR = {"currency": "EUR", "sepa.creditor_id": "DE98ZZZ09999999999",
            "sepa.creditor_name": "Fibra del Sur S.L.", "sepa.creditor_iban": "ES7921000813610123456789"}
# Debtor IBANs DE<check>37040044<account>: the accounts 1,000,000,000 + 97 * client id all leave the
# same remainder mod 97, so one pair of check digits makes every one of them valid.
BANK_CODE, ACCOUNT_BASE = "37040044", 1_000_000_000
CHECK = 98 - int(f"{BANK_CODE}{ACCOUNT_BASE}131400") % 97


def make_sepa_debtors(url: str) -> None:
    """Turn every bulk client into a collectable `sepa` debtor, set-based (not timed)."""
    from sqlalchemy import String, cast, func, insert, literal, select, update

    from ispcube.db import models as m
    from ispcube.db.engine import get_engine
    from ispcube.db.ledger_models import LedgerEntry
    from ispcube.domain.bank import parse_iban
    c, e = m.Client, LedgerEntry
    account = cast(c.id * 97 + ACCOUNT_BASE, String)
    with get_engine(url).begin() as conn:
        conn.execute(update(c).values(
            payment_method="sepa", deleted=False, iban=literal(f"DE{CHECK:02d}{BANK_CODE}") + account,
            mandate_ref=literal("MAND-") + c.code, mandate_date=date(2025, 1, 1)))
        # One invoice due a month ago for everyone; one not yet due on the collection date for half.
        for series, period, issued, due, which in (
                ("invoice-1", "2026-01", TODAY - timedelta(days=40), TODAY - timedelta(days=30), c.id > 0),
                ("invoice-2", "2026-02", TODAY, TODAY + timedelta(days=10), c.id % 2 == 0)):
            conn.execute(insert(e).from_select(
                ["client_id", "kind", "series", "number", "entry_date", "due_date", "period", "amount", "operator"],
                select(c.id, literal("invoice"), literal(series), c.id, literal(issued), literal(due),
                       literal(period), m.Plan.price, literal("bench"))
                .join(m.Plan, m.Plan.id == c.plan_id).where(which)))
        conn.execute(update(c).values(balance=select(func.sum(e.amount)).where(e.client_id == c.id)
                                      .scalar_subquery()))
        sample = conn.execute(select(c.iban).limit(1)).scalar_one()
    parse_iban(sample)          # the generated IBANs pass the same check as `client edit --iban`
    vacuum(url)


def debtors(url: str) -> dict[str, dict]:
    """{code: name, IBAN, mandate} read once, so the baseline starts from plain values."""
    from sqlalchemy import select

    from ispcube.db import models as m
    from ispcube.db.engine import get_engine
    c = m.Client
    with get_engine(url).connect() as conn:
        rows = conn.execute(select(c.code, c.name, c.iban, c.mandate_ref, c.mandate_date))
        return {row.code: {"name": row.name, "IBAN": row.iban, "mandate_id": row.mandate_ref,
                           "mandate_date": row.mandate_date} for row in rows}


def baseline(items: list[dict], known: dict[str, dict]) -> float:
    """sepaxml building the same transactions, lxml validating them; no database."""
    from decimal import Decimal

    from lxml import etree
    import sepaxml
    from sepaxml import SepaDD

    from ispcube.domain.bank import bic_of
    payments = [{**known[item["client"]], "amount": int(Decimal(item["amount"]) * 100), "type": item["sequence"],
                 "collection_date": COLLECTION, "endtoend_id": item["end_to_end_id"],
                 "description": f"{item['client']} {CREDITOR['sepa.creditor_name']}"} for item in items]
    started = time.perf_counter()
    document = SepaDD({"name": CREDITOR["sepa.creditor_name"], "IBAN": CREDITOR["sepa.creditor_iban"],
                       "BIC": bic_of(CREDITOR["sepa.creditor_iban"]), "batch": True,
                       "creditor_id": CREDITOR["sepa.creditor_id"], "currency": "EUR"},
                      schema="pain.008.001.02", clean=True)
    for payment in payments:
        document.add_payment(payment)
    built = document.export(validate=False)
    schema = etree.XMLSchema(etree.parse(str(Path(sepaxml.__file__).parent / "schemas" / "pain.008.001.02.xsd")))
    schema.assertValid(etree.fromstring(built))
    return time.perf_counter() - started


def measure(backend: str) -> bool:
    with scratch_database(backend, "ispcube_bench_collect") as url, tempfile.TemporaryDirectory() as folder:
        add_clients(url, CLIENTS, date(2026, 1, 1))
        make_sepa_debtors(url)
        for key, value in CREDITOR.items():
            run_ispcube(url, "config", "set", key, value)
        out = Path(folder) / "remesa.xml"
        print(f"  {backend}: {load_note()} before the run", flush=True)
        seconds, printed = run_ispcube(url, "--format", "json", "collect", "sepa",
                                       "--collection-date", COLLECTION.isoformat(), "--out", str(out))
        run = json.loads(printed)
        size = out.stat().st_size
        bare = baseline(run["items"], debtors(url))
        print(f"  {backend}: {run['count']} items, total {run['total']} EUR, file {size / 1e6:.1f} MB; "
              f"{load_note()} after", flush=True)
        ok = report(f"  {backend} collect sepa", seconds, LIMIT_S, bare,
                    "sepaxml building and validating the same transactions")
        return ok and run["count"] == CLIENTS and not run["refused"]


def main() -> int:
    print(f"clients: {CLIENTS}, collection date {COLLECTION.isoformat()}", flush=True)
    results = [measure(backend) for backend in backends()]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
