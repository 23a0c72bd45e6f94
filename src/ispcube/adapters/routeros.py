"""MikroTik routers over the RouterOS API (N3, E2), with routeros-api.

Cut: the connection's IP goes in the address-list ``ispcube-cut`` with the client code as
comment; for PPPoE the secret is disabled and the live session removed. Restore undoes both.
Throttle: the IP goes in the address-list ``ispcube-throttle`` (the ISP's queues match it).
Provisioning (S1): a plan's speed is a PPP profile, a PPPoE login a secret, an IP-only
connection's speed a simple queue (adapters/routeros_objects.py says where each lives).
Reads go through routeros-api; writes through the pipelined writer on the same connection (S5),
so a run's changes cost about one round trip per ``write_depth`` commands.
An address-list entry is ours when it is in one of our lists and its comment is the code of
the client it was made for; entries with any other comment are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass
import socket
from typing import TYPE_CHECKING, Any, Callable, Container, Iterator, Sequence

from ispcube.adapters.drivers import (
    CUT_LIST,
    Driver,
    Holding,
    RouterConfig,
    Target,
    Write,
    reason,
    register,
    translated,
)
from ispcube.adapters.routeros_objects import ACTIVE, MENUS, apply, held_objects
from ispcube.domain.provisioning import Held, ObjectKind, Op
from ispcube.errors import RouterAuthError, RouterError, RouterProtocolError, RouterUnreachable

if TYPE_CHECKING:
    from ispcube.adapters.routeros_pipeline import Answer

ADDRESS_LIST = MENUS[ObjectKind.ADDRESS]
# RouterOS answers a duplicate add and a stale remove with these traps: the wanted state holds.
ALREADY_THERE = "already have such entry"
ALREADY_GONE = "no such item"
LOGIN_REFUSED = ("invalid user name or password", "cannot log in")


def _classify(exc: BaseException):
    from routeros_api import exceptions as ros
    if isinstance(exc, ros.RouterOsApiCommunicationError):
        message = _message(exc)
        if any(text in message for text in LOGIN_REFUSED):
            return RouterAuthError
        return RouterProtocolError
    if isinstance(exc, ros.RouterOsApiConnectionError):
        return RouterUnreachable
    if isinstance(exc, ros.RouterOsApiError):
        return RouterProtocolError
    return None


def _describe(exc: BaseException) -> str:
    """The router's own words (a trap's message): routeros-api's text quotes the command sent."""
    from routeros_api import exceptions as ros
    if isinstance(exc, ros.RouterOsApiCommunicationError):
        return _message(exc)
    if isinstance(exc, (ros.RouterOsApiConnectionError, OSError)):
        return f"unreachable ({reason(exc)})"  # socket errors: no command text in them
    return type(exc).__name__


def _message(exc) -> str:
    original = getattr(exc, "original_message", b"")
    return original.decode("utf-8", "replace") if isinstance(original, bytes) else str(original or exc)


