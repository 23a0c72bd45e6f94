"""How a client is shown: one plain dict with the snake_case field names."""

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import aliased

from ispcube.db import models as m

COLLECTOR = aliased(m.Operator, name="collector")
SELLER = aliased(m.Operator, name="seller")


def view_select() -> Select:
    """One query for the client and every name it refers to (no per-client lookups)."""
    return (select(m.Client, m.PostalCode.code, m.PostalCode.locality, m.Status.name,
                   m.Company.number, COLLECTOR.name, SELLER.name, m.Plan.name, m.Node.name)
            .outerjoin(m.PostalCode, m.PostalCode.id == m.Client.postal_code_id)
            .outerjoin(m.Status, m.Status.id == m.Client.status_id)
            .outerjoin(m.Company, m.Company.id == m.Client.company_id)
            .outerjoin(COLLECTOR, COLLECTOR.id == m.Client.collector_id)
            .outerjoin(SELLER, SELLER.id == m.Client.seller_id)
            .outerjoin(m.Plan, m.Plan.id == m.Client.plan_id)
            .outerjoin(m.Node, m.Node.id == m.Client.node_id))


def client_dict(row) -> dict[str, Any]:
    c, postal_code, locality, status, company, collector, seller, plan, node = row
    preaviso_days = (f"{c.preaviso_from}-{c.preaviso_to}" if c.preaviso_from is not None else None)
    return {
        "code": c.code, "name": c.name, "nickname": c.nickname,
        "fiscal_address": c.fiscal_address, "address": c.address or c.fiscal_address,
        "client_type": c.client_type, "id_type": c.id_type, "id_number": c.id_number,
        "company": company, "street1": c.street1, "street2": c.street2,
        "postal_code": postal_code, "locality": locality, "lat": c.lat, "lng": c.lng,
        "signup_date": c.signup_date.isoformat() if c.signup_date else None,
        "extra1": c.extra1, "extra2": c.extra2,
        "phones": [p for p in c.phones.split(";") if p], "emails": [e for e in c.emails.split(";") if e],
        "contact": c.contact, "epayment_code": c.epayment_code, "status": status,
        "payment_method": c.payment_method, "collector": collector, "seller": seller,
        "plan": plan, "node": node,
        "contract": c.contract, "contract_type": c.contract_type,
        "contract_expiry": c.contract_expiry.isoformat() if c.contract_expiry else None,
        "free": c.free, "blockable": c.blockable, "preaviso": c.preaviso,
        "preaviso_days": preaviso_days, "activity": c.activity,
        "tickets_blocked": c.tickets_blocked, "tickets_message": c.tickets_message,
        "web_password": c.webpass_hash is not None,
        "balance": f"{c.balance:.2f}", "service": c.service, "deleted": c.deleted,
        "previous_code": c.previous_code,
    }
