"""`ispcube billing run` (L8)."""

import typer

from ispcube.cli.output import render_record
from ispcube.cli.state import state

billing_app = typer.Typer(help="Monthly invoicing.", no_args_is_help=True)


@billing_app.command("run")
def run(ctx: typer.Context,
        period: str = typer.Option(..., "--period", help="Month to invoice (YYYY-MM)."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Only count what would be invoiced.")) -> None:
    """Invoice every billable client for a month; a second run adds nothing."""
    from ispcube.services.fiscal import billing
    done = billing.run_fiscal_billing(state(ctx).runtime(), period, dry_run)
    if state(ctx).format == "json":
        return render_record(done, "json")
    verb = "would invoice" if dry_run else "invoiced"
    state(ctx).say(f"{done['period']}: {verb} {done['invoices']} client(s) ({done['prorated']} prorated), "
                   f"total {done['total']}, due {done['due']}")


def register(app: typer.Typer) -> None:
    app.add_typer(billing_app, name="billing")
