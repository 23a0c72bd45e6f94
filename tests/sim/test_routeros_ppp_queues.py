"""What provisioning writes on a MikroTik, on the simulator, through both client libraries:
PPP profiles with a rate-limit, PPPoE secrets that use them, simple queues with a max-limit,
RouterOS's refusals, and tagged commands answered together (and, when asked, out of order)."""

from __future__ import annotations

import time

from librouteros.exceptions import TrapError
from librouteros.query import Key
import pytest
from routeros_api.exceptions import RouterOsApiCommunicationError

from ispcube.sim.routeros import RouterOSSimulator
from ispcube.sim.routeros_wire import encode_sentence

from .conftest import RawClient

# ---------------------------------------------------------------- /ppp/profile


def test_profiles_start_with_the_two_built_in_ones_and_take_a_rate_limit(router: RouterOSSimulator, ros_api) -> None:
    profiles = ros_api.get_resource("/ppp/profile")
    assert [(row["id"], row["name"], row["default"]) for row in profiles.get()] == [
        ("*0", "default", "true"), ("*FFFFFFFE", "default-encryption", "true")]
    new_id = profiles.add(name="ispcube-hogar", **{"rate-limit": "10M/2M", "comment": "ispcube"}).done_message["ret"]
    assert new_id == "*1"
    [row] = profiles.get(name="ispcube-hogar")
    assert (row["rate-limit"], row["comment"], row["default"]) == ("10M/2M", "ispcube", "false")
    profiles.set(id=new_id, **{"rate-limit": "20M/4M 25M/5M 15M/3M 10/10"})
    assert router.ppp_profiles()[1]["rate-limit"] == "20M/4M 25M/5M 15M/3M 10/10"
    assert [row["name"] for row in router.ppp_profiles()] == ["default", "ispcube-hogar", "default-encryption"]


def test_profile_refusals(ros_api) -> None:
    profiles = ros_api.get_resource("/ppp/profile")
    profiles.add(name="ispcube-hogar", **{"rate-limit": "10M/2M"})
    refusals = [
        (lambda: profiles.add(name="ispcube-hogar"), "failure: profile with the same name already exists"),
        (lambda: profiles.add(name="x", **{"rate-limit": "fast"}), "invalid value for argument rate-limit"),
        (lambda: profiles.remove(id="*0"), "failure: can not remove default profile"),
        (lambda: profiles.set(id="*9", **{"rate-limit": "1M/1M"}), "no such item"),
        (lambda: profiles.add(**{"rate-limit": "1M/1M"}), "failure: name not specified"),
    ]
    for attempt, message in refusals:
        with pytest.raises(RouterOsApiCommunicationError) as refused:
            attempt()
        assert refused.value.original_message.decode() == message
    assert [row["name"] for row in profiles.get()] == ["default", "ispcube-hogar", "default-encryption"]


def test_profile_by_librouteros_query_and_removal(lib_api) -> None:
    profiles = lib_api.path("ppp", "profile")
    profiles.add(name="ispcube-a", **{"rate-limit": "1M/1M"})
    profiles.add(name="ispcube-b", **{"rate-limit": "2M/2M"})
    name, rate = Key("name"), Key("rate-limit")
    assert list(profiles.select(name, rate).where(rate == "2M/2M")) == [{"name": "ispcube-b", "rate-limit": "2M/2M"}]
    profiles.remove("*1")
    assert [row["name"] for row in profiles] == ["default", "ispcube-b", "default-encryption"]
    with pytest.raises(TrapError, match="no such item"):
        profiles.remove("*1")


# ---------------------------------------------------------------- /ppp/secret


def test_secret_with_profile_address_and_comment(router: RouterOSSimulator, lib_api) -> None:
    secrets = lib_api.path("ppp", "secret")
    new_id = secrets.add(name="ppp1001", password="pw", service="pppoe", profile="ispcube-hogar",
                         **{"remote-address": "10.0.0.5", "comment": "ispcube A1"})
    assert new_id == "*1"
    secrets.update(**{".id": new_id, "remote-address": "10.0.0.6", "profile": "ispcube-pro"})
    [row] = router.ppp_secrets()
    assert (row["name"], row["profile"], row["remote-address"], row["comment"], row["service"]) == (
        "ppp1001", "ispcube-pro", "10.0.0.6", "ispcube A1", "pppoe")
    with pytest.raises(TrapError, match="^failure: secret with the same name already exists$"):
        secrets.add(name="ppp1001", password="other")
    with pytest.raises(TrapError, match="^invalid value for argument remote-address$"):
        secrets.update(**{".id": new_id, "remote-address": "10.0.0.300"})


# ---------------------------------------------------------------- /queue/simple


def test_simple_queue_add_print_set_remove(router: RouterOSSimulator, ros_api) -> None:
    queues = ros_api.get_resource("/queue/simple")
    new_id = queues.add(name="ispcube-A1", target="10.0.0.5", **{"max-limit": "10M/2M", "comment": "ispcube"}
                        ).done_message["ret"]
    [row] = queues.get(name="ispcube-A1")
    assert (row["id"], row["target"], row["max-limit"], row["limit-at"], row["comment"], row["disabled"]) == (
        new_id, "10.0.0.5/32", "10000000/2000000", "0/0", "ispcube", "false")
    queues.set(id=new_id, **{"max-limit": "20M/4M"})
    assert router.simple_queues()[0]["max-limit"] == "20000000/4000000"
    unnamed = queues.add(target="10.0.0.6/32").done_message["ret"]
    assert [row["name"] for row in queues.get()] == ["ispcube-A1", "queue1"]
    queues.remove(id=unnamed)
    queues.remove(id="ispcube-A1")       # RouterOS also takes a queue's name
    assert router.simple_queues() == []


