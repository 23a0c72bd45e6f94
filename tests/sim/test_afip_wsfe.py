"""The simulated WSFEv1 over SOAP: numbering, AFIP's checks with their codes, lost replies, consults."""

from datetime import timedelta

import pytest
import requests

from ispcube.sim.afip import AfipSimulator
from tests.support.afip import (
    CUIT,
    FEV1,
    Clock,
    authority,
    company,
    credentials_of,
    login,
    post,
    signed,
    ticket_request,
)

# A Factura B of 12100.00 (10000.00 + 21 % VAT) for November's service, to a final consumer.
BASE = {"Concepto": "2", "DocTipo": "96", "DocNro": "30123456", "CbteDesde": "1", "CbteHasta": "1",
        "CbteFch": "20261130", "ImpTotal": "12100.00", "ImpTotConc": "0.00", "ImpNeto": "10000.00",
        "ImpOpEx": "0.00", "ImpTrib": "0.00", "ImpIVA": "2100.00", "FchServDesde": "20261101",
        "FchServHasta": "20261130", "FchVtoPago": "20261210", "MonId": "PES", "MonCotiz": "1",
        "CondicionIVAReceptorId": "5", "CbtesAsoc": None,
        "Iva": "<AlicIva><Id>5</Id><BaseImp>10000.00</BaseImp><Importe>2100.00</Importe></AlicIva>"}


def detail(number: int = 1, **changes) -> str:
    fields = {**BASE, "CbteDesde": str(number), "CbteHasta": str(number), **changes}
    return "<FECAEDetRequest>" + "".join(f"<{k}>{v}</{k}>" for k, v in fields.items() if v is not None) + \
        "</FECAEDetRequest>"


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def afip(clock):
    with AfipSimulator([authority().certificate], clock=clock, max_batch=5) as simulator:
        yield simulator


@pytest.fixture
def auth(afip):
    token, sign, _ = credentials_of(login(afip.wsaa_url, signed(ticket_request(), company()))[1])
    return f"<Auth><Token>{token}</Token><Sign>{sign}</Sign><Cuit>{CUIT}</Cuit></Auth>"


def call(afip, operation: str, content: str):
    status, root = post(afip.wsfe_url, f'<{operation} xmlns="{FEV1}">{content}</{operation}>')
    assert status == 200
    return root.find(f".//{{{FEV1}}}{operation}Result")


def text(element, path: str) -> str | None:
    return element.findtext("/".join(f"{{{FEV1}}}{p}" for p in path.split("/")))


def solicitar(afip, auth, *details: str, kind: int = 6, count: int | None = None):
    result = call(afip, "FECAESolicitar",
                  f"{auth}<FeCAEReq><FeCabReq><CantReg>{len(details) if count is None else count}</CantReg>"
                  f"<PtoVta>1</PtoVta><CbteTipo>{kind}</CbteTipo></FeCabReq>"
                  f"<FeDetReq>{''.join(details)}</FeDetReq></FeCAEReq>")
    return result


def outcomes(result) -> list[tuple[str, str, list[int]]]:
    """(Resultado, CAE, observation codes) of each document."""
    return [(text(d, "Resultado"), text(d, "CAE"), [int(c.text) for c in d.iter(f"{{{FEV1}}}Code")])
            for d in result.iter(f"{{{FEV1}}}FECAEDetResponse")]


def test_dummy_needs_no_ticket(afip):
    result = call(afip, "FEDummy", "")
    assert [text(result, n) for n in ("AppServer", "DbServer", "AuthServer")] == ["OK", "OK", "OK"]


def test_numbers_follow_the_last_authorized(afip, auth):
    assert text(call(afip, "FECompUltimoAutorizado", f"{auth}<PtoVta>1</PtoVta><CbteTipo>6</CbteTipo>"),
                "CbteNro") == "0"
    result = solicitar(afip, auth, detail(1), detail(2))
    assert text(result, "FeCabResp/Resultado") == "A"
    (first, cae1, _), (second, cae2, _) = outcomes(result)
    assert (first, second) == ("A", "A")
    assert len(cae1) == 14 and cae1.isdigit() and cae1 != cae2
    assert text(result, "FeDetResp/FECAEDetResponse/CAEFchVto") == "20261210"
    assert afip.last_number(CUIT, 1, 6) == 2
    assert afip.last_number(CUIT, 1, 1) == 0      # each document type is a series of its own
    assert outcomes(solicitar(afip, auth, detail(4))) == [("R", "", [10016])]
    assert afip.last_number(CUIT, 1, 6) == 2


