"""`connection import` (M2, R5) through the CLI, on SQLite and PostgreSQL: every check of
`connection add` per row plus duplicates inside the file, all-or-nothing unless
--skip-invalid, --dry-run, --update, --report, one client-log entry per client, a file of
`connection list --format csv` read back as it is, and a killed import leaving nothing."""

import csv
import os
from pathlib import Path
import shutil
import subprocess
import sys
import time

import pytest
from sqlalchemy import text

from tests.conftest import Cli
from tests.support.kill import kill_while_writing, sqlite_write_locked

HEADER = ["client", "router", "ip", "mac", "pppoe_user", "plan", "cpe_kind", "panel"]


@pytest.fixture
def net(cli):
    return build_network(cli)


def build_network(cli):
    """Routers core (MikroTik) and rad (RADIUS), plan Hogar, clients A1-A3, a deleted one
    (returned) and A1's connection 10.0.0.1 / ana on core."""
    cli.ok("router", "add", "core", "--kind", "mikrotik", "--host", "10.9.0.1")
    cli.ok("router", "add", "rad", "--kind", "radius", "--host", "10.9.0.2")
    cli.ok("plan", "add", "--name", "Hogar", "--price", "9500")
    for code in ("A1", "A2", "A3", "D4"):
        cli.ok("client", "add", "--code", code, "--name", f"Cliente {code}", "--address", f"Calle {code}")
    cli.ok("--yes", "client", "delete", "D4")
    cli.ok("connection", "add", "A1", "--router", "core", "--ip", "10.0.0.1", "--pppoe-user", "ana")
    cli.deleted = cli.json("client", "list", "--deleted")[0]["code"]
    return cli


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def row(client="A2", router="core", ip="", mac="", pppoe="", plan="", cpe="", panel="") -> list[str]:
    return [client, router, ip, mac, pppoe, plan, cpe, panel]


def listed(cli) -> list[dict]:
    return [{k: v for k, v in c.items() if k != "id"} for c in cli.json("connection", "list")]


def imported_events(cli, code: str) -> list[str]:
    return [e["message"] for e in cli.json("client", "log", code) if e["kind"] == "connection.import"]


def bad_rows(deleted: str) -> tuple[list[list[str]], list[tuple[int, str, str]]]:
    """Rows of every bad kind, between good ones; and (line, column, reason) of each bad one."""
    rows = [
        row(ip="10.0.0.2", pppoe="beto", mac="04-18-d6-aa-01-02", plan="Hogar", cpe="Ubiquiti", panel="core"),
        row(client=""),
        row(client="X9", ip="10.0.0.3"),
        row(client=deleted, ip="10.0.0.4"),
        row(router="nope", ip="10.0.0.5"),
        row(router="", ip="10.0.0.6"),
        row(ip="10.0.0.300"),
        row(ip="2001:db8::5"),
        row(ip="10.0.0.7", mac="zz"),
        row(ip="10.0.0.8", mac="01:00:5e:00:00:fb"),
        row(ip="10.0.0.9", pppoe="ana\tadmin"),
        row(ip="10.0.0.10", pppoe="a" * 65),
        row(ip="10.0.0.11", plan="Premium"),
        row(ip="10.0.0.12", cpe="cisco"),
        row(ip="10.0.0.13", panel="nope"),
        row(),
        row(router="rad", ip="10.0.0.14"),
        row(ip="10.0.0.1"),
        row(ip="10.0.0.15", pppoe="ana"),
        row(client="A3", ip="10.0.0.2"),
        row(client="A3", ip="10.0.0.16", pppoe="beto"),
        ["A3", "core"],
        row(client="A3", ip="10.0.0.17") + ["", "sobra"],
        row(ip="10.0.0.18", pppoe="nul\x00byte"),
        row(client="A3", router="rad", ip="10.0.0.2", pppoe="beto"),     # same IP, other router: fine
    ]
    expected = [
        (3, "client", "is required"),
        (4, "client", "no such client"),
        (5, "client", "the client is deleted"),
        (6, "router", "no such router"),
        (7, "router", "is required"),
        (8, "ip", "is not an IP address"),
        (9, "ip", "is an IPv6 address"),
        (10, "mac", "is not a MAC address"),
        (11, "mac", "is a multicast address"),
        (12, "pppoe_user", "holds a control character"),
        (13, "pppoe_user", "is longer than 64 characters"),
        (14, "plan", "no such plan"),
        (15, "cpe_kind", "is not one of ubiquiti, mikrotik, other"),
        (16, "panel", "no such router"),
        (17, "ip", "a connection needs an ip or a pppoe_user (or both)"),
        (18, "pppoe_user", "a connection on RADIUS router rad needs a pppoe_user"),
        (19, "ip", "IP 10.0.0.1 is already used on router core by client A1 (use --update"),
        (20, "pppoe_user", "PPPoE user 'ana' is already used on router core by client A1"),
        (21, "ip", "IP 10.0.0.2 on router core is also on line 2"),
        (22, "pppoe_user", "PPPoE user 'beto' on router core is also on line 2"),
        (23, "ip", "the row has 2 columns, the header has 8"),
        (24, "10", "extra column: the header has 8 columns, the row has 10"),
        (25, "pppoe_user", "holds a NUL byte"),
    ]
    return rows, expected


