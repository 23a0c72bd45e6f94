"""Invoices e-mailed to their clients (I7), on SQLite and PostgreSQL, to a real SMTP server on
loopback: the PDF travels attached and is read back with pdftotext, an invoice goes once
whatever runs again, a send the server deferred goes on the next run, drafts wait for AFIP,
and `notify.send_invoices` queues each invoice the simulated AFIP authorizes."""

from datetime import datetime, timedelta
import subprocess

import pytest

from ispcube.services.fiscal.authorize import authorize
from ispcube.services.notices.invoices import announcer
from ispcube.services.notices.send import run_notify
from ispcube.services.process.runtime import Runtime
from tests.integration.test_fiscal_authorize import afip, bill, rt  # noqa: F401 - fixtures
from tests.support.smtp import MailCatcher

SENDER = "Red Sur <facturas@redsur.example>"


@pytest.fixture
def mail(cli):
    catcher = MailCatcher().start()
    for key, value in (("smtp.host", "127.0.0.1"), ("smtp.port", str(catcher.port)), ("smtp.starttls", "no"),
                       ("smtp.from", SENDER)):
        cli.ok("config", "set", key, value)
    yield catcher
    catcher.stop()


def pdf_text(data: bytes, tmp_path, name: str = "mail.pdf") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def attachment(message) -> tuple[str, bytes]:
    [part] = [p for p in message.iter_attachments()]
    assert part.get_content_type() == "application/pdf"
    return part.get_filename(), part.get_content()


def billed_internally(cli) -> None:
    """Company 1 (point of sale 2) under the `none` driver, three clients billed for November:
    A1 and C3 with an e-mail address, B2 without."""
    cli.ok("plan", "add", "--name", "Hogar", "--price", "18900")
    cli.ok("company", "add", "--number", "1", "--name", "Red Sur SRL", "--point-of-sale", "2")
    for code, name, email in (("A1", "Ana Núñez", "ana@example.com"), ("B2", "Beto Sin Correo", None),
                              ("C3", "Carla Pérez", "carla@example.com")):
        cli.ok("client", "add", "--code", code, "--name", name, "--plan", "Hogar", "--company", "1",
               "--signup-date", "2026-01-01", *(("--email", email) if email else ()))
    cli.ok("billing", "run", "--period", "2026-11")


def entries(cli) -> dict[str, int]:
    return {row["client"]: row["entry"] for row in cli.json("invoice", "list")}


def test_a_month_is_sent_once_with_its_pdf_and_clients_without_email_skipped(cli, mail, tmp_path):
    billed_internally(cli)
    first = cli.ok("invoice", "send", "--period", "2026-11")
    assert first.stdout.splitlines()[-1] == ("invoice send: 2 sent, 0 sent before, 1 skipped "
                                             "(no e-mail address: B2)")
    assert len(mail.inbox) == 2
    sent = {str(message["To"]): message for message in mail.messages()}
    ana = sent["Ana Núñez <ana@example.com>"]
    assert str(ana["From"]) == SENDER
    assert ana["Subject"] == "Factura B 00002-00000001 (cliente A1)"
    body = ana.get_body(preferencelist=("plain",)).get_content()
    assert "adjunta su factura B 00002-00000001 del período 2026-11, por 18.900,00 ARS" in body
    assert "CAE" not in body                  # the none driver: no tax authority, no CAE
    name, data = attachment(ana)
    assert name == "factura-2026-11-A1-1.pdf"
    text = pdf_text(data, tmp_path)
    assert text.lstrip().startswith("B\n") and "Cód. 006" in text     # the letter and code in their box
    for words in ("Red Sur SRL", "Ana Núñez (A1)", "Punto de venta: 00002 · Comp. N.º 00000001", "ARS 18.900,00",
                  "IVA contenido ARS 3.280,17"):
        assert words in text, words
    assert "notice.sent" in [e["kind"] for e in cli.json("client", "log", "A1")]

    again = cli.json("invoice", "send", "--period", "2026-11")
    assert (again["sent"], again["already_sent"], again["no_email"]) == (0, 2, ["B2"]) and len(mail.inbox) == 2
    assert cli.json("notify")["sent"] == 0 and len(mail.inbox) == 2

    cli.ok("client", "edit", "B2", "--email", "beto@example.com")     # an address at last: it goes now
    late = cli.json("invoice", "send", "--client", "B2")
    assert (late["sent"], late["no_email"]) == (1, []) and len(mail.inbox) == 3
    one = cli.json("invoice", "send", "--invoice", str(entries(cli)["C3"]))
    assert (one["sent"], one["already_sent"]) == (0, 1) and len(mail.inbox) == 3


