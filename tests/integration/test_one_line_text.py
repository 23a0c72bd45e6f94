"""Control characters (C0, DEL, C1) are refused in every one-line text field at every entry
point (R12): one sentence, exit 1, nothing changed. A name stored with a line break before
they were refused neither breaks `notify` nor holds back the notices after it."""

import pytest
from sqlalchemy import text

from tests.integration.test_notify import debtor, mail  # noqa: F401 - fixture

BREAKS = {"line feed": "Ana\nMaría", "carriage return": "Ana\rMaría", "tab": "Ana\tMaría",
          "escape": "Ana\x1b[31m", "DEL": "Ana\x7f", "NEL (C1)": "Ana\x85María"}


@pytest.fixture
def base(cli):
    cli.ok("client", "add", "--code", "A1", "--name", "Ana", "--address", "Calle 1")
    return cli


@pytest.mark.parametrize("value", list(BREAKS.values()), ids=list(BREAKS))
def test_client_fields_refuse_control_characters(base, value):
    for args in (("client", "add", "--code", "B2", "--name", value, "--address", "Calle 2"),
                 ("client", "add", "--code", "B2", "--name", "Beto", "--address", f"Calle {value}"),
                 ("client", "edit", "A1", "--nickname", value),
                 ("client", "edit", "A1", "--fiscal-address", value)):
        refused = base(*args)
        assert refused.exit_code == 1, (args, refused.stdout, refused.stderr)
        assert "control character" in refused.stderr and refused.stderr.count("\n") == 1, refused.stderr
    assert [c["code"] for c in base.json("client", "list")] == ["A1"]
    shown = base.json("client", "show", "A1")
    assert shown["nickname"] in (None, "") and shown["fiscal_address"] in (None, "")


def test_client_import_names_the_line_and_column(base, tmp_path):
    file = tmp_path / "clientes.csv"
    file.write_bytes("code,name,address\nB2,Beto,Calle 2\nC3,\"Caro\nLína\",Calle 3\n".encode())
    refused = base("client", "import", str(file))
    assert refused.exit_code == 1
    assert "line 3, column name" in refused.stderr and "control character" in refused.stderr
    assert [c["code"] for c in base.json("client", "list")] == ["A1"]


@pytest.mark.parametrize("args", [
    ("operator", "add", "--name", "caja\n2", "--role", "operator"),
    ("operator", "add", "--name", "caja2", "--full-name", "Caja\x85Dos", "--role", "operator"),
    ("plan", "add", "--name", "Hogar\r\n", "--price", "9500"),
    ("plan", "add", "--name", "Hogar\x1b", "--price", "9500"),
    ("ledger", "adjust", "A1", "--debit", "100", "--reason", "deuda\nfalsa"),
    ("pay", "A1", "--cash", "100", "--comment", "pago\r\nBcc: x@y.z"),
    ("client", "disable", "A1", "--reason", "robo\x7f"),
    ("config", "set", "smtp.from", "Fibra <avisos@fibra.example>\r\nBcc: todos@example.com"),
    ("config", "set", "sepa.creditor_name", "Fibra\tNorte"),
    ("router", "add", "core\n2", "--kind", "mikrotik", "--host", "127.0.0.1"),
    ("router", "add", "core", "--kind", "mikrotik", "--host", "127.0.0.1", "--user", "admin\r\nroot"),
], ids=["operator", "operator-full-name", "plan-crlf", "plan-escape", "adjust", "pay", "disable", "smtp.from",
        "creditor", "router-name", "router-user"])
def test_names_reasons_comments_and_settings_refuse_control_characters(base, runtime, args):
    def counts():
        with runtime.engine.connect() as conn:
            return [conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                    for t in ("operators", "plans", "ledger_entries", "client_events", "settings", "routers")]
    before = counts()
    refused = base(*args)
    assert refused.exit_code == 1, refused.stdout + refused.stderr
    assert "control character" in refused.stderr and refused.stderr.count("\n") == 1, refused.stderr
    assert counts() == before
    assert base.json("client", "show", "A1")["service"] == "active"


def test_a_name_stored_with_a_line_break_is_sent_on_one_line_and_the_rest_follow(cli, runtime, mail):  # noqa: F811
    debtor(cli, "A1", "Ana", email="ana@example.com")
    debtor(cli, "B2", "Beto", email="beto@example.com")
    with runtime.engine.begin() as conn:      # stored before such names were refused
        conn.execute(text("UPDATE clients SET name = :name WHERE code = 'A1'"),
                     {"name": "Ana\r\nBcc: todos@example.com"})
    cli.ok("enforce")
    result = cli("--format", "json", "notify")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert sorted(rcpts[0] for _, rcpts, _ in mail.inbox) == ["ana@example.com", "beto@example.com"]
    to_ana = next(m for m in mail.messages() if "ana@example.com" in str(m["To"]))
    assert "Bcc" not in to_ana and "\n" not in str(to_ana["To"])
    assert "Ana Bcc: todos@example.com" in str(to_ana["To"])
    assert all(rcpts != ["todos@example.com"] for _, rcpts, _ in mail.inbox)
    assert "notice.sent" in [e["kind"] for e in cli.json("client", "log", "A1")]


def test_an_argument_in_another_encoding_than_utf8_is_one_sentence(base):
    """A Latin-1 terminal sends é as the byte 0xe9, which Python keeps as a lone surrogate."""
    refused = base("client", "edit", "A1", "--contact", "Jos\udce9")
    assert refused.exit_code == 1 and refused.stderr == (
        "ispcube: the value of --contact holds bytes that are not UTF-8: set the terminal to UTF-8 and try again\n")


def test_router_edit_and_ledger_import_descriptions_refuse_control_characters(base, tmp_path):
    base.ok("router", "add", "core", "--kind", "mikrotik", "--host", "127.0.0.1", "--user", "admin")
    for args in (("router", "edit", "core", "--name", "core\x1b"), ("router", "edit", "core", "--user", "a\tb")):
        refused = base(*args)
        assert refused.exit_code == 1 and "control character" in refused.stderr, (args, refused.stderr)
    [router] = base.json("router", "list")
    assert (router["name"], router["username"]) == ("core", "admin")
    lines = tmp_path / "saldos.csv"
    lines.write_text('client,date,kind,amount,reference,description\nA1,2026-01-05,dx,100,R-1,"cuota\nfalsa"\n')
    refused = base("ledger", "import", str(lines))
    assert refused.exit_code == 1
    assert "column description" in refused.stderr and "control character" in refused.stderr, refused.stderr
    assert base.json("client", "show", "A1")["balance"] in ("0", "0.00")
