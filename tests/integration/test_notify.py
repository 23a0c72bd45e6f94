"""`ispcube notify` (E4, E5, R16): the notice outbox sent to a real SMTP server on loopback,
on SQLite and PostgreSQL. One message per stage change, none twice, none lost while the
server is down, given up after five days, UTF-8 names and amounts in the configured currency."""

from contextlib import ExitStack
from datetime import datetime, timedelta

import pytest

from tests.support.network import add_mikrotik, start_simulators
from tests.support.smtp import MailCatcher

SENDER = "Fibra Ñandú <avisos@fibra.example>"


@pytest.fixture
def mail(cli):
    catcher = MailCatcher().start()
    for key, value in (("smtp.host", "127.0.0.1"), ("smtp.port", str(catcher.port)), ("smtp.starttls", "no"),
                       ("smtp.from", SENDER)):
        cli.ok("config", "set", key, value)
    yield catcher
    catcher.stop()


def debtor(cli, code: str, name: str, debt: str = "1000", email: str | None = None, *extra: str) -> None:
    cli.ok("client", "add", "--code", code, "--name", name, "--address", f"Calle {code}",
           *(("--email", email) if email else ()), *extra)
    cli.ok("ledger", "adjust", code, "--debit", debt, "--reason", "deuda de prueba")


def log_kinds(cli, code: str) -> list[str]:
    return [entry["kind"] for entry in cli.json("client", "log", code)]


def clocked(db_url, start: datetime):
    from ispcube.db.engine import get_engine
    from ispcube.services.process.runtime import Runtime
    now = [start]
    return Runtime(engine=get_engine(db_url), clock=lambda: now[0]), now


def test_each_stage_change_is_told_once_with_names_and_amounts(cli, mail):
    cli.ok("config", "set", "currency", "EUR")
    debtor(cli, "A1", "José Núñez", "1234.5", "jose@example.com", "--epayment-code", "777001",
           "--payment-method", "transfer")
    debtor(cli, "B2", "Sin Correo", "10")
    debtor(cli, "C3", "Carla Pérez", "50", "carla@example.com;carla.trabajo@example.com")
    assert cli.json("enforce")["cut"] == 3

    first = cli.json("notify")
    assert (first["sent"], first["no_email"], first["waiting"], first["expired"]) == (2, 1, 0, 0)
    by_client = {m["client"]: m for m in first["messages"]}
    assert by_client["C3"]["to"] == "carla@example.com, carla.trabajo@example.com"
    sent = {str(message["To"]): message for message in mail.messages()}
    cut = sent["José Núñez <jose@example.com>"]
    assert str(cut["From"]) == SENDER
    assert cut["Subject"] == "Servicio suspendido por falta de pago (cliente A1)"
    assert cut["Message-ID"].startswith("<notice-") and cut["Message-ID"].endswith("@fibra.example>")
    body = cut.get_content()
    assert "Estimado/a José Núñez:" in body and "deuda vencida de 1.234,50 EUR" in body
    assert "código de pago 777001" in body and "transferencia bancaria" in body
    assert "Fibra Ñandú" in body and "&" not in body        # plain text, nothing HTML-escaped
    headers = mail.raw()[0].split(b"\r\n\r\n", 1)[0]
    assert headers.isascii() and b"=?utf-8?" in headers     # UTF-8 names travel encoded (RFC 2047)
    assert "notice.sent" in log_kinds(cli, "A1") and "notice.no_email" in log_kinds(cli, "B2")

    cli.ok("enforce")                                        # nothing changes: nothing to tell
    assert cli.json("notify")["sent"] == 0 and len(mail.inbox) == 2

    cli.ok("pay", "A1", "--cash", "1234.5", "--enable")      # restored by the payment
    cli.ok("pay", "C3", "--cash", "50", "--no-enable")       # restored by the next enforce
    assert cli.json("enforce")["restored"] == 1
    restored = cli.json("notify")
    assert restored["sent"] == 2 and len(mail.inbox) == 4
    subjects = sorted(str(message["Subject"]) for message in mail.messages()[2:])
    assert subjects == ["Servicio restablecido (cliente A1)", "Servicio restablecido (cliente C3)"]
    assert cli.json("notify")["sent"] == 0 and len(mail.inbox) == 4


def test_clp_amounts_have_no_decimals(cli, mail):
    cli.ok("config", "set", "currency", "CLP")
    debtor(cli, "A1", "Ana", "15990", "ana@example.com")
    cli.ok("enforce")
    cli.ok("notify")
    assert "deuda vencida de 15.990 CLP" in mail.messages()[0].get_content()


