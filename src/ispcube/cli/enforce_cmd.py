"""`ispcube enforce`, `preaviso` and `commit` (N1-N8)."""

from typing import Optional

import typer

from ispcube.cli.output import render_record, render_result, render_rows
from ispcube.cli.params import DATE, DATETIME
from ispcube.cli.state import state


def _report(ctx: typer.Context, summary) -> None:
    """Print a job summary; exit 3 when anything failed, expired or drifted."""
    from ispcube.errors import PartialFailure
    fmt = state(ctx).format
    if fmt == "json":
        render_record(summary.as_dict(), "json")
    else:
        if summary.decisions:
            state(ctx).say("why:")
            render_rows(summary.decisions, fmt, ["client", "action", "overdue", "days", "rule"])
        if summary.changes and (summary.mode != "apply" or not state(ctx).quiet):
            title = {"plan": "plan", "check": "drift", "apply": "changes"}[summary.mode]
            state(ctx).say(f"{title}:")
            render_rows(summary.changes, fmt, ["router", "action", "client", "target"])
        render_rows(summary.routers, fmt, ["router", "status", "changes", "done", "failed", "writes", "error"])
        if summary.expired_tasks:
            state(ctx).say("expired (given up):")
            render_rows(summary.expired_tasks, fmt, ["client", "router", "action", "target", "since", "last_error"])
        state(ctx).say(summary.line())
    if not summary.ok:
        raise PartialFailure(summary.failure())


def rehearsal(ctx: typer.Context, given: str, day, real_day, dry_run: bool) -> bool:
    """U8: a run as of another day than today changes routers only with --yes; without it, it
    is a dry run, and one line on stderr says so."""
    if dry_run or day == real_day or state(ctx).yes:
        return dry_run
    typer.echo(f"ispcube: {given} is not today ({real_day}): a dry run, nothing is changed "
               "(add --yes to apply it)", err=True)
    return True


def register(app: typer.Typer) -> None:
    @app.command("enforce")
    def enforce(ctx: typer.Context,
                today: Optional[str] = typer.Option(None, "--today", metavar=DATE,
                                                    help="Act as on this date; a day other than today is a dry "
                                                         "run unless --yes."),
                dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan per router; change nothing."),
                check: bool = typer.Option(False, "--check",
                                           help="Report drift between routers and the wanted state (exit 3 on drift)."),
                router: Optional[str] = typer.Option(None, "--router", help="Only this router.")) -> None:
        """Cut debtors and restore payers on the routers (cron, daily)."""
        from ispcube.domain.dates import parse_date
        from ispcube.services.enforcement.enforce import run_enforce
        rt = state(ctx).runtime()
        day = parse_date(today, field="--today", clock=True, local=rt.local_formats()) if today is not None else None
        if day is not None and not check:
            dry_run = rehearsal(ctx, f"--today {day}", day, rt.today(), dry_run)
        _report(ctx, run_enforce(rt, day, dry_run=dry_run, check=check, router=router))

    @app.command("preaviso")
    def preaviso(ctx: typer.Context,
                 now: Optional[str] = typer.Option(None, "--now", metavar=DATETIME,
                                                   help="Act as at this time (a date, then HH:MM); a day other "
                                                        "than today is a dry run unless --yes."),
                 dry_run: bool = typer.Option(False, "--dry-run",
                                              help="Print the plan per router; change nothing.")) -> None:
        """Put clients with an unpaid invoice on the warning list (cron, hourly)."""
        from ispcube.domain.dates import parse_datetime
        from ispcube.services.enforcement.preaviso import run_preaviso
        rt = state(ctx).runtime()
        moment = parse_datetime(now, field="--now", clock=True, local=rt.local_formats()) if now is not None else None
        if moment is not None:
            dry_run = rehearsal(ctx, f"--now {moment:%Y-%m-%dT%H:%M}", moment.date(), rt.today(), dry_run)
        _report(ctx, run_preaviso(rt, moment, dry_run=dry_run))

    @app.command("commit")
    def commit(ctx: typer.Context, code: str = typer.Argument(..., help="Client code."),
               due: Optional[str] = typer.Argument(None, metavar="[DATE]", help="Pay-by date."),
               clear: bool = typer.Option(False, "--clear", help="Remove the client's commitment.")) -> None:
        """Record a payment commitment: no automatic cut before DATE (or --clear it)."""
        from ispcube.errors import UsageError
        from ispcube.services.ledger import commitments
        if clear == bool(due):
            raise UsageError("give either a DATE or --clear")
        rt = state(ctx).runtime()
        shown = commitments.set_commitment(rt, code, due) if due else commitments.clear_commitment(rt, code)
        render_result(state(ctx), shown, f"client {shown['client']}: " + (
            f"commitment until {shown['commitment']}" if shown["commitment"] else "commitment removed"))
