"""The `ispcube` command: global options, the nouns, and the one place errors become exit codes."""

import gc
import os
import sys

import click
import typer

from ispcube import __version__
from ispcube.cli import (
    collect_cmd,
    completion_cmd,
    config_cmd,
    db_cmd,
    demo_cmd,
    documents_cmd,
    enforce_cmd,
    export_cmd,
    field_cmd,
    fiscal_cmd,
    init_cmd,
    ledger_cmd,
    mercadopago_cmd,
    network_cmd,
    notify_cmd,
    payments_cmd,
    provision_cmd,
    sim_cmd,
    stripe_cmd,
    tables_cmd,
)
from ispcube.cli.client import bulk_cmd, contract_cmd, field_cmd as client_field_cmd, lifecycle_cmd, service_cmd
from ispcube.cli.lazy_commands import only_invoked
from ispcube.cli.parsing import build, check_format
from ispcube.cli.state import State
from ispcube.environment import help_epilog
from ispcube.errors import IspcubeError

app = typer.Typer(name="ispcube", no_args_is_help=True, add_completion=False,
                  rich_markup_mode=None, pretty_exceptions_enable=False,
                  help="Client base, running accounts and service enforcement for ISPs.",
                  epilog=help_epilog())


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ispcube {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    db: str = typer.Option(None, "--db", envvar="ISPCUBE_DATABASE_URL", show_envvar=True,
                           help="Database URL (postgresql://... or a SQLite file); default: the embedded SQLite."),
    operator: str = typer.Option(None, "--operator", envvar="ISPCUBE_OPERATOR", show_envvar=True,
                                 help="Operator acting (default: system)."),
    format: str = typer.Option("table", "--format", help="Output of listings and results: table, csv or json."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Answer yes to confirmations."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only what was asked for."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks of unexpected errors."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    from ispcube import config_file
    if operator is not None and not operator.strip():
        # An empty name must not fall back to `system`, which sees and changes everything.
        from ispcube.errors import Invalid
        raise Invalid("the operator is empty: give an operator name to --operator, or leave it out "
                      "to act as system")
    ctx.obj = State(db=db or config_file.load().get("database_url"),
                    operator=operator or config_file.load().get("operator") or "system",
                    format=check_format(format), yes=yes, quiet=quiet, debug=debug)


# Each noun module adds its commands; order is the order of `ispcube --help`.
for noun in (init_cmd, db_cmd, config_cmd, tables_cmd, lifecycle_cmd, bulk_cmd, export_cmd, ledger_cmd,
             collect_cmd, payments_cmd, network_cmd, enforce_cmd, provision_cmd, notify_cmd, sim_cmd, documents_cmd,
             stripe_cmd, fiscal_cmd, mercadopago_cmd, field_cmd, demo_cmd, completion_cmd):
    noun.register(app)
# Client commands of the other capabilities, added to `client` after its own.
for part in (service_cmd, contract_cmd, client_field_cmd):
    part.register(app)


def entry(argv: list[str] | None = None) -> int:
    """Run one command line; every IspcubeError becomes one sentence and its exit code."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        from ispcube.domain.text import refuse_nul_arguments
        refuse_nul_arguments(args)
        if os.environ.get(completion_cmd.COMPLETE_VAR):
            return completion_cmd.answer(app, os.environ[completion_cmd.COMPLETE_VAR])
        result = build(only_invoked(app, args)).main(args=args, prog_name="ispcube", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        typer.echo("ispcube: aborted, nothing changed", err=True)
        return 1
    except IspcubeError as exc:
        if debug:
            raise
        typer.echo(f"ispcube: {exc}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        typer.echo("ispcube: interrupted", err=True)
        return 130
    except Exception as exc:  # the last line of defence: never a traceback without --debug
        if debug:
            raise
        from ispcube.db.failures import is_database_error, translate
        if is_database_error(exc):  # its text holds the SQL and its parameters: never shown
            known = translate(exc)
            typer.echo(f"ispcube: {known}", err=True)
            return known.exit_code
        typer.echo(f"ispcube: unexpected error ({type(exc).__name__}: {exc}); run again with --debug "
                   "for the details", err=True)
        return 1
    return result if isinstance(result, int) else 0


def run() -> None:
    code = entry()
    gc.freeze()  # the process ends here: spare its last garbage collection over every object (P6)
    sys.exit(code)
