"""Carbon balance zones (METHODS §2.4, seed 004 Table 3), their shares and transitions.

=============================  ==========================================
zone code                      rule (ties at the threshold count as above)
=============================  ==========================================
``carbon_sink``                CS_i > CE_i and ESC ≥ 1
``low_carbon_economic``        CS_i ≤ CE_i, ESC ≥ 1, ECC ≥ 1
``low_carbon_optimisation``    CS_i ≤ CE_i, ESC ≥ 1, ECC < 1
``carbon_intensity_control``   CS_i ≤ CE_i, ESC < 1, ECC ≥ 1
``high_carbon_optimisation``   CS_i ≤ CE_i, ESC < 1, ECC < 1
``unclassified``               CS_i > CE_i and ESC < 1, or an index undefined
=============================  ==========================================

Floating-point ties: ESC or ECC within ``tie_rtol`` (relative) of the
threshold count as equal to it (so as ≥); CS within ``tie_rtol`` of CE counts
as CS = CE (so CS ≤ CE).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecozone.carbon.params import ZoningParams

ZONES = (
    "carbon_sink",
    "low_carbon_economic",
    "low_carbon_optimisation",
    "carbon_intensity_control",
    "high_carbon_optimisation",
    "unclassified",
)
ZONE_LABELS = {
    "carbon_sink": "Carbon sink functional zone",
    "low_carbon_economic": "Low-carbon economic zone",
    "low_carbon_optimisation": "Low-carbon optimisation zone",
    "carbon_intensity_control": "Carbon intensity control zone",
    "high_carbon_optimisation": "High-carbon optimisation zone",
    "unclassified": "Unclassified",
}


def _at_least(x: np.ndarray, thr: float, rtol: float) -> np.ndarray:
    return (x >= thr) | (np.abs(x - thr) <= rtol * max(abs(thr), 1e-300))


def classify_zones(cs, ce, esc, ecc, threshold: float = 1.0, tie_rtol: float = 1e-9):
    """Zone code and note for each unit (arrays of equal length).

    ``cs``, ``ce`` in t C; ``esc``, ``ecc`` dimensionless (NaN = undefined).
    Returns ``(zone, note)`` arrays of str; the note says why a unit is
    ``unclassified`` ("" otherwise).
    """
    cs = np.asarray(cs, dtype=float)
    ce = np.asarray(ce, dtype=float)
    esc = np.asarray(esc, dtype=float)
    ecc = np.asarray(ecc, dtype=float)
    n = cs.size
    zone = np.full(n, "unclassified", dtype=object)
    note = np.full(n, "", dtype=object)
    tie_cs = np.abs(cs - ce) <= tie_rtol * np.maximum(np.abs(cs), np.abs(ce))
    sink_side = (cs > ce) & ~tie_cs
    # CE_i = 0 < CS_i: ESC is +∞ (≥ 1)
    esc_eff = np.where((ce == 0) & (cs > 0), np.inf, esc)
    esc_hi = _at_least(esc_eff, threshold, tie_rtol)
    ecc_hi = _at_least(ecc, threshold, tie_rtol)
    missing = ~(np.isfinite(cs) & np.isfinite(ce))
    esc_nan = np.isnan(esc_eff)
    ecc_nan = np.isnan(ecc)

    zone[sink_side & esc_hi] = "carbon_sink"
    m = sink_side & ~esc_hi & ~esc_nan
    note[m] = "CS > CE but ESC < 1 (the region as a whole sequesters strongly)"
    src = ~sink_side
    zone[src & esc_hi & ecc_hi] = "low_carbon_economic"
    zone[src & esc_hi & ~ecc_hi & ~ecc_nan] = "low_carbon_optimisation"
    zone[src & ~esc_hi & ~esc_nan & ecc_hi] = "carbon_intensity_control"
    zone[src & ~esc_hi & ~esc_nan & ~ecc_hi & ~ecc_nan] = "high_carbon_optimisation"
    und = (zone == "unclassified") & (note == "")
    note[und & esc_nan] = "ESC undefined (CE = 0, or the level's total CS ≤ 0)"
    note[und & ~esc_nan & ecc_nan] = "ECC undefined (GDP missing or CE = 0)"
    zone[missing] = "unclassified"
    note[missing] = "CE or CS missing"
    return zone, note


def assign_zones(budget: pd.DataFrame, params: ZoningParams | None = None) -> pd.DataFrame:
    """Add ``zone`` and ``zone_note`` to a :func:`~ecozone.carbon.budget.carbon_budget` table."""
    p = params or ZoningParams()
    df = budget.copy()
    ecc = df["ecc"] if "ecc" in df.columns else np.full(len(df), np.nan)
    zone, note = classify_zones(df["cs"], df["ce"], df["esc"], ecc, p.threshold, p.tie_rtol)
    df["zone"] = zone
    df["zone_note"] = note
    return df


def zone_summary(zoned: pd.DataFrame, area_column: str = "area_km2") -> pd.DataFrame:
    """Count and area share of each zone per level and year (all six zones listed).

    ``zoned``: rows of units with ``year``, ``zone`` (optional ``level``) and
    ``area_column`` (km²). Returns ``level?, year, zone, count, area_km2,
    area_share`` (share of the total area of the level's units that year,
    0–1).
    """
    keys = ["level", "year"] if "level" in zoned.columns else ["year"]
    has_area = area_column in zoned.columns
    rows = []
    for key, g in zoned.groupby(keys, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        total = float(g[area_column].sum()) if has_area else np.nan
        for z in ZONES:
            sel = g[g["zone"] == z]
            area = float(sel[area_column].sum()) if has_area else np.nan
            row = dict(zip(keys, key, strict=True))
            row.update(
                zone=z,
                count=len(sel),
                area_km2=area,
                area_share=area / total if has_area and total > 0 else np.nan,
            )
            rows.append(row)
    return pd.DataFrame(rows)


def zone_transitions(zoned: pd.DataFrame, area_column: str = "area_km2") -> pd.DataFrame:
    """Zone transitions between consecutive years present, in long form.

    Returns ``level?, year_from, year_to, zone_from, zone_to, count, area_km2``
    with one row per pair of zones that occurs (units present in both years).
    """
    keys = ["level"] if "level" in zoned.columns else []
    out = []
    groups = zoned.groupby(keys, sort=True) if keys else [((), zoned)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        years = sorted(g["year"].unique())
        for y0, y1 in zip(years[:-1], years[1:], strict=True):
            a = g[g["year"] == y0].set_index("unit_id")
            b = g[g["year"] == y1].set_index("unit_id")
            common = a.index.intersection(b.index)
            pair = pd.DataFrame(
                {"zone_from": a.loc[common, "zone"], "zone_to": b.loc[common, "zone"]}
            )
            pair["area"] = b.loc[common, area_column] if area_column in b.columns else np.nan
            t = pair.groupby(["zone_from", "zone_to"]).agg(
                count=("area", "size"), area_km2=("area", "sum")
            )
            t = t.reset_index()
            for k, v in zip(keys, key, strict=True):
                t.insert(0, k, v)
            t.insert(len(keys), "year_from", int(y0))
            t.insert(len(keys) + 1, "year_to", int(y1))
            out.append(t)
    if not out:
        return pd.DataFrame(
            columns=[*keys, "year_from", "year_to", "zone_from", "zone_to", "count", "area_km2"]
        )
    return pd.concat(out, ignore_index=True)


def transition_matrix(
    zoned: pd.DataFrame, year_from: int, year_to: int, level: str | None = None
) -> pd.DataFrame:
    """Square matrix (rows: zone in ``year_from``, columns: zone in ``year_to``) of unit counts."""
    z = zoned if level is None else zoned[zoned["level"] == level]
    a = z[z["year"] == year_from].set_index("unit_id")["zone"]
    b = z[z["year"] == year_to].set_index("unit_id")["zone"]
    common = a.index.intersection(b.index)
    m = pd.crosstab(a.loc[common], b.loc[common])
    m = m.reindex(index=list(ZONES), columns=list(ZONES), fill_value=0)
    m.index.name, m.columns.name = f"zone_{year_from}", f"zone_{year_to}"
    return m
