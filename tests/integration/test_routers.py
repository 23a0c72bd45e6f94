"""Routers and connections (A4, N3): the network tables through the CLI, on both backends."""

from contextlib import ExitStack
import shutil
import ssl
import subprocess

import pytest

from ispcube.sim.routeros import RouterOSSimulator
from tests.support.network import SIM_PASSWORD, SIM_USER, add_mikrotik, start_simulators


@pytest.fixture
def sim():
    with ExitStack() as stack:
        yield start_simulators(stack, 1)[0]


def test_router_add_list_edit_never_shows_the_secret(cli):
    cli.ok("node", "add", "--name", "Norte")
    cli.ok("router", "add", "core", "--kind", "mikrotik", "--host", "10.9.0.1", "--user", "api",
           "--secret-stdin", "--node", "Norte", input="Very$ecret\n")
    cli.ok("router", "add", "nas1", "--kind", "radius", "--host", "10.9.0.2", "--coa-port", "3799",
           "--secret-env", "RAD_SECRET", env={"RAD_SECRET": "radsecret"})
    rows = cli.json("router", "list")
    assert [(r["name"], r["kind"], r["host"], r["secret"], r["node"]) for r in rows] == [
        ("core", "mikrotik", "10.9.0.1", "set", "Norte"), ("nas1", "radius", "10.9.0.2", "set", None)]
    cli.ok("router", "edit", "core", "--port", "8729", "--api-ssl", "--name", "core2")
    table = cli.ok("router", "list").stdout
    assert "core2" in table and "8729" in table
    for fmt in ("table", "csv", "json"):
        assert "Very$ecret" not in cli.ok("--format", fmt, "router", "list").stdout
        assert "radsecret" not in cli.ok("--format", fmt, "router", "list").stdout


@pytest.mark.parametrize("args, message", [
    (["--kind", "cisco", "--host", "h"], "router kind 'cisco' is not one of mikrotik, radius"),
    (["--kind", "mikrotik", "--host", "h", "--port", "70000"], "router port '70000' is out of range"),
    (["--kind", "mikrotik", "--host", "h", "--port", "abc"], "router port 'abc' is not a port number"),
    (["--kind", "mikrotik"], "--host required"),
    (["--kind", "mikrotik", "--host", "h", "--node", "Nope"], "router node 'Nope': no such node"),
    (["--kind", "mikrotik", "--host", "h", "--secret-env", "UNSET_VAR_X"], "UNSET_VAR_X"),
    (["--kind", "mikrotik", "--host", "999.1.1.1"], "router host '999.1.1.1' is not a host name or IP address"),
    (["--kind", "mikrotik", "--host", "fe80::zz"], "router host 'fe80::zz' is not a host name or IP address"),
])
def test_router_bad_input_changes_nothing(cli, args, message):
    result = cli("router", "add", "r1", *args)
    assert result.exit_code == 1 and message in result.stderr, result.stderr
    assert cli.json("router", "list") == []


def test_router_test_reports_reachability_login_and_lists(cli, sim):
    add_mikrotik(cli, "core", sim)
    sim.add_address("ispcube-cut", "10.0.0.9", comment="X1")
    shown = cli.json("router", "test", "core")
    assert shown["reachable"] is True and shown["login"] == "ok"
    assert shown["identity"] == "r1" and shown["ispcube-cut entries"] == 1


def test_router_test_tells_bad_password_from_unreachable(cli, sim):
    cli.ok("router", "add", "core", "--kind", "mikrotik", "--host", sim.host, "--port", str(sim.port),
           "--user", "admin", "--secret-stdin", input="wrong\n")
    result = cli("router", "test", "core")
    assert result.exit_code == 1 and "router core" in result.stderr
    assert "invalid user name or password" in result.stderr and "wrong" not in result.stderr
    sim.refuse_connections = True
    cli.ok("router", "edit", "core", "--secret-stdin", input=SIM_PASSWORD + "\n")
    result = cli("router", "test", "core")
    assert result.exit_code == 1 and "router core" in result.stderr
    assert "password" not in result.stderr


def test_connections_validated_and_one_ip_per_router(cli):
    cli.ok("plan", "add", "--name", "Hogar", "--price", "9500")
    cli.ok("router", "add", "core", "--kind", "mikrotik", "--host", "10.9.0.1")
    cli.ok("router", "add", "edge", "--kind", "mikrotik", "--host", "10.9.0.3")
    cli.ok("client", "add", "--code", "A1", "--name", "Ana", "--address", "Calle 1")
    cli.ok("client", "add", "--code", "B2", "--name", "Beto", "--address", "Calle 2")
    shown = cli.json("connection", "add", "A1", "--router", "core", "--ip", "10.0.0.5",
                     "--mac", "04-18-d6-aa-01-02", "--plan", "Hogar", "--cpe-kind", "Ubiquiti",
                     "--panel", "edge")
    assert (shown["ip"], shown["mac"], shown["cpe_kind"], shown["panel"]) == (
        "10.0.0.5", "04:18:D6:AA:01:02", "ubiquiti", "edge")
    taken = cli("connection", "add", "B2", "--router", "core", "--ip", "10.0.0.5")
    assert taken.exit_code == 1
    assert "IP 10.0.0.5 is already used on router core by client A1" in taken.stderr
    cli.ok("connection", "add", "B2", "--router", "edge", "--ip", "10.0.0.5")
    for args, message in [(["--ip", "10.0.0.256"], "connection ip '10.0.0.256' is not an IP address"),
                          (["--ip", "10.0.0.7", "--mac", "zz"], "connection mac 'zz' is not a MAC"),
                          ([], "needs an --ip or a --pppoe-user"),
                          (["--ip", "10.0.0.8", "--plan", "Oro"], "connection plan 'Oro': no such plan")]:
        result = cli("connection", "add", "B2", "--router", "core", *args)
        assert result.exit_code == 1 and message in result.stderr, result.stderr
    assert len(cli.json("connection", "list")) == 2
    assert [c["ip"] for c in cli.json("client", "show", "A1")["connections"]] == ["10.0.0.5"]


