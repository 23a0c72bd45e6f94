"""`connection add/edit` refuse what no router can hold (A4, R12), on SQLite and PostgreSQL:
exit 1, one sentence naming the field and the value, nothing stored or logged."""

import pytest

BAD_VALUES = [
    ("--ip", "::1", "connection ip '::1' is an IPv6 address"),
    ("--ip", "2001:db8::5", "connection ip '2001:db8::5' is an IPv6 address"),
    ("--ip", "fe80::1%eth0", "connection ip 'fe80::1%eth0' carries a zone id"),
    ("--ip", "0.0.0.0", "connection ip '0.0.0.0' is an unspecified"),
    ("--ip", "255.255.255.255", "connection ip '255.255.255.255' is the broadcast address"),
    ("--ip", "224.0.0.5", "connection ip '224.0.0.5' is a multicast address"),
    ("--ip", "127.0.0.1", "connection ip '127.0.0.1' is a loopback address"),
    ("--ip", "169.254.0.9", "connection ip '169.254.0.9' is a link-local address"),
    ("--ip", "250.1.1.1", "connection ip '250.1.1.1' is a reserved address"),
    ("--mac", "ff:ff:ff:ff:ff:ff", "connection mac 'ff:ff:ff:ff:ff:ff' is the broadcast address"),
    ("--mac", "01:00:5e:00:00:fb", "connection mac '01:00:5e:00:00:fb' is a multicast address"),
    ("--mac", "00-00-00-00-00-00", "connection mac '00-00-00-00-00-00' is all zeros"),
    ("--pppoe-user", "ana\nadmin", "connection pppoe-user 'ana\\nadmin' holds a control character"),
    ("--pppoe-user", "ana\t", "connection pppoe-user 'ana\\t' holds a control character"),
    ("--pppoe-user", " ana", "connection pppoe-user ' ana' starts or ends with a space"),
    ("--pppoe-user", "a" * 65, "is longer than 64 characters"),
]


@pytest.fixture
def net(cli):
    cli.ok("router", "add", "core", "--kind", "mikrotik", "--host", "10.9.0.1")
    cli.ok("client", "add", "--code", "A1", "--name", "Ana", "--address", "Calle 1")
    return cli


def _refused(result, message):
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert message in result.stderr and result.stderr.startswith("ispcube: connection ")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def _connection_events(cli):
    return [e for e in cli.json("client", "log", "A1") if e["kind"].startswith("connection.")]


@pytest.mark.parametrize("flag, value, message", BAD_VALUES, ids=[v[1][:20] for v in BAD_VALUES])
def test_connection_add_refuses_and_stores_nothing(net, flag, value, message):
    base = [] if flag == "--ip" else ["--ip", "10.0.0.5"]
    _refused(net("connection", "add", "A1", "--router", "core", *base, flag, value), message)
    assert net.json("connection", "list") == []
    assert _connection_events(net) == []


@pytest.mark.parametrize("flag, value, message", BAD_VALUES, ids=[v[1][:20] for v in BAD_VALUES])
def test_connection_edit_refuses_and_changes_nothing(net, flag, value, message):
    conn = net.json("connection", "add", "A1", "--router", "core", "--ip", "10.0.0.5",
                    "--mac", "04:18:D6:AA:01:02", "--pppoe-user", "ana")
    before, events = net.json("connection", "list"), _connection_events(net)
    _refused(net("connection", "edit", str(conn["id"]), flag, value), message)
    assert net.json("connection", "list") == before
    assert _connection_events(net) == events


def test_good_values_still_stored_in_one_spelling(net):
    shown = net.json("connection", "add", "A1", "--router", "core", "--ip", " 100.64.0.9 ",
                     "--mac", "02-00-5e-10-00-01", "--pppoe-user", "ana.perez@isp")
    assert (shown["ip"], shown["mac"], shown["pppoe_user"]) == ("100.64.0.9", "02:00:5E:10:00:01", "ana.perez@isp")


@pytest.mark.parametrize("host, message", [
    ("0.0.0.0", "router host '0.0.0.0' is an unspecified, broadcast, multicast or reserved address"),
    ("255.255.255.255", "router host '255.255.255.255' is an unspecified"),
    ("ff02::1", "router host 'ff02::1' is an unspecified"),
    ("core\x1b[2J", "router host 'core\\x1b[2J' is not a host name or IP address"),
])
def test_router_host_nothing_answers_on_refused_on_add_and_edit(net, host, message):
    result = net("router", "add", "r2", "--kind", "mikrotik", "--host", host)
    assert result.exit_code == 1 and message in result.stderr and result.stderr.count("\n") == 1
    edited = net("router", "edit", "core", "--host", host)
    assert edited.exit_code == 1 and message in edited.stderr
    assert [(r["name"], r["host"]) for r in net.json("router", "list")] == [("core", "10.9.0.1")]


def test_one_pppoe_user_per_router(net):
    net.ok("router", "add", "edge", "--kind", "mikrotik", "--host", "10.9.0.3")
    net.ok("client", "add", "--code", "B2", "--name", "Beto", "--address", "Calle 2")
    net.ok("connection", "add", "A1", "--router", "core", "--pppoe-user", "ana")
    taken = net("connection", "add", "B2", "--router", "core", "--pppoe-user", "ana")
    assert taken.exit_code == 1 and "PPPoE user 'ana' is already used on router core by client A1" in taken.stderr
    other = net.json("connection", "add", "B2", "--router", "core", "--pppoe-user", "beto")
    moved = net("connection", "edit", str(other["id"]), "--pppoe-user", "ana")
    assert moved.exit_code == 1 and "by client A1" in moved.stderr
    net.ok("connection", "add", "B2", "--router", "edge", "--pppoe-user", "ana")
    assert [(c["client"], c["router"], c["pppoe_user"]) for c in net.json("connection", "list")] == [
        ("A1", "core", "ana"), ("B2", "core", "beto"), ("B2", "edge", "ana")]


def test_a_deleted_client_gets_no_new_connection(net):
    """As `connection import` refuses it: a deleted client's service is not reachable any more."""
    net.ok("client", "delete", "A1", "--yes")
    deleted = net.json("client", "list", "--deleted")[0]["code"]
    result = net("connection", "add", deleted, "--router", "core", "--ip", "10.9.0.20")
    assert result.exit_code == 1 and "is deleted: restore it" in result.stderr, result.stderr
    assert net.json("connection", "list") == []
