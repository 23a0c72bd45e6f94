"""Direct-debit batches after the file is sent (K3): list them, show their items, settle them.

`settle` is for banks that send no statement: every item still pending is taken as paid, and
a receipt is posted for it as `pay` would post one (payment method `sepa`, the EndToEndId in
the comment), all in one transaction. Items already paid or rejected are left as they are, so
settling twice posts nothing twice.
"""

from decimal import Decimal

from sqlalchemy import case, func, select

from ispcube.db import models as m
from ispcube.db.collection_models import CollectionBatch, CollectionItem
from ispcube.domain.money import format_amount
from ispcube.domain.numbers import parse_id
from ispcube.errors import NotFound
from ispcube.services.ledger.posting import post
from ispcube.services.process.runtime import Runtime, require_office


def list_batches(rt: Runtime) -> list[dict]:
    item = CollectionItem
    counts = (select(item.batch_id,
                     *(func.sum(case((item.status == status, 1), else_=0)).label(status)
                       for status in ("pending", "paid", "rejected")))
              .group_by(item.batch_id).subquery())
    b = CollectionBatch
    with rt.uow() as uow:
        require_office(rt.actor(uow), "see direct-debit batches")
        rows = uow.session.execute(select(b, counts.c.pending, counts.c.paid, counts.c.rejected)
                                   .outerjoin(counts, counts.c.batch_id == b.id).order_by(b.id))
        return [{"batch": batch.id, "created": batch.created_at.isoformat(sep=" "),
                 "collection_date": batch.collection_date.isoformat(), "pain": batch.pain,
                 "items": batch.items, "total": format_amount(batch.total), "pending": pending or 0,
                 "paid": paid or 0, "rejected": rejected or 0, "file": batch.file_name}
                for batch, pending, paid, rejected in rows]


def show_batch(rt: Runtime, batch_ref: str) -> dict:
    with rt.uow() as uow:
        require_office(rt.actor(uow), "see direct-debit batches")
        batch = _batch(uow, batch_ref)
        rows = uow.session.execute(select(CollectionItem, m.Client.code)
                                   .join(m.Client, m.Client.id == CollectionItem.client_id)
                                   .where(CollectionItem.batch_id == batch.id).order_by(CollectionItem.id))
        return {"batch": batch.id, "message_id": batch.message_id, "pain": batch.pain,
                "collection_date": batch.collection_date.isoformat(),
                "created": batch.created_at.isoformat(sep=" "), "operator": batch.operator,
                "file": batch.file_name, "total": format_amount(batch.total),
                "items": [{"client": code, "amount": format_amount(item.amount),
                           "end_to_end_id": item.end_to_end_id, "sequence": item.sequence,
                           "status": item.status, "reason": item.reason} for item, code in rows]}


def settle_batch(rt: Runtime, batch_ref: str) -> dict:
    """Take every pending item of the batch as paid: a receipt each, in one transaction."""
    with rt.uow() as uow:
        require_office(rt.actor(uow), "settle direct-debit batches")
        batch = _batch(uow, batch_ref)
        pending = list(uow.session.scalars(select(CollectionItem).where(
            CollectionItem.batch_id == batch.id, CollectionItem.status == "pending").order_by(CollectionItem.id)))
        clients = {c.id: c for c in uow.session.scalars(
            select(m.Client).where(m.Client.id.in_({item.client_id for item in pending})))} if pending else {}
        now = rt.now()
        for item in pending:
            posted = post(uow, rt, clients[item.client_id], "receipt", -item.amount, entry_date=rt.today(),
                          comment=f"SEPA direct debit {item.end_to_end_id} (batch {batch.id})",
                          payment_method="sepa")
            item.status, item.entry_id, item.settled_at = "paid", posted.entry_id, now
        uow.commit()
        received = sum((item.amount for item in pending), Decimal("0.00"))
        return {"batch": batch.id, "paid": len(pending), "total": format_amount(received)}


def _batch(uow, batch_ref: str) -> CollectionBatch:
    number = parse_id(batch_ref, "batch", " (see `ispcube collect list`)", "a batch number")
    batch = uow.session.get(CollectionBatch, number)
    if batch is None:
        raise NotFound(f"batch {number} does not exist (see `ispcube collect list`)")
    return batch
