"""`collect sepa` and `collect settle` at the same time as another writer (K3, R17).

Each command holds its job lock (a second run exits 75), and the database forbids what the
lock guards, for a run that got past it: at most one pending item per client (a partial
unique index), and items move from pending by a conditional UPDATE that counts its rows.
The interleavings are forced: the test holds the database (SQLite's write lock, PostgreSQL row
locks) while the runs, in threads, reach their first write (seen through SQLAlchemy's
`before_cursor_execute` event), and only then lets them go.
"""

from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal as D
import threading

import pytest
from sqlalchemy import event, text

from ispcube.db.engine import get_engine
from ispcube.errors import Busy
from ispcube.services.ledger.posting import adjust
from ispcube.services.payments.collections.batches import settle_batch
from ispcube.services.payments.collections.sepa import collect_sepa
from ispcube.services.payments.statements.camt_build import Entry, Tx, statement
from ispcube.services.payments.statements.run import PaymentsImportOptions, import_payments
from ispcube.services.process.job_lock import job_lock
from ispcube.services.process.runtime import Runtime

NOW = datetime(2026, 12, 4, 10, 0)           # a Friday
COLLECTION = "2026-12-08"                    # the first TARGET2 day a Friday's batch may ask for
CREDITOR = (("currency", "EUR"), ("sepa.creditor_id", "DE98ZZZ09999999999"),
            ("sepa.creditor_name", "Fibra del Sur S.L."), ("sepa.creditor_iban", "ES7921000813610123456789"))
DEBTORS = (("R1", "ES9121000418450200051332", "40.00"), ("R2", "DE89370400440532013000", "25.50"))


@pytest.fixture
def rt(db_url) -> Runtime:
    return Runtime(engine=get_engine(db_url), clock=lambda: NOW)


@pytest.fixture
def debtors(cli, rt):
    """R1 and R2 pay by direct debit and owe money due on NOW."""
    for key, value in CREDITOR:
        cli.ok("config", "set", key, value)
    for code, iban, amount in DEBTORS:
        cli.ok("client", "add", "--code", code, "--name", f"Cliente {code}", "--payment-method", "sepa",
               "--iban", iban, "--mandate-ref", f"MAND-{code}", "--mandate-date", "2025-06-01")
        adjust(rt, code, debit=amount, credit=None, reason="cuota")
    return cli


def receipts(rt: Runtime) -> dict[str, int]:
    with rt.engine.connect() as conn:
        rows = conn.execute(text("SELECT c.code, COUNT(e.id) FROM clients c LEFT JOIN ledger_entries e "
                                 "ON e.client_id = c.id AND e.kind = 'receipt' GROUP BY c.code")).all()
    return dict(rows)


def balances_agree(rt: Runtime) -> bool:
    with rt.engine.connect() as conn:
        return not conn.execute(text(
            "SELECT c.code FROM clients c WHERE c.balance <> (SELECT COALESCE(SUM(e.amount), 0) "
            "FROM ledger_entries e WHERE e.client_id = c.id)")).all()


@contextmanager
def first_writes(engine, threads: int):
    """An event set once THREADS threads have each sent their first write (INSERT, UPDATE, or
    SELECT ... FOR UPDATE): by then each has read what it acts on."""
    reached: set[str] = set()
    all_there = threading.Event()

    def seen(conn, cursor, statement, parameters, context, executemany):
        said = statement.lstrip().upper()
        if (said.startswith(("INSERT", "UPDATE")) or "FOR UPDATE" in said) and \
                threading.current_thread() is not threading.main_thread():
            reached.add(threading.current_thread().name)
            if len(reached) >= threads:
                all_there.set()

    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield all_there
    finally:
        event.remove(engine, "before_cursor_execute", seen)


@contextmanager
def holding(rt: Runtime, lock_sql: str | None = None):
    """A connection holding the database for writes (SQLite) or the rows LOCK_SQL locks
    (PostgreSQL) until the block ends; yields the connection to write through."""
    with rt.engine.connect() as conn:
        if rt.engine.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif lock_sql:
            conn.execute(text(lock_sql))
        yield conn


def run_in_thread(name: str, work, results: dict) -> threading.Thread:
    def target():
        try:
            results[name] = work()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
            results[name] = exc
    thread = threading.Thread(target=target, name=name)
    thread.start()
    return thread


