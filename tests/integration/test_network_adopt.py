"""`network adopt` (S4) against a simulated MikroTik holding another system's network: 1,000
PPPoE secrets (matching clients by PPPoE user, by IP, by comment, matching nothing, one
ambiguous, one contradicting itself), queues and address lists. Not one write reaches the
router; the connections made are the right ones; adopting again changes nothing; after it the
adopted objects are ispcube's (provisioning finds no conflict on them)."""

import json
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select

from ispcube.adapters.radius_schema import METADATA, RADCHECK, RADREPLY, RADUSERGROUP
from ispcube.db import models as m
from ispcube.db.engine import get_engine
from ispcube.db.network_models import AdoptedObject
from ispcube.sim.seeds import read_address_lists, read_queues, read_secrets
from tests.support.mikrotik import mikrotik
from tests.support.network import add_mikrotik

PROFILES = {"20M": "5M/20M", "50M": "10M/50M", "6M": "2M/6M", "raro": "1M/1M"}
CLIENTS = 300


def _files(tmp: Path) -> dict[str, Path]:
    """The router's network as `ispcube sim routeros --secrets/--queues/--address-lists` reads it."""
    secrets = ["name,password,profile,remote-address,comment"]
    secrets += [f"u{n:04d},pw-u{n:04d},20M,10.20.0.{n},viejo sistema" for n in range(1, 101)]      # by PPPoE user
    secrets += [f"v{n:04d},pw-v{n:04d},6M,10.21.0.{n - 100}," for n in range(101, 201)]             # by IP
    secrets += [f"w{n:04d},pw-w{n:04d},50M,10.22.0.{n - 200},C{n:04d}" for n in range(201, 301)]   # by comment
    secrets += ["dora,pw-dora,20M,10.23.0.1,Dora Sosa",                                          # two clients
                "cruzado,pw-cruzado,20M,10.21.0.7,"]                                             # C0107's IP
    secrets += [f"x{n:04d},pw-x{n:04d},raro,10.24.{n // 250}.{n % 250 + 1},vecino" for n in range(698)]
    queues = ["name,target,max-limit,comment",
              "q-c301,10.30.0.1,5M/20M,C0301",          # a new IP-only connection with plan hogar
              "q-u0002,10.20.0.2,5M/20M,",             # the address of a PPPoE connection: stays foreign
              "q-lan,192.168.88.0/24,10M/10M,C0302"]
    addresses = ["list,address,comment", "clientes,10.30.0.2,Cliente 0302", "morosos,10.30.0.2,",
                 "clientes,10.21.0.3,", "clientes,10.30.0.9,desconocido"]
    paths = {}
    for name, lines in (("secrets", secrets), ("queues", queues), ("addresses", addresses)):
        paths[name] = tmp / f"{name}.csv"
        paths[name].write_text("\n".join(lines) + "\n")
    return paths


def _isp(cli, tmp: Path) -> None:
    cli.ok("plan", "add", "--name", "hogar", "--price", "9500", "--down-kbps", "20000", "--up-kbps", "5000")
    cli.ok("plan", "add", "--name", "pro", "--price", "15000", "--down-kbps", "50000", "--up-kbps", "10000")
    cli.ok("plan", "add", "--name", "dos-a", "--price", "5000", "--down-kbps", "6000", "--up-kbps", "2000")
    cli.ok("plan", "add", "--name", "dos-b", "--price", "5100", "--down-kbps", "6000", "--up-kbps", "2000")
    rows = [f"C{n:04d},Cliente {n:04d},Calle {n}" for n in range(1, CLIENTS + 3)]
    rows += ["D0001,Dora Sosa,Calle A", "D0002,Dora Sosa,Calle B"]
    (tmp / "clientes.csv").write_text("code,name,address\n" + "\n".join(rows) + "\n")
    cli.ok("client", "import", str(tmp / "clientes.csv"))
    conns = [f"C{n:04d},core,,u{n:04d}" for n in range(1, 101)]
    conns += [f"C{n:04d},core,10.21.0.{n - 100}," for n in range(101, 201)]
    (tmp / "conexiones.csv").write_text("client,router,ip,pppoe_user\n" + "\n".join(conns) + "\n")
    cli.ok("connection", "import", str(tmp / "conexiones.csv"))


def _router(tmp: Path):
    paths = _files(tmp)
    return mikrotik(profiles=PROFILES, secrets=read_secrets(paths["secrets"]), queues=read_queues(paths["queues"]),
                    addresses=read_address_lists(paths["addresses"]))


def _counts(url: str) -> tuple[int, int, int]:
    engine = get_engine(url)
    with engine.connect() as conn:
        counted = tuple(conn.scalar(select(func.count()).select_from(t))
                        for t in (m.Connection, AdoptedObject, m.ClientEvent))
    engine.dispose()
    return counted


