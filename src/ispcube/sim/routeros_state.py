"""The simulated router's menus (tables and singletons), its clock and RouterOS value formats.

Nothing here locks: the simulator calls into a ``RouterState`` under its own lock.
Rows are printed as ``dict[str, str]`` in the order and spelling RouterOS uses.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
import ipaddress
import math
import re
import threading
import time
from typing import Any

WEEK, DAY, HOUR, MINUTE = 604800, 86400, 3600, 60

_UNIT_DURATION = re.compile(
    r"^(?:(?P<w>\d+)w)?(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m(?!s))?"
    r"(?:(?P<s>\d+)s)?(?:(?P<ms>\d+)ms)?$"
)
_CLOCK_DURATION = re.compile(
    r"^(?:(?P<w>\d+)w)?(?:(?P<d>\d+)d)?\s*(?P<h>\d+):(?P<m>\d{1,2})(?::(?P<s>\d{1,2}))?(?:\.(?P<frac>\d+))?$"
)
_MAC = re.compile(r"^[0-9A-Fa-f]{2}([:-]?)(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}$")
_NO_TIMEOUT = {"", "none", "none-static", "0", "0s", "00:00:00"}
_MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
PPP_SERVICES = {"any", "async", "l2tp", "ovpn", "pppoe", "pptp", "sstp"}


class CommandTrap(Exception):
    """A command failed; the session answers it with ``!trap``."""

    def __init__(self, message: str, category: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.category = category


def invalid_value(argument: str) -> CommandTrap:
    return CommandTrap(f"invalid value for argument {argument}", category=1)


def parse_version(version: str) -> tuple[int, ...]:
    """``"6.49.10 (long-term)"`` -> ``(6, 49, 10)``."""
    numbers = re.match(r"^\s*(\d+(?:\.\d+)*)", version)
    return tuple(int(part) for part in numbers.group(1).split(".")) if numbers else (7,)


# ---------------------------------------------------------------- durations


def parse_duration(text: str | float | int) -> float:
    """Parse ``1h``, ``30s``, ``00:05:00``, ``1d2h``, ``1w2d03:00:00`` or bare seconds."""
    if isinstance(text, (int, float)):
        return float(text)
    text = text.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    match = _UNIT_DURATION.match(text) if text else None
    if match and any(match.groupdict().values()):
        parts = {key: int(value or 0) for key, value in match.groupdict().items()}
    else:
        match = _CLOCK_DURATION.match(text)
        if not match:
            raise ValueError(f"not a RouterOS duration: {text!r}")
        parts = {key: int(value or 0) for key, value in match.groupdict().items() if key != "frac"}
        parts["ms"] = 0
    return (
        parts["w"] * WEEK + parts["d"] * DAY + parts["h"] * HOUR + parts["m"] * MINUTE
        + parts["s"] + parts["ms"] / 1000
    )


def _split_duration(seconds: float) -> tuple[int, int, int, int, int]:
    total = max(0, int(math.ceil(seconds - 1e-9)))
    weeks, rest = divmod(total, WEEK)
    days, rest = divmod(rest, DAY)
    hours, rest = divmod(rest, HOUR)
    minutes, secs = divmod(rest, MINUTE)
    return weeks, days, hours, minutes, secs


def format_duration(seconds: float) -> str:
    """``90061`` -> ``"1d1h1m1s"`` (the API's unit form; zero is ``"0s"``)."""
    values = _split_duration(seconds)
    text = "".join(f"{value}{unit}" for value, unit in zip(values, "wdhms", strict=True) if value)
    return text or "0s"


def format_clock_duration(seconds: float) -> str:
    """``1776113`` -> ``"2w6d13:21:53"``: weeks and days, then hh:mm:ss (RouterOS 6 uptime form)."""
    weeks, days, hours, minutes, secs = _split_duration(seconds)
    prefix = (f"{weeks}w" if weeks else "") + (f"{days}d" if days else "")
    return f"{prefix}{hours:02d}:{minutes:02d}:{secs:02d}"


def format_timestamp(epoch: float, ros7: bool) -> str:
    moment = time.localtime(epoch)
    if ros7:
        return time.strftime("%Y-%m-%d %H:%M:%S", moment)
    return f"{_MONTHS[moment.tm_mon - 1]}/{moment.tm_mday:02d}/{moment.tm_year} " + time.strftime(
        "%H:%M:%S", moment
    )


class SimClock:
    """Seconds since the simulator was created; runs with real time unless frozen, and can be pushed forward."""

    def __init__(self, frozen: bool = False) -> None:
        self._lock = threading.Lock()
        self._frozen = frozen
        self._started = time.monotonic()
        self._offset = 0.0
        self.wall_epoch = time.time()

    def _running(self) -> float:
        return 0.0 if self._frozen else time.monotonic() - self._started

    def now(self) -> float:
        with self._lock:
            return self._running() + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds

    def set(self, seconds: float) -> None:
        with self._lock:
            self._offset = seconds - self._running()

    def wall_time(self, at: float | None = None) -> float:
        return self.wall_epoch + (self.now() if at is None else at)


# ---------------------------------------------------------------- value checks


def parse_bool(argument: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    spelled = str(value).strip().lower()
    if spelled in ("yes", "true"):
        return True
    if spelled in ("no", "false"):
        return False
    raise invalid_value(argument)


def ros_bool(value: bool) -> str:
    return "true" if value else "false"


def normalize_ipv4(argument: str, value: str) -> str:
    try:
        return str(ipaddress.IPv4Address(value.strip()))
    except ValueError:
        raise invalid_value(argument) from None


def normalize_address_list_address(value: str) -> str:
    """RouterOS keeps hosts bare, networks as their base address, ranges and DNS names as written."""
    value = value.strip()
    if not value:
        raise invalid_value("address")
    if re.fullmatch(r"[\d./]+", value):
        try:
            network = ipaddress.IPv4Network(value, strict=False)
        except ValueError:
            raise invalid_value("address") from None
        return str(network.network_address) if network.prefixlen == 32 else str(network)
    if re.fullmatch(r"[\d.]+-[\d.]+", value):
        first, last = (normalize_ipv4("address", part) for part in value.split("-"))
        return f"{first}-{last}"
    if re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?", value):
        return value  # a DNS name, which a real router resolves on its own
    raise invalid_value("address")


def normalize_mac(value: str) -> str:
    if not _MAC.match(value.strip()):
        raise ValueError(f"not a MAC address: {value!r}")
    digits = re.sub(r"[^0-9A-Fa-f]", "", value).upper()
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2))


