"""Green development index (GDI) and TOPSIS of industrial parks
(seed 001 §3.4.3; METHODS §3.4).

The indicator table (``params/parks_gdi.csv``, or the user's table named by
``parks.gdi_table``) has one row per indicator: ``indicator, direction (+|−),
benchmark (empty = none), weight (empty = entropy), source, verified``.
Per year, over the parks that have indicator j:

- score s = clip(x / b, 0, 1) for ``+``, clip(b / x, 0, 1) for ``−`` when a
  benchmark b is given (x ≤ 0 with ``−`` scores 1); otherwise min–max
  (x − min)/(max − min) for ``+``, (max − x)/(max − min) for ``−`` (all equal → 1);
- entropy weights where the table gives none: p_ij = s_ij / Σ_i s_ij,
  e_j = −(1/ln n) Σ_i p_ij ln p_ij (0 ln 0 = 0), w_j = (1 − e_j) / Σ_k (1 − e_k);
  given weights are normalised to sum to 1;
- GDI = 100 Σ_j w_j s_ij over the indicators the park has, the weights
  renormalised over them; ``gdi_n`` = how many were used; a park with fewer
  than half of the year's indicators gets no GDI;
- TOPSIS on v_ij = w_j s_ij (parks with every indicator):
  d+ = ‖v_i − max_i v‖, d− = ‖v_i − min_i v‖, C = d− / (d+ + d−), rank 1 = best;
- groups: mean GDI, and the share of the group's parks whose GDI is above the
  mean GDI of all parks that year (``share_above_mean``) and the share of all
  parks above the mean that lie in the group (``share_of_above_mean``).

Scores, weights and TOPSIS closeness are dimensionless (0–1); GDI is 0–100.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ecozone.errors import InputError, ParameterError
from ecozone.parks._checks import as_list, join_notes, require_columns

TABLE_COLUMNS = ("indicator", "direction", "benchmark", "weight", "source", "verified")
_MINUS = {"-", "−", "–"}  # ASCII hyphen, minus sign, en dash


def _empty(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == ""


def check_gdi_table(table: pd.DataFrame, *, where: str = "parks_gdi.csv") -> pd.DataFrame:
    """The GDI indicator table, validated and normalised.

    Parameters
    ----------
    table : DataFrame
        Columns ``indicator, direction, benchmark, weight, source, verified``.
    where : str
        Where the table comes from, for error messages.

    Returns
    -------
    DataFrame
        Same rows; ``direction`` as ``"+"`` or ``"-"``, ``benchmark`` and
        ``weight`` as floats (NaN = none), ``verified`` as ``"yes" | "no"``.

    Raises
    ------
    ParameterError
        A column is missing, an indicator repeats, a direction is not + or −, a
        benchmark is not a positive number, a weight is negative, only some
        indicators have weights, or the weights sum to 0.
    """
    missing = [c for c in TABLE_COLUMNS if c not in table.columns]
    if missing:
        raise ParameterError(f"missing column(s) {', '.join(missing)}", where=where,
                             fix=f"the GDI table needs columns {', '.join(TABLE_COLUMNS)}")
    t = table.reset_index(drop=True).copy()
    t["indicator"] = t["indicator"].astype(str).str.strip()
    if (t["indicator"] == "").any() or t["indicator"].duplicated().any():
        dup = t.loc[t["indicator"].duplicated(), "indicator"].tolist()
        raise ParameterError(f"empty or repeated indicator name(s) {dup}", where=f"{where}, column indicator",
                             fix="name each indicator once")
    if len(t) == 0:
        raise ParameterError("the table has no indicator", where=where, fix="give at least one indicator")

    def direction(v) -> str:
        s = "" if _empty(v) else str(v).strip()
        if s == "+":
            return "+"
        if s in _MINUS:
            return "-"
        raise ParameterError(f"direction {v!r} is not + or −", where=f"{where}, column direction",
                             fix="use + (higher is better) or − / - (lower is better)")

    t["direction"] = [direction(v) for v in t["direction"]]

    def number(col: str, v) -> float:
        if _empty(v):
            return np.nan
        try:
            x = float(v)
        except (TypeError, ValueError):
            raise ParameterError(f"{col} {v!r} is not a number", where=f"{where}, column {col}",
                                 fix="give a number or leave the cell empty") from None
        if not np.isfinite(x):
            raise ParameterError(f"{col} {v!r} is not finite", where=f"{where}, column {col}",
                                 fix="give a finite number or leave the cell empty")
        return x

    t["benchmark"] = [number("benchmark", v) for v in t["benchmark"]]
    t["weight"] = [number("weight", v) for v in t["weight"]]
    if (t["benchmark"] <= 0).any():
        raise ParameterError("a benchmark is zero or negative", where=f"{where}, column benchmark",
                             fix="benchmarks are positive values of the indicator; leave empty for min–max scoring")
    if (t["weight"] < 0).any():
        raise ParameterError("a weight is negative", where=f"{where}, column weight", fix="weights are ≥ 0")
    given = t["weight"].notna()
    if given.any() and not given.all():
        raise ParameterError(
            "only some indicators have a weight",
            where=f"{where}, column weight",
            fix="give a weight for every indicator, or for none (entropy weights)",
        )
    if given.all() and t["weight"].sum() <= 0:
        raise ParameterError("the weights sum to 0", where=f"{where}, column weight",
                             fix="give at least one positive weight")
    t["verified"] = ["no" if _empty(v) else str(v).strip().lower() for v in t["verified"]]
    bad = ~t["verified"].isin(["yes", "no"])
    if bad.any():
        raise ParameterError(f"verified {t.loc[bad, 'verified'].iloc[0]!r} is not yes or no",
                             where=f"{where}, column verified", fix="use yes or no")
    return t


# --------------------------------------------------------------------------- scores


def score(x, direction: str = "+", benchmark: float | None = None) -> np.ndarray:
    """Score of one indicator over the parks of one year.

    Parameters
    ----------
    x : array_like
        Indicator values (any unit; NaN = the park lacks it).
    direction : {"+", "-"}
        ``+`` higher is better, ``-`` (or ``−``) lower is better.
    benchmark : float, optional
        Benchmark b (same unit as x, > 0): s = clip(x/b, 0, 1) for ``+``,
        clip(b/x, 0, 1) for ``−`` (x ≤ 0 scores 1). Without one, min–max over
        the non-missing values; all equal → 1.

    Returns
    -------
    ndarray
        Scores, dimensionless, in [0, 1]; NaN where x is NaN.
    """
    x = np.asarray(x, dtype=float)
    d = "-" if direction in _MINUS else direction
    if d not in ("+", "-"):
        raise ParameterError(f"direction {direction!r} is not + or −", where="GDI table, column direction",
                             fix="use + or −")
    out = np.full(x.shape, np.nan)
    ok = np.isfinite(x)
    if not ok.any():
        return out
    v = x[ok]
    if benchmark is not None and not _empty(benchmark):
        b = float(benchmark)
        if not b > 0:
            raise ParameterError(f"benchmark {b} is not positive", where="GDI table, column benchmark",
                                 fix="give a positive benchmark or none")
        if d == "+":
            s = np.clip(v / b, 0.0, 1.0)
        else:
            with np.errstate(divide="ignore"):
                s = np.where(v <= 0, 1.0, np.clip(b / np.where(v > 0, v, 1.0), 0.0, 1.0))
    else:
        lo, hi = v.min(), v.max()
        if hi == lo:
            s = np.ones_like(v)
        else:
            s = (v - lo) / (hi - lo) if d == "+" else (hi - v) / (hi - lo)
            s = np.clip(s, 0.0, 1.0)
    out[ok] = s
    return out


def scores(values: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Scores of every park, year and indicator of the table.

    Parameters
    ----------
    values : DataFrame
        ``park_id, year`` and one column per indicator of ``table`` (the
        indicator's unit; NaN = missing). Indicators of the table that are not
        columns are left out.
    table : DataFrame
        The GDI indicator table (see :func:`check_gdi_table`).

    Returns
    -------
    DataFrame
        ``park_id, year`` and one score column per indicator (dimensionless,
        0–1, NaN where the value is missing), same row order as ``values``.
    """
    require_columns(values, "park_year", ("park_id", "year"))
    return _scores(values, check_gdi_table(table))


