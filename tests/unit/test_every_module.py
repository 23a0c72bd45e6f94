"""Every module of the package imports, and every command renders its `--help` through the real
entry point: a broken import or a help that fails to build (a bad option declaration, a name
used before it exists) would otherwise surface only when a user runs that one command."""

import importlib
import importlib.util
from pathlib import Path
import pkgutil

import click
import pytest
import typer

import ispcube
from ispcube.cli.main import app, entry

# Run only by Alembic, which provides the `context` it configures at import time.
ALEMBIC_ONLY = {"ispcube.db.migrations.env"}
MIGRATIONS = sorted((Path(ispcube.__file__).parent / "db" / "migrations" / "versions").glob("*.py"))


def module_names() -> list[str]:
    found = pkgutil.walk_packages(ispcube.__path__, prefix="ispcube.")
    return sorted(info.name for info in found if info.name not in ALEMBIC_ONLY)


def command_paths() -> list[list[str]]:
    """Every group and command under `ispcube`, as the words a user types."""
    def walk(command: click.Command, path: list[str]):
        yield path
        if isinstance(command, click.Group):
            context = click.Context(command)
            for name in command.list_commands(context):
                yield from walk(command.get_command(context, name), path + [name])
    return list(walk(typer.main.get_command(app), []))


def test_the_walk_finds_every_layer():
    names = module_names()
    for layer in ("domain", "db", "services", "adapters", "sim", "cli"):
        assert any(name.startswith(f"ispcube.{layer}.") for name in names), layer
    assert len(names) > 100
    assert MIGRATIONS


@pytest.mark.parametrize("name", module_names())
def test_module_imports(name):
    assert importlib.import_module(name).__name__ == name


@pytest.mark.parametrize("path", MIGRATIONS, ids=lambda path: path.stem)
def test_migration_imports(path):
    spec = importlib.util.spec_from_file_location(f"migration_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert callable(module.upgrade) and module.revision


def test_every_command_is_reached():
    paths = [" ".join(path) for path in command_paths()]
    assert len(paths) > 80
    assert {"", "client", "client add", "enforce", "db upgrade"} <= set(paths)


@pytest.mark.parametrize("path", command_paths(), ids=lambda path: " ".join(path) or "ispcube")
def test_help_renders_and_names_the_command(path, capsys):
    code = entry([*path, "--help"])
    shown = capsys.readouterr()
    assert code == 0, shown.err
    assert shown.err == ""
    assert f"Usage: {' '.join(['ispcube', *path])} " in shown.out
