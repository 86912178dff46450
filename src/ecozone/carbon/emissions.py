"""Gap-filling of emission series (METHODS §2.5).

Where a unit's emissions stop before a study year (CEADs county data end in
2017), the missing years are filled from that unit's own annual series with
the best of three candidates:

- **ARIMA(p, d, q)**: d (≤ ``max_d``) chosen by a unit-root test (KPSS by
  default: difference while level stationarity is rejected at
  ``unit_root_alpha``; or ADF: difference while a unit root cannot be
  rejected), then p ≤ ``max_p``, q ≤ ``max_q`` by least AIC. The model has a
  constant when d = 0 and a drift when d = 1. Parameters are estimated by
  conditional least squares (CSS, the estimator R's ``arima(method="CSS")``
  and ``auto.arima``'s approximate search use), compiled with Numba; every
  order is fitted on the same differenced years (the first ``max_p``
  conditioned on) so that their AICs compare, AIC = n·ln(σ̂²) + 2(k + 1)
  with σ̂² = SSR / n. Fits that are not stationary and invertible are
  dropped. Interval: σ̂² Σ ψ_j² from the ψ-weights of φ(B)(1 − B)^d and θ(B).
- **drift** (random walk with drift): ŷ_{T+h} = y_T + h·ĉ, ĉ = (y_T − y_1)/(T − 1);
  forecast variance σ̂²·h·(1 + h/(T − 1)) (the random walk's h·σ² plus the
  drift estimate's h²·σ²/(T − 1)); σ̂² = Σ(Δy_t − ĉ)² / (T − 2).
- **naive** (last value): ŷ_{T+h} = y_T; variance σ̂²·h, σ̂² = Σ Δy_t² / (T − 1).

(T = number of consecutive years of the series.) Intervals are normal,
``interval`` (default 95 %) central coverage.

**Selection.** Per series, every candidate is scored by a rolling-origin
hold-out over the last observed years: from each of ``holdout_origins``
origins (the series without its last 1, 2, … years) it forecasts up to
``holdout_horizon`` years ahead, refitted on the years before the origin
only (ARIMA keeps the order chosen on the whole series); the errors of all
forecasts of observed years are averaged with ``holdout_error`` (MAPE by
default). The candidate of least error fills (ties: naive, then drift, then
ARIMA). ``fill_emissions`` reports it (``model``) and its hold-out MAPE
(``holdout_mape``, %).

A unit with fewer observed years than ``min_observations`` (default 8) is
never filled; a note says so. Interior gaps (a missing year between two
observed ones) are bridged for fitting by linear interpolation and filled by
the random-walk bridge: the straight line between the neighbouring
observations, variance σ̂²·a·b/(a + b) (a, b years to the neighbours;
σ̂² = mean of Δy²/g over the pairs of successive observations g years
apart), model ``interpolation``. Years before a unit's first
observation are not filled (noted). Forecasts below 0 are set to 0 (noted);
lower bounds are clipped at 0. Values keep the unit of the input (t C after
:func:`~ecozone.carbon.budget.emissions_to_tc`).
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numba
import numpy as np
import pandas as pd
from scipy.stats import norm

from ecozone.carbon.params import EmissionsParams
from ecozone.errors import InputError

#: Bump when the method changes: cached fills of another version are recomputed.
CACHE_VERSION = "2"
TIE_ORDER = ("naive", "drift", "arima")


# --------------------------------------------------------------------------- CSS kernel


@numba.njit(cache=True)
def _css_residuals(w, beta, p, q, has_mean, m):
    """Residuals e_t (t ≥ m; 0 before) of ARMA(p, q) on ``w`` minus its mean.

    ``beta`` = [φ_1..φ_p, θ_1..θ_q, μ] (μ only if ``has_mean``); model
    z_t = Σ φ_i z_{t-i} + e_t + Σ θ_j e_{t-j}, z = w − μ.
    """
    n = w.shape[0]
    mu = beta[p + q] if has_mean else 0.0
    e = np.zeros(n)
    for t in range(m, n):
        v = w[t] - mu
        for i in range(1, p + 1):
            v -= beta[i - 1] * (w[t - i] - mu)
        for j in range(1, q + 1):
            if t - j >= 0:
                v -= beta[p + j - 1] * e[t - j]
        e[t] = v
    return e


@numba.njit(cache=True)
def _css_fit(w, p, q, has_mean, m, beta0):
    """Least-squares fit of the CSS residuals (Levenberg–Marquardt, numerical Jacobian).

    Returns (beta, ssr, converged).
    """
    k = beta0.shape[0]
    beta = beta0.copy()
    e = _css_residuals(w, beta, p, q, has_mean, m)
    ssr = np.sum(e[m:] ** 2)
    lam = 1e-3
    nres = w.shape[0] - m
    jac = np.zeros((nres, k))
    converged = False
    for _ in range(100):
        for c in range(k):
            h = 1e-6 * max(1.0, abs(beta[c]))
            b2 = beta.copy()
            b2[c] += h
            e2 = _css_residuals(w, b2, p, q, has_mean, m)
            for r in range(nres):
                jac[r, c] = (e2[m + r] - e[m + r]) / h
        g = jac.T @ e[m:]
        a = jac.T @ jac
        improved = False
        for _inner in range(30):
            a2 = a.copy()
            for c in range(k):
                a2[c, c] += lam * max(a[c, c], 1e-12)
            step = np.linalg.solve(a2, -g)
            b2 = beta + step
            e2 = _css_residuals(w, b2, p, q, has_mean, m)
            s2 = np.sum(e2[m:] ** 2)
            if np.isfinite(s2) and s2 <= ssr:
                rel = (ssr - s2) / max(ssr, 1e-300)
                small = np.max(np.abs(step)) <= 1e-9 * (1.0 + np.max(np.abs(beta)))
                beta, e, ssr = b2, e2, s2
                lam = max(lam / 10.0, 1e-12)
                improved = True
                if rel < 1e-8 or small:
                    converged = True
                break
            lam *= 10.0
            if lam > 1e12:
                break
        if not improved:
            converged = True  # no descent direction left: a (local) minimum
            break
        if converged:
            break
    return beta, ssr, converged


# --------------------------------------------------------------------------- model fits


def _z(interval: float) -> float:
    return float(norm.ppf(0.5 + interval / 2))


def _stationary(coefs: np.ndarray) -> bool:
    """Roots of 1 − c_1 z − … − c_k z^k outside the unit circle."""
    if len(coefs) == 0:
        return True
    if len(coefs) == 1:
        return abs(coefs[0]) < 1.0 - 1e-6
    if len(coefs) == 2:  # the AR(2) triangle
        c1, c2 = coefs
        return c1 + c2 < 1.0 - 1e-6 and c2 - c1 < 1.0 - 1e-6 and abs(c2) < 1.0 - 1e-6
    roots = np.roots(np.r_[-coefs[::-1], 1.0])
    return bool(np.all(np.abs(roots) > 1.0 + 1e-6))


def psi_weights(ar: np.ndarray, ma: np.ndarray, d: int, n: int) -> np.ndarray:
    """ψ_0..ψ_{n-1} of the MA(∞) form of ARIMA(p, d, q): φ(B)(1 − B)^d y_t = θ(B) e_t.

    ``ar`` = φ_1..φ_p, ``ma`` = θ_1..θ_q (signs as in y_t = Σ φ_i y_{t-i} + e_t + Σ θ_j e_{t-j}).
    """
    full = np.r_[1.0, -np.asarray(ar, float)]
    for _ in range(d):
        full = np.convolve(full, [1.0, -1.0])
    phi = -full[1:]  # y_t = Σ phi_i y_{t-i} + ...
    theta = np.asarray(ma, float)
    psi = np.zeros(n)
    psi[0] = 1.0
    for j in range(1, n):
        v = theta[j - 1] if j - 1 < len(theta) else 0.0
        for i in range(1, min(j, len(phi)) + 1):
            v += phi[i - 1] * psi[j - i]
        psi[j] = v
    return psi


@dataclass
class ModelFit:
    """A fitted candidate of one series (consecutive years ``start_year`` … ``end_year``).

    ``kind``: ``naive``, ``drift`` or ``arima``; ``label``: e.g. ``ARIMA(1,1,0)``;
    ``sigma2``: innovation variance (value unit squared).
    """

    kind: str
    y: np.ndarray  # the (gap-bridged) consecutive series it was fitted on
    start_year: int
    sigma2: float
    order: tuple[int, int, int] | None = None
    ar: np.ndarray = field(default_factory=lambda: np.zeros(0))
    ma: np.ndarray = field(default_factory=lambda: np.zeros(0))
    mean: float = 0.0  # constant (d = 0) or drift (d = 1, and the drift model)
    resid: np.ndarray = field(default_factory=lambda: np.zeros(0))  # CSS residuals of the differenced series
    aic: float = float("nan")
    has_mean: bool = False  # ARIMA: with a constant (d = 0) or drift (d = 1)

    @property
    def end_year(self) -> int:
        return self.start_year + len(self.y) - 1

    @property
    def label(self) -> str:
        if self.kind == "arima":
            p, d, q = self.order
            return f"ARIMA({p},{d},{q})"  # with a constant (d = 0) or a drift (d = 1)
        return self.kind

    def predict(self, h: int) -> tuple[np.ndarray, np.ndarray]:
        """Point forecasts and forecast-error variances of steps 1..h after the last year."""
        steps = np.arange(1, h + 1, dtype=float)
        y = self.y
        if self.kind == "naive":
            return np.full(h, y[-1]), self.sigma2 * steps
        if self.kind == "drift":
            span = len(y) - 1
            return y[-1] + self.mean * steps, self.sigma2 * steps * (1 + steps / span)
        p, d, q = self.order
        w = np.diff(y, d) if d else y.copy()
        z = np.r_[w - self.mean, np.zeros(h)]
        e = np.r_[self.resid, np.zeros(h)]
        n = len(w)
        for t in range(n, n + h):
            v = 0.0
            for i in range(1, p + 1):
                v += self.ar[i - 1] * z[t - i]
            for j in range(1, q + 1):
                v += self.ma[j - 1] * e[t - j]
            z[t] = v
        fw = z[n:] + self.mean
        # integrate d times: the last value of every differencing level
        levels = [y]
        for _ in range(d):
            levels.append(np.diff(levels[-1]))
        f = fw
        for lev in range(d - 1, -1, -1):
            f = levels[lev][-1] + np.cumsum(f)
        psi = psi_weights(self.ar, self.ma, d, h)
        return f, self.sigma2 * np.cumsum(psi**2)

    def forecast(self, years, interval: float = 0.95) -> pd.DataFrame:
        """``year, value, lower, upper`` for years after the fitted span."""
        years = sorted(int(v) for v in years)
        hs = [v - self.end_year for v in years]
        if not hs or min(hs) < 1:
            raise ValueError("forecast years must follow the fitted years")
        mean, var = self.predict(max(hs))
        idx = np.asarray(hs) - 1
        half = _z(interval) * np.sqrt(var[idx])
        return pd.DataFrame(
            {"year": years, "value": mean[idx], "lower": mean[idx] - half, "upper": mean[idx] + half}
        )


#: kept for callers of the former API: an ARIMA fit is a ModelFit of kind "arima"
ArimaFit = ModelFit


def _consecutive(years, values) -> tuple[np.ndarray, int, np.ndarray]:
    """(series over consecutive years with interior gaps linearly bridged, first year, observed mask)."""
    yrs = np.asarray(years, np.int64).ravel()
    vals = np.asarray(values, float).ravel()
    ok = np.isfinite(vals)
    yrs, vals = yrs[ok], vals[ok]
    if len(yrs) == 0:
        return np.zeros(0), 0, np.zeros(0, bool)
    order = np.argsort(yrs, kind="stable")
    yrs, vals = yrs[order], vals[order]
    start = int(yrs[0])
    span = np.arange(start, int(yrs[-1]) + 1)
    observed = np.isin(span, yrs)
    y = np.interp(span, yrs, vals) if not observed.all() else vals.copy()
    return y, start, observed


def fit_naive(y: np.ndarray, start_year: int = 0) -> ModelFit | None:
    """Naive model (last value) of a consecutive series; None with fewer than 2 values."""
    y = np.asarray(y, float)
    if len(y) < 2:
        return None
    dy = np.diff(y)
    return ModelFit("naive", y, start_year, float(np.sum(dy**2) / len(dy)))


def fit_drift(y: np.ndarray, start_year: int = 0) -> ModelFit | None:
    """Random walk with drift of a consecutive series; None with fewer than 3 values."""
    y = np.asarray(y, float)
    if len(y) < 3:
        return None
    dy = np.diff(y)
    c = (y[-1] - y[0]) / (len(y) - 1)
    return ModelFit("drift", y, start_year, float(np.sum((dy - c) ** 2) / (len(dy) - 1)), mean=float(c))


def choose_d(y: np.ndarray, params: EmissionsParams | None = None) -> int:
    """Differencing order by repeated unit-root tests (KPSS or ADF, ``unit_root_alpha``)."""
    from statsmodels.tsa.stattools import adfuller, kpss

    p_ = params or EmissionsParams()
    x = np.asarray(y, float)
    d = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        while d < p_.max_d and len(x) >= 6:
            if np.ptp(x) <= 1e-12 * max(1.0, np.max(np.abs(x))):
                break  # constant: stationary
            if p_.unit_root_test == "kpss":
                pval = kpss(x, regression="c", nlags="auto")[1]
                nonstationary = pval < p_.unit_root_alpha
            else:
                try:
                    pval = adfuller(x, regression="c", autolag="AIC")[1]
                except (ValueError, np.linalg.LinAlgError):
                    pval = adfuller(x, regression="c", maxlag=0, autolag=None)[1]
                nonstationary = pval > p_.unit_root_alpha
            if not nonstationary:
                break
            d += 1
            x = np.diff(x)
    return d


def _fit_order(
    y: np.ndarray, start_year: int, p: int, d: int, q: int, m: int, has_mean: bool | None = None
) -> ModelFit | None:
    """CSS fit of ARIMA(p, d, q) conditioning on the first ``m`` differenced values.

    ``has_mean``: a constant (d = 0) or drift (d = 1); default: for d < 2.
    """
    w = np.diff(y, d) if d else np.asarray(y, float)
    has_mean = (d < 2) if has_mean is None else (bool(has_mean) and d < 2)
    k = p + q + int(has_mean)
    n_eff = len(w) - m
    if n_eff - k < 3:
        return None
    scale = float(np.std(w)) or 1.0
    ws = w / scale  # a unit-free problem for the solver
    beta0 = np.zeros(p + q + int(has_mean))
    if has_mean:
        beta0[-1] = float(np.mean(ws))
    if k:
        beta, ssr, _conv = _css_fit(ws, p, q, has_mean, m, beta0)
    else:  # ARIMA(0, 2, 0): nothing to estimate
        beta, ssr = beta0, float(np.sum(ws[m:] ** 2))
    if not np.all(np.isfinite(beta)) or not np.isfinite(ssr):
        return None
    ar, ma = beta[:p], beta[p : p + q]
    if not _stationary(ar) or not _stationary(-ma):
        return None
    sigma2 = ssr / n_eff * scale**2
    if sigma2 <= 1e-12 * max(float(np.var(w)), 1e-300):
        return None  # a perfect fit: no usable interval
    mean = float(beta[-1] * scale) if has_mean else 0.0
    resid = _css_residuals(ws, beta, p, q, has_mean, m) * scale
    aic = n_eff * np.log(sigma2) + 2 * (k + 1)
    return ModelFit("arima", np.asarray(y, float), start_year, float(sigma2), (p, d, q),
                    ar.copy(), ma.copy(), mean, resid, float(aic), has_mean)


def fit_arima(years, values, params: EmissionsParams | None = None) -> ModelFit | None:
    """ARIMA of an annual series: d by the unit-root test, then p, q by least AIC.

    ``years``: observed calendar years (any order; interior gaps are
    bridged linearly); ``values``: the emissions those years. Returns None
    when no order could be fitted (too short, or no stationary and
    invertible fit).
    """
    p_ = params or EmissionsParams()
    y, start, _ = _consecutive(years, values)
    return _fit_arima_y(y, start, p_)


def _fit_arima_y(y: np.ndarray, start: int, p_: EmissionsParams, order=None) -> ModelFit | None:
    if order is not None:
        return _fit_order(y, start, order[0], order[1], order[2], p_.max_p, *order[3:])
    if len(y) < 4:
        return None
    d = choose_d(y, p_)
    best = None
    means = (d < 2,)  # a constant (d = 0) or a drift (d = 1); none for d = 2
    for p in range(p_.max_p + 1):
        for q in range(p_.max_q + 1):
            for mean in means:
                f = _fit_order(y, start, p, d, q, p_.max_p, mean)
                if f is not None and (best is None or f.aic < best.aic - 1e-9):
                    best = f
    return best


def forecast(fit: ModelFit, years, interval: float = 0.95) -> pd.DataFrame:
    """Forecasts of ``fit`` for ``years`` after its last year: ``year, value, lower, upper``."""
    return fit.forecast(years, interval)


# --------------------------------------------------------------------------- selection


@dataclass
class Selection:
    """The candidates of one series and the one chosen.

    ``fits``: candidate → fit on the whole series; ``errors``: candidate →
    hold-out error (``holdout_error`` measure); ``mape``: candidate → hold-out MAPE (%).
    """

    fits: dict[str, ModelFit]
    errors: dict[str, float]
    mape: dict[str, float]
    chosen: str

    @property
    def fit(self) -> ModelFit:
        return self.fits[self.chosen]


def _fit_kind(kind: str, y: np.ndarray, start: int, p_: EmissionsParams, order=None):
    if kind == "naive":
        return fit_naive(y, start)
    if kind == "drift":
        return fit_drift(y, start)
    return _fit_arima_y(y, start, p_, order)


def _errors(obs: np.ndarray, pred: np.ndarray, how: str) -> float:
    e = pred - obs
    if how == "mae":
        return float(np.mean(np.abs(e)))
    if how == "rmse":
        return float(np.sqrt(np.mean(e**2)))
    ok = obs != 0
    return float(np.mean(np.abs(e[ok]) / np.abs(obs[ok])) * 100) if ok.any() else float("inf")


def select_model(years, values, params: EmissionsParams | None = None) -> Selection | None:
    """Fit every candidate and pick the one of least rolling-origin hold-out error.

    Origins: the series without its last k years, k = 1 … ``holdout_origins``
    (while at least 4 years remain); from each, every candidate refitted on
    the years before the origin forecasts up to ``holdout_horizon`` observed
    years ahead. Returns None when no candidate can be fitted.
    """
    p_ = params or EmissionsParams()
    y, start, _ = _consecutive(years, values)
    fits = {}
    for kind in p_.candidates:
        f = _fit_kind(kind, y, start, p_)
        if f is not None:
            fits[kind] = f
    if not fits:
        return None
    obs_all, pred_all = {k: [] for k in fits}, {k: [] for k in fits}
    failed: set[str] = set()
    n = len(y)
    for k_back in range(1, p_.holdout_origins + 1):
        o = n - k_back
        if o < 4:
            break
        h = min(p_.holdout_horizon, n - o)
        target = y[o : o + h]
        for kind, full in fits.items():
            if kind in failed:
                continue
            spec = (*full.order, full.has_mean) if full.order else None
            f = _fit_kind(kind, y[:o], start, p_, spec)
            if f is None:  # cannot be refitted this far back: not scored (not selectable)
                failed.add(kind)
                continue
            obs_all[kind].append(target)
            pred_all[kind].append(f.predict(h)[0])
    errors, mape = {}, {}
    for kind in fits:
        if obs_all[kind] and kind not in failed:
            o_, p__ = np.concatenate(obs_all[kind]), np.concatenate(pred_all[kind])
            errors[kind] = _errors(o_, p__, p_.holdout_error)
            mape[kind] = _errors(o_, p__, "mape")
        else:
            errors[kind] = mape[kind] = float("nan")
    scored = [k for k in TIE_ORDER if k in fits and np.isfinite(errors[k])]
    if scored:
        chosen = min(scored, key=lambda k: (errors[k], TIE_ORDER.index(k)))
    else:  # too short for any hold-out: the simplest candidate fitted
        chosen = next(k for k in TIE_ORDER if k in fits)
    return Selection(fits, errors, mape, chosen)


# --------------------------------------------------------------------------- filling


@dataclass
class EmissionsFill:
    """Result of :func:`fill_emissions`.

    ``table``: ``unit_id, year, value, emissions_filled, lower, upper, model,
    holdout_mape`` (observed rows have ``emissions_filled = False``, empty
    bounds, model and error; filled rows name the model that filled them and
    its hold-out MAPE in %).
    ``notes``: ``unit_id, note`` — every unit not (fully) filled and why,
    and every clipped forecast.
    """

    table: pd.DataFrame
    notes: pd.DataFrame


COLUMNS = ["unit_id", "year", "value", "emissions_filled", "lower", "upper", "model", "holdout_mape"]


def _check(emissions: pd.DataFrame) -> pd.DataFrame:
    need = ["unit_id", "year", "value"]
    missing = [c for c in need if c not in emissions.columns]
    if missing:
        raise InputError(
            f"emissions lack columns {missing}", where="emissions table", fix=f"give {need}"
        )
    df = emissions[need].copy()
    try:
        df["year"] = df["year"].astype(int)
        df["value"] = df["value"].astype(float)
    except (TypeError, ValueError) as err:
        raise InputError(
            f"emissions years or values are not numbers ({err})",
            where="emissions table, columns year/value",
            fix="give integer years and numeric values",
        ) from err
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
    emissions: pd.DataFrame,
    years,
    params: EmissionsParams | None = None,
    cache_dir: Path | str | None = None,
) -> EmissionsFill:
    """Fill each unit's missing ``years`` from its own series (METHODS §2.5).

    Parameters
    ----------
    emissions
        ``unit_id, year, value`` (any unit of mass per year, t C
        recommended; the fills keep it).
    years
        The study years every unit should have. Years after a unit's last
        observation are forecast by its selected candidate; interior gaps
        by the random-walk bridge; years before its first observation are
        not filled (noted).
    params
        :class:`~ecozone.carbon.params.EmissionsParams` (defaults of METHODS).
    cache_dir
        Optional folder: each unit's result is kept there, keyed by a
        checksum of its series, the wanted years and the parameters, and
        reused by later calls.

    Returns
    -------
    EmissionsFill
        ``table`` (observed and filled rows, same unit as the input) and ``notes``.
    """
    p = params or EmissionsParams()
    df = _check(emissions)
    years = sorted({int(y) for y in years})
    rows, notes, tasks = [], [], []
    for unit, g in df.groupby("unit_id", sort=True):
        obs = g[np.isfinite(g["value"])].sort_values("year")
        have = set(obs["year"].tolist())
        for yr, v in zip(obs["year"].to_numpy(int), obs["value"].to_numpy(float), strict=True):
            rows.append((unit, int(yr), float(v), False, np.nan, np.nan, "", np.nan))
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
    for r, n in _run_cached(tasks, p, cache_dir):
        rows += r
        notes += n
    table = pd.DataFrame(rows, columns=COLUMNS).sort_values(["unit_id", "year"], ignore_index=True)
    return EmissionsFill(table, pd.DataFrame(notes, columns=["unit_id", "note"]))


def _fill_one(task) -> tuple[list, list]:
    """Select a model for one unit's series and fill its missing years: (rows, notes)."""
    unit, yrs, vals, want, p = task
    sel = select_model(yrs, vals, p)
    if sel is None:
        return [], [(unit, f"not filled: no candidate model could be fitted; missing {want}")]
    fit = sel.fit
    mape = sel.mape.get(sel.chosen, float("nan"))
    rows, notes = [], []
    last = fit.end_year
    ahead = [y for y in want if y > last]
    inside = [y for y in want if y <= last]
    if inside:
        y, start, observed = _consecutive(yrs, vals)
        obs_years = np.flatnonzero(observed) + start
        # random-walk σ² from the observed pairs: Δy over a gap of g years has variance g·σ²
        s2 = float(np.mean(np.diff(y[observed]) ** 2 / np.diff(obs_years)))
        z = _z(p.interval)
        for yr in inside:
            a = yr - obs_years[obs_years < yr].max()
            b = obs_years[obs_years > yr].min() - yr
            val = float(y[yr - start])
            half = z * np.sqrt(s2 * a * b / (a + b))
            rows.append((unit, yr, val, True, max(val - half, 0.0), val + half, "interpolation", np.nan))
    if ahead:
        fc = fit.forecast(ahead, p.interval)
        for yr, val, lo, hi in fc[["year", "value", "lower", "upper"]].itertuples(index=False):
            val, lo, hi = float(val), float(lo), float(hi)
            if val < 0:
                notes.append((unit, f"{int(yr)}: forecast {val:.4g} < 0 set to 0"))
                val = 0.0
            rows.append((unit, int(yr), val, True, max(lo, 0.0), hi, fit.label, mape))
    return rows, notes


