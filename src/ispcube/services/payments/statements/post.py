"""Writing what an import decided, set-based, in the caller's transaction (K5, R15).

A fixed number of statements whatever the number of lines: the receipt and DX numbers are
reserved in one step each, the entries and the bank transactions are bulk inserted (COPY on
PostgreSQL), every balance moves in one UPDATE ... FROM the new entries, the client log is
bulk inserted, and the collection items settle in one UPDATE per outcome. The bank
transactions' unique keys make a transaction that a concurrent import got first fail the
whole transaction (nothing of this run stands); the items only move from pending, so a
concurrent `collect settle` cannot make an item paid twice.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, bindparam, func, or_, select, update

from ispcube.db import models as m
from ispcube.db.bulk_insert import bulk_insert
from ispcube.db.chunks import chunks
from ispcube.db.collection_models import CollectionItem
from ispcube.db.failures import is_unique_violation
from ispcube.db.ledger_models import LedgerEntry
from ispcube.db.statement_models import BankTransaction, PaymentImport
from ispcube.db.uow import UnitOfWork
from ispcube.domain.ledger import EntryKind
from ispcube.domain.money import format_amount, within_bounds
from ispcube.errors import Busy
from ispcube.services.clients.log import log_bulk
from ispcube.services.ledger.posting import fits, reserve_numbers
from ispcube.services.payments.statements.match import ACTED, Decision, LineOutcome
from ispcube.services.process.runtime import Runtime

FORMAT_NAMES = {"camt053": "camt.053", "mt940": "MT940", "csv": "payment file", "xlsx": "payment file",
                "mercadopago": "Mercado Pago"}


@dataclass
class Written:
    import_id: int
    receipts: dict[int, int]            # decision index -> receipt number
    debits: dict[int, int]              # decision index -> DX number
    cut_clients: list[int]              # clients paid whose service is cut (re-enable candidates)


def write(uow: UnitOfWork, rt: Runtime, decisions: list[Decision], file_name: str, file_format: str,
          cut: set[int]) -> Written:
    """Write DECISIONS (the caller commits); CUT: the clients whose service is cut."""
    today = rt.today()
    _lock_items(uow, decisions)
    receipts = [d for d in decisions if d.outcome == LineOutcome.RECEIPT]
    debits = [d for d in decisions
              if (d.outcome == LineOutcome.RETURN and d.charge_back) or d.outcome == LineOutcome.REVERSAL]
    record = PaymentImport(file_name=file_name[:500], file_format=file_format, imported_at=rt.now(),
                           operator=rt.operator, posted=len(receipts), returned=sum(d.outcome == LineOutcome.RETURN
                                                                                   for d in decisions),
                           total=sum((d.line.amount for d in receipts), Decimal("0.00")))
    uow.session.add(record)
    uow.flush()
    source = FORMAT_NAMES[file_format]
    entries: list[tuple] = []
    numbers: dict[int, tuple[str, int]] = {}
    for series, chosen in (("receipt", receipts), ("dx", debits)):
        if not chosen:
            continue
        last = reserve_numbers(uow, series, len(chosen))
        for number, decision in enumerate(chosen, start=last - len(chosen) + 1):
            numbers[id(decision)] = (series, number)
            entries.append(_entry(decision, series, number, source, today, rt.operator))
    conn = uow.session.connection()
    if entries:
        bulk_insert(conn, LedgerEntry.__table__, ENTRY_COLUMNS, entries)
    ids = _entry_ids(uow, numbers.values())
    acted = [d for d in decisions if d.outcome in ACTED]
    rows = []
    for decision in acted:
        assert decision.client_id is not None, "acted-on lines have their client"
        line = decision.line
        entry_id = ids.get(numbers[id(decision)]) if id(decision) in numbers else None
        rows.append((line.key, record.id, decision.outcome, line.booked,
                     line.amount if line.credit else -line.amount, decision.client_id, entry_id,
                     decision.item.id if decision.item else None, decision.matched_by or "",
                     (line.bank_ref or line.reference or "")[:140] or None, line.account[:70] or None,
                     decision.reverses))
    try:
        bulk_insert(conn, BankTransaction.__table__, TRANSACTION_COLUMNS, rows)
        uow.flush()
    except Exception as exc:
        if is_unique_violation(exc):
            raise Busy("another import posted some of these transactions at the same time; nothing was posted "
                       "by this run: run it again to post what is left") from None
        raise
    balances = _move_balances(uow, record.id, len({row[0] for row in entries})) if entries else {}
    _log(uow, rt, decisions, numbers, balances, source)
    _settle_items(uow, rt, record.id, decisions, numbers)
    paid_cut = sorted({d.client_id for d in receipts if d.client_id in cut})
    posted = {i: numbers[id(d)][1] for i, d in enumerate(decisions) if d.outcome == LineOutcome.RECEIPT}
    charged = {i: numbers[id(d)][1] for i, d in enumerate(decisions)
               if d.outcome in (LineOutcome.RETURN, LineOutcome.REVERSAL) and id(d) in numbers}
    return Written(record.id, posted, charged, paid_cut)


ENTRY_COLUMNS = ("client_id", "kind", "series", "number", "entry_date", "amount", "operator", "comment",
                 "payment_method")
TRANSACTION_COLUMNS = ("key", "import_id", "kind", "booked", "amount", "client_id", "entry_id", "item_id",
                       "matched_by", "reference", "account", "reverses_key")


def _entry(decision: Decision, series: str, number: int, source: str, today: date, operator: str) -> tuple:
    line = decision.line
    assert decision.client_id is not None, "posted lines have their client"
    on = min(line.booked, today)
    if series == "receipt":
        method = "sepa" if decision.item else (line.payment_method or "transfer")
        return (decision.client_id, EntryKind.RECEIPT, "receipt", number, on, -line.amount, operator,
                _comment(decision, source), method)
    return (decision.client_id, EntryKind.DX, "dx", number, today, line.amount, operator, _comment(decision, source),
            None)


def _comment(decision: Decision, source: str) -> str:
    line = decision.line
    if decision.outcome == LineOutcome.REVERSAL:
        return f"credit {decision.reversed_ref} reversed by the bank ({source} {line.reference or line.where})"
    if decision.outcome == LineOutcome.RETURN:
        return (f"direct debit {line.end_to_end_id} returned by the bank, reason {decision.reason} "
                f"({source} {line.reference or line.where})")
    parts = [f"{source} {line.reference or line.where}"]
    if decision.item:
        parts.append(f"SEPA direct debit {line.end_to_end_id} (batch {decision.item.batch_id})")
    elif line.text:
        parts.append(line.text[:120])
    return "; ".join(parts)


def _entry_ids(uow: UnitOfWork, numbers) -> dict[tuple[str, int], int]:
    ranges: dict[str, list[int]] = defaultdict(list)
    for series, number in numbers:
        ranges[series].append(number)
    if not ranges:
        return {}
    e = LedgerEntry
    condition = or_(*(and_(e.series == series, e.number.between(min(found), max(found)))
                      for series, found in ranges.items()))
    return {(series, number): entry_id for entry_id, series, number in
            uow.session.execute(select(e.id, e.series, e.number).where(condition))}


def _move_balances(uow: UnitOfWork, import_id: int, clients: int) -> dict[int, Decimal]:
    """Every touched balance moves by the sum of its new entries in one guarded UPDATE, which
    returns the balances after it (the rows stay locked until commit, so they are this run's
    to tell). A balance that would outgrow the money column refuses the whole import."""
    e, t, c = LedgerEntry, BankTransaction, m.Client
    new = select(e.client_id, func.sum(e.amount).label("delta")).where(
        e.id.in_(select(t.entry_id).where(t.import_id == import_id, t.entry_id.is_not(None)))
    ).group_by(e.client_id).subquery("moved")
    moved = uow.session.execute(update(c).where(c.id == new.c.client_id, fits(c.balance + new.c.delta))
                                .values(balance=c.balance + new.c.delta).returning(c.id, c.balance)
                                .execution_options(synchronize_session=False)).all()
    if len(moved) != clients:
        code, balance, delta = uow.session.execute(
            select(c.code, c.balance, new.c.delta).join(new, new.c.client_id == c.id)
            .where(~fits(c.balance + new.c.delta)).limit(1)).one()
        within_bounds(balance, delta, f"client {code}")
        raise AssertionError("the balance fits, yet the guarded update refused it")
    return dict(moved)


def _log(uow: UnitOfWork, rt: Runtime, decisions: list[Decision], numbers: dict[int, tuple[str, int]],
         balances: dict[int, Decimal], source: str) -> None:
    """One client-log line per entry, with the balance after it (counted back from the balance
    the UPDATE left), and one per returned item that needed no DX."""
    running = dict(balances)
    after: dict[int, Decimal] = {}
    for decision in reversed(decisions):
        if id(decision) in numbers:
            assert decision.client_id is not None, "posted lines have their client"
            after[id(decision)] = running[decision.client_id]
            delta = -decision.line.amount if decision.outcome == LineOutcome.RECEIPT else decision.line.amount
            running[decision.client_id] -= delta
    now = rt.now()
    rows: list[tuple[int, str, str]] = []
    for decision in decisions:
        client_id = decision.client_id
        if client_id is None:
            continue
        if id(decision) in numbers:
            series, number = numbers[id(decision)]
            amount = -decision.line.amount if series == "receipt" else decision.line.amount
            label = "receipt" if series == "receipt" else "DX"
            rows.append((client_id, f"ledger.{series}",
                         f"{label} {number}: {format_amount(amount)} ({_comment(decision, source)}); "
                         f"balance {format_amount(after[id(decision)])}"))
        elif decision.outcome == LineOutcome.RETURN:
            rows.append((client_id, "collection.returned",
                         f"direct debit {decision.line.end_to_end_id} returned by the bank before it was paid, "
                         f"reason {decision.reason}: nothing to charge back"))
    log_bulk(uow.session.connection(), now, rt.operator, rows)


def _settle_items(uow: UnitOfWork, rt: Runtime, import_id: int, decisions: list[Decision],
                  numbers: dict[int, tuple[str, int]]) -> None:
    """Items paid by this import, in one UPDATE; returned ones with their reason. Each moves
    only from the state matching found it in, or the whole import is refused as raced."""
    i, t = CollectionItem, BankTransaction
    now = rt.now()
    paid = [d for d in decisions if d.outcome == LineOutcome.RECEIPT and d.item]
    if paid:
        moved = uow.session.connection().execute(
            update(i).where(i.id == t.item_id, t.import_id == import_id, t.kind == LineOutcome.RECEIPT,
                            i.status == "pending")
            .values(status="paid", settled_at=now, entry_id=t.entry_id))
        if moved.rowcount != len(paid):
            raise _raced()
    returned = [d for d in decisions if d.outcome == LineOutcome.RETURN]
    if returned:
        statement = (update(i.__table__).where(i.__table__.c.id == bindparam("item"),
                                               i.__table__.c.status == bindparam("was"))
                     .values(status="rejected", settled_at=now, reason=bindparam("why")))
        params = []
        for d in returned:
            assert d.item is not None, "a return names its item"
            dx = f"; DX {numbers[id(d)][1]} charged back" if id(d) in numbers else ""
            params.append({"item": d.item.id, "was": "paid" if d.charge_back else "pending",
                           "why": f"{d.reason}{dx}"[:200]})
        moved = uow.session.connection().execute(statement, params)
        if moved.rowcount != len(params):
            raise _raced()


def _lock_items(uow: UnitOfWork, decisions: list[Decision]) -> None:
    """Lock the collection items this import settles before anything else (PostgreSQL), in the
    order `collect settle` takes them: items first, then the receipt numbers, so the two wait
    for each other instead of deadlocking."""
    ids = sorted({d.item.id for d in decisions if d.item is not None})
    i = CollectionItem
    for part in chunks(ids, 5000):
        uow.session.execute(select(i.id).where(i.id.in_(part)).order_by(i.id).with_for_update())


def _raced() -> Busy:
    return Busy("a direct-debit item changed while this import ran (`collect settle`?); nothing was posted by "
                "this run: run it again")
