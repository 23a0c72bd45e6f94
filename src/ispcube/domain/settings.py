"""System settings (A2): every key is typed, validated and has a default."""

from dataclasses import dataclass
from decimal import Decimal
import json
import re
from typing import Any, Callable
from urllib.parse import urlsplit

from ispcube.domain import bank
from ispcube.domain.codes import parse_code_format
from ispcube.domain.dates import parse_coordinate, parse_date
from ispcube.domain.fiscal import afip_environment, fiscal_driver
from ispcube.domain.ids import COUNTRIES
from ispcube.domain.local_formats import LocalFormats, parse_dates_setting, parse_decimal_setting
from ispcube.domain.money import parse_amount
from ispcube.domain.tax import DEFAULT_VAT_RATE, vat_rate
from ispcube.domain.text import quoted
from ispcube.domain.values import parse_int_in, parse_port, parse_yes_no
from ispcube.errors import Invalid


@dataclass(frozen=True)
class SettingDef:
    key: str
    description: str
    default: Any
    parse: Callable[..., Any]
    secret: bool = False
    local: bool = False        # PARSE takes the LocalFormats too: parse(text, local)

    def dump(self, value: Any) -> str:
        return json.dumps(value if not isinstance(value, Decimal) else str(value))

    def load(self, stored: str) -> Any:
        value = json.loads(stored)
        return Decimal(value) if isinstance(self.default, Decimal) else value


def _int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        return parse_int_in(text, low, high)
    return parse


def _bool(text: str) -> bool:
    return parse_yes_no(text)


def _country(text: str) -> str:
    code = text.strip().upper()
    if code not in COUNTRIES:
        raise Invalid(f"{quoted(text)} is not a supported country code ({', '.join(COUNTRIES)})")
    return code


def _link_provider(text: str) -> str:
    provider = text.strip().lower()
    if provider not in ("none", "mercadopago"):
        raise Invalid(f"{quoted(text)} is not a payment link provider: none or mercadopago")
    return provider


def _api_url(text: str) -> str:
    url = _server_url(text)
    if not url:
        raise Invalid("give the API's address, e.g. https://api.mercadopago.com")
    return url


def _currency(text: str) -> str:
    code = text.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise Invalid(f"{quoted(text)} is not an ISO 4217 currency code such as ARS, EUR or CLP")
    return code


def _text(text: str) -> str:
    return text.strip()


def _optional_date(text: str) -> str:
    """A YYYY-MM-DD date, kept as text; empty for none."""
    return parse_date(text).isoformat() if text.strip() else ""


def _creditor_name(text: str) -> str:
    value = text.strip()
    if not value or len(value) > 70:
        raise Invalid("the creditor name must be 1 to 70 characters (as a SEPA file carries it)")
    refused = bank.unwritable(value)
    if refused or not bank.epc_text(value, 70):
        shown = f"holds {' '.join(repr(ch) for ch in refused)}, which" if refused else "has no letter or digit that"
        raise Invalid(f"the creditor name {quoted(value)} {shown} SEPA files cannot carry: use {bank.EPC_SET} "
                      "(accented letters are written without their accents, & as +)")
    return value


def _passwords(text: str) -> list[str]:
    passwords = [part for part in text.split(",") if part]
    if len(passwords) > 5:
        raise Invalid("at most 5 CPE passwords, separated by commas")
    return passwords


def _geocoder(text: str) -> str:
    name = text.strip().lower()
    if name not in ("google", "nominatim"):
        raise Invalid(f"'{text}' is not a geocoding provider (google or nominatim)")
    return name


def _server_url(text: str) -> str:
    """An http(s) address with a host and, when it gives one, a port that is one; never a user
    name or password in it: a setting is printed by `config list` and named in every error about
    its server, so the refusal does not repeat the address either."""
    url = text.strip().rstrip("/")
    if not url:
        return url
    if "@" in url.split("://", 1)[-1].split("/", 1)[0]:
        raise Invalid("the address holds a user name or password (user:password@): give it without them, "
                      "since settings are printed by `config list` and in errors")
    wrong = Invalid(f"{quoted(text)} is not an http:// or https:// address such as https://server.example.net/path")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:          # a port that is not a number or above 65535, a broken [IPv6] host
        raise wrong from None
    host = parts.hostname or ""
    if (parts.scheme not in ("http", "https") or not host or port == 0 or any(c.isspace() for c in url)
            or ".." in host or host.startswith(".")):
        raise wrong
    return url


