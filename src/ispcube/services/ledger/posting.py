"""Posting to the running account (L1, L2): the one way a ledger entry is written.

`post` inserts the entry, takes its number from the `sequences` table atomically and moves the
client's cached balance with `UPDATE clients SET balance = balance + :delta`, all in the
caller's transaction. Nothing ever reads a balance, adds to it in Python and writes it back,
so concurrent writers (PostgreSQL included) never lose an update. `post_selected` does the
same for any number of entries at once, in a fixed number of statements (billing, imports).

Lock order, to stay free of deadlocks: a numbering sequence row first, then the client row.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable, TypedDict

from sqlalchemy import DateTime, String, and_, case, cast, func, insert, literal, literal_column, or_, select, update

from ispcube.db import models as m
from ispcube.db.ledger_models import LedgerEntry
from ispcube.db.types import Money
from ispcube.db.uow import UnitOfWork
from ispcube.db.upsert import insert_on_conflict
from ispcube.domain.ledger import EntryKind
from ispcube.domain.money import MAX_AMOUNT, format_amount, parse_amount, within_bounds
from ispcube.domain.roles import Role
from ispcube.domain.text import one_line
from ispcube.errors import Invalid, Refused, UsageError
from ispcube.services.admin import config
from ispcube.services.clients import log as events
from ispcube.services.clients.lifecycle import find_client
from ispcube.services.clients.log import log_selected
from ispcube.services.process.runtime import Actor, Runtime

KIND_NAMES: dict[str, str] = {EntryKind.INVOICE: "invoice", EntryKind.DX: "DX", EntryKind.CX: "CX",
                              EntryKind.RECEIPT: "receipt", EntryKind.REVERSAL: "reversal",
                              EntryKind.OPENING: "opening balance"}
BOOKKEEPERS = (Role.ADMIN, Role.OPERATOR)     # may adjust, annul, bill and rebuild
COLLECTING = (Role.ADMIN, Role.OPERATOR, Role.COLLECTOR)


@dataclass(frozen=True)
class Posted:
    entry_id: int
    kind: str
    series: str
    number: int
    amount: Decimal
    balance: Decimal        # the client's cached balance after this entry

    @property
    def label(self) -> str:
        return entry_label(self.kind, self.series, self.number)


def entry_label(kind: str, series: str, number: int) -> str:
    """How people refer to an entry: 'receipt 12', 'DX 3', 'invoice 1-15' (company 1),
    'opening balance 4'."""
    if kind == EntryKind.INVOICE:
        return f"invoice {series.removeprefix('invoice-')}-{number}"
    return f"{KIND_NAMES[kind]} {number}"


def require_role(actor: Actor, roles: tuple[Role, ...], what: str) -> None:
    if actor.role not in roles:
        raise Refused(f"operator '{actor.name}' is a {actor.role}: only {', '.join(roles)} may {what}")


def currency(uow: UnitOfWork) -> str:
    return config.get_value(uow.session, "currency")


def parse_positive(uow: UnitOfWork, text: str, field: str) -> Decimal:
    return parse_amount(text, field=field, currency=currency(uow), allow_zero=False,
                        local=config.local_formats(uow.session))


def reserve_numbers(uow: UnitOfWork, series: str, count: int = 1) -> int:
    """Take COUNT consecutive numbers of SERIES atomically; returns the last one taken.

    One upsert: the sequence row stays locked until the caller's transaction ends, so numbers
    are never given twice and, as nothing else takes them, never skipped.
    """
    statement = (insert_on_conflict(uow.dialect, m.Sequence).values(name=series, value=count)
                 .on_conflict_do_update(index_elements=[m.Sequence.name],
                                        set_={"value": m.Sequence.value + count})
                 .returning(m.Sequence.value))
    return uow.session.execute(statement).scalar_one()


def fits(balance_expression):
    """SQL condition: BALANCE_EXPRESSION stays within what the money column holds."""
    return balance_expression.between(literal(-MAX_AMOUNT, Money), literal(MAX_AMOUNT, Money))


def move_balance(uow: UnitOfWork, client: m.Client, delta: Decimal) -> Decimal:
    """Add DELTA to the client's cached balance in the database; returns the new balance.

    The bound is checked in the same UPDATE, so a concurrent posting cannot slip past it; a
    balance that would outgrow the money column raises Invalid (the caller rolls back).
    """
    moved = m.Client.balance + literal(delta, Money)
    statement = (update(m.Client).where(m.Client.id == client.id, fits(moved))
                 .values(balance=moved).returning(m.Client.balance)
                 .execution_options(synchronize_session=False))
    balance = uow.session.execute(statement).scalar_one_or_none()
    if balance is None:
        current = uow.session.scalars(select(m.Client.balance).where(m.Client.id == client.id)).one()
        within_bounds(current, delta, f"client {client.code}")
        raise AssertionError("the balance fits, yet the guarded update refused it")
    uow.session.expire(client, ["balance"])     # the loaded value is stale; never write it back
    return balance


def posted_at(rt: Runtime) -> datetime:
    """When an entry is posted, by the runtime's clock (an invoice's wait for its CAE is counted
    from it, I4), not the database server's."""
    return rt.now().replace(tzinfo=None)


