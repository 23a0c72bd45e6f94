"""Ubiquiti airOS CPEs over their web interface: log in, read /status.cgi.

airOS 8 logs in with POST /api/auth (JSON), answering an `X-CSRF-ID` header and an `AIROS_*`
cookie that later requests carry. airOS 6 has no /api/auth (404): GET /login.cgi hands out an
`AIROS_SESSIONID` cookie, POST /login.cgi with the credentials answers 302 when they are right
and the login page again when they are wrong. Radios carry self-signed certificates, so this
one session (and nothing else in ispcube) skips certificate checks.
"""

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator
import warnings

from ispcube.errors import IspcubeError


class CpeError(IspcubeError):
    """The CPE could not be read."""


class CpeUnreachable(CpeError):
    """No answer: refused, timed out or dropped."""


class CpeLoginRefused(CpeError):
    """Every configured password was refused."""


class NotAirOS(CpeError):
    """Something answers, but not as an airOS device does."""


@dataclass(frozen=True)
class AirOSStatus:
    airos: int
    device_name: str | None
    model: str | None
    firmware: str | None
    uptime_s: int | None
    ssid: str | None
    mode: str | None
    signal: float | None
    noise: float | None
    ccq: float | None
    airmax_quality: float | None
    airmax_capacity: float | None
    capacity_down_mbps: float | None = None
    capacity_up_mbps: float | None = None


@contextmanager
def _quiet_tls() -> Iterator[None]:
    import urllib3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
        yield


def read_status(host: str, passwords: list[str], *, username: str = "ubnt", port: int | None = None,
                timeout: float = 5.0) -> AirOSStatus:
    """Log in with the first password the CPE accepts and read its status."""
    import requests
    session = requests.Session()
    # A CPE is on the ISP's own network: no proxy from the environment, and no CA bundle from
    # it either (REQUESTS_CA_BUNDLE would silently override verify=False).
    session.trust_env = False
    session.verify = False
    with _quiet_tls(), session:
        try:
            base = _reachable_base(session, host, port, timeout)
            airos = _login(session, base, username, passwords, timeout)
            answer = session.get(f"{base}/status.cgi", timeout=timeout, allow_redirects=False)
        except requests.Timeout:
            raise CpeUnreachable(f"the CPE at {host} did not answer within {timeout:g} s") from None
        except requests.RequestException:
            raise CpeUnreachable(f"the CPE at {host} dropped the connection") from None
    if answer.status_code != 200:
        raise CpeError(f"the CPE at {host} accepted the login but refused /status.cgi (HTTP {answer.status_code})")
    try:
        document = answer.json()
    except ValueError:
        raise NotAirOS(f"the device at {host} is not an airOS CPE: /status.cgi is not JSON") from None
    if not isinstance(document, dict) or not {"host", "wireless"} <= set(document):
        raise NotAirOS(f"the device at {host} is not an airOS CPE: /status.cgi has no host and wireless data")
    return parse_status(document, airos)


def _reachable_base(session, host: str, port: int | None, timeout: float) -> str:
    """HTTPS first (airOS 8 default), plain HTTP second (airOS 6 default)."""
    import requests
    name = f"[{host}]" if ":" in host else host
    candidates = [f"https://{name}:{port or 443}", f"http://{name}:{port or 80}"]
    for base in candidates:
        try:
            session.get(f"{base}/", timeout=timeout, allow_redirects=False)
            return base
        except requests.Timeout:
            raise
        except requests.ConnectionError:
            continue
    ports = f"port {port}" if port else "ports 443 and 80"
    raise CpeUnreachable(f"the CPE at {host} refuses connections on {ports}")


def _login(session, base: str, username: str, passwords: list[str], timeout: float) -> int:
    for password in passwords:
        answer = session.post(f"{base}/api/auth", json={"username": username, "password": password},
                              timeout=timeout, allow_redirects=False)
        if answer.status_code in (401, 403):
            continue
        if answer.status_code == 200 and answer.headers.get("X-CSRF-ID"):
            session.headers["X-CSRF-ID"] = answer.headers["X-CSRF-ID"]
            return 8
        break  # no airOS 8 login here: try airOS 6
    else:
        raise CpeLoginRefused(_refused(base, passwords))
    page = session.get(f"{base}/login.cgi", timeout=timeout, allow_redirects=False)
    if page.status_code != 200 or not any(c.name.startswith("AIROS_") for c in session.cookies):
        raise NotAirOS(f"the device at {_host(base)} is not an airOS CPE (no airOS login page)")
    for password in passwords:
        answer = session.post(f"{base}/login.cgi", data={"uri": "", "username": username, "password": password},
                              timeout=timeout, allow_redirects=False)
        if answer.status_code in (301, 302, 303) and "login.cgi" not in answer.headers.get("Location", ""):
            return 6
    raise CpeLoginRefused(_refused(base, passwords))


def _host(base: str) -> str:
    return base.split("://", 1)[1].rsplit(":", 1)[0].strip("[]")


def _refused(base: str, passwords: list[str]) -> str:
    return (f"the CPE at {_host(base)} refused all {len(passwords)} configured password(s) "
            "(`ispcube config set cpe.passwords -`)")


def parse_status(doc: dict[str, Any], airos: int) -> AirOSStatus:
    from ispcube.domain.signal import ccq_from_tenths
    host, wireless = doc.get("host", {}), doc.get("wireless", {})
    common = dict(airos=airos, device_name=host.get("hostname"), model=(host.get("devmodel") or "").strip() or None,
                  firmware=host.get("fwversion"), uptime_s=host.get("uptime"), ssid=wireless.get("essid"),
                  mode=wireless.get("mode"), noise=_number(wireless.get("noisef")))
    if airos == 6:
        polling = wireless.get("polling") or {}
        airmax_on = bool(polling.get("enabled"))
        ccq = wireless.get("ccq")
        return AirOSStatus(**common, signal=_number(wireless.get("signal")),
                           ccq=ccq_from_tenths(ccq) if ccq is not None else None,
                           airmax_quality=_number(polling.get("quality")) if airmax_on else None,
                           airmax_capacity=_number(polling.get("capacity")) if airmax_on else None)
    # airOS 8 has no CCQ: the link score and the capacity against the expected capacity replace it.
    station = (wireless.get("sta") or [{}])[0]
    polling = wireless.get("polling") or {}
    scores = [s for s in (station.get("dl_linkscore"), station.get("ul_linkscore")) if s is not None]
    capacity = (station.get("airmax") or {}).get("cb_capacity", polling.get("cb_capacity"))
    expected = station.get("cb_capacity_expect")
    return AirOSStatus(**common, signal=_number(station.get("signal", wireless.get("signal"))), ccq=None,
                       airmax_quality=float(min(scores)) if scores else None,
                       airmax_capacity=round(min(100.0, 100.0 * capacity / expected), 1)
                       if capacity is not None and expected else None,
                       capacity_down_mbps=_mbps(polling.get("dl_capacity")),
                       capacity_up_mbps=_mbps(polling.get("ul_capacity")))


def _number(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _mbps(kbps: Any) -> float | None:
    value = _number(kbps)
    return round(value / 1000, 1) if value is not None else None
