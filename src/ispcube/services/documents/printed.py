"""Printed documents: the payment receipt (D2), the client listing (C11), the contract (D3).

Each use case reads what it needs in one unit of work, renders the template in the sandbox
(services/documents/templates.py) and only then writes the output file, so a failure leaves nothing
half written. The output name is checked before any work is done, and an existing file there
is replaced only when ispcube wrote it or the operator says --yes (R14): every document we
write carries a mark (the PDF's file identifier, a closing comment in HTML) that says so.
"""

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from ispcube.db import models as m
from ispcube.db.ledger_models import Cheque, LedgerEntry
from ispcube.db.uow import UnitOfWork
from ispcube.domain.ledger import EntryKind
from ispcube.domain.numbers import parse_id
from ispcube.errors import Invalid, NotFound, Refused
from ispcube.services.admin import config
from ispcube.services.clients.lifecycle import find_client
from ispcube.services.clients.query import ClientFilter, list_clients
from ispcube.services.clients.views import client_dict, view_select
from ispcube.services.documents import templates
from ispcube.services.documents.applies import receipt_applies
from ispcube.services.documents.context import (
    common,
    company_context,
    contract_context,
    listing_context,
    receipt_context,
)
from ispcube.services.ledger.posting import entry_label
from ispcube.services.process.output_files import HTML_MARK, output_path
from ispcube.services.process.runtime import Runtime

LISTING_TEMPLATES = ("listing",)
FILTER_LABELS = {"postal_code": "Código postal", "locality": "Localidad", "node": "Nodo",
                 "status": "Estado", "collector": "Cobrador", "seller": "Vendedor",
                 "payment_method": "Forma de pago", "company": "Empresa", "service": "Servicio",
                 "search": "Búsqueda"}


@dataclass
class Document:
    what: str
    path: Path
    pages: int | None
    warnings: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        size = "" if self.pages is None else f" ({self.pages} page{'s' if self.pages != 1 else ''})"
        return f"{self.what} written to {self.path}{size}"


def write_document(what: str, html: str, path: Path, warnings: list[str]) -> Document:
    """HTML written to PATH: as it is (.html, with our mark) or as a PDF; WARNINGS grows with what
    the PDF could not fetch."""
    if path.suffix.lower() == ".html":
        try:
            path.write_text(html + HTML_MARK, encoding="utf-8")
        except OSError as exc:
            raise Invalid(f"cannot write {path}: {exc.strerror or exc}") from None
        return Document(what, path, None, warnings)
    from ispcube.adapters.pdf import write_pdf
    rendered = write_pdf(html, path, templates.asset_dir())
    warnings += [f"{url} was not fetched: documents only read the files of {templates.asset_dir()}"
                 for url in rendered.refused]
    return Document(what, path, rendered.pages, warnings)


def company_row(uow: UnitOfWork, company_id: int | None, required: bool) -> dict[str, Any] | None:
    query = select(m.Company)
    query = query.where(m.Company.id == company_id) if company_id else query.order_by(m.Company.number).limit(1)
    company = uow.session.scalar(query)
    if company is None and required:
        raise Refused("no billing company is configured: add one with "
                      "`ispcube company add --number 1 --name NAME` (its data heads every document)")
    if company is None:
        return None
    return {key: getattr(company, key) for key in ("number", "name", "tax_id", "address", "phone",
                                                   "email", "logo_path")}


def document_base(uow: UnitOfWork, rt: Runtime, company: dict[str, Any] | None, warnings: list[str]) -> dict[str, Any]:
    currency = config.get_value(uow.session, "currency")
    return common(company_context(company, warnings), currency, rt.operator, rt.today())


def shown_client(uow: UnitOfWork, client: m.Client) -> dict[str, Any]:
    return client_dict(uow.session.execute(view_select().where(m.Client.id == client.id)).one())


# --- Receipt ------------------------------------------------------------------------------

def print_receipt(rt: Runtime, entry_ref: str, out: str | None, replace: bool = False,
                  option: str = "--out") -> Document:
    """The receipt of ledger entry ENTRY_REF (its id, as `ledger show` lists it)."""
    path = output_path(out, (".pdf",), option, replace)
    entry_id = parse_id(entry_ref, "entry", " (see `ispcube ledger show CODE`)", "an entry number")
    warnings: list[str] = []
    with rt.uow() as uow:
        actor = rt.actor(uow)
        entry = uow.session.get(LedgerEntry, entry_id)
        client = uow.session.get(m.Client, entry.client_id) if entry else None
        if entry is None or client is None or (actor.collector_id is not None
                                               and client.collector_id != actor.collector_id):
            raise NotFound(f"entry {entry_id} does not exist (see `ispcube ledger show CODE`)")
        if entry.kind != EntryKind.RECEIPT:
            label = entry_label(entry.kind, entry.series, entry.number)
            raise Refused(f"entry {entry_id} is {label}, not a payment receipt")
        context = receipt_context(
            document_base(uow, rt, company_row(uow, entry.company_id or client.company_id, True), warnings),
            shown_client(uow, client), number=entry.number, on=entry.entry_date,
            cash=entry.cash_amount or Decimal("0.00"), cheques=_cheques(uow, entry_id),
            method=entry.payment_method, comment=entry.comment, operator=entry.operator,
            balance_after=_balance_after(uow, entry), annulled=_annulled(uow, entry_id),
            applies=[asdict(item) for item in receipt_applies(uow, entry)])
        html = templates.render_html(templates.stored_bodies(uow), "receipt", context)
        what = f"receipt {entry.number}"
    return write_document(what, html, path, warnings)


