"""Checking one import row (C9): the same parser as `client add`, plus the row's own shape.

Pure functions of the row and the lookup tables, so large imports run them on every core
(see process/pool.py); what needs the database (duplicates, existing codes) is checked by
the caller in batches.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from operator import itemgetter
from typing import Any, Union

from ispcube.db.bulk_insert import bind_processors, copy_line, dialect_named
from ispcube.db.models import NOTE_LENGTH, Client
from ispcube.domain.vocabulary import service_state
from ispcube.services.clients.fields import Refs, parse_fields
from ispcube.services.clients.lifecycle import address_key, search_text
from ispcube.services.imports.clients.columns import JOINED, NOTES, SERVICE
from ispcube.services.imports.columns import ColumnMap, cell_text, check_shape
from ispcube.services.imports.read import has_bad_bytes, shown_bad_bytes

SWITCHES = ("contract", "free", "blockable", "preaviso")
# Every column an import may set, with the value a new client gets when the file is silent.
NEW_CLIENT: dict[str, Any] = {
    "code": None, "name": None, "nickname": None, "fiscal_address": None, "address": None,
    "client_type": None, "id_type": None, "id_number": None, "id_key": None, "company_id": None,
    "street1": None, "street2": None, "postal_code_id": None, "lat": None, "lng": None,
    "signup_date": None, "extra1": None, "extra2": None, "phones": "", "emails": "",
    "contact": None, "epayment_code": None, "status_id": None, "payment_method": None,
    "collector_id": None, "seller_id": None, "plan_id": None, "node_id": None,
    "contract": False, "contract_type": None, "contract_expiry": None, "free": False,
    "blockable": True, "preaviso": True, "preaviso_from": None, "preaviso_to": None,
    "activity": None, "vat_condition": 5, "iban": None, "bic": None, "account_holder": None, "mandate_ref": None,
    "mandate_date": None, "cbu": None, "tickets_blocked": False, "balance": Decimal("0"), "service": "active",
    "service_by": None, "deleted": False, "previous_code": None, "address_key": "", "search_text": "",
}
SETTABLE = tuple(name for name in NEW_CLIENT if name not in
                 ("tickets_blocked", "balance", "service", "service_by", "deleted", "previous_code",
                  "address_key", "search_text"))


@dataclass(frozen=True, slots=True)
class _Searched:
    """What search_text and address_key read of a client (see clients.lifecycle.Searched)."""
    code: str | None
    previous_code: str | None
    name: str | None
    nickname: str | None
    fiscal_address: str | None
    address: str | None
    id_number: str | None
    id_key: str | None
    phones: str
    emails: str
    postal_code_id: int | None


# Each field of _Searched as a new client has it, and the picker of their values in order.
_SEARCHED = {name: NEW_CLIENT[name] for name in _Searched.__dataclass_fields__}
_PICK_SEARCHED = itemgetter(*_SEARCHED)


def _searched(values: dict[str, Any]) -> _Searched:
    """The client VALUES describe, each field VALUES lacks as a new client has it."""
    return _Searched(*_PICK_SEARCHED({**_SEARCHED, **values}))


@dataclass
class CheckContext:
    refs: Refs
    columns: ColumnMap
    today: date
    dialect: str                   # e.g. sqlite+pysqlite: insert rows are built for its driver
    mixed_encoding: bool = False
    postal_names: dict[int, str] = field(init=False)

    def __post_init__(self) -> None:
        self.postal_names = {id_: code for code, id_ in self.refs.postal_codes.items()}

    @property
    def copy_rows(self) -> bool:
        """New rows go to PostgreSQL as COPY text (see bulk_insert.copy_line)."""
        return self.dialect.startswith("postgresql")


Problem = tuple[str, str, str]          # column, value, reason
InsertRow = tuple[Any, ...] | str       # see insert_row()
KEYS = ("code", "epayment_code", "id_key", "address_key", "id_number", "address", "fiscal_address",
        "mandate_ref")
KEY_AT = {name: index for index, name in enumerate(KEYS)}
CODE, _EPAYMENT, ID_KEY, ADDRESS_KEY = range(4)
Keys = tuple[Any, ...]                  # a valid row's values of KEYS, for the duplicate checks


# One row after checking, by kind: refused by the row check (RefusedClientRow); a new client
# with its code (NewClientRow); a new client the import gives a code (UncodedClientRow, a
# NewClientRow once coded); a change to a stored client (ClientUpdateRow). Checks against the
# base and the file (imports/clients/run.py) may still add problems to the last three; the
# engine reads every kind's `line`, `problems`, `ok` and `existing`. Workers send plain tuples
# (`wire`, `received`): pickling objects costs more than checking a row.

@dataclass(slots=True)
class RefusedClientRow:
    """A row the row check refused: its problems are all it carries."""
    line: int
    problems: list[Problem]
    existing: None = None

    @property
    def ok(self) -> bool:
        return False


@dataclass(slots=True, kw_only=True)
class _ValidRow:
    line: int
    keys: Keys
    note: str | None                                          # the notes column: a management note to add
    problems: list[Problem] = field(default_factory=list)     # from the checks against the base and the file
    duplicates: list[str] = field(default_factory=list)       # matches allowed by --allow-duplicate

    @property
    def ok(self) -> bool:
        return not self.problems

    def key(self, name: str) -> Any:
        return self.keys[KEY_AT[name]]


@dataclass(slots=True, kw_only=True)
class NewClientRow(_ValidRow):
    """A new client whose code is known: its finished insert row."""
    code: str
    insert_row: InsertRow
    existing: None = None


@dataclass(slots=True, kw_only=True)
class UncodedClientRow(_ValidRow):
    """A new client without a code in the file: its values, until the import gives it one."""
    values: dict[str, Any]
    existing: None = None

    def coded(self, code: str, processors: list[tuple[int, Any]], copy: bool) -> NewClientRow:
        values = {**self.values, "code": code}
        values["search_text"] = search_text(_searched(values))
        return NewClientRow(line=self.line, keys=self.keys, note=self.note, problems=self.problems,
                      duplicates=self.duplicates, code=code, insert_row=insert_row(values, processors, copy))


@dataclass(slots=True, kw_only=True)
class ClientUpdateRow(_ValidRow):
    """A change to a stored client (--update): the values the file gives."""
    values: dict[str, Any]
    existing: dict[str, Any]          # the stored client (the caller's: workers never send it back)


ValidClientRow = Union[NewClientRow, UncodedClientRow, ClientUpdateRow]
ClientRow = Union[RefusedClientRow, ValidClientRow]
# (line, problems, keys, insert row or values, note): a row as a worker sends it back
Wire = tuple[int, list[Problem] | None, Keys | None, InsertRow | dict[str, Any] | None, str | None]


def wire(row: ClientRow) -> Wire:
    if isinstance(row, RefusedClientRow):
        return row.line, row.problems, None, None, None
    payload = row.insert_row if isinstance(row, NewClientRow) else row.values
    return row.line, None, row.keys, payload, row.note


def received(sent: Wire, existing: dict[str, Any] | None) -> ClientRow:
    """The row a worker sent back; EXISTING: the stored client it was checked against (--update)."""
    line, problems, keys, payload, note = sent
    if problems or keys is None or payload is None:
        return RefusedClientRow(line, problems or [])
    if isinstance(payload, dict):
        if existing is not None:
            return ClientUpdateRow(line=line, keys=keys, note=note, values=payload, existing=existing)
        return UncodedClientRow(line=line, keys=keys, note=note, values=payload)
    return NewClientRow(line=line, keys=keys, note=note, code=keys[CODE], insert_row=payload)


# Fields that name one client each (besides the code): checked within the file and the base.
UNIQUE = {"epayment_code": "electronic payment code", "mandate_ref": "mandate reference"}
INSERT_COLUMNS = tuple(NEW_CLIENT)
_DEFAULTS = tuple(NEW_CLIENT.values())
CODE_AT = INSERT_COLUMNS.index("code")


def insert_row(values: dict[str, Any], processors: list[tuple[int, Any]], copy: bool) -> InsertRow:
    """The row in INSERT_COLUMNS order, each value as the database driver takes it; COPY:
    as a line of PostgreSQL's COPY text."""
    row = list(map(values.get, INSERT_COLUMNS, _DEFAULTS))
    for index, process in processors:
        row[index] = process(row[index])
    return copy_line(row) if copy else tuple(row)


