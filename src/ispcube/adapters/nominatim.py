"""OpenStreetMap Nominatim's /search API: one address in, one verdict out (F5 without Google).

Meant for a self-hosted Nominatim (`geocode.url`); the public server's usage policy asks for
at most one request a second and a User-Agent naming the application, which is what we send
by default. No key is needed, and none is ever put in a message.
"""

from __future__ import annotations

import json
import socket
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit
from urllib.request import Request, urlopen

from ispcube import __version__
from ispcube.adapters.geocoding import Answer, GeocodingStopped, Pacer, judged

DEFAULT_URL = "https://nominatim.openstreetmap.org"
USER_AGENT = f"ispcube/{__version__} (ISP client management; geocoding client addresses)"
CANDIDATES = 5             # ask for a few, so that an ambiguous address shows as such
STREET_RANK = 26           # Nominatim's place_rank: 26-27 a street, 28-30 a house or building
HOUSE_RANK = 30


def shown_server(url: str) -> str:
    """The server's address without any user:password part."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


class NominatimGeocoder:
    def __init__(self, url: str | None = None, *, per_second: float = 1, timeout: float = 10):
        self.url = (url or DEFAULT_URL).rstrip("/")
        self.timeout = timeout
        self.pacer = Pacer(per_second)

    def lookup(self, address: str, country: str) -> Answer:
        query = urlencode({"q": address, "format": "jsonv2", "countrycodes": country.lower(),
                           "limit": CANDIDATES, "addressdetails": 0})
        request = Request(f"{self.url}/search?{query}", headers={"User-Agent": USER_AGENT,
                                                                 "Accept": "application/json"})
        self.pacer.wait()
        server = shown_server(self.url)
        try:
            with urlopen(request, timeout=self.timeout) as response:
                body = response.read()
        except HTTPError as exc:
            if exc.code in (403, 429):
                raise GeocodingStopped(f"the Nominatim server {server} refuses more queries (HTTP {exc.code}): "
                                       "lower --per-second or use your own server (geocode.url)") from None
            raise GeocodingStopped(f"the Nominatim server {server} answered HTTP {exc.code}") from None
        except (socket.timeout, TimeoutError):
            raise GeocodingStopped(f"the Nominatim server {server} did not answer in time") from None
        except (URLError, OSError, ValueError):
            raise GeocodingStopped(f"cannot reach the Nominatim server {server}") from None
        try:
            results = json.loads(body)
        except ValueError:
            raise GeocodingStopped(f"the Nominatim server {server} answered something that is not JSON") from None
        if not isinstance(results, list):
            raise GeocodingStopped(f"the Nominatim server {server} did not answer a list of places "
                                   "(is geocode.url the server's base address?)")
        return verdict(results)


def verdict(results: list[dict]) -> Answer:
    def locate(best: dict) -> tuple[float, float, bool] | None:
        rank = int(best.get("place_rank", 0))
        lat, lng = float(best["lat"]), float(best["lon"])
        return None if rank < STREET_RANK else (lat, lng, rank < HOUSE_RANK)
    return judged(results, "display_name", "Nominatim found nothing", locate)