def test_every_bad_row_is_reported_and_nothing_is_written(net, tmp_path):
    rows, expected = bad_rows(net.deleted)
    path = write_csv(tmp_path / "bad.csv", rows)
    before = listed(net)
    result = net("connection", "import", str(path))
    assert result.exit_code == 1, result.stderr
    lines = result.stderr.splitlines()
    for line, column, reason in expected:
        prefix = f"line {line}, column {column}: value '"
        assert any(t.startswith(prefix) and reason in t for t in lines), (line, column, reason, lines)
    reported = {int(t.split(",")[0].split()[1]) for t in lines if t.startswith("line ")}
    assert reported == {line for line, _, _ in expected}
    assert lines[-1] == ("ispcube: 23 of 25 rows are invalid: nothing imported "
                         "(fix them, or use --skip-invalid to import the valid ones)")
    assert "Traceback" not in result.stderr
    assert listed(net) == before
    assert imported_events(net, "A2") == imported_events(net, "A3") == []


def test_skip_invalid_imports_exactly_the_good_rows(net, tmp_path):
    rows, expected = bad_rows(net.deleted)
    result = net("connection", "import", str(write_csv(tmp_path / "bad.csv", rows)), "--skip-invalid")
    assert result.exit_code == 3, result.stderr
    assert "23 rows invalid, skipped; 2 rows valid, imported" in result.stderr
    assert "25 rows, 2 new, 0 updated, 0 unchanged, 23 invalid; written" in result.stdout
    assert listed(net) == [
        {"client": "A1", "router": "core", "ip": "10.0.0.1", "mac": None, "pppoe_user": "ana", "plan": None,
         "cpe_kind": None, "panel": None},
        {"client": "A2", "router": "core", "ip": "10.0.0.2", "mac": "04:18:D6:AA:01:02", "pppoe_user": "beto",
         "plan": "Hogar", "cpe_kind": "ubiquiti", "panel": "core"},
        {"client": "A3", "router": "rad", "ip": "10.0.0.2", "mac": None, "pppoe_user": "beto", "plan": None,
         "cpe_kind": None, "panel": None}]
    assert imported_events(net, "A2") == ["import of bad.csv: connection added (line 2): router core, 10.0.0.2, "
                                          "mac 04:18:D6:AA:01:02, pppoe beto, plan Hogar, cpe ubiquiti, panel core"]


def test_dry_run_and_report_file(net, tmp_path):
    rows, expected = bad_rows(net.deleted)
    path = write_csv(tmp_path / "bad.csv", rows)
    report = tmp_path / "problems.csv"
    result = net("connection", "import", str(path), "--skip-invalid", "--dry-run", "--report", str(report))
    assert result.exit_code == 3
    assert "dry run, nothing written" in result.stdout and "line 3" not in result.stderr
    assert len(listed(net)) == 1
    with report.open(encoding="utf-8") as f:
        reported = list(csv.DictReader(f))
    assert [(int(r["line"]), r["column"]) for r in reported] == [(line, column) for line, column, _ in expected]
    assert reported[0]["reason"] == "is required"
    good = write_csv(tmp_path / "good.csv", [row(ip="10.0.0.20")])
    assert "1 new" in net.ok("connection", "import", str(good), "--dry-run").stdout
    assert len(listed(net)) == 1 and imported_events(net, "A2") == []


def test_unknown_and_missing_columns_refuse_the_file(net, tmp_path):
    result = net("connection", "import", str(write_csv(tmp_path / "a.csv", [["A2", "10.0.0.2"]], ["client", "ipp"])))
    assert result.exit_code == 1 and "column 'ipp' (column 2) is not a connection field" in result.stderr
    result = net("connection", "import", str(write_csv(tmp_path / "b.csv", [["A2", "10.0.0.2"]], ["client", "ip"])))
    assert result.exit_code == 1 and "the file has no router column" in result.stderr
    result = net("connection", "import", str(write_csv(tmp_path / "c.csv", [["A2", "core"]], ["client", "router"])))
    assert result.exit_code == 1 and "no ip and no pppoe_user column" in result.stderr
    assert len(listed(net)) == 1


