"""AFIP's WSAA login for the `afip` fiscal driver: the signed ticket request and the ticket cache.

A login is a ticket request (TRA, an XML `loginTicketRequest` for the service `wsfe`) signed
as a CMS SignedData with the company's certificate and key (`cryptography`'s PKCS#7 builder),
sent base64 to WSAA's `loginCms`. The access ticket (token and sign) lasts 12 hours, and WSAA
refuses another while it is valid, so it is cached in a file (0600) beside the database and a
lock file makes two runs at once share one login instead of both asking. A file, not a table:
the ticket belongs to the certificate and the machine, not to the books, and a restored backup
must never bring back a ticket that has expired or was replaced.

Neither the key, nor the token, nor the sign ever appears in a message, a repr or a log.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
import fcntl
import hashlib
import json
import os
from pathlib import Path
import stat
from typing import Any

from lxml import etree

from ispcube.errors import FiscalAuthError, FiscalError

ARGENTINA = timezone(timedelta(hours=-3))
SERVICE = "wsfe"
REQUEST_LIFETIME = timedelta(minutes=10)
TICKET_LIFETIME = timedelta(hours=12)     # what WSAA gives; it refuses another login meanwhile


@dataclass(frozen=True)
class Credentials:
    """A company's CUIT with the certificate AFIP gave it and its private key (PEM)."""

    cuit: int
    certificate: bytes = field(repr=False)
    key: bytes = field(repr=False)

    @classmethod
    def from_files(cls, cuit: int, certificate: Path, key: Path) -> Credentials:
        """Read the PEM files; the key must be readable by its owner only (0600)."""
        try:
            mode = key.stat().st_mode
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise FiscalAuthError(f"the AFIP key file {key} can be read by others: make it 0600 "
                                      f"(chmod 600 {key})")
            return cls(cuit=cuit, certificate=certificate.read_bytes(), key=key.read_bytes())
        except OSError as exc:
            raise FiscalAuthError(f"cannot read {exc.filename}: {exc.strerror}") from None


@dataclass(frozen=True)
class Ticket:
    """An access ticket: valid from `generated` until `expires`."""

    token: str = field(repr=False)
    sign: str = field(repr=False)
    generated: datetime
    expires: datetime

    def valid_at(self, now: datetime) -> bool:
        # Used to the last second: WSAA refuses a new login while this one is valid anyway.
        return self.generated - timedelta(minutes=10) <= now < self.expires


def ticket_request(now: datetime, unique_id: int, service: str = SERVICE) -> bytes:
    """The TRA XML: valid from a minute ago for REQUEST_LIFETIME, in Argentina's time."""
    root = etree.Element("loginTicketRequest", version="1.0")
    header = etree.SubElement(root, "header")
    etree.SubElement(header, "uniqueId").text = str(unique_id % 2**32)
    start = (now - timedelta(minutes=1)).astimezone(ARGENTINA).replace(microsecond=0)
    etree.SubElement(header, "generationTime").text = start.isoformat()
    etree.SubElement(header, "expirationTime").text = (start + REQUEST_LIFETIME).isoformat()
    etree.SubElement(root, "service").text = service
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def read_certificate(pem: bytes) -> Any:
    """The X.509 certificate in PEM, or FiscalAuthError."""
    from cryptography import x509
    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise FiscalAuthError("the AFIP certificate is not a PEM certificate") from None


def read_key(pem: bytes) -> Any:
    """The unencrypted private key in PEM, or FiscalAuthError (never showing any of it)."""
    from cryptography.hazmat.primitives import serialization
    try:
        return serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise FiscalAuthError("the AFIP key is not an unencrypted PEM private key") from None


def check_pair(certificate: Any, key: Any) -> None:
    """FiscalAuthError unless KEY is the private half of CERTIFICATE's public key."""
    from cryptography.hazmat.primitives import serialization
    der, public = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(der, public) != certificate.public_key().public_bytes(der, public):
        raise FiscalAuthError("the AFIP key does not belong to the certificate")


def sign_request(request: bytes, credentials: Credentials) -> str:
    """REQUEST signed as a CMS SignedData (content included, SHA-256), DER, base64."""
    import base64

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.serialization import pkcs7
    certificate, key = read_certificate(credentials.certificate), read_key(credentials.key)
    check_pair(certificate, key)
    try:
        signed = (pkcs7.PKCS7SignatureBuilder().set_data(request)
                  .add_signer(certificate, key, hashes.SHA256())
                  .sign(serialization.Encoding.DER, []))
    except (ValueError, TypeError):
        raise FiscalAuthError("the AFIP key is of a kind that cannot sign (RSA or EC)") from None
    return base64.b64encode(signed).decode("ascii")


def read_ticket_response(text: str) -> Ticket:
    """The ticket in WSAA's loginTicketResponse XML."""
    try:
        root = etree.fromstring(text.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True))
        token = (root.findtext("credentials/token") or "").strip()
        sign = (root.findtext("credentials/sign") or "").strip()
        generated = datetime.fromisoformat((root.findtext("header/generationTime") or "").strip())
        expires = datetime.fromisoformat((root.findtext("header/expirationTime") or "").strip())
    except (etree.XMLSyntaxError, ValueError):
        raise FiscalError("WSAA's login answer is not a ticket") from None
    if not token or not sign or generated.tzinfo is None or expires.tzinfo is None:
        raise FiscalError("WSAA's login answer is not a ticket")
    return Ticket(token=token, sign=sign, generated=generated, expires=expires)


def cache_key(cuit: int, wsaa_url: str, service: str = SERVICE) -> str:
    """One ticket per CUIT, service and WSAA (testing and production tickets never mix)."""
    return f"{cuit}-{service}-{hashlib.sha256(wsaa_url.encode()).hexdigest()[:12]}"


class FileTicketStore:
    """Tickets as 0600 JSON files in DIRECTORY, written whole (rename), with a lock per ticket."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def load(self, key: str) -> Ticket | None:
        try:
            data = json.loads((self.directory / f"{key}.ticket").read_text(encoding="utf-8"))
            return Ticket(token=data["token"], sign=data["sign"],
                          generated=datetime.fromisoformat(data["generated"]),
                          expires=datetime.fromisoformat(data["expires"]))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            return None       # unreadable: a login replaces it (WSAA refuses while the old one is valid)

    def save(self, key: str, ticket: Ticket) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{key}.ticket"
        partial = path.with_suffix(f".{os.getpid()}.partial")
        data = {"token": ticket.token, "sign": ticket.sign, "generated": ticket.generated.isoformat(),
                "expires": ticket.expires.isoformat()}
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            json.dump(data, stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(partial, path)

    def mark_asked(self, key: str, at: datetime) -> None:
        """Note that a login for KEY is being asked at AT, before asking: a run killed between
        AFIP's grant and `save` leaves this note, so the next run can say when AFIP will give
        another ticket (the lost one lasts TICKET_LIFETIME)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{key}.asked"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(at.isoformat())
            stream.flush()
            os.fsync(stream.fileno())

    def last_asked(self, key: str) -> datetime | None:
        """When a login for KEY was last asked (None: never, or unreadable)."""
        try:
            return datetime.fromisoformat((self.directory / f"{key}.asked").read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            return None

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        """Hold the ticket's lock: another run waits here, then finds the ticket this one got."""
        self.directory.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.directory / f"{key}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)
