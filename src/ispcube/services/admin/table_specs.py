"""The maintenance tables (A3, A4) described as data: columns, parsers and what uses each row.

Imported at start-up by the CLI to build the commands, so it must stay free of SQLAlchemy.
"""

from dataclasses import dataclass, field
from typing import Any, Callable

from ispcube.domain.dates import parse_coordinate
from ispcube.domain.money import parse_amount
from ispcube.domain.roles import Role
from ispcube.domain.text import quoted
from ispcube.domain.values import parse_yes_no
from ispcube.errors import Invalid

ROLES = tuple(Role)


@dataclass(frozen=True)
class Column:
    name: str
    help: str
    parse: Callable[..., Any] = str.strip
    required: bool = False
    local: bool = False        # PARSE takes the LocalFormats too: parse(text, local)
    metavar: str | None = None


@dataclass(frozen=True)
class UsedBy:
    model: str          # name of the model in ispcube.db.models
    column: str
    label: str          # attribute named in the refusal (a client code, a router name...)
    what: str           # "client", "router"...


@dataclass(frozen=True)
class Table:
    noun: str
    model: str
    key: str
    columns: tuple[Column, ...]
    used_by: tuple[UsedBy, ...] = field(default=())
    title: str = ""

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _whole(low: int, high: int, what: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(str(text).strip())
        except ValueError:
            raise Invalid(f"{what} {quoted(text)} is not a whole number") from None
        if not low <= value <= high:
            raise Invalid(f"{what} {quoted(text)} is out of range ({low} to {high})")
        return value
    return parse


def _role(text: str) -> Role:
    if text.strip().lower() not in ROLES:
        raise Invalid(f"role {quoted(text)} is not one of {', '.join(ROLES)}")
    return Role(text.strip().lower())


def _yes_no(text: str) -> bool:
    return parse_yes_no(text)


def _nonempty(what: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if not str(text).strip():
            raise Invalid(f"{what} must not be empty")
        return str(text).strip()
    return parse


_CLIENTS = lambda column: UsedBy("Client", column, "code", "client")  # noqa: E731

TABLES: dict[str, Table] = {t.noun: t for t in [
    Table("operator", "Operator", "name", (
        Column("name", "login name of the operator", _nonempty("name"), required=True),
        Column("full_name", "full name"),
        Column("role", "admin, operator, collector or seller", _role, required=True),
        Column("cash_entity", "cash box the operator's collections go to"),
        Column("active", "yes or no", _yes_no),
    ), (_CLIENTS("collector_id"), _CLIENTS("seller_id")), "operators"),
    Table("postal-code", "PostalCode", "code", (
        Column("code", "postal code", _nonempty("postal code"), required=True),
        Column("locality", "locality, neighbourhood or city", _nonempty("locality"), required=True),
    ), (_CLIENTS("postal_code_id"),), "postal codes"),
    Table("status", "Status", "name", (
        Column("name", "administrative status", _nonempty("status"), required=True),
        Column("description", "what the status means"),
    ), (_CLIENTS("status_id"),), "administrative statuses"),
    Table("company", "Company", "number", (
        Column("number", "billing company number, 1 to 5", _whole(1, 5, "company number"), required=True),
        Column("name", "legal name printed on documents", _nonempty("company name"), required=True),
        Column("tax_id", "tax identification"),
        Column("address", "address printed on documents"),
        Column("phone", "phone printed on documents"),
        Column("email", "e-mail printed on documents"),
        Column("logo_path", "logo image file for documents"),
    ), (_CLIENTS("company_id"),), "billing companies"),
    Table("plan", "Plan", "name", (
        Column("name", "plan name", _nonempty("plan name"), required=True),
        Column("price", "monthly price", lambda t, local: parse_amount(t, field="price", local=local),
               required=True, local=True, metavar="AMOUNT"),
        Column("down_kbps", "download speed in kbit/s", _whole(0, 100_000_000, "download speed")),
        Column("up_kbps", "upload speed in kbit/s", _whole(0, 100_000_000, "upload speed")),
    ), (_CLIENTS("plan_id"), UsedBy("Connection", "plan_id", "ip", "connection")), "service plans"),
    Table("node", "Node", "name", (
        Column("name", "node name", _nonempty("node name"), required=True),
        Column("lat", "latitude", lambda t: parse_coordinate(t, field="latitude", limit=90)),
        Column("lng", "longitude", lambda t: parse_coordinate(t, field="longitude", limit=180)),
        Column("radius_m", "coverage radius in metres", _whole(0, 200_000, "coverage radius")),
    ), (_CLIENTS("node_id"), UsedBy("Router", "node_id", "name", "router")), "nodes"),
]}


def table(noun: str) -> Table:
    return TABLES[noun]
