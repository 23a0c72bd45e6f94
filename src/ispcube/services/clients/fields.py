"""Client fields (C1): parse and validate raw values, collecting every problem.

The same parser serves `client add/edit` (flags) and `client import` (CSV/XLSX cells), so
both refuse exactly the same values with the same sentences.
"""

from dataclasses import dataclass
from datetime import date
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ispcube.db import models as m
from ispcube.db.limits import column_limit, limits
from ispcube.domain import bank
from ispcube.domain.contact import parse_emails, parse_phones
from ispcube.domain.dates import parse_coordinate, parse_date
from ispcube.domain.ids import normalise_id
from ispcube.domain.local_formats import LocalFormats
from ispcube.domain.roles import Role
from ispcube.domain.tax import DEFAULT_RECEPTOR, receptor_vat
from ispcube.domain.text import one_line, quoted
from ispcube.domain.values import yes_no
from ispcube.domain.vocabulary import PAYMENT_METHODS, payment_method
from ispcube.errors import Invalid

# Field names, in the order of the client form; they are the snake_case of the flags.
FIELDS = ("code", "name", "nickname", "fiscal_address", "address", "client_type", "id_type",
          "id_number", "company", "street1", "street2", "postal_code", "lat", "lng",
          "signup_date", "extra1", "extra2", "phone", "email", "contact", "epayment_code",
          "status", "payment_method", "collector", "seller", "plan", "node", "contract",
          "contract_type", "contract_expiry", "free", "blockable", "preaviso", "preaviso_days",
          "activity", "vat_condition", "iban", "bic", "account_holder", "mandate_ref", "mandate_date", "cbu")
_SPACE = re.compile(r"\s")


def _length(column: str) -> int:
    limit = column_limit("clients", column)
    assert limit is not None, f"clients.{column} is a text column with a length"
    return limit


_CODE_LENGTH = _length("code")
TEXT_FIELDS = ("nickname", "fiscal_address", "address", "client_type", "street1", "street2",
               "extra1", "extra2", "contact", "activity", "account_holder")
TEXT_LIMITS = {name: _length(name) for name in (*TEXT_FIELDS, "name", "epayment_code")}


@dataclass(frozen=True)
class FieldError:
    field: str
    value: str
    reason: str

    def sentence(self) -> str:
        return f"{self.field.replace('_', '-')} {quoted(self.value)}: {self.reason}"


@dataclass
class Refs:
    """Lookup tables a client row refers to, loaded once per command (or per import)."""
    country: str
    local: LocalFormats
    postal_codes: dict[str, int]
    statuses: dict[str, int]
    companies: dict[int, int]
    operators: dict[str, tuple[int, str]]
    plans: dict[str, int]
    nodes: dict[str, int]
    today: date | None = None          # a mandate signed after it is refused

    @classmethod
    def load(cls, session: Session, country: str, local: LocalFormats, today: date | None = None) -> "Refs":
        return cls(
            country=country, local=local, today=today,
            postal_codes=dict(session.execute(select(m.PostalCode.code, m.PostalCode.id)).all()),
            statuses={name.casefold(): id_ for name, id_ in
                      session.execute(select(m.Status.name, m.Status.id))},
            companies=dict(session.execute(select(m.Company.number, m.Company.id)).all()),
            operators={name: (id_, role) for name, id_, role in
                       session.execute(select(m.Operator.name, m.Operator.id, m.Operator.role))},
            plans={name.casefold(): id_ for name, id_ in session.execute(select(m.Plan.name, m.Plan.id))},
            nodes={name.casefold(): id_ for name, id_ in session.execute(select(m.Node.name, m.Node.id))},
        )


def _bool(value: Any) -> bool:
    answer = yes_no(value)
    if answer is None:
        raise Invalid("is not yes or no")
    return answer


def _day_range(value: str) -> tuple[int, int]:
    parts = str(value).replace(" ", "").split("-")
    try:
        low, high = (int(p) for p in parts)
    except ValueError:
        raise Invalid("is not a day range such as 1-8") from None
    if not 1 <= low <= high <= 31:
        raise Invalid("must be two days of the month, the first not after the second (e.g. 1-8)")
    return low, high


def _lookup(table: dict, key: Any, what: str) -> int:
    if key not in table:
        raise Invalid(f"no such {what}")
    return table[key]


def _operator(refs: Refs, name: str, role: Role) -> int:
    if name not in refs.operators:
        raise Invalid("no such operator")
    operator_id, actual = refs.operators[name]
    if actual not in (role, Role.ADMIN):
        raise Invalid(f"operator is a {actual}, not a {role}")
    return operator_id


