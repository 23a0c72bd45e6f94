"""Checking one import row (C9): the same parser as `client add`, plus the row's own shape.

Pure functions of the row and the lookup tables, so large imports run them on every core
(see process/pool.py); what needs the database (duplicates, existing codes) is checked by
the caller in batches.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

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
NEW_CLIENT = {
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
# What search_text and address_key read of a new client, as a new client has it.
_SEARCHED = {name: NEW_CLIENT[name] for name in ("code", "previous_code", "name", "nickname", "fiscal_address",
                                                 "address", "id_number", "id_key", "phones", "emails",
                                                 "postal_code_id")}


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


@dataclass(slots=True)
class CheckedClientRow:
    """One row after checking: what is wrong with it, or what to write.

    New rows with a code come back from the workers as their finished insert row plus the
    keys the duplicate checks need; updates and rows still needing a code carry their values.
    Workers send plain tuples (see `wire`): pickling objects costs more than checking a row.
    """
    line: int
    problems: list[tuple[str, str, str]]          # column, value, reason
    values: dict[str, Any] | None = None
    keys: tuple | None = None                     # see KEYS
    insert_row: tuple | str | None = None         # see insert_row()
    existing: dict[str, Any] | None = None        # set by the caller, never sent to workers
    duplicates: list[str] | None = None           # matches allowed by --allow-duplicate
    note: str | None = None                       # the notes column: a management note to add

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def code(self) -> str | None:
        """The client code of a new row: from the file, or given by the import (`values`)."""
        return self.keys[CODE] or (self.values or {}).get("code")

    def key(self, name: str) -> Any:
        return self.keys[KEY_AT[name]]

    def wire(self) -> tuple:
        return self.line, self.problems or None, self.values, self.keys, self.insert_row, self.note

    @classmethod
    def from_wire(cls, sent: tuple) -> "CheckedClientRow":
        line, problems, values, keys, row, note = sent
        return cls(line, problems or [], values, keys, row, note=note)


KEYS = ("code", "epayment_code", "id_key", "address_key", "id_number", "address", "fiscal_address",
        "mandate_ref")
KEY_AT = {name: index for index, name in enumerate(KEYS)}
CODE, _EPAYMENT, ID_KEY, ADDRESS_KEY = range(4)
# Fields that name one client each (besides the code): checked within the file and the base.
UNIQUE = {"epayment_code": "electronic payment code", "mandate_ref": "mandate reference"}
INSERT_COLUMNS = tuple(NEW_CLIENT)
_DEFAULTS = tuple(NEW_CLIENT.values())
CODE_AT = INSERT_COLUMNS.index("code")


def insert_row(values: dict[str, Any], processors: list[tuple[int, Any]], copy: bool) -> tuple | str:
    """The row in INSERT_COLUMNS order, each value as the database driver takes it; COPY:
    as a line of PostgreSQL's COPY text."""
    row = list(map(values.get, INSERT_COLUMNS, _DEFAULTS))
    for index, process in processors:
        row[index] = process(row[index])
    return copy_line(row) if copy else tuple(row)


