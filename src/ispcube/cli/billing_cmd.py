"""`ispcube billing run` (L8)."""

import typer

from ispcube.cli.output import render_record
from ispcube.cli.state import state

billing_app = typer.Typer(help="Monthly invoicing.", no_args_is_help=True)


@billing_app.command("run")
def run(ctx: typer.Context,
        period: str = typer.Option(..., "--period", help="Month to invoice (YYYY-MM)."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Only count what would be invoiced.")) -> None:
    """Invoice every billable client for a month; a second run adds nothing.

    With the `none` fiscal driver and `notify.send_invoices yes`, each invoice is queued to be
    e-mailed to its client by the next `notify`."""
    from ispcube.services.fiscal import billing
    from ispcube.services.notices.invoices import announcer
    rt = state(ctx).runtime()
    done = billing.run_fiscal_billing(rt, period, dry_run, announcer(rt))
    if state(ctx).format == "json":
        return render_record(done, "json")
    verb = "would invoice" if dry_run else "invoiced"
    state(ctx).say(f"{done['period']}: {verb} {done['invoices']} client(s) ({done['prorated']} prorated), "
                   f"total {done['total']}, due {done['due']}")


def register(app: typer.Typer) -> None:
    app.add_typer(billing_app, name="billing")
