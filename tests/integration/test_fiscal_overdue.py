"""Invoices waiting too long for their CAE (I4), on SQLite and PostgreSQL, against the loopback
AFIP: every `invoice authorize` retries them; from the day after `fiscal.retry_days` since
billing posted them each run names them (exit 3), the first logs them on their clients, and
once AFIP grants them the run is clean again. The day is the runtime's clock, never the real one."""

from datetime import date, timedelta
import json
import socket

import pytest
from sqlalchemy import select

from ispcube.db.models import Client, ClientEvent
from ispcube.services.fiscal.authorize import authorize
from ispcube.services.fiscal.billing import run_fiscal_billing
from ispcube.services.fiscal.check import fiscal_check
from ispcube.sim.afip import AfipSimulator
from tests.integration.test_fiscal_authorize import assert_one_cae_each_and_no_gap, fiscal, write_credentials
from tests.support.afip import CUIT, NOW, Clock, authority

BILLED = NOW.date()        # 2026-11-30, day 0


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def afip(clock):
    with AfipSimulator([authority().certificate], clock=clock, max_batch=2) as simulator:
        yield simulator


@pytest.fixture
def rt(runtime, clock):
    runtime.clock = clock
    return runtime


@pytest.fixture
def billed(cli, afip, rt, tmp_path, monkeypatch):
    """Company 1 and clients B1, B2 (Factura B) and A1, A2 (Factura A) billed on day 0."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    cert, key = write_credentials(tmp_path)
    cli.ok("company", "add", "--number", "1", "--name", "Red Sur SRL", "--tax-id", str(CUIT),
           "--point-of-sale", "3", "--afip-cert", str(cert), "--afip-key", str(key))
    cli.ok("plan", "add", "--name", "Hogar", "--price", "18900")
    for code in ("B1", "B2"):
        cli.ok("client", "add", "--code", code, "--name", f"Cliente {code}", "--plan", "Hogar", "--company", "1",
               "--signup-date", "2026-01-01", "--id-type", "DNI", "--id-number", "30123456", "--allow-duplicate")
    for code in ("A1", "A2"):
        cli.ok("client", "add", "--code", code, "--name", f"Empresa {code}", "--plan", "Hogar", "--company", "1",
               "--signup-date", "2026-01-01", "--vat-condition", "responsable-inscripto",
               "--id-type", "CUIT", "--id-number", "20-12345678-6", "--allow-duplicate")
    for key_, value in (("fiscal.driver", "afip"), ("afip.wsaa_url", afip.wsaa_url),
                        ("afip.wsfe_url", afip.wsfe_url)):
        cli.ok("config", "set", key_, value)
    run_fiscal_billing(rt, "2026-11")
    return cli


def on_day(clock, n):
    """Move the clock (the runtime's and AFIP's) to day N after billing, at the same hour."""
    clock.moment = NOW + timedelta(days=n)


def overdue_logs(rt):
    with rt.uow() as uow:
        return uow.session.execute(
            select(Client.code, ClientEvent.message).join(Client, Client.id == ClientEvent.client_id)
            .where(ClientEvent.kind == "invoice.overdue").order_by(Client.code, ClientEvent.id)).all()


def closed_port_url():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/wsfev1/service.asmx"


def test_an_invoice_afip_keeps_refusing_is_named_after_the_window_and_logged_once(billed, rt, clock, afip):
    billed.ok("client", "edit", "A1", "--id-type", "DNI", "--id-number", "30123457")   # class A needs a CUIT: 10013
    for day in range(1, 6):
        on_day(clock, day)
        run = authorize(rt)
        assert (len(run.refused), run.overdue) == (1, []), day          # retried, not yet overdue
    assert overdue_logs(rt) == []
    on_day(clock, 6)
    run = authorize(rt)
    assert not run.ok and run.today == date(2026, 12, 6)
    assert [o.sentence for o in run.overdue] == [
        "invoice 1-1 of client A1 has waited for its CAE since 2026-11-30, more than fiscal.retry_days (5), and "
        "is still a draft; AFIP's last refusal: 10013 Para comprobantes clase A el campo DocTipo debe ser 80 (CUIT).",
        "invoice 1-2 of client A2 has waited for its CAE since 2026-11-30, more than fiscal.retry_days (5), and "
        "is still a draft; no refusal or error is recorded for it."]
    assert [(o.client, o.document, o.status, o.since) for o in run.overdue] == [
        ("A1", "invoice 1-1", "draft", "2026-11-30"), ("A2", "invoice 1-2", "draft", "2026-11-30")]
    assert run.line() == "authorized 0 invoice(s); 1 refused, 0 failed, 1 held back; 2 overdue (open beyond " \
                         "fiscal.retry_days)"
    assert overdue_logs(rt) == [("A1", run.overdue[0].sentence), ("A2", run.overdue[1].sentence)]
    on_day(clock, 7)
    again = authorize(rt)
    assert [o.client for o in again.overdue] == ["A1", "A2"] and len(overdue_logs(rt)) == 2   # not logged twice
    check = fiscal_check(rt)
    assert (check.overdue, check.ok) == (2, True)
    assert check.overdue_line() == ("2 invoice(s) have waited for their CAE longer than fiscal.retry_days (5): "
                                    "`ispcube invoice authorize` names them")
    billed.ok("client", "edit", "A1", "--id-type", "CUIT", "--id-number", "20-12345678-6", "--allow-duplicate")
    on_day(clock, 8)
    fixed = authorize(rt)
    assert (fixed.ok, fixed.authorized, fixed.overdue) == (True, 2, [])
    assert_one_cae_each_and_no_gap(rt, afip)
    assert fiscal_check(rt).overdue == 0


def test_an_invoice_waits_while_wsfe_is_down_and_the_command_names_it(billed, rt, clock, afip):
    billed.ok("config", "set", "afip.wsfe_url", closed_port_url())
    for day in range(1, 6):
        on_day(clock, day)
        run = authorize(rt)
        assert (len(run.failed), run.authorized, run.overdue) == (1, 0, []), day
    on_day(clock, 6)
    assert [o.client for o in authorize(rt).overdue] == ["A1", "A2", "B1", "B2"]
    assert [code for code, _ in overdue_logs(rt)] == ["A1", "A2", "B1", "B2"]
    # The command as cron runs it, on day 7 (the login fails too: nothing is asked of AFIP).
    billed.ok("config", "set", "afip.wsaa_url", closed_port_url())
    text = billed("invoice", "authorize", "--today", "2026-12-07", "--yes")
    assert text.exit_code == 3
    named = [line for line in text.stderr.splitlines() if "has waited for its CAE" in line]
    assert len(named) == 4 and named[0].startswith(
        "invoice 1-1 of client A1 has waited for its CAE since 2026-11-30, more than fiscal.retry_days (5), and "
        "is still a draft; the last run could not ask AFIP: ")
    assert "4 document(s) waiting for their CAE beyond fiscal.retry_days" in text.stderr
    shown = billed("--format", "json", "invoice", "authorize", "--today", "2026-12-07", "--yes")
    assert shown.exit_code == 3
    done = json.loads(shown.stdout)
    assert done["today"] == "2026-12-07"
    assert [(o["client"], o["document"], o["since"]) for o in done["overdue"]] == [
        ("A1", "invoice 1-1", "2026-11-30"), ("A2", "invoice 1-2", "2026-11-30"),
        ("B1", "invoice 1-3", "2026-11-30"), ("B2", "invoice 1-4", "2026-11-30")]
    assert [o["sentence"] for o in done["overdue"]] == named
    assert len(overdue_logs(rt)) == 4                   # logged on day 6 only
    billed.ok("config", "set", "afip.wsaa_url", afip.wsaa_url)
    billed.ok("config", "set", "afip.wsfe_url", afip.wsfe_url)
    on_day(clock, 8)
    back = authorize(rt)
    assert (back.ok, back.authorized, back.overdue) == (True, 4, [])
    assert_one_cae_each_and_no_gap(rt, afip)
    quiet = billed("invoice", "authorize", "--today", "2026-12-08", "--yes")     # nothing open: AFIP not asked
    assert (quiet.exit_code, quiet.stdout) == (0, "authorized 0 invoice(s)\n")


def test_another_day_needs_yes_and_the_window_is_a_setting(billed, rt, clock):
    refused = billed("invoice", "authorize", "--today", "2001-01-01")
    assert refused.exit_code == 2 and "--today 2001-01-01 is not today" in refused.stderr
    assert "add --yes" in refused.stderr and {s for s, *_ in fiscal(rt).values()} == {"draft"}
    bad = billed("config", "set", "fiscal.retry_days", "0")
    assert bad.exit_code == 1 and "fiscal.retry_days" in bad.stderr
    billed.ok("config", "set", "fiscal.retry_days", "2")
    billed.ok("config", "set", "afip.wsfe_url", closed_port_url())
    on_day(clock, 2)
    assert authorize(rt).overdue == []
    on_day(clock, 3)
    late = authorize(rt).overdue
    assert len(late) == 4 and "since 2026-11-30, more than fiscal.retry_days (2)," in late[0].sentence
