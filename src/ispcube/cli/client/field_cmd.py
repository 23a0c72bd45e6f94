"""`ispcube client traffic` and `ispcube client geocode`: field tools on one client or many (F3, F5)."""

from typing import Optional

import typer

from ispcube.cli.client.lifecycle_cmd import client_app
from ispcube.cli.output import render_record, render_rows
from ispcube.cli.progress import progress_bar
from ispcube.cli.state import state


def traffic(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="Client code."),
    out: str = typer.Option(..., "--out", help="Draw the graph into FILE.png or FILE.svg."),
    days: str = typer.Option("7", "--days", help="How many days back, up to 366."),
) -> None:
    """Graph of the client's download and upload over time, from RADIUS accounting (radacct)."""
    from ispcube.services.field.traffic import client_traffic, parse_days
    summary = client_traffic(state(ctx).runtime(), code, days=parse_days(days), out=out)
    shown = {k: v for k, v in summary.items() if not k.endswith("_bytes")} if state(ctx).format == "table" \
        else summary
    render_record(shown, state(ctx).format)



def geocode(
    ctx: typer.Context,
    codes: Optional[list[str]] = typer.Argument(None, help="Client codes."),
    missing: bool = typer.Option(False, "--missing", help="Every client without coordinates."),
    force: bool = typer.Option(False, "--force", help="Also replace coordinates set by hand."),
    per_second: Optional[str] = typer.Option(
        None, "--per-second", help="At most this many queries a second (default: Google 10, Nominatim 1)."),
) -> None:
    """Set clients' lat/lng from address, postal code, state and country.

    Asks Google (key in GOOGLE_MAPS_API_KEY or the config file) or, with
    `config set geocode.provider nominatim`, the OpenStreetMap Nominatim server of geocode.url.
    Exit 3 when some failed."""
    from ispcube.errors import PartialFailure
    from ispcube.services.field.geocode import configured_geocoder, geocode_clients, parse_per_second
    rate = parse_per_second(per_second)
    rt = state(ctx).runtime()
    factory = configured_geocoder(rt, rate)
    with progress_bar("geocoding") as bar:
        def advance(done: int, total: int) -> None:
            if done == 1:
                bar.start(total)
            bar.advance(1)
        outcomes = geocode_clients(rt, codes or [], missing=missing, force=force,
                                   geocoder_factory=factory, progress=advance)
    render_rows([vars(o) for o in outcomes], state(ctx).format, ["code", "name", "result", "detail"])
    failed = [o for o in outcomes if o.failed]
    if failed:
        raise PartialFailure(f"{len(failed)} of {len(outcomes)} client(s) not geocoded: "
                             + ", ".join(o.code for o in failed[:10]) + (" ..." if len(failed) > 10 else ""))


def register(app: typer.Typer) -> None:
    client_app.command("geocode")(geocode)
    client_app.command("traffic")(traffic)
