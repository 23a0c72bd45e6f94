"""The AFIP client (adapters/afip.py) against the simulated AFIP over loopback SOAP/HTTP.

Login and the ticket cache, the last number, a batch authorized, a refusal with AFIP's codes,
a consult of an authorized number, a reply lost after the grant, and every failure as the
product's own error, naming no secret.
"""

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal
import logging
import os
import socket
import threading

import pytest

from ispcube.adapters.afip import (
    ENVIRONMENTS,
    AfipClient,
    Associated,
    FiscalDocument,
    endpoints,
)
from ispcube.adapters.afip_login import Credentials, FileTicketStore, Ticket
from ispcube.domain.tax import DocumentKind, Letter, document_type, split_final_price, split_for_letter
from ispcube.errors import FiscalAuthError, FiscalError, FiscalProtocolError, FiscalUnreachable
from ispcube.sim.afip import AfipSimulator
from tests.support.afip import CUIT, Clock, authority, company, make_identity

FACTURA_B = document_type(DocumentKind.INVOICE, Letter.B)
NC_B = document_type(DocumentKind.CREDIT_NOTE, Letter.B)
FACTURA_C = document_type(DocumentKind.INVOICE, Letter.C)
DAY = date(2026, 11, 30)


def document(number: int, total: str = "18900.00", *, receptor_vat: int | None = 5, letter: Letter = Letter.B,
             **changes) -> FiscalDocument:
    values = dict(number=number, issued=DAY, receptor_doc_type=96, receptor_doc_number=30123456,
                  receptor_vat=receptor_vat, amounts=split_for_letter(Decimal(total), Decimal(21), letter),
                  service_from=date(2026, 11, 1), service_to=date(2026, 11, 30), payment_due=date(2026, 12, 10))
    return FiscalDocument(**{**values, **changes})


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def afip(clock):
    with AfipSimulator([authority().certificate], clock=clock, max_batch=3) as simulator:
        yield simulator


def credentials(identity=None) -> Credentials:
    identity = identity or company()
    return Credentials(CUIT, identity.certificate_pem, identity.key_pem)


@pytest.fixture
def client_for(afip, clock, tmp_path):
    def make(identity=None, store_dir=None) -> AfipClient:
        where = endpoints("testing", wsaa_url=afip.wsaa_url, wsfe_url=afip.wsfe_url)
        return AfipClient(where, credentials(identity), FileTicketStore(store_dir or tmp_path / "tickets"),
                          clock=clock, timeout=5)
    return make


def test_endpoints_are_afips_published_ones_unless_overridden():
    assert endpoints("testing") == endpoints() and endpoints("production").wsfe == ENVIRONMENTS["production"][1]
    assert endpoints("production").wsaa == "https://wsaa.afip.gov.ar/ws/services/LoginCms"
    assert endpoints("testing").wsfe == "https://wswhomo.afip.gov.ar/wsfev1/service.asmx"
    assert endpoints("production", wsfe_url="http://127.0.0.1:9/x").wsfe == "http://127.0.0.1:9/x"
    with pytest.raises(FiscalError, match="afip.environment 'homologacion' is not one of: testing, production"):
        endpoints("homologacion")


def test_login_once_and_the_ticket_is_reused_by_the_next_run(afip, client_for, tmp_path):
    first = client_for()
    assert first.dummy().ok
    assert first.last_authorized(1, FACTURA_B) == 0
    assert first.max_batch() == 3
    second = client_for()                       # another run: same cache, no second login
    assert second.last_authorized(1, FACTURA_B) == 0
    assert (first.logins, second.logins, afip.wsaa.logins, afip.wsaa.refusals) == (1, 0, 1, 0)
    [ticket_file] = (tmp_path / "tickets").glob("*.ticket")
    assert ticket_file.stat().st_mode & 0o777 == 0o600


def test_an_expired_ticket_is_replaced(afip, client_for, clock):
    client = client_for()
    client.last_authorized(1, FACTURA_B)
    clock.advance(timedelta(hours=11, minutes=59))
    client.last_authorized(1, FACTURA_B)
    assert afip.wsaa.logins == 1
    clock.advance(timedelta(minutes=2))
    client.last_authorized(1, FACTURA_B)
    assert (afip.wsaa.logins, afip.wsaa.refusals) == (2, 0)


def test_a_lost_cache_meets_afips_one_ticket_rule(afip, client_for, tmp_path):
    client_for().last_authorized(1, FACTURA_B)
    with pytest.raises(FiscalAuthError, match="already has a valid access ticket.*at most 12 hours after"):
        client_for(store_dir=tmp_path / "elsewhere").last_authorized(1, FACTURA_B)
    assert (afip.wsaa.logins, afip.wsaa.refusals) == (1, 1)


