"""What the report reads: the stored results of one output folder, and display geometry.

Only ``results.gpkg``, ``rasters/`` and ``manifest.json`` are read; nothing
is recomputed. Geometries are simplified once per level for display
(:class:`DisplayGeometry`) in the study's equal-area CRS, so one set of
shapes serves every map of that level in the HTML and in the static figures.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ecozone.errors import EcozoneError

DEFAULT_AREA_CRS = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +datum=WGS84 +units=m +no_defs"
#: Layers of results.gpkg written for QGIS (see :mod:`ecozone.qgis`), never read as results.
DERIVED_LAYERS = re.compile(r"^(layer_styles|(capacity|carbon)_map_.*)$")
RASTER_NAME = re.compile(r"^(?P<var>[a-z][a-z0-9_]*?)_(?P<year>\d{4})\.tif$")


@dataclass
class ReportData:
    """The stored results of one output folder."""

    out_dir: Path
    manifest: dict
    units: object  # GeoDataFrame: level, unit_id, name, area_km2, geometry (WGS 84)
    tables: dict[str, pd.DataFrame]
    levels: list[str]
    rasters: dict[str, dict[int, Path]] = field(default_factory=dict)  # var -> year -> path

    @property
    def years(self) -> list[int]:
        ys = set(int(y) for y in self.manifest.get("years") or [])
        for t in self.tables.values():
            if "year" in t.columns:
                ys.update(int(y) for y in pd.unique(t["year"].dropna()))
        return sorted(ys)

    @property
    def synthetic(self) -> bool:
        return bool(self.manifest.get("synthetic"))

    @property
    def area_crs(self) -> str:
        p = self.manifest.get("parameters") or {}
        return p.get("area_crs") or DEFAULT_AREA_CRS

    def table(self, name: str) -> pd.DataFrame | None:
        t = self.tables.get(name)
        return t if t is not None and len(t) else None

    def levels_with(self, table: pd.DataFrame, column: str) -> list[str]:
        """Levels (in study order) with at least one value of ``column`` in ``table``."""
        if column not in table.columns:
            return []
        have = set(table.loc[table[column].notna(), "level"])
        return [lv for lv in self.levels if lv in have]

    def use_names(self, lang: str) -> None:
        """Show English unit names (the units layer's ``name_en``, where given) in an English report."""
        u = self.units
        if lang == "en" and "name_en" in u.columns:
            en = u["name_en"].where(u["name_en"].notna(), "").astype(str).str.strip()
            u["name"] = en.where(en != "", u["name"].astype(str))

    def names(self) -> pd.Series:
        """Unit names by (level, unit_id)."""
        u = self.units
        return pd.Series(u["name"].astype(str).to_numpy(), index=pd.MultiIndex.from_arrays([u["level"], u["unit_id"]]))


def read_report_data(out_dir: Path) -> ReportData:
    """Read an output folder (results.gpkg, manifest.json, rasters/)."""
    import pyogrio

    from ecozone.store import read_manifest

    out_dir = Path(out_dir)
    manifest = read_manifest(out_dir)
    gpkg = out_dir / "results.gpkg"
    if not gpkg.exists():
        raise EcozoneError("no results.gpkg", where=str(out_dir), fix="run `ecozone run STUDY` first")
    units = None
    tables: dict[str, pd.DataFrame] = {}
    for name, gtype in pyogrio.list_layers(gpkg):
        name = str(name)
        if DERIVED_LAYERS.match(name):
            continue
        if name == "units":
            units = pyogrio.read_dataframe(gpkg, layer=name)
        elif gtype is None:
            tables[name] = pyogrio.read_dataframe(gpkg, layer=name, read_geometry=False)
    if units is None:
        raise EcozoneError("results.gpkg has no layer 'units'", where=str(gpkg), fix="rerun `ecozone run STUDY`")
    units["unit_id"] = units["unit_id"].astype(str)
    for t in tables.values():
        if "unit_id" in t.columns:
            t["unit_id"] = t["unit_id"].astype(str)
        if "year" in t.columns and t["year"].notna().all():
            t["year"] = t["year"].astype(int)
    levels = [lv for lv in manifest.get("levels") or [] if lv in set(units["level"])]
    levels += [lv for lv in pd.unique(units["level"]) if lv not in levels]
    rasters: dict[str, dict[int, Path]] = {}
    rdir = out_dir / "rasters"
    if rdir.is_dir():
        for p in sorted(rdir.glob("*.tif")):
            m = RASTER_NAME.match(p.name)
            if m:
                rasters.setdefault(m["var"], {})[int(m["year"])] = p
    return ReportData(out_dir=out_dir, manifest=manifest, units=units, tables=tables, levels=levels, rasters=rasters)


@dataclass
class LevelShapes:
    """Display shapes of the units of one level."""

    level: str
    ids: list[str]
    names: list[str]
    projected: np.ndarray  # shapely geometries in the equal-area CRS (simplified)
    lonlat: np.ndarray  # the same in WGS 84, exteriors clockwise (d3-geo's convention)

    def index(self) -> dict[str, int]:
        return {u: i for i, u in enumerate(self.ids)}


class DisplayGeometry:
    """Simplified shapes per level, computed once and shared by every map.

    Each level is simplified as a coverage (shared edges stay shared, no
    slivers) in the equal-area CRS with a tolerance of 1/2000 of the study
    extent (about 1 km for the Yangtze River Economic Belt): below a pixel of
    a 1,500-pixel-wide map, and a few times fewer vertices.
    """

    def __init__(self, units, area_crs: str, levels: list[str]):
        import geopandas as gpd
        import shapely

        self.area_crs = area_crs
        self.levels: dict[str, LevelShapes] = {}
        proj = units.to_crs(area_crs)
        x0, y0, x1, y1 = proj.total_bounds
        self.extent = (float(x0), float(y0), float(x1), float(y1))
        span = max(x1 - x0, y1 - y0, 1.0)
        self.tolerance = span / 2000.0
        for lv in levels:
            sub = proj[proj["level"] == lv]
            if not len(sub):
                continue
            geoms = shapely.make_valid(sub.geometry.to_numpy())
            try:
                simp = shapely.coverage_simplify(geoms, self.tolerance)
            except Exception:  # noqa: BLE001 - not a clean coverage: simplify one by one
                simp = shapely.simplify(geoms, self.tolerance, preserve_topology=True)
            bad = shapely.is_empty(simp) | shapely.is_missing(simp)
            simp = np.where(bad, geoms, simp)
            ll = gpd.GeoSeries(simp, crs=area_crs).to_crs(4326).to_numpy()
            ll = shapely.orient_polygons(ll, exterior_cw=True)
            self.levels[lv] = LevelShapes(
                level=lv,
                ids=sub["unit_id"].astype(str).tolist(),
                names=sub["name"].astype(str).tolist(),
                projected=np.asarray(simp),
                lonlat=np.asarray(ll),
            )
        lon0, lat0, lon1, lat1 = gpd.GeoSeries(
            [v for s in self.levels.values() for v in s.lonlat], crs=4326
        ).total_bounds if self.levels else (0, 0, 1, 1)
        self.lonlat_bounds = (float(lon0), float(lat0), float(lon1), float(lat1))
        # coordinates in the HTML are integers in steps of about a fifth of the tolerance
        deg = self.tolerance / 111_320.0
        self.decimals = int(min(6, max(2, math.ceil(-math.log10(max(deg / 5.0, 1e-7))))))

    def encoded(self, level: str) -> dict:
        """Compact JSON of one level's shapes for the HTML: ids, names and
        delta-encoded integer rings (decoded to GeoJSON by the page's script)."""
        import shapely

        s = self.levels[level]
        scale = 10 ** self.decimals
        feats = []
        for g in s.lonlat:
            polys = []
            parts = shapely.get_parts(g) if g is not None else []
            for p in parts:
                if p.geom_type != "Polygon" or p.is_empty:
                    continue
                rings = []
                for ring in (p.exterior, *p.interiors):
                    q = np.round(np.asarray(ring.coords)[:, :2] * scale).astype(np.int64)
                    keep = np.ones(len(q), bool)
                    keep[1:] = np.any(q[1:] != q[:-1], axis=1)
                    q = q[keep]
                    if len(q) < 4:
                        continue
                    d = np.vstack([q[:1], np.diff(q, axis=0)])
                    rings.append(d.ravel().tolist())
                if rings:
                    polys.append(rings)
            feats.append(polys)
        return {"ids": s.ids, "names": s.names, "scale": scale, "f": feats}
