"""A connection's IP, MAC, PPPoE user and password (A4, R12, S1): only what a router can be made to hold.

Enforcement puts the IP in a MikroTik IPv4 address-list (`/ip/firewall/address-list`) and
finds PPPoE users by name on the router or in FreeRADIUS; a value the router would refuse
(or one that would cut the wrong hosts) is refused here, when it is typed, instead of failing
every enforce run afterwards. Each function returns the one spelling that is stored.
A router's own --host follows looser rules: ispcube only opens a TCP connection to it, so a
loopback, link-local or IPv6 address is fine there.
"""

from enum import StrEnum
import ipaddress
import re
import unicodedata

from ispcube.errors import Invalid

_MAC = re.compile(r"[0-9A-Fa-f]{2}([:-]?)(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}")
# FreeRADIUS's SQL schema keeps user names in 64 characters (radusergroup, radacct); the same
# limit on MikroTik keeps a connection movable between the two kinds of router.
PPPOE_USER_MAX = 64
PPPOE_PASSWORD_MAX = 100      # the width of connections.pppoe_password
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
_BROADCAST = ipaddress.ip_address("255.255.255.255")
HOST_MAX = 253                # the longest DNS name
_HOST_NAME = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?")


def _shown(text: str) -> str:
    """The value as it goes in a message: one line (control characters escaped), and short."""
    flat = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in str(text))
    return flat if len(flat) <= 80 else flat[:77] + "..."


class _Named:
    """The field and value a message starts with ("connection ip '...'"), spelled out only
    when a message is written: a large import parses many values and refuses few."""
    __slots__ = ("what", "text")

    def __init__(self, what: str, text: str):
        self.what, self.text = what, text

    def __format__(self, spec: str) -> str:
        return f"{self.what} '{_shown(self.text)}'"


def parse_ip(text: str) -> str:
    """A client's IPv4 address, refused when no router could cut it by address."""
    raw = str(text).strip()
    field = _Named("connection ip", text)
    if "%" in raw:
        raise Invalid(f"{field} carries a zone id: give the bare IPv4 address of the client")
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        raise Invalid(f"{field} is not an IP address") from None
    if address.version == 6:
        raise Invalid(f"{field} is an IPv6 address: routers cut by IPv4 address-list and RADIUS by "
                      "PPPoE user, so give the client's IPv4 address or only --pppoe-user")
    why = _unusable_why(address)
    if why:
        raise Invalid(f"{field} is {why}, not an address a client can be given")
    return str(address)


def _unusable_why(address: ipaddress.IPv4Address) -> str | None:
    if address == _BROADCAST:
        return "the broadcast address"
    if address.is_unspecified or address in _THIS_NETWORK:
        return "an unspecified ('this network') address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_reserved:
        return "a reserved address"
    return None


def parse_mac(text: str) -> str:
    """A client device's MAC as AA:BB:CC:DD:EE:FF; group and empty addresses are refused."""
    raw = str(text).strip()
    field = _Named("connection mac", text)
    if not _MAC.fullmatch(raw):
        raise Invalid(f"{field} is not a MAC address (like 04:18:D6:AA:01:02)")
    digits = re.sub(r"[^0-9A-Fa-f]", "", raw).upper()
    if digits == "F" * 12:
        raise Invalid(f"{field} is the broadcast address, not a device's")
    if digits == "0" * 12:
        raise Invalid(f"{field} is all zeros, not a device's address")
    if int(digits[:2], 16) & 1:
        raise Invalid(f"{field} is a multicast address (odd first octet), not a device's")
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2))


def parse_pppoe_user(text: str) -> str:
    """A PPPoE user name exactly as the router and RADIUS will be asked for it."""
    name = str(text)
    field = _Named("connection pppoe-user", text)
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name):
        raise Invalid(f"{field} holds a control character (a newline, tab or similar)")
    if name != name.strip():
        raise Invalid(f"{field} starts or ends with a space: the router would hold a name no CPE sends")
    if len(name) > PPPOE_USER_MAX:
        raise Invalid(f"{field} is longer than {PPPOE_USER_MAX} characters")
    return name


def parse_pppoe_password(text: str) -> str:
    """A PPPoE password as the router and RADIUS will hold it. A refusal never repeats the
    value: it is a secret, and the sentence may land in a terminal's scrollback or a log."""
    password = str(text)
    if not password:
        raise Invalid("connection pppoe-password is empty: give one line with the password")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in password):
        raise Invalid("connection pppoe-password holds a control character (a tab or similar): "
                      "a CPE cannot send it")
    if len(password) > PPPOE_PASSWORD_MAX:
        raise Invalid(f"connection pppoe-password is longer than {PPPOE_PASSWORD_MAX} characters")
    return password


CPE_KINDS = ("ubiquiti", "mikrotik", "other")


def parse_cpe_kind(text: str) -> str:
    """The kind of a client's CPE, one of CPE_KINDS."""
    kind = str(text).strip().lower()
    if kind not in CPE_KINDS:
        raise Invalid(f"connection cpe-kind '{text}' is not one of {', '.join(CPE_KINDS)}")
    return kind


class Lacks(StrEnum):
    """What keeps a connection from being cut and restored on its router."""
    ADDRESS = "address"            # neither an IP nor a PPPoE user: nothing to find it by
    PPPOE_USER = "pppoe_user"      # its router finds clients only by PPPoE user


def connection_lacks(ip: str | None, pppoe_user: str | None, *, by_pppoe_user_only: bool) -> Lacks | None:
    """What a connection with IP and PPPOE_USER lacks on a router that finds clients only by
    PPPoE user (BY_PPPOE_USER_ONLY) or also by address; None when nothing."""
    if not ip and not pppoe_user:
        return Lacks.ADDRESS
    if by_pppoe_user_only and not pppoe_user:
        return Lacks.PPPOE_USER
    return None


def parse_router_host(text: str) -> str:
    """A router's API or NAS address: a host name, or an IP address a TCP connection can reach."""
    host = str(text).strip()
    field = f"router host '{_shown(text)}'"
    looks_numeric = host.replace(".", "").isdigit() or ":" in host
    address = _address(host) if looks_numeric else None
    well_formed = address is not None if looks_numeric else _HOST_NAME.fullmatch(host) is not None
    if not well_formed:
        raise Invalid(f"{field} is not a host name or IP address")
    if len(host) > HOST_MAX:
        raise Invalid(f"{field} is longer than {HOST_MAX} characters, the longest host name")
    if address is not None and (address.is_unspecified or address.is_multicast or address == _BROADCAST
                                or (address.version == 4 and address.is_reserved)):
        raise Invalid(f"{field} is an unspecified, broadcast, multicast or reserved address, "
                      "which no router answers on")
    return host


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None
