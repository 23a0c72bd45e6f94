"""A login provisioning removes takes its live session with it (S1): on the simulated MikroTik
the secret's `/ppp/active` session is removed with it, on RADIUS the NAS gets a Disconnect-Request
for the user's open session (FreeRADIUS rejects it afterwards); a RADIUS user whose rate is
taken off has its session dropped, so it comes back without the old rate, unless enforce holds
it. A router or NAS that refuses leaves exit 3 and the next run repeats the step."""

from contextlib import ExitStack

import pytest
from sqlalchemy import select

from ispcube.db.network_models import RouterTask
from tests.support.network import add_mikrotik, start_simulators
from tests.support.radius_network import radius_fixtures

freeradius, radius = radius_fixtures()


def _open_tasks(runtime) -> list[tuple[str, int]]:
    with runtime.uow() as uow:
        return [(t.action, t.attempts) for t in uow.session.scalars(
            select(RouterTask).where(RouterTask.job == "provision", RouterTask.status == "open")
            .order_by(RouterTask.id))]


@pytest.fixture
def mikrotik(cli):
    """Router r1 (a simulator) with A1's login `ana` and B2's `beto` made, each with a live session."""
    with ExitStack() as stack:
        sim = start_simulators(stack, 1)[0]
        add_mikrotik(cli, "r1", sim)
        cli.ok("plan", "add", "--name", "Hogar", "--price", "9500", "--down-kbps", "20000", "--up-kbps", "5000")
        for code, user in (("A1", "ana"), ("B2", "beto")):
            cli.ok("client", "add", "--code", code, "--name", f"Cliente {code}", "--address", f"Calle {code}")
            cli.ok("connection", "add", code, "--router", "r1", "--pppoe-user", user, "--plan", "Hogar",
                   "--pppoe-password-stdin", "--now", input=f"clave-{user}\n")
            sim.add_ppp_active(user, address=f"10.9.0.{len(sim.ppp_active()) + 1}")
        yield cli, sim


def _sessions(sim) -> list[str]:
    return sorted(row["name"] for row in sim.ppp_active())


def test_a_deleted_clients_secret_and_live_session_are_removed_and_the_others_kept(mikrotik):
    cli, sim = mikrotik
    cli.ok("--yes", "client", "delete", "A1")
    out = cli.json("provision")
    assert [(c["action"], c["name"], c["error"]) for c in out["changes"]] == [("remove", "ana", None)]
    assert [s["name"] for s in sim.ppp_secrets()] == ["beto"]
    assert _sessions(sim) == ["beto"]
    assert cli("provision", "--check", "--all").exit_code == 0


def test_a_renamed_login_drops_the_old_session(mikrotik):
    cli, sim = mikrotik
    cli.ok("connection", "edit", "1", "--pppoe-user", "ana2")
    assert cli("provision").exit_code == 0
    assert sorted(s["name"] for s in sim.ppp_secrets()) == ["ana2", "beto"]
    assert _sessions(sim) == ["beto"]


def test_sessions_are_read_only_when_a_secret_is_removed_and_a_session_already_gone_counts_as_removed(
        mikrotik, runtime):
    cli, sim = mikrotik
    sim.trap_on = {"/ppp/active/print"}                 # a run removing no secret never reads the sessions
    cli.ok("plan", "edit", "Hogar", "--down-kbps", "30000")
    assert cli("provision").exit_code == 0
    cli.ok("--yes", "client", "delete", "A1")
    unread = cli("provision")                           # one removing a secret does
    assert unread.exit_code == 3 and "ana" not in [s["name"] for s in sim.ppp_secrets()]
    assert _sessions(sim) == ["ana", "beto"]

    sim.trap_on = {"/ppp/active/remove"}                # the session ended as it was removed
    sim.trap_message = "no such item"
    out = cli.json("provision")
    assert [(c["action"], c["name"], c["error"]) for c in out["changes"]] == [("remove", "ana", None)]
    assert _open_tasks(runtime) == []


def test_a_refused_session_removal_fails_the_run_and_the_next_run_removes_the_session(mikrotik, runtime):
    cli, sim = mikrotik
    cli.ok("--yes", "client", "delete", "A1")
    sim.trap_on = {"/ppp/active/remove"}
    refused = cli("--format", "json", "provision")
    assert refused.exit_code == 3, refused.stdout + refused.stderr
    assert [s["name"] for s in sim.ppp_secrets()] == ["beto"]         # the secret is gone, its session not
    assert _sessions(sim) == ["ana", "beto"]
    assert _open_tasks(runtime) == [("deprovision", 1)]

    sim.trap_on = set()
    again = cli.json("provision")
    assert [(c["action"], c["name"], c["client"], c["error"]) for c in again["changes"]] == [
        ("remove", "ana", "ZZ00000001", None)]    # the deleted client's code
    assert _sessions(sim) == ["beto"]
    assert _open_tasks(runtime) == []
    assert cli.json("provision")["changes"] == []


def _carla(cli, server) -> None:
    """C3's login `carla` on plan Hogar made on FreeRADIUS, with a live session `s-carla` on nas1."""
    for connection in cli.json("connection", "list"):      # the shared network's users were made by hand
        cli.ok("connection", "delete", str(connection["id"]), "--yes")
    cli.ok("plan", "add", "--name", "Hogar", "--price", "9500", "--down-kbps", "20000", "--up-kbps", "5000")
    cli.ok("client", "add", "--code", "C3", "--name", "Carla", "--address", "Calle 3")
    cli.ok("connection", "add", "C3", "--router", "nas1", "--pppoe-user", "carla", "--plan", "Hogar",
           "--pppoe-password-stdin", "--now", input="clave-carla\n")
    assert server.radtest("carla", "clave-carla") == (True, {"Mikrotik-Rate-Limit": "5M/20M"})
    server.accounting(**{"User-Name": "carla", "Acct-Status-Type": "Start", "Acct-Session-Id": "s-carla",
                         "NAS-IP-Address": "127.0.0.1", "Framed-IP-Address": "10.5.0.3"})


