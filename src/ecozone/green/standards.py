"""Standards of the green-infrastructure indicators and the pass/fail test (METHODS §4.6).

The shipped table ``params/green_standards.csv`` holds one row per
indicator that a national standard bounds, with the standard's clause,
the source the number was checked against and whether it was verified:

=========================  ====  =========  ==========================================
indicator                  test  threshold  standard
=========================  ====  =========  ==========================================
park_green_per_capita      >     8.0 m²/person  GB 55014-2021 §2.1.3 (verified)
park_service_share_buffer  >=    0.9 (0–1)  GB/T 51346-2019 as METHODS §4.6 cites it
park_service_share_network >=    0.9 (0–1)  same, by walking distance
=========================  ====  =========  ==========================================

``[green] standards = "my_standards.csv"`` replaces the table (same
columns; any indicator of :data:`INDICATORS` may be given a threshold, e.g.
a local forest-coverage target). Thresholds of shares may be written in
``0–1`` or in ``%``; per-capita green space in ``m²/person``; lengths in
``km``; densities in ``km/km²``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ecozone.errors import ParameterError
from ecozone.params import data_path

#: The indicators of the table ``green_infrastructure`` (METHODS §4.6), in order.
INDICATORS = (
    "forest_coverage",
    "redline_share",
    "greenway_km",
    "greenway_density",
    "park_green_per_capita",
    "park_service_share_buffer",
    "park_service_share_network",
)
#: Unit of each indicator as the table holds it.
UNITS = {
    "forest_coverage": "0–1",
    "redline_share": "0–1",
    "greenway_km": "km",
    "greenway_density": "km/km²",
    "park_green_per_capita": "m²/person",
    "park_service_share_buffer": "0–1",
    "park_service_share_network": "0–1",
}
COLUMNS = ("indicator", "comparison", "threshold", "unit", "standard", "clause", "source", "verified")
COMPARISONS = {">=": np.greater_equal, ">": np.greater, "<=": np.less_equal, "<": np.less}

# accepted spellings of a unit (normalised: lower case, no spaces, ² → 2, – → -) → factor to the table's unit
_UNIT_FACTORS = {
    "0–1": {"0-1": 1.0, "-": 1.0, "": 1.0, "fraction": 1.0, "share": 1.0, "%": 0.01, "percent": 0.01},
    "km": {"km": 1.0, "m": 1e-3},
    "km/km²": {"km/km2": 1.0, "m/km2": 1e-3},
    "m²/person": {"m2/person": 1.0, "m2/人": 1.0, "m2/capita": 1.0, "m2": 1.0},
}


def _norm_unit(u: str) -> str:
    return str(u).strip().lower().replace(" ", "").replace("²", "2").replace("–", "-").replace("—", "-")


def load_standards(path: str | Path | None = None) -> pd.DataFrame:
    """The standards table: the shipped one, or the user's CSV (``[green] standards``).

    Parameters
    ----------
    path : str or Path, optional
        A CSV with columns ``indicator, comparison, threshold, unit, standard,
        clause, source, verified``; default the shipped
        ``params/green_standards.csv``.

    Returns
    -------
    pandas.DataFrame
        One row per indicator, ``threshold`` converted to the indicator's
        unit of :data:`UNITS` (``unit`` rewritten accordingly), ``comparison``
        one of ``>=, >, <=, <``.

    Raises
    ------
    ParameterError
        Missing file or column, an unknown indicator, comparison or unit, a
        threshold that is not a finite number, an indicator given twice —
        naming the file and row.
    """
    p = Path(path) if path is not None else data_path("green_standards.csv")
    where = f"{p} ([green] standards)" if path is not None else str(p)
    if not p.is_file():
        raise ParameterError("standards table not found", where=where,
                             fix="give the path of a CSV (relative to the study file), or remove [green] standards")
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except Exception as e:  # noqa: BLE001 - parser errors vary
        raise ParameterError(f"cannot be read as CSV ({e})", where=where, fix="save it as a UTF-8 CSV") from None
    missing = [c for c in ("indicator", "comparison", "threshold", "unit") if c not in df.columns]
    if missing:
        raise ParameterError(f"the standards table lacks column(s) {missing}", where=where,
                             fix=f"give the columns {', '.join(COLUMNS)}")
    for c in COLUMNS:
        if c not in df.columns:
            df[c] = ""
    df = df[list(COLUMNS)].copy()
    for c in COLUMNS:
        df[c] = df[c].astype(str).str.strip()
    rows = []
    for i, r in df.iterrows():
        at = f"{where}, row {i + 2}"
        ind = r["indicator"]
        if ind not in INDICATORS:
            raise ParameterError(f"unknown indicator {ind!r}", where=f"{at}, column indicator",
                                 fix=f"use one of {', '.join(INDICATORS)}")
        if r["comparison"] not in COMPARISONS:
            raise ParameterError(f"unknown comparison {r['comparison']!r}", where=f"{at}, column comparison",
                                 fix="use >=, >, <= or <")
        try:
            thr = float(r["threshold"])
        except ValueError:
            thr = float("nan")
        if not np.isfinite(thr):
            raise ParameterError(f"threshold {r['threshold']!r} is not a number", where=f"{at}, column threshold",
                                 fix="give the threshold as a plain number")
        factors = _UNIT_FACTORS[UNITS[ind]]
        unit = _norm_unit(r["unit"])
        if unit not in factors:
            raise ParameterError(
                f"unit {r['unit']!r} is not a unit of {ind} ({UNITS[ind]})", where=f"{at}, column unit",
                fix=f"write the threshold in {UNITS[ind]}" + (" or %" if UNITS[ind] == "0–1" else ""),
            )
        rows.append({**r.to_dict(), "threshold": thr * factors[unit], "unit": UNITS[ind]})
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    dup = out["indicator"][out["indicator"].duplicated()].tolist()
    if dup:
        raise ParameterError(f"indicator(s) {dup} have more than one standard", where=where,
                             fix="keep one row per indicator")
    return out.reset_index(drop=True)


def assess(values: pd.DataFrame, standards: pd.DataFrame) -> pd.DataFrame:
    """Pass/fail of every indicator against its standard.

    Parameters
    ----------
    values : pandas.DataFrame
        A column per indicator of :data:`INDICATORS` (units of :data:`UNITS`);
        missing columns count as missing values.
    standards : pandas.DataFrame
        As :func:`load_standards` returns it.

    Returns
    -------
    pandas.DataFrame
        Columns ``pass_<indicator>`` for every indicator, nullable boolean
        (index of ``values``): ``value <comparison> threshold``; missing (NA)
        where the indicator has no standard or no value.
    """
    out = pd.DataFrame(index=values.index)
    std = standards.set_index("indicator")
    for ind in INDICATORS:
        col = pd.Series(pd.NA, index=values.index, dtype="boolean")
        if ind in std.index and ind in values.columns:
            v = pd.to_numeric(values[ind], errors="coerce").to_numpy(dtype=float)
            ok = np.isfinite(v)
            res = COMPARISONS[std.at[ind, "comparison"]](v, float(std.at[ind, "threshold"]))
            col[ok] = res[ok]
        out[f"pass_{ind}"] = col
    return out


__all__ = ["COLUMNS", "COMPARISONS", "INDICATORS", "UNITS", "assess", "load_standards"]
