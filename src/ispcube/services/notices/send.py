"""`ispcube notify` (E4, E5, R16): the pending notices sent by e-mail.

One run, under the job lock: (1) pending notices older than EXPIRY_DAYS are given up, each
with a client-log line, and the reminders owed today are written (E5); (2) the notices of
clients without an e-mail address are closed as such (counted, logged); (3) every other
pending notice is rendered from its template and sent over one SMTP connection, and recorded
as sent, with a client-log line, in its own transaction right after the server accepted it.
A crash between that acceptance and that commit sends that one notice again on the next run
(R16); nothing else is ever sent twice. A server that is down, or refuses the login, leaves
every notice not yet sent pending for the next run.
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, NotRequired, TypedDict

from sqlalchemy import bindparam, select, update

from ispcube import config_file
from ispcube.adapters.smtp import MailServer
from ispcube.db import models as m
from ispcube.db.notice_models import Notice
from ispcube.domain.contact import split_list
from ispcube.domain.text import CONTROL
from ispcube.errors import Invalid, MailRejected, MailUnavailable
from ispcube.services.admin import config
from ispcube.services.clients.log import log_many
from ispcube.services.documents.notice_texts import Rendered, notice_context, render_notice
from ispcube.services.documents.templates import environment, stored_bodies
from ispcube.services.notices.outbox import NoticeStatus, write_notices
from ispcube.services.notices.reminders import due_reminders
from ispcube.services.process.job_lock import job_lock

EXPIRY_DAYS = 5
NOTICES = Notice.__table__
PASSWORD_ENV = "ISPCUBE_SMTP_PASSWORD"


# The clients' payment links (G1): client ids in, {client id: link} out for those who owe.
PaymentLinks = Callable[[list[int]], dict[int, str]]


class NoticeShown(TypedDict):
    """A notice sent (or, in a dry run, to send, with its body)."""
    notice: int
    client: str
    kind: str
    to: str
    subject: str
    body: NotRequired[str]


@dataclass
class NotifySummary:
    now: str
    mode: str                      # apply | plan
    sent: int = 0
    waiting: int = 0               # still pending after the run
    expired: int = 0
    no_email: int = 0
    rejected: int = 0
    reminders: int = 0             # reminders written by this run (E5)
    error: str | None = None       # why the mail server took nothing more
    messages: list[NoticeShown] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.error or self.expired or self.rejected)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        if self.mode == "plan":
            return (f"notify --dry-run {self.now}: {len(self.messages)} notice(s) would be sent, "
                    f"{self.expired} would expire, {self.no_email} without e-mail, "
                    f"{self.reminders} reminder(s) would be written")
        return (f"notify {self.now}: {self.sent} sent, {self.waiting} waiting, {self.expired} expired, "
                f"{self.rejected} refused, {self.no_email} without e-mail, {self.reminders} reminder(s) written")

    def failure(self) -> str:
        parts = []
        if self.error:
            parts.append(f"{self.error}; {self.waiting} notice(s) wait for the next run")
        if self.expired:
            parts.append(f"{self.expired} notice(s) expired unsent after {EXPIRY_DAYS} days (see the client log)")
        if self.rejected:
            parts.append(f"{self.rejected} notice(s) refused by the mail server (see the client log)")
        return f"notify: {' and '.join(parts)}; {self.sent} sent stand"


@dataclass(frozen=True)
class Setup:
    host: str
    port: int
    starttls: bool
    user: str
    sender: str
    currency: str
    days_before: int


@dataclass
class Outgoing:
    notice_id: int
    client_id: int
    code: str
    name: str
    kind: str
    recipients: list[str]
    rendered: Rendered
    message_id: str


def run_notify(rt, *, dry_run: bool = False, payment_links: PaymentLinks | None = None) -> NotifySummary:
    """PAYMENT_LINKS: the clients' payment links for the notices' `payment_link` (G1), or None."""
    now = rt.now()
    summary = NotifySummary(now.isoformat(sep=" "), "plan" if dry_run else "apply")
    rt.check_office("run notify")      # it reads and writes every client's notices
    with job_lock(rt.engine, "notify"):
        links = payment_links(_to_notify(rt, now)) if payment_links is not None else {}
        with rt.uow() as uow:
            setup = _setup(uow)
            if not dry_run:
                _require_server(setup)
            summary.expired = _expire(uow, rt, now, dry_run)
            reminders = due_reminders(uow, now.date(), setup.days_before)
            write_notices(uow, rt, reminders)      # a dry run rolls them back with the rest
            summary.reminders = len(reminders)
            outgoing, unaddressed = _prepare(uow, setup, now, links)
            summary.no_email = len(unaddressed)
            if dry_run:
                summary.messages = [_shown(item, with_body=True) for item in outgoing]
                return summary
            _close(uow, rt, unaddressed, NoticeStatus.NO_EMAIL, now)
            uow.commit()
        _send_all(rt, setup, outgoing, summary)
    return summary


def _to_notify(rt, now: datetime) -> list[int]:
    """The clients this run may write to: those with a pending notice or a reminder due. Their
    payment links are made before the notices are read, outside that transaction."""
    with rt.uow() as uow:
        pending = set(uow.session.scalars(select(Notice.client_id).where(
            Notice.status == NoticeStatus.PENDING, Notice.created_at > _expiry_cutoff(now))))
        days_before = config.get_value(uow.session, "notify.reminder_days_before")
        pending.update(r.client_id for r in due_reminders(uow, now.date(), days_before))
    return sorted(pending)


def _setup(uow) -> Setup:
    get = lambda key: config.get_value(uow.session, key)  # noqa: E731
    return Setup(get("smtp.host"), get("smtp.port"), get("smtp.starttls"), get("smtp.user"), get("smtp.from"),
                 get("currency"), get("notify.reminder_days_before"))


def _require_server(setup: Setup) -> None:
    if not setup.host:
        raise Invalid("notify: no mail server is set; set smtp.host and smtp.from "
                      "(`ispcube config set smtp.host mail.example.net`)")
    if not setup.sender:
        raise Invalid("notify: no sender is set; set smtp.from "
                      "(`ispcube config set smtp.from 'Fibra Norte <avisos@fibra.example>'`)")


def _password(uow) -> str:
    """ISPCUBE_SMTP_PASSWORD, else the config file's smtp_password, else the smtp.password setting."""
    return config_file.value("smtp_password", PASSWORD_ENV) or config.get_value(uow.session, "smtp.password")


