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
