"""The demo: a sample ISP in a fresh SQLite file, and a short tour of it (SPEC 7)."""

from contextlib import closing
from datetime import date, datetime
from pathlib import Path
import random
import shlex
import sqlite3
import tempfile
from typing import Iterator

from ispcube.db.engine import get_engine, normalise_url
from ispcube.db.schema import upgrade
from ispcube.domain.roles import Role
from ispcube.errors import Refused
from ispcube.services.admin import config, tables
from ispcube.services.clients.lifecycle import add_client, count_clients
from ispcube.services.clients.query import ClientFilter, list_clients
from ispcube.services.demo.data import COMPANIES, LOCALITIES, NODES, OFFICE, PLANS, STATUSES, client_row
from ispcube.services.demo.story import clock_on
from ispcube.services.process.runtime import Runtime


def is_demo_database(path: Path) -> bool:
    """Whether PATH is a SQLite file that `ispcube demo` built (its `demo` setting is on).

    Read-only and without ispcube's engine, so a file that is not ours is never changed."""
    try:
        with closing(sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)) as connection:
            row = connection.execute("SELECT value FROM settings WHERE key = 'demo'").fetchone()
    except sqlite3.Error:
        return False
    return row is not None and row[0] == "true"


def _fresh_path(path: Path | None, overwrite: bool) -> Path:
    if path is None:
        return Path(tempfile.mkdtemp(prefix="ispcube-demo-")) / "demo.db"
    if path.is_dir():
        raise Refused(f"--path {path} is a directory: give a file name for the demo database")
    if path.exists() and not overwrite and not is_demo_database(path):
        raise Refused(f"--path {path} exists and is not a demo database: nothing was changed "
                      "(give another path, or --force to overwrite it)")
    # The write-ahead log of an earlier file must go with it, or SQLite would read it back.
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    return path


def build(rt: Runtime, clients: int, seed: int) -> None:
    rng = random.Random(seed)
    with rt.uow() as uow:
        config.set_setting(uow, "demo", "yes")
        config.set_setting(uow, "demo.today", rt.today().isoformat())
        config.set_setting(uow, "country", "AR")
        config.set_setting(uow, "state", "Buenos Aires")
        config.set_setting(uow, "unlock_threshold", "500")
        config.set_setting(uow, "office.lat", str(OFFICE[0]))
        config.set_setting(uow, "office.lng", str(OFFICE[1]))
        for code, locality, *_ in LOCALITIES:
            tables.add_row(uow, "postal-code", {"code": code, "locality": locality})
        for name, lat, lng, radius in NODES:
            tables.add_row(uow, "node", {"name": name, "lat": str(lat), "lng": str(lng), "radius_m": str(radius)})
        for name, price, down, up in PLANS:
            tables.add_row(uow, "plan", {"name": name, "price": price, "down_kbps": str(down), "up_kbps": str(up)})
        for name, description in STATUSES:
            tables.add_row(uow, "status", {"name": name, "description": description})
        for company in COMPANIES:
            tables.add_row(uow, "company", {key: company[key] for key in ("number", "name", "tax_id", "address")})
        for name, role in (("ana", Role.COLLECTOR), ("beto", Role.COLLECTOR), ("dario", Role.COLLECTOR),
                           ("carla", Role.SELLER), ("oficina", Role.OPERATOR)):
            tables.add_row(uow, "operator", {"name": name, "role": role})
    for index in range(1, clients + 1):
        row = client_row(rng, index, rt.today())
        add_client(rt, row, allow_duplicate=True)


def run(path: Path | None, clients: int, seed: int, overwrite: bool = False, today: date | None = None,
        program: str = "ispcube") -> Iterator[str]:
    """The tour, line by line, told on TODAY (default: the real date); the commands it
    suggests start with PROGRAM. An existing PATH is replaced only when it is a demo
    database, or when OVERWRITE says so."""
    db_path = _fresh_path(path, overwrite)
    engine = get_engine(normalise_url(str(db_path)))
    engine.dispose()  # a pooled connection of this process may still hold the file just replaced
    upgrade(engine)
    rt = Runtime(engine=engine, clock=clock_on(today) if today else datetime.now)
    yield f"Building a sample ISP with {clients} clients in {db_path} ..."
    build(rt, clients, seed)
    with rt.uow() as uow:
        actor = rt.actor(uow)
        yield f"Clients: {count_clients(uow)}"
        palermo = list_clients(uow, ClientFilter(locality="Palermo", payment_method="cash"), actor)
        yield f"Clients in Palermo paying cash: {len(palermo)}; the first five:"
        for row in palermo[:5]:
            yield f"  {row['code']}  {row['name']:<32} {row['address']}"
        found = list_clients(uow, ClientFilter(search="gonzalez"), actor)
        yield f"Search 'gonzalez' (accents ignored): {len(found)} clients, e.g. " + \
            ", ".join(r["name"] for r in found[:3])
    from ispcube.services.demo.enforcement import network_tour
    from ispcube.services.demo.fiscal import fiscal_tour, use_afip
    use_afip(rt)
    statement = yield from network_tour(rt, seed)
    yield from fiscal_tour(rt, db_path.parent)
    from ispcube.services.demo.sepa import sepa_tour
    yield from sepa_tour(db_path, rt.clock, program)
    yield from _explore(rt, db_path, statement, program)
    engine.dispose()


def _explore(rt: Runtime, db_path: Path, statement: Path, program: str) -> Iterator[str]:
    """How to go on: the tour's router stopped with it, `sim routeros --demo` brings it back.
    Enforce is asked about the story's day, whatever the date it is run on."""
    from ispcube.services.demo.network import enforce_command, first_registered
    db = shlex.quote(str(db_path.absolute()))   # "another terminal" may stand elsewhere
    yield "Explore it. The simulated router stopped with the tour; to bring it back, with what the demo"
    yield "left on it, run this in another terminal (Ctrl-C stops it):"
    yield f"  {program} sim routeros --demo {db}"
    yield "then, here:"
    code = first_registered(rt)
    tries = [(enforce_command(program, db, rt.today()), f"what enforce would change on {rt.today()} (nothing)"),
             *([(f"{program} --db {db} cpe signal {code}", "the client's radio, as the router sees it")]
               if code else []),
             (f"{program} --db {db} map --out map.html", "office, nodes and clients; --company 2 for Zona Norte"),
             (f"{program} --db {db} payments import {shlex.quote(str(statement.absolute()))}",
              "the bank's statement again: nothing is posted twice"),
             (f"{program} --db {db} client list --help", "and every other command")]
    width = max(len(command) for command, _ in tries)
    for command, why in tries:
        yield f"  {command:<{width}}  # {why}"
