"""`collect sepa` (K3): one SEPA Core direct debit per client who pays by `sepa` and owes money.

A client is collected when its payment method is `sepa`, it is not deleted, it owes an overdue
debt on the collection date (N1: invoices not yet due then are left for the next batch), it
has an IBAN and a signed mandate, and no item of an earlier batch is still pending for it (so
nothing is collected twice). Clients of the method that owe money but cannot be collected are
named with the reason, and so is one whose account holder's name (its name when none is given)
has nothing a SEPA file can carry; names and descriptions are written in the EPC's basic
Latin set (transliterated, `&` as `+`, other signs dropped). The sequence is FRST until a
collection under the mandate has been paid, RCUR after it.

One run at a time (the job lock: a second run gets exit 75), and the database refuses a
second pending item for a client: a run that got past the lock anyway (another host, another
path to the same SQLite file) fails whole, recording nothing and leaving no file.

The batch and its items are recorded in the same transaction that is committed only once the
file, validated against the schema, has been written beside its final name; the file is then
moved into place. A kill before the commit leaves no batch (and at most a hidden temporary
file); a kill after it leaves the batch recorded and its file under the temporary name, which
the command names if the move fails.
"""

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
import os
from pathlib import Path
from typing import TypedDict

from sqlalchemy import exists, insert, literal, select

from ispcube.adapters.sepa_file import PAIN_VERSIONS, Creditor, Debit, debit_file
from ispcube.db import models as m
from ispcube.db.collection_models import CollectionBatch, CollectionItem
from ispcube.db.failures import is_unique_violation
from ispcube.db.overdue import overdue_select
from ispcube.db.types import Money
from ispcube.domain.bank import bic_of, epc_text
from ispcube.domain.dates import parse_date
from ispcube.domain.money import format_amount
from ispcube.domain.target2 import closed_because, first_collection_day, next_business_day
from ispcube.domain.text import quoted
from ispcube.errors import Busy, Invalid, PartialFailure
from ispcube.services.admin import config
from ispcube.services.clients.log import log_many
from ispcube.services.process.job_lock import job_lock
from ispcube.services.process.output_files import output_path
from ispcube.services.process.runtime import Runtime, require_office

ZERO = Decimal("0.00")
HORIZON_DAYS = 366      # the furthest collection date accepted
JOB = "collect sepa"


class DebitRow(TypedDict):
    """A direct debit the batch requests (pending until the bank's statement or a settle)."""
    client: str
    amount: str
    end_to_end_id: str
    sequence: str                # FRST | RCUR
    mandate_ref: str
    status: str
    reason: None


class RefusedRow(TypedDict):
    """A client paying by direct debit who could not be collected, and why."""
    client: str
    amount: str
    reason: str


class SepaRecord(TypedDict):
    batch: int | None
    message_id: str | None
    file: str | None
    collection_date: str
    pain: str
    dry_run: bool
    count: int
    total: str
    items: list[DebitRow]
    refused: list[RefusedRow]
    already_pending: int
    recovered: list[str]


@dataclass
class SepaRun:
    collection_date: str
    pain: str
    dry_run: bool
    batch: int | None = None
    message_id: str | None = None
    file: str | None = None
    total: Decimal = ZERO
    items: list[DebitRow] = field(default_factory=list)
    refused: list[RefusedRow] = field(default_factory=list)
    pending: int = 0                                      # clients left out: an item still pending
    recovered: list[str] = field(default_factory=list)    # files of stopped runs moved into place

    def as_dict(self) -> SepaRecord:
        return {"batch": self.batch, "message_id": self.message_id, "file": self.file,
                "collection_date": self.collection_date, "pain": self.pain, "dry_run": self.dry_run,
                "count": len(self.items), "total": format_amount(self.total), "items": self.items,
                "refused": self.refused, "already_pending": self.pending, "recovered": self.recovered}


def collect_sepa(rt: Runtime, collection_date: str, out: str | None, *, pain: str = "008.001.02",
                 dry_run: bool = False, overwrite: bool = False, force_date: bool = False) -> SepaRun:
    rt.check_office("collect direct debits")
    on = parse_date(collection_date, field="--collection-date", local=rt.local_formats())
    if pain not in PAIN_VERSIONS:
        raise Invalid(f"--pain {quoted(pain)} is not one of {', '.join(PAIN_VERSIONS)}")
    _check_collection_date(on, rt.today(), force_date)
    path = _output(out, dry_run, overwrite)
    run = SepaRun(on.isoformat(), pain, dry_run)
    if dry_run:
        return _collect(rt, run, on, path)
    with job_lock(rt.engine, JOB):
        return _collect(rt, run, on, path)


