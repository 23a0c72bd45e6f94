"""Invoices as their clients see them (I2, I8): `invoice list`, `show` and `print`.

An invoice is named by its ledger entry (as `ledger show` lists it). It shows its internal
number and, once it has one, its fiscal number (letter, point of sale and number, as AFIP
prints them); the PDF comes from the sandboxed template `invoice.html` with the company's and
the client's fiscal data, the amounts as the letter requires and, for an authorized invoice,
the CAE and the RG 4892 QR. The same document, and the facts its e-mail names, are given to
the notices that carry an invoice to its client (I7).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ispcube.db import models as m
from ispcube.db.chunks import chunks
from ispcube.db.fiscal_models import FiscalDocument
from ispcube.db.ledger_models import LedgerEntry
from ispcube.db.uow import UnitOfWork
from ispcube.domain.fiscal import FiscalStatus, fiscal_number, payment_due
from ispcube.domain.ids import normalise_id
from ispcube.domain.numbers import parse_id
from ispcube.domain.tax import (
    CompanyVat,
    DocumentKind,
    QrInvoice,
    ReceptorVat,
    qr_url,
)
from ispcube.domain.text import quoted
from ispcube.errors import Invalid, NotFound
from ispcube.services.clients.lifecycle import find_client
from ispcube.services.documents import templates
from ispcube.services.documents.context import invoice_context
from ispcube.services.documents.printed import Document, company_row, document_base, shown_client, write_document
from ispcube.services.fiscal.parties import issuer_fields, shown_parties
from ispcube.services.ledger.billing import parse_period
from ispcube.services.ledger.posting import entry_label
from ispcube.services.process.output_files import output_path
from ispcube.services.process.runtime import Actor, Runtime

TITLES = {DocumentKind.INVOICE: "Factura", DocumentKind.DEBIT_NOTE: "Nota de Débito",
          DocumentKind.CREDIT_NOTE: "Nota de Crédito"}
FILE_PREFIXES = {DocumentKind.INVOICE: "factura", DocumentKind.DEBIT_NOTE: "nota-de-debito",
                 DocumentKind.CREDIT_NOTE: "nota-de-credito"}
ISSUER_LABELS = {CompanyVat.RESPONSABLE_INSCRIPTO: "IVA Responsable Inscripto",
                 CompanyVat.MONOTRIBUTO: "Responsable Monotributo", CompanyVat.EXENTO: "IVA Sujeto Exento"}


def _select():
    return (select(FiscalDocument, LedgerEntry, m.Client.code)
            .join(LedgerEntry, LedgerEntry.id == FiscalDocument.entry_id)
            .join(m.Client, m.Client.id == FiscalDocument.client_id))


def _scoped(query, actor: Actor):
    return query.where(m.Client.collector_id == actor.collector_id) if actor.collector_id is not None else query


def _row(document: FiscalDocument, entry: LedgerEntry, code: str,
         associated: dict[str, Any] | None = None) -> dict[str, Any]:
    """One document as `invoice show` gives it; ASSOCIATED: what a note corrects (see `_associated`)."""
    kind = DocumentKind(document.kind)
    return {
        "entry": entry.id, "client": code, "internal": entry_label(entry.kind, entry.series, entry.number),
        "kind": kind.value, "title": TITLES[kind], "letter": document.letter, "code": document.document_type,
        "point_of_sale": document.point_of_sale,
        "number": document.number if document.status != FiscalStatus.DRAFT else None,
        "fiscal_number": fiscal_number(document.letter, document.point_of_sale, document.number)
        if document.status in (FiscalStatus.AUTHORIZED, FiscalStatus.INTERNAL) else None,
        "status": document.status, "issued": document.issued, "period": entry.period,
        "service_from": document.service_from, "service_to": document.service_to,
        "payment_due": payment_due(document.issued, document.payment_due),
        "description": f"Servicio de internet {entry.period or ''}".strip() if kind is DocumentKind.INVOICE
        else entry.comment or TITLES[kind],
        "associated": associated["label"] if associated else None,
        "associated_number": associated["number"] if associated else None,
        "associated_title": associated["title"] if associated else None,
        "associated_entry": associated["entry"] if associated else None,
        "total": document.total, "net": document.net, "vat": document.vat,
        "vat_rate": f"{document.vat_rate.normalize():f}" if document.vat_rate is not None else None,
        "receptor_vat": ReceptorVat(document.receptor_vat).label, "receptor_doc_type": document.receptor_doc_type,
        "receptor_doc_number": document.receptor_doc_number, "cae": document.cae, "cae_due": document.cae_due,
        "refusal": document.refusal,
    }


@dataclass(frozen=True)
class InvoiceFilter:
    period: str | None = None
    client: str | None = None
    status: str | None = None


def list_invoices(rt: Runtime, f: InvoiceFilter) -> list[dict[str, Any]]:
    # A filter given empty is refused, not dropped: a script whose variable came out empty
    # would otherwise list every invoice; an unknown client is named, as `connection list` does.
    with rt.uow() as uow:
        actor = rt.actor(uow)
        query = _scoped(_select(), actor)
        if f.period is not None:
            query = query.where(LedgerEntry.period == parse_period(f.period, 1).name)
        if f.client is not None:
            query = query.where(FiscalDocument.client_id == find_client(uow, f.client, actor).id)
        if f.status is not None:
            if f.status not in set(FiscalStatus):
                raise Invalid(f"--status {quoted(f.status)} is not one of: {', '.join(FiscalStatus)}")
            query = query.where(FiscalDocument.status == f.status)
        rows = uow.session.execute(query.order_by(LedgerEntry.entry_date, LedgerEntry.id)).all()
        associated = _associated(uow, [document for document, _, _ in rows])
        return [_row(document, entry, code, associated.get(document.associated_id or 0))
                for document, entry, code in rows]


def show_invoice(rt: Runtime, entry_ref: str) -> dict[str, Any]:
    with rt.uow() as uow:
        document, entry, code = _find(uow, rt.actor(uow), entry_ref)
        return _row(document, entry, code, _associated(uow, [document]).get(document.associated_id or 0))


def _associated(uow: UnitOfWork, documents: list[FiscalDocument]) -> dict[int, dict[str, Any]]:
    """What the notes among DOCUMENTS correct, by document id: its kind, title and entry, and
    its number as people name it (the fiscal one once it has it, else the internal one)."""
    ids = sorted({d.associated_id for d in documents if d.associated_id is not None})
    if not ids:
        return {}
    rows = uow.session.execute(select(FiscalDocument, LedgerEntry).join(LedgerEntry, LedgerEntry.id ==
                                                                        FiscalDocument.entry_id)
                               .where(FiscalDocument.id.in_(ids))).all()
    found = {}
    for document, entry in rows:
        fiscal = (fiscal_number(document.letter, document.point_of_sale, document.number)
                  if document.status in (FiscalStatus.AUTHORIZED, FiscalStatus.INTERNAL) else None)
        internal = entry_label(entry.kind, entry.series, entry.number)     # names its kind already
        found[document.id] = {"entry": entry.id, "kind": document.kind,
                              "title": TITLES[DocumentKind(document.kind)], "number": fiscal or internal,
                              "label": f"{document.kind} {fiscal}" if fiscal else internal}
    return found


def _find(uow: UnitOfWork, actor: Actor, entry_ref: str) -> tuple[FiscalDocument, LedgerEntry, str]:
    entry_id = parse_id(entry_ref, "invoice", " (see `ispcube invoice list`)", "an entry number")
    found = uow.session.execute(_scoped(_select(), actor).where(FiscalDocument.entry_id == entry_id)).first()
    if found is None:
        raise NotFound(f"invoice {entry_id} does not exist (see `ispcube invoice list`)")
    return found[0], found[1], found[2]


@dataclass
class Printed:
    documents: list[Document] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        return [w for d in self.documents for w in d.warnings]


# The clients' payment links (G1): client ids in, {client id: link} out for those who owe.
PaymentLinks = Callable[[list[int]], dict[int, str]]


def print_invoice(rt: Runtime, entry_ref: str, out: str | None, replace: bool = False,
                  payment_links: PaymentLinks | None = None) -> Document:
    """The PDF of one invoice; PAYMENT_LINKS gives the template its `payment_link` (or None)."""
    path = output_path(out, (".pdf",), "--out", replace)
    links: dict[int, str] = {}
    if payment_links is not None:
        with rt.uow() as uow:
            client_id = _find(uow, rt.actor(uow), entry_ref)[0].client_id
        links = payment_links([client_id])
    with rt.uow() as uow:
        document, entry, code = _find(uow, rt.actor(uow), entry_ref)
        what, html, warnings = _render(uow, rt, document, entry, code, links.get(document.client_id))
    return write_document(what, html, path, warnings)


def print_period(rt: Runtime, period: str, out_dir: str, replace: bool = False,
                 payment_links: PaymentLinks | None = None) -> Printed:
    """One PDF per invoice of PERIOD in OUT_DIR, named by its fiscal (else internal) number;
    PAYMENT_LINKS gives the template its `payment_link` (or None)."""
    folder = Path(out_dir).expanduser()
    if not folder.is_dir():
        raise Invalid(f"--out-dir '{out_dir}' is not a folder")
    printed = Printed()
    month = parse_period(period, 1).name
    with rt.uow() as uow:
        clients = sorted(set(uow.session.scalars(_scoped(_select(), rt.actor(uow))
                                                 .where(LedgerEntry.period == month)
                                                 .with_only_columns(FiscalDocument.client_id))))
    links = payment_links(clients) if payment_links is not None and clients else {}
    with rt.uow() as uow:
        rows = uow.session.execute(_scoped(_select(), rt.actor(uow)).where(LedgerEntry.period == month)
                                   .order_by(LedgerEntry.id)).all()
        if not rows:
            raise NotFound(f"there are no invoices of {month} (see `ispcube invoice list --period {month}`)")
        rendered = []
        for document, entry, code in rows:
            name = _file_name(document, entry, code)
            path = output_path(str(folder / name), (".pdf",), "--out-dir", replace)
            rendered.append((path, *_render(uow, rt, document, entry, code, links.get(document.client_id))))
    for path, what, html, warnings in rendered:
        printed.documents.append(write_document(what, html, path, warnings))
    return printed


# --- For the e-mail that carries an invoice (I7) ----------------------------------------

SENDABLE = (FiscalStatus.AUTHORIZED.value, FiscalStatus.INTERNAL.value)


@dataclass(frozen=True)
class InvoiceFile:
    """An invoice's document as a file: its name and its HTML (the PDF is made from it)."""
    name: str
    html: str


