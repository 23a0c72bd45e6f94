"""A provisioning task that keeps failing (R2, R18, S2): its router is down, so each `provision`
run records the failure and keeps the task open until `enforce.retry_days` have passed since it
was queued; the next run gives it up, logs that on the client and exits 3 saying so. The days
are fixed with `provision --today` (a day other than today needs --yes), counted from the day
the task says it was queued, so the test runs the same on any day."""

from contextlib import ExitStack
from datetime import date, timedelta
import json

import pytest
from sqlalchemy import select

from ispcube.db.network_models import RouterTask
from tests.support.network import add_mikrotik, start_simulators


@pytest.fixture
def down(cli):
    with ExitStack() as stack:
        sim = start_simulators(stack, 1)[0]
        add_mikrotik(cli, "r1", sim)
        sim.refuse_connections = True
        cli.ok("plan", "add", "--name", "Hogar", "--price", "9500", "--down-kbps", "20000", "--up-kbps", "5000")
        cli.ok("client", "add", "--code", "A1", "--name", "Ana", "--address", "Calle 1")
        cli.ok("connection", "add", "A1", "--router", "r1", "--ip", "10.0.0.5", "--plan", "Hogar")
        yield cli, sim


def _queued_on(runtime) -> date:
    with runtime.uow() as uow:
        return uow.session.scalars(select(RouterTask.created_on).where(RouterTask.job == "provision")).one()


def _run(cli, day: date):
    result = cli("--format", "json", "--yes", "provision", "--today", day.isoformat())
    return result, json.loads(result.stdout)


def test_a_failing_task_is_retried_for_the_window_then_expires_and_is_logged(down, runtime):
    cli, sim = down
    queued = _queued_on(runtime)
    for offset in (0, 1, 5):                               # within enforce.retry_days (5): tried again
        result, summary = _run(cli, queued + timedelta(days=offset))
        assert result.exit_code == 3 and "1 failure(s) on the routers" in result.stderr
        assert summary["expired"] == 0 and summary["routers"][0]["status"] == "failed"
    with runtime.uow() as uow:
        [(status, attempts, error)] = uow.session.execute(
            select(RouterTask.status, RouterTask.attempts, RouterTask.last_error)).all()
    assert (status, attempts) == ("open", 3) and "router r1" in error

    result, summary = _run(cli, queued + timedelta(days=6))
    assert result.exit_code == 3 and "1 task(s) expired" in result.stderr
    assert [(e["client"], e["router"], e["action"], e["since"]) for e in summary["expired_tasks"]] == [
        ("A1", "r1", "provision", queued.isoformat())]
    log = cli.json("client", "log", "A1")
    assert [e["kind"] for e in log].count("service.expired") == 1
    assert log[-1]["kind"] == "service.expired" and "gave up provision on router r1" in log[-1]["message"]

    after, summary = _run(cli, queued + timedelta(days=7))     # nothing left: nothing queued, nothing run
    assert after.exit_code == 0 and summary["expired"] == 0 and summary["routers"] == []
    sim.refuse_connections = False                             # back up: a run over every router makes it
    healed = cli.json("--yes", "provision", "--all", "--today", (queued + timedelta(days=7)).isoformat())
    assert [c["name"] for c in healed["changes"]] == ["ispcube-A1"]


def test_a_day_other_than_today_is_a_dry_run_without_yes(down, runtime):
    cli, _ = down
    other = (_queued_on(runtime) + timedelta(days=30)).isoformat()
    result = cli("provision", "--today", other)
    assert f"--today {other} is not today" in result.stderr and "a dry run" in result.stderr
    with runtime.uow() as uow:
        assert uow.session.scalars(select(RouterTask.attempts)).one() == 0
