"""R18: the demo's story shows every step it promises on any day of the month, and the
commands it ends with name files that exist and work as printed."""

from datetime import date
import re
import shlex
import socket

import pytest

from ispcube.db.engine import get_engine
from ispcube.services.demo.network import demo_routers
from ispcube.services.demo.story import story
from ispcube.services.process.runtime import Runtime
from tests.conftest import Cli

DAYS = ["2027-01-01", "2027-01-07", "2027-01-08", "2027-01-28", "2027-01-29", "2027-01-30", "2027-01-31",
        "2027-02-28", "2028-02-29", "2027-03-01", "2028-03-01"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _number(pattern: str, out: str) -> int:
    found = re.search(pattern, out)
    assert found, f"no line matching {pattern!r} in:\n{out}"
    return int(found.group(1))


@pytest.mark.slow
@pytest.mark.parametrize("day", DAYS)
def test_the_demo_tells_its_whole_story_on_any_day(tmp_path, day):
    path = tmp_path / "demo.db"
    out = Cli(f"sqlite:///{tmp_path / 'unused.db'}").ok("demo", "--path", str(path), "--clients", "20",
                                                       "--today", day).stdout
    days = story(date.fromisoformat(day))
    assert f"Billing {days.older_month:%Y-%m}: 19 invoices, due {days.older_due}" in out, out
    assert f"Billing {days.newer_month:%Y-%m}: 19 invoices, due {days.newer_due}" in out, out
    assert 3 <= (date.fromisoformat(day) - days.newer_due).days <= 6
    assert re.search(r"Payments: \d+ paid both months, 2 only \S+, 6 nothing \(\d+ promised", out), out
    assert _number(r"enforce as of \S+: (\d+) cut", out) == 5
    assert _number(r"preaviso on \S+ 10:00: (\d+) clients warned", out) > 0
    assert _number(rf"enforce today \({day}\): \d+ cut, (\d+) restored", out) == 2
    assert _number(r"restored \([^)]*\), (\d+) throttled", out) == 2
    assert re.search(r"payments import posted 2 transfers for [\d.]+ \(\d+, \d+: the code in the text\); "
                     r"1 not matched", out), out
    assert "enforce again: 0 cut, 0 restored, 0 router writes" in out
    assert _number(r"Cut clients: (\d+)", out) == 1
    assert _number(r"Throttled clients: (\d+)", out) == 2
    assert f"Bank statement of {day} (demo-sepa-extracto-camt053.xml" in out
    assert "Explore it." in out and out.rstrip().endswith("# and every other command")

    db = Cli(f"sqlite:///{path}")
    cut = {c["code"] for c in db.json("client", "list", "--service", "cut")}
    throttled = {c["code"] for c in db.json("client", "list", "--service", "throttled")}
    assert len(cut) == 1 and len(throttled) == 2
    # The closing commands, as printed: the files they name exist and enforce has nothing
    # to change on the story's day, with the router back as `sim routeros --demo` brings it
    # (on a port of its own: other demos may be running theirs).
    tries = [line.split("#")[0].split() for line in out.split("then, here:")[1].splitlines() if "#" in line]
    commands = {words[3]: words for words in tries}
    assert commands["enforce"][-2:] == ["--today", day]
    assert commands["payments"][-1] == str(path.with_name("demo-extracto-camt053.xml"))
    for words in commands.values():
        assert words[0].endswith("ispcube") and words[1:3] == ["--db", str(path)]
    db.ok("router", "edit", "demo-core", "--port", str(_free_port()))
    engine = get_engine(f"sqlite:///{path}")
    [router] = demo_routers(Runtime(engine=engine))
    engine.dispose()
    with router.simulator().start():
        planned = db(*commands["enforce"][3:])
    assert planned.exit_code == 0, planned.stdout + planned.stderr
    assert f"enforce {day}: 0 cut, 0 restored, 0 router changes planned, 0 failed" in planned.stdout, planned.stdout
    again = db(*commands["payments"][3:])
    assert again.exit_code == 3 and "2 already imported before; 1 not matched" in again.stdout, again.stdout
    assert shlex.split(re.search(r"Look at it again: (.*?)   ", out).group(1))[-3:] == ["collect", "show", "1"]
