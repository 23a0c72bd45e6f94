"""What an import asks the database, and what it writes, one batch at a time (C9, P1).

The keys of the stored clients (codes, ID keys, address keys, electronic payment codes) are
read once, in one pass, so a row that clashes with nothing costs no query; rows that do clash
are looked up in batches. Checks look only at clients that existed before the import started
(`id <= before_id`): duplicates inside the file are the caller's job, so each is reported
once, against its line.
"""

from collections import defaultdict
from datetime import datetime
from operator import itemgetter
from typing import Any, Iterable

from sqlalchemy import Connection, String, any_, bindparam, func, insert, literal, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY

from ispcube.db import models as m
from ispcube.db.bulk_insert import bulk_insert, copy_lines
from ispcube.services.clients.lifecycle import describe_match
from ispcube.services.clients.log import log_bulk, log_selected
from ispcube.services.imports.clients.check import INSERT_COLUMNS, SETTABLE, InsertRow

CLIENTS = m.Client.__table__
EVENTS = m.ClientEvent.__table__
SEQUENCES = m.Sequence.__table__


class ImportDb:
    def __init__(self, conn: Connection, table_locked: bool = False):
        self.conn = conn
        # No one else can add clients meanwhile: SQLite's write lock, or the bulk load's lock.
        self.sole_writer = table_locked or conn.dialect.name != "postgresql"
        self.before_id = self.last_id = conn.scalar(select(func.max(CLIENTS.c.id))) or 0
        self.codes, self.id_keys, self.addresses = set(), set(), set()
        self.unique: dict[str, set[str]] = {"epayment_code": set(), "mandate_ref": set()}
        c = CLIENTS.c
        for code, id_key, address, epayment, mandate in conn.execute(
                select(c.code, c.id_key, c.address_key, c.epayment_code, c.mandate_ref)
                .where(c.id <= self.before_id)):
            self.codes.add(code)
            self.id_keys.add(id_key)
            self.addresses.add(address)
            self.unique["epayment_code"].add(epayment)
            self.unique["mandate_ref"].add(mandate)
        self.id_keys.discard(None)
        self.addresses.discard("")
        for held in self.unique.values():
            held.discard(None)

    # Pre-filters on the keys read at the start, which nothing changes afterwards: the import
    # asks the database only about a batch that clashes with something already stored.

    def known_codes(self, codes: Iterable[str]) -> list[str]:
        return [code for code in codes if code in self.codes]

    def known_keys(self, keys: Iterable[tuple[str | None, str, int | None]]) -> bool:
        return any(id_key in self.id_keys or address in self.addresses for id_key, address, _ in keys)

    def known_unique(self, field: str, values: Iterable[str]) -> list[str]:
        """VALUES of the unique FIELD (epayment_code, mandate_ref) that a stored client holds."""
        return [value for value in values if value in self.unique[field]]

    def hide_deleted(self) -> int:
        """New clients imported deleted (U5, Baja) get a ZZ code, as `client delete` gives one."""
        c = CLIENTS.c
        rows = self.conn.execute(select(c.id, c.code).where(c.id > self.before_id, c.deleted.is_(True),
                                                             c.previous_code.is_(None))).all()
        for client_id, code in rows:
            self.conn.execute(CLIENTS.update().where(c.id == client_id)
                              .values(previous_code=code, code=f"ZZ{client_id:08d}"))
        return len(rows)

    def existing(self, codes: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Stored clients by code, with every column an import may change (and the address key,
        so an update is checked for duplicates only on what it changes)."""
        codes = list(set(codes) & self.codes)
        if not codes:
            return {}
        c = CLIENTS.c
        rows = self.conn.execute(select(c.id, c.previous_code, c.address_key, *(c[name] for name in SETTABLE))
                                 .where(c.code.in_(codes), c.id <= self.before_id))
        return {row.code: dict(row._mapping) for row in rows}

    def duplicates(self, keys: list[tuple[str | None, str, int | None]]) -> list[list[str]]:
        """For each (id_key, address_key, own id): the clients it duplicates, described as
        `client add` describes them (deleted ones included, debtors flagged)."""
        id_keys = {k for k, _, _ in keys if k} & self.id_keys
        addresses = {a for _, a, _ in keys if a} & self.addresses
        if not id_keys and not addresses:
            return [[] for _ in keys]
        c = CLIENTS.c
        found = self.conn.execute(
            select(c.id, c.code, c.name, c.deleted, c.previous_code, c.balance, c.id_key, c.address_key)
            .where(c.id <= self.before_id,
                   or_(c.id_key.in_(list(id_keys)), c.address_key.in_(list(addresses))))).all()
        by_id, by_address = defaultdict(list), defaultdict(list)
        for client in found:
            if client.id_key:
                by_id[client.id_key].append(client)
            if client.address_key:
                by_address[client.address_key].append(client)
        result = []
        for id_key, address, own_id in keys:
            matches = {cl.id: cl for cl in by_id.get(id_key, []) + by_address.get(address, [])
                       if cl.id != own_id}
            ordered = sorted(matches.values(), key=lambda cl: cl.code)[:10]
            result.append([describe_match(cl, id_key) for cl in ordered])
        return result

    def unique_holders(self, field: str, values: Iterable[str]) -> dict[str, tuple[int, str]]:
        """{value: (client id, code)} of the stored clients holding VALUES of the unique FIELD."""
        values = list(set(values) & self.unique[field])
        if not values:
            return {}
        c = CLIENTS.c
        rows = self.conn.execute(select(c[field], c.id, c.code)
                                 .where(c[field].in_(values), c.id <= self.before_id))
        return {value: (id_, holder) for value, id_, holder in rows}

    def taken_codes(self, codes: Iterable[str]) -> set[str]:
        codes = list(set(codes))
        if not codes:
            return set()
        return set(self.conn.scalars(select(CLIENTS.c.code).where(CLIENTS.c.code.in_(codes))))

    def sequence(self, name: str) -> int:
        return self.conn.scalar(select(SEQUENCES.c.value).where(SEQUENCES.c.name == name)) or 0

    def set_sequence(self, name: str, value: int) -> None:
        done = self.conn.execute(update(SEQUENCES).where(SEQUENCES.c.name == name).values(value=value))
        if done.rowcount == 0:
            self.conn.execute(insert(SEQUENCES).values(name=name, value=value))

    def insert_clients(self, rows: list[InsertRow], codes: list[str], at: datetime, operator: str,
                       file: str) -> None:
        """Insert ROWS (built by check.insert_row: COPY lines on PostgreSQL), whose
        client codes are CODES, and log each one, set-based."""
        if not rows:
            return
        if self.conn.dialect.name == "postgresql":
            copy_lines(self.conn, CLIENTS, INSERT_COLUMNS, _copy_lines(rows))
        else:
            # Columns NULL in every row of the batch are left out: the database fills them with
            # NULL anyway, and migrated files leave many columns empty (less to bind).
            used = [i for i, values in enumerate(zip(*rows, strict=True)) if values.count(None) != len(values)]
            pick = itemgetter(*used) if len(used) > 1 else (lambda row: (row[used[0]],))
            bulk_insert(self.conn, CLIENTS, [INSERT_COLUMNS[i] for i in used], map(pick, rows), processed=True)
        c = CLIENTS.c
        if self.sole_writer:   # every newer id is one of ours
            ours = c.id > self.last_id
        else:
            ours = c.code == any_(bindparam("codes", codes, type_=ARRAY(String)))
        message = literal("client ") + c.code + literal(f" added by import of {file}")
        log_selected(self.conn, at, operator, "client.import",
                     select(c.id.label("client_id"), message.label("message")).where(ours))
        self.last_id = self.conn.scalar(select(func.max(c.id)))

    def ids_of(self, codes: Iterable[str]) -> dict[str, int]:
        query = select(CLIENTS.c.code, CLIENTS.c.id).where(CLIENTS.c.code.in_(list(codes)))
        return dict(self.conn.execute(query).all())

    def update_clients(self, changes: list[tuple[int, dict[str, Any]]]) -> None:
        """Apply (client id, new values) pairs; one executemany per set of changed columns."""
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for client_id, values in changes:
            keys = tuple(sorted(values))
            groups[keys].append({"_id": client_id, **{f"v_{k}": v for k, v in values.items()}})
        for keys, params in groups.items():
            statement = (update(CLIENTS).where(CLIENTS.c.id == bindparam("_id"))
                         .values({k: bindparam(f"v_{k}", type_=CLIENTS.c[k].type) for k in keys}))
            self.conn.execute(statement, params)

    def add_notes(self, notes: list[tuple[int, str]], at: datetime, operator: str) -> None:
        """Management notes (client id, text) by OPERATOR, the one importing, in one bulk insert."""
        self.conn.execute(m.ClientNote.__table__.insert(),
                          [{"client_id": client_id, "at": at, "author": operator, "text": text}
                           for client_id, text in notes])

    def log(self, events: list[tuple[int, str, str]], at: datetime, operator: str) -> None:
        """Client log rows (client id, kind, message), written in one bulk insert."""
        log_bulk(self.conn, at, operator, events)


def _copy_lines(rows: list[InsertRow]) -> list[str]:
    """ROWS as every row of an import on PostgreSQL is built: a line of COPY text."""
    lines = [row for row in rows if isinstance(row, str)]
    if len(lines) != len(rows):
        raise TypeError("a client row for PostgreSQL was not built as a COPY line")
    return lines