def _host(text: str) -> str:
    host = text.strip()
    if any(c.isspace() or c in "/@" for c in host):
        raise Invalid(f"{quoted(text)} is not a host name or address such as mail.example.net")
    return host


def _sender(text: str) -> str:
    """An address, optionally with a name: `Fibra Norte <avisos@fibra.example>`."""
    from email.utils import parseaddr

    from ispcube.domain.contact import parse_emails
    value = text.strip()
    if not value:
        return value
    name, address = parseaddr(value)
    if not address or "@" not in address:
        raise Invalid(f"{quoted(text)} is not an e-mail address such as 'Fibra Norte <avisos@fibra.example>'")
    parse_emails(address)
    return value


RATE = re.compile(r"(?:[1-9][0-9]*|0?\.[0-9]*[1-9][0-9]*|[1-9][0-9]*\.[0-9]+)[kKMG]?")


def _rate(text: str) -> str:
    """A MikroTik rate limit `RX/TX` (upload/download as the router sees it): `1M/1M`, `512k/2M`."""
    value = text.strip()
    parts = value.split("/")
    if len(parts) != 2 or not all(RATE.fullmatch(part) for part in parts):
        raise Invalid(f"throttle rate {quoted(text)} is not RX/TX, each a number above zero with an "
                      f"optional k, M or G (e.g. 1M/1M or 512k/2M)")
    return value


def _threshold(text: str, local: LocalFormats) -> Decimal:
    return parse_amount(text, field="unlock threshold", local=local)


