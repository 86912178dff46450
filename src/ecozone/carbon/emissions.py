"""Gap-filling of emission series (METHODS §2.5).

Where a unit's emissions stop before a study year (CEADs county data end in
2017), the missing years are filled from that unit's own annual series by
one of five candidates (T = number of consecutive years of the series, y_T
its last value, h = years ahead; values keep the unit of the input):

- **naive** (last value): ŷ_{T+h} = y_T; variance σ̂²·h, σ̂² = Σ Δy_t² / (T − 1).
- **damped** (damped drift): ŷ_{T+h} = y_T + ĉ·S_h, S_h = φ + φ² + … + φ^h
  (φ = ``damping``, default 0.9; ĉ and σ̂² as for drift): the drift added
  each year ahead decays geometrically (Gardner & McKenzie 1985 damping of a
  trend). Variance σ̂²·h + S_h²·σ̂²/(T − 1): the random walk's h·σ² plus the
  drift estimate's variance σ²/(T − 1) carried S_h times — the interval of
  the model whose drift decays so from the last observation.
- **drift** (random walk with drift): ŷ_{T+h} = y_T + h·ĉ, ĉ = (y_T − y_1)/(T − 1);
  variance σ̂²·h·(1 + h/(T − 1)); σ̂² = Σ(Δy_t − ĉ)² / (T − 2).
- **combination**: the equal-weight mean of the other candidates listed
  (M of them; forecast combinations are hard to beat on short annual
  series, M3/M4 competitions). Interval (a documented approximation): the
  standard deviation of a mean of M forecast errors is at most the mean of
  their standard deviations whatever their correlation (Minkowski), so
  sd = (1/M)·Σ sd_m — conservative when each member's interval is right.
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

Intervals are normal, ``interval`` (default 95 %) central coverage.

**Selection.** Every candidate is scored by a rolling-origin hold-out over
the unit's last observed years: from each of ``holdout_origins`` origins
(the series without its last 1, 2, … years, while ≥ 4 years remain) it is
refitted on the years before the origin only — ARIMA chooses d, p and q
again there (``arima_holdout = "reidentify"``) — and forecasts up to
``holdout_horizon`` years ahead (default ``"fill"``: as many years as the
unit has to be filled ahead), observed years only; the errors of all these
forecasts are averaged with ``holdout_error`` (MAPE by default). A
candidate that cannot be refitted at every origin is not selectable for
that unit. With ``selection = "pooled"`` (default) every unit of a pool
(the ``group`` column of the emissions table, else all units given) is
filled by the candidate of least mean hold-out error over the pool's units;
with ``"series"`` by its own least error. Among candidates within
``tie_margin`` of the least error the simplest wins (order naive, damped,
drift, combination, ARIMA). ``fill_emissions`` reports the model
(``model``) and the unit's own hold-out MAPE of it (``holdout_mape``, %).

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
CACHE_VERSION = "3"
#: Candidates from the simplest to the most complex (ties go to the simpler).
TIE_ORDER = ("naive", "damped", "drift", "combination", "arima")
#: Candidates that are single models (the combination is their mean).
SINGLE_KINDS = ("naive", "damped", "drift", "arima")
#: CSS solver: stop when an accepted step lowers the SSR by less than this share ...
CSS_RTOL = 1e-7
#: ... or after this many Levenberg–Marquardt iterations.
CSS_MAXITER = 50


# --------------------------------------------------------------------------- CSS kernel


@numba.njit(cache=True)
def _css_resid_into(w, beta, p, q, has_mean, m, e):
    """Residuals e_t (t ≥ m; 0 before) of ARMA(p, q) on ``w`` minus its mean, into ``e``; returns Σ e².

    ``beta`` = [φ_1..φ_p, θ_1..θ_q, μ] (μ only if ``has_mean``); model
    z_t = Σ φ_i z_{t-i} + e_t + Σ θ_j e_{t-j}, z = w − μ.
    """
    n = w.shape[0]
    mu = beta[p + q] if has_mean else 0.0
    s = 0.0
    for t in range(m):
        e[t] = 0.0
    for t in range(m, n):
        v = w[t] - mu
        for i in range(1, p + 1):
            v -= beta[i - 1] * (w[t - i] - mu)
        for j in range(1, q + 1):
            if t - j >= 0:
                v -= beta[p + j - 1] * e[t - j]
        e[t] = v
        s += v * v
    return s


@numba.njit(cache=True)
def _css_residuals(w, beta, p, q, has_mean, m):
    """Residuals e_t (t ≥ m; 0 before) of ARMA(p, q) on ``w`` minus its mean (see ``_css_resid_into``)."""
    e = np.zeros(w.shape[0])
    _css_resid_into(w, beta, p, q, has_mean, m, e)
    return e


@numba.njit(cache=True)
def _solve_small(a, b):
    """x of a·x = b for a small dense system (Gaussian elimination, partial pivoting); NaN if singular."""
    k = b.shape[0]
    m = a.copy()
    x = b.copy()
    for c in range(k):
        piv = c
        big = abs(m[c, c])
        for r in range(c + 1, k):
            if abs(m[r, c]) > big:
                big = abs(m[r, c])
                piv = r
        if big == 0.0:
            return x * np.nan
        if piv != c:
            for j in range(k):
                tmp = m[c, j]
                m[c, j] = m[piv, j]
                m[piv, j] = tmp
            tmp = x[c]
            x[c] = x[piv]
            x[piv] = tmp
        for r in range(c + 1, k):
            f = m[r, c] / m[c, c]
            if f != 0.0:
                for j in range(c, k):
                    m[r, j] -= f * m[c, j]
                x[r] -= f * x[c]
    for c in range(k - 1, -1, -1):
        s = x[c]
        for j in range(c + 1, k):
            s -= m[c, j] * x[j]
        x[c] = s / m[c, c]
    return x


@numba.njit(cache=True)
def _css_fit(w, p, q, has_mean, m, beta0, rtol=1e-7, maxiter=50):
    """Least-squares fit of the CSS residuals (Levenberg–Marquardt, numerical Jacobian).

    Stops when an accepted step lowers the SSR by less than ``rtol`` of it, the
    step is negligible, no descent step is left, or after ``maxiter`` iterations.
    Returns (beta, ssr, converged).
    """
    k = beta0.shape[0]
    n = w.shape[0]
    beta = beta0.copy()
    e = np.zeros(n)
    e2 = np.zeros(n)
    et = np.zeros(n)
    ssr = _css_resid_into(w, beta, p, q, has_mean, m, e)
    lam = 1e-3
    nres = n - m
    jac = np.zeros((nres, k))
    a = np.zeros((k, k))
    a2 = np.zeros((k, k))
    g = np.zeros(k)
    b2 = np.zeros(k)
    converged = False
    for _ in range(maxiter):
        for c in range(k):
            h = 1e-6 * max(1.0, abs(beta[c]))
            old = beta[c]
            beta[c] = old + h
            _css_resid_into(w, beta, p, q, has_mean, m, e2)
            beta[c] = old
            for r in range(nres):
                jac[r, c] = (e2[m + r] - e[m + r]) / h
        for c in range(k):
            s = 0.0
            for r in range(nres):
                s += jac[r, c] * e[m + r]
            g[c] = -s
            for d in range(c, k):
                s = 0.0
                for r in range(nres):
                    s += jac[r, c] * jac[r, d]
                a[c, d] = s
                a[d, c] = s
        improved = False
        for _inner in range(30):
            for c in range(k):
                for d in range(k):
                    a2[c, d] = a[c, d]
                a2[c, c] += lam * max(a[c, c], 1e-12)
            step = _solve_small(a2, g)
            for c in range(k):
                b2[c] = beta[c] + step[c]
            s2 = _css_resid_into(w, b2, p, q, has_mean, m, et)
            if np.isfinite(s2) and s2 <= ssr:
                rel = (ssr - s2) / max(ssr, 1e-300)
                small = np.max(np.abs(step)) <= 1e-9 * (1.0 + np.max(np.abs(beta)))
                for c in range(k):
                    beta[c] = b2[c]
                for t in range(n):
                    e[t] = et[t]
                ssr = s2
                lam = max(lam / 10.0, 1e-12)
                improved = True
                if rel < rtol or small:
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


@numba.njit(cache=True)
def _nb_stationary(c):
    """Roots of 1 − c_1 z − … − c_k z^k outside the unit circle (as ``_stationary``)."""
    k = c.shape[0]
    if k == 0:
        return True
    if k == 1:
        return abs(c[0]) < 1.0 - 1e-6
    if k == 2:  # the AR(2) triangle
        return c[0] + c[1] < 1.0 - 1e-6 and c[1] - c[0] < 1.0 - 1e-6 and abs(c[1]) < 1.0 - 1e-6
    comp = np.zeros((k, k), dtype=np.complex128)  # companion matrix: eigenvalues = 1 / roots
    for j in range(k):
        comp[0, j] = c[j]
    for i in range(1, k):
        comp[i, i - 1] = 1.0
    ev = np.linalg.eigvals(comp)
    for v in ev:
        if abs(v) * (1.0 + 1e-6) >= 1.0:
            return False
    return True


@numba.njit(cache=True)
def _css_search(ws, max_p, max_q, has_mean, m, scale, var_w, rtol, maxiter):
    """Least-AIC ARMA(p, q) (p ≤ max_p, q ≤ max_q) of the standardised series ``ws`` by CSS.

    The compiled twin of looping ``_fit_order`` over the orders: same start,
    solver, checks (stationary, invertible, not a perfect fit) and AIC
    n·ln(σ̂²) + 2(k + 1), σ̂² = SSR/n·scale² (value unit²). Returns (found, p, q,
    beta padded to max_p + max_q + 1, ssr of the standardised series).
    """
    n_eff = ws.shape[0] - m
    best_aic = np.inf
    best_p, best_q, best_ssr = -1, -1, 0.0
    best_beta = np.zeros(max_p + max_q + 1)
    mu0 = 0.0
    for t in range(ws.shape[0]):
        mu0 += ws[t]
    mu0 /= ws.shape[0]
    for p in range(max_p + 1):
        for q in range(max_q + 1):
            k = p + q + (1 if has_mean else 0)
            if n_eff - k < 3:
                continue
            beta0 = np.zeros(k)
            if has_mean:
                beta0[k - 1] = mu0
            if k > 0:
                beta, ssr, _conv = _css_fit(ws, p, q, has_mean, m, beta0, rtol, maxiter)
            else:
                beta = beta0
                ssr = 0.0
                for t in range(m, ws.shape[0]):
                    ssr += ws[t] * ws[t]
            if not np.isfinite(ssr) or not np.all(np.isfinite(beta)):
                continue
            if not _nb_stationary(beta[:p]) or not _nb_stationary(-beta[p : p + q]):
                continue
            sigma2 = ssr / n_eff * scale * scale
            if sigma2 <= 1e-12 * max(var_w, 1e-300):
                continue
            aic = n_eff * np.log(sigma2) + 2 * (k + 1)
            if aic < best_aic - 1e-9:
                best_aic, best_p, best_q, best_ssr = aic, p, q, ssr
                best_beta[:] = 0.0
                best_beta[:k] = beta
    return best_p >= 0, best_p, best_q, best_beta, best_ssr


@numba.njit(cache=True)
def _kpss_level(x):
    """(statistic, p-value, lags) of the KPSS test of level stationarity.

    The computation of statsmodels' ``kpss(x, regression="c", nlags="auto")``
    (Kwiatkowski et al. 1992; lags by Hobijn et al. 1998; p-value interpolated
    in the table 0.347/0.463/0.574/0.739 → 0.10/0.05/0.025/0.01 and clipped
    to it), compiled: the test is run at every hold-out origin.
    """
    nobs = x.shape[0]
    mu = 0.0
    for t in range(nobs):
        mu += x[t]
    mu /= nobs
    r = x - mu
    covlags = int(nobs ** (2.0 / 9.0))
    s0 = np.sum(r**2) / nobs
    s1 = 0.0
    for i in range(1, covlags + 1):
        prod = np.dot(r[i:], r[: nobs - i]) / (nobs / 2.0)
        s0 += prod
        s1 += i * prod
    s_hat = s1 / s0
    lags = int(1.1447 * (s_hat * s_hat) ** (1.0 / 3.0) * nobs ** (1.0 / 3.0))
    lags = min(lags, nobs - 1)
    eta = np.sum(np.cumsum(r) ** 2) / (nobs**2)
    sig = np.sum(r**2)
    for i in range(1, lags + 1):
        sig += 2 * np.dot(r[i:], r[: nobs - i]) * (1.0 - (i / (lags + 1.0)))
    stat = eta / (sig / nobs)
    pval = np.interp(stat, np.array([0.347, 0.463, 0.574, 0.739]), np.array([0.10, 0.05, 0.025, 0.01]))
    return stat, pval, lags


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

    ``kind``: ``naive``, ``damped``, ``drift``, ``combination`` or ``arima``;
    ``label``: e.g. ``ARIMA(1,1,0)``; ``sigma2``: innovation variance (value
    unit squared; NaN for a combination); ``phi``: damping factor (damped);
    ``parts``: the members of a combination.
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
    phi: float = 0.0  # damped: damping factor
    parts: list[ModelFit] = field(default_factory=list)  # combination: its members

    @property
    def end_year(self) -> int:
        return self.start_year + len(self.y) - 1

    @property
    def label(self) -> str:
        if self.kind == "arima":
            p, d, q = self.order
            return f"ARIMA({p},{d},{q})"  # with a constant (d = 0) or a drift (d = 1)
        if self.kind == "combination":
            return "combination(" + " + ".join(m.label for m in self.parts) + ")"
        return self.kind

    def predict(self, h: int) -> tuple[np.ndarray, np.ndarray]:
        """Point forecasts and forecast-error variances of steps 1..h after the last year.

        Units: the series' unit and its square.
        """
        steps = np.arange(1, h + 1, dtype=float)
        y = self.y
        if self.kind == "naive":
            return np.full(h, y[-1]), self.sigma2 * steps
        if self.kind == "drift":
            span = len(y) - 1
            return y[-1] + self.mean * steps, self.sigma2 * steps * (1 + steps / span)
        if self.kind == "damped":
            span = len(y) - 1
            s_h = np.cumsum(self.phi**steps)  # φ + φ² + … + φ^h
            return y[-1] + self.mean * s_h, self.sigma2 * (steps + s_h**2 / span)
        if self.kind == "combination":
            preds = [m.predict(h) for m in self.parts]
            mean = np.mean([pm for pm, _ in preds], axis=0)
            sd = np.mean([np.sqrt(pv) for _, pv in preds], axis=0)  # Minkowski bound
            return mean, sd**2
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


def fit_damped(y: np.ndarray, start_year: int = 0, phi: float = 0.9) -> ModelFit | None:
    """Damped drift of a consecutive series (drift φ^k·ĉ added k years ahead); None with fewer than 3 values.

    ĉ and σ̂² are those of :func:`fit_drift`; ``phi`` in (0, 1) (−).
    """
    f = fit_drift(y, start_year)
    if f is None:
        return None
    if not 0 < phi < 1:
        raise ValueError(f"damping factor must lie in (0, 1), got {phi}")
    f.kind, f.phi = "damped", float(phi)
    return f


def fit_combination(parts: list[ModelFit]) -> ModelFit:
    """Equal-weight combination of fits of the same series (at least two).

    Forecast: the mean of the members'; standard deviation: the mean of the
    members' (an upper bound of the sd of the mean error, whatever the
    correlation of the members' errors).
    """
    if len(parts) < 2:
        raise ValueError("a combination needs at least two members")
    first = parts[0]
    if any(m.start_year != first.start_year or len(m.y) != len(first.y) for m in parts):
        raise ValueError("the members of a combination must be fits of the same years")
    return ModelFit("combination", first.y, first.start_year, float("nan"), parts=list(parts))


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
    from statsmodels.tsa.stattools import adfuller

    p_ = params or EmissionsParams()
    x = np.asarray(y, float)
    d = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        while d < p_.max_d and len(x) >= 6:
            if np.ptp(x) <= 1e-12 * max(1.0, np.max(np.abs(x))):
                break  # constant: stationary
            if p_.unit_root_test == "kpss":
                pval = _kpss_level(np.ascontiguousarray(x, dtype=np.float64))[1]
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
        beta, ssr, _conv = _css_fit(ws, p, q, has_mean, m, beta0, CSS_RTOL, CSS_MAXITER)
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
    has_mean = d < 2  # a constant (d = 0) or a drift (d = 1); none for d = 2
    w = np.diff(y, d) if d else np.asarray(y, float)
    scale = float(np.std(w)) or 1.0
    found, p, q, _beta, _ssr = _css_search(
        w / scale, p_.max_p, p_.max_q, has_mean, p_.max_p, scale, float(np.var(w)), CSS_RTOL, CSS_MAXITER
    )
    if not found:
        return None
    return _fit_order(y, start, int(p), d, int(q), p_.max_p, has_mean)  # the same fit, as a ModelFit


def forecast(fit: ModelFit, years, interval: float = 0.95) -> pd.DataFrame:
    """Forecasts of ``fit`` for ``years`` after its last year: ``year, value, lower, upper``."""
    return fit.forecast(years, interval)


# --------------------------------------------------------------------------- selection


@dataclass
class Selection:
    """The candidates of one series, their hold-out scores and the one the series itself would choose.

    ``fits``: candidate → fit on the whole series; ``errors``: candidate →
    hold-out error (``holdout_error`` measure; NaN: not scored, so not
    selectable); ``mape``: candidate → hold-out MAPE (%); ``chosen``: the
    candidate of least own error (``selection = "series"``); a pooled choice
    is made by :func:`choose_pooled`.
    """

    fits: dict[str, ModelFit]
    errors: dict[str, float]
    mape: dict[str, float]
    chosen: str

    @property
    def fit(self) -> ModelFit:
        return self.fits[self.chosen]


def _fit_singles(kinds, y: np.ndarray, start: int, p_: EmissionsParams, orders=None) -> dict[str, ModelFit]:
    """Fits of the single candidates ``kinds`` (ARIMA order from ``orders`` when given)."""
    out = {}
    for kind in kinds:
        if kind == "naive":
            f = fit_naive(y, start)
        elif kind == "damped":
            f = fit_damped(y, start, p_.damping)
        elif kind == "drift":
            f = fit_drift(y, start)
        else:
            spec = None if orders is None else orders.get("arima")
            f = _fit_arima_y(y, start, p_, spec)
        if f is not None:
            out[kind] = f
    return out


def _fit_all(y: np.ndarray, start: int, p_: EmissionsParams, members=None, orders=None) -> dict[str, ModelFit]:
    """Every candidate of ``p_.candidates`` that can be fitted; the combination's members are
    ``members`` (default: the other candidates fitted here), and it needs all of them."""
    singles = [k for k in SINGLE_KINDS if k in p_.candidates]
    fits = _fit_singles(singles, y, start, p_, orders)
    if "combination" in p_.candidates:
        mem = [k for k in singles if k in fits] if members is None else list(members)
        if len(mem) >= 2 and all(k in fits for k in mem):
            fits["combination"] = fit_combination([fits[k] for k in mem])
    return fits


def _errors(obs: np.ndarray, pred: np.ndarray, how: str) -> float:
    e = pred - obs
    if how == "mae":
        return float(np.mean(np.abs(e)))
    if how == "rmse":
        return float(np.sqrt(np.mean(e**2)))
    ok = obs != 0
    return float(np.mean(np.abs(e[ok]) / np.abs(obs[ok])) * 100) if ok.any() else float("inf")


def _scoring_horizon(p_: EmissionsParams, fill_horizon: int | None) -> int:
    """Years ahead scored from each origin: ``holdout_horizon``, or the years to fill (≥ 1)."""
    if p_.holdout_horizon == "fill":
        return max(1, int(fill_horizon or 1))
    return int(p_.holdout_horizon)


def _pick(errors: dict[str, float], margin: float, fitted) -> str:
    """The simplest candidate whose error is within (1 + margin) of the least finite error
    (the simplest fitted one when none is finite)."""
    scored = [k for k in TIE_ORDER if k in errors and np.isfinite(errors[k])]
    if not scored:
        return next(k for k in TIE_ORDER if k in fitted)
    best = min(errors[k] for k in scored)
    return next(k for k in scored if errors[k] <= best * (1 + margin) + 1e-12 * abs(best))


def select_model(
    years, values, params: EmissionsParams | None = None, fill_horizon: int | None = None
) -> Selection | None:
    """Fit every candidate and score it by the rolling-origin hold-out.

    Origins: the series without its last k years, k = 1 … ``holdout_origins``
    (while at least 4 years remain); from each, every candidate refitted on
    the years before the origin only (ARIMA re-identified, or with the
    order of the whole series when ``arima_holdout = "fixed"``) forecasts
    up to the scoring horizon (``holdout_horizon``; ``"fill"``: ``fill_horizon``
    years, the years the unit has to be filled ahead) of the observed
    years. ``years`` are calendar years, ``values`` in any unit (MAPE is in %,
    MAE/RMSE in that unit). Returns None when no candidate can be fitted.
    """
    p_ = params or EmissionsParams()
    y, start, _ = _consecutive(years, values)
    fits = _fit_all(y, start, p_)
    if not fits:
        return None
    members = [m.kind for m in fits["combination"].parts] if "combination" in fits else None
    orders = None
    if p_.arima_holdout == "fixed" and "arima" in fits:
        orders = {"arima": (*fits["arima"].order, fits["arima"].has_mean)}
    horizon = _scoring_horizon(p_, fill_horizon)
    obs_all = {k: [] for k in fits}
    pred_all = {k: [] for k in fits}
    failed: set[str] = set()
    n = len(y)
    for k_back in range(1, p_.holdout_origins + 1):
        o = n - k_back
        if o < 4:
            break
        h = min(horizon, n - o)
        target = y[o : o + h]
        at = _fit_all(y[:o], start, p_, members, orders)
        for kind in fits:
            f = at.get(kind)
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
    return Selection(fits, errors, mape, _pick(errors, p_.tie_margin, fits))


def choose_pooled(errors: dict, groups: dict, fitted: dict, margin: float = 0.0) -> dict:
    """Pooled choice: per unit, the candidate of least mean hold-out error over its pool.

    ``errors``: unit → {candidate: hold-out error (NaN: not scored)};
    ``groups``: unit → pool label; ``fitted``: unit → candidates fitted.
    A candidate's pool error is the mean of its finite errors over the
    pool's units; a unit can only get a candidate scored for itself.
    Returns unit → candidate.
    """
    pools: dict = {}
    for u, g in groups.items():
        pools.setdefault(g, []).append(u)
    out = {}
    for units in pools.values():
        pool_err = {}
        for kind in TIE_ORDER:
            v = [errors[u][kind] for u in units if np.isfinite(errors[u].get(kind, np.nan))]
            pool_err[kind] = float(np.mean(v)) if v else float("nan")
        for u in units:
            own = {k: (pool_err[k] if np.isfinite(errors[u].get(k, np.nan)) else np.nan) for k in TIE_ORDER}
            out[u] = _pick(own, margin, fitted[u])
    return out


# --------------------------------------------------------------------------- filling


@dataclass
class EmissionsFill:
    """Result of :func:`fill_emissions`.

    ``table``: ``unit_id, year, value, emissions_filled, lower, upper, model,
    holdout_mape`` (observed rows have ``emissions_filled = False``, empty
    bounds, model and error; filled rows name the model that filled them and
    its hold-out MAPE on the unit's own series in %).
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
    keep = need + (["group"] if "group" in emissions.columns else [])
    df = emissions[keep].copy()
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
    if "group" in df.columns:
        many = df.groupby("unit_id")["group"].nunique(dropna=False)
        if (many > 1).any():
            raise InputError(
                f"unit {many[many > 1].index[0]} is in more than one group",
                where="emissions table, column group",
                fix="give each unit one pooling group (or drop the group column)",
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
        recommended; the fills keep it); optional ``group``: the pools of
        ``selection = "pooled"`` (default: all units form one pool).
    years
        The study years every unit should have. Years after a unit's last
        observation are forecast by the selected candidate; interior gaps
        by the random-walk bridge; years before its first observation are
        not filled (noted).
    params
        :class:`~ecozone.carbon.params.EmissionsParams` (defaults of METHODS).
    cache_dir
        Optional folder: each unit's candidates, scores and forecasts are
        kept there, keyed by a checksum of its series, the wanted years and
        the parameters, and reused by later calls (the pooled choice is
        made afresh from them).

    Returns
    -------
    EmissionsFill
        ``table`` (observed and filled rows, same unit as the input) and ``notes``.
    """
    p = params or EmissionsParams()
    df = _check(emissions)
    years = sorted({int(y) for y in years})
    rows, notes, tasks, groups = [], [], [], {}
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
        groups[unit] = _group(g)
        tasks.append((unit, obs["year"].to_numpy(int), obs["value"].to_numpy(float), want, p))
    results = _run_cached(tasks, p, cache_dir)
    chosen = _choose(results, groups, p)
    for unit, res in results:
        r, n = _rows(unit, res, chosen.get(unit))
        rows += r
        notes += n
    table = pd.DataFrame(rows, columns=COLUMNS).sort_values(["unit_id", "year"], ignore_index=True)
    return EmissionsFill(table, pd.DataFrame(notes, columns=["unit_id", "note"]))


def _group(g: pd.DataFrame):
    """Pool label of one unit's rows ("" without a group column or for a missing group)."""
    if "group" not in g.columns or pd.isna(g["group"].iloc[0]):
        return ""
    return g["group"].iloc[0]


def _choose(results: list[tuple], groups: dict, p: EmissionsParams) -> dict:
    """unit → candidate filling its years ahead (units with something to forecast only)."""
    errs, fitted = {}, {}
    for unit, res in results:
        if res["cands"]:
            errs[unit] = {k: v[0] for k, v in res["cands"].items()}
            fitted[unit] = list(res["cands"])
    if p.selection == "series":
        return {u: _pick(e, p.tie_margin, fitted[u]) for u, e in errs.items()}
    return choose_pooled(errs, {u: groups[u] for u in errs}, fitted, p.tie_margin)


def _unit(task) -> dict:
    """One unit's cacheable work: every candidate's hold-out error, MAPE, label and forecasts of
    the years after the last observation, the interior-gap rows and notes.

    ``{"cands": {kind: [error, mape, label, [[year, value, lower, upper], …]]},
    "inside": [[year, value, lower, upper, model], …], "notes": [str, …]}``.
    """
    _unit_id, yrs, vals, want, p = task
    y, start, observed = _consecutive(yrs, vals)
    last = start + len(y) - 1
    ahead = [yr for yr in want if yr > last]
    inside = [yr for yr in want if yr <= last]
    out = {"cands": {}, "inside": [], "notes": []}
    if inside:
        obs_years = np.flatnonzero(observed) + start
        # random-walk σ² from the observed pairs: Δy over a gap of g years has variance g·σ²
        s2 = float(np.mean(np.diff(y[observed]) ** 2 / np.diff(obs_years)))
        z = _z(p.interval)
        for yr in inside:
            a = yr - obs_years[obs_years < yr].max()
            b = obs_years[obs_years > yr].min() - yr
            val = float(y[yr - start])
            half = z * np.sqrt(s2 * a * b / (a + b))
            out["inside"].append([yr, val, val - half, val + half, "interpolation"])
    if ahead:
        sel = select_model(yrs, vals, p, fill_horizon=max(ahead) - last)
        if sel is None:
            out["notes"].append(f"not filled: no candidate model could be fitted; missing {ahead}")
        else:
            z = _z(p.interval)
            idx = np.asarray(ahead) - last - 1
            for kind, fit in sel.fits.items():
                mean, var = fit.predict(int(idx.max()) + 1)
                half = z * np.sqrt(var[idx])
                fc = zip(ahead, mean[idx], mean[idx] - half, mean[idx] + half, strict=True)
                out["cands"][kind] = [
                    sel.errors[kind],
                    sel.mape[kind],
                    fit.label,
                    [[int(a), float(b), float(c), float(d)] for a, b, c, d in fc],
                ]
    return out


def _rows(unit, res: dict, kind: str | None) -> tuple[list, list]:
    """Table rows and notes of one unit from its cached work and the chosen candidate."""
    rows, notes = [], [(unit, n) for n in res["notes"]]
    for yr, val, lo, hi, model in res["inside"]:
        rows.append((unit, int(yr), float(val), True, max(float(lo), 0.0), float(hi), model, np.nan))
    if kind is not None:
        _err, mape, label, fc = res["cands"][kind]
        for yr, val, lo, hi in fc:
            if val < 0:
                notes.append((unit, f"{int(yr)}: forecast {val:.4g} < 0 set to 0"))
                val = 0.0
            rows.append((unit, int(yr), float(val), True, max(float(lo), 0.0), float(hi), label, float(mape)))
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


def _run_cached(tasks: list, p: EmissionsParams, cache_dir) -> list[tuple]:
    """``[(unit, _unit(task))]`` over ``tasks``, reusing and extending the cache in ``cache_dir``.

    The cache is one JSON file per parameter set, ``{series checksum: _unit result}``
    (unit ids are not part of the key). The choice among candidates is not
    cached: it depends on the other units of a pool.
    """
    if cache_dir is None or not tasks:
        return [(t[0], r) for t, r in zip(tasks, _map(_unit, tasks), strict=True)]
    folder = Path(cache_dir)
    pkey = hashlib.sha256((CACHE_VERSION + p.model_dump_json()).encode()).hexdigest()[:16]
    path = folder / f"emissions_fill_{pkey}.json"
    try:
        cache = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cache = {}
    keys = [_key(t) for t in tasks]
    todo = [i for i, k in enumerate(keys) if k not in cache]
    for i, res in zip(todo, _map(_unit, [tasks[i] for i in todo]), strict=True):
        cache[keys[i]] = res
    if todo:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            tmp.write_text(json.dumps(cache, allow_nan=True), encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only cache folder only costs time
    return [(t[0], cache[k]) for t, k in zip(tasks, keys, strict=True)]


def _map(fn, tasks: list) -> list:
    """``fn`` over ``tasks`` in this process, results in task order.

    No process pool: a unit takes a few ms (compiled CSS fits), while
    starting two 'spawn' or 'forkserver' workers (each importing numpy,
    pandas, statsmodels and loading the compiled kernels) made the fill of
    the 1,054 CEADs county series of the 11 YREB provinces slower on the
    2-core machine (8–11 s against ~4 s in one process, measured with the
    previous, lighter hold-out; BLAS limited to one thread per worker).
    """
    return [fn(t) for t in tasks]


def holdout_check(
    emissions: pd.DataFrame, n_holdout: int = 3, params: EmissionsParams | None = None
) -> pd.DataFrame:
    """Hold out each unit's last ``n_holdout`` observed years and forecast them from the rest.

    Every candidate and the selection (its hold-out scored at ``n_holdout``
    years ahead with ``holdout_horizon = "fill"``; pooled over the
    ``group`` column, else over all units, with ``selection = "pooled"``)
    are fitted on the years before the held-out ones only. Units with fewer
    than ``min_observations`` training years are skipped. Returns one row
    per unit, held-out year and method (``select`` and every candidate):
    ``unit_id, method, model, year, horizon, observed, predicted, lower,
    upper, error, pct_error, inside`` (value unit of the input; ``pct_error``
    in %; ``inside``: the observation lies in the interval);
    ``attrs["summary"]``: MAPE (%) and coverage (share) per method and horizon.
    """
    p = params or EmissionsParams()
    df = _check(emissions)
    sels, tests, groups = {}, {}, {}
    for unit, g in df.groupby("unit_id", sort=True):
        obs = g[np.isfinite(g["value"])].sort_values("year")
        if len(obs) < p.min_observations + n_holdout:
            continue
        train, test = obs.iloc[:-n_holdout], obs.iloc[-n_holdout:]
        last = int(train["year"].max())
        sel = select_model(train["year"], train["value"], p, fill_horizon=int(test["year"].max()) - last)
        if sel is None:
            continue
        sels[unit], tests[unit] = sel, test
        groups[unit] = _group(g)
    if p.selection == "series":
        chosen = {u: s.chosen for u, s in sels.items()}
    else:
        chosen = choose_pooled(
            {u: s.errors for u, s in sels.items()}, groups, {u: list(s.fits) for u, s in sels.items()},
            p.tie_margin,
        )
    out = []
    for unit, sel in sels.items():
        test = tests[unit]
        last = sel.fits[chosen[unit]].end_year
        methods = {"select": sel.fits[chosen[unit]], **sel.fits}
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
