"""`ispcube demo`: a sample ISP in a fresh SQLite file, and a short tour of it."""

from pathlib import Path
from typing import Optional

import typer

from ispcube.cli.output import render_record
from ispcube.cli.params import DATE
from ispcube.cli.state import program, state


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(ctx: typer.Context,
             path: Optional[Path] = typer.Option(None, "--path",
                                                 help="SQLite file to build (default: a new temporary file); "
                                                 "an existing file is replaced only if it is a demo database."),
             clients: int = typer.Option(300, "--clients",
                                         help="How many sample clients (one more signs up in the tour)."),
             force: bool = typer.Option(False, "--force",
                                        help="Replace --path even if it is not a demo database."),
             today: Optional[str] = typer.Option(None, "--today", metavar=DATE,
                                                 help="Tell the story as on this date (default: today).")
             ) -> None:
        """Build a sample ISP in a fresh SQLite file and show a short tour."""
        from ispcube.domain.dates import parse_date
        from ispcube.services.demo import tour as demo_service
        # the demo ISP's: day first
        day = parse_date(today, field="--today", clock=True) if today is not None else None
        tour = demo_service.run(path, clients, seed=7, overwrite=force or state(ctx).yes, today=day,
                                program=program())
        if state(ctx).format != "table":
            return render_record({"tour": list(tour)}, state(ctx).format)
        for line in tour:
            state(ctx).say(line)
