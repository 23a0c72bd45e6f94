"""The provisioning rules (S1, S3): what a connection means on a router, and the ops that bring
a router there touching only ispcube's objects."""

from ispcube.domain.provisioning import (
    Held,
    Line,
    ObjectKind,
    Plan,
    Verb,
    diff,
    rate_limit,
    same_rate,
    wanted_objects,
)
from ispcube.domain.terms import Service

GOLD = Plan("gold", down_kbps=20000, up_kbps=5000)
BURST = Plan("burst", down_kbps=10000, up_kbps=2000, burst_down_kbps=20000, burst_up_kbps=4000, burst_seconds=16)


def test_rate_limit_is_upload_then_download_with_an_optional_burst():
    assert rate_limit(GOLD) == "5M/20M"
    assert rate_limit(BURST) == "2M/10M 4M/20M 1500k/7500k 16s/16s"
    assert rate_limit(Plan("free", None, None)) is None


def test_rates_compare_as_bits_per_second():
    assert same_rate("5M/20M", "5000000/20000000")
    assert same_rate("512k/1M", "512000/1000000")
    assert not same_rate("5M/20M", "5M/10M")


def test_a_pppoe_connection_is_a_secret_on_its_plan_profile_an_ip_only_one_a_queue():
    lines = [Line(1, "C1", "10.0.0.5", "ana", "pw", GOLD), Line(2, "C2", "10.0.0.6", None, None, GOLD),
             Line(3, "C3", "10.0.0.7", None, None, GOLD), Line(4, "C3", "10.0.0.8", None, None, GOLD)]
    wanted = {(w.kind, w.name): w for w in wanted_objects("mikrotik", lines)}
    assert wanted[(ObjectKind.PROFILE, "ispcube-gold")].fields == {"rate-limit": "5M/20M"}
    assert dict(wanted[(ObjectKind.SECRET, "ana")].fields) == {
        "service": "pppoe", "comment": "ispcube:C1", "profile": "ispcube-gold", "password": "pw",
        "remote-address": "10.0.0.5"}
    assert wanted[(ObjectKind.QUEUE, "ispcube-C2")].fields["max-limit"] == "5M/20M"
    assert {(ObjectKind.QUEUE, "ispcube-C3-3"), (ObjectKind.QUEUE, "ispcube-C3-4")} <= set(wanted)


def test_radius_users_carry_password_address_rate_and_plan_group():
    [user] = wanted_objects("radius", [Line(1, "C1", "10.0.0.5", "ana", "pw", GOLD)])
    assert dict(user.fields) == {"Cleartext-Password": "pw", "Framed-IP-Address": "10.0.0.5",
                                 "group": "ispcube-gold", "Mikrotik-Rate-Limit": "5M/20M"}


def test_diff_adds_sets_and_removes_only_owned_objects_and_lists_the_foreign():
    wanted = wanted_objects("mikrotik", [Line(1, "C1", None, "ana", "pw", GOLD),
                                         Line(2, "C2", None, "bob", "pw2", GOLD)])
    held = [
        Held(ObjectKind.PROFILE, "ispcube-gold", {"rate-limit": "5000000/20000000"}, "*1"),
        Held(ObjectKind.SECRET, "ana", {"service": "pppoe", "comment": "ispcube:C1", "profile": "default",
                                        "password": "pw", "disabled": "true"}, "*2"),
        Held(ObjectKind.SECRET, "bob", {"comment": "hand made", "password": "x"}, "*3"),
        Held(ObjectKind.SECRET, "old", {"comment": "ispcube:C9"}, "*4"),
        Held(ObjectKind.SECRET, "neighbour", {"comment": "not ours"}, "*5"),
        Held(ObjectKind.PROFILE, "default", {}, "*6"),
    ]
    result = diff(wanted, held)
    assert [(op.verb, op.name, dict(op.fields)) for op in result.ops] == [
        (Verb.SET, "ana", {"profile": "ispcube-gold"}), (Verb.REMOVE, "old", {})]
    assert [w.name for w in result.conflicts] == ["bob"]
    assert [h.name for h in result.foreign] == ["neighbour"]


def test_an_adopted_object_is_owned_and_a_second_diff_after_the_ops_is_empty():
    wanted = wanted_objects("mikrotik", [Line(1, "C1", "10.0.0.5", "ana", "pw", GOLD)])
    held = [Held(ObjectKind.SECRET, "ana", {"comment": "legacy", "password": "pw", "profile": "10M"}, "*2")]
    first = diff(wanted, held, adopted=[("secret", "ana")])
    assert [op.verb for op in first.ops] == [Verb.ADD, Verb.SET]
    applied = [Held(ObjectKind.PROFILE, "ispcube-gold", {"rate-limit": "5M/20M"}, "*7"),
               Held(ObjectKind.SECRET, "ana", {**held[0].fields, **first.ops[1].fields}, "*2")]
    assert diff(wanted, applied, adopted=[("secret", "ana")]).ops == []


