"""`ispcube mercadopago link`: a Mercado Pago payment link for what a client owes (G1).

The access token comes from ISPCUBE_MERCADOPAGO_TOKEN or the config file (chmod 600), never
from a flag; `payments fetch mercadopago` posts what the clients pay through the links.
"""

from typing import Optional

import typer

from ispcube.cli.output import render_record
from ispcube.cli.params import AMOUNT
from ispcube.cli.state import state

mercadopago_app = typer.Typer(help="Mercado Pago: payment links (token: ISPCUBE_MERCADOPAGO_TOKEN); "
                                   "`payments fetch mercadopago` posts what is paid.", no_args_is_help=True)


@mercadopago_app.command("link")
def link(ctx: typer.Context, code: str = typer.Argument(..., help="Client code."),
         amount: Optional[str] = typer.Option(None, "--amount", metavar=AMOUNT,
                                              help="Amount of the link (default: what the client owes).")) -> None:
    """Print a Checkout Pro link where the client pays what it owes (or --amount).

    Made once per debt: while nothing is posted to the client the same link is printed again,
    until it expires (30 days). Its external reference names the client and the link, which
    `payments fetch mercadopago` matches the payment by.
    """
    from ispcube.services.payments.mercadopago import connect
    from ispcube.services.payments.mercadopago.links import link as make_link
    rt = state(ctx).runtime()
    made = make_link(rt, connect(rt), code, amount)
    if state(ctx).format == "json":
        return render_record(made.as_dict(), "json")
    again = "the link made before for this debt" if made.reused else "a new link"
    state(ctx).say(f"client {made.client} owes {made.amount:.2f} {made.currency}: {again}, valid until "
                   f"{made.expires:%Y-%m-%d}:")
    typer.echo(made.link)


def register(app: typer.Typer) -> None:
    app.add_typer(mercadopago_app, name="mercadopago")
