"""`ispcube notify` (E4, E5, R16): the pending notices sent by e-mail.

One run, under the job lock: (1) pending notices older than EXPIRY_DAYS are given up, each
with a client-log line, and the reminders owed today are written (E5); (2) the notices of
clients without an e-mail address are closed as such (counted, logged); (3) every other
pending notice is rendered from its template and sent over one SMTP connection, and recorded
as sent, with a client-log line, in its own transaction right after the server accepted it.
A crash between that acceptance and that commit sends that one notice again on the next run
(R16); nothing else is ever sent twice. A server that is down, or refuses the login, leaves
every notice not yet sent pending for the next run. A notice of kind `invoice` (I7) carries
its invoice's PDF, made from the invoice template as the message is built (`send_now` sends
the ones `invoice send` picked at once).
"""

from collections.abc import Callable, Collection
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
from ispcube.services.documents.templates import asset_dir, environment, stored_bodies
from ispcube.services.fiscal.invoices import invoice_file, mail_facts
from ispcube.services.notices.outbox import NoticeKind, NoticeStatus, write_notices
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
    entry_id: int | None = None          # an invoice notice: the invoice whose PDF goes with it
    payment_link: str | None = None


def run_notify(rt, *, dry_run: bool = False, payment_links: PaymentLinks | None = None) -> NotifySummary:
    """PAYMENT_LINKS: the clients' payment links for the notices' `payment_link` (G1), or None."""
    now = rt.now()
    summary = NotifySummary(now.isoformat(sep=" "), "plan" if dry_run else "apply")
    rt.check_office("run notify")      # it reads and writes every client's notices
    with job_lock(rt.engine, "notify"):
        links = payment_links(_to_notify(rt, now)) if payment_links is not None else {}
        with rt.uow() as uow:
            setup = read_setup(uow)
            if not dry_run:
                require_server(setup, "notify")
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


def send_now(rt, notice_ids: Collection[int], payment_links: dict[int, str]) -> NotifySummary:
    """The pending notices NOTICE_IDS sent at once, as `notify` sends them; the caller holds
    the job lock `notify` and checked the mail server's settings (`require_server`)."""
    now = rt.now()
    summary = NotifySummary(now.isoformat(sep=" "), "apply")
    with rt.uow() as uow:
        setup = read_setup(uow)
        outgoing, unaddressed = _prepare(uow, setup, now, payment_links, set(notice_ids))
        summary.no_email = len(unaddressed)
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


def read_setup(uow) -> Setup:
    get = lambda key: config.get_value(uow.session, key)  # noqa: E731
    return Setup(get("smtp.host"), get("smtp.port"), get("smtp.starttls"), get("smtp.user"), get("smtp.from"),
                 get("currency"), get("notify.reminder_days_before"))


def require_server(setup: Setup, command: str) -> None:
    """COMMAND refuses to run, changing nothing, without a mail server and a sender."""
    if not setup.host:
        raise Invalid(f"{command}: no mail server is set; set smtp.host and smtp.from "
                      "(`ispcube config set smtp.host mail.example.net`)")
    if not setup.sender:
        raise Invalid(f"{command}: no sender is set; set smtp.from "
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


def _prepare(uow, setup: Setup, now: datetime, links: dict[int, str],
             only: set[int] | None = None) -> tuple[list[Outgoing], list[tuple[int, int, str]]]:
    # Messages are built one at a time while sending: a long queue holds only the texts (an
    # invoice's PDF too is made as its message is built).
    """The pending notices (those of ONLY, when given), rendered: (messages to send, (id,
    client id, kind) without address)."""
    env = environment(stored_bodies(uow), text=True)
    c = m.Client
    rows = [row for row in uow.session.execute(
        select(Notice.id, Notice.client_id, Notice.kind, Notice.amount, Notice.next_step, Notice.next_on,
               Notice.created_at, Notice.entry_id, c.code, c.name, c.emails, c.epayment_code, c.payment_method)
        .join(c, c.id == Notice.client_id)
        .where(Notice.status == NoticeStatus.PENDING, Notice.created_at > _expiry_cutoff(now))
        .order_by(Notice.id)).all() if only is None or row.id in only]
    invoices = mail_facts(uow, [row.entry_id for row in rows if row.kind == NoticeKind.INVOICE and row.entry_id])
    sender_name = _sender_name(setup.sender)
    outgoing, unaddressed = [], []
    for row in rows:
        invoice = invoices.get(row.entry_id) if row.kind == NoticeKind.INVOICE else None
        if row.kind == NoticeKind.INVOICE and invoice is None:
            continue        # only an invoice that has its number is ever queued; left to expire
        addresses = split_list(row.emails)
        if not addresses:
            unaddressed.append((row.id, row.client_id, row.kind))
            continue
        context = notice_context(kind=row.kind, code=row.code, name=row.name, epayment_code=row.epayment_code,
                                 payment_method=row.payment_method, amount=row.amount, currency=setup.currency,
                                 next_step=row.next_step, next_on=row.next_on, written_on=row.created_at.date(),
                                 sender=sender_name, payment_link=links.get(row.client_id), invoice=invoice)
        outgoing.append(Outgoing(row.id, row.client_id, row.code, row.name, row.kind, addresses,
                                 render_notice(env, row.kind, context), _message_id(row, setup.sender),
                                 row.entry_id if invoice else None, links.get(row.client_id)))
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
                  message_id: str, now: datetime, attachments: tuple[tuple[str, bytes], ...] = ()) -> EmailMessage:
    """A UTF-8 message: names in the headers are encoded as RFC 2047 words, the body as needed;
    ATTACHMENTS, (file name, PDF), go after the text."""
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
    for name, data in attachments:
        message.add_attachment(data, maintype="application", subtype="pdf", filename=name)
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
                                            item.message_id, rt.now(), _attachments(rt, item))
                except Invalid as exc:         # the invoice's document could not be made
                    _record(rt, item, NoticeStatus.REJECTED, "notice.rejected",
                            f"notice {item.kind} not sent: its invoice could not be made ({exc})")
                    summary.rejected += 1
                    done += 1
                    continue
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


def _attachments(rt, item: Outgoing) -> tuple[tuple[str, bytes], ...]:
    """An invoice notice's PDF, made from the invoice template as `invoice print` makes it."""
    if item.entry_id is None:
        return ()
    from ispcube.adapters.pdf import pdf_bytes
    with rt.uow() as uow:
        document = invoice_file(uow, rt, item.entry_id, item.payment_link)
    if document is None:
        raise Invalid(f"invoice {item.entry_id} does not exist")
    data, _ = pdf_bytes(document.html, asset_dir(), document.name)
    return ((document.name, data),)


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
