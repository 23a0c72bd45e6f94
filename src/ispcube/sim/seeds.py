"""Address-list entries and PPPoE secrets for the simulated MikroTik, read from CSV files.

`ispcube sim routeros --address-lists FILE --secrets FILE` starts the router holding what another
system left on it (its cut list, its disabled secrets), so the first `enforce` can be tried
against it. Each file is CSV with a header row:

| file              | columns                                  | required          |
|-------------------|------------------------------------------|-------------------|
| `--address-lists` | `list`, `address`, `comment`             | list, address     |
| `--secrets`       | `name`, `password`, `profile`, `disabled` | name              |

`address` is an IPv4 address or network; `profile` defaults to `default`; `disabled` is
`yes`/`no` (`true`/`false`, `1`/`0`; empty: no). Every error is one sentence naming the file and
its line (the header is line 1), and nothing is served until both files are read.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
import ipaddress
from pathlib import Path

from ispcube.errors import Invalid

ADDRESS_COLUMNS = ("list", "address", "comment")
SECRET_COLUMNS = ("name", "password", "profile", "disabled")
_YES = {"yes", "true", "1"}
_NO = {"no", "false", "0", ""}


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

    def seed(self, simulator) -> None:
        simulator.add_ppp_secret(self.name, password=self.password, profile=self.profile, disabled=self.disabled)


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
        disabled = values["disabled"].lower()
        if disabled not in _YES | _NO:
            raise Invalid(f"{where}: column disabled '{values['disabled']}' is not yes or no")
        rows.append(SecretRow(name, values["password"], values["profile"] or "default", disabled in _YES))
    return rows
