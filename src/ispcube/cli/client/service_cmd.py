"""`ispcube client disable|enable`: cut or give back a client's service by hand (N6)."""

from typing import TYPE_CHECKING, Optional

import typer

from ispcube.cli.client.lifecycle_cmd import client_app
from ispcube.cli.output import render_record
from ispcube.cli.state import state

if TYPE_CHECKING:
    from ispcube.services.enforcement.outcomes import ManualChange


def disable(ctx: typer.Context, code: str = typer.Argument(..., help="Client code."),
            reason: str = typer.Option(..., "--reason", help="Why (kept in the client log).")) -> None:
    """Cut a client's service by hand, on its routers at once."""
    from ispcube.services.enforcement import service_state
    outcome = service_state.disable_client(state(ctx).runtime(), code, reason)
    _manual(ctx, outcome, "disabled")

def enable(ctx: typer.Context, code: str = typer.Argument(..., help="Client code."),
           reason: Optional[str] = typer.Option(None, "--reason", help="Why (kept in the client log)."),
           drop_commitment: Optional[bool] = typer.Option(
               None, "--drop-commitment/--keep-commitment",
               help="Remove (or keep) a payment commitment in force; asked at a terminal.")) -> None:
    """Give a client's service back by hand, on its routers at once."""
    from ispcube.services.enforcement import service_state
    rt = state(ctx).runtime()
    pending = service_state.commitment_of(rt, code)
    drop = pending is not None and state(ctx).ask(
        f"Client {code} has a payment commitment until {pending}; remove it?", drop_commitment, False)
    _manual(ctx, service_state.enable_client(rt, code, reason, drop), "enabled")


def _manual(ctx: typer.Context, outcome: "ManualChange", verb: str) -> None:
    from ispcube.services.enforcement.service_state import raise_if_queued
    if state(ctx).format == "json":
        render_record(outcome, "json")
    else:
        state(ctx).say(f"client {outcome['client']} {verb}")
        for row in outcome["routers"]:
            state(ctx).say(f"  router {row['router']}: {row['status']}"
                           + (f" ({row['error']})" if row["error"] else ""))
    raise_if_queued(outcome)


def register(app: typer.Typer) -> None:
    client_app.command("disable")(disable)
    client_app.command("enable")(enable)