SETTINGS: dict[str, SettingDef] = {d.key: d for d in [
    SettingDef("country", "country code for ID numbers and geocoding", "AR", _country),
    SettingDef("state", "state or province for geocoding", "", _text),
    SettingDef("office.lat", "office latitude (map)", None, lambda t: parse_coordinate(t, field="latitude", limit=90)),
    SettingDef("office.lng", "office longitude (map)", None,
               lambda t: parse_coordinate(t, field="longitude", limit=180)),
    SettingDef("currency", "currency of every amount", "ARS", _currency),
    SettingDef("locale.decimal", "decimal mark of typed and imported amounts: comma or point (empty: from the "
               "country, comma for AR, CL, UY, ES, BR, CO)", "", parse_decimal_setting),
    SettingDef("locale.dates", "order of typed and imported dates: dmy, mdy or ymd (ISO YYYY-MM-DD always read)",
               "dmy", parse_dates_setting),
    SettingDef("unlock_threshold", "overdue debt at or below which a client keeps or gets service", Decimal("0"),
               _threshold, local=True),
    SettingDef("invoice.due_day", "day of the month invoices fall due", 10, _int_between(1, 28)),
    SettingDef("preaviso.from_day", "first day of the month of the payment warning", 1, _int_between(1, 31)),
    SettingDef("preaviso.to_day", "last day of the month of the payment warning", 10, _int_between(1, 31)),
    SettingDef("preaviso.every_hours", "hours between two warnings to the same client", 4, _int_between(1, 720)),
    SettingDef("preaviso.seconds", "how long the warning page is shown", 300, _int_between(1, 86400)),
    SettingDef("enforce.adopt_lists", "address lists of the old system that hold its cuts (comma separated): "
               "an address on one is cut already, and ispcube's from then on", "", _text),
    SettingDef("migration.grace_until", "debt brought in by `ledger import` is not cut before this date "
               "(set by the first import)", "", _optional_date),
    SettingDef("cpe.passwords", "up to 5 generic CPE passwords, comma separated", [], _passwords, secret=True),
    SettingDef("cash_by_entity", "payments go to the operator's cash entity", False, _bool),
    SettingDef("client.code_format", "format of generated client codes ({n} is the number)", "{n:05d}",
               parse_code_format),
    SettingDef("enforce.retry_days", "days a failed router change is retried", 5, _int_between(1, 60)),
    SettingDef("enforce.write_depth", "router commands in flight at once on one connection (MikroTik; 1: one "
               "at a time)", 16, _int_between(1, 64)),
    SettingDef("escalation.throttle_after_days",
               "days overdue (from the oldest unpaid debit's due date) before a debtor is throttled; 0: never",
               0, _int_between(0, 365)),
    SettingDef("escalation.cut_after_days",
               "days overdue (from the oldest unpaid debit's due date) before a debtor is cut; 0: at once",
               0, _int_between(0, 365)),
    SettingDef("escalation.throttle_rate", "rate limit of a throttled client (RX/TX, e.g. 1M/1M)", "1M/1M", _rate),
    SettingDef("geocode.provider", "who geocodes client addresses: google or nominatim", "google", _geocoder),
    SettingDef("geocode.url", "Nominatim server (default the public https://nominatim.openstreetmap.org)", "",
               _server_url),
    SettingDef("demo", "this database is a sample built by `ispcube demo` (which may overwrite it)", False, _bool),
    SettingDef("demo.today", "the day the demo's story was told on (its commands give it as --today)", "",
               _optional_date),
    SettingDef("sepa.creditor_id", "SEPA creditor identifier (direct debits)", "", bank.parse_creditor_id),
    SettingDef("sepa.creditor_name", "creditor name on SEPA direct debits", "", _creditor_name),
    SettingDef("sepa.creditor_iban", "IBAN the direct debits are paid into", "", bank.parse_iban),
    SettingDef("sepa.creditor_bic", "BIC of the creditor's bank", "", bank.parse_bic),
    SettingDef("payments.enable_on_import", "`payments import` re-enables the cut clients it brings to or below "
               "the unlock threshold (no: left to the next enforce)", True, _bool),
    SettingDef("payments.link_provider", "who makes the payment_link of notices and invoices: none or mercadopago",
               "none", _link_provider),
    SettingDef("mercadopago.url", "Mercado Pago's API address (a proxy, or a test server on loopback)",
               "https://api.mercadopago.com", _api_url),
    SettingDef("mercadopago.overlap_minutes", "`payments fetch mercadopago` searches again this many minutes "
               "before where the last fetch stopped (payments the API lists late)", 60, _int_between(1, 1440)),
    SettingDef("smtp.host", "mail server that sends the notices (empty: notify refuses to send)", "", _host),
    SettingDef("smtp.port", "port of the mail server", 587, parse_port),
    SettingDef("smtp.starttls", "switch to TLS with STARTTLS before logging in", True, _bool),
    SettingDef("smtp.user", "user name on the mail server (empty: no login)", "", _text),
    SettingDef("smtp.password", "password on the mail server (ISPCUBE_SMTP_PASSWORD wins)", "", _text,
               secret=True),
    SettingDef("smtp.from", "sender of the notices, e.g. 'Fibra Norte <avisos@fibra.example>'", "", _sender),
    SettingDef("tax.vat_rate", "VAT rate of the plans that set none (21, 10.5 or 27); prices include it",
               DEFAULT_VAT_RATE, vat_rate),
    SettingDef("fiscal.driver", "who numbers invoices: none (internal numbering) or afip (AFIP/ARCA authorizes "
               "each with a CAE)", "none", fiscal_driver),
    SettingDef("fiscal.retry_days", "days an invoice may wait for its CAE (retried by every `invoice authorize`) "
               "before the run names it, logs it on its client and exits 3", 5, _int_between(1, 60)),
    SettingDef("afip.environment", "AFIP's testing (homologación) or production services", "testing",
               afip_environment),
    SettingDef("afip.wsaa_url", "AFIP's login service (WSAA) instead of the environment's", "", _server_url),
    SettingDef("afip.wsfe_url", "AFIP's electronic invoice service (WSFEv1) instead of the environment's", "",
               _server_url),
    SettingDef("notify.reminder_days_before", "days before an unpaid invoice falls due to remind (0: off)", 0,
               _int_between(0, 60)),
    SettingDef("notify.send_invoices", "e-mail each invoice's PDF to its client once it has its number "
               "(authorized by AFIP, or billed with the none driver), through the notices", False, _bool),
]}

def setting(key: str) -> SettingDef:
    try:
        return SETTINGS[key]
    except KeyError:
        raise Invalid(f"unknown setting {quoted(key)} (see `ispcube config list`)") from None