def test_no_notice_is_lost_while_the_server_is_down(cli, mail):
    debtor(cli, "A1", "Ana", email="ana@example.com")
    cli.ok("enforce")
    mail.stop()
    down = cli("notify")
    assert down.exit_code == 3
    assert "the mail server 127.0.0.1:" in down.stderr and "could not be reached" in down.stderr
    assert "1 notice(s) wait for the next run" in down.stderr and "0 sent stand" in down.stderr
    assert "Traceback" not in down.stderr
    mail.start()
    back = cli.json("notify")
    assert back["sent"] == 1 and len(mail.inbox) == 1
    assert cli.json("notify")["sent"] == 0 and len(mail.inbox) == 1


def test_dry_run_prints_the_messages_and_changes_nothing(cli, mail):
    debtor(cli, "A1", "Ana Ñuñez", email="ana@example.com")
    debtor(cli, "B2", "Sin Correo", "10")
    cli.ok("enforce")
    shown = cli.ok("notify", "--dry-run")
    assert "To: ana@example.com" in shown.stdout and "Subject: Servicio suspendido" in shown.stdout
    assert "Estimado/a Ana Ñuñez:" in shown.stdout and "1 without e-mail" in shown.stdout
    assert mail.inbox == [] and "notice.no_email" not in log_kinds(cli, "B2")
    done = cli.json("notify")
    assert (done["sent"], done["no_email"]) == (1, 1) and len(mail.inbox) == 1


def test_a_notice_unsent_for_five_days_expires_with_a_log_line(cli, db_url, mail):
    from ispcube.services.enforcement.enforce import run_enforce
    from ispcube.services.notices.send import run_notify
    debtor(cli, "A1", "Ana", email="ana@example.com")
    mail.stop()
    rt, now = clocked(db_url, datetime(2026, 3, 15, 8, 0))
    assert run_enforce(rt).cut == 1
    assert run_notify(rt).waiting == 1
    now[0] += timedelta(days=4, hours=23)
    assert (run_notify(rt).waiting, run_notify(rt).expired) == (1, 0)
    now[0] += timedelta(hours=2)
    would = run_notify(rt, dry_run=True)
    assert (would.expired, would.messages) == (1, [])
    late = run_notify(rt)
    assert (late.expired, late.waiting, late.ok) == (1, 0, False)
    assert "expired unsent after 5 days" in late.failure()
    mail.start()
    assert run_notify(rt).sent == 0 and mail.inbox == []
    expired = [e for e in cli.json("client", "log", "A1") if e["kind"] == "notice.expired"]
    assert len(expired) == 1 and "given up after 5 days" in expired[0]["message"]
    assert "could not be reached" in expired[0]["message"]


def test_a_second_run_exits_75_while_one_holds_the_lock(cli, db_url, mail):
    from ispcube.db.engine import get_engine
    from ispcube.services.process.job_lock import job_lock
    debtor(cli, "A1", "Ana", email="ana@example.com")
    cli.ok("enforce")
    with job_lock(get_engine(db_url), "notify"):
        busy = cli("notify")
    assert busy.exit_code == 75 and "another `ispcube notify` run holds the lock" in busy.stderr
    assert mail.inbox == []
    assert cli.json("notify")["sent"] == 1


def test_an_address_the_server_refuses_is_closed_and_logged(cli, mail):
    mail.refuse.add("nadie@example.com")
    debtor(cli, "A1", "Ana", email="nadie@example.com")
    debtor(cli, "B2", "Beto", email="beto@example.com")
    cli.ok("enforce")
    result = cli("notify")
    assert result.exit_code == 3 and "1 notice(s) refused by the mail server" in result.stderr
    assert len(mail.inbox) == 1
    refused = [e for e in cli.json("client", "log", "A1") if e["kind"] == "notice.rejected"]
    assert "550" in refused[0]["message"] and "nadie@example.com" in refused[0]["message"]
    assert cli.json("notify")["sent"] == 0


def test_reminder_once_per_unpaid_invoice_before_it_falls_due(cli, db_url, mail):
    from ispcube.services.notices.send import run_notify
    cli.ok("config", "set", "notify.reminder_days_before", "5")
    cli.ok("plan", "add", "--name", "Hogar", "--price", "1000")
    for code, email in (("R1", "r1@example.com"), ("R2", "r2@example.com"), ("R3", "r3@example.com")):
        cli.ok("client", "add", "--code", code, "--name", f"Cliente {code}", "--address", f"Calle {code}",
               "--email", email, "--plan", "Hogar", "--signup-date", "2026-01-01")
    cli.ok("billing", "run", "--period", "2026-04")            # due on the 10th
    cli.ok("pay", "R2", "--cash", "1000", "--no-enable")        # paid: no reminder
    cli.ok("pay", "R3", "--cash", "400", "--no-enable")         # partly paid: reminded of the rest
    rt, now = clocked(db_url, datetime(2026, 4, 4, 9, 0))
    assert run_notify(rt).reminders == 0                          # six days before
    now[0] = datetime(2026, 4, 5, 9, 0)
    first = run_notify(rt)
    assert (first.reminders, first.sent) == (2, 2)
    bodies = {str(m["To"]): m.get_content() for m in mail.messages()}
    assert "el 10/04/2026 vence su factura, con 1.000,00 ARS pendientes" in bodies["Cliente R1 <r1@example.com>"]
    assert "con 600,00 ARS pendientes" in bodies["Cliente R3 <r3@example.com>"]
    now[0] = datetime(2026, 4, 6, 9, 0)
    assert (run_notify(rt).reminders, len(mail.inbox)) == (0, 2)


