"""The client record: which columns make up a shown client, and the dict built from them.

`ispcube client show` must start in well under a second (P6) and importing the ORM alone
costs a third of that, so this module is SQLAlchemy Core only. The tables it reads are
described here as lightweight `table()` clauses naming just the columns a record needs (a unit
test checks them against the mapped models). `client_views.view_select` builds the same
record over the mapped tables, so the listings' ORM filters still apply to it.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, Date, Float, FromClause, Integer, Select, String, column, select, table

from ispcube.db.types import Money
from ispcube.domain.bank import format_iban
from ispcube.domain.tax import ReceptorVat
from ispcube.services.process.runtime import OPERATORS


def light_table(name: str, *columns: tuple[str, Any]):
    return table(name, *(column(col, type_) for col, type_ in columns))


CLIENTS = light_table(
    "clients", ("id", Integer()), ("code", String()), ("name", String()), ("nickname", String()),
    ("fiscal_address", String()), ("address", String()), ("client_type", String()),
    ("id_type", String()), ("id_number", String()), ("company_id", Integer()),
    ("street1", String()), ("street2", String()), ("postal_code_id", Integer()),
    ("lat", Float()), ("lng", Float()), ("signup_date", Date()), ("extra1", String()),
    ("extra2", String()), ("phones", String()), ("emails", String()), ("contact", String()),
    ("epayment_code", String()), ("status_id", Integer()), ("payment_method", String()),
    ("collector_id", Integer()), ("seller_id", Integer()), ("plan_id", Integer()),
    ("node_id", Integer()), ("contract", Boolean()), ("contract_type", Integer()),
    ("contract_expiry", Date()), ("free", Boolean()), ("blockable", Boolean()),
    ("preaviso", Boolean()), ("preaviso_from", Integer()), ("preaviso_to", Integer()),
    ("activity", String()), ("vat_condition", Integer()), ("webpass_hash", String()), ("tickets_blocked", Boolean()),
    ("tickets_message", String()), ("balance", Money()), ("service", String()),
    ("deleted", Boolean()), ("previous_code", String()), ("iban", String()), ("bic", String()),
    ("account_holder", String()), ("mandate_ref", String()), ("mandate_date", Date()), ("cbu", String()))
POSTAL_CODES = light_table("postal_codes", ("id", Integer()), ("code", String()), ("locality", String()))
STATUSES = light_table("statuses", ("id", Integer()), ("name", String()))
COMPANIES = light_table("companies", ("id", Integer()), ("number", Integer()))
PLANS = light_table("plans", ("id", Integer()), ("name", String()))
NODES = light_table("nodes", ("id", Integer()), ("name", String()))

# Client columns shown as they are stored, in the order of the record.
PLAIN = ("code", "name", "nickname", "fiscal_address", "address", "client_type", "id_type",
         "id_number", "street1", "street2", "lat", "lng", "signup_date", "extra1", "extra2",
         "phones", "emails", "contact", "epayment_code", "payment_method", "contract",
         "contract_type", "contract_expiry", "free", "blockable", "preaviso", "preaviso_from",
         "preaviso_to", "activity", "vat_condition", "iban", "bic", "account_holder", "mandate_ref",
         "mandate_date", "cbu",
         "tickets_blocked", "tickets_message", "balance", "service",
         "deleted", "previous_code")


@dataclass(frozen=True)
class RecordTables:
    """The FROM objects a record is read from: lightweight tables, or the mapped ones."""
    clients: FromClause
    postal_codes: FromClause
    statuses: FromClause
    companies: FromClause
    collector: FromClause
    seller: FromClause
    plans: FromClause
    nodes: FromClause


LIGHT = RecordTables(CLIENTS, POSTAL_CODES, STATUSES, COMPANIES, OPERATORS.alias("collector"),
                     OPERATORS.alias("seller"), PLANS, NODES)


def record_select(t: RecordTables = LIGHT) -> Select:
    """One query for the client and every name it refers to (no per-client lookups)."""
    c = t.clients.c
    return (select(c.id, *(c[name] for name in PLAIN),
                   t.postal_codes.c.code.label("postal_code"), t.postal_codes.c.locality,
                   t.statuses.c.name.label("status"), t.companies.c.number.label("company"),
                   t.collector.c.name.label("collector"), t.seller.c.name.label("seller"),
                   t.plans.c.name.label("plan"), t.nodes.c.name.label("node"),
                   c.webpass_hash.is_not(None).label("has_webpass"))
            .select_from(t.clients)
            .outerjoin(t.postal_codes, t.postal_codes.c.id == c.postal_code_id)
            .outerjoin(t.statuses, t.statuses.c.id == c.status_id)
            .outerjoin(t.companies, t.companies.c.id == c.company_id)
            .outerjoin(t.collector, t.collector.c.id == c.collector_id)
            .outerjoin(t.seller, t.seller.c.id == c.seller_id)
            .outerjoin(t.plans, t.plans.c.id == c.plan_id)
            .outerjoin(t.nodes, t.nodes.c.id == c.node_id))


# The columns of `record_select`, in order: `client_dict` unpacks a row by position.
RECORD = ("id", *PLAIN, "postal_code", "locality", "status", "company", "collector", "seller", "plan", "node",
          "has_webpass")


def _split(text: str | None) -> list[str]:
    if not text:
        return []
    parts = text.split(";")
    return parts if "" not in parts else [part for part in parts if part]


# The fields of the shown client, in order (`client show`, listings, exports).
SHOWN = ("code", "name", "nickname", "fiscal_address", "address", "client_type", "id_type", "id_number",
         "company", "street1", "street2", "postal_code", "locality", "lat", "lng", "signup_date", "extra1",
         "extra2", "phones", "emails", "contact", "epayment_code", "status", "payment_method", "collector",
         "seller", "plan", "node", "contract", "contract_type", "contract_expiry", "free", "blockable",
         "preaviso", "preaviso_days", "activity", "vat_condition", "iban", "bic", "account_holder", "mandate_ref",
         "mandate_date", "cbu", "tickets_blocked", "tickets_message", "web_password",
         "balance", "service", "deleted", "previous_code")


def client_values(row, typed: bool = False) -> tuple:
    """The fields of SHOWN, from a row of `record_select` (never the web password hash).
    TYPED: dates and the balance as date and Decimal (spreadsheet cells), not text.

    Listings and exports take one per client (100,000 in an export), so the row is unpacked
    by position once instead of looked up by name for every field."""
    (_id, code, name, nickname, fiscal_address, address, client_type, id_type, id_number, street1, street2,
     lat, lng, signup_date, extra1, extra2, phones, emails, contact, epayment_code, payment_method, contract,
     contract_type, contract_expiry, free, blockable, preaviso, preaviso_from, preaviso_to, activity, vat_condition,
     iban, bic, account_holder, mandate_ref, mandate_date, cbu, tickets_blocked, tickets_message, balance, service,
     deleted, previous_code,
     postal_code, locality, status, company, collector, seller, plan, node, has_webpass) = row
    if not typed:
        signup_date = signup_date.isoformat() if signup_date else None
        contract_expiry = contract_expiry.isoformat() if contract_expiry else None
        mandate_date = mandate_date.isoformat() if mandate_date else None
        balance = f"{balance:.2f}"
    return (code, name, nickname, fiscal_address, address or fiscal_address, client_type, id_type, id_number,
            company, street1, street2, postal_code, locality, lat, lng, signup_date, extra1,
            extra2, _split(phones), _split(emails), contact, epayment_code, status, payment_method, collector,
            seller, plan, node, contract, contract_type, contract_expiry, free, blockable,
            preaviso, f"{preaviso_from}-{preaviso_to}" if preaviso_from is not None else None, activity,
            ReceptorVat(vat_condition).word,
            format_iban(iban), bic, account_holder, mandate_ref, mandate_date, cbu, tickets_blocked, tickets_message,
            bool(has_webpass),
            balance, service, deleted, previous_code)


def client_dict(row) -> dict[str, Any]:
    """The shown client, from a row of `record_select`, by field name."""
    return dict(zip(SHOWN, client_values(row), strict=True))
