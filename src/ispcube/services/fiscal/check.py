"""`fiscal check` (I4): is AFIP reachable, does the login work, and where does each series stand?

For every company given any of its AFIP data (point of sale, certificate, key): WSFEv1's
`FEDummy` (its application, database and authentication servers), a login (the cached ticket
when it is valid) and the last number AFIP authorized for each letter the company issues, at
its point of sale; and how many invoices have waited for their CAE longer than
`fiscal.retry_days` (`invoice authorize` names them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select

from ispcube.db import models as m
from ispcube.domain.tax import CompanyVat, DocumentKind, Letter, document_type
from ispcube.errors import Invalid, IspcubeError
from ispcube.services.fiscal.authorize import ClientFactory, default_clients
from ispcube.services.fiscal.billing import issuer_condition
from ispcube.services.fiscal.drivers import afip_company, driver_in_use
from ispcube.services.fiscal.overdue import count_overdue
from ispcube.services.process.runtime import Runtime, require_office


@dataclass
class FiscalCheck:
    driver: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    overdue: int = 0              # open invoices past fiscal.retry_days
    retry_days: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def overdue_line(self) -> str | None:
        if not self.overdue:
            return None
        return (f"{self.overdue} invoice(s) have waited for their CAE longer than fiscal.retry_days "
                f"({self.retry_days}): `ispcube invoice authorize` names them")


def letters_of(issuer: CompanyVat) -> tuple[Letter, ...]:
    return (Letter.A, Letter.B) if issuer is CompanyVat.RESPONSABLE_INSCRIPTO else (Letter.C,)


def fiscal_check(rt: Runtime, clients: ClientFactory | None = None) -> FiscalCheck:
    with rt.uow() as uow:
        require_office(rt.actor(uow), "check the tax authority's service")
        driver = driver_in_use(uow.session)
        if not driver.authorizes:
            raise Invalid(f"fiscal.driver is {driver.name}: there is no tax authority to check "
                          "(`ispcube config set fiscal.driver afip`)")
        companies = uow.session.scalars(select(m.Company).where(or_(
            m.Company.point_of_sale.is_not(None), m.Company.afip_cert.is_not(None), m.Company.afip_key.is_not(None)))
            .order_by(m.Company.number)).all()
        if not companies:
            raise Invalid("no billing company has a point of sale or AFIP certificate to check "
                          "(`ispcube company edit N --point-of-sale N --afip-cert FILE --afip-key FILE`)")
        make = clients or default_clients(rt)
        check = FiscalCheck(driver.name)
        check.overdue, check.retry_days = count_overdue(uow, rt.today())
        for company in companies:
            try:
                identity = afip_company(company)
                client = make(uow, identity)
                status = client.dummy()
                if not status.ok:
                    check.problems.append(f"company {company.number}: AFIP's WSFEv1 is not well: application "
                                          f"{status.app}, database {status.db}, authentication {status.auth}")
                    continue
                for letter in letters_of(issuer_condition(company.vat_condition)):
                    kind = document_type(DocumentKind.INVOICE, letter)
                    check.rows.append({"company": company.number, "cuit": identity.cuit,
                                       "point_of_sale": identity.point_of_sale, "document": f"Factura {letter}",
                                       "type": kind, "last": client.last_authorized(identity.point_of_sale, kind)})
            except IspcubeError as exc:
                check.problems.append(f"company {company.number}: {exc}")
        return check
