"""The client log (who, when, what) and management notes (C6)."""

from typing import Any

from sqlalchemy import select

from ispcube.db import models as m
from ispcube.db.uow import UnitOfWork
from ispcube.domain.text import refuse_nul
from ispcube.errors import Invalid


def log(uow: UnitOfWork, rt, client: m.Client, kind: str, message: str) -> None:
    uow.session.add(m.ClientEvent(client_id=client.id, at=rt.now(), operator=rt.operator,
                                  kind=kind, message=message))


def client_log(uow: UnitOfWork, client: m.Client) -> list[dict[str, Any]]:
    rows = uow.session.scalars(select(m.ClientEvent).where(m.ClientEvent.client_id == client.id)
                               .order_by(m.ClientEvent.at, m.ClientEvent.id))
    return [{"at": e.at.isoformat(sep=" "), "operator": e.operator, "kind": e.kind,
             "message": e.message} for e in rows]


def add_note(uow: UnitOfWork, rt, client: m.Client, text: str) -> dict[str, Any]:
    if not refuse_nul(text, "the note").strip():
        raise Invalid("the note is empty")
    note = m.ClientNote(client_id=client.id, at=rt.now(), author=rt.operator, text=text.strip())
    uow.session.add(note)
    uow.commit()
    return {"at": note.at.isoformat(sep=" "), "author": note.author, "text": note.text}


def notes(uow: UnitOfWork, client: m.Client, limit: int | None = None) -> list[dict[str, Any]]:
    query = (select(m.ClientNote).where(m.ClientNote.client_id == client.id)
             .order_by(m.ClientNote.at.desc(), m.ClientNote.id.desc()))
    if limit:
        query = query.limit(limit)
    return [{"at": n.at.isoformat(sep=" "), "author": n.author, "text": n.text}
            for n in uow.session.scalars(query)]
