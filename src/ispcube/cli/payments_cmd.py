"""`ispcube payments import|fetch`: bank statements, payment files and gateways' payments matched to
clients and posted once (K5, G2)."""

from typing import Optional

import typer

from ispcube.cli.output import render_record
from ispcube.cli.state import state

payments_app = typer.Typer(help="Payments from the bank and gateways: import statements (camt.053, MT940) "
                                "and payment files (CSV/XLSX); fetch Mercado Pago's.", no_args_is_help=True)


@payments_app.command("import")
def import_(ctx: typer.Context,
            file: str = typer.Argument(..., metavar="FILE",
                                       help="camt.053 (001.02/001.08), MT940, or CSV/XLSX with date, amount, "
                                            "reference and client, epayment_code, iban or cbu."),
            file_format: str = typer.Option("auto", "--file-format",
                                            help="auto (told by the content), csv, camt053 or mt940."),
            dry_run: bool = typer.Option(False, "--dry-run", help="Match and show; post nothing."),
            skip_invalid: bool = typer.Option(False, "--skip-invalid",
                                              help="Post the good rows of a table with bad ones (exit 3)."),
            source: Optional[str] = typer.Option(None, "--source", metavar="NAME",
                                                 help="Where a CSV/XLSX payment file comes from (gateway or "
                                                      "bank), for a file without a source column; a statement "
                                                      "names its own account."),
            report: Optional[str] = typer.Option(None, "--report", metavar="FILE.csv",
                                                 help="Write every line and what became of it (an earlier "
                                                      "report is replaced)."),
            ignore_column: Optional[list[str]] = typer.Option(
                None, "--ignore-column", metavar="NAME", help="CSV/XLSX: a column not to read (repeatable)."),
            enable: Optional[bool] = typer.Option(None, "--enable/--no-enable",
                                                  help="Re-enable cut clients the payments bring to or below the "
                                                       "unlock threshold (default: setting "
                                                       "payments.enable_on_import, yes).")) -> None:
    """Match each credit to a client and post it once as a receipt; returned direct debits charge back.

    A credit is matched by, in order: the EndToEndId of a pending direct debit (`collect sepa`),
    the client code, the electronic payment code, the payer's IBAN or CBU, then a client or
    payment code found in the remittance text. Unmatched or ambiguous credits are named and not
    posted (exit 3). A transaction already imported, from this file or an overlapping one, is
    never posted again. One run at a time (exit 75), for cron.
    """
    from ispcube.services.payments.statements.run import PaymentsImportOptions, import_payments
    st = state(ctx)
    options = PaymentsImportOptions(file_format=file_format, dry_run=dry_run, skip_invalid=skip_invalid,
                                    report=report, enable=enable, overwrite=st.yes,
                                    ignore_columns=tuple(ignore_column or ()), source=source)
    run = import_payments(st.runtime(), file, options)
    if st.format == "json":
        render_record(run.as_dict(), "json")
    else:
        _say(st, run)
    _unmatched_and_queued(run, "credit(s)")


def _unmatched_and_queued(run, what: str) -> None:
    """Name what was not posted and the re-enables a router did not take, on stderr; then exit 3."""
    from ispcube.errors import PartialFailure
    from ispcube.services.enforcement.service_state import not_applied, queued_on
    for item in run.unmatched:
        typer.echo(f"ispcube: {item['where']} ({item['amount']}, {item['date']}, reference "
                   f"{item['reference'] or 'none'}, text '{item['text']}'): not posted: {item['reason']}", err=True)
    for problem in run.invalid:
        typer.echo(f"ispcube: skipped {problem}", err=True)
    queued = [(e["client"], r) for e in run.enabled for r in queued_on(e)]
    for code, router in queued:
        typer.echo(f"ispcube: {not_applied(code, router, 're-enabling ')}", err=True)
    if run.unmatched or run.invalid or queued:
        stands = ("nothing was posted (dry run)" if run.dry_run else
                  f"{len(run.posted)} payment(s) posted and {len(run.returned)} return(s) recorded stand"
                  if run.changed else "nothing else was posted")
        parts = [f"{len(run.unmatched)} {what} not matched (named above)"] if run.unmatched else []
        parts += [f"{len(run.invalid)} bad row(s) skipped"] if run.invalid else []
        parts += [f"{len(queued)} re-enable(s) queued for enforce"] if queued else []
        raise PartialFailure(f"{'; '.join(parts)}; {stands}")


