"""The coverage map (F4): GeoJSON and a self-contained page that a real browser draws."""

from decimal import Decimal
import json
import os
from pathlib import Path
import shutil
import subprocess

import pytest
from sqlalchemy import update

from ispcube.db import models as m

HOSTILE = "<img src=x onerror=alert(1)>"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture
def isp(cli, runtime):
    cli.ok("config", "set", "office.lat", "--", "-34.6037")
    cli.ok("config", "set", "office.lng", "--", "-58.3816")
    cli.ok("config", "set", "currency", "ARS")
    cli.ok("node", "add", "--name", "Norte", "--lat=-34.58", "--lng=-58.42", "--radius-m", "2500")
    cli.ok("node", "add", "--name", "Sur", "--lat=-34.64", "--lng=-58.37")
    cli.ok("node", "add", "--name", "Oeste")                       # no coordinates: not drawn
    cli.ok("operator", "add", "--name", "ana", "--role", "collector")
    clients = [("A1", "Ana Activa", "-34.585", "-58.415", "Norte", "ana"),
               ("C1", "Carlos Cortado", "-34.590", "-58.405", "Norte", None),
               ("C2", HOSTILE, "-34.640", "-58.372", "Sur", None),
               ("N1", "Nadie Ubicado", None, None, "Sur", "ana"),
               ("D1", "Dado De Baja", "-34.600", "-58.400", "Sur", None)]
    for code, name, lat, lng, node, collector in clients:
        args = ["client", "add", "--code", code, "--name", name, "--address", f"Calle {code}", "--node", node]
        if lat:
            args += [f"--lat={lat}", f"--lng={lng}"]
        if collector:
            args += ["--collector", collector]
        cli.ok(*args)
    cli.ok("--yes", "client", "delete", "D1")
    with runtime.engine.begin() as conn:
        conn.execute(update(m.Client).where(m.Client.code.in_(["C1", "C2"])).values(service="cut"))
    with runtime.uow() as uow:
        for code, balance in (("C1", Decimal("15300.50")), ("A1", Decimal("0"))):
            uow.session.query(m.Client).filter_by(code=code).one().balance = balance
        uow.commit()
    return cli


def features(path: Path, kind: str) -> list[dict]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection"
    return [f for f in data["features"] if f["properties"]["kind"] == kind]


def test_geojson_holds_office_nodes_and_located_clients(isp, tmp_path):
    out = tmp_path / "map.geojson"
    result = isp.ok("map", "--geojson", str(out))
    assert "the office, 2 node(s), 3 client(s) (1 active, 2 cut)" in result.stdout
    assert "1 client(s) have no coordinates" in result.stdout

    [office] = features(out, "office")
    assert office["geometry"]["coordinates"] == [-58.3816, -34.6037]
    nodes = {f["properties"]["name"]: f for f in features(out, "node")}
    assert set(nodes) == {"Norte", "Sur"}
    assert nodes["Norte"]["properties"]["radius_m"] == 2500 and nodes["Sur"]["properties"]["radius_m"] is None
    clients = {f["properties"]["code"]: f for f in features(out, "client")}
    assert set(clients) == {"A1", "C1", "C2"}                       # not unlocated N1, not deleted D1
    c1 = clients["C1"]
    assert c1["geometry"]["coordinates"] == [-58.405, -34.59]
    assert c1["properties"] == {"kind": "client", "code": "C1", "name": "Carlos Cortado",
                                "balance": "15300.50", "node": "Norte", "service": "cut",
                                "currency": "ARS"}
    assert clients["A1"]["properties"]["service"] == "active"


def test_filters_work_as_in_client_list(isp, tmp_path):
    out = tmp_path / "cut.geojson"
    isp.ok("map", "--geojson", str(out), "--service", "cut")
    assert {f["properties"]["code"] for f in features(out, "client")} == {"C1", "C2"}

    isp.ok("map", "--geojson", str(out), "--node", "norte")
    assert {f["properties"]["code"] for f in features(out, "client")} == {"A1", "C1"}
    assert [f["properties"]["name"] for f in features(out, "node")] == ["Norte"]

    isp.ok("map", "--geojson", str(out), "--search", "carlos")
    assert {f["properties"]["code"] for f in features(out, "client")} == {"C1"}


def test_a_collector_maps_only_its_own_clients(isp, tmp_path):
    out = tmp_path / "ana.geojson"
    result = isp.ok("--operator", "ana", "map", "--geojson", str(out))
    assert {f["properties"]["code"] for f in features(out, "client")} == {"A1"}
    assert "1 client(s) have no coordinates" in result.stdout     # N1 is hers too