def invoice_file(uow: UnitOfWork, rt: Runtime, entry_id: int, payment_link: str | None) -> InvoiceFile | None:
    """The document of the invoice of ledger entry ENTRY_ID, rendered as `invoice print` does."""
    found = uow.session.execute(_select().where(FiscalDocument.entry_id == entry_id)).first()
    if found is None:
        return None
    document, entry, code = found
    _, html, _ = _render(uow, rt, document, entry, code, payment_link)
    return InvoiceFile(_file_name(document, entry, code), html)


def mail_facts(uow: UnitOfWork, entry_ids: list[int]) -> dict[int, dict[str, Any]]:
    """What the e-mail of each invoice ENTRY_IDS names, for those that may be sent (authorized,
    or numbered internally): its title and number (the fiscal one once it has one, never the
    internal one when the tax authority numbered it), CAE, period, total and due date."""
    facts: dict[int, dict[str, Any]] = {}
    for chunk in chunks(entry_ids):
        rows = uow.session.execute(_select().where(FiscalDocument.entry_id.in_(chunk),
                                                   FiscalDocument.status.in_(SENDABLE))).all()
        for document, entry, code in rows:
            row = _row(document, entry, code)
            facts[entry.id] = {key: row[key] for key in ("title", "letter", "fiscal_number", "cae", "cae_due",
                                                         "period", "total", "payment_due", "issued")}
            facts[entry.id]["number"] = row["fiscal_number"] or row["internal"].removeprefix("invoice ")
    return facts