def test_connection_edit_delete_are_logged_and_router_delete_refused_while_used(cli):
    cli.ok("router", "add", "core", "--kind", "mikrotik", "--host", "10.9.0.1")
    cli.ok("client", "add", "--code", "A1", "--name", "Ana", "--address", "Calle 1")
    conn = cli.json("connection", "add", "A1", "--router", "core", "--ip", "10.0.0.5")
    cli.ok("connection", "edit", str(conn["id"]), "--ip", "10.0.0.6", "--pppoe-user", "ana")
    refused = cli("--yes", "router", "delete", "core")
    assert refused.exit_code == 1 and "in use by connections of client A1 (10.0.0.6)" in refused.stderr
    assert cli("router", "delete", "core").exit_code == 2      # destructive: needs --yes off a terminal
    cli.ok("--yes", "connection", "delete", str(conn["id"]))
    cli.ok("--yes", "router", "delete", "core")
    kinds = [e["kind"] for e in cli.json("client", "log", "A1")]
    assert kinds[-3:] == ["connection.add", "connection.edit", "connection.delete"]
    messages = " ".join(e["message"] for e in cli.json("client", "log", "A1"))
    assert "10.0.0.5 -> router core, 10.0.0.6, pppoe ana" in messages


def test_radius_connection_needs_a_pppoe_user(cli):
    cli.ok("router", "add", "nas1", "--kind", "radius", "--host", "10.9.0.2")
    cli.ok("client", "add", "--code", "A1", "--name", "Ana", "--address", "Calle 1")
    result = cli("connection", "add", "A1", "--router", "nas1", "--ip", "10.0.0.5")
    assert result.exit_code == 1 and "RADIUS router nas1 needs a --pppoe-user" in result.stderr


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command to make a certificate")
def test_api_ssl_router_with_a_self_signed_certificate(cli, tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "1", "-subj", "/CN=router"], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    with RouterOSSimulator(username=SIM_USER, password=SIM_PASSWORD, ssl_context=context) as sim:
        cli.ok("router", "add", "core", "--kind", "mikrotik", "--host", sim.host, "--port", str(sim.port),
               "--api-ssl", "--user", SIM_USER, "--secret-stdin", input=SIM_PASSWORD + "\n")
        assert cli.json("router", "test", "core")["login"] == "ok"
        cli.ok("router", "edit", "core", "--no-api-ssl")
        assert cli("router", "test", "core").exit_code == 1     # plain API against an SSL port


def test_a_router_deleted_takes_its_provisioning_work_along_but_enforcement_history_keeps_it(cli, runtime):
    from datetime import date, datetime

    from sqlalchemy import func, insert, select

    from ispcube.db.network_models import RouterTask
    for name in ("core", "edge"):
        cli.ok("router", "add", name, "--kind", "mikrotik", "--host", "10.9.0.1" if name == "core" else "10.9.0.3")
    cli.ok("client", "add", "--code", "A1", "--name", "Ana", "--address", "Calle 1")
    for name in ("core", "edge"):
        conn = cli.json("connection", "add", "A1", "--router", name, "--ip", "10.0.0.5")
        cli.ok("--yes", "connection", "delete", str(conn["id"]))     # queues the removal of its queue there
    with runtime.uow() as uow:
        edge = uow.session.scalar(select(RouterTask.router_id).where(RouterTask.target == "10.0.0.5")
                                  .order_by(RouterTask.router_id.desc()).limit(1))
        uow.session.execute(insert(RouterTask).values(
            job="enforce", router_id=edge, connection_id=None, target="10.0.0.5", client_id=1, action="cut",
            origin="job", status="done", created_on=date(2026, 11, 2), retry_until=date(2026, 11, 7),
            created_at=datetime(2026, 11, 2, 6, 0), attempts=1))
        uow.commit()
    deleted = cli.ok("--yes", "router", "delete", "core")            # its provisioning tasks go with it
    assert deleted.stdout == ("router core deleted; 1 removal(s) queued for it are dropped: what ispcube made "
                              "there for connections deleted since stays on the router\n")
    refused = cli("--yes", "router", "delete", "edge")
    assert refused.exit_code == 1 and "history of enforcement tasks" in refused.stderr
    with runtime.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(RouterTask)
                                  .where(RouterTask.router_id == edge)) == 3     # nothing of edge's went
    assert [r["name"] for r in cli.json("router", "list")] == ["edge"]
