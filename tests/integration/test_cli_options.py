"""Options where users put them: --format/--quiet/--yes after the command, negative numbers as
values, and CSV listings that a spreadsheet cannot run (R9)."""

import csv
import io
import json

import pytest


def test_format_after_the_command_is_honoured_and_the_last_one_wins(cli):
    cli.ok("client", "add", "--code", "A1", "--name", "Ana")
    assert [row["code"] for row in json.loads(cli.ok("client", "list", "--format", "json").stdout)] == ["A1"]
    assert json.loads(cli.ok("client", "--format", "json", "show", "A1").stdout)["code"] == "A1"
    assert json.loads(cli.ok("client", "list", "--format=json").stdout)[0]["code"] == "A1"
    as_csv = cli.ok("--format", "json", "client", "list", "--format", "csv").stdout
    assert as_csv.splitlines()[0].startswith("code,name,")


def test_a_bad_format_after_the_command_is_a_usage_error_that_changes_nothing(cli):
    result = cli("client", "add", "--code", "A1", "--name", "Ana", "--format", "xml")
    assert result.exit_code == 2 and "'xml' is not one of table, csv, json" in result.stderr
    assert cli.json("client", "list") == []


def test_quiet_and_yes_after_the_command(cli):
    added = cli.ok("client", "add", "--code", "A1", "--name", "Ana", "--quiet")
    assert added.stdout == ""
    assert cli.ok("config", "get", "country", "-q").stdout.strip() == cli.json("config", "get", "country")["value"]
    refused = cli("client", "delete", "A1")
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    assert cli.ok("client", "delete", "A1", "-y", "-q").stdout == ""
    assert cli.json("client", "list") == []


def test_results_are_records_for_scripts(cli):
    assert cli.ok("status", "add", "--name", "Activo", "--format", "json").stdout.startswith("{")
    recorded = json.loads(cli.ok("status", "delete", "Activo", "--yes", "--format", "json").stdout)
    assert recorded == {"name": "Activo", "deleted": True}
    assert cli.json("config", "set", "office.lat", "-34.588") == {
        "key": "office.lat", "value": "-34.588", "description": cli.json("config", "get", "office.lat")["description"]}


@pytest.mark.parametrize("args, check", [
    (["config", "set", "office.lat", "-34.588"], (["config", "get", "office.lat"], "value", "-34.588")),
    (["config", "set", "office.lng", "-58.38"], (["config", "get", "office.lng"], "value", "-58.38")),
    (["client", "add", "--code", "N1", "--name", "Sur", "--lat", "-34.6", "--lng", "-58.4"],
     (["client", "show", "N1"], "lng", -58.4)),
    (["client", "edit", "A1", "--lat", "-33.45", "--lng=-70.66"], (["client", "show", "A1"], "lat", -33.45)),
    (["client", "edit", "A1", "--lng", "-.5"], (["client", "show", "A1"], "lng", -0.5)),
    (["node", "add", "--name", "Andes", "--lat", "-33.4", "--lng", "-70.6"], (["node", "list"], "lat", -33.4)),
    (["node", "edit", "Norte", "--lng", "-64.2"], (["node", "list"], "lng", -64.2)),
    (["node", "edit", "Norte", "--lat=-31.4"], (["node", "list"], "lat", -31.4)),
])
def test_negative_numbers_are_values(cli, args, check):
    cli.ok("client", "add", "--code", "A1", "--name", "Ana")
    cli.ok("node", "add", "--name", "Norte")
    cli.ok(*args)
    command, key, expected = check
    shown = cli.json(*command)
    if isinstance(shown, list):   # the node the command named
        shown = next(row for row in shown if row["name"] == args[args.index("--name") + 1 if "--name" in args else 2])
    assert shown[key] == expected


def test_a_refused_negative_amount_gets_the_sentence_not_a_usage_error(cli):
    cli.ok("client", "add", "--code", "A1", "--name", "Ana")
    result = cli("ledger", "adjust", "A1", "--debit", "-5", "--reason", "x")
    assert result.exit_code == 1 and "No such option" not in result.stderr
    refused = cli("config", "set", "invoice.due_day", "-3")
    assert refused.exit_code == 1 and "invoice.due_day" in refused.stderr and "No such option" not in refused.stderr
    assert cli("client", "list", "-x").exit_code == 2            # a real unknown option is still one


FORMULAS = ["=HYPERLINK(\"http://evil\")", "+1+2", "-2+3", "@SUM(A1)"]   # names are stored trimmed


def test_csv_listings_neutralise_formula_cells(cli):
    for index, name in enumerate(FORMULAS):
        cli.ok("client", "add", "--code", f"F{index}", "--name", name, "--address", f"Calle {index}")
    cli.ok("client", "note", "add", "F0", "=1+1")
    cli.ok("status", "add", "--name", "@moroso")
    for args, column in ((["client", "list"], "name"), (["client", "note", "list", "F0"], "text"),
                         (["status", "list"], "name"), (["client", "show", "F1"], "name")):
        rows = list(csv.DictReader(io.StringIO(cli.ok("--format", "csv", *args).stdout)))
        assert rows and all(row[column].startswith("'") for row in rows), (args, rows)
    listed = cli.ok("client", "list", "--format", "csv").stdout
    names = {row["code"]: row["name"] for row in csv.DictReader(io.StringIO(listed))}
    assert names == {f"F{i}": "'" + name for i, name in enumerate(FORMULAS)}
    assert [r["name"] for r in cli.json("client", "list")] == FORMULAS     # JSON keeps the data as it is


def test_csv_keeps_plain_negative_numbers(cli):
    cli.ok("client", "add", "--code", "A1", "--name", "Ana", "--lat", "-34.6")
    rows = list(csv.DictReader(io.StringIO(cli.ok("client", "list", "--format", "csv").stdout)))
    assert rows[0]["lat"] == "-34.6"


def test_the_csv_renderer_neutralises_tab_and_carriage_return_too(capsys):
    from ispcube.cli.output import render_record, render_rows
    render_rows([{"a": "\tcmd", "b": "\r=1", "c": "-5.25", "d": "plain"}], "csv")
    render_record({"a": "=1"}, "csv")
    out = capsys.readouterr().out
    assert out.startswith("a,b,c,d\n'\tcmd,'\r=1,-5.25,plain\n") and out.endswith("a\n'=1\n")
