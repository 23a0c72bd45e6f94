"""Payment files as tables (CSV in any delimiter and encoding `client import` reads, or XLSX), from
banks' exports and gateways (CobroDigital, WebPay, Mercado Pago...).

Columns (case, accents and punctuation do not matter; Spanish aliases too): `date`, `amount`,
`reference` (the payment's unique id at the bank or gateway: its key, R15), one or more of
`client` / `epayment_code` / `iban` / `cbu` to find the client by, and optionally
`description` and `payment_method`. A negative amount is a debit and is listed, not posted.
A row with a bad value is reported as `line N, column X: value 'V': reason`.
"""

from dataclasses import dataclass
from pathlib import Path

from ispcube.domain.dates import parse_date
from ispcube.domain.text import quoted
from ispcube.errors import Invalid
from ispcube.services.imports.columns import header_key
from ispcube.services.payments.statements.lines import Line, checked_amount

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
    "payment_method": ("payment_method", "medio_pago", "medio_de_pago", "forma_pago", "forma_de_pago"),
}
_BY_KEY = {alias: name for name, aliases in COLUMNS.items() for alias in aliases}
REQUIRED = ("date", "amount", "reference")


@dataclass
class TableRead:
    kind: str                       # csv | xlsx
    lines: list[Line]
    problems: list[str]             # rows refused, as `line N, column X: value 'V': reason`


def map_header(path: Path, header: list[str]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, title in enumerate(header):
        name = _BY_KEY.get(header_key(title))
        if name is None:
            continue
        if name in positions:
            raise Invalid(f"'{path}': columns {quoted(header[positions[name]])} and {quoted(title)} both give "
                          f"the {name}")
        positions[name] = index
    missing = [name for name in REQUIRED if name not in positions]
    if missing:
        raise Invalid(f"'{path}' has no {', '.join(missing)} column: a payment file needs date, amount, reference "
                      "and one of client, epayment_code, iban, cbu")
    if not {"client", "epayment_code", "iban", "cbu"} & set(positions):
        raise Invalid(f"'{path}' has no column to find the client by: give client, epayment_code, iban or cbu")
    return positions


def read_table(path: Path, currency: str) -> TableRead:
    from ispcube.services.imports.read import open_source
    with open_source(path) as source:
        positions = map_header(path, source.header)
        titles = {name: source.header[index] for name, index in positions.items()}
        lines: list[Line] = []
        problems: list[str] = []
        first_seen: dict[str, int] = {}
        for row in source.rows:
            try:
                line = _line(row.line, _Cells(row.cells, positions), titles, currency)
            except Invalid as exc:
                problems.append(str(exc))
                continue
            earlier = first_seen.setdefault(line.key, row.line)
            if earlier != row.line:
                problems.append(f"line {row.line}, column {titles['reference']}: value {quoted(line.reference)}: "
                                f"the reference is already on line {earlier} (a payment's reference is its id)")
                continue
            lines.append(line)
        return TableRead(source.kind, lines, problems)


class _Cells:
    """A row's cells by column name, spaces collapsed; None when empty or absent."""

    def __init__(self, cells: list[str | None], positions: dict[str, int]):
        self.cells, self.positions = cells, positions

    def __call__(self, name: str) -> str | None:
        index = self.positions.get(name)
        if index is None or index >= len(self.cells) or self.cells[index] is None:
            return None
        value = " ".join(str(self.cells[index]).split())
        return value or None


def _line(number: int, cell, titles: dict[str, str], currency: str) -> Line:
    def bad(name: str, reason: str) -> Invalid:
        return Invalid(f"line {number}, column {titles[name]}: value {quoted(cell(name) or '')}: {reason}")
    for name in REQUIRED:
        if cell(name) is None:
            raise bad(name, "is required")
    try:
        booked = parse_date(cell("date"), field="date")
    except Invalid:
        raise bad("date", "not a date (use YYYY-MM-DD)") from None
    text = cell("amount")
    assert text is not None, "required, checked above"
    negative = text.startswith("-")
    amount, problem = checked_amount(text.removeprefix("-"), currency)
    if problem:
        raise bad("amount", problem)
    assert amount is not None, "no problem, so a value"
    if amount == 0:
        raise bad("amount", "must not be zero")
    reference = cell("reference")
    assert reference is not None, "required, checked above"
    if len(reference) > 140:
        raise bad("reference", "is longer than 140 characters")
    return Line(f"line {number}", f"file:{reference}", booked, amount, not negative, currency, reference=reference,
                client_code=cell("client"), epayment_code=cell("epayment_code"),
                iban=(cell("iban") or "").replace(" ", "").upper() or None,
                cbu=(cell("cbu") or "").replace(" ", "").replace("-", "") or None,
                text=cell("description") or "", payment_method=cell("payment_method"))
