"""Cheques received with payments (L4): how they are typed, listed and moved along.

A cheque goes pending -> deposited -> cleared, and may be rejected while pending or
deposited; cleared and rejected are final. A rejected cheque adds a DX for its amount, since
the receipt that counted it has already lowered the balance. Once its receipt is annulled a
cheque can no longer change status: the reversal gave back the receipt but for the cheques
already charged back (services/ledger/statement.py), so a later rejection would charge twice.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
import re
from typing import NotRequired, TypedDict

from sqlalchemy import func, select

from ispcube.db import models as m
from ispcube.db.ledger_models import Cheque, LedgerEntry
from ispcube.db.uow import UnitOfWork
from ispcube.domain.dates import parse_date
from ispcube.domain.ledger import EntryKind
from ispcube.domain.local_formats import LocalFormats
from ispcube.domain.money import format_amount, parse_amount
from ispcube.domain.numbers import parse_id
from ispcube.domain.text import one_line, quoted
from ispcube.errors import Invalid, NotFound, Refused
from ispcube.services.clients import log as events
from ispcube.services.ledger.posting import BOOKKEEPERS, post, require_role
from ispcube.services.process.runtime import Runtime

STATUSES = ("pending", "deposited", "cleared", "rejected")
NEXT_STATUSES = {"pending": ("deposited", "rejected"), "deposited": ("cleared", "rejected"),
                 "cleared": (), "rejected": ()}


class ChequeRow(TypedDict):
    """`cheque list`: a cheque received and the receipt it came with."""
    id: int
    client: str
    bank: str
    number: str
    amount: str
    deposit_date: str
    status: str
    receipt: int


class ChequeMoved(TypedDict):
    """`cheque status`: the cheque's new status; a rejection posts a DX charging it back."""
    id: int
    client: str
    status: str
    dx: int | None
    balance: NotRequired[str]        # after the DX of a rejection
SPEC_KEYS = ("bank", "number", "amount", "deposit")
SPEC_FORMAT = "bank=..,number=..,amount=..,deposit=YYYY-MM-DD"


@dataclass(frozen=True)
class ChequeIn:
    bank: str
    number: str
    amount: Decimal
    deposit_date: date

    @property
    def label(self) -> str:
        return f"{self.bank} {self.number}"


def parse_cheque(text: str, currency_code: str, local: LocalFormats) -> ChequeIn:
    """Parse a --cheque value: bank=..,number=..,amount=..,deposit=YYYY-MM-DD."""
    one_line(text, "--cheque")
    parts: dict[str, str] = {}
    # amount=1.234,56 holds a decimal comma: a comma separates parts only before the next key=
    for piece in re.split(r",(?=\s*[A-Za-z]+\s*=)", text):
        key, sep, value = piece.partition("=")
        key = key.strip().lower()
        if not sep or key not in SPEC_KEYS:
            raise Invalid(f"cheque {quoted(text)}: {quoted(piece.strip())} is not one of "
                          f"{', '.join(k + '=' for k in SPEC_KEYS)}")
        if key in parts:
            raise Invalid(f"cheque {quoted(text)}: {key} is given twice")
        parts[key] = value.strip()
    missing = [key for key in SPEC_KEYS if not parts.get(key)]
    if missing:
        raise Invalid(f"cheque {quoted(text)}: {', '.join(missing)} missing (use {SPEC_FORMAT})")
    amount = parse_amount(parts["amount"], field=f"amount of cheque {quoted(text)}", currency=currency_code,
                          allow_zero=False, local=local)
    deposit = parse_date(parts["deposit"], field=f"deposit date of cheque {quoted(text)}", local=local)
    return ChequeIn(parts["bank"], parts["number"], amount, deposit)


