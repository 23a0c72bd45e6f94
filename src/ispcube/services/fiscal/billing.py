"""Billing feeds the fiscal documents (I1, I8): every invoice a run posts gets its fiscal
document in the same transaction, with its letter, AFIP type and its final price split into
net and VAT (`domain/tax.py`, in Decimal).

The rate is the invoice's plans' (`tax.vat_rate` for a plan that sets none; the highest when a
client's connections carry plans of different rates); the letter follows the company's VAT
condition (responsable inscripto when unset) and the client's. With the `none` driver the
document is `internal` and its number the ledger's; with `afip` it is a `draft` until
`invoice authorize` numbers it. One read of the new invoices and one batched insert, whatever
the number of clients.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select

from ispcube.db import models as m
from ispcube.db.fiscal_models import FiscalDocument
from ispcube.db.ledger_models import LedgerEntry
from ispcube.db.uow import UnitOfWork
from ispcube.domain.fiscal import FiscalStatus
from ispcube.domain.tax import (
    CompanyVat,
    DocumentKind,
    ReceptorVat,
    document_type,
    invoice_letter,
    receptor_document,
    split_for_letter,
)
from ispcube.services.admin import config
from ispcube.services.fiscal.drivers import driver_in_use
from ispcube.services.fiscal.parties import issuer_data, receptor_columns, receptor_data
from ispcube.services.ledger.billing import BillingRun, Period, run_billing
from ispcube.services.process.runtime import Runtime

BATCH = 5000
# Told the ledger entries of the invoices that just got their number, in the transaction that
# numbered them (billing under the `none` driver, `invoice authorize` under `afip`): the
# notices queue their e-mail (I7) without fiscal importing them.
Announce = Callable[[UnitOfWork, list[int]], None]


def run_fiscal_billing(rt: Runtime, period_text: str, dry_run: bool = False,
                       announce: Announce | None = None) -> BillingRun:
    """`billing run`: the period's invoices and, beside each, its fiscal document; ANNOUNCE is
    told the invoices numbered here (those of the `none` driver)."""
    def beside(uow: UnitOfWork, period: Period, new: Any) -> None:
        numbered = write_documents(uow, period, new)
        if announce is not None and numbered:
            announce(uow, numbered)
    return run_billing(rt, period_text, dry_run, beside=beside)


def issuer_condition(word: str | None) -> CompanyVat:
    return CompanyVat(word) if word else CompanyVat.RESPONSABLE_INSCRIPTO


def write_documents(uow: UnitOfWork, period: Period, new: Any) -> list[int]:
    """A fiscal document for each ledger entry NEW selects (this run's invoices of PERIOD); the
    entries of those numbered already (the `none` driver's)."""
    session = uow.session
    driver = driver_in_use(session)
    default_rate = config.get_value(session, "tax.vat_rate")
    connection_rates = (select(m.Connection.client_id, func.max(func.coalesce(m.Plan.vat_rate, default_rate))
                               .label("rate"))
                        .join(m.Plan, m.Plan.id == m.Connection.plan_id)
                        .group_by(m.Connection.client_id).subquery("connection_rates"))
    rows = session.execute(
        select(LedgerEntry.id, LedgerEntry.client_id, LedgerEntry.company_id, LedgerEntry.number,
               LedgerEntry.amount, LedgerEntry.entry_date, LedgerEntry.due_date,
               func.coalesce(connection_rates.c.rate, m.Plan.vat_rate, default_rate),
               m.Client.vat_condition, m.Client.id_type, m.Client.id_number,
               m.Company.vat_condition, m.Company.point_of_sale, m.Company.name, m.Company.tax_id,
               m.Company.address, m.Company.activity_start, m.Company.gross_income, *receptor_columns())
        .join(m.Client, m.Client.id == LedgerEntry.client_id)
        .outerjoin(m.PostalCode, m.PostalCode.id == m.Client.postal_code_id)
        .outerjoin(connection_rates, connection_rates.c.client_id == m.Client.id)
        .outerjoin(m.Plan, m.Plan.id == m.Client.plan_id)
        .outerjoin(m.Company, m.Company.id == LedgerEntry.company_id)
        .where(new).order_by(LedgerEntry.id)).all()
    documents = []
    for (entry_id, client_id, company_id, number, amount, entry_date, due_date, rate, receptor, id_type,
         id_number, issuer, point_of_sale, company_name, tax_id, address, activity_start, gross_income,
         *client) in rows:
        letter = invoice_letter(issuer_condition(issuer), ReceptorVat(receptor))
        split = split_for_letter(amount, Decimal(str(rate)), letter)
        doc_type, doc_number = receptor_document(id_type, id_number)
        internal = driver.status_at_billing is FiscalStatus.INTERNAL
        documents.append({
            "entry_id": entry_id, "client_id": client_id, "company_id": company_id,
            "kind": DocumentKind.INVOICE.value, "letter": letter.value,
            "document_type": document_type(DocumentKind.INVOICE, letter), "status": driver.status_at_billing.value,
            "point_of_sale": point_of_sale, "number": number if internal else None,
            "issued": entry_date if internal else None, "service_from": entry_date, "service_to": period.end,
            "payment_due": due_date, "total": split.total, "net": split.net, "vat": split.vat,
            "vat_rate": Decimal(str(rate)), "receptor_vat": receptor, "receptor_doc_type": doc_type,
            "receptor_doc_number": doc_number, "attempts": 0,
            # numbered now: both parties kept as they are (fiscal/parties.py); a draft gets them when numbered
            "issuer": issuer_data(company_name, tax_id, address, issuer, activity_start, gross_income)
            if internal and company_id is not None else None,
            "receptor": receptor_data(*client) if internal else None})
    for start in range(0, len(documents), BATCH):
        session.execute(insert(FiscalDocument.__table__), documents[start:start + BATCH])   # Core: one executemany
    return [d["entry_id"] for d in documents if d["status"] == FiscalStatus.INTERNAL.value]