def test_a_deferred_send_goes_on_the_next_run_and_only_once(cli, mail):
    billed_internally(cli)
    mail.refuse_with = {"carla@example.com": "451 4.3.0 try again later"}
    first = cli("invoice", "send", "--period", "2026-11")
    assert first.exit_code == 3, first.stderr
    assert "deferred the recipients" in first.stderr
    assert "1 invoice(s) wait in the outbox for the next `ispcube notify` or `ispcube invoice send`" in first.stderr
    assert "1 sent stand" in first.stderr and "Traceback" not in first.stderr
    assert [str(m["To"]) for m in mail.messages()] == ["Ana Núñez <ana@example.com>"]
    mail.refuse_with = {}
    second = cli.json("invoice", "send", "--period", "2026-11")
    assert (second["sent"], second["already_sent"]) == (1, 1)
    assert [str(m["To"]) for m in mail.messages()] == ["Ana Núñez <ana@example.com>",
                                                       "Carla Pérez <carla@example.com>"]
    assert cli.json("invoice", "send", "--period", "2026-11")["sent"] == 0 and len(mail.inbox) == 2


def test_a_server_down_leaves_the_invoices_queued_for_notify(cli, mail):
    billed_internally(cli)
    mail.stop()
    down = cli("invoice", "send", "--client", "A1")
    assert down.exit_code == 3 and "could not be reached" in down.stderr and "0 sent stand" in down.stderr
    mail.start()
    assert cli.json("notify")["sent"] == 1 and len(mail.inbox) == 1
    assert mail.messages()[0]["Subject"] == "Factura B 00002-00000001 (cliente A1)"
    assert attachment(mail.messages()[0])[0] == "factura-2026-11-A1-1.pdf"
    assert cli.json("invoice", "send", "--client", "A1")["sent"] == 0 and len(mail.inbox) == 1


def test_a_bad_selection_is_one_sentence_and_changes_nothing(cli, mail):
    billed_internally(cli)
    for args, says in ((("--period", "2026-13"), "2026-13"),
                       ((), "say which invoices to send"),
                       (("--invoice", "99"), "invoice 99 does not exist"),
                       (("--invoice", "1", "--client", "A1"), "give it without --period and --client"),
                       (("--client", "ZZ"), "client 'ZZ' does not exist"),
                       (("--period", "2026-10"), "there are no invoices for --period 2026-10")):
        refused = cli("invoice", "send", *args)
        assert refused.exit_code == 1 and says in refused.stderr, (args, refused.stderr)
        assert len(refused.stderr.strip().splitlines()) == 1 and "Traceback" not in refused.stderr
    assert mail.inbox == [] and cli.json("notify", "--dry-run")["messages"] == []
    cli.ok("config", "set", "smtp.host", "")
    unset = cli("invoice", "send", "--period", "2026-11")
    assert unset.exit_code == 1 and "invoice send: no mail server is set" in unset.stderr


def test_notify_send_invoices_mails_each_invoice_billed_with_the_none_driver(cli, mail):
    cli.ok("config", "set", "notify.send_invoices", "yes")
    billed_internally(cli)
    done = cli.json("notify")
    assert (done["sent"], done["no_email"]) == (2, 1)
    assert sorted(str(m["Subject"]) for m in mail.messages()) == [
        "Factura B 00002-00000001 (cliente A1)", "Factura B 00002-00000003 (cliente C3)"]
    assert cli.json("invoice", "send", "--period", "2026-11")["already_sent"] == 2 and len(mail.inbox) == 2