@register("mikrotik")
class MikrotikDriver(Driver):
    default_port, default_ssl_port = 8728, 8729

    def __init__(self, config: RouterConfig):
        super().__init__(config)
        self._pool: Any = None   # routeros_api's pool and API (an untyped library), while open
        self._api: Any = None

    def _guard(self):
        return translated(self.config.name, _classify, _describe)

    def open(self) -> None:
        import routeros_api
        config = self.config
        port = config.port or (self.default_ssl_port if config.api_ssl else self.default_port)
        # Routers serve API-SSL with self-signed certificates; there is no CA to check against.
        self._pool = routeros_api.RouterOsApiPool(
            config.host, username=config.username or "admin", password=config.secret or "",
            port=port, plaintext_login=True, use_ssl=config.api_ssl, ssl_verify=False,
            ssl_verify_hostname=False)
        self._pool.socket_timeout = config.timeout
        with self._guard():
            self._api = self._pool.get_api()
            # routeros-api writes each word with its own send(): without TCP_NODELAY, Nagle's
            # algorithm and the peer's delayed ACK add ~40 ms to every command.
            raw = getattr(self._pool.socket, "socket", None)
            if raw is not None:
                raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def close(self) -> None:
        if self._pool is not None:
            try:
                self._pool.disconnect()
            except Exception:  # noqa: BLE001 - hanging up a dead connection cannot fail the run
                pass
        self._pool = self._api = None

    def _resource(self, path: str):
        if self._api is None:
            raise RouterUnreachable(f"router {self.config.name}: not connected")
        return self._api.get_resource(path)

    def probe(self) -> dict:
        with self._guard():
            identity = self._resource("/system/identity").get()
            resource = self._resource("/system/resource").get()
            entries = self._resource(ADDRESS_LIST).get()
        counted = {name: sum(1 for row in entries if row.get("list") == name)
                   for name in self.lists}
        return {"identity": identity[0].get("name") if identity else None,
                "version": resource[0].get("version") if resource else None,
                **{f"{name} entries": count for name, count in counted.items()}}

    # -- reading

    def read(self, list_name: str, targets: list[Target]) -> Holding:
        holding = Holding(list_name)
        with self._guard():
            for row in self._resource(ADDRESS_LIST).get(list=list_name):
                holding.entries[row["address"]] = row.get("comment", "")
                holding.ids[row["address"]] = row["id"]
            if list_name == CUT_LIST:
                # U5: an address on one of the old system's cut lists is cut already; ours from now on
                for name in self.config.adopt_lists:
                    for row in self._resource(ADDRESS_LIST).get(list=name):
                        holding.extra.setdefault("adopted", {})[row["address"]] = row["id"]
            if list_name == CUT_LIST and any(t.pppoe_user for t in targets):
                holding.extra["secrets"] = {row["name"]: (row["id"], row.get("disabled") in ("true", "yes"))
                                            for row in self._resource("/ppp/secret").get()}
                holding.extra["active"] = {row["name"]: row["id"]
                                           for row in self._resource(ACTIVE).get()}
        return holding

    def read_objects(self, addresses: bool = False) -> list[Held]:
        with self._guard():
            return held_objects(lambda menu: self._resource(menu).get(), addresses)

    def apply_objects(self, ops: list[Op]) -> list[RouterError | None]:
        """OPS sent pipelined, wave by wave (see routeros_objects.waves); a trap fails its own
        op only, a duplicate add and a stale remove count as done. Once secrets are removed,
        `/ppp/active` is read (once) and their logins' live sessions are removed too."""
        applied = apply(self.config.name, ops, self._run, self._sessions)
        self.writes += applied.writes
        return applied.in_order()

    def _sessions(self) -> dict[str, str]:
        """{login: `.id`} of the live PPP sessions."""
        with self._guard():
            return {row["name"]: row["id"] for row in self._resource(ACTIVE).get()}

    def _run(self, commands: Sequence[Sequence[str]]) -> list[Answer]:
        """COMMANDS' answers, depth of them in flight on the logged-in connection."""
        from ispcube.adapters.routeros_pipeline import PipelinedWriter
        with self._guard():
            if self._pool is None or self._api is None:
                raise RouterUnreachable(f"router {self.config.name}: not connected")
            return PipelinedWriter(self._pool.socket.socket, self.config.write_depth).run(commands)

    def _ppp(self, holding: Holding, target: Target) -> bool:
        return holding.list_name == CUT_LIST and bool(target.pppoe_user)

    def _adopted(self, holding: Holding, target: Target) -> bool:
        return bool(target.ip) and target.ip in holding.extra.get("adopted", {})

    def marked(self, holding: Holding, target: Target) -> bool:
        if target.ip and target.ip not in holding.entries and not self._adopted(holding, target):
            return False
        if self._ppp(holding, target):
            secret = holding.extra["secrets"].get(target.pppoe_user)
            return bool(secret and secret[1]) and target.pppoe_user not in holding.extra["active"]
        return True

    def cleared(self, holding: Holding, target: Target) -> bool:
        if target.ip and (holding.entries.get(target.ip) in target.codes or self._adopted(holding, target)):
            return False
        if self._ppp(holding, target):
            secret = holding.extra["secrets"].get(target.pppoe_user)
            return not (secret and secret[1])
        return True

    # -- writing: every change goes through the pipelined writer (S5), one change or many

    @property
    def batch(self) -> int:
        return self.config.write_depth

    def mark(self, holding: Holding, target: Target, timeout_s: int | None = None,
             requested: bool = False) -> None:
        self._one(holding, Write("mark", target, timeout_s=timeout_s, requested=requested))

    def clear(self, holding: Holding, target: Target, requested: bool = False) -> None:
        self._one(holding, Write("clear", target, requested=requested))

    def remove_stray(self, holding: Holding, key: str) -> None:
        self._one(holding, Write("stray", key=key))

    def _one(self, holding: Holding, write: Write) -> None:
        [error] = self.write_many(holding, [write])
        if error is not None:
            raise error

    def write_many(self, holding: Holding, writes: list[Write]) -> list[RouterError | None]:
        """Every command of WRITES sent pipelined on the logged-in connection; a trap fails
        its own change only. The holding learns what each command did."""
        from ispcube.adapters.routeros_pipeline import PipelinedWriter
        plans = [self._plan(holding, write) for write in writes]
        commands = [step.command for plan in plans for step in plan.steps]
        try:
            with self._guard():
                if commands and (self._pool is None or self._api is None):
                    raise RouterUnreachable(f"router {self.config.name}: not connected")
                writer = PipelinedWriter(self._pool.socket.socket, self.config.write_depth) if commands else None
                answers = iter(writer.run(commands) if writer else [])
        except RouterUnreachable as exc:
            return [exc] * len(writes)
        return [self._settle(plan, answers) for plan in plans]

    def _settle(self, plan: _Plan, answers: Iterator[Answer]) -> RouterError | None:
        """Record what the router answered to the commands of one change; its first refusal, if any."""
        refused = None
        for step in plan.steps:
            answer = next(answers)
            if answer.trapped and not (step.tolerated and step.tolerated in answer.message):
                refused = refused or RouterProtocolError(f"router {self.config.name}: {answer.message}")
                continue
            self.writes += 0 if answer.trapped else 1
            step.done(answer)
        return refused or plan.refused

    def _plan(self, holding: Holding, write: Write) -> _Plan:
        if write.verb == "stray":
            assert write.key is not None, "a stray entry is named by its key"
            key = write.key
            return _Plan([_remove(ADDRESS_LIST, holding.ids[key], lambda _: holding.entries.pop(key, None))])
        assert write.target is not None, "a mark or a clear names its connection"
        if write.verb == "mark":
            return self._mark_plan(holding, write.target, write.timeout_s)
        return _Plan(self._clear_steps(holding, write.target))

    def _mark_plan(self, holding: Holding, target: Target, timeout_s: int | None) -> _Plan:
        plan = _Plan([])
        if target.ip and target.ip not in holding.entries and not self._adopted(holding, target):
            ip, code = target.ip, target.client_code
            fields = [f"=list={holding.list_name}", f"=address={ip}", f"=comment={code}"]
            fields += [f"=timeout={timeout_s}"] if timeout_s else []

            def added(answer: Answer) -> None:
                holding.entries[ip] = code
                if not answer.trapped:
                    holding.ids[ip] = answer.ret or ""
            plan.steps.append(_Step([f"{ADDRESS_LIST}/add", *fields], ALREADY_THERE, added))
        if self._ppp(holding, target):
            user = target.pppoe_user
            secret = holding.extra["secrets"].get(user)
            if secret is None:      # the address is still listed; the change fails
                plan.refused = RouterProtocolError(f"router {self.config.name}: has no PPPoE secret "
                                                   f"'{user}' (client {target.client_code})")
                return plan
            if not secret[1]:
                plan.steps.append(_Step(["/ppp/secret/set", f"=.id={secret[0]}", "=disabled=yes"], None,
                                        lambda _: holding.extra["secrets"].__setitem__(user, (secret[0], True))))
            session = holding.extra["active"].pop(user, None)
            if session is not None:
                plan.steps.append(_remove("/ppp/active", session))
        return plan

    def _clear_steps(self, holding: Holding, target: Target) -> list[_Step]:
        steps = []
        if target.ip and holding.entries.get(target.ip) in target.codes:
            ip = target.ip
            steps.append(_remove(ADDRESS_LIST, holding.ids[ip], lambda _: holding.entries.pop(ip, None)))
        if self._adopted(holding, target):
            steps.append(_remove(ADDRESS_LIST, holding.extra["adopted"].pop(target.ip)))
        if self._ppp(holding, target):
            user = target.pppoe_user
            secret = holding.extra["secrets"].get(user)
            if secret and secret[1]:
                steps.append(_Step(["/ppp/secret/set", f"=.id={secret[0]}", "=disabled=no"], None,
                                   lambda _: holding.extra["secrets"].__setitem__(user, (secret[0], False))))
        return steps

    def strays(self, holding: Holding, targets: list[Target], known_codes: Container[str]) -> list[str]:
        ours_here = {(t.ip, code) for t in targets if t.ip for code in t.codes}
        return [address for address, comment in holding.entries.items()
                if comment in known_codes and (address, comment) not in ours_here]


@dataclass
class _Plan:
    """The commands of one change, and the refusal it meets whatever the router answers."""
    steps: list[_Step]
    refused: RouterError | None = None


@dataclass(frozen=True)
class _Step:
    """One API command of a change: the trap that still means the wanted state holds (a
    duplicate add, a stale remove), and what the holding learns once it is done."""
    command: list[str]
    tolerated: str | None
    done: Callable[[Answer], object] = lambda answer: None


def _remove(path: str, row_id: str, done: Callable[[Answer], object] = lambda answer: None) -> _Step:
    return _Step([f"{path}/remove", f"=.id={row_id}"], ALREADY_GONE, done)
