"""`invoice authorize` (I4, I5): every draft invoice gets its number and CAE from AFIP, never
two CAEs and never a gap.

A run holds the job lock (a second one exits 75) and, company by company and series by series
(point of sale and document type):

1. asks `FECompConsultar` for every invoice a previous run left `in-flight` (killed, timed
   out, its reply lost) and adopts the CAE AFIP gave it; one AFIP does not hold is sent again
   under the same number;
2. reads the series' last number (`FECompUltimoAutorizado`) and numbers the drafts from there,
   in the order billing posted them, in batches of the service's limit (`FECompTotXRequest`);
3. marks each invoice of a batch `in-flight` with its number and date and commits, before the
   request: whatever happens next, the next run knows which numbers may have been granted;
4. records each answer: `authorized` with its CAE, or back to `draft` (no number) with AFIP's
   codes and messages, which stops the series there, since AFIP grants numbers in order.

Every run retries every open invoice, however long it has waited: an ISP may not drop an
invoice. One that waited longer than `fiscal.retry_days` since it was posted is named in one
sentence by every run (exit 3) and logged on its client by the first (services/fiscal/overdue.py).

A draft is refreshed from its client before it is numbered (VAT condition, ID: the letter and
receptor AFIP checks), so a refusal is fixed by editing the client and running again; it keeps
both parties' fiscal data as they are then, which it prints once issued (fiscal/parties.py). Each
invoice authorized (or adopted) is announced, in the transaction that records its CAE, to the
function the caller gives (the notices queue its e-mail with `notify.send_invoices`, I7).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
import os
from pathlib import Path
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased

from ispcube.adapters.afip import AfipClient, Associated, Authorization, FiscalDocument as Outgoing
from ispcube.db import models as m
from ispcube.db.fiscal_models import FiscalDocument
from ispcube.db.ledger_models import LedgerEntry
from ispcube.db.uow import UnitOfWork
from ispcube.domain.fiscal import FiscalStatus, payment_due
from ispcube.domain.tax import (
    DEFAULT_VAT_RATE,
    DocumentKind,
    Letter,
    ReceptorVat,
    TaxSplit,
    document_type,
    invoice_letter,
    receptor_document,
    split_for_letter,
)
from ispcube.errors import FiscalError, IspcubeError
from ispcube.services.fiscal.billing import Announce, issuer_condition
from ispcube.services.fiscal.drivers import AfipCompany, afip_client, afip_company, driver_in_use
from ispcube.services.fiscal.overdue import Overdue, report_overdue
from ispcube.services.fiscal.parties import stamp_drafts
from ispcube.services.ledger.posting import BOOKKEEPERS, require_role
from ispcube.services.process.job_lock import job_lock
from ispcube.services.process.runtime import Runtime

OPEN = (FiscalStatus.DRAFT.value, FiscalStatus.IN_FLIGHT.value)
ClientFactory = Callable[[UnitOfWork, AfipCompany], AfipClient]


@dataclass
class AuthorizeRun:
    """What a run did: counts, and one sentence per invoice AFIP refused or could not be asked,
    and per invoice still open past `fiscal.retry_days`."""

    driver: str
    today: date | None = None
    authorized: int = 0
    notes: int = 0                # of those authorized, the credit and debit notes
    recovered: int = 0            # in flight from an earlier run: AFIP's CAE adopted
    held: int = 0                 # drafts behind a refusal or a failure in their series
    refused: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    granted: list[int] = field(default_factory=list)     # the ledger entries of the documents authorized
    overdue: list[Overdue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.refused and not self.failed and not self.overdue

    def as_dict(self) -> dict[str, Any]:
        return {"driver": self.driver, "today": self.today.isoformat() if self.today else None,
                "authorized": self.authorized, "notes": self.notes, "recovered": self.recovered, "held": self.held,
                "refused": self.refused, "failed": self.failed, "overdue": [o.as_dict() for o in self.overdue]}

    def failure(self) -> str:
        parts = []
        if self.refused or self.failed:
            parts.append(f"{len(self.refused)} document(s) refused and {len(self.failed)} failure(s)")
        if self.overdue:
            parts.append(f"{len(self.overdue)} document(s) waiting for their CAE beyond fiscal.retry_days")
        return " and ".join(parts) + " (named above)"

    def line(self) -> str:
        if self.driver == "none":
            return "fiscal.driver is none: invoices are numbered by billing, nothing to authorize"
        invoices = self.authorized - self.notes
        text = f"authorized {invoices} invoice(s)" + (f" and {self.notes} note(s)" if self.notes else "")
        if self.recovered:
            text += f" ({self.recovered} recovered from an earlier run)"
        if self.refused or self.failed:
            text += f"; {len(self.refused)} refused, {len(self.failed)} failed, {self.held} held back"
        if self.overdue:
            text += f"; {len(self.overdue)} overdue (open beyond fiscal.retry_days)"
        return text


def tickets_dir(engine: Engine) -> Path:
    """Where AFIP access tickets are cached: beside a SQLite file, else in the state directory."""
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        return Path(f"{database}.afip-tickets")
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "ispcube" / "afip-tickets"


def default_clients(rt: Runtime) -> ClientFactory:
    def make(uow: UnitOfWork, company: AfipCompany) -> AfipClient:
        return afip_client(uow.session, company, tickets_dir(rt.engine), clock=lambda: _utc(rt.clock()))
    return make


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.astimezone(timezone.utc)


def authorize(rt: Runtime, clients: ClientFactory | None = None, announce: Announce | None = None,
              today: date | None = None) -> AuthorizeRun:
    """Ask AFIP for the number and CAE of every draft invoice (the cron job `invoice authorize`),
    dated TODAY (default the clock's), then name those still open past `fiscal.retry_days` on
    TODAY; ANNOUNCE is told the entries of those authorized, in the transaction that records them."""
    with rt.uow() as uow:
        require_role(rt.actor(uow), BOOKKEEPERS, "authorize invoices")
        driver = driver_in_use(uow.session)
    day = today or rt.today()
    run = AuthorizeRun(driver.name, day)
    if not driver.authorizes:
        return run
    make = clients or default_clients(rt)
    with job_lock(rt.engine, "invoice authorize"):
        with rt.uow() as uow:
            companies = _open_companies(uow, run)
        for company_id in companies:
            _company(rt, make, company_id, run, announce, day)
        with rt.uow() as uow:
            run.overdue = report_overdue(uow, rt, day)
            uow.commit()
    return run


def _open_companies(uow: UnitOfWork, run: AuthorizeRun) -> list[int]:
    """The companies with invoices to authorize; an invoice of a client with none is named."""
    ids = uow.session.scalars(select(FiscalDocument.company_id).where(FiscalDocument.status.in_(OPEN))
                              .group_by(FiscalDocument.company_id)).all()
    if None in ids:
        codes = uow.session.scalars(select(m.Client.code).join(FiscalDocument, FiscalDocument.client_id == m.Client.id)
                                    .where(FiscalDocument.status.in_(OPEN), FiscalDocument.company_id.is_(None))
                                    .order_by(m.Client.code).limit(6)).all()
        shown = ", ".join(codes[:5]) + (" and more" if len(codes) > 5 else "")
        run.failed.append(f"invoices of clients with no billing company cannot be authorized ({shown}): give "
                          "each its company (`ispcube client edit CODE --company N`)")
    return sorted(i for i in ids if i is not None)


def _company(rt: Runtime, make: ClientFactory, company_id: int, run: AuthorizeRun,
             announce: Announce | None, today: date) -> None:
    with rt.uow() as uow:
        row = uow.session.get(m.Company, company_id)
        assert row is not None
        try:
            company = afip_company(row)
            client = make(uow, company)
            _refresh_drafts(uow, company_id, row.vat_condition, company.point_of_sale)
            stamp_drafts(uow, row)
            uow.commit()
            series = uow.session.execute(
                select(FiscalDocument.point_of_sale, FiscalDocument.document_type)
                .where(FiscalDocument.company_id == company_id, FiscalDocument.status.in_(OPEN))
                .group_by(FiscalDocument.point_of_sale, FiscalDocument.document_type)
                .order_by(FiscalDocument.document_type)).all()
            batch = client.max_batch() if series else 1
        except IspcubeError as exc:
            run.failed.append(f"company {row.number}: {exc}")
            uow.session.rollback()
            run.held += _note_failure(uow, FiscalDocument.company_id == company_id, f"company {row.number}: {exc}")
            uow.commit()
            return
    for point_of_sale, kind in series:
        if point_of_sale is None:        # none left: every open invoice got the company's above
            continue
        try:
            _series(rt, client, company, point_of_sale, kind, batch, run, announce, today)
        except FiscalError as exc:
            run.failed.append(f"company {company.number}, point of sale {point_of_sale}, type {kind}: {exc}")
            with rt.uow() as uow:
                run.held += _note_failure(uow, and_(FiscalDocument.company_id == company_id,
                                                    FiscalDocument.point_of_sale == point_of_sale,
                                                    FiscalDocument.document_type == kind), str(exc))
                uow.commit()


def _refresh_drafts(uow: UnitOfWork, company_id: int, issuer: str | None, point_of_sale: int) -> None:
    """Drafts as their clients are now: letter, type, receptor and the split of the letter."""
    rows = uow.session.execute(
        select(FiscalDocument, m.Client.vat_condition, m.Client.id_type, m.Client.id_number)
        .join(m.Client, m.Client.id == FiscalDocument.client_id)
        .where(FiscalDocument.company_id == company_id, FiscalDocument.status == FiscalStatus.DRAFT,
               FiscalDocument.kind == DocumentKind.INVOICE.value)).all()     # a note keeps its invoice's
    for document, receptor, id_type, id_number in rows:
        letter = invoice_letter(issuer_condition(issuer), ReceptorVat(receptor))
        split = split_for_letter(document.total, document.vat_rate or DEFAULT_VAT_RATE, letter)
        doc_type, doc_number = receptor_document(id_type, id_number)
        document.letter, document.document_type = letter.value, document_type(DocumentKind(document.kind), letter)
        document.net, document.vat = split.net, split.vat
        document.receptor_vat, document.receptor_doc_type, document.receptor_doc_number = receptor, doc_type, doc_number
        document.point_of_sale = point_of_sale
    uow.session.execute(update(FiscalDocument).where(          # notes: their invoice's point of sale
        FiscalDocument.company_id == company_id, FiscalDocument.status == FiscalStatus.DRAFT,
        FiscalDocument.point_of_sale.is_(None)).values(point_of_sale=point_of_sale))


def _series(rt: Runtime, client: AfipClient, company: AfipCompany, point_of_sale: int, kind: int, batch: int,
            run: AuthorizeRun, announce: Announce | None, today: date) -> None:
    """One series: recover what is in flight, then number and send the drafts in batches."""
    with rt.uow() as uow:
        known = len(run.granted)
        pending = _recover(uow, client, company, point_of_sale, kind, run)
        _announce(uow, announce, run.granted[known:])
        uow.commit()
    last = client.last_authorized(point_of_sale, kind)
    with rt.uow() as uow:
        invoice = aliased(FiscalDocument)
        drafts = uow.session.execute(
            select(FiscalDocument.id, invoice.status).join(LedgerEntry, LedgerEntry.id == FiscalDocument.entry_id)
            .outerjoin(invoice, invoice.id == FiscalDocument.associated_id)
            .where(FiscalDocument.company_id == company.company_id, FiscalDocument.point_of_sale == point_of_sale,
                   FiscalDocument.document_type == kind, FiscalDocument.status == FiscalStatus.DRAFT)
            .order_by(LedgerEntry.entry_date, LedgerEntry.number, FiscalDocument.id)).all()
    ready: list[int] = []
    for document_id, cancelled in drafts:     # a note waits for its invoice's CAE, and so do those after it
        if cancelled is not None and cancelled != FiscalStatus.AUTHORIZED:
            run.held += len(drafts) - len(ready)
            break
        ready.append(document_id)
    queue = pending + ready
    while queue:
        ids, queue = queue[:batch], queue[batch:]
        with rt.uow() as uow:
            outgoing = _mark_in_flight(uow, ids, last, today)
            outgoing = [_with_associated(uow, o, d) for o, d in zip(outgoing, ids, strict=True)]
            uow.commit()
        answers = client.authorize(point_of_sale, kind, outgoing)
        with rt.uow() as uow:
            known = len(run.granted)
            stopped = _record(uow, ids, answers, rt.now().replace(tzinfo=None), run)
            _announce(uow, announce, run.granted[known:])
            uow.commit()
        if stopped:
            run.held += len(queue)
            return
        last += len(ids)


def _announce(uow: UnitOfWork, announce: Announce | None, entry_ids: list[int]) -> None:
    if announce is not None and entry_ids:
        announce(uow, entry_ids)


def _recover(uow: UnitOfWork, client: AfipClient, company: AfipCompany, point_of_sale: int, kind: int,
             run: AuthorizeRun) -> list[int]:
    """Adopt the CAEs AFIP gave to the invoices left in flight; the rest go first, as they were."""
    flying = uow.session.scalars(
        select(FiscalDocument).where(FiscalDocument.company_id == company.company_id,
                                     FiscalDocument.point_of_sale == point_of_sale,
                                     FiscalDocument.document_type == kind,
                                     FiscalDocument.status == FiscalStatus.IN_FLIGHT)
        .order_by(FiscalDocument.number)).all()
    resend = []
    for document in flying:
        assert document.number is not None
        held = client.consult(point_of_sale, kind, document.number)
        if held is None:
            resend.append(document.id)
        elif held.approved and held.total == document.total and \
                held.receptor_doc_number == document.receptor_doc_number:
            document.status, document.cae, document.cae_due = FiscalStatus.AUTHORIZED, held.cae, held.cae_due
            document.issued = held.issued or document.issued
            document.refusal = document.last_error = None
            run.recovered += 1
            run.granted.append(document.entry_id)
        else:     # AFIP holds another document under the number: this one was never granted it
            _back_to_draft(document, f"AFIP holds another document under number {document.number}")
            resend.append(document.id)
    return resend


def _mark_in_flight(uow: UnitOfWork, ids: Sequence[int], last: int, today: date) -> list[Outgoing]:
    """Number IDS from LAST + 1 and mark them in flight (a resent one keeps its number and date)."""
    documents = {d.id: d for d in uow.session.scalars(select(FiscalDocument).where(FiscalDocument.id.in_(ids)))}
    outgoing = []
    for offset, document_id in enumerate(ids, start=1):
        document = documents[document_id]
        number = last + offset
        if document.status != FiscalStatus.IN_FLIGHT or document.number != number or document.issued is None:
            document.number, document.issued = number, today
        document.status = FiscalStatus.IN_FLIGHT
        document.attempts += 1
        outgoing.append(_outgoing(document))
    uow.session.flush()
    return outgoing


def _with_associated(uow: UnitOfWork, outgoing: Outgoing, document_id: int) -> Outgoing:
    """A note names the invoice it cancels (CbtesAsoc)."""
    note = uow.session.get(FiscalDocument, document_id)
    invoice = uow.session.get(FiscalDocument, note.associated_id) if note and note.associated_id else None
    if invoice is None or invoice.number is None or invoice.point_of_sale is None:
        return outgoing
    return replace(outgoing, associated=(Associated(invoice.document_type, invoice.point_of_sale, invoice.number,
                                                    invoice.issued),))


def _outgoing(document: FiscalDocument) -> Outgoing:
    assert document.number is not None and document.issued is not None
    due = payment_due(document.issued, document.payment_due)
    return Outgoing(number=document.number, issued=document.issued, receptor_doc_type=document.receptor_doc_type,
                    receptor_doc_number=document.receptor_doc_number, receptor_vat=document.receptor_vat,
                    amounts=TaxSplit(document.total, document.net, document.vat,
                                     None if document.letter == Letter.C else document.vat_rate),
                    service_from=document.service_from, service_to=document.service_to, payment_due=due)


def _record(uow: UnitOfWork, ids: Sequence[int], answers: list[Authorization], now: datetime,
            run: AuthorizeRun) -> bool:
    """Write AFIP's answers; True when one was a refusal (the rest of the series waits)."""
    documents = {d.number: d for d in uow.session.scalars(select(FiscalDocument).where(FiscalDocument.id.in_(ids)))
                 if d.number is not None}     # every one was numbered when marked in flight
    by_number = {a.number: a for a in answers}
    stopped = False
    for number in sorted(documents):
        document, answer = documents[number], by_number.get(number)
        if answer is not None and answer.approved:     # granted is granted, whatever came before
            document.status, document.cae, document.cae_due = FiscalStatus.AUTHORIZED, answer.cae, answer.cae_due
            document.authorized_at, document.refusal, document.last_error = now, None, None
            run.authorized += 1
            run.notes += document.kind != DocumentKind.INVOICE.value
            run.granted.append(document.entry_id)
            continue
        if stopped:                 # refused for the number its refused predecessor did not take
            _back_to_draft(document, None)
            document.refusal = None
            run.held += 1
            continue
        stopped = True
        reasons = "; ".join(f"{m.code} {m.text}" for m in answer.messages) if answer else "no answer for it"
        _back_to_draft(document, reasons)
        run.refused.append(_refusal_sentence(uow, document, number, answer))
    return stopped


def _refusal_sentence(uow: UnitOfWork, document: FiscalDocument, number: int,
                      answer: Authorization | None) -> str:
    code = uow.session.scalar(select(m.Client.code).where(m.Client.id == document.client_id))
    entry = uow.session.scalar(select(LedgerEntry.number).where(LedgerEntry.id == document.entry_id))
    head = f"invoice {entry} of client {code} (as {document.letter} {number})"
    if answer is None or not answer.messages:
        return f"{head}: AFIP refused it without saying why"
    return " ".join(f"{head}: AFIP refused it, {m.code}: {m.text.rstrip('.')}." for m in answer.messages)


def _back_to_draft(document: FiscalDocument, refusal: str | None) -> None:
    document.status, document.number, document.issued = FiscalStatus.DRAFT, None, None
    document.cae = document.cae_due = None
    if refusal is not None:     # AFIP's word is now the latest about it
        document.refusal, document.last_error = refusal, None


def _note_failure(uow: UnitOfWork, which: Any, error: str) -> int:
    """The open invoices WHICH picks remember why this run could not authorize them; returns
    how many drafts (no number yet) were held back."""
    uow.session.execute(update(FiscalDocument).where(which, FiscalDocument.status.in_(OPEN))
                        .values(last_error=error[:300]))
    return len(uow.session.scalars(select(FiscalDocument.id).where(
        which, FiscalDocument.status == FiscalStatus.DRAFT)).all())
