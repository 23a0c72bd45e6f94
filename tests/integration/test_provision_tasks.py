"""Every change a router must follow leaves its provisioning task in the change's own
transaction (S2), on SQLite and PostgreSQL: connection add, edit, delete; plan edit of its
name, speeds or burst; client delete, restore and recode. A change the routers do not see
(a MAC, a CPE kind, a price) leaves none, and a refused command (exit 1) leaves none either.
"""

from datetime import timedelta

import pytest
from sqlalchemy import select, text


@pytest.fixture
def net(cli):
    cli.ok("router", "add", "core", "--kind", "mikrotik", "--host", "10.9.0.1")
    cli.ok("router", "add", "nas", "--kind", "radius", "--host", "10.9.0.2", "--secret-stdin", input="s3cret\n")
    cli.ok("plan", "add", "--name", "Basic", "--price", "100", "--down-kbps", "10000", "--up-kbps", "2000")
    cli.ok("plan", "add", "--name", "Fast", "--price", "200", "--down-kbps", "50000", "--up-kbps", "10000")
    for code, name in (("A1", "Ana"), ("B2", "Beto")):
        cli.ok("client", "add", "--code", code, "--name", name, "--address", f"Calle {code}")
    return cli


def tasks(cli) -> list[tuple]:
    """Every provisioning task: (action, router, connection id, client code, target, status, origin)."""
    from ispcube.db import models as m
    from ispcube.db.engine import get_engine
    from ispcube.db.network_models import RouterTask as T
    with get_engine(cli.url).connect() as conn:
        rows = conn.execute(
            select(T.action, m.Router.name, T.connection_id, m.Client.code, T.target, T.status, T.origin,
                   T.created_on, T.retry_until)
            .join(m.Router, m.Router.id == T.router_id).join(m.Client, m.Client.id == T.client_id)
            .where(T.job == "provision").order_by(T.id)).all()
    for row in rows:
        assert row.retry_until - row.created_on == timedelta(days=5)    # enforce.retry_days
    return [tuple(row)[:7] for row in rows]


def opened(cli) -> list[tuple]:
    return [t for t in tasks(cli) if t[5] == "open"]


def add(cli, *args, **kwargs) -> int:
    return cli.json("connection", "add", *args, **kwargs)["id"]


def test_connection_add_leaves_one_provision_task(net):
    one = add(net, "A1", "--router", "core", "--ip", "10.0.0.5", "--pppoe-user", "ana", "--plan", "Basic")
    two = add(net, "B2", "--router", "nas", "--pppoe-user", "beto")
    assert tasks(net) == [("provision", "core", one, "A1", "10.0.0.5 pppoe:ana", "open", "manual"),
                          ("provision", "nas", two, "B2", "pppoe:beto", "open", "manual")]


def test_a_refused_add_leaves_no_task(net):
    add(net, "A1", "--router", "core", "--ip", "10.0.0.5")
    before = tasks(net)
    for args in (["--ip", "10.0.0.5"], ["--ip", "127.0.0.1"], ["--pppoe-user", "x", "--plan", "Nope"]):
        result = net("connection", "add", "B2", "--router", "core", *args)
        assert result.exit_code == 1, result.stderr
    refused = net("connection", "add", "B2", "--router", "core", "--pppoe-user", "b", "--pppoe-password-stdin",
                  input="\n")
    assert refused.exit_code == 1 and "pppoe-password is empty" in refused.stderr
    assert tasks(net) == before


def test_edit_of_what_no_router_holds_leaves_no_task(net):
    conn = add(net, "A1", "--router", "core", "--ip", "10.0.0.5", "--pppoe-user", "ana")
    net.ok("connection", "edit", str(conn), "--mac", "04:18:D6:AA:01:02", "--cpe-kind", "ubiquiti",
           "--panel", "nas")
    net.ok("connection", "edit", str(conn), "--ip", "10.0.0.5")     # the value it had
    assert len(tasks(net)) == 1


def test_edit_of_plan_or_password_provisions_again_with_one_open_task(net):
    conn = add(net, "A1", "--router", "core", "--ip", "10.0.0.5", "--pppoe-user", "ana")
    net.ok("connection", "edit", str(conn), "--plan", "Basic")
    net.ok("connection", "edit", str(conn), "--pppoe-password-stdin", input="n3w-pass\n")
    net.ok("connection", "edit", str(conn), "--new-pppoe-password")
    assert tasks(net) == [("provision", "core", conn, "A1", "10.0.0.5 pppoe:ana", "open", "manual")]


