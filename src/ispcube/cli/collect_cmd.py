"""`ispcube collect ...`: direct debits and what each payment method owes (K3)."""

from typing import Optional

import typer

from ispcube.cli.output import render_record, render_rows
from ispcube.cli.params import DATE
from ispcube.cli.state import state

collect_app = typer.Typer(help="Collections: SEPA direct-debit files, their batches, debts for gateways.",
                          no_args_is_help=True)


@collect_app.command("sepa")
def sepa(ctx: typer.Context,
         collection_date: str = typer.Option(..., "--collection-date", metavar=DATE,
                                             help="Day the bank debits the accounts."),
         out: Optional[str] = typer.Option(None, "--out", metavar="FILE.xml", help="The pain.008 file to write."),
         pain: str = typer.Option("008.001.02", "--pain", help="Schema version: 008.001.02 or 008.001.08."),
         dry_run: bool = typer.Option(False, "--dry-run", help="Show what would be collected; write nothing."),
         force_date: bool = typer.Option(False, "--force-date",
                                         help="Take --collection-date as given, even when it is not a TARGET2 "
                                              "business day at least one business day ahead.")) -> None:
    """A SEPA Core direct-debit file for every `sepa` client owing money due by the collection date."""
    from ispcube.errors import PartialFailure
    from ispcube.services.payments.collections.sepa import collect_sepa
    st = state(ctx)
    run = collect_sepa(st.runtime(), collection_date, out, pain=pain, dry_run=dry_run, overwrite=st.yes,
                       force_date=force_date)
    if st.format == "json":
        render_record(run.as_dict(), "json")
    else:
        for line in run.recovered:
            st.say(line)
        if run.items and dry_run:
            render_rows(run.items, st.format, ["client", "amount", "sequence", "mandate_ref"])
        if not run.items:
            done = "nothing to collect: no batch recorded, no file written"
        elif dry_run:
            done = f"{len(run.items)} direct debit(s) for {run.total:.2f} EUR would be requested"
        else:
            done = f"{len(run.items)} direct debit(s) for {run.total:.2f} EUR requested in batch {run.batch}, " \
                   f"written to {run.file}"
        st.say(done + (f"; {run.pending} client(s) skipped with an item still pending" if run.pending else ""))
    for refused in run.refused:
        typer.echo(f"ispcube: client {refused['client']} ({refused['amount']}) not collected: {refused['reason']}",
                   err=True)
    if run.refused:
        raise PartialFailure(f"{len(run.refused)} client(s) paying by sepa could not be collected (named above)"
                             + ("" if dry_run or not run.items else f"; batch {run.batch} stands"))


@collect_app.command("list")
def list_(ctx: typer.Context) -> None:
    """Direct-debit batches with how many items are pending, paid and rejected."""
    from ispcube.services.payments.collections.batches import list_batches
    render_rows(list_batches(state(ctx).runtime()), state(ctx).format,
                ["batch", "collection_date", "pain", "items", "total", "pending", "paid", "rejected", "file"])


@collect_app.command("show")
def show(ctx: typer.Context, batch: str = typer.Argument(..., metavar="BATCH", help="Batch number.")) -> None:
    """A batch and its items: client, amount, EndToEndId, sequence, status, reason."""
    from ispcube.services.payments.collections.batches import show_batch
    shown = show_batch(state(ctx).runtime(), batch)
    if state(ctx).format == "json":
        return render_record(shown, "json")
    render_record({key: value for key, value in shown.items() if key != "items"}, "table")
    render_rows(shown["items"], state(ctx).format,
                ["client", "amount", "end_to_end_id", "sequence", "status", "reason"])


@collect_app.command("settle")
def settle(ctx: typer.Context, batch: str = typer.Argument(..., metavar="BATCH", help="Batch number.")) -> None:
    """Take a batch's pending items as paid (banks that send no statement): a receipt each."""
    from ispcube.services.payments.collections.batches import settle_batch
    done = settle_batch(state(ctx).runtime(), batch)
    if state(ctx).format == "json":
        return render_record(done, "json")
    state(ctx).say(f"batch {done['batch']}: {done['paid']} item(s) settled as paid, {done['total']} received")


@collect_app.command("debts")
def debts(ctx: typer.Context,
          payment_method: str = typer.Option(..., "--payment-method", help="cobrodigital, webpay, mercadopago..."),
          out: str = typer.Option(..., "--out", metavar="FILE.csv|FILE.xlsx|-",
                                  help="The file for the gateway; - writes CSV to standard output.")) -> None:
    """What each client of a payment method owes (code, payment code, amount, due date...), for a gateway."""
    import sys

    from ispcube.services.payments.collections.debts import export_debts
    st = state(ctx)
    done = export_debts(st.runtime(), payment_method, out, overwrite=st.yes, stdout=sys.stdout)
    summary = f"{done.clients} client(s) owing {done.total} written to {'standard output' if out == '-' else done.path}"
    if out == "-":          # standard output holds the CSV: the summary goes to stderr
        if not st.quiet:
            typer.echo(summary, err=True)
    elif st.format == "json":
        render_record(done.__dict__, "json")
    else:
        st.say(summary)


def register(app: typer.Typer) -> None:
    app.add_typer(collect_app, name="collect")
