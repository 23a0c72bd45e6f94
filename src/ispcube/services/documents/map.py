"""The coverage map (F4): office, nodes with their coverage, and every located client."""

from collections import Counter
from dataclasses import dataclass, field
import json
import os
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ispcube.db import models as m
from ispcube.errors import Invalid, UsageError
from ispcube.services.admin import config
from ispcube.services.clients.query import ClientFilter, stream_clients
from ispcube.services.process.output_files import HTML_MARK, output_path
from ispcube.services.process.runtime import Runtime


@dataclass
class MapData:
    office: tuple[float, float] | None
    currency: str
    nodes: list[dict[str, Any]] = field(default_factory=list)
    clients: list[dict[str, Any]] = field(default_factory=list)
    unlocated: int = 0

    def as_json(self) -> dict[str, Any]:
        return {"office": list(self.office) if self.office else None, "currency": self.currency,
                "nodes": self.nodes, "clients": self.clients}


@dataclass(frozen=True)
class MapSummary:
    nodes: int
    clients: int
    active: int
    cut: int
    unlocated: int
    office: bool
    written: list[str]
    throttled: int = 0       # E3: amber on the map


def map_data(rt: Runtime, f: ClientFilter) -> MapData:
    with rt.uow() as uow:
        actor = rt.actor(uow)
        lat, lng = (config.get_value(uow.session, key) for key in ("office.lat", "office.lng"))
        data = MapData(office=(lat, lng) if lat is not None and lng is not None else None,
                       currency=config.get_value(uow.session, "currency"))
        nodes = select(m.Node).where(m.Node.lat.is_not(None), m.Node.lng.is_not(None)).order_by(m.Node.name)
        if f.node:
            nodes = nodes.where(m.Node.name.ilike(f.node.strip()))
        data.nodes = [{"name": n.name, "lat": n.lat, "lng": n.lng, "radius_m": n.radius_m}
                      for n in uow.session.scalars(nodes)]
        for client in stream_clients(uow, f, actor):
            if client["lat"] is None or client["lng"] is None:
                data.unlocated += 1
                continue
            data.clients.append({"code": client["code"], "name": client["name"], "lat": client["lat"],
                                 "lng": client["lng"], "balance": client["balance"],
                                 "node": client["node"], "service": client["service"]})
        return data


def geojson(data: MapData) -> dict[str, Any]:
    """GeoJSON has no circles: a node's coverage travels as its radius_m property. The
    `generator` member comes right after `type`: it marks the file as ours (GEOJSON_MARK)."""
    features = []
    if data.office:
        features.append(_point(data.office[0], data.office[1], {"kind": "office"}))
    for node in data.nodes:
        features.append(_point(node["lat"], node["lng"], {"kind": "node", "name": node["name"],
                                                          "radius_m": node["radius_m"]}))
    for client in data.clients:
        properties = {"kind": "client", **{k: v for k, v in client.items() if k not in ("lat", "lng")},
                      "currency": data.currency}
        features.append(_point(client["lat"], client["lng"], properties))
    return {"type": "FeatureCollection", "generator": "ispcube", "features": features}


def _point(lat: float, lng: float, properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lng, lat]},
            "properties": properties}


def write_map(rt: Runtime, f: ClientFilter, html_path: str | None, geojson_path: str | None,
              replace: bool = False) -> MapSummary:
    """The map page and/or its GeoJSON; an existing file is replaced only when ispcube wrote it,
    or with REPLACE (--yes) (R14). Each file is written whole or not at all."""
    if not html_path and not geojson_path:
        raise UsageError("give --out FILE.html, --geojson FILE.geojson, or both")
    html = output_path(html_path, (".html", ".htm"), "--out", replace) if html_path else None
    geo = output_path(geojson_path, (".geojson", ".json"), "--geojson", replace) if geojson_path else None
    data = map_data(rt, f)
    written: list[str] = []
    if html is not None:
        from ispcube.adapters.map_html import render_page
        _write(html, render_page(data.as_json()) + HTML_MARK)
        written.append(str(html_path))
    if geo is not None:
        _write(geo, json.dumps(geojson(data), ensure_ascii=False))
        written.append(str(geojson_path))
    by_service = Counter(c["service"] for c in data.clients)
    return MapSummary(nodes=len(data.nodes), clients=len(data.clients), active=by_service["active"],
                      cut=by_service["cut"], throttled=by_service["throttled"], unlocated=data.unlocated,
                      office=data.office is not None, written=written)


def _write(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    except OSError as exc:
        raise Invalid(f"cannot write '{path}': {exc.strerror}") from None
    finally:
        partial.unlink(missing_ok=True)