def check_row(ctx: CheckContext, line: int, cells: list[str | None],
              existing: dict[str, Any] | None, processors: list[tuple[int, Any]], copy: bool = False) -> ClientRow:
    """Validate one row; EXISTING holds the stored client when the row updates it (--update)."""
    problems: list[Problem] = []
    columns = ctx.columns
    check_shape(problems, columns, cells)
    raw: dict[str, Any] = {}
    unreadable = set()
    width = len(cells)
    for index, name in columns.used:
        value = cells[index] if index < width else None
        if value and value[0] == "'":
            value = cell_text(value)
        if ctx.mixed_encoding and value is not None and has_bad_bytes(value):
            problems.append((columns.headers[index], shown_bad_bytes(value),
                                     "is not valid UTF-8: this row was saved in another encoding "
                                     "than the rest of the file (save the whole file as UTF-8)"))
            unreadable.add(name)
            continue
        if value is not None and "\x00" in value:
            problems.append((columns.headers[index], value, "holds a NUL byte (\\0)"))
            unreadable.add(name)
            continue
        if value is None or not value.strip():
            if existing is None or name in SWITCHES or name == "code":
                continue
            value = ""
        if name in raw and name in JOINED:
            value = ";".join(part for part in (raw[name], value) if part.strip())
        raw[name] = value
    note = _note(problems, columns, raw.pop(NOTES, None))
    service = _service(problems, columns, raw.pop(SERVICE, None), existing)
    if existing is not None and ("id_number" in raw or "id_type" in raw):
        raw.setdefault("id_type", existing["id_type"] or "")
        raw.setdefault("id_number", existing["id_number"] or "")
    values, errors = parse_fields(raw, ctx.refs)
    if existing is None and not raw.get("name") and "name" not in unreadable:
        problems.append((_column(columns, "name"), raw.get("name") or "", "is required"))
    for error in errors:
        problems.append((_column(columns, error.field), error.value, error.reason))
    if problems:
        return RefusedClientRow(line, problems)
    values = _with_derived(ctx, values, existing)
    if service is not None:
        values.update(service)
    get = values.get
    keys = (get("code"), get("epayment_code"), get("id_key"), get("address_key"), get("id_number"),
            get("address"), get("fiscal_address"), get("mandate_ref"))
    if existing is not None:
        return ClientUpdateRow(line=line, keys=keys, note=note, values=values, existing=existing)
    if values.get("code"):
        return NewClientRow(line=line, keys=keys, note=note, code=values["code"],
                      insert_row=insert_row(values, processors, copy))
    return UncodedClientRow(line=line, keys=keys, note=note, values=values)