def format_id(number: int) -> str:
    return f"*{number:X}"


# ---------------------------------------------------------------- menus


class Menu(ABC):
    """One RouterOS menu such as ``/ppp/secret``: which commands it answers and its printed rows."""

    commands: frozenset[str] = frozenset({"print"})

    def __init__(self, clock: SimClock, ros7: bool) -> None:
        self.clock = clock
        self.ros7 = ros7

    @abstractmethod
    def rows(self) -> list[dict[str, str]]:
        """The menu's rows as the API prints them."""

    # Menus answer only the verbs listed in ``commands`` (the session checks that first); a
    # read-only menu answers a write the way RouterOS does.
    def add(self, attributes: Mapping[str, str]) -> str:
        raise CommandTrap("no such command")

    def set(self, ids: str | None, attributes: Mapping[str, str]) -> None:
        raise CommandTrap("no such command")

    def remove(self, ids: str | None) -> None:
        raise CommandTrap("no such command")

    def unset(self, ids: str | None, name: str) -> None:
        raise CommandTrap("no such command")

    def unknown_parameter(self, name: str) -> CommandTrap:
        return CommandTrap(f"unknown parameter {name}" if self.ros7 else "unknown parameter")


class Table(Menu):
    """A menu of rows addressed by ``*N`` ids; subclasses say which fields exist and how rows print."""

    commands = frozenset({"print", "add", "set", "unset", "remove"})
    writable: frozenset[str] = frozenset()
    required: tuple[str, ...] = ()
    name_field: str | None = None  # rows may also be addressed by this field, as RouterOS allows

    def __init__(self, clock: SimClock, ros7: bool) -> None:
        super().__init__(clock, ros7)
        self._rows: dict[int, dict[str, Any]] = {}
        self._next_id = 1

    # -- hooks for subclasses
    @abstractmethod
    def _apply(self, row: dict[str, Any], attributes: Mapping[str, str]) -> None:
        """Validate ``attributes`` and store them into ``row`` (raise CommandTrap on bad values)."""

    def _defaults(self) -> dict[str, Any]:
        return {}

    def _unique_key(self, row: Mapping[str, Any]) -> tuple | None:
        return None

    duplicate_message = "failure: already have such entry"

    @abstractmethod
    def _render(self, row: Mapping[str, Any]) -> dict[str, str]:
        """One row as the API prints it."""

    def _expired(self, row: Mapping[str, Any], now: float) -> bool:
        return False

    # -- commands
    def rows(self) -> list[dict[str, str]]:
        self.expire()
        return [{".id": format_id(number), **self._render(row)} for number, row in sorted(self._rows.items())]

    def expire(self) -> None:
        now = self.clock.now()
        for number in [number for number, row in self._rows.items() if self._expired(row, now)]:
            del self._rows[number]

    def add(self, attributes: Mapping[str, str]) -> str:
        self.expire()
        self._check_known(attributes)
        for name in self.required:
            if not attributes.get(name):
                raise CommandTrap(f"failure: {name} not specified")
        row = self._defaults()
        self._apply(row, attributes)
        self._check_unique(row, own_number=None)
        number, self._next_id = self._next_id, self._next_id + 1
        self._rows[number] = row
        return format_id(number)

    def set(self, ids: str | None, attributes: Mapping[str, str]) -> None:
        self.expire()
        numbers = self.resolve(ids)
        self._check_known(attributes)
        updated = {}
        for number in numbers:
            row = dict(self._rows[number])
            self._apply(row, attributes)
            self._check_unique(row, own_number=number)
            updated[number] = row
        self._rows.update(updated)

    def remove(self, ids: str | None) -> None:
        self.expire()
        for number in self.resolve(ids):
            del self._rows[number]

    def unset(self, ids: str | None, name: str) -> None:
        """Give the rows' property NAME back its default (``unset =.id=*1 =value-name=NAME``)."""
        self.expire()
        numbers = self.resolve(ids)
        self._check_known({name: ""})
        defaults = self._defaults()
        if name in self.required or name == self.name_field or name not in defaults:
            raise CommandTrap(f"failure: can not unset {name}")
        for number in numbers:
            self._rows[number][name] = defaults[name]

    def resolve(self, ids: str | None) -> list[int]:
        """Turn ``*1,*A`` (or row names, where the menu has them) into row numbers; all must exist."""
        if not ids:
            raise CommandTrap("failure: .id not specified")
        numbers = []
        for token in (part.strip() for part in ids.split(",")):
            number = self._find(token)
            if number is None:
                raise CommandTrap("no such item")
            numbers.append(number)
        return numbers

    def _find(self, token: str) -> int | None:
        if token.startswith("*"):
            try:
                number = int(token[1:], 16)
            except ValueError:
                return None
            return number if number in self._rows else None
        if self.name_field:
            for number, row in self._rows.items():
                if row.get(self.name_field) == token:
                    return number
        return None

    def _check_known(self, attributes: Mapping[str, str]) -> None:
        for name in attributes:
            if name not in self.writable:
                raise self.unknown_parameter(name)

    def _check_unique(self, row: Mapping[str, Any], own_number: int | None) -> None:
        key = self._unique_key(row)
        if key is None:
            return
        for number, other in self._rows.items():
            if number != own_number and self._unique_key(other) == key:
                raise CommandTrap(self.duplicate_message)

    def insert(self, attributes: Mapping[str, Any]) -> str:
        """Seed a row from Python, bypassing the ``writable`` check (read-only menus use this)."""
        row = self._defaults()
        self._apply(row, attributes)
        self._check_unique(row, own_number=None)
        number, self._next_id = self._next_id, self._next_id + 1
        self._rows[number] = row
        return format_id(number)


