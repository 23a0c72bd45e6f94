"""Field tools (F1-F5): `cpe report`, `cpe signal`, `map`, `client traffic`, `client geocode`."""

import sys
from typing import Any, Optional

import typer

from ispcube.cli.client.filters import FILTER_FLAGS, client_filter
from ispcube.cli.output import render_record, render_result, render_rows
from ispcube.cli.params import with_flags
from ispcube.cli.state import state

cpe_app = typer.Typer(help="The client's radio: signal levels read from the CPE or its router.",
                      no_args_is_help=True)


def map_(
    ctx: typer.Context,
    out: Optional[str] = typer.Option(None, "--out", help="Write the map as one self-contained FILE.html."),
    geojson: Optional[str] = typer.Option(
        None, "--geojson", help="Write office, nodes and clients as GeoJSON to FILE.geojson (or .json)."),
    **filters: Any,
) -> None:
    """Map of the office, the nodes with their coverage, and the clients (green active, red cut)."""
    from ispcube.services.documents.map import write_map
    done = write_map(state(ctx).runtime(), client_filter(filters), out, geojson, replace=state(ctx).yes)
    render_result(state(ctx), vars(done),
                  f"map written to {' and '.join(done.written)}: {'the office, ' if done.office else ''}"
                  f"{done.nodes} node(s), {done.clients} client(s) ({done.active} active, {done.cut} cut)"
                  + (f"\n{done.unlocated} client(s) have no coordinates and are not on the map "
                     "(`ispcube client geocode --missing`)" if done.unlocated else ""))


@cpe_app.command("report")
def cpe_report(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="Client code."),
    out: Optional[str] = typer.Option(None, "--out", help="Also draw the levels into FILE.png or FILE.svg."),
    user: str = typer.Option("ubnt", "--user", help="Login name on the CPE."),
    port: Optional[str] = typer.Option(None, "--port", help="Web port of the CPE (default: 443, then 80)."),
    timeout: str = typer.Option("5", "--timeout", help="Seconds to wait for the CPE."),
) -> None:
    """Signal, noise, CCQ and airMAX levels of the client's Ubiquiti airOS CPE, read live.

    Logs in with each password of `cpe.passwords` in turn; which one worked is never shown."""
    from ispcube.services.field.cpe import cpe_report as read_report, parse_port, parse_timeout
    report = read_report(state(ctx).runtime(), code, username=user, port=parse_port(port),
                         timeout=parse_timeout(timeout), out=out)
    render_record(report.record(human=state(ctx).format != "json"), state(ctx).format)
    if out and state(ctx).format == "table":
        state(ctx).say(f"levels drawn to {out}")


@cpe_app.command("signal")
def cpe_signal(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="Client code."),
    timeout: str = typer.Option("5", "--timeout", help="Seconds to wait for the router."),
) -> None:
    """Signal, signal-to-noise, CCQ, rates and uptime of the client's CPE as its MikroTik sees it.

    Reads the registration table of the connection's router, or of its panel NAS when set."""
    from ispcube.services.field.cpe import cpe_signal as read_signal, parse_timeout
    fmt = state(ctx).format
    readings = read_signal(state(ctx).runtime(), code, timeout=parse_timeout(timeout))
    if fmt != "table":
        render_rows([r.record(human=False) for r in readings], fmt)
        return
    for reading in readings:
        if reading.registration is None:
            typer.echo(f"CPE {reading.mac} is not registered on router {reading.router}")
        else:
            render_record(reading.record(human=True), fmt)


def traffic(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="Client code."),
    out: str = typer.Option(..., "--out", help="Draw the graph into FILE.png or FILE.svg."),
    days: str = typer.Option("7", "--days", help="How many days back, up to 366."),
) -> None:
    """Graph of the client's download and upload over time, from RADIUS accounting (radacct)."""
    from ispcube.services.field.traffic import client_traffic, parse_days
    summary = client_traffic(state(ctx).runtime(), code, days=parse_days(days), out=out)
    if state(ctx).format == "table":
        summary = {k: v for k, v in summary.items() if not k.endswith("_bytes")}
    render_record(summary, state(ctx).format)


class ProgressBar:
    """A bar on stderr at a terminal; nothing at all when piped or in cron."""

    def __init__(self, label: str):
        self.label = label
        self.bar = None

    def __call__(self, done: int, total: int) -> None:
        if not sys.stderr.isatty():
            return
        if self.bar is None:
            self.bar = typer.progressbar(length=total, label=self.label, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


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
    bar = ProgressBar("geocoding")
    try:
        outcomes = geocode_clients(rt, codes or [], missing=missing, force=force,
                                   geocoder_factory=factory, progress=bar)
    finally:
        bar.close()
    render_rows([vars(o) for o in outcomes], state(ctx).format, ["code", "name", "result", "detail"])
    failed = [o for o in outcomes if o.failed]
    if failed:
        raise PartialFailure(f"{len(failed)} of {len(outcomes)} client(s) not geocoded: "
                             + ", ".join(o.code for o in failed[:10]) + (" ..." if len(failed) > 10 else ""))


def register(app: typer.Typer) -> None:
    from ispcube.cli.client.lifecycle_cmd import client_app
    app.add_typer(cpe_app, name="cpe")
    app.command("map")(with_flags(map_, [flag for flag in FILTER_FLAGS if flag.name != "deleted"]))
    client_app.command("geocode")(geocode)
    client_app.command("traffic")(traffic)
