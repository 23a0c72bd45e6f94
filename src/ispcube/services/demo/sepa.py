"""The demo's SEPA part (K3, K5): a small Spanish ISP that collects by direct debit.

SEPA direct debits are in euros and the main demo keeps its accounts in pesos, so this part
builds its own SQLite file beside the main demo database: six clients in Madrid paying by
`sepa` (IBAN and signed mandate each) and the creditor's settings. The month is billed, `collect
sepa` writes the pain.008 file (checked against its XSD, as the command always does), and the
bank's camt.053 statement of the collection day comes back: five debits credited, one returned
(AC04, account closed). `payments import` posts the five and rejects the sixth with its reason;
the batch, as `collect show` lists it, and the balances close the part.

Everything goes through the services the commands use; the files are written beside the
database, or in a fresh temporary folder when a file of that name exists and is not the demo's.
"""

from datetime import date, datetime
from decimal import Decimal
import os
from pathlib import Path
import shlex
import tempfile
from typing import TYPE_CHECKING, Callable, Iterator

from ispcube.db.engine import get_engine, normalise_url
from ispcube.db.schema import upgrade
from ispcube.services.admin import config, tables
from ispcube.services.clients.lifecycle import add_client
from ispcube.services.demo.sepa_data import COMPANY, CREDITOR, PLANS, POSTAL_CODES, RETURN_REASON, clients
from ispcube.services.process.runtime import Runtime

if TYPE_CHECKING:
    from ispcube.services.payments.collections.sepa import SepaRun

PAIN = "008.001.02"


def sepa_paths(main_db: Path) -> tuple[Path, Path, Path]:
    """The SEPA part's database, pain.008 file and camt.053 statement, beside MAIN_DB."""
    stem = f"{main_db.stem}-sepa"
    return (main_db.with_name(f"{stem}{main_db.suffix or '.db'}"), main_db.with_name(f"{stem}-remesa-pain008.xml"),
            main_db.with_name(f"{stem}-extracto-camt053.xml"))


def _ours(path: Path) -> bool:
    """Whether PATH is absent or a file an earlier demo wrote (only such a file is replaced)."""
    from ispcube.services.demo.enforcement import is_demo_statement
    from ispcube.services.demo.tour import is_demo_database
    if not os.path.lexists(path):
        return True
    if path.suffix == ".db" or not path.name.endswith(".xml"):
        return is_demo_database(path)
    if path.name.endswith("camt053.xml"):
        return is_demo_statement(path)
    try:
        with path.open("rb") as handle:
            return CREDITOR["sepa.creditor_id"].encode() in handle.read(65536)
    except OSError:
        return False


