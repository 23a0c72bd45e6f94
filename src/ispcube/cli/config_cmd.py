"""`ispcube config list|get|set` (A2)."""

import typer

from ispcube.cli.output import render_result, render_rows
from ispcube.cli.state import state

config_app = typer.Typer(help="System settings: list, get, set.", no_args_is_help=True)


def _row(view) -> dict:
    return {"key": view.key, "value": view.shown, "description": view.description}


@config_app.command("list")
def list_(ctx: typer.Context) -> None:
    """List every setting with its value (secrets masked)."""
    from ispcube.services.admin import config
    with state(ctx).runtime().uow() as uow:
        render_rows([_row(v) for v in config.list_settings(uow)], state(ctx).format)


@config_app.command("get")
def get(ctx: typer.Context, key: str = typer.Argument(..., help="Setting name.")) -> None:
    """Print one setting's value (secrets masked)."""
    from ispcube.services.admin import config
    with state(ctx).runtime().uow() as uow:
        view = config.get_setting(uow, key)
    render_result(state(ctx), _row(view), view.shown, answer=True)


@config_app.command("set")
def set_(ctx: typer.Context, key: str = typer.Argument(..., help="Setting name."),
         value: str = typer.Argument(..., help="New value; - reads it from stdin (required for secrets).")) -> None:
    """Change one setting; the value is checked against the setting's type."""
    from ispcube.cli.stdin_text import stdin_all
    from ispcube.services.admin import config
    from_stdin = value == "-"
    if from_stdin:
        value = stdin_all(f"value of {key}")
    with state(ctx).runtime().office_uow("change settings") as uow:
        view = config.set_setting(uow, key, value, from_stdin=from_stdin)
    render_result(state(ctx), _row(view), f"{view.key} = {view.shown}")


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")
