"""Client lifecycle (C2, C4, C5, C7): add, edit, delete, recode, restore, tickets."""

from datetime import date
from decimal import Decimal
import re
from typing import Any, Protocol

from sqlalchemy import func, or_, select, update

from ispcube.db import models as m
from ispcube.db.limits import check_values
from ispcube.db.uow import UnitOfWork
from ispcube.domain.codes import format_code
from ispcube.domain.text import fold, normalise_address, quoted
from ispcube.errors import Duplicate, Invalid, NotFound, Refused
from ispcube.services.admin import config
from ispcube.services.admin.provision_queue import queue_for_client
from ispcube.services.clients import log as events
from ispcube.services.clients.fields import FieldError, Refs, parse_fields
from ispcube.services.clients.views import client_dict, view_select
from ispcube.services.process.runtime import Actor, Runtime

_NOT_PHONE_DIGIT = re.compile(r"[^\d;]")


class Searched(Protocol):
    """What a client's search text and address key are made of: a stored client, or the values
    of an import row (imports/clients/check.py)."""
    @property
    def code(self) -> str | None: ...
    @property
    def previous_code(self) -> str | None: ...
    @property
    def name(self) -> str | None: ...
    @property
    def nickname(self) -> str | None: ...
    @property
    def fiscal_address(self) -> str | None: ...
    @property
    def address(self) -> str | None: ...
    @property
    def id_number(self) -> str | None: ...
    @property
    def id_key(self) -> str | None: ...
    @property
    def phones(self) -> str: ...
    @property
    def emails(self) -> str: ...


class Matched(Protocol):
    """What a duplicate is described by: a stored client, or the row an import reads of one."""
    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def id_key(self) -> str | None: ...
    @property
    def deleted(self) -> bool: ...
    @property
    def previous_code(self) -> str | None: ...
    @property
    def balance(self) -> Decimal: ...
    @property
    def collector_id(self) -> int | None: ...


def load_refs(uow: UnitOfWork, today: date | None = None) -> Refs:
    """What client fields refer to; TODAY: the day dates such as a mandate's may not pass."""
    return Refs.load(uow.session, config.get_value(uow.session, "country"), config.local_formats(uow.session),
                     today)


def raise_first(errors: list[FieldError]) -> None:
    if errors:
        raise Invalid("; ".join(e.sentence() for e in errors))


def search_text(client: Searched) -> str:
    digits = _NOT_PHONE_DIGIT.sub("", client.phones).replace(";", " ")
    parts = (client.code, client.previous_code, client.name, client.nickname, client.fiscal_address,
             client.address, client.id_number, client.id_key, client.phones, digits, client.emails)
    return fold(" ".join(filter(None, parts)))


def address_key(client: Searched, postal_code: str | None) -> str:
    street = normalise_address(client.address or client.fiscal_address)
    return f"{street}|{postal_code or ''}" if street else ""


def find_client(uow: UnitOfWork, code: str, actor: Actor | None = None) -> m.Client:
    query = select(m.Client).where(m.Client.code == code.strip())
    if actor is not None and actor.collector_id is not None:
        query = query.where(m.Client.collector_id == actor.collector_id)
    client = uow.session.scalar(query)
    if client is None:
        raise NotFound(f"client {quoted(code)} does not exist")
    return client


def show_client(uow: UnitOfWork, code: str, actor: Actor) -> dict[str, Any]:
    client = find_client(uow, code, actor)
    return client_dict(uow.session.execute(view_select().where(m.Client.id == client.id)).one())


def next_code(uow: UnitOfWork) -> str:
    code_format = config.get_value(uow.session, "client.code_format")
    while True:
        sequence = uow.session.get(m.Sequence, "client_code")
        if sequence is None:
            sequence = m.Sequence(name="client_code", value=0)
            uow.session.add(sequence)
        sequence.value += 1
        code = format_code(code_format, sequence.value)
        if uow.session.scalar(select(m.Client.id).where(m.Client.code == code)) is None:
            return code


def duplicates_of(uow: UnitOfWork, id_key: str | None, addr_key: str,
                  exclude_id: int | None = None, actor: Actor | None = None) -> list[str]:
    """Clients (deleted ones included) sharing the ID number or the service address; for a
    collector, the matches outside its own clients are told apart without naming them (R11)."""
    conditions = []
    if id_key:
        conditions.append(m.Client.id_key == id_key)
    if addr_key:
        conditions.append(m.Client.address_key == addr_key)
    if not conditions:
        return []
    query = select(m.Client).where(or_(*conditions)).order_by(m.Client.code).limit(10)
    if exclude_id is not None:
        query = query.where(m.Client.id != exclude_id)
    return [describe_match(c, id_key, actor) for c in uow.session.scalars(query)]


def describe_match(client: Matched, id_key: str | None, actor: Actor | None = None) -> str:
    what = "same ID number" if id_key and client.id_key == id_key else "same service address"
    if not _in_scope(client, actor):
        owing = client.deleted and client.balance > 0
        return (f"a client of another collector ({what})"
                + (", a deleted client still owing money: possible fraud" if owing else ""))
    text = f"{client.code} {client.name} ({what})"
    if client.deleted:
        text += f", a deleted client (was {client.previous_code})"
        if client.balance > 0:
            text += f" owing {client.balance:.2f}: possible fraud"
    return text


