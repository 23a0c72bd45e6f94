"""`payments fetch mercadopago` (G2-G4): the account's payments, fetched from cron and posted once.

1. Under the job lock (a second run gets exit 75): every payment last updated since the
   cursor, less an overlap (`mercadopago.overlap_minutes`; the API lists some payments late),
   up to now, all pages; and, one by one, the payments earlier fetches could not match.
2. Each is read as a statement line (payments.py) and goes through the money path of
   `payments import` (`statements.run.match_and_write`, under the money-in lock): the
   once-only keys set aside what an earlier fetch posted, the rest is matched and posted in one
   transaction; a refund or chargeback reverses the credit it names with a DX, once.
3. Then the cursor moves to where this search ended and the unmatched payments are kept for
   the next fetch (posted once the client's data is fixed); a fetch that fails leaves both
   as they were, so the next one searches the same window again.
4. Clients paid who are cut or throttled get service back (`enforcement/paid.restore_paid`),
   as with `payments import` (unless --no-enable or `payments.enable_on_import` is no).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypedDict

from sqlalchemy import delete, select

from ispcube.adapters.mercadopago import MercadoPagoApi
from ispcube.db import models as m
from ispcube.db.bulk_insert import bulk_insert
from ispcube.db.chunks import chunks
from ispcube.db.gateway_models import GatewayCursor, GatewayUnmatched, MercadoPagoLink
from ispcube.db.uow import UnitOfWork
from ispcube.services.admin import config
from ispcube.services.enforcement.outcomes import OnRouters
from ispcube.services.enforcement.paid import restore_paid
from ispcube.services.ledger import money_in
from ispcube.services.ledger.posting import currency as accounts_currency
from ispcube.services.payments.mercadopago.payments import SOURCE, Skipped, credit_key, link_of, read_payment
from ispcube.services.payments.statements.book import known_keys
from ispcube.services.payments.statements.lines import Line
from ispcube.services.payments.statements.rows import ExplainedRow, PostedRow, ReversedRow, UnmatchedRow
from ispcube.services.payments.statements.run import PaymentsRun, match_and_write
from ispcube.services.process.job_lock import job_lock
from ispcube.services.process.runtime import Runtime

JOB = "payments fetch mercadopago"
FIRST_DAYS = 30                 # how far back the first fetch of an account looks


FetchRecord = TypedDict("FetchRecord", {
    "source": str, "since": str, "until": str, "seen": int, "import": int | None, "currency": str, "posted": int,
    "total": str, "reversed": list[ReversedRow], "already_imported": int, "unmatched": list[UnmatchedRow],
    "enabled": list[OnRouters], "receipts": list[PostedRow], "skipped": list[ExplainedRow]})


@dataclass
class FetchRun:
    """A fetch: the window searched, and the statement run its payments went through."""
    since: datetime
    until: datetime
    seen: int = 0
    run: PaymentsRun = field(default_factory=lambda: PaymentsRun("Mercado Pago", SOURCE, False))
    skipped: list[ExplainedRow] = field(default_factory=list)     # not paid yet, or nothing to reverse

    def as_dict(self) -> FetchRecord:
        run = self.run.as_dict()
        return {"source": SOURCE, "since": self.since.isoformat(timespec="seconds"),
                "until": self.until.isoformat(timespec="seconds"), "seen": self.seen, "import": run["import"],
                "currency": run["currency"], "posted": run["posted"], "total": run["total"],
                "reversed": run["reversed"], "already_imported": run["already_imported"],
                "unmatched": run["unmatched"], "enabled": run["enabled"], "receipts": run["receipts"],
                "skipped": self.skipped}


def fetch_mercadopago(rt: Runtime, api: MercadoPagoApi, *, enable: bool | None = None) -> FetchRun:
    rt.check_office("fetch payments")
    with job_lock(rt.engine, JOB):
        with rt.uow() as uow:
            money = accounts_currency(uow)
            overlap = timedelta(minutes=config.get_value(uow.session, "mercadopago.overlap_minutes"))
            if enable is None:
                enable = bool(config.get_value(uow.session, "payments.enable_on_import"))
            cursor = uow.session.get(GatewayCursor, SOURCE)
            waiting = list(uow.session.scalars(select(GatewayUnmatched.payment_id)
                                               .where(GatewayUnmatched.source == SOURCE)))
            until = rt.now().astimezone()
            since = datetime.fromisoformat(cursor.updated_to) - overlap if cursor else until - timedelta(FIRST_DAYS)
        fetch = FetchRun(since, until)
        payments = {str(p.get("id")): p for p in api.updated_between(since, until)}
        for payment_id in waiting:
            if payment_id not in payments:
                again = api.payment(payment_id)
                if again is not None:
                    payments[payment_id] = again
        fetch.seen = len(payments)
        lines = _lines(rt, fetch, list(payments.values()), money)
        fetch.run.currency, fetch.run.lines = money, len(lines)
        if lines:
            with money_in.posting(rt):
                match_and_write(rt, fetch.run, lines)
        with rt.uow() as uow:
            _remember(uow, rt, fetch, set(payments))
            uow.commit()
    if enable and fetch.run.paid:
        fetch.run.enabled = restore_paid(rt, fetch.run.paid)
    return fetch


def _lines(rt: Runtime, fetch: FetchRun, payments: list[dict], money: str) -> list[Line]:
    """The payments as statement lines; a reversal of a payment never posted is skipped."""
    links = sorted({link for p in payments if (link := link_of(p.get("external_reference"))) is not None})
    with rt.uow() as uow:
        codes = dict(uow.session.execute(select(MercadoPagoLink.id, m.Client.code)
                                         .join(m.Client, m.Client.id == MercadoPagoLink.client_id)
                                         .where(MercadoPagoLink.id.in_(links))).tuples().all()) if links else {}
        read = [read_payment(p, money, codes) for p in payments]
        reversing = [r.reference for r in read if isinstance(r, Line) and r.reversal and r.reference]
        posted = known_keys(uow, (credit_key(ref) for ref in reversing)) if reversing else set()
    lines = []
    for item in read:
        if isinstance(item, Skipped):
            fetch.skipped.append(_skipped(item.payment_id, item.reason))
        elif item.reversal and credit_key(item.reference or "") not in posted:
            fetch.skipped.append(_skipped(item.reference or "?", "taken back before it was posted: nothing to "
                                                                 "reverse"))
        else:
            lines.append(item)
    return lines


def _skipped(payment_id: str, reason: str) -> ExplainedRow:
    return {"where": f"payment {payment_id}", "date": "", "amount": "", "direction": "credit", "reference": payment_id,
            "end_to_end_id": None, "text": "", "client": None, "reason": reason}


def _remember(uow: UnitOfWork, rt: Runtime, fetch: FetchRun, looked_at: set[str]) -> None:
    """Move the cursor to where this search ended; keep the payments still unmatched, drop the rest."""
    cursor = uow.session.get(GatewayCursor, SOURCE)
    if cursor is None:
        uow.session.add(GatewayCursor(source=SOURCE, updated_to=fetch.until.isoformat(), fetched_at=rt.now()))
    else:
        cursor.updated_to, cursor.fetched_at = fetch.until.isoformat(), rt.now()
    unmatched = {row["reference"]: row["reason"] for row in fetch.run.unmatched if row["reference"]}
    table = GatewayUnmatched.__table__
    for part in chunks(sorted(looked_at), 5000):
        uow.session.execute(delete(table).where(table.c.source == SOURCE, table.c.payment_id.in_(part)))
    if unmatched:
        now = rt.now()
        bulk_insert(uow.session.connection(), table, ("source", "payment_id", "seen_at", "reason"),
                    [(SOURCE, ref, now, (reason or "")[:300]) for ref, reason in sorted(unmatched.items())])