def _check_collection_date(on: date, today: date, force: bool) -> None:
    """A TARGET2 business day at least one business day after TODAY, unless FORCE (the bank
    agreed to another); never a day gone by, nor more than HORIZON_DAYS ahead."""
    if on < today:
        raise Invalid(f"--collection-date {on.isoformat()} is in the past: the bank would refuse the file")
    if on > today + timedelta(days=HORIZON_DAYS):
        raise Invalid(f"--collection-date {on.isoformat()} is more than {HORIZON_DAYS} days ahead: "
                      "banks take direct debits for the coming days, not years")
    if force:
        return
    why = closed_because(on) or ("today" if on == today else
                                 "less than one TARGET2 business day after today" if on < next_business_day(today)
                                 else None)
    if why:
        raise Invalid(f"--collection-date {on.isoformat()} is {why}: SEPA direct debits are collected on TARGET2 "
                      f"business days at least one business day after today ({today.isoformat()}); the first valid "
                      f"date is {first_collection_day(today, on).isoformat()} (--force-date takes the date as given)")


def _collect(rt: Runtime, run: SepaRun, on: date, path: Path | None) -> SepaRun:
    dry_run, pain = run.dry_run, run.pain
    with rt.uow() as uow:
        require_office(rt.actor(uow), "collect direct debits")
        if not dry_run:
            run.recovered = finish_stopped_batches(uow)
        creditor = _creditor(uow, pain)
        planned = _plan(uow, on, creditor, run)
        if not planned:
            return run
        batch = CollectionBatch(kind="sepa", message_id=f"pending-{os.getpid()}-{rt.now():%H%M%S}", pain=pain,
                                collection_date=on, created_at=rt.now(), operator=rt.operator,
                                file_name=str(path) if path else None, total=run.total, items=len(planned))
        uow.session.add(batch)
        uow.flush()
        # EndToEndIds: unique for ever (the batch id is), at most 35 characters.
        planned = [(owner, replace(debit, end_to_end_id=f"ISPCUBE-{batch.id}-{n}"))
                   for n, (owner, debit) in enumerate(planned, start=1)]
        run.message_id, document = debit_file(creditor, [debit for _, debit in planned], on, pain)
        batch.message_id = run.message_id
        run.items = [_item(code, debit) for (_, code), debit in planned]
        if dry_run:
            return run
        assert path is not None, "only a dry run goes without a file"
        run.batch = batch.id
        try:
            _record_items(uow, rt, batch, planned)
        except Exception as exc:
            if not is_unique_violation(exc):
                raise
            uow.session.rollback()
            raise _collected_meanwhile(uow, [owner for owner, _ in planned]) from None
        temporary = _part(path, batch.id)
        _write_private(temporary, document)
        try:
            uow.commit()
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    try:
        os.replace(temporary, path)
    except OSError as exc:
        raise PartialFailure(f"batch {run.batch} is recorded with {len(run.items)} pending item(s), but its file "
                             f"could not be moved into place ({exc.strerror}): it is at {temporary}") from None
    run.file = str(path)
    return run


def _collected_meanwhile(uow, planned: list[tuple[int, str]]) -> Busy:
    """Another run recorded a pending item for some of PLANNED after this run chose them."""
    c, item = m.Client, CollectionItem
    taken = uow.session.execute(select(c.code, item.batch_id).join(item, item.client_id == c.id).where(
        item.status == "pending", c.id.in_([client_id for client_id, _ in planned])).order_by(c.code)).first()
    who = f"client {taken.code} already has a pending direct debit in batch {taken.batch_id}" if taken else \
        "a client of this batch got a pending direct debit"
    return Busy(f"{who}, requested by another `collect sepa` at the same time: nothing was recorded by this run "
                "and no file was written; run it again to collect the clients left")


def _part(path: Path, batch_id: int) -> Path:
    """Where a batch's file is written before its batch is committed (hidden, beside PATH)."""
    return path.with_name(f".{path.name}.batch-{batch_id}.part")


def finish_stopped_batches(uow) -> list[str]:
    """A run stopped between committing its batch and moving the file into place left the file
    under its temporary name: move it now, as that run would have (its items are pending)."""
    moved = []
    for batch_id, name in uow.session.execute(select(CollectionBatch.id, CollectionBatch.file_name)
                                              .where(CollectionBatch.file_name.is_not(None))):
        path = Path(name)
        left = _part(path, batch_id)
        if not os.path.lexists(path) and left.is_file():
            os.replace(left, path)
            moved.append(f"the file of batch {batch_id}, left by a stopped run, is now at {path}")
    return moved


def _output(out: str | None, dry_run: bool, overwrite: bool) -> Path | None:
    if out is None and dry_run:
        return None
    return output_path(out, (".xml",), "--out", overwrite).absolute()


