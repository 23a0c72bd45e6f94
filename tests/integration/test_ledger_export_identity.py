"""A statement exported with `ledger show --format csv` and imported into the same database posts
nothing (its rows name the entries they are); imported into another database it posts them."""

from datetime import date, timedelta
import json

from tests.conftest import Cli


def statement_back(cli, code: str, path, *options: str) -> dict:
    path.write_text(cli.ok("--format", "csv", "ledger", "show", code, *options).stdout, encoding="utf-8")
    result = cli("--format", "json", "ledger", "import", str(path))
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_a_statement_imported_where_it_was_exported_posts_nothing(cli, tmp_path):
    cli.ok("client", "add", "--code", "A1", "--name", "Ana")
    cli.ok("ledger", "adjust", "A1", "--debit", "50", "--reason", "cuota")
    cli.ok("pay", "A1", "--cash", "20", "--no-enable")
    cli.ok("ledger", "adjust", "A1", "--credit", "5", "--reason", "bonificación")
    cli.ok("ledger", "adjust", "A1", "--debit", "7", "--reason", "error")
    dx = [e for e in cli.json("ledger", "show", "A1") if e["document"] == "DX 2"][0]
    cli.ok("ledger", "annul", str(dx["entry"]), "--reason", "cargado por error")
    (tmp_path / "old.csv").write_text(f"client,date,kind,amount,reference\nA1,{date.today() - timedelta(days=3)},"
                                      "dx,12,MIG-1\n", encoding="utf-8")
    cli.ok("ledger", "import", str(tmp_path / "old.csv"))
    before = cli.json("client", "show", "A1")["balance"]
    assert before == "37.00"
    done = statement_back(cli, "A1", tmp_path / "a1.csv")
    assert (done["posted"], done["already_imported"]) == (0, 6)
    assert cli.json("client", "show", "A1")["balance"] == before
    since = statement_back(cli, "A1", tmp_path / "a1-since.csv", "--from", date.today().isoformat())
    assert (since["posted"], since["already_imported"]) == (0, 6)      # brought forward (MIG-1) and 5 entries
    assert cli.json("client", "show", "A1")["balance"] == before
    assert cli.json("ledger", "rebuild")["wrong"] == []

    other = Cli(f"sqlite:///{tmp_path / 'other.db'}")
    other.ok("init")
    other.ok("client", "add", "--code", "A1", "--name", "Ana")
    result = other("--format", "json", "ledger", "import", str(tmp_path / "a1.csv"))
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["posted"] == 6
    assert other.json("client", "show", "A1")["balance"] == before


def test_a_row_naming_an_entry_with_another_amount_is_not_taken_for_it(cli, tmp_path):
    cli.ok("client", "add", "--code", "A1", "--name", "Ana")
    cli.ok("ledger", "adjust", "A1", "--debit", "50", "--reason", "cuota")
    path = tmp_path / "x.csv"
    path.write_text(f"client,date,kind,amount,reference\nA1,{date.today()},dx,51,DX 1\n", encoding="utf-8")
    result = json.loads(cli.ok("--format", "json", "ledger", "import", str(path)).stdout)
    assert (result["posted"], result["already_imported"]) == (1, 0)
