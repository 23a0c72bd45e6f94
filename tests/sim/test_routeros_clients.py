"""The simulator driven by two independent real client libraries: routeros_api and librouteros."""

from __future__ import annotations

from librouteros.exceptions import ConnectionClosed, TrapError
from librouteros.query import And, Key, Or
import pytest
import routeros_api
from routeros_api.exceptions import RouterOsApiCommunicationError, RouterOsApiConnectionError

from ispcube.sim.routeros import RouterOSSimulator

from .conftest import PASSWORD, USERNAME, lib_connect, ros_api_pool

# ---------------------------------------------------------------- routeros_api


def test_routeros_api_login_and_identity(router: RouterOSSimulator, ros_api) -> None:
    rows = ros_api.get_resource("/system/identity").get()
    assert rows == [{"name": "test-router"}]
    resource = ros_api.get_resource("/system/resource").get()[0]
    assert resource["version"] == "6.49.10"
    assert resource["board-name"] == "CHR"
    assert router.logins == 1


def test_routeros_api_wrong_password_raises(router: RouterOSSimulator) -> None:
    pool = ros_api_pool(router, password="wrong")
    with pytest.raises(RouterOsApiCommunicationError, match="invalid user name or password"):
        pool.get_api()
    pool.disconnect()
    assert router.failed_logins == 1 and router.logins == 0


def test_routeros_api_address_list_add_print_remove(router: RouterOSSimulator, ros_api) -> None:
    address_list = ros_api.get_resource("/ip/firewall/address-list")
    response = address_list.add(list="blocked", address="10.1.0.5", comment="unpaid")
    new_id = response.done_message["ret"]
    assert new_id == "*1"
    address_list.add(list="other", address="10.1.0.6")

    rows = address_list.get(list="blocked")
    assert [(row["id"], row["address"], row["comment"]) for row in rows] == [("*1", "10.1.0.5", "unpaid")]
    assert rows[0]["dynamic"] == "false"

    address_list.remove(id=new_id)
    assert address_list.get(list="blocked") == []
    assert [row["address"] for row in router.address_list()] == ["10.1.0.6"]


def test_routeros_api_duplicate_add_raises(ros_api) -> None:
    address_list = ros_api.get_resource("/ip/firewall/address-list")
    address_list.add(list="blocked", address="10.1.0.5")
    with pytest.raises(RouterOsApiCommunicationError, match="already have such entry"):
        address_list.add(list="blocked", address="10.1.0.5/32")


def test_routeros_api_stale_remove_raises(router: RouterOSSimulator, ros_api) -> None:
    entry_id = router.add_address("blocked", "10.1.0.5")
    address_list = ros_api.get_resource("/ip/firewall/address-list")
    address_list.remove(id=entry_id)
    with pytest.raises(RouterOsApiCommunicationError, match="no such item"):
        address_list.remove(id=entry_id)


def test_routeros_api_ppp_secret_disable_via_set(router: RouterOSSimulator, ros_api) -> None:
    router.add_ppp_secret("client-7", password="pw", profile="10M", remote_address="100.64.0.7")
    secrets = ros_api.get_resource("/ppp/secret")
    [secret] = secrets.get(name="client-7")
    assert secret["disabled"] == "false" and secret["profile"] == "10M"
    secrets.set(id=secret["id"], disabled="yes", comment="suspended")
    [secret] = secrets.get(name="client-7")
    assert secret["disabled"] == "true" and secret["comment"] == "suspended"
    assert router.ppp_secrets()[0]["disabled"] == "true"


def test_routeros_api_ppp_secret_add_and_duplicate(ros_api) -> None:
    secrets = ros_api.get_resource("/ppp/secret")
    secrets.add(name="client-8", password="pw", service="pppoe", profile="default")
    with pytest.raises(RouterOsApiCommunicationError, match="secret with the same name already exists"):
        secrets.add(name="client-8", password="other")
    with pytest.raises(RouterOsApiCommunicationError, match="invalid value for argument service"):
        secrets.add(name="client-9", service="carrier-pigeon")


def test_routeros_api_ppp_active_remove(router: RouterOSSimulator, ros_api) -> None:
    router.add_ppp_active("client-7", address="100.64.0.7", caller_id="AA:BB:CC:00:00:07", uptime="1h")
    router.add_ppp_active("client-8", address="100.64.0.8", uptime=60)
    active = ros_api.get_resource("/ppp/active")
    [session] = active.get(name="client-7")
    assert session["address"] == "100.64.0.7" and session["uptime"] == "1h" and session["service"] == "pppoe"
    active.remove(id=session["id"])
    assert [row["name"] for row in router.ppp_active()] == ["client-8"]


