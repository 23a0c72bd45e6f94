"""Geocoding clients (F5): address + postal code + state + country to lat/lng, through Google
or an OpenStreetMap Nominatim server (the geocode.provider setting).

Coordinates set by hand (client add/edit, import, or older rows whose origin is unknown) are
kept unless --force; coordinates that geocoding set before may be refreshed. Each client found
is saved in its own short transaction, so a long run that stops keeps what it did and never
holds the database for minutes.
"""

from dataclasses import dataclass
from typing import Callable, Protocol

from sqlalchemy import or_, select

from ispcube.db import models as m
from ispcube.errors import Invalid, UsageError
from ispcube.services.admin import config
from ispcube.services.clients import log as events
from ispcube.services.clients.lifecycle import find_client
from ispcube.services.process.runtime import Runtime

SET, KEPT, FAILED, NOT_TRIED = "set", "kept", "failed", "not tried"
MAX_PER_SECOND = 50  # Google's own ceiling for the Geocoding API


def parse_per_second(text: str | None) -> float | None:
    """None: the provider's own default (Google 10 a second, Nominatim 1)."""
    if text is None:
        return None
    try:
        value = float(str(text).strip())
    except ValueError:
        raise Invalid(f"--per-second '{text}' is not a number") from None
    if not 0 < value <= MAX_PER_SECOND:
        raise Invalid(f"--per-second '{text}' must be above 0 and at most {MAX_PER_SECOND}")
    return value


class Geocoder(Protocol):
    def lookup(self, address: str, country: str): ...


def configured_geocoder(rt: Runtime, per_second: float | None) -> Callable[[], Geocoder]:
    """A factory of the geocoder the geocode.provider and geocode.url settings name."""
    with rt.uow() as uow:
        provider = config.get_value(uow.session, "geocode.provider")
        url = config.get_value(uow.session, "geocode.url")

    def make() -> Geocoder:
        from ispcube.adapters.geocoding import make_geocoder
        return make_geocoder(provider, url, per_second)
    return make


@dataclass(frozen=True)
class Target:
    client_id: int
    code: str
    name: str
    street: str | None
    postal_code: str | None
    locality: str | None
    has_coords: bool
    by_hand: bool


@dataclass
class Outcome:
    code: str
    name: str
    result: str
    detail: str = ""
    lat: float | None = None
    lng: float | None = None

    @property
    def failed(self) -> bool:
        return self.result in (FAILED, NOT_TRIED)


def _targets(rt: Runtime, codes: list[str], missing: bool) -> tuple[list[Target], str, str]:
    with rt.uow() as uow:
        actor = rt.actor(uow)
        query = (select(m.Client, m.PostalCode.code, m.PostalCode.locality)
                 .outerjoin(m.PostalCode, m.PostalCode.id == m.Client.postal_code_id))
        if missing:
            query = query.where(m.Client.deleted.is_(False), or_(m.Client.lat.is_(None), m.Client.lng.is_(None)))
            if actor.collector_id is not None:
                query = query.where(m.Client.collector_id == actor.collector_id)
        else:
            ids = [find_client(uow, code, actor).id for code in dict.fromkeys(codes)]
            query = query.where(m.Client.id.in_(ids))
        targets = [Target(c.id, c.code, c.name, c.address or c.fiscal_address, postal_code, locality,
                          c.lat is not None and c.lng is not None, c.coords_source != "geocoded")
                   for c, postal_code, locality in uow.session.execute(query.order_by(m.Client.code))]
        return targets, config.get_value(uow.session, "country"), config.get_value(uow.session, "state")


def geocode_clients(rt: Runtime, codes: list[str], *, missing: bool, force: bool,
                    geocoder_factory: Callable[[], Geocoder],
                    progress: Callable[[int, int], None] | None = None) -> list[Outcome]:
    """PROGRESS(done, total) is called after each client."""
    if bool(codes) == missing:
        raise UsageError("give client codes or --missing (not both)")
    from ispcube.adapters.geocoding import GeocodingStopped, full_address
    targets, country, state = _targets(rt, codes, missing)
    geocoder = geocoder_factory() if any(_needs_lookup(t, force) for t in targets) else None
    outcomes: list[Outcome] = []
    stopped = ""
    for target in targets:
        if stopped:
            outcomes.append(Outcome(target.code, target.name, NOT_TRIED, stopped))
        elif not _needs_lookup(target, force):
            outcomes.append(Outcome(target.code, target.name, KEPT,
                                    "coordinates set by hand are kept (--force replaces them)"))
        elif not (target.street or "").strip():
            outcomes.append(Outcome(target.code, target.name, FAILED, "no address to look up"))
        else:
            address = full_address(target.street or "", target.postal_code, target.locality, state, country)
            assert geocoder is not None, "made above whenever a client needs a lookup"
            try:
                outcomes.append(_lookup(rt, geocoder, target, address, country))
            except GeocodingStopped as exc:
                stopped = f"stopped: {exc}"
                outcomes.append(Outcome(target.code, target.name, FAILED, str(exc)))
        if progress:
            progress(len(outcomes), len(targets))
    return outcomes


def _needs_lookup(target: Target, force: bool) -> bool:
    return force or not target.has_coords or not target.by_hand


def _lookup(rt: Runtime, geocoder: Geocoder, target: Target, address: str, country: str) -> Outcome:
    answer = geocoder.lookup(address, country)
    if not answer.found:
        return Outcome(target.code, target.name, FAILED, f"{answer.reason}; looked up '{address}'")
    detail = answer.place + (" (partial match: check it on the map)" if answer.partial else "")
    with rt.uow() as uow:
        client = uow.session.get_one(m.Client, target.client_id)
        before = f"{client.lat}, {client.lng}" if client.lat is not None else "(none)"
        client.lat, client.lng, client.coords_source = answer.lat, answer.lng, "geocoded"
        events.log(uow, rt, client, "client.geocode",
                   f"coordinates {before} -> {answer.lat}, {answer.lng} geocoded from '{address}' ({answer.place})")
        uow.commit()
    return Outcome(target.code, target.name, SET, detail, answer.lat, answer.lng)
