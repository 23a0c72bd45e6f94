"""A simulated AFIP on loopback: WSAA (`loginCms`) and WSFEv1 over real SOAP/HTTP.

Written from AFIP's published WSAA and WSFEv1 manuals and WSDLs, so a client built for the
real services (zeep from the WSDL, or plain SOAP) talks to it unchanged: the WSDLs are served
at `?WSDL`, the login checks the CMS signature against the certificates the simulator trusts,
tickets last 12 hours and a second login while one is valid is refused, documents are
numbered per point of sale and type with AFIP's checks, and an authorized number can be
consulted. A switch drops the reply of the next authorizations after AFIP has granted them,
as a network that fails on the way back does.

Usage::

    with AfipSimulator(trusted=[ca_certificate], clock=lambda: FIXED) as afip:
        ...  # point a client at afip.wsaa_url and afip.wsfe_url
        afip.drop_replies = 1          # the next FECAESolicitar is granted, its reply lost
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
import socket
import threading
from typing import Any

from cryptography import x509
from lxml import etree

from ispcube.errors import Invalid
from ispcube.sim.afip_wsaa import Wsaa, WsaaFault
from ispcube.sim.afip_wsdl import WSAA_NS, WSAA_WSDL, WSFE_NS, WSFE_WSDL
from ispcube.sim.afip_wsfe import CLASS_OF, Associated, Authorized, Book, Detail, Outcome, VatLine

__all__ = ["AfipSimulator", "WSAA_PATH", "WSFE_PATH", "load_trusted", "clock_on", "serve"]

WSAA_PATH = "/ws/services/LoginCms"
WSFE_PATH = "/wsfev1/service.asmx"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
MAX_BATCH = 250
MAX_BODY = 8 * 1024 * 1024
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


class WsfeError(Exception):
    """A request refused as a whole: AFIP's `Errors` (600 for the ticket, 100xx for the header)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _Drop(Exception):
    """Close the connection without a reply."""


def _now_utc() -> datetime:
    return datetime.now(timezone.utc)


