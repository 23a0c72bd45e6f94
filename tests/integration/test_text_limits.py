"""Every command that stores text refuses a value longer than its column, the same way on
SQLite (which would store it) and PostgreSQL (which would fail with the SQL on stderr):
exit 1, one sentence naming the field and its limit, nothing stored."""

import pytest
from sqlalchemy import select

from ispcube.db.all_models import metadata
from ispcube.db.engine import get_engine
from ispcube.db.limits import column_limit

SECRET = "Rt-Secret-7731"


def over(table: str, column: str) -> str:
    return "x" * (column_limit(table, column) + 1)


def phones() -> str:
    return ";".join(["11 4555 1234"] * 100)


def emails() -> str:
    return ";".join([f"ana{i}@example.com" for i in range(80)])


def radius_db() -> str:
    return "postgresql://radius@127.0.0.1:5432/" + "r" * 500


@pytest.fixture
def base(cli, tmp_path):
    cli.ok("postal-code", "add", "--code", "1414", "--locality", "Palermo")
    cli.ok("status", "add", "--name", "Activo")
    cli.ok("operator", "add", "--name", "ana", "--role", "collector")
    cli.ok("plan", "add", "--name", "Hogar", "--price", "100")
    cli.ok("node", "add", "--name", "Norte")
    cli.ok("company", "add", "--number", "1", "--name", "Red Sur SRL")
    cli.ok("client", "add", "--code", "A1", "--name", "Ana", "--company", "1")
    cli.ok("router", "add", "r1", "--kind", "mikrotik", "--host", "10.0.0.1", "--secret-stdin", input="pw\n")
    cli.ok("connection", "add", "A1", "--router", "r1", "--ip", "10.1.0.5")
    cli.ok("ledger", "adjust", "A1", "--debit", "10", "--reason", "alta")
    return cli


# (command, field named in the sentence, the column's limit); {long} is the over-long value.
CLIENT_TEXT = [("--name", "name", "name"), ("--nickname", "nickname", "nickname"),
               ("--fiscal-address", "fiscal-address", "fiscal_address"),
               ("--address", "address", "address"), ("--client-type", "client-type", "client_type"),
               ("--street1", "street1", "street1"), ("--street2", "street2", "street2"),
               ("--extra1", "extra1", "extra1"), ("--extra2", "extra2", "extra2"),
               ("--contact", "contact", "contact"), ("--epayment-code", "epayment-code", "epayment_code"),
               ("--activity", "activity", "activity"), ("--id-number", "id-number", "id_number")]