def test_a_ticket_granted_to_a_run_stopped_before_keeping_it_is_named_with_the_hour_afip_gives_another(
        afip, client_for, tmp_path, clock):
    # What a run killed between AFIP's grant and the cache write leaves on disk: the note that
    # it asked, and no ticket.
    client_for(store_dir=tmp_path / "cache").last_authorized(1, FACTURA_B)
    [ticket_file] = (tmp_path / "cache").glob("*.ticket")
    ticket_file.unlink()
    clock.advance(timedelta(minutes=5))
    with pytest.raises(FiscalAuthError, match=r"a run asked for one at \d{4}-\d\d-\d\d \d\d:\d\d .*stopped "
                                              r"before keeping it; AFIP gives a new one after \d{4}-"):
        client_for(store_dir=tmp_path / "cache").last_authorized(1, FACTURA_B)
    assert (afip.wsaa.logins, afip.wsaa.refusals) == (1, 1)
    clock.advance(timedelta(hours=12))
    client_for(store_dir=tmp_path / "cache").last_authorized(1, FACTURA_B)
    assert afip.wsaa.logins == 2


def test_a_document_the_schema_refuses_is_not_sent(afip, client_for):
    client = client_for()
    with pytest.raises(FiscalError, match="cannot be sent to WSFEv1: Missing element DocNro"):
        client.authorize(1, FACTURA_B, [document(1, receptor_doc_number=None)])
    assert afip.requests == 0


def test_authorize_a_batch_then_consult_it(afip, client_for):
    client = client_for()
    answers = client.authorize(1, FACTURA_B, [document(1), document(2, "21500.00"), document(3, "9990.99")])
    assert [(a.number, a.approved) for a in answers] == [(1, True), (2, True), (3, True)]
    assert len({a.cae for a in answers}) == 3 and all(len(a.cae) == 14 for a in answers)
    assert {a.cae_due for a in answers} == {date(2026, 12, 10)}
    assert client.last_authorized(1, FACTURA_B) == 3
    consulted = client.consult(1, FACTURA_B, 2)
    assert (consulted.approved, consulted.cae, consulted.total, consulted.issued) == (
        True, answers[1].cae, Decimal("21500.00"), DAY)
    assert (consulted.receptor_doc_type, consulted.receptor_doc_number) == (96, 30123456)
    assert client.consult(1, FACTURA_B, 4) is None
    assert afip.authorized(CUIT, 1, FACTURA_B, 3).detail.total == Decimal("9990.99")


def test_letter_c_and_a_credit_note(afip, client_for):
    client = client_for()
    [c] = client.authorize(2, FACTURA_C, [document(1, letter=Letter.C)])
    assert c.approved and afip.authorized(CUIT, 2, FACTURA_C, 1).detail.vat_lines is None
    client.authorize(1, FACTURA_B, [document(1)])
    [note] = client.authorize(1, NC_B, [document(1, associated=(Associated(FACTURA_B, 1, 1, DAY),))])
    assert note.approved and note.messages == ()


def test_a_refusal_carries_afips_codes_and_keeps_the_series(afip, client_for):
    client = client_for()
    answers = client.authorize(1, FACTURA_B, [document(1, receptor_vat=None)])
    assert [(a.approved, a.cae, [m.code for m in a.messages]) for a in answers] == [(False, None, [10246])]
    assert "Resolucion General N 5616" in answers[0].messages[0].text
    [skipped] = client.authorize(1, FACTURA_B, [document(2)])
    assert (skipped.approved, [m.code for m in skipped.messages]) == (False, [10016])
    assert client.last_authorized(1, FACTURA_B) == 0


def test_a_whole_request_refused(afip, client_for):
    answers = client_for().authorize(1, FACTURA_B, [document(n) for n in range(1, 5)])
    assert [(a.approved, [m.code for m in a.messages]) for a in answers] == [(False, [10003])] * 4


def test_a_lost_reply_is_unreachable_then_found_and_sent_again(afip, client_for):
    client = client_for()
    afip.drop_replies = 1
    with pytest.raises(FiscalUnreachable, match="may have been carried out"):
        client.authorize(1, FACTURA_B, [document(1)])
    consulted = client.consult(1, FACTURA_B, 1)
    assert consulted.approved and consulted.cae == afip.authorized(CUIT, 1, FACTURA_B, 1).cae
    [again] = client.authorize(1, FACTURA_B, [document(1)])
    assert (again.approved, again.cae, again.reprocessed) == (True, consulted.cae, True)
    assert client.last_authorized(1, FACTURA_B) == 1


def test_an_untrusted_certificate_is_refused_by_wsaa(afip, client_for):
    stranger = make_identity("stranger", make_identity("stranger CA", cuit=None))
    with pytest.raises(FiscalAuthError, match=r"WSAA refused: Certificado no emitido por AC de confianza "
                                              r"\(cms.cert.untrusted\)"):
        client_for(stranger).last_authorized(1, FACTURA_B)


