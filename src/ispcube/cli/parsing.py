"""How ispcube reads a command line beyond Click's defaults.

`--format`, `--quiet` and `--yes` are taken after the command as well as before it
(`client list --format json`): every command and group of the built tree gets them as hidden
options that set the same State the root callback fills, so a command never looks for them
itself. A negative number is a value, never an option (`config set office.lat -34.588`):
nearly every coordinate in Argentina and Chile is negative.
"""

import re
import types
from typing import TYPE_CHECKING

import click
import typer

if TYPE_CHECKING:
    from click.parser import _OptionParser as OptionParser
else:
    try:
        from click.parser import _OptionParser as OptionParser
    except ImportError:  # Click 8.1 named it without the underscore
        from click.parser import OptionParser

from ispcube.cli import completing
from ispcube.cli.output import FORMATS
from ispcube.cli.state import State

# Options every command takes after its name that take a value (lazy_commands skips them).
SHARED_VALUE_OPTIONS = frozenset({"--format"})
NEGATIVE_NUMBER = re.compile(r"-(\d+(\.\d*)?|\.\d+)")


def build(app: typer.Typer) -> click.Command:
    """The Click command of APP, ready to parse a command line the ispcube way."""
    command = typer.main.get_command(app)
    _prepare(command, root=True, path=())
    return command


def check_format(value: str) -> str:
    if value not in FORMATS:
        raise click.BadParameter(f"'{value}' is not one of {', '.join(FORMATS)}", param_hint="--format")
    return value


def _prepare(command: click.Command, root: bool, path: tuple[str, ...]) -> None:
    if not root:
        taken = {name for param in command.params for name in param.opts + param.secondary_opts}
        command.params.extend(option for option in _shared_options() if not taken & set(option.opts))
    if not isinstance(command, click.Group):
        # This command's own parser, set on the instance (mypy allows no assignment to a method).
        vars(command)["make_parser"] = types.MethodType(_make_parser, command)
    completing.attach(command, path)
    for name, sub in getattr(command, "commands", {}).items():
        _prepare(sub, root=False, path=(*path, name))


def _shared_options() -> list[click.Option]:
    return [click.Option(["--format"], hidden=True, expose_value=False, callback=_set_format),
            click.Option(["--yes", "-y"], is_flag=True, hidden=True, expose_value=False, callback=_set_flag),
            click.Option(["--quiet", "-q"], is_flag=True, hidden=True, expose_value=False, callback=_set_flag)]


def _set_format(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None and not ctx.resilient_parsing:
        ctx.ensure_object(State).format = check_format(value)


def _set_flag(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        setattr(ctx.ensure_object(State), param.name, True)


class _SignedNumberParser(OptionParser):
    """Click's parser, except that -34.6 is a value wherever an argument may stand."""

    def _process_opts(self, arg: str, state) -> None:
        if NEGATIVE_NUMBER.fullmatch(arg) and arg[:2] not in self._short_opt:
            state.largs.append(arg)
            return
        super()._process_opts(arg, state)


def _make_parser(self: click.Command, ctx: click.Context) -> OptionParser:
    parser = _SignedNumberParser(ctx)
    for param in self.get_params(ctx):
        param.add_to_parser(parser, ctx)
    return parser
