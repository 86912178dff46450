"""Air pollutant excess index (seed 000 eq. 1–2; METHODS §1.1, §1.7).

    R_air_ij = C_ij / S_i − 1        (eq. 1)
    R_air_j  = max_i R_air_ij        (eq. 2)

C_ij is the annual assessment statistic of pollutant i in unit j (µg/m³; CO
in mg/m³): the annual mean for PM2.5, PM10, NO2 and SO2, the 95th percentile
of daily means for CO and the 90th percentile of daily maximum 8-h means for
O3 (HJ 663). S_i is the limit of the chosen standard and grade. The index is
dimensionless.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecozone.capacity._checks import (
    ids,
    join_notes,
    known_values,
    map_distinct,
    no_duplicates,
    numeric,
    require_columns,
    where,
)
from ecozone.capacity.hierarchy import Hierarchy, weighted_mean_up
from ecozone.capacity.params import AIR_POLLUTANTS
from ecozone.capacity.standards import AIR_STATISTIC
from ecozone.errors import InputError

GASES = ("SO2", "NO2", "CO", "O3")
#: MEE announcement 2018 No. 29: gas concentrations at 298.15 K from this date (273.15 K before)
REFERENCE_STATE_CHANGE = pd.Timestamp("2018-09-01")

_UNIT_FACTOR_TO_UG = {"ug/m3": 1.0, "µg/m3": 1.0, "μg/m3": 1.0, "ug m-3": 1.0, "mg/m3": 1000.0, "mg m-3": 1000.0}


def _norm_unit(u) -> str:
    return " ".join(str(u).strip().lower().replace("³", "3").split())


def _to_canonical(df: pd.DataFrame, value: pd.Series, table: str) -> pd.Series:
    """Values in µg/m³ (CO in mg/m³) using the table's ``unit`` column when it has one."""
    if "unit" not in df.columns:
        return value
    f = map_distinct(df["unit"], lambda v: _UNIT_FACTOR_TO_UG.get(_norm_unit(v), np.nan)).astype(float)
    bad = f.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"unknown concentration unit {df['unit'].iloc[i]!r}",
            where=where(table, "unit", df, i),
            fix="use ug/m3 (µg/m³) or mg/m3",
        )
    ug = value * f.to_numpy()
    is_co = (df["pollutant"] == "CO").to_numpy()
    return pd.Series(np.where(is_co, ug / 1000.0, ug), index=value.index)


def _check_co(df: pd.DataFrame, value: pd.Series, table: str, co_max_mg_m3: float) -> None:
    hi = (df["pollutant"] == "CO").to_numpy() & (value.to_numpy() > co_max_mg_m3)
    if hi.any():
        i = int(np.flatnonzero(hi)[0])
        raise InputError(
            f"CO = {value.iloc[i]:g} mg/m³ is about 1000× the usual range (annual statistics are "
            f"0.5–5 mg/m³; above {co_max_mg_m3:g} is taken for µg/m³ given without saying so)",
            where=where(table, "value", df, i),
            fix="give CO in mg/m³, or say that the row is in µg/m³ in the 'unit' column (ug/m3) "
            "so that it is divided by 1000",
        )


def check_air(air: pd.DataFrame, *, table: str = "air", co_max_mg_m3: float = 50.0) -> pd.DataFrame:
    """Validate the annual air table and return ``unit_id, year, pollutant, value``.

    ``value`` comes out in µg/m³ (CO in mg/m³); an optional ``unit`` column
    (ug/m3 or mg/m3 per row) is applied. Negative, non-numeric or empty
    values, unknown pollutants, repeated keys and CO values about 1000× too
    large are :class:`InputError` naming the table, column and row.
    """
    require_columns(air, table, ("unit_id", "year", "pollutant", "value"))
    df = air.copy()
    df["unit_id"] = ids(df["unit_id"])
    df["pollutant"] = df["pollutant"].astype(str).str.strip()
    known_values(df, "pollutant", table, AIR_POLLUTANTS, "air pollutant")
    year = numeric(df, "year", table)
    value = numeric(df, "value", table)
    value = _to_canonical(df, value, table)
    _check_co(df, value, table, co_max_mg_m3)
    out = pd.DataFrame(
        {"unit_id": df["unit_id"], "year": year.astype(int), "pollutant": df["pollutant"], "value": value},
        index=df.index,
    )
    no_duplicates(out, table, ["unit_id", "year", "pollutant"])
    return out.reset_index(drop=True)


