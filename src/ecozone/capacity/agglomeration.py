"""Agglomeration development typing and the coupling coordination degree
(seed 000 §4; METHODS §1.6).

Development level U1: indicators min–max normalised across the units of one
level and year (direction per indicator), weighted by the entropy weight
method or user weights, summed. Classes mature / fast-growing / incubating by
Fisher–Jenks natural breaks or user thresholds. Environment U2: min–max
normalised −R over the same units. Coupling coordination:

    C = 2·sqrt(U1·U2) / (U1 + U2),   T = a·U1 + b·U2,   D = sqrt(C·T)

All quantities are dimensionless, in [0, 1].
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecozone.capacity._checks import numeric, where
from ecozone.capacity.standards import coordination_grades
from ecozone.errors import InputError, ParameterError

MATURE, FAST, INCUBATING = "mature", "fast-growing", "incubating"
CLASSES = (INCUBATING, FAST, MATURE)  # ascending U1


def minmax(x, direction: str = "+") -> np.ndarray:
    """Min–max normalisation to [0, 1]: (x − min)/(max − min) for '+',
    (max − x)/(max − min) for '−'. A constant column gives zeros."""
    x = np.asarray(x, dtype=float)
    lo, hi = np.nanmin(x), np.nanmax(x)
    if hi == lo:
        return np.zeros_like(x)
    return (x - lo) / (hi - lo) if direction == "+" else (hi - x) / (hi - lo)


def normalise(indicators: pd.DataFrame, directions: dict[str, str] | None = None) -> pd.DataFrame:
    """Every column min–max normalised (directions default '+')."""
    directions = directions or {}
    return pd.DataFrame(
        {c: minmax(indicators[c], directions.get(c, "+")) for c in indicators.columns},
        index=indicators.index,
    )


def entropy_weights(norm: pd.DataFrame) -> pd.Series:
    """Entropy weights of the columns of a normalised indicator matrix (units × indicators).

    p_ij = x_ij / Σ_i x_ij;  e_j = −(1/ln n) Σ_i p_ij ln p_ij (0·ln 0 = 0);
    d_j = 1 − e_j;  w_j = d_j / Σ_j d_j. An all-zero column (a constant
    indicator) carries no information and gets weight 0.
    """
    x = norm.to_numpy(dtype=float)
    n = x.shape[0]
    if n < 2:
        raise ValueError("entropy weights need at least two units")
    col = x.sum(axis=0)
    d = np.zeros(x.shape[1])
    for j in range(x.shape[1]):
        if col[j] <= 0:
            continue
        p = x[:, j] / col[j]
        pl = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
        e = -pl.sum() / np.log(n)
        d[j] = 1.0 - e
    if d.sum() <= 0:
        w = np.where(col > 0, 1.0, 0.0)
        w = w / w.sum() if w.sum() > 0 else np.full(len(d), 1.0 / len(d))
    else:
        w = d / d.sum()
    return pd.Series(w, index=norm.columns, name="weight")


def development_index(norm: pd.DataFrame, weights: pd.Series) -> pd.Series:
    """U1 = Σ_j w_j x_ij with weights summing to 1 (dimensionless, 0–1)."""
    w = weights.reindex(norm.columns).fillna(0.0)
    w = w / w.sum()
    return (norm * w).sum(axis=1).rename("dev_index")


def classify_development(u1: pd.Series, classes="jenks") -> pd.Series:
    """mature / fast-growing / incubating.

    ``classes="jenks"``: Fisher–Jenks natural breaks into three classes
    (mapclassify), lowest class incubating; needs at least three distinct
    values. ``classes=[t1, t2]``: U1 < t1 incubating, t1 ≤ U1 < t2
    fast-growing, U1 ≥ t2 mature.
    """
    v = u1.to_numpy(dtype=float)
    if isinstance(classes, str):
        if classes != "jenks":
            raise ParameterError(
                f"unknown classes '{classes}'", where="[capacity.typing] classes",
                fix="use 'jenks' or two thresholds [t1, t2]",
            )
        if len(np.unique(v)) < 3:
            raise ValueError(
                f"natural breaks into three classes need at least three distinct development "
                f"indices (got {len(np.unique(v))})"
            )
        import mapclassify

        yb = mapclassify.FisherJenks(v, k=3).yb
    else:
        t1, t2 = classes
        yb = np.where(v < t1, 0, np.where(v < t2, 1, 2))
    return pd.Series(np.array(CLASSES, dtype=object)[yb], index=u1.index, name="dev_class")


def coupling_coordination(u1, u2, a: float = 0.5, b: float = 0.5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coupling degree C = 2√(U1·U2)/(U1+U2), comprehensive index T = a·U1 + b·U2,
    coordination degree D = √(C·T). U1 = U2 = 0 gives C = 0 (and D = 0)."""
    u1 = np.asarray(u1, dtype=float)
    u2 = np.asarray(u2, dtype=float)
    s = u1 + u2
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.where(s > 0, 2.0 * np.sqrt(u1 * u2) / np.where(s > 0, s, 1.0), 0.0)
    c = np.where(np.isnan(u1) | np.isnan(u2), np.nan, c)
    t = a * u1 + b * u2
    d = np.sqrt(c * t)
    return c, t, d


