"""Build only the commands a command line runs (start-up time, P6).

Typer turns every command function of the app into a Click command on each run, reading
every signature and type hint: with a hundred commands that costs more than the database work
of `client show`. `only_invoked` hands Typer a copy of the app reduced to the path the
arguments name (`client show`): the other nouns keep their name and help for the listings
but no commands. An unknown word keeps the full app, so Click can name what exists. Shell
completion reduces the app the same way, by the words typed before the one being completed.
"""

import copy

import typer

from ispcube.cli.parsing import SHARED_VALUE_OPTIONS

# Options of the root callback (cli/main.py) that take a value; a test checks this list.
ROOT_VALUE_OPTIONS = frozenset({"--db", "--operator", "--format"})


def only_invoked(app: typer.Typer, args: list[str]) -> typer.Typer:
    return _reduced(app, args, ROOT_VALUE_OPTIONS)


def _reduced(app: typer.Typer, args: list[str], value_options: frozenset[str]) -> typer.Typer:
    word, rest = _first_word(args, value_options)
    if word is None:
        return _copy(app, [_emptied(g) for g in app.registered_groups], list(app.registered_commands))
    for group in app.registered_groups:
        if group.name == word and group.typer_instance is not None:
            child = copy.copy(group)
            child.typer_instance = _reduced(group.typer_instance, rest, SHARED_VALUE_OPTIONS)
            return _copy(app, [child], [])
    for command in app.registered_commands:
        if _command_name(command) == word:
            return _copy(app, [], [command])
    return app


def _first_word(args: list[str], value_options: frozenset[str]) -> tuple[str | None, list[str]]:
    """The first argument that names a command, skipping options (and the values they take)."""
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            return None, []
        if arg.startswith("-"):
            index += 2 if arg in value_options else 1
            continue
        return arg, args[index + 1:]
    return None, []


def _command_name(command) -> str:
    return command.name or command.callback.__name__.lower().replace("_", "-")


def _copy(app: typer.Typer, groups: list, commands: list) -> typer.Typer:
    reduced = copy.copy(app)
    reduced.registered_groups, reduced.registered_commands = groups, commands
    return reduced


def _emptied(group):
    """A sub-group as the listing of its parent shows it: name and help, no commands."""
    emptied = copy.copy(group)
    emptied.typer_instance = _copy(group.typer_instance, [], [])
    return emptied
