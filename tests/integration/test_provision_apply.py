"""`ispcube provision` and `connection add|edit --now` making objects on a simulated MikroTik
(S1-S3): what a run makes, that a second writes nothing, foreign objects untouched, a refused
op retried by the next run with its error on its task, a router down."""

from contextlib import ExitStack

import pytest
from sqlalchemy import select

from ispcube.db.network_models import RouterTask
from tests.support.network import add_mikrotik, start_simulators


@pytest.fixture
def net(cli):
    """Router r1 (a simulator) holding a queue someone made by hand; plan Hogar (20 Mbit/s down,
    5 up) and Lento (2 down, 1 up); client A1 with an IP-only connection on Hogar."""
    with ExitStack() as stack:
        sim = start_simulators(stack, 1)[0]
        sim.add_simple_queue("vecino", "10.0.0.99/32", max_limit="1M/1M", comment="hecho a mano")
        add_mikrotik(cli, "r1", sim)
        cli.ok("plan", "add", "--name", "Hogar", "--price", "9500", "--down-kbps", "20000", "--up-kbps", "5000")
        cli.ok("plan", "add", "--name", "Lento", "--price", "5000", "--down-kbps", "2000", "--up-kbps", "1000")
        cli.ok("client", "add", "--code", "A1", "--name", "Ana", "--address", "Calle 1")
        cli.ok("connection", "add", "A1", "--router", "r1", "--ip", "10.0.0.5", "--plan", "Hogar")
        sim.reset_counters()
        yield cli, sim


def _queues(sim) -> dict[str, tuple[str, str, str]]:
    return {q["name"]: (q["target"], q.get("max-limit", ""), q.get("comment", "")) for q in sim.simple_queues()}


def _tasks(runtime) -> list[tuple[str, str, int, str | None]]:
    with runtime.uow() as uow:
        return [(t.action, t.status, t.attempts, t.last_error) for t in uow.session.scalars(
            select(RouterTask).where(RouterTask.job == "provision").order_by(RouterTask.id))]


def test_a_run_makes_the_queue_a_second_writes_nothing_and_check_is_clean(net):
    cli, sim = net
    out = cli.json("provision", "--all")
    assert [(c["action"], c["kind"], c["name"], c["error"]) for c in out["changes"]] == [
        ("add", "queue", "ispcube-A1", None)]
    assert out["done"] == 1 and out["failed"] == 0
    assert _queues(sim) == {"vecino": ("10.0.0.99/32", "1000000/1000000", "hecho a mano"),
                            "ispcube-A1": ("10.0.0.5/32", "5000000/20000000", "ispcube:A1")}
    writes = sim.writes
    again = cli.json("provision", "--all")
    assert again["changes"] == [] and sim.writes == writes
    check = cli.json("provision", "--check", "--all")
    assert check["drift"] == 0 and [f["name"] for f in check["foreign"]] == ["vecino"]
    log = cli.json("client", "log", "A1")
    assert "queue 'ispcube-A1' made on router r1" in [e["message"] for e in log]


def test_a_plan_change_sets_only_the_speed_and_a_deleted_client_loses_its_queue(net):
    cli, sim = net
    cli.ok("provision", "--all")
    cli.ok("connection", "edit", "1", "--plan", "Lento")
    out = cli.json("provision", "--all")
    assert [(c["action"], c["name"], c["fields"]) for c in out["changes"]] == [
        ("set", "ispcube-A1", "max-limit=1M/2M")]
    assert _queues(sim)["ispcube-A1"][1] == "1000000/2000000"
    cli.ok("--yes", "client", "delete", "A1")
    out = cli.json("provision", "--all")
    assert [(c["action"], c["name"]) for c in out["changes"]] == [("remove", "ispcube-A1")]
    assert list(_queues(sim)) == ["vecino"]
    assert cli("provision", "--check", "--all").exit_code == 0


def test_a_refused_op_fails_alone_is_recorded_on_a_task_and_made_by_the_next_run(net, runtime):
    cli, sim = net
    cli.ok("client", "add", "--code", "B2", "--name", "Beto", "--address", "Calle 2")
    cli.ok("connection", "add", "B2", "--router", "r1", "--ip", "10.0.0.6", "--plan", "Hogar")
    sim.trap_words = {"=comment=ispcube:B2"}
    result = cli("--format", "json", "provision", "--all")
    assert result.exit_code == 3
    assert "1 failure(s) on the routers" in result.stderr
    assert sorted(_queues(sim)) == ["ispcube-A1", "vecino"]
    [task] = [t for t in _tasks(runtime) if t[1] == "open"]
    assert task[:3] == ("provision", "open", 1) and "add queue 'ispcube-B2': refused" in task[3]
    sim.trap_words = set()
    out = cli.json("provision")                  # the open task names the router: no --all needed
    assert [(c["action"], c["name"]) for c in out["changes"]] == [("add", "ispcube-B2")]
    assert out["closed"] >= 1
    assert [t[1] for t in _tasks(runtime)] == ["done"] * len(_tasks(runtime))
    assert cli("provision", "--check", "--all").exit_code == 0


def test_connection_add_now_makes_it_at_once_and_says_so(net):
    cli, sim = net
    cli.ok("client", "add", "--code", "C3", "--name", "Carla", "--address", "Calle 3")
    result = cli.ok("connection", "add", "C3", "--router", "r1", "--ip", "10.0.0.7", "--plan", "Lento", "--now")
    assert result.stdout == ("connection 2 added to client C3; router r1: add queue 'ispcube-C3' "
                             "(target=10.0.0.7/32 max-limit=1M/2M comment=ispcube:C3)\n")
    assert _queues(sim)["ispcube-C3"] == ("10.0.0.7/32", "1000000/2000000", "ispcube:C3")
    assert "ispcube-A1" not in _queues(sim)           # --now makes this connection's objects only
    edited = cli.json("connection", "edit", "2", "--plan", "Hogar", "--now")
    assert edited["provisioned"]["status"] == "done"
    assert [(c["action"], c["fields"]) for c in edited["provisioned"]["made"]] == [("set", "max-limit=5M/20M")]


def test_connection_add_now_with_the_router_down_exits_3_and_leaves_a_task(net, runtime):
    cli, sim = net
    cli.ok("provision")             # the task the first connection's add queued
    sim.stop()
    cli.ok("client", "add", "--code", "C3", "--name", "Carla", "--address", "Calle 3")
    result = cli("connection", "add", "C3", "--router", "r1", "--ip", "10.0.0.7", "--now")
    assert result.exit_code == 3
    assert result.stdout == "connection 2 added to client C3; router r1: not made (queued)\n"
    assert "connection 2 is saved, but router r1 did not take it (" in result.stderr
    assert result.stderr.rstrip().endswith("queued: `ispcube provision` will make it")
    assert cli.json("connection", "list", "--client", "C3")[0]["ip"] == "10.0.0.7"
    [task] = [t for t in _tasks(runtime) if t[1] == "open"]
    assert task[0] == "provision" and task[2] >= 1 and "r1" in task[3]
