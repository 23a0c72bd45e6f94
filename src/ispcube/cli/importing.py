"""What every import command shares (M1): the options, the --report file, the progress bar,
the problems on stderr, the summary and the exit code (1: nothing imported; 3: the valid
rows imported, the invalid skipped)."""

from contextlib import contextmanager
import csv
from typing import TYPE_CHECKING, Callable, Optional

import typer

from ispcube.cli.progress import progress_bar
from ispcube.cli.state import state

SKIP_INVALID = typer.Option(False, "--skip-invalid",
                            help="Import the valid rows and skip the others (exit 3 when some were skipped).")
DRY_RUN = typer.Option(False, "--dry-run", help="Check every row and report; write nothing.")
REPORT = typer.Option(None, "--report", metavar="FILE.csv",
                      help="Write the problems to this CSV file instead of stderr (an earlier report is replaced).")
IGNORE_COLUMN = typer.Option(None, "--ignore-column", metavar="NAME",
                             help="A column of the file not to import (repeatable).")
REPORT_HEADER = ["line", "column", "value", "reason"]

if TYPE_CHECKING:
    from ispcube.services.imports.engine import TableImportOptions


def run_import_command(ctx: typer.Context, kind, file: str, report: Optional[str], options: "TableImportOptions",
                       summarise: Optional[Callable[[typer.Context, object], None]] = None) -> None:
    """Import FILE as KIND (an imports.engine.ImportRun) with OPTIONS, as every import command does;
    SUMMARISE prints a kind's own summary and exits as `_print_summary` does."""
    from ispcube.services.imports.engine import run_import
    with _report_file(report, state(ctx).yes) as report_out, progress_bar("importing", quiet=state(ctx).quiet) as bar:
        summary = run_import(state(ctx).runtime(), file, options, kind, bar.advance, bar.start)
        _report_problems(summary.problems, report_out)
    (summarise or _print_summary)(ctx, summary)


@contextmanager
def _report_file(report: str | None, replace: bool):
    """The --report file, opened before the import so a bad path stops it before any work;
    an existing file (a database, a document) is replaced only with --yes (R14)."""
    if report is None:
        yield None
        return
    from ispcube.errors import Invalid
    from ispcube.services.process.output_files import output_path
    output_path(report, (".csv",), "--report", replace, header=",".join(REPORT_HEADER))
    try:
        out = open(report, "w", newline="", encoding="utf-8")
    except OSError as exc:
        raise Invalid(f"cannot write the report '{report}': {exc.strerror}") from None
    with out:
        yield out


def _report_problems(problems, out) -> None:
    if out is None:
        for problem in problems:
            typer.echo(problem.sentence(), err=True)
        return
    from ispcube.domain.spreadsheet_safety import neutralise
    writer = csv.writer(out)
    writer.writerow(REPORT_HEADER)
    for p in problems:
        writer.writerow([p.line, neutralise(p.column), neutralise(p.value), neutralise(p.reason)])


def _print_summary(ctx: typer.Context, summary) -> None:
    from ispcube.errors import Invalid, PartialFailure
    counts = {"rows": summary.rows, "new": summary.new, "updated": summary.updated,
              "unchanged": summary.unchanged, "invalid": summary.invalid}
    if state(ctx).format == "json":
        from ispcube.cli.output import render_record
        render_record({"file": summary.file, "encoding": summary.encoding, **counts,
                       "written": summary.written, "dry_run": summary.dry_run,
                       "ignored_columns": summary.ignored_columns}, "json")
    else:
        done = "written" if summary.written else ("dry run, nothing written" if summary.dry_run else "nothing written")
        ignored = f"; columns not imported: {', '.join(summary.ignored_columns)}" if summary.ignored_columns else ""
        state(ctx).say(f"{summary.file} ({summary.encoding}): " + ", ".join(f"{v} {k}" for k, v in counts.items())
                       + f"; {done}{ignored}")
    if summary.invalid and not summary.skip_invalid:
        raise Invalid(f"{summary.invalid} of {summary.rows} rows are invalid: nothing imported "
                      "(fix them, or use --skip-invalid to import the valid ones)")
    if summary.invalid and not summary.dry_run and not summary.written:
        rest = ("no valid row" if not summary.valid else "the valid row is already as the file has it"
                if summary.valid == 1 else f"the {summary.valid} valid rows are already as the file has them")
        raise Invalid(f"{_rows(summary.invalid)} invalid, skipped; {rest}: nothing changed")
    if summary.invalid:
        raise PartialFailure(f"{_rows(summary.invalid)} invalid, skipped; {_rows(summary.valid)} valid"
                             + (" (dry run, nothing written)" if summary.dry_run else ", imported"))


def _rows(count: int) -> str:
    return f"{count} row" + ("" if count == 1 else "s")