def _fresh(main_db: Path) -> tuple[Path, Path, Path]:
    paths = sepa_paths(main_db)
    if not all(_ours(path) for path in paths):
        paths = sepa_paths(Path(tempfile.mkdtemp(prefix="ispcube-demo-")) / main_db.name)
    database = paths[0]
    for stale in (*paths, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
        stale.unlink(missing_ok=True)
    return paths


def build(rt: Runtime) -> None:
    """The Spanish ISP: settings, tables and clients, as `config set`, `plan add`... and
    `client add` write them."""
    with rt.uow() as uow:
        for key, value in (("demo", "yes"), ("country", "ES"), ("state", "Madrid"), ("currency", "EUR"),
                           ("invoice.due_day", "1"), *CREDITOR.items()):
            config.set_setting(uow, key, value)
        for code, locality in POSTAL_CODES:
            tables.add_row(uow, "postal-code", {"code": code, "locality": locality})
        for name, price, down, up in PLANS:
            tables.add_row(uow, "plan", {"name": name, "price": price, "down_kbps": str(down), "up_kbps": str(up)})
        tables.add_row(uow, "company", dict(COMPANY))
    for row in clients(rt.today()):
        add_client(rt, row)


def sepa_tour(main_db: Path, clock: Callable[[], datetime], program: str = "ispcube") -> Iterator[str]:
    """The SEPA part, line by line, in its own database beside MAIN_DB, on the day CLOCK says."""
    from ispcube.services.fiscal.billing import run_fiscal_billing
    from ispcube.services.payments.collections.batches import show_batch
    from ispcube.services.payments.collections.sepa import collect_sepa
    from ispcube.services.payments.statements.run import PaymentsImportOptions, import_payments
    db_path, pain_path, camt_path = _fresh(main_db)
    engine = get_engine(normalise_url(str(db_path)))
    engine.dispose()      # a pooled connection of this process may still hold the file just replaced
    upgrade(engine)
    rt = Runtime(engine=engine, clock=clock)
    try:
        build(rt)
        today = rt.today()
        yield (f"SEPA direct debits, in euros: a Spanish ISP ({CREDITOR['sepa.creditor_name']}, creditor "
               f"{CREDITOR['sepa.creditor_id']}) with {len(clients(today))} clients paying by `sepa`, each with "
               f"an IBAN and a signed mandate, in {db_path}")
        billed = run_fiscal_billing(rt, f"{today:%Y-%m}")
        yield f"Billing {today:%Y-%m}: {billed['invoices']} invoices for {billed['total']} EUR, due {billed['due']}"
        run = collect_sepa(rt, today.isoformat(), str(pain_path), pain=PAIN, force_date=True)
        sequences = sorted({item["sequence"] for item in run.items})
        yield (f"collect sepa: batch {run.batch}, {len(run.items)} direct debits ({'/'.join(sequences)}) for "
               f"{run.total:.2f} EUR on {run.collection_date}, written to {pain_path.name} (pain.{PAIN}, "
               "checked against its XSD): the file for the bank")
        _statement(camt_path, run, today)
        imported = import_payments(rt, str(camt_path), PaymentsImportOptions())
        credited = ", ".join(p["client"] or "?" for p in imported.posted)
        returned = "; ".join(f"{r['client']} {r['amount']} returned, reason {r['reason']} ({RETURN_REASON[1]})"
                             for r in imported.returned)
        yield (f"Bank statement of {today} ({camt_path.name}, camt.053): payments import posted "
               f"{len(imported.posted)} collected debits for {imported.total:.2f} EUR ({credited}); {returned}")
        batch = show_batch(rt, str(run.batch))
        yield f"collect show {batch['batch']} (message {batch['message_id']}):"
        for item in batch["items"]:
            yield (f"  {item['client']}  {item['amount']:>7}  {item['end_to_end_id']:<14} {item['sequence']}  "
                   f"{item['status']:<8} {item['reason'] or ''}".rstrip())
        yield "Balances after the statement (the returned debit is still owed: ask the client for another " \
            "account, then collect it again):"
        for code, name, balance in _balances(rt):
            yield f"  {code}  {name:<24} {balance:>7}"
        db = shlex.quote(str(db_path.absolute()))
        yield f"Look at it again: {program} --db {db} collect show {run.batch}   (and collect list, client list...)"
    finally:
        engine.dispose()


def _statement(path: Path, run: "SepaRun", today: date) -> None:
    """The bank's camt.053 of the collection day: every debit of RUN credited in one entry but
    the third, returned in another."""
    from ispcube.services.payments.statements.camt_build import Entry, Tx, statement
    payer = {row["mandate_ref"]: row for row in clients(today)}
    credited, returned = [], []
    for n, item in enumerate(run.items, start=1):
        row = payer[item["mandate_ref"]]
        tx = Tx(Decimal(item["amount"]), item["end_to_end_id"], f"DEMO-SEPA-TX-{n}", name=row["name"],
                iban=row["iban"])
        if n == 3:
            tx.return_reason = RETURN_REASON[0]
            returned.append(tx)
        else:
            credited.append(tx)
    entries = [Entry(today, True, credited, reference="DEMO-SEPA-REMESA")]
    if returned:
        entries.append(Entry(today, False, returned, reference="DEMO-SEPA-DEVOLUCION"))
    path.write_text(statement(entries, account=CREDITOR["sepa.creditor_iban"], currency="EUR",
                              statement_id=f"DEMO-SEPA-{today:%Y%m%d}", created=f"{today.isoformat()}T18:00:00"),
                    encoding="utf-8")


def _balances(rt: Runtime) -> list[tuple[str, str, str]]:
    from ispcube.services.clients.query import ClientFilter, list_clients
    with rt.uow() as uow:
        rows = list_clients(uow, ClientFilter(payment_method="sepa"), rt.actor(uow))
    return [(row["code"], row["name"], row["balance"]) for row in sorted(rows, key=lambda r: r["code"])]