def _scores(values: pd.DataFrame, t: pd.DataFrame) -> pd.DataFrame:
    out = values[["park_id", "year"]].copy()
    for r in t.itertuples():
        if r.indicator not in values.columns:
            continue
        col = np.full(len(values), np.nan)
        raw = values[r.indicator]
        x = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        text = np.isnan(x) & raw.notna().to_numpy() & (raw.astype(str).str.strip() != "").to_numpy()
        if text.any() or np.isinf(x).any():
            i = int(np.flatnonzero(text | np.isinf(x))[0])
            raise InputError(f"value {raw.iloc[i]!r} is not a finite number",
                             where=f"indicator '{r.indicator}', row {i + 1} of the values",
                             fix="indicator values are finite numbers; leave missing ones empty")
        for _, idx in values.groupby("year", sort=False).indices.items():
            bm = None if np.isnan(r.benchmark) else r.benchmark
            col[idx] = score(x[idx], r.direction, bm)
        out[r.indicator] = col
    return out


# --------------------------------------------------------------------------- weights


def entropy_weights(s: pd.DataFrame) -> pd.Series:
    """Entropy weights of a score matrix (parks × indicators, one year).

    Per indicator j, over the n_j parks that have it (NaN = missing):
    p_ij = s_ij / Σ_i s_ij, e_j = −(1/ln n_j) Σ_i p_ij ln p_ij (0 ln 0 = 0),
    w_j = (1 − e_j) / Σ_k (1 − e_k). An indicator with fewer than two parks or
    with all scores 0 carries no information (1 − e_j = 0). When no indicator
    carries information, the indicators that any park has share the weight
    equally.

    Parameters
    ----------
    s : DataFrame
        Scores ≥ 0 (dimensionless), one column per indicator.

    Returns
    -------
    Series
        Weight per indicator (dimensionless, ≥ 0, summing to 1), named ``weight``.
    """
    x = s.to_numpy(dtype=float)
    if x.shape[1] == 0:
        raise ValueError("entropy weights need at least one indicator")
    if np.any(x[~np.isnan(x)] < 0):
        raise ValueError("entropy weights need scores ≥ 0")
    d = np.zeros(x.shape[1])
    present = np.zeros(x.shape[1], dtype=bool)
    for j in range(x.shape[1]):
        v = x[:, j][~np.isnan(x[:, j])]
        present[j] = len(v) > 0
        tot = v.sum()
        if len(v) < 2 or tot <= 0:
            continue
        p = v / tot
        plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
        e = -plogp.sum() / np.log(len(v))
        d[j] = max(0.0, 1.0 - e)
    if d.sum() > 0:
        w = d / d.sum()
    elif present.any():
        w = present / present.sum()
    else:
        raise ValueError("entropy weights need at least one park with a score")
    return pd.Series(w, index=s.columns, name="weight")


