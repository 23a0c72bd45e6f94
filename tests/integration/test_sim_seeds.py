"""`sim routeros --address-lists FILE --secrets FILE --queues FILE`: the router starts holding
another system's cut list, PPPoE secrets (a disabled one among them) and simple queues; a bad
line is refused, naming it, before serving."""

from tests.conftest import Cli
from tests.integration.test_demo_explore import _sim, _stop
from tests.integration.test_sim_registrations import _read

LISTS = """list,address,comment
morosos,10.0.0.2,corte sistema anterior
morosos,10.0.9.0/24,
"""
SECRETS = """name,password,profile,disabled
ppp1003,x,hogar,yes
ppp1006,y,,no
"""


def test_the_router_starts_with_the_address_lists_and_secrets_of_the_files(tmp_path):
    (tmp_path / "lists.csv").write_text(LISTS)
    (tmp_path / "secrets.csv").write_text(SECRETS)
    process, lines = _sim("--port", "0", "--address-lists", str(tmp_path / "lists.csv"),
                          "--secrets", str(tmp_path / "secrets.csv"))
    try:
        port = int(lines[0].split("127.0.0.1:")[1].split()[0])
        entries = _read(port, "/ip/firewall/address-list")
        secrets = _read(port, "/ppp/secret")
    finally:
        _stop(process)
    assert [(e["list"], e["address"], e.get("comment")) for e in entries] == [
        ("morosos", "10.0.0.2", "corte sistema anterior"), ("morosos", "10.0.9.0/24", None)]
    assert [(s["name"], s["password"], s["profile"], s["disabled"]) for s in secrets] == [
        ("ppp1003", "x", "hogar", "true"), ("ppp1006", "y", "default", "false")]

QUEUES = """name,target,max-limit,comment,disabled
cliente-1003,10.0.0.3,10M/2M,plan hogar,
cliente-1007,10.0.0.7/32,,,yes
"""


def test_the_router_starts_with_the_queues_and_the_secrets_addresses_and_profiles(tmp_path):
    (tmp_path / "secrets.csv").write_text("name,password,profile,disabled,remote-address,comment\n"
                                          "ppp1003,x,hogar,no,10.0.0.3,cliente 1003\n")
    (tmp_path / "queues.csv").write_text(QUEUES)
    process, lines = _sim("--port", "0", "--secrets", str(tmp_path / "secrets.csv"),
                          "--queues", str(tmp_path / "queues.csv"))
    try:
        port = int(lines[0].split("127.0.0.1:")[1].split()[0])
        secrets = _read(port, "/ppp/secret")
        profiles = _read(port, "/ppp/profile")
        queues = _read(port, "/queue/simple")
    finally:
        _stop(process)
    assert [(s["name"], s["profile"], s["remote-address"], s["comment"]) for s in secrets] == [
        ("ppp1003", "hogar", "10.0.0.3", "cliente 1003")]
    assert [p["name"] for p in profiles] == ["default", "hogar", "default-encryption"]
    assert [(q["name"], q["target"], q["max-limit"], q.get("comment"), q["disabled"]) for q in queues] == [
        ("cliente-1003", "10.0.0.3/32", "10000000/2000000", "plan hogar", "false"),
        ("cliente-1007", "10.0.0.7/32", "0/0", None, "true")]


def test_a_bad_line_is_refused_naming_it(tmp_path):
    cli = Cli(f"sqlite:///{tmp_path / 'unused.db'}")
    table = tmp_path / "seed.csv"
    cases = {
        ("--address-lists", "list,address,comment\nmorosos,10.0.0.2,\nmorosos,10.0.0.300,x\n"):
            "line 3: column address '10.0.0.300' is not an IPv4 address or network",
        ("--address-lists", "list,address,comment\n,10.0.0.2,\n"): "line 2: column list is empty",
        ("--address-lists", "list,address,colour\nmorosos,10.0.0.2,red\n"): "line 1: unknown column 'colour'",
        ("--address-lists", "list,address\nmorosos,10.0.0.2\nmorosos,10.0.0.2\n"):
            "line 3: address 10.0.0.2 is in list 'morosos' twice",
        ("--secrets", "name,password,profile,disabled\nppp1,x,hogar,maybe\n"):
            "line 2: column disabled 'maybe' is not yes or no",
        ("--secrets", "name,password,profile,disabled\nppp1,x,,\nppp1,y,,\n"): "line 3: secret 'ppp1' is listed twice",
        ("--secrets", "name,password\nppp1,x,extra\n"): "line 2: 3 values for 2 columns",
        ("--secrets", "name,remote-address\nppp1,10.0.0.300\n"):
            "line 2: column remote-address '10.0.0.300' is not an IPv4 address",
        ("--queues", "name,target\nq1,\n"): "line 2: column target is empty",
        ("--queues", "name,target\nq1,10.0.0.1\nq1,10.0.0.2\n"): "line 3: queue 'q1' is listed twice",
        ("--queues", "name,target,max-limit\nq1,10.0.0.1,fast\n"):
            "line 2: column max-limit 'fast' is not upload/download (e.g. 10M/2M)",
        ("--queues", "name,target\nq1,router\n"): "line 2: column target 'router' is not an IPv4 address or network",
    }
    for (option, text), why in cases.items():
        table.write_text(text)
        result = cli("sim", "routeros", "--port", "0", option, str(table))
        kind = option.lstrip("-")
        assert result.exit_code == 1 and result.stdout == "", result.stdout + result.stderr
        assert result.stderr.startswith(f"ispcube: {kind} file {table} {why}"), result.stderr
        assert result.stderr.count("\n") == 1
    missing = cli("sim", "routeros", "--port", "0", "--secrets", str(tmp_path / "none.csv"))
    assert missing.exit_code == 1 and "does not exist" in missing.stderr
