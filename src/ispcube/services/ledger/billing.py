"""Monthly billing (L8): one invoice per billable client and period, set-based.

Billable: not free, not deleted, signed up by the end of the period, with a price: the sum of
the plans of its connections, or the client's own plan while it has no plan-bearing
connection. A signup inside the period prorates the first invoice by the days left in the
month. Invoices fall due on `invoice.due_day` of the period; a first invoice whose signup
comes after that day falls due on that day of the next month (a client is never in debt for
a service it did not have yet).

A run is a fixed number of statements whatever the number of clients: INSERT ... SELECT of
the invoices (numbered with ROW_NUMBER per company series), one UPDATE of the balances, one
INSERT ... SELECT into the client log. The unique (client_id, period) constraint makes a
second run add nothing even if two runs raced; a run holds the `billing run` job lock (a
second one exits 75) and is serialized on the `billing-run` sequence row so invoice numbers
have no gaps.
"""

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
import re
from typing import Any, Callable, TypedDict

from sqlalchemy import (
    Date,
    Integer,
    String,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    literal_column,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from ispcube.db import models as m
from ispcube.db.ledger_models import LedgerEntry
from ispcube.db.types import Money
from ispcube.db.uow import UnitOfWork
from ispcube.domain.dates import FIRST_YEAR, LAST_YEAR
from ispcube.domain.ledger import EntryKind
from ispcube.domain.money import MAX_AMOUNT, format_amount, within_bounds
from ispcube.domain.text import quoted
from ispcube.errors import Busy, Invalid
from ispcube.services.admin import config
from ispcube.services.ledger.posting import BOOKKEEPERS, amount_text, fits, post_selected, require_role, reserve_numbers
from ispcube.services.process.job_lock import job_lock
from ispcube.services.process.runtime import Runtime

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    name: str           # YYYY-MM
    start: date
    end: date
    due: date
    next_due: date

    @property
    def days(self) -> int:
        return self.end.day


def parse_period(text: str, due_day: int) -> Period:
    """A YYYY-MM month from 1900-01 to 9999-11 (the last one whose next month has a due date)."""
    match = _PERIOD.match(str(text).strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise Invalid(f"period {quoted(text)} is not a month (use YYYY-MM, e.g. 2026-05)")
    year, month = int(match.group(1)), int(match.group(2))
    if not (FIRST_YEAR, 1) <= (year, month) <= (LAST_YEAR, 11):
        raise Invalid(f"period {quoted(text)} is out of range ({FIRST_YEAR}-01 to {LAST_YEAR}-11)")
    following = (year + month // 12, month % 12 + 1)
    return Period(f"{year:04d}-{month:02d}", date(year, month, 1),
                  date(year, month, calendar.monthrange(year, month)[1]),
                  date(year, month, due_day), date(*following, due_day))


def _prorate(price, days_used, days: int, dialect: str):
    """PRICE * DAYS_USED / DAYS rounded half up to the cent, in SQL (cents on SQLite)."""
    if dialect == "postgresql":
        return func.round(price * days_used / literal_column(str(days)), 2)
    doubled = price * days_used * literal_column("2") + literal_column(str(days))
    return doubled.self_group().op("/")(literal_column(str(2 * days)))     # integer division of cents


def invoices_select(period: Period, dialect: str):
    """SELECT the invoice rows of PERIOD still to be made, numbered from 1 within each series."""
    connection_prices = (select(m.Connection.client_id, func.sum(m.Plan.price).label("price"))
                         .join(m.Plan, m.Plan.id == m.Connection.plan_id)
                         .group_by(m.Connection.client_id).subquery("connection_prices"))
    own_plan = aliased(m.Plan, name="own_plan")
    price = func.coalesce(connection_prices.c.price, own_plan.price)
    signup = m.Client.signup_date
    joined_in_period = and_(signup > period.start, signup <= period.end)
    days_used = literal_column(str(period.days + 1), Integer) - extract("day", signup)
    amount = type_coerce(case((joined_in_period, _prorate(price, days_used, period.days, dialect)),
                              else_=price), Money)
    company_number = func.coalesce(m.Company.number, 0)
    already = (select(LedgerEntry.id).where(LedgerEntry.client_id == m.Client.id,
                                            LedgerEntry.period == period.name).exists())
    return (select(
        m.Client.id.label("client_id"),
        m.Client.code.label("code"),
        m.Client.balance.label("balance"),
        m.Client.company_id.label("company_id"),
        (literal("invoice-") + cast(company_number, String)).label("series"),
        func.row_number().over(partition_by=company_number, order_by=m.Client.code).label("position"),
        company_number.label("company_number"),
        case((joined_in_period, signup), else_=literal(period.start, Date)).label("entry_date"),
        case((signup > period.due, literal(period.next_due, Date)), else_=literal(period.due, Date)).label("due_date"),
        amount.label("amount"),
        case((joined_in_period, literal(f"service {period.name}, prorated from signup on ")
              + cast(signup, String)), else_=literal(f"service {period.name}")).label("comment"),
        joined_in_period.label("prorated"))
        .select_from(m.Client)
        .outerjoin(connection_prices, connection_prices.c.client_id == m.Client.id)
        .outerjoin(own_plan, own_plan.id == m.Client.plan_id)
        .outerjoin(m.Company, m.Company.id == m.Client.company_id)
        .where(m.Client.free.is_(False), m.Client.deleted.is_(False), price > 0,
               or_(signup.is_(None), signup <= period.end), ~already))


class BillingRun(TypedDict):
    """`billing run`: the invoices posted (or, in a dry run, to post) for a period."""
    period: str
    dry_run: bool
    invoices: int
    prorated: int
    total: str
    due: str


# What is written beside the new invoices in the same transaction (their fiscal documents, I8):
# called with the unit of work, the period and the condition that picks the new ledger entries.
Beside = Callable[[UnitOfWork, Period, Any], None]


def run_billing(rt: Runtime, period_text: str, dry_run: bool = False, beside: Beside | None = None) -> BillingRun:
    with rt.uow() as uow:
        require_role(rt.actor(uow), BOOKKEEPERS, "run billing")
        period = parse_period(period_text, config.get_value(uow.session, "invoice.due_day"))
        if dry_run:
            _refuse_overflow(uow, period)
            return _summary(uow, period, invoices_select(period, uow.dialect).subquery(), True)
    with job_lock(rt.engine, "billing run"), rt.uow() as uow:
        reserve_numbers(uow, "billing-run")     # holds the numbering row until commit
        _refuse_overflow(uow, period)
        try:
            made = bill(uow, rt, period, beside)
            uow.commit()
        except IntegrityError:
            raise Busy(f"another billing run for {period.name} got there first; run it again") from None
        return made


def _refuse_overflow(uow: UnitOfWork, period: Period) -> None:
    """Refuse the run when an invoice, or the balance it leaves, would not fit the money column
    (a plan price near the bound, many connections): it names the first such client."""
    rows = invoices_select(period, uow.dialect).subquery("invoices")
    # From the invoice rows alone: joined back to clients under ORDER BY ... LIMIT 1, PostgreSQL
    # walked the code index nesting the whole invoice query (minutes at 100,000 clients).
    too_big = uow.session.execute(
        select(rows.c.code, rows.c.balance, rows.c.amount)
        .where(~and_(fits(rows.c.amount), fits(rows.c.balance + rows.c.amount)))
        .order_by(rows.c.code).limit(1)).first()
    if too_big is not None:
        code, balance, amount = too_big
        if abs(amount) > MAX_AMOUNT:
            raise Invalid(f"billing {period.name}: the invoice of client {code}, {format_amount(amount)}, is beyond "
                          f"{format_amount(MAX_AMOUNT)}, the largest amount kept; nothing was billed")
        within_bounds(balance, amount, f"billing {period.name}: client {code}")


def bill(uow: UnitOfWork, rt: Runtime, period: Period, beside: Beside | None = None) -> BillingRun:
    """Invoice PERIOD in UOW (the caller holds the run lock and commits); BESIDE writes what
    goes with the new invoices."""
    rows = invoices_select(period, uow.dialect).subquery("invoices")
    columns = ["client_id", "kind", "series", "company_id", "entry_date", "due_date", "period", "amount", "comment"]
    invoices = select(rows.c.client_id, literal(EntryKind.INVOICE, String).label("kind"), rows.c.series,
                      rows.c.position, rows.c.company_id, rows.c.entry_date, rows.c.due_date,
                      literal(period.name).label("period"), rows.c.amount, rows.c.comment).subquery("to_post")
    entry = LedgerEntry
    message = (literal("invoice ") + func.substr(entry.series, 9) + literal("-") + cast(entry.number, String)
               + literal(" for ") + entry.period + literal(": ") + amount_text(entry.amount, uow.dialect)
               + literal(" (") + entry.comment + literal(")"))
    new = post_selected(uow, rt, invoices, columns, message)
    if beside is not None:
        beside(uow, period, new)
    summary = select(LedgerEntry.amount.label("amount"),
                     (LedgerEntry.entry_date > period.start).label("prorated")).where(new).subquery()
    return _summary(uow, period, summary, False)


def _summary(uow: UnitOfWork, period: Period, rows, dry_run: bool) -> BillingRun:
    count, prorated, total = uow.session.execute(select(
        func.count(), func.sum(case((rows.c.prorated, 1), else_=0)), func.sum(rows.c.amount))).one()
    return {"period": period.name, "dry_run": dry_run, "invoices": count, "prorated": prorated or 0,
            "total": format_amount(total or Decimal("0")), "due": period.due.isoformat()}
