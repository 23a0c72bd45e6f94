"""The demo: a sample ISP in a fresh SQLite file, and a short tour of it (SPEC 7)."""

from contextlib import closing
import random
import sqlite3
import tempfile
from pathlib import Path
from typing import Iterator

from ispcube.db.engine import get_engine, normalise_url
from ispcube.db.schema import upgrade
from ispcube.errors import Refused
from ispcube.services import config, tables
from ispcube.services.client_query import ClientFilter, list_clients
from ispcube.services.clients import add_client, count_clients
from ispcube.services.demo_data import LOCALITIES, NODES, PLANS, STATUSES, client_row
from ispcube.services.runtime import Runtime


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
        config.set_setting(uow, "country", "AR")
        config.set_setting(uow, "unlock_threshold", "500")
        for code, locality, *_ in LOCALITIES:
            tables.add_row(uow, "postal-code", {"code": code, "locality": locality})
        for name, lat, lng, radius in NODES:
            tables.add_row(uow, "node", {"name": name, "lat": str(lat), "lng": str(lng), "radius_m": str(radius)})
        for name, price, down, up in PLANS:
            tables.add_row(uow, "plan", {"name": name, "price": price, "down_kbps": str(down), "up_kbps": str(up)})
        for name, description in STATUSES:
            tables.add_row(uow, "status", {"name": name, "description": description})
        tables.add_row(uow, "company", {"number": "1", "name": "Red Sur Telecomunicaciones SRL",
                                         "tax_id": "30-71234567-1", "address": "Av. Santa Fe 3200, CABA"})
        for name, role in (("ana", "collector"), ("beto", "collector"), ("carla", "seller"), ("oficina", "operator")):
            tables.add_row(uow, "operator", {"name": name, "role": role})
    for index in range(1, clients + 1):
        row = client_row(rng, index)
        row["collector"] = rng.choice(["ana", "beto"])
        row["company"] = "1"
        add_client(rt, row, allow_duplicate=True)


def run(path: Path | None, clients: int, seed: int, overwrite: bool = False) -> Iterator[str]:
    """The tour, line by line. An existing PATH is replaced only when it is a demo database,
    or when OVERWRITE says so."""
    db_path = _fresh_path(path, overwrite)
    engine = get_engine(normalise_url(str(db_path)))
    engine.dispose()  # a pooled connection of this process may still hold the file just replaced
    upgrade(engine)
    rt = Runtime(engine=engine)
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
    from ispcube.services.enforce_demo import network_tour
    yield from network_tour(rt, seed)
    yield f"Explore it: ispcube --db {db_path} client list --help"