def test_routeros_api_registration_tables_in_both_shapes(router: RouterOSSimulator, ros_api) -> None:
    router.add_registration(
        "aa:bb:cc:dd:ee:01", signal=-74, tx_ccq=91, rx_ccq=88, uptime="2w6d13:21:53", last_ip="10.9.0.1",
        tx_rate="65Mbps-20MHz/1S/SGI", rx_rate="6Mbps",
    )
    router.add_registration("aa:bb:cc:dd:ee:02", table="wifi", signal=-61, uptime="1h2m3s")

    [old] = ros_api.get_resource("/interface/wireless/registration-table").get()
    assert old["interface"] == "wlan1"
    assert old["mac-address"] == "AA:BB:CC:DD:EE:01"
    assert old["signal-strength"] == "-74dBm@6Mbps"
    assert old["signal-to-noise"] == "26"
    assert (old["tx-ccq"], old["rx-ccq"]) == ("91", "88")
    assert old["uptime"] == "2w6d13:21:53"
    assert old["last-ip"] == "10.9.0.1"
    assert old["tx-rate"] == "65Mbps-20MHz/1S/SGI"

    [new] = ros_api.get_resource("/interface/wifi/registration-table").get()
    assert new["interface"] == "wifi1"
    assert new["signal"] == "-61"
    assert new["uptime"] == "1h2m3s"
    assert {"tx-rate", "rx-rate", "mac-address"} <= new.keys()


def test_routeros_api_timeout_entry_expires(router: RouterOSSimulator, ros_api) -> None:
    address_list = ros_api.get_resource("/ip/firewall/address-list")
    address_list.add(list="grace", address="10.2.0.1", timeout="1h")
    address_list.add(list="grace", address="10.2.0.2")
    router.advance_clock(1200)
    timed = address_list.get(address="10.2.0.1")[0]
    assert timed["timeout"] == "40m" and timed["dynamic"] == "true"
    router.advance_clock(2400)
    assert [row["address"] for row in address_list.get(list="grace")] == ["10.2.0.2"]


def test_routeros_api_binary_resource_call(ros_api) -> None:
    response = ros_api.get_binary_resource("/").call("system/identity/print")
    assert response[0]["name"] == b"test-router"


def test_routeros_api_dropped_reply_raises_connection_error(router: RouterOSSimulator, ros_api) -> None:
    router.drop_mid_reply = True
    with pytest.raises(RouterOsApiConnectionError):
        ros_api.get_resource("/ip/firewall/address-list").get()


def test_routeros_api_refused_connection_raises(router: RouterOSSimulator) -> None:
    router.refuse_connections = True
    pool = ros_api_pool(router)
    with pytest.raises(RouterOsApiConnectionError):
        pool.get_api()
    pool.disconnect()


def test_routeros_api_old_challenge_login_on_old_version() -> None:
    with RouterOSSimulator(password="pw", version="6.40.9") as old_router:
        pool = routeros_api.RouterOsApiPool(old_router.host, password="pw", port=old_router.port)
        pool.socket_timeout = 5
        try:
            api = pool.get_api()
            assert api.get_resource("/system/identity").get() == [{"name": "sim"}]
        finally:
            pool.disconnect()
        bad = routeros_api.RouterOsApiPool(old_router.host, password="nope", port=old_router.port)
        with pytest.raises(RouterOsApiCommunicationError, match="cannot log in"):
            bad.get_api()
        bad.disconnect()


def test_routeros_api_challenge_login_refused_on_new_version(router: RouterOSSimulator) -> None:
    pool = routeros_api.RouterOsApiPool(router.host, username=USERNAME, password=PASSWORD, port=router.port)
    with pytest.raises(RouterOsApiCommunicationError, match="invalid user name or password"):
        pool.get_api()
    pool.disconnect()


# ---------------------------------------------------------------- librouteros


def test_librouteros_login_and_wrong_password(router: RouterOSSimulator, lib_api) -> None:
    assert tuple(lib_api.path("system", "identity")) == ({"name": "test-router"},)
    with pytest.raises(TrapError, match="invalid user name or password"):
        lib_connect(router, password="wrong")


