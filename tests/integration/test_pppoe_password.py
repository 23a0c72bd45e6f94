"""A connection's PPPoE password (S1), on SQLite and PostgreSQL: given on stdin or made by
`connection add` (letters and digits, 12 characters) and shown once, in that command's output;
never again in any output that shows connections or clients (lists, show, log, exports, a
later edit, errors), text, CSV or JSON. The client log says only that it was set or changed.
"""

import json
import re

import pytest
from sqlalchemy import select

FORMATS = ("table", "csv", "json")


@pytest.fixture
def net(cli):
    cli.ok("router", "add", "core", "--kind", "mikrotik", "--host", "10.9.0.1")
    cli.ok("router", "add", "nas", "--kind", "radius", "--host", "10.9.0.2", "--secret-stdin", input="s3cret\n")
    cli.ok("plan", "add", "--name", "Basic", "--price", "100", "--down-kbps", "10000", "--up-kbps", "2000")
    cli.ok("client", "add", "--code", "A1", "--name", "Ana", "--address", "Calle 1")
    return cli


def stored(cli, conn_id: int) -> str | None:
    from ispcube.db import models as m
    from ispcube.db.engine import get_engine
    with get_engine(cli.url).connect() as conn:
        return conn.scalar(select(m.Connection.pppoe_password).where(m.Connection.id == conn_id))


def log(cli) -> list[str]:
    return [e["message"] for e in cli.json("client", "log", "A1") if e["kind"].startswith("connection.")]


def test_add_makes_a_password_and_shows_it_once_in_text(net):
    result = net.ok("connection", "add", "A1", "--router", "core", "--ip", "10.0.0.5", "--pppoe-user", "ana")
    made = re.fullmatch(r"connection (\d+) added to client A1; its PPPoE password, shown only this once: "
                        r"([A-Za-z0-9]{12})\n", result.stdout)
    assert made, result.stdout
    assert stored(net, int(made[1])) == made[2]
    assert log(net) == ["connection 1 added: router core, 10.0.0.5, pppoe ana; password set"]


def test_quiet_still_shows_a_made_password_and_only_it(net):
    quiet = net.ok("--quiet", "connection", "add", "A1", "--router", "core", "--pppoe-user", "ana")
    assert re.fullmatch(r"connection 1 added to client A1; its PPPoE password, shown only this once: "
                        r"[A-Za-z0-9]{12}\n", quiet.stdout)
    assert quiet.stdout.rsplit(" ", 1)[1].strip() == stored(net, 1)
    assert net.ok("--quiet", "connection", "edit", "1", "--mac", "04:18:D6:AA:01:02").stdout == ""
    again = net.ok("--quiet", "connection", "edit", "1", "--new-pppoe-password").stdout
    assert again == f"connection 1 changed; its PPPoE password, shown only this once: {stored(net, 1)}\n"


def test_add_shows_the_made_password_in_json_and_none_when_given(net):
    shown = net.json("connection", "add", "A1", "--router", "nas", "--pppoe-user", "ana")
    assert re.fullmatch(r"[A-Za-z0-9]{12}", shown["new_pppoe_password"])
    assert stored(net, shown["id"]) == shown["new_pppoe_password"]
    given = net.json("connection", "add", "A1", "--router", "core", "--pppoe-user", "ana2",
                     "--pppoe-password-stdin", input="Clave Vieja 2019\n")
    assert given["new_pppoe_password"] is None and stored(net, given["id"]) == "Clave Vieja 2019"
    plain = net.json("connection", "add", "A1", "--router", "core", "--ip", "10.0.0.7")
    assert plain["new_pppoe_password"] is None and stored(net, plain["id"]) is None


def test_made_passwords_differ(net):
    made = {net.json("connection", "add", "A1", "--router", "nas", "--pppoe-user", f"u{n}")["new_pppoe_password"]
            for n in range(8)}
    assert len(made) == 8


@pytest.mark.parametrize("line, says", [
    ("\n", "connection pppoe-password is empty"),
    ("", "connection pppoe-password is empty"),
    ("tab\there\n", "connection pppoe-password holds a control character"),
    ("bell\x07\n", "connection pppoe-password holds a control character"),
    ("p" * 101 + "\n", "connection pppoe-password is longer than 100 characters"),
])
def test_a_bad_password_is_refused_without_repeating_it(net, line, says):
    conn = net.json("connection", "add", "A1", "--router", "core", "--pppoe-user", "ana",
                    "--pppoe-password-stdin", input="first-one\n")["id"]
    events = log(net)
    for args in (["connection", "add", "A1", "--router", "core", "--pppoe-user", "ana2"],
                 ["connection", "edit", str(conn)]):
        result = net(*args, "--pppoe-password-stdin", input=line)
        assert result.exit_code == 1 and result.stderr.startswith(f"ispcube: {says}"), result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        if line.strip():
            assert line.strip() not in result.stderr
    assert [c["id"] for c in net.json("connection", "list")] == [conn]
    assert stored(net, conn) == "first-one" and log(net) == events


