"""Payment files as tables (CSV in any delimiter and encoding `client import` reads, or XLSX), from
banks' exports and gateways (CobroDigital, WebPay, Mercado Pago...): a kind of the import engine
(imports/engine.py, M1), which reads the file, checks its rows in chunks and counts them.

Columns (case, accents and punctuation do not matter; Spanish aliases too): `date`, `amount`,
`reference` (the payment's unique id at the bank or gateway: its key, R15), one or more of
`client` / `epayment_code` / `iban` / `cbu` to find the client by, and optionally
`description` and `payment_method`. A payment's key is its source (the gateway or bank that
sent the file: a `source` column, or `--source NAME` for a file without one) and its
reference, so reference 1001 from two gateways is two payments; other columns (a gateway's status, its fee...) are named
as ignored. A negative amount is a debit and is listed, not posted. A row with a bad value is
reported as `line N, column X: value 'V': reason`, and refuses the file unless --skip-invalid.

Each row is checked by a pure function (on every core for a large file); settling a chunk
sets aside the references an earlier import acted on and those repeated in the file, and
matches the rest (match.py). Once the last chunk is in, what was decided is written in one
go by the same writer as statements (post.py), inside the engine's one transaction.
"""

from dataclasses import dataclass, field
import re
from typing import Any

from ispcube.domain.dates import parse_date
from ispcube.domain.local_formats import LocalFormats
from ispcube.domain.money import parse_amount
from ispcube.domain.text import quoted
from ispcube.domain.vocabulary import PAYMENT_METHODS, payment_method
from ispcube.errors import Invalid
from ispcube.services.admin.config import local_formats
from ispcube.services.imports.columns import ColumnMap, cell_text, check_shape, header_key
from ispcube.services.imports.engine import ImportRun, ImportSummary, TableImportOptions
from ispcube.services.imports.read import Source
from ispcube.services.ledger.posting import currency
from ispcube.services.payments.statements.lines import Line
from ispcube.services.payments.statements.match import ACTED, Book, Decision, decide
from ispcube.services.process.runtime import Runtime

COLUMNS = {
    "date": ("date", "fecha", "fecha_pago", "fecha_de_pago", "booking_date", "value_date", "fecha_valor"),
    "amount": ("amount", "importe", "monto", "importe_pagado", "amount_paid"),
    "reference": ("reference", "referencia", "ref", "transaction_id", "id_transaccion", "nro_transaccion",
                  "operation_id", "id_operacion", "comprobante"),
    "client": ("client", "code", "client_code", "cliente", "codigo", "codigo_cliente", "nro_cliente"),
    "epayment_code": ("epayment_code", "electronic_payment_code", "payment_code", "codigo_pago",
                      "codigo_de_pago", "codigo_pago_electronico", "pago_electronico", "codigo_barras"),
    "iban": ("iban", "cuenta_iban", "payer_iban"),
    "cbu": ("cbu", "cbu_pagador"),
    "description": ("description", "descripcion", "concepto", "detalle", "text", "remittance", "texto"),
    "source": ("source", "origen", "pasarela", "gateway", "fuente"),
    "payment_method": ("payment_method", "medio_pago", "medio_de_pago", "forma_pago", "forma_de_pago"),
}
_BY_KEY = {alias: name for name, aliases in COLUMNS.items() for alias in aliases}
REQUIRED = ("date", "amount", "reference")
FINDERS = ("client", "epayment_code", "iban", "cbu")
REFERENCE_LENGTH = 140
_SOURCE = re.compile(r"[a-z0-9][a-z0-9 ._-]{0,39}")
SOURCE_RULE = "a source is up to 40 letters, digits, spaces, dots, dashes or underscores (e.g. mercadopago)"


def source_name(text: str) -> str | None:
    """A payment file's source as kept (lower case, spaces collapsed), or None if it breaks SOURCE_RULE."""
    name = " ".join(text.split()).lower()
    return name if _SOURCE.fullmatch(name) else None


