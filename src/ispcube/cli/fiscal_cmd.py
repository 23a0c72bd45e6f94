"""`ispcube invoice authorize` and `ispcube fiscal check` (I4, I5)."""

import typer

from ispcube.cli.output import render_record, render_rows
from ispcube.cli.state import state

invoice_app = typer.Typer(help="Fiscal invoices: authorize with the tax authority.", no_args_is_help=True)
fiscal_app = typer.Typer(help="The tax authority's service (fiscal.driver).", no_args_is_help=True)


@invoice_app.command("authorize")
def authorize(ctx: typer.Context) -> None:
    """Ask AFIP for the number and CAE of every draft invoice (cron; one run at a time).

    Exit 3 when AFIP refused an invoice (named with AFIP's codes; the rest of its series waits)
    or could not be asked (the next run carries on where this one stopped)."""
    from ispcube.errors import PartialFailure
    from ispcube.services.fiscal.authorize import authorize as run_authorize
    run = run_authorize(state(ctx).runtime())
    if state(ctx).format == "json":
        render_record(run.as_dict(), "json")
    else:
        for sentence in run.refused + run.failed:
            typer.echo(sentence, err=True)
        state(ctx).say(run.line())
    if not run.ok:
        raise PartialFailure(f"{len(run.refused)} invoice(s) refused and {len(run.failed)} failure(s) "
                             "(named above)")


@fiscal_app.command("check")
def check(ctx: typer.Context) -> None:
    """Try AFIP's WSFEv1 (FEDummy), the login and the last number of each point of sale and letter."""
    from ispcube.errors import PartialFailure
    from ispcube.services.fiscal.check import fiscal_check
    done = fiscal_check(state(ctx).runtime())
    render_rows(done.rows, state(ctx).format, ["company", "cuit", "point_of_sale", "document", "type", "last"])
    for problem in done.problems:
        typer.echo(problem, err=True)
    if not done.ok:
        raise PartialFailure(f"{len(done.problems)} company(ies) cannot invoice through AFIP (named above)")


def register(app: typer.Typer) -> None:
    app.add_typer(invoice_app, name="invoice")
    app.add_typer(fiscal_app, name="fiscal")
