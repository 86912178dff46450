"""Where the parks are: location checks and distance to the shoreline
(seed 001 §4.2, §5.3; METHODS §3.1).

Every park is placed (its polygon, else its point) and joined to the unit
that contains it (a polygon: the unit it overlaps most). ``location_check``:

- ``ok``: in a unit of the study, and in the province its row names (when the
  units carry a province name);
- ``outside_province``: in the study but not in its own province (e.g. a
  geocoder fallback);
- ``outside_study``: in no unit;
- ``no_location``: no geometry.

Parks not ``ok`` get no unit and no distance. ``dist_river_m`` is the shortest
distance, in an equal-area CRS, from the park (point, or polygon: 0 when a river
touches or crosses it) to the nearest line of the rivers layer, in metres;
``within_1km`` = dist ≤ ``parks.shoreline_m`` (1,000 m).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ecozone.errors import InputError
from ecozone.parks._checks import require_columns
from ecozone.parks.indicators import province_key

#: METHODS' default equal-area CRS (Albers for China).
AREA_CRS = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +datum=WGS84 +units=m +no_defs"
CHECKS = ("ok", "outside_province", "outside_study", "no_location")


def _need_crs(gdf: gpd.GeoDataFrame, layer: str) -> None:
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(f"the {layer} layer is not a GeoDataFrame", where=f"layer '{layer}'",
                         fix="read it with geopandas")
    if gdf.crs is None:
        raise InputError("the layer has no CRS", where=f"layer '{layer}'",
                         fix="give the layer a coordinate reference system (e.g. EPSG:4326 for lon/lat)")


def _prov(v) -> str | None:
    """Province as a comparable key: the canonical name, else the stripped text."""
    if v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == "":
        return None
    return province_key(v) or str(v).strip()


def _valid(geoms: np.ndarray) -> np.ndarray:
    bad = ~shapely.is_valid(geoms) & ~shapely.is_missing(geoms)
    if bad.any():
        geoms = geoms.copy()
        geoms[bad] = shapely.make_valid(geoms[bad])
    return geoms


def river_distance(geoms: gpd.GeoSeries, rivers: gpd.GeoDataFrame,
                   area_crs: str = AREA_CRS) -> np.ndarray:
    """Shortest distance from each geometry to the nearest river line, in metres.

    Parameters
    ----------
    geoms : GeoSeries
        Park points or polygons (with a CRS); missing or empty → NaN.
    rivers : GeoDataFrame
        River lines (main stream and tributaries), with a CRS.
    area_crs : str
        Equal-area CRS the distances are measured in (metres).

    Returns
    -------
    ndarray
        Distance in m (0 when a river touches or crosses a polygon).
    """
    _need_crs(rivers, "rivers")
    if not isinstance(geoms, gpd.GeoSeries) or geoms.crs is None:
        raise InputError("the park geometries have no CRS", where="layer 'parks'",
                         fix="give a GeoSeries with a coordinate reference system")
    g = geoms.to_crs(area_crs)
    r = rivers.geometry.to_crs(area_crs).to_numpy()
    r = r[~shapely.is_missing(r) & ~shapely.is_empty(r)]
    if len(r) == 0:
        raise InputError("the rivers layer has no lines", where="layer 'rivers'",
                         fix="give a line layer of the main stream and its tributaries")
    arr = g.to_numpy()
    ok = ~shapely.is_missing(arr) & ~shapely.is_empty(arr)
    out = np.full(len(arr), np.nan)
    if ok.any():
        tree = shapely.STRtree(r)
        (qi, _ti), dist = tree.query_nearest(arr[ok], return_distance=True, all_matches=False)
        d = np.full(int(ok.sum()), np.nan)
        d[qi] = dist
        out[ok] = d
    return out


def location_check(
    parks: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    rivers: gpd.GeoDataFrame | None = None,
    *,
    park_id: str = "park_id",
    park_province: str = "province",
    unit_id: str = "unit_id",
    unit_province: str | None = "province",
    area_crs: str = AREA_CRS,
    shoreline_m: float = 1000.0,
) -> pd.DataFrame:
    """Place every park in a unit, check its province, and measure its distance to the rivers.

    Parameters
    ----------
    parks : GeoDataFrame
        One row per park: ``park_id``, ``province`` (Chinese or English, with or
        without 省/市/自治区) and a geometry (point or polygon; missing or empty =
        no location), any CRS.
    units : GeoDataFrame
        The study's units (polygons): ``unit_id`` and, for the province check,
        the name of the province each unit lies in (column ``unit_province``;
        None = no province check).
    rivers : GeoDataFrame, optional
        River lines; without them ``dist_river_m`` and ``within_1km`` stay empty.
    park_id, park_province, unit_id, unit_province : str
        Column names.
    area_crs : str
        Equal-area CRS of the overlaps and distances (default METHODS' Albers).
    shoreline_m : float
        Shoreline distance, m (``parks.shoreline_m``, default 1,000).

    Returns
    -------
    DataFrame
        Same index as ``parks``: ``park_id``, ``unit_id`` (empty unless ok),
        ``location_check`` (ok | outside_province | outside_study |
        no_location), ``dist_river_m`` (m), ``within_1km`` (bool, empty
        without a distance), ``note``.
    """
    _need_crs(parks, "parks")
    _need_crs(units, "units")
    require_columns(parks, "parks", [park_id] + ([park_province] if unit_province else []))
    require_columns(units, "units", [unit_id] + ([unit_province] if unit_province else []))
    if not shoreline_m > 0:
        raise InputError(f"shoreline distance {shoreline_m} m is not positive", where="[parks] shoreline_m",
                         fix="give a distance in metres, e.g. 1000")

    pg = _valid(parks.geometry.to_crs(area_crs).to_numpy())
    ug = _valid(units.geometry.to_crs(area_crs).to_numpy())
    uid = units[unit_id].astype(str).to_numpy()
    uprov = [_prov(v) for v in units[unit_province]] if unit_province else [None] * len(units)
    n = len(parks)
    located = ~shapely.is_missing(pg) & ~shapely.is_empty(pg)

    check = np.array(["no_location"] * n, dtype=object)
    chosen_unit = np.array([None] * n, dtype=object)
    notes = np.array(["no geometry"] * n, dtype=object)
    ppos = np.flatnonzero(located)
    if len(ppos):
        tree = shapely.STRtree(ug)
        qi, ti = tree.query(pg[ppos], predicate="intersects")
        area = np.zeros(len(qi))
        poly = shapely.get_dimensions(pg[ppos][qi]) == 2
        if poly.any():
            area[poly] = shapely.area(shapely.intersection(pg[ppos][qi][poly], ug[ti][poly]))
        cand: dict[int, list[tuple[float, bool, str, int]]] = {}
        for q, t, a in zip(qi, ti, area, strict=True):
            i = int(ppos[q])
            own = unit_province is not None and uprov[t] == _prov(parks[park_province].iloc[i])
            cand.setdefault(i, []).append((-a, not own, uid[t], int(t)))
        for i in ppos:
            if i not in cand:
                check[i] = "outside_study"
                notes[i] = "lies in no unit of the study"
                continue
            _a, _not_own, u, t = min(cand[i])
            if unit_province is not None:
                want = _prov(parks[park_province].iloc[i])
                if uprov[t] != want:
                    check[i] = "outside_province"
                    given = parks[park_province].iloc[i]
                    known = "" if province_key(given) else " (not a known province name)"
                    notes[i] = f"lies in {units[unit_province].iloc[t]} (unit {u}), not in {given}{known}"
                    continue
            check[i] = "ok"
            chosen_unit[i] = u
            notes[i] = ""

    dist = np.full(n, np.nan)
    ok = check == "ok"
    if rivers is not None and ok.any():
        dist[ok] = river_distance(gpd.GeoSeries(pg[ok], crs=area_crs), rivers, area_crs)
    within = pd.array([pd.NA] * n, dtype="boolean")
    has = ~np.isnan(dist)
    within[has] = dist[has] <= shoreline_m
    if rivers is None:
        notes = np.array([(s + "; " if s else "") + "no rivers layer: no shoreline distance" if c == "ok" else s
                          for s, c in zip(notes, check, strict=True)], dtype=object)
    return pd.DataFrame(
        {
            "park_id": parks[park_id].to_numpy(),
            "unit_id": chosen_unit,
            "location_check": check,
            "dist_river_m": dist,
            "within_1km": within,
            "note": notes,
        },
        index=parks.index,
    )