def post(uow: UnitOfWork, rt: Runtime, client: m.Client, kind: EntryKind, amount: Decimal, *,
         entry_date: date, comment: str | None = None, log_text: str | None = None,
         **columns: Any) -> Posted:
    """Write one entry of KIND whose effect on the balance is AMOUNT, and log it.

    COLUMNS are the optional entry columns (series, due_date, period, company_id, cash_entity,
    cash_amount, payment_method, reverses_id). The caller commits.
    """
    series = columns.pop("series", None) or kind
    number = reserve_numbers(uow, series)
    entry = LedgerEntry(client_id=client.id, kind=kind, series=series, number=number,
                        entry_date=entry_date, amount=amount, operator=rt.operator,
                        comment=comment, created_at=posted_at(rt), **columns)
    uow.session.add(entry)
    uow.flush()
    balance = move_balance(uow, client, amount)
    posted = Posted(entry.id, kind, series, number, amount, balance)
    text = (f"{posted.label}: {format_amount(amount)} ({log_text or comment or 'no comment'}); "
            f"balance {format_amount(balance)}")
    events.log(uow, rt, client, f"ledger.{kind}", text)
    return posted


class Adjusted(TypedDict):
    """`ledger adjust`: the DX or CX posted and the balance after it."""
    client: str
    entry: int
    kind: str
    number: int
    amount: str
    balance: str


# What is written beside an adjustment in its transaction (a fiscal note, I6): called with the
# unit of work, the client and the DX or CX just posted; it may refuse (the adjustment rolls back).
BesideAdjustment = Callable[[UnitOfWork, m.Client, Posted], None]


def adjust(rt: Runtime, code: str, *, debit: str | None, credit: str | None, reason: str | None,
           beside: BesideAdjustment | None = None) -> Adjusted:
    """A debit (DX) or credit (CX) note (L2); BESIDE writes what goes with it (I6)."""
    if (debit is None) == (credit is None):
        raise UsageError("give exactly one of --debit or --credit")
    reason = one_line((reason or "").strip(), "--reason")
    if not reason:
        raise Invalid("--reason must say why the balance is adjusted")
    with rt.uow() as uow:
        actor = rt.actor(uow)
        require_role(actor, BOOKKEEPERS, "adjust balances")
        client = find_client(uow, code, actor)
        if debit is not None:
            kind, amount = EntryKind.DX, parse_positive(uow, debit, "debit")
        else:
            assert credit is not None, "exactly one of the two, checked above"
            kind, amount = EntryKind.CX, -parse_positive(uow, credit, "credit")
        posted = post(uow, rt, client, kind, amount, entry_date=rt.today(), comment=reason)
        if beside is not None:
            beside(uow, client, posted)
        uow.commit()
        return {"client": client.code, "entry": posted.entry_id, "kind": KIND_NAMES[kind],
                "number": posted.number, "amount": format_amount(amount),
                "balance": format_amount(posted.balance)}