class AddressList(Table):
    """``/ip/firewall/address-list``: entries with an optional timeout after which they disappear."""

    writable = frozenset({"list", "address", "comment", "disabled", "timeout"})
    required = ("list", "address")

    def _defaults(self) -> dict[str, Any]:
        return {"comment": None, "disabled": False, "created_at": self.clock.now(), "expires_at": None}

    def _apply(self, row: dict[str, Any], attributes: Mapping[str, str]) -> None:
        if "list" in attributes:
            if not attributes["list"]:
                raise invalid_value("list")
            row["list"] = attributes["list"]
        if "address" in attributes:
            row["address"] = normalize_address_list_address(attributes["address"])
        if "comment" in attributes:
            row["comment"] = attributes["comment"] or None
        if "disabled" in attributes:
            row["disabled"] = parse_bool("disabled", attributes["disabled"])
        if "timeout" in attributes:
            timeout = attributes["timeout"]
            if isinstance(timeout, str) and timeout.strip().lower() in _NO_TIMEOUT:
                row["expires_at"] = None
            else:
                try:
                    seconds = parse_duration(timeout)
                except ValueError:
                    raise invalid_value("timeout") from None
                row["expires_at"] = self.clock.now() + seconds if seconds > 0 else None

    def _unique_key(self, row: Mapping[str, Any]) -> tuple:
        return (row["list"], row["address"])

    def _expired(self, row: Mapping[str, Any], now: float) -> bool:
        return row["expires_at"] is not None and row["expires_at"] <= now

    def _render(self, row: Mapping[str, Any]) -> dict[str, str]:
        printed = {
            "list": row["list"],
            "address": row["address"],
            "creation-time": format_timestamp(self.clock.wall_time(row["created_at"]), self.ros7),
        }
        if row["expires_at"] is not None:
            printed["timeout"] = format_duration(row["expires_at"] - self.clock.now())
        printed["dynamic"] = ros_bool(row["expires_at"] is not None)
        printed["disabled"] = ros_bool(row["disabled"])
        if row["comment"]:
            printed["comment"] = row["comment"]
        return printed


