"""One interface for every kind of router, a registry that picks the driver by kind, and the
error translation every driver shares (napalm's shape).

A driver keeps the marks ispcube puts on a router: the cut list (``ispcube-cut``), the
throttle list (``ispcube-throttle``, E2) and the warning list (``ispcube-preaviso``); a kind
that cannot keep one says so in ``lists``. It reads a list once (``read``), then is asked to mark
or clear one connection at a time (``mark``/``clear``), writing only what the holding it read
says is missing; each write is counted, so a run can prove a second pass writes nothing. A run
hands a driver its changes ``batch`` at a time (``write_many``): a kind that can have several
commands in flight at once (MikroTik's pipelined API, S5) takes many, the others one by one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import contextmanager
from dataclasses import dataclass, field
import socket
from typing import Callable, Container, Iterator, Literal

from ispcube.domain.provisioning import Held, Op
from ispcube.errors import RouterError, RouterProtocolError, RouterUnreachable

WRITE_DEPTH = 16    # S5: commands a pipelining driver keeps in flight on one connection

CUT_LIST = "ispcube-cut"
THROTTLE_LIST = "ispcube-throttle"
PREAVISO_LIST = "ispcube-preaviso"
LISTS = (CUT_LIST, THROTTLE_LIST, PREAVISO_LIST)


@dataclass(frozen=True)
class RouterConfig:
    """What a driver needs to reach a router (plain values; the secret never leaves here)."""
    name: str
    kind: str
    host: str
    port: int | None = None
    api_ssl: bool = False
    username: str | None = None
    secret: str | None = field(default=None, repr=False)
    coa_port: int | None = None
    radius_db_url: str | None = field(default=None, repr=False)
    timeout: float = 5.0
    throttle_rate: str | None = None    # E2: the rate a throttled connection gets, e.g. "1M/1M"
    adopt_lists: tuple[str, ...] = ()   # U5: another system's cut lists; an address on one is cut
    write_depth: int = WRITE_DEPTH      # S5: commands in flight at once, for kinds that pipeline
    # S1: the other NASes whose users live in this RADIUS database (each with its own address,
    # CoA port and secret), so a live session on one of them is told there
    peers: tuple["RouterConfig", ...] = field(default=(), repr=False)

    @property
    def nases(self) -> dict[str, "RouterConfig"]:
        """{NAS address: its config} of this router and its peers (the first named keeps an address)."""
        found: dict[str, RouterConfig] = {}
        for nas in (self, *self.peers):
            found.setdefault(nas.host, nas)
        return found


@dataclass(frozen=True)
class Target:
    """One connection as a router sees it: the client code goes in the entry's comment.

    Entries made before the client was recoded or deleted carry its previous code
    (``earlier_code``): they are still this connection's own, never strays."""
    connection_id: int
    client_code: str
    ip: str | None = None
    pppoe_user: str | None = None
    earlier_code: str | None = None

    @property
    def codes(self) -> tuple[str, ...]:
        return (self.client_code, self.earlier_code) if self.earlier_code else (self.client_code,)

    @property
    def label(self) -> str:
        return " ".join(x for x in (self.ip, self.pppoe_user and f"pppoe:{self.pppoe_user}") if x)


@dataclass
class Holding:
    """What a router holds of one of our lists, as read once per run.

    ``entries`` maps a key (an address, or a user name for RADIUS) to the client code the
    entry was made for; ``extra`` is driver-specific state (PPPoE secrets, sessions...).
    """
    list_name: str
    entries: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Write:
    """One change a run asks of a router: put TARGET on the list (``mark``), take it off
    (``clear``), or remove a stray entry of ours (``stray``, named by its KEY)."""
    verb: Literal["mark", "clear", "stray"]
    target: Target | None = None
    key: str | None = None
    timeout_s: int | None = None
    requested: bool = False


