"""`export ledger --out FILE.xlsx|.csv|.json` (I8): the running accounts of the filtered clients,
one row per entry, for the accountant.

Each row is a line of `ledger show` (same columns, so `ledger import` reads the file back) with
its client: the document as a person reads it, and in columns of their own the fiscal number
AFIP gave it and its CAE (empty before authorization and for the `none` driver), so the
document column keeps its meaning. The balance is the client's running balance after the entry,
counting every earlier entry, also those before `--from`.

One query for every entry, its reversal and its fiscal document (a window sum gives the
balances), streamed into the writer (yield_per: a server-side cursor on PostgreSQL), whatever
the number of clients. Written beside its final name and renamed at the end, readable by its
owner only (it holds personal data); the clients are those of `client list` with the same
filters and collector scope.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
import os
from typing import Any, Callable

from sqlalchemy import func, select, type_coerce
from sqlalchemy.orm import aliased

from ispcube.db import models as m
from ispcube.db.fiscal_numbers import fiscal_by_entry
from ispcube.db.ledger_models import LedgerEntry
from ispcube.db.types import Money
from ispcube.domain.dates import parse_date
from ispcube.domain.fiscal import authority_number, shown_document
from ispcube.domain.money import format_amount
from ispcube.errors import Invalid
from ispcube.services.clients.export_writers import writer_for
from ispcube.services.clients.query import ClientFilter, filtered_select
from ispcube.services.ledger.posting import entry_label
from ispcube.services.process.output_files import output_path
from ispcube.services.process.runtime import Runtime

FORMATS = (".xlsx", ".csv", ".json")
BATCH = 2000
COLUMNS = ("client", "entry", "date", "kind", "document", "fiscal_number", "cae", "due", "debit", "credit",
           "balance", "reference", "payment_method", "operator", "comment")


@dataclass(frozen=True)
class LedgerExport:
    path: str
    rows: int
    format: str


@dataclass(frozen=True)
class Span:
    start: date | None
    end: date | None


def export_ledger(rt: Runtime, f: ClientFilter, out: str, *, date_from: str | None = None,
                  date_to: str | None = None, replace: bool = False,
                  progress: Callable[[int], None] | None = None,
                  on_start: Callable[[int | None], None] | None = None) -> LedgerExport:
    """Write the entries of the clients F selects, dated within the span, to OUT."""
    path = output_path(out, FORMATS, "--out", replace)
    span = _span(rt, date_from, date_to)
    kind = path.suffix.lower()
    partial = path.with_name(f".{path.name}.partial")
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    try:
        with rt.uow() as uow:
            clients = (filtered_select(uow.session.connection(), f, rt.actor(uow))
                       .with_only_columns(m.Client.id).order_by(None))
            query = _entries(clients, span)
            if on_start:
                on_start(uow.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())))
            writer = writer_for(partial, kind, list(COLUMNS), list(COLUMNS), sheet="Ledger")
            count = 0
            try:
                result = uow.session.connection().execute(query.execution_options(yield_per=BATCH))
                for rows in result.partitions():
                    for row in rows:
                        writer.write(_values(row, typed=kind == ".xlsx"))
                    count += len(rows)
                    if progress:
                        progress(len(rows))
            finally:
                writer.close()
        os.replace(partial, path)
    finally:
        if partial.exists():
            partial.unlink()
    return LedgerExport(str(path), count, kind[1:])


def _span(rt: Runtime, date_from: str | None, date_to: str | None) -> Span:
    local = rt.local_formats()
    start = parse_date(date_from, field="--from", local=local) if date_from else None
    end = parse_date(date_to, field="--to", local=local) if date_to else None
    if start and end and start > end:
        raise Invalid(f"--from {start.isoformat()} is after --to {end.isoformat()}")
    return Span(start, end)


def _entries(clients, span: Span):
    """Every entry of CLIENTS (a select of client ids) within SPAN, with the running balance, the
    reversal that annuls it and its fiscal document, in statement order per client."""
    e = LedgerEntry
    running = (select(e.id, type_coerce(func.sum(e.amount).over(partition_by=e.client_id,
                                                                order_by=(e.entry_date, e.id)), Money)
                      .label("balance"))
               .where(e.client_id.in_(clients)).subquery("running"))
    reversal = aliased(LedgerEntry)
    fiscal = fiscal_by_entry()
    query = (select(m.Client.code, e.id, e.entry_date, e.kind, e.series, e.number, e.due_date, e.amount,
                    running.c.balance, e.import_ref, e.payment_method, e.operator, e.comment, reversal.id,
                    fiscal.c.status, fiscal.c.letter, fiscal.c.point_of_sale, fiscal.c.number, fiscal.c.cae,
                    fiscal.c.kind)
             .join(running, running.c.id == e.id)
             .join(m.Client, m.Client.id == e.client_id)
             .outerjoin(reversal, reversal.reverses_id == e.id)
             .outerjoin(fiscal, fiscal.c.entry_id == e.id)
             .order_by(m.Client.code, e.entry_date, e.id))
    if span.start is not None:
        query = query.where(e.entry_date >= span.start)
    if span.end is not None:
        query = query.where(e.entry_date <= span.end)
    return query


def _values(row, typed: bool) -> tuple[Any, ...]:
    (code, entry_id, on, kind, series, number, due, amount, balance, import_ref, method, operator, comment,
     annulled_by, status, letter, point_of_sale, fiscal_no, cae, document_kind) = row
    label = entry_label(kind, series, number)
    authorized = authority_number(status, letter, point_of_sale, fiscal_no, document_kind)
    note = f"annulled by entry {annulled_by}" if annulled_by else None
    money = _money if typed else _text
    return (code, entry_id, on if typed else on.isoformat(), kind,
            shown_document(label, status, letter, point_of_sale, fiscal_no, document_kind), authorized,
            cae if authorized else None, (due if typed else due.isoformat()) if due else None,
            money(amount) if amount > 0 else None, money(-amount) if amount < 0 else None, money(balance),
            import_ref or label, method, operator, "; ".join(t for t in (comment, note) if t) or None)


def _money(amount: Decimal) -> Decimal:
    return amount


def _text(amount: Decimal) -> str:
    return format_amount(amount)