def check_row(ctx: CheckContext, line: int, cells: list[str | None], existing: dict[str, Any] | None,
              processors: list[tuple[int, Any]], copy: bool = False) -> CheckedClientRow:
    """Validate one row; EXISTING holds the stored client when the row updates it (--update)."""
    checked = CheckedClientRow(line, [])
    columns = ctx.columns
    check_shape(checked.problems, columns, cells)
    raw: dict[str, Any] = {}
    unreadable = set()
    width = len(cells)
    for index, name in columns.used:
        value = cells[index] if index < width else None
        if value and value[0] == "'":
            value = cell_text(value)
        if ctx.mixed_encoding and value is not None and has_bad_bytes(value):
            checked.problems.append((columns.headers[index], shown_bad_bytes(value),
                                     "is not valid UTF-8: this row was saved in another encoding "
                                     "than the rest of the file (save the whole file as UTF-8)"))
            unreadable.add(name)
            continue
        if value is not None and "\x00" in value:
            checked.problems.append((columns.headers[index], value, "holds a NUL byte (\\0)"))
            unreadable.add(name)
            continue
        if value is None or not value.strip():
            if existing is None or name in SWITCHES or name == "code":
                continue
            value = ""
        if name in raw and name in JOINED:
            value = ";".join(part for part in (raw[name], value) if part.strip())
        raw[name] = value
    checked.note = _note(checked, columns, raw.pop(NOTES, None))
    service = _service(checked, columns, raw.pop(SERVICE, None), existing)
    if existing is not None and ("id_number" in raw or "id_type" in raw):
        raw.setdefault("id_type", existing["id_type"] or "")
        raw.setdefault("id_number", existing["id_number"] or "")
    values, errors = parse_fields(raw, ctx.refs)
    if existing is None and not raw.get("name") and "name" not in unreadable:
        checked.problems.append((_column(columns, "name"), raw.get("name") or "", "is required"))
    for error in errors:
        checked.problems.append((_column(columns, error.field), error.value, error.reason))
    if not checked.ok:
        return checked
    values = _with_derived(ctx, values, existing)
    if service is not None:
        values.update(service)
    get = values.get
    checked.keys = (get("code"), get("epayment_code"), get("id_key"), get("address_key"), get("id_number"),
                    get("address"), get("fiscal_address"), get("mandate_ref"))
    if existing is None and values.get("code"):
        checked.insert_row = insert_row(values, processors, copy)
    else:
        checked.values = values
    return checked


def _service(checked: CheckedClientRow, columns: ColumnMap, text: str | None,
             existing: dict[str, Any] | None) -> dict[str, Any] | None:
    """U5: the state the old system left a new client in. A cut or throttled client is the
    job's from now on (enforce restores it once paid); Baja imports it deleted (never billed)."""
    if text is None or not text.strip():
        return None
    state = service_state(text)
    if state is None:
        checked.problems.append((columns.column_of(SERVICE), text, "is not active, throttled, cut or deleted "
                                 "(or activo, reducido, limitado, cortado, suspendido, baja)"))
        return None
    if existing is not None:
        return None       # set on new clients only, as `export clients` writes it for reading back
    if state == "deleted":
        return {"deleted": True}
    return {"service": state, "service_by": "job" if state != "active" else None}


def _note(checked: CheckedClientRow, columns: ColumnMap, text: str | None) -> str | None:
    note = text.strip() if text and text.strip() else None
    if note is not None and len(note) > NOTE_LENGTH:
        checked.problems.append((columns.column_of(NOTES), note[:40] + "...",
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
        client = SimpleNamespace(**{**NEW_CLIENT, **existing, **values})
    else:
        if values.get("signup_date") is None:
            values["signup_date"] = ctx.today
        client = SimpleNamespace(**{**_SEARCHED, **values})
    values["address_key"] = address_key(client, ctx.postal_names.get(client.postal_code_id))
    if client.code:
        values["search_text"] = search_text(client)
    return values


def finish_search_text(values: dict[str, Any]) -> None:
    """search_text for a new row whose code was generated after checking."""
    values["search_text"] = search_text(SimpleNamespace(**{**NEW_CLIENT, **values}))


_WORKER: dict[str, Any] = {}


def start_worker(ctx: CheckContext) -> None:
    _WORKER["context"] = ctx
    _WORKER["processors"] = bind_processors(dialect_named(ctx.dialect), Client.__table__, INSERT_COLUMNS)
    _WORKER["copy"] = ctx.copy_rows


def check_chunk(chunk: list[tuple[int, list[str | None], dict[str, Any] | None]]) -> list[tuple]:
    """check_row over a chunk, in a worker process set up by start_worker (see CheckedClientRow.wire)."""
    ctx, processors, copy = _WORKER["context"], _WORKER["processors"], _WORKER["copy"]
    return [check_row(ctx, line, cells, existing, processors, copy).wire() for line, cells, existing in chunk]
