"""The reduced command tree (start-up time, P6) behaves like the full one where it is used."""

import click
import pytest
import typer

from ispcube.cli.lazy_commands import ROOT_VALUE_OPTIONS, only_invoked
from ispcube.cli.main import app


def _help(command_app: typer.Typer, path: list[str]) -> str:
    command = typer.main.get_command(command_app)
    names = []
    for name in path:
        command = command.get_command(click.Context(command), name)
        names.append(name)
    with click.Context(command, info_name=" ".join(["ispcube", *names]), terminal_width=100) as ctx:
        return command.get_help(ctx)


@pytest.mark.parametrize("path", [[], ["client"], ["client", "show"], ["client", "webpass"],
                                  ["client", "webpass", "check"], ["export", "clients"]])
def test_help_of_the_reduced_tree_is_the_full_help(path):
    reduced = only_invoked(app, ["--db", "x.db", "--format", "json", *path, "--help"])
    assert _help(reduced, path) == _help(app, path)


def test_only_the_invoked_command_is_built():
    reduced = typer.main.get_command(only_invoked(app, ["--operator", "ana", "client", "show", "A1"]))
    client = reduced.get_command(click.Context(reduced), "client")
    assert list(reduced.list_commands(click.Context(reduced))) == ["client"]
    assert list(client.list_commands(click.Context(client))) == ["show"]


def test_unknown_words_keep_the_whole_tree():
    assert only_invoked(app, ["clinet", "show"]) is app


def test_root_value_options_match_the_root_callback():
    root = typer.main.get_command(app)
    takes_value = {decl for param in root.params if isinstance(param, click.Option) and not param.is_flag
                   for decl in param.opts}
    assert takes_value == ROOT_VALUE_OPTIONS


def test_format_after_a_group_is_skipped_like_before_it():
    reduced = typer.main.get_command(only_invoked(app, ["client", "--format", "json", "show", "A1"]))
    client = reduced.get_command(click.Context(reduced), "client")
    assert list(client.list_commands(click.Context(client))) == ["show"]
