"""`ispcube invoice list|show|print|authorize|send` and `ispcube fiscal check` (I2, I4, I5, I7)."""

from typing import Optional

import typer

from ispcube.cli.output import render_record, render_result, render_rows
from ispcube.cli.params import DATE
from ispcube.cli.state import state

invoice_app = typer.Typer(help="Fiscal invoices: list, show, print, authorize with the tax authority, e-mail.",
                          no_args_is_help=True)
LISTED = ["entry", "client", "period", "internal", "kind", "letter", "fiscal_number", "associated", "status", "total",
          "cae"]


@invoice_app.command("list")
def list_(ctx: typer.Context,
          period: Optional[str] = typer.Option(None, "--period", help="Only the invoices of a month (YYYY-MM)."),
          client: Optional[str] = typer.Option(None, "--client", help="Only one client's invoices (its code)."),
          status: Optional[str] = typer.Option(None, "--status",
                                               help="internal, draft, in-flight or authorized.")) -> None:
    """List invoices, and their credit and debit notes, with their fiscal number and state.

    A note names the document it corrects (associated): the invoice's fiscal number, or the
    note it cancels."""
    from ispcube.services.fiscal.invoices import InvoiceFilter, list_invoices
    rows = list_invoices(state(ctx).runtime(), InvoiceFilter(period, client, status))
    render_rows(rows, state(ctx).format, LISTED)


@invoice_app.command("show")
def show(ctx: typer.Context,
         entry: str = typer.Argument(..., metavar="ENTRY", help="The invoice's entry, as `invoice list` shows it.")
         ) -> None:
    """One invoice: its fiscal number, letter, net, VAT, CAE or AFIP's refusal."""
    from ispcube.services.fiscal.invoices import show_invoice
    render_record(show_invoice(state(ctx).runtime(), entry), state(ctx).format)


@invoice_app.command("print")
def print_(ctx: typer.Context,
           entry: Optional[str] = typer.Argument(None, metavar="[ENTRY]", help="The invoice's entry."),
           out: Optional[str] = typer.Option(None, "--out", metavar="FILE", help="The PDF to write (one invoice)."),
           period: Optional[str] = typer.Option(None, "--period", help="Every invoice of a month (YYYY-MM)..."),
           out_dir: Optional[str] = typer.Option(None, "--out-dir", metavar="DIR",
                                                 help="...each into its own PDF in this folder.")) -> None:
    """The invoice PDF (template `invoice`): ENTRY --out FILE, or --period YYYY-MM --out-dir DIR.

    With `payments.link_provider mercadopago` the client's payment link for what it owes is
    printed on it (`payment_link`).
    """
    from ispcube.errors import UsageError
    from ispcube.services.fiscal.invoices import print_invoice, print_period
    from ispcube.services.payments.mercadopago.links import links_for
    rt = state(ctx).runtime()
    links = links_for(rt, create=True)
    if period or out_dir:
        if entry or out or not (period and out_dir):
            raise UsageError("give ENTRY --out FILE, or --period YYYY-MM --out-dir DIR")
        done = print_period(rt, period, out_dir, state(ctx).yes, links)
        for warning in done.warnings:
            typer.echo(f"ispcube: warning: {warning}", err=True)
        render_result(state(ctx), {"period": period, "files": [str(d.path) for d in done.documents],
                                   "invoices": len(done.documents)},
                      f"{len(done.documents)} invoice(s) of {period} written to {out_dir}")
        return
    if not entry:
        raise UsageError("give ENTRY --out FILE, or --period YYYY-MM --out-dir DIR")
    document = print_invoice(rt, entry, out, state(ctx).yes, links)
    for warning in document.warnings:
        typer.echo(f"ispcube: warning: {warning}", err=True)
    render_result(state(ctx), {"file": str(document.path), "pages": document.pages}, document.summary)