def annual_statistics(
    daily: pd.DataFrame,
    *,
    min_days: int = 324,
    min_days_month: int = 27,
    min_days_february: int = 25,
    co_max_mg_m3: float = 50.0,
    table: str = "air_daily",
) -> pd.DataFrame:
    """Annual assessment statistics from daily values (HJ 663; METHODS §1.7).

    Parameters
    ----------
    daily:
        ``unit_id, date, pollutant, value``: daily means (µg/m³, CO mg/m³;
        for O3 the daily maximum 8-h mean). An empty value is a missing day.

    Returns
    -------
    One row per unit, year and pollutant: ``unit_id, year, pollutant,
    value`` (the annual mean for PM2.5, PM10, NO2, SO2; the 95th percentile of
    daily means for CO; the 90th percentile of daily maximum 8-h means for O3;
    percentiles by linear interpolation, which is HJ 663's rule and NumPy's
    default), ``statistic``, ``n_days`` (valid days), ``valid`` (≥ ``min_days``
    valid days and ≥ ``min_days_month`` in every month, ``min_days_february``
    in February; applied to every statistic as HJ 663 does for annual
    assessment) and ``note`` (why a year is not valid; a gas series that spans
    2018-09-01, when reporting moved from 273.15 K to 298.15 K, is noted, not
    converted).
    """
    require_columns(daily, table, ("unit_id", "date", "pollutant", "value"))
    df = daily.copy()
    df["unit_id"] = ids(df["unit_id"])
    df["pollutant"] = df["pollutant"].astype(str).str.strip()
    known_values(df, "pollutant", table, AIR_POLLUTANTS, "air pollutant")
    date = pd.to_datetime(df["date"], errors="coerce")
    bad = date.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"{df['date'].iloc[i]!r} is not a date",
            where=where(table, "date", df, i),
            fix="give dates as YYYY-MM-DD",
        )
    value = numeric(df, "value", table, allow_missing=True)
    value = _to_canonical(df, value, table)
    _check_co(df, value.fillna(0.0), table, co_max_mg_m3)
    d = pd.DataFrame(
        {"unit_id": df["unit_id"], "date": date.dt.normalize(), "pollutant": df["pollutant"], "value": value},
        index=df.index,
    )
    no_duplicates(d, table, ["unit_id", "date", "pollutant"])
    d["year"] = d["date"].dt.year
    d["month"] = d["date"].dt.month
    key = ["unit_id", "year", "pollutant"]

    # reference-state change of gas concentrations (a note, not a conversion)
    gas = d[d["pollutant"].isin(GASES)]
    span = gas.groupby(["unit_id", "pollutant"])["date"].agg(["min", "max"])
    crosses = span[(span["min"] < REFERENCE_STATE_CHANGE) & (span["max"] >= REFERENCE_STATE_CHANGE)].index

    valid = d.dropna(subset=["value"])
    n_days = valid.groupby(key).size().rename("n_days")
    per_month = valid.groupby([*key, "month"]).size().unstack("month").reindex(columns=range(1, 13)).fillna(0)

    stats = []
    for pol, stat in AIR_STATISTIC.items():
        sub = valid[valid["pollutant"] == pol]
        if len(sub) == 0:
            continue
        g = sub.groupby(key)["value"]
        if stat == "annual_mean":
            s = g.mean()
        elif stat == "p95_daily_mean":
            s = g.quantile(0.95, interpolation="linear")
        else:
            s = g.quantile(0.90, interpolation="linear")
        stats.append(s.rename("value").to_frame().assign(statistic=stat))
    all_keys = d.groupby(key).size().index
    out = pd.DataFrame(index=all_keys)
    if stats:
        out = out.join(pd.concat(stats))
    else:
        out["value"] = np.nan
        out["statistic"] = ""
    out["statistic"] = [AIR_STATISTIC[p] for p in out.index.get_level_values("pollutant")]
    out = out.join(n_days).join(per_month)
    out["n_days"] = out["n_days"].fillna(0).astype(int)
    out[list(range(1, 13))] = out[list(range(1, 13))].fillna(0)
    months = list(range(1, 13))
    need = pd.Series({m: min_days_february if m == 2 else min_days_month for m in months})
    short = out[months].lt(need, axis=1)
    enough = out["n_days"] >= min_days
    out["valid"] = enough & ~short.any(axis=1)
    pol_of = out.index.get_level_values("pollutant")
    cross = np.array(
        [p in GASES and (u, p) in crosses for u, p in zip(out.index.get_level_values("unit_id"), pol_of, strict=True)],
        dtype=bool,
    )
    notes = np.full(len(out), "", dtype=object)
    for i in np.flatnonzero(~out["valid"].to_numpy() | cross):
        uid, yr, pol = out.index[i]
        msgs = []
        if not enough.iloc[i]:
            msgs.append(f"{pol} {yr}: {out['n_days'].iloc[i]} valid days (< {min_days}, HJ 663)")
        elif short.iloc[i].any():
            bad = [m for m in months if short.iloc[i][m]]
            names = ", ".join(f"month {m} ({int(out[m].iloc[i])} days)" for m in bad[:3])
            msgs.append(
                f"{pol} {yr}: too few valid days in {names} (< {min_days_month}, February < {min_days_february})"
            )
        if cross[i]:
            msgs.append(
                f"{pol} series spans 2018-09-01 (gas concentrations reported at 298.15 K from then, "
                "273.15 K before; not converted)"
            )
        notes[i] = "; ".join(msgs)
    out["note"] = notes
    out = out.reset_index()
    out["year"] = out["year"].astype(int)
    return out[["unit_id", "year", "pollutant", "value", "statistic", "n_days", "valid", "note"]]


