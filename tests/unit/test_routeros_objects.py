"""How provisioning ops become RouterOS API commands, and in which waves they are sent."""

from ispcube.adapters.routeros_objects import apply, commands, waves
from ispcube.adapters.routeros_pipeline import Answer
from ispcube.domain.provisioning import ObjectKind, Op, Verb
from ispcube.errors import RouterProtocolError, RouterUnreachable

PROFILE, SECRET, QUEUE = ObjectKind.PROFILE, ObjectKind.SECRET, ObjectKind.QUEUE


def test_each_verb_is_a_command_on_its_menu_and_an_emptied_field_is_unset():
    assert commands(Op(Verb.ADD, SECRET, "ana", {"password": "p", "profile": "ispcube-hogar"})) == [
        ["/ppp/secret/add", "=name=ana", "=password=p", "=profile=ispcube-hogar"]]
    assert commands(Op(Verb.SET, QUEUE, "ispcube-B2", {"max-limit": "5M/20M"}, "*7")) == [
        ["/queue/simple/set", "=.id=*7", "=max-limit=5M/20M"]]
    assert commands(Op(Verb.REMOVE, PROFILE, "ispcube-viejo", {}, "*3")) == [["/ppp/profile/remove", "=.id=*3"]]
    assert commands(Op(Verb.SET, SECRET, "ana", {"profile": "default", "remote-address": ""}, "*2")) == [
        ["/ppp/secret/set", "=.id=*2", "=profile=default"],
        ["/ppp/secret/unset", "=.id=*2", "=value-name=remote-address"]]
    assert commands(Op(Verb.SET, SECRET, "ana", {"remote-address": ""}, "*2")) == [
        ["/ppp/secret/unset", "=.id=*2", "=value-name=remote-address"]]


def test_waves_cut_where_a_kind_depends_on_another():
    ops = [Op(Verb.ADD, PROFILE, "ispcube-a"), Op(Verb.ADD, PROFILE, "ispcube-b"), Op(Verb.ADD, SECRET, "x"),
           Op(Verb.SET, QUEUE, "ispcube-q", {}, "*1"), Op(Verb.REMOVE, SECRET, "y", {}, "*2"),
           Op(Verb.REMOVE, PROFILE, "ispcube-c", {}, "*3")]
    assert waves(ops) == [[0, 1], [2, 3, 4], [5]]
    assert waves([]) == []


def test_what_cannot_be_sent_fails_alone_and_a_lost_router_fails_the_rest():
    sent: list[list[list[str]]] = []

    def run(commands):
        sent.append([list(c) for c in commands])
        if len(sent) == 2:
            raise RouterUnreachable("router core: unreachable (the router closed the connection)")
        return [Answer() for _ in commands]

    ops = [Op(Verb.ADD, PROFILE, "ispcube-a", {"rate-limit": "1M/1M"}),
           Op(Verb.ADD, ObjectKind.RADIUS_USER, "ana"), Op(Verb.SET, SECRET, "x", {"comment": "c"}),
           Op(Verb.ADD, SECRET, "y", {"password": "p"}), Op(Verb.REMOVE, PROFILE, "ispcube-b", {}, "*2")]
    applied = apply("core", ops, run)
    results = applied.in_order()
    assert results[0] is None and applied.writes == 1
    assert isinstance(results[1], RouterProtocolError)
    assert str(results[1]) == "router core: add radius-user 'ana': a MikroTik router keeps no radius-user"
    assert str(results[2]) == "router core: set secret 'x': not sent: the router's row id was not read"
    assert [type(r) for r in results[3:]] == [RouterUnreachable, RouterUnreachable]
    assert [c[0] for wave in sent for c in wave] == ["/ppp/profile/add", "/ppp/secret/add"]


def test_a_removed_secrets_session_is_removed_after_the_secret_from_one_read_of_the_sessions():
    sent: list[list[list[str]]] = []
    reads: list[int] = []

    def run(commands):
        sent.append([list(c) for c in commands])
        return [Answer(trapped=True, message="no such item") if c == ["/ppp/active/remove", "=.id=*B"]
                else Answer() for c in commands]

    def sessions():
        reads.append(len(sent))        # read after the secrets' wave was answered
        return {"ana": "*A", "beto": "*B", "vecino": "*V"}

    ops = [Op(Verb.ADD, SECRET, "nuevo", {"password": "p"}), Op(Verb.REMOVE, SECRET, "ana", {}, "*1"),
           Op(Verb.REMOVE, SECRET, "beto", {}, None), Op(Verb.REMOVE, SECRET, "carla", {}, "*3"),
           Op(Verb.REMOVE, QUEUE, "ispcube-q", {}, "*4"), Op(Verb.REMOVE, PROFILE, "ispcube-viejo", {}, "*5")]
    applied = apply("core", ops, run, sessions)
    assert applied.in_order() == [None] * 6
    assert reads == [1]
    assert sent == [[["/ppp/secret/add", "=name=nuevo", "=password=p"], ["/ppp/secret/remove", "=.id=*1"],
                     ["/ppp/secret/remove", "=.id=*3"], ["/queue/simple/remove", "=.id=*4"]],
                    [["/ppp/active/remove", "=.id=*A"], ["/ppp/active/remove", "=.id=*B"]],   # gone: done
                    [["/ppp/profile/remove", "=.id=*5"]]]
    assert applied.writes == 6


def test_a_session_is_left_when_its_secret_was_not_removed_and_a_refused_session_remove_fails_its_op():
    def run(commands):
        return [Answer(trapped=True, message="failure: busy") if c in (["/ppp/secret/remove", "=.id=*1"],
                                                                      ["/ppp/active/remove", "=.id=*B"])
                else Answer() for c in commands]

    sent_sessions: list[str] = []

    def recording(commands):
        sent_sessions.extend(c[1] for c in commands if c[0] == "/ppp/active/remove")
        return run(commands)

    ops = [Op(Verb.REMOVE, SECRET, "ana", {}, "*1"), Op(Verb.REMOVE, SECRET, "beto", {}, "*2")]
    results = apply("core", ops, recording, lambda: {"ana": "*A", "beto": "*B"}).in_order()
    assert sent_sessions == ["=.id=*B"]
    assert [str(r) for r in results] == ["router core: remove secret 'ana': refused (failure: busy)",
                                         "router core: remove secret 'beto': refused (failure: busy)"]
    no_session_read = apply("core", [Op(Verb.REMOVE, QUEUE, "ispcube-q", {}, "*4")], run,
                            lambda: (_ for _ in ()).throw(AssertionError("read without a secret removed")))
    assert no_session_read.in_order() == [None]


def test_a_lost_router_while_reading_the_sessions_fails_the_removed_secrets_and_the_rest():
    def sessions():
        raise RouterUnreachable("router core: unreachable (timed out)")

    ops = [Op(Verb.REMOVE, SECRET, "ana", {}, "*1"), Op(Verb.REMOVE, PROFILE, "ispcube-a", {}, "*2")]
    results = apply("core", ops, lambda commands: [Answer() for _ in commands], sessions).in_order()
    assert [type(r) for r in results] == [RouterUnreachable, RouterUnreachable]
