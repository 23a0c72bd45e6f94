"""`ispcube ledger ...`: the running account (L2, L5, L6, L7, M3); also mounts pay, cheque, billing."""

from typing import Optional

import typer

from ispcube.cli import billing_cmd, pay_cmd
from ispcube.cli.importing import IGNORE_COLUMN, REPORT
from ispcube.cli.output import render_record, render_rows
from ispcube.cli.params import AMOUNT, DATE
from ispcube.cli.state import state

ledger_app = typer.Typer(help="Running account: adjust, show, annul, rebuild, cash, import.", no_args_is_help=True)

STATEMENT_COLUMNS = ["entry", "date", "document", "due", "debit", "credit", "balance", "comment"]


@ledger_app.command("adjust")
def adjust(ctx: typer.Context, code: str = typer.Argument(..., help="Client code."),
           debit: Optional[str] = typer.Option(None, "--debit", metavar=AMOUNT,
                                               help="Amount the client owes more (a DX note)."),
           credit: Optional[str] = typer.Option(None, "--credit", metavar=AMOUNT,
                                                help="Amount the client owes less (a CX note)."),
           reason: Optional[str] = typer.Option(None, "--reason", help="Why (required; kept on the entry)."),
           fiscal: bool = typer.Option(False, "--fiscal",
                                       help="Also issue a fiscal credit (CX) or debit (DX) note of the invoice."),
           invoice: Optional[str] = typer.Option(None, "--invoice", metavar="ENTRY",
                                                 help="With --fiscal: the invoice the note corrects, by its entry "
                                                      "(default: the client's latest invoice in force).")) -> None:
    """Adjust a balance with a debit (DX) or credit (CX) note.

    With --fiscal the note is also a fiscal document: a credit note (NC) or debit note (ND) of
    the invoice's letter, associated with it (AFIP's CbtesAsoc), its amount split into net and
    VAT at the invoice's rate. The invoice must be the client's, authorized (or numbered by the
    `none` driver) and not annulled; a credit never exceeds what remains of it after its
    earlier notes. With fiscal.driver afip the note is a draft that `invoice authorize` sends;
    with none it is numbered at once."""
    from ispcube.services.fiscal.notes import adjust_entry
    done = adjust_entry(state(ctx).runtime(), code, debit=debit, credit=credit, reason=reason, fiscal=fiscal,
                        invoice=invoice)
    if state(ctx).format == "json":
        return render_record(done, "json")
    line = (f"{done['kind']} {done['number']} recorded for client {done['client']}: "
            f"{done['amount']}, balance {done['balance']}")
    if "note" in done:
        issued = (f"{done['note']} {done['fiscal_number']}" if done["fiscal_number"] else
                  f"{done['note']} {done['letter']} drafted for `ispcube invoice authorize`")
        line += f"; {issued}, associated with invoice {done['invoice_number']} (entry {done['invoice']})"
    state(ctx).say(line)


@ledger_app.command("show")
def show(ctx: typer.Context, codes: list[str] = typer.Argument(..., metavar="CODE...", help="Client codes."),
         date_from: Optional[str] = typer.Option(None, "--from", metavar=DATE,
                                                 help="First date; earlier entries are brought forward."),
         date_to: Optional[str] = typer.Option(None, "--to", metavar=DATE, help="Last date.")) -> None:
    """A client's statement: every entry with the running balance.

    Several codes give each client's statement in turn. Each row also names its client, kind,
    reference and payment method (csv, json): `ledger import` reads the CSV back. An invoice
    shows its fiscal number beside ours once AFIP authorized it (also in the fiscal_number and
    cae columns), and is marked "draft, not yet fiscal" until then."""
    from ispcube.services.ledger import statement
    rows = [row for code in codes for row in statement.statement(state(ctx).runtime(), code, date_from, date_to)]
    fmt = state(ctx).format
    columns = (["client"] if len(codes) > 1 else []) + STATEMENT_COLUMNS
    render_rows(rows, fmt, columns if fmt == "table" else None)


@ledger_app.command("annul")
def annul(ctx: typer.Context, entry: str = typer.Argument(..., help="Entry number, as `ledger show` lists it."),
          reason: Optional[str] = typer.Option(None, "--reason", help="Why (required).")) -> None:
    """Annul an entry by posting its reversal (entries are never edited).

    A receipt's reversal leaves out its cheques already rejected and charged back by a DX, so
    nothing is charged twice; then its cheques can no longer change status, nor can those DXs
    be annulled. A receipt whose cheques were all charged back has nothing left to annul. An
    invoice the tax authority holds gets a credit note that cancels it (`invoice list`), once
    the notes that correct it are annulled; a fiscal credit or debit note gets the opposite
    note, associated with it. A fiscal debit note is not annulled while later credit notes
    leave less of its invoice than it added (they already took it back: the credit note
    cancelling it would credit the invoice beyond its total); annul one of those first."""
    from ispcube.services.fiscal.notes import annul_entry
    done = annul_entry(state(ctx).runtime(), entry, reason)
    if state(ctx).format == "json":
        return render_record(done, "json")
    state(ctx).say(f"entry {done['annulled']} annulled by reversal {done['reversal']} (entry {done['entry']}); "
                   f"client {done['client']} balance {done['balance']}")


