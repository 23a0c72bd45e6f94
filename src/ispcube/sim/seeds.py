"""Address-list entries, PPPoE secrets and simple queues for the simulated MikroTik, read from
CSV files.

`ispcube sim routeros --address-lists FILE --secrets FILE --queues FILE` starts the router
holding what another system left on it (its cut list, its secrets, its speed limits), so the
first `enforce` can be tried against it. Each file is CSV with a header row:

| file              | columns                                                          | required      |
|-------------------|------------------------------------------------------------------|---------------|
| `--address-lists` | `list`, `address`, `comment`                                     | list, address |
| `--secrets`       | `name`, `password`, `profile`, `disabled`, `remote-address`, `comment` | name    |
| `--queues`        | `name`, `target`, `max-limit`, `comment`, `disabled`             | name, target  |

`address`, `remote-address` and `target` are IPv4 addresses (`address` and `target` may be
networks); `profile` defaults to `default`, and a profile a secret names that the router lacks
is made for it; `max-limit` is `upload/download` (`10M/2M`); `disabled` is `yes`/`no`
(`true`/`false`, `1`/`0`; empty: no). Every error is one sentence naming the file and its line
(the header is line 1), and nothing is served until every file is read.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
import ipaddress
from pathlib import Path
import re

from ispcube.errors import Invalid

ADDRESS_COLUMNS = ("list", "address", "comment")
SECRET_COLUMNS = ("name", "password", "profile", "disabled", "remote-address", "comment")
QUEUE_COLUMNS = ("name", "target", "max-limit", "comment", "disabled")
_YES = {"yes", "true", "1"}
_NO = {"no", "false", "0", ""}
_LIMIT = re.compile(r"\d+(?:\.\d+)?[kKMG]?/\d+(?:\.\d+)?[kKMG]?")


@dataclass(frozen=True)
class AddressRow:
    list: str
    address: str
    comment: str | None

    def seed(self, simulator) -> None:
        simulator.add_address(self.list, self.address, comment=self.comment)


@dataclass(frozen=True)
class SecretRow:
    name: str
    password: str
    profile: str
    disabled: bool
    remote_address: str | None = None
    comment: str | None = None

    def seed(self, simulator) -> None:
        if self.profile not in {row["name"] for row in simulator.ppp_profiles()}:
            simulator.add_ppp_profile(self.profile)
        simulator.add_ppp_secret(self.name, password=self.password, profile=self.profile, disabled=self.disabled,
                                 remote_address=self.remote_address, comment=self.comment)


@dataclass(frozen=True)
class QueueRow:
    name: str
    target: str
    max_limit: str | None
    comment: str | None
    disabled: bool

    def seed(self, simulator) -> None:
        simulator.add_simple_queue(self.name, self.target, max_limit=self.max_limit, comment=self.comment,
                                   disabled=self.disabled)


def _records(kind: str, path: Path, columns: tuple[str, ...]) -> list[tuple[str, dict[str, str]]]:
    """(where, values) per data line of PATH, its header checked against COLUMNS."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise Invalid(f"{kind} file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise Invalid(f"{kind} file {path} cannot be read as UTF-8 text ({type(exc).__name__})") from None
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if not header or not any(cell.strip() for cell in header):
        raise Invalid(f"{kind} file {path} is empty: it needs the header row {','.join(columns)}")
    names = [cell.strip().lower() for cell in header]
    unknown = [name for name in names if name not in columns]
    if unknown:
        raise Invalid(f"{kind} file {path} line 1: unknown column '{unknown[0]}' (known: {', '.join(columns)})")
    twice = [name for name in columns if names.count(name) > 1]
    if twice:
        raise Invalid(f"{kind} file {path} line 1: column '{twice[0]}' is named twice")
    records = []
    for cells in reader:
        where = f"{kind} file {path} line {reader.line_num}"
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(names):
            raise Invalid(f"{where}: {len(cells)} values for {len(names)} columns")
        values = {name: cell.strip() for name, cell in zip(names, cells, strict=False)}
        records.append((where, {name: values.get(name, "") for name in columns}))
    return records


def read_address_lists(path: Path) -> list[AddressRow]:
    """The address-list entries of PATH; Invalid names the first bad line."""
    rows, seen = [], set()
    for where, values in _records("address-lists", path, ADDRESS_COLUMNS):
        for column in ("list", "address"):
            if not values[column]:
                raise Invalid(f"{where}: column {column} is empty")
        try:
            network = ipaddress.IPv4Network(values["address"], strict=False)
        except ValueError:
            raise Invalid(f"{where}: column address '{values['address']}' is not an IPv4 address or "
                          "network") from None
        address = str(network.network_address) if network.prefixlen == 32 else str(network)
        key = (values["list"], address)
        if key in seen:
            raise Invalid(f"{where}: address {address} is in list '{values['list']}' twice")
        seen.add(key)
        rows.append(AddressRow(values["list"], address, values["comment"] or None))
    return rows


def read_secrets(path: Path) -> list[SecretRow]:
    """The PPPoE secrets of PATH; Invalid names the first bad line."""
    rows, seen = [], set()
    for where, values in _records("secrets", path, SECRET_COLUMNS):
        name = values["name"]
        if not name:
            raise Invalid(f"{where}: column name is empty")
        if name in seen:
            raise Invalid(f"{where}: secret '{name}' is listed twice")
        seen.add(name)
        remote = values["remote-address"]
        if remote:
            try:
                remote = str(ipaddress.IPv4Address(remote))
            except ValueError:
                raise Invalid(f"{where}: column remote-address '{remote}' is not an IPv4 address") from None
        rows.append(SecretRow(name, values["password"], values["profile"] or "default", _disabled(where, values),
                              remote or None, values["comment"] or None))
    return rows


def read_queues(path: Path) -> list[QueueRow]:
    """The simple queues of PATH; Invalid names the first bad line."""
    rows, seen = [], set()
    for where, values in _records("queues", path, QUEUE_COLUMNS):
        for column in ("name", "target"):
            if not values[column]:
                raise Invalid(f"{where}: column {column} is empty")
        if values["name"] in seen:
            raise Invalid(f"{where}: queue '{values['name']}' is listed twice")
        seen.add(values["name"])
        try:
            target = str(ipaddress.IPv4Network(values["target"], strict=False))
        except ValueError:
            raise Invalid(f"{where}: column target '{values['target']}' is not an IPv4 address or "
                          "network") from None
        limit = values["max-limit"]
        if limit and not _LIMIT.fullmatch(limit):
            raise Invalid(f"{where}: column max-limit '{limit}' is not upload/download (e.g. 10M/2M)")
        rows.append(QueueRow(values["name"], target, limit or None, values["comment"] or None,
                             _disabled(where, values)))
    return rows


def _disabled(where: str, values: dict[str, str]) -> bool:
    disabled = values["disabled"].lower()
    if disabled not in _YES | _NO:
        raise Invalid(f"{where}: column disabled '{values['disabled']}' is not yes or no")
    return disabled in _YES
