"""Invoices that waited too long for their CAE (I4): named by every `invoice authorize`, logged once.

An invoice (or note) is never given up: every run retries each one still open (draft or in
flight), since an ISP may not drop an invoice. What ends after `fiscal.retry_days` is the
silence: from the day after its window (counted from when billing or the note posted its ledger
entry, by the runtime's clock) a run names it in one sentence, with AFIP's last refusal or the
last error, and exits 3 while it stays open; the first run that finds it so also writes the
sentence on its client's log (`invoice.overdue`) and notes the day, so later runs do not log it
again. Set-based: one query finds them all, one statement logs and one marks them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import bindparam, func, select, update

from ispcube.db import models as m
from ispcube.db.fiscal_models import FiscalDocument
from ispcube.db.ledger_models import LedgerEntry
from ispcube.db.uow import UnitOfWork
from ispcube.domain.fiscal import FiscalStatus, overdue_before
from ispcube.domain.tax import DocumentKind
from ispcube.services.admin import config
from ispcube.services.clients.log import log_many
from ispcube.services.ledger.posting import entry_label
from ispcube.services.process.runtime import Runtime

OPEN = (FiscalStatus.DRAFT.value, FiscalStatus.IN_FLIGHT.value)
DOCUMENTS = FiscalDocument.__table__


@dataclass(frozen=True)
class Overdue:
    """One open document past its window, as the run reports it."""

    client: str
    entry: int
    document: str          # 'invoice 1-4', or 'credit note (reversal 7)'
    status: str
    since: str             # the day its ledger entry was posted
    last: str | None       # AFIP's last refusal, or the last error
    sentence: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _window(uow: UnitOfWork, today: date) -> tuple[int, datetime]:
    days = config.get_value(uow.session, "fiscal.retry_days")
    return days, datetime.combine(overdue_before(today, days), time())


def _overdue_query(cutoff: datetime):
    return (select(FiscalDocument.id, FiscalDocument.client_id, FiscalDocument.entry_id, FiscalDocument.kind,
                   FiscalDocument.status, FiscalDocument.refusal, FiscalDocument.last_error,
                   FiscalDocument.overdue_logged, LedgerEntry.kind.label("entry_kind"), LedgerEntry.series,
                   LedgerEntry.number, LedgerEntry.created_at, m.Client.code)
            .join(LedgerEntry, LedgerEntry.id == FiscalDocument.entry_id)
            .join(m.Client, m.Client.id == FiscalDocument.client_id)
            .where(FiscalDocument.status.in_(OPEN), LedgerEntry.created_at < cutoff)
            .order_by(LedgerEntry.created_at, LedgerEntry.id))


def count_overdue(uow: UnitOfWork, today: date) -> tuple[int, int]:
    """How many open documents waited longer than the window on TODAY, and the window's days."""
    days, cutoff = _window(uow, today)
    count = uow.session.scalar(select(func.count()).select_from(FiscalDocument)
                               .join(LedgerEntry, LedgerEntry.id == FiscalDocument.entry_id)
                               .where(FiscalDocument.status.in_(OPEN), LedgerEntry.created_at < cutoff))
    return count or 0, days


def report_overdue(uow: UnitOfWork, rt: Runtime, today: date) -> list[Overdue]:
    """The open documents past their window on TODAY; those never logged so are logged on their
    clients and marked with TODAY. The caller commits."""
    days, cutoff = _window(uow, today)
    rows = uow.session.execute(_overdue_query(cutoff)).all()
    found = [_overdue(row, days) for row in rows]
    first = [(row, item) for row, item in zip(rows, found, strict=True) if row.overdue_logged is None]
    if first:
        log_many(uow, rt, [(row.client_id, "invoice.overdue", item.sentence) for row, item in first])
        uow.session.execute(update(DOCUMENTS).where(DOCUMENTS.c.id == bindparam("document_id"))
                            .values(overdue_logged=today), [{"document_id": row.id} for row, _ in first])
    return found


def _overdue(row: Any, days: int) -> Overdue:
    label = entry_label(row.entry_kind, row.series, row.number)
    document = label if row.kind == DocumentKind.INVOICE else f"{row.kind.replace('-', ' ')} ({label})"
    since = row.created_at.date().isoformat()
    if row.last_error:
        last: str | None = row.last_error
        said = f"the last run could not ask AFIP: {row.last_error.rstrip('.')}"
    elif row.refusal:
        last = row.refusal
        said = f"AFIP's last refusal: {row.refusal.rstrip('.')}"
    else:
        last = None
        said = "no refusal or error is recorded for it"
    state = "in flight" if row.status == FiscalStatus.IN_FLIGHT else "a draft"
    sentence = (f"{document} of client {row.code} has waited for its CAE since {since}, more than "
                f"fiscal.retry_days ({days}), and is still {state}; {said}.")
    return Overdue(row.code, row.entry_id, document, row.status, since, last, sentence)
