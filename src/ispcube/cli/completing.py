"""What the shell completes as an option's or argument's value (U9): the words of --format,
--service and the payment methods, and the client codes and router names of the database the
command line names (--db, ISPCUBE_DATABASE_URL or the config file).

Attached to every command as the tree is built (parsing.build), by the parameter's name, so a
new command with a CODE argument or a --router option completes without a line of its own. A
completion never fails: a database that cannot be opened completes nothing.
"""

import types
from typing import Callable

import click
from click.shell_completion import CompletionItem

from ispcube.cli.output import FORMATS
from ispcube.domain.vocabulary import PAYMENT_METHODS, SERVICE_STATES

Values = Callable[[click.Context, str], list[str]]


def attach(command: click.Command, path: tuple[str, ...]) -> None:
    """Give each parameter of COMMAND (at PATH in the tree) that names a known kind its values."""
    for param in command.params:
        values = _values_for(path, param)
        if values is not None:
            param.shell_complete = types.MethodType(_completion(values), param)  # type: ignore[method-assign]


def _values_for(path: tuple[str, ...], param: click.Parameter) -> Values | None:
    name, is_argument = param.name, isinstance(param, click.Argument)
    if name == "format":
        return _words(FORMATS)
    if name == "service":
        return _words(SERVICE_STATES)
    if name in ("payment_method", "method"):
        return _words(PAYMENT_METHODS)
    if name in ("code", "codes") and is_argument or name == "client" and not is_argument:
        return _client_codes
    if name == "router" or (path[:1] == ("router",) and path[1:] != ("add",) and is_argument and name == "name"):
        return _router_names
    return None


def _completion(values: Values):
    def shell_complete(self: click.Parameter, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        return [CompletionItem(value) for value in values(ctx, incomplete)]
    return shell_complete


def _words(words: tuple[str, ...]) -> Values:
    return lambda ctx, incomplete: [word for word in words if word.startswith(incomplete.lower())]


def _client_codes(ctx: click.Context, incomplete: str) -> list[str]:
    from ispcube.services.admin.names import client_codes
    return _ask(ctx, client_codes, incomplete)


def _router_names(ctx: click.Context, incomplete: str) -> list[str]:
    from ispcube.services.admin.names import router_names
    return _ask(ctx, router_names, incomplete)


def _ask(ctx: click.Context, names, incomplete: str) -> list[str]:
    from ispcube import config_file
    from ispcube.cli.state import State
    db = ctx.find_root().params.get("db") or config_file.load().get("database_url")
    try:
        runtime = State(db=db, _warned=True).runtime()
        with runtime.uow() as uow:
            return names(uow, incomplete)
    except Exception:  # noqa: BLE001 - a TAB must never print a traceback; no database, no names
        return []
