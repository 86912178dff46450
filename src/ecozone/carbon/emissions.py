"""Gap-filling of emissions series with ARIMA (METHODS §2.5).

Where a unit's emissions stop before a study year (CEADs county data end in
2017), the missing years are filled from an ARIMA model of that unit's own
annual series: orders p, d, q ∈ {0, …, max} (default ≤ 2) are fitted with
statsmodels and the one of least AIC is kept (the trend term is a constant
for d = 0, a drift for d = 1, none for d = 2). Every filled value is flagged
(``emissions_filled``) and carries its prediction interval (default 95 %).
A unit with fewer observed years than ``min_observations`` (default 8) is
never filled; a note says so. Values keep the unit of the input (t C after
:func:`~ecozone.carbon.budget.emissions_to_tc`).

Caveat: AIC is compared across differencing orders on the likelihood of the
levels (statsmodels' state-space ARIMA with diffuse initialisation); that is
the common practice of automatic order selection in small annual series,
not a strict test.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ecozone.carbon.params import EmissionsParams
from ecozone.errors import InputError


@dataclass
class ArimaFit:
    """The chosen model of one series."""

    order: tuple[int, int, int]
    trend: str
    aic: float
    result: object  # statsmodels ARIMAResults
    start_year: int

    @property
    def label(self) -> str:
        return f"ARIMA{self.order} trend={self.trend}"


@dataclass
class EmissionsFill:
    """Result of :func:`fill_emissions`.

    ``table``: ``unit_id, year, value, emissions_filled, lower, upper, arima_order``
    (observed rows have ``emissions_filled = False`` and empty bounds).
    ``notes``: ``unit_id, note`` — every unit not (fully) filled and why,
    and every clipped forecast.
    """

    table: pd.DataFrame
    notes: pd.DataFrame


def _trend_for(d: int) -> str:
    return "c" if d == 0 else ("t" if d == 1 else "n")


def _usable(res, y: np.ndarray) -> bool:
    """A fit is kept only if it converged, has finite AIC and standard errors, and
    a residual variance that is not degenerate (a perfect in-sample fit)."""
    if not res.mle_retvals.get("converged", True):
        return False
    if not np.isfinite(res.aic) or not np.all(np.isfinite(res.bse)):
        return False
    scale = np.nanvar(y) if np.isfinite(y).sum() > 1 else 1.0
    return float(res.params[-1]) > 1e-8 * max(scale, 1e-300)


def fit_arima(years, values, params: EmissionsParams | None = None) -> ArimaFit | None:
    """Fit ARIMA(p, d, q) to an annual series and keep the least-AIC model.

    ``years``: observed calendar years (any order, gaps allowed: they enter
    as missing values); ``values``: the emissions those years. Fits that do
    not converge or are degenerate (σ² ≈ 0, non-finite standard errors) are
    skipped. Returns None when no model could be fitted.
    """
    from statsmodels.tsa.arima.model import ARIMA

    p_ = params or EmissionsParams()
    s = pd.Series(np.asarray(values, float), index=np.asarray(years, int)).sort_index()
    s = s[np.isfinite(s)]
    if s.empty:
        return None
    full = s.reindex(range(int(s.index.min()), int(s.index.max()) + 1))
    y = full.to_numpy(float)
    n = int(np.isfinite(y).sum())
    best: ArimaFit | None = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for d in range(p_.max_d + 1):
            trend = _trend_for(d)
            for p in range(p_.max_p + 1):
                for q in range(p_.max_q + 1):
                    k = p + q + (1 if trend != "n" else 0) + 1
                    if k >= n - d:
                        continue
                    try:
                        res = ARIMA(y, order=(p, d, q), trend=trend).fit()
                    except Exception:  # noqa: BLE001 - non-invertible / singular fits are skipped
                        continue
                    aic = float(res.aic)
                    if not _usable(res, y):
                        continue
                    if best is None or aic < best.aic - 1e-9:
                        best = ArimaFit((p, d, q), trend, aic, res, int(full.index[0]))
    return best


def forecast(fit: ArimaFit, years, interval: float = 0.95) -> pd.DataFrame:
    """Predictions of ``fit`` for ``years`` (inside the fitted span or after it):
    ``year, value, lower, upper``."""
    years = sorted(int(y) for y in years)
    pos = [y - fit.start_year for y in years]
    if min(pos) < 0:
        raise ValueError("cannot backcast before the first observed year")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fr = fit.result.get_prediction(start=min(pos), end=max(pos)).summary_frame(
            alpha=1 - interval
        )
    fr = fr.reset_index(drop=True)
    fr["year"] = list(range(fit.start_year + min(pos), fit.start_year + max(pos) + 1))
    fr = fr.set_index("year").loc[years]
    return pd.DataFrame(
        {
            "year": years,
            "value": fr["mean"].to_numpy(),
            "lower": fr["mean_ci_lower"].to_numpy(),
            "upper": fr["mean_ci_upper"].to_numpy(),
        }
    )


def _check(emissions: pd.DataFrame) -> pd.DataFrame:
    need = ["unit_id", "year", "value"]
    missing = [c for c in need if c not in emissions.columns]
    if missing:
        raise InputError(
            f"emissions lack columns {missing}", where="emissions table", fix=f"give {need}"
        )
    df = emissions[need].copy()
    df["year"] = df["year"].astype(int)
    df["value"] = df["value"].astype(float)
    dup = df.duplicated(["unit_id", "year"])
    if dup.any():
        r = df[dup].iloc[0]
        raise InputError(
            f"unit {r['unit_id']} has two emissions values for {r['year']}",
            where="emissions table",
            fix="keep one row per unit and year",
        )
    return df


def fill_emissions(
    emissions: pd.DataFrame, years, params: EmissionsParams | None = None
) -> EmissionsFill:
    """Fill each unit's missing ``years`` with its ARIMA forecast (METHODS §2.5).

    ``emissions``: ``unit_id, year, value`` (one unit, t C recommended);
    ``years``: the study years every unit should have. Years inside or after
    a unit's observed span are filled; years before its first observation
    are not (noted). Forecasts below 0 are set to 0 (noted).
    """
    p = params or EmissionsParams()
    df = _check(emissions)
    years = sorted({int(y) for y in years})
    rows, notes, tasks = [], [], []
    for unit, g in df.groupby("unit_id", sort=True):
        obs = g[np.isfinite(g["value"])].sort_values("year")
        have = set(obs["year"])
        for _, r in obs.iterrows():
            rows.append((unit, int(r["year"]), float(r["value"]), False, np.nan, np.nan, ""))
        want = [y for y in years if y not in have]
        if not want:
            continue
        n = len(obs)
        if n < p.min_observations:
            notes.append(
                (
                    unit,
                    f"not filled: only {n} observed years (fewer than {p.min_observations}); "
                    f"missing {want}",
                )
            )
            continue
        first = int(obs["year"].min())
        before = [y for y in want if y < first]
        if before:
            notes.append((unit, f"not filled before the first observed year {first}: {before}"))
        want = [y for y in want if y >= first]
        if not want:
            continue
        tasks.append((unit, obs["year"].to_numpy(int), obs["value"].to_numpy(float), want, p))
    for r, n in _map(_fill_one, tasks):
        rows += r
        notes += n
    table = pd.DataFrame(
        rows,
        columns=["unit_id", "year", "value", "emissions_filled", "lower", "upper", "arima_order"],
    ).sort_values(["unit_id", "year"], ignore_index=True)
    return EmissionsFill(table, pd.DataFrame(notes, columns=["unit_id", "note"]))


def _fill_one(task) -> tuple[list, list]:
    """Fit one unit's series and forecast its missing years: (rows, notes)."""
    unit, yrs, vals, want, p = task
    fit = fit_arima(yrs, vals, p)
    if fit is None:
        return [], [(unit, f"not filled: no ARIMA model could be fitted; missing {want}")]
    rows, notes = [], []
    fc = forecast(fit, want, p.interval)
    for _, r in fc.iterrows():
        val, lo, hi = float(r["value"]), float(r["lower"]), float(r["upper"])
        if val < 0:
            notes.append((unit, f"{int(r['year'])}: forecast {val:.4g} < 0 set to 0"))
            val = 0.0
        lo = max(lo, 0.0)
        rows.append((unit, int(r["year"]), val, True, lo, hi, fit.label))
    return rows, notes


