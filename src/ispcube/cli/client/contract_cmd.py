"""`ispcube client contract` (D3): the client's contract as a PDF."""

import typer

from ispcube.cli.client.lifecycle_cmd import client_app
from ispcube.cli.documents_cmd import OUT_PDF, say_document
from ispcube.cli.state import state


def contract(ctx: typer.Context, code: str = typer.Argument(..., help="Client code."),
             out: str = typer.Option(..., "--out", help=OUT_PDF)) -> None:
    """Print the client's contract: the model its contract type (1 or 2) names, filled with its data."""
    from ispcube.services.documents import printed as documents
    say_document(state(ctx), documents.print_contract(state(ctx).runtime(), code, out, state(ctx).yes))


def register(app: typer.Typer) -> None:
    client_app.command("contract")(contract)