def test_a_second_collect_sepa_exits_75_while_one_runs(debtors, rt, tmp_path):
    with job_lock(rt.engine, "collect sepa"):
        with pytest.raises(Busy, match="collect sepa"):
            collect_sepa(rt, COLLECTION, str(tmp_path / "b.xml"))
    assert not (tmp_path / "b.xml").exists()
    assert debtors.json("collect", "list") == []
    assert len(collect_sepa(rt, COLLECTION, str(tmp_path / "a.xml")).items) == 2


def test_the_database_refuses_a_second_pending_item_for_a_client(debtors, rt, tmp_path):
    collect_sepa(rt, COLLECTION, str(tmp_path / "a.xml"))
    with rt.engine.connect() as conn:
        conn.execute(text("INSERT INTO collection_batches (kind, message_id, pain, collection_date, created_at, "
                          "operator, total, items) VALUES ('sepa', 'OTHER', '008.001.02', '2026-12-09', "
                          "'2026-12-04 10:00:00', 'system', 40, 1)"))
        with pytest.raises(Exception) as refused:
            conn.execute(text("INSERT INTO collection_items (batch_id, client_id, amount, end_to_end_id, sequence, "
                              "mandate_ref, iban, status) SELECT 2, client_id, amount, 'OTHER-1', 'FRST', "
                              "mandate_ref, iban, 'pending' FROM collection_items WHERE id = 1"))
        assert "unique" in str(refused.value).lower()
        conn.rollback()
        # Settled, the client may be collected again: only pending items are unique.
        conn.execute(text("UPDATE collection_items SET status = 'paid' WHERE id = 1"))
        conn.execute(text("INSERT INTO collection_items (batch_id, client_id, amount, end_to_end_id, sequence, "
                          "mandate_ref, iban, status) SELECT 1, client_id, amount, 'AGAIN-1', 'RCUR', "
                          "mandate_ref, iban, 'pending' FROM collection_items WHERE id = 1"))
        conn.rollback()


def test_a_run_past_the_lock_meets_the_index_and_records_nothing(debtors, rt, tmp_path):
    """Another run records a pending item for R1 after this run chose R1 and before it writes:
    this run fails whole, in one sentence, with no batch and no file."""
    out = tmp_path / "remesa.xml"
    results: dict = {}
    with first_writes(rt.engine, 1) as reached, holding(rt) as other:
        other.execute(text("INSERT INTO collection_batches (kind, message_id, pain, collection_date, created_at, "
                           "operator, total, items) VALUES ('sepa', 'OTHER', '008.001.02', '2026-12-08', "
                           "'2026-12-04 10:00:00', 'system', 40, 1)"))
        other.execute(text("INSERT INTO collection_items (batch_id, client_id, amount, end_to_end_id, sequence, "
                           "mandate_ref, iban, status) SELECT b.id, c.id, 40, 'OTHER-1', 'FRST', c.mandate_ref, "
                           "c.iban, 'pending' FROM clients c, collection_batches b "
                           "WHERE c.code = 'R1' AND b.message_id = 'OTHER'"))
        worker = run_in_thread("collect", lambda: collect_sepa(rt, COLLECTION, str(out)), results)
        assert reached.wait(60), "the run never reached its first write"
        other.commit()
    worker.join(60)
    refused = results["collect"]
    assert isinstance(refused, Busy), refused
    assert str(refused).startswith("client R1 already has a pending direct debit in batch 1, requested by another "
                                   "`collect sepa` at the same time: nothing was recorded by this run")
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
    assert [b["batch"] for b in debtors.json("collect", "list")] == [1]
    assert debtors.json("collect", "show", "1")["items"][0]["client"] == "R1"


def test_a_second_settle_exits_75_while_one_runs(debtors, rt, tmp_path):
    collect_sepa(rt, COLLECTION, str(tmp_path / "a.xml"))
    with job_lock(rt.engine, "collect settle"):
        with pytest.raises(Busy, match="collect settle"):
            settle_batch(rt, "1")
    assert receipts(rt) == {"R1": 0, "R2": 0}
    assert settle_batch(rt, "1")["paid"] == 2
    assert settle_batch(rt, "1")["paid"] == 0
    assert receipts(rt) == {"R1": 1, "R2": 1}


