"""Checking one `ledger import` line (M3): a pure function of the line, the column map, the
currency and the date, so it runs anywhere (on every core if need be); what needs the
database (the client, references imported before) is settled by the caller in batches.

A line becomes the entry `ledger adjust` (dx, cx) or `pay` (payment: a receipt) would post,
or an opening balance. Amounts go through the one money parser (domain/money.py), dates are
ISO. Kinds: opening, dx, cx, payment and their Spanish names; the kinds a statement exported
by `ledger show` holds read as what they did to the balance: an invoice is a debit (with its
due date), a receipt a payment, a reversal a debit or a credit by its side.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
import re
from typing import NamedTuple

from ispcube.db.ledger_models import IMPORT_REF_LENGTH
from ispcube.db.models import NOTE_LENGTH
from ispcube.domain.dates import parse_date
from ispcube.domain.ledger import EntryKind
from ispcube.domain.local_formats import LocalFormats
from ispcube.domain.money import parse_amount
from ispcube.domain.text import NOT_ONE_LINE, quoted
from ispcube.domain.vocabulary import ledger_kind, payment_method
from ispcube.errors import Invalid
from ispcube.services.imports.columns import ColumnMap, cell_text, check_shape
from ispcube.services.imports.read import has_bad_bytes, shown_bad_bytes

SHOWN_KINDS = "opening, dx, cx or payment (saldo_inicial, debito or ND, credito or NC, pago)"
PAYMENT_METHOD_LENGTH = 30
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class Line(NamedTuple):
    """A valid line: the entry to post. AMOUNT is its effect on the balance (negative lowers it)."""
    line: int
    client: str
    kind: EntryKind            # opening, dx, cx, receipt
    amount: Decimal
    entry_date: date
    due_date: date | None
    reference: str
    description: str | None
    payment_method: str | None


@dataclass(slots=True)
class CheckedLedgerLine:
    """One line of a ledger import after checking: what is wrong with it, or the entry to post."""
    line: int
    problems: list[tuple[str, str, str]]          # column, value, reason
    value: Line | None = None
    client_id: int | None = None                  # set by the caller, once the client is found
    already: bool = False                         # set by the caller: imported before
    existing: None = None                         # a line never changes a stored record

    @property
    def ok(self) -> bool:
        return not self.problems

    def wire(self) -> tuple:
        return self.line, self.problems or None, self.value

    @classmethod
    def from_wire(cls, sent: tuple) -> "CheckedLedgerLine":
        line, problems, value = sent
        return cls(line, problems or [], value)


@dataclass(frozen=True)
class CheckContext:
    columns: ColumnMap
    currency: str
    today: date
    mixed_encoding: bool = False
    local: LocalFormats = LocalFormats()


def _reason(exc: Invalid, field: str, text: str) -> str:
    """The parser's sentence without the field and value it starts with (the message gives them)."""
    message, prefix = str(exc), f"{field} {quoted(text)} "
    return message[len(prefix):] if message.startswith(prefix) else message


def check_line(ctx: CheckContext, line: int, cells: list[str | None]) -> CheckedLedgerLine:
    checked = CheckedLedgerLine(line, [])
    columns = ctx.columns
    problems = checked.problems
    check_shape(problems, columns, cells)
    raw: dict[str, str] = {}
    width = len(cells)
    for index, name in columns.used:
        value = cells[index] if index < width else None
        if value is None:
            continue
        if value[:1] == "'":
            value = cell_text(value) or ""
        if ctx.mixed_encoding and has_bad_bytes(value):
            problems.append((columns.headers[index], shown_bad_bytes(value),
                             "is not valid UTF-8: this line was saved in another encoding than the rest "
                             "of the file (save the whole file as UTF-8)"))
            continue
        if "\x00" in value:
            problems.append((columns.headers[index], value, "holds a NUL byte (\\0)"))
            continue
        value = value.strip()
        if value:
            raw[name] = value

    def column(name: str) -> str:
        return columns.column_of(name) if name in columns.present else name

    def required(name: str, why: str) -> str | None:
        value = raw.get(name)
        if value is None and not any(c == column(name) and r.startswith(("is not valid", "holds a NUL"))
                                     for c, _, r in problems):
            problems.append((column(name), "", f"is required: {why}"))
        return value

    code = required("client", "the code of the client the line belongs to")
    reference = required("reference", "it identifies the line, so that importing it again posts nothing")
    if reference is not None:
        if len(reference) > IMPORT_REF_LENGTH:
            problems.append((column("reference"), reference, f"is longer than {IMPORT_REF_LENGTH} characters"))
        elif _CONTROL.search(reference):
            problems.append((column("reference"), reference,
                             "holds a control character (a tab, a line break...): give one line of text"))
    kind_text = required("kind", f"say {SHOWN_KINDS}")
    kind = ledger_kind(kind_text) if kind_text is not None else None
    if kind_text is not None and kind is None:
        problems.append((column("kind"), kind_text, f"is not a kind of ledger line: say {SHOWN_KINDS}"))
    entry_date = _date(ctx, raw, "date", column, problems, required=True)
    due_date = _date(ctx, raw, "due_date", column, problems, required=False)
    if entry_date is not None and entry_date > ctx.today:
        problems.append((column("date"), raw["date"], "is in the future: a line brings over what already happened"))
    amount = _amount(ctx, raw, kind, column, problems) if kind is not None else None
    if amount is not None and kind == EntryKind.REVERSAL:
        kind = EntryKind.DX if amount > 0 else EntryKind.CX
    description = raw.get("description")
    if description is not None and len(description) > NOTE_LENGTH:
        problems.append((column("description"), description, f"is longer than {NOTE_LENGTH} characters"))
    elif description is not None and _CONTROL.search(description):
        problems.append((column("description"), description, NOT_ONE_LINE))
    written = raw.get("payment_method")
    method = (payment_method(written) or written) if written is not None else None
    if written is not None and kind is not None and kind != EntryKind.RECEIPT:
        problems.append((column("payment_method"), written, "only a payment has a payment method"))
    elif written is not None and (len(written) > PAYMENT_METHOD_LENGTH or _CONTROL.search(written)):
        problems.append((column("payment_method"), written,
                         f"is not a payment method (one line, at most {PAYMENT_METHOD_LENGTH} characters)"))
    if problems:
        return checked
    assert code is not None and kind is not None and amount is not None and entry_date is not None \
        and reference is not None, "every required field was checked above"
    checked.value = Line(line, code, kind, amount, entry_date, due_date, reference, description, method)
    return checked