def _key(task) -> str:
    unit, yrs, vals, want, p = task
    h = hashlib.sha256()
    h.update(CACHE_VERSION.encode())
    h.update(np.asarray(yrs, np.int64).tobytes())
    h.update(np.asarray(vals, np.float64).tobytes())
    h.update(np.asarray(want, np.int64).tobytes())
    h.update(p.model_dump_json().encode())
    return h.hexdigest()


def _run_cached(tasks: list, p: EmissionsParams, cache_dir) -> list:
    """``_fill_one`` over ``tasks``, reusing and extending the cache in ``cache_dir``.

    The cache is one JSON file per parameter set, ``{series checksum: [rows, notes]}``
    (unit ids are not part of the key; they are put back on reading).
    """
    if cache_dir is None or not tasks:
        return _map(_fill_one, tasks)
    folder = Path(cache_dir)
    pkey = hashlib.sha256((CACHE_VERSION + p.model_dump_json()).encode()).hexdigest()[:16]
    path = folder / f"emissions_fill_{pkey}.json"
    try:
        cache = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cache = {}
    keys = [_key(t) for t in tasks]
    todo = [i for i, k in enumerate(keys) if k not in cache]
    for i, res in zip(todo, _map(_fill_one, [tasks[i] for i in todo]), strict=True):
        r, n = res
        cache[keys[i]] = [[list(x[1:]) for x in r], [x[1] for x in n]]
    out = []
    for t, k in zip(tasks, keys, strict=True):
        r, n = cache[k]
        out.append(([(t[0], *x) for x in r], [(t[0], x) for x in n]))
    if todo:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            tmp.write_text(json.dumps(cache, allow_nan=True), encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only cache folder only costs time
    return out


def _map(fn, tasks: list) -> list:
    """``fn`` over ``tasks`` in this process, results in task order.

    No process pool: a unit takes ~4 ms (compiled CSS fits), so the 1,054
    CEADs county series of the 11 YREB provinces are filled in ~4 s on one
    core, while starting two 'spawn' or 'forkserver' workers (each importing
    numpy, pandas, statsmodels and loading the compiled kernels) made the same
    fill take 8–11 s on the 2-core machine (measured; BLAS limited to one
    thread per worker).
    """
    return [fn(t) for t in tasks]


def holdout_check(
    emissions: pd.DataFrame, n_holdout: int = 3, params: EmissionsParams | None = None
) -> pd.DataFrame:
    """Hold out each unit's last ``n_holdout`` observed years and forecast them from the rest.

    Every candidate and the selection are fitted on the years before the
    held-out ones only. Units with fewer than ``min_observations``
    training years are skipped. Returns one row per unit, held-out year and
    method (``select``, ``arima``, ``drift``, ``naive``): ``unit_id, method,
    model, year, horizon, observed, predicted, lower, upper, error,
    pct_error, inside`` (``inside``: the observation lies in the interval);
    ``attrs["summary"]``: MAPE (%) and coverage (share) per method and horizon.
    """
    p = params or EmissionsParams()
    df = _check(emissions)
    out = []
    for unit, g in df.groupby("unit_id", sort=True):
        obs = g[np.isfinite(g["value"])].sort_values("year")
        if len(obs) < p.min_observations + n_holdout:
            continue
        train, test = obs.iloc[:-n_holdout], obs.iloc[-n_holdout:]
        sel = select_model(train["year"], train["value"], p)
        if sel is None:
            continue
        last = sel.fit.end_year
        methods = {"select": sel.fit, **sel.fits}
        for method, fit in methods.items():
            fc = fit.forecast(test["year"], p.interval)
            for (yr, pred, lo, hi), v in zip(
                fc[["year", "value", "lower", "upper"]].itertuples(index=False),
                test["value"].to_numpy(float),
                strict=True,
            ):
                out.append((unit, method, fit.label, int(yr), int(yr) - last, v, pred, lo, hi))
    res = pd.DataFrame(
        out,
        columns=["unit_id", "method", "model", "year", "horizon", "observed", "predicted", "lower", "upper"],
    )
    res["error"] = res["predicted"] - res["observed"]
    res["pct_error"] = res["error"] / res["observed"].abs().where(res["observed"] != 0) * 100
    res["inside"] = (res["observed"] >= res["lower"]) & (res["observed"] <= res["upper"])
    res.attrs["summary"] = summarise_holdout(res)
    return res


def summarise_holdout(res: pd.DataFrame) -> pd.DataFrame:
    """MAPE (%), coverage (share) and count per method and horizon (``horizon`` 0 = all)."""
    rows = []
    for method, g in res.groupby("method", sort=False):
        for h, gh in [(0, g), *g.groupby("horizon")]:
            rows.append(
                (method, int(h), len(gh), float(gh["pct_error"].abs().mean()), float(gh["inside"].mean()))
            )
    return pd.DataFrame(rows, columns=["method", "horizon", "n", "mape", "coverage"])
