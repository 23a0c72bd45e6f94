"""A real SMTP server on loopback (aiosmtpd) that keeps what it accepted, for the notice tests."""

from email import message_from_bytes, policy
from email.message import EmailMessage
import socket
from typing import Callable

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Keeper:
    def __init__(self, catcher: "MailCatcher"):
        self.catcher = catcher
        self.inbox, self.refuse = catcher.inbox, catcher.refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 no such mailbox here"
        if address in self.catcher.refuse_with:
            return self.catcher.refuse_with[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.inbox.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        if self.catcher.on_message is not None:
            self.catcher.on_message(len(self.inbox))
        return "250 OK"


class MailCatcher:
    """start() / stop() on a fixed port, so a test can take the server down and bring it back."""

    def __init__(self, port: int | None = None, **controller_options):
        self.port = port or free_port()
        self.inbox: list[tuple[str, list[str], bytes]] = []
        self.refuse: set[str] = set()
        self.refuse_with: dict[str, str] = {}                  # address -> the reply to its RCPT, e.g. a 451
        self.on_message: Callable[[int], None] | None = None   # called with the count, before the reply
        self.options = controller_options
        self._controller = None

    def start(self) -> "MailCatcher":
        self._controller = Controller(_Keeper(self), hostname="127.0.0.1", port=self.port,
                                      **self.options)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def messages(self) -> list[EmailMessage]:
        return [message_from_bytes(raw, policy=policy.default) for _, _, raw in self.inbox]  # type: ignore[misc]

    def raw(self) -> list[bytes]:
        return [raw for _, _, raw in self.inbox]