def _postal_code(uow: UnitOfWork, postal_code_id: int | None) -> str | None:
    return uow.session.get_one(m.PostalCode, postal_code_id).code if postal_code_id else None


def _refresh_derived(uow: UnitOfWork, client: m.Client) -> None:
    client.address_key = address_key(client, _postal_code(uow, client.postal_code_id))
    client.search_text = search_text(client)


_UNIQUE_KEYS = ((m.Client.epayment_code, "electronic payment code"), (m.Client.mandate_ref, "mandate reference"))


def _in_scope(client: Matched, actor: Actor | None) -> bool:
    return actor is None or actor.collector_id is None or client.collector_id == actor.collector_id


def _check_unique_keys(uow: UnitOfWork, client: m.Client, actor: Actor | None = None) -> None:
    """The electronic payment code and the SEPA mandate reference name one client each."""
    for column, what in _UNIQUE_KEYS:
        value = getattr(client, column.key)
        if not value:
            continue
        with uow.session.no_autoflush:    # the client's own pending change would hit the unique index first
            other = uow.session.scalars(select(m.Client).where(column == value, m.Client.id != client.id)).first()
        if other is not None:
            holder = f"client {other.code}" if _in_scope(other, actor) else "a client of another collector"
            raise Refused(f"{what} {quoted(value)} already belongs to {holder}")


def keep_in_scope(actor: Actor, values: dict[str, Any], *, new: bool) -> None:
    """A collector's clients stay its own (A3): a client it adds is assigned to it, and it may
    not hand one to another collector, since it could no longer see, show or collect it."""
    if actor.collector_id is None:
        return
    if new:
        values.setdefault("collector_id", actor.collector_id)
    if values.get("collector_id", actor.collector_id) != actor.collector_id:
        raise Refused(f"operator '{actor.name}' is a collector: its clients stay assigned to it "
                      "(ask an operator to assign them to another collector)")


def add_client(rt: Runtime, raw: dict[str, Any], *, allow_duplicate: bool = False) -> dict[str, Any]:
    """Add a client. One added by a collector is assigned to that collector, so the collector
    sees and collects it like its other clients; naming another collector is refused before
    anything is written."""
    with rt.uow() as uow:
        actor = rt.actor(uow)
        values, errors = parse_fields(raw, load_refs(uow, rt.today()))
        if not raw.get("name"):
            errors.insert(0, FieldError("name", "", "is required"))
        raise_first(errors)
        keep_in_scope(actor, values, new=True)
        if "code" in values and uow.session.scalar(select(m.Client.id).where(m.Client.code == values["code"])):
            raise Refused(f"client code '{values['code']}' is already in use")
        client = m.Client(**{"code": values.pop("code", None) or next_code(uow), **values})
        client.signup_date = client.signup_date or rt.today()
        _defaults(client)
        _refresh_derived(uow, client)
        _check_unique_keys(uow, client, actor)
        matches = duplicates_of(uow, client.id_key, client.address_key, actor=actor)
        if matches and not allow_duplicate:
            raise Duplicate(f"client '{client.name}' looks like a duplicate of " + "; ".join(matches)
                            + " (use --allow-duplicate to add it anyway)")
        uow.session.add(client)
        uow.flush()
        events.log(uow, rt, client, "client.add", f"client {client.code} added")
        if matches:
            events.log(uow, rt, client, "client.duplicate-override",
                       "duplicate check overridden: " + "; ".join(matches))
        uow.commit()
        return show_client(uow, client.code, actor)


def _defaults(client: m.Client) -> None:
    for name, value in (("phones", ""), ("emails", ""), ("contract", False), ("free", False),
                        ("blockable", True), ("preaviso", True), ("tickets_blocked", False),
                        ("deleted", False), ("service", "active")):
        if getattr(client, name) is None:
            setattr(client, name, value)
    if client.balance is None:
        client.balance = Decimal("0")


def edit_client(rt: Runtime, code: str, raw: dict[str, Any], *, allow_duplicate: bool = False) -> dict[str, Any]:
    with rt.uow() as uow:
        actor = rt.actor(uow)
        client = find_client(uow, code, actor)
        raw = {k: v for k, v in raw.items() if v is not None}
        if not raw:
            raise Invalid("nothing to change: give at least one field flag")
        if "code" in raw:
            raise Invalid("use `ispcube client recode` to change a client's code")
        if "id_number" in raw or "id_type" in raw:
            raw.setdefault("id_type", client.id_type or "")
            raw.setdefault("id_number", client.id_number or "")
        values, errors = parse_fields(raw, load_refs(uow, rt.today()))
        raise_first(errors)
        keep_in_scope(actor, values, new=False)
        before = {name: getattr(client, name) for name in values}
        keys_before = (client.id_key, client.address_key)
        for name, value in values.items():
            setattr(client, name, value)
        if "lat" in values or "lng" in values:
            client.coords_source = "hand"  # geocoding never overwrites these without --force
        _refresh_derived(uow, client)
        _check_unique_keys(uow, client, actor)
        matches = _changed_key_matches(uow, client, keys_before, actor)
        if matches and not allow_duplicate:
            raise Duplicate(f"client {client.code} '{client.name}' looks like a duplicate of "
                            + "; ".join(matches) + " (use --allow-duplicate to change it anyway)")
        changed = [f"{name} {_shown(before[name])} -> {_shown(value)}"
                   for name, value in values.items() if before[name] != value and name != "id_key"]
        if changed:
            events.log(uow, rt, client, "client.edit", "; ".join(changed))
        if matches:
            events.log(uow, rt, client, "client.duplicate-override",
                       "duplicate check overridden: " + "; ".join(matches))
        uow.commit()
        return show_client(uow, client.code, rt.actor(uow))


