"""The client log (who, when, what) and management notes (C6)."""

import re
from typing import Any

from sqlalchemy import select

from ispcube.db import models as m
from ispcube.db.uow import UnitOfWork
from ispcube.domain.text import refuse_nul
from ispcube.errors import Invalid

_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")   # all but tab, line feed, CR


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
    if _CONTROL.search(text):
        raise Invalid("the note holds a control character other than a line break or a tab")
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
