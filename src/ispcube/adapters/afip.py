"""AFIP's electronic invoice (WSFEv1) for the `afip` fiscal driver: login, numbers, CAEs.

SOAP through zeep from the WSDL each service publishes at `?WSDL` (the real AFIP's, or the
loopback simulator's in the tests): zeep builds the requests in the order and namespace of
the published schema, which WSFEv1 is strict about, and reads the answers by name. The
endpoint is always the configured one (`afip.wsaa_url`/`afip.wsfe_url` or the environment's),
whatever address the WSDL names, so a proxy in between works.

Library failures become the product's errors: no answer (or a lost one) is FiscalUnreachable
(an authorization may then have been granted: ask `consult`), a refused login or ticket is
FiscalAuthError, anything else AFIP answers that cannot be used is FiscalProtocolError.
AFIP's per-document refusals are not errors: they come back as `Authorization` results.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Protocol

from ispcube.adapters.afip_login import (
    ARGENTINA,
    TICKET_LIFETIME,
    Credentials,
    Ticket,
    cache_key,
    read_ticket_response,
    sign_request,
    ticket_request,
)
from ispcube.domain.tax import TaxSplit, vat_rate_id
from ispcube.errors import FiscalAuthError, FiscalError, FiscalProtocolError, FiscalUnreachable

ENVIRONMENTS = {
    "testing": ("https://wsaahomo.afip.gov.ar/ws/services/LoginCms",
                "https://wswhomo.afip.gov.ar/wsfev1/service.asmx"),
    "production": ("https://wsaa.afip.gov.ar/ws/services/LoginCms",
                   "https://servicios1.afip.gov.ar/wsfev1/service.asmx"),
}
SERVICES_CONCEPT = 2
ALREADY_AUTHENTICATED = "coe.alreadyAuthenticated"
NOT_FOUND = 602
ALREADY_HELD = "a valid access ticket is held elsewhere"     # WSAA's refusal, told in `_ticket_held`


def _ticket_held(asked_before: datetime | None, cached: Ticket | None, now: datetime) -> str:
    """Why WSAA refused a login, and until when: the run that last asked here was stopped after
    AFIP granted its ticket and before keeping it, or the certificate logs in elsewhere."""
    lost = asked_before is not None and (cached is None or cached.generated < asked_before - timedelta(minutes=1))
    if lost and asked_before is not None and now < asked_before + TICKET_LIFETIME:
        until = (asked_before + TICKET_LIFETIME).astimezone(ARGENTINA)
        return ("AFIP's WSAA says this certificate already has a valid access ticket: a run asked for one at "
                f"{asked_before.astimezone(ARGENTINA):%Y-%m-%d %H:%M} (Argentina) and was stopped before keeping "
                f"it; AFIP gives a new one after {until:%Y-%m-%d %H:%M}, and open invoices wait until then")
    return ("AFIP's WSAA says this certificate already has a valid access ticket, which is not in the ticket "
            "cache (removed, or the same certificate is used elsewhere); AFIP gives a new one only once it "
            "expires, at most 12 hours after it was given")


@dataclass(frozen=True)
class Endpoints:
    wsaa: str
    wsfe: str


def endpoints(environment: str = "testing", wsaa_url: str | None = None, wsfe_url: str | None = None) -> Endpoints:
    """The environment's published endpoints, each replaced by its setting when one is given."""
    if environment not in ENVIRONMENTS:
        raise FiscalError(f"afip.environment {environment!r} is not one of: {', '.join(ENVIRONMENTS)}")
    wsaa, wsfe = ENVIRONMENTS[environment]
    return Endpoints(wsaa=wsaa_url or wsaa, wsfe=wsfe_url or wsfe)


class TicketStore(Protocol):
    def load(self, key: str) -> Ticket | None: ...
    def save(self, key: str, ticket: Ticket) -> None: ...
    def hold(self, key: str) -> Any: ...
    def mark_asked(self, key: str, at: datetime) -> None: ...
    def last_asked(self, key: str) -> datetime | None: ...


