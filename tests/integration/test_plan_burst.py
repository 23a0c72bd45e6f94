"""A plan's burst (S1), on SQLite and PostgreSQL: `plan add|edit --burst-down-kbps N
--burst-up-kbps N --burst-seconds S`, all three or none, on a plan with both speeds and above
them; shown by `plan list`. A refusal is one sentence naming the plan, exit 1, nothing changed."""

import pytest

BURST = ["--burst-down-kbps", "20000", "--burst-up-kbps", "4000", "--burst-seconds", "8"]
SPEEDS = ["--down-kbps", "10000", "--up-kbps", "2000"]


def _plan(cli, name):
    return next(row for row in cli.json("plan", "list") if row["name"] == name)


def test_add_and_list_show_the_burst(cli):
    cli.ok("plan", "add", "--name", "Hogar", "--price", "100", *SPEEDS, *BURST)
    row = _plan(cli, "Hogar")
    assert (row["burst_down_kbps"], row["burst_up_kbps"], row["burst_seconds"]) == (20000, 4000, 8)
    table = cli.ok("plan", "list").stdout
    assert "burst down kbps" in table.splitlines()[0] and "20000" in table and "4000" in table
    assert cli.ok("--format", "csv", "plan", "list").stdout.splitlines()[1].endswith(",20000,4000,8")


def test_edit_changes_and_clears_the_burst(cli):
    cli.ok("plan", "add", "--name", "Hogar", "--price", "100", *SPEEDS)
    cli.ok("plan", "edit", "Hogar", *BURST)
    cli.ok("plan", "edit", "Hogar", "--burst-seconds", "12", "--down-kbps", "15000")
    assert (_plan(cli, "Hogar")["burst_seconds"], _plan(cli, "Hogar")["down_kbps"]) == (12, 15000)
    cli.ok("plan", "edit", "Hogar", "--burst-down-kbps", "", "--burst-up-kbps", "", "--burst-seconds", "")
    row = _plan(cli, "Hogar")
    assert (row["burst_down_kbps"], row["burst_up_kbps"], row["burst_seconds"]) == (None, None, None)


@pytest.mark.parametrize("args, says", [
    (["--burst-down-kbps", "20000"], "plan 'Hogar': a burst needs --burst-down-kbps, --burst-up-kbps and "
                                     "--burst-seconds together (clear all three to remove it)"),
    (["--burst-down-kbps", "10000", "--burst-up-kbps", "4000", "--burst-seconds", "8"],
     "plan 'Hogar': the download burst 10000 kbit/s is not above the plan's download speed 10000 kbit/s"),
    (["--burst-down-kbps", "20000", "--burst-up-kbps", "1000", "--burst-seconds", "8"],
     "plan 'Hogar': the upload burst 1000 kbit/s is not above the plan's upload speed 2000 kbit/s"),
    (["--burst-down-kbps", "20000", "--burst-up-kbps", "4000", "--burst-seconds", "0"],
     "plan burst-seconds: burst time '0' is out of range (1 to 3600)"),
    (["--up-kbps", "", *BURST], "plan 'Hogar': a burst needs the plan's upload speed (--up-kbps)"),
])
def test_a_bad_burst_is_refused_and_changes_nothing(cli, args, says):
    cli.ok("plan", "add", "--name", "Hogar", "--price", "100", *SPEEDS)
    before = cli.json("plan", "list")
    for command in (["plan", "edit", "Hogar"], ["plan", "add", "--name", "Hogar2", "--price", "1", *SPEEDS]):
        result = cli(*command, *args)
        assert result.exit_code == 1 and result.stderr.count("\n") == 1, result.stderr
        assert says.replace("'Hogar'", "'Hogar2'" if command[1] == "add" else "'Hogar'") in result.stderr
    assert cli.json("plan", "list") == before


def test_a_burst_outlives_no_speed_change_below_it(cli):
    cli.ok("plan", "add", "--name", "Hogar", "--price", "100", *SPEEDS, *BURST)
    result = cli("plan", "edit", "Hogar", "--down-kbps", "25000")
    assert result.exit_code == 1 and "download burst 20000 kbit/s is not above" in result.stderr
    assert _plan(cli, "Hogar")["down_kbps"] == 10000
