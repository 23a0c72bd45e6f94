"""`ispcube export clients|ledger`: the client base (C10) and its running accounts (I8) to XLSX,
CSV or JSON."""

from typing import Any, Optional

import typer

from ispcube.cli.client.filters import FILTER_FLAGS, client_filter
from ispcube.cli.output import render_result
from ispcube.cli.params import DATE, with_flags
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


def ledger(
    ctx: typer.Context,
    out: str = typer.Option(..., "--out", metavar="FILE.xlsx|.csv|.json",
                            help="File to write; the format follows its extension."),
    date_from: Optional[str] = typer.Option(None, "--from", metavar=DATE, help="First date of the entries."),
    date_to: Optional[str] = typer.Option(None, "--to", metavar=DATE, help="Last date of the entries."),
    **filters: Any,
) -> None:
    """Export the entries of the clients `client list` selects with the same filters, as `ledger show`
    shows them, with the balance after each.

    An invoice AFIP authorized also has its fiscal number and CAE in columns of their own
    (fiscal_number, cae); before that its document is marked "draft, not yet fiscal".
    `ledger import` reads the file back."""
    from ispcube.services.ledger.export import export_ledger
    with progress_bar("exporting", quiet=state(ctx).quiet) as bar:
        done = export_ledger(state(ctx).runtime(), client_filter(filters), out, date_from=date_from,
                             date_to=date_to, replace=state(ctx).yes,
                             progress=bar.advance if bar.active else None,
                             on_start=bar.start if bar.active else None)
    render_result(state(ctx), {"rows": done.rows, "file": done.path, "format": done.format},
                  f"{done.rows} entries written to {done.path}")


export_app.command("ledger")(with_flags(ledger, FILTER_FLAGS))


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