def _company(refs: Refs, text: str) -> int:
    try:
        number = int(str(text).strip())
    except ValueError:
        raise Invalid("is not a billing company number (1 to 5)") from None
    return _lookup(refs.companies, number, "billing company (see `ispcube company list`)")


def _contract_type(text: str) -> int:
    if str(text).strip() not in {"1", "2"}:
        raise Invalid("must be 1 or 2")
    return int(text)


def _payment_method(text: str) -> str:
    method = payment_method(text)
    if method is None:
        raise Invalid(f"is not one of {', '.join(PAYMENT_METHODS)} (or efectivo, transferencia, tarjeta, "
                      "débito automático, Mercado Pago...)")
    return method


def _text(field: str):
    def parse(text: str) -> str:
        value = one_line(str(text).strip())
        if len(value) > TEXT_LIMITS[field]:
            raise Invalid(f"is longer than {TEXT_LIMITS[field]} characters")
        return value
    return parse


def _name(text: str) -> str:
    value = one_line(str(text).strip())
    if not value:
        raise Invalid("must not be empty")
    if len(value) > TEXT_LIMITS["name"]:
        raise Invalid(f"is longer than {TEXT_LIMITS['name']} characters")
    return value


def _code(text: str) -> str:
    value = one_line(str(text).strip())
    if not value or len(value) > _CODE_LENGTH or _SPACE.search(value):
        raise Invalid(f"must be 1 to {_CODE_LENGTH} characters without spaces")
    if value.upper().startswith("ZZ"):
        raise Invalid("codes starting with ZZ are reserved for deleted clients")
    return value


def _epayment(text: str) -> str:
    value = one_line(str(text).strip())
    if len(value) > TEXT_LIMITS["epayment_code"]:
        raise Invalid(f"is longer than {TEXT_LIMITS['epayment_code']} characters")
    return value


def _strip_reason(exc: Invalid, raw: str) -> str:
    """Domain parsers name the value themselves; keep only the reason part for the report."""
    message = str(exc)
    marker = f"'{raw}' "
    return message.split(marker, 1)[1] if marker in message else message


def _mandate_date(refs: Refs, value: Any) -> date:
    """The day the client signed the SEPA mandate: not after today (a bank refuses a collection
    under a mandate dated later than it)."""
    signed = parse_date(value, field="mandate date", local=refs.local)
    if refs.today is not None and signed > refs.today:
        raise Invalid(f"mandate date {quoted(str(value))} is after today ({refs.today.isoformat()}): give the day "
                      "the client signed the mandate")
    return signed


def _refs_lookup(table: str, what: str, casefold: bool = False):
    def parse(refs: Refs, value: Any) -> int:
        key = str(value).strip()
        return _lookup(getattr(refs, table), key.casefold() if casefold else key, what)
    return parse


def _plain(parse):
    return lambda _refs, value: parse(value)