def post_selected(uow: UnitOfWork, rt: Runtime, rows, columns: list[str], message) -> Any:
    """Post one entry per row of ROWS (a subquery), set-based; returns the SQL condition that
    selects the entries just written.

    ROWS has the entry COLUMNS (client_id, kind, series, amount, entry_date at least; not
    number nor operator) and `position`, numbering its rows from 1 within each series. Numbers
    are reserved first, series by series (the sequence rows stay locked until the caller's
    transaction ends, as `post` locks them), so they follow on from the last number given,
    without gaps. Balances move by the sum of each client's new entries in one guarded UPDATE;
    MESSAGE (an SQL expression over LedgerEntry) is the client-log text of each entry, logged
    as `ledger.<kind>`. A balance that would outgrow the money column raises Invalid naming the
    client; the caller rolls back. The caller commits.
    """
    counts = uow.session.execute(select(rows.c.series, func.count()).group_by(rows.c.series)).all()
    if not counts:
        return literal(False)
    bases = {series: reserve_numbers(uow, series, count) - count for series, count in counts}
    base = case(bases, value=rows.c.series, else_=0)
    uow.session.execute(insert(LedgerEntry).from_select(
        [*columns, "number", "operator", "created_at"],
        select(*(rows.c[name] for name in columns), base + rows.c.position, literal(rt.operator),
               literal(posted_at(rt), DateTime))))
    new = or_(*(and_(LedgerEntry.series == series, LedgerEntry.number > first,
                     LedgerEntry.number <= first + count)
                for (series, count), first in zip(counts, bases.values(), strict=True)))
    move_balances(uow, new)
    log_selected(uow.session, rt.now(), rt.operator, None, select(
        LedgerEntry.client_id.label("client_id"), (literal("ledger.") + LedgerEntry.kind).label("kind"),
        message.label("message")).where(new))
    return new


def move_balances(uow: UnitOfWork, new, returning: bool = False) -> dict[int, Decimal]:
    """Add to each client's cached balance the sum of its entries selected by NEW (an SQL
    condition on LedgerEntry), in one guarded UPDATE; Invalid naming the first client whose
    balance would outgrow the money column (nothing is moved then). RETURNING: the new
    balances, {client id: balance} (else an empty dict)."""
    totals = (select(LedgerEntry.client_id, func.sum(LedgerEntry.amount).label("delta"))
              .where(new).group_by(LedgerEntry.client_id).subquery("totals"))
    # The first client beyond the bound by code, as an aggregate: under ORDER BY code LIMIT 1
    # PostgreSQL would walk the code index and re-run the join for each client.
    first = uow.session.scalar(select(func.min(m.Client.code)).join(totals, totals.c.client_id == m.Client.id)
                               .where(~fits(m.Client.balance + totals.c.delta)))
    if first is not None:
        balance, delta = uow.session.execute(
            select(m.Client.balance, totals.c.delta).join(totals, totals.c.client_id == m.Client.id)
            .where(m.Client.code == first)).one()
        within_bounds(balance, delta, f"client {first}")
        raise AssertionError("the balance fits, yet the guard refused it")
    moved = (update(m.Client).where(m.Client.id == totals.c.client_id)
             .values(balance=m.Client.balance + totals.c.delta)
             .execution_options(synchronize_session=False))
    if not returning:
        uow.session.execute(moved)
        return {}
    return dict(uow.session.execute(moved.returning(m.Client.id, m.Client.balance)).all())


def amount_text(column, dialect: str):
    """SQL text of a money COLUMN as format_amount writes it ('1500.00', '-12.50')."""
    if dialect == "postgresql":
        return cast(column, String)
    cents = func.abs(column)
    return func.printf("%s%d.%02d", case((column < 0, "-"), else_=""),
                       cents.op("/")(literal_column("100")), cents.op("%")(literal_column("100")))