def test_a_secret_to_make_without_a_password_is_reported_not_written():
    result = diff(wanted_objects("mikrotik", [Line(1, "C1", None, "ana", None, None)]), [])
    assert result.ops == [] and [w.name for w in result.missing_password] == ["ana"]


def test_an_ip_taken_off_empties_the_remote_address():
    wanted = wanted_objects("mikrotik", [Line(1, "C1", None, "ana", "pw", None)])
    held = [Held(ObjectKind.SECRET, "ana", {"comment": "ispcube:C1", "password": "pw", "profile": "default",
                                            "service": "pppoe", "remote-address": "10.0.0.5"}, "*1")]
    [op] = diff(wanted, held).ops
    assert op.verb == Verb.SET and dict(op.fields) == {"remote-address": ""}


def test_a_retried_radius_user_is_set_its_rate_again_so_its_coa_is_sent_again():
    wanted = wanted_objects("radius", [Line(1, "C1", None, "ana", "pw", GOLD), Line(2, "C2", None, "beto", "pw")])
    held = [Held(ObjectKind.RADIUS_USER, w.name, dict(w.fields), marked=True) for w in wanted]
    assert diff(wanted, held).ops == []
    [op] = diff(wanted, held, retried=[1, 2]).ops          # beto's plan sets no rate: nothing to tell
    assert (op.verb, op.name, dict(op.fields)) == (Verb.SET, "ana", {"Mikrotik-Rate-Limit": "5M/20M"})
    profile = wanted_objects("mikrotik", [Line(1, "C1", None, "ana", "pw", GOLD)])
    assert diff(profile, [Held(w.kind, w.name, dict(w.fields), marked=True) for w in profile], retried=[1]).ops == []


def test_a_held_clients_new_object_starts_as_enforce_would_have_it_and_a_set_never_touches_that():
    cut, throttled = (Line(1, "C1", None, "ana", "pw", GOLD, Service.CUT),
                      Line(2, "C2", None, "bob", "pw2", GOLD, Service.THROTTLED))
    adds = {op.name: dict(op.fields) for op in diff(wanted_objects("mikrotik", [cut, throttled]), []).ops}
    assert adds["ana"]["disabled"] == "yes" and "disabled" not in adds["bob"]   # a throttle is by address
    users = {op.name: dict(op.fields) for op in diff(wanted_objects("radius", [cut, throttled]), []).ops}
    assert (users["ana"]["service"], users["bob"]["service"]) == ("cut", "throttled")
    active = wanted_objects("radius", [Line(3, "C3", None, "eva", "pw3", GOLD)])
    assert "service" not in diff(active, []).ops[0].fields
    # once made, the state is enforce's: a restored secret, or a cut one, is no drift either way
    for disabled in ("false", "true"):
        held = [Held(ObjectKind.PROFILE, "ispcube-gold", {"rate-limit": "5M/20M"}, "*1"),
                Held(ObjectKind.SECRET, "ana", {"service": "pppoe", "comment": "ispcube:C1", "profile": "ispcube-gold",
                                                "password": "pw", "disabled": disabled}, "*2")]
        assert diff(wanted_objects("mikrotik", [cut]), held).ops == []
        assert diff(wanted_objects("mikrotik", [Line(1, "C1", None, "ana", "pw", GOLD)]), held).ops == []
    # a line whose client's state changed is the same line: that change is enforce's to make
    assert cut == Line(1, "C1", None, "ana", "pw", GOLD) and len({cut, Line(1, "C1", None, "ana", "pw", GOLD)}) == 1


def test_a_departed_login_no_longer_held_is_removed_again_and_one_held_is_named_for_its_client():
    wanted = wanted_objects("radius", [Line(1, "C1", None, "ana", "pw", GOLD)])
    held = [Held(ObjectKind.RADIUS_USER, w.name, dict(w.fields), marked=True) for w in wanted]
    held.append(Held(ObjectKind.RADIUS_USER, "viejo", {"Cleartext-Password": "x", "group": "ispcube"}, marked=True))
    departed = {(ObjectKind.RADIUS_USER, "viejo"): "C7", (ObjectKind.RADIUS_USER, "borrado"): "C8",
                (ObjectKind.RADIUS_USER, "ana"): "C1"}           # ana is wanted again: left alone
    ops = diff(wanted, held, departed=departed).ops
    assert [(op.verb, op.name, op.row_id, op.client_code) for op in ops] == [
        (Verb.REMOVE, "viejo", None, "C7"), (Verb.REMOVE, "borrado", None, "C8")]
    assert diff(wanted, held, remove_unwanted=False, departed=departed).ops == []
    foreign = [Held(ObjectKind.RADIUS_USER, "borrado", {"Cleartext-Password": "y"})]   # made by hand since
    assert [op.name for op in diff(wanted, held[:1] + foreign, departed=departed).ops] == ["viejo"]
