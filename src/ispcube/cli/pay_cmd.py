"""`ispcube pay` (L3) and `ispcube cheque list|set-status` (L4)."""

from typing import Optional

import typer

from ispcube.cli.output import render_record, render_rows
from ispcube.cli.params import AMOUNT, CHEQUE, DATE
from ispcube.cli.state import state

cheque_app = typer.Typer(help="Cheques received with payments: list, set-status.", no_args_is_help=True)


def pay(ctx: typer.Context, code: str = typer.Argument(..., help="Client code."),
        cash: Optional[str] = typer.Option(None, "--cash", metavar=AMOUNT, help="Amount paid in cash."),
        amount: Optional[str] = typer.Option(None, "--amount", metavar=AMOUNT,
                                             help="Amount paid by --method (default cash)."),
        method: Optional[str] = typer.Option(None, "--method", metavar="METHOD",
                                             help="How it was paid: cash, transfer, card, cheque, debit, "
                                                  "mercadopago... or efectivo, transferencia, tarjeta; only cash "
                                                  "goes to the cash box."),
        cheque: Optional[list[str]] = typer.Option(
            None, "--cheque", metavar=CHEQUE, help="A cheque: bank=..,number=..,amount=..,deposit=.. (repeatable)."),
        comment: Optional[str] = typer.Option(None, "--comment", help="Kept on the receipt."),
        on_date: Optional[str] = typer.Option(None, "--date", metavar=DATE,
                                              help="Date of the payment (default today)."),
        enable: Optional[bool] = typer.Option(None, "--enable/--no-enable",
                                              help="Re-enable a cut client the payment brings to or below the "
                                                   "unlock threshold (asked on a terminal; default no)."),
        receipt: Optional[str] = typer.Option(None, "--receipt", help="Also write the receipt to this FILE.pdf "
                                                                      "(asked on a terminal; default no).")) -> None:
    """Record a payment in cash and/or cheques; prints the receipt number and the new balance."""
    from ispcube.services.payments.counter import pay_at_counter
    st = state(ctx)
    done = pay_at_counter(st.runtime(), code, cash=cash, cheques=cheque or [], comment=comment, on_date=on_date,
                          amount=amount, method=method, receipt=receipt, replace=st.yes,
                          ask_print=lambda question: st.ask(question, True if receipt else None, False),
                          ask_enable=lambda question: st.ask(question, enable, False),
                          on_receipt=lambda document: _say_receipt(st, document))
    paid, enabled = done.paid, done.enabled
    if st.format == "json":
        render_record(done.as_dict(), "json")
    else:
        st.say(f"receipt {paid.receipt} recorded for client {paid.client}: paid {paid.amount:.2f}, "
               f"balance {paid.balance:.2f}")
        if enabled and not enabled.queued:
            st.say(f"client {paid.client} re-enabled")
        elif enable and paid.enable_blocker:
            st.say(paid.enable_blocker)
    if enabled:
        enabled.raise_if_queued()


def _say_receipt(st, document) -> None:
    """The receipt `pay` wrote: what was left out of it goes to stderr."""
    for warning in document.warnings:
        typer.echo(f"ispcube: warning: {warning}", err=True)
    if st.format != "json":
        st.say(document.summary)


@cheque_app.command("list")
def cheque_list(ctx: typer.Context,
                status: Optional[str] = typer.Option(None, "--status",
                                                     help="pending, deposited, cleared or rejected.")) -> None:
    """List cheques by deposit date."""
    from ispcube.services.ledger import cheques
    render_rows(cheques.list_cheques(state(ctx).runtime(), status), state(ctx).format,
                ["id", "client", "bank", "number", "amount", "deposit_date", "status", "receipt"])


@cheque_app.command("set-status")
def cheque_set_status(ctx: typer.Context, cheque_id: str = typer.Argument(..., metavar="ID",
                                                                          help="Cheque id (see `cheque list`)."),
                      status: str = typer.Argument(..., help="deposited, cleared or rejected.")) -> None:
    """Move a cheque along; a rejected cheque adds a DX for its amount to the client.

    A cheque of an annulled receipt can no longer change status: the annulment settled it."""
    from ispcube.services.ledger import cheques
    done = cheques.set_status(state(ctx).runtime(), cheque_id, status)
    if state(ctx).format == "json":
        return render_record(done, "json")
    state(ctx).say(f"cheque {done['id']} of client {done['client']} is now {done['status']}")
    if done["dx"] is not None:
        state(ctx).say(f"DX {done['dx']} added to client {done['client']}: balance {done['balance']}")


def register(app: typer.Typer) -> None:
    app.command("pay")(pay)
    app.add_typer(cheque_app, name="cheque")