def year_weights(s: pd.DataFrame, table: pd.DataFrame) -> pd.Series:
    """Weights of one year.

    Parameters
    ----------
    s : DataFrame
        Scores (parks × indicators used that year, dimensionless, 0–1).
    table : DataFrame
        The GDI indicator table.

    Returns
    -------
    Series
        The table's weights normalised to sum to 1, or the entropy weights of
        ``s`` (:func:`entropy_weights`) when the table gives none;
        dimensionless, indexed by ``s.columns``.
    """
    return _year_weights(s, check_gdi_table(table))


def _year_weights(s: pd.DataFrame, t: pd.DataFrame) -> pd.Series:
    given = t.set_index("indicator")["weight"].reindex(s.columns)
    if given.notna().all():
        w = given.astype(float)
        if w.sum() <= 0:
            raise ParameterError("the weights of the indicators used sum to 0", where="GDI table, column weight",
                                 fix="give a positive weight to at least one indicator the parks have")
        return (w / w.sum()).rename("weight")
    return entropy_weights(s)


# --------------------------------------------------------------------------- GDI and TOPSIS


def _indicators(frame: pd.DataFrame, t: pd.DataFrame) -> list[str]:
    return [i for i in t["indicator"] if i in frame.columns]


def _check_scores(frame: pd.DataFrame, ind: list[str]) -> None:
    x = frame[ind].to_numpy(dtype=float)
    v = x[~np.isnan(x)]
    if np.any((v < 0) | (v > 1)) or np.any(np.isinf(v)):
        raise InputError("scores are not all in [0, 1]", where="scores_frame",
                         fix="pass scores (ecozone.parks.scores(values, table)), not raw indicator values")


