"""Water pollutant excess index (seed 000 eq. 3–6; METHODS §1.2, §1.7).

    R_w_ijk = C_ijk / S_ik − 1          (eq. 3: pollutant i, section k, area j)
    R_w_ij  = (1/N_j) Σ_k R_w_ijk       (eq. 4: per-pollutant index of area j)
    R_w_jk  = max_i R_w_ijk             (eq. 5: index of section k)
    R_w_j   = (1/N_j) Σ_k R_w_jk        (eq. 6: index of area j)

C in mg/L (annual mean at the section), S_ik the GB 3838-2002 limit of the
section's target class (mg/L). All indices are dimensionless. For DO ("not
less than") eq. 3 reads S/C − 1. At upper levels the sections of all member
units are pooled.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd

from ecozone.capacity._checks import (
    ids,
    map_distinct,
    no_duplicates,
    numeric,
    require_columns,
    where,
)
from ecozone.capacity.hierarchy import Hierarchy
from ecozone.capacity.params import WATER_POLLUTANTS
from ecozone.capacity.standards import WATER_CLASSES
from ecozone.errors import InputError

WATER_POLLUTANTS_ALL = (*WATER_POLLUTANTS, "DO")

_CLASS = {
    "1": "I", "2": "II", "3": "III", "4": "IV", "5": "V",
    "i": "I", "ii": "II", "iii": "III", "iv": "IV", "v": "V",
}
_WATERBODY = {
    "river": "river", "rivers": "river", "河流": "river",
    "lake": "lake", "lakes": "lake", "reservoir": "lake", "reservoirs": "lake",
    "湖库": "lake", "湖泊": "lake", "水库": "lake",
}
_POLLUTANT = {p.lower(): p for p in WATER_POLLUTANTS_ALL} | {"codcr": "COD", "nh3n": "NH3-N", "bod": "BOD5"}


def _norm(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    t = unicodedata.normalize("NFKC", str(v)).strip()  # NFKC turns 'Ⅲ' into 'III'
    if t.endswith(".0") and t[:-2].isdigit():
        t = t[:-2]
    return t


def check_water(water: pd.DataFrame, *, table: str = "water") -> pd.DataFrame:
    """Validate the water table; return ``section_id, unit_id, year, waterbody,
    target_class, pollutant, value`` (value in mg/L).

    A section without a target class, a class outside I–V (1–5 and Ⅰ–Ⅴ are
    read as I–V), an unknown waterbody or pollutant, a negative or non-numeric
    value, a repeated (section, year, pollutant) and a section that changes
    unit, waterbody or class within a year are :class:`InputError`.
    """
    cols = ("section_id", "unit_id", "year", "waterbody", "target_class", "pollutant", "value")
    require_columns(water, table, cols)
    df = water.copy()
    df["section_id"] = ids(df["section_id"])
    df["unit_id"] = ids(df["unit_id"])
    for col in ("section_id", "unit_id"):
        empty = df[col] == ""
        if empty.any():
            i = int(np.flatnonzero(empty.to_numpy())[0])
            raise InputError("the cell is empty", where=where(table, col, df, i), fix=f"give every row its {col}")
    tc = map_distinct(df["target_class"], _norm)
    empty = tc == ""
    if empty.any():
        i = int(np.flatnonzero(empty.to_numpy())[0])
        raise InputError(
            f"section '{df['section_id'].iloc[i]}' has no target class ({int(empty.sum())} row(s))",
            where=where(table, "target_class", df, i),
            fix="give every monitored section its target water-quality class (I–V of GB 3838-2002)",
        )
    tc = map_distinct(df["target_class"], lambda v: _CLASS.get(_norm(v).lower(), _norm(v).upper()))
    bad = ~tc.isin(WATER_CLASSES)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"unknown target class {df['target_class'].iloc[i]!r} of section '{df['section_id'].iloc[i]}'",
            where=where(table, "target_class", df, i),
            fix="use one of I, II, III, IV, V (GB 3838-2002 classes)",
        )
    wb = map_distinct(df["waterbody"], lambda v: _WATERBODY.get(_norm(v).lower(), ""))
    bad = wb == ""
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"unknown waterbody {df['waterbody'].iloc[i]!r}",
            where=where(table, "waterbody", df, i),
            fix="use 'river' or 'lake' (lakes and reservoirs)",
        )
    pol = map_distinct(df["pollutant"], lambda v: _POLLUTANT.get(_norm(v).lower(), ""))
    bad = pol == ""
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"unknown water pollutant {df['pollutant'].iloc[i]!r}",
            where=where(table, "pollutant", df, i),
            fix=f"use one of: {', '.join(WATER_POLLUTANTS_ALL)}",
        )
    year = numeric(df, "year", table)
    value = numeric(df, "value", table)
    out = pd.DataFrame(
        {
            "section_id": df["section_id"],
            "unit_id": df["unit_id"],
            "year": year.astype(int),
            "waterbody": wb,
            "target_class": tc,
            "pollutant": pol,
            "value": value,
        },
        index=df.index,
    )
    no_duplicates(out, table, ["section_id", "year", "pollutant"])
    for col in ("unit_id", "waterbody", "target_class"):
        n = out.groupby(["section_id", "year"])[col].nunique()
        bad = n[n > 1]
        if len(bad):
            sid, yr = bad.index[0]
            sel = ((out["section_id"] == sid) & (out["year"] == yr)).to_numpy()
            rows = out[sel]
            i = int(np.flatnonzero(sel)[0])
            raise InputError(
                f"section '{sid}' has {bad.iloc[0]} different values of {col} in {yr}: "
                f"{', '.join(sorted(rows[col].astype(str).unique()))}",
                where=where(table, col, out, i),
                fix=f"give each section one {col} per year",
            )
    return out.reset_index(drop=True)


def water_pollutant_index(water: pd.DataFrame, limits: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-pollutant excess index of each section, eq. 3 (dimensionless).

    Parameters
    ----------
    water: output of :func:`check_water` (mg/L).
    limits: output of :func:`ecozone.capacity.standards.water_limits`
        (``pollutant, waterbody, target_class, limit, direction``; mg/L).

    Returns ``(index, left_out)``: the water rows with ``limit`` and ``r``
    added, and the rows that have no limit and are left out by parameter
    (TN at river sections with ``tn_rivers = "skip"``).
    """
    lim = limits[["pollutant", "waterbody", "target_class", "limit", "direction"]]
    m = water.merge(lim, on=["pollutant", "waterbody", "target_class"], how="left", validate="many_to_one")
    m.index = water.index
    miss = m["limit"].isna()
    skipped = miss & (m["pollutant"] == "TN") & (m["waterbody"] == "river")
    other = miss & ~skipped
    if other.any():
        i = int(np.flatnonzero(other.to_numpy())[0])
        raise InputError(
            f"no limit for {m['pollutant'].iloc[i]} in class {m['target_class'].iloc[i]} "
            f"{m['waterbody'].iloc[i]} sections",
            where=where("water", "pollutant", m, i),
            fix=f"water pollutants are {', '.join(WATER_POLLUTANTS_ALL)}",
        )
    left_out = m[skipped].drop(columns=["limit", "direction"])
    m = m[~skipped].copy()
    is_min = (m["direction"] == "min").to_numpy()
    zero = is_min & (m["value"].to_numpy() <= 0)
    if zero.any():
        i = int(np.flatnonzero(zero)[0])
        raise InputError(
            "DO of 0 mg/L gives an infinite index (S/C − 1)",
            where=where("water", "value", m, i),
            fix="check the DO value",
        )
    c = m["value"].to_numpy(dtype=float)
    s = m["limit"].to_numpy(dtype=float)
    with np.errstate(divide="ignore"):
        m["r"] = np.where(is_min, s / np.where(is_min, c, 1.0) - 1.0, c / s - 1.0)
    return m.drop(columns="direction"), left_out


