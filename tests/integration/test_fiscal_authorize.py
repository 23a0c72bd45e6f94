"""`invoice authorize` and `fiscal check` against the simulated AFIP (I4, I5), on SQLite and
PostgreSQL: a month billed and authorized, one CAE per invoice and no gap in any series, a
lost reply and a refusal recovered by the next run, the ticket asked once."""

from datetime import date, datetime, timezone
from decimal import Decimal
import os
from pathlib import Path
import random
import signal
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import select, update

from ispcube.db.fiscal_models import FiscalDocument
from ispcube.db.ledger_models import LedgerEntry
from ispcube.db.models import Client
from ispcube.services.fiscal.authorize import authorize
from ispcube.services.fiscal.check import fiscal_check
from ispcube.services.process.job_lock import job_lock
from ispcube.sim.afip import AfipSimulator, _Drop
from tests.support.afip import CUIT, authority, company

NOW = datetime(2026, 11, 30, 15, 0, tzinfo=timezone.utc)
FACTURA_A, FACTURA_B, FACTURA_C = 1, 6, 11


def write_credentials(folder):
    identity = company()
    cert, key = folder / "afip.crt", folder / "afip.key"
    cert.write_bytes(identity.certificate_pem)
    key.write_bytes(identity.key_pem)
    os.chmod(key, 0o600)
    return cert, key


@pytest.fixture
def afip():
    with AfipSimulator([authority().certificate], clock=lambda: NOW, max_batch=2) as simulator:
        yield simulator


@pytest.fixture
def billed(cli, afip, tmp_path, monkeypatch):
    return bill(cli, afip, tmp_path, monkeypatch)


