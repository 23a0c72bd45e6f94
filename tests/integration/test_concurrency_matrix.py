"""The concurrency matrix (R17): every pair of money and network writers run at once, on
SQLite and PostgreSQL, then the invariants are checked.

Each pair gets a fresh copy of one prepared database and its own simulated MikroTik. The
order is forced, not left to timing: the test holds what every writer needs to write (the
SQLite write lock; on PostgreSQL an EXCLUSIVE lock on `clients`, which every write of a
client, an entry, a connection or an item needs), starts the first writer and waits until
it is stopped at a write (or done, or refused), starts the second and waits the same way
(or until it waits for a lock the first holds), then lets both go. Both have read the
database before either wrote: the interleaving where a stale read would hurt. The writers
are the services the commands call, each in its own thread with its own connections.

Invariants after each pair: every balance is the sum of its entries; the statement line, the
ledger-file payment and the Mercado Pago payment are posted once; the collection item is paid
at most once; no client has two pending items; no PPPoE user or IP twice on a router; no
invoice is credited by its fiscal notes beyond its total; after a final enforce, an `enforce
--check` finds no drift and no client who paid is cut; after a final provision, `provision
--check` finds no drift (the router holds every connection's queue or secret, and nothing
of a connection gone).
"""

from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
import itertools
import shutil
import sqlite3
import threading
import time
import uuid

import pytest
from sqlalchemy import create_engine, event, select, text

from ispcube.domain.target2 import first_collection_day
from ispcube.errors import Busy, PartialFailure
from ispcube.sim.mercadopago import MercadoPagoSimulator
from tests.conftest import Cli
from tests.support.network import SIM_PASSWORD, add_mikrotik, start_simulators

pytestmark = pytest.mark.slow

TODAY = date.today()        # the commands take today from the clock; every step is relative to it
COLLECTION = first_collection_day(TODAY).isoformat()
MP_TOKEN = "APP_USR-matrix"   # a TARGET2 day open to a batch, whatever today is


class Gateway:
    """The card gateway at the boundary: every charge succeeds, nothing is found twice."""

    def charge(self, *, charge_id, customer, payment_method, amount_minor, currency, code):
        from ispcube.adapters.stripe_gateway import Outcome
        return Outcome("succeeded", f"pi_{charge_id[:20]}")

    def find_payment(self, *, charge_id, customer, since):
        return None


