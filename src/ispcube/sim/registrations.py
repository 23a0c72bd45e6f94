"""Wireless registrations for the simulated MikroTik, read from a CSV or JSON file.

`ispcube sim routeros --registrations FILE` seeds the registration tables from FILE so that
`ispcube cpe signal` has CPEs to read. CSV has a header row; JSON is a list of objects. The
columns (a dash may stand for the underscore, `mac-address` as RouterOS prints it):

| column        | meaning                                                  | default       |
|---------------|----------------------------------------------------------|---------------|
| `mac_address` | the CPE's MAC address (required)                         |               |
| `signal`      | received signal in dBm, a whole number from -120 to 0     | -65           |
| `snr`         | signal-to-noise in dB (RouterOS 6 table only)            | signal + 100  |
| `tx_ccq`, `rx_ccq` | client connection quality in percent (RouterOS 6)   | 100           |
| `tx_rate`, `rx_rate` | link rates as RouterOS prints them (`54Mbps`)     | the table's   |
| `uptime`      | seconds, or a RouterOS duration (`1d2h`, `02:00:00`)     | 0             |
| `last_ip`     | the CPE's last IPv4 address (RouterOS 6)                 | none          |
| `interface`   | the access point's interface                             | wlan1 / wifi1 |
| `table`       | `wireless` (RouterOS 6) or `wifi` (RouterOS 7)           | wireless      |
| `router`      | with `--demo`: the router (by name) that holds the row   | the first one |

Every error names the file, the row and the column, and nothing is served until the whole
file is read.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
import ipaddress
import json
from pathlib import Path
from typing import Any

from ispcube.domain.values import parse_int_in
from ispcube.errors import Invalid
from ispcube.sim.routeros_state import normalize_mac, parse_duration

COLUMNS = ("mac_address", "signal", "snr", "tx_ccq", "rx_ccq", "tx_rate", "rx_rate", "uptime",
           "last_ip", "interface", "table", "router")
TABLES = ("wireless", "wifi")


@dataclass(frozen=True)
class RegistrationRow:
    mac_address: str
    signal: int = -65
    snr: int | None = None
    tx_ccq: int = 100
    rx_ccq: int = 100
    tx_rate: str | None = None
    rx_rate: str | None = None
    uptime: float = 0
    last_ip: str | None = None
    interface: str | None = None
    table: str = "wireless"
    router: str | None = None

    def seed(self, simulator) -> None:
        """Add this row to SIMULATOR's registration table."""
        simulator.add_registration(
            self.mac_address, table=self.table, interface=self.interface, signal=self.signal,
            signal_to_noise=self.snr, tx_rate=self.tx_rate, rx_rate=self.rx_rate,
            tx_ccq=self.tx_ccq, rx_ccq=self.rx_ccq, uptime=self.uptime, last_ip=self.last_ip)


def read_registrations(path: Path) -> list[RegistrationRow]:
    """The rows of PATH (`.json`, or CSV otherwise); Invalid names the first bad row and column."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise Invalid(f"registrations file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise Invalid(f"registrations file {path} cannot be read as UTF-8 text ({type(exc).__name__})") from None
    records = _json_records(path, text) if path.suffix.lower() == ".json" else _csv_records(path, text)
    rows, seen = [], set()
    for number, record in enumerate(records, start=1):
        row = _row(path, number, record)
        key = (row.router, row.table, row.interface, row.mac_address)
        if key in seen:
            raise Invalid(f"registrations file {path} row {number}: MAC {row.mac_address} is listed twice "
                          "on the same interface")
        seen.add(key)
        rows.append(row)
    return rows


def _json_records(path: Path, text: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Invalid(f"registrations file {path} is not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise Invalid(f"registrations file {path} must hold a JSON list of objects, one per registration")
    return data


def _csv_records(path: Path, text: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames:
        raise Invalid(f"registrations file {path} is empty: it needs a header row with mac_address")
    records: list[dict[str, Any]] = []
    for record in reader:
        if None in record:
            raise Invalid(f"registrations file {path} row {len(records) + 1}: more values than columns")
        records.append({key: value for key, value in record.items() if value not in (None, "")})
    return records


def _row(path: Path, number: int, record: dict[str, Any]) -> RegistrationRow:
    where = f"registrations file {path} row {number}"
    values = {str(key).strip().lower().replace("-", "_"): value for key, value in record.items()}
    unknown = sorted(set(values) - set(COLUMNS))
    if unknown:
        raise Invalid(f"{where}: unknown column '{unknown[0]}' (known: {', '.join(COLUMNS)})")
    values = {key: str(value).strip() for key, value in values.items() if value is not None and str(value).strip()}
    if "mac_address" not in values:
        raise Invalid(f"{where}: column mac_address is empty")
    try:
        mac = normalize_mac(values["mac_address"])
    except ValueError:
        raise Invalid(f"{where}: column mac_address '{values['mac_address']}' is not a MAC address") from None
    table = values.get("table", "wireless").lower()
    if table not in TABLES:
        raise Invalid(f"{where}: column table '{values['table']}' must be wireless or wifi")
    fields: dict[str, Any] = {"mac_address": mac, "table": table}
    for name, low, high in (("signal", -120, 0), ("snr", 0, 120), ("tx_ccq", 0, 100), ("rx_ccq", 0, 100)):
        if name in values:
            fields[name] = _whole(where, name, values[name], low, high)
    if "uptime" in values:
        try:
            fields["uptime"] = parse_duration(values["uptime"])
        except ValueError:
            raise Invalid(f"{where}: column uptime '{values['uptime']}' is not seconds or a RouterOS "
                          "duration such as 1d2h") from None
    if "last_ip" in values:
        try:
            fields["last_ip"] = str(ipaddress.IPv4Address(values["last_ip"]))
        except ValueError:
            raise Invalid(f"{where}: column last_ip '{values['last_ip']}' is not an IPv4 address") from None
    for name in ("tx_rate", "rx_rate", "interface", "router"):
        if name in values:
            fields[name] = values[name]
    return RegistrationRow(**fields)


def _whole(where: str, name: str, text: str, low: int, high: int) -> int:
    return parse_int_in(text, low, high, f"{where}: column {name}")