def test_librouteros_address_list_essentials(router: RouterOSSimulator, lib_api) -> None:
    address_list = lib_api.path("ip", "firewall", "address-list")
    first = address_list.add(list="blocked", address="10.3.0.1", comment="unpaid")
    second = address_list.add(list="blocked", address="10.3.0.2")
    address_list.add(list="allowed", address="10.3.0.3")
    assert (first, second) == ("*1", "*2")

    listed = [row["address"] for row in address_list if row["list"] == "blocked"]
    assert listed == ["10.3.0.1", "10.3.0.2"]

    with pytest.raises(TrapError, match="already have such entry"):
        address_list.add(list="blocked", address="10.3.0.1")

    address_list.remove(first, second)
    assert [row["address"] for row in router.address_list()] == ["10.3.0.3"]
    with pytest.raises(TrapError, match="no such item"):
        address_list.remove(first)


def test_librouteros_where_queries(router: RouterOSSimulator, lib_api) -> None:
    for number, list_name in enumerate(["blocked", "blocked", "allowed", "vip"], start=1):
        router.add_address(list_name, f"10.4.0.{number}")
    address_list = lib_api.path("ip", "firewall", "address-list")
    list_key, address_key, id_key = Key("list"), Key("address"), Key(".id")

    by_list = address_list.select(address_key).where(list_key == "blocked")
    assert list(by_list) == [{"address": "10.4.0.1"}, {"address": "10.4.0.2"}]

    by_address = address_list.select(id_key, list_key).where(address_key == "10.4.0.3")
    assert list(by_address) == [{".id": "*3", "list": "allowed"}]

    either = address_list.select(address_key).where(Or(list_key == "allowed", list_key == "vip"))
    assert [row["address"] for row in either] == ["10.4.0.3", "10.4.0.4"]

    within = address_list.select(address_key).where(list_key.In("vip", "allowed"))
    assert [row["address"] for row in within] == ["10.4.0.3", "10.4.0.4"]

    negated = address_list.select(address_key).where(list_key != "blocked")
    assert [row["address"] for row in negated] == ["10.4.0.3", "10.4.0.4"]

    both = address_list.select(address_key).where(And(list_key == "blocked", address_key == "10.4.0.2"))
    assert list(both) == [{"address": "10.4.0.2"}]


def test_librouteros_ppp_and_registrations(router: RouterOSSimulator, lib_api) -> None:
    secret_id = router.add_ppp_secret("client-1", password="pw")
    lib_api.path("ppp", "secret").update(**{".id": secret_id, "disabled": True})
    [secret] = lib_api.path("ppp", "secret").select(Key("name"), Key("disabled"))
    assert secret == {"name": "client-1", "disabled": True}

    router.add_ppp_active("client-1", address="100.64.0.1")
    [session] = lib_api.path("ppp", "active")
    lib_api.path("ppp", "active").remove(session[".id"])
    assert router.ppp_active() == []

    router.add_registration("aa:bb:cc:dd:ee:03", signal=-70)
    [row] = lib_api.path("interface", "wireless", "registration-table")
    assert row["signal-strength"] == "-70dBm@6Mbps"


def test_librouteros_timeout_entry_expires(router: RouterOSSimulator, lib_api) -> None:
    address_list = lib_api.path("ip", "firewall", "address-list")
    address_list.add(list="grace", address="10.5.0.1", timeout="00:05:00")
    assert [row["timeout"] for row in address_list] == ["5m"]
    router.advance_clock(300)
    assert list(address_list) == []


def test_librouteros_dropped_reply_raises(router: RouterOSSimulator, lib_api) -> None:
    router.drop_after_words = 3
    router.add_address("blocked", "10.6.0.1")
    with pytest.raises(ConnectionClosed):
        list(lib_api.path("ip", "firewall", "address-list"))


def test_librouteros_refused_and_failed_logins(router: RouterOSSimulator) -> None:
    router.refuse_connections = True
    with pytest.raises((ConnectionClosed, ConnectionError)):
        lib_connect(router)
    router.refuse_connections = False
    router.fail_login = True
    with pytest.raises(TrapError, match="invalid user name or password"):
        lib_connect(router)
    router.fail_login = False
    lib_connect(router).close()
    assert router.failed_logins == 1 and router.logins == 1


def test_librouteros_unknown_command_traps(lib_api) -> None:
    with pytest.raises(TrapError, match="no such command prefix"):
        tuple(lib_api("/no/such/menu/print"))
    with pytest.raises(TrapError, match="unknown parameter"):
        lib_api.path("ip", "firewall", "address-list").add(list="x", address="10.0.0.1", colour="red")


def test_librouteros_system_resource(lib_api) -> None:
    [resource] = lib_api.path("system", "resource")
    assert resource["version"] == "6.49.10" and resource["uptime"] == "0s"
