"""`ispcube template ...` and `ispcube receipt print` (D1, D2); helpers shared with `client contract`."""

from pathlib import Path
import sys
from typing import Optional

import typer

from ispcube.cli.output import render_record, render_result, render_rows
from ispcube.cli.state import State, state
from ispcube.errors import Invalid, UsageError

template_app = typer.Typer(help="Document templates (receipt, listing, contracts): list, show, set, reset.",
                           no_args_is_help=True)
receipt_app = typer.Typer(help="Payment receipts: print.", no_args_is_help=True)

NAME_HELP = "Template: receipt, listing, contract-1, contract-2, base or style."
OUT_PDF = "The PDF file to write."


@template_app.command("list")
def template_list(ctx: typer.Context) -> None:
    """List the templates and whether each is the shipped default or an operator's version."""
    from ispcube.services.documents import templates
    render_rows(templates.list_templates(state(ctx).runtime()), state(ctx).format,
                ["name", "source", "saved_at", "saved_by", "about"])


@template_app.command("show")
def template_show(ctx: typer.Context, name: str = typer.Argument(..., help=NAME_HELP),
                  default: bool = typer.Option(False, "--default", help="Show the shipped default instead.")) -> None:
    """Print the template in use (a starting point for `template set`)."""
    from ispcube.services.documents import templates
    text = templates.show_template(state(ctx).runtime(), name, default)
    if state(ctx).format == "table":
        return typer.echo(text, nl=False)
    render_record({"name": name, "default": default, "text": text}, state(ctx).format)


@template_app.command("set")
def template_set(ctx: typer.Context, name: str = typer.Argument(..., help=NAME_HELP),
                 file: str = typer.Argument(..., help="The new version (HTML or CSS); - reads stdin.")) -> None:
    """Check a new version with sample data and keep it for every host (refused with the line of any error)."""
    from ispcube.services.documents import templates
    done = templates.set_template(state(ctx).runtime(), name, _read(file))
    render_result(state(ctx), done,
                  f"template {done['name']} saved (checked: {done['checked']} sample page(s) rendered)")


@template_app.command("reset")
def template_reset(ctx: typer.Context, name: str = typer.Argument(..., help=NAME_HELP)) -> None:
    """Go back to the shipped default (earlier versions stay in the history)."""
    from ispcube.services.documents import templates
    changed = templates.reset_template(state(ctx).runtime(), name)
    render_result(state(ctx), {"name": name, "reset": changed},
                  f"template {name} {'reset to the default' if changed else 'already uses the default'}")


def _read(file: str) -> bytes:
    if file == "-":
        return sys.stdin.buffer.read()
    path = Path(file).expanduser()
    if not path.is_file():
        raise Invalid(f"template file '{file}' does not exist")
    return path.read_bytes()


@receipt_app.command("print")
def receipt_print(ctx: typer.Context,
                  number: Optional[str] = typer.Argument(None, metavar="[NUMBER]",
                                                         help="Receipt number, as `pay` prints it."),
                  entry: Optional[str] = typer.Option(None, "--entry",
                                                      help="The receipt's ledger entry instead, "
                                                           "as `ledger show` lists it."),
                  out: str = typer.Option(..., "--out", help=OUT_PDF)) -> None:
    """Print a payment receipt to PDF: company, client, cash and cheques, total in words, balance after."""
    from ispcube.services.documents import printed as documents
    if (number is None) == (entry is None):
        raise UsageError("give either a receipt NUMBER or --entry ID")
    rt = state(ctx).runtime()
    if number is not None:
        entry = documents.receipt_entry(rt, number)
    assert entry is not None        # one of the two, as checked above
    say_document(state(ctx), documents.print_receipt(rt, entry, out, state(ctx).yes))



def say_document(st: State, document) -> None:
    """Report a written document; what was left out of it goes to stderr."""
    for warning in document.warnings:
        typer.echo(f"ispcube: warning: {warning}", err=True)
    if st.format == "json":
        render_record({"file": str(document.path), "pages": document.pages,
                       "warnings": document.warnings}, "json")
    else:
        st.say(document.summary)


def register(app: typer.Typer) -> None:
    app.add_typer(template_app, name="template")
    app.add_typer(receipt_app, name="receipt")
