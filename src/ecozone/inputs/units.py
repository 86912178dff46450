"""Units and their hierarchy (METHODS §0.1).

One vector layer with one row per finest unit and one id column per upper
level. Upper-level units are the dissolve of their members; an empty id at
an upper level means "belongs to none there". Invalid geometries are
repaired (and reported); a file without geometry (a table), points or
lines instead of polygons, an empty layer, duplicate ids, an inconsistent
hierarchy and a missing CRS are errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ecozone.errors import InputError

#: ids that mean "belongs to no unit at this level"
_EMPTY = {"", "nan", "none", "null", "<na>"}

#: column names that betray point coordinates in a table
_COORD_COLUMNS = {"lon", "lat", "lng", "long", "longitude", "latitude", "x", "y", "经度", "纬度", "point_x", "point_y"}

_UNITS_FIX = (
    "give a polygon layer with one boundary per finest unit (GeoPackage, Shapefile or GeoJSON, e.g. the "
    "county boundaries with your ids joined in QGIS); lon/lat points are not units"
)


def _clean_ids(s: pd.Series) -> pd.Series:
    """Ids as stripped strings; integers stored as floats lose their '.0'."""

    def one(v) -> str:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return ""
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        t = str(v).strip()
        return "" if t.lower() in _EMPTY else t

    return s.map(one).astype(object)


@dataclass
class Units:
    """All units of a study at every level.

    Attributes
    ----------
    levels:
        Level names, finest first (e.g. ``["county", "city", "agglomeration"]``).
    parents:
        For every upper level, the level it nests in.
    finest:
        One row per finest unit: ``unit_id``, ``name``, one column per level
        named by the level holding that level's id (``""`` = none), geometry
        (WGS84 / the layer's own CRS kept in ``crs``).
    frame:
        All units of all levels: ``level, unit_id, name, area_km2, geometry``;
        ``area_km2`` in the study's equal-area CRS.
    repairs:
        Messages about repaired geometries, for the run log and manifest.
    """

    levels: list[str]
    parents: dict[str, str]
    finest: gpd.GeoDataFrame
    frame: gpd.GeoDataFrame
    area_crs: str
    source: Path | None = None
    repairs: list[str] = field(default_factory=list)

    @property
    def finest_level(self) -> str:
        return self.levels[0]

    def membership(self, level: str) -> pd.Series:
        """Finest unit id → id of the unit it belongs to at ``level`` ("" = none)."""
        self._check_level(level)
        return pd.Series(self.finest[level].to_numpy(), index=self.finest["unit_id"].to_numpy(), name=level)

    def members(self, level: str, upper_level: str) -> pd.Series:
        """Id at ``level`` → id at ``upper_level`` for every unit of ``level`` ("" = none).

        ``upper_level`` must be coarser than ``level`` and consistent with it
        (every unit of ``level`` lies in at most one unit of ``upper_level``),
        which holds along the nesting chain checked on loading; for levels not
        on one chain the most common upper id of the unit's members is used.
        """
        self._check_level(level)
        self._check_level(upper_level)
        f = self.finest[self.finest[level] != ""]
        s = f.groupby(level)[upper_level].agg(lambda x: x.value_counts().index[0])
        s.index.name = level
        s.name = upper_level
        return s

    def of_level(self, level: str) -> gpd.GeoDataFrame:
        """The units of one level (rows of ``frame``)."""
        self._check_level(level)
        return self.frame[self.frame["level"] == level].reset_index(drop=True)

    def level_of(self, unit_id: str) -> list[str]:
        """The levels at which ``unit_id`` names a unit (usually one)."""
        return self.frame.loc[self.frame["unit_id"] == str(unit_id), "level"].tolist()

    def ids(self, level: str) -> list[str]:
        return self.of_level(level)["unit_id"].tolist()

    def _check_level(self, level: str) -> None:
        if level not in self.levels:
            raise KeyError(f"unknown level '{level}'; levels are {self.levels}")


def _read_layer(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    import pyogrio

    if not path.exists():
        raise InputError(
            "units file not found", where=str(path), fix="correct [units] path in the study file"
        )
    if path.is_dir() and path.suffix.lower() != ".gdb":  # a File Geodatabase is a folder
        raise InputError(
            "is a folder, not a units file",
            where=str(path),
            fix="set [units] path to the file of the units, e.g. \"units.gpkg\" or \"counties.shp\"",
        )
    try:
        listed = pyogrio.list_layers(path)
    except Exception as e:  # noqa: BLE001 - GDAL's message is the useful part
        raise InputError(
            f"the units file cannot be read as a vector layer ({e})",
            where=str(path),
            fix="give a GeoPackage, Shapefile, GeoJSON or other file that GDAL/OGR reads, holding one "
            "polygon per finest unit",
        ) from None
    layers = [str(lyr[0]) for lyr in listed]
    if not layers:
        raise InputError("holds no layer", where=str(path), fix=_UNITS_FIX)
    if layer is not None and layer not in layers:
        raise InputError(
            f"has no layer '{layer}' (layers: {', '.join(layers)})",
            where=str(path),
            fix="set [units] layer to one of the layers listed",
        )
    if layer is None and len(layers) > 1:
        polygonal = [str(n) for n, g in listed if g is not None and "polygon" in str(g).lower()]
        layer = polygonal[0] if len(polygonal) == 1 else layers[0]
    where = str(path) if layer is None or len(layers) == 1 else f"{path}, layer '{layer}'"
    try:
        info = pyogrio.read_info(path, layer=layer)
    except Exception as e:  # noqa: BLE001
        raise InputError(f"cannot be read as a vector layer ({e})", where=where, fix=_UNITS_FIX) from None
    if info.get("geometry_type") is None:
        fields = [str(f) for f in info.get("fields", [])]
        coords = [f for f in fields if f.strip().lower() in _COORD_COLUMNS]
        hint = (
            f" (columns {', '.join(coords)} look like point coordinates: points have no area to "
            "dissolve or overlay)"
            if coords
            else ""
        )
        others = [str(n) for n, g in listed if g is not None]
        fix = _UNITS_FIX
        if others:
            fix = f"set [units] layer to a polygon layer of this file ({', '.join(others)}), or " + fix
        raise InputError(
            f"the units file has no geometry: it is a table, not a layer of unit boundaries{hint}",
            where=where,
            fix=fix,
        )
    try:
        return gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as e:  # noqa: BLE001
        raise InputError(
            f"cannot be read as a vector layer ({e})",
            where=where,
            fix="check that the file is complete (a Shapefile needs its .shp, .shx and .dbf beside each other)",
        ) from None


def load_units(
    path: Path,
    *,
    levels: dict[str, str],
    name: str = "name",
    level_names: dict[str, str] | None = None,
    parents: dict[str, str] | None = None,
    layer: str | None = None,
    area_crs: str,
    name_en: str | None = None,
    level_names_en: dict[str, str] | None = None,
) -> Units:
    """Read and validate the units layer and build every level by dissolve.

    Parameters
    ----------
    levels: level name → id column, finest first.
    parents: upper level → the level it nests in (default: the previous level).
    area_crs: equal-area CRS in which ``area_km2`` (km²) is computed.
    name_en, level_names_en: optional English name columns (finest level, upper
        levels); when given, ``frame`` has a ``name_en`` column ("" where none),
        which the English report shows instead of ``name``.
    """
    path = Path(path)
    gdf = _read_layer(path, layer)
    return build_units(
        gdf,
        levels=levels,
        name=name,
        level_names=level_names or {},
        parents=parents or {},
        area_crs=area_crs,
        source=path,
        name_en=name_en,
        level_names_en=level_names_en or {},
    )


def build_units(
    gdf: gpd.GeoDataFrame,
    *,
    levels: dict[str, str],
    name: str = "name",
    level_names: dict[str, str] | None = None,
    parents: dict[str, str] | None = None,
    area_crs: str,
    source: Path | None = None,
    name_en: str | None = None,
    level_names_en: dict[str, str] | None = None,
) -> Units:
    """Validate a finest-level GeoDataFrame and build all levels (see :func:`load_units`)."""
    where = str(source) if source else "units layer"
    level_names = level_names or {}
    level_names_en = level_names_en or {}
    parents = parents or {}
    level_list = list(levels)
    finest_level = level_list[0]

    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        raise InputError(
            "the units layer has no geometry: it is a table, not a layer of unit boundaries",
            where=where,
            fix=_UNITS_FIX,
        )
    if len(gdf) == 0:
        raise InputError(
            "the units layer is empty (no features)", where=where, fix="give a layer with one row per finest unit"
        )
    if gdf.crs is None:
        raise InputError(
            "has no coordinate reference system (CRS)",
            where=where,
            fix="assign the CRS the coordinates are in (e.g. EPSG:4326 for lon/lat) in QGIS, "
            "or with `ogr2ogr -a_srs EPSG:4326 out.gpkg in.shp`",
        )

    needed = {name: "[units] name"} | {c: f"[units] levels.{lv}" for lv, c in levels.items()}
    needed |= {c: f"[units] level_names.{lv}" for lv, c in level_names.items()}
    if name_en is not None:
        needed[name_en] = "[units] name_en"
    needed |= {c: f"[units] level_names_en.{lv}" for lv, c in level_names_en.items()}
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    for col, key in needed.items():
        if col not in gdf.columns:
            if not cols:
                raise InputError(
                    f"has no attribute columns at all (it needs '{col}', named by {key})",
                    where=where,
                    fix="give the layer its attributes (a Shapefile keeps them in the .dbf beside the .shp: "
                    "copy all its files together)",
                )
            raise InputError(
                f"has no column '{col}' (named by {key}); columns are: {', '.join(cols)}",
                where=where,
                fix=f"rename the column in the file or set {key} to the right column",
            )

    out = gpd.GeoDataFrame(
        {"unit_id": _clean_ids(gdf[levels[finest_level]]), "name": _names(gdf[name])},
        geometry=gdf.geometry.values,
        crs=gdf.crs,
    )
    for lv in level_list[1:]:
        out[lv] = _clean_ids(gdf[levels[lv]]).to_numpy()
    out[finest_level] = out["unit_id"]

    # finest ids: present and unique
    empty = np.flatnonzero(out["unit_id"].to_numpy() == "")
    if len(empty):
        rows = ", ".join(str(i + 1) for i in empty[:10])
        raise InputError(
            f"column '{levels[finest_level]}' is empty in feature(s) {rows}",
            where=where,
            fix="give every finest unit an id",
        )
    dup = out["unit_id"][out["unit_id"].duplicated(keep=False)]
    if len(dup):
        first = dup.iloc[0]
        rows = ", ".join(str(i + 1) for i in np.flatnonzero(out["unit_id"].to_numpy() == first))
        raise InputError(
            f"duplicate id '{first}' in column '{levels[finest_level]}' (features {rows}); "
            f"{dup.nunique()} id(s) repeat",
            where=where,
            fix="make the finest ids unique (one row per unit; dissolve multi-part units first)",
        )

    # geometry: present, valid (repair and report)
    repairs: list[str] = []
    geoms = out.geometry.values
    missing = np.flatnonzero(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if len(missing):
        ids = ", ".join(out["unit_id"].iloc[missing[:10]])
        raise InputError(
            f"unit(s) {ids} have no geometry",
            where=where,
            fix="remove these rows or give them their boundary",
        )
    kinds = shapely.get_type_id(geoms)
    collection = np.flatnonzero(kinds == int(shapely.GeometryType.GEOMETRYCOLLECTION))
    if len(collection):
        geoms = geoms.copy()
        for i in collection:
            g = _polygonal(geoms[i])
            if g.geom_type in ("Polygon", "MultiPolygon"):
                geoms[i] = g
                repairs.append(f"unit {out['unit_id'].iloc[i]}: kept the polygons of a geometry collection")
        out = out.set_geometry(gpd.GeoSeries(geoms, crs=out.crs, index=out.index))
        kinds = shapely.get_type_id(geoms)
    polygonal = (kinds == int(shapely.GeometryType.POLYGON)) | (kinds == int(shapely.GeometryType.MULTIPOLYGON))
    if not polygonal.all():
        bad = np.flatnonzero(~polygonal)
        found = sorted({g.geom_type for g in geoms[bad]})
        ids = ", ".join(out["unit_id"].iloc[bad[:10]])
        more = f" and {len(bad) - 10} more" if len(bad) > 10 else ""
        raise InputError(
            f"{len(bad)} of {len(out)} unit(s) are {' / '.join(found)} geometries, not polygons "
            f"(units {ids}{more})",
            where=where,
            fix=_UNITS_FIX,
        )
    _check_coordinates(out, where)
    invalid = np.flatnonzero(~shapely.is_valid(geoms))
    if len(invalid):
        reasons = shapely.is_valid_reason(geoms[invalid])
        fixed = shapely.make_valid(geoms[invalid])
        # keep only the polygonal parts a repair may leave beside lines/points
        fixed = np.array([_polygonal(g) for g in fixed], dtype=object)
        geoms = geoms.copy()
        geoms[invalid] = fixed
        out = out.set_geometry(gpd.GeoSeries(geoms, crs=out.crs, index=out.index))
        for i, r in zip(invalid[:20], reasons[:20], strict=False):
            repairs.append(f"repaired invalid geometry of unit {out['unit_id'].iloc[i]}: {r}")
        if len(invalid) > 20:
            repairs.append(f"... and {len(invalid) - 20} more invalid geometries repaired")

    # hierarchy: each upper level nests in its parent level
    parent_of = {}
    for i, lv in enumerate(level_list[1:], start=1):
        parent_of[lv] = parents.get(lv, level_list[i - 1])
    for lv, par in parent_of.items():
        sub = out[out[par] != ""]
        n = sub.groupby(par)[lv].nunique()
        bad = n[n > 1]
        if len(bad):
            pid = bad.index[0]
            vals = sorted(sub.loc[sub[par] == pid, lv].unique())
            shown = ", ".join(repr(v) if v else "'' (none)" for v in vals)
            raise InputError(
                f"inconsistent hierarchy: {par} '{pid}' lies in {len(vals)} different {lv} units "
                f"({shown}) in column '{levels[lv]}'",
                where=where,
                fix=f"give every unit of {par} '{pid}' the same {lv} id",
            )

    # ids unique across levels, except an upper unit that is the same territory as its only member
    seen: dict[str, str] = {uid: finest_level for uid in out["unit_id"]}
    for lv in level_list[1:]:
        for uid in pd.unique(out[lv]):
            if uid == "":
                continue
            if uid in seen:
                prev = seen[uid]
                members = set(out.loc[out[lv] == uid, prev])
                if members != {uid}:
                    raise InputError(
                        f"id '{uid}' names a unit at level '{prev}' and a different unit at level '{lv}'",
                        where=where,
                        fix="ids must be unique across levels (adcodes are); an id may repeat only "
                        "where the upper unit is exactly its one member of the same id",
                    )
            seen[uid] = lv

    # names of upper units
    names_by_level: dict[str, pd.Series] = {}
    for lv in level_list[1:]:
        col = level_names.get(lv)
        sub = out[out[lv] != ""]
        if col is not None:
            nm = pd.Series(gdf.loc[sub.index, col].astype(str).to_numpy(), index=sub.index)
            names_by_level[lv] = nm.groupby(sub[lv].to_numpy()).first()
        else:
            names_by_level[lv] = pd.Series(sub[lv].unique(), index=sub[lv].unique())

    frame = _dissolve_levels(out, level_list, names_by_level)
    frame["area_km2"] = frame.geometry.to_crs(area_crs).area.to_numpy() / 1e6
    columns = ["level", "unit_id", "name", "area_km2", "geometry"]
    if name_en is not None or level_names_en:
        frame["name_en"] = _english_names(gdf, out, frame, level_list, name_en, level_names_en)
        columns.insert(3, "name_en")
    frame = frame[columns]
    return Units(
        levels=level_list,
        parents=parent_of,
        finest=out,
        frame=frame,
        area_crs=area_crs,
        source=source,
        repairs=repairs,
    )


def _names(s: pd.Series) -> pd.Series:
    """Names as stripped strings; a missing name is "" (not "nan")."""
    return s.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip()).astype(object)


def _check_coordinates(gdf: gpd.GeoDataFrame, where: str) -> None:
    """Coordinates that cannot be in the layer's CRS (degrees in a metre CRS and the reverse)."""
    x0, y0, x1, y1 = (float(v) for v in gdf.total_bounds)
    crs = gdf.crs
    degrees = -180.5 <= x0 and x1 <= 360.5 and -90.5 <= y0 and y1 <= 90.5
    if crs.is_geographic and not degrees:
        raise InputError(
            f"the coordinates (x {x0:.6g}...{x1:.6g}, y {y0:.6g}...{y1:.6g}) are not longitudes and "
            f"latitudes, but the layer's CRS ({crs.name}) says they are",
            where=where,
            fix="assign the projected CRS the coordinates are in (QGIS: Layer CRS > Set Layer CRS; "
            "`ogr2ogr -a_srs EPSG:xxxx`), do not reproject",
        )
    if crs.is_projected and degrees and (x1 - x0) < 360 and (y1 - y0) < 180:
        unit = crs.axis_info[0].unit_name if crs.axis_info else "metre"
        raise InputError(
            f"the coordinates (x {x0:.6g}...{x1:.6g}, y {y0:.6g}...{y1:.6g}) look like longitudes and "
            f"latitudes, but the layer's CRS ({crs.name}) is projected in {unit}s: the units would be a "
            "few hundred metres wide",
            where=where,
            fix="assign EPSG:4326 (WGS84 lon/lat; QGIS: Layer CRS > Set Layer CRS; "
            "`ogr2ogr -a_srs EPSG:4326`), do not reproject",
        )


def _english_names(gdf, out, frame, level_list, name_en, level_names_en) -> np.ndarray:
    """English name of every row of ``frame`` ("" where the layer gives none)."""
    en: dict[tuple[str, str], str] = {}
    cols = {level_list[0]: name_en} | dict(level_names_en)
    for lv, col in cols.items():
        if col is None:
            continue
        sub = out[out[lv] != ""]
        vals = gdf.loc[sub.index, col]
        vals = vals.where(vals.notna(), "").astype(str).str.strip()
        first = pd.Series(vals.to_numpy(), index=sub.index).groupby(sub[lv].to_numpy()).first()
        en.update({(lv, uid): v for uid, v in first.items()})
    return np.array([en.get((lv, uid), "") for lv, uid in zip(frame["level"], frame["unit_id"], strict=True)],
                    dtype=object)


def _polygonal(g):
    """The polygonal part of a geometry (a repair may return a collection)."""
    if g is None:
        return g
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else g


def _dissolve_levels(
    finest: gpd.GeoDataFrame, levels: list[str], names: dict[str, pd.Series]
) -> gpd.GeoDataFrame:
    parts = [
        gpd.GeoDataFrame(
            {"level": levels[0], "unit_id": finest["unit_id"].to_numpy(), "name": finest["name"].to_numpy()},
            geometry=finest.geometry.to_numpy(),
            crs=finest.crs,
        )
    ]
    for lv in levels[1:]:
        sub = finest[finest[lv] != ""]
        if len(sub) == 0:
            continue
        groups = sub.groupby(lv).indices
        ids = list(groups)
        geoms = [
            shapely.union_all(sub.geometry.to_numpy()[idx], grid_size=None) for idx in groups.values()
        ]
        parts.append(
            gpd.GeoDataFrame(
                {"level": lv, "unit_id": ids, "name": [names[lv].get(i, i) for i in ids]},
                geometry=geoms,
                crs=finest.crs,
            )
        )
    return pd.concat(parts, ignore_index=True)