def _service(problems: list[Problem], columns: ColumnMap, text: str | None,
             existing: dict[str, Any] | None) -> dict[str, Any] | None:
    """U5: the state the old system left a new client in. A cut or throttled client is the
    job's from now on (enforce restores it once paid); Baja imports it deleted (never billed)."""
    if text is None or not text.strip():
        return None
    state = service_state(text)
    if state is None:
        problems.append((columns.column_of(SERVICE), text, "is not active, throttled, cut or deleted "
                                 "(or activo, reducido, limitado, cortado, suspendido, baja)"))
        return None
    if existing is not None:
        return None       # set on new clients only, as `export clients` writes it for reading back
    if state == "deleted":
        return {"deleted": True}
    return {"service": state, "service_by": "job" if state != "active" else None}


def _note(problems: list[Problem], columns: ColumnMap, text: str | None) -> str | None:
    note = text.strip() if text and text.strip() else None
    if note is not None and len(note) > NOTE_LENGTH:
        problems.append((columns.column_of(NOTES), note[:40] + "...",
                                 f"is longer than {NOTE_LENGTH} characters"))
        return None
    return note


def _column(columns: ColumnMap, name: str) -> str:
    return columns.column_of(name) if name in columns.present else name


def _with_derived(ctx: CheckContext, values: dict[str, Any],
                  existing: dict[str, Any] | None) -> dict[str, Any]:
    """The row's values plus search_text/address_key/id_key, computed as clients/lifecycle.py does."""
    if existing is not None:
        values.pop("code", None)
        if "id_number" not in values:
            values.pop("id_key", None)
        client = _searched({**existing, **values})
    else:
        if values.get("signup_date") is None:
            values["signup_date"] = ctx.today
        client = _searched(values)
    postal_code = ctx.postal_names.get(client.postal_code_id) if client.postal_code_id is not None else None
    values["address_key"] = address_key(client, postal_code)
    if client.code:
        values["search_text"] = search_text(client)
    return values


_WORKER: dict[str, Any] = {}


def start_worker(ctx: CheckContext) -> None:
    _WORKER["context"] = ctx
    _WORKER["processors"] = bind_processors(dialect_named(ctx.dialect), Client.__table__, INSERT_COLUMNS)
    _WORKER["copy"] = ctx.copy_rows


def check_chunk(chunk: list[tuple[int, list[str | None], dict[str, Any] | None]]) -> list[Wire]:
    """check_row over a chunk, in a worker process set up by start_worker (see `wire`)."""
    ctx, processors, copy = _WORKER["context"], _WORKER["processors"], _WORKER["copy"]
    return [wire(check_row(ctx, line, cells, existing, processors, copy)) for line, cells, existing in chunk]
