"""Green-infrastructure indicators per unit (METHODS §4.6): pure functions on geometries and frames.

Geometries are shapely arrays in one projected CRS in metres (the study's
equal-area CRS, ``[study] area_crs``): areas and buffers are computed
there. Lengths of greenways are geodesic (WGS 84 ellipsoid) after clipping
to the units, so that no map projection stretches them.

Every function returns *sums* per unit (m², km, weights) for the units it
is given; the ratios of METHODS §4.6 are built from them in
:func:`indicator_frame`. Sums over the finest units add up to the sums of
any upper unit (upper units are dissolves of finest units, METHODS §0.1),
so the inputs are overlaid once, with the finest units, and
:func:`aggregate` carries the sums up the hierarchy.

=============================  ===============================================  =========
indicator                      definition                                       unit
=============================  ===============================================  =========
forest_coverage                forest-group land-cover area / land-cover area   0–1
                               of the unit (cells by their centre)
redline_share                  area of the union of red lines in the unit /     0–1
                               unit area
greenway_km                    length of the union of greenways in the unit     km
greenway_density               greenway_km / unit area                          km/km²
park_green_per_capita          area of the union of green spaces in the unit /  m²/person
                               population (economy table)
park_service_share_buffer      residential area within ``d`` (500 m) of a green 0–1
                               space (straight line) / residential area
park_service_share_network     residential area whose nearest road node lies    0–1
                               within ``d`` walking distance of a green space's
                               entrance nodes / residential area
=============================  ===============================================  =========

Residential polygons count by their area in the unit (a polygon split by a
unit boundary counts in both units by its parts); residential points by
their weight (1 each unless a weight column is named). In the network
variant a polygon is served or not as a whole, by its centroid's nearest
road node.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from ecozone.errors import InputError
from ecozone.green.network import RoadGraph, entrances, nearest_nodes, walking_distance

_GEOD = None


def _geod():
    global _GEOD
    if _GEOD is None:
        from pyproj import Geod

        _GEOD = Geod(ellps="WGS84")
    return _GEOD


def _arr(geoms) -> np.ndarray:
    a = np.asarray(getattr(geoms, "values", geoms), dtype=object)
    return a if a.ndim == 1 else a.ravel()


def dissolve(geoms) -> np.ndarray:
    """The union of ``geoms`` as an array of its single parts (overlaps counted once)."""
    g = _arr(geoms)
    g = g[~(shapely.is_missing(g) | shapely.is_empty(g))] if len(g) else g
    if not len(g):
        return np.empty(0, object)
    return shapely.get_parts(shapely.union_all(g))


def pieces(units, geoms) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every non-empty intersection of a unit with a geometry.

    Parameters
    ----------
    units, geoms : array_like of shapely geometries (one CRS)

    Returns
    -------
    (unit_index, geom_index, piece) : three arrays, one entry per intersecting pair.
    """
    u, g = _arr(units), _arr(geoms)
    if not len(u) or not len(g):
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, object)
    tree = shapely.STRtree(g)
    ui, gi = tree.query(u, predicate="intersects")
    inside = shapely.covers(u[ui], g[gi])
    piece = np.where(inside, g[gi], None).astype(object)
    cut = ~inside
    if cut.any():
        piece[cut] = shapely.intersection(u[ui[cut]], g[gi[cut]])
    keep = ~shapely.is_empty(piece)
    return ui[keep].astype(np.int64), gi[keep].astype(np.int64), piece[keep]


def area_by_unit(units, polygons) -> np.ndarray:
    """Area (m²) of the union of ``polygons`` inside each unit."""
    u = _arr(units)
    ui, _, p = pieces(u, dissolve(polygons))
    return np.bincount(ui, weights=shapely.area(p), minlength=len(u)) if len(ui) else np.zeros(len(u))


def geodesic_length_m(geoms, crs) -> np.ndarray:
    """Geodesic length (m, WGS 84 ellipsoid) of each line geometry given in ``crs``."""
    from pyproj import Transformer

    g = _arr(geoms)
    if not len(g):
        return np.zeros(0)
    parts, owner = shapely.get_parts(g, return_index=True)
    coords, idx = shapely.get_coordinates(parts, return_index=True)
    if not len(coords):
        return np.zeros(len(g))
    tr = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lon, lat = tr.transform(coords[:, 0], coords[:, 1])
    lon, lat = np.asarray(lon), np.asarray(lat)
    seg = np.flatnonzero(idx[1:] == idx[:-1])
    _, _, dist = _geod().inv(lon[seg], lat[seg], lon[seg + 1], lat[seg + 1])
    per_part = np.bincount(idx[seg], weights=np.asarray(dist), minlength=len(parts))
    return np.bincount(owner, weights=per_part, minlength=len(g))