def _writers(files: dict[str, str], out: str):
    from ispcube.services.imports.engine import TableImportOptions
    from ispcube.services.payments.statements.run import PaymentsImportOptions

    def pay(rt):
        from ispcube.services.enforcement.paid import enable_after_payment
        from ispcube.services.ledger.pay import pay as record
        paid = record(rt, "PAY", cash="100")
        if paid.may_enable:
            enable_after_payment(rt, "PAY", paid.receipt)

    def payments_import(rt):
        from ispcube.services.payments.statements.run import import_payments
        import_payments(rt, files["payments"], PaymentsImportOptions())

    def collect_sepa(rt):
        from ispcube.services.payments.collections.sepa import collect_sepa as collect
        collect(rt, COLLECTION, f"{out}-{uuid.uuid4().hex[:6]}.xml")

    def collect_settle(rt):
        from ispcube.services.payments.collections.batches import settle_batch
        settle_batch(rt, "1")

    def charge_due(rt):
        from ispcube.services.payments.stripe.due import charge_due as charge
        charge(rt, Gateway(), dry_run=False)

    def mercadopago_fetch(rt):
        from ispcube.adapters.mercadopago import MercadoPagoApi
        from ispcube.services.payments.mercadopago.fetch import fetch_mercadopago
        fetch_mercadopago(rt, MercadoPagoApi(MP_TOKEN, files["mercadopago"]))

    def ledger_import(rt):
        from ispcube.services.imports.engine import run_import
        from ispcube.services.imports.ledger.run import LedgerImport
        run_import(rt, files["ledger"], TableImportOptions(), LedgerImport)

    def billing(rt):
        from ispcube.services.fiscal.billing import run_fiscal_billing
        run_fiscal_billing(rt, TODAY.strftime("%Y-%m"))

    def enforce(rt):
        from ispcube.services.enforcement.enforce import run_enforce
        run_enforce(rt)

    def annul(rt):
        from ispcube.services.fiscal.notes import annul_entry
        annul_entry(rt, files["annul"], "cargo duplicado")

    def fiscal_credit(rt):
        from ispcube.services.fiscal.notes import adjust_entry
        adjust_entry(rt, "FIS", credit="10", debit=None, reason="corte", fiscal=True, invoice=files["invoice"])

    def cheque(rt):
        from ispcube.services.ledger.cheques import set_status
        set_status(rt, files["cheque"], "rejected")

    def connection_import(rt):
        from ispcube.services.imports.connections import ConnectionImport
        from ispcube.services.imports.engine import run_import
        run_import(rt, files["connections"], TableImportOptions(), ConnectionImport)

    def provision(rt):
        from ispcube.services.provisioning.run import run_provision
        run_provision(rt)

    def client_import(rt):
        from ispcube.services.imports.clients.run import ClientImport
        from ispcube.services.imports.engine import run_import
        run_import(rt, files["clients"], TableImportOptions(update=True), ClientImport)

    return {"pay": pay, "payments import": payments_import, "collect sepa": collect_sepa,
            "collect settle": collect_settle, "stripe charge-due": charge_due,
            "payments fetch mercadopago": mercadopago_fetch, "ledger import": ledger_import,
            "billing run": billing, "enforce": enforce, "ledger annul": annul, "cheque set-status": cheque,
            "ledger adjust --fiscal": fiscal_credit,
            "connection import": connection_import, "client import --update": client_import,
            "provision": provision}


WRITERS = list(_writers({}, ""))
PAIRS = list(itertools.combinations(WRITERS, 2))


