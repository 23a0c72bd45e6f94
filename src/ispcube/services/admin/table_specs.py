"""The maintenance tables (A3, A4) described as data: columns, parsers and what uses each row.

Imported at start-up by the CLI to build the commands, so it must stay free of SQLAlchemy.
"""

from dataclasses import dataclass, field
import os
import stat
from typing import Any, Callable

from ispcube.domain.dates import parse_coordinate, parse_date
from ispcube.domain.money import parse_amount
from ispcube.domain.roles import Role
from ispcube.domain.tax import company_vat, vat_rate
from ispcube.domain.text import quoted
from ispcube.domain.values import parse_yes_no
from ispcube.errors import FiscalAuthError, Invalid

ROLES = tuple(Role)


@dataclass(frozen=True)
class Column:
    name: str
    help: str
    parse: Callable[..., Any] = str.strip
    required: bool = False
    local: bool = False        # PARSE takes the LocalFormats too: parse(text, local)
    metavar: str | None = None
    hidden: bool = False       # never printed: listings show only whether it is set


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
    # What the row as a whole must hold (its values by column, as they will be stored):
    # raises Invalid, one sentence naming the row.
    check: Callable[[dict[str, Any]], None] | None = None
    # Columns whose change the routers must follow (S2): a change leaves provisioning tasks.
    provisioned: tuple[str, ...] = ()

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


PEM_LIMIT = 1 << 20      # a certificate or a key is a few kilobytes; a bigger file is not one


def _read_pem(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read(PEM_LIMIT)


def _pem_file(what: str, private: bool = False) -> Callable[[str], str]:
    """An existing file holding a PEM certificate (PRIVATE: an unencrypted PEM private key,
    readable by its owner only), kept as its absolute path: a key given as the certificate,
    or any other file, is refused here rather than by the tax authority's login at night."""
    def parse(text: str) -> str:
        from ispcube.adapters.afip_login import read_certificate, read_key
        path = os.path.abspath(os.path.expanduser(str(text).strip()))
        try:
            mode = os.stat(path).st_mode
            if not stat.S_ISREG(mode):
                raise Invalid(f"{what} file {quoted(text)} is not a file")
            if private and mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise Invalid(f"{what} file {quoted(text)} can be read by others: make it 0600 (chmod 600 FILE)")
            (read_key if private else read_certificate)(_read_pem(path))
        except OSError as exc:
            raise Invalid(f"{what} file {quoted(text)} cannot be read: {exc.strerror}") from None
        except FiscalAuthError:
            kind = "an unencrypted PEM private key" if private else "a PEM certificate"
            raise Invalid(f"{what} file {quoted(text)} does not hold {kind}") from None
        return path
    return parse


def _company_afip_pair(company: dict[str, Any]) -> None:
    """A company's AFIP key is the one of its certificate (both as they will be stored); a file
    that can no longer be read is left to `fiscal check`, which names it."""
    if not (company.get("afip_cert") and company.get("afip_key")):
        return
    from ispcube.adapters.afip_login import check_pair, read_certificate, read_key
    try:
        certificate = read_certificate(_read_pem(company["afip_cert"]))
        key = read_key(_read_pem(company["afip_key"]))
    except (OSError, FiscalAuthError):
        return
    try:
        check_pair(certificate, key)
    except FiscalAuthError:
        raise Invalid(f"company {company['number']}: the AFIP key {company['afip_key']} does not belong to the "
                      f"certificate {company['afip_cert']}: give both files of one certificate") from None


BURST = ("burst_down_kbps", "burst_up_kbps", "burst_seconds")


def _plan_burst(plan: dict[str, Any]) -> None:
    """A plan's burst (S1) is all three values or none, on a plan with both speeds, and lets a
    connection go faster than the plan in both directions."""
    given = [name for name in BURST if plan.get(name) is not None]
    if not given:
        return
    name = quoted(plan["name"])
    if len(given) < len(BURST):
        raise Invalid(f"plan {name}: a burst needs --burst-down-kbps, --burst-up-kbps and --burst-seconds "
                      "together (clear all three to remove it)")
    for speed, burst, what in (("down_kbps", "burst_down_kbps", "download"), ("up_kbps", "burst_up_kbps", "upload")):
        if not plan.get(speed):
            raise Invalid(f"plan {name}: a burst needs the plan's {what} speed (--{speed.replace('_', '-')})")
        if plan[burst] <= plan[speed]:
            raise Invalid(f"plan {name}: the {what} burst {plan[burst]} kbit/s is not above the plan's "
                          f"{what} speed {plan[speed]} kbit/s")


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
        Column("vat_condition", "VAT condition: responsable-inscripto (the default), monotributo or exento",
               lambda t: company_vat(t).value),
        Column("point_of_sale", "AFIP electronic point of sale its invoices are authorized under",
               _whole(1, 99998, "point of sale"), metavar="N"),
        Column("activity_start", "start of activities printed on invoices", lambda t, local: parse_date(
            t, field="activity start", local=local), local=True, metavar="DATE"),
        Column("gross_income", "gross-income (Ingresos Brutos) number printed on invoices"),
        Column("afip_cert", "AFIP certificate (PEM) of the company's CUIT", _pem_file("AFIP certificate"),
               metavar="FILE", hidden=True),
        Column("afip_key", "private key (PEM, mode 0600) of the AFIP certificate",
               _pem_file("AFIP key", private=True), metavar="FILE", hidden=True),
    ), (_CLIENTS("company_id"),), "billing companies", check=_company_afip_pair),
    Table("plan", "Plan", "name", (
        Column("name", "plan name", _nonempty("plan name"), required=True),
        Column("price", "monthly price", lambda t, local: parse_amount(t, field="price", local=local),
               required=True, local=True, metavar="AMOUNT"),
        Column("down_kbps", "download speed in kbit/s", _whole(0, 100_000_000, "download speed")),
        Column("up_kbps", "upload speed in kbit/s", _whole(0, 100_000_000, "upload speed")),
        Column("vat_rate", "VAT rate included in the price: 21, 10.5 or 27 (empty: setting tax.vat_rate)",
               vat_rate),
        Column("burst_down_kbps", "download burst in kbit/s, above the download speed (with the other two)",
               _whole(1, 100_000_000, "download burst"), metavar="N"),
        Column("burst_up_kbps", "upload burst in kbit/s, above the upload speed (with the other two)",
               _whole(1, 100_000_000, "upload burst"), metavar="N"),
        Column("burst_seconds", "seconds over which a burst is averaged, 1 to 3600 (with the other two)",
               _whole(1, 3600, "burst time"), metavar="S"),
    ), (_CLIENTS("plan_id"), UsedBy("Connection", "plan_id", "ip", "connection")), "service plans",
        check=_plan_burst, provisioned=("name", "down_kbps", "up_kbps", *BURST)),
    Table("node", "Node", "name", (
        Column("name", "node name", _nonempty("node name"), required=True),
        Column("lat", "latitude", lambda t: parse_coordinate(t, field="latitude", limit=90)),
        Column("lng", "longitude", lambda t: parse_coordinate(t, field="longitude", limit=180)),
        Column("radius_m", "coverage radius in metres", _whole(0, 200_000, "coverage radius")),
    ), (_CLIENTS("node_id"), UsedBy("Router", "node_id", "name", "router")), "nodes"),
]}


def table(noun: str) -> Table:
    return TABLES[noun]