class AfipSimulator:
    """WSAA and WSFEv1 on one loopback HTTP port; thread-safe; start/stop or use as a context manager."""

    def __init__(self, trusted: list[x509.Certificate], *, host: str = "127.0.0.1", port: int = 0,
                 clock: Callable[[], datetime] = _now_utc, max_batch: int = MAX_BATCH,
                 points_of_sale: set[int] | None = None) -> None:
        self.host, self.port = host, port
        self.wsaa = Wsaa(trusted=list(trusted))
        self.book = Book()
        self.max_batch = max_batch
        self.points_of_sale = points_of_sale
        self.drop_replies = 0          # the next N authorization replies are lost after the grant
        self.dropped = 0
        self.requests = 0
        self._clock = clock
        self._offset = timedelta(0)
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle ---------------------------------------------------------------------------
    def start(self) -> AfipSimulator:
        handler = type("AfipHandler", (_Handler,), {"simulator": self})
        self._server = ThreadingHTTPServer((self.host, self.port), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="afip-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> AfipSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def wsaa_url(self) -> str:
        return f"http://{self.host}:{self.port}{WSAA_PATH}"

    @property
    def wsfe_url(self) -> str:
        return f"http://{self.host}:{self.port}{WSFE_PATH}"

    def now(self) -> datetime:
        return self._clock() + self._offset

    def advance(self, delta: timedelta) -> None:
        """Move the simulator's clock (tickets expire, dates move) without waiting."""
        with self._lock:
            self._offset += delta

    def last_number(self, cuit: int, point_of_sale: int, kind: int) -> int:
        with self._lock:
            return self.book.last_number(cuit, point_of_sale, kind)

    def authorized(self, cuit: int, point_of_sale: int, kind: int, number: int) -> Authorized | None:
        with self._lock:
            return self.book.consult(cuit, point_of_sale, kind, number)

    # -- WSAA ---------------------------------------------------------------------------------
    def handle_wsaa(self, body: bytes) -> tuple[int, bytes]:
        try:
            operation = _operation(body)
            if operation.tag != f"{{{WSAA_NS}}}loginCms":
                raise WsaaFault("wsaa.unknownOperation", "Operacion desconocida")
            with self._lock:
                ticket = self.wsaa.login(operation.findtext(f"{{{WSAA_NS}}}in0") or "", self.now())
        except WsaaFault as fault:
            return 500, _fault(fault.code, fault.message)
        except etree.XMLSyntaxError:
            return 500, _fault("xml.bad", "Mensaje SOAP mal formado")
        response = etree.Element(f"{{{WSAA_NS}}}loginCmsResponse", nsmap={None: WSAA_NS})
        etree.SubElement(response, f"{{{WSAA_NS}}}loginCmsReturn").text = ticket
        return 200, _envelope(response)

    # -- WSFEv1 -------------------------------------------------------------------------------
    def handle_wsfe(self, body: bytes) -> tuple[int, bytes]:
        try:
            operation = _operation(body)
        except etree.XMLSyntaxError:
            return 500, _fault("soap:Client", "Server was unable to read request.")
        name = etree.QName(operation).localname
        handler = {"FEDummy": self._dummy, "FECompTotXRequest": self._tot_x_request,
                   "FECompUltimoAutorizado": self._last_authorized, "FECAESolicitar": self._solicitar,
                   "FECompConsultar": self._consult}.get(name)
        if handler is None or etree.QName(operation).namespace != WSFE_NS:
            return 500, _fault("soap:Client", f"Server did not recognize the value of HTTP Header SOAPAction: {name}.")
        with self._lock:
            self.requests += 1
            result = handler(operation)
        response = _el(f"{name}Response", _el(f"{name}Result", *result))
        return 200, _envelope(response)

    def _auth(self, operation: etree._Element) -> int:
        auth = operation.find(_q("Auth"))
        token = (auth.findtext(_q("Token")) if auth is not None else None) or ""
        sign = (auth.findtext(_q("Sign")) if auth is not None else None) or ""
        if not token:
            raise WsfeError(600, "ValidacionDeToken: Parametro nulo o vacio (token)")
        ticket = self.wsaa.tickets.get(token)
        if ticket is None:
            raise WsfeError(600, "ValidacionDeToken: No valido token.")
        if ticket.sign != sign:
            raise WsfeError(600, "ValidacionDeToken: Error al verificar hash: ")
        now = self.now()
        if not ticket.generated <= now < ticket.expires:
            raise WsfeError(600, f"ValidacionDeToken: No validaron las fechas del token GenTime, ExpTime, NowUTC: "
                                 f"{int(ticket.generated.timestamp())}, {int(ticket.expires.timestamp())}, "
                                 f"{int(now.timestamp())}")
        cuit = _int(auth.findtext(_q("Cuit")) if auth is not None else None)
        if cuit != ticket.cuit:
            raise WsfeError(600, f"ValidacionDeToken: No apareció CUIT en lista de relaciones: {cuit}")
        return cuit

    def _dummy(self, operation: etree._Element) -> list[etree._Element]:
        return [_el("AppServer", "OK"), _el("DbServer", "OK"), _el("AuthServer", "OK")]

    def _tot_x_request(self, operation: etree._Element) -> list[etree._Element]:
        try:
            self._auth(operation)
        except WsfeError as error:
            return [_el("RegXReq", "0"), _errors(error)]
        return [_el("RegXReq", str(self.max_batch))]

    def _last_authorized(self, operation: etree._Element) -> list[etree._Element]:
        point_of_sale, kind = _int(operation.findtext(_q("PtoVta"))), _int(operation.findtext(_q("CbteTipo")))
        try:
            cuit = self._auth(operation)
            self._check_series(point_of_sale, kind)
        except WsfeError as error:
            return [_el("PtoVta", "0"), _el("CbteTipo", "0"), _el("CbteNro", "0"), _errors(error)]
        return [_el("PtoVta", str(point_of_sale)), _el("CbteTipo", str(kind)),
                _el("CbteNro", str(self.book.last_number(cuit, point_of_sale, kind)))]

    def _consult(self, operation: etree._Element) -> list[etree._Element]:
        request = operation.find(_q("FeCompConsReq"))
        kind = _int(request.findtext(_q("CbteTipo")) if request is not None else None)
        number = _int(request.findtext(_q("CbteNro")) if request is not None else None)
        point_of_sale = _int(request.findtext(_q("PtoVta")) if request is not None else None)
        try:
            cuit = self._auth(operation)
            found = self.book.consult(cuit, point_of_sale, kind, number)
            if found is None:
                raise WsfeError(602, "No existen datos en nuestros registros para los parametros ingresados.")
        except WsfeError as error:
            return [_errors(error)]
        result = _el("ResultGet", *etree.fromstring(found.detail.source, _PARSER))
        for element in result.findall(_q("CbteDesde")) + result.findall(_q("CbteHasta")):
            element.text = str(number)
        for name, value in (("Resultado", "A"), ("CodAutorizacion", found.cae), ("EmisionTipo", "CAE"),
                            ("FchVto", found.cae_due), ("FchProceso", found.processed)):
            result.append(_el(name, value))
        if found.observations:
            result.append(_observations(found.observations))
        result.extend([_el("PtoVta", str(point_of_sale)), _el("CbteTipo", str(kind))])
        return [result]

    def _solicitar(self, operation: etree._Element) -> list[etree._Element]:
        request = operation.find(_q("FeCAEReq"))
        header = request.find(_q("FeCabReq")) if request is not None else None
        read = (lambda name: _int(header.findtext(_q(name)))) if header is not None else (lambda name: 0)
        count, point_of_sale, kind = read("CantReg"), read("PtoVta"), read("CbteTipo")
        details = request.findall(f"{_q('FeDetReq')}/{_q('FECAEDetRequest')}") if request is not None else []
        now = self.now()
        cab = [_el("Cuit", "0"), _el("PtoVta", str(point_of_sale)), _el("CbteTipo", str(kind)),
               _el("FchProceso", now.strftime("%Y%m%d%H%M%S")), _el("CantReg", str(count))]
        try:
            cuit = self._auth(operation)
            cab[0].text = str(cuit)
            self._check_header(count, len(details), point_of_sale, kind)
            read_details = [_detail(d) for d in details]
        except WsfeError as error:
            if error.code == 600:
                return [_errors(error)]
            return [_el("FeCabResp", *cab, _el("Resultado", "R"), _el("Reproceso", "N")), _errors(error)]
        outcomes = self.book.authorize(cuit, point_of_sale, kind, read_details, now)
        results = {o.result for o in outcomes}
        overall = "A" if results == {"A"} else "R" if results == {"R"} else "P"
        reprocessed = "S" if any(o.reprocessed for o in outcomes) else "N"
        reply = [_el("FeCabResp", *cab, _el("Resultado", overall), _el("Reproceso", reprocessed)),
                 _el("FeDetResp", *(_det_response(o) for o in outcomes))]
        if self.drop_replies > 0:
            self.drop_replies -= 1
            self.dropped += 1
            raise _Drop()
        return reply

    def _check_series(self, point_of_sale: int, kind: int) -> None:
        if not 1 <= point_of_sale <= 99998:
            raise WsfeError(10004, "Campo PtoVta debe estar comprendido entre 1 y 99998.")
        if self.points_of_sale is not None and point_of_sale not in self.points_of_sale:
            raise WsfeError(10005, "El punto de venta informado debe estar dado de alta y ser del tipo RECE.")
        if kind not in CLASS_OF:
            raise WsfeError(10007, "Campo CbteTipo invalido. Consultar metodo FEParamGetTiposCbte.")

    def _check_header(self, count: int, details: int, point_of_sale: int, kind: int) -> None:
        if not 1 <= count <= 9998:
            raise WsfeError(10001, "CantReg debe estar comprendido entre 1 y 9998.")
        if count != details:
            raise WsfeError(10002, "La cantidad de registros del detalle debe ser igual a lo informado en "
                                   "cabecera (CantReg).")
        if details > self.max_batch:
            raise WsfeError(10003, "La cantidad de registros en detalle debe ser menor igual al valor permitido. "
                                   "Consulte metodo FECompTotXRequest.")
        self._check_series(point_of_sale, kind)


class _Handler(BaseHTTPRequestHandler):
    simulator: AfipSimulator
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:   # quiet: the CLI prints its own lines
        pass

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        wsdls = {WSAA_PATH: (WSAA_WSDL, self.simulator.wsaa_url), WSFE_PATH: (WSFE_WSDL, self.simulator.wsfe_url)}
        if path in wsdls and query.lower() == "wsdl":
            text, address = wsdls[path]
            self._send(200, text.replace("{address}", address).encode("utf-8"))
        else:
            self._send(404, b"not found", content_type="text/plain")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(413, b"request too large", content_type="text/plain")
            return
        body = self.rfile.read(length)
        path = self.path.partition("?")[0]
        try:
            if path == WSAA_PATH:
                status, reply = self.simulator.handle_wsaa(body)
            elif path == WSFE_PATH:
                status, reply = self.simulator.handle_wsfe(body)
            else:
                status, reply = 404, _fault("soap:Client", "no such service")
        except _Drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self._send(status, reply)

    def _send(self, status: int, body: bytes, content_type: str = "text/xml; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


# -- reading and writing SOAP -----------------------------------------------------------------
def _q(name: str) -> str:
    return f"{{{WSFE_NS}}}{name}"


def _el(name: str, *content: Any) -> etree._Element:
    element = etree.Element(_q(name), nsmap={None: WSFE_NS})
    for item in content:
        if isinstance(item, str):
            element.text = item
        else:
            element.append(item)
    return element


def _operation(body: bytes) -> etree._Element:
    envelope = etree.fromstring(body, _PARSER)
    soap_body = envelope.find(f"{{{SOAP_NS}}}Body")
    children = [c for c in soap_body if isinstance(c.tag, str)] if soap_body is not None else []
    if envelope.tag != f"{{{SOAP_NS}}}Envelope" or not children:
        raise etree.XMLSyntaxError("not a SOAP 1.1 envelope", None, 0, 0, None)
    return children[0]


def _envelope(content: etree._Element) -> bytes:
    envelope = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"soap": SOAP_NS})
    etree.SubElement(envelope, f"{{{SOAP_NS}}}Body").append(content)
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