@invoice_app.command("send")
def send(ctx: typer.Context,
         period: Optional[str] = typer.Option(None, "--period", help="The invoices of a month (YYYY-MM)."),
         entries: Optional[list[str]] = typer.Option(None, "--invoice", metavar="ENTRY",
                                                     help="An invoice's entry, as `invoice list` shows it "
                                                          "(repeat for more)."),
         client: Optional[str] = typer.Option(None, "--client", help="One client's invoices (its code).")) -> None:
    """E-mail each invoice picked, its PDF attached, to its client, once (through the notices).

    Only invoices with their number go (authorized by AFIP, or numbered by billing with the
    `none` driver); drafts wait for `invoice authorize`. A client without an e-mail address is
    named and skipped. An invoice the mail server did not take stays queued for the next
    `notify` or `invoice send` (exit 3); one sent is never sent again.
    """
    from ispcube.errors import PartialFailure
    from ispcube.services.notices.invoices import InvoiceSelection, send_invoices
    from ispcube.services.payments.mercadopago.links import links_for
    st = state(ctx)
    rt = st.runtime()
    run = send_invoices(rt, InvoiceSelection(period, tuple(entries or ()), client), links_for(rt, create=True))
    if st.format == "json":
        render_record(run.as_dict(), "json")
    else:
        if run.sent and not st.quiet:
            render_rows(run.sent, st.format, ["notice", "client", "to", "subject"])
        st.say(run.line())
    if not run.ok:
        raise PartialFailure(run.failure())


fiscal_app = typer.Typer(help="The tax authority's service (fiscal.driver).", no_args_is_help=True)


@invoice_app.command("authorize")
def authorize(ctx: typer.Context,
              today: Optional[str] = typer.Option(None, "--today", metavar=DATE,
                                                  help="Act as on this date (the invoices' date, and the day their "
                                                       "wait is counted to); a day other than today needs --yes.")
              ) -> None:
    """Ask AFIP for the number and CAE of every draft invoice (cron; one run at a time).

    Exit 3 when AFIP refused an invoice (named with AFIP's codes; the rest of its series waits)
    or could not be asked (the next run carries on where this one stopped). Every run retries
    every open invoice, however long it has waited; one still without its CAE more than
    `fiscal.retry_days` after it was posted is named in one sentence by every run (exit 3),
    and written on its client's log by the first. With `notify.send_invoices yes` each invoice
    authorized is queued to be e-mailed to its client by the next `notify`."""
    from ispcube.domain.dates import parse_date
    from ispcube.errors import PartialFailure, UsageError
    from ispcube.services.fiscal.authorize import authorize as run_authorize
    from ispcube.services.notices.invoices import announcer
    st = state(ctx)
    rt = st.runtime()
    day = parse_date(today, field="--today", clock=True, local=rt.local_formats()) if today is not None else None
    if day is not None and day != rt.today() and not st.yes:
        raise UsageError(f"--today {day} is not today ({rt.today()}): invoices would be dated that day; "
                         "add --yes to authorize them so")
    run = run_authorize(rt, announce=announcer(rt), today=day)
    if st.format == "json":
        render_record(run.as_dict(), "json")
    else:
        for sentence in run.refused + run.failed + [o.sentence for o in run.overdue]:
            typer.echo(sentence, err=True)
        st.say(run.line())
    if not run.ok:
        raise PartialFailure(run.failure())


@fiscal_app.command("check")
def check(ctx: typer.Context) -> None:
    """Try AFIP's WSFEv1 (FEDummy), the login and the last number of each point of sale and letter."""
    from ispcube.errors import PartialFailure
    from ispcube.services.fiscal.check import fiscal_check
    done = fiscal_check(state(ctx).runtime())
    render_rows(done.rows, state(ctx).format, ["company", "cuit", "point_of_sale", "document", "type", "last"])
    for problem in done.problems:
        typer.echo(problem, err=True)
    if done.overdue_line():
        typer.echo(f"ispcube: warning: {done.overdue_line()}", err=True)
    if not done.ok:
        raise PartialFailure(f"{len(done.problems)} company(ies) cannot invoice through AFIP (named above)")


def register(app: typer.Typer) -> None:
    app.add_typer(invoice_app, name="invoice")
    app.add_typer(fiscal_app, name="fiscal")