def section_index(pidx: pd.DataFrame) -> pd.DataFrame:
    """Index of each section and year, R_w_jk = max_i R_w_ijk (eq. 5).

    Returns ``section_id, unit_id, year, waterbody, target_class, r_section,
    n_pollutants, primary`` (the pollutant with the largest index).
    """
    p = pidx.sort_values(["section_id", "year", "r"], ascending=[True, True, False])
    g = p.groupby(["section_id", "year"], sort=True)
    first = g.first()
    out = pd.DataFrame(
        {
            "unit_id": first["unit_id"],
            "waterbody": first["waterbody"],
            "target_class": first["target_class"],
            "r_section": first["r"],
            "n_pollutants": g.size(),
            "primary": first["pollutant"],
        }
    ).reset_index()
    return out


def water_index_by_level(
    pidx: pd.DataFrame, sidx: pd.DataFrame, hier: Hierarchy
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Eq. 4 and eq. 6 at every level, pooling the sections of member units.

    A section counts for the unit its row names and for every unit that unit
    lies in. Returns ``(units, pollutants)``:

    - units: ``level, unit_id, year, r_water`` (eq. 6), ``n_sections``,
      ``water_primary`` (the pollutant with the largest eq. 4 index);
    - pollutants: ``level, unit_id, year, pollutant, r`` (eq. 4),
      ``n_sections`` (sections measuring the pollutant).
    """
    lv_of = sidx["unit_id"].map(hier.level_of)
    unknown = lv_of.isna()
    if unknown.any():
        i = int(np.flatnonzero(unknown.to_numpy())[0])
        raise InputError(
            f"unit_id '{sidx['unit_id'].iloc[i]}' of section '{sidx['section_id'].iloc[i]}' is not a "
            "unit of the study at any level",
            where="table 'water', column 'unit_id'",
            fix="correct the id (it must match the units layer's id columns) or remove the section",
        )
    units, pols = [], []
    for lv in hier.levels:
        s = sidx.assign(unit_id=hier.to_level(sidx["unit_id"], lv))
        s = s[s["unit_id"] != ""]
        if len(s) == 0:
            continue
        g = s.groupby(["unit_id", "year"])
        u = g.agg(r_water=("r_section", "mean"), n_sections=("section_id", "nunique")).reset_index()
        p = pidx.assign(unit_id=hier.to_level(pidx["unit_id"], lv))
        p = p[p["unit_id"] != ""]
        gp = p.groupby(["unit_id", "year", "pollutant"])
        pp = gp.agg(r=("r", "mean"), n_sections=("section_id", "nunique")).reset_index()
        top = pp.sort_values("r", ascending=False).drop_duplicates(["unit_id", "year"])
        u = u.merge(
            top[["unit_id", "year", "pollutant"]].rename(columns={"pollutant": "water_primary"}),
            on=["unit_id", "year"],
            how="left",
        )
        units.append(u.assign(level=lv))
        pols.append(pp.assign(level=lv))
    ucols = ["level", "unit_id", "year", "r_water", "n_sections", "water_primary"]
    pcols = ["level", "unit_id", "year", "pollutant", "r", "n_sections"]
    u = pd.concat(units, ignore_index=True)[ucols] if units else pd.DataFrame(columns=ucols)
    p = pd.concat(pols, ignore_index=True)[pcols] if pols else pd.DataFrame(columns=pcols)
    return u, p