def test_spanish_aliases_and_one_log_entry_per_client(net, tmp_path):
    path = write_csv(tmp_path / "alias.csv", [["A2", "core", "10.0.0.2", "u2"], ["A2", "core", "10.0.0.3", "u3"],
                                              ["A3", "rad", "", "radio3"]],
                     ["cliente", "router", "ip", "usuario_pppoe"])
    assert "3 new" in net.ok("connection", "import", str(path)).stdout
    assert imported_events(net, "A2") == ["import of alias.csv: connection added (line 2): router core, 10.0.0.2, "
                                          "pppoe u2; connection added (line 3): router core, 10.0.0.3, pppoe u3"]
    assert imported_events(net, "A3") == ["import of alias.csv: connection added (line 4): router rad, pppoe radio3"]
    assert imported_events(net, "A1") == []


def test_reimport_refuses_without_update_and_changes_nothing_with_it(net, tmp_path):
    rows = [row(ip="10.0.0.2", mac="04:18:D6:AA:01:02"), row(client="A3", router="rad", pppoe="radio3")]
    path = write_csv(tmp_path / "c.csv", rows)
    net.ok("connection", "import", str(path))
    before, events = listed(net), [imported_events(net, c) for c in ("A1", "A2", "A3")]
    again = net("connection", "import", str(path))
    assert again.exit_code == 1
    assert again.stderr.splitlines()[:2] == [
        "line 2, column ip: value '10.0.0.2': IP 10.0.0.2 is already used on router core by client A2 "
        "(use --update to change the stored connections the file names)",
        "line 3, column pppoe_user: value 'radio3': PPPoE user 'radio3' is already used on router rad by client A3 "
        "(use --update to change the stored connections the file names)"]
    updated = net.ok("connection", "import", str(path), "--update")
    assert "2 rows, 0 new, 0 updated, 2 unchanged, 0 invalid; nothing written" in updated.stdout
    assert listed(net) == before
    assert [imported_events(net, c) for c in ("A1", "A2", "A3")] == events


def test_update_changes_the_named_connection_and_keeps_absent_columns(net, tmp_path):
    net.ok("connection", "add", "A2", "--router", "core", "--ip", "10.0.0.2", "--mac", "04:18:D6:AA:01:02",
           "--plan", "Hogar")
    path = write_csv(tmp_path / "u.csv", [["A3", "core", "10.0.0.2", ""], ["A1", "core", "10.0.0.1", "ana2"]],
                     ["client", "router", "ip", "pppoe_user"])
    result = net("connection", "import", str(path))
    assert result.exit_code == 1 and "(use --update" in result.stderr
    assert "0 new, 2 updated" in net.ok("connection", "import", str(path), "--update").stdout
    shown = {c["ip"]: c for c in listed(net)}
    assert shown["10.0.0.2"] == {"client": "A3", "router": "core", "ip": "10.0.0.2", "mac": "04:18:D6:AA:01:02",
                                 "pppoe_user": None, "plan": "Hogar", "cpe_kind": None, "panel": None}
    assert shown["10.0.0.1"]["pppoe_user"] == "ana2"
    moved = imported_events(net, "A3")
    assert len(moved) == 1 and "moved from client A2 to client A3" in moved[0]
    assert imported_events(net, "A2") == moved
    assert "pppoe ana -> router core, 10.0.0.1, pppoe ana2" in imported_events(net, "A1")[0]


def test_update_refuses_two_rows_for_one_connection_and_clashes_with_others(net, tmp_path):
    net.ok("connection", "add", "A2", "--router", "core", "--ip", "10.0.0.2", "--pppoe-user", "beto")
    path = write_csv(tmp_path / "u.csv", [["A1", "core", "10.0.0.1", "beto"], ["A1", "core", "10.0.0.2", "otro"],
                                          ["A1", "core", "10.0.0.2", "otro2"]],
                     ["client", "router", "ip", "pppoe_user"])
    result = net("connection", "import", str(path), "--update")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == ("line 2, column pppoe_user: value 'beto': PPPoE user 'beto' is already used on router core "
                        "by client A2")
    assert lines[1] == "line 4, column ip: value '10.0.0.2': IP 10.0.0.2 on router core is also on line 3"


