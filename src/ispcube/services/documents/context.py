"""What each document template receives: plain dicts built from plain values (no database).

The same builders make the real contexts (services/documents/printed.py) and the sample ones a new
template version is checked with (`sample_context`), so a template that passes the check
sees exactly the names it will see in use.
"""

import base64
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

ZERO = Decimal("0.00")
LOGO_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
              ".svg": "image/svg+xml", ".webp": "image/webp"}
MAX_LOGO_BYTES = 2 * 1024 * 1024
# A debt as a receipt names it (the template prints the fiscal number or the internal one after it).
DEBT_LABELS = {"invoice": "Factura", "dx": "Nota de débito", "opening": "Saldo anterior"}
METHOD_LABELS = {"cash": "Efectivo", "stripe": "Tarjeta (Stripe)", "transfer": "Transferencia",
                 "card": "Tarjeta", "cash+cheque": "Efectivo", "cheque": "Efectivo"}


def company_context(company: dict[str, Any] | None, warnings: list[str]) -> dict[str, Any]:
    """The billing company as printed; its logo file becomes a data: URI (nothing is fetched)."""
    company = company or {}
    logo = logo_data_uri(company.get("logo_path"), company.get("number"), warnings)
    return {"number": company.get("number"), "name": company.get("name") or "",
            "tax_id": company.get("tax_id"), "address": company.get("address"),
            "phone": company.get("phone"), "email": company.get("email"), "logo": logo}


def logo_data_uri(path: str | None, number: int | None, warnings: list[str]) -> str | None:
    if not path:
        return None
    file = Path(path).expanduser()
    kind = LOGO_TYPES.get(file.suffix.lower())
    problem = None
    if kind is None:
        problem = "is not a PNG, JPEG, GIF, SVG or WebP image"
    elif not file.is_file():
        problem = "does not exist"
    elif file.stat().st_size > MAX_LOGO_BYTES:
        problem = f"is larger than {MAX_LOGO_BYTES // (1024 * 1024)} MiB"
    if problem:
        warnings.append(f"logo {path} of company {number} {problem}; printed without it")
        return None
    return f"data:{kind};base64," + base64.b64encode(file.read_bytes()).decode("ascii")


def common(company: dict[str, Any], currency: str, operator: str, today: date) -> dict[str, Any]:
    return {"company": company, "currency": currency, "operator": operator, "today": today}