def _expire(uow, rt, now: datetime, dry_run: bool) -> int:
    """Give up the pending notices older than EXPIRY_DAYS; a client-log line each."""
    rows = uow.session.execute(
        select(Notice.id, Notice.client_id, Notice.kind, Notice.last_error)
        .where(Notice.status == NoticeStatus.PENDING, Notice.created_at <= _expiry_cutoff(now))).all()
    if rows and not dry_run:
        _set_status(uow, [r.id for r in rows], NoticeStatus.EXPIRED, now)
        log_many(uow, rt, [(r.client_id, "notice.expired",
                            f"notice {r.kind} not sent: given up after {EXPIRY_DAYS} days"
                            + (f" (last error: {r.last_error})" if r.last_error else "")) for r in rows])
    return len(rows)


def _expiry_cutoff(now: datetime) -> datetime:
    return now - timedelta(days=EXPIRY_DAYS)


def _prepare(uow, setup: Setup, now: datetime,
             links: dict[int, str]) -> tuple[list[Outgoing], list[tuple[int, int, str]]]:
    # Messages are built one at a time while sending: a long queue holds only the texts.
    """The pending notices, rendered: (messages to send, (id, client id, kind) without address)."""
    env = environment(stored_bodies(uow), text=True)
    c = m.Client
    rows = uow.session.execute(
        select(Notice.id, Notice.client_id, Notice.kind, Notice.amount, Notice.next_step, Notice.next_on,
               Notice.created_at, c.code, c.name, c.emails, c.epayment_code, c.payment_method)
        .join(c, c.id == Notice.client_id)
        .where(Notice.status == NoticeStatus.PENDING, Notice.created_at > _expiry_cutoff(now))
        .order_by(Notice.id)).all()
    sender_name = _sender_name(setup.sender)
    outgoing, unaddressed = [], []
    for row in rows:
        addresses = split_list(row.emails)
        if not addresses:
            unaddressed.append((row.id, row.client_id, row.kind))
            continue
        context = notice_context(kind=row.kind, code=row.code, name=row.name, epayment_code=row.epayment_code,
                                 payment_method=row.payment_method, amount=row.amount, currency=setup.currency,
                                 next_step=row.next_step, next_on=row.next_on, written_on=row.created_at.date(),
                                 sender=sender_name, payment_link=links.get(row.client_id))
        outgoing.append(Outgoing(row.id, row.client_id, row.code, row.name, row.kind, addresses,
                                 render_notice(env, row.kind, context), _message_id(row, setup.sender)))
    return outgoing, unaddressed


def _sender_name(sender: str) -> str:
    from email.utils import parseaddr
    name, address = parseaddr(sender)
    return name or address


def _message_id(row, sender: str) -> str:
    """The same Message-ID every time a notice is sent: a copy sent again after a crash (R16)
    is recognisable as the same message."""
    from email.utils import parseaddr
    domain = parseaddr(sender)[1].rpartition("@")[2] or "ispcube.invalid"
    return f"<notice-{row.id}.{row.created_at:%Y%m%d%H%M%S}@{domain}>"