def test_only_the_office_imports(net, tmp_path):
    net.ok("operator", "add", "--name", "ana", "--role", "collector")
    path = write_csv(tmp_path / "c.csv", [row(ip="10.0.0.2")])
    refused = net("--operator", "ana", "connection", "import", str(path))
    assert (refused.exit_code, refused.stdout) == (1, "")
    assert refused.stderr == ("ispcube: operator 'ana' is a collector: "
                              "only an admin or an operator may import connections\n")
    assert len(listed(net)) == 1


def test_round_trip_through_connection_list_csv(cli, tmp_path, sqlite_template):
    """Connections listed as CSV by one database are imported into another as they were."""
    shutil.copy(sqlite_template, tmp_path / "source.db")
    source = build_network(Cli(f"sqlite:///{tmp_path / 'source.db'}"))
    target = build_network(cli)
    target.ok("--yes", "connection", "delete", str(target.json("connection", "list")[0]["id"]))
    for args in (("A2", "--router", "core", "--ip", "100.64.0.9", "--mac", "02-00-5e-10-00-01",
                  "--pppoe-user", "=suma", "--plan", "Hogar", "--cpe-kind", "mikrotik", "--panel", "rad"),
                 ("A2", "--router", "rad", "--pppoe-user", "-guion"),
                 ("A3", "--router", "rad", "--pppoe-user", "tres@isp", "--ip", "100.64.0.9"),
                 ("A3", "--router", "core", "--pppoe-user", "+mas")):
        source.ok("connection", "add", *args)
    exported = tmp_path / "connections.csv"
    exported.write_text(source.ok("--format", "csv", "connection", "list").stdout, encoding="utf-8")
    assert "'=suma" in exported.read_text(encoding="utf-8")        # listings make formula cells inert (R9)
    result = target.ok("connection", "import", str(exported))
    assert "5 rows, 5 new" in result.stdout and "columns not imported: id" in result.stdout
    assert sorted(listed(target), key=repr) == sorted(listed(source), key=repr)
    again = target.ok("connection", "import", str(exported), "--update")
    assert "0 new, 0 updated, 5 unchanged" in again.stdout


def _seed_one_client_connections(path: Path, count: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["client", "router", "ip", "pppoe_user"])
        for n in range(count):
            writer.writerow(["A2", "core", f"100.{64 + (n >> 16)}.{(n >> 8) & 255}.{n & 255}", f"user{n}"])
    return path


def _counts(db_url: str) -> tuple[int, int]:
    from ispcube.db.engine import get_engine
    with get_engine(db_url).connect() as conn:
        if db_url.startswith("postgresql"):       # a lock left behind fails, not hangs
            conn.execute(text("SET lock_timeout = '20s'"))
        return (conn.execute(text("SELECT count(*) FROM connections")).scalar(),
                conn.execute(text("SELECT count(*) FROM client_events WHERE kind = 'connection.import'")).scalar())


def _writing(db_url: str, process) -> bool:
    """True once the import holds a write on the connections (PostgreSQL: a lock taken by
    its COPY; SQLite: the database's write lock)."""
    if db_url.startswith("sqlite"):
        return sqlite_write_locked(db_url.removeprefix("sqlite:///"))
    from ispcube.db.engine import get_engine
    with get_engine(db_url).connect() as conn:
        return bool(conn.execute(text(
            "SELECT count(*) FROM pg_locks WHERE relation = 'connections'::regclass "
            "AND mode = 'RowExclusiveLock' AND pid <> pg_backend_pid()")).scalar())


@pytest.mark.slow
def test_killed_import_leaves_nothing_half_written(net, db_url, tmp_path):
    path = _seed_one_client_connections(tmp_path / "big.csv", 60_000)
    before = _counts(db_url)
    process = subprocess.Popen([sys.executable, "-c", "from ispcube.cli.main import run; run()",
                                "--db", db_url, "connection", "import", str(path)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy())
    deadline = time.monotonic() + 60
    while not _writing(db_url, process):
        assert process.poll() is None and time.monotonic() < deadline, "the import never started writing"
        time.sleep(0.01)
    kill_while_writing(process, lambda: _writing(db_url, process))
    if db_url.startswith("postgresql"):        # until the server ends the dead session
        deadline = time.monotonic() + 10
        while _writing(db_url, process) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert _counts(db_url) == before
    result = net("connection", "import", str(path))
    assert result.exit_code == 0, result.stderr
    assert _counts(db_url) == (before[0] + 60_000, before[1] + 1)
