"""Geocoding (F5) against a loopback endpoint that answers like Google's Geocoding API."""

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import json
import threading
import time
from urllib.parse import parse_qs, urlparse

import pytest

KEY = "AIzaSyFAKE-test-key-0123456789abcdefgh"


def place(lat, lng, address, location_type="ROOFTOP", partial=False):
    result = {"formatted_address": address, "types": ["street_address"],
              "geometry": {"location": {"lat": lat, "lng": lng}, "location_type": location_type}}
    if partial:
        result["partial_match"] = True
    return result


class FakeGoogle:
    """Answers /maps/api/geocode/json by the first street of `answers` found in the address."""

    def __init__(self):
        self.answers: dict[str, tuple[str, list]] = {}
        self.requests: list[tuple[float, dict]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                url = urlparse(self.path)
                params = {k: v[0] for k, v in parse_qs(url.query).items()}
                fake.requests.append((time.monotonic(), params))
                if url.path != "/maps/api/geocode/json" or params.get("key") != KEY:
                    body = {"status": "REQUEST_DENIED", "error_message": "The provided API key is invalid.",
                            "results": []}
                else:
                    street = next((s for s in fake.answers if s in params.get("address", "")), None)
                    status, results = fake.answers.get(street, ("ZERO_RESULTS", []))
                    body = {"status": status, "results": results}
                    if status == "OVER_QUERY_LIMIT":
                        body["error_message"] = "You have exceeded your daily request quota for this API."
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def addresses(self) -> list[str]:
        return [params.get("address") for _, params in self.requests]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def google():
    fake = FakeGoogle()
    yield fake
    fake.close()


@pytest.fixture
def geo(cli, google):
    cli.ok("config", "set", "country", "AR")
    cli.ok("config", "set", "state", "Buenos Aires")
    cli.ok("postal-code", "add", "--code", "1414", "--locality", "Palermo")
    env = {"GOOGLE_MAPS_API_KEY": KEY, "ISPCUBE_GEOCODING_URL": google.url}

    def run(*args, **kwargs):
        return cli(*args, env={**env, **kwargs.pop("env", {})}, **kwargs)
    run.cli = cli
    return run


def add(cli, code, address, *extra):
    cli.ok("client", "add", "--code", code, "--name", f"Cliente {code}", "--address", address,
           "--postal-code", "1414", *extra)


def coords(cli, code):
    shown = cli.json("client", "show", code)
    return shown["lat"], shown["lng"]


def test_a_client_is_geocoded_from_address_postal_code_state_and_country(geo, google):
    add(geo.cli, "A1", "Gurruchaga 1500")
    google.answers["Gurruchaga 1500"] = ("OK", [place(-34.5889, -58.4301, "Gurruchaga 1500, C1414 CABA, Argentina")])
    result = geo("client", "geocode", "A1")
    assert result.exit_code == 0, result.stderr
    assert "A1" in result.stdout and "set" in result.stdout and "Gurruchaga 1500, C1414" in result.stdout
    assert result.stderr == ""                                   # piped: no progress bar
    [(_, params)] = google.requests
    assert params["address"] == "Gurruchaga 1500, 1414 Palermo, Buenos Aires, Argentina"
    assert params["components"] == "country:AR"
    assert coords(geo.cli, "A1") == (-34.5889, -58.4301)
    log = geo.cli.json("client", "log", "A1")
    assert log[-1]["kind"] == "client.geocode" and "-34.5889, -58.4301" in log[-1]["message"]


def test_missing_reports_every_failure_per_client_and_exits_3(geo, google):
    add(geo.cli, "G1", "Thames 100")
    add(geo.cli, "Z1", "Calle Inexistente 9")
    add(geo.cli, "M1", "San Martin 50")
    add(geo.cli, "P1", "Ruta 5 km 3")
    add(geo.cli, "H1", "Honduras 10", "--lat=-34.1", "--lng=-58.1")     # already located by hand
    google.answers.update({
        "Thames 100": ("OK", [place(-34.59, -58.42, "Thames 100, CABA")]),
        "San Martin 50": ("OK", [place(-34.6, -58.37, "San Martín 50, CABA"),
                                 place(-32.9, -68.8, "San Martín 50, Mendoza")]),
        "Ruta 5 km 3": ("OK", [place(-34.6, -58.4, "Buenos Aires", location_type="APPROXIMATE")]),
    })
    result = geo("--format", "json", "client", "geocode", "--missing")
    assert result.exit_code == 3
    rows = {row["code"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {"G1", "Z1", "M1", "P1"}                       # H1 is not missing
    assert rows["G1"]["result"] == "set" and (rows["G1"]["lat"], rows["G1"]["lng"]) == (-34.59, -58.42)
    assert rows["Z1"]["result"] == "failed" and "ZERO_RESULTS" in rows["Z1"]["detail"]
    assert rows["M1"]["result"] == "failed" and "ambiguous: 2 places" in rows["M1"]["detail"]
    assert rows["P1"]["result"] == "failed" and "approximate" in rows["P1"]["detail"]
    assert "3 of 4 client(s) not geocoded: M1, P1, Z1" in result.stderr
    assert len(google.requests) == 4
    assert coords(geo.cli, "Z1") == (None, None) and coords(geo.cli, "H1") == (-34.1, -58.1)


def test_coordinates_set_by_hand_are_kept_unless_force(geo, google):
    add(geo.cli, "H1", "Honduras 10", "--lat=-34.1", "--lng=-58.1")
    google.answers["Honduras 10"] = ("OK", [place(-34.58, -58.43, "Honduras 10, CABA")])
    result = geo("client", "geocode", "H1", env={"GOOGLE_MAPS_API_KEY": ""})
    assert result.exit_code == 0 and "kept" in result.stdout and "--force" in result.stdout
    assert google.requests == []                                       # no query, not even a key needed
    assert coords(geo.cli, "H1") == (-34.1, -58.1)

    assert geo("client", "geocode", "H1", "--force").exit_code == 0
    assert coords(geo.cli, "H1") == (-34.58, -58.43)

    google.answers["Honduras 10"] = ("OK", [place(-34.57, -58.44, "Honduras 10, CABA")])
    assert geo("client", "geocode", "H1").exit_code == 0               # geocoded before: refreshed
    assert coords(geo.cli, "H1") == (-34.57, -58.44)

    geo.cli.ok("client", "edit", "H1", "--lat=-34.2", "--lng=-58.2")   # by hand again
    assert "kept" in geo("client", "geocode", "H1").stdout
    assert coords(geo.cli, "H1") == (-34.2, -58.2) and len(google.requests) == 2


def test_over_quota_stops_the_run_and_the_rest_is_reported(geo, google):
    for code, street in (("Q1", "Alsina 1"), ("Q2", "Alsina 2"), ("Q3", "Alsina 3")):
        add(geo.cli, code, street)
    google.answers["Alsina 1"] = ("OK", [place(-34.61, -58.38, "Alsina 1, CABA")])
    google.answers["Alsina 2"] = ("OVER_QUERY_LIMIT", [])
    result = geo("--format", "csv", "client", "geocode", "--missing")
    assert result.exit_code == 3
    lines = result.stdout.splitlines()
    assert lines[1].startswith("Q1,Cliente Q1,set,")
    assert lines[2].startswith("Q2,Cliente Q2,failed,") and "quota" in lines[2]
    assert lines[3].startswith("Q3,Cliente Q3,not tried,stopped:")
    assert len(google.requests) == 2
    assert KEY not in result.stdout + result.stderr
    assert coords(geo.cli, "Q1") == (-34.61, -58.38)


def test_a_refused_key_is_reported_without_showing_it(geo, google):
    add(geo.cli, "K1", "Lima 1")
    wrong = "AIzaSyWRONG-key-that-google-refuses"
    result = geo("client", "geocode", "K1", env={"GOOGLE_MAPS_API_KEY": wrong})
    assert result.exit_code == 3 and "REQUEST_DENIED" in result.stdout
    assert wrong not in result.stdout + result.stderr


@pytest.mark.parametrize("env, message", [
    ({"GOOGLE_MAPS_API_KEY": ""}, "no Google Maps API key"),
    ({"GOOGLE_MAPS_API_KEY": "not-a-google-key"}, "not a valid key"),
])
def test_missing_or_malformed_key_is_refused_before_any_query(geo, google, env, message):
    add(geo.cli, "K1", "Lima 1")
    result = geo("client", "geocode", "K1", env=env)
    assert result.exit_code == 1 and message in result.stderr
    assert "not-a-google-key" not in result.stderr and google.requests == []


def test_the_key_may_come_from_a_private_config_file(geo, google, tmp_path):
    add(geo.cli, "F1", "Lavalle 3")
    google.answers["Lavalle 3"] = ("OK", [place(-34.6, -58.38, "Lavalle 3, CABA")])
    config = tmp_path / "config.toml"
    config.write_text(f'google_maps_api_key = "{KEY}"\n')
    config.chmod(0o644)
    env = {"GOOGLE_MAPS_API_KEY": "", "ISPCUBE_CONFIG": str(config)}
    result = geo("client", "geocode", "F1", env=env)
    assert result.exit_code == 1 and "chmod 600" in result.stderr and google.requests == []
    config.chmod(0o600)
    assert geo("client", "geocode", "F1", env=env).exit_code == 0
    assert coords(geo.cli, "F1") == (-34.6, -58.38)


def test_queries_are_spaced_by_the_rate_limit(geo, google):
    for n in range(4):
        add(geo.cli, f"R{n}", f"Rivadavia {n}00")
        google.answers[f"Rivadavia {n}00"] = ("OK", [place(-34.6 - n / 100, -58.4, f"Rivadavia {n}00")])
    assert geo("client", "geocode", "--missing", "--per-second", "5").exit_code == 0
    times = [at for at, _ in google.requests]
    assert len(times) == 4
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.18


def test_bad_requests_change_nothing(geo, google):
    add(geo.cli, "B1", "Lima 1")
    result = geo("client", "geocode", "B1", "NOPE")
    assert result.exit_code == 1 and "client 'NOPE' does not exist" in result.stderr
    assert geo("client", "geocode", "B1", "--missing").exit_code == 2
    assert geo("client", "geocode").exit_code == 2
    result = geo("client", "geocode", "B1", "--per-second", "fast")
    assert result.exit_code == 1 and "--per-second 'fast'" in result.stderr
    assert google.requests == []


def test_a_collector_geocodes_only_its_own_clients(geo, google):
    geo.cli.ok("operator", "add", "--name", "ana", "--role", "collector")
    add(geo.cli, "S1", "Salta 1", "--collector", "ana")
    add(geo.cli, "S2", "Salta 2")
    google.answers["Salta"] = ("OK", [place(-34.62, -58.38, "Salta, CABA")])
    result = geo("--operator", "ana", "client", "geocode", "--missing")
    assert result.exit_code == 0 and "S1" in result.stdout and "S2" not in result.stdout
    assert geo("--operator", "ana", "client", "geocode", "S2").exit_code == 1
    assert google.addresses() == ["Salta 1, 1414 Palermo, Buenos Aires, Argentina"]