def test_a_key_of_another_certificate_cannot_sign(afip, clock, tmp_path):
    mixed = Credentials(CUIT, company().certificate_pem, make_identity("other key", authority()).key_pem)
    where = endpoints(wsaa_url=afip.wsaa_url, wsfe_url=afip.wsfe_url)
    with pytest.raises(FiscalAuthError, match="does not belong to the certificate"):
        AfipClient(where, mixed, FileTicketStore(tmp_path), clock=clock).last_authorized(1, FACTURA_B)
    assert afip.wsaa.logins == afip.wsaa.refusals == 0


def test_the_key_file_must_be_private(tmp_path):
    certificate, key = tmp_path / "afip.crt", tmp_path / "afip.key"
    certificate.write_bytes(company().certificate_pem)
    key.write_bytes(company().key_pem)
    os.chmod(key, 0o644)
    with pytest.raises(FiscalAuthError, match=r"afip.key can be read by others: make it 0600"):
        Credentials.from_files(CUIT, certificate, key)
    os.chmod(key, 0o600)
    assert Credentials.from_files(CUIT, certificate, key).key == company().key_pem
    with pytest.raises(FiscalAuthError, match="cannot read .*missing.crt: No such file"):
        Credentials.from_files(CUIT, tmp_path / "missing.crt", key)


def test_nobody_answering(clock, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    where = endpoints(wsaa_url=f"http://127.0.0.1:{port}/ws/services/LoginCms",
                      wsfe_url=f"http://127.0.0.1:{port}/wsfev1/service.asmx")
    client = AfipClient(where, credentials(), FileTicketStore(tmp_path), clock=clock, timeout=2)
    with pytest.raises(FiscalUnreachable, match=rf"AFIP's WSFEv1 at http://127.0.0.1:{port}/wsfev1/service.asmx "
                                                r"did not answer: ConnectionError$"):
        client.dummy()


def test_something_else_answering(afip, clock, tmp_path):
    where = endpoints(wsaa_url=afip.wsaa_url, wsfe_url=afip.wsaa_url)      # WSAA where WSFEv1 should be
    client = AfipClient(where, credentials(), FileTicketStore(tmp_path), clock=clock, timeout=5)
    with pytest.raises(FiscalProtocolError):
        client.dummy()


def test_secrets_never_show(afip, client_for, tmp_path):
    client = client_for()
    client.authorize(1, FACTURA_B, [document(1)])
    ticket = FileTicketStore(tmp_path / "tickets").load(next((tmp_path / "tickets").glob("*.ticket")).stem)
    secrets = [ticket.token, ticket.sign, company().key_pem.decode()]
    shown = [repr(ticket), repr(client.credentials), repr(credentials())]
    afip.drop_replies = 1
    for failing in (lambda: client.authorize(1, FACTURA_B, [document(2)]),
                    lambda: client_for(store_dir=tmp_path / "other").last_authorized(1, FACTURA_B)):
        with pytest.raises(FiscalError) as failure:
            failing()
        shown.append(str(failure.value))
    for secret in secrets:
        assert all(secret not in text for text in shown)
    assert isinstance(ticket, Ticket) and ticket.expires > ticket.generated


def test_debug_logs_hold_no_secret(afip, client_for, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    client_for().authorize(1, FACTURA_B, [document(1)])
    ticket = FileTicketStore(tmp_path / "tickets").load(next((tmp_path / "tickets").glob("*.ticket")).stem)
    assert caplog.records, "nothing was logged: the test would pass for the wrong reason"
    assert ticket.token not in caplog.text and ticket.sign not in caplog.text


def test_runs_at_once_share_one_login(afip, client_for):
    clients = [client_for() for _ in range(4)]
    start = threading.Barrier(len(clients))

    def run(client):
        start.wait()
        return client.last_authorized(1, FACTURA_B)

    with ThreadPoolExecutor(len(clients)) as pool:
        assert list(pool.map(run, clients)) == [0] * len(clients)
    assert (afip.wsaa.logins, afip.wsaa.refusals) == (1, 0)
    assert sum(c.logins for c in clients) == 1


def test_the_split_is_what_afip_accepts(afip, client_for):
    # every cent from 0.01 to 2.00 and a few large prices, at each rate: AFIP's checks pass
    client = client_for()
    totals = [Decimal(c) / 100 for c in range(1, 201, 7)] + [Decimal("999999.99"), Decimal("123456789.01")]
    number = 0
    for rate in (Decimal(21), Decimal("10.5"), Decimal(27)):
        for start in range(0, len(totals), 3):
            batch = []
            for total in totals[start:start + 3]:
                number += 1
                batch.append(document(number, amounts=split_final_price(total, rate)))
            assert all(a.approved for a in client.authorize(1, FACTURA_B, batch)), (rate, totals[start:start + 3])