@dataclass(frozen=True)
class Associated:
    """A document a credit or debit note refers to (`CbtesAsoc`)."""

    document_type: int
    point_of_sale: int
    number: int
    issued: date | None = None


@dataclass(frozen=True)
class FiscalDocument:
    """One document to authorize: its number, receptor and amounts (a TaxSplit of its letter)."""

    number: int
    issued: date
    receptor_doc_type: int
    receptor_doc_number: int
    receptor_vat: int | None            # CondicionIVAReceptorId (RG 5616)
    amounts: TaxSplit
    service_from: date | None = None
    service_to: date | None = None
    payment_due: date | None = None
    concept: int = SERVICES_CONCEPT
    associated: tuple[Associated, ...] = ()


@dataclass(frozen=True)
class AfipMessage:
    code: int
    text: str


@dataclass(frozen=True)
class Authorization:
    """AFIP's answer for one document: approved with a CAE, or refused with its reasons."""

    number: int
    approved: bool
    cae: str | None
    cae_due: date | None
    messages: tuple[AfipMessage, ...] = ()
    reprocessed: bool = False


@dataclass(frozen=True)
class Consulted:
    """A document AFIP holds (FECompConsultar)."""

    number: int
    approved: bool
    cae: str | None
    cae_due: date | None
    issued: date | None
    total: Decimal
    receptor_doc_type: int
    receptor_doc_number: int


