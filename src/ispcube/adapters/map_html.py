"""The map as one self-contained HTML page: Leaflet's JS, CSS and icons inlined from the
installed xstatic-leaflet package, the data as JSON inside the page.

Only the OpenStreetMap tiles come from the network; offline, the markers and circles are still
drawn on a blank background.
"""

import base64
import json
from pathlib import Path
from typing import Any

TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'


def _leaflet_dir() -> Path:
    import xstatic.pkg.leaflet as leaflet
    return Path(leaflet.BASE_DIR)


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _leaflet_css(base: Path) -> str:
    css = (base / "leaflet.css").read_text(encoding="utf-8")
    for image in sorted((base / "images").glob("*.png")):
        css = css.replace(f"url(images/{image.name})", f"url({_data_uri(image)})")
    return css


def _script_safe(text: str) -> str:
    # Inside <script>, "</" could end the element early; "<\/" means the same to JavaScript.
    return text.replace("</", "<\\/")


def render_page(data: dict[str, Any], title: str = "ispcube coverage map") -> str:
    base = _leaflet_dir()
    icons = {"iconUrl": _data_uri(base / "images" / "marker-icon.png"),
             "iconRetinaUrl": _data_uri(base / "images" / "marker-icon-2x.png"),
             "shadowUrl": _data_uri(base / "images" / "marker-shadow.png")}
    # The data is JSON read with JSON.parse and shown with textContent: a client called
    # "<script>" is shown as text, never run.
    payload = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")
    return PAGE.format(
        title=title, leaflet_css=_leaflet_css(base),
        leaflet_js=_script_safe((base / "leaflet.js").read_text(encoding="utf-8")),
        payload=payload, icons=json.dumps(icons), tiles=json.dumps(TILES),
        attribution=json.dumps(ATTRIBUTION), map_js=MAP_JS)


MAP_JS = r"""
(function () {
  var data = JSON.parse(document.getElementById('ispcube-data').textContent);
  L.Icon.Default.imagePath = '';
  L.Icon.Default.mergeOptions(ICONS);
  // SVG keeps each marker a DOM element; past a few thousand clients canvas stays fluid.
  var map = L.map('map', {preferCanvas: data.clients.length > 3000});
  L.tileLayer(TILES, {maxZoom: 19, attribution: ATTRIBUTION}).addTo(map);
  var bounds = [];
  var drawn = {office: 0, nodes: 0, coverage: 0, active: 0, throttled: 0, cut: 0};
  // Service state -> [outline, fill]: green active, amber throttled (E3), red cut.
  var SERVICE_COLOURS = {active: ['#1b5e20', '#43a047'], throttled: ['#e65100', '#ffb300'],
                         cut: ['#b71c1c', '#e53935']};

  function card(rows) {
    var box = document.createElement('div');
    rows.forEach(function (row) {
      var line = document.createElement('div');
      var label = document.createElement('b');
      label.textContent = row[0] + ': ';
      line.appendChild(label);
      line.appendChild(document.createTextNode(row[1] === null ? '' : String(row[1])));
      box.appendChild(line);
    });
    return box;
  }

  if (data.office) {
    L.marker(data.office, {title: 'Office'}).bindPopup(card([['Office', '']])).addTo(map);
    bounds.push(data.office);
    drawn.office += 1;
  }
  data.nodes.forEach(function (node) {
    var at = [node.lat, node.lng];
    if (node.radius_m) {
      L.circle(at, {radius: node.radius_m, color: '#1565c0', weight: 1, fillOpacity: 0.08,
                    className: 'ispcube-coverage'}).addTo(map);
      drawn.coverage += 1;
      // The view must hold the whole coverage, not only its centre (metres to degrees).
      var dLat = node.radius_m / 111320, dLng = dLat / Math.max(Math.cos(node.lat * Math.PI / 180), 0.01);
      bounds.push([node.lat - dLat, node.lng - dLng], [node.lat + dLat, node.lng + dLng]);
    }
    L.circleMarker(at, {radius: 8, color: '#0d47a1', weight: 2, fillColor: '#1e88e5', fillOpacity: 1,
                        className: 'ispcube-node'})
      .bindPopup(card([['Node', node.name], ['Coverage', node.radius_m ? node.radius_m + ' m' : 'not set']]))
      .addTo(map);
    bounds.push(at);
    drawn.nodes += 1;
  });
  data.clients.forEach(function (client) {
    var service = SERVICE_COLOURS.hasOwnProperty(client.service) ? client.service : 'active';
    L.circleMarker([client.lat, client.lng], {
      radius: 6, weight: 1, fillOpacity: 0.9,
      color: SERVICE_COLOURS[service][0], fillColor: SERVICE_COLOURS[service][1],
      className: 'ispcube-client ispcube-' + service
    }).bindPopup(card([['Client', client.code], ['Name', client.name],
                       ['Balance', client.balance + ' ' + data.currency],
                       ['Node', client.node || ''], ['Service', client.service]]))
      .addTo(map);
    bounds.push([client.lat, client.lng]);
    drawn[service] += 1;
  });

  if (bounds.length) {
    map.fitBounds(bounds, {padding: [30, 30], maxZoom: 16});
  } else {
    map.setView([0, 0], 2);
  }

  var legend = L.control({position: 'bottomright'});
  legend.onAdd = function () {
    var box = L.DomUtil.create('div', 'ispcube-legend');
    Object.keys(drawn).forEach(function (key) { box.setAttribute('data-' + key, drawn[key]); });
    [['#43a047', drawn.active + ' active'], ['#ffb300', drawn.throttled + ' throttled'],
     ['#e53935', drawn.cut + ' cut'], ['#1e88e5', drawn.nodes + ' nodes']].forEach(function (item) {
      var line = L.DomUtil.create('div', '', box);
      var dot = L.DomUtil.create('span', 'dot', line);
      dot.style.background = item[0];
      line.appendChild(document.createTextNode(item[1]));
    });
    return box;
  };
  legend.addTo(map);
})();
"""

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
{leaflet_css}
html, body, #map {{ height: 100%; margin: 0; }}
.ispcube-legend {{ background: #fff; padding: 6px 10px; border-radius: 4px; font: 13px sans-serif;
                   box-shadow: 0 1px 4px rgba(0,0,0,.3); }}
.ispcube-legend .dot {{ display: inline-block; width: 10px; height: 10px; border-radius: 50%;
                        margin-right: 6px; }}
</style>
</head>
<body>
<div id="map"></div>
<script type="application/json" id="ispcube-data">{payload}</script>
<script>
{leaflet_js}
</script>
<script>
var ICONS = {icons}, TILES = {tiles}, ATTRIBUTION = {attribution};
{map_js}
</script>
</body>
</html>
"""