def _told(nas) -> list[tuple[str, str]]:
    return [(r["User-Name"], r.get("Acct-Session-Id", "")) for r in nas.requests]


def test_a_deleted_clients_radius_user_is_removed_and_its_session_disconnected(radius, runtime):
    cli, server, nas = radius
    _carla(cli, server)
    cli.ok("--yes", "client", "delete", "C3")
    assert cli("provision").exit_code == 0
    assert _told(nas) == [("carla", "s-carla")]
    assert server.radtest("carla", "clave-carla")[0] is False
    assert _open_tasks(runtime) == []


def test_a_renamed_radius_login_has_its_old_session_disconnected(radius):
    cli, server, nas = radius
    _carla(cli, server)
    [connection] = cli.json("connection", "list")
    cli.ok("connection", "edit", str(connection["id"]), "--pppoe-user", "carla2")
    assert cli("provision").exit_code == 0
    assert _told(nas) == [("carla", "s-carla")]
    assert server.radtest("carla2", "clave-carla")[0] is True


def test_a_rate_taken_off_drops_the_session_unless_enforce_holds_the_user(radius):
    cli, server, nas = radius
    _carla(cli, server)
    [connection] = cli.json("connection", "list")
    cli.ok("connection", "edit", str(connection["id"]), "--plan", "")
    assert cli("provision").exit_code == 0
    assert _told(nas) == [("carla", "s-carla")] and nas.coa_requests == []
    assert server.radtest("carla", "clave-carla") == (True, {})

    cli.ok("connection", "edit", str(connection["id"]), "--plan", "Hogar")
    assert cli("provision").exit_code == 0
    cli.ok("ledger", "adjust", "C3", "--debit", "50000", "--reason", "deuda")
    cli.ok("--yes", "enforce")                               # cut: enforce's own Disconnect
    told = len(nas.requests)
    cli.ok("connection", "edit", str(connection["id"]), "--plan", "")
    assert cli("provision").exit_code == 0
    assert len(nas.requests) == told                         # the cut reply rules the session


def test_a_refused_disconnect_of_a_removal_fails_the_run_and_the_next_run_repeats_it(radius, runtime):
    cli, server, nas = radius
    _carla(cli, server)
    cli.ok("--yes", "client", "delete", "C3")
    nas.answer = "nak"
    refused = cli("provision")
    assert refused.exit_code == 3
    assert "refused the Disconnect-Request for 'carla' (NAK)" in refused.stdout + refused.stderr
    assert server.radtest("carla", "clave-carla")[0] is False       # the login is gone all the same
    assert _open_tasks(runtime) == [("deprovision", 1)]

    nas.answer = "ack"
    assert cli("provision").exit_code == 0
    assert _told(nas) == [("carla", "s-carla"), ("carla", "s-carla")]
    assert _open_tasks(runtime) == []
    assert cli("provision").exit_code == 0 and len(nas.requests) == 2


def test_a_disconnect_the_nas_answers_with_no_such_session_is_done(radius, runtime):
    # RFC 5176 Error-Cause 503: the session ended already (a stale radacct row); retrying it
    # every run until the task expired would be wrong
    cli, server, nas = radius
    _carla(cli, server)
    cli.ok("--yes", "client", "delete", "C3")
    nas.answer = "gone"
    done = cli("provision")
    assert done.exit_code == 0, done.stdout + done.stderr
    assert _told(nas) == [("carla", "s-carla")] and _open_tasks(runtime) == []
    nas.answer = "nak"                                  # a NAK without that cause is still a failure
    cli.ok("client", "add", "--code", "D4", "--name", "Dora", "--address", "Calle 4")
    cli.ok("connection", "add", "D4", "--router", "nas1", "--pppoe-user", "dora", "--pppoe-password-stdin",
           input="clave-dora\n")
    cli.ok("provision")
    server.accounting(**{"User-Name": "dora", "Acct-Status-Type": "Start", "Acct-Session-Id": "s-dora",
                         "NAS-IP-Address": "127.0.0.1", "Framed-IP-Address": "10.5.0.4"})
    cli.ok("--yes", "client", "delete", "D4")
    assert cli("provision").exit_code == 3


def test_a_refused_disconnect_of_a_rate_taken_off_keeps_the_rate_and_the_next_run_repeats_it(radius, runtime):
    cli, server, nas = radius
    _carla(cli, server)
    [connection] = cli.json("connection", "list")
    cli.ok("connection", "edit", str(connection["id"]), "--plan", "")
    nas.answer = "silence"
    refused = cli("provision")
    assert refused.exit_code == 3
    assert "no answer to the Disconnect-Request for 'carla'" in refused.stdout + refused.stderr
    assert server.radtest("carla", "clave-carla") == (True, {"Mikrotik-Rate-Limit": "5M/20M"})   # as its session

    nas.answer = "ack"
    assert cli("provision").exit_code == 0
    assert server.radtest("carla", "clave-carla") == (True, {})
    assert _told(nas)[-1] == ("carla", "s-carla") and _open_tasks(runtime) == []
    assert cli("provision", "--check", "--all").exit_code == 0