def _date(ctx: CheckContext, raw: dict[str, str], name: str, column, problems: list, required: bool) -> date | None:
    text = raw.get(name)
    if text is None:
        if required and not any(c == column(name) for c, _, _ in problems):
            problems.append((column(name), "", "is required (YYYY-MM-DD)"))
        return None
    # A spreadsheet may keep a time of day on a date cell: 2026-03-01 00:00:00 is that day.
    if len(text) == 19 and text.endswith(" 00:00:00"):
        text = text[:10]
    try:
        return parse_date(text, field=name, local=ctx.local)
    except Invalid as exc:
        problems.append((column(name), raw[name], _reason(exc, name, raw[name])))
        return None


def _amount(ctx: CheckContext, raw: dict[str, str], kind: EntryKind, column, problems: list) -> Decimal | None:
    """The line's effect on the balance, from `amount`, or `debit`/`credit`, or (an opening
    balance only) the statement's `balance`."""
    debit, credit = raw.get("debit"), raw.get("credit")
    if "amount" in raw:
        name, text, sign = "amount", raw["amount"], 1
    elif debit is not None and credit is not None:
        problems.append((column("credit"), credit, f"the line also has a debit ({debit}): give one of the two"))
        return None
    elif debit is not None:
        name, text, sign = "debit", debit, 1
    elif credit is not None:
        name, text, sign = "credit", credit, -1
    elif kind == EntryKind.OPENING and "balance" in raw:
        name, text, sign = "balance", raw["balance"], 1
    else:
        shown = column("amount") if "amount" in ctx.columns.present else \
            column("debit") if "debit" in ctx.columns.present else column("credit")
        problems.append((shown, "", "is required: the amount of the line"))
        return None
    signed = kind in (EntryKind.OPENING, EntryKind.REVERSAL) and name in ("amount", "balance")
    try:
        value = parse_amount(text, field=name, currency=ctx.currency, allow_negative=signed,
                             allow_zero=kind == EntryKind.OPENING, local=ctx.local)
    except Invalid as exc:
        problems.append((column(name), text, _reason(exc, name, text)))
        return None
    if name == "amount":
        return -value if kind in (EntryKind.CX, EntryKind.RECEIPT) else value
    value = sign * value
    if (kind == EntryKind.DX and value < 0) or (kind in (EntryKind.CX, EntryKind.RECEIPT) and value > 0):
        what = {EntryKind.DX: "a debit (DX, invoice) raises the balance",
                EntryKind.CX: "a credit (CX) lowers the balance",
                EntryKind.RECEIPT: "a payment lowers the balance"}[kind]
        problems.append((column(name), text, f"is on the wrong side: {what}"))
        return None
    return value


_WORKER: dict[str, CheckContext] = {}


def start_worker(ctx: CheckContext) -> None:
    _WORKER["context"] = ctx


def check_chunk(chunk: list[tuple[int, list[str | None]]]) -> list[tuple]:
    """check_line over a chunk, in a worker process set up by start_worker (see CheckedLedgerLine.wire)."""
    ctx = _WORKER["context"]
    return [check_line(ctx, line, cells).wire() for line, cells in chunk]
