"""Google's Geocoding API through googlemaps: one address in, one verdict out; and the choice
between it and OpenStreetMap Nominatim (adapters/nominatim.py) by the geocode.provider setting.

The key comes from GOOGLE_MAPS_API_KEY or the 0600 config file and is never put in a message:
googlemaps and requests write the full URL (key included) into their exception texts, so no
library message is passed on. ISPCUBE_GEOCODING_URL points at another endpoint (a proxy, or
the tests' loopback server).
"""

from dataclasses import dataclass
import os
import threading
import time
from typing import Callable

from ispcube import config_file
from ispcube.errors import Invalid, IspcubeError

DEFAULT_URL = "https://maps.googleapis.com"
# Statuses after which asking again for the next client is pointless (key, quota, network).
STOPPING = {"OVER_QUERY_LIMIT": "the key's query quota is used up (OVER_QUERY_LIMIT)",
            "OVER_DAILY_LIMIT": "the key's daily limit is used up or billing is off (OVER_DAILY_LIMIT)",
            "REQUEST_DENIED": "Google refused the key (REQUEST_DENIED)"}
PRECISE = {"ROOFTOP", "RANGE_INTERPOLATED", "GEOMETRIC_CENTER"}
COUNTRY_NAMES = {"AR": "Argentina", "BO": "Bolivia", "BR": "Brasil", "CL": "Chile", "CO": "Colombia",
                 "CR": "Costa Rica", "DO": "República Dominicana", "EC": "Ecuador", "ES": "España",
                 "GT": "Guatemala", "HN": "Honduras", "MX": "México", "NI": "Nicaragua", "PA": "Panamá",
                 "PE": "Perú", "PT": "Portugal", "PY": "Paraguay", "SV": "El Salvador",
                 "US": "United States", "UY": "Uruguay", "VE": "Venezuela"}


class GeocodingStopped(IspcubeError):
    """Google (or the way to it) refuses every further query: quota, key or network."""


@dataclass(frozen=True)
class Answer:
    found: bool
    reason: str = ""               # why nothing was set: zero results, ambiguous, approximate...
    lat: float | None = None
    lng: float | None = None
    place: str = ""                # Google's formatted address of the match
    partial: bool = False


class Pacer:
    """At most `per_second` calls a second, spaced before each call is sent."""

    def __init__(self, per_second: float):
        self.interval = 1.0 / per_second
        self.next_at = 0.0
        self.lock = threading.Lock()

    def wait(self) -> None:
        with self.lock:
            now = time.monotonic()
            if now < self.next_at:
                time.sleep(self.next_at - now)
            self.next_at = max(now, self.next_at) + self.interval


def make_geocoder(provider: str, url: str | None, per_second: float | None):
    """The geocoder of PROVIDER (google or nominatim); ISPCUBE_GEOCODING_URL, when set, is the
    endpoint of either, else URL for Nominatim (Google's own address otherwise)."""
    endpoint = os.environ.get("ISPCUBE_GEOCODING_URL") or None
    if provider == "nominatim":
        from ispcube.adapters.nominatim import NominatimGeocoder
        return NominatimGeocoder(endpoint or url or None, per_second=per_second or 1)
    return GoogleGeocoder(api_key(), per_second=per_second or 10, base_url=endpoint)


def api_key() -> str:
    key = config_file.value("google_maps_api_key", "GOOGLE_MAPS_API_KEY")
    if not key:
        raise Invalid("no Google Maps API key: set GOOGLE_MAPS_API_KEY, or google_maps_api_key "
                      "in the config file (chmod 600)")
    return key


class GoogleGeocoder:
    def __init__(self, key: str, *, per_second: float = 10, timeout: float = 10,
                 base_url: str | None = None):
        import googlemaps
        try:
            # Our Pacer spaces the queries; googlemaps' own limiter only throttles completions.
            self.client = googlemaps.Client(key=key, timeout=timeout, retry_timeout=timeout * 2,
                                            queries_per_second=1000, retry_over_query_limit=False,
                                            base_url=base_url or os.environ.get("ISPCUBE_GEOCODING_URL")
                                            or DEFAULT_URL)
        except ValueError:
            raise Invalid("the Google Maps API key is not a valid key (Google keys start with AIza)") from None
        self.pacer = Pacer(per_second)

    def lookup(self, address: str, country: str) -> Answer:
        import googlemaps.exceptions as gm
        self.pacer.wait()
        try:
            answer = self.client.geocode(address, components={"country": country},
                                         region=country.lower())
        except gm.ApiError as exc:
            if exc.status in STOPPING:
                raise GeocodingStopped(STOPPING[exc.status]) from None
            return Answer(False, f"Google answered {exc.status}")
        except gm.HTTPError as exc:
            raise GeocodingStopped(f"the geocoding service answered HTTP {exc.status_code}") from None
        except ValueError:
            raise GeocodingStopped("the geocoding service answered something that is not JSON") from None
        except gm.Timeout:
            raise GeocodingStopped("Google's geocoding service did not answer in time") from None
        except gm.TransportError:
            raise GeocodingStopped("cannot reach Google's geocoding service") from None
        # googlemaps 4.10 returns either the results list or the whole response, by release.
        results = answer.get("results", []) if isinstance(answer, dict) else list(answer or [])
        return verdict(results)


def verdict(results: list[dict]) -> Answer:
    def locate(best: dict) -> tuple[float, float, bool] | None:
        geometry = best.get("geometry", {})
        if geometry.get("location_type") not in PRECISE:
            return None
        location = geometry["location"]
        return float(location["lat"]), float(location["lng"]), bool(best.get("partial_match"))
    return judged(results, "formatted_address", "ZERO_RESULTS", locate)


def judged(results: list[dict], place_key: str, nothing: str,
           locate: Callable[[dict], tuple[float, float, bool] | None]) -> Answer:
    """The one rule of every provider: a single place, located precisely enough, or no answer.

    PLACE_KEY names a result's address; NOTHING says how the provider said it found none;
    LOCATE gives (lat, lng, partial match) of the one result, None when it is only approximate,
    or raises ValueError when it has no usable coordinates."""
    if not results:
        return Answer(False, f"no place matches this address ({nothing})")
    if len(results) > 1:
        places = "; ".join(r.get(place_key, "?") for r in results[:3])
        return Answer(False, f"ambiguous: {len(results)} places match ({places})")
    best = results[0]
    place = best.get(place_key, "")
    try:
        located = locate(best)
    except (KeyError, TypeError, ValueError):
        return Answer(False, f"the place found has no usable coordinates ({place})")
    if located is None:
        return Answer(False, f"only an approximate location was found ({place})")
    lat, lng, partial = located
    return Answer(True, lat=lat, lng=lng, place=place, partial=partial)


def full_address(street: str, postal_code: str | None, locality: str | None, state: str, country: str) -> str:
    """Address + postal code + state + country, as the operator's guide composes it."""
    area = " ".join(part for part in (postal_code, locality) if part)
    parts = [street, area, state, COUNTRY_NAMES.get(country, country)]
    return ", ".join(part.strip() for part in parts if part and part.strip())