@payments_app.command("fetch")
def fetch(ctx: typer.Context,
          source: str = typer.Argument(..., metavar="GATEWAY", help="Where the payments are: mercadopago."),
          enable: Optional[bool] = typer.Option(None, "--enable/--no-enable",
                                                help="Re-enable cut clients the payments bring to or below the "
                                                     "unlock threshold (default: setting payments.enable_on_import, "
                                                     "yes).")) -> None:
    """Fetch the payments a gateway received and post each once, matched like `payments import` (cron).

    Every payment updated since the last fetch (searched again from `mercadopago.overlap_minutes`
    before it) is read, all pages; approved ones are posted once, matched by the payment link's
    external reference, then the payer's ID number; refunds and chargebacks reverse the payment
    they name with a DX, once. Unmatched payments are named and not posted (exit 3); each later
    fetch tries them again. One run at a time (exit 75). Token: ISPCUBE_MERCADOPAGO_TOKEN.
    """
    from ispcube.errors import Invalid
    from ispcube.services.payments.mercadopago import connect
    from ispcube.services.payments.mercadopago.fetch import fetch_mercadopago
    if source != "mercadopago":
        raise Invalid(f"payments fetch: '{source}' is not a gateway ispcube fetches from (mercadopago)")
    st = state(ctx)
    rt = st.runtime()
    fetched = fetch_mercadopago(rt, connect(rt), enable=enable)
    if st.format == "json":
        render_record(fetched.as_dict(), "json")
    else:
        _say_fetch(st, fetched)
    _unmatched_and_queued(fetched.run, "payment(s)")


def _say_fetch(st, fetched) -> None:
    from ispcube.services.enforcement.service_state import queued_on
    run = fetched.run
    head = (f"Mercado Pago, payments updated {fetched.since:%Y-%m-%d %H:%M} to {fetched.until:%Y-%m-%d %H:%M} "
            f"({fetched.seen} seen): posted {len(run.posted)} for {run.total:.2f} {run.currency}")
    if run.import_id is not None:
        head += f" (import {run.import_id})"
    extra = []
    if run.reversed:
        extra.append(f"{len(run.reversed)} refund(s) or chargeback(s) reversed with a DX")
    if run.already:
        extra.append(f"{run.already} posted before")
    if fetched.skipped:
        extra.append(f"{len(fetched.skipped)} not paid or nothing to reverse")
    if run.unmatched:
        extra.append(f"{len(run.unmatched)} not matched")
    st.say(head + ("; " + "; ".join(extra) if extra else ""))
    for item in run.posted:
        st.say(f"payment {item['reference']} ({item['amount']}) posted to client {item['client']} "
               f"(by {item['matched_by']}): receipt {item['receipt']}")
    for item in run.reversed:
        st.say(f"payment {item['reference']} of client {item['client']} ({item['amount']}) taken back: "
               f"DX {item['dx']}")
    for item in run.enabled:
        if not queued_on(item):
            st.say(f"client {item['client']} re-enabled")


def _say(st, run) -> None:
    from ispcube.services.enforcement.service_state import queued_on
    verb = "would post" if run.dry_run else "posted"
    head = f"{run.file} ({_kind(run.file_format)}, {run.lines} line(s)): {verb} {len(run.posted)} payment(s) " \
           f"for {run.total:.2f} {run.currency}"
    if run.import_id is not None:
        head += f" (import {run.import_id})"
    extra = []
    if run.returned:
        extra.append(f"{len(run.returned)} returned direct debit(s)")
    if run.reversed:
        extra.append(f"{len(run.reversed)} credit(s) reversed by the bank (charged back)")
    if run.settled:
        extra.append(f"{len(run.settled)} already settled by `collect settle`")
    if run.already:
        extra.append(f"{run.already} already imported before")
    if run.ignored:
        extra.append(f"{len(run.ignored)} debit(s) or unbooked entries ignored")
    if run.unmatched:
        extra.append(f"{len(run.unmatched)} not matched")
    st.say(head + ("; " + "; ".join(extra) if extra else ""))
    for item in run.returned:
        back = f", DX {item['dx']} charged back" if item["dx"] else \
            ", charged back" if item["charged_back"] else ", nothing had been paid"
        st.say(f"direct debit {item['end_to_end_id']} of client {item['client']} ({item['amount']}) returned: "
               f"{item['reason']}{back}")
    for item in run.enabled:
        if not queued_on(item):
            st.say(f"client {item['client']} re-enabled")
    if run.report:
        st.say(f"report written to {run.report}")


def _kind(file_format: str) -> str:
    return {"camt053": "camt.053", "mt940": "MT940", "csv": "CSV", "xlsx": "XLSX"}[file_format]


def register(app: typer.Typer) -> None:
    app.add_typer(payments_app, name="payments")
