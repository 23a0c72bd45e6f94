"""`ispcube stripe link|set-card|charge|charge-due`: card payments through Stripe (D4, K6).

The API key comes from STRIPE_API_KEY or the config file (chmod 600), never from a flag.
"""

from typing import Optional

import typer

from ispcube.cli.output import render_record
from ispcube.cli.params import AMOUNT
from ispcube.cli.state import state

stripe_app = typer.Typer(help="Card payments through Stripe: link, set-card, charge, charge-due (key: STRIPE_API_KEY).",
                         no_args_is_help=True)


def _gateway():
    from ispcube.adapters.stripe_gateway import StripeGateway
    return StripeGateway.from_environment()


@stripe_app.command("link")
def link(ctx: typer.Context, code: str = typer.Argument(..., help="Client code."),
         return_url: Optional[str] = typer.Option(None, "--return-url", envvar="ISPCUBE_STRIPE_RETURN_URL",
                                                  help="Page Stripe shows the client after saving the card.")) -> None:
    """Create the client's Stripe customer (once) and print a Checkout link where the client saves a card."""
    from ispcube.services.payments.stripe import charges as stripe_payments
    done = stripe_payments.link(state(ctx).runtime(), _gateway(), code, return_url)
    if state(ctx).format == "json":
        return render_record(done, "json")
    state(ctx).say(f"client {done['client']} is Stripe customer {done['customer']}; send it this link to save a card:")
    typer.echo(done["url"])


@stripe_app.command("set-card")
def set_card(ctx: typer.Context, code: str = typer.Argument(..., help="Client code."),
             payment_method: str = typer.Argument(..., metavar="PM_ID",
                                                  help="The saved card's payment method id (pm_...).")) -> None:
    """Make a card the client saved on Stripe its card for charges (brand, last digits, expiry kept)."""
    from ispcube.services.payments.stripe import charges as stripe_payments
    done = stripe_payments.set_card(state(ctx).runtime(), _gateway(), code, payment_method)
    if state(ctx).format == "json":
        return render_record(done, "json")
    state(ctx).say(f"card {done['card']} saved for client {done['client']}")


@stripe_app.command("charge")
def charge(ctx: typer.Context, code: str = typer.Argument(..., help="Client code."),
           amount: str = typer.Argument(..., metavar=AMOUNT, help="Amount to charge, e.g. 9500.00.")) -> None:
    """Charge the client's saved card and record the payment; after a timeout, run it again: it charges once."""
    from ispcube.services.payments.stripe import charges as stripe_payments
    done = stripe_payments.charge(state(ctx).runtime(), _gateway(), code, amount)
    if state(ctx).format == "json":
        return render_record(done.as_dict(), "json")
    earlier = (" (charged by an earlier attempt whose answer was lost; recorded now, once)" if done.resumed else
               " (Stripe had no charge from the earlier unfinished attempt; sent again with the same key)"
               if done.retried else "")
    state(ctx).say(f"charged {done.amount:.2f} {done.currency} to client {done.client} ({done.card}): "
                   f"receipt {done.receipt}, balance {done.balance:.2f}{earlier}")


@stripe_app.command("charge-due")
def charge_due(ctx: typer.Context,
               dry_run: bool = typer.Option(False, "--dry-run", help="List who would be charged and how much; "
                                                                    "charge nothing.")) -> None:
    """Charge every client paying by `stripe` with a saved card its overdue debt, once a day (cron).

    A run retried the same day charges nobody twice and finishes what an interrupted run left
    pending. Declined cards go to the client log (exit 3); clients that cannot be charged are
    named (exit 3, or 1 when the run changed nothing). Payments recorded re-enable nobody:
    the next `enforce` restores the clients it cut.
    """
    from ispcube.errors import PartialFailure, Refused
    from ispcube.services.payments.stripe.due import charge_due as run_due
    st = state(ctx)
    run = run_due(st.runtime(), None if dry_run else _gateway(), dry_run=dry_run)
    if st.format == "json":
        render_record(run.as_dict(), "json")
    else:
        _say_run(st, run)
    would = "would not be" if dry_run else "not"
    for item in run.not_charged:
        typer.echo(f"ispcube: client {item['client']} ({item['amount']}) {would} charged: {item['reason']}", err=True)
    if run.not_charged and not dry_run:
        missed = f"{len(run.not_charged)} client(s) with money due were not charged (named above)"
        if not run.changed:
            raise Refused(f"{missed}; this run changed nothing")
        raise PartialFailure(f"{missed}; the charges made and the attempts closed stand")


def _say_run(st, run) -> None:
    verb = "would charge" if run.dry_run else "charged"
    for item in run.charged:
        done = "" if run.dry_run else f" ({item['card']}): receipt {item['receipt']}"
        st.say(f"{verb} {item['amount']} {run.currency} to client {item['client']}{done}")
    codes = lambda items: ", ".join(i["client"] for i in items) or "none"  # noqa: E731
    summary = (f"{run.day}: {verb} {len(run.charged)} client(s) for {run.total:.2f} {run.currency} "
               f"({codes(run.charged)})")
    if not run.dry_run:
        summary += f"; declined {len(run.declined)} ({codes(run.declined)}); left pending {len(run.pending)} " \
                   f"({codes(run.pending)})"
    if run.no_card:
        summary += f"; without a card {len(run.no_card)} ({codes(run.no_card)})"
    if run.already_charged:
        summary += f"; already charged today {len(run.already_charged)} ({codes(run.already_charged)})"
    if run.charged and not run.dry_run:
        summary += "; those cut are restored by the next `enforce`, not now"
    st.say(summary)


def register(app: typer.Typer) -> None:
    app.add_typer(stripe_app, name="stripe")
