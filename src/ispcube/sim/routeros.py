"""A simulated MikroTik router speaking the RouterOS API (port 8728 protocol) over TCP.

Real client libraries (``routeros_api``, ``librouteros``) work against it unchanged.
It keeps a few menus in memory (firewall address lists, PPP secrets, profiles and active
sessions, simple queues, wireless registration tables, identity and resource), counts what
clients do, and has switches for the faults a real router shows in the field.

Usage::

    with RouterOSSimulator(password="secret", frozen_clock=True) as router:
        router.add_address("blocked", "10.0.0.7", timeout="1h")
        ...  # point a client at router.host, router.port
        router.advance_clock(3600)   # the entry has now expired
        assert router.writes == 0
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
import hashlib
import os
import selectors
import socket
import ssl
import threading
import time
from typing import Any

from ispcube.sim.routeros_state import (
    CommandTrap,
    Menu,
    RouterState,
    SimClock,
    Table,
    parse_version,
)
from ispcube.sim.routeros_wire import (
    Command,
    QueryError,
    SentenceReader,
    StreamClosed,
    WireError,
    compile_query,
    encode_sentence,
    encode_word,
    parse_command,
)

__all__ = ["RouterOSSimulator", "serve_forever", "serve_all", "CannotListen", "CommandTrap", "SimClock"]

NOT_LOGGED_IN = "not logged in"
SESSION_TERMINATED = "session terminated on request"
NO_SUCH_COMMAND_PREFIX = "no such command prefix"
NO_SUCH_COMMAND = "no such command"
LOGIN_FAILED_NEW = "invalid user name or password (6)"
LOGIN_FAILED_OLD = "cannot log in"
DEFAULT_TRAP_MESSAGE = (
    "action timed out - try again, if error continues contact MikroTik support and send a supout file (13)"
)
PRINT_OPTIONS = frozenset({"detail", "without-paging", "count-only", "stats", "terse", "brief"})
WRITE_VERBS = frozenset({"add", "set", "unset", "remove"})
# RouterOS 6.45 dropped the MD5 challenge login and changed the failed-login text.
CHALLENGE_LOGIN_LAST_VERSION = (6, 45)

Sentence = list[str]


class _DropConnection(Exception):
    """Raised inside a session to close its socket in the middle of a reply (drop faults)."""


def _trap(message: str, category: int | None = None) -> list[Sentence]:
    sentence = ["!trap"]
    if category is not None:
        sentence.append(f"=category={category}")
    sentence.append(f"=message={message}")
    return [sentence, ["!done"]]


def _seconds(value: str | float | int | timedelta | None) -> str | float | None:
    return value.total_seconds() if isinstance(value, timedelta) else value


class RouterOSSimulator:
    """An in-memory RouterOS router served on a local TCP port, one thread per client connection.

    Fault switches (plain attributes, settable at any time, also while clients are connected):

    * ``refuse_connections`` -- new connections are accepted and closed at once.
    * ``fail_login`` -- every login is answered with the failed-login trap.
    * ``drop_after_words`` -- after this many words of a command's reply (sentence
      terminators not counted) the connection is closed; ``drop_mid_reply=True`` is
      the same with one word.  Login replies are never cut.  The command itself
      still takes effect, as on a router whose reply got lost.
    * ``latency_ms`` -- delay before the reply to every command, login included: a round
      trip, counted from when the command arrived, so commands a client sends without waiting
      (tagged, several in flight) are answered about one delay later all together.
    * ``out_of_order`` -- answer tagged commands in groups of this many, the last one first
      (0: in the order they came); a group short of that many goes out after a short wait.
    * ``trap_on`` -- command paths (``"/ppp/secret/set"``) answered with
      ``!trap =message=<trap_message>`` and no effect.
    * ``hold_writes_after`` -- once this many writes are done, the next write of the
      session that makes it waits (before taking effect) until ``release_writes()``;
      ``write_held`` is set while it waits. Other sessions are not held. A test thus stops
      a client in the middle of its writes for as long as it needs, however slow the machine.
    * ``trap_words`` -- the same for commands carrying one of these words
      (``"=address=10.0.0.7"``): one change refused in the middle of many.

    Journal: ``journal`` set to a list records, in order, each command's arrival
    (``"> /ppp/profile/add"``) and each answer just before it goes out (``"< /ppp/profile/add"``),
    so a test can tell whether a client waited for an answer before sending what depends on it.

    Counters: ``commands`` (sentences handled after login), ``command_counts``
    (a ``Counter`` by command path), ``writes`` (successful add/set/remove),
    ``logins``, ``failed_logins``, ``connections``; ``reset_counters()`` zeroes them.
    """

    def __init__(
        self,
        username: str = "admin",
        password: str = "",
        identity: str = "sim",
        version: str = "6.49.10",
        latency_ms: float = 0,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        board_name: str = "CHR",
        frozen_clock: bool = False,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.username = username
        self.password = password
        self.version = version
        self.host = host
        self._requested_port = port
        self.ssl_context = ssl_context
        self.clock = SimClock(frozen=frozen_clock)
        self.state = RouterState(self.clock, identity=identity, version=version, board_name=board_name)
        self.lock = threading.RLock()

        self.latency_ms = latency_ms
        self.out_of_order = 0
        self.refuse_connections = False
        self.fail_login = False
        self.drop_after_words: int | None = None
        self.drop_mid_reply = False
        self.trap_on: set[str] = set()
        self.trap_words: set[str] = set()
        self.trap_message = DEFAULT_TRAP_MESSAGE
        self.hold_writes_after: int | None = None
        self.write_held = threading.Event()
        self._writes_released = threading.Event()
        self._held_session: object | None = None
        self.journal: list[str] | None = None

        self.reset_counters()

        self._listener: socket.socket | None = None
        self._wakeup: tuple[socket.socket, socket.socket] | None = None
        self._accept_thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._sessions: dict[threading.Thread, socket.socket] = {}

    # ------------------------------------------------------------ lifecycle

    def start(self) -> RouterOSSimulator:
        """Bind, listen and serve in background threads; returns self."""
        if self._listener is not None:
            return self
        listener = socket.create_server((self.host, self._requested_port), backlog=64)
        self._listener = listener
        self._wakeup = socket.socketpair()
        self._stopping.clear()
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name=f"routeros-sim-accept-{self.port}", daemon=True
        )
        self._accept_thread.start()
        return self

    def stop(self) -> None:
        """Stop listening, close every client connection and wait for the threads."""
        if self._listener is None:
            return
        self._stopping.set()
        assert self._wakeup is not None
        self._wakeup[1].send(b"x")
        if self._accept_thread is not None:
            self._accept_thread.join(timeout=5)
        with self.lock:
            sessions = list(self._sessions.items())
        for _, connection in sessions:
            _shutdown(connection)
        for thread, _ in sessions:
            thread.join(timeout=5)
        self._listener.close()
        for end in self._wakeup:
            end.close()
        self._listener = None
        self._wakeup = None

    def __enter__(self) -> RouterOSSimulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (the requested one until ``start()``)."""
        return self._listener.getsockname()[1] if self._listener else self._requested_port

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    @property
    def running(self) -> bool:
        return self._listener is not None

    # ------------------------------------------------------------ counters

    def release_writes(self) -> None:
        """Let the held session's writes go on (see ``hold_writes_after``)."""
        self._writes_released.set()

    def _note(self, event: str) -> None:
        with self.lock:
            if self.journal is not None:
                self.journal.append(event)

    def _hold(self, session: object) -> None:
        """Called before a write: wait here while the holding switch says so."""
        with self.lock:
            if self.hold_writes_after is None or self._writes_released.is_set() or \
                    self.writes < self.hold_writes_after:
                return
            if self._held_session is None:
                self._held_session = session
            elif self._held_session is not session:
                return
            self.write_held.set()
        while not self._writes_released.wait(0.05):
            if self._stopping.is_set():
                return

    def reset_counters(self) -> None:
        with self.lock:
            self.commands = 0
            self.writes = 0
            self.logins = 0
            self.failed_logins = 0
            self.connections = 0
            self.command_counts: Counter[str] = Counter()

    # ------------------------------------------------------------ state access for tests and demos

    @property
    def identity(self) -> str:
        return self.state.identity.name

    @identity.setter
    def identity(self, name: str) -> None:
        with self.lock:
            self.state.identity.name = name

    def advance_clock(self, seconds: float) -> None:
        """Move the simulator clock forward (timeouts expire, uptimes grow)."""
        self.clock.advance(seconds)

    def address_list(self, list_name: str | None = None) -> list[dict[str, str]]:
        """Address-list entries as printed over the API (``.id``, ``list``, ``address``, ``timeout``...)."""
        with self.lock:
            rows = self.state.address_list.rows()
        return [row for row in rows if list_name is None or row["list"] == list_name]

    def add_address(
        self,
        list: str,  # noqa: A002 - RouterOS calls the field "list"
        address: str,
        comment: str | None = None,
        timeout: str | float | timedelta | None = None,
        disabled: bool = False,
    ) -> str:
        """Seed an address-list entry; returns its ``*N`` id.  Raises CommandTrap like the API would."""
        fields: dict[str, Any] = {"list": list, "address": address, "disabled": "yes" if disabled else "no"}
        if comment is not None:
            fields["comment"] = comment
        if timeout is not None:
            fields["timeout"] = _seconds(timeout)
        with self.lock:
            return self.state.address_list.add(fields)

    def ppp_secrets(self) -> list[dict[str, str]]:
        with self.lock:
            return self.state.ppp_secrets.rows()

    def add_ppp_secret(
        self,
        name: str,
        password: str = "",
        profile: str = "default",
        service: str = "any",
        disabled: bool = False,
        comment: str | None = None,
        remote_address: str | None = None,
        local_address: str | None = None,
    ) -> str:
        fields: dict[str, Any] = {
            "name": name, "password": password, "profile": profile, "service": service,
            "disabled": "yes" if disabled else "no",
        }
        optional = {"comment": comment, "remote-address": remote_address, "local-address": local_address}
        fields.update({key: value for key, value in optional.items() if value is not None})
        with self.lock:
            return self.state.ppp_secrets.add(fields)

    def ppp_profiles(self) -> list[dict[str, str]]:
        with self.lock:
            return self.state.ppp_profiles.rows()

    def add_ppp_profile(self, name: str, rate_limit: str | None = None, comment: str | None = None,
                        local_address: str | None = None) -> str:
        fields = {"name": name, "rate-limit": rate_limit, "comment": comment, "local-address": local_address}
        with self.lock:
            return self.state.ppp_profiles.add({key: value for key, value in fields.items() if value is not None})

    def simple_queues(self) -> list[dict[str, str]]:
        with self.lock:
            return self.state.simple_queues.rows()

    def add_simple_queue(self, name: str, target: str, max_limit: str | None = None, comment: str | None = None,
                         disabled: bool = False) -> str:
        fields = {"name": name, "target": target, "max-limit": max_limit, "comment": comment,
                  "disabled": "yes" if disabled else "no"}
        with self.lock:
            return self.state.simple_queues.add({key: value for key, value in fields.items() if value is not None})

    def ppp_active(self) -> list[dict[str, str]]:
        with self.lock:
            return self.state.ppp_active.rows()

    def add_ppp_active(
        self,
        name: str,
        address: str = "",
        caller_id: str = "",
        uptime: str | float | timedelta = 0,
        service: str = "pppoe",
        encoding: str = "",
    ) -> str:
        """Seed a live PPP session; ``uptime`` keeps growing with the simulator clock."""
        fields = {
            "name": name, "address": address, "caller-id": caller_id, "uptime": _seconds(uptime),
            "service": service, "encoding": encoding,
        }
        with self.lock:
            return self.state.ppp_active.insert(fields)

    def registrations(self, table: str = "wireless") -> list[dict[str, str]]:
        with self.lock:
            return self._registration_table(table).rows()

    def add_registration(
        self,
        mac_address: str,
        *,
        table: str = "wireless",
        interface: str | None = None,
        signal: int | str = -65,
        signal_to_noise: int | str | None = None,
        tx_rate: str | None = None,
        rx_rate: str | None = None,
        tx_ccq: int | str = 100,
        rx_ccq: int | str = 100,
        uptime: str | float | timedelta = 0,
        last_ip: str | None = None,
    ) -> str:
        """Seed a registered wireless client.

        ``table="wireless"`` is the RouterOS 6 ``/interface/wireless/registration-table``
        (``signal=-74`` prints as ``signal-strength=-74dBm@6Mbps``, uptime as
        ``2w6d13:21:53``); ``table="wifi"`` is RouterOS 7's ``/interface/wifi/registration-table``
        (``signal=-74`` prints as ``signal=-74``, uptime as ``2w6d13h21m53s``).
        Strings for ``signal`` are printed verbatim.
        """
        fields: dict[str, Any] = {"mac-address": mac_address, "uptime": _seconds(uptime)}
        if interface is not None:
            fields["interface"] = interface
        if tx_rate is not None:
            fields["tx-rate"] = tx_rate
        if rx_rate is not None:
            fields["rx-rate"] = rx_rate
        if table == "wireless":
            fields["signal-strength"] = f"{signal}dBm@6Mbps" if isinstance(signal, int) else signal
            if signal_to_noise is None and isinstance(signal, int):
                signal_to_noise = signal + 100  # against a typical -100 dBm noise floor
            if signal_to_noise is not None:
                fields["signal-to-noise"] = signal_to_noise
            fields.update({"tx-ccq": tx_ccq, "rx-ccq": rx_ccq, "last-ip": last_ip})
        else:
            fields["signal"] = signal
        with self.lock:
            return self._registration_table(table).insert(fields)

    def _registration_table(self, table: str) -> Table:
        if table == "wireless":
            return self.state.wireless_registrations
        if table == "wifi":
            return self.state.wifi_registrations
        raise ValueError(f"registration table must be 'wireless' or 'wifi', not {table!r}")

    # ------------------------------------------------------------ serving

    def _accept_loop(self) -> None:
        assert self._listener is not None and self._wakeup is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            selector.register(self._wakeup[0], selectors.EVENT_READ)
            while not self._stopping.is_set():
                for key, _ in selector.select():
                    if key.fileobj is not self._listener or self._stopping.is_set():
                        continue
                    try:
                        client, _ = self._listener.accept()
                    except OSError:
                        continue
                    if self.refuse_connections:
                        client.close()
                        continue
                    self._spawn_session(client)

    def _spawn_session(self, client: socket.socket) -> None:
        thread = threading.Thread(target=self._run_session, args=(client,), daemon=True)
        with self.lock:
            self.connections += 1
            self._sessions[thread] = client
        thread.name = f"routeros-sim-session-{self.connections}"
        thread.start()

    def _run_session(self, client: socket.socket) -> None:
        connection: socket.socket = client
        outbox: _Outbox | None = None
        try:
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.ssl_context is not None:
                connection = self.ssl_context.wrap_socket(client, server_side=True)
                with self.lock:
                    self._sessions[threading.current_thread()] = connection
            outbox = _Outbox(self, connection)
            with connection.makefile("rb") as stream:
                _Session(self, outbox, SentenceReader(stream)).run()
        except (OSError, EOFError, WireError):
            pass  # the client went away or a fault switch cut it off
        finally:
            if outbox is not None:
                outbox.finish()
            _shutdown(connection)
            with self.lock:
                self._sessions.pop(threading.current_thread(), None)


