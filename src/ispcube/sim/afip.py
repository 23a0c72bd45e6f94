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
from http.server import BaseHTTPRequestHandler
from pathlib import Path
import socket
import threading
from typing import Any

from cryptography import x509
from lxml import etree

from ispcube.errors import Invalid
from ispcube.sim.afip_soap import (
    PARSER,
    WsfeError,
    det_response,
    el,
    envelope,
    errors_element,
    observations_element,
    q,
    read_detail,
    read_operation,
    soap_fault,
    to_int,
)
from ispcube.sim.afip_wsaa import Wsaa, WsaaFault
from ispcube.sim.afip_wsdl import WSAA_NS, WSAA_WSDL, WSFE_NS, WSFE_WSDL
from ispcube.sim.afip_wsfe import CLASS_OF, Authorized, Book
from ispcube.sim.http_server import HttpSimulator

__all__ = ["AfipSimulator", "WSAA_PATH", "WSFE_PATH", "load_trusted", "clock_on", "serve"]

WSAA_PATH = "/ws/services/LoginCms"
WSFE_PATH = "/wsfev1/service.asmx"
MAX_BATCH = 250
MAX_BODY = 8 * 1024 * 1024


class _Drop(Exception):
    """Close the connection without a reply."""


def _now_utc() -> datetime:
    return datetime.now(timezone.utc)