def _fault(code: str, message: str) -> bytes:
    fault = etree.Element(f"{{{SOAP_NS}}}Fault")
    etree.SubElement(fault, "faultcode", nsmap={"ns1": "http://xml.apache.org/axis/"}).text = (
        code if ":" in code else f"ns1:{code}")
    etree.SubElement(fault, "faultstring").text = message
    return _envelope(fault)


def _errors(error: WsfeError) -> etree._Element:
    return _el("Errors", _el("Err", _el("Code", str(error.code)), _el("Msg", error.message)))


def _observations(observations: tuple[tuple[int, str], ...]) -> etree._Element:
    return _el("Observaciones", *(_el("Obs", _el("Code", str(c)), _el("Msg", m)) for c, m in observations))


def _det_response(outcome: Outcome) -> etree._Element:
    detail = outcome.detail
    items = [_el("Concepto", str(detail.concept)), _el("DocTipo", str(detail.doc_type)),
             _el("DocNro", str(detail.doc_number)), _el("CbteDesde", str(detail.first)),
             _el("CbteHasta", str(detail.last)), _el("CbteFch", detail.issued or ""), _el("Resultado", outcome.result)]
    if outcome.observations:
        items.append(_observations(outcome.observations))
    items += [_el("CAE", outcome.cae or ""), _el("CAEFchVto", outcome.cae_due or "")]
    return _el("FECAEDetResponse", *items)


