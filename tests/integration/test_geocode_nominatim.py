"""Geocoding (F5) through OpenStreetMap Nominatim, against a loopback server answering /search
with canned jsonv2 results: one place, none, several (ambiguous), a street without the house."""

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import json
import threading
import time
from urllib.parse import parse_qs, urlparse

import pytest


def place(lat, lon, name, rank=30):
    return {"place_id": 1, "lat": str(lat), "lon": str(lon), "display_name": name, "category": "place",
            "type": "house", "place_rank": rank, "importance": 0.1, "addresstype": "building",
            "boundingbox": [str(lat), str(lat), str(lon), str(lon)]}


class FakeNominatim:
    """Answers /search by the first street of `answers` found in the query; nothing otherwise."""

    def __init__(self):
        self.answers: dict[str, list] = {}
        self.status = 200
        self.requests: list[tuple[float, str, dict, dict]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                url = urlparse(self.path)
                params = {k: v[0] for k, v in parse_qs(url.query).items()}
                fake.requests.append((time.monotonic(), url.path, params, dict(self.headers)))
                street = next((s for s in fake.answers if s in params.get("q", "")), None)
                body = json.dumps(fake.answers.get(street, [])).encode()
                self.send_response(fake.status if url.path == "/search" else 404)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def nominatim():
    fake = FakeNominatim()
    yield fake
    fake.close()


@pytest.fixture
def geo(cli, nominatim):
    cli.ok("config", "set", "country", "AR")
    cli.ok("config", "set", "state", "Buenos Aires")
    cli.ok("config", "set", "geocode.provider", "nominatim")
    cli.ok("config", "set", "geocode.url", nominatim.url + "/")
    cli.ok("postal-code", "add", "--code", "1414", "--locality", "Palermo")
    return cli


def add(cli, code, address):
    cli.ok("client", "add", "--code", code, "--name", f"Cliente {code}", "--address", address, "--postal-code", "1414")


def test_nominatim_geocodes_one_place_and_reports_none_and_several(geo, nominatim):
    add(geo, "A1", "Gurruchaga 1500")
    add(geo, "Z1", "Calle Inexistente 9")
    add(geo, "M1", "San Martin 50")
    add(geo, "S1", "Thames")
    nominatim.answers.update({
        "Gurruchaga 1500": [place(-34.5889, -58.4301, "1500, Gurruchaga, Palermo, Buenos Aires, Argentina")],
        "San Martin 50": [place(-34.60, -58.37, "50, San Martín, CABA"),
                          place(-34.45, -58.90, "50, San Martín, Pilar")],
        "Thames": [place(-34.59, -58.42, "Thames, Palermo, Buenos Aires", rank=26)],
    })
    result = geo("--format", "json", "client", "geocode", "--missing")     # no Google key anywhere
    assert result.exit_code == 3, result.stderr
    outcomes = {o["code"]: o for o in json.loads(result.stdout)}
    assert outcomes["A1"]["result"] == "set" and outcomes["A1"]["detail"].startswith("1500, Gurruchaga")
    assert outcomes["Z1"]["result"] == "failed" and "Nominatim found nothing" in outcomes["Z1"]["detail"]
    assert outcomes["M1"]["result"] == "failed" and outcomes["M1"]["detail"].startswith(
        "ambiguous: 2 places match (50, San Martín, CABA; 50, San Martín, Pilar)")
    assert outcomes["S1"]["result"] == "set" and "partial match" in outcomes["S1"]["detail"]
    assert "2 of 4 client(s) not geocoded: M1, Z1" in result.stderr
    shown = geo.json("client", "show", "A1")
    assert (shown["lat"], shown["lng"]) == (-34.5889, -58.4301)
    assert geo.json("client", "show", "M1")["lat"] is None

    for _, path, params, headers in nominatim.requests:
        assert path == "/search"
        assert params["format"] == "jsonv2" and params["countrycodes"] == "ar"
        assert headers["User-Agent"].startswith("ispcube/")
    assert nominatim.requests[0][2]["q"] == "Gurruchaga 1500, 1414 Palermo, Buenos Aires, Argentina"
    times = [at for at, *_ in nominatim.requests]
    assert len(times) == 4 and min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.9   # one a second


def test_per_second_speeds_up_a_self_hosted_server(geo, nominatim):
    for number in range(3):
        add(geo, f"F{number}", f"Honduras {number + 10}")
    nominatim.answers.update({f"Honduras {n + 10}": [place(-34.58 - n / 1000, -58.42, f"Honduras {n + 10}")]
                              for n in range(3)})
    started = time.monotonic()
    geo.ok("client", "geocode", "--missing", "--per-second", "20")
    assert time.monotonic() - started < 1.5 and len(nominatim.requests) == 3


def test_provider_and_url_settings_are_checked(geo):
    bad = geo("config", "set", "geocode.provider", "bing")
    assert bad.exit_code == 1 and "is not a geocoding provider (google or nominatim)" in bad.stderr
    bad = geo("config", "set", "geocode.url", "nominatim.local")
    assert bad.exit_code == 1 and "is not an http:// or https:// address" in bad.stderr


def test_an_unreachable_server_stops_the_run_without_changing_anything(geo, nominatim):
    add(geo, "A1", "Gurruchaga 1500")
    add(geo, "A2", "Gurruchaga 1600")
    nominatim.close()
    result = geo("client", "geocode", "--missing")
    assert result.exit_code == 3
    assert f"cannot reach the Nominatim server {nominatim.url}" in result.stdout
    assert "not tried" in result.stdout
    assert geo.json("client", "show", "A1")["lat"] is None


def test_a_server_that_refuses_more_queries_stops_the_run(geo, nominatim):
    add(geo, "A1", "Gurruchaga 1500")
    add(geo, "A2", "Gurruchaga 1600")
    nominatim.status = 429
    result = geo("client", "geocode", "--missing")
    assert result.exit_code == 3
    assert f"the Nominatim server {nominatim.url} refuses more queries (HTTP 429)" in result.stdout
    assert len(nominatim.requests) == 1 and "not tried" in result.stdout
    assert geo.json("client", "show", "A2")["lat"] is None
