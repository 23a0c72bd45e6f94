"""Direct-debit batches after the file is sent (K3): list them, show their items, settle them.

`settle` is for banks that send no statement: every item still pending is taken as paid, and
a receipt is posted for it as `pay` would post one (payment method `sepa`, the EndToEndId in
the comment), all in one transaction. Items already paid or rejected are left as they are, so
settling twice posts nothing twice. One run at a time (job lock, exit 75); and the items are
claimed by one conditional UPDATE (`... WHERE status = 'pending'`) whose returned rows are the
only ones posted, so a settle or a `payments import` of the same items running at the same
time (past the lock, or another command) never gets a receipt posted twice.
"""

from decimal import Decimal
from typing import TypedDict

from sqlalchemy import case, func, select, update

from ispcube.db import models as m
from ispcube.db.collection_models import CollectionBatch, CollectionItem
from ispcube.domain.ledger import EntryKind
from ispcube.domain.money import format_amount
from ispcube.domain.numbers import parse_id
from ispcube.errors import NotFound
from ispcube.services.ledger import money_in
from ispcube.services.ledger.posting import post
from ispcube.services.process.job_lock import job_lock
from ispcube.services.process.runtime import Runtime, require_office

JOB = "collect settle"


class BatchRow(TypedDict):
    """`collect list`: a batch and how many of its items are pending, paid and rejected."""
    batch: int
    created: str
    collection_date: str
    pain: str
    items: int
    total: str
    pending: int
    paid: int
    rejected: int
    file: str | None


class BatchItem(TypedDict):
    client: str
    amount: str
    end_to_end_id: str
    sequence: str
    status: str                  # pending | paid | rejected
    reason: str | None


class Batch(TypedDict):
    """`collect show`: a batch and its items."""
    batch: int
    message_id: str
    pain: str
    collection_date: str
    created: str
    operator: str
    file: str | None
    total: str
    items: list[BatchItem]


class Settled(TypedDict):
    """`collect settle`: the items taken as paid, and what they brought in."""
    batch: int
    paid: int
    total: str


def list_batches(rt: Runtime) -> list[BatchRow]:
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


def show_batch(rt: Runtime, batch_ref: str) -> Batch:
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


def settle_batch(rt: Runtime, batch_ref: str) -> Settled:
    """Take every pending item of the batch as paid: a receipt each, in one transaction."""
    with job_lock(rt.engine, JOB), money_in.posting(rt):     # receipts: posted as every payment is
        with rt.uow() as uow:
            require_office(rt.actor(uow), "settle direct-debit batches")
            batch = _batch(uow, batch_ref)
            claimed = _claim_pending(uow, batch.id, rt.now())
            clients = {c.id: c for c in uow.session.scalars(
                select(m.Client).where(m.Client.id.in_({row.client_id for row in claimed})))} if claimed else {}
            for row in claimed:
                posted = post(uow, rt, clients[row.client_id], EntryKind.RECEIPT, -row.amount, entry_date=rt.today(),
                              comment=f"SEPA direct debit {row.end_to_end_id} (batch {batch.id})",
                              payment_method="sepa")
                uow.session.execute(update(CollectionItem).where(CollectionItem.id == row.id)
                                    .values(entry_id=posted.entry_id).execution_options(synchronize_session=False))
            uow.commit()
    received = sum((row.amount for row in claimed), Decimal("0.00"))
    return {"batch": batch.id, "paid": len(claimed), "total": format_amount(received)}


def _claim_pending(uow, batch_id: int, now) -> list:
    """Move the batch's pending items to paid in one conditional UPDATE; the rows it moved.
    An item another writer settled meanwhile no longer matches and is not returned."""
    i = CollectionItem
    pending = (i.batch_id == batch_id, i.status == "pending")
    # Locked in id order first (PostgreSQL), as `payments import` locks them: no deadlock.
    uow.session.execute(select(i.id).where(*pending).order_by(i.id).with_for_update())
    moved = uow.session.execute(update(i).where(*pending)
                                .values(status="paid", settled_at=now)
                                .returning(i.id, i.client_id, i.amount, i.end_to_end_id)
                                .execution_options(synchronize_session=False)).all()
    return sorted(moved, key=lambda row: row.id)


def _batch(uow, batch_ref: str) -> CollectionBatch:
    number = parse_id(batch_ref, "batch", " (see `ispcube collect list`)", "a batch number")
    batch = uow.session.get(CollectionBatch, number)
    if batch is None:
        raise NotFound(f"batch {number} does not exist (see `ispcube collect list`)")
    return batch
