"""Four-quadrant coupling of cities: economic quality × environmental state,
with key ecological functional zones as a fifth type (seed 000 §4; METHODS §1.5).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecozone.capacity.hierarchy import Hierarchy
from ecozone.capacity.state import CRITICAL, NON_OVERLOAD, OVERLOAD
from ecozone.errors import InputError

HIGH, LOW = "high", "low"
ZONE_TYPE = "key-ecological-zone"
SEP = "–"  # METHODS writes the types as "high–overload"


def regional_gdp_per_capita(gdp, population, how: str = "total") -> float:
    """Regional per-capita GDP (CNY/person) of a set of units.

    ``how="total"``: Σ GDP / Σ population (default); ``"mean"``: the mean of
    the units' per-capita GDPs.
    """
    g = np.asarray(gdp, dtype=float)
    p = np.asarray(population, dtype=float)
    if how == "total":
        return float(g.sum() / p.sum())
    if how == "mean":
        return float(np.mean(g / p))
    raise ValueError(f"unknown regional_gdp '{how}'")


def environment_axis(state, critical_as: str = NON_OVERLOAD) -> np.ndarray:
    """``overload`` / ``non-overload`` from the comprehensive state; critical
    counts as non-overload (default) or as overload. Missing → None."""
    out = []
    for s in state:
        if s == OVERLOAD or (s == CRITICAL and critical_as == OVERLOAD):
            out.append(OVERLOAD)
        elif s in (CRITICAL, NON_OVERLOAD):
            out.append(NON_OVERLOAD)
        else:
            out.append(None)
    return np.array(out, dtype=object)


def four_quadrant(
    units: pd.DataFrame,
    *,
    regional_gdp: str = "total",
    critical_as: str = NON_OVERLOAD,
) -> pd.DataFrame:
    """Type units of one level and year by the four quadrants.

    Parameters
    ----------
    units:
        ``unit_id, year, state, gdp (CNY), population (persons), in_zone (bool)``.

    Returns ``unit_id, year, gdp_per_capita`` (CNY/person),
    ``regional_gdp_per_capita`` (over the units of the same year with
    GDP and population), ``economic`` (``high`` when above the regional
    value, else ``low``), ``environment``, ``quadrant`` (e.g.
    ``high–overload``) and ``type`` (the quadrant, or ``key-ecological-zone``
    for units in a key ecological functional zone, which takes precedence).
    Units lacking GDP or state have no quadrant and say why in ``note``.
    """
    u = units.copy()
    gpc = u["gdp"].astype(float) / u["population"].astype(float)
    u["gdp_per_capita"] = gpc
    has = gpc.notna()
    reg = {}
    for yr, sub in u[has].groupby("year"):
        reg[yr] = regional_gdp_per_capita(sub["gdp"], sub["population"], regional_gdp)
    u["regional_gdp_per_capita"] = u["year"].map(reg).astype(float)
    economic = [
        (HIGH if g > r else LOW) if h else None
        for g, r, h in zip(u["gdp_per_capita"], u["regional_gdp_per_capita"], has, strict=True)
    ]
    environment = list(environment_axis(u["state"], critical_as))
    quad, typ, notes = [], [], []
    for e, env, z in zip(economic, environment, u["in_zone"].fillna(False), strict=True):
        q = f"{e}{SEP}{env}" if e is not None and env is not None else None
        quad.append(q)
        typ.append(ZONE_TYPE if bool(z) else q)
        miss = [w for w, v in (("GDP and population", e), ("environmental state", env)) if v is None]
        notes.append(f"no quadrant: no {' or '.join(miss)}" if miss else "")
    u["economic"] = pd.Series(economic, index=u.index, dtype=object)
    u["environment"] = pd.Series(environment, index=u.index, dtype=object)
    u["quadrant"] = pd.Series(quad, index=u.index, dtype=object)
    u["type"] = pd.Series(typ, index=u.index, dtype=object)
    u["note"] = notes
    return u[
        ["unit_id", "year", "gdp_per_capita", "regional_gdp_per_capita", "economic", "environment",
         "quadrant", "type", "note"]
    ]


def zone_share_from_ids(zone_ids, hier: Hierarchy, level: str) -> pd.Series:
    """Share (0–1) of each unit's area of ``level`` that lies in listed units.

    ``zone_ids``: ids (any level) of units in key ecological functional
    zones. A finest unit is in a zone when it or a unit it lies in is listed
    (so a unit of ``level`` that is itself listed, or lies in a listed unit,
    has share 1). Areas are the hierarchy's (km²).
    """
    zone_ids = {str(z) for z in zone_ids}
    unknown = sorted(z for z in zone_ids if z not in hier.level_of.index)
    if unknown:
        raise InputError(
            f"unit_id(s) {', '.join(unknown[:5])} are not units of the study",
            where="table 'ecological_function', column 'unit_id'",
            fix="correct the ids (they must match the units layer's id columns) or remove the rows",
        )
    fin = pd.Series(hier.ids(hier.finest))
    in_zone = fin.isin(zone_ids).to_numpy().copy()
    for lv in hier.levels[1:]:
        listed = {z for z in zone_ids if hier.level_of.get(z) == lv}
        if listed:
            in_zone |= np.isin(hier.up(fin.to_numpy(), hier.finest, lv), list(listed))
    target = hier.up(fin.to_numpy(), hier.finest, level)
    a = fin.map(hier.area).astype(float).to_numpy()
    df = pd.DataFrame({"unit": target, "a": a, "az": a * in_zone})
    df = df[df["unit"] != ""]
    g = df.groupby("unit")[["a", "az"]].sum()
    share = (g["az"] / g["a"]).rename("zone_share")
    share.index.name = "unit_id"
    return share


def zone_share_from_polygons(units, zones, area_crs: str) -> pd.Series:
    """Share (0–1) of each unit's area covered by the zone polygons.

    ``units``: GeoDataFrame ``unit_id, geometry``; ``zones``: GeoDataFrame of
    key ecological functional zones (any CRS). Areas in ``area_crs``.
    """
    import shapely

    if zones.crs is None:
        raise InputError(
            "the ecological zones layer has no CRS",
            where="ecological_function layer",
            fix="assign the layer its coordinate reference system",
        )
    u = units.to_crs(area_crs)
    z = zones.to_crs(area_crs)
    zone = shapely.union_all(shapely.make_valid(z.geometry.to_numpy()))
    ua = u.geometry.area.to_numpy()
    inter = shapely.area(shapely.intersection(u.geometry.to_numpy(), zone))
    return pd.Series(inter / ua, index=pd.Index(u["unit_id"].astype(str), name="unit_id"), name="zone_share")