def gdi_weights(scores_frame: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """The weights the GDI uses, per year.

    Parameters
    ----------
    scores_frame : DataFrame
        ``park_id, year`` and one score column per indicator (0–1, NaN = missing).
    table : DataFrame
        The GDI indicator table.

    Returns
    -------
    DataFrame
        ``year, indicator, weight``: the weights (dimensionless) sum to 1 per
        year over the indicators that at least one park has that year.
    """
    require_columns(scores_frame, "scores_frame", ("park_id", "year"))
    return _gdi_weights(scores_frame, check_gdi_table(table))


def _gdi_weights(scores_frame: pd.DataFrame, t: pd.DataFrame) -> pd.DataFrame:
    ind = _indicators(scores_frame, t)
    rows = []
    for yr, g in scores_frame.groupby("year", sort=True):
        used = [i for i in ind if g[i].notna().any()]
        if not used:
            continue
        w = _year_weights(g[used], t)
        rows += [{"year": yr, "indicator": i, "weight": float(w[i])} for i in used]
    return pd.DataFrame(rows, columns=["year", "indicator", "weight"])


def gdi(scores_frame: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Green development index of every park and year.

    GDI = 100 Σ_j w_j s_ij over the indicators the park has, with the year's
    weights (:func:`gdi_weights`) renormalised over them. The year's
    indicators are those of the table that at least one park has that year; a
    park with fewer than half of them gets no GDI.

    Parameters
    ----------
    scores_frame : DataFrame
        ``park_id, year`` and one score column (0–1, NaN = missing) per
        indicator of the table (from :func:`scores`).
    table : DataFrame
        The GDI indicator table.

    Returns
    -------
    DataFrame
        ``park_id, year, gdi`` (0–100), ``gdi_n`` (indicators used), ``note``
        (why a GDI is empty); same row order as ``scores_frame``.
    """
    require_columns(scores_frame, "scores_frame", ("park_id", "year"))
    return _gdi(scores_frame, check_gdi_table(table))


def _gdi(scores_frame: pd.DataFrame, t: pd.DataFrame) -> pd.DataFrame:
    ind = _indicators(scores_frame, t)
    if not ind:
        raise InputError("no indicator of the GDI table is a column", where="scores_frame",
                         fix=f"give score columns named as the table's indicators: {', '.join(t['indicator'])}")
    _check_scores(scores_frame, ind)
    n = len(scores_frame)
    out_gdi = np.full(n, np.nan)
    out_n = np.zeros(n, dtype=int)
    notes = ["no GDI: no year" if pd.isna(y) else "" for y in scores_frame["year"]]
    wt = _gdi_weights(scores_frame, t)
    for yr, idx in scores_frame.groupby("year", sort=False).indices.items():
        ww = wt[wt["year"] == yr].set_index("indicator")["weight"]
        used = list(ww.index)
        if not used:
            for i in idx:
                notes[i] = "no GDI: no park has any indicator this year"
            continue
        s = scores_frame.iloc[idx][used].to_numpy(dtype=float)
        have = ~np.isnan(s)
        k = have.sum(axis=1)
        w = ww.to_numpy()
        wsum = (have * w).sum(axis=1)
        num = np.where(have, s, 0.0) @ w
        for r, i in enumerate(idx):
            out_n[i] = k[r]
            if 2 * k[r] < len(used):
                notes[i] = f"no GDI: {k[r]} of {len(used)} indicators (fewer than half)"
            elif wsum[r] <= 0:
                notes[i] = "no GDI: the indicators this park has carry no weight this year"
            else:
                out_gdi[i] = float(np.clip(100.0 * num[r] / wsum[r], 0.0, 100.0))
                if k[r] < len(used):
                    miss = [u for u, h in zip(used, have[r], strict=True) if not h]
                    notes[i] = f"GDI over {k[r]} of {len(used)} indicators (missing {', '.join(miss)})"
    return pd.DataFrame({
        "park_id": scores_frame["park_id"].to_numpy(),
        "year": scores_frame["year"].to_numpy(),
        "gdi": out_gdi,
        "gdi_n": out_n,
        "note": notes,
    })


def topsis(s: pd.DataFrame, w: pd.Series) -> pd.Series:
    """TOPSIS closeness of each park to the ideal (one year).

    v_ij = w_j s_ij; d+ = ‖v_i − max_i v‖, d− = ‖v_i − min_i v‖ (Euclidean, over
    the parks with every indicator); C_i = d− / (d+ + d−). When every complete
    park is identical (d+ = d− = 0) each is at the ideal: C = 1.

    Parameters
    ----------
    s : DataFrame
        Scores (parks × indicators, dimensionless, 0–1).
    w : Series
        Weight per indicator (index = the columns of ``s``), ≥ 0.

    Returns
    -------
    Series
        C in [0, 1] (1 = best), same index as ``s``, named ``topsis``; NaN for a
        park that lacks an indicator.
    """
    ww = w.reindex(s.columns)
    if ww.isna().any():
        raise ValueError(f"no weight for indicator(s) {list(ww.index[ww.isna()])}")
    v = s.to_numpy(dtype=float) * ww.to_numpy(dtype=float)
    full = ~np.isnan(v).any(axis=1)
    out = np.full(len(s), np.nan)
    if full.any():
        vf = v[full]
        best, worst = vf.max(axis=0), vf.min(axis=0)
        dp = np.sqrt(((vf - best) ** 2).sum(axis=1))
        dm = np.sqrt(((vf - worst) ** 2).sum(axis=1))
        tot = dp + dm
        c = np.where(tot > 0, dm / np.where(tot > 0, tot, 1.0), 1.0)
        out[full] = np.clip(c, 0.0, 1.0)
    return pd.Series(out, index=s.index, name="topsis")


def topsis_rank(c) -> pd.Series:
    """Rank of the TOPSIS closeness within one year.

    Parameters
    ----------
    c : Series or array_like
        TOPSIS closeness (dimensionless, 0–1; NaN = none).

    Returns
    -------
    Series of Int64
        1 = best; ties share the best rank; empty where ``c`` is NaN.
    """
    c = c if isinstance(c, pd.Series) else pd.Series(c)
    return c.rank(ascending=False, method="min").astype("Int64").rename("topsis_rank")


def green_development(values: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Scores, GDI and TOPSIS in one call, from indicator values.

    Parameters
    ----------
    values : DataFrame
        ``park_id, year`` and the indicators of the table (their units, e.g. from
        :func:`ecozone.parks.park_year_indicators`).
    table : DataFrame
        The GDI indicator table.

    Returns
    -------
    DataFrame
        ``park_id, year, gdi`` (0–100), ``gdi_n``, ``topsis`` (0–1),
        ``topsis_rank`` (1 = best within the year), ``note``; same row order as
        ``values``.
    """
    require_columns(values, "park_year", ("park_id", "year"))
    t = check_gdi_table(table)
    s = _scores(values, t)
    g = _gdi(s, t)
    wt = _gdi_weights(s, t)
    top = np.full(len(s), np.nan)
    rank = pd.Series(pd.NA, index=range(len(s)), dtype="Int64")
    notes = list(g["note"])
    for yr, idx in s.groupby("year", sort=False).indices.items():
        ww = wt[wt["year"] == yr].set_index("indicator")["weight"]
        if ww.empty:
            continue
        sub = s.iloc[idx][list(ww.index)].reset_index(drop=True)
        c = topsis(sub, ww)
        top[idx] = c.to_numpy()
        rank.iloc[idx] = topsis_rank(c).to_numpy()
        for r, i in enumerate(idx):
            if np.isnan(c.iloc[r]):
                notes[i] = join_notes(notes[i], "no TOPSIS: lacks an indicator the year uses")
    g["topsis"] = top
    g["topsis_rank"] = rank.to_numpy()
    g["note"] = notes
    return g[["park_id", "year", "gdi", "gdi_n", "topsis", "topsis_rank", "note"]]


# --------------------------------------------------------------------------- groups


def gdi_groups(frame: pd.DataFrame, by: str | Sequence[str]) -> pd.DataFrame:
    """Mean GDI per group and year, and how the parks above the year's mean spread.

    Parameters
    ----------
    frame : DataFrame
        ``park_id, year, gdi`` (0–100, NaN = none) and the ``by`` columns
        (``region``, ``level``, ``province`` …).
    by : str or list of str
        Grouping columns.

    Returns
    -------
    DataFrame
        ``by`` columns, ``year``, ``n_parks`` (parks with a GDI), ``gdi_mean``
        (0–100), ``n_above_mean`` (parks with GDI > the mean GDI of all parks
        that year), ``share_above_mean`` = n_above_mean / n_parks and
        ``share_of_above_mean`` = n_above_mean / all parks above the mean that
        year (dimensionless; the seed's 13 % / 22 % / 65 % split by region).
        Parks without a GDI are left out.
    """
    by = as_list(by)
    require_columns(frame, "parks_year", ["park_id", "year", "gdi", *by])
    df = frame[frame["gdi"].notna()].copy()
    cols = [*by, "year", "n_parks", "gdi_mean", "n_above_mean", "share_above_mean", "share_of_above_mean"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    mean = df.groupby("year")["gdi"].transform("mean")
    df["_above"] = df["gdi"].to_numpy() > mean.to_numpy()
    total_above = df.groupby("year")["_above"].transform("sum")
    df["_tot"] = total_above
    g = df.groupby([*by, "year"], sort=True, dropna=False)
    out = g.agg(n_parks=("gdi", "size"), gdi_mean=("gdi", "mean"), n_above_mean=("_above", "sum"),
                _tot=("_tot", "first")).reset_index()
    out["n_above_mean"] = out["n_above_mean"].astype(int)
    out["share_above_mean"] = out["n_above_mean"] / out["n_parks"]
    tot = out.pop("_tot").to_numpy(dtype=float)
    # No park above the mean (all equal): nothing to share out, the share is 0.
    out["share_of_above_mean"] = np.where(tot > 0, out["n_above_mean"] / np.where(tot > 0, tot, 1.0), 0.0)
    return out[cols]