def bill(cli, afip, tmp_path, monkeypatch):
    """Company 1 (responsable inscripto, point of sale 3) and six clients billed for November."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    cert, key = write_credentials(tmp_path)
    cli.ok("company", "add", "--number", "1", "--name", "Red Sur SRL", "--tax-id", str(CUIT),
           "--point-of-sale", "3", "--afip-cert", str(cert), "--afip-key", str(key))
    cli.ok("plan", "add", "--name", "Hogar", "--price", "18900")
    for code in ("B1", "B2", "B3", "B4"):
        cli.ok("client", "add", "--code", code, "--name", f"Cliente {code}", "--plan", "Hogar", "--company", "1",
               "--signup-date", "2026-01-01", "--id-type", "DNI", "--id-number", "30123456", "--allow-duplicate")
    for code in ("A1", "A2"):
        cli.ok("client", "add", "--code", code, "--name", f"Empresa {code}", "--plan", "Hogar", "--company", "1",
               "--signup-date", "2026-01-01", "--vat-condition", "responsable-inscripto",
               "--id-type", "CUIT", "--id-number", "20-12345678-6", "--allow-duplicate")
    for key_, value in (("fiscal.driver", "afip"), ("afip.wsaa_url", afip.wsaa_url),
                        ("afip.wsfe_url", afip.wsfe_url)):
        cli.ok("config", "set", key_, value)
    cli.ok("billing", "run", "--period", "2026-11")
    return cli


@pytest.fixture
def rt(runtime):
    runtime.clock = lambda: NOW
    return runtime


def fiscal(rt):
    with rt.uow() as uow:
        rows = uow.session.execute(
            select(Client.code, FiscalDocument.status, FiscalDocument.document_type, FiscalDocument.number,
                   FiscalDocument.cae, FiscalDocument.refusal)
            .join(Client, Client.id == FiscalDocument.client_id).order_by(Client.code)).all()
        return {code: tuple(rest) for code, *rest in rows}


def assert_one_cae_each_and_no_gap(rt, afip):
    """Every invoice authorized has the CAE AFIP holds under its number; numbers run 1..n."""
    docs = fiscal(rt)
    by_series: dict[int, list[int]] = {}
    for status, kind, number, cae, _ in docs.values():
        assert status == "authorized"
        held = afip.authorized(CUIT, 3, kind, number)
        assert held is not None and held.cae == cae
        by_series.setdefault(kind, []).append(number)
    for kind, numbers in by_series.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)) and afip.last_number(CUIT, 3, kind) == len(numbers)
    assert len({cae for _, _, _, cae, _ in docs.values()}) == len(docs)


def test_a_month_authorized_in_batches_with_one_login(billed, rt, afip):
    run = authorize(rt)
    assert (run.ok, run.authorized, run.recovered, run.held) == (True, 6, 0, 0)
    assert run.line() == "authorized 6 invoice(s)"
    assert_one_cae_each_and_no_gap(rt, afip)
    docs = fiscal(rt)
    assert {code: (kind, number) for code, (_, kind, number, _, _) in docs.items()} == {
        "A1": (FACTURA_A, 1), "A2": (FACTURA_A, 2),
        "B1": (FACTURA_B, 1), "B2": (FACTURA_B, 2), "B3": (FACTURA_B, 3), "B4": (FACTURA_B, 4)}
    held = afip.authorized(CUIT, 3, FACTURA_B, 1).detail
    assert (held.service_from, held.service_to, held.payment_due, held.receptor_condition) == \
        ("20261101", "20261130", "20261130", 5)    # due on the 10th, before the invoice: its day
    assert (held.total, held.net, held.vat, held.issued) == \
        (Decimal("18900.00"), Decimal("15619.83"), Decimal("3280.17"), "20261130")
    assert afip.wsaa.logins == 1
    again = authorize(rt)
    assert (again.authorized, again.ok) == (0, True) and afip.wsaa.logins == 1   # the cached ticket
    assert billed.json("invoice", "authorize")["authorized"] == 0


def test_a_lost_reply_is_recovered_with_the_cae_afip_gave(billed, rt, afip):
    afip.drop_replies = 1              # the first batch is granted, its answer never arrives
    first = authorize(rt)
    assert not first.ok and first.authorized == 4 and "did not answer" in first.failed[0]   # B went on
    in_flight = {code: number for code, (status, _, number, _, _) in fiscal(rt).items() if status == "in-flight"}
    assert in_flight == {"A1": 1, "A2": 2}
    second = authorize(rt)
    assert (second.ok, second.recovered, second.authorized) == (True, 2, 0)
    assert_one_cae_each_and_no_gap(rt, afip)


def test_an_invoice_in_flight_that_never_reached_afip_is_sent_again_under_its_number(billed, rt, afip):
    with rt.uow() as uow:          # a run killed after its mark, before its request
        b1 = uow.session.scalar(select(Client.id).where(Client.code == "B1"))
        uow.session.execute(update(FiscalDocument).where(FiscalDocument.client_id == b1)
                            .values(status="in-flight", number=1, issued=date(2026, 11, 30)))
        uow.commit()
    run = authorize(rt)
    assert (run.ok, run.recovered, run.authorized) == (True, 0, 6)
    assert fiscal(rt)["B1"][2] == 1
    assert_one_cae_each_and_no_gap(rt, afip)
    shown = [r["document"] for r in billed.json("ledger", "show", "B1") if r["kind"] == "invoice"]
    assert shown == ["invoice 1-3 (B 00003-00000001)"]         # I8: AFIP's number beside ours


def test_a_refusal_keeps_the_draft_with_afips_codes_and_holds_its_series(billed, rt, afip):
    billed.ok("client", "edit", "A1", "--id-type", "DNI", "--id-number", "30123457")   # class A needs a CUIT
    run = authorize(rt)
    assert run.refused == ["invoice 1 of client A1 (as A 1): AFIP refused it, 10013: Para comprobantes clase A "
                           "el campo DocTipo debe ser 80 (CUIT)."]
    assert (run.authorized, run.held) == (4, 1)                  # B1-B4 went on; A2 waits behind A1
    docs = fiscal(rt)
    assert docs["A1"][:3] == ("draft", FACTURA_A, None) and docs["A1"][4].startswith("10013 ")
    assert docs["A2"][:3] == ("draft", FACTURA_A, None) and afip.last_number(CUIT, 3, FACTURA_A) == 0
    assert authorize(rt).refused == run.refused           # every run says it again until it is fixed
    billed.ok("client", "edit", "A1", "--id-type", "CUIT", "--id-number", "20-12345678-6", "--allow-duplicate")
    fixed = authorize(rt)
    assert (fixed.ok, fixed.authorized) == (True, 2)
    assert_one_cae_each_and_no_gap(rt, afip)
    with rt.uow() as uow:           # the ledger's own numbers never moved
        assert uow.session.scalars(select(LedgerEntry.number).order_by(LedgerEntry.number)).all() == \
            [1, 2, 3, 4, 5, 6]


def test_a_second_run_at_once_is_busy_and_the_none_driver_has_nothing_to_do(billed, rt):
    with job_lock(rt.engine, "invoice authorize"):
        busy = billed("invoice", "authorize")
    assert busy.exit_code == 75 and "another `ispcube invoice authorize` run holds the lock" in busy.stderr
    billed.ok("config", "set", "fiscal.driver", "none")
    assert billed.ok("invoice", "authorize").stdout == \
        "fiscal.driver is none: invoices are numbered by billing, nothing to authorize\n"
    refused = billed("fiscal", "check")
    assert refused.exit_code == 1 and "fiscal.driver is none" in refused.stderr


def test_fiscal_check_names_each_series_and_what_a_company_lacks(billed, rt, afip):
    authorize(rt)
    billed.ok("company", "add", "--number", "2", "--name", "Ana Pérez", "--vat-condition", "monotributo",
              "--point-of-sale", "4")
    billed.ok("company", "add", "--number", "3", "--name", "Sin AFIP SA")    # not invoicing through AFIP
    check = fiscal_check(rt)
    assert check.rows == [
        {"company": 1, "cuit": CUIT, "point_of_sale": 3, "document": "Factura A", "type": 1, "last": 2},
        {"company": 1, "cuit": CUIT, "point_of_sale": 3, "document": "Factura B", "type": 6, "last": 4}]
    assert check.problems == ["company 2: AFIP needs its --tax-id, --afip-cert, --afip-key "
                              "(`ispcube company edit 2 ...`)"]
    assert afip.wsaa.logins == 1


# -- SIGKILL at points in a run (the command as cron runs it, against a simulator on today) --------

def gate_first_authorization(afip, grant: bool):
    """Hold the first FECAESolicitar (after granting it when GRANT) until released, then lose
    its reply: the run is killed while it waits."""
    arrived, release, original = threading.Event(), threading.Event(), afip.handle_wsfe
    gated = []

    def handle(body: bytes):
        if b"FECAESolicitar" in body and not gated:
            gated.append(body)
            if grant:
                original(body)
            arrived.set()
            release.wait(20)
            raise _Drop()
        return original(body)
    afip.handle_wsfe = handle
    return arrived, release


def start_run(db_url):
    return subprocess.Popen([str(Path(sys.executable).parent / "ispcube"), "--db", db_url, "invoice", "authorize"],
                            env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture
def live_afip():
    with AfipSimulator([authority().certificate], max_batch=2) as simulator:
        yield simulator


@pytest.mark.parametrize("grant", [False, True], ids=["before-the-grant", "after-the-grant"])
def test_a_run_killed_while_afip_answers_ends_with_the_same_caes(cli, live_afip, db_url, runtime, tmp_path,
                                                                  monkeypatch, grant):
    bill(cli, live_afip, tmp_path, monkeypatch)
    arrived, release = gate_first_authorization(live_afip, grant)
    run = start_run(db_url)
    try:
        assert arrived.wait(30), "the run never asked for a CAE"
        run.send_signal(signal.SIGKILL)
        run.wait(10)
    finally:
        release.set()
    assert {s for s, *_ in fiscal(runtime).values()} == {"in-flight", "draft"}
    assert live_afip.last_number(CUIT, 3, FACTURA_A) == (2 if grant else 0)
    done = cli.json("invoice", "authorize")
    assert (done["recovered"], done["authorized"], done["refused"], done["failed"]) == \
        ((2, 4, [], []) if grant else (0, 6, [], []))
    assert_one_cae_each_and_no_gap(runtime, live_afip)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_runs_killed_at_random_points_leave_one_cae_per_invoice_and_no_gap(cli, live_afip, db_url, runtime,
                                                                           tmp_path, monkeypatch, seed):
    bill(cli, live_afip, tmp_path, monkeypatch)
    # The ticket is asked for and kept first: a run killed between AFIP's grant of a ticket and
    # its keeping leaves none to use until AFIP's expires (up to 12 hours; the next run names
    # the hour, test_afip_contract); these kills are about the invoices.
    cli.ok("fiscal", "check")
    chance = random.Random(seed)
    for _ in range(3):
        run = start_run(db_url)
        time.sleep(chance.uniform(0.2, 2.5))
        run.send_signal(signal.SIGKILL)
        run.wait(10)
    finished = cli("invoice", "authorize")
    assert finished.exit_code == 0, finished.stderr
    assert_one_cae_each_and_no_gap(runtime, live_afip)


# -- Credit notes (I6) ---------------------------------------------------------------------------

def entry_of(rt, code):
    with rt.uow() as uow:
        client = uow.session.scalar(select(Client.id).where(Client.code == code))
        return uow.session.scalar(select(FiscalDocument.entry_id).where(FiscalDocument.client_id == client,
                                                                         FiscalDocument.kind == "invoice"))


def test_an_authorized_invoice_annulled_is_cancelled_by_an_associated_credit_note(billed, rt, afip):
    billed.ok("client", "edit", "A1", "--id-type", "DNI", "--id-number", "30123457")   # A1 stays a draft
    authorize(rt)
    billed.ok("ledger", "annul", str(entry_of(rt, "B2")), "--reason", "facturado por error")
    billed.ok("ledger", "annul", str(entry_of(rt, "A1")), "--reason", "cliente sin servicio")
    notes = {r["client"]: r for r in billed.json("invoice", "list") if r["kind"] == "credit-note"}
    assert set(notes) == {"B2"} and notes["B2"]["status"] == "draft"
    assert {r["client"]: r["status"] for r in billed.json("invoice", "list")}["A1"] == "void"
    run = authorize(rt)
    assert (run.ok, run.authorized) == (True, 2)          # A2 (A 1) and the credit note B 1
    note = afip.authorized(CUIT, 3, 8, 1)                 # Nota de Crédito B 00003-00000001
    assert note is not None and [(a.kind, a.point_of_sale, a.number) for a in note.detail.associated] == \
        [(FACTURA_B, 3, 2)]
    assert (note.detail.total, note.detail.vat) == (Decimal("18900.00"), Decimal("3280.17"))
    shown = billed.json("invoice", "show", str(notes["B2"]["entry"]))
    assert (shown["title"], shown["fiscal_number"], shown["cae"]) == ("Nota de Crédito", "B 00003-00000001",
                                                                      note.cae)


def test_an_invoice_in_flight_cannot_be_annulled(billed, rt, afip):
    afip.drop_replies = 1
    authorize(rt)                                          # A1 and A2 are left in flight
    refused = billed("ledger", "annul", str(entry_of(rt, "A1")), "--reason", "error")
    assert refused.exit_code == 1 and "run `ispcube invoice authorize` first" in refused.stderr
    assert billed.json("client", "show", "A1")["balance"] == "18900.00"
