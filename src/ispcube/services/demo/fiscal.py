"""The demo's fiscal invoices (I9): its months authorized against a loopback AFIP, one printed.

The demo bills with the `afip` fiscal driver, so its invoices wait as drafts; here a
certificate authority and a certificate per company (its CUIT in the subject, as AFIP's
testing environment hands them out for a CSR) are made beside the database, the simulated
WSAA and WSFEv1 run on loopback on the story's clock, and `invoice authorize` numbers every
invoice and gets its CAE; the first one is printed with its QR.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime, timedelta, timezone
import os
from pathlib import Path

from sqlalchemy import select

from ispcube.db import models as m
from ispcube.domain.fiscal import FiscalStatus
from ispcube.services.admin import config, tables
from ispcube.services.fiscal.authorize import authorize
from ispcube.services.fiscal.invoices import InvoiceFilter, list_invoices, print_invoice
from ispcube.services.process.runtime import Runtime
from ispcube.sim.afip import AfipSimulator

POINT_OF_SALE = 2


def use_afip(rt: Runtime) -> None:
    """Before billing: invoices are drafts for AFIP to authorize."""
    with rt.uow() as uow:
        config.set_setting(uow, "fiscal.driver", "afip")


def fiscal_tour(rt: Runtime, folder: Path) -> Generator[str, None, None]:
    moment = rt.clock()
    utc = lambda: _utc(rt.clock())  # noqa: E731
    authority = _authority(folder, moment)
    with rt.uow() as uow:
        companies = uow.session.execute(select(m.Company.number, m.Company.tax_id).order_by(m.Company.number)).all()
    for number, tax_id in companies:
        cuit = int("".join(c for c in tax_id or "" if c.isdigit()))
        cert, key = _company_files(folder, authority, number, cuit, moment)
        with rt.uow() as uow:
            tables.edit_row(uow, rt, "company", str(number), {
                "point_of_sale": str(POINT_OF_SALE), "afip_cert": str(cert), "afip_key": str(key),
                "activity_start": "2015-03-01", "gross_income": f"901-{number:06d}-0"})
    with AfipSimulator([authority[0]], clock=utc) as afip:
        with rt.uow() as uow:
            config.set_setting(uow, "afip.wsaa_url", afip.wsaa_url)
            config.set_setting(uow, "afip.wsfe_url", afip.wsfe_url)
        run = authorize(rt)
        yield (f"AFIP (simulated on {afip.host}:{afip.port}): {run.authorized} invoices authorized with a CAE each, "
               f"in {afip.requests} requests after {afip.wsaa.logins} login(s)")
        with rt.uow() as uow:      # the demo's AFIP stops with it: back to the published endpoints
            config.set_setting(uow, "afip.wsaa_url", "")
            config.set_setting(uow, "afip.wsfe_url", "")
    authorized = list_invoices(rt, InvoiceFilter(status=FiscalStatus.AUTHORIZED.value))
    if authorized:
        first = authorized[0]
        document = print_invoice(rt, str(first["entry"]), str(folder / "factura.pdf"), replace=True)
        yield (f"Invoice {first['fiscal_number']} of client {first['client']}, CAE {first['cae']}, printed with "
               f"its QR: {document.path}")


def _authority(folder: Path, moment: datetime):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ispcube demo AFIP authority")])
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(_utc(moment) - timedelta(days=400))
                   .not_valid_after(_utc(moment) + timedelta(days=3650))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    return certificate, key


def _company_files(folder: Path, authority, number: int, cuit: int, moment: datetime) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    issuer, issuer_key = authority
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"ispcube demo company {number}"),
                         x509.NameAttribute(NameOID.SERIAL_NUMBER, f"CUIT {cuit}")])
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer.subject)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(_utc(moment) - timedelta(days=400))
                   .not_valid_after(_utc(moment) + timedelta(days=730)).sign(issuer_key, hashes.SHA256()))
    cert_path, key_path = folder / f"afip-company-{number}.crt", folder / f"afip-company-{number}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    os.chmod(key_path, 0o600)
    return cert_path, key_path


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.astimezone(timezone.utc)
