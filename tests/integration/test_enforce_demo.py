"""SPEC 7, second part: the demo drives a simulated MikroTik through billing, enforce and
preaviso and shows debtors cut, payers restored and the ISP's own entry untouched."""

import json
import re
import sqlite3

from ispcube.domain.provisioning import same_rate
from ispcube.services.demo.network import ROUTER_PASSWORD
from tests.conftest import Cli


def test_demo_cuts_debtors_and_restores_payers_on_the_simulated_router(tmp_path):
    path = tmp_path / "demo.db"
    out = Cli(f"sqlite:///{tmp_path / 'unused.db'}").ok("demo", "--path", str(path), "--clients", "80",
                                                          "--today", "2026-12-04").stdout
    first = re.search(r"enforce as of \S+: (\d+) cut", out)
    second = re.search(r"enforce today \(\S+\): (\d+) cut, (\d+) restored", out)
    assert first and int(first.group(1)) > 0, out
    assert second and int(second.group(2)) > 0, out
    assert "enforce again: 0 cut, 0 restored, 0 router writes" in out
    assert "Router lists before:" in out and "Router lists after:" in out
    assert "203.0.113.7 (blocked by hand)" in out.split("Router lists after:")[1]
    cut = Cli(f"sqlite:///{path}").json("client", "list", "--service", "cut")
    assert len(cut) == int(re.search(r"Cut clients: (\d+)", out).group(1))
    assert "bench" not in out and ROUTER_PASSWORD not in out
    # S7: a client signing up gets its PPPoE login on the router at its plan's speed; the password
    # `connection add` made is not printed by the demo
    made = re.search(r"Provisioning: client (\S+) signs up.*\n(?:  .*\n)*?  router demo-core now holds secret "
                     r"'(\S+)' on profile 'ispcube-([^']+)' at (\S+) \(upload/download\): plan '([^']+)'", out)
    assert made, out
    plan = next(p for p in Cli(f"sqlite:///{path}").json("plan", "list") if p["name"] == made.group(5))
    assert made.group(3) == plan["name"]
    assert same_rate(made.group(4), f"{plan['up_kbps']}k/{plan['down_kbps']}k")
    [login] = [c for c in Cli(f"sqlite:///{path}").json("connection", "list", "--client", made.group(1))]
    assert login["pppoe_user"] == made.group(2) and login["plan"] == plan["name"]
    with sqlite3.connect(path) as db:
        [(password,)] = db.execute("SELECT pppoe_password FROM connections WHERE pppoe_user = ?", (made.group(2),))
    assert password and password not in out
    posted = re.search(r"payments import posted 2 transfers for [\d.]+ \((\S+), (\S+): the code in the text\); "
                       r"1 not matched \(1500.00 'sin referencia'", out)
    assert posted and f"Given service back on the router at once: {posted.group(1)}, {posted.group(2)}" in out, out
    assert not {posted.group(1), posted.group(2)} & {c["code"] for c in cut}
    again = Cli(f"sqlite:///{path}")("--format", "json", "payments", "import",
                                     str(path.with_name("demo-extracto-camt053.xml")))
    assert again.exit_code == 3 and json.loads(again.stdout)["already_imported"] == 2