def _creditor(uow, pain: str) -> Creditor:
    get = lambda key: config.get_value(uow.session, key)  # noqa: E731
    if get("currency") != "EUR":
        raise Invalid(f"SEPA direct debits are in euros and the currency is {get('currency')} "
                      "(`ispcube config set currency EUR`)")
    missing = [key for key in ("sepa.creditor_id", "sepa.creditor_name", "sepa.creditor_iban") if not get(key)]
    if missing:
        raise Invalid(f"set {', '.join(missing)} first (`ispcube config set KEY VALUE`)")
    bic = get("sepa.creditor_bic") or bic_of(get("sepa.creditor_iban"))
    if not bic and pain == "008.001.02":
        raise Invalid("pain.008.001.02 needs the creditor's BIC: set sepa.creditor_bic")
    name = epc_text(get("sepa.creditor_name"), 70)
    if not name:
        raise Invalid(f"the creditor name {quoted(get('sepa.creditor_name'))} has no letter or digit a SEPA file can "
                      "carry: `ispcube config set sepa.creditor_name NAME`")
    return Creditor(name, get("sepa.creditor_iban"), bic, get("sepa.creditor_id"))


def _plan(uow, on: date, creditor: Creditor, run: SepaRun) -> list[tuple[tuple[int, str], Debit]]:
    """((client id, code), debit) for each client to collect; the EndToEndId comes later."""
    c, item = m.Client, CollectionItem
    pending = exists().where(item.client_id == c.id, item.status == "pending")
    paid_before = exists().where(item.mandate_ref == c.mandate_ref, item.status == "paid")
    query = overdue_select(on).add_columns(
        c.code, c.name, c.account_holder, c.iban, c.bic, c.mandate_ref, c.mandate_date,
        pending.label("pending"), paid_before.label("paid_before"))
    query = query.where(c.payment_method == "sepa", c.deleted.is_(False), c.balance > literal(ZERO, Money))
    planned = []
    for row in uow.session.execute(query.order_by(c.code)):
        if row.overdue <= 0:
            continue
        if row.pending:
            run.pending += 1
            continue
        holder = epc_text(row.account_holder or row.name, 70)
        reason = _why_not(row, on) or (None if holder else _unwritable(row))
        if reason:
            run.refused.append({"client": row.code, "amount": format_amount(row.overdue), "reason": reason})
            continue
        run.total += row.overdue
        planned.append(((row.client_id, row.code), Debit(
            end_to_end_id="", name=holder, iban=row.iban, bic=row.bic,
            amount=row.overdue, sequence="RCUR" if row.paid_before else "FRST", mandate_ref=row.mandate_ref,
            mandate_date=row.mandate_date, description=epc_text(f"{row.code} {creditor.name}", 140))))
    return planned


def _why_not(row, on: date) -> str | None:
    if not row.iban:
        return "no IBAN (client edit --iban)"
    if not row.mandate_ref:
        return "no mandate reference (client edit --mandate-ref)"
    if not row.mandate_date:
        return "no mandate date (client edit --mandate-date)"
    if row.mandate_date > on:
        return f"the mandate is dated {row.mandate_date.isoformat()}, after the collection date"
    return None


def _unwritable(row) -> str:
    field = "account holder" if row.account_holder else "name"
    return (f"the {field} {quoted(row.account_holder or row.name)} has no letter or digit a SEPA file can carry "
            "(client edit --account-holder)")


def _item(code: str, debit: Debit) -> DebitRow:
    return {"client": code, "amount": format_amount(debit.amount), "end_to_end_id": debit.end_to_end_id,
            "sequence": debit.sequence, "mandate_ref": debit.mandate_ref, "status": "pending", "reason": None}


def _record_items(uow, rt: Runtime, batch: CollectionBatch, planned: list[tuple[tuple[int, str], Debit]]) -> None:
    uow.session.execute(insert(CollectionItem), [
        {"batch_id": batch.id, "client_id": client_id, "amount": d.amount, "end_to_end_id": d.end_to_end_id,
         "sequence": d.sequence, "mandate_ref": d.mandate_ref, "iban": d.iban, "status": "pending"}
        for (client_id, _), d in planned])
    log_many(uow, rt, [(client_id, "collection.sepa",
                        f"direct debit of {format_amount(d.amount)} requested in batch {batch.id} ({d.sequence}, "
                        f"{d.end_to_end_id}) for {batch.collection_date.isoformat()}")
                       for (client_id, _), d in planned])


def _write_private(path: Path, document: bytes) -> None:
    """The file holds the clients' IBANs: readable by its owner only."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(document)
        handle.flush()
        os.fsync(handle.fileno())
