"""The mail server (E4): one SMTP connection per `notify` run, through the standard library.

smtplib's errors become ispcube's: `MailUnavailable` (down, refused the connection or the
login, answered "try later", dropped the line: the notices wait for the next run) and
`MailRejected` (every recipient of this message refused for good); a message some of whose
recipients were refused is sent, and `send` names the refused ones. No error carries the
password; the server's own reply text is passed on, cut short.
"""

from email.message import EmailMessage
from typing import Any

from ispcube.errors import MailRejected, MailUnavailable

TIMEOUT_S = 30.0


def _reply(code, text) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(str(text).split())}"[:160]


class MailServer:
    def __init__(self, host: str, port: int, *, starttls: bool, user: str, password: str,
                 timeout: float = TIMEOUT_S):
        self.host, self.port, self.starttls = host, port, starttls
        self.user, self._password, self.timeout = user, password, timeout
        self._smtp: Any = None

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def __enter__(self) -> "MailServer":
        import smtplib
        import ssl
        try:
            self._smtp = smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            smtp.ehlo()
            if self.starttls:
                self._lacking("STARTTLS", "turn smtp.starttls off only for a server on a trusted network",
                              lambda: smtp.starttls(context=ssl.create_default_context()))
                smtp.ehlo()
            if self.user:
                self._lacking("AUTH (a login)", "smtp.user is set: clear it for a server that takes mail "
                              "without a login, or use the server's submission port",
                              lambda: smtp.login(self.user, self._password))
        except MailUnavailable:
            self.close()
            raise
        except smtplib.SMTPAuthenticationError as exc:
            self.close()
            raise MailUnavailable(f"the mail server {self.where} refused the login of user '{self.user}' "
                                  f"({_reply(exc.smtp_code, exc.smtp_error)})") from None
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise MailUnavailable(f"the mail server {self.where} could not be reached ({_why(exc)})") from None
        return self

    def _lacking(self, what: str, advice: str, step) -> None:
        """Run STEP; a server that does not offer WHAT is said so, with ADVICE."""
        import smtplib
        try:
            step()
        except smtplib.SMTPNotSupportedError:
            raise MailUnavailable(f"the mail server {self.where} does not offer {what} ({advice})") from None

    def __exit__(self, *_exc) -> None:
        self.close()

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except Exception:  # noqa: BLE001 - the line may be gone already; nothing is left to do
                smtp.close()

    def send(self, message: EmailMessage) -> list[str]:
        """Returns once the server accepted MESSAGE for at least one recipient: the recipients
        it refused, each with the server's reply."""
        import smtplib
        if self._smtp is None:
            raise MailUnavailable(f"the connection to the mail server {self.where} was closed")
        try:
            refused = self._smtp.send_message(message)
            return [f"{address} ({_reply(code, text)})" for address, (code, text) in (refused or {}).items()]
        except smtplib.SMTPRecipientsRefused as exc:
            replies = list(exc.recipients.items())
            if all(code >= 500 for _, (code, _text) in replies):
                raise MailRejected("the mail server refused " + "; ".join(
                    f"{address} ({_reply(code, text)})" for address, (code, text) in replies)) from None
            raise MailUnavailable(f"the mail server {self.where} deferred the recipients "
                                  f"({_reply(*replies[0][1])})") from None
        except smtplib.SMTPDataError as exc:
            if exc.smtp_code >= 500:
                raise MailRejected(f"the mail server refused the message ({_reply(exc.smtp_code, exc.smtp_error)})") \
                    from None
            raise MailUnavailable(f"the mail server {self.where} deferred the message "
                                  f"({_reply(exc.smtp_code, exc.smtp_error)})") from None
        except smtplib.SMTPSenderRefused as exc:
            raise MailUnavailable(f"the mail server {self.where} refused the sender {exc.sender} "
                                  f"({_reply(exc.smtp_code, exc.smtp_error)}; see smtp.from)") from None
        except (OSError, smtplib.SMTPException) as exc:
            self._smtp = None
            raise MailUnavailable(f"the mail server {self.where} dropped the connection ({_why(exc)})") from None


def _why(exc: Exception) -> str:
    code = getattr(exc, "smtp_code", None)
    if code is not None:
        return _reply(code, getattr(exc, "smtp_error", ""))
    return (getattr(exc, "strerror", None) or str(exc) or type(exc).__name__)[:160]