CASES = [
    *[(["client", "add", "--name", "Bea", flag, over("clients", col)], field, ("clients", col))
      for flag, field, col in CLIENT_TEXT],
    (["client", "add", "--code", over("clients", "code"), "--name", "Bea"], "code", ("clients", "code")),
    (["client", "add", "--name", "Bea", "--id-type", over("clients", "id_type")], "id-type", ("clients", "id_type")),
    (["client", "add", "--name", "Bea", "--phone", phones()], "phone", ("clients", "phones")),
    (["client", "add", "--name", "Bea", "--email", emails()], "email", ("clients", "emails")),
    *[(["client", "edit", "A1", flag, over("clients", col)], field, ("clients", col))
      for flag, field, col in CLIENT_TEXT],
    (["client", "edit", "A1", "--phone", phones()], "phone", ("clients", "phones")),
    (["client", "recode", "A1", over("clients", "code")], "code", ("clients", "code")),
    (["client", "note", "add", "A1", over("client_notes", "text")], "text", ("client_notes", "text")),
    (["client", "tickets", "block", "A1", "--message", over("clients", "tickets_message")], "message",
     ("clients", "tickets_message")),
    (["router", "add", over("routers", "name"), "--kind", "mikrotik", "--host", "h"], "name", ("routers", "name")),
    # A host name stops at 253 characters and a PPPoE user at 64 (domain/network.py), before their columns.
    (["router", "add", "r2", "--kind", "mikrotik", "--host", "h" * 300, "--secret-stdin"], "host", 253),
    (["router", "add", "r2", "--kind", "mikrotik", "--host", "h", "--user", over("routers", "username")],
     "user", ("routers", "username")),
    (["router", "add", "r2", "--kind", "radius", "--host", "h", "--radius-db", radius_db()], "radius-db",
     ("routers", "radius_db_url")),
    (["router", "add", "r2", "--kind", "mikrotik", "--host", "h", "--secret-env", "LONG_SECRET"], "secret",
     ("routers", "secret")),
    (["router", "edit", "r1", "--host", "h" * 300], "host", 253),
    (["router", "edit", "r1", "--name", over("routers", "name")], "name", ("routers", "name")),
    (["router", "edit", "r1", "--user", over("routers", "username")], "user", ("routers", "username")),
    (["router", "edit", "r1", "--secret-stdin"], "secret", ("routers", "secret")),
    (["connection", "add", "A1", "--router", "r1", "--pppoe-user", over("connections", "pppoe_user")],
     "pppoe-user", 64),
    (["connection", "edit", "1", "--pppoe-user", over("connections", "pppoe_user")], "pppoe-user", 64),
    (["plan", "add", "--name", over("plans", "name"), "--price", "1"], "name", ("plans", "name")),
    (["plan", "edit", "Hogar", "--name", over("plans", "name")], "name", ("plans", "name")),
    (["node", "add", "--name", over("nodes", "name")], "name", ("nodes", "name")),
    (["node", "edit", "Norte", "--name", over("nodes", "name")], "name", ("nodes", "name")),
    *[(["company", "add", "--number", "2", "--name", "B", flag, over("companies", col)], field, ("companies", col))
      for flag, field, col in [("--tax-id", "tax-id", "tax_id"), ("--address", "address", "address"),
                               ("--phone", "phone", "phone"), ("--email", "email", "email"),
                               ("--logo-path", "logo-path", "logo_path")]],
    (["company", "add", "--number", "2", "--name", over("companies", "name")], "name", ("companies", "name")),
    (["company", "edit", "1", "--name", over("companies", "name")], "name", ("companies", "name")),
    (["postal-code", "add", "--code", over("postal_codes", "code"), "--locality", "L"], "code",
     ("postal_codes", "code")),
    (["postal-code", "add", "--code", "5000", "--locality", over("postal_codes", "locality")], "locality",
     ("postal_codes", "locality")),
    (["postal-code", "edit", "1414", "--locality", over("postal_codes", "locality")], "locality",
     ("postal_codes", "locality")),
    (["status", "add", "--name", over("statuses", "name")], "name", ("statuses", "name")),
    (["status", "add", "--name", "Baja", "--description", over("statuses", "description")], "description",
     ("statuses", "description")),
    (["status", "edit", "Activo", "--description", over("statuses", "description")], "description",
     ("statuses", "description")),
    (["operator", "add", "--name", over("operators", "name"), "--role", "seller"], "name", ("operators", "name")),
    (["operator", "add", "--name", "sara", "--role", "seller", "--full-name", over("operators", "full_name")],
     "full-name", ("operators", "full_name")),
    (["operator", "add", "--name", "sara", "--role", "seller", "--cash-entity", over("operators", "cash_entity")],
     "cash-entity", ("operators", "cash_entity")),
    (["operator", "edit", "ana", "--full-name", over("operators", "full_name")], "full-name",
     ("operators", "full_name")),
    (["config", "set", "state", over("settings", "value")], "value", ("settings", "value")),
    (["ledger", "adjust", "A1", "--debit", "1", "--reason", over("ledger_entries", "comment")], "comment",
     ("ledger_entries", "comment")),
    (["pay", "A1", "--cash", "1", "--comment", over("ledger_entries", "comment")], "comment",
     ("ledger_entries", "comment")),
    (["pay", "A1", "--cheque", f"bank={over('cheques', 'bank')},number=1,amount=1,deposit=2026-01-10"], "bank",
     ("cheques", "bank")),
    (["pay", "A1", "--cheque", f"bank=Nación,number={over('cheques', 'number')},amount=1,deposit=2026-01-10"],
     "number", ("cheques", "number")),
]