def air_pollutant_index(conc: pd.DataFrame, limits: pd.Series | pd.DataFrame) -> pd.DataFrame:
    """Per-pollutant excess index R_air_ij = C_ij / S_i − 1 (eq. 1), dimensionless.

    Parameters
    ----------
    conc:
        ``unit_id, year, pollutant, value`` (µg/m³; CO mg/m³).
    limits:
        S_i as a Series pollutant → limit, or a DataFrame ``year, pollutant,
        limit`` when the limits change by year (same units as ``value``).

    Returns ``conc`` with columns ``limit`` and ``r`` added.
    """
    out = conc.copy()
    if isinstance(limits, pd.DataFrame):
        lim = limits.set_index(["year", "pollutant"])["limit"]
        pos = lim.index.get_indexer(pd.MultiIndex.from_arrays([out["year"], out["pollutant"]]))
        out["limit"] = np.where(pos >= 0, lim.to_numpy(dtype=float)[pos], np.nan)
    else:
        out["limit"] = out["pollutant"].map(limits)
    miss = out["limit"].isna()
    if miss.any():
        i = int(np.flatnonzero(miss.to_numpy())[0])
        raise InputError(
            f"no limit for pollutant {out['pollutant'].iloc[i]!r} in {out['year'].iloc[i]}",
            where=where("air", "pollutant", out, i),
            fix=f"air pollutants are {', '.join(AIR_POLLUTANTS)}",
        )
    out["r"] = out["value"] / out["limit"] - 1.0
    return out


def air_area_index(pidx: pd.DataFrame) -> pd.DataFrame:
    """Air excess index of each unit and year, R_air_j = max_i R_air_ij (eq. 2).

    A unit with only some pollutants is computed from those present.

    Returns ``unit_id, year, r_air, n_pollutants, air_primary`` (the
    pollutant with the largest index; ties: first in the order PM2.5, PM10,
    NO2, SO2, CO, O3) and ``air_missing`` (pollutants absent, comma-separated).
    """
    order = {p: i for i, p in enumerate(AIR_POLLUTANTS)}
    p = pidx.assign(_o=pidx["pollutant"].map(order))
    p = p.sort_values(["unit_id", "year", "r", "_o"], ascending=[True, True, False, True])
    g = p.groupby(["unit_id", "year"], sort=True)
    first = g.first()
    # pollutants present as bits (PM2.5 = 1, PM10 = 2, …); the missing ones spelt out per bit pattern
    bit = p["pollutant"].map({x: 1 << i for i, x in enumerate(AIR_POLLUTANTS)}).fillna(0).astype(np.int64)
    seen = p.assign(_bit=bit).drop_duplicates(["unit_id", "year", "pollutant"])
    bits = seen.groupby(["unit_id", "year"], sort=True)["_bit"].sum().reindex(first.index)
    spelt = [",".join(x for i, x in enumerate(AIR_POLLUTANTS) if not b >> i & 1) for b in range(1 << len(AIR_POLLUTANTS))]
    out = pd.DataFrame(
        {
            "r_air": first["r"],
            "n_pollutants": g.size(),
            "air_primary": first["pollutant"],
            "air_missing": np.asarray(spelt, dtype=object)[bits.to_numpy()],
        },
        index=first.index,
    ).reset_index()
    out["year"] = out["year"].astype(int)
    return out