def _prepare(cli: Cli, sim, tmp_path, mercadopago: MercadoPagoSimulator) -> dict[str, str]:
    """The clients every writer acts on, the files of the imports, and MPG's payment in Mercado Pago."""
    for key, value in (("currency", "EUR"), ("sepa.creditor_id", "DE98ZZZ09999999999"),
                       ("sepa.creditor_name", "Fibra del Sur S.L."),
                       ("sepa.creditor_iban", "ES7921000813610123456789")):
        cli.ok("config", "set", key, value)
    add_mikrotik(cli, "core", sim)
    cli.ok("plan", "add", "--name", "Hogar", "--price", "30", "--down-kbps", "20000", "--up-kbps", "5000")
    cli.ok("client", "add", "--code", "FIS", "--name", "Cliente FIS", "--address", "Calle 0", "--plan", "Hogar",
           "--signup-date", "2025-01-01")
    cli.ok("billing", "run", "--period", (TODAY.replace(day=1) - timedelta(days=1)).strftime("%Y-%m"))
    [invoice] = cli.json("invoice", "list")                   # FIS's, numbered internally: the only one
    def sepa(mandate: str) -> tuple[str, ...]:
        return ("--payment-method", "sepa", "--iban", "ES9121000418450200051332", "--mandate-ref", mandate,
                "--mandate-date", "2025-06-01")
    clients = {"PAY": (), "IMP": (), "LED": (), "SET": sepa("M-1"), "SEP": sepa("M-2"),
               "STR": ("--payment-method", "stripe"), "BIL": ("--signup-date", "2025-01-01"),
               "ANN": (), "CHQ": (), "CON": (), "MPG": ("--id-type", "DNI", "--id-number", "20345678")}
    for n, (code, extra) in enumerate(clients.items(), start=1):
        cli.ok("client", "add", "--code", code, "--name", f"Cliente {code}", "--address", f"Calle {n}", *extra)
        if code != "CON":
            cli.ok("connection", "add", code, "--router", "core", "--ip", f"10.0.0.{n}",
                   *(("--plan", "Hogar") if code == "BIL" else ()))
    for code in ("PAY", "IMP", "LED", "SET", "STR", "ANN", "MPG"):
        cli.ok("ledger", "adjust", code, "--debit", "100", "--reason", "cuota")
    cli.ok("collect", "sepa", "--collection-date", COLLECTION, "--out", str(tmp_path / "batch-1.xml"))
    cli.ok("ledger", "adjust", "SEP", "--debit", "100", "--reason", "cuota")
    cli.ok("enforce")                                          # the debtors are cut
    paid = cli.json("pay", "CHQ", "--cheque", f"bank=Nación,number=7,amount=50,deposit={TODAY.isoformat()}")
    with create_engine(cli.url).begin() as conn:
        conn.execute(text("UPDATE clients SET stripe_customer_id = 'cus_1', stripe_payment_method_id = 'pm_1' "
                          "WHERE code = 'STR'"))
        annul = conn.execute(text("SELECT e.id FROM ledger_entries e JOIN clients c ON c.id = e.client_id "
                                  "WHERE c.code = 'ANN' AND e.kind = 'dx'")).scalar()
    files = {"payments": tmp_path / "cobros.csv", "ledger": tmp_path / "ledger.csv",
             "connections": tmp_path / "conns.csv", "clients": tmp_path / "clientes.csv"}
    files["payments"].write_text(f"date,amount,reference,client,source\n{TODAY.isoformat()},100.00,T-1,IMP,banco\n")
    files["ledger"].write_text(f"client,date,kind,amount,reference\nLED,{TODAY.isoformat()},payment,100,L-1\n")
    files["connections"].write_text("client,router,ip,pppoe_user,pppoe_password\nCON,core,10.0.0.90,con-1,clave-con\n")
    files["clients"].write_text("code,name\nPAY,Cliente PAY (nuevo nombre)\nCON,Cliente CON (nuevo)\n")
    mercadopago.add_payment(transaction_amount="100.00", currency="EUR", id_number="20345678",
                            at=datetime.now().astimezone() - timedelta(hours=1))
    return {**{k: str(v) for k, v in files.items()}, "annul": str(annul), "cheque": str(paid["cheques"][0]),
            "mercadopago": mercadopago.url, "invoice": str(invoice["entry"])}


@dataclass
class Database:
    """The prepared database, as it stands before each pair: a copy of the file (SQLite), or
    every table restored from a snapshot schema (PostgreSQL: faster than a database per pair)."""
    kind: str
    source: str

    @contextmanager
    def copy(self, tmp_path, name: str):
        if self.kind == "sqlite":
            path = tmp_path / f"{name}.db"
            shutil.copy(self.source, path)
            yield f"sqlite:///{path}"
            return
        engine = create_engine(self.source)
        with engine.begin() as conn:
            restore(conn)
        engine.dispose()
        yield self.source


def _tables() -> list[str]:
    from ispcube.db.all_models import metadata
    return [t.name for t in metadata.sorted_tables]


def _with_ids() -> set[str]:
    from ispcube.db.all_models import metadata
    return {t.name for t in metadata.sorted_tables if "id" in t.c}


def snapshot(conn) -> None:
    conn.execute(text("DROP SCHEMA IF EXISTS matrix_snapshot CASCADE"))
    conn.execute(text("CREATE SCHEMA matrix_snapshot"))
    conn.execute(text("CREATE TABLE matrix_snapshot.kept (table_name text)"))
    for table in _tables():
        conn.execute(text(f'CREATE TABLE matrix_snapshot."{table}" AS TABLE public."{table}"'))
        conn.execute(text(f'INSERT INTO matrix_snapshot.kept SELECT :t WHERE EXISTS (SELECT FROM public."{table}")'),
                     {"t": table})


