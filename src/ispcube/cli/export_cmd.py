"""`ispcube export clients`: the client base to XLSX, CSV or JSON (C10)."""

from typing import Optional

import typer

from ispcube.cli.progress import progress_bar
from ispcube.cli.state import state

export_app = typer.Typer(help="Export data for spreadsheets and scripts.", no_args_is_help=True)


@export_app.command("clients")
def clients(
    ctx: typer.Context,
    out: str = typer.Option(..., "--out", metavar="FILE.xlsx|.csv|.json", help="File to write; the format follows its extension."),
    with_notes: bool = typer.Option(False, "--with-notes", help="Add the management notes (internal: never for clients)."),
    search: Optional[str] = typer.Option(None, "--search", "-s", help="Text searched as in `client list --search`."),
    postal_code: Optional[str] = typer.Option(None, "--postal-code", help="Only this postal code."),
    locality: Optional[str] = typer.Option(None, "--locality", help="Only this locality."),
    node: Optional[str] = typer.Option(None, "--node", help="Only clients of this node."),
    status: Optional[str] = typer.Option(None, "--status", help="Only this administrative status."),
    collector: Optional[str] = typer.Option(None, "--collector", help="Only this collector's clients."),
    seller: Optional[str] = typer.Option(None, "--seller", help="Only this seller's clients."),
    payment_method: Optional[str] = typer.Option(None, "--payment-method", help="Only this payment method."),
    company: Optional[str] = typer.Option(None, "--company", help="Only this billing company (1-5)."),
    service: Optional[str] = typer.Option(None, "--service", help="cut or active."),
    free: Optional[bool] = typer.Option(None, "--free/--no-free", help="Only free (or only paying) clients."),
    deleted: bool = typer.Option(False, "--deleted", help="Export deleted clients (ZZ codes) instead."),
) -> None:
    """Export clients with the filters of `client list`; cells a spreadsheet would run are made inert."""
    from ispcube.services.client_export import export_clients
    from ispcube.services.client_query import ClientFilter
    f = ClientFilter(postal_code=postal_code, locality=locality, node=node, status=status,
                     collector=collector, seller=seller, payment_method=payment_method,
                     company=company, service=service, free=free, deleted=deleted, search=search)
    with progress_bar("exporting", quiet=state(ctx).quiet) as bar:
        done = export_clients(state(ctx).runtime(), f, out, with_notes=with_notes,
                              progress=bar.advance if bar.active else None,
                              on_start=bar.start if bar.active else None)
    state(ctx).say(f"{done.rows} clients written to {done.path}")


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
