"""The simulated WSAA's check of a login request: a CMS SignedData (RFC 5652) it can trust.

`cryptography` signs CMS but does not verify it, so the few DER structures WSAA reads are
walked here: the signed content (the ticket request XML), the signer's certificate, its
signed attributes (the message digest) and the signature over them. The signer must be a
certificate the simulator trusts, or one issued by it, and be valid on the simulator's day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

SIGNED_DATA = "1.2.840.113549.1.7.2"
DATA = "1.2.840.113549.1.7.1"
MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
DIGESTS: dict[str, type[hashes.HashAlgorithm]] = {
    "2.16.840.1.101.3.4.2.1": hashes.SHA256, "2.16.840.1.101.3.4.2.2": hashes.SHA384,
    "2.16.840.1.101.3.4.2.3": hashes.SHA512, "1.3.14.3.2.26": hashes.SHA1}


class CmsRefused(Exception):
    """The login request is refused with WSAA's fault CODE and its text."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Der:
    """One DER element: its tag byte, the whole encoding and the content octets."""

    tag: int
    encoded: bytes
    content: bytes

    def children(self) -> list[Der]:
        items, position = [], 0
        while position < len(self.content):
            item, position = read_der(self.content, position)
            items.append(item)
        return items


def read_der(data: bytes, position: int = 0) -> tuple[Der, int]:
    """The element starting at POSITION of DATA and the position after it (definite lengths only)."""
    try:
        tag = data[position]
        length = data[position + 1]
        start = position + 2
        if length & 0x80:
            count = length & 0x7F
            if count == 0 or count > 4:
                raise CmsRefused("cms.bad", "CMS con longitudes no soportadas")
            length = int.from_bytes(data[start:start + count], "big")
            start += count
    except IndexError:
        raise CmsRefused("cms.bad", "CMS truncado") from None
    end = start + length
    if end > len(data):
        raise CmsRefused("cms.bad", "CMS truncado")
    return Der(tag, data[position:end], data[start:end]), end


def oid(element: Der) -> str:
    if element.tag != 0x06 or not element.content:
        raise CmsRefused("cms.bad", "CMS mal formado: se esperaba un OID")
    body = element.content
    parts = [body[0] // 40, body[0] % 40]
    value = 0
    for byte in body[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return ".".join(str(p) for p in parts)


@dataclass(frozen=True)
class SignedContent:
    content: bytes
    signer: x509.Certificate


def verify_signed_data(der: bytes, trusted: list[x509.Certificate], now: datetime) -> SignedContent:
    """The content of the CMS SignedData DER and its signer, or CmsRefused with WSAA's fault."""
    try:
        root, end = read_der(der)
        if end != len(der) or root.tag != 0x30:
            raise CmsRefused("cms.bad", "El CMS no es un ContentInfo")
        content_type, explicit = root.children()[:2]
        if oid(content_type) != SIGNED_DATA or explicit.tag != 0xA0:
            raise CmsRefused("cms.bad", "El CMS no es un SignedData")
        fields = explicit.children()[0].children()
        encapsulated = fields[2].children()
        certificates = [x509.load_der_x509_certificate(c.encoded) for f in fields if f.tag == 0xA0
                        for c in f.children()]
        signer_infos = fields[-1].children()
    except (IndexError, ValueError):
        raise CmsRefused("cms.bad", "CMS mal formado") from None
    if oid(encapsulated[0]) != DATA or len(encapsulated) < 2:
        raise CmsRefused("cms.bad", "El CMS no contiene el TRA firmado")
    content = encapsulated[1].children()[0].content
    if len(signer_infos) != 1:
        raise CmsRefused("cms.bad", "El CMS debe tener exactamente un firmante")
    signer = _check_signer(signer_infos[0], certificates, content)
    _check_trust(signer, trusted, now)
    return SignedContent(content=content, signer=signer)


def _check_signer(info: Der, certificates: list[x509.Certificate], content: bytes) -> x509.Certificate:
    fields = info.children()
    try:
        issuer, serial = fields[1].children()
        digest_name = oid(fields[2].children()[0])
        attributes = next(f for f in fields if f.tag == 0xA0)
        signature = next(f for f in fields[3:] if f.tag == 0x04).content
    except (IndexError, ValueError, StopIteration):
        raise CmsRefused("cms.bad", "SignerInfo mal formado o sin atributos firmados") from None
    algorithm = DIGESTS.get(digest_name)
    if algorithm is None:
        raise CmsRefused("cms.sign.invalid", "Firma inválida o algoritmo no soportado")
    serial_number = int.from_bytes(serial.content, "big", signed=True)
    signer = next((c for c in certificates if c.serial_number == serial_number
                   and c.issuer.public_bytes() == issuer.encoded), None)
    if signer is None:
        raise CmsRefused("cms.bad", "El CMS no incluye el certificado del firmante")
    digests = [a.children()[1].children()[0].content for a in attributes.children()
               if oid(a.children()[0]) == MESSAGE_DIGEST]
    digest = hashes.Hash(algorithm())
    digest.update(content)
    if digests != [digest.finalize()]:
        raise CmsRefused("cms.sign.invalid", "Firma inválida o algoritmo no soportado")
    signed = b"\x31" + attributes.encoded[1:]      # signed as a SET OF, stored as [0] IMPLICIT
    try:
        _verify(signer, signature, signed, algorithm())
    except (InvalidSignature, TypeError):
        raise CmsRefused("cms.sign.invalid", "Firma inválida o algoritmo no soportado") from None
    return signer


def _verify(certificate: x509.Certificate, signature: bytes, data: bytes, algorithm: hashes.HashAlgorithm) -> None:
    key = certificate.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        key.verify(signature, data, padding.PKCS1v15(), algorithm)
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(signature, data, ec.ECDSA(algorithm))
    else:
        raise TypeError("unsupported key")


def _check_trust(signer: x509.Certificate, trusted: list[x509.Certificate], now: datetime) -> None:
    if not signer.not_valid_before_utc <= now <= signer.not_valid_after_utc:
        raise CmsRefused("cms.cert.expired", "Certificado expirado")
    for authority in trusted:
        if signer == authority:
            return
        try:
            signer.verify_directly_issued_by(authority)
            return
        except (ValueError, TypeError, InvalidSignature):
            continue
    raise CmsRefused("cms.cert.untrusted", "Certificado no emitido por AC de confianza")
