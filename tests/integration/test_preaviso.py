"""`ispcube preaviso` (N7): the warning list with a timeout, once every few hours, within
the day range, only for clients who owe an invoice."""

from contextlib import ExitStack

import pytest

from tests.support.network import add_mikrotik, start_simulators

WARN = "ispcube-preaviso"


def warned(sim):
    return {row["address"]: row.get("comment") for row in sim.address_list(WARN)}


@pytest.fixture
def net(cli):
    with ExitStack() as stack:
        (core,) = start_simulators(stack, 1)
        add_mikrotik(cli, "core", core)
        cli.ok("plan", "add", "--name", "Hogar", "--price", "1000")
        for code, ip, extra in [("U1", "10.0.0.1", ()), ("U2", "10.0.0.2", ("--preaviso-days", "1-3")),
                                ("OFF", "10.0.0.3", ("--no-preaviso",)), ("PAID", "10.0.0.4", ()),
                                ("FREE", "10.0.0.5", ("--free",))]:
            cli.ok("client", "add", "--code", code, "--name", f"Cliente {code}", "--address", f"Calle {code}",
                   "--signup-date", "2026-01-01", *extra)
            cli.ok("connection", "add", code, "--router", "core", "--ip", ip, "--plan", "Hogar")
        cli.ok("billing", "run", "--period", "2026-03")
        cli.ok("pay", "PAID", "--cash", "1000", "--no-enable")
        cli.ok("config", "set", "preaviso.every_hours", "4")
        cli.ok("config", "set", "preaviso.seconds", "600")
        yield cli, core


def test_warns_debtors_in_range_with_a_timeout_at_most_every_few_hours(net):
    cli, core = net
    summary = cli.json("--yes", "preaviso", "--now", "2026-03-02T09:00")
    assert summary["warned"] == 2 and summary["failed"] == 0
    assert warned(core) == {"10.0.0.1": "U1", "10.0.0.2": "U2"}
    assert all(row["timeout"] == "10m" for row in core.address_list(WARN))

    core.advance_clock(600)                        # the warning page was shown; the entries expired
    assert warned(core) == {}
    core.reset_counters()
    assert cli.json("--yes", "preaviso", "--now", "2026-03-02T10:00")["warned"] == 0
    assert core.writes == 0                        # warned less than every_hours ago
    assert cli.json("--yes", "preaviso", "--now", "2026-03-02T13:00")["warned"] == 2
    core.advance_clock(600)

    assert cli.json("--yes", "preaviso", "--now", "2026-03-05T13:00")["warned"] == 1   # U2's own range is 1-3
    assert warned(core) == {"10.0.0.1": "U1"}


def test_out_of_range_or_paid_clients_are_taken_off(net):
    cli, core = net
    cli.ok("--yes", "preaviso", "--now", "2026-03-02T09:00")
    cli.ok("pay", "U1", "--cash", "1000", "--no-enable")
    summary = cli.json("--yes", "preaviso", "--now", "2026-03-02T10:00")
    assert summary["unwarned"] == 1 and warned(core) == {"10.0.0.2": "U2"}
    cli.ok("--yes", "preaviso", "--now", "2026-03-04T10:00")            # out of U2's range
    assert warned(core) == {}


def test_dry_run_and_out_of_the_global_range(net):
    cli, core = net
    result = cli.ok("--yes", "preaviso", "--now", "2026-03-02T09:00", "--dry-run")
    assert "10.0.0.1" in result.stdout and warned(core) == {} and core.writes == 0
    cli.ok("--yes", "preaviso", "--now", "2026-03-20T09:00")
    assert warned(core) == {}
    bad = cli("--yes", "preaviso", "--now", "yesterday")
    assert bad.exit_code == 1 and "--now 'yesterday'" in bad.stderr


def test_a_router_down_is_retried_and_reported(net):
    cli, core = net
    core.refuse_connections = True
    result = cli("--yes", "preaviso", "--now", "2026-03-02T09:00")
    assert result.exit_code == 3 and "1 failure(s) on the routers" in result.stderr
    core.refuse_connections = False
    assert cli.json("--yes", "preaviso", "--now", "2026-03-02T10:00")["warned"] == 2
