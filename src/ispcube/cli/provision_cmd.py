"""`ispcube provision` (S2): make the routers hold what the connections mean on them."""

from typing import Optional

import typer

from ispcube.cli.enforce_cmd import rehearsal
from ispcube.cli.output import render_record, render_rows
from ispcube.cli.params import DATE
from ispcube.cli.state import state


def _report(ctx: typer.Context, summary) -> None:
    """Print a provisioning summary; exit 3 when anything failed, expired or drifted."""
    from ispcube.errors import PartialFailure
    out = state(ctx)
    if out.format == "json":
        render_record(summary.as_dict(), "json")
    else:
        if summary.changes and (summary.mode != "apply" or not out.quiet):
            out.say({"plan": "plan:", "check": "drift:", "apply": "changes:"}[summary.mode])
            render_rows(summary.changes, out.format, ["router", "action", "kind", "name", "client", "fields", "error"])
        if summary.problems:
            out.say("not made:")
            render_rows(summary.problems, out.format, ["router", "client", "problem"])
        if summary.foreign and summary.mode == "check":
            out.say("foreign (left alone):")
            render_rows(summary.foreign, out.format, ["router", "kind", "name", "comment"])
        if summary.routers:
            render_rows(summary.routers, out.format, ["router", "status", "changes", "done", "failed", "writes",
                                                      "error"])
        elif out.format == "table":
            out.say("no router has provisioning work queued (--all looks at every router)")
        if summary.expired_tasks:
            out.say("expired (given up):")
            render_rows(summary.expired_tasks, out.format, ["client", "router", "action", "target", "since",
                                                            "last_error"])
        out.say(summary.line())
    if not summary.ok:
        raise PartialFailure(summary.failure())


def register(app: typer.Typer) -> None:
    @app.command("provision")
    def provision(ctx: typer.Context,
                  router: Optional[str] = typer.Option(None, "--router", help="Only this router."),
                  every: bool = typer.Option(False, "--all",
                                             help="Every router that is provisioned, not only those with work queued."),
                  dry_run: bool = typer.Option(False, "--dry-run", help="Print the changes per router; make none."),
                  check: bool = typer.Option(False, "--check",
                                             help="Report what differs from the wanted objects, and the foreign "
                                                  "ones (exit 3 on drift)."),
                  today: Optional[str] = typer.Option(None, "--today", metavar=DATE,
                                                      help="Act as on this date (tasks past their retry window "
                                                           "expire); a day other than today is a dry run unless "
                                                           "--yes.")) -> None:
        """Make the routers hold the connections' PPPoE secrets, speeds and RADIUS users (cron)."""
        from ispcube.domain.dates import parse_date
        from ispcube.errors import UsageError
        from ispcube.services.provisioning.run import run_provision
        if router and every:
            raise UsageError("give --router or --all, not both")
        rt = state(ctx).runtime()
        day = parse_date(today, field="--today", clock=True, local=rt.local_formats()) if today is not None else None
        if day is not None and not check:
            dry_run = rehearsal(ctx, f"--today {day}", day, rt.today(), dry_run)
        _report(ctx, run_provision(rt, day, router=router, every=every, dry_run=dry_run, check=check))
