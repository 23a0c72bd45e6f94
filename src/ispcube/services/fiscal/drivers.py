"""The fiscal drivers (I3), napalm's registry shape: `fiscal.driver` names one, and what the
services ask of it are its capabilities, never its name.

- `none` numbers invoices internally (the ledger's number is the invoice's): its documents are
  `internal` from billing on and nothing authorizes them.
- `afip` leaves each invoice a `draft` with no number; `invoice authorize` asks AFIP's WSFEv1
  for its number and CAE through an `AfipClient` opened for the invoice's company.

A later regime (Chile's SII, Spain's VeriFactu) is one more entry here and in
`domain/fiscal.FISCAL_DRIVERS`, whose names and help `config set fiscal.driver` reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from sqlalchemy.orm import Session

from ispcube.adapters.afip import AfipClient, endpoints
from ispcube.adapters.afip_login import Credentials, FileTicketStore
from ispcube.db import models as m
from ispcube.domain.fiscal import FISCAL_DRIVERS, FiscalStatus
from ispcube.domain.ids import normalise_id
from ispcube.domain.text import quoted
from ispcube.errors import Invalid
from ispcube.services.admin import config


@dataclass(frozen=True)
class FiscalDriver:
    name: str
    status_at_billing: FiscalStatus      # internal: numbered by billing; draft: waits for authorization
    authorizes: bool                     # `invoice authorize` and `fiscal check` have work to do


DRIVERS: dict[str, FiscalDriver] = {d.name: d for d in [
    FiscalDriver("none", FiscalStatus.INTERNAL, authorizes=False),
    FiscalDriver("afip", FiscalStatus.DRAFT, authorizes=True),
]}
assert set(DRIVERS) == set(FISCAL_DRIVERS), "every fiscal driver named in domain/fiscal.py is registered here"


def driver_in_use(session: Session) -> FiscalDriver:
    return DRIVERS[config.get_value(session, "fiscal.driver")]


@dataclass(frozen=True)
class AfipCompany:
    """What the afip driver needs of a company: its CUIT, point of sale and credentials."""

    company_id: int
    number: int
    cuit: int
    point_of_sale: int
    credentials: Credentials


def afip_company(company: m.Company) -> AfipCompany:
    """COMPANY's AFIP identity, or Invalid naming what is missing (the caller names the company)."""
    missing = [flag for flag, value in (("--tax-id", company.tax_id), ("--point-of-sale", company.point_of_sale),
                                        ("--afip-cert", company.afip_cert), ("--afip-key", company.afip_key))
               if not value]
    if missing:
        raise Invalid(f"AFIP needs its {', '.join(missing)} (`ispcube company edit {company.number} ...`)")
    try:
        checked = normalise_id("AR", "CUIT", company.tax_id)
    except Invalid:
        checked = None
    if checked is None:
        raise Invalid(f"its tax ID {quoted(company.tax_id or '')} is not a valid CUIT")
    cuit = int(checked.key)
    assert company.point_of_sale is not None and company.afip_cert and company.afip_key
    credentials = Credentials.from_files(cuit, Path(company.afip_cert), Path(company.afip_key))
    return AfipCompany(company.id, company.number, cuit, company.point_of_sale, credentials)


def afip_client(session: Session, company: AfipCompany, tickets: Path,
                clock: Callable | None = None) -> AfipClient:
    """An AFIP client for COMPANY at the configured endpoints, tickets cached in TICKETS."""
    where = endpoints(config.get_value(session, "afip.environment"),
                      config.get_value(session, "afip.wsaa_url") or None,
                      config.get_value(session, "afip.wsfe_url") or None)
    store = FileTicketStore(tickets)
    if clock is None:
        return AfipClient(where, company.credentials, store)
    return AfipClient(where, company.credentials, store, clock=clock)
