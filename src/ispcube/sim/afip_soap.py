"""SOAP 1.1 as the simulated AFIP reads and writes it: envelopes, faults, WSFEv1 elements by name."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from ispcube.sim.afip_wsdl import WSFE_NS
from ispcube.sim.afip_wsfe import Associated, Detail, Outcome, VatLine

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


class WsfeError(Exception):
    """A request refused as a whole: AFIP's `Errors` (600 for the ticket, 100xx for the header)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def q(name: str) -> str:
    return f"{{{WSFE_NS}}}{name}"


def el(name: str, *content: Any) -> etree._Element:
    element = etree.Element(q(name), nsmap={None: WSFE_NS})
    for item in content:
        if isinstance(item, str):
            element.text = item
        else:
            element.append(item)
    return element


def read_operation(body: bytes) -> etree._Element:
    envelope = etree.fromstring(body, PARSER)
    soap_body = envelope.find(f"{{{SOAP_NS}}}Body")
    children = [c for c in soap_body if isinstance(c.tag, str)] if soap_body is not None else []
    if envelope.tag != f"{{{SOAP_NS}}}Envelope" or not children:
        raise etree.XMLSyntaxError("not a SOAP 1.1 envelope", None, 0, 0, None)
    return children[0]


def envelope(content: etree._Element) -> bytes:
    envelope = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"soap": SOAP_NS})
    etree.SubElement(envelope, f"{{{SOAP_NS}}}Body").append(content)
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


def soap_fault(code: str, message: str) -> bytes:
    fault = etree.Element(f"{{{SOAP_NS}}}Fault")
    etree.SubElement(fault, "faultcode", nsmap={"ns1": "http://xml.apache.org/axis/"}).text = (
        code if ":" in code else f"ns1:{code}")
    etree.SubElement(fault, "faultstring").text = message
    return envelope(fault)


def errors_element(error: WsfeError) -> etree._Element:
    return el("Errors", el("Err", el("Code", str(error.code)), el("Msg", error.message)))


def observations_element(observations: tuple[tuple[int, str], ...]) -> etree._Element:
    return el("Observaciones", *(el("Obs", el("Code", str(c)), el("Msg", m)) for c, m in observations))


def det_response(outcome: Outcome) -> etree._Element:
    detail = outcome.detail
    items = [el("Concepto", str(detail.concept)), el("DocTipo", str(detail.doc_type)),
             el("DocNro", str(detail.doc_number)), el("CbteDesde", str(detail.first)),
             el("CbteHasta", str(detail.last)), el("CbteFch", detail.issued or ""), el("Resultado", outcome.result)]
    if outcome.observations:
        items.append(observations_element(outcome.observations))
    items += [el("CAE", outcome.cae or ""), el("CAEFchVto", outcome.cae_due or "")]
    return el("FECAEDetResponse", *items)


def to_int(text: str | None) -> int:
    try:
        return int((text or "0").strip())
    except ValueError:
        return 0


def to_amount(element: etree._Element, name: str) -> Decimal:
    try:
        return Decimal((element.findtext(q(name)) or "0").strip())
    except InvalidOperation:
        raise WsfeError(10056, f"El campo {name} no se informa con la precision indicada.") from None


def _flatten(element: etree._Element) -> str:
    children = [c for c in element if isinstance(c.tag, str)]
    if not children:
        return (element.text or "").strip()
    return "{" + ";".join(f"{etree.QName(c).localname}={_flatten(c)}" for c in children) + "}"


def read_detail(element: etree._Element) -> Detail:
    text = lambda name: (element.findtext(q(name)) or "").strip() or None  # noqa: E731
    iva = element.find(q("Iva"))
    associated = element.find(q("CbtesAsoc"))
    return Detail(
        fields=tuple((etree.QName(c).localname, _flatten(c)) for c in element if isinstance(c.tag, str)),
        concept=to_int(text("Concepto")), doc_type=to_int(text("DocTipo")), doc_number=to_int(text("DocNro")),
        first=to_int(text("CbteDesde")), last=to_int(text("CbteHasta")), issued=text("CbteFch"),
        total=to_amount(element, "ImpTotal"), untaxed=to_amount(element, "ImpTotConc"),
        net=to_amount(element, "ImpNeto"),
        exempt=to_amount(element, "ImpOpEx"), taxes=to_amount(element, "ImpTrib"), vat=to_amount(element, "ImpIVA"),
        service_from=text("FchServDesde"), service_to=text("FchServHasta"), payment_due=text("FchVtoPago"),
        currency=text("MonId"), exchange_rate=to_amount(element, "MonCotiz"),
        receptor_condition=to_int(text("CondicionIVAReceptorId")) if text("CondicionIVAReceptorId") else None,
        vat_lines=None if iva is None else tuple(
            VatLine(to_int(a.findtext(q("Id"))), to_amount(a, "BaseImp"), to_amount(a, "Importe"))
            for a in iva.findall(q("AlicIva"))),
        associated=None if associated is None else tuple(
            Associated(to_int(a.findtext(q("Tipo"))), to_int(a.findtext(q("PtoVta"))), to_int(a.findtext(q("Nro"))))
            for a in associated.findall(q("CbteAsoc"))),
        associated_period=element.find(q("PeriodoAsoc")) is not None,
        source=etree.tostring(element),
    )
