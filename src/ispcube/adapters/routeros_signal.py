"""A CPE's registration on a MikroTik access point, read over the RouterOS API (routeros-api).

RouterOS 6 lists wireless clients in /interface/wireless/registration-table
(`signal-strength=-74dBm@6Mbps`, `signal-to-noise`, `tx-ccq`, `rx-ccq`, uptime `2w6d13:21:53`);
RouterOS 7 with the wifi package in /interface/wifi/registration-table (`signal=-74`, uptime
`2w6d13h21m53s`, no CCQ). A router without one of the menus answers "no such command": the
other one is tried.
"""

from dataclasses import dataclass

from ispcube.domain.signal import parse_rate, parse_signal, parse_uptime
from ispcube.domain.text import quoted
from ispcube.errors import Invalid, RouterAuthError, RouterProtocolError, RouterUnreachable

TABLES = (("wireless", "/interface/wireless/registration-table"),
          ("wifi", "/interface/wifi/registration-table"))
MISSING_MENU = ("no such command", "no such command prefix")
LOGIN_REFUSED = ("invalid user name or password", "cannot log in")


@dataclass(frozen=True)
class RouterAccess:
    name: str
    host: str
    port: int | None
    api_ssl: bool
    username: str | None
    secret: str | None
    timeout: float = 5.0


@dataclass(frozen=True)
class Registration:
    table: str
    interface: str | None
    mac: str
    signal: float | None
    snr: float | None
    tx_ccq: float | None
    rx_ccq: float | None
    tx_rate: str | None
    rx_rate: str | None
    tx_rate_mbps: float | None
    rx_rate_mbps: float | None
    uptime_s: int | None
    last_ip: str | None


def normalise_mac(text: str) -> str:
    digits = "".join(ch for ch in text if ch.isalnum()).upper()
    if len(digits) != 12 or any(ch not in "0123456789ABCDEF" for ch in digits):
        raise Invalid(f"MAC address {quoted(text)} is not six hexadecimal pairs")
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2))


def _trap_text(exc) -> str:
    original = getattr(exc, "original_message", b"")
    return original.decode("utf-8", "replace") if isinstance(original, bytes) else str(original or "")


def find_registration(router: RouterAccess, mac: str) -> Registration | None:
    """The registration of MAC in whichever registration table the router has, or None."""
    import routeros_api
    from routeros_api import exceptions as ros
    wanted = normalise_mac(mac)
    pool = routeros_api.RouterOsApiPool(
        router.host, username=router.username or "admin", password=router.secret or "",
        port=router.port or (8729 if router.api_ssl else 8728), plaintext_login=True,
        use_ssl=router.api_ssl, ssl_verify=False, ssl_verify_hostname=False)
    pool.socket_timeout = router.timeout
    try:
        api = pool.get_api()
        menus = 0
        for table, path in TABLES:
            try:
                rows = api.get_resource(path).get()
            except ros.RouterOsApiCommunicationError as exc:
                if _trap_text(exc).strip() in MISSING_MENU:
                    continue
                raise
            menus += 1
            for row in rows:
                if normalise_mac(row.get("mac-address", "00" * 6)) == wanted:
                    return _registration(table, row)
        if not menus:
            raise RouterProtocolError(f"router {router.name} has no wireless or wifi registration table")
        return None
    except ros.RouterOsApiCommunicationError as exc:
        text = _trap_text(exc)
        if any(refused in text for refused in LOGIN_REFUSED):
            raise RouterAuthError(f"router {router.name} refused the login of user "
                                  f"'{router.username or 'admin'}'") from None
        raise RouterProtocolError(f"router {router.name} answered: {text}") from None
    except (ros.RouterOsApiConnectionError, ros.FatalRouterOsApiError, OSError):
        raise RouterUnreachable(f"router {router.name} ({router.host}) cannot be reached or stopped "
                                "answering") from None
    finally:
        try:
            pool.disconnect()
        except Exception:  # noqa: BLE001 - hanging up a dead connection changes nothing
            pass


def _registration(table: str, row: dict[str, str]) -> Registration:
    signal_text = row.get("signal-strength") or row.get("signal")
    return Registration(
        table=table, interface=row.get("interface"), mac=normalise_mac(row["mac-address"]),
        signal=parse_signal(signal_text)[0] if signal_text else None,
        snr=_float(row.get("signal-to-noise")), tx_ccq=_float(row.get("tx-ccq")), rx_ccq=_float(row.get("rx-ccq")),
        tx_rate=row.get("tx-rate"), rx_rate=row.get("rx-rate"),
        tx_rate_mbps=parse_rate(row["tx-rate"]) if row.get("tx-rate") else None,
        rx_rate_mbps=parse_rate(row["rx-rate"]) if row.get("rx-rate") else None,
        uptime_s=parse_uptime(row["uptime"]) if row.get("uptime") else None,
        last_ip=row.get("last-ip"))


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None