class PppSecrets(Table):
    """``/ppp/secret``: one row per subscriber login."""

    writable = frozenset({
        "name", "password", "profile", "service", "disabled", "comment",
        "remote-address", "local-address", "caller-id", "routes", "limit-bytes-in", "limit-bytes-out",
    })
    required = ("name",)
    name_field = "name"
    duplicate_message = "failure: secret with the same name already exists"

    def _defaults(self) -> dict[str, Any]:
        return {
            "password": "", "profile": "default", "service": "any", "disabled": False, "comment": None,
            "remote-address": None, "local-address": None, "caller-id": "", "routes": "",
            "limit-bytes-in": "0", "limit-bytes-out": "0",
        }

    def _apply(self, row: dict[str, Any], attributes: Mapping[str, str]) -> None:
        for name, value in attributes.items():
            value = "" if value is None else value
            if name == "disabled":
                row[name] = parse_bool(name, value)
            elif name == "service":
                if value not in PPP_SERVICES:
                    raise invalid_value(name)
                row[name] = value
            elif name in ("remote-address", "local-address"):
                row[name] = normalize_ipv4(name, value) if value else None
            elif name in ("limit-bytes-in", "limit-bytes-out"):
                if not str(value).isdigit():
                    raise invalid_value(name)
                row[name] = str(int(value))
            elif name == "name":
                if not value:
                    raise invalid_value(name)
                row[name] = value
            elif name == "comment":
                row[name] = value or None
            else:
                row[name] = value

    def _unique_key(self, row: Mapping[str, Any]) -> tuple:
        return (row["name"],)

    def _render(self, row: Mapping[str, Any]) -> dict[str, str]:
        printed = {
            "name": row["name"], "service": row["service"], "caller-id": row["caller-id"],
            "password": row["password"], "profile": row["profile"],
        }
        for optional in ("local-address", "remote-address"):
            if row[optional]:
                printed[optional] = row[optional]
        printed.update({
            "routes": row["routes"], "limit-bytes-in": row["limit-bytes-in"],
            "limit-bytes-out": row["limit-bytes-out"], "disabled": ros_bool(row["disabled"]),
        })
        if row["comment"]:
            printed["comment"] = row["comment"]
        return printed