@dataclass
class _Reply:
    """A command's answer waiting to go out: when it is due and what it says."""
    due: float
    sentences: list[Sentence]
    tag: str | None
    may_drop: bool
    path: str = ""


class _Outbox:
    """Sends a session's replies from a thread of its own, each when it falls due.

    The session goes on reading while replies wait, so commands sent without waiting for
    their answers (several in flight) are delayed once, not once each; with ``out_of_order``
    the tagged replies go out in groups, the last one first."""

    GROUP_WAIT_S = 0.02   # a group short of out_of_order replies goes out after this wait

    def __init__(self, router: RouterOSSimulator, connection: socket.socket) -> None:
        self.router = router
        self.connection = connection
        self._waiting: deque[_Reply] = deque()
        self._ready = threading.Condition()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name=f"{threading.current_thread().name}-send",
                                        daemon=True)
        self._thread.start()

    def put(self, sentences: list[Sentence], tag: str | None, may_drop: bool, arrived: float,
            path: str = "") -> None:
        reply = _Reply(arrived + self.router.latency_ms / 1000, sentences, tag, may_drop, path)
        with self._ready:
            self._waiting.append(reply)
            self._ready.notify()

    def finish(self) -> None:
        """Send what is waiting, then stop the thread (the session read its last command)."""
        with self._ready:
            self._closing = True
            self._ready.notify()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        try:
            while (group := self._next_group()) is not None:
                for reply in group:
                    self._send(reply)
        except (OSError, _DropConnection):
            _shutdown(self.connection)   # the session's read fails and it ends

    def _next_group(self) -> list[_Reply] | None:
        with self._ready:
            while True:
                if not self._waiting:
                    if self._closing:
                        return None
                    self._ready.wait()
                    continue
                first = self._waiting[0]
                wait = first.due - time.monotonic()
                if wait > 0:
                    self._ready.wait(wait)
                    continue
                window = self.router.out_of_order
                if window <= 1 or first.tag is None:
                    return [self._waiting.popleft()]
                group = self._tagged_due(window)
                late = time.monotonic() - first.due >= self.GROUP_WAIT_S
                if len(group) >= window or late or self._closing:
                    for _ in group:
                        self._waiting.popleft()
                    return group[::-1]
                self._ready.wait(self.GROUP_WAIT_S)

    def _tagged_due(self, window: int) -> list[_Reply]:
        now, group = time.monotonic(), list[_Reply]()
        for reply in self._waiting:
            if reply.tag is None or reply.due > now or len(group) == window:
                break
            group.append(reply)
        return group

    def _send(self, reply: _Reply) -> None:
        router, sentences = self.router, reply.sentences
        router._note(f"< {reply.path}")
        if reply.tag is not None:
            sentences = [[sentence[0], f".tag={reply.tag}", *sentence[1:]] for sentence in sentences]
        budget = router.drop_after_words if router.drop_after_words is not None else None
        if router.drop_mid_reply:
            budget = 1 if budget is None else min(budget, 1)
        if not reply.may_drop or budget is None:
            self.connection.sendall(b"".join(encode_sentence(sentence) for sentence in sentences))
            return
        self._send_until_dropped(sentences, budget)

    def _send_until_dropped(self, sentences: Iterable[Sentence], budget: int) -> None:
        chunks: list[bytes] = []
        for sentence in sentences:
            for word in sentence:
                if budget <= 0:
                    self.connection.sendall(b"".join(chunks))
                    raise _DropConnection
                chunks.append(encode_word(word))
                budget -= 1
            chunks.append(b"\x00")
        self.connection.sendall(b"".join(chunks))