def _map(fn, tasks: list) -> list:
    """``fn`` over ``tasks``, on all cores when there are several tasks.

    Each unit's 27 ARIMA fits are independent of the others', so units are
    spread over worker processes (fork: no re-import); results come back in
    task order, so the output does not depend on the number of processes.
    """
    import multiprocessing as mp
    import os
    from concurrent.futures import ProcessPoolExecutor

    n = min(len(tasks), os.cpu_count() or 1)
    if n <= 1 or "fork" not in mp.get_all_start_methods():
        return [fn(t) for t in tasks]
    with ProcessPoolExecutor(max_workers=n, mp_context=mp.get_context("fork")) as ex:
        return list(ex.map(fn, tasks, chunksize=max(1, len(tasks) // (4 * n))))


def holdout_check(
    emissions: pd.DataFrame, n_holdout: int = 3, params: EmissionsParams | None = None
) -> pd.DataFrame:
    """Hold out each unit's last ``n_holdout`` observed years, forecast them from the rest.

    Only units with at least ``min_observations + n_holdout`` observed years
    take part. Returns ``unit_id, year, observed, predicted, lower, upper,
    error, pct_error, inside`` (``inside``: the observation lies in the
    interval); ``attrs["mape"]`` and ``attrs["coverage"]`` summarise it.
    """
    p = params or EmissionsParams()
    df = _check(emissions)
    out = []
    for unit, g in df.groupby("unit_id", sort=True):
        obs = g[np.isfinite(g["value"])].sort_values("year")
        if len(obs) < p.min_observations + n_holdout:
            continue
        train, test = obs.iloc[:-n_holdout], obs.iloc[-n_holdout:]
        fit = fit_arima(train["year"], train["value"], p)
        if fit is None:
            continue
        fc = forecast(fit, test["year"], p.interval).set_index("year")
        for _, r in test.iterrows():
            y, v = int(r["year"]), float(r["value"])
            f = fc.loc[y]
            out.append((unit, y, v, f["value"], f["lower"], f["upper"]))
    res = pd.DataFrame(out, columns=["unit_id", "year", "observed", "predicted", "lower", "upper"])
    res["error"] = res["predicted"] - res["observed"]
    res["pct_error"] = res["error"] / res["observed"].abs().where(res["observed"] != 0) * 100
    res["inside"] = (res["observed"] >= res["lower"]) & (res["observed"] <= res["upper"])
    res.attrs["mape"] = float(res["pct_error"].abs().mean()) if len(res) else float("nan")
    res.attrs["coverage"] = float(res["inside"].mean()) if len(res) else float("nan")
    return res