def _connections(url: str) -> dict[str, tuple]:
    engine = get_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(m.Client.code, m.Connection.ip, m.Connection.pppoe_user,
                                   m.Connection.pppoe_password, m.Plan.name)
                            .join(m.Client, m.Client.id == m.Connection.client_id)
                            .outerjoin(m.Plan, m.Plan.id == m.Connection.plan_id)).all()
    engine.dispose()
    return {row[0]: tuple(row[1:]) for row in rows}


def test_adopt_matches_1000_secrets_without_writing_and_again_changes_nothing(cli, db_url, tmp_path):
    with _router(tmp_path) as router:
        add_mikrotik(cli, "core", router.sim)
        _isp(cli, tmp_path)
        before = _counts(db_url)
        router.sim.reset_counters()

        report = cli.json("network", "adopt", "core")
        assert _counts(db_url) == before
        assert not report["applied"] and report["objects"] == 1000 + 3 + 4
        states = {(r["kind"], r["name"]): (r["state"], r["client"], r["by"], r["plan"]) for r in report["matched"]}
        assert states[("secret", "u0001")] == ("connected", "C0001", "pppoe user", "hogar")
        assert states[("secret", "v0101")] == ("connected", "C0101", "ip", None)   # 2M/6M: two plans
        assert states[("secret", "w0201")] == ("new", "C0201", "comment", "pro")
        assert states[("queue", "q-c301")] == ("new", "C0301", "comment", "hogar")
        assert states[("address", "10.30.0.2")] == ("new", "C0302", "comment", None)
        assert states[("address", "10.21.0.3")] == ("known", "C0103", "ip", None)
        notes = {r["name"]: r["note"] for r in report["matched"]}
        assert notes["v0101"] == ("plans dos-a and dos-b both have the rate 2M/6M: the connection is made, the "
                                  "object stays as the router has it, not adopted (add a plan with that speed and "
                                  "adopt again)")
        why = {r["name"]: r["why"] for r in report["unmatched"]}
        assert len([n for n in why if n.startswith("x")]) == 698
        assert why["x0000"] == "no connection has its PPPoE user or address, and its comment names no client"
        assert why["dora"] == "ambiguous: its comment 'Dora Sosa' names clients D0001 and D0002"
        assert why["q-u0002"] == ("its address 10.20.0.2 is connection 2 of client C0002, a PPPoE one whose speed "
                                  "is its secret's profile")
        assert why["q-lan"] == "its target is a network, not one client's address"
        assert why["10.30.0.9"] == "no connection has its address, and its comment names no client"
        assert [(c["name"], c["why"]) for c in report["conflicts"]] == [
            ("cruzado", "its address 10.21.0.7 is also that of secret 'v0107'"),
            ("v0107", "its address 10.21.0.7 is also that of secret 'cruzado'")]

        applied = cli.ok("network", "adopt", "core", "--apply")
        assert "nothing was written to the router" in applied.stdout
        connections, adopted, logged = _counts(db_url)
        # the 99 secrets at 2M/6M (two plans have it) complete their connections but stay the router's:
        # adopted, provisioning would put them on the default profile and take their speed off
        assert (connections, adopted) == (before[0] + 100 + 2, 100 + 100 + 1)
        assert logged == before[2] + 199 + 102
        assert router.sim.writes == 0

        second = cli.json("network", "adopt", "core", "--apply")
        assert _counts(db_url) == (connections, adopted, logged)
        assert {r["state"] for r in second["matched"] if not r["name"].startswith("v")} == {"adopted", "known"}
        assert (second["connections_made"], second["recorded"]) == (0, 0)
        assert router.sim.writes == 0

    conns = _connections(db_url)
    assert conns["C0001"] == ("10.20.0.1", "u0001", "pw-u0001", "hogar")
    assert conns["C0101"] == ("10.21.0.1", "v0101", "pw-v0101", None)
    assert conns["C0201"] == ("10.22.0.1", "w0201", "pw-w0201", "pro")
    assert conns["C0301"] == ("10.30.0.1", None, None, "hogar")
    assert conns["C0302"] == ("10.30.0.2", None, None, None)
    assert conns["C0107"] == ("10.21.0.7", None, None, None)      # two secrets claim its address: not adopted
    for output in (applied.stdout, str(report), str(second)):
        assert "pw-" not in output



