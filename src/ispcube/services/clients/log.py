"""The client log (who, when, what) and management notes (C6).

Every client-log row is written here, in one of four shapes of the same row (client, when, who,
kind, message): `log` for one client in a unit of work, `log_many` for a batch in one
statement, `log_selected` for a batch the database derives from a query (billing, import),
and `log_bulk` for migration-sized batches (COPY on PostgreSQL).
"""

from datetime import datetime
from typing import Iterable, TypedDict

from sqlalchemy import Connection, Select, String, insert, literal, select

from ispcube.db import models as m
from ispcube.db.bulk_insert import bulk_insert
from ispcube.db.uow import UnitOfWork
from ispcube.domain.text import refuse_nul
from ispcube.errors import Invalid

EVENTS = m.ClientEvent.__table__
COLUMNS = ("client_id", "at", "operator", "kind", "message")
Entry = tuple[int, str, str]   # (client id, kind, message)


class LogRow(TypedDict):
    """One line of a client's log: what happened, when and by whom."""
    at: str
    operator: str
    kind: str
    message: str


class Note(TypedDict):
    """A note an operator wrote on a client."""
    at: str
    author: str
    text: str


def log(uow: UnitOfWork, rt, client: m.Client, kind: str, message: str) -> None:
    """One entry about CLIENT (which may not have its id yet: it is written with the session)."""
    uow.session.add(m.ClientEvent(client_id=client.id, at=rt.now(), operator=rt.operator,
                                  kind=kind, message=message))


def log_many(uow: UnitOfWork, rt, entries: list[Entry]) -> None:
    """Many entries (client id, kind, message) in one statement."""
    if entries:
        now = rt.now()
        uow.session.execute(insert(EVENTS), [
            {"client_id": cid, "at": now, "operator": rt.operator, "kind": kind, "message": message}
            for cid, kind, message in entries])


def log_selected(conn, at: datetime, operator: str, kind: str | None, rows: Select) -> None:
    """One entry per row of ROWS, a query of columns labelled client_id and message (and kind,
    when KIND is None), written by the database itself (INSERT ... SELECT): nothing crosses to
    Python."""
    found = rows.subquery("logged")
    conn.execute(insert(EVENTS).from_select(list(COLUMNS), select(
        found.c.client_id, literal(at, EVENTS.c.at.type), literal(operator, String()),
        found.c.kind if kind is None else literal(kind, String()), found.c.message)))


def log_bulk(conn: Connection, at: datetime, operator: str, entries: Iterable[Entry]) -> None:
    """Migration-sized batches: COPY on PostgreSQL, the driver's executemany on SQLite."""
    at_type = EVENTS.c.at.type.dialect_impl(conn.dialect)
    stored_at = (at_type.bind_processor(conn.dialect) or (lambda value: value))(at)
    bulk_insert(conn, EVENTS, COLUMNS,
                ((client_id, stored_at, operator, kind, message) for client_id, kind, message in entries),
                processed=True)


def client_log(uow: UnitOfWork, client: m.Client) -> list[LogRow]:
    rows = uow.session.scalars(select(m.ClientEvent).where(m.ClientEvent.client_id == client.id)
                               .order_by(m.ClientEvent.at, m.ClientEvent.id))
    return [{"at": e.at.isoformat(sep=" "), "operator": e.operator, "kind": e.kind,
             "message": e.message} for e in rows]


def add_note(uow: UnitOfWork, rt, client: m.Client, text: str) -> Note:
    if not refuse_nul(text, "the note").strip():
        raise Invalid("the note is empty")
    note = m.ClientNote(client_id=client.id, at=rt.now(), author=rt.operator, text=text.strip())
    uow.session.add(note)
    uow.commit()
    return {"at": note.at.isoformat(sep=" "), "author": note.author, "text": note.text}


def notes(uow: UnitOfWork, client: m.Client, limit: int | None = None) -> list[Note]:
    query = (select(m.ClientNote).where(m.ClientNote.client_id == client.id)
             .order_by(m.ClientNote.at.desc(), m.ClientNote.id.desc()))
    if limit:
        query = query.limit(limit)
    return [{"at": n.at.isoformat(sep=" "), "author": n.author, "text": n.text}
            for n in uow.session.scalars(query)]
