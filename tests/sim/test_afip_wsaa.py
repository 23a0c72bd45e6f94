"""The simulated WSAA over SOAP: what AFIP's login accepts, what it refuses, and the one-ticket rule."""

from datetime import date, timedelta

from lxml import etree
import pytest
import requests

from ispcube.errors import Invalid
from ispcube.sim.afip import AfipSimulator, clock_on, load_trusted
from tests.support.afip import (
    CUIT,
    FEV1,
    NOW,
    Clock,
    authority,
    company,
    credentials_of,
    fault_of,
    login,
    make_identity,
    signed,
    ticket_request,
)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def afip(clock):
    with AfipSimulator([authority().certificate], clock=clock) as simulator:
        yield simulator


def test_the_wsdls_are_served_with_the_simulators_address(afip):
    for url, operations in ((afip.wsaa_url, {"loginCms"}),
                            (afip.wsfe_url, {"FEDummy", "FECompTotXRequest", "FECompUltimoAutorizado",
                                             "FECAESolicitar", "FECompConsultar"})):
        reply = requests.get(f"{url}?WSDL", timeout=10)
        assert reply.status_code == 200
        wsdl = etree.fromstring(reply.content)
        names = {op.get("name") for op in wsdl.iter("{http://schemas.xmlsoap.org/wsdl/}operation")}
        assert names == operations
        assert [a.get("location") for a in wsdl.iter("{http://schemas.xmlsoap.org/wsdl/soap/}address")] == [url]
    assert requests.get(f"{afip.wsfe_url}?other", timeout=10).status_code == 404


def test_a_signed_request_for_wsfe_gets_a_12_hour_ticket(afip):
    status, answer = login(afip.wsaa_url, signed(ticket_request(), company()))
    assert status == 200
    token, sign, expires = credentials_of(answer)
    assert token and sign
    assert expires == NOW + timedelta(hours=12)
    assert expires.utcoffset() == timedelta(hours=-3)
    assert afip.wsaa.logins == 1


def test_a_second_login_while_the_ticket_is_valid_is_refused_as_afip_does(afip, clock):
    assert login(afip.wsaa_url, signed(ticket_request(), company()))[0] == 200
    status, answer = login(afip.wsaa_url, signed(ticket_request(unique_id=2), company()))
    assert status == 500
    assert fault_of(answer) == ("ns1:coe.alreadyAuthenticated",
                                "El CEE ya posee un TA valido para el acceso al WSN solicitado")
    clock.advance(timedelta(hours=12))
    assert login(afip.wsaa_url, signed(ticket_request(start=clock() - timedelta(minutes=1)), company()))[0] == 200
    assert (afip.wsaa.logins, afip.wsaa.refusals) == (2, 1)


def tampered(cms: bytes) -> bytes:
    """The same CMS with its signed request changed after signing (same length)."""
    assert cms.count(b"<service>wsfe</service>") == 1
    return cms.replace(b"<service>wsfe</service>", b"<service>wsfx</service>")


@pytest.mark.parametrize("cms, code", [
    (lambda: signed(ticket_request(), make_identity("other", make_identity("other CA", cuit=None))),
     "ns1:cms.cert.untrusted"),
    (lambda: tampered(signed(ticket_request(), company())), "ns1:cms.sign.invalid"),
    (lambda: b"not a cms at all", "ns1:cms.bad"),
    (lambda: signed(b"<loginTicketRequest/>", company()), "ns1:xml.bad"),
    (lambda: signed(ticket_request(service="wsbfev1"), company()), "ns1:coe.notAuthorized"),
    (lambda: signed(ticket_request(start=NOW - timedelta(hours=2)), company()), "ns1:xml.expirationTime.expired"),
    (lambda: signed(ticket_request(start=NOW + timedelta(hours=1)), company()), "ns1:xml.generationTime.invalid"),
    (lambda: signed(ticket_request(), make_identity("no-cuit", authority(), cuit=None)), "ns1:cms.cert.invalid"),
    (lambda: signed(ticket_request(), make_identity("expired", authority(), days=(-400, -1))),
     "ns1:cms.cert.expired"),
], ids=["untrusted", "tampered", "not-cms", "not-a-tra", "other-service", "expired-request", "future-request",
        "no-cuit", "expired-certificate"])
def test_refusals(afip, cms, code):
    status, answer = login(afip.wsaa_url, cms())
    assert status == 500
    assert fault_of(answer)[0] == code
    assert afip.wsaa.logins == 0


def test_a_trusted_self_signed_certificate_logs_in(clock):
    own = make_identity("self-signed")
    with AfipSimulator([own.certificate], clock=clock) as afip:
        assert login(afip.wsaa_url, signed(ticket_request(), own))[0] == 200


def test_the_ticket_opens_wsfe_for_its_cuit_only_until_it_expires(afip, clock):
    from tests.support.afip import post
    token, sign, _ = credentials_of(login(afip.wsaa_url, signed(ticket_request(), company()))[1])

    def last(token=token, sign=sign, cuit=CUIT):
        _, root = post(afip.wsfe_url, f'<FECompUltimoAutorizado xmlns="{FEV1}"><Auth><Token>{token}</Token>'
                                      f'<Sign>{sign}</Sign><Cuit>{cuit}</Cuit></Auth><PtoVta>1</PtoVta>'
                                      f'<CbteTipo>6</CbteTipo></FECompUltimoAutorizado>')
        result = root.find(f".//{{{FEV1}}}FECompUltimoAutorizadoResult")
        return result.findtext(f"{{{FEV1}}}CbteNro"), result.findtext(f".//{{{FEV1}}}Msg")

    assert last() == ("0", None)
    other_sign = ("B" if sign[0] == "A" else "A") + sign[1:]
    assert last(sign=other_sign) == ("0", "ValidacionDeToken: Error al verificar hash: ")
    assert last(token="") == ("0", "ValidacionDeToken: Parametro nulo o vacio (token)")
    assert last(cuit=20111111112) == ("0", "ValidacionDeToken: No apareció CUIT en lista de relaciones: 20111111112")
    clock.advance(timedelta(hours=12, seconds=1))
    assert last()[1].startswith("ValidacionDeToken: No validaron las fechas del token")


def test_trusted_certificates_come_from_pem_files(tmp_path):
    bundle = tmp_path / "trust.pem"
    bundle.write_bytes(authority().certificate_pem + company().certificate_pem)
    assert load_trusted([bundle]) == [authority().certificate, company().certificate]
    (tmp_path / "empty.pem").write_text("no certificate here\n")
    with pytest.raises(Invalid, match="empty.pem holds no PEM certificate"):
        load_trusted([bundle, tmp_path / "empty.pem"])
    with pytest.raises(Invalid, match="cannot read .*missing.pem: No such file"):
        load_trusted([tmp_path / "missing.pem"])


def test_the_simulators_day_can_be_set(clock):
    moved = clock_on(date(2027, 3, 1), now=clock)
    assert moved() == NOW.replace(year=2027, month=3, day=1)
    clock.advance(timedelta(hours=1))
    assert moved() == NOW.replace(year=2027, month=3, day=1, hour=NOW.hour + 1)
    assert clock_on(None, now=clock) is clock