_RATE = r"\d+(?:\.\d+)?[kKMG]?"
_RATE_PAIR = rf"{_RATE}(?:/{_RATE})?"
# rx/tx [burst rx/tx [threshold rx/tx [burst time rx/tx [priority [limit-at rx/tx]]]]]
_RATE_LIMIT = re.compile(
    rf"^{_RATE_PAIR}(?:\s+{_RATE_PAIR}(?:\s+{_RATE_PAIR}(?:\s+\d+[smh]?(?:/\d+[smh]?)?"
    rf"(?:\s+[1-8](?:\s+{_RATE_PAIR})?)?)?)?)?$"
)
_UNITS = {"": 1, "k": 1000, "K": 1000, "M": 1_000_000, "G": 1_000_000_000}


def bits_per_second(argument: str, value: str) -> int:
    """``10M`` -> ``10000000``; a bare number is bits per second already."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([kKMG]?)", value.strip())
    if not match:
        raise invalid_value(argument)
    return int(float(match.group(1)) * _UNITS[match.group(2)])


def rate_pair(argument: str, value: str) -> str:
    """A simple queue's ``upload/download`` pair as the API prints it, in bits per second."""
    parts = value.split("/")
    if len(parts) > 2 or not value.strip():
        raise invalid_value(argument)
    upload = bits_per_second(argument, parts[0])
    download = bits_per_second(argument, parts[1]) if len(parts) == 2 else upload
    return f"{upload}/{download}"