class _Session:
    """One client connection: login state, command dispatch and the reply writer."""

    def __init__(self, router: RouterOSSimulator, outbox: _Outbox, reader: SentenceReader) -> None:
        self.router = router
        self.outbox = outbox
        self.reader = reader
        self.logged_in = False
        self.challenge: bytes | None = None
        self.ros_version = parse_version(router.version)

    def run(self) -> None:
        while not self.router._stopping.is_set():
            try:
                words = self.reader.read_sentence()
            except StreamClosed:
                return
            if not words:
                continue  # RouterOS ignores empty sentences
            arrived = time.monotonic()
            command = parse_command(words)
            self.router._note(f"> {command.path}")
            is_login = command.path == "/login"
            if not self.logged_in and not is_login and command.path != "/quit":
                self.outbox.put([["!fatal", NOT_LOGGED_IN]], None, False, arrived)
                return
            replies, close_after = self._handle(command)
            self.outbox.put(replies, None if close_after else command.tag, not is_login, arrived, command.path)
            if close_after:
                return

    # -- dispatch

    def _handle(self, command: Command) -> tuple[list[Sentence], bool]:
        router = self.router
        if self.logged_in:
            with router.lock:
                router.commands += 1
                router.command_counts[command.path] += 1
        if command.path == "/login":
            return self._login(command), False
        if command.path == "/quit":
            return [["!fatal", SESSION_TERMINATED]], True
        if command.path in router.trap_on or any(f"={name}={value}" in router.trap_words
                                                 for name, value in command.attributes.items()):
            return _trap(router.trap_message), False
        if command.path.rpartition("/")[2] in WRITE_VERBS:
            router._hold(self)
        try:
            with router.lock:
                replies = self._execute(command)
                if command.path.rpartition("/")[2] in WRITE_VERBS:
                    router.writes += 1
            return replies, False
        except CommandTrap as trap:
            return _trap(trap.message, trap.category), False

    def _execute(self, command: Command) -> list[Sentence]:
        state = self.router.state
        menu_path, _, verb = command.path.rpartition("/")
        if command.path == "/cancel":
            return [["!done"]]
        menu = state.menus.get(menu_path)
        if menu is None:
            known_directory = state.is_menu_prefix(menu_path)  # e.g. "/ip/firewall/print"
            raise CommandTrap(NO_SUCH_COMMAND if known_directory else NO_SUCH_COMMAND_PREFIX)
        if verb == "getall":
            verb = "print"
        if verb not in menu.commands:
            raise CommandTrap(NO_SUCH_COMMAND)
        if command.stray_words:
            raise menu.unknown_parameter(command.stray_words[0])
        if verb == "print":
            return self._print(menu.rows(), command, menu)
        attributes = dict(command.attributes)
        ids = attributes.pop(".id", None) or attributes.pop("numbers", None)
        if verb == "add":
            if ids is not None:
                raise menu.unknown_parameter(".id")
            return [["!done", f"=ret={menu.add(attributes)}"]]
        if verb == "set":
            menu.set(ids, attributes)
        elif verb == "unset":
            name = attributes.pop("value-name", None)
            if not name:
                raise CommandTrap("failure: value-name not specified")
            if attributes:
                raise menu.unknown_parameter(next(iter(attributes)))
            menu.unset(ids, name)
        else:
            if attributes:
                raise menu.unknown_parameter(next(iter(attributes)))
            menu.remove(ids)
        return [["!done"]]

    def _print(self, rows: list[dict[str, str]], command: Command, menu: Menu) -> list[Sentence]:
        for option in command.attributes:
            if option not in PRINT_OPTIONS:
                raise menu.unknown_parameter(option)
        try:
            matches = compile_query(command.queries)
        except QueryError:
            raise CommandTrap("unknown query operation", category=1) from None
        selected = [row for row in rows if matches(row)]
        if "count-only" in command.attributes:
            return [["!done", f"=ret={len(selected)}"]]
        sentences = []
        for row in selected:
            if command.proplist is not None:
                row = {name: value for name, value in row.items() if name in command.proplist}
            sentences.append(["!re", *(f"={name}={value}" for name, value in row.items())])
        sentences.append(["!done"])
        return sentences

    def _login(self, command: Command) -> list[Sentence]:
        router = self.router
        name = command.attributes.get("name")
        password = command.attributes.get("password")
        response = command.attributes.get("response")
        if name is None and password is None and response is None:
            self.challenge = os.urandom(16)
            return [["!done", f"=ret={self.challenge.hex()}"]]
        if response is not None:
            accepted = (
                self.ros_version < CHALLENGE_LOGIN_LAST_VERSION
                and self.challenge is not None
                and name == router.username
                and response.lower() == self._expected_response(self.challenge)
            )
        else:
            accepted = name == router.username and (password or "") == router.password
        if accepted and not router.fail_login:
            self.logged_in = True
            with router.lock:
                router.logins += 1
            return [["!done"]]
        with router.lock:
            router.failed_logins += 1
        old = self.ros_version < CHALLENGE_LOGIN_LAST_VERSION
        return _trap(LOGIN_FAILED_OLD if old else LOGIN_FAILED_NEW)

    def _expected_response(self, challenge: bytes) -> str:
        digest = hashlib.md5(b"\x00" + self.router.password.encode() + challenge, usedforsecurity=False)
        return "00" + digest.hexdigest()