def length_by_unit(units, lines, crs) -> np.ndarray:
    """Geodesic length (km) of the union of ``lines`` inside each unit (overlapping lines counted once)."""
    u = _arr(units)
    ui, _, p = pieces(u, dissolve(lines))
    if not len(ui):
        return np.zeros(len(u))
    return np.bincount(ui, weights=geodesic_length_m(p, crs), minlength=len(u)) / 1e3


def point_unit(units, points) -> np.ndarray:
    """Index of the unit holding each point (−1 for none; the first unit on a shared border)."""
    u, pts = _arr(units), _arr(points)
    out = np.full(len(pts), -1, np.int64)
    if not len(u) or not len(pts):
        return out
    pi, ui = shapely.STRtree(u).query(pts, predicate="intersects")
    order = np.lexsort((ui, pi))
    pi, ui = pi[order], ui[order]
    first = np.ones(len(pi), bool)
    first[1:] = pi[1:] != pi[:-1]
    out[pi[first]] = ui[first]
    return out


def _residential_kind(residential) -> str:
    r = _arr(residential)
    tid = shapely.get_type_id(r)
    poly = np.isin(tid, (3, 6))
    pt = np.isin(tid, (0, 4))
    if poly.all():
        return "polygon"
    if pt.all():
        return "point"
    raise InputError(
        f"the residential layer mixes {int(poly.sum())} polygon(s) and {int(pt.sum())} point(s)",
        where="[layers] residential",
        fix="give residential areas either as polygons (weighted by area) or as points (weighted by a column)",
    )


def residential_pieces(units, residential, weights=None) -> pd.DataFrame:
    """The residential features split by the units, with their weights.

    Parameters
    ----------
    units : array_like of polygons
    residential : array_like of polygons or of points
    weights : array_like of float, optional
        Weight of each point (default 1); polygons are weighted by area (m²).

    Returns
    -------
    pandas.DataFrame
        ``unit`` (index into ``units``), ``feature`` (index into
        ``residential``), ``weight`` (m² of the polygon's part in the unit,
        or the point's weight), ``geometry`` (the part / the point).
    """
    u, r = _arr(units), _arr(residential)
    if not len(r):
        return pd.DataFrame({"unit": [], "feature": [], "weight": [], "geometry": []})
    if _residential_kind(r) == "polygon":
        ui, fi, p = pieces(u, r)
        return pd.DataFrame({"unit": ui, "feature": fi, "weight": shapely.area(p), "geometry": p})
    w = np.ones(len(r)) if weights is None else np.asarray(weights, dtype=float)
    ui = point_unit(u, r)
    keep = ui >= 0
    return pd.DataFrame({"unit": ui[keep], "feature": np.flatnonzero(keep), "weight": w[keep],
                         "geometry": r[keep]})


def served_by_buffer(parts: pd.DataFrame, green, distance_m: float) -> np.ndarray:
    """Weight of each residential part within ``distance_m`` (straight line) of a green space.

    Polygon parts count by the area of their intersection with the union of
    the green spaces' buffers; points count whole when within the distance.
    """
    g = dissolve(green)
    if not len(parts) or not len(g):
        return np.zeros(len(parts))
    geom = parts["geometry"].to_numpy(dtype=object)
    if np.isin(shapely.get_type_id(geom), (0, 4)).all():
        tree = shapely.STRtree(g)
        hit = np.unique(tree.query(geom, predicate="dwithin", distance=distance_m)[0])
        out = np.zeros(len(parts))
        out[hit] = parts["weight"].to_numpy(dtype=float)[hit]
        return out
    zone = dissolve(shapely.buffer(g, distance_m, quad_segs=16))
    pi, _, p = pieces(geom, zone)
    return np.bincount(pi, weights=shapely.area(p), minlength=len(parts)) if len(pi) else np.zeros(len(parts))


def served_by_network(parts: pd.DataFrame, residential, graph: RoadGraph, green, distance_m: float,
                      node_distance_m: float) -> np.ndarray:
    """Weight of each residential part whose feature is within ``distance_m`` walking distance of a green space.

    The walk runs on ``graph`` from the entrance nodes (within
    ``node_distance_m`` of a green space, METHODS: 50 m) to the node nearest
    the feature's centroid (a point: itself); a feature is served when that
    distance is at most ``distance_m``, and then all its parts count.
    """
    r = _arr(residential)
    if not len(parts) or not len(r):
        return np.zeros(len(parts))
    g = _arr(green)
    src = entrances(graph, g, node_distance_m)
    dist = walking_distance(graph, src, limit=distance_m)
    feats = np.unique(parts["feature"].to_numpy())
    near = nearest_nodes(graph, shapely.centroid(r[feats]))
    served_feat = np.zeros(len(r), bool)
    served_feat[feats] = dist[near] <= distance_m
    f = parts["feature"].to_numpy()
    return np.where(served_feat[f], parts["weight"].to_numpy(dtype=float), 0.0)


