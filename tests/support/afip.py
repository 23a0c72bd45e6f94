"""Certificates, signed login requests and a movable clock for the tests of the simulated AFIP.

The tests make their own certificate authority and company certificates (as AFIP's testing
environment hands out certificates for a CSR), sign ticket requests with `cryptography`'s
PKCS#7 builder directly, and read the simulator's answers as plain SOAP, so the simulator is
checked apart from the product's client.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID
from lxml import etree
import requests

NOW = datetime(2026, 11, 30, 15, 0, tzinfo=timezone.utc)    # 12:00 in Buenos Aires
CUIT = 30712345671
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
FEV1 = "http://ar.gov.afip.dif.FEV1/"
WSAA = "http://wsaa.view.sua.dvadac.desein.afip.gov"


@dataclass
class Clock:
    """A fixed moment the test moves on by hand."""

    moment: datetime = NOW

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, delta: timedelta) -> None:
        self.moment += delta


@dataclass(frozen=True)
class Identity:
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey = field(repr=False)

    @property
    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())


@lru_cache(maxsize=None)
def _key(name: str) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def make_identity(name: str, issuer: Identity | None = None, *, cuit: int | None = CUIT,
                  days: tuple[int, int] = (-30, 365)) -> Identity:
    """A certificate for NAME (SERIALNUMBER=CUIT n when CUIT), issued by ISSUER or self-signed."""
    key = _key(name)
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, name)]
    if cuit is not None:
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, f"CUIT {cuit}"))
    subject = x509.Name(attributes)
    builder = (x509.CertificateBuilder().subject_name(subject)
               .issuer_name(issuer.certificate.subject if issuer else subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(NOW + timedelta(days=days[0])).not_valid_after(NOW + timedelta(days=days[1])))
    if issuer is None:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    return Identity(builder.sign(issuer.key if issuer else key, hashes.SHA256()), key)


@lru_cache(maxsize=None)
def authority() -> Identity:
    return make_identity("ispcube test CA", cuit=None, days=(-3650, 3650))


@lru_cache(maxsize=None)
def company() -> Identity:
    return make_identity("isp-afip", authority())


def ticket_request(service: str = "wsfe", start: datetime = NOW - timedelta(minutes=1),
                   minutes: int = 10, unique_id: int = 1) -> bytes:
    art = timezone(timedelta(hours=-3))
    return (f'<?xml version="1.0" encoding="UTF-8"?><loginTicketRequest version="1.0"><header>'
            f"<uniqueId>{unique_id}</uniqueId>"
            f"<generationTime>{start.astimezone(art).isoformat()}</generationTime>"
            f"<expirationTime>{(start + timedelta(minutes=minutes)).astimezone(art).isoformat()}</expirationTime>"
            f"</header><service>{service}</service></loginTicketRequest>").encode()


def signed(content: bytes, signer: Identity) -> bytes:
    return (pkcs7.PKCS7SignatureBuilder().set_data(content).add_signer(signer.certificate, signer.key, hashes.SHA256())
            .sign(serialization.Encoding.DER, []))


def envelope(body: str) -> bytes:
    return f'<soap:Envelope xmlns:soap="{SOAP}"><soap:Body>{body}</soap:Body></soap:Envelope>'.encode()


def post(url: str, body: str) -> tuple[int, etree._Element]:
    reply = requests.post(url, data=envelope(body), headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=10)
    return reply.status_code, etree.fromstring(reply.content)


def login(url: str, cms: bytes) -> tuple[int, etree._Element]:
    """loginCms with CMS (DER); the answer's body element (loginCmsResponse or Fault)."""
    status, root = post(url, f'<loginCms xmlns="{WSAA}"><in0>{base64.b64encode(cms).decode()}</in0></loginCms>')
    return status, root.find(f"{{{SOAP}}}Body")[0]


def credentials_of(answer: etree._Element) -> tuple[str, str, datetime]:
    ticket = etree.fromstring(answer.findtext(f"{{{WSAA}}}loginCmsReturn").encode())
    return (ticket.findtext("credentials/token"), ticket.findtext("credentials/sign"),
            datetime.fromisoformat(ticket.findtext("header/expirationTime")))


def fault_of(answer: etree._Element) -> tuple[str, str]:
    return answer.findtext("faultcode"), answer.findtext("faultstring")
