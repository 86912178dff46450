"""Energy infrastructure and wastewater treatment of industrial parks
(seed 001 §3.2–3.3; METHODS §3.3).

Energy units (``energy_units``: ``plant_id, park_id, unit_type, fuel,
capacity_mw``, optional ``efficiency``) are put into capacity classes
``small`` < 30 MW ≤ ``medium`` < 300 MW ≤ ``large`` (edges are the parameter
``parks.capacity_bins_mw``) and summarised per group (a park, a region, a
level …; the caller merges the grouping columns in): unit count and capacity
per class and their shares, capacity share per fuel, efficiency (capacity-
weighted and unit mean) and the share of capacity below the reference
efficiency (``parks.reference_efficiency``).

Wastewater plants (``wwtp``): ``load_rate`` = inflow / design,
``cod_removal`` = (cod_in − cod_out) / cod_in, ``nh3n_removal`` likewise; the
completion of a group = parks with ≥ 1 plant / parks, and with online
monitoring / parks.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ecozone.errors import InputError, ParameterError
from ecozone.parks._checks import as_list, join_notes, numeric, ratio, require_columns, where

CAPACITY_CLASSES = ("small", "medium", "large")
FUELS = ("coal", "gas", "oil", "biomass", "waste", "other")
UNIT_TYPES = ("chp", "power", "heat", "msw_incineration", "hw_incineration", "biomass")


def _bins(bins: Sequence[float]) -> tuple[float, float]:
    b = [float(v) for v in bins]
    if len(b) != 2 or not (0 < b[0] < b[1]) or not all(np.isfinite(b)):
        raise ParameterError(
            f"capacity bins {list(bins)!r} are not two increasing positive edges",
            where="[parks] capacity_bins_mw",
            fix="give two edges in MW, small < first ≤ medium < second ≤ large, e.g. [30, 300]",
        )
    return b[0], b[1]


def capacity_class(capacity_mw, bins: Sequence[float] = (30.0, 300.0)) -> np.ndarray:
    """Capacity class of each unit: ``small`` < bins[0] ≤ ``medium`` < bins[1] ≤ ``large``.

    Parameters
    ----------
    capacity_mw : array_like
        Installed capacity of each unit, MW.
    bins : two floats
        Class edges, MW (default 30 and 300, seed 001 §4.3).

    Returns
    -------
    ndarray of object
        ``"small" | "medium" | "large"``; None where the capacity is missing.
    """
    lo, hi = _bins(bins)
    c = np.asarray(capacity_mw, dtype=float)
    if np.any(c[~np.isnan(c)] < 0):
        raise InputError("a capacity is negative", where=where("energy_units", "capacity_mw"),
                         fix="give capacities in MW, zero or more")
    out = np.where(c < lo, "small", np.where(c < hi, "medium", "large")).astype(object)
    out[np.isnan(c)] = None
    return out


def _groups(df: pd.DataFrame, by: list[str]):
    if by:
        return df.groupby(by, sort=True, dropna=False)
    return [((), df)]


def _key_frame(keys: list, by: list[str]) -> pd.DataFrame:
    if not by:
        return pd.DataFrame(index=range(len(keys)))
    rows = [k if isinstance(k, tuple) else (k,) for k in keys]
    return pd.DataFrame(rows, columns=by)


def _units(units: pd.DataFrame, by: list[str], need: Sequence[str]) -> pd.DataFrame:
    require_columns(units, "energy_units", [*by, *need])
    df = units.reset_index(drop=True).copy()
    df["capacity_mw"] = numeric(df, "capacity_mw", "energy_units")
    return df


def capacity_structure(units: pd.DataFrame, by: str | Sequence[str] | None = "park_id",
                       bins: Sequence[float] = (30.0, 300.0)) -> pd.DataFrame:
    """Unit count and capacity per capacity class, and their shares, per group.

    Parameters
    ----------
    units : DataFrame
        One row per energy unit: the ``by`` columns and ``capacity_mw`` (MW).
    by : str or list of str or None
        Grouping columns (``park_id``, ``region``, …); None = all units together.
    bins : two floats
        Class edges, MW.

    Returns
    -------
    DataFrame
        One row per group: ``by`` columns, ``n_units``, ``capacity_mw`` (MW), and
        per class c ∈ small, medium, large: ``n_units_<c>``, ``capacity_mw_<c>``
        (MW), ``share_units_<c>``, ``share_capacity_<c>`` (dimensionless);
        ``note``. Units with an empty capacity are counted in ``n_units`` only.
    """
    by = as_list(by)
    df = _units(units, by, ["capacity_mw"])
    df["_class"] = capacity_class(df["capacity_mw"], bins)
    keys, rows = [], []
    for key, g in _groups(df, by):
        keys.append(key)
        cap = g["capacity_mw"]
        n_known = int(cap.notna().sum())
        total = float(cap.sum())
        r = {"n_units": len(g), "capacity_mw": total}
        notes = []
        if n_known < len(g):
            notes.append(f"{len(g) - n_known} unit(s) without capacity left out of the classes")
        for c in CAPACITY_CLASSES:
            sel = g["_class"] == c
            r[f"n_units_{c}"] = int(sel.sum())
            r[f"capacity_mw_{c}"] = float(cap[sel].sum())
        for c in CAPACITY_CLASSES:
            r[f"share_units_{c}"] = float(ratio(r[f"n_units_{c}"], n_known))
            r[f"share_capacity_{c}"] = float(ratio(r[f"capacity_mw_{c}"], total))
        if n_known == 0:
            notes.append("capacity shares empty: no unit with a capacity")
        elif total == 0:
            notes.append("capacity shares empty: total capacity is 0")
        r["note"] = join_notes(*notes)
        rows.append(r)
    return pd.concat([_key_frame(keys, by), pd.DataFrame(rows)], axis=1)


def fuel_shares(units: pd.DataFrame, by: str | Sequence[str] | None = "park_id") -> pd.DataFrame:
    """Capacity share of each fuel per group.

    Parameters
    ----------
    units : DataFrame
        The ``by`` columns, ``fuel`` (coal | gas | oil | biomass | waste | other)
        and ``capacity_mw`` (MW).
    by : str or list of str or None
        Grouping columns; None = all units together.

    Returns
    -------
    DataFrame
        One row per group: ``by`` columns, ``share_capacity_<fuel>`` for every
        fuel (dimensionless, summing to 1), ``note``.
    """
    by = as_list(by)
    df = _units(units, by, ["fuel", "capacity_mw"])
    fuel = df["fuel"].astype(str).str.strip().str.lower()
    bad = ~fuel.isin(FUELS)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"unknown fuel {df['fuel'].iloc[i]!r} ({int(bad.sum())} row(s))",
            where=where("energy_units", "fuel", df, i),
            fix=f"use one of: {', '.join(FUELS)}",
        )
    df["fuel"] = fuel
    keys, rows = [], []
    for key, g in _groups(df, by):
        keys.append(key)
        total = float(g["capacity_mw"].sum())
        r = {f"share_capacity_{f}": float(ratio(g.loc[g.fuel == f, "capacity_mw"].sum(), total))
             for f in FUELS}
        r["note"] = "" if total > 0 else "fuel shares empty: total capacity is 0 or unknown"
        rows.append(r)
    return pd.concat([_key_frame(keys, by), pd.DataFrame(rows)], axis=1)


def efficiency_stats(units: pd.DataFrame, by: str | Sequence[str] | None = "park_id",
                     reference_efficiency: float = 0.40) -> pd.DataFrame:
    """Efficiency of the units that give one, per group.

    ``efficiency_weighted`` = Σ capacity·efficiency / Σ capacity,
    ``efficiency_mean`` = the plain mean over units, and
    ``share_capacity_below_reference`` = capacity of units with efficiency <
    ``reference_efficiency`` / capacity of units with an efficiency.

    Parameters
    ----------
    units : DataFrame
        The ``by`` columns, ``capacity_mw`` (MW) and ``efficiency`` (0–1;
        empty = not known).
    by : str or list of str or None
        Grouping columns; None = all units together.
    reference_efficiency : float
        Reference efficiency (0–1), default 0.40.

    Returns
    -------
    DataFrame
        ``by`` columns, ``n_efficiency`` (units with an efficiency),
        ``efficiency_weighted``, ``efficiency_mean``,
        ``share_capacity_below_reference`` (all dimensionless), ``note``.
    """
    if not 0 < reference_efficiency <= 1:
        raise ParameterError(f"reference efficiency {reference_efficiency} is not in (0, 1]",
                             where="[parks] reference_efficiency", fix="give a fraction such as 0.40")
    by = as_list(by)
    df = _units(units, by, ["capacity_mw", "efficiency"])
    eff = numeric(df, "efficiency", "energy_units")
    if (eff > 1).any():
        i = int(np.flatnonzero((eff > 1).to_numpy())[0])
        raise InputError(f"efficiency {eff.iloc[i]:g} is above 1",
                         where=where("energy_units", "efficiency", df, i),
                         fix="give efficiencies as fractions (0.39, not 39)")
    df["_eff"] = eff
    keys, rows = [], []
    for key, g in _groups(df, by):
        keys.append(key)
        known = g["_eff"].notna()
        e, cap = g.loc[known, "_eff"], g.loc[known, "capacity_mw"]
        wcap = cap.notna()
        capsum = float(cap[wcap].sum())
        r = {
            "n_efficiency": int(known.sum()),
            # normalised weights first: Σ e·c / Σ c underflows for tiny capacities (5e-324 MW)
            "efficiency_weighted": float((e[wcap] * (cap[wcap] / capsum)).sum()) if capsum > 0 else np.nan,
            "efficiency_mean": float(e.mean()) if known.any() else np.nan,
            "share_capacity_below_reference": float(
                ratio(cap[wcap & (e < reference_efficiency)].sum(), capsum)),
        }
        if not known.any():
            r["note"] = "efficiency empty: no unit gives an efficiency"
        elif capsum == 0:
            r["note"] = "capacity-weighted efficiency empty: the units with an efficiency have no capacity"
        else:
            r["note"] = ""
        rows.append(r)
    return pd.concat([_key_frame(keys, by), pd.DataFrame(rows)], axis=1)


def energy_summary(units: pd.DataFrame, by: str | Sequence[str] | None = "park_id",
                   bins: Sequence[float] = (30.0, 300.0),
                   reference_efficiency: float = 0.40) -> pd.DataFrame:
    """Capacity classes, fuel shares and efficiency of the energy units, per group.

    Parameters
    ----------
    units : DataFrame
        The ``by`` columns, ``capacity_mw`` (MW), optional ``fuel`` and
        ``efficiency`` (0–1).
    by : str or list of str or None
        Grouping columns; None = all units together.
    bins : two floats
        Capacity class edges, MW.
    reference_efficiency : float
        Reference efficiency (0–1).

    Returns
    -------
    DataFrame
        The columns of :func:`capacity_structure`, :func:`fuel_shares` (when
        ``fuel`` is a column) and :func:`efficiency_stats` (when ``efficiency``
        is a column) side by side, one row per group; their notes joined in
        ``note``. Capacities in MW, shares and efficiencies dimensionless.
    """
    by_l = as_list(by)
    parts = [capacity_structure(units, by_l, bins)]
    if "fuel" in units.columns:
        parts.append(fuel_shares(units, by_l))
    if "efficiency" in units.columns:
        parts.append(efficiency_stats(units, by_l, reference_efficiency))
    out = parts[0]
    for p in parts[1:]:
        note = p.pop("note")
        out = pd.concat([out, p.drop(columns=by_l)], axis=1)
        out["note"] = [join_notes(a, b) for a, b in zip(out["note"], note, strict=True)]
    cols = [c for c in out.columns if c != "note"] + ["note"]
    return out[cols]


# --------------------------------------------------------------------------- wastewater


def load_rate(inflow_m3_per_day, design_m3_per_day) -> np.ndarray:
    """Load rate of a wastewater plant = inflow / design capacity.

    Parameters
    ----------
    inflow_m3_per_day : array_like
        Actual inflow, m³/d.
    design_m3_per_day : array_like
        Design capacity, m³/d.

    Returns
    -------
    ndarray
        Dimensionless (1 = full load; may exceed 1); NaN where the design is 0 or missing.
    """
    return ratio(inflow_m3_per_day, design_m3_per_day)


def removal_rate(c_in, c_out) -> np.ndarray:
    """Removal rate of a pollutant = (c_in − c_out) / c_in.

    Parameters
    ----------
    c_in, c_out : array_like
        Influent and effluent concentration, mg/L.

    Returns
    -------
    ndarray
        Dimensionless (≤ 1; negative if the effluent is dirtier); NaN where c_in is 0 or missing.
    """
    cin = np.asarray(c_in, dtype=float)
    return ratio(cin - np.asarray(c_out, dtype=float), cin)


def cod_removal(cod_in, cod_out) -> np.ndarray:
    """COD removal rate = (cod_in − cod_out) / cod_in.

    Parameters
    ----------
    cod_in, cod_out : array_like
        Influent and effluent COD, mg/L.

    Returns
    -------
    ndarray
        Dimensionless; NaN where cod_in is 0 or missing.
    """
    return removal_rate(cod_in, cod_out)


def nh3n_removal(nh3n_in, nh3n_out) -> np.ndarray:
    """NH3-N removal rate = (nh3n_in − nh3n_out) / nh3n_in.

    Parameters
    ----------
    nh3n_in, nh3n_out : array_like
        Influent and effluent ammonia nitrogen, mg/L.

    Returns
    -------
    ndarray
        Dimensionless; NaN where nh3n_in is 0 or missing.
    """
    return removal_rate(nh3n_in, nh3n_out)


def wwtp_performance(wwtp: pd.DataFrame) -> pd.DataFrame:
    """Load rate and removal rates of every wastewater plant.

    Parameters
    ----------
    wwtp : DataFrame
        ``wwtp_id, park_id, design_m3_per_day, inflow_m3_per_day`` (m³/d), optional
        ``cod_in, cod_out, nh3n_in, nh3n_out`` (mg/L).

    Returns
    -------
    DataFrame
        ``wwtp_id, park_id, load_rate, cod_removal, nh3n_removal`` (dimensionless;
        removals empty when their concentrations are not columns), ``note``.
    """
    table = "wwtp"
    require_columns(wwtp, table, ("wwtp_id", "park_id", "design_m3_per_day", "inflow_m3_per_day"))
    df = wwtp.reset_index(drop=True)
    x = {c: numeric(df, c, table) for c in
         ("design_m3_per_day", "inflow_m3_per_day", "cod_in", "cod_out", "nh3n_in", "nh3n_out")
         if c in df.columns}
    n = len(df)
    nan = np.full(n, np.nan)
    out = pd.DataFrame({"wwtp_id": df["wwtp_id"].to_numpy(), "park_id": df["park_id"].to_numpy()})
    out["load_rate"] = load_rate(x["inflow_m3_per_day"], x["design_m3_per_day"])
    notes = [[] for _ in range(n)]
    for i in np.flatnonzero(np.isnan(out["load_rate"].to_numpy())):
        d = x["design_m3_per_day"].iloc[i]
        notes[i].append("load_rate empty: " + ("design capacity is 0" if d == 0 else
                                                "no design capacity" if np.isnan(d) else "no inflow"))
    for name, fn, p in (("cod_removal", cod_removal, "cod"), ("nh3n_removal", nh3n_removal, "nh3n")):
        cin, cout = f"{p}_in", f"{p}_out"
        if cin in x and cout in x:
            out[name] = fn(x[cin], x[cout])
            for i in np.flatnonzero(np.isnan(out[name].to_numpy())):
                v = x[cin].iloc[i]
                notes[i].append(f"{name} empty: " + (f"{cin} is 0" if v == 0 else
                                                    f"no {cin}" if np.isnan(v) else f"no {cout}"))
        else:
            out[name] = nan
    out["note"] = [join_notes(*m) for m in notes]
    return out


def _truthy(v) -> bool | None:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, float, np.integer, np.floating)):
        return bool(v)
    s = str(v).strip().lower()
    if s in ("true", "yes", "y", "1", "是", "有"):
        return True
    if s in ("false", "no", "n", "0", "否", "无"):
        return False
    if s == "":
        return None
    raise InputError(f"online_monitoring {v!r} is not yes/no", where=where("wwtp", "online_monitoring"),
                     fix="use true/false (or yes/no, 1/0)")


def wwtp_completion(parks: pd.DataFrame, wwtp: pd.DataFrame,
                    by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Wastewater infrastructure completion per group.

    ``wwtp_completion`` = parks with ≥ 1 plant / parks; ``monitoring_completion``
    = parks with ≥ 1 plant with online monitoring / parks.

    Parameters
    ----------
    parks : DataFrame
        One row per park: ``park_id`` and the ``by`` columns.
    wwtp : DataFrame
        ``park_id``, optional ``online_monitoring`` (bool, yes/no, 1/0).
    by : str or list of str or None
        Grouping columns of ``parks``; None = all parks together.

    Returns
    -------
    DataFrame
        ``by`` columns, ``n_parks``, ``n_parks_wwtp``, ``wwtp_completion``,
        ``n_parks_monitoring``, ``monitoring_completion`` (dimensionless; empty,
        with a note, when ``wwtp`` has no ``online_monitoring`` column).
    """
    by = as_list(by)
    require_columns(parks, "parks", ["park_id", *by])
    require_columns(wwtp, "wwtp", ["park_id"])
    has = set(wwtp["park_id"])
    mon_col = "online_monitoring" in wwtp.columns
    mon = set()
    if mon_col:
        flags = wwtp["online_monitoring"].map(_truthy)
        mon = set(wwtp.loc[flags.eq(True), "park_id"])
    df = parks.reset_index(drop=True).copy()
    df["_w"] = df["park_id"].isin(has)
    df["_m"] = df["park_id"].isin(mon)
    keys, rows = [], []
    for key, g in _groups(df, by):
        keys.append(key)
        n = len(g)
        r = {"n_parks": n, "n_parks_wwtp": int(g["_w"].sum()),
             "wwtp_completion": float(ratio(g["_w"].sum(), n))}
        if mon_col:
            r["n_parks_monitoring"] = int(g["_m"].sum())
            r["monitoring_completion"] = float(ratio(g["_m"].sum(), n))
            r["note"] = ""
        else:
            r["n_parks_monitoring"] = pd.NA
            r["monitoring_completion"] = np.nan
            r["note"] = "monitoring completion empty: the wwtp table has no online_monitoring column"
        rows.append(r)
    out = pd.concat([_key_frame(keys, by), pd.DataFrame(rows)], axis=1)
    out["n_parks_monitoring"] = out["n_parks_monitoring"].astype("Int64")
    return out