def _changed_key_matches(uow: UnitOfWork, client: m.Client, keys_before: tuple[str | None, str],
                         actor: Actor) -> list[str]:
    """The duplicate check (C4) on the ID number or service address an edit brings: a key
    left as it was is not checked again, and a client never matches itself."""
    id_before, address_before = keys_before
    id_key = client.id_key if client.id_key and client.id_key != id_before else None
    address = client.address_key if client.address_key and client.address_key != address_before else ""
    return duplicates_of(uow, id_key, address, exclude_id=client.id, actor=actor)


def _shown(value: Any) -> str:
    return "(empty)" if value in (None, "") else str(value)


def delete_clients(rt: Runtime, codes: list[str]) -> list[tuple[str, str]]:
    """Soft delete: the code becomes a unique ZZ code; everything else is kept."""
    with rt.uow() as uow:
        actor = rt.actor(uow)
        clients = [find_client(uow, code, actor) for code in codes]
        done = []
        for client in clients:
            if client.deleted:
                raise Refused(f"client {client.code} is already deleted")
            old = client.code
            client.previous_code, client.code, client.deleted = old, f"ZZ{client.id:08d}", True
            _refresh_derived(uow, client)
            events.log(uow, rt, client, "client.delete", f"client {old} deleted, now {client.code}")
            queue_for_client(uow, rt, client.id, leaving=True)    # S2: its objects leave the routers
            done.append((old, client.code))
        uow.commit()
        return done


def recode_client(rt: Runtime, old: str, new: str) -> str:
    with rt.uow() as uow:
        client = find_client(uow, old, rt.actor(uow))
        values, errors = parse_fields({"code": new}, load_refs(uow))
        raise_first(errors)
        kind = "client.restore" if client.deleted else "client.recode"
        client.deleted = False
        moved = _move_code(uow, rt, client, values["code"], kind)
        if moved or kind == "client.restore":
            # S2: restored, its objects are made again; recoded, they carry the new code.
            queue_for_client(uow, rt, client.id, leaving=False)
        uow.commit()
        return client.code


def restore_client(rt: Runtime, zz_code: str, new_code: str | None = None) -> str:
    with rt.uow() as uow:
        client = find_client(uow, zz_code, rt.actor(uow))
        if not client.deleted:
            raise Refused(f"client {client.code} is not deleted")
        target = new_code or client.previous_code
        values, errors = parse_fields({"code": target}, load_refs(uow))
        raise_first(errors)
        client.deleted = False
        _move_code(uow, rt, client, values["code"], "client.restore")
        queue_for_client(uow, rt, client.id, leaving=False)    # S2: its objects are made again
        uow.commit()
        return client.code


def _move_code(uow: UnitOfWork, rt: Runtime, client: m.Client, new: str, kind: str) -> bool:
    """Give CLIENT the code NEW; whether its code changed."""
    holder = uow.session.scalar(select(m.Client.code).where(m.Client.code == new, m.Client.id != client.id))
    if holder:
        raise Refused(f"client code '{new}' is already in use"
                      + (" (restore with --code NEW)" if kind == "client.restore" else ""))
    old = client.code
    if old != new:
        client.previous_code, client.code = old, new
    _refresh_derived(uow, client)
    events.log(uow, rt, client, kind, f"code {old} -> {new}")
    return old != new


def set_tickets(rt: Runtime, codes: list[str], blocked: bool, message: str | None) -> int:
    message = (message or "").strip()
    if blocked and not message:
        raise Invalid("--message is required: it is what the client sees when a ticket is refused")
    if blocked:
        check_values("clients", {"tickets_message": message})
    with rt.uow() as uow:
        actor = rt.actor(uow)
        clients = [find_client(uow, code, actor) for code in codes]
        ids = [c.id for c in clients]
        uow.session.execute(update(m.Client).where(m.Client.id.in_(ids)).values(
            tickets_blocked=blocked, tickets_message=message if blocked else None))
        text = f"tickets blocked: {message}" if blocked else "tickets enabled"
        for client in clients:
            events.log(uow, rt, client, "tickets.block" if blocked else "tickets.enable", text)
        uow.commit()
        return len(ids)


def count_clients(uow: UnitOfWork) -> int:
    return uow.session.scalars(select(func.count(m.Client.id)).where(m.Client.deleted.is_(False))).one()
