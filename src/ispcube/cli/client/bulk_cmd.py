"""`ispcube client import` and `ispcube client webpass ...`: bulk work on clients (C8, C9)."""

from typing import Optional

import typer

from ispcube.cli.client.lifecycle_cmd import client_app
from ispcube.cli.importing import IGNORE_COLUMN, REPORT, run_import_command
from ispcube.cli.output import render_result
from ispcube.cli.progress import progress_bar
from ispcube.cli.state import state

webpass_app = typer.Typer(help="Web passwords of the client portal (only their hashes are stored).",
                          no_args_is_help=True)


@client_app.command("import")
def import_(
    ctx: typer.Context,
    file: str = typer.Argument(..., metavar="FILE",
                               help="CSV (any delimiter; UTF-8 or Latin-1) or XLSX with a header row."),
    skip_invalid: bool = typer.Option(False, "--skip-invalid",
                                      help="Import the valid rows and skip the others "
                                           "(exit 3 when some were skipped)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check every row and report; write nothing."),
    update: bool = typer.Option(False, "--update",
                                help="Rows whose code exists update that client instead of being refused."),
    allow_duplicate: bool = typer.Option(False, "--allow-duplicate",
                                         help="Import rows whose ID number or address matches "
                                              "another client (logged)."),
    report: Optional[str] = REPORT,
    ignore_column: Optional[list[str]] = IGNORE_COLUMN,
) -> None:
    """Import clients from a file; every row is checked as `client add` checks it.

    Columns are named by field (name, fiscal_address or fiscal-address, id_number...) or in
    Spanish (nombre, domicilio, documento, telefono, mail, codigo_postal...). By default an
    invalid row means nothing is imported (exit 1). Columns present in the file are set on
    --update (an empty cell clears the field); columns absent are left alone.
    """
    from ispcube.services.imports.clients.run import ClientImport
    from ispcube.services.imports.engine import TableImportOptions
    options = TableImportOptions(skip_invalid=skip_invalid, dry_run=dry_run, update=update,
                                 allow_duplicate=allow_duplicate, ignore_columns=tuple(ignore_column or ()))
    run_import_command(ctx, ClientImport, file, report, options)


@webpass_app.command("generate")
def webpass_generate(ctx: typer.Context, out: str = typer.Option(..., "--out", metavar="FILE.csv",
                                                                 help="New file for code,name,email,password "
                                                                      "(created mode 600).")) -> None:
    """Give every client without a web password a random one; the plaintext goes only to FILE."""
    from ispcube.services.clients import webpass
    with progress_bar("hashing", quiet=state(ctx).quiet) as bar:
        done = webpass.generate(state(ctx).runtime(), out, bar.advance if bar.active else None,
                                bar.start if bar.active else None)
    if state(ctx).format == "table":
        for path in done.recovered:
            state(ctx).say(f"the passwords of a stopped run were stored: they are now in {path} (mode 600)")
    render_result(state(ctx), {"clients": done.clients, "file": str(done.path),
                               "recovered": [str(path) for path in done.recovered]},
                  f"{done.clients} web passwords generated; the passwords are only in {done.path} (mode 600)")


@webpass_app.command("set")
def webpass_set(ctx: typer.Context, code: str = typer.Argument(..., help="Client code."),
                random: bool = typer.Option(False, "--random", help="A random password, printed once."),
                stdin: bool = typer.Option(False, "--stdin", help="Read the password from stdin.")) -> None:
    """Set a client's web password (replaces the one it has)."""
    from ispcube.errors import UsageError
    from ispcube.services.clients import webpass
    if random == stdin:
        raise UsageError("give exactly one of --random or --stdin")
    chosen = webpass.set_password(state(ctx).runtime(), code, None if random else _read_password(ctx))
    render_result(state(ctx), {"client": code, "password": chosen}, chosen or f"web password of {code} set",
                  answer=bool(chosen))


@webpass_app.command("check")
def webpass_check(ctx: typer.Context, code: str = typer.Argument(..., help="Client code.")) -> None:
    """Check the password given on stdin: exit 0 when it is the client's, 1 when not."""
    from ispcube.errors import Invalid
    from ispcube.services.clients import webpass
    if not webpass.check_password(state(ctx).runtime(), code, _read_password(ctx)):
        raise Invalid(f"that is not the web password of client {code}")
    render_result(state(ctx), {"client": code, "matches": True}, "the password matches")


def _read_password(ctx: typer.Context) -> str:
    if state(ctx).interactive:
        return typer.prompt("Password", hide_input=True)
    from ispcube.cli.stdin_text import stdin_line
    return stdin_line("web password")


def register(app: typer.Typer) -> None:
    client_app.add_typer(webpass_app, name="webpass")
