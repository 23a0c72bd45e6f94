"""`ispcube sim routeros`: a simulated MikroTik on loopback, alone or as a demo database's routers."""

from pathlib import Path
import sys
from typing import Optional

import typer

from ispcube.cli.output import render_event
from ispcube.cli.state import state

sim_app = typer.Typer(help="Simulators for tests and demos.", no_args_is_help=True)


@sim_app.command("routeros")
def sim_routeros(
    ctx: typer.Context,
    port: Optional[int] = typer.Option(None, "--port", min=0, max=65535,
                                       help="TCP port on 127.0.0.1 (0: any free port; default 8728)."),
    latency_ms: int = typer.Option(0, "--latency-ms", min=0, help="Delay before every reply."),
    user: Optional[str] = typer.Option(None, "--user", help="API user name (default admin)."),
    password_env: Optional[str] = typer.Option(None, "--password-env", metavar="VAR",
                                               help="Take the API password from this environment variable "
                                                    "(default: empty)."),
    registrations: Optional[Path] = typer.Option(None, "--registrations", metavar="FILE",
                                                 help="Seed wireless registrations from FILE (CSV with a header, "
                                                      "or .json); columns: mac_address, signal, snr, tx_ccq, rx_ccq, "
                                                      "tx_rate, rx_rate, "
                                                      "uptime, last_ip, interface, table (wireless|wifi), router."),
    address_lists: Optional[Path] = typer.Option(None, "--address-lists", metavar="FILE",
                                                 help="Start with these address-list entries (CSV with the header "
                                                      "list,address,comment), e.g. another system's cut list."),
    secrets: Optional[Path] = typer.Option(None, "--secrets", metavar="FILE",
                                           help="Start with these PPPoE secrets (CSV with the header "
                                                "name,password,profile,disabled and optional remote-address,comment; "
                                                "disabled: yes or no)."),
    queues: Optional[Path] = typer.Option(None, "--queues", metavar="FILE",
                                          help="Start with these simple queues (CSV with the header "
                                               "name,target,max-limit,comment,disabled; max-limit: e.g. 10M/2M)."),
    out_of_order: int = typer.Option(0, "--out-of-order", min=0, metavar="N",
                                     help="Answer tagged commands in groups of N, the last one first "
                                          "(0: in order)."),
    demo: Optional[str] = typer.Option(None, "--demo", metavar="DB",
                                       help="Bring back the routers of this demo database, on their ports and with "
                                            "their credentials, holding what the demo left on them."),
) -> None:
    """Run a simulated MikroTik (RouterOS API) on loopback until Ctrl-C."""
    import os

    from ispcube.errors import Refused
    from ispcube.services.demo.simulators import build_simulators
    from ispcube.sim.routeros import CannotListen, serve_all
    password = os.environ.get(password_env, "") if password_env else None
    sims, db_path = build_simulators(demo=demo, port=port, user=user, password=password,
                                     latency_ms=latency_ms, registrations=registrations,
                                     address_lists=address_lists, secrets=secrets, queues=queues)
    for sim in sims:
        sim.out_of_order = out_of_order

    def ready(started) -> None:
        st = state(ctx)
        for sim in started:
            event = {"event": "listening", "router": sim.identity, "host": sim.host, "port": sim.port,
                     "user": sim.username}
            if db_path is None:
                render_event(st, event, f"simulated MikroTik listening on {sim.host}:{sim.port} "
                                        f"(user {sim.username}); Ctrl-C stops it")
                continue
            held = {"address_list": len(sim.address_list()), "ppp_secrets": len(sim.ppp_secrets()),
                    "simple_queues": len(sim.simple_queues()),
                    "registrations": len(sim.registrations("wireless")) + len(sim.registrations("wifi"))}
            render_event(st, {**event, **held},
                         f"simulated MikroTik '{sim.identity}' listening on {sim.host}:{sim.port} "
                         f"(user {sim.username}): "
                         f"{held['address_list']} address-list entries, {held['ppp_secrets']} PPPoE secrets, "
                         f"{held['simple_queues']} simple queues, {held['registrations']} registrations")
        if db_path is not None:
            from ispcube.cli.state import program
            from ispcube.services.demo.network import enforce_command, story_day
            render_event(st, {"event": "ready", "database": str(db_path)},
                         f"now try `{enforce_command(program(), str(db_path), story_day(db_path))}` in another "
                         "terminal; "
                         "Ctrl-C stops the router(s)")
        sys.stdout.flush()
    try:
        serve_all(sims, on_ready=ready)
    except CannotListen as exc:
        raise Refused(f"cannot listen on 127.0.0.1:{exc.simulator.port}: {exc.strerror}"
                      + (" (is another `sim routeros --demo` running?)" if db_path else "")) from None
    commands, writes = sum(s.commands for s in sims), sum(s.writes for s in sims)
    render_event(state(ctx), {"event": "stopped", "commands": commands, "writes": writes},
                 f"stopped after {commands} commands ({writes} writes)", quiet=True)


