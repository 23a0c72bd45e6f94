"""Field tools (F1, F2, F4): `cpe report`, `cpe signal`, `map`."""

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
    """Map of the office, the nodes with their coverage, and the clients (green active, amber throttled, red cut)."""
    from ispcube.services.documents.map import write_map
    done = write_map(state(ctx).runtime(), client_filter(filters), out, geojson, replace=state(ctx).yes)
    render_result(state(ctx), vars(done),
                  f"map written to {' and '.join(done.written)}: {'the office, ' if done.office else ''}"
                  f"{done.nodes} node(s), {done.clients} client(s) ({done.active} active, "
                  f"{f'{done.throttled} throttled, ' if done.throttled else ''}{done.cut} cut)"
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





def register(app: typer.Typer) -> None:
    app.add_typer(cpe_app, name="cpe")
    app.command("map")(with_flags(map_, [flag for flag in FILTER_FLAGS if flag.name != "deleted"]))