def test_without_an_output_or_with_a_wrong_one_nothing_is_written(isp, tmp_path):
    result = isp("map")
    assert result.exit_code == 2 and "--out FILE.html" in result.stderr
    result = isp("map", "--out", str(tmp_path / "map.png"))
    assert result.exit_code == 1 and "must end in .html or .htm" in result.stderr
    result = isp("map", "--out", str(tmp_path / "missing-dir" / "map.html"))
    assert result.exit_code == 1 and "does not exist" in result.stderr
    result = isp("map", "--geojson", str(tmp_path / "x.json"), "--service", "gone")
    assert result.exit_code == 1 and "service 'gone'" in result.stderr
    assert list(tmp_path.glob("*.json")) == [] and list(tmp_path.glob("*.png")) == []


def test_page_is_self_contained_and_never_embeds_markup_from_the_data(isp, tmp_path):
    out = tmp_path / "map.html"
    isp.ok("map", "--out", str(out))
    page = out.read_text(encoding="utf-8")
    assert "<script src" not in page and "<link" not in page
    assert not any(cdn in page for cdn in ("unpkg.com", "cdnjs", "jsdelivr"))
    assert "url(images/" not in page                             # icons inlined as data URIs
    assert "tile.openstreetmap.org" in page
    assert HOSTILE not in page and "Carlos Cortado" in page
    from xstatic.pkg import leaflet
    assert f't.version="{leaflet.VERSION}"' in page               # the installed library, inlined


# --- a real browser ---------------------------------------------------------------------------

def chromium(tmp_path: Path, page: Path, *mode: str) -> str:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        if IN_CI:
            pytest.fail("chromium is required in CI for the map test")
        pytest.skip("chromium is not installed")
    # Every host name resolves to nothing: no tile is fetched, the page must draw without them.
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
               "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=4000",
               "--window-size=900,700", *mode, page.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.slow   # a headless Chromium
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_browser_draws_markers_circles_and_legend(isp, tmp_path):
    out = tmp_path / "map.html"
    isp.ok("map", "--out", str(out))
    dom = chromium(tmp_path, out, "--dump-dom")

    def paths(css_class: str) -> list[str]:
        import re
        return re.findall(rf'<path class="[^"]*\b{css_class}\b[^"]*"[^>]*\bd="M[^"]+"', dom)

    assert len(paths("ispcube-coverage")) == 1                  # Norte has a radius, Sur has none
    assert len(paths("ispcube-node")) == 2
    assert len(paths("ispcube-active")) == 1 and len(paths("ispcube-cut")) == 2
    assert dom.count('class="leaflet-marker-icon') == 1         # the office
    assert 'data-active="1"' in dom and 'data-cut="2"' in dom and 'data-nodes="2"' in dom
    assert "<img src=\"x\"" not in dom and 'onerror="alert' not in dom


@pytest.mark.slow   # a headless Chromium
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_browser_screenshot_shows_green_red_and_coverage(isp, tmp_path):
    from matplotlib.image import imread
    out = tmp_path / "map.html"
    isp.ok("map", "--out", str(out))
    shot = tmp_path / "map.png"
    chromium(tmp_path, out, f"--screenshot={shot}")
    pixels = (imread(str(shot))[:, :, :3] * 255).round().astype(int)

    def count(rgb: tuple[int, int, int]) -> int:
        return int((abs(pixels - rgb).sum(axis=2) <= 12).sum())

    assert count((0x43, 0xA0, 0x47)) > 20                       # the active client, green
    assert count((0xE5, 0x39, 0x35)) > 40                       # two cut clients, red
    assert count((0x1E, 0x88, 0xE5)) > 40                       # node markers


def test_map_files_replace_only_their_own_without_yes(isp, tmp_path):
    """R14: a map rewrites its own page and GeoJSON, but not a file ispcube did not write."""
    page, data = tmp_path / "map.html", tmp_path / "map.geojson"
    isp.ok("map", "--out", str(page), "--geojson", str(data))
    isp.ok("map", "--out", str(page), "--geojson", str(data))
    for name, option in (("mine.html", "--out"), ("mine.geojson", "--geojson"), ("base.json", "--geojson")):
        theirs = tmp_path / name
        theirs.write_text("SQLite format 3 (not ours)")
        refused = isp("map", option, str(theirs))
        assert refused.exit_code == 2 and "already exists" in refused.stderr, refused.stderr
        assert theirs.read_text() == "SQLite format 3 (not ours)"
    isp.ok("--yes", "map", "--geojson", str(tmp_path / "base.json"))
    assert (tmp_path / "base.json").read_text().startswith('{"type": "FeatureCollection", "generator": "ispcube"')
