"""Adopting a network (S4): which client each object on a router is, by PPPoE user, IP or
comment, its plan by speed; what matches nothing, what is ambiguous or contradicts itself."""

from ispcube.domain.adoption import ClientName, Found, Known, State, find_plan, match_objects
from ispcube.domain.provisioning import Held, ObjectKind, Plan

GOLD = Plan("gold", down_kbps=20000, up_kbps=5000)
SILVER = Plan("silver", down_kbps=10000, up_kbps=2000)
TWIN = Plan("twin", down_kbps=10000, up_kbps=2000)
CLIENTS = [ClientName("C1", "Ana Gómez"), ClientName("C2", "Beto Paz"), ClientName("C3", "Carla Ruiz"),
           ClientName("C4", "Dora Sosa"), ClientName("C5", "Dora Sosa")]
PROFILES = [Held(ObjectKind.PROFILE, "20M", {"rate-limit": "5M/20M"}, "*a"),
            Held(ObjectKind.PROFILE, "default", {}, "*b")]


def secret(name, ip=None, comment="", profile="20M", password="pw"):
    fields = {"password": password, "profile": profile, "comment": comment, "service": "pppoe"}
    if ip:
        fields["remote-address"] = ip
    return Held(ObjectKind.SECRET, name, fields, f"*{name}")


def by_name(result):
    return {m.name: m for m in result.matched}


def test_a_secret_is_matched_by_pppoe_user_then_ip_then_comment_with_its_plan_by_rate():
    known = [Known(1, "C1", None, "ana"), Known(2, "C2", "10.0.0.2", None, plan="gold")]
    result = match_objects("mikrotik", PROFILES + [
        secret("ana", "10.0.0.1"), secret("beto", "10.0.0.2"), secret("carla", "10.0.0.3", comment="C3"),
    ], known, CLIENTS, [GOLD, SILVER])
    matched = by_name(result)
    ana, carla = matched["ana"], matched["carla"]
    assert (ana.state, ana.by, ana.connection_id) == (State.CONNECTED, Found.PPPOE_USER, 1)
    assert dict(matched["ana"].changes) == {"ip": "10.0.0.1", "password": "pw", "plan": "gold"}
    # by IP: the connection gains the PPPoE user and the password; its own plan is kept
    assert dict(matched["beto"].changes) == {"pppoe_user": "beto", "password": "pw"}
    assert (carla.state, carla.by, carla.client_code) == (State.NEW, Found.COMMENT, "C3")
    assert dict(matched["carla"].changes) == {"ip": "10.0.0.3", "pppoe_user": "carla", "password": "pw", "plan": "gold"}
    assert result.unmatched == [] and result.conflicts == []


def test_a_comment_names_a_client_by_code_first_word_or_name_and_two_clients_are_ambiguous():
    result = match_objects("mikrotik", PROFILES + [
        secret("a", comment="c1 - fibra"), secret("b", comment="  beto   PAZ "), secret("d", comment="Dora Sosa"),
        secret("x", comment="vecino del centro"), secret("y"), secret("z", comment="C2 Ana Gómez"),
    ], [], CLIENTS, [GOLD])
    matched = by_name(result)
    assert matched["a"].client_code == "C1" and matched["b"].client_code == "C2"
    why = {u.name: u.why for u in result.unmatched}
    assert why["d"] == "ambiguous: its comment 'Dora Sosa' names clients C4 and C5"
    assert why["x"] == "no connection has its PPPoE user or address, and its comment names no client"
    assert why["y"] == why["x"]
    assert matched["z"].client_code == "C2"     # the first word is C2's code; the rest is not a whole name
    assert set(matched) == {"a", "b", "z"}


def test_contradictions_are_conflicts_never_guesses():
    known = [Known(1, "C1", "10.0.0.1", "ana"), Known(2, "C2", "10.0.0.2", None), Known(3, "C3", "10.0.0.3", "carla"),
             Known(4, "C4", "10.0.0.4", None)]
    result = match_objects("mikrotik", PROFILES + [
        secret("ana", "10.0.0.4"),                       # user is C1's, address C4's
        secret("beto", "10.0.0.2", comment="C4"),        # address is C2's, comment names C4
        secret("otro", "10.0.0.3"),                      # address of a PPPoE connection with another user
        secret("n1", "10.0.0.9", comment="C4"), secret("n2", "10.0.0.9", comment="C5 x"),   # one address twice
    ], known, CLIENTS, [GOLD])
    why = {c.name: c.why for c in result.conflicts}
    assert why["ana"] == ("its PPPoE user is connection 1 of client C1 but its address 10.0.0.4 is connection 4 "
                          "of client C4")
    assert why["beto"] == "it is connection 2 of client C2 but its comment names client C4"
    assert why["otro"] == "its address 10.0.0.3 is connection 3 of client C3, whose PPPoE user is 'carla'"
    assert why["n1"] == "its address 10.0.0.9 is also that of secret 'n2'"
    assert why["n2"] == "its address 10.0.0.9 is also that of secret 'n1'"
    assert result.matched == []


def test_plans_found_by_rate_as_bits_per_second_none_or_two_are_reported():
    assert find_plan("5000000/20000000", [GOLD, SILVER]) == ("gold", None)
    assert find_plan("2M/10M", [GOLD, SILVER, TWIN]) == (None, "plans silver and twin both have the rate 2M/10M")
    assert find_plan("1M/1M", [GOLD]) == (None, "no plan has the rate 1M/1M")
    assert find_plan(None, [GOLD]) == (None, "no rate limit")
    result = match_objects("mikrotik", PROFILES + [secret("ana", comment="C1", profile="default")], [], CLIENTS, [GOLD])
    assert (result.matched[0].plan, result.matched[0].plan_note) == (None, "no rate limit")


