"""`mercadopago link CODE [--amount A]` (G1): a Checkout Pro link for what a client owes, made once per debt.

A debt is the client, the amount and the client's newest ledger entry (db/gateway_models.py):
while nothing is posted to the client the same link is given again, until it expires
(`LINK_DAYS`; a link expiring within a day is renewed). The row is written before Mercado Pago
is asked, so its id goes into the external reference (`ispcube-link:<id>:<code>`, which
`payments fetch` matches by) and into the idempotency key: a run that lost Mercado Pago's
answer, or two runs at once, get the same preference back. Notices get the link as
`payment_link` when `payments.link_provider` is mercadopago (`links_for`).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TypedDict

from sqlalchemy import func, select

from ispcube.adapters.mercadopago import MercadoPagoApi
from ispcube.db import models as m
from ispcube.db.failures import is_unique_violation
from ispcube.db.gateway_models import MercadoPagoLink
from ispcube.db.ledger_models import LedgerEntry
from ispcube.db.uow import UnitOfWork
from ispcube.domain.money import format_amount, parse_amount
from ispcube.errors import Invalid, Refused
from ispcube.services.admin import config
from ispcube.services.clients.lifecycle import find_client
from ispcube.services.ledger.posting import currency as accounts_currency
from ispcube.services.payments.mercadopago import connect
from ispcube.services.payments.mercadopago.payments import link_reference
from ispcube.services.process.runtime import Runtime

LINK_DAYS = 30
RENEW_BEFORE = timedelta(days=1)


class PaymentLinkRecord(TypedDict):
    client: str
    amount: str
    currency: str
    link: str
    preference: str
    expires: str
    reused: bool


@dataclass(frozen=True)
class PaymentLink:
    client: str
    amount: Decimal
    currency: str
    link: str
    preference: str
    expires: datetime
    reused: bool                  # given before for the same debt

    def as_dict(self) -> PaymentLinkRecord:
        return {"client": self.client, "amount": format_amount(self.amount), "currency": self.currency,
                "link": self.link, "preference": self.preference,
                "expires": self.expires.isoformat(sep=" ", timespec="minutes"), "reused": self.reused}


@dataclass(frozen=True)
class _Debt:
    client_id: int
    code: str
    name: str
    amount: Decimal
    currency: str
    after_entry: int


def link(rt: Runtime, api: MercadoPagoApi, code: str, amount: str | None = None) -> PaymentLink:
    """The client's payment link for what it owes (or AMOUNT): the one made for this debt, or a new one."""
    with rt.uow() as uow:
        client = find_client(uow, code, rt.actor(uow))
        money = accounts_currency(uow)
        owed = parse_amount(amount, field="--amount", currency=money, allow_zero=False,
                            local=rt.local_formats()) if amount is not None else client.balance
        if owed <= 0:
            raise Invalid(f"client {client.code} owes nothing (balance {format_amount(client.balance)}); give "
                          "--amount for a link of another amount")
        debt = _Debt(client.id, client.code, client.name, owed, money, _newest_entry(uow, client.id))
    return _made(rt, api, debt)


def links_for(rt: Runtime, *, create: bool) -> Callable[[list[int]], dict[int, str]] | None:
    """What notices use for `payment_link`: None unless `payments.link_provider` is mercadopago;
    else a function giving the clients of a list who owe something their link (made now unless
    CREATE is false, when only links made before are given). A client whose link cannot be made
    (Mercado Pago down) gets none: the notice goes without it."""
    with rt.uow() as uow:
        if config.get_value(uow.session, "payments.link_provider") != "mercadopago":
            return None
    api = connect(rt) if create else None

    def make(client_ids: list[int]) -> dict[int, str]:
        with rt.uow() as uow:
            money = accounts_currency(uow)
            owing = uow.session.execute(select(m.Client.id, m.Client.code, m.Client.name, m.Client.balance)
                                        .where(m.Client.id.in_(sorted(set(client_ids))), m.Client.balance > 0)).all()
            debts = [_Debt(row.id, row.code, row.name, row.balance, money, _newest_entry(uow, row.id)) for row in owing]
        made = {}
        for debt in debts:
            try:
                found = _made(rt, api, debt) if api is not None else _stored(rt, debt)
            except Refused:
                found = None
            if found is not None:
                made[debt.client_id] = found.link
        return made
    return make


def _made(rt: Runtime, api: MercadoPagoApi, debt: _Debt) -> PaymentLink:
    now = rt.now()
    row_id, stored = _row(rt, debt, now)
    if stored is not None:
        return stored
    expires = now + timedelta(days=LINK_DAYS)
    preference = api.create_preference(
        key=f"ispcube-link-{row_id}-{expires:%Y%m%d}", title=f"Servicio de internet, cliente {debt.code}",
        amount=debt.amount, currency=debt.currency, external_reference=link_reference(row_id, debt.code),
        expires_at=expires.astimezone())
    with rt.uow() as uow:
        row = uow.session.get(MercadoPagoLink, row_id)
        assert row is not None, "link rows are never deleted"
        row.preference_id, row.link, row.expires_at = preference.id, preference.link, expires
        uow.commit()
    return PaymentLink(debt.code, debt.amount, debt.currency, preference.link, preference.id, expires, False)


def _stored(rt: Runtime, debt: _Debt) -> PaymentLink | None:
    with rt.uow() as uow:
        row = _find(uow, debt)
        return _valid(row, debt, rt.now()) if row is not None else None


def _row(rt: Runtime, debt: _Debt, now: datetime) -> tuple[int, PaymentLink | None]:
    """The debt's row (written now if it has none) and its link when still valid."""
    for _ in range(2):
        with rt.uow() as uow:
            row = _find(uow, debt)
            if row is not None:
                return row.id, _valid(row, debt, now)
            row = MercadoPagoLink(client_id=debt.client_id, after_entry=debt.after_entry, amount=debt.amount,
                                  currency=debt.currency, created_at=now, expires_at=now + timedelta(LINK_DAYS),
                                  operator=rt.operator)
            uow.session.add(row)
            try:
                uow.commit()
            except Exception as exc:
                if not is_unique_violation(exc):
                    raise
                continue                 # another run wrote it first: read theirs
            return row.id, None
    raise Refused(f"the payment link of client {debt.code} is being made by another run; try again")


def _find(uow: UnitOfWork, debt: _Debt) -> MercadoPagoLink | None:
    k = MercadoPagoLink
    return uow.session.scalar(select(k).where(k.client_id == debt.client_id, k.after_entry == debt.after_entry,
                                              k.amount == debt.amount))


def _valid(row: MercadoPagoLink, debt: _Debt, now: datetime) -> PaymentLink | None:
    if row.link and row.preference_id and row.expires_at - RENEW_BEFORE > now:
        return PaymentLink(debt.code, debt.amount, debt.currency, row.link, row.preference_id, row.expires_at, True)
    return None


def _newest_entry(uow: UnitOfWork, client_id: int) -> int:
    return uow.session.scalar(select(func.max(LedgerEntry.id)).where(LedgerEntry.client_id == client_id)) or 0