def test_preaviso_warnings_are_told_once_a_month(cli, mail):
    with ExitStack() as stack:
        (core,) = start_simulators(stack, 1)
        add_mikrotik(cli, "core", core)
        cli.ok("plan", "add", "--name", "Hogar", "--price", "1000")
        cli.ok("client", "add", "--code", "U1", "--name", "Úrsula", "--address", "Calle 1", "--email",
               "u1@example.com", "--plan", "Hogar", "--signup-date", "2026-01-01")
        cli.ok("connection", "add", "U1", "--router", "core", "--ip", "10.0.0.1", "--plan", "Hogar")
        cli.ok("billing", "run", "--period", "2026-03")
        assert cli.json("--yes", "preaviso", "--now", "2026-03-02T09:00")["warned"] == 1
        core.advance_clock(3600)
        assert cli.json("--yes", "preaviso", "--now", "2026-03-02T14:00")["warned"] == 1
        core.advance_clock(3600)
        dry = cli.ok("--yes", "preaviso", "--now", "2026-03-03T14:00", "--dry-run")
        assert "10.0.0.1" in dry.stdout
        assert cli.json("notify")["sent"] == 1
        (warning,) = mail.messages()
        assert warning["Subject"] == "Aviso de pago pendiente (cliente U1)"
        body = warning.get_content()
        assert "saldo a pagar de 1.000,00 ARS" in body and "suspendido a partir del 10/03/2026" in body
        cli.ok("billing", "run", "--period", "2026-04")
        core.advance_clock(3600)
        assert cli.json("--yes", "preaviso", "--now", "2026-04-01T09:00")["warned"] == 1    # a new month: told again
        assert cli.json("notify")["sent"] == 1
        april = mail.messages()[1].get_content()
        assert "saldo a pagar de 2.000,00 ARS" in april
        # March's invoice is overdue already (no enforce ran): the cut may come any day.
        assert "puede ser suspendido en cualquier momento" in april


def test_templates_are_editable_and_checked(cli, mail, tmp_path):
    mine = tmp_path / "cut.txt"
    mine.write_text("Corte {{ client.code }}\nDebe {{ amount|money }} {{ currency }} <sin escapar>\n",
                    encoding="utf-8")
    assert "checked" in cli.ok("template", "set", "notice-cut", str(mine)).stdout
    broken = tmp_path / "broken.txt"
    broken.write_text("{{ client.__class__ }}\nx\n", encoding="utf-8")
    refused = cli("template", "set", "notice-cut", str(broken))
    assert refused.exit_code == 1 and "template notice-cut" in refused.stderr and "sandbox" in refused.stderr
    empty = tmp_path / "empty.txt"
    empty.write_text("Solo asunto\n", encoding="utf-8")
    assert "nothing follows the subject line" in cli("template", "set", "notice-cut", str(empty)).stderr
    debtor(cli, "A1", "Ana", "99", "ana@example.com")
    cli.ok("enforce")
    cli.ok("notify")
    (message,) = mail.messages()
    assert message["Subject"] == "Corte A1" and message.get_content().rstrip() == "Debe 99,00 ARS <sin escapar>"


def test_login_uses_the_secret_password_and_never_prints_it(cli, mail):
    from aiosmtpd.smtp import AuthResult
    mail.stop()
    secure = MailCatcher(mail.port, auth_require_tls=False,
                         authenticator=lambda server, session, envelope, mechanism, auth: AuthResult(
                             success=(auth.login, auth.password) == (b"avisos", b"s3cr3t-Pw"), handled=False))
    secure.start()
    try:
        cli.ok("config", "set", "smtp.user", "avisos")
        cli.ok("config", "set", "smtp.password", "-", input="wrong-Pw\n")
        assert "wrong-Pw" not in cli.ok("config", "list").stdout
        debtor(cli, "A1", "Ana", email="ana@example.com")
        cli.ok("enforce")
        refused = cli("notify")
        assert refused.exit_code == 3 and "refused the login of user 'avisos'" in refused.stderr
        assert "wrong-Pw" not in refused.stderr + refused.stdout and secure.inbox == []
        good = cli("--format", "json", "notify", env={"ISPCUBE_SMTP_PASSWORD": "s3cr3t-Pw"})
        assert good.exit_code == 0 and len(secure.inbox) == 1
        assert "s3cr3t-Pw" not in good.stdout + good.stderr
    finally:
        secure.stop()