def build_message(sender: str, client_name: str, addresses: list[str], rendered: Rendered,
                  message_id: str, now: datetime) -> EmailMessage:
    """A UTF-8 message: names in the headers are encoded as RFC 2047 words, the body as needed."""
    from email.headerregistry import Address
    from email.utils import format_datetime, parseaddr
    message = EmailMessage()
    name, address = parseaddr(sender)
    if address:
        message["From"] = Address(display_name=_header_safe(name), addr_spec=address)
    message["To"] = [Address(display_name=_header_safe(client_name), addr_spec=a) for a in addresses]
    message["Subject"] = _header_safe(rendered.subject)
    message["Date"] = format_datetime(now.astimezone())
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.body)
    return message


def _header_safe(text: str) -> str:
    """TEXT on one line for a header: a name stored with a line break (before such names were
    refused) must neither split the header nor stop the notice."""
    return " ".join(CONTROL.sub(" ", text or "").split())


def _shown(item: Outgoing, *, with_body: bool = False) -> NoticeShown:
    shown: NoticeShown = {"notice": item.notice_id, "client": item.code, "kind": item.kind,
                             "to": ", ".join(item.recipients), "subject": item.rendered.subject}
    if with_body:
        shown["body"] = item.rendered.body
    return shown


def _send_all(rt, setup: Setup, outgoing: list[Outgoing], summary: NotifySummary) -> None:
    if not outgoing:
        return
    with rt.uow() as uow:
        password = _password(uow)
    done = 0
    try:
        with MailServer(setup.host, setup.port, starttls=setup.starttls, user=setup.user,
                        password=password) as server:
            for item in outgoing:
                try:
                    message = build_message(setup.sender, item.name, item.recipients, item.rendered,
                                            item.message_id, rt.now())
                except ValueError as exc:      # a header the e-mail library will not write
                    _record(rt, item, NoticeStatus.REJECTED, "notice.rejected",
                            f"notice {item.kind} not sent: it cannot be written as an e-mail ({exc})")
                    summary.rejected += 1
                    done += 1
                    continue
                try:
                    refused = server.send(message)
                except MailRejected as exc:
                    _record(rt, item, NoticeStatus.REJECTED, "notice.rejected",
                            f"notice {item.kind} not sent to {', '.join(item.recipients)}: {exc}")
                    summary.rejected += 1
                else:
                    taken = f"notice {item.kind} sent to {', '.join(item.recipients)}"
                    if refused:
                        taken += f"; the mail server refused {'; '.join(refused)}"
                    _record(rt, item, NoticeStatus.SENT, "notice.sent", taken)
                    summary.sent += 1
                    summary.messages.append(_shown(item))
                done += 1
    except MailUnavailable as exc:
        summary.error = str(exc)
        _note_attempt(rt, [item.notice_id for item in outgoing[done:]], str(exc))
    summary.waiting = len(outgoing) - done


def _record(rt, item: Outgoing, status: NoticeStatus, log_kind: str, message: str) -> None:
    """One notice closed, with its client-log line, in a transaction of its own (R16)."""
    with rt.uow() as uow:
        uow.session.execute(update(NOTICES).where(NOTICES.c.id == item.notice_id,
                                                  NOTICES.c.status == NoticeStatus.PENDING)
                            .values(status=str(status), finished_at=rt.now(), attempts=NOTICES.c.attempts + 1,
                                    recipients="; ".join(item.recipients)))
        log_many(uow, rt, [(item.client_id, log_kind, message[:1000])])
        uow.commit()


def _close(uow, rt, unaddressed: list[tuple[int, int, str]], status: NoticeStatus, now: datetime) -> None:
    if unaddressed:
        _set_status(uow, [notice_id for notice_id, _, _ in unaddressed], status, now)
        log_many(uow, rt, [(client_id, "notice.no_email", f"notice {kind} not sent: the client has no e-mail address")
                           for _, client_id, kind in unaddressed])


def _set_status(uow, ids: list[int], status: NoticeStatus, now: datetime) -> None:
    uow.session.execute(update(NOTICES).where(NOTICES.c.id == bindparam("nid"))
                        .values(status=str(status), finished_at=now), [{"nid": i} for i in ids])


def _note_attempt(rt, ids: list[int], error: str) -> None:
    """The notices left pending keep the last error, shown when they expire."""
    if not ids:
        return
    with rt.uow() as uow:
        uow.session.execute(update(NOTICES).where(NOTICES.c.id == bindparam("nid"))
                            .values(attempts=NOTICES.c.attempts + 1, last_error=error[:300]),
                            [{"nid": i} for i in ids])
        uow.commit()
