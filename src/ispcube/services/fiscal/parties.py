"""Both parties of a fiscal document as they were when it was issued (I2).

A document that AFIP authorized, or that the `none` driver numbered, is fiscal: what it says
of its issuer (name, CUIT, fiscal address, VAT condition, activity start, gross-income number)
and of its receptor (name, ID, fiscal address, activity) must not change when the company or
the client is edited afterwards. The data is written on the document, as JSON, when it gets
its number: by billing (`none`), by a note written numbered (`none`), and by `invoice
authorize` when it refreshes the drafts it is about to number. A note's receptor is its
invoice's, as its receptor fields for AFIP are. A draft is not fiscal yet: it prints with the
company and the client as they are now, and so does a document numbered before the data was
kept (it has none).
"""

from __future__ import annotations

from datetime import date
import json
from typing import Any

from sqlalchemy import select

from ispcube.db import models as m
from ispcube.db.fiscal_models import FiscalDocument
from ispcube.db.uow import UnitOfWork
from ispcube.domain.fiscal import FiscalStatus

# The statuses in which a document is the one the tax authority holds (or may hold: in flight).
ISSUED = (FiscalStatus.IN_FLIGHT.value, FiscalStatus.AUTHORIZED.value, FiscalStatus.INTERNAL.value)
RECEPTOR_FIELDS = ("name", "id_type", "id_number", "fiscal_address", "locality", "postal_code", "activity")


ISSUER_FIELDS = ("name", "tax_id", "address", "vat_condition", "activity_start", "gross_income")


def issuer_fields(company: m.Company) -> dict[str, Any]:
    """The company's fiscal data as it is now, as `shown_parties` gives a document's."""
    return {key: getattr(company, key) for key in ISSUER_FIELDS}


def issuer_data(name: str | None, tax_id: str | None, address: str | None, vat_condition: str | None,
                activity_start: date | None, gross_income: str | None) -> str:
    """The company's fiscal data as a document keeps it."""
    return json.dumps({"name": name, "tax_id": tax_id, "address": address, "vat_condition": vat_condition,
                       "activity_start": activity_start.isoformat() if activity_start else None,
                       "gross_income": gross_income}, ensure_ascii=False, sort_keys=True)


def company_issuer(company: m.Company | None) -> str | None:
    if company is None:
        return None
    return issuer_data(*(getattr(company, key) for key in ISSUER_FIELDS))


def receptor_data(name: str | None, id_type: str | None, id_number: str | None, fiscal_address: str | None,
                  address: str | None, locality: str | None, postal_code: str | None,
                  activity: str | None) -> str:
    """The client's fiscal data as a document keeps it (the fiscal address, else the address)."""
    values = (name, id_type, id_number, fiscal_address or address, locality, postal_code, activity)
    return json.dumps(dict(zip(RECEPTOR_FIELDS, values, strict=True)), ensure_ascii=False, sort_keys=True)


def receptor_columns() -> tuple[Any, ...]:
    """The columns `receptor_data` takes, for a query joining `clients` and outer-joining `postal_codes`."""
    c = m.Client
    return (c.name, c.id_type, c.id_number, c.fiscal_address, c.address, m.PostalCode.locality,
            m.PostalCode.code, c.activity)


def stamp_drafts(uow: UnitOfWork, company: m.Company) -> None:
    """Write both parties on COMPANY's drafts, just before they are numbered: the company as it
    is, each invoice's client as it is, and each note its invoice's receptor."""
    issuer = company_issuer(company)
    rows = uow.session.execute(
        select(FiscalDocument, *receptor_columns())
        .join(m.Client, m.Client.id == FiscalDocument.client_id)
        .outerjoin(m.PostalCode, m.PostalCode.id == m.Client.postal_code_id)
        .where(FiscalDocument.company_id == company.id, FiscalDocument.status == FiscalStatus.DRAFT)).all()
    for document, *client in rows:
        document.issuer = issuer
        document.receptor = receptor_data(*client)
    drafts = {d.id: d for d, *_ in rows}
    for document in drafts.values():
        if document.associated_id is not None:
            document.receptor = note_receptor(uow, document.associated_id, drafts) or document.receptor


def note_receptor(uow: UnitOfWork, associated_id: int, known: dict[int, FiscalDocument] | None = None) -> str | None:
    """The receptor a note keeps: its associated document's."""
    associated = (known or {}).get(associated_id) or uow.session.get(FiscalDocument, associated_id)
    return associated.receptor if associated is not None else None


def shown_parties(document: FiscalDocument) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The issuer and receptor DOCUMENT prints: what it kept once issued, else None (the current ones)."""
    if document.status not in ISSUED:
        return None, None
    issuer = json.loads(document.issuer) if document.issuer else None
    if issuer is not None and issuer.get("activity_start"):
        issuer["activity_start"] = date.fromisoformat(issuer["activity_start"])
    return issuer, json.loads(document.receptor) if document.receptor else None