class PppProfiles(Table):
    """``/ppp/profile``: what a secret's sessions get (addresses, ``rate-limit``).

    The two built-in profiles (``default`` and ``default-encryption``) are always there and
    cannot be removed; ``rate-limit`` is kept as written (``10M/2M``, with burst fields)."""

    writable = frozenset({
        "name", "local-address", "remote-address", "rate-limit", "only-one", "comment",
        "dns-server", "address-list", "parent-queue", "change-tcp-mss", "use-encryption",
    })
    required = ("name",)
    name_field = "name"
    duplicate_message = "failure: profile with the same name already exists"
    BUILT_IN = {0: "default", 0xFFFFFFFE: "default-encryption"}
    UNSET_WHEN_EMPTY = frozenset({"comment", "rate-limit", "local-address", "remote-address", "dns-server",
                                  "parent-queue"})

    def __init__(self, clock: SimClock, ros7: bool) -> None:
        super().__init__(clock, ros7)
        for number, name in self.BUILT_IN.items():
            row = self._defaults()
            row.update(name=name, default=True)
            if name == "default-encryption":
                row["use-encryption"] = "yes"
            self._rows[number] = row

    def _defaults(self) -> dict[str, Any]:
        return {
            "local-address": None, "remote-address": None, "rate-limit": None, "only-one": "default",
            "comment": None, "dns-server": None, "address-list": "", "parent-queue": None,
            "change-tcp-mss": "default", "use-encryption": "default", "default": False,
        }

    def _apply(self, row: dict[str, Any], attributes: Mapping[str, str]) -> None:
        for name, value in attributes.items():
            value = "" if value is None else str(value)
            if name == "name":
                if not value:
                    raise invalid_value(name)
                if row.get("default") and value != row["name"]:
                    raise CommandTrap("failure: can not rename default profile")
            elif name == "rate-limit":
                if value and not _RATE_LIMIT.match(value.strip()):
                    raise invalid_value(name)
                value = value.strip()
            elif name in ("only-one", "change-tcp-mss", "use-encryption"):
                if value not in ("yes", "no", "default", "required"):
                    raise invalid_value(name)
            row[name] = (value or None) if name in self.UNSET_WHEN_EMPTY else value

    def remove(self, ids: str | None) -> None:
        numbers = self.resolve(ids)
        if any(self._rows[number]["default"] for number in numbers):
            raise CommandTrap("failure: can not remove default profile")
        for number in numbers:
            del self._rows[number]

    def _unique_key(self, row: Mapping[str, Any]) -> tuple:
        return (row["name"],)

    def _render(self, row: Mapping[str, Any]) -> dict[str, str]:
        printed = {"name": row["name"]}
        for optional in ("local-address", "remote-address", "dns-server", "parent-queue", "rate-limit"):
            if row[optional]:
                printed[optional] = row[optional]
        printed.update({
            "use-mpls": "default", "use-compression": "default", "use-encryption": row["use-encryption"],
            "only-one": row["only-one"], "change-tcp-mss": row["change-tcp-mss"], "use-upnp": "default",
            "address-list": row["address-list"], "on-up": "", "on-down": "", "default": ros_bool(row["default"]),
        })
        if row["comment"]:
            printed["comment"] = row["comment"]
        return printed


class SimpleQueues(Table):
    """``/queue/simple``: a speed limit on a target (an address, printed ``10.0.0.5/32``).

    Limits print in bits per second (``max-limit=10M/2M`` prints ``10000000/2000000``, upload
    first); a queue added without a name is called ``queueN``, as RouterOS names it."""

    writable = frozenset({
        "name", "target", "max-limit", "limit-at", "burst-limit", "burst-threshold", "burst-time",
        "parent", "priority", "queue", "comment", "disabled",
    })
    name_field = "name"
    duplicate_message = "failure: already have such name"
    RATE_FIELDS = ("max-limit", "limit-at", "burst-limit", "burst-threshold")

    def _defaults(self) -> dict[str, Any]:
        return {
            "name": None, "target": "", "parent": "none", "priority": "8/8",
            "queue": "default-small/default-small", "burst-time": "0s/0s", "comment": None, "disabled": False,
            **{name: "0/0" for name in self.RATE_FIELDS},
        }

    def add(self, attributes: Mapping[str, str]) -> str:
        if not attributes.get("name"):
            attributes = {**attributes, "name": self._free_name()}
        return super().add(attributes)

    def _free_name(self) -> str:
        taken = {row["name"] for row in self._rows.values()}
        number = 1
        while f"queue{number}" in taken:
            number += 1
        return f"queue{number}"

    def _apply(self, row: dict[str, Any], attributes: Mapping[str, str]) -> None:
        for name, value in attributes.items():
            value = "" if value is None else str(value)
            if name == "disabled":
                row[name] = parse_bool(name, value)
            elif name == "target":
                row[name] = ",".join(self._target(part) for part in value.split(",") if part.strip())
            elif name in self.RATE_FIELDS:
                row[name] = rate_pair(name, value)
            elif name == "name":
                if not value:
                    raise invalid_value(name)
                row[name] = value
            elif name == "comment":
                row[name] = value or None
            else:
                row[name] = value

    @staticmethod
    def _target(value: str) -> str:
        value = value.strip()
        if re.fullmatch(r"[\d./]+", value):
            try:
                return str(ipaddress.IPv4Network(value, strict=False))
            except ValueError:
                raise invalid_value("target") from None
        return value   # an interface, as RouterOS also accepts

    def _unique_key(self, row: Mapping[str, Any]) -> tuple:
        return (row["name"],)

    def _render(self, row: Mapping[str, Any]) -> dict[str, str]:
        printed = {
            "name": row["name"], "target": row["target"], "parent": row["parent"], "packet-marks": "",
            "priority": row["priority"], "queue": row["queue"],
            **{name: row[name] for name in self.RATE_FIELDS}, "burst-time": row["burst-time"],
            "bucket-size": "0.1/0.1", "invalid": "false", "dynamic": "false",
            "disabled": ros_bool(row["disabled"]),
        }
        if not self.ros7:
            del printed["bucket-size"]
        if row["comment"]:
            printed["comment"] = row["comment"]
        return printed