def map_columns(header: list[str], source: str | None = None) -> ColumnMap:
    fields: list[str | None] = []
    seen: dict[str, str] = {}
    for title in header:
        name = _BY_KEY.get(header_key(title)) if title else None
        if name is not None and name in seen:
            raise Invalid(f"columns {quoted(seen[name])} and {quoted(title)} both give the payment's {name}: "
                          "keep only one of them")
        if name is not None:
            seen[name] = title
        fields.append(name)
    missing = [name for name in REQUIRED if name not in seen]
    if missing:
        raise Invalid(f"the file has no {', '.join(missing)} column: a payment file needs date, amount, reference "
                      "and one of client, epayment_code, iban, cbu")
    if not set(FINDERS) & set(seen):
        raise Invalid("the file has no column to find the client by: give client, epayment_code, iban or cbu")
    if "source" not in seen and source is None:
        raise Invalid("the file has no source column: say which gateway or bank it comes from with --source NAME "
                      "(its references are unique only there)")
    ignored = tuple(title for title, name in zip(header, fields, strict=True) if name is None and title)
    return ColumnMap(tuple(fields), tuple(header), ignored)


# --- the pure row check, run on every core ---------------------------------------------------

@dataclass(frozen=True)
class CheckContext:
    columns: ColumnMap
    currency: str
    local: LocalFormats
    source: str | None = None                     # --source: rows without a source cell come from it


@dataclass(slots=True)
class CheckedPaymentRow:
    """One row of a payments table after checking: what is wrong with it, or the payment it reports."""
    line: int
    problems: list[tuple[str, str, str]]          # column, value, reason
    value: Line | None = None
    existing: None = None                         # a payment never changes a stored record
    already: bool = False                         # set when settling: an earlier import acted on it

    @property
    def ok(self) -> bool:
        return not self.problems


_context: CheckContext | None = None


def start_worker(context: CheckContext) -> None:
    global _context
    _context = context


def check_chunk(chunk: list[tuple[int, list[str | None]]]) -> list[tuple]:
    assert _context is not None, "start_worker runs first"
    return [_wire(check_row(_context, line, cells)) for line, cells in chunk]


def _wire(checked: CheckedPaymentRow) -> tuple:
    return checked.line, checked.problems, checked.value


def _reason(exc: Invalid, field: str, text: str) -> str:
    """The parser's sentence without the field and value it starts with (the problem gives them)."""
    return str(exc).removeprefix(f"{field} {quoted(text)} ")


def check_row(ctx: CheckContext, number: int, cells: list[str | None]) -> CheckedPaymentRow:
    checked = CheckedPaymentRow(number, [])
    problems = checked.problems
    columns = ctx.columns
    check_shape(problems, columns, cells)
    raw: dict[str, str] = {}
    for index, name in columns.used:
        value = cells[index] if index < len(cells) else None
        value = " ".join((cell_text(value) or "").split()) if value is not None else ""
        if "\x00" in value:
            problems.append((columns.headers[index], value, "holds a NUL byte (\\0)"))
        elif value:
            raw[name] = value
    for name in REQUIRED:
        if name not in raw:
            problems.append((columns.shown(name), "", "is required"))
    if problems:
        return checked
    try:
        booked = parse_date(raw["date"], field="date", local=ctx.local)
    except Invalid as exc:
        problems.append((columns.shown("date"), raw["date"], _reason(exc, "date", raw["date"])))
    text = raw["amount"]
    try:
        amount = parse_amount(text, currency=ctx.currency, allow_negative=True, allow_zero=False, local=ctx.local)
    except Invalid as exc:
        problems.append((columns.shown("amount"), text, _reason(exc, "amount", text)))
    reference = raw["reference"]
    if len(reference) > REFERENCE_LENGTH:
        problems.append((columns.shown("reference"), reference[:40] + "...",
                         f"is longer than {REFERENCE_LENGTH} characters"))
    source = ctx.source
    if "source" in raw:
        source = source_name(raw["source"])
        if source is None:
            problems.append((columns.shown("source"), raw["source"], f"is not a source name: {SOURCE_RULE}"))
    elif source is None:
        problems.append((columns.shown("source"), "", "is required (or give --source NAME for the whole file)"))
    method = payment_method(raw["payment_method"]) if raw.get("payment_method") else None
    if raw.get("payment_method") and method is None:
        problems.append((columns.shown("payment_method"), raw["payment_method"],
                         f"is not one of {', '.join(PAYMENT_METHODS)} (or efectivo, transferencia, tarjeta...)"))
    if problems:
        return checked
    checked.value = Line(
        f"line {number}", f"file:{source}:{reference}", booked, abs(amount), amount > 0, ctx.currency,
        reference=reference, account=source or "", bank_ref=reference, legacy_key=f"old:file:{reference}",
        client_code=raw.get("client"), epayment_code=raw.get("epayment_code"),
        iban=raw.get("iban", "").replace(" ", "").upper() or None,
        cbu=raw.get("cbu", "").replace(" ", "").replace("-", "") or None,
        text=raw.get("description", ""), payment_method=method)
    return checked