def stored(url: str) -> dict[str, list]:
    with get_engine(url).connect() as conn:
        return {t.name: sorted(map(repr, conn.execute(select(t)).all())) for t in metadata.sorted_tables}


@pytest.mark.parametrize("args, field, column", CASES, ids=lambda v: v[0] + "-" + v[1] if isinstance(v, list) else None)
def test_an_over_long_value_is_refused_naming_the_field_and_nothing_is_stored(base, db_url, args, field, column):
    limit = column if isinstance(column, int) else column_limit(*column)
    before = stored(db_url)
    result = base(*args, input="s" * (column_limit("routers", "secret") + 1) + "\n",
                  env={"LONG_SECRET": "s" * (column_limit("routers", "secret") + 1), "ISPCUBE_OPERATOR": None})
    assert result.exit_code == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and field in lines[0] and str(limit) in lines[0], result.stderr
    assert "Traceback" not in result.stderr and "INSERT" not in result.stderr and "UPDATE" not in result.stderr
    assert stored(db_url) == before


def test_template_body_over_its_limit_is_refused(base, db_url, tmp_path):
    body = tmp_path / "receipt.html"
    body.write_text("x" * (column_limit("document_templates", "body") + 1))
    before = stored(db_url)
    result = base("template", "set", "receipt", str(body))
    assert column_limit("document_templates", "body") == 512 * 1024
    assert result.exit_code == 1 and "512 KiB" in result.stderr, result.stderr
    assert stored(db_url) == before


def test_client_import_refuses_an_over_long_cell_with_its_row(base, db_url, tmp_path):
    path = tmp_path / "clients.csv"
    path.write_text(f"code,name,nickname\nB1,Bea,ok\nB2,Beto,{over('clients', 'nickname')}\n", encoding="utf-8")
    before = stored(db_url)
    result = base("client", "import", str(path))
    assert result.exit_code == 1 and "nickname" in result.stderr and "200" in result.stderr, result.stderr
    assert "INSERT" not in result.stderr
    assert stored(db_url) == before


def test_a_value_at_its_limit_is_stored(base):
    user = "u" * column_limit("routers", "username")
    base.ok("router", "add", "r9", "--kind", "mikrotik", "--host", "10.0.0.9", "--user", user)
    assert [r["username"] for r in base.json("router", "list") if r["name"] == "r9"] == [user]


def test_a_long_value_stored_before_the_limits_does_not_block_other_edits(base, db_url):
    if not db_url.startswith("sqlite"):
        pytest.skip("only SQLite could ever store a value longer than its column")
    from sqlalchemy import update

    from ispcube.db.models import Router
    with get_engine(db_url).begin() as conn:
        conn.execute(update(Router).where(Router.name == "r1").values(username="h" * 300))
    base.ok("router", "edit", "r1", "--port", "8729")
    refused = base("router", "edit", "r1", "--user", "g" * 300)
    assert refused.exit_code == 1 and "router user is too long: 300 characters, at most 100" in refused.stderr


@pytest.mark.parametrize("args", [
    ["client", "add", "--name", "n" * 100_000],
    ["client", "edit", "A1", "--epayment-code", "e" * 100_000],
    ["client", "edit", "A1", "--phone", "1" * 100_000],
    ["client", "edit", "A1", "--mandate-ref", "m" * 100_000]], ids=lambda a: a[2])
def test_a_huge_value_is_quoted_in_part_not_echoed_whole(base, db_url, args):
    before = stored(db_url)
    result = base(*args)
    assert result.exit_code == 1, result.stderr
    assert len(result.stderr) < 400 and "..." in result.stderr, result.stderr[:300]
    assert stored(db_url) == before


@pytest.mark.parametrize("command", ["disable", "enable"])
def test_an_over_long_service_reason_is_refused_and_nothing_is_logged(base, db_url, command):
    base.ok("client", "add", "--code", "B2", "--name", "Bea")
    before = stored(db_url)
    result = base("client", command, "B2", "--reason", "r" * 10_001)
    assert result.exit_code == 1, result.stdout + result.stderr
    assert "reason" in result.stderr and "10000" in result.stderr and len(result.stderr) < 200, result.stderr[:300]
    assert stored(db_url) == before