def restore(conn) -> None:
    tables = _tables()
    conn.execute(text(f"TRUNCATE {', '.join(f'public.{chr(34)}{t}{chr(34)}' for t in tables)} "
                      "RESTART IDENTITY CASCADE"))
    kept = set(conn.execute(text("SELECT table_name FROM matrix_snapshot.kept")).scalars())
    for table in (t for t in tables if t in kept):
        conn.execute(text(f'INSERT INTO public."{table}" SELECT * FROM matrix_snapshot."{table}"'))
        sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"),
                                {"t": f"public.{table}"}).scalar() if table in _with_ids() else None
        if sequence:
            conn.execute(text(f'SELECT setval(:s, COALESCE((SELECT max(id) FROM public."{table}"), 0) + 1, false)'),
                         {"s": sequence})


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def prepared(request, tmp_path_factory, monkeypatch):
    from ispcube.db.engine import get_engine
    monkeypatch.setenv("SIM_SECRET", SIM_PASSWORD)
    folder = tmp_path_factory.mktemp("matrix")
    if request.param == "sqlite":
        source = str(folder / "prepared.db")
        shutil.copy(request.getfixturevalue("sqlite_template"), source)
        url = f"sqlite:///{source}"
    else:
        url = request.getfixturevalue("pg_database")
        from tests.conftest import _reset_pg
        _reset_pg(url)
        source = url
    mercadopago = MercadoPagoSimulator(MP_TOKEN).start()
    request.addfinalizer(mercadopago.stop)
    with ExitStack() as stack:
        (sim,) = start_simulators(stack, 1)
        cli = Cli(url)
        files = _prepare(cli, sim, folder, mercadopago)
        cut = {row["address"]: row.get("comment", "") for row in sim.address_list("ispcube-cut")}
    if request.param == "sqlite":
        with get_engine(url).connect() as conn:       # everything in the file that is copied
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    get_engine(url).dispose()
    if request.param == "postgresql":
        with create_engine(url).begin() as conn:
            snapshot(conn)
    yield Database(request.param, source), files, cut
    if request.param == "postgresql":
        with create_engine(url).begin() as conn:
            conn.execute(text("DROP SCHEMA matrix_snapshot CASCADE"))


class Stopped:
    """Holds what every writer needs to write, and counts the writes waiting for it."""

    def __init__(self, url: str, engine):
        self.url, self.engine = url, engine
        self.started = self.finished = 0
        self.lock = threading.Lock()
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, *args):
        if _writes(statement):
            with self.lock:
                self.started += 1

    def _after(self, conn, cursor, statement, *args):
        if _writes(statement):
            with self.lock:
                self.finished += 1

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)

    @property
    def waiting(self) -> int:
        with self.lock:
            return self.started - self.finished

    @contextmanager
    def held(self):
        if self.url.startswith("sqlite"):
            holder = sqlite3.connect(self.url.removeprefix("sqlite:///"), isolation_level=None)
            holder.execute("BEGIN IMMEDIATE")
            try:
                yield
            finally:
                holder.execute("ROLLBACK")
                holder.close()
            return
        with create_engine(self.url).connect() as conn:
            conn.execute(text("LOCK TABLE clients IN EXCLUSIVE MODE"))
            yield
            conn.rollback()


def _writes(statement: str) -> bool:
    head = statement.lstrip().split(None, 1)[0].upper()
    return head in ("INSERT", "UPDATE", "DELETE", "COPY") or "FOR UPDATE" in statement.upper()


def _waiting_for_a_lock(writer: "Writer", engine, followed: "Followed") -> bool:
    """Whether WRITER waits for the lock of money in (held by the other writer): on SQLite it
    sleeps between two tries of the lock file; on PostgreSQL the server shows a waiter."""
    if engine.dialect.name == "sqlite":
        return followed.polling.get(writer.ident or 0, False)
    if not followed.inside(writer.ident, "_advisory_wait"):
        return False
    with engine.connect() as conn:
        return bool(conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'advisory' "
                                      "AND datname = current_database()")).scalar())


