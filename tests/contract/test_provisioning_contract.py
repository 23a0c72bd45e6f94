"""The provisioning contract (S1, S3), every kind of router: what `provision` relies on.

The rig of each kind (conftest.py: the simulated MikroTik over its API, a FreeRADIUS database
with a loopback NAS) is brought to the wanted objects of a few connections through the same
steps `provision` takes (read once, `diff`, apply the ops). Then: a second pass has nothing to
do and writes nothing; an object someone else made is neither changed nor removed, and one
holding a wanted name is a conflict, never overwritten; drift (a speed or a password changed on
the router) is found and put right; an object of ours nothing wants any more is removed.
"""

from __future__ import annotations

import pytest

from ispcube.adapters.drivers import driver_for, kinds
from ispcube.domain.provisioning import Held, Line, ObjectKind, Op, Plan, Verb, diff, wanted_objects

GOLD = Plan("gold", down_kbps=20000, up_kbps=5000)
SILVER = Plan("silver", down_kbps=10000, up_kbps=2000, burst_down_kbps=20000, burst_up_kbps=4000, burst_seconds=8)
LINES = [Line(11, "P1", "10.9.0.1", "pat", "pw-pat", GOLD), Line(12, "Q2", None, "quim", "pw-quim", SILVER)]

# What a PPPoE login is on each kind, and the field holding its password: a kind added to the
# registry without a line here fails the suite.
LOGIN = {"mikrotik": (ObjectKind.SECRET, "password"), "radius": (ObjectKind.RADIUS_USER, "Cleartext-Password")}


def test_every_kind_has_its_login_described():
    assert set(LOGIN) == set(kinds())


def _pass(config, lines, adopted=()):
    """One provisioning pass: read once, diff, apply; (ops, errors, writes)."""
    with driver_for(config) as driver:
        found = diff(wanted_objects(config.kind, lines), driver.read_objects(), adopted)
        errors = driver.apply_objects(found.ops) if found.ops else []
        return found, errors, driver.writes


def _held(config) -> dict[tuple[ObjectKind, str], Held]:
    with driver_for(config) as driver:
        return {(h.kind, h.name): h for h in driver.read_objects()}


def _by_hand(config, name: str, password: str) -> None:
    """A login someone else made on the router (no mark of ours)."""
    kind, field = LOGIN[config.kind]
    with driver_for(config) as driver:
        assert driver.apply_objects([Op(Verb.ADD, kind, name, {field: password, "comment": "by hand"}
                                        if kind == ObjectKind.SECRET else {field: password})]) == [None]


def test_a_second_pass_has_nothing_to_do_and_foreign_objects_stay_as_they_were(rig):
    _by_hand(rig.config, "zoe", "hers")
    before = _held(rig.config)
    found, errors, writes = _pass(rig.config, LINES)
    assert found.ops and errors == [None] * len(found.ops) and writes >= len(found.ops)
    kind, field = LOGIN[rig.config.kind]
    after = _held(rig.config)
    assert after[(kind, "zoe")].fields == before[(kind, "zoe")].fields      # untouched
    assert after[(kind, "pat")].fields[field] == "pw-pat"
    assert [h.name for h in found.foreign if h.name == "zoe"] == ["zoe"]   # listed as foreign
    again, errors, writes = _pass(rig.config, LINES)
    assert (again.ops, errors, writes) == ([], [], 0)


def test_a_wanted_name_held_by_a_foreign_object_is_a_conflict_never_overwritten(rig):
    _by_hand(rig.config, "pat", "theirs")
    kind, field = LOGIN[rig.config.kind]
    found, errors, _ = _pass(rig.config, LINES)
    assert [w.name for w in found.conflicts] == ["pat"]
    assert all(op.name != "pat" for op in found.ops) and errors == [None] * len(found.ops)
    assert _held(rig.config)[(kind, "pat")].fields[field] == "theirs"
    # adopted, it is ours: the next pass makes it as wanted
    found, errors, _ = _pass(rig.config, LINES, adopted=[(str(kind), "pat")])
    assert not found.conflicts and errors == [None] * len(found.ops)
    assert _held(rig.config)[(kind, "pat")].fields[field] == "pw-pat"


def test_drift_is_found_and_put_right(rig):
    _pass(rig.config, LINES)
    kind, field = LOGIN[rig.config.kind]
    with driver_for(rig.config) as driver:          # someone changes our login's password on the router
        held = {(h.kind, h.name): h for h in driver.read_objects()}
        assert driver.apply_objects([Op(Verb.SET, kind, "quim", {field: "changed"},
                                        held[(kind, "quim")].row_id)]) == [None]
    found, errors, _ = _pass(rig.config, LINES)
    assert [(op.verb, op.name, dict(op.fields)) for op in found.ops] == [(Verb.SET, "quim", {field: "pw-quim"})]
    assert errors == [None]
    faster = [LINES[0], Line(12, "Q2", None, "quim", "pw-quim", GOLD)]       # a plan change is drift too
    found, errors, _ = _pass(rig.config, faster)
    assert any(op.verb == Verb.SET and op.name == "quim" for op in found.ops) and errors == [None] * len(found.ops)
    assert _pass(rig.config, faster)[0].ops == []


def test_an_object_of_ours_nothing_wants_any_more_is_removed(rig):
    _pass(rig.config, LINES)
    kind, _ = LOGIN[rig.config.kind]
    found, errors, _ = _pass(rig.config, LINES[:1])
    assert (Verb.REMOVE, kind, "quim") in [(op.verb, op.kind, op.name) for op in found.ops]
    assert errors == [None] * len(found.ops)
    assert (kind, "quim") not in _held(rig.config) and (kind, "pat") in _held(rig.config)


@pytest.mark.parametrize("kind", kinds())
def test_the_contract_knows_each_kind(kind):
    assert kind in LOGIN