def _int(text: str | None) -> int:
    try:
        return int((text or "0").strip())
    except ValueError:
        return 0


def _amount(element: etree._Element, name: str) -> Decimal:
    try:
        return Decimal((element.findtext(_q(name)) or "0").strip())
    except InvalidOperation:
        raise WsfeError(10056, f"El campo {name} no se informa con la precision indicada.") from None


def _flatten(element: etree._Element) -> str:
    children = [c for c in element if isinstance(c.tag, str)]
    if not children:
        return (element.text or "").strip()
    return "{" + ";".join(f"{etree.QName(c).localname}={_flatten(c)}" for c in children) + "}"


def _detail(element: etree._Element) -> Detail:
    text = lambda name: (element.findtext(_q(name)) or "").strip() or None  # noqa: E731
    iva = element.find(_q("Iva"))
    associated = element.find(_q("CbtesAsoc"))
    return Detail(
        fields=tuple((etree.QName(c).localname, _flatten(c)) for c in element if isinstance(c.tag, str)),
        concept=_int(text("Concepto")), doc_type=_int(text("DocTipo")), doc_number=_int(text("DocNro")),
        first=_int(text("CbteDesde")), last=_int(text("CbteHasta")), issued=text("CbteFch"),
        total=_amount(element, "ImpTotal"), untaxed=_amount(element, "ImpTotConc"), net=_amount(element, "ImpNeto"),
        exempt=_amount(element, "ImpOpEx"), taxes=_amount(element, "ImpTrib"), vat=_amount(element, "ImpIVA"),
        service_from=text("FchServDesde"), service_to=text("FchServHasta"), payment_due=text("FchVtoPago"),
        currency=text("MonId"), exchange_rate=_amount(element, "MonCotiz"),
        receptor_condition=_int(text("CondicionIVAReceptorId")) if text("CondicionIVAReceptorId") else None,
        vat_lines=None if iva is None else tuple(
            VatLine(_int(a.findtext(_q("Id"))), _amount(a, "BaseImp"), _amount(a, "Importe"))
            for a in iva.findall(_q("AlicIva"))),
        associated=None if associated is None else tuple(
            Associated(_int(a.findtext(_q("Tipo"))), _int(a.findtext(_q("PtoVta"))), _int(a.findtext(_q("Nro"))))
            for a in associated.findall(_q("CbteAsoc"))),
        associated_period=element.find(_q("PeriodoAsoc")) is not None,
        source=etree.tostring(element),
    )