@sim_app.command("afip")
def sim_afip(
    ctx: typer.Context,
    trust: list[Path] = typer.Option(..., "--trust", metavar="FILE",
                                     help="PEM certificate(s) the login trusts: a company certificate or the "
                                          "authority that issued it (repeat for several)."),
    port: int = typer.Option(0, "--port", min=0, max=65535, help="TCP port on 127.0.0.1 (default 0: any free port)."),
    day: Optional[str] = typer.Option(None, "--date", metavar="YYYY-MM-DD",
                                      help="The simulator's day, as AFIP writes days (default today)."),
    drop_replies: int = typer.Option(0, "--drop-replies", min=0, metavar="N",
                                     help="Lose the reply of the next N authorizations after granting them."),
    max_batch: int = typer.Option(250, "--max-batch", min=1, max=9998, help="Documents per FECAESolicitar."),
) -> None:
    """Run a simulated AFIP (WSAA login and WSFEv1 electronic invoice) on loopback until Ctrl-C."""
    from ispcube.domain.dates import parse_date
    from ispcube.errors import Refused
    from ispcube.sim.afip import AfipSimulator, clock_on, load_trusted, serve
    clock = clock_on(parse_date(day, field="--date") if day is not None else None)
    simulator = AfipSimulator(load_trusted(trust), port=port, clock=clock, max_batch=max_batch)
    simulator.drop_replies = drop_replies

    def ready(sim: AfipSimulator) -> None:
        render_event(state(ctx), {"event": "listening", "wsaa_url": sim.wsaa_url, "wsfe_url": sim.wsfe_url},
                     f"simulated AFIP listening: afip.wsaa_url {sim.wsaa_url}, afip.wsfe_url {sim.wsfe_url}; "
                     "Ctrl-C stops it")
        sys.stdout.flush()
    try:
        serve(simulator, on_ready=ready)
    except OSError as exc:
        raise Refused(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from None
    render_event(state(ctx), {"event": "stopped", "logins": simulator.wsaa.logins, "requests": simulator.requests},
                 f"stopped after {simulator.wsaa.logins} logins and {simulator.requests} WSFEv1 requests", quiet=True)


@sim_app.command("mercadopago")
def sim_mercadopago(
    ctx: typer.Context,
    port: int = typer.Option(0, "--port", min=0, max=65535, help="TCP port on 127.0.0.1 (default 0: any free port)."),
) -> None:
    """Run a simulated Mercado Pago API (preferences, payments search) on loopback until Ctrl-C.

    It accepts the access token in ISPCUBE_MERCADOPAGO_TOKEN, the one `ispcube` sends.
    """
    import os

    from ispcube.errors import Invalid, Refused
    from ispcube.sim.mercadopago import MercadoPagoSimulator, serve
    token = os.environ.get("ISPCUBE_MERCADOPAGO_TOKEN")
    if not token:
        raise Invalid("set ISPCUBE_MERCADOPAGO_TOKEN to the access token the simulator is to accept")
    simulator = MercadoPagoSimulator(token, port=port)

    def ready(sim: MercadoPagoSimulator) -> None:
        render_event(state(ctx), {"event": "listening", "url": sim.url},
                     f"simulated Mercado Pago listening: mercadopago.url {sim.url}; Ctrl-C stops it")
        sys.stdout.flush()
    try:
        serve(simulator, on_ready=ready)
    except OSError as exc:
        raise Refused(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from None
    render_event(state(ctx), {"event": "stopped", "requests": len(simulator.requests)},
                 f"stopped after {len(simulator.requests)} requests", quiet=True)


def register(app: typer.Typer) -> None:
    app.add_typer(sim_app, name="sim")