def refuse_known_cheques(uow: UnitOfWork, cheques: list[ChequeIn]) -> None:
    """The same cheque twice is a typing slip; a rejected one may be presented again."""
    seen: set[tuple[str, str]] = set()
    for cheque in cheques:
        key = (cheque.bank.casefold(), cheque.number)
        if key in seen:
            raise Invalid(f"cheque {cheque.label} is given twice")
        seen.add(key)
    if not cheques:
        return
    known = uow.session.execute(
        select(Cheque.id, Cheque.bank, Cheque.number, m.Client.code)
        .join(m.Client, m.Client.id == Cheque.client_id)
        .where(Cheque.number.in_([c.number for c in cheques]), Cheque.status != "rejected")).all()
    for cheque_id, bank, number, code in known:
        if (bank.casefold(), number) in seen:
            raise Refused(f"cheque {bank} {number} is already recorded (cheque {cheque_id}, client {code})")


def list_cheques(rt: Runtime, status: str | None = None) -> list[ChequeRow]:
    if status is not None and status not in STATUSES:
        raise Invalid(f"status {quoted(status)} is not one of {', '.join(STATUSES)}")
    with rt.uow() as uow:
        actor = rt.actor(uow)
        query = (select(Cheque, m.Client.code, LedgerEntry.number)
                 .join(m.Client, m.Client.id == Cheque.client_id)
                 .join(LedgerEntry, LedgerEntry.id == Cheque.entry_id)
                 .order_by(Cheque.deposit_date, Cheque.id))
        if status is not None:
            query = query.where(Cheque.status == status)
        if actor.collector_id is not None:
            query = query.where(m.Client.collector_id == actor.collector_id)
        return [{"id": c.id, "client": code, "bank": c.bank, "number": c.number,
                 "amount": format_amount(c.amount), "deposit_date": c.deposit_date.isoformat(),
                 "status": c.status, "receipt": receipt}
                for c, code, receipt in uow.session.execute(query)]


def set_status(rt: Runtime, cheque_id: str, status: str) -> ChequeMoved:
    if status not in STATUSES:
        raise Invalid(f"status {quoted(status)} is not one of {', '.join(STATUSES)}")
    from ispcube.services.ledger import money_in
    with money_in.posting(rt), rt.uow() as uow:     # a rejection moves the balance enforce decides on
        require_role(rt.actor(uow), BOOKKEEPERS, "change cheque statuses")
        cheque = _locked_cheque(uow, cheque_id)
        _check_move(uow, cheque, status)
        client = uow.session.get_one(m.Client, cheque.client_id)
        previous, cheque.status, cheque.status_at = cheque.status, status, rt.now()
        text = (f"cheque {cheque.id} ({cheque.bank} {cheque.number}, {format_amount(cheque.amount)}) "
                f"{previous} -> {status}")
        events.log(uow, rt, client, "cheque.status", text)
        result: ChequeMoved = {"id": cheque.id, "client": client.code, "status": status, "dx": None}
        if status == "rejected":
            posted = post(uow, rt, client, EntryKind.DX, cheque.amount, entry_date=rt.today(),
                          comment=f"cheque {cheque.bank} {cheque.number} rejected")
            cheque.rejection_entry_id = posted.entry_id
            result["dx"], result["balance"] = posted.number, format_amount(posted.balance)
        uow.commit()
        return result


def _locked_cheque(uow: UnitOfWork, cheque_id: str) -> Cheque:
    """The cheque, row-locked on PostgreSQL so two rejections cannot both add a DX."""
    wanted = parse_id(cheque_id, "cheque id", " (see `ispcube cheque list`)")
    cheque = uow.session.scalar(select(Cheque).where(Cheque.id == wanted).with_for_update())
    if cheque is None:
        raise NotFound(f"cheque {wanted} does not exist (see `ispcube cheque list`)")
    return cheque


def _check_move(uow: UnitOfWork, cheque: Cheque, status: str) -> None:
    if cheque.status == status:
        raise Refused(f"cheque {cheque.id} is already {status}")
    allowed = NEXT_STATUSES[cheque.status]
    if status not in allowed:
        after = f"it can only become {' or '.join(allowed)}" if allowed else "that status is final"
        raise Refused(f"cheque {cheque.id} cannot go from {cheque.status} to {status}: {after}")
    annulled = uow.session.scalar(select(func.count()).select_from(LedgerEntry)
                                  .where(LedgerEntry.reverses_id == cheque.entry_id))
    if annulled:
        raise Refused(f"cheque {cheque.id} belongs to a receipt that was annulled; its status no longer matters")