def test_a_password_needs_a_pppoe_user(net):
    result = net("connection", "add", "A1", "--router", "core", "--ip", "10.0.0.5", "--pppoe-password-stdin",
                 input="secreto-1\n")
    assert result.exit_code == 1 and "needs a --pppoe-user" in result.stderr and "secreto-1" not in result.stderr
    conn = net.json("connection", "add", "A1", "--router", "core", "--ip", "10.0.0.5")["id"]
    result = net("connection", "edit", str(conn), "--new-pppoe-password")
    assert result.exit_code == 1 and "needs a --pppoe-user" in result.stderr
    assert stored(net, conn) is None


def test_edit_sets_changes_makes_and_clears(net):
    conn = net.json("connection", "add", "A1", "--router", "core", "--ip", "10.0.0.5")["id"]
    net.ok("connection", "edit", str(conn), "--pppoe-user", "ana", "--pppoe-password-stdin", input="uno-1\n")
    assert stored(net, conn) == "uno-1"
    net.ok("connection", "edit", str(conn), "--pppoe-password-stdin", input="dos-2\r\n")
    assert stored(net, conn) == "dos-2"
    result = net.ok("connection", "edit", str(conn), "--new-pppoe-password")
    made = result.stdout.rsplit(": ", 1)[1].strip()
    assert result.stdout == f"connection {conn} changed; its PPPoE password, shown only this once: {made}\n"
    assert stored(net, conn) == made and re.fullmatch(r"[A-Za-z0-9]{12}", made)
    net.ok("connection", "edit", str(conn), "--mac", "04:18:D6:AA:01:02")
    assert stored(net, conn) == made
    net.ok("connection", "edit", str(conn), "--pppoe-user", "")     # no PPPoE login, no password
    assert stored(net, conn) is None
    net.ok("plan", "add", "--name", "Hogar", "--price", "100")
    net.ok("connection", "edit", str(conn), "--plan", "Hogar")       # a plan change is logged as one
    assert log(net)[1:] == [
        "connection 1 changed: router core, 10.0.0.5 -> router core, 10.0.0.5, pppoe ana; password set",
        "connection 1 changed: password changed",
        "connection 1 changed: password changed",
        "connection 1 changed: router core, 10.0.0.5, pppoe ana -> router core, 10.0.0.5, mac 04:18:D6:AA:01:02, "
        "pppoe ana",
        "connection 1 changed: router core, 10.0.0.5, mac 04:18:D6:AA:01:02, pppoe ana -> router core, 10.0.0.5, "
        "mac 04:18:D6:AA:01:02; password cleared",
        "connection 1 changed: router core, 10.0.0.5, mac 04:18:D6:AA:01:02 -> router core, 10.0.0.5, "
        "mac 04:18:D6:AA:01:02, plan Hogar"]


def test_the_password_is_never_shown_again(net, tmp_path):
    """Every output that shows connections or their clients, in every format, after the add."""
    made = net.json("connection", "add", "A1", "--router", "core", "--ip", "10.0.0.5", "--pppoe-user", "ana",
                    "--plan", "Basic")
    password, conn = made["new_pppoe_password"], str(made["id"])
    given = "Dada-En-Stdin-77"
    net.ok("connection", "add", "A1", "--router", "nas", "--pppoe-user", "ana.r", "--pppoe-password-stdin",
           input=given + "\n")
    (tmp_path / "conns.csv").write_text("client,router,ip,pppoe_user,plan\nA1,core,10.0.0.5,ana,Basic\n")
    commands = [["connection", "list"], ["connection", "list", "--client", "A1"], ["connection", "list",
                "--router", "core"], ["client", "show", "A1"], ["client", "list"], ["client", "log", "A1"],
                ["connection", "edit", conn, "--mac", "04:18:D6:AA:01:02"], ["connection", "edit", conn],
                ["connection", "import", str(tmp_path / "conns.csv"), "--update", "--dry-run"],
                ["connection", "import", str(tmp_path / "conns.csv"), "--update"],
                ["connection", "import", str(tmp_path / "conns.csv")],       # refused: already used
                ["connection", "edit", conn, "--ip", "10.0.0.300"], ["router", "list"], ["plan", "list"]]
    outputs = []
    for fmt in FORMATS:
        for args in commands:
            result = net("--format", fmt, *args)
            outputs.append(result.stdout + result.stderr)
        for ext in ("csv", "json"):
            out = tmp_path / f"clients-{fmt}.{ext}"
            result = net("--format", fmt, "export", "clients", "--out", str(out))
            outputs += [result.stdout + result.stderr, out.read_text(encoding="utf-8")]
    assert len(outputs) == 3 * (len(commands) + 4)
    assert any("10.0.0.5" in text for text in outputs)      # the walk saw the connection
    for secret in (password, given):
        assert not [text for text in outputs if secret in text]
    assert stored(net, int(conn)) == password
    log_text = json.dumps(net.json("client", "log", "A1"))
    assert password not in log_text and given not in log_text and "password set" in log_text