class PppActive(Table):
    """``/ppp/active``: live sessions; the API can only print and remove (disconnect) them."""

    commands = frozenset({"print", "remove"})
    name_field = "name"

    def _defaults(self) -> dict[str, Any]:
        return {"service": "pppoe", "caller-id": "", "address": "", "encoding": "", "started_at": self.clock.now()}

    def _apply(self, row: dict[str, Any], attributes: Mapping[str, Any]) -> None:
        for name, value in attributes.items():
            if name == "uptime":
                row["started_at"] = self.clock.now() - parse_duration(value)
            elif name == "address":
                row[name] = normalize_ipv4(name, value) if value else ""
            else:
                row[name] = "" if value is None else str(value)

    def _render(self, row: Mapping[str, Any]) -> dict[str, str]:
        return {
            "name": row["name"], "service": row["service"], "caller-id": row["caller-id"],
            "encoding": row["encoding"], "address": row["address"],
            "uptime": format_duration(self.clock.now() - row["started_at"]),
            "limit-bytes-in": "0", "limit-bytes-out": "0", "radius": "false",
        }


class _RegistrationTable(Table):
    """Registered wireless clients; their uptime keeps running with the simulator clock."""

    commands = frozenset({"print", "remove"})

    def _apply(self, row: dict[str, Any], attributes: Mapping[str, Any]) -> None:
        for name, value in attributes.items():
            if name == "uptime":
                row["started_at"] = self.clock.now() - parse_duration(value)
            elif name == "mac-address":
                row[name] = normalize_mac(value)
            elif value is not None:
                row[name] = str(value)

    def _unique_key(self, row: Mapping[str, Any]) -> tuple:
        return (row["interface"], row["mac-address"])

    def _uptime(self, row: Mapping[str, Any]) -> float:
        return self.clock.now() - row["started_at"]


class WirelessRegistrations(_RegistrationTable):
    """``/interface/wireless/registration-table`` as RouterOS 6 prints it."""

    def _defaults(self) -> dict[str, Any]:
        return {
            "interface": "wlan1", "signal-strength": "-65dBm@6Mbps", "signal-to-noise": "35",
            "tx-ccq": "100", "rx-ccq": "100", "tx-rate": "54Mbps", "rx-rate": "54Mbps",
            "started_at": self.clock.now(), "last-ip": None,
        }

    def _render(self, row: Mapping[str, Any]) -> dict[str, str]:
        signal = row["signal-strength"]
        printed = {
            "interface": row["interface"], "mac-address": row["mac-address"],
            "ap": "false", "wds": "false", "bridge": "false",
            "rx-rate": row["rx-rate"], "tx-rate": row["tx-rate"],
            "packets": "0,0", "bytes": "0,0",
            "uptime": format_clock_duration(self._uptime(row)), "last-activity": "0s",
            "signal-strength": signal, "signal-to-noise": row["signal-to-noise"],
            "signal-strength-ch0": signal.split("dBm")[0],
            "tx-ccq": row["tx-ccq"], "rx-ccq": row["rx-ccq"],
        }
        if row["last-ip"]:
            printed["last-ip"] = row["last-ip"]
        return printed