def _file_name(document: FiscalDocument, entry: LedgerEntry, code: str) -> str:
    shown = fiscal_number(document.letter, document.point_of_sale, document.number)
    prefix = FILE_PREFIXES[DocumentKind(document.kind)]
    if document.status == FiscalStatus.AUTHORIZED and shown:
        return f"{prefix}-{shown.replace(' ', '-')}.pdf"
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in code)
    return f"{prefix}-{entry.period}-{safe}-{entry.number}.pdf"


def _render(uow: UnitOfWork, rt: Runtime, document: FiscalDocument, entry: LedgerEntry,
            code: str, payment_link: str | None) -> tuple[str, str, list[str]]:
    """The document's HTML; once issued it shows both parties as they were then (parties.py)."""
    warnings: list[str] = []
    company = uow.session.get(m.Company, document.company_id) if document.company_id else None
    client = uow.session.get(m.Client, document.client_id)
    assert client is not None
    row = _row(document, entry, code, _associated(uow, [document]).get(document.associated_id or 0))
    kept_issuer, kept_receptor = shown_parties(document)
    fiscal = kept_issuer or (issuer_fields(company) if company else None)
    issuer = {"vat_label": ISSUER_LABELS[CompanyVat(fiscal["vat_condition"] or CompanyVat.RESPONSABLE_INSCRIPTO)]
              if fiscal else None,
              "gross_income": fiscal["gross_income"] if fiscal else None,
              "activity_start": fiscal["activity_start"] if fiscal else None,
              "point_of_sale": document.point_of_sale}
    heading = company_row(uow, document.company_id, True)
    if kept_issuer and heading is not None:
        heading.update({key: kept_issuer[key] for key in ("name", "tax_id", "address")})
    receptor = shown_client(uow, client)
    if kept_receptor:
        receptor.update(kept_receptor, address=kept_receptor["fiscal_address"])
    context = invoice_context(document_base(uow, rt, heading, warnings), receptor, issuer, row,
                              _qr(document, fiscal), payment_link)
    html = templates.render_html(templates.stored_bodies(uow), "invoice", context)
    label = row["fiscal_number"] or row["internal"]
    return f"{row['title'].lower()} {label} of client {code}", html, warnings


def _qr(document: FiscalDocument, issuer: dict[str, Any] | None) -> str | None:
    """The RG 4892 QR's URL of an authorized invoice (None before AFIP authorized it), with
    the CUIT ISSUER had when it was issued."""
    if document.status != FiscalStatus.AUTHORIZED or not document.cae or issuer is None:
        return None
    checked = normalise_id("AR", "CUIT", issuer["tax_id"]) if issuer["tax_id"] else None
    assert document.number is not None and document.issued is not None and document.point_of_sale is not None
    return qr_url(QrInvoice(issued=document.issued, issuer_cuit=int(checked.key) if checked else 0,
                            point_of_sale=document.point_of_sale, document_type=document.document_type,
                            number=document.number, total=document.total, cae=document.cae,
                            receptor_doc_type=document.receptor_doc_type,
                            receptor_doc_number=document.receptor_doc_number))