class AfipSimulator(HttpSimulator):
    """WSAA and WSFEv1 on one loopback HTTP port; thread-safe; start/stop or use as a context manager."""
    NAME = "afip-sim"


    def __init__(self, trusted: list[x509.Certificate], *, host: str = "127.0.0.1", port: int = 0,
                 clock: Callable[[], datetime] = _now_utc, max_batch: int = MAX_BATCH,
                 points_of_sale: set[int] | None = None) -> None:
        super().__init__(host, port)
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
            operation = read_operation(body)
            if operation.tag != f"{{{WSAA_NS}}}loginCms":
                raise WsaaFault("wsaa.unknownOperation", "Operacion desconocida")
            with self._lock:
                ticket = self.wsaa.login(operation.findtext(f"{{{WSAA_NS}}}in0") or "", self.now())
        except WsaaFault as fault:
            return 500, soap_fault(fault.code, fault.message)
        except etree.XMLSyntaxError:
            return 500, soap_fault("xml.bad", "Mensaje SOAP mal formado")
        response = etree.Element(f"{{{WSAA_NS}}}loginCmsResponse", nsmap={None: WSAA_NS})
        etree.SubElement(response, f"{{{WSAA_NS}}}loginCmsReturn").text = ticket
        return 200, envelope(response)

    # -- WSFEv1 -------------------------------------------------------------------------------
    def handle_wsfe(self, body: bytes) -> tuple[int, bytes]:
        try:
            operation = read_operation(body)
        except etree.XMLSyntaxError:
            return 500, soap_fault("soap:Client", "Server was unable to read request.")
        name = etree.QName(operation).localname
        handler = {"FEDummy": self._dummy, "FECompTotXRequest": self._tot_x_request,
                   "FECompUltimoAutorizado": self._last_authorized, "FECAESolicitar": self._solicitar,
                   "FECompConsultar": self._consult}.get(name)
        if handler is None or etree.QName(operation).namespace != WSFE_NS:
            return 500, soap_fault("soap:Client",
                                   f"Server did not recognize the value of HTTP Header SOAPAction: {name}.")
        with self._lock:
            self.requests += 1
            result = handler(operation)
        response = el(f"{name}Response", el(f"{name}Result", *result))
        return 200, envelope(response)

    def _auth(self, operation: etree._Element) -> int:
        auth = operation.find(q("Auth"))
        token = (auth.findtext(q("Token")) if auth is not None else None) or ""
        sign = (auth.findtext(q("Sign")) if auth is not None else None) or ""
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
        cuit = to_int(auth.findtext(q("Cuit")) if auth is not None else None)
        if cuit != ticket.cuit:
            raise WsfeError(600, f"ValidacionDeToken: No apareció CUIT en lista de relaciones: {cuit}")
        return cuit

    def _dummy(self, operation: etree._Element) -> list[etree._Element]:
        return [el("AppServer", "OK"), el("DbServer", "OK"), el("AuthServer", "OK")]

    def _tot_x_request(self, operation: etree._Element) -> list[etree._Element]:
        try:
            self._auth(operation)
        except WsfeError as error:
            return [el("RegXReq", "0"), errors_element(error)]
        return [el("RegXReq", str(self.max_batch))]

    def _last_authorized(self, operation: etree._Element) -> list[etree._Element]:
        point_of_sale, kind = to_int(operation.findtext(q("PtoVta"))), to_int(operation.findtext(q("CbteTipo")))
        try:
            cuit = self._auth(operation)
            self._check_series(point_of_sale, kind)
        except WsfeError as error:
            return [el("PtoVta", "0"), el("CbteTipo", "0"), el("CbteNro", "0"), errors_element(error)]
        return [el("PtoVta", str(point_of_sale)), el("CbteTipo", str(kind)),
                el("CbteNro", str(self.book.last_number(cuit, point_of_sale, kind)))]

    def _consult(self, operation: etree._Element) -> list[etree._Element]:
        request = operation.find(q("FeCompConsReq"))
        kind = to_int(request.findtext(q("CbteTipo")) if request is not None else None)
        number = to_int(request.findtext(q("CbteNro")) if request is not None else None)
        point_of_sale = to_int(request.findtext(q("PtoVta")) if request is not None else None)
        try:
            cuit = self._auth(operation)
            found = self.book.consult(cuit, point_of_sale, kind, number)
            if found is None:
                raise WsfeError(602, "No existen datos en nuestros registros para los parametros ingresados.")
        except WsfeError as error:
            return [errors_element(error)]
        result = el("ResultGet", *etree.fromstring(found.detail.source, PARSER))
        for element in result.findall(q("CbteDesde")) + result.findall(q("CbteHasta")):
            element.text = str(number)
        for name, value in (("Resultado", "A"), ("CodAutorizacion", found.cae), ("EmisionTipo", "CAE"),
                            ("FchVto", found.cae_due), ("FchProceso", found.processed)):
            result.append(el(name, value))
        if found.observations:
            result.append(observations_element(found.observations))
        result.extend([el("PtoVta", str(point_of_sale)), el("CbteTipo", str(kind))])
        return [result]

    def _solicitar(self, operation: etree._Element) -> list[etree._Element]:
        request = operation.find(q("FeCAEReq"))
        header = request.find(q("FeCabReq")) if request is not None else None
        read = (lambda name: to_int(header.findtext(q(name)))) if header is not None else (lambda name: 0)
        count, point_of_sale, kind = read("CantReg"), read("PtoVta"), read("CbteTipo")
        details = request.findall(f"{q('FeDetReq')}/{q('FECAEDetRequest')}") if request is not None else []
        now = self.now()
        cab = [el("Cuit", "0"), el("PtoVta", str(point_of_sale)), el("CbteTipo", str(kind)),
               el("FchProceso", now.strftime("%Y%m%d%H%M%S")), el("CantReg", str(count))]
        try:
            cuit = self._auth(operation)
            cab[0].text = str(cuit)
            self._check_header(count, len(details), point_of_sale, kind)
            read_details = [read_detail(d) for d in details]
        except WsfeError as error:
            if error.code == 600:
                return [errors_element(error)]
            return [el("FeCabResp", *cab, el("Resultado", "R"), el("Reproceso", "N")), errors_element(error)]
        outcomes = self.book.authorize(cuit, point_of_sale, kind, read_details, now)
        results = {o.result for o in outcomes}
        overall = "A" if results == {"A"} else "R" if results == {"R"} else "P"
        reprocessed = "S" if any(o.reprocessed for o in outcomes) else "N"
        reply = [el("FeCabResp", *cab, el("Resultado", overall), el("Reproceso", reprocessed)),
                 el("FeDetResp", *(det_response(o) for o in outcomes))]
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
                status, reply = 404, soap_fault("soap:Client", "no such service")
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


def clock_on(day: date | None, now: Callable[[], datetime] = _now_utc) -> Callable[[], datetime]:
    """A clock that runs on from NOW's time of day, on DAY (None: NOW itself)."""
    if day is None:
        return now
    start = now()
    shift = datetime.combine(day, start.timetz()) - start
    return lambda: now() + shift


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


AfipSimulator.HANDLER = _Handler
