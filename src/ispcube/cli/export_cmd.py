"""`ispcube export clients`: the client base to XLSX, CSV or JSON (C10)."""

from typing import Any

import typer

from ispcube.cli.client.filters import FILTER_FLAGS, client_filter
from ispcube.cli.output import render_result
from ispcube.cli.params import with_flags
from ispcube.cli.progress import progress_bar
from ispcube.cli.state import state

export_app = typer.Typer(help="Export data for spreadsheets and scripts.", no_args_is_help=True)


def clients(
    ctx: typer.Context,
    out: str = typer.Option(..., "--out", metavar="FILE.xlsx|.csv|.json",
                            help="File to write; the format follows its extension."),
    with_notes: bool = typer.Option(False, "--with-notes",
                                    help="Add the management notes (internal: never for clients)."),
    **filters: Any,
) -> None:
    """Export clients with the filters of `client list`; cells a spreadsheet would run are made inert."""
    from ispcube.services.clients.export import export_clients
    with progress_bar("exporting", quiet=state(ctx).quiet) as bar:
        done = export_clients(state(ctx).runtime(), client_filter(filters), out, with_notes=with_notes,
                              replace=state(ctx).yes,
                              progress=bar.advance if bar.active else None,
                              on_start=bar.start if bar.active else None)
    render_result(state(ctx), {"rows": done.rows, "file": str(done.path), "format": done.format},
                  f"{done.rows} clients written to {done.path}")


export_app.command("clients")(with_flags(clients, FILTER_FLAGS))


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