def coordination_grade(d, grades: pd.DataFrame | None = None) -> pd.DataFrame:
    """Grade of each coordination degree D: ``grade, code, name_zh, name_en``.

    Grades are [d_min, d_max) in steps of 0.1, the last including 1; D is
    rounded to 10 decimals first so that e.g. 0.3 computed as 0.29999999999999993
    is graded 0.3–0.4. Missing D gives missing grade.
    """
    g = coordination_grades() if grades is None else grades
    d = np.round(np.asarray(d, dtype=float), 10)
    edges = g["d_min"].to_numpy(dtype=float)
    idx = np.searchsorted(edges, d, side="right") - 1
    idx = np.clip(idx, 0, len(g) - 1)
    ok = ~np.isnan(d)
    cols = {}
    for c in ("grade", "code", "name_zh", "name_en"):
        vals = g[c].to_numpy()[idx].astype(object)
        vals[~ok] = None
        cols[c] = vals
    return pd.DataFrame(cols)


def indicator_matrix(dev: pd.DataFrame, *, table: str = "development") -> tuple[pd.DataFrame, list[str]]:
    """Indicators of the development table as floats: the frame and the indicator names
    (every column but ``unit_id, year, name, level``). Non-numeric or empty cells are
    :class:`InputError`."""
    skip = {"unit_id", "year", "name", "level"}
    ind = [c for c in dev.columns if c not in skip]
    if not ind:
        raise InputError(
            "has no indicator columns",
            where=where(table),
            fix="add one column per development indicator (GDP, population, density …) beside unit_id, year",
        )
    out = dev.copy()
    for c in ind:
        out[c] = numeric(out, c, table, nonnegative=False)
    return out, ind


def development_typing(
    dev: pd.DataFrame,
    indicators: list[str],
    *,
    weights="entropy",
    directions: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """U1 of the units of one level, per year.

    ``dev``: ``unit_id, year`` + indicator columns (floats). Returns
    ``(frame unit_id, year, dev_index, weights as text), notes``.
    """
    directions = directions or {}
    unknown = [k for k in directions if k not in indicators]
    if unknown:
        raise ParameterError(
            f"directions name indicator(s) not in the development table: {', '.join(unknown)}",
            where="[capacity.typing] directions",
            fix=f"indicators are: {', '.join(indicators)}",
        )
    if isinstance(weights, dict):
        unknown = [k for k in weights if k not in indicators]
        if unknown:
            raise ParameterError(
                f"weights name indicator(s) not in the development table: {', '.join(unknown)}",
                where="[capacity.typing] weights",
                fix=f"indicators are: {', '.join(indicators)}",
            )
    notes: list[str] = []
    parts = []
    for yr, sub in dev.groupby("year"):
        x = sub.set_index("unit_id")[indicators]
        if len(x) < 2:
            notes.append(f"{yr}: development index needs at least two units with indicators")
            continue
        norm = normalise(x, directions)
        const = [c for c in indicators if np.nanmax(x[c]) == np.nanmin(x[c])]
        if const:
            notes.append(f"{yr}: indicator(s) {', '.join(const)} are equal for all units and carry no weight")
        if weights == "entropy":
            w = entropy_weights(norm)
        else:
            w = pd.Series({c: float(weights.get(c, 0.0)) for c in indicators})
            w[const] = 0.0
            if w.sum() <= 0:
                notes.append(f"{yr}: every weighted indicator is constant; no development index")
                continue
            w = w / w.sum()
        u1 = development_index(norm, w)
        wtxt = ", ".join(f"{k}={v:.3f}" for k, v in w.items())
        parts.append(pd.DataFrame({"unit_id": u1.index, "year": int(yr), "dev_index": u1.to_numpy(),
                                   "dev_weights": wtxt}))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["unit_id", "year", "dev_index", "dev_weights"])
    return out, notes
