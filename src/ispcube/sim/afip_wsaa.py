"""The simulated WSAA (AFIP's authentication service): `loginCms` turns a signed ticket request
into an access ticket (token and sign), as AFIP's WSAA developer manual describes it.

The request (TRA) is an XML `loginTicketRequest` for one service, carried in a CMS SignedData
by the company's certificate, whose subject names its CUIT (`SERIALNUMBER=CUIT n`). A ticket
lasts 12 hours; while one is valid for a certificate and service, another login is refused
with AFIP's `coe.alreadyAuthenticated`, so a client that loses its ticket waits until it expires.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
import secrets

from cryptography import x509
from cryptography.x509.oid import NameOID
from lxml import etree

from ispcube.sim.afip_cms import CmsRefused, verify_signed_data

ARGENTINA = timezone(timedelta(hours=-3))
SERVICES = frozenset({"wsfe"})
TICKET_HOURS = 12
MAX_REQUEST_HOURS = 24
CLOCK_SKEW = timedelta(minutes=10)
ALREADY_AUTHENTICATED = "El CEE ya posee un TA valido para el acceso al WSN solicitado"
SOURCE = "CN=wsaa, O=AFIP, C=AR, SERIALNUMBER=CUIT 33693450239"


class WsaaFault(Exception):
    """A SOAP fault with WSAA's code (`coe.alreadyAuthenticated`, `cms.bad`, ...) and text."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Ticket:
    token: str = field(repr=False)
    sign: str = field(repr=False)
    cuit: int
    service: str
    subject: str
    generated: datetime
    expires: datetime


@dataclass
class Wsaa:
    """The certificates it trusts and the tickets it gave."""

    trusted: list[x509.Certificate]
    ticket_hours: int = TICKET_HOURS
    tickets: dict[str, Ticket] = field(default_factory=dict)               # by token
    current: dict[tuple[str, str], Ticket] = field(default_factory=dict)   # by (subject, service)
    logins: int = 0
    refusals: int = 0

    def login(self, cms_base64: str, now: datetime) -> str:
        """The loginTicketResponse XML for a valid signed request, or WsaaFault."""
        try:
            return self._login(cms_base64, now)
        except WsaaFault:
            self.refusals += 1
            raise

    def _login(self, cms_base64: str, now: datetime) -> str:
        try:
            der = base64.b64decode(cms_base64.strip(), validate=True)
            signed = verify_signed_data(der, self.trusted, now)
        except (binascii.Error, ValueError):
            raise WsaaFault("cms.bad", "El CMS no es base64 valido") from None
        except CmsRefused as refused:
            raise WsaaFault(refused.code, refused.message) from None
        unique_id, service = _read_request(signed.content, now)
        if service not in SERVICES:
            raise WsaaFault("coe.notAuthorized", "Computador no autorizado a acceder al servicio")
        cuit = _cuit_of(signed.signer)
        subject = signed.signer.subject.rfc4514_string()
        held = self.current.get((subject, service))
        if held is not None and held.expires > now:
            raise WsaaFault("coe.alreadyAuthenticated", ALREADY_AUTHENTICATED)
        ticket = Ticket(token=base64.b64encode(_sso(cuit, service, subject, now, self.ticket_hours)).decode(),
                        sign=base64.b64encode(secrets.token_bytes(128)).decode(), cuit=cuit, service=service,
                        subject=subject, generated=now - timedelta(minutes=1),
                        expires=now + timedelta(hours=self.ticket_hours))
        self.tickets[ticket.token] = ticket
        self.current[(subject, service)] = ticket
        self.logins += 1
        return _response(ticket, unique_id)

    def forget(self) -> None:
        """Let a new login through at once (as if every ticket had expired)."""
        self.current.clear()


def _read_request(content: bytes, now: datetime) -> tuple[int, str]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(content, parser)
        if root.tag != "loginTicketRequest":
            raise ValueError
        unique_id = int(root.findtext("header/uniqueId") or "")
        generated = datetime.fromisoformat(root.findtext("header/generationTime") or "")
        expires = datetime.fromisoformat(root.findtext("header/expirationTime") or "")
        service = (root.findtext("service") or "").strip()
    except (etree.XMLSyntaxError, ValueError):
        raise WsaaFault("xml.bad", "El TRA no es un loginTicketRequest valido") from None
    if generated.tzinfo is None or expires.tzinfo is None or not 0 <= unique_id < 2**32:
        raise WsaaFault("xml.bad", "El TRA no es un loginTicketRequest valido")
    if generated > now + CLOCK_SKEW or generated < now - timedelta(hours=MAX_REQUEST_HOURS):
        raise WsaaFault("xml.generationTime.invalid", "generationTime posee formato o dato inválido")
    if expires <= now:
        raise WsaaFault("xml.expirationTime.expired", "expirationTime expirado")
    if expires <= generated or expires - generated > timedelta(hours=MAX_REQUEST_HOURS):
        raise WsaaFault("xml.expirationTime.invalid", "expirationTime posee formato o dato inválido")
    return unique_id, service


def _cuit_of(certificate: x509.Certificate) -> int:
    for attribute in certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER):
        text = str(attribute.value).upper().replace("CUIT", "").strip()
        if text.isdigit() and len(text) == 11:
            return int(text)
    raise WsaaFault("cms.cert.invalid", "El certificado no indica la CUIT (SERIALNUMBER=CUIT n)")


def _stamp(moment: datetime) -> str:
    return moment.astimezone(ARGENTINA).isoformat(timespec="milliseconds")


def _sso(cuit: int, service: str, subject: str, now: datetime, hours: int) -> bytes:
    sso = etree.Element("sso", version="2.0")
    etree.SubElement(sso, "id", src=SOURCE, dst=f"CN={service}, O=AFIP, C=AR", unique_id=secrets.token_hex(8),
                     gen_time=str(int(now.timestamp())), exp_time=str(int(now.timestamp()) + hours * 3600))
    operation = etree.SubElement(sso, "operation", type="login", value="granted")
    login = etree.SubElement(operation, "login", entity="33693450239", service=service, uid=subject,
                             authmethod="cms", regmethod="22")
    relations = etree.SubElement(login, "relations")
    etree.SubElement(relations, "relation", key=str(cuit), reltype="4")
    return etree.tostring(sso, xml_declaration=True, encoding="UTF-8", standalone=True)


def _response(ticket: Ticket, unique_id: int) -> str:
    root = etree.Element("loginTicketResponse", version="1.0")
    header = etree.SubElement(root, "header")
    for name, value in (("source", SOURCE), ("destination", ticket.subject), ("uniqueId", str(unique_id)),
                        ("generationTime", _stamp(ticket.generated)), ("expirationTime", _stamp(ticket.expires))):
        etree.SubElement(header, name).text = value
    credentials = etree.SubElement(root, "credentials")
    etree.SubElement(credentials, "token").text = ticket.token
    etree.SubElement(credentials, "sign").text = ticket.sign
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True).decode("utf-8")
