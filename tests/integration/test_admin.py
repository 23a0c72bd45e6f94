"""Administration (A1-A4) through the CLI, on SQLite and PostgreSQL."""

import pytest


def test_config_typed_and_validated(cli):
    assert cli.ok("config", "get", "unlock_threshold").stdout.strip() == "0"
    cli.ok("config", "set", "unlock_threshold", "1500.50")
    assert cli.ok("config", "get", "unlock_threshold").stdout.strip() == "1500.50"
    bad = cli("config", "set", "invoice.due_day", "31")
    assert bad.exit_code == 1 and "out of range (1 to 28)" in bad.stderr
    unknown = cli("config", "set", "colour", "blue")
    assert unknown.exit_code == 1 and "unknown setting 'colour'" in unknown.stderr
    assert cli.ok("config", "get", "invoice.due_day").stdout.strip() == "10"


def test_secret_setting_only_from_stdin_and_masked(cli):
    refused = cli("config", "set", "cpe.passwords", "ubnt,secret2")
    assert refused.exit_code == 1 and "stdin" in refused.stderr
    cli.ok("config", "set", "cpe.passwords", "-", input="ubnt,secret2\n")
    listing = cli.ok("config", "list").stdout
    assert "secret2" not in listing and "********" in listing
    assert cli.ok("config", "get", "cpe.passwords").stdout.strip() == "********"


def test_preaviso_range_must_be_ordered(cli):
    cli.ok("config", "set", "preaviso.to_day", "5")
    bad = cli("config", "set", "preaviso.from_day", "8")
    assert bad.exit_code == 1 and "must not be after" in bad.stderr
    assert cli.ok("config", "get", "preaviso.from_day").stdout.strip() == "1"


@pytest.mark.parametrize("noun, add_args, key, edit_args, listed", [
    ("postal-code", ["--code", "1414", "--locality", "Palermo"], "1414", ["--locality", "Palermo Viejo"],
     "Palermo Viejo"),
    ("status", ["--name", "Activo"], "Activo", ["--description", "al día"], "al día"),
    ("company", ["--number", "1", "--name", "Red Sur SRL"], "1", ["--tax-id", "30-71234567-1"], "30-71234567-1"),
    ("plan", ["--name", "Hogar", "--price", "9500"], "Hogar", ["--price", "9900.50"], "9900.50"),
    ("node", ["--name", "Norte", "--lat", "-34.5", "--lng", "-58.4"], "Norte", ["--radius-m", "3000"], "3000"),
    ("operator", ["--name", "ana", "--role", "collector"], "ana", ["--cash-entity", "Caja 2"], "Caja 2"),
])
def test_table_add_list_edit_delete(cli, noun, add_args, key, edit_args, listed):
    cli.ok(noun, "add", *add_args)
    duplicate = cli(noun, "add", *add_args)
    assert duplicate.exit_code == 1 and "already exists" in duplicate.stderr
    cli.ok(noun, "edit", key, *edit_args)
    assert listed in cli.ok(noun, "list").stdout
    unknown = cli(noun, "edit", "4" if noun == "company" else "nope-99", *edit_args)
    assert unknown.exit_code == 1 and "does not exist" in unknown.stderr
    cli.ok("--yes", noun, "delete", key)
    assert listed not in cli.ok(noun, "list").stdout


def test_delete_in_use_refused_naming_users(cli):
    cli.ok("postal-code", "add", "--code", "1414", "--locality", "Palermo")
    cli.ok("client", "add", "--code", "C1", "--name", "Ana", "--postal-code", "1414")
    cli.ok("client", "add", "--code", "C2", "--name", "Beto", "--postal-code", "1414", "--address", "Otra 1")
    refused = cli("--yes", "postal-code", "delete", "1414")
    assert refused.exit_code == 1
    assert "client C1" in refused.stderr and "client C2" in refused.stderr
    assert "1414" in cli.ok("postal-code", "list").stdout


def test_destructive_delete_needs_yes_off_terminal(cli):
    cli.ok("status", "add", "--name", "Activo")
    refused = cli("status", "delete", "Activo")
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    assert "Activo" in cli.ok("status", "list").stdout


def test_bad_values_refused_with_field_named(cli):
    bad_price = cli("plan", "add", "--name", "X", "--price", "12.3455")
    assert bad_price.exit_code == 1 and "price" in bad_price.stderr and "decimals" in bad_price.stderr
    bad_role = cli("operator", "add", "--name", "x", "--role", "boss")
    assert bad_role.exit_code == 1 and "role 'boss'" in bad_role.stderr
    missing = cli("postal-code", "add", "--code", "1")
    assert missing.exit_code == 1 and "--locality" in missing.stderr
    assert cli.json("plan", "list") == [] and cli.json("postal-code", "list") == []


def test_at_most_five_companies(cli):
    for number in range(1, 6):
        cli.ok("company", "add", "--number", str(number), "--name", f"Empresa {number}")
    sixth = cli("company", "add", "--number", "6", "--name", "Sexta")
    assert sixth.exit_code == 1 and "1 to 5" in sixth.stderr


def test_system_operator_is_built_in(cli):
    refused = cli("--yes", "operator", "delete", "system")
    assert refused.exit_code == 1 and "built in" in refused.stderr


def test_unknown_operator_refused(cli):
    result = cli("--operator", "ghost", "client", "list")
    assert result.exit_code == 1 and "operator 'ghost' does not exist" in result.stderr
