"""K5: `ispcube payments import` of a camt.053 statement of 100,000 lines (target <= 20 s), SQLite and PostgreSQL.

The statement holds what an ISP's bank sends after a busy day: one batch entry crediting a
direct-debit collection of 50,000 transactions (matched by EndToEndId, settling the items of
the batch), then 50,000 transfers, half naming the client code as the structured creditor
reference, half in the remittance text. Every line is matched and posted. Timed: the
installed command as a user runs it (start-up, reading the file, matching, every receipt
posted with its log line, the items settled, the bank transactions recorded), then the same
file again (every transaction found imported, nothing posted). Baseline, measured in the same
run: the work the command cannot avoid, i.e. lxml reading the same fields from the file and a
bare bulk insert of one row per line (COPY on PostgreSQL, executemany on SQLite), no matching.

Usage: python bench/bench_payments_import.py [--rows N] [--backend sqlite|postgresql]
"""

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
import sys
import tempfile
import time

sys.path.insert(0, str(Path(__file__).parent))
from client_bench_data import backends, load_note, parse_rows, run_ispcube, scratch_database
from ledger_bench_db import add_clients, report, vacuum

LINES = parse_rows(100_000)
LIMIT_S = 20
TODAY = date.today()
BOOKED = TODAY - timedelta(days=1)


def collection_items(url: str, count: int) -> list[tuple[str, str, Decimal]]:
    """A recorded direct-debit batch with one pending item for each of the first COUNT live
    clients (set-based, not timed); the (EndToEndId, code, amount) of each."""
    from sqlalchemy import String, cast, insert, literal, select

    from ispcube.db import models as m
    from ispcube.db.collection_models import CollectionBatch, CollectionItem
    from ispcube.db.engine import get_engine
    from ispcube.db.types import Money
    c = m.Client
    with get_engine(url).begin() as conn:
        conn.execute(insert(CollectionBatch).values(id=1, kind="sepa", message_id="BENCH-1", pain="008.001.02",
                                                    collection_date=BOOKED, created_at=BOOKED, operator="bench",
                                                    total=Decimal("0"), items=count))
        live = select(c.id).where(c.deleted.is_(False)).order_by(c.id).limit(count).subquery()
        conn.execute(insert(CollectionItem).from_select(
            ["batch_id", "client_id", "amount", "end_to_end_id", "sequence", "mandate_ref", "iban", "status"],
            select(literal(1), c.id, literal(Decimal("9500.00"), Money), literal("ISPCUBE-1-") + cast(c.id, String),
                   literal("FRST"), literal("MAND-") + c.code, literal("DE89370400440532013000"),
                   literal("pending")).where(c.id.in_(select(live.c.id)))))
        return [(e2e, code, amount) for e2e, code, amount in conn.execute(
            select(CollectionItem.end_to_end_id, c.code, CollectionItem.amount)
            .join(c, c.id == CollectionItem.client_id).order_by(CollectionItem.id))]


def transfer_codes(url: str, skip: int, count: int) -> list[str]:
    from sqlalchemy import select

    from ispcube.db import models as m
    from ispcube.db.engine import get_engine
    with get_engine(url).connect() as conn:
        return list(conn.execute(select(m.Client.code).where(m.Client.deleted.is_(False)).order_by(m.Client.id)
                                 .offset(skip).limit(count)).scalars())


def write_statement(path: Path, items, codes: list[str]) -> None:
    from ispcube.services.payments.statements.camt_build import Entry, Tx, statement
    entries = [Entry(BOOKED, True, [Tx(amount, e2e, f"DD-{n}") for n, (e2e, _, amount) in enumerate(items)],
                     reference="BATCH-1")]
    half = len(codes) // 2
    entries += [Entry(BOOKED, True, [Tx(Decimal("4750.50"), None, f"TR-{n}", name=f"Payer {code}",
                                        creditor_ref=code if n < half else None,
                                        text=None if n < half else f"cuota {code} noviembre")])
                for n, code in enumerate(codes)]
    path.write_text(statement(entries, statement_id="BENCH-STMT"))


