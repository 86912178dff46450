"""Carbon budget and balance indices per unit and year (METHODS §2.4; seed 004 eq. 10–13).

All carbon quantities are in **t C** (tonnes of carbon); emissions given as
CO2 are converted with 12/44 (:func:`emissions_to_tc`).

Input of :func:`carbon_budget`: one row per unit and year with columns

=============  ==============================================================
``unit_id``    the unit
``year``       calendar year
``ce``         carbon emissions CE_i (t C)
``cs``         carbon sequestration CS_i = Σ NEP × pixel area (t C)
``gdp``        G_i (CNY; any currency, only shares matter); optional
``level``      the unit's level (optional; totals are taken per level and year)
=============  ==============================================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecozone.errors import InputError

C_PER_CO2 = 12.0 / 44.0
_TO_TC = {
    "t c": 1.0,
    "tc": 1.0,
    "kt c": 1e3,
    "mt c": 1e6,
    "t co2": C_PER_CO2,
    "tco2": C_PER_CO2,
    "kt co2": 1e3 * C_PER_CO2,
    "mt co2": 1e6 * C_PER_CO2,
    "mtco2": 1e6 * C_PER_CO2,
}

BUDGET_STATES = ("carbon_surplus", "carbon_balance", "carbon_deficit")


def _unit_factor(unit: str) -> float:
    key = " ".join(str(unit).strip().lower().replace("₂", "2").split())
    if key not in _TO_TC:
        raise InputError(
            f"unknown emissions unit {unit!r}",
            where="emissions table, column unit",
            fix="use one of 't CO2', 'Mt CO2', 't C' (also 'kt CO2', 'kt C', 'Mt C')",
        )
    return _TO_TC[key]


def emissions_to_tc(value, unit):
    """Emissions in t C from ``value`` in ``unit`` ('t CO2', 'Mt CO2', 't C', …).

    ``value`` and ``unit`` may be scalars, arrays or pandas Series (one unit
    per value). CO2 → C with 12/44.
    """
    if isinstance(unit, str):
        f = _unit_factor(unit)
        return value * f
    units = pd.Series(unit)
    factors = units.map(lambda u: _unit_factor(u)).to_numpy(float)
    if isinstance(value, pd.Series):
        return value * factors
    return np.asarray(value, dtype=float) * factors


def _group_keys(df: pd.DataFrame) -> list[str]:
    return ["level", "year"] if "level" in df.columns else ["year"]


def carbon_budget(data: pd.DataFrame, tie_rtol: float = 1e-9) -> pd.DataFrame:
    """CB, CBI, ECC, ESC and the budget state of every unit and year.

    Returns ``data`` with added columns:

    - ``cb`` = CE − CS (t C, eq. 10);
    - ``cbi`` = CE / CS (eq. 11), empty (NaN) where CS ≤ 0, with
      ``net_source_ecosystem`` = True there;
    - ``ecc`` = (G_i/G)/(CE_i/CE) (eq. 12), ``esc`` = (CS_i/CS)/(CE_i/CE)
      (eq. 13), totals over all units of the same level and year (NaN where
      a share is undefined: CE_i = 0, G missing, or the level's total CS ≤ 0);
    - ``budget_state``: ``carbon_surplus`` (CB < 0), ``carbon_balance``
      (|CB| ≤ tie_rtol·max(CE, |CS|)), ``carbon_deficit`` (CB > 0) (Table 2);
    - ``ce_total``, ``cs_total``, ``gdp_total`` of the unit's level and year.
    """
    need = ["unit_id", "year", "ce", "cs"]
    missing = [c for c in need if c not in data.columns]
    if missing:
        raise InputError(
            f"carbon budget input lacks columns {missing}",
            where="carbon budget",
            fix=f"give columns {need} (+ gdp, level)",
        )
    df = data.copy()
    ce = df["ce"].astype(float)
    cs = df["cs"].astype(float)
    df["cb"] = ce - cs
    df["net_source_ecosystem"] = cs <= 0
    df["cbi"] = np.where(cs > 0, ce / cs.where(cs > 0), np.nan)
    keys = _group_keys(df)
    g = df.groupby(keys, sort=False)
    df["ce_total"] = g["ce"].transform(lambda s: s.astype(float).sum(min_count=1))
    df["cs_total"] = g["cs"].transform(lambda s: s.astype(float).sum(min_count=1))
    if "gdp" in df.columns:
        df["gdp_total"] = g["gdp"].transform(lambda s: s.astype(float).sum(min_count=1))
        gdp = df["gdp"].astype(float)
    else:
        df["gdp_total"] = np.nan
        gdp = pd.Series(np.nan, index=df.index)
    ce_share = ce / df["ce_total"]
    ok_ce = (ce > 0) & (df["ce_total"] > 0)
    df["ecc"] = np.where(
        ok_ce & (df["gdp_total"] > 0), (gdp / df["gdp_total"]) / ce_share.where(ok_ce), np.nan
    )
    df["esc"] = np.where(
        ok_ce & (df["cs_total"] > 0), (cs / df["cs_total"]) / ce_share.where(ok_ce), np.nan
    )
    tol = tie_rtol * np.maximum(ce.abs(), cs.abs())
    cb = df["cb"]
    state = np.where(
        cb.abs() <= tol, "carbon_balance", np.where(cb < 0, "carbon_surplus", "carbon_deficit")
    )
    df["budget_state"] = pd.Series(state, index=df.index).where(cb.notna(), None)
    return df


def budget_totals(df: pd.DataFrame) -> pd.DataFrame:
    """Totals per level and year: ``ce``, ``cs``, ``cb`` (t C), ``gdp`` and ``cbi`` = CE/CS
    (NaN with ``net_source_ecosystem`` when CS ≤ 0), ``n_units``."""
    keys = _group_keys(df)
    agg = {
        "ce": ("ce", lambda s: s.sum(min_count=1)),
        "cs": ("cs", lambda s: s.sum(min_count=1)),
        "n_units": ("unit_id", "count"),
    }
    if "gdp" in df.columns:
        agg["gdp"] = ("gdp", lambda s: s.sum(min_count=1))
    t = df.groupby(keys, sort=True).agg(**agg).reset_index()
    t["cb"] = t["ce"] - t["cs"]
    t["net_source_ecosystem"] = t["cs"] <= 0
    t["cbi"] = np.where(t["cs"] > 0, t["ce"] / t["cs"].where(t["cs"] > 0), np.nan)
    return t


def percent_changes(
    df: pd.DataFrame,
    columns=("ce", "cs", "cb", "cbi"),
    by: list[str] | None = None,
) -> pd.DataFrame:
    """% change of ``columns`` between consecutive years present, per group.

    ``by`` defaults to ``["level", "unit_id"]`` (those present). Change =
    (new − old) / |old| × 100 (dividing by |old| keeps the sign of new − old
    when old is negative, e.g. a CB in surplus); NaN when old is 0 or either
    value is missing. Returns one row per group and pair
    of consecutive years: ``by…, year_from, year_to, <col>_from, <col>_to,
    <col>_pct``.
    """
    if by is None:
        by = [c for c in ("level", "unit_id") if c in df.columns]
    cols = [c for c in columns if c in df.columns]
    rows = []
    for key, g in (
        df.sort_values("year").groupby(by, sort=True) if by else [((), df.sort_values("year"))]
    ):
        key = key if isinstance(key, tuple) else (key,)
        years = g["year"].tolist()
        for i in range(1, len(years)):
            a, b = g.iloc[i - 1], g.iloc[i]
            row = dict(zip(by, key, strict=True))
            row.update(year_from=int(a["year"]), year_to=int(b["year"]))
            for c in cols:
                old, new = float(a[c]), float(b[c])
                row[f"{c}_from"], row[f"{c}_to"] = old, new
                row[f"{c}_pct"] = (
                    (new - old) / abs(old) * 100.0 if old != 0 and np.isfinite(old) else np.nan
                )
            rows.append(row)
    return pd.DataFrame(rows)
