"""MikroTik routers over the RouterOS API (N3, E2), with routeros-api.

Cut: the connection's IP goes in the address-list ``ispcube-cut`` with the client code as
comment; for PPPoE the secret is disabled and the live session removed. Restore undoes both.
Throttle: the IP goes in the address-list ``ispcube-throttle`` (the ISP's queues match it).
An address-list entry is ours when it is in one of our lists and its comment is the code of
the client it was made for; entries with any other comment are never touched.
"""

from __future__ import annotations

import socket
from typing import Any, Container

from ispcube.adapters.drivers import CUT_LIST, Driver, Holding, RouterConfig, Target, reason, register, translated
from ispcube.errors import RouterAuthError, RouterProtocolError, RouterUnreachable

ADDRESS_LIST = "/ip/firewall/address-list"
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
    if isinstance(exc, ros.RouterOsApiConnectionError):
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
                                           for row in self._resource("/ppp/active").get()}
        return holding

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

    # -- writing

    def mark(self, holding: Holding, target: Target, timeout_s: int | None = None,
             requested: bool = False) -> None:
        with self._guard():
            if target.ip and target.ip not in holding.entries and not self._adopted(holding, target):
                self._add(holding, target, timeout_s)
            if self._ppp(holding, target):
                self._disable_secret(holding, target)

    def _add(self, holding: Holding, target: Target, timeout_s: int | None) -> None:
        from routeros_api.exceptions import RouterOsApiCommunicationError
        assert target.ip is not None, "address-list targets are the connections with an IP"
        fields = {"list": holding.list_name, "address": target.ip, "comment": target.client_code}
        if timeout_s:
            fields["timeout"] = str(timeout_s)
        try:
            reply = self._resource(ADDRESS_LIST).add(**fields)
        except RouterOsApiCommunicationError as exc:
            if ALREADY_THERE not in _message(exc):
                raise
            holding.entries[target.ip] = target.client_code
            return
        self.writes += 1
        holding.entries[target.ip] = target.client_code
        holding.ids[target.ip] = (getattr(reply, "done_message", None) or {}).get("ret", "")

    def _disable_secret(self, holding: Holding, target: Target) -> None:
        secret = holding.extra["secrets"].get(target.pppoe_user)
        if secret is None:
            raise RouterProtocolError(f"router {self.config.name}: has no PPPoE secret "
                                      f"'{target.pppoe_user}' (client {target.client_code})")
        if not secret[1]:
            self._resource("/ppp/secret").set(id=secret[0], disabled="yes")
            self.writes += 1
            holding.extra["secrets"][target.pppoe_user] = (secret[0], True)
        session = holding.extra["active"].pop(target.pppoe_user, None)
        if session is not None:
            self._remove("/ppp/active", session)

    def clear(self, holding: Holding, target: Target, requested: bool = False) -> None:
        with self._guard():
            if target.ip and holding.entries.get(target.ip) in target.codes:
                self._remove(ADDRESS_LIST, holding.ids[target.ip])
                holding.entries.pop(target.ip)
            if self._adopted(holding, target):
                self._remove(ADDRESS_LIST, holding.extra["adopted"].pop(target.ip))
            if self._ppp(holding, target):
                secret = holding.extra["secrets"].get(target.pppoe_user)
                if secret and secret[1]:
                    self._resource("/ppp/secret").set(id=secret[0], disabled="no")
                    self.writes += 1
                    holding.extra["secrets"][target.pppoe_user] = (secret[0], False)

    def _remove(self, path: str, row_id: str) -> None:
        from routeros_api.exceptions import RouterOsApiCommunicationError
        try:
            self._resource(path).remove(id=row_id)
        except RouterOsApiCommunicationError as exc:
            if ALREADY_GONE not in _message(exc):
                raise
            return
        self.writes += 1

    def strays(self, holding: Holding, targets: list[Target], known_codes: Container[str]) -> list[str]:
        ours_here = {(t.ip, code) for t in targets if t.ip for code in t.codes}
        return [address for address, comment in holding.entries.items()
                if comment in known_codes and (address, comment) not in ours_here]

    def remove_stray(self, holding: Holding, key: str) -> None:
        with self._guard():
            self._remove(ADDRESS_LIST, holding.ids[key])
            holding.entries.pop(key, None)
