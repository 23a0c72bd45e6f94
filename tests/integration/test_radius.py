"""RADIUS-managed connections (N4) against Debian's FreeRADIUS and a pyrad NAS on loopback:
a cut user gets the cut group's reply in its Access-Accept, a restored one does not; the NAS
is sent a Disconnect-Request with the session's id, and its NAK or silence is retried."""

import json

import pytest
from sqlalchemy import text

from tests.support.radius_network import radius_fixtures

pytestmark = pytest.mark.slow   # a real FreeRADIUS server


freeradius, radius = radius_fixtures()


def group_members(radius):
    with radius.engine.connect() as conn:
        return sorted(conn.execute(text("SELECT username FROM radusergroup WHERE groupname = 'ispcube-cut'"))
                      .scalars())


def test_cut_user_gets_the_cut_reply_and_a_restored_one_does_not(radius):
    cli, freeradius, nas = radius
    assert freeradius.radtest("ana", "pw") == (True, {})
    summary = cli.json("enforce")
    assert (summary["cut"], summary["failed"]) == (1, 0)
    assert group_members(freeradius) == ["ana"]
    assert freeradius.radtest("ana", "pw") == (True, {"Mikrotik-Address-List": "ispcube-cut"})
    assert freeradius.radtest("beto", "pw") == (True, {})
    assert nas.requests == [{"User-Name": "ana", "Acct-Session-Id": "s-ana"}]

    cli.ok("enforce")
    assert len(nas.requests) == 1                # nothing changed: no second disconnect

    cli.ok("pay", "A1", "--cash", "300", "--no-enable")
    assert cli.json("enforce")["restored"] == 1
    assert group_members(freeradius) == []
    assert freeradius.radtest("ana", "pw") == (True, {})
    assert len(nas.requests) == 2                # disconnected again into the normal profile


@pytest.mark.parametrize("answer, words", [("nak", "refused the Disconnect-Request for 'ana' (NAK)"),
                                           ("silence", "no answer to the Disconnect-Request")])
def test_a_nak_or_silence_is_a_failure_retried_next_run(radius, answer, words):
    cli, freeradius, nas = radius
    nas.answer = answer
    result = cli("--format", "json", "--yes", "enforce", "--today", "2026-04-01")
    assert result.exit_code == 3
    routers = json.loads(result.stdout)["routers"]
    assert words in routers[0]["error"]
    assert group_members(freeradius) == ["ana"]   # the group is set; the session was not dropped
    nas.answer = "ack"
    before = len(nas.requests)
    cli.ok("--yes", "enforce", "--today", "2026-04-02")
    assert len(nas.requests) == before + 1        # the open task sends the disconnect again
    cli.ok("--yes", "enforce", "--today", "2026-04-03")
    assert len(nas.requests) == before + 1


def test_router_test_and_check_on_radius(radius):
    cli, freeradius, _ = radius
    shown = cli.json("router", "test", "nas1")
    assert shown["radius database"] == "reachable" and shown["ispcube-cut members"] == 0
    cli.ok("enforce", "--check")          # drift is about the state decided, not yet any debt
    cli.ok("enforce")
    cli.ok("enforce", "--check")
    freeradius.execute("DELETE FROM radusergroup WHERE username = 'ana'")     # removed by hand
    drift = cli("enforce", "--check")
    assert drift.exit_code == 3 and "ana" in drift.stdout
    assert "nas-secret" not in cli.ok("--format", "json", "router", "list").stdout


def test_deleting_a_cut_client_keeps_its_user_in_the_cut_group(radius):
    cli, freeradius, nas = radius
    cli.ok("enforce")
    assert group_members(freeradius) == ["ana"] and len(nas.requests) == 1
    cli.ok("--yes", "client", "delete", "A1")
    summary = cli.json("enforce")
    assert (summary["restored"], summary["done"]) == (0, 0)
    assert group_members(freeradius) == ["ana"] and len(nas.requests) == 1
    assert cli("enforce", "--check").exit_code == 0
