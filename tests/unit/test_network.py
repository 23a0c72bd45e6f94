"""Connection addresses (A4, R12): the values a router can hold, and one stored spelling."""

import pytest

from ispcube.domain.network import (
    PPPOE_USER_MAX,
    Lacks,
    connection_lacks,
    parse_cpe_kind,
    parse_ip,
    parse_mac,
    parse_pppoe_password,
    parse_pppoe_user,
    parse_router_host,
)
from ispcube.errors import Invalid


@pytest.mark.parametrize("text, stored", [
    ("10.0.0.5", "10.0.0.5"), (" 192.168.1.20 ", "192.168.1.20"), ("100.64.3.9", "100.64.3.9"),
    ("45.160.12.7", "45.160.12.7"), ("172.16.0.1", "172.16.0.1"), ("10.255.255.255", "10.255.255.255"),
])
def test_client_addresses_accepted(text, stored):
    assert parse_ip(text) == stored


@pytest.mark.parametrize("text, why", [
    ("10.0.0.256", "is not an IP address"),
    ("10.0.0", "is not an IP address"),
    ("010.0.0.1", "is not an IP address"),
    ("10.0.0.1/24", "is not an IP address"),
    ("", "is not an IP address"),
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "unspecified"),
    ("127.0.0.1", "loopback"),
    ("127.8.8.8", "loopback"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("169.254.10.1", "link-local"),
    ("255.255.255.255", "broadcast"),
    ("240.0.0.1", "reserved"),
    ("::1", "IPv6"),
    ("2001:db8::5", "IPv6"),
    ("::ffff:10.0.0.5", "IPv6"),
    ("fe80::1%eth0", "zone id"),
    ("10.0.0.5%eth0", "zone id"),
])
def test_addresses_no_router_can_cut_refused(text, why):
    with pytest.raises(Invalid) as caught:
        parse_ip(text)
    message = str(caught.value)
    assert message.startswith(f"connection ip '{text}' ") and why in message


@pytest.mark.parametrize("text, stored", [
    ("04:18:d6:aa:01:02", "04:18:D6:AA:01:02"), ("04-18-D6-AA-01-02", "04:18:D6:AA:01:02"),
    ("0418D6AA0102", "04:18:D6:AA:01:02"), (" 02:00:00:00:00:01 ", "02:00:00:00:00:01"),
])
def test_device_macs_accepted_in_one_spelling(text, stored):
    assert parse_mac(text) == stored


@pytest.mark.parametrize("text, why", [
    ("zz", "is not a MAC address"),
    ("04:18:d6:aa:01", "is not a MAC address"),
    ("04:18-d6:aa:01:02", "is not a MAC address"),
    ("ff:ff:ff:ff:ff:ff", "broadcast"),
    ("FF-FF-FF-FF-FF-FF", "broadcast"),
    ("00:00:00:00:00:00", "all zeros"),
    ("01:00:5e:00:00:01", "multicast"),
    ("33:33:00:00:00:01", "multicast"),
    ("05:18:d6:aa:01:02", "multicast"),
])
def test_group_and_empty_macs_refused(text, why):
    with pytest.raises(Invalid, match=why):
        parse_mac(text)


@pytest.mark.parametrize("text", ["ana", "ana.perez@isp", "juan perez", "ñandú-01", "x" * PPPOE_USER_MAX])
def test_pppoe_users_accepted_as_given(text):
    assert parse_pppoe_user(text) == text


@pytest.mark.parametrize("text, why", [
    ("ana\nroot", "control character"), ("ana\r", "control character"), ("a\tb", "control character"),
    ("ana\x00", "control character"), ("ana\x7f", "control character"), ("ana\u2028b", "control character"),
    ("ana\u200b", "control character"),
    (" ana", "space"), ("ana ", "space"), ("x" * (PPPOE_USER_MAX + 1), f"longer than {PPPOE_USER_MAX}"),
])
def test_pppoe_users_a_router_cannot_take_refused(text, why):
    with pytest.raises(Invalid) as caught:
        parse_pppoe_user(text)
    message = str(caught.value)
    assert message.startswith("connection pppoe-user '") and why in message and "\n" not in message


@pytest.mark.parametrize("text, stored", [
    ("core.isp.example", "core.isp.example"), (" 10.9.0.1 ", "10.9.0.1"), ("127.0.0.1", "127.0.0.1"),
    ("::1", "::1"), ("2001:db8::1", "2001:db8::1"), ("fe80::1%eth0", "fe80::1%eth0"), ("h" * 253, "h" * 253),
])
def test_router_hosts_reachable_over_tcp_accepted(text, stored):
    assert parse_router_host(text) == stored


@pytest.mark.parametrize("text, why", [
    ("999.1.1.1", "is not a host name or IP address"), ("fe80::zz", "is not a host name or IP address"),
    ("core isp", "is not a host name or IP address"), ("core\x00", "is not a host name or IP address"),
    ("core\\x", "is not a host name or IP address"),
    ("a..b", "is not a host name or IP address"),
    ("core\x1b[2J", "is not a host name or IP address"), ("http://core", "is not a host name or IP address"),
    ("", "is not a host name or IP address"), ("h" * 254, "longer than 253"),
    ("0.0.0.0", "unspecified"), ("::", "unspecified"), ("255.255.255.255", "broadcast"),
    ("224.0.0.1", "multicast"), ("ff02::1", "multicast"), ("240.0.0.1", "reserved"),
])
def test_router_hosts_nothing_answers_on_refused(text, why):
    with pytest.raises(Invalid) as caught:
        parse_router_host(text)
    message = str(caught.value)
    assert message.startswith("router host '") and why in message and "\n" not in message


@pytest.mark.parametrize("ip, user, by_user_only, lacks", [
    ("10.0.0.5", None, False, None), (None, "ana", False, None), ("10.0.0.5", "ana", False, None),
    (None, "ana", True, None), ("10.0.0.5", "ana", True, None),
    (None, None, False, Lacks.ADDRESS), ("", "", True, Lacks.ADDRESS),
    ("10.0.0.5", None, True, Lacks.PPPOE_USER), ("10.0.0.5", "", True, Lacks.PPPOE_USER),
])
def test_what_a_connection_lacks_on_its_router(ip, user, by_user_only, lacks):
    assert connection_lacks(ip, user, by_pppoe_user_only=by_user_only) == lacks


def test_cpe_kinds_one_spelling_and_the_rest_refused():
    assert parse_cpe_kind(" Ubiquiti ") == "ubiquiti"
    with pytest.raises(Invalid, match="^connection cpe-kind 'cisco' is not one of ubiquiti, mikrotik, other$"):
        parse_cpe_kind("cisco")


@pytest.mark.parametrize("text", ["a", "Clave Vieja 2019", " espacios ", "ñandú=\"'`$", "x" * 100])
def test_pppoe_passwords_kept_as_given(text):
    assert parse_pppoe_password(text) == text


@pytest.mark.parametrize("text, why", [
    ("", "is empty"), ("tab\there", "holds a control character"), ("new\nline", "holds a control character"),
    ("zero\u200bwidth", "holds a control character"), ("x" * 101, "is longer than 100 characters"),
])
def test_pppoe_passwords_no_cpe_can_send_refused_without_repeating_them(text, why):
    with pytest.raises(Invalid) as refused:
        parse_pppoe_password(text)
    assert str(refused.value).startswith(f"connection pppoe-password {why}")
    assert not text or text not in str(refused.value)