def test_simple_queue_refusals(router: RouterOSSimulator, lib_api) -> None:
    queues = lib_api.path("queue", "simple")
    queues.add(name="ispcube-A1", target="10.0.0.5")
    refusals = {
        "failure: already have such name": lambda: queues.add(name="ispcube-A1", target="10.0.0.9"),
        "invalid value for argument max-limit": lambda: queues.add(name="x", target="10.0.0.9",
                                                                   **{"max-limit": "lots"}),
        "invalid value for argument target": lambda: queues.add(name="y", target="10.0.0.300"),
        "no such item": lambda: queues.remove("*7"),
        "unknown parameter": lambda: queues.add(name="z", target="10.0.0.9", colour="red"),
    }
    for message, attempt in refusals.items():
        with pytest.raises(TrapError) as refused:
            attempt()
        assert refused.value.message == message
    assert [row["name"] for row in router.simple_queues()] == ["ispcube-A1"]
    assert router.writes == 1


# ---------------------------------------------------------------- tagged commands


def _send_batch(raw: RawClient, count: int) -> None:
    raw.sock.sendall(b"".join(encode_sentence(["/queue/simple/add", f"=name=q{n}", f"=target=10.0.1.{n}",
                                                f".tag={n}"]) for n in range(1, count + 1)))


def _tags(raw: RawClient, count: int) -> list[str]:
    tags = []
    for _ in range(count):
        reply = raw.read_reply()
        tags.append(reply[-1][1].removeprefix(".tag="))
    return tags


def test_tagged_commands_in_flight_are_answered_one_delay_later_together(router: RouterOSSimulator,
                                                                        raw: RawClient) -> None:
    raw.login()
    router.latency_ms = 200
    started = time.monotonic()
    _send_batch(raw, 8)
    assert _tags(raw, 8) == [str(n) for n in range(1, 9)]
    elapsed = time.monotonic() - started
    router.latency_ms = 0
    assert 0.2 <= elapsed < 0.6     # one round trip for the eight, not eight
    assert len(router.simple_queues()) == 8


def test_out_of_order_answers_each_group_last_first(router: RouterOSSimulator, raw: RawClient) -> None:
    raw.login()
    router.out_of_order = 4
    _send_batch(raw, 10)
    # Groups of four, the last one first; the two left over go out after a short wait.
    assert _tags(raw, 10) == ["4", "3", "2", "1", "8", "7", "6", "5", "10", "9"]
    # An untagged command is still answered at once, in its place.
    assert raw.call("/system/identity/print") == [["!re", "=name=test-router"], ["!done"]]


def test_unset_gives_a_property_back_its_default(router: RouterOSSimulator, raw: RawClient) -> None:
    raw.login()
    secret = router.add_ppp_secret("ana", profile="hogar", remote_address="10.0.0.1")
    assert raw.call("/ppp/secret/unset", f"=.id={secret}", "=value-name=remote-address") == [["!done"]]
    assert raw.call("/ppp/secret/unset", f"=.id={secret}", "=value-name=profile") == [["!done"]]
    [row] = router.ppp_secrets()
    assert "remote-address" not in row and row["profile"] == "default"
    assert raw.call("/ppp/secret/unset", f"=.id={secret}", "=value-name=name")[0] == [
        "!trap", "=message=failure: can not unset name"]
    assert raw.call("/ppp/secret/unset", f"=.id={secret}")[0] == ["!trap", "=message=failure: value-name not specified"]
    assert raw.call("/ppp/secret/unset", "=.id=*99", "=value-name=comment")[0] == ["!trap", "=message=no such item"]
    assert raw.call("/ppp/active/unset", "=.id=*1", "=value-name=address")[0] == ["!trap", "=message=no such command"]
    assert router.writes == 2


def test_the_journal_holds_each_arrival_and_each_answer_in_order(router: RouterOSSimulator, raw: RawClient) -> None:
    raw.login()
    router.journal = []
    router.out_of_order = 2
    router.latency_ms = 20
    _send_batch(raw, 2)
    assert _tags(raw, 2) == ["2", "1"]
    assert raw.call("/system/identity/print") == [["!re", "=name=test-router"], ["!done"]]
    assert router.journal == ["> /queue/simple/add", "> /queue/simple/add", "< /queue/simple/add",
                              "< /queue/simple/add", "> /system/identity/print", "< /system/identity/print"]


def test_out_of_order_trap_carries_its_own_tag(router: RouterOSSimulator, raw: RawClient) -> None:
    raw.login()
    router.out_of_order = 2
    router.add_simple_queue("q1", "10.0.0.1")
    _send_batch(raw, 2)                     # q1 exists already: its add is refused
    replies = [raw.read_reply() for _ in range(2)]
    assert replies == [
        [["!done", ".tag=2", "=ret=*2"]],
        [["!trap", ".tag=1", "=message=failure: already have such name"], ["!done", ".tag=1"]],
    ]
