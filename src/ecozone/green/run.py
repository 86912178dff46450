"""The green analysis wired to the inputs (METHODS §4.5–§4.7).

For every study year: stream the land cover (``landcover_fine`` where it
covers a unit, ``landcover`` elsewhere) through the FRAGSTATS accumulators
of every level (:mod:`ecozone.green.metrics`); overlay the vector layers
(red lines, greenways, green spaces, residential areas, roads) with the
finest units once, carry the sums up the hierarchy, divide by the units'
areas and the economy table's population, test the indicators against the
standards table and rank every unit among the units of its level.

Tables written:

- ``landscape``: ``level, unit_id, year, class, class_name``, the land
  cover used (``source``, ``cellsize_m``, ``coverage``) and the FRAGSTATS
  metrics; one row per class present in the unit and one landscape-level
  row (``class`` empty);
- ``green_infrastructure``: one row per ``level, unit_id, year``: the
  indicators of METHODS §4.6 with the sums behind them, ``pass_<indicator>``,
  ``n_pass`` / ``n_assessed`` and ``rank_<indicator>``; the share of the
  unit inside the extent of the vector layers (``layer_coverage``) and
  whether the layer-based indicators were assessed there
  (``in_layer_extent``): a unit outside the extent (``[green] extent``,
  ``extent_min_coverage``) gets empty layer-based indicators, not 0;
- ``green_standards``: the standards the indicators were tested against
  (the shipped table or ``[green] standards``), thresholds in the
  indicators' units.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecozone.analysis import AnalysisResult, Inputs
from ecozone.errors import InputError
from ecozone.green import indicators as ind
from ecozone.green.metrics import METRIC_COLUMNS, cellsize_m, landscape_by_units, stripe_rows_for
from ecozone.green.network import road_graph
from ecozone.green.params import GreenParams
from ecozone.green.standards import INDICATORS, assess, load_standards
from ecozone.grid import Grid
from ecozone.inputs import rasters as rinputs
from ecozone.landcover import NODATA_TYPE, codes_of, load_classes

SOURCES = ("landcover_fine", "landcover")
#: the vector layers of the analysis; every indicator but forest_coverage reads one of them
LAYERS = ("red_lines", "green_space", "greenways", "residential", "roads")
#: the sums read from the layers: empty in the units outside the layers' extent
LAYER_SUMS = ("redline_km2", "greenway_km", "green_space_m2", "res_total", "res_served_buffer",
              "res_served_network")
#: the indicators built from the layers (empty outside their extent)
LAYER_INDICATORS = tuple(i for i in INDICATORS if i != "forest_coverage")
OUTSIDE = "outside the extent of the green-infrastructure layers"
#: a feature reaches a unit when it lies more than this (m) inside the unit's boundary
REACH_M = 10.0


def run(inp: Inputs, rep) -> AnalysisResult:
    """Run the green analysis on a study's inputs; return the tables ``landscape`` and ``green_infrastructure``."""
    st = inp.study
    p: GreenParams = st.green
    notes: list[str] = []
    classes = load_classes(st.landcover.classes)
    standards = load_standards(st.resolve(p.standards) if p.standards is not None else None)
    landscape, lc = _landscape(inp, p, classes, rep, notes)
    with rep.step("green: red lines, greenways, green spaces, residential service"):
        sums = _layer_sums(inp, p, notes)
    gi = _green_table(inp, p, sums, lc, standards, notes)
    return AnalysisResult(tables={"landscape": landscape, "green_infrastructure": gi,
                                  "green_standards": standards}, notes=notes)


# -- landscape metrics -----------------------------------------------------------------------


