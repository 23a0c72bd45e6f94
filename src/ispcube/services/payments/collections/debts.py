"""`collect debts` (K4): what each client of one payment method owes, for a gateway to collect.

Gateways (CobroDigital, WebPay, Mercado Pago...) take a file of who owes what and issue the
payment slips; the electronic payment code is the key they answer with. One row per client of
the method that is not deleted and owes money: the amount is the balance, the due date that
of the newest debt it includes (an invoice's due date, or the date of a debit note), so the
whole amount is due by then. The file is written whole or not at all, readable by its owner only.
"""

from dataclasses import dataclass
import os
from typing import TextIO

from sqlalchemy import func, literal, select

from ispcube.db import models as m
from ispcube.db.ledger_models import LedgerEntry
from ispcube.db.types import Money
from ispcube.domain.bank import format_iban
from ispcube.domain.money import format_amount
from ispcube.domain.vocabulary import parse_payment_method
from ispcube.services.clients.export_writers import CsvWriter, writer_for
from ispcube.services.process.output_files import output_path
from ispcube.services.process.runtime import Runtime, require_office

COLUMNS = {"code": "Code", "name": "Name", "epayment_code": "Electronic payment code",
           "id_number": "ID number", "email": "Email", "phone": "Phone", "amount_due": "Amount due",
           "due_date": "Due date", "iban": "IBAN", "cbu": "CBU"}
FORMATS = (".csv", ".xlsx")


@dataclass(frozen=True)
class DebtsFile:
    path: str
    clients: int
    total: str


def export_debts(rt: Runtime, method: str, out: str, *, overwrite: bool = False,
                 stdout: TextIO | None = None) -> DebtsFile:
    """Write the debts of METHOD's clients to OUT (.csv or .xlsx), or as CSV to STDOUT when OUT is '-'."""
    method = parse_payment_method(method, "--payment-method")
    if out == "-":
        assert stdout is not None, "the caller gives its standard output"
        rows = _read(rt, method)
        writer = CsvWriter(None, list(COLUMNS.values()), stream=stdout)
        for row in rows:
            writer.write(_values(row, typed=False))
        writer.close()
        return DebtsFile("-", len(rows), format_amount(sum((row.balance for row in rows), start=0)))
    path = output_path(out, FORMATS, "--out", overwrite)
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    try:
        rows = _read(rt, method)
        writer = writer_for(partial, path.suffix.lower(), list(COLUMNS.values()), list(COLUMNS))
        typed = path.suffix.lower() == ".xlsx"
        try:
            for row in rows:
                writer.write(_values(row, typed))
        finally:
            writer.close()
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    total = sum((row.balance for row in rows), start=0)
    return DebtsFile(str(path), len(rows), format_amount(total))


def _read(rt: Runtime, method: str) -> list:
    with rt.uow() as uow:
        require_office(rt.actor(uow), "export what clients owe")
        return list(uow.session.execute(_debts_select(method)).all())


def _debts_select(method: str):
    entry, client = LedgerEntry, m.Client
    newest = (select(entry.client_id, func.max(func.coalesce(entry.due_date, entry.entry_date)).label("due"))
              .where(entry.amount > literal(0, Money)).group_by(entry.client_id).subquery())
    return (select(client.code, client.name, client.epayment_code, client.id_number, client.emails,
                   client.phones, client.balance, newest.c.due, client.iban, client.cbu)
            .outerjoin(newest, newest.c.client_id == client.id)
            .where(client.payment_method == method, client.deleted.is_(False),
                   client.balance > literal(0, Money))
            .order_by(client.code))


def _first(joined: str | None) -> str | None:
    return joined.split(";")[0] if joined else None


def _values(row, typed: bool) -> tuple:
    amount = row.balance if typed else format_amount(row.balance)
    due = row.due if typed or row.due is None else row.due.isoformat()
    return (row.code, row.name, row.epayment_code, row.id_number, _first(row.emails), _first(row.phones),
            amount, due, format_iban(row.iban), row.cbu)