class Driver(ABC):
    """A router of one kind. Use as a context manager: open() logs in, close() hangs up."""

    kind: str = ""
    lists: tuple[str, ...] = LISTS    # the lists this kind of router keeps

    @property
    def batch(self) -> int:
        """How many changes `write_many` takes at once (1: one at a time)."""
        return 1

    def __init__(self, config: RouterConfig):
        self.config = config
        self.writes = 0

    def __enter__(self) -> "Driver":
        self.open()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def keeps(self, list_name: str) -> bool:
        return list_name in self.lists

    @abstractmethod
    def open(self) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def probe(self) -> dict:
        """Reachability, login and our lists: what `router test` prints."""

    @abstractmethod
    def read(self, list_name: str, targets: list[Target]) -> Holding:
        """Read LIST once; TARGETS are the connections on this router (to find their state)."""

    @abstractmethod
    def marked(self, holding: Holding, target: Target) -> bool:
        """Does the router hold every mark of TARGET on the list?"""

    @abstractmethod
    def cleared(self, holding: Holding, target: Target) -> bool:
        """Is every mark of TARGET that ispcube makes gone from the list?"""

    @abstractmethod
    def mark(self, holding: Holding, target: Target, timeout_s: int | None = None,
             requested: bool = False) -> None:
        """Put TARGET on the list (cut or warn), writing only what HOLDING lacks.

        REQUESTED: a task asked for this change, maybe after a failed attempt; steps that leave
        no trace to read back (a RADIUS Disconnect) are done again."""

    @abstractmethod
    def clear(self, holding: Holding, target: Target, requested: bool = False) -> None:
        """Take TARGET off the list (restore or unwarn), writing only what HOLDING has."""

    @abstractmethod
    def strays(self, holding: Holding, targets: list[Target], known_codes: Container[str]) -> list[str]:
        """Keys of entries we made (comment: one of KNOWN_CODES) that match none of TARGETS,
        the connections on this router: left by a deleted connection, a changed IP or code."""

    @abstractmethod
    def remove_stray(self, holding: Holding, key: str) -> None: ...

    # -- provisioning (S1, S3): the objects that make a connection on this router

    def read_objects(self, addresses: bool = False) -> list[Held]:
        """Every object of the kinds ispcube provisions on this router, ours and foreign, read
        once (ADDRESSES: also every address-list entry, for `network adopt`)."""
        raise RouterProtocolError(f"router {self.config.name}: a {self.kind} router is not provisioned")

    def apply_objects(self, ops: list[Op]) -> list[RouterError | None]:
        """Make OPS in their order; for each, None when done or the error that stopped it. A
        refused op does not stop the others; once the router cannot be reached, the rest fail
        with it. An add of an object that exists and a remove of one that is gone count as done."""
        raise RouterProtocolError(f"router {self.config.name}: a {self.kind} router is not provisioned")

    def write_many(self, holding: Holding, writes: list[Write]) -> list[RouterError | None]:
        """Make WRITES; for each, None when done or the error that stopped it. A failed write
        does not stop the others; once the router cannot be reached, the rest fail with it."""
        results: list[RouterError | None] = []
        for write in writes:
            try:
                if write.verb == "stray":
                    assert write.key is not None, "a stray entry is named by its key"
                    self.remove_stray(holding, write.key)
                else:
                    assert write.target is not None, "a mark or a clear names its connection"
                    if write.verb == "mark":
                        self.mark(holding, write.target, write.timeout_s, write.requested)
                    else:
                        self.clear(holding, write.target, write.requested)
            except RouterUnreachable as exc:
                return results + [exc] * (len(writes) - len(results))
            except RouterError as exc:
                results.append(exc)
            else:
                results.append(None)
        return results


@dataclass(frozen=True)
class Kind:
    """A kind of router: the module of its driver, and what the services ask of the kind
    (instead of its name) without loading that module."""
    module: str
    # Finds a client's connection only by PPPoE user (a RADIUS NAS holds no address lists).
    pppoe_user_only: bool = False
    # Keeps its users, groups and sessions in FreeRADIUS tables (ispcube's own database
    # unless the router names another): the PPPoE users' accounting (radacct) is read there.
    radius_tables: bool = False


# The registry: every kind of router and the module whose driver class registers it with
# `@register(kind)`. The one list of kinds (the CLI's help and checks, the contract suite read
# it); a module is imported only when its driver is first used, as each pulls in its client
# library (routeros_api, pyrad, SQLAlchemy's schema for RADIUS).
REGISTRY: dict[str, Kind] = {
    "mikrotik": Kind("ispcube.adapters.routeros"),
    "radius": Kind("ispcube.adapters.radius", pppoe_user_only=True, radius_tables=True),
}
DRIVERS: dict[str, type[Driver]] = {}
_UNREGISTERED = Kind("")      # asks for nothing special; `driver_for` refuses to drive it


def register(kind: str) -> Callable[[type[Driver]], type[Driver]]:
    def decorate(cls: type[Driver]) -> type[Driver]:
        assert kind in REGISTRY, f"router kind '{kind}' is missing from drivers.REGISTRY"
        cls.kind = kind
        DRIVERS[kind] = cls
        return cls
    return decorate


def kinds() -> tuple[str, ...]:
    """Every kind of router, sorted."""
    return tuple(sorted(REGISTRY))


def kind_of(name: str) -> Kind:
    """The registry's entry for the kind NAME (what it can do)."""
    return REGISTRY.get(name, _UNREGISTERED)


def driver_class(kind: str) -> type[Driver] | None:
    if kind not in DRIVERS and kind in REGISTRY:
        import importlib
        importlib.import_module(REGISTRY[kind].module)
    return DRIVERS.get(kind)


def driver_for(config: RouterConfig) -> Driver:
    cls = driver_class(config.kind)
    if cls is None:
        raise RouterProtocolError(f"router {config.name}: no driver for kind '{config.kind}' "
                                  f"(known: {', '.join(kinds())})")
    return cls(config)


Classifier = Callable[[BaseException], "type[RouterError] | None"]


@contextmanager
def translated(router: str, classify: Classifier = lambda exc: None,
               describe: Callable[[BaseException], str] | None = None) -> Iterator[None]:
    """Turn library and socket errors into our hierarchy, naming the router.

    CLASSIFY maps a library's own exception to one of ours (None: not one it knows);
    DESCRIBE says what went wrong in words that never carry the command sent (which, for a
    login, holds the password)."""
    try:
        yield
    except RouterError:
        raise
    except Exception as exc:  # noqa: BLE001 - re-raised below unless it is a known failure
        kind = classify(exc)
        if kind is None and isinstance(exc, (socket.timeout, TimeoutError)):
            raise RouterUnreachable(f"router {router}: no answer (timed out)") from None
        if kind is None and isinstance(exc, OSError):
            kind = RouterUnreachable
        if kind is None:
            raise
        raise kind(f"router {router}: {(describe or reason)(exc)}") from None


def reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