def _landscape(inp: Inputs, p: GreenParams, classes: pd.DataFrame, rep, notes: list[str]):
    """The table ``landscape`` and per (level, unit_id, year) the land-cover and forest areas (km²)."""
    st, rs, units = inp.study, inp.rasters, inp.units
    names = dict(zip(classes["code"].astype(int), classes["name"], strict=True))
    nodata_classes = [int(c) for c in classes.loc[classes["vegetation_type"] == NODATA_TYPE, "code"]]
    forest = set(codes_of(classes, p.forest_groups))
    areas = units.frame.set_index(["level", "unit_id"])["area_km2"]
    sources = [s for s in SOURCES if rs.paths.get(s)]
    frames, lcs, unknown, said = [], [], set(), set()
    cache: dict = {}  # units per level in a raster's CRS
    for y in st.study.years:
        per_source = {}
        for var in sources:
            got = _one_pass(inp, p, var, y, nodata_classes, rep, notes, said, cache)
            if got is not None:
                per_source[var] = got
        table, lc = _choose(per_source, areas, p.fine_min_coverage, forest, y)
        if len(table):
            frames.append(table)
            lcs.append(lc)
            unknown |= {int(c) for c in table["class"].dropna().unique() if int(c) not in names}
    if not frames:
        raise InputError(
            "the land cover has no cell with data inside any unit",
            where=", ".join(str(rs.paths[s][min(rs.paths[s])]) for s in sources),
            fix="check the land cover's extent and CRS against the units, and its nodata value",
        )
    out = pd.concat(frames, ignore_index=True)
    out["class_name"] = [names.get(int(c), "") if pd.notna(c) else None for c in out["class"]]
    if unknown:
        notes.append(f"green: land-cover code(s) {sorted(unknown)} are not in the class table "
                     f"'{st.landcover.classes}'; their class_name is empty")
    cols = ["level", "unit_id", "year", "class", "class_name", "source", "cellsize_m", "coverage",
            *METRIC_COLUMNS]
    out = out[cols].sort_values(["level", "unit_id", "year", "class"], na_position="first", kind="stable")
    order = {lv: i for i, lv in enumerate(units.levels)}
    out = out.sort_values("level", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
    return out, pd.concat(lcs, ignore_index=True)


def _one_pass(inp, p, var, year, nodata_classes, rep, notes, said, cache):
    """Metrics of every level's units from one land-cover raster of one year (None: no unit has a cell)."""
    st, rs, units = inp.study, inp.rasters, inp.units
    grid = Grid.from_path(rs.paths[var][(year, 0)]) if var in rinputs.OWN_GRID else rs.grid
    rows = stripe_rows_for(grid.width, p.stripe_cells)
    da = rinputs.open_classes(st, rs, var, year, rows=rows)
    size, why = cellsize_m(grid)
    if why and (var, why) not in said:
        said.add((var, why))
        notes.append(f"green: {var}: {why}")
    nodata = [int(da.attrs["nodata"])] if da.attrs.get("nodata") is not None else []
    nodata += [c for c in nodata_classes if c not in nodata]
    key = grid.crs.to_wkt()
    if key not in cache:
        frames = {lv: units.of_level(lv) for lv in units.levels}
        cache[key] = ({lv: f.to_crs(grid.crs).geometry.to_numpy() for lv, f in frames.items()},
                      {lv: f["unit_id"].to_numpy() for lv, f in frames.items()})
    geoms, ids = cache[key]

    def read(r0: int, r1: int) -> np.ndarray:
        return np.asarray(da.isel(y=slice(r0, r1)).values)

    with rep.step(f"green: landscape metrics {year} ({var})", total=grid.height) as s:
        res = landscape_by_units(read, grid.shape, grid.transform, geoms, size, nodata=nodata,
                                 stripe_rows=rows, progress=s.advance)
    out = {}
    for lv, (cm, lm) in res.items():
        if not len(lm):
            continue
        out[lv] = (cm, lm, ids[lv], size)
    return out or None


def _choose(per_source: dict, areas: pd.Series, min_cov: float, forest: set[int], year: int):
    """Per unit, the source of its metrics: landcover_fine where it covers ≥ ``min_cov`` of the unit."""
    chosen: dict[tuple[str, str], str] = {}
    for fine in (False, True):  # coarse first; the fine land cover wins where it covers the unit
        for var, levels in per_source.items():
            if (var == "landcover_fine") != fine:
                continue
            for lv, (_cm, lm, ids, _size) in levels.items():
                uid = ids[lm.index.to_numpy()]
                area = areas.reindex(pd.MultiIndex.from_arrays([[lv] * len(uid), uid])).to_numpy()
                cov = lm["TA"].to_numpy() / 100.0 / np.where(area > 0, area, np.nan)
                for u, cv in zip(uid, cov, strict=True):
                    if not fine or cv >= min_cov or (lv, u) not in chosen:
                        chosen[(lv, u)] = var
    tables, lcs = [], []
    for var, levels in per_source.items():
        for lv, (cm, lm, ids, size) in levels.items():
            keep_z = np.array([chosen.get((lv, ids[z])) == var for z in lm.index], bool)
            lm = lm[keep_z]
            zones = set(lm.index)
            cm = cm[cm.index.get_level_values("zone").isin(zones)]
            if not len(lm):
                continue
            uid = ids[lm.index.to_numpy()]
            area = areas.reindex(pd.MultiIndex.from_arrays([[lv] * len(uid), uid])).to_numpy()
            cov = pd.Series(np.where(area > 0, lm["TA"].to_numpy() / 100.0 / area, np.nan), index=lm.index)
            land = lm.rename(columns=str.lower).reset_index()
            land["class"] = pd.NA
            cls = cm.rename(columns=str.lower).reset_index()
            both = pd.concat([land, cls], ignore_index=True)
            both["shdi"] = both["shdi"] + 0.0  # no negative zero (−Σ p ln p of one class)
            both["unit_id"] = ids[both["zone"].to_numpy()]
            both["coverage"] = cov.reindex(both["zone"]).to_numpy()
            both["level"], both["year"], both["source"], both["cellsize_m"] = lv, year, var, size
            tables.append(both.drop(columns="zone"))
            fz = cm[cm.index.get_level_values("class").isin(list(forest))]
            fkm = (fz["CA"] / 100.0).groupby(level="zone").sum().reindex(lm.index, fill_value=0.0)
            lcs.append(pd.DataFrame({"level": lv, "unit_id": uid, "year": year, "landcover_source": var,
                                     "lc_km2": lm["TA"].to_numpy() / 100.0, "forest_km2": fkm.to_numpy()}))
    if not tables:
        return pd.DataFrame(), pd.DataFrame()
    return pd.concat(tables, ignore_index=True), pd.concat(lcs, ignore_index=True)


# -- vector layers ---------------------------------------------------------------------------


def _layer_sums(inp: Inputs, p: GreenParams, notes: list[str]) -> pd.DataFrame:
    """Sums of the vector layers per finest unit (index: finest unit id); columns absent for layers not given."""
    units, crs = inp.units, inp.study.study.area_crs
    fin = units.of_level(units.finest_level).to_crs(crs)
    ug = fin.geometry.to_numpy()
    out = pd.DataFrame(index=pd.Index(fin["unit_id"].to_numpy(), name="unit_id"))
    layers = inp.layers

    given = {name: layers[name].to_crs(crs).geometry.to_numpy() for name in LAYERS if name in layers}

    def geoms(name):
        return given[name]

    if given:
        ext = layer_extent(inp, p, given)
        if ext is not None:
            out["extent_km2"] = ind.area_by_unit(ug, [ext]) / 1e6
            out["layer_features"] = features_by_unit(ug, given.values())
    if "red_lines" in layers:
        out["redline_km2"] = ind.area_by_unit(ug, geoms("red_lines")) / 1e6
    if "greenways" in layers:
        out["greenway_km"] = ind.length_by_unit(ug, geoms("greenways"), crs)
    green = serving = None
    if "green_space" in layers:
        green = geoms("green_space")
        out["green_space_m2"] = ind.area_by_unit(ug, green)
        big = np.asarray([g.area for g in green]) >= p.min_green_space_m2
        serving = green[big]
        if not big.all():
            notes.append(f"green: {int((~big).sum())} green space(s) smaller than {p.min_green_space_m2:g} m² "
                         "do not serve residents ([green] min_green_space_m2)")
    if "residential" in layers:
        res_layer = layers["residential"]
        res = geoms("residential")
        weights = _weights(inp, res_layer, p.residential_weight)
        parts = ind.residential_pieces(ug, res, weights)
        u = parts["unit"].to_numpy()
        w = parts["weight"].to_numpy(dtype=float)
        out["res_total"] = np.bincount(u, weights=w, minlength=len(ug))
        if serving is not None:
            sb = ind.served_by_buffer(parts, serving, p.service_distance_m)
            out["res_served_buffer"] = np.bincount(u, weights=sb, minlength=len(ug))
            if "roads" in layers:
                graph = road_graph(geoms("roads"), noding=p.road_noding, snap_m=p.snap_m)
                sn = ind.served_by_network(parts, res, graph, serving, p.service_distance_m,
                                           p.park_node_distance_m)
                out["res_served_network"] = np.bincount(u, weights=sn, minlength=len(ug))
                notes.append(f"green: road graph of {graph.n_nodes:,} nodes and {graph.n_edges:,} edges "
                             f"({p.road_noding}); walking distance ≤ {p.service_distance_m:g} m from the nodes "
                             f"within {p.park_node_distance_m:g} m of a green space")
                n_parts, off = graph.components()
                if n_parts > 1:
                    notes.append(f"green: the road network falls into {n_parts:,} unconnected parts ({off:.0%} of "
                                 "its nodes outside the largest): residences on a part without a green space "
                                 "count as not served on foot; join the roads (or raise [green] snap_m) if they "
                                 "do connect on the ground")
    return out


def layer_extent(inp: Inputs, p: GreenParams, given: dict[str, np.ndarray]):
    """The area where the layers are complete (``[green] extent``), in the area CRS; None for ``"study"``.

    ``"layers"``: the union of each layer's bounding box; ``"hull"``: the
    convex hull of all their features; a path: the union of that polygon
    layer's features.
    """
    import shapely

    if p.extent == "study":
        return None
    if p.extent == "layers":
        boxes = [shapely.box(*shapely.total_bounds(g)) for g in given.values() if len(g)]
        return shapely.union_all(boxes) if boxes else shapely.Polygon()
    if p.extent == "hull":
        pts = np.concatenate([shapely.get_coordinates(g) for g in given.values()])
        return shapely.multipoints(pts).convex_hull if len(pts) else shapely.Polygon()
    return _extent_layer(inp, p)


def _extent_layer(inp: Inputs, p: GreenParams):
    from ecozone.inputs.layers import load_layer

    path = inp.study.resolve(p.extent)
    where = f"{path} ([green] extent)"
    if not path.exists():
        raise InputError("file not found", where=where,
                         fix='correct [green] extent: a polygon layer of the area the green layers cover, '
                         '"layers" (their bounding boxes), "hull" or "study" (complete everywhere)')
    try:
        lay = load_layer(path, "extent", ("polygon",))
    except InputError as e:
        raise InputError(e.what, where=where,
                         fix=(e.fix or "").replace("[layers] extent", "[green] extent")) from None
    return lay.to_crs(inp.study.study.area_crs).geometry.union_all()


def features_by_unit(units, layers, inset_m: float = REACH_M) -> np.ndarray:
    """Number of features of ``layers`` (arrays of geometries) reaching more than ``inset_m`` into each unit.

    A feature that only touches a unit's boundary, or overlaps it by a sliver
    of digitising or reprojection (the park next door), does not count.
    """
    import shapely

    u = np.asarray(units, dtype=object)
    n = np.zeros(len(u))
    if not len(u):
        return n
    core = shapely.buffer(u, -inset_m) if inset_m > 0 else u
    for g in layers:
        g = np.asarray(g, dtype=object)
        if len(g):
            ui, _ = shapely.STRtree(g).query(core, predicate="intersects")
            n += np.bincount(ui, minlength=len(u))
    return n


def _weights(inp: Inputs, layer, column: str | None):
    if column is None:
        return None
    where = f"{inp.study.resolve(inp.study.layers.spec('residential').path)} ([layers] residential)"
    if column not in layer.columns:
        cols = [c for c in layer.columns if c != layer.geometry.name]
        raise InputError(f"the residential layer has no column '{column}'; columns are: {', '.join(cols)}",
                         where=where, fix="correct [green] residential_weight or add the column")
    w = pd.to_numeric(layer[column], errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if len(bad):
        raise InputError(f"column '{column}' holds {len(bad)} value(s) that are not numbers ≥ 0 "
                         f"(first at feature {int(bad[0]) + 1}: {layer[column].iloc[bad[0]]!r})",
                         where=where, fix="give every residential point a weight ≥ 0")
    return w


# -- the indicator table ---------------------------------------------------------------------


def _green_table(inp: Inputs, p: GreenParams, sums: pd.DataFrame, lc: pd.DataFrame, standards: pd.DataFrame,
                 notes: list[str]) -> pd.DataFrame:
    units = inp.units
    years = inp.study.study.years
    pop = ind.cascade_population(inp.tables.get("economy"), units)
    frames = []
    for lv in units.levels:
        lvu = units.of_level(lv)[["unit_id", "area_km2"]]
        static = sums if lv == units.finest_level else ind.aggregate(sums, units.membership(lv))
        static = static.reindex(lvu["unit_id"].to_numpy())
        for y in years:
            f = lvu.copy()
            f.insert(0, "level", lv)
            f.insert(2, "year", int(y))
            for c in static.columns:
                f[c] = static[c].to_numpy()
            f["population"] = pop[lv].reindex(pd.MultiIndex.from_arrays(
                [f["unit_id"].to_numpy(), np.full(len(f), int(y))])).to_numpy() if len(pop[lv]) else np.nan
            frames.append(f)
    t = pd.concat(frames, ignore_index=True)
    t = t.merge(lc, on=["level", "unit_id", "year"], how="left") if len(lc) else t.assign(
        landcover_source=None, lc_km2=np.nan, forest_km2=np.nan)
    _apply_extent(inp, p, t, notes)
    t = pd.concat([t, ind.indicator_frame(t)], axis=1)
    t = t.loc[:, ~t.columns.duplicated(keep="last")]
    t["greenway_km"] = t["greenway_km"] if "greenway_km" in t.columns else np.nan
    passed = assess(t, standards)
    t = pd.concat([t, passed], axis=1)
    t["n_assessed"] = passed.notna().sum(axis=1).astype("Int64")
    t["n_pass"] = passed.fillna(False).astype(bool).sum(axis=1).astype("Int64")
    t = pd.concat([t, ind.ranks(t, INDICATORS, [t["level"], t["year"]])], axis=1)
    t["green_space_km2"] = t["green_space_m2"] / 1e6 if "green_space_m2" in t.columns else np.nan
    _explain_gaps(inp, t, notes)
    cols = ["level", "unit_id", "year", "area_km2", "landcover_source", "lc_km2", "forest_km2",
            "forest_coverage", "layer_coverage", "in_layer_extent", "redline_km2", "redline_share", "greenway_km",
            "greenway_density",
            "green_space_km2", "population", "park_green_per_capita", "park_service_share_buffer",
            "park_service_share_network", *passed.columns, "n_pass", "n_assessed",
            *[f"rank_{i}" for i in INDICATORS]]
    for c in cols:
        if c not in t.columns:
            t[c] = np.nan
    return t[cols].reset_index(drop=True)


def _apply_extent(inp: Inputs, p: GreenParams, t: pd.DataFrame, notes: list[str]) -> None:
    """``layer_coverage`` and ``in_layer_extent``; the layer sums emptied in the units outside the extent."""
    if not any(name in inp.layers for name in LAYERS):
        t["layer_coverage"], t["in_layer_extent"] = np.nan, pd.NA  # no layer, nothing to assess
        return
    if p.extent == "study":
        t["layer_coverage"], t["in_layer_extent"] = 1.0, True
        return
    area = pd.to_numeric(t["area_km2"], errors="coerce")
    cov = (pd.to_numeric(t["extent_km2"], errors="coerce").fillna(0.0) / area.where(area > 0)).clip(upper=1.0)
    inside = (cov >= p.extent_min_coverage - 1e-9).to_numpy()
    if p.extent in ("layers", "hull"):  # a unit no feature reaches: unmapped or truly empty, who can tell
        inside = inside & (pd.to_numeric(t["layer_features"], errors="coerce").fillna(0.0) > 0).to_numpy()
    t["layer_coverage"], t["in_layer_extent"] = cov.to_numpy(), inside
    out = ~inside
    if not out.any():
        return
    t.loc[out, [c for c in LAYER_SUMS if c in t.columns]] = np.nan
    one_year = (t["year"] == t["year"].min()).to_numpy()  # the extent is the same every year
    levels = [lv for lv in inp.units.levels if (t.loc[one_year, "level"] == lv).any()]
    counts = ", ".join(f"{int((out & one_year & (t['level'] == lv).to_numpy()).sum()):,} of "
                       f"{int((one_year & (t['level'] == lv).to_numpy()).sum()):,} {lv}" for lv in levels)
    share = f"{100 * p.extent_min_coverage:g} %"
    how = {"layers": f"less than {share} of their area inside the union of the layers' bounding boxes, or no "
                     "feature of a layer in them",
           "hull": f"less than {share} of their area inside the convex hull of the layers' features, or no "
                   "feature of a layer in them"}.get(p.extent, f"less than {share} of their area inside "
                                                              f"{inp.study.resolve(p.extent).name}")
    notes.append(f"green: units {OUTSIDE} ([green] extent = \"{p.extent}\"): {counts} ({how}); their "
                 f"layer-based indicators ({', '.join(LAYER_INDICATORS)}) are empty, not 0, and they are not "
                 "ranked on them. Give [green] extent (a polygon layer of the area the layers cover, or "
                 '"study" when they are complete everywhere) or extent_min_coverage to change this')


def _explain_gaps(inp: Inputs, t: pd.DataFrame, notes: list[str]) -> None:
    """A note for every indicator left empty, saying why (never a silent gap)."""
    layers = inp.layers
    n = len(t)
    outside = t["in_layer_extent"].astype("boolean").eq(False).fillna(False).to_numpy(bool)

    def say(col: str, why: str) -> None:
        empty = t[col].isna().to_numpy()
        if col in LAYER_INDICATORS:
            empty = empty & ~outside  # said once, with the extent
        k = int(empty.sum())
        if k:
            notes.append(f"green: {col} is empty in {k:,} of {n:,} rows: {why}")

    say("forest_coverage", "no land-cover cell with data lies in those units")
    say("redline_share", "no [layers] red_lines" if "red_lines" not in layers else "units of zero area")
    say("greenway_km", "no [layers] greenways")
    say("greenway_density", "no [layers] greenways" if "greenways" not in layers else "units of zero area")
    if "green_space" not in layers:
        say("park_green_per_capita", "no [layers] green_space")
    else:
        say("park_green_per_capita", "no population for the unit and year in the economy table"
            if "economy" in inp.tables else "no [tables] economy (population)")
    for col, need in (("park_service_share_buffer", ("residential", "green_space")),
                      ("park_service_share_network", ("residential", "green_space", "roads"))):
        lack = [f"[layers] {x}" for x in need if x not in layers]
        say(col, "no " + ", ".join(lack) if lack else "no residential area or point in those units")


__all__ = ["run"]