# --- the kind ----------------------------------------------------------------------------------

@dataclass
class PaymentFileSummary(ImportSummary):
    kind: str = "csv"                       # csv or xlsx
    decisions: list[Decision] = field(default_factory=list)
    already: int = 0
    book: Book | None = None
    result: Any = None                      # what post.write returned (committed with the import)


class PaymentFileImport(ImportRun):
    """Payment files, a kind of the engine; the caller holds the job lock."""
    office = "import payments"
    check_chunk = staticmethod(check_chunk)
    start_worker = staticmethod(start_worker)

    def __init__(self, rt: Runtime, uow, options: TableImportOptions, columns: ColumnMap, source: Source,
                 table_locked: bool = False):
        super().__init__(rt, uow, options, columns, source, table_locked)
        self.summary: PaymentFileSummary = PaymentFileSummary(
            file=str(source.path), encoding=source.encoding, dry_run=options.dry_run,
            skip_invalid=options.skip_invalid, ignored_columns=list(columns.ignored), kind=source.kind)
        self.book: Book | None = None
        self.seen: dict[str, int] = {}              # key -> the line it is first on
        self._pending: list[tuple[CheckedPaymentRow, Decision]] = []

    given_source: str | None = None      # --source, see from_source

    @classmethod
    def from_source(cls, source: str | None) -> type["PaymentFileImport"]:
        """The kind for a file whose rows without a source cell come from SOURCE (--source)."""
        if source is None:
            return cls
        name = source_name(source)
        if name is None:
            raise Invalid(f"--source {quoted(source)} is not a source name: {SOURCE_RULE}")
        return type(cls.__name__, (cls,), {"given_source": name})

    @classmethod
    def map_columns(cls, header: list[str], options: TableImportOptions) -> ColumnMap:
        return map_columns(header, cls.given_source)

    def context(self) -> CheckContext:
        return CheckContext(self.columns, currency(self.uow), local_formats(self.uow.session), self.given_source)

    def settle(self, sent: list) -> list[CheckedPaymentRow]:
        from ispcube.services.payments.statements.book import known_lines, load_book
        chunk = [CheckedPaymentRow(line, problems or [], value) for line, problems, value in sent]
        if self.book is None:
            self.book = self.summary.book = self.database.ask(load_book, self.uow, [])
        fresh: list[Line] = []
        lines = [row for row in chunk if row.value is not None]
        stored = self.database.ask(known_lines, self.uow, [row.value for row in lines if row.value])
        for row in lines:
            line = row.value
            assert line is not None, "only rows with a value"
            first = self.seen.setdefault(line.key, row.line)
            if first != row.line:
                row.problems.append((self.column("reference"), line.reference or "",
                                     f"is also on line {first} (a payment's reference is its id)"))
            elif line.key in stored:
                row.already = True
            else:
                fresh.append(line)
        assert self.book is not None, "loaded with the first chunk"
        by_line = {d.line.key: d for d in decide(fresh, self.book)}
        self._pending = [(row, by_line[row.value.key]) for row in lines if row.value and row.value.key in by_line]
        return chunk

    def tally(self, rows: list[CheckedPaymentRow]) -> tuple[int, int, int]:
        return self._take_decisions(rows)

    def write(self, rows: list[CheckedPaymentRow]) -> tuple[int, int, int]:
        return self._take_decisions(rows)

    def _take_decisions(self, rows: list[CheckedPaymentRow]) -> tuple[int, int, int]:
        """Keep the decisions of the chunk's valid rows; (to post, 0, imported before)."""
        valid = {id(row) for row in rows}
        taken = [decision for row, decision in self._pending if id(row) in valid]
        self.summary.decisions += taken
        already = sum(1 for row in rows if row.already)
        self.summary.already += already
        return sum(1 for d in taken if d.outcome in ACTED), 0, already

    def finish(self) -> None:
        if any(d.outcome in ACTED for d in self.summary.decisions):
            self.database.send(self._finish)

    def _finish(self) -> None:
        """On the database thread: write what was decided, as a statement's lines are."""
        from ispcube.services.payments.statements.post import write
        assert self.book is not None, "loaded with the first chunk"
        self.summary.result = write(self.uow, self.rt, self.summary.decisions, self.summary.file,
                                     self.source.kind, self.book.cut)