# The functions of ispcube a writer's threads are followed into: its bulk writes, and the two ways of
# waiting for a lock.
WATCHED = ("bulk_insert", "_advisory_wait", "_file_lock")


class Followed:
    """Which functions of WATCHED each thread is inside, seen by the thread itself (a profile
    function given to every thread started while this is installed: reading another thread's
    frames from outside is not safe while that thread runs)."""

    def __init__(self):
        self.depth: dict[int, dict[str, int]] = {}
        self.polling: dict[int, bool] = {}    # slept inside the file lock: another process holds it

    def __enter__(self):
        threading.setprofile(self._profile)
        return self

    def __exit__(self, *exc):
        threading.setprofile(None)

    def _profile(self, frame, event, arg):
        if event in ("call", "return"):
            name = frame.f_code.co_name
            if name in WATCHED and "ispcube" in frame.f_code.co_filename:
                ident = threading.get_ident()
                depth = self.depth.setdefault(ident, dict.fromkeys(WATCHED, 0))
                depth[name] += 1 if event == "call" else -1
                if name == "_file_lock" and event == "return":
                    self.polling[ident] = False     # took the lock (a context manager yields) or gave up
        elif event == "c_call" and arg is time.sleep:
            ident = threading.get_ident()
            if self.depth.get(ident, {}).get("_file_lock"):
                self.polling[ident] = True

    def inside(self, ident: int | None, name: str) -> bool:
        return bool(self.depth.get(ident or 0, {}).get(name))

    def bulk_writes(self) -> int:
        """Threads writing rows with the driver itself (an import's bulk insert, which
        SQLAlchemy's events do not see)."""
        return sum(bool(depth["bulk_insert"]) for depth in list(self.depth.values()))


class Writer(threading.Thread):
    def __init__(self, name, work, rt):
        super().__init__(name=name, daemon=True)
        self.work, self.rt, self.error = work, rt, None

    def run(self):
        try:
            self.work(self.rt)
        except (Busy, PartialFailure):
            pass                       # exit 75 (another run holds the job lock) or 3 (a router): allowed
        except Exception as exc:       # noqa: BLE001 - reported by the test
            self.error = exc


def _until_parked(writer: Writer, stopped: Stopped, writes: int, engine, followed: Followed) -> None:
    deadline = time.monotonic() + 30
    while (writer.is_alive() and stopped.waiting + followed.bulk_writes() < writes
           and not _waiting_for_a_lock(writer, engine, followed)):
        if time.monotonic() > deadline:
            raise AssertionError(f"{writer.name} never reached a write ({stopped.waiting} waiting, "
                                 f"{followed.bulk_writes()} bulk): {followed.depth} {followed.polling}")
        time.sleep(0.005)


def _invariants(url: str, pair) -> None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            q = lambda sql: conn.execute(text(sql)).all()  # noqa: E731
            wrong = q("SELECT c.code FROM clients c LEFT JOIN ledger_entries e ON e.client_id = c.id "
                      "GROUP BY c.id, c.code, c.balance HAVING c.balance <> COALESCE(SUM(e.amount), 0)")
            assert wrong == [], (pair, "balance is not the sum of its entries", wrong)
            posted = q("SELECT c.code, count(*) FROM ledger_entries e JOIN clients c ON c.id = e.client_id "
                       "WHERE e.kind = 'receipt' AND c.code IN ('IMP', 'LED', 'SET', 'STR', 'MPG') "
                       "GROUP BY c.code")
            assert all(n == 1 for _, n in posted), (pair, "a payment posted twice", posted)
            items = q("SELECT client_id, count(*) FROM collection_items WHERE status = 'pending' "
                      "GROUP BY client_id HAVING count(*) > 1")
            assert items == [], (pair, "a debt in two pending items", items)
            paid = q("SELECT i.id FROM collection_items i JOIN ledger_entries e ON e.client_id = i.client_id "
                     "WHERE i.status = 'paid' AND e.kind = 'receipt' GROUP BY i.id HAVING count(*) > 1")
            assert paid == [], (pair, "a collection item paid twice", paid)
            for column in ("ip", "pppoe_user"):
                twice = q(f"SELECT router_id, {column} FROM connections WHERE {column} IS NOT NULL "
                          f"GROUP BY router_id, {column} HAVING count(*) > 1")
                assert twice == [], (pair, f"{column} twice on a router", twice)
    finally:
        engine.dispose()
    _no_invoice_over_credited(url, pair)