def test_edit_of_ip_or_user_removes_the_old_names(net):
    conn = add(net, "A1", "--router", "core", "--ip", "10.0.0.5", "--pppoe-user", "ana")
    net.ok("connection", "edit", str(conn), "--ip", "10.0.0.6")
    net.ok("connection", "edit", str(conn), "--pppoe-user", "ana.p")
    assert tasks(net) == [("provision", "core", conn, "A1", "10.0.0.6 pppoe:ana.p", "open", "manual"),
                          ("deprovision", "core", None, "A1", "10.0.0.5 pppoe:ana", "open", "manual"),
                          ("deprovision", "core", None, "A1", "10.0.0.6 pppoe:ana", "open", "manual")]


def test_a_move_to_another_router_removes_there_and_moves_the_task(net):
    conn = add(net, "A1", "--router", "core", "--ip", "10.0.0.5", "--pppoe-user", "ana")
    net.ok("connection", "edit", str(conn), "--router", "nas")
    assert tasks(net) == [("provision", "nas", conn, "A1", "10.0.0.5 pppoe:ana", "open", "manual"),
                          ("deprovision", "core", None, "A1", "10.0.0.5 pppoe:ana", "open", "manual")]


def test_a_refused_edit_leaves_no_task(net):
    conn = add(net, "A1", "--router", "core", "--ip", "10.0.0.5", "--pppoe-user", "ana")
    add(net, "B2", "--router", "core", "--ip", "10.0.0.9")
    before = tasks(net)
    for args, kwargs in ((["--ip", "10.0.0.9"], {}), (["--router", "nas", "--pppoe-user", ""], {}),
                         (["--pppoe-password-stdin"], {"input": "a\tb\n"}),
                         (["--pppoe-password-stdin"], {"input": "x" * 101 + "\n"}),
                         (["--pppoe-password-stdin", "--new-pppoe-password"], {"input": "good-one\n"})):
        result = net("connection", "edit", str(conn), *args, **kwargs)
        assert result.exit_code == 1 and result.stderr.count("\n") == 1, (args, result.stderr)
    assert tasks(net) == before


def test_connection_delete_removes_its_objects(net):
    conn = add(net, "A1", "--router", "core", "--ip", "10.0.0.5", "--pppoe-user", "ana")
    net.ok("--yes", "connection", "delete", str(conn))
    assert tasks(net)[1:] == [("deprovision", "core", None, "A1", "10.0.0.5 pppoe:ana", "open", "manual")]
    assert net("--yes", "connection", "delete", str(conn)).exit_code != 0
    assert len(tasks(net)) == 2


def _close_all(cli) -> None:
    from ispcube.db.engine import get_engine
    with get_engine(cli.url).begin() as conn:
        conn.execute(text("UPDATE router_tasks SET status = 'done'"))


def test_plan_edit_of_what_routers_hold_provisions_its_connections(net):
    one = add(net, "A1", "--router", "core", "--ip", "10.0.0.5", "--pppoe-user", "ana", "--plan", "Basic")
    two = add(net, "B2", "--router", "nas", "--pppoe-user", "beto", "--plan", "Basic")
    add(net, "B2", "--router", "core", "--ip", "10.0.0.7", "--plan", "Fast")
    _close_all(net)
    net.ok("plan", "edit", "Basic", "--price", "120", "--vat-rate", "21")
    assert opened(net) == []
    for args in (["--down-kbps", "12000"], ["--up-kbps", "3000"],
                 ["--burst-down-kbps", "20000", "--burst-up-kbps", "4000", "--burst-seconds", "8"],
                 ["--burst-seconds", "10"], ["--burst-down-kbps", "", "--burst-up-kbps", "", "--burst-seconds", ""],
                 ["--name", "Basico"]):
        net.ok("plan", "edit", "Basic", *args)
        assert opened(net) == [("provision", "core", one, "A1", "10.0.0.5 pppoe:ana", "open", "plan"),
                               ("provision", "nas", two, "B2", "pppoe:beto", "open", "plan")], args
        _close_all(net)


def test_plan_edit_refused_leaves_no_task(net):
    add(net, "A1", "--router", "core", "--ip", "10.0.0.5", "--plan", "Basic")
    _close_all(net)
    for args in (["--burst-down-kbps", "20000"], ["--down-kbps", "abc"],
                 ["--burst-down-kbps", "9000", "--burst-up-kbps", "4000", "--burst-seconds", "8"]):
        result = net("plan", "edit", "Basic", *args)
        assert result.exit_code == 1 and result.stderr.count("\n") == 1, result.stderr
    assert opened(net) == []