def baseline(url: str, path: Path) -> float:
    """lxml reading every transaction's fields, and one bare row per line bulk inserted."""
    from lxml import etree
    from sqlalchemy import create_engine
    started = time.perf_counter()
    rows = []
    ns = "{urn:iso:std:iso:20022:tech:xsd:camt.053.001.02}"
    for _, element in etree.iterparse(str(path), tag=f"{ns}TxDtls"):
        rows.append((element.findtext(f"{ns}Refs/{ns}AcctSvcrRef"), element.findtext(f"{ns}Refs/{ns}EndToEndId"),
                     element.findtext(f"{ns}AmtDtls/{ns}TxAmt/{ns}Amt"),
                     element.findtext(f"{ns}RmtInf/{ns}Ustrd")
                     or element.findtext(f"{ns}RmtInf/{ns}Strd/{ns}CdtrRefInf/{ns}Ref")))
        element.clear()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE bare_lines (ref VARCHAR(40), e2e VARCHAR(40), amount NUMERIC(14, 2), "
                             "text VARCHAR(140))")
        raw = conn.connection.dbapi_connection
        if engine.dialect.name == "postgresql":
            with raw.cursor() as cursor, cursor.copy("COPY bare_lines FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            raw.cursor().executemany("INSERT INTO bare_lines VALUES (?, ?, ?, ?)", rows)
    elapsed = time.perf_counter() - started
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE bare_lines")
    engine.dispose()
    return elapsed


def posted(url: str) -> tuple[int, int, int]:
    from sqlalchemy import func, select

    from ispcube.db.collection_models import CollectionItem
    from ispcube.db.engine import get_engine
    from ispcube.db.ledger_models import LedgerEntry
    from ispcube.db.statement_models import BankTransaction
    with get_engine(url).connect() as conn:
        return (conn.execute(select(func.count()).where(LedgerEntry.kind == "receipt")).scalar_one(),
                conn.execute(select(func.count()).select_from(BankTransaction)).scalar_one(),
                conn.execute(select(func.count()).where(CollectionItem.status == "paid")).scalar_one())


def measure(backend: str) -> bool:
    debits = LINES // 2
    with scratch_database(backend, "ispcube_bench_payimp") as url, tempfile.TemporaryDirectory() as folder:
        add_clients(url, LINES + LINES // 50, date(2026, 1, 1))
        items = collection_items(url, debits)
        codes = transfer_codes(url, debits, LINES - debits)
        vacuum(url)
        run_ispcube(url, "config", "set", "currency", "EUR")
        path = Path(folder) / "statement.xml"
        write_statement(path, items, codes)
        print(f"  {backend}: statement of {LINES} lines, {path.stat().st_size / 1e6:.1f} MB; {load_note()} before",
              flush=True)
        seconds, printed = run_ispcube(url, "payments", "import", str(path), "--no-enable")
        receipts, transactions, paid = posted(url)
        again, printed_again = run_ispcube(url, "payments", "import", str(path), "--no-enable")
        still = posted(url)
        bare = baseline(url, path)
        print(f"  {backend}: {printed.strip()}", flush=True)
        print(f"  {backend}: {receipts} receipts, {transactions} bank transactions, {paid} items paid; "
              f"the same file again: {again:.2f} s, {printed_again.strip()}; {load_note()} after", flush=True)
        ok = report(f"  {backend} payments import", seconds, LIMIT_S, bare,
                    "lxml reading the lines and a bare bulk insert of one row each")
        return ok and receipts == LINES and transactions == LINES and paid == debits and still == (
            receipts, transactions, paid) and again <= LIMIT_S


def main() -> int:
    print(f"statement lines: {LINES}", flush=True)
    results = [measure(backend) for backend in backends()]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
