"""docs/cli.md is generated from --help; it must not drift from the commands."""

from pathlib import Path

from ispcube.cli.reference import render

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def test_cli_reference_is_current():
    assert DOC.read_text(encoding="utf-8") == render(), "docs/cli.md is stale: run `make docs`"


def test_every_command_has_help():
    text = render()
    for noun in ("client add", "client list", "config set", "db upgrade", "postal-code delete"):
        assert f"`ispcube {noun}`" in text