@ledger_app.command("rebuild")
def rebuild(ctx: typer.Context,
            codes: Optional[list[str]] = typer.Argument(None, help="Client codes (default: every client).")) -> None:
    """Recompute cached balances from the entries; list and fix every wrong one."""
    from ispcube.services.ledger import rebuild as rebuild_service
    done = rebuild_service.rebuild(state(ctx).runtime(), codes or None)
    if state(ctx).format == "json":
        return render_record(done, "json")
    if done["wrong"]:
        render_rows(done["wrong"], state(ctx).format, ["code", "cached", "actual"])
    state(ctx).say(f"{done['checked']} client(s) checked, {len(done['wrong'])} wrong balance(s) fixed")


@ledger_app.command("cash")
def cash(ctx: typer.Context,
         on_date: Optional[str] = typer.Option(None, "--date", metavar=DATE, help="Day (default today)."),
         entity: Optional[str] = typer.Option(None, "--entity", help="Only this cash entity.")) -> None:
    """What each cash entity and operator collected on a day, cash and cheques apart."""
    from ispcube.services.ledger import cash_report
    rows = cash_report.cash_report(state(ctx).runtime(), on_date, entity)
    render_rows(rows, state(ctx).format,
                ["entity", "operator", "receipts", "annulled", "cash", "cheques", "total"])


@ledger_app.command("import")
def import_(
    ctx: typer.Context,
    file: str = typer.Argument(..., metavar="FILE",
                               help="CSV (any delimiter; UTF-8 or Latin-1) or XLSX with a header row."),
    skip_invalid: bool = typer.Option(False, "--skip-invalid",
                                      help="Post the valid lines and skip the others (exit 3 when some were skipped)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check every line and report; post nothing."),
    report: Optional[str] = REPORT,
    ignore_column: Optional[list[str]] = IGNORE_COLUMN,
) -> None:
    """Import opening balances, debits, credits and payments from a file.

    Columns: client, date, kind (opening, dx, cx, payment; saldo_inicial, debito, credito,
    pago), amount, reference (required), description, due_date, payment_method. An opening
    balance is signed (negative: in the client's favour); other amounts are positive. A line
    whose client and reference were imported before is skipped and counted, so running a
    file again posts nothing twice. `ledger show --format csv` output reads back as it is.
    By default an invalid line means nothing is posted (exit 1).
    """
    from ispcube.cli.importing import run_import_command
    from ispcube.services.imports.engine import TableImportOptions
    from ispcube.services.imports.ledger.run import LedgerImport
    options = TableImportOptions(skip_invalid=skip_invalid, dry_run=dry_run,
                                 ignore_columns=tuple(ignore_column or ()))
    run_import_command(ctx, LedgerImport, file, report, options, _print_import_summary)


def _print_import_summary(ctx: typer.Context, summary) -> None:
    from ispcube.errors import Invalid, PartialFailure
    if state(ctx).format == "json":
        render_record(summary.as_dict(), "json")
    else:
        done = "written" if summary.written else ("dry run, nothing written" if summary.dry_run else "nothing written")
        kinds = ", ".join(f"{summary.by_kind[k]} {k}" for k in ("opening", "dx", "cx", "payment"))
        ignored = f"; columns not imported: {', '.join(summary.ignored_columns)}" if summary.ignored_columns else ""
        state(ctx).say(f"{summary.file} ({summary.encoding}): {summary.rows} lines, {summary.posted} "
                       f"{'posted' if summary.written else 'to post'} ({kinds}) for {summary.clients} clients, "
                       f"{summary.already} already imported, {summary.invalid} invalid; {done}{ignored}")
        if summary.grace_until:
            state(ctx).say(f"migration.grace_until set to {summary.grace_until}: debt brought in by ledger import is "
                           "not cut before then (`ispcube config set migration.grace_until DATE` changes it)")
    if summary.invalid and not summary.skip_invalid:
        raise Invalid(f"{summary.invalid} of {summary.rows} lines are invalid: nothing imported "
                      "(fix them, or use --skip-invalid to import the valid ones)")
    if summary.invalid and not summary.dry_run and not summary.written:
        raise Invalid(f"{_lines(summary.invalid)} invalid, skipped; nothing else to post: "
                      f"{summary.already} already imported (nothing changed)")
    if summary.invalid:
        raise PartialFailure(f"{_lines(summary.invalid)} invalid, skipped; {_lines(summary.posted)} "
                             + ("to post (dry run, nothing written)" if summary.dry_run else "posted")
                             + f", {summary.already} already imported")


def _lines(count: int) -> str:
    return f"{count} line" + ("" if count == 1 else "s")


def register(app: typer.Typer) -> None:
    app.add_typer(ledger_app, name="ledger")
    pay_cmd.register(app)
    billing_cmd.register(app)
