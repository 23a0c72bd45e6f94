"""Credit notes (I6): an invoice the tax authority holds is never annulled without one.

`ledger annul` of an invoice goes through here, in the annulment's transaction:

- an authorized (or, with the `none` driver, internally numbered) invoice gets a credit note
  of its letter for its whole amount, associated with it (`CbtesAsoc` when AFIP authorizes
  it), a draft for `invoice authorize` or numbered internally like the reversal;
- a draft AFIP never saw is `void`: there is nothing to cancel;
- an invoice in flight (its authorization asked, the answer not recorded) cannot be annulled
  until `invoice authorize` has settled it: it may hold a CAE already.
"""

from __future__ import annotations

from sqlalchemy import insert, select

from ispcube.db.fiscal_models import FiscalDocument
from ispcube.db.ledger_models import LedgerEntry
from ispcube.db.uow import UnitOfWork
from ispcube.domain.fiscal import FiscalStatus
from ispcube.domain.tax import DocumentKind, Letter, document_type
from ispcube.errors import Refused
from ispcube.services.fiscal.drivers import driver_in_use
from ispcube.services.ledger.statement import Annulled, annul
from ispcube.services.process.runtime import Runtime


def annul_entry(rt: Runtime, entry_ref: str, reason: str | None) -> Annulled:
    """`ledger annul`: the reversal and, for an invoice, what cancels it before the tax authority."""
    return annul(rt, entry_ref, reason, beside=cancel_invoice)


def cancel_invoice(uow: UnitOfWork, entry: LedgerEntry, reversal_id: int) -> None:
    invoice = uow.session.scalar(select(FiscalDocument).where(FiscalDocument.entry_id == entry.id,
                                                              FiscalDocument.kind == DocumentKind.INVOICE.value))
    if invoice is None or invoice.status == FiscalStatus.VOID:
        return
    if invoice.status == FiscalStatus.IN_FLIGHT:
        raise Refused(f"entry {entry.id} is an invoice whose authorization AFIP may have granted already: run "
                      "`ispcube invoice authorize` first, then annul it (a credit note will cancel it)")
    if invoice.status == FiscalStatus.DRAFT:
        invoice.status = FiscalStatus.VOID
        return
    driver = driver_in_use(uow.session)
    reversal = uow.session.get(LedgerEntry, reversal_id)
    assert reversal is not None
    internal = driver.status_at_billing is FiscalStatus.INTERNAL
    uow.session.execute(insert(FiscalDocument.__table__).values(
        entry_id=reversal_id, client_id=invoice.client_id, company_id=invoice.company_id,
        kind=DocumentKind.CREDIT_NOTE.value, letter=invoice.letter,
        document_type=document_type(DocumentKind.CREDIT_NOTE, Letter(invoice.letter)),
        status=driver.status_at_billing.value, point_of_sale=invoice.point_of_sale,
        number=reversal.number if internal else None, issued=reversal.entry_date if internal else None,
        service_from=invoice.service_from, service_to=invoice.service_to, payment_due=reversal.entry_date,
        total=invoice.total, net=invoice.net, vat=invoice.vat, vat_rate=invoice.vat_rate,
        receptor_vat=invoice.receptor_vat, receptor_doc_type=invoice.receptor_doc_type,
        receptor_doc_number=invoice.receptor_doc_number, attempts=0, associated_id=invoice.id))
