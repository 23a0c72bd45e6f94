"""A CSV cell beyond what any field holds (1 MiB: a quote left open swallows the rest of the
file) is one sentence naming the line, for every import kind and payments import: exit 1,
nothing imported. And the escalation stages are refused in an order that leaves a throttle
stage without a cut after it."""

import pytest
from sqlalchemy import text

BIG = "x" * ((1 << 20) + 10)

FILES = {
    "client import": ("code,name,address\nB2,Beto,Calle 2\nC3,{big},Calle 3\n", ("client", "import")),
    "connection import": ("client,router,ip\nA1,core,10.0.0.2\nA1,core,{big}\n", ("connection", "import")),
    "ledger import": ("client,date,kind,amount,reference\nA1,2026-01-05,debit,100,L1\nA1,2026-01-05,debit,5,{big}\n",
                      ("ledger", "import")),
    "payments import": ("date,amount,reference,client,source\n2026-01-05,100.00,P-1,A1,banco\n"
                        "2026-01-05,5.00,{big},A1,banco\n",
                        ("payments", "import")),
}


@pytest.fixture
def base(cli):
    cli.ok("router", "add", "core", "--kind", "mikrotik", "--host", "10.9.0.1")
    cli.ok("client", "add", "--code", "A1", "--name", "Ana", "--address", "Calle 1")
    return cli


def _rows(runtime) -> list[int]:
    with runtime.engine.connect() as conn:
        return [conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                for t in ("clients", "connections", "ledger_entries", "client_events")]


@pytest.mark.parametrize("kind", list(FILES))
def test_a_cell_over_one_mebibyte_names_its_line(base, runtime, tmp_path, kind):
    content, command = FILES[kind]
    path = tmp_path / "big.csv"
    path.write_text(content.format(big=BIG), encoding="utf-8")
    before = _rows(runtime)
    refused = base(*command, str(path))
    assert refused.exit_code == 1, refused.stdout + refused.stderr[:500]
    assert "big.csv', line 3: a cell is longer than 1 MiB" in refused.stderr, refused.stderr[:500]
    assert refused.stderr.count("\n") == 1 and "unexpected" not in refused.stderr
    assert _rows(runtime) == before


def test_a_header_over_one_mebibyte_is_line_1(base, tmp_path):
    path = tmp_path / "big.csv"
    path.write_text(f"code,{BIG}\nB2,Beto\n", encoding="utf-8")
    refused = base("client", "import", str(path))
    assert refused.exit_code == 1 and "line 1: a cell is longer than 1 MiB" in refused.stderr


def test_a_throttle_stage_needs_a_cut_after_it_in_either_order(cli):
    refused = cli("config", "set", "escalation.throttle_after_days", "5")     # the cut is 0: at once
    assert refused.exit_code == 1 and "needs escalation.cut_after_days above it" in refused.stderr
    assert cli.json("config", "get", "escalation.throttle_after_days")["value"] == "0"
    cli.ok("config", "set", "escalation.cut_after_days", "15")
    cli.ok("config", "set", "escalation.throttle_after_days", "5")
    reverse = cli("config", "set", "escalation.cut_after_days", "0")
    assert reverse.exit_code == 1 and "needs escalation.cut_after_days above it" in reverse.stderr
    below = cli("config", "set", "escalation.cut_after_days", "5")
    assert below.exit_code == 1 and "must be below escalation.cut_after_days (5)" in below.stderr
    assert cli.json("config", "get", "escalation.cut_after_days")["value"] == "15"
    cli.ok("config", "set", "escalation.throttle_after_days", "0")           # off again: throttle first
    cli.ok("config", "set", "escalation.cut_after_days", "0")
