"""`ispcube init`: create or migrate the schema (A1)."""

import typer

from ispcube.cli.output import render_result
from ispcube.cli.state import state


def register(app: typer.Typer) -> None:
    @app.command("init")
    def init(ctx: typer.Context) -> None:
        """Create the database schema (or bring it up to date)."""
        from ispcube.services.admin import database
        info = database.upgrade(state(ctx).runtime(check_schema=False, create=True).engine)
        render_result(state(ctx), vars(info), f"database ready: {info.url} (schema {info.revision})")