@dataclass(frozen=True)
class ServerStatus:
    app: str
    db: str
    auth: str

    @property
    def ok(self) -> bool:
        return self.app == self.db == self.auth == "OK"


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class AfipClient:
    """WSAA and WSFEv1 for one company (its CUIT, certificate and key)."""

    def __init__(self, where: Endpoints, credentials: Credentials, store: TicketStore, *,
                 clock: Callable[[], datetime] = _utc_now, timeout: float = 30.0) -> None:
        self.where = where
        self.credentials = credentials
        self.store = store
        self.clock = clock
        self.timeout = timeout
        self.logins = 0
        self._services: dict[str, Any] = {}

    # -- WSAA ---------------------------------------------------------------------------------
    def ticket(self) -> Ticket:
        """The cached ticket while it is valid; otherwise one login (one at a time per ticket)."""
        key = cache_key(self.credentials.cuit, self.where.wsaa)
        cached = self.store.load(key)
        if cached is not None and cached.valid_at(self.clock()):
            return cached
        with self.store.hold(key):
            cached = self.store.load(key)
            now = self.clock()
            if cached is not None and cached.valid_at(now):
                return cached
            signed = sign_request(ticket_request(now, unique_id=int(now.timestamp())), self.credentials)
            asked_before = self.store.last_asked(key)
            self.store.mark_asked(key, now)
            try:
                with self._calling("WSAA", self.where.wsaa):
                    answer = self._service("wsaa").loginCms(in0=signed)
            except FiscalAuthError as exc:
                if exc.args and exc.args[0] == ALREADY_HELD:
                    raise FiscalAuthError(_ticket_held(asked_before, cached, now)) from None
                raise
            ticket = read_ticket_response(answer)
            self.store.save(key, ticket)
            self.logins += 1
            return ticket

    # -- WSFEv1 -------------------------------------------------------------------------------
    def dummy(self) -> ServerStatus:
        with self._calling("WSFEv1", self.where.wsfe):
            result = self._service("wsfe").FEDummy()
        return ServerStatus(app=str(result.AppServer), db=str(result.DbServer), auth=str(result.AuthServer))

    def max_batch(self) -> int:
        """How many documents one FECAESolicitar may carry (FECompTotXRequest)."""
        with self._calling("WSFEv1", self.where.wsfe):
            result = self._service("wsfe").FECompTotXRequest(Auth=self._auth())
        _raise_errors(result)
        return int(result.RegXReq)

    def last_authorized(self, point_of_sale: int, document_type: int) -> int:
        """The last number AFIP authorized in the series (0 when none)."""
        with self._calling("WSFEv1", self.where.wsfe):
            result = self._service("wsfe").FECompUltimoAutorizado(
                Auth=self._auth(), PtoVta=point_of_sale, CbteTipo=document_type)
        _raise_errors(result)
        return int(result.CbteNro)

    def authorize(self, point_of_sale: int, document_type: int,
                  documents: Sequence[FiscalDocument]) -> list[Authorization]:
        """Ask a CAE for DOCUMENTS (consecutive numbers of one series) in one request."""
        request = {"FeCabReq": {"CantReg": len(documents), "PtoVta": point_of_sale, "CbteTipo": document_type},
                   "FeDetReq": {"FECAEDetRequest": [_detail(d) for d in documents]}}
        with self._calling("WSFEv1", self.where.wsfe, sent=True):
            result = self._service("wsfe").FECAESolicitar(Auth=self._auth(), FeCAEReq=request)
        errors = _messages(result.Errors, "Err")
        if any(m.code == 600 for m in errors):
            _raise_errors(result)
        if result.FeDetResp is None:        # the request refused as a whole (AFIP's Errors)
            if not errors:
                raise FiscalProtocolError("WSFEv1 answered the authorization with no result")
            return [Authorization(d.number, False, None, None, errors) for d in documents]
        reprocessed = (result.FeCabResp.Reproceso or "") == "S"
        answers = []
        for detail in result.FeDetResp.FECAEDetResponse:
            approved = detail.Resultado == "A" and bool(detail.CAE)
            answers.append(Authorization(
                number=int(detail.CbteDesde), approved=approved, cae=str(detail.CAE) if approved else None,
                cae_due=_date(detail.CAEFchVto) if approved else None,
                messages=_messages(detail.Observaciones, "Obs") + errors, reprocessed=reprocessed))
        return answers

    def consult(self, point_of_sale: int, document_type: int, number: int) -> Consulted | None:
        """The document AFIP holds under that number, or None when it holds none."""
        with self._calling("WSFEv1", self.where.wsfe):
            result = self._service("wsfe").FECompConsultar(
                Auth=self._auth(), FeCompConsReq={"CbteTipo": document_type, "CbteNro": number,
                                                  "PtoVta": point_of_sale})
        if any(m.code == NOT_FOUND for m in _messages(result.Errors, "Err")):
            return None
        _raise_errors(result)
        found = result.ResultGet
        approved = found.Resultado == "A" and bool(found.CodAutorizacion)
        return Consulted(number=number, approved=approved, cae=str(found.CodAutorizacion) if approved else None,
                         cae_due=_date(found.FchVto), issued=_date(found.CbteFch),
                         total=Decimal(str(found.ImpTotal)).quantize(Decimal("0.01")),
                         receptor_doc_type=int(found.DocTipo), receptor_doc_number=int(found.DocNro))

    # -- plumbing -----------------------------------------------------------------------------
    def _auth(self) -> dict[str, Any]:
        ticket = self.ticket()
        return {"Token": ticket.token, "Sign": ticket.sign, "Cuit": self.credentials.cuit}

    def _service(self, name: str) -> Any:
        """The zeep service proxy for WSAA or WSFEv1, built once from the endpoint's WSDL."""
        if name not in self._services:
            import logging

            import requests
            from zeep import Client, Settings
            from zeep.transports import Transport
            from zeep.wsdl.bindings.soap import Soap11Binding

            # zeep's transport logs whole envelopes at DEBUG: the ticket request, the token and the sign
            logging.getLogger("zeep.transports").setLevel(logging.INFO)
            address = self.where.wsaa if name == "wsaa" else self.where.wsfe
            session = requests.Session()
            session.trust_env = False       # the configured endpoint, never a proxy from the environment
            transport = Transport(session=session, timeout=self.timeout, operation_timeout=self.timeout)
            with self._calling("WSAA" if name == "wsaa" else "WSFEv1", address):
                client = Client(f"{address}?WSDL", transport=transport,
                                settings=Settings(strict=False, xml_huge_tree=False))
            binding = next((qname for qname, b in client.wsdl.bindings.items() if isinstance(b, Soap11Binding)),
                           None)
            if binding is None:
                raise FiscalProtocolError(f"the WSDL at {address} has no SOAP 1.1 binding")
            self._services[name] = client.create_service(binding, address)
        return self._services[name]

    @contextmanager
    def _calling(self, service: str, address: str, sent: bool = False) -> Iterator[None]:
        """Turn library failures into the product's errors, naming the service and never a secret."""
        import requests
        from zeep.exceptions import Fault, TransportError, ValidationError, XMLSyntaxError
        try:
            yield
        except ValidationError as exc:       # refused by the WSDL's schema before anything was sent
            raise FiscalError(f"the request cannot be sent to {service}: {exc.message}") from None
        except Fault as fault:
            code = str(fault.code or "").rpartition(":")[2]
            text = f"{service} refused: {fault.message} ({code})" if code else f"{service} refused: {fault.message}"
            if service == "WSAA":
                if code == ALREADY_AUTHENTICATED:
                    raise FiscalAuthError(ALREADY_HELD) from None
                raise FiscalAuthError(text) from None
            raise FiscalProtocolError(text) from None
        except requests.exceptions.RequestException as exc:
            lost = " (the request may have been carried out; its answer was lost)" if sent else ""
            raise FiscalUnreachable(f"AFIP's {service} at {address} did not answer: "
                                    f"{type(exc).__name__}{lost}") from None
        except TransportError as exc:
            raise FiscalProtocolError(f"AFIP's {service} at {address} answered HTTP {exc.status_code}") from None
        except (XMLSyntaxError, ValueError, AttributeError, TypeError):
            raise FiscalProtocolError(f"AFIP's {service} at {address} answered something that is not "
                                      "its SOAP service") from None