def test_queues_make_ip_only_connections_and_leave_a_pppoe_connections_queue_foreign():
    queues = [Held(ObjectKind.QUEUE, "q-beto", {"target": "10.0.0.2/32", "max-limit": "5000000/20000000"}, "*1"),
              Held(ObjectKind.QUEUE, "q-carla", {"target": "10.0.0.3/32", "max-limit": "1M/1M", "comment": "C3"}, "*2"),
              Held(ObjectKind.QUEUE, "q-ana", {"target": "10.0.0.1/32", "max-limit": "5M/20M"}, "*3"),
              Held(ObjectKind.QUEUE, "q-lan", {"target": "192.168.0.0/24", "comment": "C1"}, "*4")]
    known = [Known(1, "C1", "10.0.0.1", "ana"), Known(2, "C2", "10.0.0.2", None)]
    result = match_objects("mikrotik", queues, known, CLIENTS, [GOLD])
    matched = by_name(result)
    assert (matched["q-beto"].state, dict(matched["q-beto"].changes)) == (State.CONNECTED, {"plan": "gold"})
    assert (matched["q-carla"].state, matched["q-carla"].plan_note.split(":")[0]) == \
        (State.NEW, "no plan has the rate 1M/1M")
    # its speed is no plan's: adopted, provisioning would remove it and leave the client without a limit
    assert not matched["q-carla"].recorded and matched["q-carla"].unplanned_rate == "1M/1M"
    assert matched["q-beto"].recorded
    why = {u.name: u.why for u in result.unmatched}
    assert why["q-ana"] == ("its address 10.0.0.1 is connection 1 of client C1, a PPPoE one whose speed is its "
                            "secret's profile")
    assert why["q-lan"] == "its target is a network, not one client's address"


def test_address_lists_make_ip_only_connections_once_and_are_never_recorded():
    entries = [Held(ObjectKind.ADDRESS, "*1", {"list": "clientes", "address": "10.0.0.7", "comment": "C2"}),
               Held(ObjectKind.ADDRESS, "*2", {"list": "morosos", "address": "10.0.0.7", "comment": "otro"}),
               Held(ObjectKind.ADDRESS, "*3", {"list": "clientes", "address": "10.0.0.1"}),
               Held(ObjectKind.ADDRESS, "*4", {"list": "ispcube-cut", "address": "10.0.0.8", "comment": "C3"}),
               Held(ObjectKind.ADDRESS, "*5", {"list": "clientes", "address": "10.0.0.9"})]
    result = match_objects("mikrotik", entries, [Known(1, "C1", "10.0.0.1", None)], CLIENTS, [GOLD])
    states = {m.name: (m.state, m.client_code, m.recorded) for m in result.matched}
    assert states == {"*1": (State.NEW, "C2", False), "*3": (State.KNOWN, "C1", False)}
    assert [u.name for u in result.unmatched] == ["*5"]


def test_an_object_of_a_deleted_clients_connection_is_a_conflict():
    result = match_objects("mikrotik", PROFILES + [secret("ana")], [Known(1, "C1", None, "ana", deleted=True)],
                           CLIENTS, [GOLD])
    assert [(c.name, c.why) for c in result.conflicts] == [
        ("ana", "it is connection 1 of client C1, a deleted client (restore the client first)")]


def test_objects_ispcube_made_or_adopted_before_change_nothing():
    known = [Known(1, "C1", "10.0.0.1", "ana", has_password=True, plan="gold")]
    result = match_objects("mikrotik", PROFILES + [secret("ana", "10.0.0.1"), secret("bob", comment="ispcube:C2")],
                           known, CLIENTS, [GOLD], adopted=[("secret", "ana")])
    states = {m.name: (m.state, m.client_code, m.recorded) for m in result.matched}
    assert states == {"ana": (State.ADOPTED, "C1", False), "bob": (State.OWN, "C2", False)}


def test_radius_users_match_by_user_ip_or_a_name_that_is_a_client_code():
    users = [Held(ObjectKind.RADIUS_USER, "ana", {"Cleartext-Password": "pw", "Framed-IP-Address": "10.0.0.1",
                                                  "Mikrotik-Rate-Limit": "5M/20M", "group": "legacy"}),
             Held(ObjectKind.RADIUS_USER, "C3", {"Cleartext-Password": "pw3"}),
             Held(ObjectKind.RADIUS_USER, "nadie", {"Cleartext-Password": "x"}),
             Held(ObjectKind.RADIUS_USER, "mine", {"group": "ispcube-gold"}, marked=True)]
    result = match_objects("radius", users, [Known(1, "C1", None, "ana")], CLIENTS, [GOLD])
    matched = by_name(result)
    assert dict(matched["ana"].changes) == {"ip": "10.0.0.1", "password": "pw", "plan": "gold"}
    assert (matched["C3"].state, matched["C3"].by, matched["C3"].client_code) == (State.NEW, Found.USER_NAME, "C3")
    assert matched["mine"].state == State.OWN
    assert {u.name: u.why for u in result.unmatched} == {
        "nadie": "no connection has its PPPoE user or address, and its name is no client's code"}
