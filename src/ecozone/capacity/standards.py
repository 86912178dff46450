"""Air and water quality standards, shipped as data (METHODS §1.7).

- ``gb3095.csv``: GB 3095-2012 grades I/II and GB 3095-2026 grade II
  (transition and final phases): the limit S_i each annual statistic is
  compared with (µg/m³; CO in mg/m³).
- ``gb3838.csv``: GB 3838-2002 classes I–V (mg/L); TP has river and lake
  limits, TN lake limits only.
- ``coupling_grades.csv``: the ten grades of the coupling coordination degree.

Every file carries a ``source`` column. The loaders choose rows by parameter.
"""

from __future__ import annotations

from functools import cache

import pandas as pd

from ecozone.capacity.params import AIR_POLLUTANTS
from ecozone.errors import ParameterError
from ecozone.params import data_path

WATER_CLASSES = ("I", "II", "III", "IV", "V")

#: the annual statistic HJ 663 compares with each air limit
AIR_STATISTIC = {
    "PM2.5": "annual_mean",
    "PM10": "annual_mean",
    "NO2": "annual_mean",
    "SO2": "annual_mean",
    "CO": "p95_daily_mean",
    "O3": "p90_daily_max8h",
}


_TEXT = {
    "gb3095.csv": ("standard", "phase", "grade", "pollutant"),
    "gb3838.csv": ("standard", "pollutant", "waterbody", "class"),
    "coupling_grades.csv": ("code", "name_zh", "name_en"),
}


@cache
def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(data_path(name), dtype=dict.fromkeys(_TEXT[name], str), keep_default_na=False)


def gb3095_table() -> pd.DataFrame:
    """The whole shipped air-standard table (a copy)."""
    return _read("gb3095.csv").copy()


def gb3838_table() -> pd.DataFrame:
    """The whole shipped water-standard table (a copy)."""
    return _read("gb3838.csv").copy()


def coordination_grades() -> pd.DataFrame:
    """The ten grades of the coupling coordination degree D (columns ``grade, d_min, d_max,
    code, name_zh, name_en, source``), ascending."""
    return _read("coupling_grades.csv").sort_values("d_min").reset_index(drop=True)


def air_phase(standard: str, phase: str, year: int) -> str:
    """The phase of ``standard`` that applies to ``year`` ("" for GB3095-2012).

    ``phase="auto"`` picks GB3095-2026's transition limits up to 2030 and its
    final limits from 2031 (METHODS §1.7).
    """
    if standard == "GB3095-2012":
        return ""
    if phase == "auto":
        return "transition" if year <= 2030 else "final"
    return phase


def air_limits(
    standard: str = "GB3095-2012",
    grade: str = "II",
    *,
    year: int = 2016,
    phase: str = "auto",
    overrides: dict[str, float] | None = None,
) -> pd.Series:
    """Air limits S_i by pollutant (µg/m³; CO in mg/m³) for one standard, grade and year.

    ``overrides`` replaces single limits (``[capacity.air] limits``). Raises
    :class:`ParameterError` when the table has no limit for a pollutant and
    no override supplies one.
    """
    t = _read("gb3095.csv")
    if standard not in set(t["standard"]):
        raise ParameterError(
            f"unknown air standard '{standard}'",
            where="[capacity.air] standard",
            fix=f"use one of: {', '.join(sorted(set(t['standard'])))}",
        )
    ph = air_phase(standard, phase, year)
    sel = t[(t["standard"] == standard) & (t["phase"] == ph) & (t["grade"] == grade)]
    s = pd.Series(sel["limit"].to_numpy(dtype=float), index=sel["pollutant"].to_numpy(), name="limit")
    for k, v in (overrides or {}).items():
        s[k] = float(v)
    missing = [p for p in AIR_POLLUTANTS if p not in s.index]
    if missing:
        raise ParameterError(
            f"{standard}{' ' + ph if ph else ''} grade {grade} has no shipped limit for "
            f"{', '.join(missing)}",
            where="[capacity.air] standard / grade / phase",
            fix="choose grade II (or GB3095-2012 for grade I), or give the limits in "
            '[capacity.air] limits, e.g. limits = { "PM2.5" = 10 }',
        )
    s.index.name = "pollutant"
    return s.loc[list(AIR_POLLUTANTS)]


def air_limits_by_year(
    years, standard: str = "GB3095-2012", grade: str = "II", *, phase: str = "auto", overrides=None
) -> pd.DataFrame:
    """Air limits for several years: columns ``year, pollutant, limit`` (units as :func:`air_limits`)."""
    parts = []
    for y in sorted({int(y) for y in years}):
        s = air_limits(standard, grade, year=y, phase=phase, overrides=overrides)
        parts.append(pd.DataFrame({"year": y, "pollutant": s.index, "limit": s.to_numpy()}))
    if not parts:
        return pd.DataFrame({"year": pd.Series(dtype=int), "pollutant": pd.Series(dtype=str),
                             "limit": pd.Series(dtype=float)})
    return pd.concat(parts, ignore_index=True)


def water_limits(standard: str = "GB3838-2002", *, tn_rivers: str = "lake_limits") -> pd.DataFrame:
    """Water limits (mg/L) as rows ``pollutant, waterbody, class, limit, direction``.

    ``waterbody`` is ``river`` or ``lake`` (rows of the table marked ``all``
    are expanded to both). ``direction`` is ``max`` (not more than; index
    C/S − 1) or ``min`` (not less than, DO; index S/C − 1). With
    ``tn_rivers="lake_limits"`` river sections get the lake TN limits; with
    ``"skip"`` there is no river TN row (river TN is then left out).
    """
    t = _read("gb3838.csv")
    t = t[t["standard"] == standard]
    if len(t) == 0:
        raise ParameterError(
            f"unknown water standard '{standard}'",
            where="[capacity.water] standard",
            fix="use GB3838-2002",
        )
    if tn_rivers not in ("lake_limits", "skip"):
        raise ParameterError(
            f"unknown tn_rivers '{tn_rivers}'",
            where="[capacity.water] tn_rivers",
            fix="use 'lake_limits' or 'skip'",
        )
    rows = []
    for w in ("river", "lake"):
        sub = t[(t["waterbody"] == "all") | (t["waterbody"] == w)].copy()
        sub["waterbody"] = w
        rows.append(sub)
    out = pd.concat(rows, ignore_index=True)
    if tn_rivers == "lake_limits":
        tn = t[(t["pollutant"] == "TN") & (t["waterbody"] == "lake")].copy()
        tn["waterbody"] = "river"
        out = pd.concat([out, tn], ignore_index=True)
    out = out.rename(columns={"class": "target_class"})
    out["limit"] = out["limit"].astype(float)
    return out[["pollutant", "waterbody", "target_class", "limit", "direction", "source"]].reset_index(drop=True)