def test_a_refused_document_holds_back_the_rest_of_its_batch(afip, auth):
    result = solicitar(afip, auth, detail(1), detail(2, ImpTotal="12150.00"), detail(3))
    assert text(result, "FeCabResp/Resultado") == "P"
    assert [(r, codes) for r, _, codes in outcomes(result)] == [("A", []), ("R", [10048]), ("R", [10016])]
    assert afip.last_number(CUIT, 1, 6) == 1


@pytest.mark.parametrize("changes, kind, codes", [
    ({"ImpTotal": "12102.00"}, 6, [10048]),
    ({"ImpIVA": "2101.00", "ImpTotal": "12101.00"}, 6, [10023]),
    ({"Iva": "<AlicIva><Id>5</Id><BaseImp>10000.00</BaseImp><Importe>1050.00</Importe></AlicIva>",
      "ImpIVA": "1050.00", "ImpTotal": "11050.00"}, 6, [10051]),
    ({"Iva": "<AlicIva><Id>5</Id><BaseImp>9000.00</BaseImp><Importe>2100.00</Importe></AlicIva>"}, 6,
     [10061, 10051]),
    ({"Iva": None}, 6, [10018, 10070]),
    ({"Iva": "<AlicIva><Id>1</Id><BaseImp>10000.00</BaseImp><Importe>2100.00</Importe></AlicIva>"}, 6, [10019]),
    ({"FchVtoPago": None}, 6, [10049]),
    ({"FchServDesde": "20261201"}, 6, [10032]),
    ({"FchVtoPago": "20261129"}, 6, [10036]),
    ({"Concepto": "4"}, 6, [10030]),
    ({"CondicionIVAReceptorId": None}, 6, [10246]),
    ({"CondicionIVAReceptorId": "99"}, 6, [10242]),
    ({"CondicionIVAReceptorId": "1"}, 6, [10243]),
    ({}, 1, [10013, 10243]),
    ({"DocTipo": "80", "DocNro": "20111111112", "CondicionIVAReceptorId": "1"}, 1, []),
    ({"DocTipo": "80", "DocNro": "20111111112", "CondicionIVAReceptorId": "6"}, 1, []),
    ({"MonId": "DOL"}, 6, [10037]),
    ({"MonCotiz": "2"}, 6, [10039]),
    ({"CbteFch": "20261115"}, 6, [10016]),
    ({}, 11, [10047, 10071, 10048]),
    ({"ImpNeto": "12100.00", "ImpIVA": "0.00", "Iva": None}, 11, []),
    ({}, 8, [10197]),
    ({"CbtesAsoc": "<CbteAsoc><Tipo>1</Tipo><PtoVta>1</PtoVta><Nro>1</Nro></CbteAsoc>"}, 8, [10040]),
], ids=["total", "vat-sum", "vat-by-rate", "net-sum", "no-vat-array", "unknown-rate", "no-due-date",
        "period-backwards", "due-before-issue", "concept", "no-receptor-condition", "unknown-condition",
        "condition-of-class-a-on-b", "a-to-final-consumer", "a-to-inscripto", "a-to-monotributo", "currency",
        "exchange-rate", "date-too-far", "c-with-vat", "c-without-vat", "note-without-invoice",
        "note-of-another-class"])
def test_afips_checks(afip, auth, changes, kind, codes):
    result = outcomes(solicitar(afip, auth, detail(1, **changes), kind=kind))
    if codes:
        assert result == [("R", "", codes)]
        assert afip.last_number(CUIT, 1, kind) == 0
    else:
        assert result[0][0] == "A"


@pytest.mark.parametrize("kind", [2, 3, 7, 8, 12, 13], ids=["nd-a", "nc-a", "nd-b", "nc-b", "nd-c", "nc-c"])
def test_a_note_without_its_invoice_is_refused(afip, auth, kind):
    letter_a = {"DocTipo": "80", "DocNro": "20111111112", "CondicionIVAReceptorId": "1"} if kind in (2, 3) else {}
    letter_c = {"ImpNeto": "12100.00", "ImpIVA": "0.00", "Iva": None} if kind in (12, 13) else {}
    assert outcomes(solicitar(afip, auth, detail(1, **letter_a, **letter_c), kind=kind)) == [("R", "", [10197])]
    assert afip.last_number(CUIT, 1, kind) == 0


@pytest.mark.parametrize("kind", [7, 8], ids=["debit-note", "credit-note"])
def test_a_note_names_an_authorized_invoice(afip, auth, kind):
    solicitar(afip, auth, detail(1))
    note = detail(1, CbtesAsoc="<CbteAsoc><Tipo>6</Tipo><PtoVta>1</PtoVta><Nro>1</Nro></CbteAsoc>")
    assert outcomes(solicitar(afip, auth, note, kind=kind))[0][0] == "A"
    held = afip.authorized(CUIT, 1, kind, 1)
    assert held is not None and [(a.kind, a.point_of_sale, a.number) for a in held.detail.associated] == [(6, 1, 1)]
    unknown = detail(2, CbtesAsoc="<CbteAsoc><Tipo>6</Tipo><PtoVta>1</PtoVta><Nro>7</Nro></CbteAsoc>")
    assert [(r, codes) for r, _, codes in outcomes(solicitar(afip, auth, unknown, kind=kind))] == [("A", [10041])]


