"""Throttling RADIUS users (E2) against Debian's FreeRADIUS and a pyrad NAS on loopback: a
throttled user joins the group `ispcube-throttle`, whose reply ispcube makes carry the
configured `Mikrotik-Rate-Limit`; its live session is sent a CoA-Request with that rate; at the
cut it moves to the cut group; restored, it is in neither. A NAK is retried; a new rate reaches
every throttled session once."""

from datetime import date, timedelta

import pytest
from sqlalchemy import text

from tests.support.radius_network import radius_fixtures

pytestmark = pytest.mark.slow   # a real FreeRADIUS server
TODAY = date.today()            # `ledger adjust` dates the debit today


def day(n: int) -> str:
    return (TODAY + timedelta(days=n)).isoformat()


freeradius, radius = radius_fixtures(("escalation.cut_after_days", "7"), ("escalation.throttle_after_days", "3"),
                                     ("escalation.throttle_rate", "512k/1M"))


def groups(radius) -> dict[str, list[str]]:
    with radius.engine.connect() as conn:
        rows = conn.execute(text("SELECT groupname, username FROM radusergroup ORDER BY groupname, username"))
        found: dict[str, list[str]] = {}
        for group, user in rows:
            found.setdefault(group, []).append(user)
        return found


def test_throttled_user_gets_the_rate_then_the_cut_then_neither(radius):
    cli, freeradius, nas = radius
    summary = cli.json("--yes", "enforce", "--today", day(3))
    assert (summary["throttled"], summary["failed"]) == (1, 0)
    assert groups(freeradius) == {"ispcube-throttle": ["ana"]}
    assert freeradius.radtest("ana", "pw") == (True, {"Mikrotik-Rate-Limit": "512k/1M"})
    assert freeradius.radtest("beto", "pw") == (True, {})
    assert nas.coa_requests == [{"User-Name": "ana", "Acct-Session-Id": "s-ana", "Mikrotik-Rate-Limit": "512k/1M"}]
    assert nas.requests == []                     # the session stays up, at the new rate

    cli.ok("--yes", "enforce", "--today", day(4))
    assert len(nas.coa_requests) == 1 and nas.requests == []      # nothing changed, nothing sent
    assert cli.json("enforce", "--check")["drift"] == 0

    cut = cli.json("--yes", "enforce", "--today", day(7))
    assert cut["cut"] == 1 and groups(freeradius) == {"ispcube-cut": ["ana"]}
    assert freeradius.radtest("ana", "pw") == (True, {"Mikrotik-Address-List": "ispcube-cut"})
    assert len(nas.requests) >= 1 and nas.requests[0] == {"User-Name": "ana", "Acct-Session-Id": "s-ana"}

    cli.ok("pay", "A1", "--cash", "300", "--no-enable")
    assert cli.json("--yes", "enforce", "--today", day(8))["restored"] == 1
    assert groups(freeradius) == {} and freeradius.radtest("ana", "pw") == (True, {})


def test_a_new_rate_reaches_every_throttled_session_once(radius):
    cli, freeradius, nas = radius
    cli.ok("--yes", "enforce", "--today", day(3))
    cli.ok("config", "set", "escalation.throttle_rate", "2M/2M")
    drift = cli("enforce", "--check")
    assert drift.exit_code == 3 and "ana" in drift.stdout
    cli.ok("--yes", "enforce", "--today", day(4))
    assert freeradius.radtest("ana", "pw") == (True, {"Mikrotik-Rate-Limit": "2M/2M"})
    assert [r["Mikrotik-Rate-Limit"] for r in nas.coa_requests] == ["512k/1M", "2M/2M"]
    cli.ok("--yes", "enforce", "--today", day(5))
    assert len(nas.coa_requests) == 2


def test_a_nak_to_the_coa_is_retried_by_the_next_run(radius):
    cli, freeradius, nas = radius
    nas.answer = "nak"
    result = cli("--format", "json", "--yes", "enforce", "--today", day(3))
    assert result.exit_code == 3 and "refused the CoA-Request for 'ana' (NAK)" in result.stdout
    assert groups(freeradius) == {"ispcube-throttle": ["ana"]}   # the group is set; the rate not told
    nas.answer = "ack"
    cli.ok("--yes", "enforce", "--today", day(4))
    assert len(nas.coa_requests) == 2                             # the open task sends it again
    cli.ok("--yes", "enforce", "--today", day(5))
    assert len(nas.coa_requests) == 2
