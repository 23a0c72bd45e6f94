"""Invoices e-mailed to their clients (I7): `invoice send`, and `notify.send_invoices`.

An invoice travels as a notice of the outbox (kind `invoice`, keyed `invoice:<entry>`, so it is
written once whoever asks), whose message carries the invoice's PDF: a send the mail server
did not take is retried by the next `notify` or `invoice send`, and one it took is never sent
again. Only an invoice with its number goes: authorized by the tax authority, or numbered by
billing under the `none` driver; a draft or one in flight waits for `invoice authorize`.

- `announcer(rt)` is what `invoice authorize` and `billing run` are given: with
  `notify.send_invoices yes` it queues each invoice that just got its number, in the
  transaction that numbered it.
- `send_invoices` queues the invoices picked (by month, entry or client), brings back the
  ones whose e-mail was given up (expired, refused, or the client had no address then), and
  sends them at once under the job lock of `notify`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from ispcube.db import models as m
from ispcube.db.chunks import chunks
from ispcube.db.fiscal_models import FiscalDocument
from ispcube.db.ledger_models import LedgerEntry
from ispcube.db.notice_models import Notice
from ispcube.db.uow import UnitOfWork
from ispcube.domain.contact import split_list
from ispcube.domain.fiscal import FiscalStatus
from ispcube.domain.numbers import parse_id
from ispcube.domain.tax import DocumentKind
from ispcube.errors import Invalid, NotFound
from ispcube.services.admin import config
from ispcube.services.clients.lifecycle import find_client
from ispcube.services.fiscal.billing import Announce
from ispcube.services.fiscal.invoices import SENDABLE
from ispcube.services.ledger.billing import parse_period
from ispcube.services.notices.outbox import NoticeIn, NoticeKind, NoticeStatus, write_notices
from ispcube.services.notices.send import EXPIRY_DAYS, NoticeShown, read_setup, require_server, send_now
from ispcube.services.process.job_lock import job_lock
from ispcube.services.process.runtime import Runtime

WAITING = (FiscalStatus.DRAFT.value, FiscalStatus.IN_FLIGHT.value)
# The clients' payment links (G1): client ids in, {client id: link} out for those who owe.
PaymentLinks = Callable[[list[int]], dict[int, str]]


def invoice_key(entry_id: int) -> str:
    return f"invoice:{entry_id}"


def announcer(rt: Runtime) -> Announce:
    """With `notify.send_invoices yes`, each invoice (not a note) of the entries given is queued."""
    def announce(uow: UnitOfWork, entry_ids: list[int]) -> None:
        if not entry_ids or not config.get_value(uow.session, "notify.send_invoices"):
            return
        for chunk in chunks(entry_ids):
            rows = uow.session.execute(
                select(FiscalDocument.entry_id, FiscalDocument.client_id)
                .where(FiscalDocument.entry_id.in_(chunk), FiscalDocument.kind == DocumentKind.INVOICE.value,
                       FiscalDocument.status.in_(SENDABLE))).all()
            write_notices(uow, rt, [NoticeIn(client_id, NoticeKind.INVOICE, once_key=invoice_key(entry_id),
                                             entry_id=entry_id) for entry_id, client_id in rows])
    return announce


@dataclass(frozen=True)
class InvoiceSelection:
    period: str | None = None
    entries: tuple[str, ...] = ()
    client: str | None = None


@dataclass
class InvoiceSendRun:
    """`invoice send`: what went, what had gone before, what was left out and why."""

    selected: int = 0
    sent: list[NoticeShown] = field(default_factory=list)
    already_sent: int = 0
    no_email: list[str] = field(default_factory=list)     # the codes of the clients without an address
    unauthorized: int = 0          # drafts and invoices in flight: they wait for `invoice authorize`
    void: int = 0                  # annulled before the tax authority saw them: never sent
    waiting: int = 0               # queued, not taken by the mail server: the next run sends them
    rejected: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return not (self.error or self.rejected or self.waiting)

    def as_dict(self) -> dict[str, Any]:
        return {"selected": self.selected, "sent": len(self.sent), "already_sent": self.already_sent,
                "no_email": self.no_email, "unauthorized": self.unauthorized, "void": self.void,
                "waiting": self.waiting, "rejected": self.rejected, "error": self.error, "messages": self.sent}

    def line(self) -> str:
        text = f"invoice send: {len(self.sent)} sent, {self.already_sent} sent before"
        if self.no_email:
            text += f", {len(self.no_email)} skipped (no e-mail address: {_named(self.no_email)})"
        if self.void:
            text += f", {self.void} void (annulled before authorization) not sent"
        if self.unauthorized:
            text += (f"; {self.unauthorized} invoice(s) wait for authorization (`ispcube invoice authorize`) "
                     "and are not sent yet")
        return text

    def failure(self) -> str:
        parts = []
        if self.error:
            parts.append(f"{self.error}; {self.waiting} invoice(s) wait in the outbox for the next "
                         "`ispcube notify` or `ispcube invoice send`")
        if self.rejected:
            parts.append(f"{self.rejected} invoice(s) refused by the mail server or not made (see the client log)")
        return f"invoice send: {' and '.join(parts)}; {len(self.sent)} sent stand"


def _named(codes: list[str]) -> str:
    return ", ".join(codes[:10]) + (f" and {len(codes) - 10} more" if len(codes) > 10 else "")


def send_invoices(rt: Runtime, selection: InvoiceSelection,
                  payment_links: PaymentLinks | None = None) -> InvoiceSendRun:
    """E-mail the invoices SELECTION picks that have their number, each once, PDF attached;
    PAYMENT_LINKS gives their template its `payment_link` (or None)."""
    rt.check_office("send invoices")       # it reads and writes every client's notices
    run = InvoiceSendRun()
    with rt.uow() as uow:
        require_server(read_setup(uow), "invoice send")
        _select(uow, selection)            # a bad selection is refused before the lock is asked for
    with job_lock(rt.engine, "notify"):
        with rt.uow() as uow:
            rows = _select(uow, selection)
        run.selected = len(rows)
        going = []
        for entry_id, client_id, code, status, emails in rows:
            if status in WAITING:
                run.unauthorized += 1
            elif status not in SENDABLE:
                run.void += 1
            elif not split_list(emails):
                run.no_email.append(code)
            else:
                going.append((entry_id, client_id))
        links = payment_links(sorted({client_id for _, client_id in going})) if payment_links and going else {}
        with rt.uow() as uow:
            pending, run.already_sent = _queue(uow, rt, going)
            uow.commit()
        if pending:
            summary = send_now(rt, pending, links)
            run.sent, run.waiting, run.rejected, run.error = summary.messages, summary.waiting, \
                summary.rejected, summary.error
    return run


def _select(uow: UnitOfWork, selection: InvoiceSelection) -> list[Any]:
    """(entry, client id, code, status, e-mail addresses) of every document SELECTION picks, in
    the order they were posted; a selection that names nothing there is is refused."""
    d, c = FiscalDocument, m.Client
    query = (select(d.entry_id, d.client_id, c.code, d.status, c.emails)
             .join(c, c.id == d.client_id).join(LedgerEntry, LedgerEntry.id == d.entry_id)
             .order_by(LedgerEntry.entry_date, LedgerEntry.id))
    if selection.entries:
        if selection.period or selection.client:
            raise Invalid("invoice send: --invoice names the invoices itself; give it without --period and --client")
        ids = [parse_id(text, "invoice", " (see `ispcube invoice list`)", "an entry number")
               for text in selection.entries]
        rows = uow.session.execute(query.where(d.entry_id.in_(ids))).all()
        missing = sorted(set(ids) - {row.entry_id for row in rows})
        if missing:
            raise NotFound(f"invoice {missing[0]} does not exist (see `ispcube invoice list`)")
        return list(rows)
    if not (selection.period or selection.client):
        raise Invalid("invoice send: say which invoices to send: --period YYYY-MM, --invoice ENTRY "
                      "(once per invoice) or --client CODE")
    shown = []
    if selection.period:
        month = parse_period(selection.period, 1).name
        query = query.where(LedgerEntry.period == month)
        shown.append(f"--period {month}")
    if selection.client:
        client = find_client(uow, selection.client)
        query = query.where(d.client_id == client.id)
        shown.append(f"--client {client.code}")
    rows = list(uow.session.execute(query).all())
    if not rows:
        raise NotFound(f"invoice send: there are no invoices for {' '.join(shown)} "
                       f"(see `ispcube invoice list {' '.join(shown)}`)")
    return rows


def _queue(uow: UnitOfWork, rt: Runtime, going: list[tuple[int, int]]) -> tuple[list[int], int]:
    """The notices of GOING (entry, client id) pending: written where missing, brought back
    where their e-mail was given up; returns (their ids, how many were sent before)."""
    keys = {invoice_key(entry_id): (entry_id, client_id) for entry_id, client_id in going}
    found: dict[str, tuple[int, str, datetime]] = {}
    for chunk in chunks(list(keys)):
        rows = uow.session.execute(select(Notice.once_key, Notice.id, Notice.status, Notice.created_at)
                                   .where(Notice.once_key.in_(chunk)))
        found.update((str(key), (notice_id, status, created)) for key, notice_id, status, created in rows)
    write_notices(uow, rt, [NoticeIn(client_id, NoticeKind.INVOICE, once_key=key, entry_id=entry_id)
                            for key, (entry_id, client_id) in keys.items() if key not in found])
    stale = rt.now() - timedelta(days=EXPIRY_DAYS)      # pending, but `notify` would give it up now
    given_up = [notice_id for notice_id, status, created in found.values()
                if status != NoticeStatus.SENT and (status != NoticeStatus.PENDING or created <= stale)]
    for ids in chunks(given_up):
        uow.session.execute(update(Notice).where(Notice.id.in_(ids)).values(
            status=str(NoticeStatus.PENDING), created_at=rt.now(), finished_at=None, last_error=None))
    pending: list[int] = []
    for chunk in chunks(list(keys)):
        pending += uow.session.scalars(select(Notice.id).where(Notice.once_key.in_(chunk),
                                                               Notice.status == NoticeStatus.PENDING))
    return sorted(pending), sum(1 for _, status, _ in found.values() if status == NoticeStatus.SENT)
