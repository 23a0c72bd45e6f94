"""client.code_format (C2, R12): only formats yielding valid codes are stored, and a format
stored by an older version stops `client add` and `client import` with a sentence."""

import csv

import pytest


def _store_raw_format(runtime, fmt: str) -> None:
    """The setting as an older version could have stored it, past today's check."""
    import json

    from ispcube.db.models import Setting
    with runtime.uow() as uow:
        uow.session.merge(Setting(key="client.code_format", value=json.dumps(fmt)))
        uow.commit()


@pytest.mark.parametrize("fmt", ["{n.__class__}", "C {n}", "{n:0100000d}", "{n:5d}", "{x}", "ZZ{n}",
                                 "A" * 40 + "{n}"])
def test_config_set_refuses_formats_that_yield_bad_codes(cli, fmt):
    result = cli("config", "set", "client.code_format", fmt)
    assert result.exit_code == 1
    assert result.stderr.startswith("ispcube: setting client.code_format: '")
    assert "{n:0Wd}" in result.stderr and result.stderr.count("\n") == 1
    assert cli.ok("config", "get", "client.code_format").stdout.strip() == "{n:05d}"


def test_config_set_refuses_a_format_with_a_line_break(cli):
    result = cli("config", "set", "client.code_format", "C\n{n}")
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert "holds a control character" in result.stderr
    assert cli.ok("config", "get", "client.code_format").stdout.strip() == "{n:05d}"


def test_config_set_keeps_a_good_format(cli):
    cli.ok("config", "set", "client.code_format", "AR-{n:06d}")
    assert cli.json("client", "add", "--name", "Uno")["code"] == "AR-000001"


@pytest.mark.parametrize("fmt", ["{n.__class__}", "{x}", "{n:5d}", "{0}"])
def test_stored_bad_format_stops_client_add_without_traceback(cli, runtime, fmt):
    _store_raw_format(runtime, fmt)
    result = cli("client", "add", "--name", "Uno")
    assert result.exit_code == 1, result.stderr
    assert "setting client.code_format:" in result.stderr and "config set client.code_format" in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert cli.json("client", "list") == []
    assert cli.json("client", "add", "--name", "Dos", "--code", "X1")["code"] == "X1"


def test_stored_bad_format_stops_an_import_that_needs_codes(cli, runtime, tmp_path):
    _store_raw_format(runtime, "{n.__class__}")
    path = tmp_path / "c.csv"
    with path.open("w", newline="") as out:
        csv.writer(out).writerows([["name", "address"], ["Uno", "Calle 1"], ["Dos", "Calle 2"]])
    result = cli("client", "import", str(path))
    assert result.exit_code == 1, result.stderr
    assert "setting client.code_format:" in result.stderr and "Traceback" not in result.stderr
    assert cli.json("client", "list") == []