def test_the_same_document_again_gets_its_cae_again(afip, auth):
    (_, cae, _), = outcomes(solicitar(afip, auth, detail(1)))
    again = solicitar(afip, auth, detail(1))
    assert outcomes(again) == [("A", cae, [])]
    assert text(again, "FeCabResp/Reproceso") == "S"
    assert outcomes(solicitar(afip, auth, detail(1, DocNro="30999999"))) == [("R", "", [10016])]
    assert afip.last_number(CUIT, 1, 6) == 1


def test_a_lost_reply_leaves_the_document_authorized(afip, auth):
    afip.drop_replies = 1
    with pytest.raises(requests.ConnectionError):
        solicitar(afip, auth, detail(1))
    assert (afip.dropped, afip.last_number(CUIT, 1, 6)) == (1, 1)
    found = call(afip, "FECompConsultar",
                 f"{auth}<FeCompConsReq><CbteTipo>6</CbteTipo><CbteNro>1</CbteNro><PtoVta>1</PtoVta></FeCompConsReq>")
    assert text(found, "ResultGet/Resultado") == "A"
    assert text(found, "ResultGet/CodAutorizacion") == afip.authorized(CUIT, 1, 6, 1).cae
    assert text(found, "ResultGet/ImpTotal") == "12100.00"
    assert text(found, "ResultGet/EmisionTipo") == "CAE"
    assert outcomes(solicitar(afip, auth, detail(1)))[0][:2] == ("A", afip.authorized(CUIT, 1, 6, 1).cae)


def test_consulting_a_number_afip_never_gave(afip, auth):
    found = call(afip, "FECompConsultar",
                 f"{auth}<FeCompConsReq><CbteTipo>6</CbteTipo><CbteNro>9</CbteNro><PtoVta>1</PtoVta></FeCompConsReq>")
    assert found.find(f"{{{FEV1}}}ResultGet") is None
    assert (text(found, "Errors/Err/Code"), text(found, "Errors/Err/Msg")) == (
        "602", "No existen datos en nuestros registros para los parametros ingresados.")


@pytest.mark.parametrize("make, code", [
    (lambda: [detail(1)] * 2, 10002),
    (lambda: [detail(n) for n in range(1, 7)], 10003),
], ids=["count-mismatch", "over-the-limit"])
def test_header_refusals(afip, auth, make, code):
    details = make()
    result = solicitar(afip, auth, *details, count=1 if code == 10002 else None)
    assert (text(result, "FeCabResp/Resultado"), text(result, "Errors/Err/Code")) == ("R", str(code))
    assert result.find(f"{{{FEV1}}}FeDetResp") is None
    assert text(call(afip, "FECompTotXRequest", auth), "RegXReq") == "5"


def test_unknown_document_type(afip, auth):
    assert text(solicitar(afip, auth, detail(1), kind=99), "Errors/Err/Code") == "10007"


def test_the_ticket_is_required(afip):
    result = solicitar(afip, "", detail(1))
    assert text(result, "Errors/Err/Code") == "600"
    assert result.find(f"{{{FEV1}}}FeCabResp") is None


def test_totals_within_afips_margin_pass(afip, auth):
    # the manual's margin: an absolute error up to 0.01, or a relative one up to 0.01 % (1.21 of 12100)
    assert outcomes(solicitar(afip, auth, detail(1, ImpTotal="12101.22"))) == [("R", "", [10048])]
    assert outcomes(solicitar(afip, auth, detail(1, ImpTotal="12101.21")))[0][0] == "A"


def test_dates_follow_the_simulators_clock(afip, clock):
    clock.advance(timedelta(days=30))
    token, sign, _ = credentials_of(login(afip.wsaa_url, signed(ticket_request(start=clock() - timedelta(minutes=1)),
                                                                 company()))[1])
    auth = f"<Auth><Token>{token}</Token><Sign>{sign}</Sign><Cuit>{CUIT}</Cuit></Auth>"
    assert outcomes(solicitar(afip, auth, detail(1)))[0][2] == [10016]      # 30 days before its day
    assert outcomes(solicitar(afip, auth, detail(1, CbteFch="20261230", FchVtoPago="20270110")))[0][0] == "A"