def _detail(document: FiscalDocument) -> dict[str, Any]:
    amounts = document.amounts
    detail: dict[str, Any] = {
        "Concepto": document.concept, "DocTipo": document.receptor_doc_type, "DocNro": document.receptor_doc_number,
        "CbteDesde": document.number, "CbteHasta": document.number, "CbteFch": _yyyymmdd(document.issued),
        "ImpTotal": amounts.total, "ImpTotConc": Decimal("0.00"), "ImpNeto": amounts.net,
        "ImpOpEx": Decimal("0.00"), "ImpTrib": Decimal("0.00"), "ImpIVA": amounts.vat,
        "FchServDesde": _yyyymmdd(document.service_from), "FchServHasta": _yyyymmdd(document.service_to),
        "FchVtoPago": _yyyymmdd(document.payment_due), "MonId": "PES", "MonCotiz": 1,
        "CondicionIVAReceptorId": document.receptor_vat,
    }
    if document.associated:
        detail["CbtesAsoc"] = {"CbteAsoc": [
            {"Tipo": a.document_type, "PtoVta": a.point_of_sale, "Nro": a.number, "CbteFch": _yyyymmdd(a.issued)}
            for a in document.associated]}
    if amounts.rate is not None:
        detail["Iva"] = {"AlicIva": [{"Id": vat_rate_id(amounts.rate), "BaseImp": amounts.net,
                                      "Importe": amounts.vat}]}
    return detail


def _messages(array: Any, item: str) -> tuple[AfipMessage, ...]:
    if array is None:
        return ()
    return tuple(AfipMessage(int(m.Code), str(m.Msg or "")) for m in getattr(array, item) or [])


def _raise_errors(result: Any) -> None:
    errors = _messages(result.Errors, "Err")
    if not errors:
        return
    text = "; ".join(f"{m.code} {m.text}" for m in errors)
    if any(m.code == 600 for m in errors):
        raise FiscalAuthError(f"WSFEv1 refused the access ticket: {text}")
    raise FiscalProtocolError(f"WSFEv1 refused: {text}")


def _yyyymmdd(day: date | None) -> str | None:
    return day.strftime("%Y%m%d") if day else None


def _date(text: Any) -> date | None:
    try:
        return datetime.strptime(str(text or ""), "%Y%m%d").date()
    except ValueError:
        return None
