"""The ``parks`` analysis end to end (METHODS §3): inputs in, the five tables and the map layer out.

:func:`run` is the entry point the runner calls (``Analysis.run``); it takes
the validated inputs and hands them to :func:`parks_tables`, which computes,
without any I/O:

- ``parks``: one row per park, placed (polygon of ``[layers] parks``, else
  its lon/lat point) and joined to the finest unit containing it
  (:func:`~ecozone.parks.location.location_check`), its distance to the
  rivers, its energy units and whether it has a wastewater plant;
- ``parks_year``: the §3.2 indicators per park and year, GDI and TOPSIS (§3.4);
- ``parks_groups``: per region, level, region × level and province, one
  inventory row (``year`` empty: parks, chemical parks and those within the
  shoreline distance, approved area, energy-unit structure, wastewater
  completion) and one row per year (sums, group productivities, mean GDI and
  how the parks above the year's mean GDI spread);
- ``parks_industries``: pillar-industry frequencies per group (seed 001 Fig. 2);
- ``parks_wwtp``: load and removal rates of every wastewater plant;
- ``parks_map``: the parks as points or polygons (EPSG:4326) with their latest
  GDI; ``parks_rivers``: the river lines used (EPSG:4326), for the map.

Parks that are not placed ``ok`` keep their row (no unit, no distance) and
are listed in the run's notes; nothing is dropped silently.
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ecozone.analysis import AnalysisResult, Inputs
from ecozone.errors import InputError, ParameterError
from ecozone.parks._checks import join_notes, ratio
from ecozone.parks.gdi import gdi_groups, green_development
from ecozone.parks.indicators import INTAKE_SOURCES, LEVELS, REGIONS, park_year_indicators
from ecozone.parks.infrastructure import FUELS, energy_summary, wwtp_completion, wwtp_performance
from ecozone.parks.location import AREA_CRS, location_check
from ecozone.parks.params import ParksParams, read_gdi_table

#: The indicator columns of ``parks_year`` (METHODS §3.2), in order.
INDICATORS = (
    "energy_productivity",
    "water_productivity",
    "cod_intensity",
    "cod_intensity_change",
    "co2_intensity",
    *(f"intake_share_{s}" for s in INTAKE_SOURCES),
)
#: Groupings of ``parks_groups`` (METHODS §3.5) and their grouping columns.
GROUPINGS = {"region": ("region",), "level": ("level",), "region_level": ("region", "level"),
             "province": ("province",)}
#: Groupings of ``parks_industries`` (seed 001 Fig. 2: all parks, by level; here also by region).
INDUSTRY_GROUPINGS = {"all": (), "region": ("region",), "level": ("level",), "region_level": ("region", "level")}
INDUSTRY_SEPARATORS = r"[;；、]"
#: Notes listing parks one by one stop after this many (the rest are counted).
MAX_LISTED = 20

PARKS_COLUMNS = ["park_id", "name", "level", "region", "province", "unit_id", "location_check", "dist_river_m",
                 "within_1km", "is_chemical", "n_energy_units", "capacity_mw", "has_wwtp", "city",
                 "approved_area_km2", "pillar_industries", "lon", "lat", "located_by", "note"]
YEAR_COLUMNS = ["park_id", "year", *INDICATORS, "gdi", "gdi_n", "topsis", "topsis_rank", "note"]
GROUP_KEYS = ["grouping", "region", "level", "province", "year"]
GROUP_COLUMNS = [
    *GROUP_KEYS, "n_parks", "n_chemical", "n_chemical_within_1km", "approved_area_km2", "value_added",
    "energy_tce", "fresh_water_m3", "energy_productivity", "water_productivity", "cod_intensity", "gdi_mean",
    "share_above_mean", "share_of_above_mean", "capacity_mw", "share_capacity_small", "share_capacity_large",
    "share_capacity_coal", "efficiency_weighted", "wwtp_completion",
    # the rest of METHODS §3.3 per group
    "n_energy_units", "share_capacity_medium", "share_units_small", "share_units_medium", "share_units_large",
    *(f"share_capacity_{f}" for f in FUELS if f != "coal"), "efficiency_mean", "share_capacity_below_reference",
    "n_parks_wwtp", "monitoring_completion",
]
INDUSTRY_COLUMNS = ["grouping", "region", "level", "industry", "n_parks", "rank"]
WWTP_COLUMNS = ["wwtp_id", "park_id", "load_rate", "cod_removal", "nh3n_removal", "online_monitoring", "note"]
MAP_COLUMNS = ["park_id", "name", "level", "region", "province", "unit_id", "location_check", "dist_river_m",
               "within_1km", "is_chemical", "gdi", "gdi_year"]


# --------------------------------------------------------------------------- entry point


def run(inp: Inputs, rep) -> AnalysisResult:
    """The ``parks`` analysis on validated inputs (:class:`ecozone.analysis.Inputs`).

    Parameters
    ----------
    inp : Inputs
        ``tables["parks"]`` and, when given, ``tables["park_year"]``,
        ``tables["energy_units"]``, ``tables["wwtp"]`` (read with the schemas of
        :mod:`ecozone.parks.inputs`); ``layers["rivers"]`` (lines) and
        ``layers["parks"]`` (park polygons with ``park_id``) when given; the units.
    rep : SilentReporter
        Progress reporter.

    Returns
    -------
    AnalysisResult
        Tables ``parks``, ``parks_year``, ``parks_groups``, ``parks_industries``,
        ``parks_wwtp``, ``parks_map`` and ``parks_rivers`` (see :func:`parks_tables`)
        and the run's notes.
    """
    st = inp.study
    params: ParksParams = st.parks
    sources = {name: str(st.resolve(st.tables.spec(name).path)) for name in inp.tables
               if name in ("parks", "park_year", "energy_units", "wwtp")}
    for name in ("rivers", "parks"):
        if name in inp.layers:
            sources[f"layer:{name}"] = f"{st.resolve(st.layers.spec(name).path)} ([layers] {name})"
    gdi_path = st.resolve(params.gdi_table) if params.gdi_table else None
    with rep.step("parks: location, indicators, GDI, groups"):
        tables, notes = parks_tables(
            inp.tables["parks"],
            units=_finest_units(inp),
            park_year=inp.tables.get("park_year"),
            energy_units=inp.tables.get("energy_units"),
            wwtp=inp.tables.get("wwtp"),
            rivers=inp.layers.get("rivers"),
            polygons=inp.layers.get("parks"),
            params=params,
            gdi_table=read_gdi_table(gdi_path),
            area_crs=st.study.area_crs,
            sources=sources,
        )
    return AnalysisResult(tables=tables, notes=[f"parks: {n}" for n in notes])


def _finest_units(inp: Inputs) -> gpd.GeoDataFrame:
    """The finest units with the name of their province (when the study has a level ``province``)."""
    u = inp.units
    f = u.finest[["unit_id", "geometry"]].copy()
    if "province" in u.levels:
        names = u.of_level("province").set_index("unit_id")["name"]
        f["province"] = u.finest["province"].map(names).to_numpy()
    return gpd.GeoDataFrame(f, geometry="geometry", crs=u.finest.crs)


# --------------------------------------------------------------------------- the tables


def parks_tables(
    parks: pd.DataFrame,
    *,
    units: gpd.GeoDataFrame,
    park_year: pd.DataFrame | None = None,
    energy_units: pd.DataFrame | None = None,
    wwtp: pd.DataFrame | None = None,
    rivers: gpd.GeoDataFrame | None = None,
    polygons: gpd.GeoDataFrame | None = None,
    params: ParksParams | None = None,
    gdi_table: pd.DataFrame | None = None,
    area_crs: str = AREA_CRS,
    sources: dict[str, str] | None = None,
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """Every output table of the parks analysis (METHODS §3.5), from validated tables.

    Parameters
    ----------
    parks : DataFrame
        One row per park (``ecozone.parks.inputs.PARKS``): ``park_id, name, level,
        region, province`` and optionally ``city, is_chemical, pillar_industries``,
        ``approved_area_km2`` (km²), ``lon, lat`` (WGS 84 degrees).
    units : GeoDataFrame
        The finest units: ``unit_id``, geometry with a CRS and, for the province
        check, ``province`` (the province's name).
    park_year : DataFrame, optional
        ``park_id, year, value_added`` (CNY) and any of the §3.0 quantities.
    energy_units : DataFrame, optional
        ``plant_id, park_id, unit_type, fuel, capacity_mw`` (MW), optional ``efficiency`` (0–1).
    wwtp : DataFrame, optional
        ``wwtp_id, park_id, design_m3_per_day, inflow_m3_per_day`` (m³/d), optional
        ``cod_in, cod_out, nh3n_in, nh3n_out`` (mg/L), ``online_monitoring``.
    rivers : GeoDataFrame, optional
        River lines; without them distances stay empty (and are noted).
    polygons : GeoDataFrame, optional
        Park polygons with ``park_id``; they win over the points.
    params : ParksParams, optional
        ``[parks]`` parameters (defaults when None).
    gdi_table : DataFrame, optional
        The GDI indicator table (default: the shipped ``parks_gdi.csv``).
    area_crs : str
        Equal-area CRS of distances and overlaps (metres).
    sources : dict, optional
        Where each input comes from (``"parks"`` → file …), for messages.

    Returns
    -------
    tables : dict of DataFrame
        ``parks``, ``parks_year``, ``parks_groups``, ``parks_industries``,
        ``parks_wwtp`` (columns as in ``ecozone/parks/schema.csv``), ``parks_map``
        and, when rivers are given, ``parks_rivers`` (GeoDataFrames in EPSG:4326).
    notes : list of str
        What the user should know: parks not placed (each listed), values left
        empty and why, inputs absent.

    Raises
    ------
    InputError
        A park_id of park_year, energy_units or wwtp names no park of the parks
        table; the polygon layer has no ``park_id`` column.
    ParameterError
        The GDI table names an indicator that ``parks_year`` does not compute.
    """
    p = params or ParksParams()
    src = sources or {}
    gt = gdi_table if gdi_table is not None else read_gdi_table(None)
    notes: list[str] = []
    parks = parks.reset_index(drop=True)
    ids = set(parks["park_id"])
    for name, df in (("park_year", park_year), ("energy_units", energy_units), ("wwtp", wwtp)):
        if df is not None:
            _known_parks(df, ids, name, src.get(name, f"table '{name}'"), src.get("parks", "the parks table"))
    _check_gdi_indicators(gt, p)

    # §3.1 place every park and join it to its unit
    geoms, located_by, geo_notes = _park_geometries(parks, polygons, src.get("layer:parks", "[layers] parks"))
    notes += geo_notes
    pg = gpd.GeoDataFrame({"park_id": parks["park_id"].to_numpy(), "province": parks["province"].to_numpy()},
                          geometry=geoms, crs="EPSG:4326")
    has_prov = "province" in units.columns
    loc = location_check(pg, units, rivers, unit_province="province" if has_prov else None,
                         area_crs=area_crs, shoreline_m=p.shoreline_m)
    if rivers is None:
        notes.append("no [layers] rivers: dist_river_m and within_1km are empty")
    if not has_prov:
        notes.append("the study has no level named 'province': parks are not checked against their province")
    notes += _not_ok_notes(parks, loc)

    out = parks[["park_id", "name", "level", "region", "province"]].copy()
    out["unit_id"] = loc["unit_id"].to_numpy()
    out["location_check"] = loc["location_check"].to_numpy()
    out["dist_river_m"] = loc["dist_river_m"].to_numpy()
    out["within_1km"] = loc["within_1km"].to_numpy()
    out["is_chemical"] = (parks["is_chemical"].astype("boolean").to_numpy() if "is_chemical" in parks
                          else pd.array([pd.NA] * len(parks), dtype="boolean"))

    # §3.3 energy units and wastewater, per park
    if energy_units is not None and len(energy_units):
        per = energy_units.groupby("park_id")["capacity_mw"].agg(["size", "sum"])  # units without capacity count
        out["n_energy_units"] = out["park_id"].map(per["size"]).fillna(0).astype("Int64")
        out["capacity_mw"] = out["park_id"].map(per["sum"]).fillna(0.0).astype(float)
    else:
        out["n_energy_units"] = pd.array([pd.NA] * len(out), dtype="Int64")
        out["capacity_mw"] = np.nan
        notes.append("no energy_units table: n_energy_units, capacity_mw and the energy structure are empty")
    if wwtp is not None:
        out["has_wwtp"] = pd.array(out["park_id"].isin(set(wwtp["park_id"])).to_numpy(), dtype="boolean")
    else:
        out["has_wwtp"] = pd.array([pd.NA] * len(out), dtype="boolean")
        notes.append("no wwtp table: has_wwtp and the wastewater completion are empty")
    for c in ("city", "approved_area_km2", "pillar_industries"):
        out[c] = parks[c].to_numpy() if c in parks.columns else (np.nan if c == "approved_area_km2" else None)
    rp = shapely.point_on_surface(np.asarray(geoms, dtype=object))
    have = ~shapely.is_missing(rp)
    out["lon"] = np.where(have, shapely.get_x(np.where(have, rp, shapely.Point(0, 0))), np.nan)
    out["lat"] = np.where(have, shapely.get_y(np.where(have, rp, shapely.Point(0, 0))), np.nan)
    out["located_by"] = located_by
    out["note"] = loc["note"].to_numpy()
    out = out[PARKS_COLUMNS]

    # §3.2 / §3.4 per park and year
    years = _parks_year(park_year, gt, p, notes)

    tables = {
        "parks": out,
        "parks_year": years,
        "parks_groups": _groups(out, park_year, years, energy_units, wwtp, p,
                                chem_given="is_chemical" in parks.columns, rivers_given=rivers is not None),
        "parks_industries": _industries(out),
        "parks_wwtp": _wwtp(wwtp),
        "parks_map": _map(out, years, geoms),
    }
    if rivers is not None:
        tables["parks_rivers"] = _rivers(rivers)
    return tables, notes


# --------------------------------------------------------------------------- checks


def _known_parks(df: pd.DataFrame, ids: set, name: str, where: str, parks_where: str) -> None:
    unknown = ~df["park_id"].isin(ids)
    if unknown.any():
        i = int(np.flatnonzero(unknown.to_numpy())[0])
        bad = sorted(set(df.loc[unknown, "park_id"]))
        raise InputError(
            f"row {i + 2}: park_id '{df['park_id'].iloc[i]}' is not in the parks table "
            f"({int(unknown.sum())} row(s) naming {len(bad)} unknown park(s): {', '.join(bad[:8])})",
            where=where,
            fix=f"correct the park_id, add the park to {parks_where}, or remove the rows",
        )


def _check_gdi_indicators(gt: pd.DataFrame, p: ParksParams) -> None:
    unknown = [i for i in gt["indicator"] if i not in INDICATORS]
    if unknown:
        raise ParameterError(
            f"the GDI table names indicator(s) {', '.join(unknown)}, which parks_year does not compute",
            where=f"[parks] gdi_table ({p.gdi_table})" if p.gdi_table else "parks_gdi.csv",
            fix=f"use indicators among: {', '.join(INDICATORS)}",
        )


def _park_geometries(parks: pd.DataFrame, polygons: gpd.GeoDataFrame | None, where: str):
    """Polygon (from the layer) else point (lon, lat) else None, per park; and how each was placed."""
    n = len(parks)
    geoms = np.array([None] * n, dtype=object)
    how = np.array([""] * n, dtype=object)
    notes: list[str] = []
    if {"lon", "lat"} <= set(parks.columns):
        lon = pd.to_numeric(parks["lon"], errors="coerce").to_numpy(dtype=float)
        lat = pd.to_numeric(parks["lat"], errors="coerce").to_numpy(dtype=float)
        ok = np.isfinite(lon) & np.isfinite(lat)
        geoms[ok] = shapely.points(lon[ok], lat[ok])
        how[ok] = "point"
    if polygons is not None:
        if "park_id" not in polygons.columns:
            raise InputError(
                f"the park polygons have no column 'park_id' (columns: "
                f"{', '.join(c for c in polygons.columns if c != polygons.geometry.name)})",
                where=where, fix="add the park_id of each polygon (the ids of the parks table)")
        pol = polygons.to_crs(4326)
        pid = pol["park_id"].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v))
                                 else re.sub(r"\.0$", "", str(v).strip()))
        merged = {}
        for k, g in zip(pid, pol.geometry.to_numpy(), strict=True):
            merged.setdefault(k, []).append(g)
        pos = {k: i for i, k in enumerate(parks["park_id"])}
        unknown = sorted(k for k in merged if k not in pos)
        if unknown:
            notes.append(f"{len(unknown)} polygon(s) of [layers] parks name no park of the parks table and are "
                         f"not used: {', '.join(unknown[:MAX_LISTED])}")
        multi = sorted(k for k, v in merged.items() if len(v) > 1 and k in pos)
        if multi:
            notes.append(f"{len(multi)} park(s) with several polygons, merged into one: "
                         f"{', '.join(multi[:MAX_LISTED])}")
        for k, gs in merged.items():
            if k in pos:
                geoms[pos[k]] = gs[0] if len(gs) == 1 else shapely.union_all(gs)
                how[pos[k]] = "polygon"
    return geoms, how, notes


def _not_ok_notes(parks: pd.DataFrame, loc: pd.DataFrame) -> list[str]:
    bad = loc["location_check"] != "ok"
    if not bad.any():
        return []
    names = parks["name"].astype(str).to_numpy()
    listed = [f"{pid} {names[i]} ({c}: {n})" for i, (pid, c, n) in
              enumerate(zip(loc["park_id"], loc["location_check"], loc["note"], strict=True)) if bad.iloc[i]]
    counts = loc.loc[bad, "location_check"].value_counts().to_dict()
    head = (f"{int(bad.sum())} of {len(loc)} park(s) not placed ok ("
            + ", ".join(f"{k} {v}" for k, v in counts.items())
            + "): kept without unit and distance; "
            + "; ".join(listed[:MAX_LISTED]))
    if len(listed) > MAX_LISTED:
        head += f"; … and {len(listed) - MAX_LISTED} more (see the parks table, column note)"
    return [head]


# --------------------------------------------------------------------------- per park and year


def _parks_year(park_year: pd.DataFrame | None, gt: pd.DataFrame, p: ParksParams, notes: list[str]) -> pd.DataFrame:
    if park_year is None or not len(park_year):
        notes.append("no park_year table: no indicators, GDI or TOPSIS")
        return pd.DataFrame({c: pd.Series(dtype=object if c in ("park_id", "note") else float)
                             for c in YEAR_COLUMNS})
    ind = park_year_indicators(park_year, base_year=p.base_year)
    for c in INDICATORS:
        if c not in ind.columns:
            ind[c] = np.nan
    gd = green_development(ind[["park_id", "year", *INDICATORS]], gt)
    out = ind[["park_id", "year", *INDICATORS]].copy()
    out["gdi"] = gd["gdi"].to_numpy()
    out["gdi_n"] = gd["gdi_n"].to_numpy()
    out["topsis"] = gd["topsis"].to_numpy()
    out["topsis_rank"] = gd["topsis_rank"].to_numpy()
    out["note"] = [join_notes(a, b) for a, b in zip(ind["note"], gd["note"], strict=True)]
    n_empty = int(out[[c for c in INDICATORS if c in gt["indicator"].tolist()]].isna().sum().sum())
    absent = [c for c in ("energy_tce", "fresh_water_m3", "cod_kg", "co2e_t") if c not in park_year.columns]
    if absent:
        notes.append(f"park_year has no column {', '.join(absent)}: the indicators needing them are empty")
    if n_empty:
        notes.append(f"{n_empty} GDI indicator value(s) of parks_year are empty (why: parks_year.note)")
    n_nogdi = int(out["gdi"].isna().sum())
    if n_nogdi:
        notes.append(f"{n_nogdi} park-year(s) without a GDI (why: parks_year.note)")
    return out[YEAR_COLUMNS].reset_index(drop=True)


# --------------------------------------------------------------------------- groups


def _group_rows(grouping: str, keys: tuple[str, ...], df: pd.DataFrame) -> pd.DataFrame:
    """The grouping columns of one grouping: its keys filled, the others empty."""
    out = pd.DataFrame({"grouping": grouping}, index=df.index)
    for k in ("region", "level", "province"):
        out[k] = df[k].to_numpy() if k in keys else None
    return out


def _groups(out, park_year, years, energy_units, wwtp, p: ParksParams, *, chem_given: bool,
            rivers_given: bool) -> pd.DataFrame:
    a = out[["park_id", "region", "level", "province", "is_chemical", "within_1km", "approved_area_km2"]]
    pieces = []
    for grouping, keys in GROUPINGS.items():
        by = list(keys)
        # inventory rows (year empty)
        g = a.groupby(by, sort=False, dropna=False)
        inv = g.agg(n_parks=("park_id", "size"), approved_area_km2=("approved_area_km2",
                                                                      lambda s: s.sum(min_count=1)))
        if chem_given:
            chem = a["is_chemical"].fillna(False).astype(bool)
            inv["n_chemical"] = chem.groupby([a[k] for k in by], sort=False, dropna=False).sum()
            near = chem & a["within_1km"].fillna(False).astype(bool)
            inv["n_chemical_within_1km"] = near.groupby([a[k] for k in by], sort=False, dropna=False).sum()
            if not rivers_given:
                inv["n_chemical_within_1km"] = np.nan
        inv = inv.reset_index()
        if energy_units is not None and len(energy_units):
            eu = energy_units.merge(a[["park_id", *by]], on="park_id", how="left")
            es = energy_summary(eu, by, p.capacity_bins_mw, p.reference_efficiency).drop(columns="note")
            es = es.rename(columns={"n_units": "n_energy_units"})
            inv = inv.merge(es, on=by, how="left")
            inv["n_energy_units"] = inv["n_energy_units"].fillna(0)
            inv["capacity_mw"] = inv["capacity_mw"].fillna(0.0)
        if wwtp is not None:
            wc = wwtp_completion(a, wwtp, by=by).drop(columns=["note", "n_parks"])
            inv = inv.merge(wc, on=by, how="left")
        inv["year"] = pd.NA
        pieces.append(pd.concat([_group_rows(grouping, keys, inv), inv.drop(columns=by)], axis=1))
        # yearly rows
        if park_year is not None and len(park_year) and len(years):
            pieces.append(_year_groups(grouping, keys, a, park_year, years))
    res = pd.concat(pieces, ignore_index=True)
    for c in GROUP_COLUMNS:
        if c not in res.columns:
            res[c] = np.nan
    res = res[GROUP_COLUMNS]
    res["year"] = pd.array(pd.to_numeric(res["year"], errors="coerce"), dtype="Int64")
    order_r = {r: i for i, r in enumerate(REGIONS)}
    order_l = {lv: i for i, lv in enumerate(LEVELS)}
    order_g = {g: i for i, g in enumerate(GROUPINGS)}
    sort = pd.DataFrame({
        "g": res["grouping"].map(order_g),
        "r": res["region"].map(order_r).fillna(-1),
        "l": res["level"].map(order_l).fillna(-1),
        "p": res["province"].fillna(""),
        "y": pd.to_numeric(res["year"], errors="coerce").fillna(-1),
    })
    idx = sort.sort_values(["g", "r", "l", "p", "y"], kind="stable").index
    return res.loc[idx].reset_index(drop=True)


def _year_groups(grouping: str, keys: tuple[str, ...], a: pd.DataFrame, park_year: pd.DataFrame,
                 years: pd.DataFrame) -> pd.DataFrame:
    by = list(keys)
    py = park_year.merge(a[["park_id", *by]], on="park_id", how="left")
    for c in ("value_added", "energy_tce", "fresh_water_m3", "cod_kg"):
        if c not in py.columns:
            py[c] = np.nan
    va = py["value_added"]
    py["_va_e"] = va.where(py["energy_tce"].notna())
    py["_e"] = py["energy_tce"].where(va.notna())
    py["_va_w"] = va.where(py["fresh_water_m3"].notna())
    py["_w"] = py["fresh_water_m3"].where(va.notna())
    py["_va_c"] = va.where(py["cod_kg"].notna())
    py["_c"] = py["cod_kg"].where(va.notna())

    def total(s):
        return s.sum(min_count=1)

    g = py.groupby([*by, "year"], sort=False, dropna=False)
    yr = g.agg(n_parks=("park_id", "size"), value_added=("value_added", total), energy_tce=("energy_tce", total),
               fresh_water_m3=("fresh_water_m3", total), _va_e=("_va_e", total), _e=("_e", total),
               _va_w=("_va_w", total), _w=("_w", total), _va_c=("_va_c", total), _c=("_c", total)).reset_index()
    yr["energy_productivity"] = ratio(yr["_va_e"], yr["_e"])
    yr["water_productivity"] = ratio(yr["_va_w"], yr["_w"])
    yr["cod_intensity"] = ratio(yr["_c"], yr["_va_c"].to_numpy(dtype=float) / 1e6)
    yr = yr.drop(columns=["_va_e", "_e", "_va_w", "_w", "_va_c", "_c"])
    gg = gdi_groups(years[["park_id", "year", "gdi"]].merge(a[["park_id", *by]], on="park_id", how="left"), by)
    if len(gg):
        gg = gg.drop(columns=["n_parks", "n_above_mean"])
        gg["year"] = gg["year"].astype(yr["year"].dtype)
        yr = yr.merge(gg, on=[*by, "year"], how="left")
    return pd.concat([_group_rows(grouping, keys, yr), yr.drop(columns=by)], axis=1)


# --------------------------------------------------------------------------- industries, wwtp, map


def split_industries(text) -> list[str]:
    """The pillar industries a cell names (``;``, ``；`` or ``、`` separated), stripped, each once.

    Parameters
    ----------
    text : str
        A ``pillar_industries`` cell; empty → no industry.

    Returns
    -------
    list of str
        In the order given.
    """
    if text is None or (isinstance(text, float) and np.isnan(text)) or str(text).strip() == "":
        return []
    seen: list[str] = []
    for part in re.split(INDUSTRY_SEPARATORS, str(text)):
        s = part.strip()
        if s and s not in seen:
            seen.append(s)
    return seen


def _industries(out: pd.DataFrame) -> pd.DataFrame:
    rows = [(pid, r, lv, ind) for pid, r, lv, txt in
            zip(out["park_id"], out["region"], out["level"], out["pillar_industries"], strict=True)
            for ind in split_industries(txt)]
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=int if c in ("n_parks", "rank") else object)
                             for c in INDUSTRY_COLUMNS})
    ex = pd.DataFrame(rows, columns=["park_id", "region", "level", "industry"])
    pieces = []
    for grouping, keys in INDUSTRY_GROUPINGS.items():
        by = [*keys, "industry"]
        c = ex.groupby(by, sort=False)["park_id"].nunique().rename("n_parks").reset_index()
        if keys:
            c["rank"] = c.groupby(list(keys))["n_parks"].rank(ascending=False, method="min").astype(int)
        else:
            c["rank"] = c["n_parks"].rank(ascending=False, method="min").astype(int)
        c.insert(0, "grouping", grouping)
        for k in ("region", "level"):
            if k not in keys:
                c[k] = None
        pieces.append(c)
    res = pd.concat(pieces, ignore_index=True)
    res["_g"] = res["grouping"].map({g: i for i, g in enumerate(INDUSTRY_GROUPINGS)})
    res["_r"] = res["region"].map({r: i for i, r in enumerate(REGIONS)}).fillna(-1)
    res["_l"] = res["level"].map({lv: i for i, lv in enumerate(LEVELS)}).fillna(-1)
    res = res.sort_values(["_g", "_r", "_l", "rank", "industry"], kind="stable")
    return res[INDUSTRY_COLUMNS].reset_index(drop=True)


def _wwtp(wwtp: pd.DataFrame | None) -> pd.DataFrame:
    if wwtp is None or not len(wwtp):
        return pd.DataFrame({c: pd.Series(dtype=object if c in ("wwtp_id", "park_id", "note") else float)
                             for c in WWTP_COLUMNS})
    perf = wwtp_performance(wwtp)
    perf["online_monitoring"] = (wwtp["online_monitoring"].astype("boolean").to_numpy()
                                 if "online_monitoring" in wwtp.columns
                                 else pd.array([pd.NA] * len(wwtp), dtype="boolean"))
    return perf[WWTP_COLUMNS].reset_index(drop=True)


def _map(out: pd.DataFrame, years: pd.DataFrame, geoms) -> gpd.GeoDataFrame:
    m = out[[c for c in MAP_COLUMNS if c in out.columns]].copy()
    latest = years[years["gdi"].notna()].sort_values("year").drop_duplicates("park_id", keep="last")
    latest = latest.set_index("park_id")
    m["gdi"] = m["park_id"].map(latest["gdi"]).astype(float)
    m["gdi_year"] = m["park_id"].map(latest["year"]).astype("Int64")
    return gpd.GeoDataFrame(m[MAP_COLUMNS], geometry=gpd.GeoSeries(list(geoms), crs="EPSG:4326").to_numpy(),
                            crs="EPSG:4326")


def _rivers(rivers: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    r = rivers.to_crs(4326)
    name_col = next((c for c in r.columns if str(c).lower() in ("name", "river", "river_name", "名称", "河流名称")
                     and c != r.geometry.name), None)
    names = r[name_col].astype(object).where(r[name_col].notna(), None).to_numpy() if name_col else [None] * len(r)
    return gpd.GeoDataFrame({"river_id": np.arange(1, len(r) + 1), "name": names},
                            geometry=r.geometry.to_numpy(), crs="EPSG:4326")


__all__ = ["GROUPINGS", "INDICATORS", "INDUSTRY_GROUPINGS", "parks_tables", "run", "split_industries"]