def test_drafts_wait_for_afip_and_authorize_queues_them_with_their_cae(cli, afip, rt, mail, tmp_path,  # noqa: F811
                                                                       monkeypatch):
    bill(cli, afip, tmp_path, monkeypatch)
    for code in ("A1", "B1", "B2", "B3", "B4"):
        cli.ok("client", "edit", code, "--email", f"{code.lower()}@example.com")
    waiting = cli.ok("invoice", "send", "--period", "2026-11")
    assert waiting.stdout.strip() == ("invoice send: 0 sent, 0 sent before; 6 invoice(s) wait for authorization "
                                      "(`ispcube invoice authorize`) and are not sent yet")
    assert mail.inbox == []

    cli.ok("config", "set", "notify.send_invoices", "yes")
    office = Runtime(engine=rt.engine, clock=lambda: datetime(2026, 11, 30, 12, 0))   # the ISP's local time
    assert authorize(rt, announce=announcer(office)).authorized == 6      # as `invoice authorize` runs it
    assert mail.inbox == []                                   # queued, for the next notify
    done = run_notify(office)
    assert (done.sent, done.no_email) == (5, 1)
    listed = {row["client"]: row for row in cli.json("invoice", "list")}
    by_subject = {str(m["Subject"]): m for m in mail.messages()}
    a1 = by_subject[f"Factura {listed['A1']['fiscal_number']} (cliente A1)"]
    assert listed["A1"]["fiscal_number"] == "A 00003-00000001"
    body = a1.get_body(preferencelist=("plain",)).get_content()
    assert f"CAE N.º {listed['A1']['cae']}" in body and "invoice 1-" not in body and " 1-1 " not in body
    name, data = attachment(a1)
    assert name == "factura-A-00003-00000001.pdf"
    text = pdf_text(data, tmp_path)
    for words in ("Cód. 001", "Comp. N.º 00000001", "Punto de venta: 00003", f"CAE N.º: {listed['A1']['cae']}",
                  "18.900,00", "15.619,83", "3.280,17"):
        assert words in text, words
    b4 = by_subject["Factura B 00003-00000004 (cliente B4)"]
    assert "Cód. 006" in pdf_text(attachment(b4)[1], tmp_path, "b4.pdf")

    assert authorize(rt, announce=announcer(office)).authorized == 0
    assert run_notify(office).sent == 0 and len(mail.inbox) == 5
    again = cli.json("invoice", "send", "--period", "2026-11")
    assert (again["sent"], again["already_sent"], again["no_email"]) == (0, 5, ["A2"]) and len(mail.inbox) == 5


def test_an_invoice_given_up_by_notify_is_sent_by_invoice_send_and_a_refused_address_logged(cli, db_url, mail):
    from ispcube.db.engine import get_engine
    from ispcube.services.notices.invoices import InvoiceSelection, send_invoices
    billed_internally(cli)
    now = [datetime(2026, 12, 1, 9, 0)]
    office = Runtime(engine=get_engine(db_url), clock=lambda: now[0])
    mail.stop()
    down = send_invoices(office, InvoiceSelection(period="2026-11", client="A1"))
    assert (down.ok, down.waiting, len(down.sent)) == (False, 1, 0)
    now[0] += timedelta(days=6)
    assert run_notify(office).expired == 1                   # given up after five days, logged
    assert "notice.expired" in [e["kind"] for e in cli.json("client", "log", "A1")]
    mail.start()
    assert run_notify(office).sent == 0 and mail.inbox == []
    back = send_invoices(office, InvoiceSelection(period="2026-11", client="A1"))
    assert (back.ok, len(back.sent), back.already_sent) == (True, 1, 0) and len(mail.inbox) == 1
    assert mail.messages()[0]["Subject"] == "Factura B 00002-00000001 (cliente A1)"

    mail.refuse.add("carla@example.com")
    refused = cli("invoice", "send", "--client", "C3")
    assert refused.exit_code == 3 and "1 invoice(s) refused by the mail server" in refused.stderr
    assert "notice.rejected" in [e["kind"] for e in cli.json("client", "log", "C3")] and len(mail.inbox) == 1
    mail.refuse.clear()                                       # the address is fixed at the other end
    assert cli.json("invoice", "send", "--client", "C3")["sent"] == 1 and len(mail.inbox) == 2


def test_invoice_send_waits_for_a_notify_run_and_exits_75(cli, db_url, mail):
    from ispcube.db.engine import get_engine
    from ispcube.services.process.job_lock import job_lock
    billed_internally(cli)
    with job_lock(get_engine(db_url), "notify"):
        busy = cli("invoice", "send", "--period", "2026-11")
    assert busy.exit_code == 75 and "holds the lock" in busy.stderr and mail.inbox == []
    assert cli.json("notify", "--dry-run")["messages"] == []          # nothing was queued
    assert cli.json("invoice", "send", "--period", "2026-11")["sent"] == 2