def test_settle_claims_only_the_items_still_pending_when_it_writes(debtors, rt, tmp_path):
    """Another writer (past every lock) takes the items as paid after settle started and before
    its UPDATE runs: settle moves no item and posts no receipt."""
    collect_sepa(rt, COLLECTION, str(tmp_path / "a.xml"))
    results: dict = {}
    with first_writes(rt.engine, 1) as reached, \
            holding(rt, "SELECT id FROM collection_items WHERE batch_id = 1 FOR UPDATE") as other:
        other.execute(text("UPDATE collection_items SET status = 'paid' WHERE batch_id = 1"))
        worker = run_in_thread("settle", lambda: settle_batch(rt, "1"), results)
        assert reached.wait(60), "settle never reached its first write"
        other.commit()
    worker.join(60)
    assert results["settle"]["paid"] == 0, results["settle"]
    assert receipts(rt) == {"R1": 0, "R2": 0} and balances_agree(rt)


def test_settle_and_a_statement_import_of_the_same_items_at_once_post_each_once(debtors, rt, tmp_path):
    """Both start while the database is held; the first to post takes the items, the other
    then finds them paid (the import reports the credits as already settled)."""
    collect_sepa(rt, COLLECTION, str(tmp_path / "a.xml"))
    camt = tmp_path / "extracto.xml"
    camt.write_text(statement([Entry(NOW.date(), True, [Tx(D("40.00"), "ISPCUBE-1-1", "TX-R1"),
                                                        Tx(D("25.50"), "ISPCUBE-1-2", "TX-R2")],
                                     reference="E-1")]), encoding="utf-8")
    results: dict = {}
    with first_writes(rt.engine, 1) as reached, \
            holding(rt, "SELECT id FROM collection_items WHERE batch_id = 1 FOR UPDATE"):
        workers = [run_in_thread("settle", lambda: settle_batch(rt, "1"), results),
                   run_in_thread("import", lambda: import_payments(rt, str(camt),
                                                                   PaymentsImportOptions(enable=False)), results)]
        assert reached.wait(60), "neither run reached its first write"
    for worker in workers:
        worker.join(120)
    settled, imported = results["settle"], results["import"]
    assert not isinstance(settled, Exception) and not isinstance(imported, Exception), (settled, imported)
    assert receipts(rt) == {"R1": 1, "R2": 1} and balances_agree(rt)
    assert settled["paid"] + len(imported.posted) == 2 and len(imported.settled) == 2 - len(imported.posted)
    assert {i["status"] for i in debtors.json("collect", "show", "1")["items"]} == {"paid"}


def test_the_upgrade_names_clients_collected_twice_before_the_index(debtors, rt, db_url, tmp_path):
    """A database where two runs already collected R1 twice cannot take the index: the upgrade
    names the client and its batches, and goes through once one of them is settled."""
    from alembic import command

    from ispcube.db.schema import _alembic_config, upgrade
    from ispcube.errors import Refused
    collect_sepa(rt, COLLECTION, str(tmp_path / "a.xml"))
    with rt.engine.begin() as connection:
        command.downgrade(_alembic_config(rt.engine, connection), "0013")
    try:
        with rt.engine.begin() as conn:
            conn.execute(text("INSERT INTO collection_batches (kind, message_id, pain, collection_date, created_at, "
                              "operator, total, items) VALUES ('sepa', 'TWICE', '008.001.02', '2026-12-08', "
                              "'2026-12-04 10:00:00', 'system', 40, 1)"))
            conn.execute(text("INSERT INTO collection_items (batch_id, client_id, amount, end_to_end_id, sequence, "
                              "mandate_ref, iban, status) SELECT 2, client_id, amount, 'TWICE-1', 'FRST', "
                              "mandate_ref, iban, 'pending' FROM collection_items WHERE id = 1"))
        with pytest.raises(Refused, match=r"direct debits requested twice and still pending \(client R1 in batches "
                                          r"1, 2\): settle or import the bank's answer"):
            upgrade(rt.engine)
    finally:
        with rt.engine.begin() as conn:
            conn.execute(text("UPDATE collection_items SET status = 'paid' WHERE batch_id = 2"))
        upgrade(rt.engine)
    assert [i["status"] for i in debtors.json("collect", "show", "2")["items"]] == ["paid"]