def test_after_adopting_provision_check_finds_no_conflict_and_lists_the_rest_as_foreign(cli, tmp_path):
    with _router(tmp_path) as router:
        add_mikrotik(cli, "core", router.sim)
        _isp(cli, tmp_path)
        cli.ok("network", "adopt", "core", "--apply")
        router.sim.reset_counters()
        checked = cli("--format", "json", "provision", "--check", "--router", "core")
        assert router.sim.writes == 0
    assert checked.exit_code == 3, checked.stderr        # drift: the adopted secrets' profiles become ispcube-<plan>
    summary = json.loads(checked.stdout)
    # no connection without its password; the only conflicts are the 99 logins whose speed no plan
    # carries, left the router's until a plan has it
    assert sorted(p["client"] for p in summary["problems"]) == [f"C{n:04d}" for n in range(101, 201) if n != 107]
    assert {f["name"] for f in summary["foreign"] if f["kind"] == "secret"} == {
        f"x{n:04d}" for n in range(698)} | {"dora", "cruzado", "v0107"}
    changed = {(c["kind"], c["name"]): c for c in summary["changes"]}
    assert changed[("secret", "w0201")]["fields"] == "service=pppoe comment=ispcube:C0201 profile=ispcube-pro"
    assert changed[("queue", "q-c301")]["action"] == "remove"         # replaced by ispcube-C0301
    assert changed[("queue", "ispcube-C0301")]["action"] == "add"


def _radius_tables(url: str) -> list[tuple]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = [(t.name, *row) for t in (RADCHECK, RADREPLY, RADUSERGROUP)
                for row in conn.execute(select(t).order_by(t.c.id))]
    engine.dispose()
    return rows


def test_adopt_a_radius_database_users_by_user_name_or_code_without_writing_to_it(cli, db_url, tmp_path):
    radius = f"sqlite:///{tmp_path / 'radius.db'}"
    engine = create_engine(radius)
    METADATA.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(RADCHECK), [{"username": u, "attribute": "Cleartext-Password", "op": ":=", "value": p}
                                        for u, p in (("ana", "pw-ana"), ("C0003", "pw-c3"), ("nadie", "pw-n"))])
        conn.execute(insert(RADREPLY), [
            {"username": "ana", "attribute": "Mikrotik-Rate-Limit", "op": ":=", "value": "5M/20M"},
            {"username": "ana", "attribute": "Framed-IP-Address", "op": ":=", "value": "10.5.0.1"},
            {"username": "C0003", "attribute": "Mikrotik-Rate-Limit", "op": ":=", "value": "3M/3M"}])
        conn.execute(insert(RADUSERGROUP), [{"username": "hecho", "groupname": "ispcube-hogar", "priority": 10}])
    engine.dispose()
    before = _radius_tables(radius)
    cli.ok("router", "add", "nas", "--kind", "radius", "--host", "127.0.0.1", "--radius-db", radius)
    cli.ok("plan", "add", "--name", "hogar", "--price", "9500", "--down-kbps", "20000", "--up-kbps", "5000")
    for code in ("C0001", "C0003"):
        cli.ok("client", "add", "--code", code, "--name", f"Cliente {code}", "--address", f"Calle {code}")
    made = cli.json("connection", "add", "C0001", "--router", "nas", "--pppoe-user", "ana")["new_pppoe_password"]

    first = cli.json("network", "adopt", "nas", "--apply")
    states = {r["name"]: (r["state"], r["client"], r["by"], r["plan"], r["note"]) for r in first["matched"]}
    assert states == {"ana": ("connected", "C0001", "pppoe user", "hogar", None),
                      "C0003": ("new", "C0003", "user name", None, "no plan has the rate 3M/3M: the connection is "
                                "made, the object stays as the router has it, not adopted (add a plan with that "
                                "speed and adopt again)"),
                      "hecho": ("own", "", None, None, None)}
    assert [(r["name"], r["why"]) for r in first["unmatched"]] == [
        ("nadie", "no connection has its PPPoE user or address, and its name is no client's code")]
    # the password `connection add` made was never on the router: the CPE's (the router's) replaces it
    assert made and made != "pw-ana"
    assert _connections(db_url) == {"C0001": ("10.5.0.1", "ana", "pw-ana", "hogar"),
                                    "C0003": (None, "C0003", "pw-c3", None)}
    log = " ".join(e["message"] for e in cli.json("client", "log", "C0001"))
    assert "its PPPoE password as the router has it" in log and "pw-ana" not in log
    counts = _counts(db_url)
    second = cli.json("network", "adopt", "nas", "--apply")
    assert {r["name"]: r["state"] for r in second["matched"]} == {"ana": "adopted", "C0003": "connected",
                                                                  "hecho": "own"}
    assert _counts(db_url) == counts and counts[1] == 1      # C0003 (3M/3M, no plan) stays the database's own
    assert _radius_tables(radius) == before