def _no_invoice_over_credited(url: str, pair) -> None:
    from ispcube.db.engine import get_engine
    from ispcube.db.fiscal_models import FiscalDocument
    from ispcube.services.fiscal.corrected import remaining
    from ispcube.services.process.runtime import Runtime
    with Runtime(engine=get_engine(url)).uow() as uow:
        invoices = uow.session.scalars(select(FiscalDocument).where(FiscalDocument.kind == "invoice")).all()
        below = {invoice.entry_id: left for invoice in invoices if (left := remaining(uow, invoice)) < 0}
    assert below == {}, (pair, "an invoice credited beyond its total", below)


def _final_enforce(url: str, pair) -> None:
    from ispcube.db.engine import get_engine
    from ispcube.services.enforcement.enforce import run_enforce
    from ispcube.services.process.runtime import Runtime
    from ispcube.services.provisioning.run import run_provision
    rt = Runtime(engine=get_engine(url))
    run_enforce(rt)
    check = run_enforce(rt, check=True)
    assert check.drift == 0 and check.failed == 0, (pair, check.as_dict())
    run_provision(rt)
    made = run_provision(rt, check=True)
    assert made.drift == 0 and made.failed == 0, (pair, made.as_dict())
    with rt.uow() as uow:
        from ispcube.db.overdue import overdue_debts
        debts = overdue_debts(uow, rt.today())
        cut = uow.session.execute(text("SELECT id, code FROM clients WHERE service <> 'active'")).all()
    paid_up = [code for cid, code in cut if debts.get(cid, Decimal(0)) <= 0]
    assert paid_up == [], (pair, "paid up and cut", paid_up)


def test_every_pair_of_writers_keeps_the_invariants(prepared, tmp_path, monkeypatch):
    from ispcube.db.engine import get_engine
    from ispcube.services.process.runtime import Runtime
    database, files, cut = prepared
    for number, pair in enumerate(PAIRS):
        with ExitStack() as stack:
            url = stack.enter_context(database.copy(tmp_path, f"p{number}"))
            (sim,) = start_simulators(stack, 1)
            for address, comment in cut.items():
                sim.add_address("ispcube-cut", address, comment=comment)
            engine = get_engine(url)
            with engine.begin() as conn:
                conn.execute(text("UPDATE routers SET port = :port"), {"port": sim.port})
            writers = _writers(files, str(tmp_path / f"sepa-{number}"))
            stopped = Stopped(url, engine)
            first, second = (Writer(name, writers[name], Runtime(engine=engine)) for name in pair)
            followed = stack.enter_context(Followed())
            with stopped.held():
                first.start()
                _until_parked(first, stopped, 1, engine, followed)
                second.start()
                _until_parked(second, stopped, 2 if first.is_alive() else 1, engine, followed)
            for writer in (first, second):
                writer.join(60)
                assert not writer.is_alive(), (pair, f"{writer.name} never finished")
                assert writer.error is None, (pair, writer.name, repr(writer.error))
            _invariants(url, pair)
            _final_enforce(url, pair)
            stopped.close()
            engine.dispose()
