"""Which ledger-line field each column of a `ledger import` file holds (M3).

A header names a field by its name (`due_date`), its spelling with a dash or space, a Spanish
alias (`fecha`, `importe`, `referencia`) or the column `ledger show --format csv` writes, so a
statement exported from one database reads back into another:

    client, date, kind, reference, comment (description), due (due_date), payment_method,
    debit and credit (the amount, and on which side it falls), balance (the amount of an
    opening balance given without one: the brought-forward row of `ledger show --from`)

The statement's entry, document, operator, fiscal_number and cae columns are skipped (the entry is numbered
anew here, the operator is the one importing). Case, accents and punctuation do not matter.
"""

from ispcube.errors import Invalid
from ispcube.services.imports.columns import ColumnMap, header_key, map_header

FIELDS = ("client", "date", "kind", "amount", "debit", "credit", "balance", "reference", "description",
          "due_date", "payment_method")
ALIASES = {
    "code": "client", "client_code": "client", "cliente": "client", "codigo": "client", "cod": "client",
    "codigo_cliente": "client", "nro_cliente": "client",
    "fecha": "date", "entry_date": "date", "fecha_comprobante": "date",
    "tipo": "kind", "type": "kind", "tipo_comprobante": "kind", "tipo_de_comprobante": "kind",
    "importe": "amount", "monto": "amount", "total": "amount",
    "debe": "debit", "haber": "credit", "saldo": "balance",
    "referencia": "reference", "ref": "reference", "comprobante": "reference", "nro_comprobante": "reference",
    "external_reference": "reference",
    "comment": "description", "comentario": "description", "descripcion": "description",
    "concepto": "description", "detalle": "description", "observaciones": "description",
    "due": "due_date", "vencimiento": "due_date", "fecha_vencimiento": "due_date",
    "fecha_de_vencimiento": "due_date",
    "forma_pago": "payment_method", "forma_de_pago": "payment_method", "medio_pago": "payment_method",
    "medio_de_pago": "payment_method", "metodo_pago": "payment_method", "method": "payment_method",
}
# Columns `ledger show --format csv` writes that an import does not take: skipped, and named.
READ_ONLY = {"entry", "document", "operator", "operador", "asiento", "fiscal_number", "cae"}


def field_for(header: str) -> str | None:
    key = header_key(header)
    if key in FIELDS:
        return key
    return ALIASES.get(key)


def map_columns(header: list[str]) -> ColumnMap:
    """Map every header to a field; unknown or repeated columns, or missing ones, refuse the file."""
    columns = map_header(header, field_for, READ_ONLY, "ledger line",
                         "use client, date, kind, amount, reference, description, due_date, payment_method, "
                         "or cliente, fecha, tipo, importe, referencia")
    seen = columns.present
    missing = [name for name in ("client", "date", "kind", "reference") if name not in seen]
    if not ({"amount", "debit", "credit"} & seen):
        missing.append("amount (or debit and credit)")
    if missing:
        raise Invalid(f"the file has no {', no '.join(missing)} column: every ledger line needs "
                      "its client, date, kind, amount and reference")
    return columns