def load_trusted(paths: list[Path]) -> list[x509.Certificate]:
    """Every PEM certificate in PATHS (a file may hold several): the ones the login trusts."""
    trusted: list[x509.Certificate] = []
    for path in paths:
        try:
            trusted += x509.load_pem_x509_certificates(path.read_bytes())
        except OSError as exc:
            raise Invalid(f"cannot read {path}: {exc.strerror}") from None
        except ValueError:
            raise Invalid(f"{path} holds no PEM certificate") from None
    return trusted


def clock_on(day: date | None) -> Callable[[], datetime]:
    """A clock that runs from now, moved to DAY (None: the real day)."""
    if day is None:
        return _now_utc
    start = _now_utc()
    shift = datetime.combine(day, start.time(), timezone.utc) - start
    return lambda: _now_utc() + shift


def serve(simulator: AfipSimulator, *, on_ready: Callable[[AfipSimulator], None] | None = None,
          stop_event: threading.Event | None = None) -> AfipSimulator:
    """Serve until Ctrl-C (or STOP_EVENT), then stop; OSError if the port cannot be had."""
    stop_event = stop_event or threading.Event()
    simulator.start()
    try:
        if on_ready is not None:
            on_ready(simulator)
        while not stop_event.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        simulator.stop()
    return simulator
