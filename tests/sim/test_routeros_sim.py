"""The simulator over raw sockets, its fault switches, counters and Python API."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
import shutil
import ssl
import subprocess
import threading
import time

from librouteros.exceptions import TrapError
import pytest
import routeros_api

from ispcube.sim.routeros import DEFAULT_TRAP_MESSAGE, RouterOSSimulator, serve_forever
from ispcube.sim.routeros_state import CommandTrap

from .conftest import PASSWORD, USERNAME, RawClient, lib_connect

# ---------------------------------------------------------------- raw wire behaviour


@pytest.mark.parametrize(("size", "prefix_length"), [(200, 2), (20_000, 3), (3_000_000, 4)])
def test_long_words_round_trip(raw: RawClient, size: int, prefix_length: int) -> None:
    raw.login()
    comment = "c" * size
    assert raw.call("/ip/firewall/address-list/add", "=list=big", "=address=10.0.0.1", f"=comment={comment}") == [
        ["!done", "=ret=*1"]
    ]
    raw.length_prefixes.clear()
    [row, done] = raw.call("/ip/firewall/address-list/print", "=.proplist=comment")
    assert row == ["!re", f"=comment={comment}"] and done == ["!done"]
    assert len(raw.length_prefixes[1]) == prefix_length  # the comment word used the long length form


def test_commands_before_login_are_refused_with_fatal(raw: RawClient) -> None:
    assert raw.call("/system/identity/print") == [["!fatal", "not logged in"]]
    assert raw.is_closed()


def test_login_replies(raw: RawClient) -> None:
    assert raw.login(password="wrong") == [["!trap", "=message=invalid user name or password (6)"], ["!done"]]
    assert raw.login() == [["!done"]]


def test_unknown_commands_trap_then_done(raw: RawClient) -> None:
    raw.login()
    assert raw.call("/foo/bar") == [["!trap", "=message=no such command prefix"], ["!done"]]
    assert raw.call("/ip/firewall/address-list/frobnicate") == [
        ["!trap", "=message=no such command"], ["!done"],
    ]
    assert raw.call("/ppp/active/add", "=name=x") == [["!trap", "=message=no such command"], ["!done"]]
    assert raw.call("/ip/firewall/print")[0] == ["!trap", "=message=no such command"]


def test_tag_is_echoed_on_every_reply_sentence(router: RouterOSSimulator, raw: RawClient) -> None:
    raw.login()
    router.add_address("a", "10.0.0.1")
    router.add_address("a", "10.0.0.2")
    reply = raw.call("/ip/firewall/address-list/print", ".tag=7", "=.proplist=address")
    assert reply == [
        ["!re", ".tag=7", "=address=10.0.0.1"],
        ["!re", ".tag=7", "=address=10.0.0.2"],
        ["!done", ".tag=7"],
    ]
    assert raw.call("/ip/firewall/address-list/remove", "=.id=*9", ".tag=x1") == [
        ["!trap", ".tag=x1", "=message=no such item"], ["!done", ".tag=x1"],
    ]


def test_raw_queries_proplist_and_count_only(router: RouterOSSimulator, raw: RawClient) -> None:
    raw.login()
    for number, list_name in enumerate(["a", "b", "c"], start=1):
        router.add_address(list_name, f"10.0.0.{number}")
    reply = raw.call("/ip/firewall/address-list/print", "?list=a", "?list=c", "?#|", "=.proplist=.id,list")
    assert reply == [["!re", "=.id=*1", "=list=a"], ["!re", "=.id=*3", "=list=c"], ["!done"]]
    assert raw.call("/ip/firewall/address-list/print", "=count-only=", "?#") [0] == ["!done", "=ret=3"]
    assert raw.call("/ip/firewall/address-list/print", "?#&")[0] == [
        "!trap", "=category=1", "=message=unknown query operation",
    ]


def test_comma_separated_remove_is_all_or_nothing(router: RouterOSSimulator, raw: RawClient) -> None:
    raw.login()
    first = router.add_address("a", "10.0.0.1")
    second = router.add_address("a", "10.0.0.2")
    assert raw.call("/ip/firewall/address-list/remove", f"=.id={first},*77")[0][0] == "!trap"
    assert len(router.address_list()) == 2
    assert raw.call("/ip/firewall/address-list/remove", f"=.id={first},{second}") == [["!done"]]
    assert router.address_list() == []


def test_empty_sentence_is_ignored_and_quit_is_fatal(raw: RawClient) -> None:
    raw.login()
    raw.sock.sendall(b"\x00")
    assert raw.call("/system/identity/print") == [["!re", "=name=test-router"], ["!done"]]
    assert raw.call("/quit") == [["!fatal", "session terminated on request"]]
    assert raw.is_closed()


def test_invalid_values_trap_with_category(raw: RawClient) -> None:
    raw.login()
    assert raw.call("/ip/firewall/address-list/add", "=list=a", "=address=10.0.0.300") == [
        ["!trap", "=category=1", "=message=invalid value for argument address"], ["!done"],
    ]
    assert raw.call("/ip/firewall/address-list/add", "=list=a", "=address=10.0.0.3", "=timeout=soon")[0] == [
        "!trap", "=category=1", "=message=invalid value for argument timeout",
    ]
    assert raw.call("/ip/firewall/address-list/add", "=list=a")[0] == [
        "!trap", "=message=failure: address not specified",
    ]


# ---------------------------------------------------------------- fault switches


def test_refused_connection_is_closed_at_once(router: RouterOSSimulator) -> None:
    router.refuse_connections = True
    client = RawClient(router)
    try:
        assert client.is_closed()
    finally:
        client.close()


def test_fail_login_rejects_the_right_password(router: RouterOSSimulator, raw: RawClient) -> None:
    router.fail_login = True
    assert raw.login()[0] == ["!trap", "=message=invalid user name or password (6)"]
    router.fail_login = False
    assert raw.login() == [["!done"]]


def test_drop_after_words_cuts_the_reply_but_keeps_the_effect(router: RouterOSSimulator, raw: RawClient) -> None:
    raw.login()
    router.drop_after_words = 1
    raw.send("/ip/firewall/address-list/add", "=list=a", "=address=10.0.0.1")
    assert raw.read_word() == b"!done"
    with pytest.raises(EOFError):
        raw.read_word()
    assert [row["address"] for row in router.address_list()] == ["10.0.0.1"]
    assert router.writes == 1


def test_trap_on_answers_with_an_error_and_changes_nothing(router: RouterOSSimulator) -> None:
    router.trap_on = {"/ip/firewall/address-list/add"}
    api = lib_connect(router)
    try:
        with pytest.raises(TrapError) as trapped:
            api.path("ip", "firewall", "address-list").add(list="a", address="10.0.0.1")
        assert trapped.value.message == DEFAULT_TRAP_MESSAGE
        assert router.address_list() == [] and router.writes == 0
        router.trap_on.clear()
        api.path("ip", "firewall", "address-list").add(list="a", address="10.0.0.1")
        assert router.writes == 1
    finally:
        api.close()


def test_latency_delays_every_reply(router: RouterOSSimulator) -> None:
    api = lib_connect(router)
    try:
        router.latency_ms = 150
        started = time.monotonic()
        tuple(api.path("system", "identity"))
        tuple(api.path("system", "resource"))
        elapsed = time.monotonic() - started
    finally:
        router.latency_ms = 0
        api.close()
    assert 0.29 <= elapsed < 2.0


# ---------------------------------------------------------------- counters


def sync_address_list(api, list_name: str, wanted: set[str]) -> None:
    """What an enforcement job does: add the missing addresses and remove the surplus ones."""
    path = api.path("ip", "firewall", "address-list")
    present = {row["address"]: row[".id"] for row in path if row["list"] == list_name}
    for address in sorted(wanted - present.keys()):
        path.add(list=list_name, address=address)
    surplus = [present[address] for address in present.keys() - wanted]
    if surplus:
        path.remove(*surplus)


def test_second_identical_sync_writes_nothing(router: RouterOSSimulator) -> None:
    router.add_address("blocked", "10.7.0.99")
    wanted = {f"10.7.0.{n}" for n in range(1, 6)}
    api = lib_connect(router)
    try:
        sync_address_list(api, "blocked", wanted)
        assert router.writes == 6  # five adds and one remove
        assert router.command_counts["/ip/firewall/address-list/add"] == 5
        router.reset_counters()
        sync_address_list(api, "blocked", wanted)
    finally:
        api.close()
    assert router.writes == 0
    assert router.commands == 1
    assert router.command_counts == {"/ip/firewall/address-list/print": 1}
    assert {row["address"] for row in router.address_list("blocked")} == wanted


def test_counters_count_logins_connections_and_failed_commands(router: RouterOSSimulator, raw: RawClient) -> None:
    raw.login()
    raw.call("/ip/firewall/address-list/remove", "=.id=*5")
    raw.call("/system/identity/set", "=name=renamed")
    assert (router.logins, router.connections, router.commands, router.writes) == (1, 1, 2, 1)
    assert router.identity == "renamed"


# ---------------------------------------------------------------- Python API, threads and lifecycle


def test_seeding_and_clock(router: RouterOSSimulator) -> None:
    router.add_address("grace", "10.8.0.1", timeout=timedelta(minutes=5), comment="late")
    router.add_address("grace", "10.8.0.2", timeout="1d2h")
    router.add_address("other", "10.8.0.3")
    with pytest.raises(CommandTrap, match="already have such entry"):
        router.add_address("other", "10.8.0.3")
    router.advance_clock(60)
    assert [(row["address"], row.get("timeout"), row["dynamic"]) for row in router.address_list("grace")] == [
        ("10.8.0.1", "4m", "true"), ("10.8.0.2", "1d1h59m", "true"),
    ]
    router.clock.set(86400)
    assert [row["address"] for row in router.address_list()] == ["10.8.0.2", "10.8.0.3"]


def test_many_clients_at_once(router: RouterOSSimulator) -> None:
    errors: list[BaseException] = []

    def worker(number: int) -> None:
        try:
            api = lib_connect(router)
            try:
                path = api.path("ip", "firewall", "address-list")
                for host in range(10):
                    path.add(list=f"client-{number}", address=f"10.{number}.0.{host}")
            finally:
                api.close()
        except BaseException as error:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert errors == []
    assert len(router.address_list()) == 80 and router.writes == 80 and router.connections == 8
    assert len({row[".id"] for row in router.address_list()}) == 80


def test_stop_disconnects_clients_and_frees_the_port() -> None:
    router = RouterOSSimulator(password=PASSWORD).start()
    client = RawClient(router)
    client.login()
    port = router.port
    router.stop()
    assert client.is_closed()
    client.close()
    assert not router.running
    with RouterOSSimulator(password=PASSWORD, port=port) as again:
        assert again.port == port


def test_serve_forever_returns_the_stopped_simulator() -> None:
    stop = threading.Event()
    ready: list[RouterOSSimulator] = []
    result: list[RouterOSSimulator] = []

    def on_ready(simulator: RouterOSSimulator) -> None:
        ready.append(simulator)

    thread = threading.Thread(
        target=lambda: result.append(
            serve_forever(port=0, password=PASSWORD, latency_ms=1, on_ready=on_ready, stop_event=stop)
        )
    )
    thread.start()
    for _ in range(100):
        if ready:
            break
        time.sleep(0.02)
    lib_connect(ready[0]).close()
    stop.set()
    thread.join(timeout=5)
    assert result and result[0] is ready[0]
    assert not result[0].running and result[0].logins == 1 and result[0].latency_ms == 1


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command to make a certificate")
def test_api_ssl(tmp_path: Path) -> None:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=localhost"],
        check=True, capture_output=True,
    )
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=str(cert))
    client_context.check_hostname = False
    with RouterOSSimulator(password=PASSWORD, ssl_context=server_context) as router:
        pool = routeros_api.RouterOsApiPool(
            router.host, username=USERNAME, password=PASSWORD, port=router.port,
            plaintext_login=True, ssl_context=client_context,
        )
        try:
            assert pool.get_api().get_resource("/system/identity").get() == [{"name": "sim"}]
        finally:
            pool.disconnect()


def test_routeros7_flavour() -> None:
    with RouterOSSimulator(password=PASSWORD, version="7.14.3", frozen_clock=True) as router:
        client = RawClient(router)
        try:
            assert client.call("/login", "=name=admin", "=password=x")[0] == [
                "!trap", "=message=invalid user name or password (6)",
            ]
            client.login()
            router.add_address("a", "10.0.0.1")
            [row, _] = client.call("/ip/firewall/address-list/print", "=.proplist=creation-time")
            assert row[1][len("=creation-time="):][:4].isdigit()  # 2024-01-02 10:00:00, not jan/02/2024
            assert client.call("/ppp/secret/add", "=name=x", "=colour=red")[0] == [
                "!trap", "=message=unknown parameter colour",
            ]
        finally:
            client.close()


def test_real_time_clock_runs_without_advancing() -> None:
    with RouterOSSimulator() as router:
        router.add_address("a", "10.0.0.1", timeout=0.2)
        assert router.address_list()[0]["timeout"] == "1s"
        time.sleep(0.25)
        assert router.address_list() == []