class WifiRegistrations(_RegistrationTable):
    """``/interface/wifi/registration-table`` as RouterOS 7 prints it."""

    def _defaults(self) -> dict[str, Any]:
        return {
            "interface": "wifi1", "signal": "-65", "tx-rate": "866.7Mbps-80MHz/2S/SGI",
            "rx-rate": "866.7Mbps-80MHz/2S/SGI", "started_at": self.clock.now(),
        }

    def _render(self, row: Mapping[str, Any]) -> dict[str, str]:
        return {
            "interface": row["interface"], "mac-address": row["mac-address"], "authorized": "true",
            "uptime": format_duration(self._uptime(row)), "last-activity": "0s", "signal": row["signal"],
            "tx-rate": row["tx-rate"], "rx-rate": row["rx-rate"], "packets": "0,0", "bytes": "0,0",
        }


class SystemIdentity(Menu):
    """``/system/identity``: the router's name."""

    commands = frozenset({"print", "set"})

    def __init__(self, clock: SimClock, ros7: bool, name: str) -> None:
        super().__init__(clock, ros7)
        self.name = name

    def rows(self) -> list[dict[str, str]]:
        return [{"name": self.name}]

    def set(self, ids: str | None, attributes: Mapping[str, str]) -> None:
        if ids is not None:
            raise self.unknown_parameter(".id")
        for name in attributes:
            if name != "name":
                raise self.unknown_parameter(name)
        if "name" in attributes:
            self.name = attributes["name"]


class SystemResource(Menu):
    """``/system/resource``: version, uptime and board, with fixed plausible hardware numbers."""

    def __init__(self, clock: SimClock, ros7: bool, version: str, board_name: str) -> None:
        super().__init__(clock, ros7)
        self.version = version
        self.board_name = board_name

    def rows(self) -> list[dict[str, str]]:
        return [{
            "uptime": format_duration(self.clock.now()), "version": self.version,
            "build-time": "2023-09-29 12:00:00" if self.ros7 else "Sep/29/2023 12:00:00",
            "free-memory": "201326592", "total-memory": "268435456", "cpu": "QEMU",
            "cpu-count": "1", "cpu-frequency": "2400", "cpu-load": "1",
            "free-hdd-space": "83886080", "total-hdd-space": "134217728",
            "architecture-name": "x86_64" if self.ros7 else "x86", "board-name": self.board_name,
            "platform": "MikroTik",
        }]


class RouterState:
    """Every menu the simulator answers, keyed by its API path (``/ppp/secret``)."""

    def __init__(self, clock: SimClock, identity: str, version: str, board_name: str) -> None:
        ros7 = parse_version(version) >= (7,)
        self.clock = clock
        self.version = version
        self.address_list = AddressList(clock, ros7)
        self.ppp_secrets = PppSecrets(clock, ros7)
        self.ppp_profiles = PppProfiles(clock, ros7)
        self.simple_queues = SimpleQueues(clock, ros7)
        self.ppp_active = PppActive(clock, ros7)
        self.wireless_registrations = WirelessRegistrations(clock, ros7)
        self.wifi_registrations = WifiRegistrations(clock, ros7)
        self.identity = SystemIdentity(clock, ros7, identity)
        self.resource = SystemResource(clock, ros7, version, board_name)
        self.menus: dict[str, Menu] = {
            "/ip/firewall/address-list": self.address_list,
            "/ppp/secret": self.ppp_secrets,
            "/ppp/profile": self.ppp_profiles,
            "/queue/simple": self.simple_queues,
            "/ppp/active": self.ppp_active,
            "/interface/wireless/registration-table": self.wireless_registrations,
            "/interface/wifi/registration-table": self.wifi_registrations,
            "/system/identity": self.identity,
            "/system/resource": self.resource,
        }

    def is_menu_prefix(self, path: str) -> bool:
        """True when ``path`` names a menu or a directory above one (``/ip``, ``/ip/firewall``)."""
        return any(menu == path or menu.startswith(path + "/") for menu in self.menus)