class CannotListen(OSError):
    """A simulator could not bind its address (port taken, no permission...)."""

    def __init__(self, simulator: RouterOSSimulator, cause: OSError) -> None:
        super().__init__(cause.errno, cause.strerror or str(cause))
        self.simulator = simulator


def _shutdown(connection: socket.socket) -> None:
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    connection.close()


def serve_forever(
    host: str = "127.0.0.1",
    port: int = 8728,
    latency_ms: float = 0,
    username: str = "admin",
    password: str = "",
    *,
    on_ready: Callable[[RouterOSSimulator], None] | None = None,
    stop_event: threading.Event | None = None,
    **options: Any,
) -> RouterOSSimulator:
    """Run a simulator in the foreground until Ctrl-C (or ``stop_event``), then stop it and return it.

    Prints nothing: the caller prints from ``on_ready(simulator)`` (called once it is
    listening, so ``simulator.port`` is the bound port) and from the returned, stopped
    simulator (its counters survive).  Extra ``options`` go to ``RouterOSSimulator``.
    """
    simulator = RouterOSSimulator(
        username=username, password=password, latency_ms=latency_ms, host=host, port=port, **options
    )
    serve_all([simulator], on_ready=lambda started: on_ready and on_ready(started[0]), stop_event=stop_event)
    return simulator


def serve_all(
    simulators: list[RouterOSSimulator],
    *,
    on_ready: Callable[[list[RouterOSSimulator]], None] | None = None,
    stop_event: threading.Event | None = None,
) -> list[RouterOSSimulator]:
    """Start every simulator, serve until Ctrl-C (or ``stop_event``), then stop them all.

    If one cannot listen, the ones already started are stopped and CannotListen (an OSError
    naming that simulator) propagates.
    """
    stop_event = stop_event or threading.Event()
    started: list[RouterOSSimulator] = []
    try:
        for simulator in simulators:
            try:
                simulator.start()
            except OSError as exc:
                raise CannotListen(simulator, exc) from exc
            started.append(simulator)
        if on_ready is not None:
            on_ready(started)
        while not stop_event.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        for simulator in started:
            simulator.stop()
    return simulators