def test_import_takes_the_password_column_and_never_shows_it(net, tmp_path):
    net.ok("client", "add", "--code", "B2", "--name", "Beto", "--address", "Calle 2")
    file = tmp_path / "conns.csv"
    file.write_text("cliente,router,ip,usuario_pppoe,contraseña\n"
                    "A1,core,10.0.0.5,ana,Vieja-Del-CPE 1\n"
                    "B2,nas,,beto,\n", encoding="utf-8")
    net.ok("connection", "import", str(file))
    ids = {c["pppoe_user"]: c["id"] for c in net.json("connection", "list")}
    assert stored(net, ids["ana"]) == "Vieja-Del-CPE 1"
    assert stored(net, ids["beto"]) is None           # no password made: the CPE keeps its own
    assert log(net) == ["import of conns.csv: connection added (line 2): router core, 10.0.0.5, pppoe ana; "
                        "password set"]
    file.write_text("client,router,ip,pppoe_password\nA1,core,10.0.0.5,Nueva-2\n", encoding="utf-8")
    net.ok("connection", "import", str(file), "--update")
    assert stored(net, ids["ana"]) == "Nueva-2"
    assert log(net)[-1] == ("import of conns.csv: connection 1 changed (line 2): router core, 10.0.0.5, pppoe ana "
                            "-> router core, 10.0.0.5, pppoe ana; password changed")
    for text, found in ((json.dumps(net.json("client", "log", "A1")), "Nueva-2"),
                        (net.ok("--format", "csv", "connection", "list").stdout, "Vieja")):
        assert found not in text


@pytest.mark.parametrize("cell, reason", [
    ("Con\ttab", "holds a control character"),
    ("x" * 101, "is longer than 100 characters"),
])
def test_import_refuses_a_bad_password_without_showing_it(net, tmp_path, cell, reason):
    file = tmp_path / "conns.csv"
    file.write_text(f"client,router,ip,pppoe_user,password\nA1,core,10.0.0.5,ana,{cell}\n", encoding="utf-8")
    report = tmp_path / "report.csv"
    for args in ([], ["--report", str(report)]):
        result = net("connection", "import", str(file), *args)
        assert result.exit_code == 1
        shown = result.stderr + (report.read_text(encoding="utf-8") if args else "")
        assert "line 2, column password: value '***': " + reason in shown or \
            ("2,password,***," in shown and reason in shown)
        assert cell not in shown
    assert net.json("connection", "list") == []


def test_import_refuses_a_password_without_a_pppoe_user(net, tmp_path):
    file = tmp_path / "conns.csv"
    file.write_text("client,router,ip,clave\nA1,core,10.0.0.5,Clave-9\n", encoding="utf-8")
    result = net("connection", "import", str(file))
    assert result.exit_code == 1 and "Clave-9" not in result.stderr
    assert "line 2, column clave: value '***': a PPPoE password needs a pppoe_user" in result.stderr


def test_provisioning_makes_the_password_and_never_prints_it(cli):
    """The made password reaches the router's secret; provision's dry run, check and run, and
    `connection add|edit --now`, say only that a password is set."""
    from contextlib import ExitStack

    from tests.support.network import add_mikrotik, start_simulators
    with ExitStack() as stack:
        sim = start_simulators(stack, 1)[0]
        add_mikrotik(cli, "r1", sim)
        cli.ok("plan", "add", "--name", "Basic", "--price", "100", "--down-kbps", "10000", "--up-kbps", "2000")
        cli.ok("client", "add", "--code", "A1", "--name", "Ana", "--address", "Calle 1")
        outputs = []
        made = cli.json("connection", "add", "A1", "--router", "r1", "--pppoe-user", "ana", "--plan", "Basic")
        password = made["new_pppoe_password"]
        for args in (["provision", "--dry-run", "--all"], ["provision", "--check", "--all"], ["provision"],
                     ["connection", "edit", str(made["id"]), "--plan", "", "--now"],
                     ["connection", "add", "A1", "--router", "r1", "--pppoe-user", "ana2", "--now",
                      "--pppoe-password-stdin"]):
            for fmt in FORMATS:
                result = cli("--format", fmt, *args, input="Dada-Por-Stdin-9\n")
                outputs.append(result.stdout + result.stderr)
        secrets = {s["name"]: s["password"] for s in sim.ppp_secrets()}
        assert secrets["ana"] == password and secrets["ana2"] == "Dada-Por-Stdin-9"
        assert any("ana" in text for text in outputs)
        assert not [text for text in outputs if password in text or "Dada-Por-Stdin-9" in text]