def receipt_entry(rt: Runtime, number_ref: str) -> str:
    """The ledger entry of receipt NUMBER_REF, the number `pay` prints (entries and receipts are
    numbered apart: entry 7 may be another client's receipt 3)."""
    number = parse_id(number_ref, "receipt", " (see `ispcube ledger show CODE`)",
                      "a receipt number (as `ispcube pay` prints it)")
    with rt.uow() as uow:
        actor = rt.actor(uow)
        query = (select(LedgerEntry.id).join(m.Client, m.Client.id == LedgerEntry.client_id)
                 .where(LedgerEntry.kind == EntryKind.RECEIPT, LedgerEntry.series == "receipt",
                        LedgerEntry.number == number))
        if actor.collector_id is not None:
            query = query.where(m.Client.collector_id == actor.collector_id)
        entry_id = uow.session.scalar(query)
    if entry_id is None:
        raise NotFound(f"receipt {number} does not exist (see `ispcube ledger show CODE`)")
    return str(entry_id)


def check_receipt(rt: Runtime, code: str, out: str, replace: bool = False) -> Path:
    """Before a payment is recorded with `--receipt OUT`: everything its receipt needs that can
    be known in advance (the file name, the billing company, the template rendering with the
    client's data), so that a receipt refused for those reasons leaves no payment behind."""
    path = output_path(out, (".pdf",), "--receipt", replace)
    with rt.uow() as uow:
        client = find_client(uow, code, rt.actor(uow))
        company = company_row(uow, client.company_id, True)
        context = receipt_context(document_base(uow, rt, company, []), shown_client(uow, client), number=0,
                                  on=rt.today(), cash=Decimal("0.00"), cheques=[], method="cash",
                                  comment=None, operator=rt.operator, balance_after=Decimal("0.00"),
                                  annulled=False)
        templates.render_html(templates.stored_bodies(uow), "receipt", context)
    return path


def _cheques(uow: UnitOfWork, entry_id: int) -> list[dict[str, Any]]:
    rows = uow.session.scalars(select(Cheque).where(Cheque.entry_id == entry_id).order_by(Cheque.id))
    return [{"bank": c.bank, "number": c.number, "amount": c.amount, "deposit_date": c.deposit_date,
             "status": c.status} for c in rows]


def _balance_after(uow: UnitOfWork, entry: LedgerEntry) -> Decimal:
    """The balance right after the receipt was recorded: every earlier entry of the client, in
    the order they were written (ids), so a back-dated payment still shows what was owed then."""
    total = uow.session.scalar(select(func.sum(LedgerEntry.amount)).where(
        LedgerEntry.client_id == entry.client_id, LedgerEntry.id <= entry.id))
    return total or Decimal("0.00")


def _annulled(uow: UnitOfWork, entry_id: int) -> bool:
    return uow.session.scalar(select(LedgerEntry.id).where(LedgerEntry.reverses_id == entry_id)) is not None


# --- Listing ------------------------------------------------------------------------------

def print_listing(rt: Runtime, f: ClientFilter, template: str | None, out: str | None,
                  limit: int | None = None, replace: bool = False) -> Document:
    """The filtered client listing through a listing template, as PDF or HTML."""
    name = template or "listing"
    if name not in LISTING_TEMPLATES:
        raise Invalid(f"--template '{name}' is not a listing template ({', '.join(LISTING_TEMPLATES)})")
    path = output_path(out, (".pdf", ".html"), replace=replace)
    warnings: list[str] = []
    with rt.uow() as uow:
        rows = list_clients(uow, f, rt.actor(uow), limit)
        company_id = _company_id(uow, f.company)
        context = listing_context(document_base(uow, rt, company_row(uow, company_id, False), warnings),
                                  rows, describe_filter(f))
        html = templates.render_html(templates.stored_bodies(uow), name, context)
    return write_document(f"listing of {len(rows)} client(s)", html, path, warnings)


def _company_id(uow: UnitOfWork, number: str | None) -> int | None:
    if not number or not number.strip().isdigit():
        return None
    return uow.session.scalar(select(m.Company.id).where(m.Company.number == int(number)))


def describe_filter(f: ClientFilter) -> list[str]:
    """The filters as the listing prints them, e.g. ['Localidad: Palermo', 'Búsqueda: «ana»']."""
    parts = []
    for key, label in FILTER_LABELS.items():
        value = getattr(f, key)
        if value:
            parts.append(f"{label}: «{value}»" if key == "search" else f"{label}: {value}")
    if f.free is not None:
        parts.append("Solo clientes gratuitos" if f.free else "Solo clientes que pagan")
    if f.deleted:
        parts.append("Clientes dados de baja")
    return parts


# --- Contract -----------------------------------------------------------------------------

def print_contract(rt: Runtime, code: str, out: str | None, replace: bool = False) -> Document:
    """The contract model the client's contract type names (1 or 2), filled with its data."""
    path = output_path(out, (".pdf",), replace=replace)
    warnings: list[str] = []
    with rt.uow() as uow:
        client = find_client(uow, code, rt.actor(uow))
        if client.contract_type not in (1, 2):
            raise Refused(f"client {client.code} has no contract type: set it with "
                          f"`ispcube client edit {client.code} --contract-type 1` (or 2)")
        plan = uow.session.get(m.Plan, client.plan_id) if client.plan_id else None
        plan_data = ({"name": plan.name, "price": plan.price, "down_kbps": plan.down_kbps,
                      "up_kbps": plan.up_kbps} if plan else None)
        context = contract_context(document_base(uow, rt, company_row(uow, client.company_id, True), warnings),
                                   shown_client(uow, client), contract_type=client.contract_type,
                                   plan=plan_data, due_day=config.get_value(uow.session, "invoice.due_day"))
        html = templates.render_html(templates.stored_bodies(uow), f"contract-{client.contract_type}", context)
        what = f"contract {client.contract_type} of client {client.code}"
    return write_document(what, html, path, warnings)
