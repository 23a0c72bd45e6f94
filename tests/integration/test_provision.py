"""`ispcube provision` (S2, S3) against a simulated MikroTik: what --check and --dry-run say
without writing, the job lock, a router that cannot be read. The runs that write are in
test_provision_apply.py."""

from contextlib import ExitStack
import json

import pytest

from ispcube.domain.terms import JobName
from ispcube.services.process.job_lock import job_lock
from tests.support.network import add_mikrotik, start_simulators


@pytest.fixture
def net(cli):
    """Router r1 (a simulator) holding a secret someone made by hand; client A1 with an IP-only
    connection on the plan Hogar (20 Mbit/s down, 5 up)."""
    with ExitStack() as stack:
        sim = start_simulators(stack, 1)[0]
        sim.add_ppp_secret("vecino", password="x", profile="default", service="pppoe", comment="hecho a mano")
        add_mikrotik(cli, "r1", sim)
        cli.ok("plan", "add", "--name", "Hogar", "--price", "9500", "--down-kbps", "20000", "--up-kbps", "5000")
        cli.ok("client", "add", "--code", "A1", "--name", "Ana", "--address", "Calle 1")
        cli.ok("connection", "add", "A1", "--router", "r1", "--ip", "10.0.0.5", "--plan", "Hogar")
        sim.reset_counters()
        yield cli, sim


def test_check_reports_what_is_missing_and_the_foreign_objects_without_writing(net):
    cli, sim = net
    result = cli("--format", "json", "provision", "--check", "--all")
    assert result.exit_code == 3, result.stderr
    summary = json.loads(result.stdout)
    assert [(c["action"], c["kind"], c["name"], c["client"], c["fields"]) for c in summary["changes"]] == [
        ("add", "queue", "ispcube-A1", "A1", "target=10.0.0.5/32 max-limit=5M/20M comment=ispcube:A1")]
    assert [(f["kind"], f["name"], f["comment"]) for f in summary["foreign"]] == [("secret", "vecino", "hecho a mano")]
    assert summary["drift"] == 1 and summary["mode"] == "check"
    assert "1 difference(s) between the routers and the wanted objects" in result.stderr
    assert sim.writes == 0
    assert [q["name"] for q in sim.simple_queues()] == []


def test_dry_run_prints_the_plan_and_writes_nothing(net):
    cli, sim = net
    result = cli.ok("provision", "--dry-run", "--router", "r1")
    assert "add" in result.stdout and "ispcube-A1" in result.stdout and "max-limit=5M/20M" in result.stdout
    assert result.stdout.rstrip().endswith("router changes planned")
    assert sim.writes == 0 and sim.simple_queues() == []


def test_check_on_a_router_that_cannot_be_reached_exits_3_and_names_it(net):
    cli, sim = net
    sim.stop()
    result = cli("provision", "--check", "--router", "r1")
    assert result.exit_code == 3
    assert "1 router(s) could not be read" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_a_second_run_exits_75(net, runtime):
    cli, sim = net
    with job_lock(runtime.engine, JobName.PROVISION):
        busy = cli("provision", "--all")
    assert busy.exit_code == 75
    assert busy.stderr == "ispcube: another `ispcube provision` run holds the lock; try again later\n"
    assert sim.writes == 0


def test_with_no_work_queued_a_run_reads_no_router(net):
    cli, sim = net
    cli.ok("provision", "--all")                 # whatever the connection's change queued is done
    sim.reset_counters()
    out = cli.json("provision")
    assert out["routers"] == [] and out["changes"] == []
    assert sim.logins == 0
    assert cli.ok("provision").stdout.splitlines()[0] == \
        "no router has provisioning work queued (--all looks at every router)"
