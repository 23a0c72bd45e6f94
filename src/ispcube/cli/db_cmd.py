"""`ispcube db upgrade|current`."""

import typer

from ispcube.cli.output import render_result
from ispcube.cli.state import state

db_app = typer.Typer(help="Database schema: upgrade, current.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Migrate the database schema to this version of ispcube."""
    from ispcube.services.admin import database
    info = database.upgrade(state(ctx).runtime(check_schema=False).engine)
    render_result(state(ctx), vars(info), f"database schema at {info.revision} ({info.url})")


@db_app.command("current")
def current(ctx: typer.Context) -> None:
    """Print the schema revision of the database and whether it is up to date."""
    from ispcube.services.admin import database
    info = database.current(state(ctx).runtime(check_schema=False).engine)
    render_result(state(ctx), vars(info),
                  f"{info.revision or 'none'} "
                  f"({'up to date' if info.up_to_date else 'behind: run `ispcube db upgrade`'})",
                  answer=True)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
