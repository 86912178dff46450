"""Agglomeration development typing and the coupling coordination degree
(seed 000 §4; METHODS §1.6).

Development level U1: indicators normalised across the units of one level
and year (direction per indicator), weighted by the entropy weight method or
user weights, summed. Classes mature / fast-growing / incubating by
Fisher–Jenks natural breaks or user thresholds. Environment U2: −R over the
same units, normalised as U1's indicators. The normalisation is the shifted
min–max x' = 0.01 + 0.99·(x − min)/(max − min) (default, so that neither U1
nor U2 is 0 by construction) or the plain min–max; all values equal give 1.
Coupling coordination:

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
NORMALISATIONS = ("shifted", "minmax")
SHIFT = 0.01  # lower end of the shifted min–max (METHODS §1.6)


def normalise_values(x, direction: str = "+", method: str = "shifted") -> np.ndarray:
    """Normalise values across units (dimensionless).

    ``method="minmax"``: x' = (x − min)/(max − min) for direction '+',
    (max − x)/(max − min) for '−', in [0, 1]; ``"shifted"`` (METHODS §1.6
    default): x' = 0.01 + 0.99 · that, in [0.01, 1], so that no unit gets 0.
    All (non-missing) values equal give 1 with either method; missing values
    stay missing.
    """
    if method not in NORMALISATIONS:
        raise ParameterError(
            f"unknown normalisation '{method}'", where="[capacity.coupling] normalisation",
            fix="use 'shifted' or 'minmax'",
        )
    x = np.asarray(x, dtype=float)
    ok = ~np.isnan(x)
    out = np.full(x.shape, np.nan)
    if not ok.any():
        return out
    lo, hi = x[ok].min(), x[ok].max()
    if hi == lo:
        out[ok] = 1.0
        return out
    plain = (x - lo) / (hi - lo) if direction == "+" else (hi - x) / (hi - lo)
    return plain if method == "minmax" else SHIFT + (1.0 - SHIFT) * plain


def minmax(x, direction: str = "+") -> np.ndarray:
    """Plain min–max normalisation to [0, 1]: (x − min)/(max − min) for '+',
    (max − x)/(max − min) for '−'. All values equal give 1."""
    return normalise_values(x, direction, "minmax")


def normalise(
    indicators: pd.DataFrame, directions: dict[str, str] | None = None, method: str = "shifted"
) -> pd.DataFrame:
    """Every column normalised by :func:`normalise_values` (directions default '+')."""
    directions = directions or {}
    return pd.DataFrame(
        {c: normalise_values(indicators[c], directions.get(c, "+"), method) for c in indicators.columns},
        index=indicators.index,
    )


def entropy_weights(norm: pd.DataFrame) -> pd.Series:
    """Entropy weights of the columns of a normalised indicator matrix (units × indicators).

    p_ij = x_ij / Σ_i x_ij;  e_j = −(1/ln n) Σ_i p_ij ln p_ij (0·ln 0 = 0);
    d_j = 1 − e_j;  w_j = d_j / Σ_j d_j (dimensionless). A column whose
    values are all equal (a constant indicator) or all zero carries no
    information and gets weight 0.
    """
    x = norm.to_numpy(dtype=float)
    n = x.shape[0]
    if n < 2:
        raise ValueError("entropy weights need at least two units")
    col = x.sum(axis=0)
    flat = (x.max(axis=0) == x.min(axis=0)) | (col <= 0)
    d = np.zeros(x.shape[1])
    for j in np.flatnonzero(~flat):
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


def fisher_jenks_breaks(values, k: int = 3) -> np.ndarray:
    """Upper bounds of ``k`` Fisher–Jenks natural-breaks classes of ``values``.

    Jenks' optimal classification (least within-class sum of squared
    deviations) computed as :class:`mapclassify.FisherJenks` computes it: the
    same dynamic programme in float32 with the same choice among equally good
    breaks, so its classes are mapclassify's. Written out here because
    importing mapclassify compiles its Numba kernel (seconds); the tests
    compare the two. The loop over the candidate first members of the last
    class is vectorised (cumulative sums are sequential, as the loop's).
    """
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    mat1 = np.zeros((n + 1, k + 1), dtype=np.int32)
    mat2 = np.zeros((n + 1, k + 1), dtype=np.float32)
    mat1[1, 1:] = 1
    mat2[2:, 1:] = np.inf
    xf = x.astype(np.float32)
    for ell in range(2, n + 1):
        vals = xf[ell - 1 :: -1]  # the values from the ell-th down to the first: i3 = ell, ell − 1, …, 1
        s1 = np.add.accumulate(vals, dtype=np.float32)
        s2 = np.add.accumulate(vals * vals, dtype=np.float32)
        w = np.arange(1, ell + 1, dtype=np.float32)
        v = s2 - (s1 * s1) / w  # within-class squared deviations of x[i3 − 1 : ell]
        for j in range(2, k + 1):
            cand = v[: ell - 1] + mat2[ell - 1 : 0 : -1, j - 1]  # i4 = ell − m for m = 1 … ell − 1
            # the loop takes a candidate when it is ≤ the best so far: the last of the minima wins
            m = int(np.flatnonzero(cand == cand.min())[-1]) + 1
            mat1[ell, j] = ell - m + 1
            mat2[ell, j] = cand[m - 1]
        mat1[ell, 1] = 1
        mat2[ell, 1] = v[-1]
    kclass = np.zeros(k + 1)
    kclass[k] = x[n - 1]
    kclass[0] = x[0]
    last = n
    for count in range(k, 1, -1):
        pivot = int(mat1[last, count])
        kclass[count - 1] = x[pivot - 2]
        last = pivot - 1
    return kclass[1:]


def classify_development(u1: pd.Series, classes="jenks") -> pd.Series:
    """mature / fast-growing / incubating.

    ``classes="jenks"``: Fisher–Jenks natural breaks into three classes
    (:func:`fisher_jenks_breaks`; a value belongs to the first class whose
    upper bound it does not exceed), lowest class incubating; needs at least
    three distinct values. ``classes=[t1, t2]``: U1 < t1 incubating, t1 ≤ U1
    < t2 fast-growing, U1 ≥ t2 mature. U1 is dimensionless.
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
        yb = np.searchsorted(fisher_jenks_breaks(v, 3), v, side="left")
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
    normalisation: str = "shifted",
) -> tuple[pd.DataFrame, list[str]]:
    """U1 of the units of one level, per year.

    ``dev``: ``unit_id, year`` + indicator columns (floats, any units: each
    is normalised across the units of the year by ``normalisation``, see
    :func:`normalise_values`). Returns ``(frame unit_id, year, dev_index
    (dimensionless), weights as text), notes``.
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
        norm = normalise(x, directions, normalisation)
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
