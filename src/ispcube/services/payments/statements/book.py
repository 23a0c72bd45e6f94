"""Reading what matching needs from the database, a fixed number of queries per file (K5)."""

from collections.abc import Iterable
import re

from sqlalchemy import Column, MetaData, String, Table, exists, select
from sqlalchemy.orm import aliased

from ispcube.db import models as m
from ispcube.db.bulk_insert import bulk_insert
from ispcube.db.chunks import chunks
from ispcube.db.collection_models import CollectionItem
from ispcube.db.statement_models import BankTransaction
from ispcube.db.uow import UnitOfWork
from ispcube.domain.terms import HELD
from ispcube.services.payments.statements.lines import Line
from ispcube.services.payments.statements.match import Book, Credit, Item, LineOutcome

CHUNK = 5000                   # values per IN (...): well under SQLite's 32,766 variables
INCOMING = Table("incoming_keys", MetaData(), Column("key", String(255), primary_key=True), prefixes=["TEMPORARY"])
_OURS = re.compile(r"^ISPCUBE-\d+-\d+$")


def known_keys(uow: UnitOfWork, keys: Iterable[str]) -> set[str]:
    """The keys among KEYS whose transactions were acted on by an earlier import (R15): one
    query for a small file; for a large one the keys go to a temporary table (COPY on
    PostgreSQL) and one join finds them."""
    wanted = sorted(set(keys))
    if len(wanted) <= CHUNK:
        return set(uow.session.scalars(select(BankTransaction.key).where(BankTransaction.key.in_(wanted))))
    conn = uow.session.connection()
    conn.exec_driver_sql("CREATE TEMPORARY TABLE IF NOT EXISTS incoming_keys (key VARCHAR(255) PRIMARY KEY)")
    conn.exec_driver_sql("DELETE FROM incoming_keys")
    bulk_insert(conn, INCOMING.metadata.tables["incoming_keys"], ("key",), ((key,) for key in wanted), processed=True)
    found = set(conn.scalars(select(INCOMING.c.key).join(BankTransaction, BankTransaction.key == INCOMING.c.key)))
    conn.exec_driver_sql("DROP TABLE incoming_keys")
    return found


def known_lines(uow: UnitOfWork, lines: list[Line]) -> set[str]:
    """The keys of LINES acted on by an earlier import: under their key, or under the key an
    import before migration 0015 gave them (`legacy_key`), with the same booking date and
    amount (an EndToEndId or a payment file's bare reference alone does not say it is the same
    transaction; an old MT940 key already holds its date, amount and text)."""
    known = known_keys(uow, (line.key for line in lines))
    legacy = {line.legacy_key: line for line in lines if line.legacy_key and line.key not in known}
    t = BankTransaction
    for part in chunks(sorted(legacy), CHUNK):
        for key, booked, amount in uow.session.execute(select(t.key, t.booked, t.amount).where(t.key.in_(part))):
            line = legacy[key]
            if key.startswith("old:mt940:") or \
                    (booked == line.booked and amount == (line.amount if line.credit else -line.amount)):
                known.add(line.key)
    return known


def load_credits(uow: UnitOfWork, book: Book, lines: list[Line]) -> None:
    """The credits earlier imports posted that the reversals among LINES may name."""
    names = sorted({name for line in lines if line.reversal and not line.credit for name in line.names})
    t, r = BankTransaction, aliased(BankTransaction)
    reversed_ = exists().where(r.reverses_key == t.key)
    for part in chunks(names, CHUNK):
        for row in uow.session.execute(select(t.key, t.client_id, t.account, t.reference, t.amount,
                                              reversed_.label("reversed"))
                                       .where(t.kind.in_((LineOutcome.RECEIPT, LineOutcome.SETTLED)),
                                              t.reference.in_(part))):
            book.credits.append(Credit(row.key, row.client_id, row.account or "", row.reference, row.amount,
                                       bool(row.reversed)))


def load_book(uow: UnitOfWork, end_to_end_ids: Iterable[str | None]) -> Book:
    book = Book()
    c = m.Client
    for client_id, code, epayment, iban, cbu, service, id_number in uow.session.execute(
            select(c.id, c.code, c.epayment_code, c.iban, c.cbu, c.service, c.id_number)
            .where(c.deleted.is_(False))):
        book.codes[code] = client_id
        if service in HELD:          # cut or throttled: a payment may give service back
            book.cut.add(client_id)
        book.shown[client_id] = code
        if epayment:
            book.epayment[epayment] = client_id
        if iban:
            book.ibans.setdefault(iban, []).append(client_id)
        if cbu:
            book.cbus.setdefault(cbu, []).append(client_id)
        digits = id_digits(id_number)
        if digits:
            book.id_numbers.setdefault(digits, []).append(client_id)
    # Our EndToEndIds name their batch (ISPCUBE-<batch>-<n>): the items of those batches are
    # read in one query and picked in memory.
    ours = {e2e for e2e in end_to_end_ids if e2e and _OURS.match(e2e)}
    batches = sorted({int(e2e.split("-")[1]) for e2e in ours})
    i = CollectionItem
    for part in chunks(batches, CHUNK):
        for row in uow.session.execute(select(i.id, i.client_id, i.batch_id, i.amount, i.status, i.entry_id,
                                              i.end_to_end_id).where(i.batch_id.in_(part))):
            if row.end_to_end_id not in ours:
                continue
            book.items[row.end_to_end_id] = Item(row.id, row.client_id, row.batch_id, row.amount, row.status,
                                                 row.entry_id)
            if row.client_id not in book.shown:
                book.shown[row.client_id] = _code(uow, row.client_id)
    return book


def id_digits(number: str | None) -> str | None:
    """An ID number as its digits (DNI 20.345.678, CUIT 20-20345678-3), for comparing payers."""
    digits = "".join(ch for ch in number or "" if ch.isascii() and ch.isdigit())
    return digits or None


def _code(uow: UnitOfWork, client_id: int) -> str:
    """The code of a deleted client one of our items names (rare: looked up one by one)."""
    return uow.session.scalar(select(m.Client.code).where(m.Client.id == client_id)) or "?"