def air_concentrations_by_level(
    conc: pd.DataFrame,
    hier: Hierarchy,
    weights: pd.Series,
    *,
    weight_name: str = "area",
    weight_table: str = "units",
) -> pd.DataFrame:
    """Concentrations at every level (METHODS §1.1 aggregation).

    A value given for a unit is used as it is (per pollutant and year: a
    value given directly for an upper unit wins); otherwise the weighted mean
    of the values of the units of the level it nests in. Rows naming a unit
    not in ``hier`` are an :class:`InputError`.

    Parameters
    ----------
    conc: ``unit_id, year, pollutant, value`` for units of any level.
    weights: unit id → area (km²) or (unit id, year) → population (persons).

    Returns ``level, unit_id, year, pollutant, value, source`` (``given`` or
    ``members``), ``n_members``, ``coverage`` and ``note``.
    """
    c = conc.copy()
    c["level"] = c["unit_id"].map(hier.level_of)
    unknown = c["level"].isna()
    if unknown.any():
        i = int(np.flatnonzero(unknown.to_numpy())[0])
        raise InputError(
            f"unit_id '{c['unit_id'].iloc[i]}' is not a unit of the study at any level",
            where=where("air", "unit_id", c, i),
            fix="correct the id (it must match the units layer's id columns) or remove the row",
        )
    res: dict[str, pd.DataFrame] = {}
    for lv in hier.levels:
        given = c[c["level"] == lv][["unit_id", "year", "pollutant", "value"]].assign(
            source="given", n_members=0, coverage=1.0, note=""
        )
        if lv == hier.finest:
            res[lv] = given
            continue
        child = res[hier.parents[lv]]
        agg = weighted_mean_up(
            child, hier.links[lv], weights, weight_name=weight_name, weight_table=weight_table
        )
        agg = agg.assign(source="members")
        agg["note"] = [
            f"{p} {y}: members with values cover {cov:.0%} of the {weight_name}" if cov < 0.9995 else ""
            for p, y, cov in zip(agg["pollutant"], agg["year"], agg["coverage"], strict=True)
        ]
        if len(given):
            key = ["unit_id", "year", "pollutant"]
            gk = pd.MultiIndex.from_frame(given[key])
            agg = agg[~pd.MultiIndex.from_frame(agg[key]).isin(gk)]
        res[lv] = pd.concat([given, agg], ignore_index=True)
    out = pd.concat([df.assign(level=lv) for lv, df in res.items()], ignore_index=True)
    out["year"] = out["year"].astype(int)
    out["n_members"] = out["n_members"].astype(int)
    return out[["level", "unit_id", "year", "pollutant", "value", "source", "n_members", "coverage", "note"]]


def air_index_by_level(conc_levels: pd.DataFrame, limits) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Eq. 1–2 at every level from :func:`air_concentrations_by_level` output.

    Returns ``(units, pollutants)``: per ``level, unit_id, year`` the columns of
    :func:`air_area_index` plus ``air_note``; per pollutant the concentration,
    limit and index ``r``.
    """
    pidx = air_pollutant_index(conc_levels, limits)
    parts = []
    for lv, sub in pidx.groupby("level", sort=False):
        a = air_area_index(sub)
        noted = sub[sub["note"].fillna("").astype(str).str.strip() != ""]  # join_notes drops empty notes
        notes = noted.groupby(["unit_id", "year"])["note"].agg(lambda s: join_notes(*s))
        pos = notes.index.get_indexer(pd.MultiIndex.from_arrays([a["unit_id"], a["year"]])) if len(notes) else None
        a["air_note"] = (
            np.where(pos >= 0, notes.to_numpy(dtype=object)[pos], "") if pos is not None else ""
        )
        parts.append(a.assign(level=lv))
    units = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["level", "unit_id", "year", "r_air", "n_pollutants", "air_primary", "air_missing", "air_note"]
    )
    return units, pidx
