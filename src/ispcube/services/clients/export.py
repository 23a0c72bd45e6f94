"""`export clients --out FILE.xlsx|.csv|.json` (C10): the client base for Excel or scripts.

The same filters, search and collector scope as `client list` (client_query.filtered_select);
rows are streamed from the database (yield_per: a server-side cursor on PostgreSQL) straight
into the writer, so memory stays flat at any size. Management notes only on request; the web
password hash and every secret are never read. The file is written beside its final name and
renamed at the end, so a failed export leaves no half file; it holds personal data, so it is
readable by its owner only.
"""

from dataclasses import dataclass
import os
from typing import Any, Callable

from sqlalchemy import func, select

from ispcube.db import models as m
from ispcube.services.clients.export_writers import writer_for
from ispcube.services.clients.query import ClientFilter, filtered_select
from ispcube.services.clients.record import client_values
from ispcube.services.process.output_files import output_path
from ispcube.services.process.runtime import Runtime

FORMATS = (".xlsx", ".csv", ".json")
BATCH = 2000
# Field of the shown client -> header, in the order of client_record.SHOWN (a test checks it).
# The headers read back through `client import`.
COLUMNS = {
    "code": "Code", "name": "Name", "nickname": "Nickname", "fiscal_address": "Fiscal address",
    "address": "Address", "client_type": "Client type", "id_type": "ID type", "id_number": "ID number",
    "company": "Company", "street1": "Street 1", "street2": "Street 2", "postal_code": "Postal code",
    "locality": "Locality", "lat": "Latitude", "lng": "Longitude", "signup_date": "Signup date",
    "extra1": "Extra 1", "extra2": "Extra 2", "phones": "Phones", "emails": "Emails",
    "contact": "Contact", "epayment_code": "Electronic payment code", "status": "Status",
    "payment_method": "Payment method", "collector": "Collector", "seller": "Seller", "plan": "Plan",
    "node": "Node", "contract": "Contract", "contract_type": "Contract type",
    "contract_expiry": "Contract expiry", "free": "Free", "blockable": "Blockable",
    "preaviso": "Preaviso", "preaviso_days": "Preaviso days", "activity": "Activity",
    "vat_condition": "VAT condition",
    "iban": "IBAN", "bic": "BIC", "account_holder": "Account holder", "mandate_ref": "Mandate reference",
    "mandate_date": "Mandate date", "cbu": "CBU",
    "tickets_blocked": "Tickets blocked", "tickets_message": "Tickets message",
    "web_password": "Web password", "balance": "Balance", "service": "Service",
    "deleted": "Deleted", "previous_code": "Previous code",
}


@dataclass(frozen=True)
class ExportResult:
    path: str
    rows: int
    format: str


def export_clients(rt: Runtime, f: ClientFilter, out: str, *, with_notes: bool = False,
                   progress: Callable[[int], None] | None = None,
                   on_start: Callable[[int | None], None] | None = None, replace: bool = False) -> ExportResult:
    """An existing file at OUT is replaced only with REPLACE (--yes): it may be anything (R14)."""
    path = output_path(out, FORMATS, "--out", replace)
    keys = list(COLUMNS) + (["notes"] if with_notes else [])
    headers = list(COLUMNS.values()) + (["Management notes"] if with_notes else [])
    partial = path.with_name(f".{path.name}.partial")
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    try:
        with rt.uow() as uow:
            query = filtered_select(uow.session.connection(), f, rt.actor(uow))
            if on_start:
                on_start(uow.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())))
            writer = writer_for(partial, path.suffix.lower(), headers, keys)
            count = _write_rows(uow, query, writer, path.suffix.lower(), with_notes, progress)
        os.replace(partial, path)
    finally:
        if partial.exists():
            partial.unlink()
    return ExportResult(str(path), count, path.suffix.lower()[1:])


def _write_rows(uow, query, writer, kind: str, with_notes: bool, progress) -> int:
    count, typed = 0, kind == ".xlsx"
    try:
        result = uow.session.connection().execute(query.execution_options(yield_per=BATCH))
        for rows in result.partitions():
            notes = _notes_of(uow, [row.id for row in rows], kind) if with_notes else {}
            for row in rows:
                values = client_values(row, typed)
                if with_notes:
                    values = (*values, notes.get(row.id, [] if kind == ".json" else ""))
                writer.write(values)
            count += len(rows)
            if progress:
                progress(len(rows))
    finally:
        writer.close()
    return count


def _notes_of(uow, client_ids: list[int], kind: str) -> dict[int, Any]:
    """Management notes of a batch of clients, oldest first, in one query."""
    n = m.ClientNote
    rows = uow.session.execute(select(n.client_id, n.at, n.author, n.text)
                               .where(n.client_id.in_(client_ids)).order_by(n.client_id, n.at, n.id))
    notes: dict[int, list] = {}
    for client_id, at, author, text in rows:
        notes.setdefault(client_id, []).append({"at": at.isoformat(sep=" "), "author": author, "text": text})
    if kind == ".json":
        return notes
    return {cid: " | ".join(f"{x['at']} {x['author']}: {x['text']}" for x in items) for cid, items in notes.items()}