def aggregate(finest: pd.DataFrame, membership: pd.Series) -> pd.DataFrame:
    """Sums of the finest units (index: finest unit id) summed into the units of an upper level.

    ``membership``: finest unit id → upper unit id (``""`` = none). Returns
    the sums indexed by upper unit id (units without a member absent).
    """
    up = membership.reindex(finest.index)
    keep = up.notna() & (up != "")
    return finest[keep.to_numpy()].groupby(up[keep].to_numpy()).sum(min_count=1)


def cascade_population(economy: pd.DataFrame | None, units) -> dict[str, pd.Series]:
    """Population (persons) per level, unit and year from the economy table (METHODS §0.2).

    A unit's population is the value given for it, or else the sum of its
    members' values at the level it nests in when every member has one
    (never a partial sum). Returns ``{level: Series indexed by (unit_id, year)}``.
    """
    levels = list(units.levels)
    empty = pd.Series(dtype=float, index=pd.MultiIndex.from_arrays([[], []], names=["unit_id", "year"]))
    if economy is None or "population" not in economy.columns:
        return {lv: empty for lv in levels}
    e = economy[["unit_id", "year", "population"]].dropna(subset=["population"]).copy()
    e["unit_id"] = e["unit_id"].astype(str)
    e["year"] = e["year"].astype(int)
    order = {lv: i for i, lv in enumerate(levels)}
    fr = units.frame[["unit_id", "level"]].assign(o=units.frame["level"].map(order))
    lowest = fr.sort_values("o", kind="stable").drop_duplicates("unit_id").set_index("unit_id")["level"]
    e["level"] = e["unit_id"].map(lowest)
    out: dict[str, pd.Series] = {}
    for lv in levels:
        direct = e[e["level"] == lv].groupby(["unit_id", "year"])["population"].sum()
        if lv == units.finest_level:
            out[lv] = direct.astype(float)
            continue
        child = units.parents.get(lv, levels[order[lv] - 1])
        m = units.members(child, lv)
        m = m[m != ""]
        c = out[child].reset_index()
        c["up"] = c["unit_id"].map(m)
        c = c[c["up"].notna()]
        summed = empty
        if len(c):
            g = c.groupby(["up", "year"])["population"]
            s, n = g.sum(), g.count()
            need = m.value_counts().reindex(s.index.get_level_values(0)).to_numpy()
            summed = s[n.to_numpy() >= need]
            summed.index.names = ["unit_id", "year"]
        out[lv] = direct.combine_first(summed).astype(float) if len(direct) else summed.astype(float)
    return out


def indicator_frame(sums: pd.DataFrame) -> pd.DataFrame:
    """The indicators of METHODS §4.6 from the sums of one level and year.

    Parameters
    ----------
    sums : pandas.DataFrame
        Columns (any may be missing or NaN = input not given): ``area_km2``
        (unit area), ``lc_km2`` (land-cover area with data), ``forest_km2``,
        ``redline_km2``, ``greenway_km``, ``green_space_m2``, ``population``
        (persons), ``res_total``, ``res_served_buffer``, ``res_served_network``
        (residential weights).

    Returns
    -------
    pandas.DataFrame
        ``forest_coverage`` (0–1), ``redline_share`` (0–1), ``greenway_km``
        (km), ``greenway_density`` (km/km²), ``park_green_per_capita``
        (m²/person), ``park_service_share_buffer`` and
        ``park_service_share_network`` (0–1); NaN where a denominator is 0 or
        missing (no land cover, no population, no residential area).
    """
    def col(name):
        return pd.to_numeric(sums[name], errors="coerce") if name in sums.columns else pd.Series(
            np.nan, index=sums.index)

    def ratio(a, b):
        a, b = col(a) if isinstance(a, str) else a, col(b) if isinstance(b, str) else b
        return (a / b.where(b > 0)).astype(float)

    out = pd.DataFrame(index=sums.index)
    out["forest_coverage"] = ratio("forest_km2", "lc_km2")
    out["redline_share"] = ratio("redline_km2", "area_km2")
    out["greenway_km"] = col("greenway_km").astype(float)
    out["greenway_density"] = ratio("greenway_km", "area_km2")
    out["park_green_per_capita"] = ratio("green_space_m2", "population")
    out["park_service_share_buffer"] = ratio("res_served_buffer", "res_total")
    out["park_service_share_network"] = ratio("res_served_network", "res_total")
    return out


def ranks(values: pd.DataFrame, columns, by) -> pd.DataFrame:
    """Rank (1 = highest) of each column within the groups ``by``; ties share the best rank, NaN unranked."""
    cols = list(columns)
    r = values[cols].apply(pd.to_numeric, errors="coerce").groupby(by).rank(ascending=False, method="min")
    return r.rename(columns=lambda c: f"rank_{c}").astype("Int64")


__all__ = [
    "aggregate",
    "area_by_unit",
    "cascade_population",
    "dissolve",
    "geodesic_length_m",
    "indicator_frame",
    "length_by_unit",
    "pieces",
    "point_unit",
    "ranks",
    "residential_pieces",
    "served_by_buffer",
    "served_by_network",
]