def test_client_delete_restore_and_recode(net):
    one = add(net, "A1", "--router", "core", "--ip", "10.0.0.5", "--pppoe-user", "ana")
    two = add(net, "A1", "--router", "nas", "--pppoe-user", "ana2")
    _close_all(net)
    net.ok("--yes", "client", "delete", "A1")
    assert opened(net) == [
        ("deprovision", "core", None, "ZZ00000001", "10.0.0.5 pppoe:ana", "open", "client"),
        ("deprovision", "nas", None, "ZZ00000001", "pppoe:ana2", "open", "client")]
    _close_all(net)
    assert net("--yes", "connection", "delete", str(one)).exit_code == 0    # already leaving
    net.ok("client", "restore", "ZZ00000001")
    assert opened(net) == [("provision", "nas", two, "A1", "pppoe:ana2", "open", "client")]
    _close_all(net)
    net.ok("client", "recode", "A1", "A7")
    assert opened(net) == [("provision", "nas", two, "A7", "pppoe:ana2", "open", "client")]
    _close_all(net)
    assert net("--yes", "client", "delete", "ZZ99").exit_code == 1
    assert opened(net) == []


def test_connection_import_queues_every_row_added_or_changed(net, tmp_path):
    kept = add(net, "A1", "--router", "core", "--ip", "10.0.0.9", "--pppoe-user", "ana9")
    moved = add(net, "B2", "--router", "core", "--ip", "10.0.0.8")
    _close_all(net)
    new = tmp_path / "new.csv"
    new.write_text("cliente,router,ip,usuario_pppoe,clave_pppoe,plan\n"
                   "A1,core,10.0.0.5,ana,Clave-1,Basic\nB2,nas,,beto,,\n", encoding="utf-8")
    net.ok("connection", "import", str(new), "--dry-run")
    assert opened(net) == []
    net.ok("connection", "import", str(new))
    ids = {c["ip"] or c["pppoe_user"]: c["id"] for c in net.json("connection", "list")}
    assert sorted(opened(net), key=str) == [
        ("provision", "core", ids["10.0.0.5"], "A1", "10.0.0.5 pppoe:ana", "open", "import"),
        ("provision", "nas", ids["beto"], "B2", "pppoe:beto", "open", "import")]
    _close_all(net)
    changed = tmp_path / "changed.csv"
    changed.write_text("client,router,ip,mac,plan\n"
                       "A1,core,10.0.0.9,04:18:D6:AA:01:09,\n"        # only a MAC: nothing for the router
                       "A1,core,10.0.0.5,,Fast\n"                      # its plan
                       "A1,core,10.0.0.8,,\n", encoding="utf-8")       # to another client: its names change
    net.ok("connection", "import", str(changed), "--update")
    assert sorted(opened(net), key=str) == sorted([
        ("deprovision", "core", None, "B2", "10.0.0.8", "open", "import"),
        ("provision", "core", ids["10.0.0.5"], "A1", "10.0.0.5 pppoe:ana", "open", "import"),
        ("provision", "core", moved, "A1", "10.0.0.8", "open", "import")], key=str)
    assert kept not in [t[2] for t in opened(net)]


def test_a_refused_import_leaves_no_task(net, tmp_path):
    _close_all(net)
    bad = tmp_path / "bad.csv"
    bad.write_text("cliente,router,ip\nA1,core,10.0.0.5\nB2,core,10.0.0.300\n", encoding="utf-8")
    assert net("connection", "import", str(bad)).exit_code == 1
    assert tasks(net) == [] and net.json("connection", "list") == []
    assert net("connection", "import", str(bad), "--skip-invalid").exit_code == 3
    [conn] = net.json("connection", "list")
    assert tasks(net) == [("provision", "core", conn["id"], "A1", "10.0.0.5", "open", "import")]


def test_a_deleted_clients_connection_changes_without_tasks_until_restored(net):
    conn = add(net, "A1", "--router", "core", "--ip", "10.0.0.5")
    net.ok("--yes", "client", "delete", "A1")
    _close_all(net)
    net.ok("connection", "edit", str(conn), "--ip", "10.0.0.6", "--router", "nas", "--pppoe-user", "ana")
    assert opened(net) == []
    net.ok("client", "restore", "ZZ00000001")
    assert opened(net) == [("provision", "nas", conn, "A1", "10.0.0.6 pppoe:ana", "open", "client")]
