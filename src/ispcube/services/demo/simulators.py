"""Simulated MikroTiks for `ispcube sim routeros`: one bare router, or a demo database's routers.

Registrations from a file go to the router their `router` column names (a demo router's
name), or to the first router. Address-list entries, PPPoE secrets and simple queues from files
seed the one bare router (a demo's routers hold what the demo left on them).
"""

from __future__ import annotations

from pathlib import Path

from ispcube.errors import Invalid, UsageError


def build_simulators(*, demo: str | None, port: int | None, user: str | None, password: str | None,
                     latency_ms: float, registrations: Path | None, address_lists: Path | None = None,
                     secrets: Path | None = None, queues: Path | None = None) -> tuple[list, Path | None]:
    """The simulators to serve (not started) and the demo database they come from, if any."""
    from ispcube.sim.registrations import read_registrations
    from ispcube.sim.routeros import RouterOSSimulator
    from ispcube.sim.seeds import read_address_lists, read_queues, read_secrets
    if demo is not None and (address_lists is not None or secrets is not None or queues is not None):
        raise UsageError("--demo brings back what the demo left on its routers: drop --address-lists, --secrets "
                         "and --queues")
    rows = read_registrations(registrations) if registrations else []
    entries = read_address_lists(address_lists) if address_lists else []
    secret_rows = read_secrets(secrets) if secrets else []
    queue_rows = read_queues(queues) if queues else []
    if demo is None:
        sims = [RouterOSSimulator(username=user or "admin", password=password or "", latency_ms=latency_ms,
                                  port=8728 if port is None else port)]
        db_path = None
    else:
        if port is not None or user is not None or password is not None:
            raise UsageError("--demo takes the ports, users and passwords from the demo database's routers: "
                             "drop --port, --user and --password-env")
        sims, db_path = _demo_simulators(demo, latency_ms)
    by_name = {sim.identity: sim for sim in sims}
    for number, row in enumerate(rows, start=1):
        if row.router and demo is not None and row.router not in by_name:
            raise Invalid(f"registrations file {registrations} row {number}: router '{row.router}' is not one "
                          f"of the demo's ({', '.join(by_name)})")
        row.seed(by_name.get(row.router or "", sims[0]) if demo is not None else sims[0])
    for entry in entries:
        entry.seed(sims[0])
    for secret in secret_rows:
        secret.seed(sims[0])
    for queue in queue_rows:
        queue.seed(sims[0])
    return sims, db_path


def _demo_simulators(demo: str, latency_ms: float) -> tuple[list, Path]:
    from ispcube.db.engine import get_engine, normalise_url
    from ispcube.db.schema import ensure_current
    from ispcube.services.demo.network import demo_path, demo_routers
    from ispcube.services.process.runtime import Runtime
    path = demo_path(demo)
    engine = get_engine(normalise_url(str(path)))
    ensure_current(engine)
    try:
        sims = [router.simulator() for router in demo_routers(Runtime(engine=engine))]
    finally:
        engine.dispose()
    for sim in sims:
        sim.latency_ms = latency_ms
    return sims, path