def test_the_cron_wrapper_runs_notify_as_crontab_example_says(cli, db_url, mail, tmp_path):
    import os
    from pathlib import Path
    import subprocess
    import sys
    root = Path(__file__).resolve().parents[2]
    assert any(line.split()[-1:] == ["notify"] and "ispcube-job" in line
               for line in (root / "crontab.example").read_text().splitlines() if not line.startswith("#"))
    debtor(cli, "A1", "Ana", email="ana@example.com")
    cli.ok("enforce")
    env = {**os.environ, "ISPCUBE_DATABASE_URL": db_url, "ISPCUBE_LOG_DIR": str(tmp_path / "logs"),
           "ISPCUBE_BIN": str(Path(sys.executable).parent / "ispcube")}
    done = subprocess.run([str(root / "jobs" / "ispcube-job"), "notify"], env=env, capture_output=True,
                          text=True, timeout=120)
    log = (tmp_path / "logs" / "notify.log").read_text()
    assert done.returncode == 0 and "1 sent" in log and "end notify exit 0 (ok)" in log
    assert len(mail.inbox) == 1


def test_a_manual_disable_tells_nothing_and_the_enable_tells_the_restore(cli, mail):
    cli.ok("client", "add", "--code", "M1", "--name", "Marta", "--address", "Calle 1", "--email", "m@example.com")
    cli.ok("client", "disable", "M1", "--reason", "mudanza")
    assert cli.json("notify")["sent"] == 0
    cli.ok("client", "enable", "M1", "--reason", "volvió")
    assert cli.json("notify")["sent"] == 1
    assert mail.messages()[0]["Subject"] == "Servicio restablecido (cliente M1)"
    assert "Cómo pagar" not in mail.messages()[0].get_content()       # nothing owed


def test_a_run_killed_mid_send_loses_nothing_and_repeats_at_most_the_one_in_flight(cli, db_url, mail, tmp_path):
    """R16: `notify` killed while the server holds the third message (stored, not yet answered):
    the next run sends the rest, and only that one message arrives twice, with the same Message-ID."""
    import os
    from pathlib import Path
    import signal
    import subprocess
    import sys
    for n in range(1, 6):
        debtor(cli, f"K{n}", f"Cliente {n}", email=f"k{n}@example.com")
    cli.ok("enforce")
    env = {**os.environ, "ISPCUBE_DATABASE_URL": db_url}
    command = [str(Path(sys.executable).parent / "ispcube"), "notify"]
    run = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    mail.on_message = lambda count: os.kill(run.pid, signal.SIGKILL) if count == 3 else None
    run.communicate(timeout=120)
    assert run.returncode == -signal.SIGKILL and len(mail.inbox) == 3
    mail.on_message = None
    again = cli.json("notify")
    assert again["sent"] == 3 and len(mail.inbox) == 6
    ids = [str(message["Message-ID"]) for message in mail.messages()]
    assert len(set(ids)) == 5 and ids[2] == ids[3]            # the one in flight, and only it, twice
    assert sorted(str(message["To"]) for message in mail.messages()) == sorted(
        [f"Cliente {n} <k{n}@example.com>" for n in range(1, 6)] + ["Cliente 3 <k3@example.com>"])
    assert cli.json("notify")["sent"] == 0 and len(mail.inbox) == 6


def test_the_throttle_is_told_with_the_day_of_the_cut(cli, mail):
    from datetime import date
    today = date.today()
    cli.ok("config", "set", "escalation.cut_after_days", "15")
    cli.ok("config", "set", "escalation.throttle_after_days", "5")
    debtor(cli, "T1", "Tomás Ibáñez", "800", "tomas@example.com")        # a DX due today
    assert cli.json("--yes", "enforce", "--today", (today + timedelta(days=5)).isoformat())["routers"] == []
    cli.ok("notify")
    (throttled,) = mail.messages()
    assert throttled["Subject"] == "Velocidad reducida por falta de pago (cliente T1)"
    body = throttled.get_content()
    cut_day = (today + timedelta(days=15)).strftime("%d/%m/%Y")
    assert "deuda vencida de 800,00 ARS" in body and f"el servicio será suspendido el {cut_day}" in body
    cli.ok("--yes", "enforce", "--today", (today + timedelta(days=15)).isoformat())
    cli.ok("notify")
    assert [str(m["Subject"]) for m in mail.messages()][1] == "Servicio suspendido por falta de pago (cliente T1)"