def receipt_context(base: dict[str, Any], client: dict[str, Any], *, number: int, on: date,
                    cash: Decimal, cheques: list[dict[str, Any]], method: str | None,
                    comment: str | None, operator: str, balance_after: Decimal,
                    annulled: bool, applies: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """APPLIES: the debts the payment settles, oldest first (`documents.applies.Applied` as dicts):
    each with its `label` (Factura, Nota de débito), fiscal number or internal number and the part
    paid; what is left of the total is `on_account`."""
    total = cash + sum((c["amount"] for c in cheques), ZERO)
    paid = [{**item, "label": DEBT_LABELS.get(item["kind"], item["kind"])} for item in applies or []]
    receipt = {"number": number, "date": on, "cash": cash, "cheques": cheques, "total": total,
               "method": method, "method_label": METHOD_LABELS.get(method or "cash", method),
               "comment": comment, "operator": operator, "balance_after": balance_after,
               "annulled": annulled, "applies": paid,
               "on_account": total - sum((item["paid"] for item in paid), ZERO)}
    return {**base, "client": client, "receipt": receipt}


def listing_context(base: dict[str, Any], clients: list[dict[str, Any]],
                    filters: list[str]) -> dict[str, Any]:
    balances = [Decimal(c["balance"]) for c in clients]
    listing = {"filters": filters, "count": len(clients),
               "cut": sum(1 for c in clients if c["service"] == "cut"),
               "throttled": sum(1 for c in clients if c["service"] == "throttled"),
               "debt": sum((b for b in balances if b > 0), ZERO),
               "credit": -sum((b for b in balances if b < 0), ZERO),
               "balance": sum(balances, ZERO)}
    return {**base, "clients": clients, "listing": listing}


def contract_context(base: dict[str, Any], client: dict[str, Any], *, contract_type: int,
                     plan: dict[str, Any] | None, due_day: int) -> dict[str, Any]:
    plan = plan or {}
    contract = {"type": contract_type, "signed": client.get("contract"),
                "expiry": _as_date(client.get("contract_expiry")),
                "signup_date": _as_date(client.get("signup_date")),
                "plan": {"name": plan.get("name"), "price": plan.get("price"),
                         "down": speed(plan.get("down_kbps")), "up": speed(plan.get("up_kbps"))}}
    return {**base, "client": client, "contract": contract, "billing": {"due_day": due_day}}


def invoice_context(base: dict[str, Any], client: dict[str, Any], issuer: dict[str, Any],
                    invoice: dict[str, Any], qr_url: str | None, payment_link: str | None = None) -> dict[str, Any]:
    """An invoice (I2): ISSUER is the company's fiscal data (vat_label, gross_income,
    activity_start), INVOICE the fiscal document as `invoice show` gives it; the QR, when
    the invoice is authorized, is embedded as an image of QR_URL (nothing is fetched);
    PAYMENT_LINK: where the client pays what it owes online (G1), or None."""
    from ispcube.adapters.qr import qr_png_data_uri
    shown = {**invoice, "qr_url": qr_url, "qr_image": qr_png_data_uri(qr_url) if qr_url else None,
             "discriminates_vat": invoice["letter"] == "A", "vat_contained": invoice["letter"] == "B"}
    return {**base, "client": client, "issuer": issuer, "invoice": shown, "payment_link": payment_link}


def speed(kbps: int | None) -> str | None:
    """10000 -> '10 Mbit/s', 1500 -> '1,5 Mbit/s', 512 -> '512 kbit/s'."""
    if not kbps:
        return None
    if kbps < 1000:
        return f"{kbps} kbit/s"
    mbps = Decimal(kbps) / 1000
    return f"{mbps.normalize():f} Mbit/s".replace(".", ",")


def _as_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


# --- Sample data for checking a template before it is saved --------------------------------

SAMPLE_COMPANY = {"number": 1, "name": "Red Sur S.R.L.", "tax_id": "30-71234567-9",
                  "address": "Av. Belgrano 1450, Córdoba", "phone": "0351 400-1234",
                  "email": "admin@redsur.example", "logo_path": None}


def sample_client(code: str = "00042", name: str = "Transporte de las Américas S.A.",
                  balance: str = "1500.00", service: str = "active") -> dict[str, Any]:
    return {"code": code, "name": name, "nickname": "Transporte América",
            "fiscal_address": "Bolívar 321", "address": "Bilbao 445", "client_type": "Empresa",
            "id_type": "CUIT", "id_number": "20-26756539-3", "company": 1, "street1": "Corrientes",
            "street2": "Lavalle", "postal_code": "X5000", "locality": "Córdoba", "lat": None,
            "lng": None, "signup_date": "2026-03-15", "extra1": None, "extra2": None,
            "phones": ["0351 455-1234"], "emails": ["pagos@transporte.example"],
            "contact": "Raúl Fernández", "epayment_code": None, "status": "Activo",
            "payment_method": "cash", "collector": None, "seller": None, "plan": "Hogar 20",
            "node": "Norte", "contract": True, "contract_type": 1, "contract_expiry": "2027-03-15",
            "free": False, "blockable": True, "preaviso": True, "preaviso_days": None,
            "activity": "Transporte de cargas", "vat_condition": "consumidor-final", "tickets_blocked": False,
            "tickets_message": None,
            "web_password": False, "balance": balance, "service": service, "deleted": False,
            "previous_code": None}


SAMPLE_APPLIES = [
    {"entry": 790, "kind": "invoice", "date": date(2026, 3, 1), "internal": "invoice 1-790", "number": "1-790",
     "document": "invoice 1-790 (B 00003-00000098)", "fiscal_number": "B 00003-00000098",
     "not_yet_fiscal": False, "amount": Decimal("4200.00"), "paid": Decimal("1500.00")},
    {"entry": 812, "kind": "invoice", "date": date(2026, 4, 1), "internal": "invoice 1-812", "number": "1-812",
     "document": "invoice 1-812 (draft, not yet fiscal)", "fiscal_number": None, "not_yet_fiscal": True,
     "amount": Decimal("4200.00"), "paid": Decimal("3200.00")},
]


def sample_context(document: str) -> dict[str, Any]:
    base = common(company_context(SAMPLE_COMPANY, []), "ARS", "oficina", date(2026, 4, 2))
    client = sample_client()
    if document == "receipt":
        cheques = [{"bank": "Banco Nación", "number": "00012345", "amount": Decimal("3000.00"),
                    "deposit_date": date(2026, 4, 10)},
                   {"bank": "Banco Galicia", "number": "77001", "amount": Decimal("1234.50"),
                    "deposit_date": date(2026, 5, 10)}]
        return receipt_context(base, client, number=1234, on=date(2026, 4, 2), cash=Decimal("500.00"),
                               cheques=cheques, method="cash+cheque", comment="Pago de marzo",
                               operator="oficina", balance_after=Decimal("-34.50"), annulled=False,
                               applies=SAMPLE_APPLIES)
    if document == "invoice":
        issuer = {"vat_label": "IVA Responsable Inscripto", "gross_income": "901-123456-7",
                  "activity_start": date(2019, 4, 1), "point_of_sale": 3}
        invoice = {"entry": 812, "internal": "invoice 1-812", "kind": "invoice", "letter": "A", "code": 1,
                   "title": "Factura", "point_of_sale": 3, "number": 125, "fiscal_number": "A 00003-00000125",
                   "status": "authorized", "issued": date(2026, 4, 2), "period": "2026-04",
                   "service_from": date(2026, 4, 1), "service_to": date(2026, 4, 30),
                   "payment_due": date(2026, 4, 10), "description": "Servicio de internet 2026-04",
                   "total": Decimal("30000.00"), "net": Decimal("23622.05"), "vat": Decimal("6377.95"),
                   "vat_rate": Decimal("27"), "receptor_vat": "IVA Responsable Inscripto",
                   "receptor_doc_type": 80, "receptor_doc_number": 30712345671,
                   "cae": "76000000000125", "cae_due": date(2026, 4, 12), "refusal": None,
                   "associated": None, "associated_number": None, "associated_title": None,
                   "associated_entry": None}
        return invoice_context(base, client, issuer, invoice, "https://www.afip.gob.ar/fe/qr/?p=e30=")
    if document == "listing":
        clients = [sample_client(f"{n:05d}", f"Cliente de muestra {n}", f"{n * 10}.00",
                                 "cut" if n % 3 == 0 else "active") for n in range(1, 6)]
        return listing_context(base, clients, ["Localidad: Córdoba", "Búsqueda: «muestra»"])
    contract_type = 2 if document == "contract-2" else 1
    plan = {"name": "Hogar 20", "price": Decimal("9500.00"), "down_kbps": 20000, "up_kbps": 5000}
    return contract_context(base, client, contract_type=contract_type, plan=plan, due_day=10)
