"""The notice outbox (E4, R16): what a client must be told, written with the change itself.

Every service-state change calls `notices_for_moves` (other changes that warrant an e-mail
call `write_notices`) inside the transaction that makes the change, so the notice exists
exactly when the change does: a rolled-back run (a dry run, a crash) leaves neither. `notify`
sends them later. Notices are written for every client, e-mail or not: `notify` counts those it
cannot address.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Iterable

from ispcube.db.chunks import one_list
from ispcube.db.notice_models import Notice
from ispcube.db.overdue import overdue_debts
from ispcube.db.uow import UnitOfWork
from ispcube.db.upsert import insert_on_conflict
from ispcube.domain.terms import NextStep


class NoticeKind(StrEnum):
    """What the notice tells; each has its template `notice-<kind>`."""
    THROTTLED = "throttled"
    CUT = "cut"
    RESTORED = "restored"
    PREAVISO = "preaviso"
    REMINDER = "reminder"
    INVOICE = "invoice"            # the invoice's PDF attached (I7)


class NoticeStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    EXPIRED = "expired"
    NO_EMAIL = "no_email"
    REJECTED = "rejected"


# What a client is told when its service moves to a state (active, throttled, cut).
TOLD_ON_MOVE_TO = {"active": NoticeKind.RESTORED, "throttled": NoticeKind.THROTTLED, "cut": NoticeKind.CUT}


@dataclass(frozen=True)
class NoticeIn:
    client_id: int
    kind: NoticeKind
    amount: Decimal | None = None
    next_step: NextStep | None = None
    next_on: date | None = None
    once_key: str | None = None      # a notice with a key is written at most once
    entry_id: int | None = None      # an invoice notice: the invoice's ledger entry


def write_notices(uow: UnitOfWork, rt, notices: Iterable[NoticeIn]) -> None:
    """Queue NOTICES in the caller's transaction, in one statement; a key already used is skipped."""
    now = rt.now()
    rows = [{"client_id": n.client_id, "kind": str(n.kind), "status": str(NoticeStatus.PENDING),
             "amount": n.amount, "next_step": str(n.next_step) if n.next_step else None,
             "next_on": n.next_on, "once_key": n.once_key, "created_at": now, "attempts": 0,
             "entry_id": n.entry_id}
            for n in notices]
    if not rows:
        return
    once = insert_on_conflict(uow.dialect, Notice).on_conflict_do_nothing(index_elements=["once_key"])
    uow.session.execute(once, rows)


def stage_notices(uow: UnitOfWork, rt, today: date, changes: Iterable[tuple[int, NoticeKind]],
                  next_steps: dict[int, tuple[NextStep, date]] | None = None,
                  debts: dict[int, Decimal] | None = None) -> None:
    """A notice per (client id, kind) of CHANGES, naming the overdue debt on TODAY.

    NEXT_STEPS gives, per client, the step that follows and its date when there is one; DEBTS,
    the overdue debts when the caller has read them already. At most two statements whatever
    the number of clients."""
    changes = list(changes)
    if not changes:
        return
    if debts is None:
        ids = {client_id for client_id, _ in changes}
        debts = overdue_debts(uow, today, one_list(ids))
    steps = next_steps or {}
    write_notices(uow, rt, [NoticeIn(cid, kind, debts.get(cid), *steps.get(cid, (None, None)))
                            for cid, kind in changes])


def notices_for_moves(uow: UnitOfWork, rt, today: date, moves: dict[int, tuple[str, str]], origin: str, *,
                      next_steps: dict[int, tuple[NextStep, date]] | None = None,
                      debts: dict[int, Decimal] | None = None) -> None:
    """The notices of the clients whose service moved, {client id: (before, after)}, decided
    by ORIGIN ('job', 'commitment' or 'manual'): the one call a service-state change makes.

    A move to active tells the restore, to throttled the throttle, to cut the cut, except a
    cut an operator made by hand: it need not be about money, and the operator tells the client."""
    stage_notices(uow, rt, today, [(cid, TOLD_ON_MOVE_TO[after]) for cid, (before, after) in moves.items()
                                   if before != after and after in TOLD_ON_MOVE_TO
                                   and not (after == "cut" and origin == "manual")],
                  next_steps, debts)