# field -> (columns it sets, parse(refs, raw value) -> the value or the values of those columns).
# Built once: an import parses 100,000 rows with it.
_PARSERS: dict[str, tuple[tuple[str, ...], Any]] = {
    "code": (("code",), _plain(_code)),
    "name": (("name",), _plain(_name)),
    "company": (("company_id",), _company),
    "postal_code": (("postal_code_id",), _refs_lookup("postal_codes", "postal code (see `ispcube postal-code list`)")),
    "lat": (("lat",), _plain(lambda v: parse_coordinate(v, field="latitude", limit=90))),
    "lng": (("lng",), _plain(lambda v: parse_coordinate(v, field="longitude", limit=180))),
    "signup_date": (("signup_date",), lambda refs, v: parse_date(v, field="signup date", local=refs.local)),
    "contract_expiry": (("contract_expiry",),
                        lambda refs, v: parse_date(v, field="contract expiry", local=refs.local)),
    "phone": (("phones",), _plain(lambda v: ";".join(parse_phones(str(v))))),
    "email": (("emails",), _plain(lambda v: ";".join(parse_emails(str(v))))),
    "epayment_code": (("epayment_code",), _plain(_epayment)),
    "status": (("status_id",), _refs_lookup("statuses", "status (see `ispcube status list`)", casefold=True)),
    "payment_method": (("payment_method",), _plain(_payment_method)),
    "collector": (("collector_id",), lambda refs, v: _operator(refs, str(v).strip(), Role.COLLECTOR)),
    "seller": (("seller_id",), lambda refs, v: _operator(refs, str(v).strip(), Role.SELLER)),
    "plan": (("plan_id",), _refs_lookup("plans", "plan (see `ispcube plan list`)", casefold=True)),
    "node": (("node_id",), _refs_lookup("nodes", "node (see `ispcube node list`)", casefold=True)),
    "contract": (("contract",), _plain(_bool)),
    "contract_type": (("contract_type",), _plain(_contract_type)),
    "free": (("free",), _plain(_bool)),
    "blockable": (("blockable",), _plain(_bool)),
    "preaviso": (("preaviso",), _plain(_bool)),
    "preaviso_days": (("preaviso_from", "preaviso_to"), _plain(_day_range)),
    "id_type": (("id_type",), _plain(lambda v: str(v).strip().upper())),
    "id_number": (("id_number",), _plain(lambda v: str(v).strip())),
    "iban": (("iban",), _plain(bank.parse_iban)),
    "bic": (("bic",), _plain(bank.parse_bic)),
    "mandate_ref": (("mandate_ref",), _plain(bank.parse_mandate_ref)),
    "mandate_date": (("mandate_date",), lambda refs, v: _mandate_date(refs, v)),
    "cbu": (("cbu",), _plain(bank.parse_cbu)),
    "vat_condition": (("vat_condition",), _plain(lambda v: int(receptor_vat(str(v))))),
    **{f: ((f,), _plain(_text(f))) for f in TEXT_FIELDS},
}
_FIELD_OF = {columns[0]: field for field, (columns, _parse) in _PARSERS.items()}
# Columns whose parser does not bound the length itself, with their limit: read once, since an
# import checks 100,000 rows with it.
_UNBOUNDED = {column: limit for column, limit in limits()["clients"].items()
              if column in {*_FIELD_OF, "id_key"} and column not in {"code", *TEXT_LIMITS}}
# What an empty value ('' = clear the field) sets.
_CLEARED: dict[str, dict[str, Any]] = {"phone": {"phones": ""}, "email": {"emails": ""},
            "preaviso_days": {"preaviso_from": None, "preaviso_to": None},
            "vat_condition": {"vat_condition": int(DEFAULT_RECEPTOR)}}


def parse_fields(raw: dict[str, Any], refs: Refs) -> tuple[dict[str, Any], list[FieldError]]:
    """Turn raw values (None = not given, '' = clear) into column values; collect every error."""
    values: dict[str, Any] = {}
    errors: list[FieldError] = []
    for field, value in raw.items():
        if value is None:
            continue
        parser = _PARSERS.get(field)
        if parser is None:
            errors.append(FieldError(field, str(value), "is not a client field"))
            continue
        columns, parse = parser
        if isinstance(value, str) and not value.strip() and field not in ("name", "code"):
            values.update(_CLEARED.get(field) or {columns[0]: None})
            continue
        try:
            parsed = parse(refs, value)
        except Invalid as exc:
            errors.append(FieldError(field, str(value), _strip_reason(exc, str(value))))
            continue
        if len(columns) == 1:
            values[columns[0]] = parsed
        else:
            values.update(zip(columns, parsed, strict=True))
    if not errors:
        errors += _check_id(values, raw, refs)
    if values.get("iban") and raw.get("bic") is None:
        values["bic"] = bank.bic_of(values["iban"])   # the bank's BIC when the IBAN names a known bank
    if not errors:
        errors += _check_lengths(values, raw)
    return values, errors


def _check_lengths(values: dict[str, Any], raw: dict[str, Any]) -> list[FieldError]:
    """Every column's own limit, on what the parsers made of the values (an ID number as
    written, phones joined): the same refusal on SQLite and PostgreSQL."""
    errors = []
    for column, limit in _UNBOUNDED.items():
        value = values.get(column)
        if value.__class__ is str and len(value) > limit:
            field = _FIELD_OF.get(column, column)
            errors.append(FieldError(field, str(raw.get(field, value)), f"is longer than {limit} characters"))
    return errors


def _check_id(values: dict[str, Any], raw: dict[str, Any], refs: Refs) -> list[FieldError]:
    if "id_number" not in values:
        return []
    try:
        parsed = normalise_id(refs.country, values.get("id_type"), values["id_number"])
    except Invalid as exc:
        return [FieldError("id_number", str(raw["id_number"]), _strip_reason(exc, values["id_number"]))]
    values["id_number"] = parsed.shown if parsed else None
    values["id_key"] = parsed.key if parsed else None
    return []
