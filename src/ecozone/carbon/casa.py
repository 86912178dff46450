"""Improved CASA model of net primary productivity (METHODS §2.1; seed 004 eq. 2–8).

This module is the *reference* implementation: plain NumPy, one function per
formula, readable against METHODS. The fused Numba kernel that the streamed
pipeline runs (:mod:`ecozone.carbon._kernels`) is tested against it.

Arrays of a year have the month on axis 0 (12, …); per-pixel quantities of
the year (Topt, I) have the pixel shape. Units:

=========  ==========================================
NDVI       − (−1…1)
T          °C, monthly mean
P          mm month-1
SOL        MJ m-2 month-1 (total solar radiation)
APAR       MJ m-2 month-1
ε, ε_max   gC MJ-1
NPP        gC m-2 month-1
=========  ==========================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecozone.carbon.params import CarbonParams, CasaParams
from ecozone.carbon.tables import INDEX_NON_VEGETATED

# Fixed constants of the formulas (not parameters: they *are* the formulas).
T1_A, T1_B, T1_C = 0.8, 0.02, 0.0005  # Tε1 = 0.8 + 0.02·Topt − 0.0005·Topt²
T2_LOW_RATE, T2_HIGH_RATE, T2_SHIFT = 0.2, 0.3, 10.0
THORNTHWAITE_EXP = 1.514
THORNTHWAITE_COEF = (6.75e-7, -7.71e-5, 1.792e-2, 0.49239)
RN_SQRT, RN_LIN = 0.369, 0.598


# --------------------------------------------------------------------- FPAR
def simple_ratio(ndvi):
    """SR = (1 + NDVI) / (1 − NDVI)  (−)."""
    ndvi = np.asarray(ndvi, dtype=float)
    return (1.0 + ndvi) / (1.0 - ndvi)


def fpar(ndvi, ndvi_min, ndvi_max, alpha=0.5, fpar_min=0.001, fpar_max=0.95):
    """FPAR = α·FPAR_NDVI + (1 − α)·FPAR_SR  (−), METHODS §2.1.

    NDVI is first clipped to [ndvi_min, ndvi_max] (the vegetation type's
    extremes), so FPAR lies in [fpar_min, fpar_max].
    """
    ndvi_min = np.asarray(ndvi_min, dtype=float)
    ndvi_max = np.asarray(ndvi_max, dtype=float)
    v = np.clip(np.asarray(ndvi, dtype=float), ndvi_min, ndvi_max)
    span = fpar_max - fpar_min
    fpar_ndvi = (v - ndvi_min) / (ndvi_max - ndvi_min) * span + fpar_min
    sr, sr_min, sr_max = simple_ratio(v), simple_ratio(ndvi_min), simple_ratio(ndvi_max)
    fpar_sr = (sr - sr_min) / (sr_max - sr_min) * span + fpar_min
    return alpha * fpar_ndvi + (1.0 - alpha) * fpar_sr


def apar(sol, fpar_value, par_share=0.5):
    """APAR = SOL · FPAR · par_share  (MJ m-2 month-1)."""
    return np.asarray(sol, dtype=float) * fpar_value * par_share


# ------------------------------------------------------- temperature scalars
def optimum_temperature(ndvi, temperature):
    """Topt: the temperature (°C) of the month of maximum NDVI of the year, per pixel.

    ``ndvi`` and ``temperature`` have months on axis 0; ties go to the first
    month; NaN NDVI months are never the maximum (all-NaN pixels give NaN).
    """
    ndvi = np.asarray(ndvi, dtype=float)
    t = np.asarray(temperature, dtype=float)
    filled = np.where(np.isnan(ndvi), -np.inf, ndvi)
    k = np.argmax(filled, axis=0)
    topt = np.take_along_axis(t, k[None], axis=0)[0]
    return np.where(np.all(np.isnan(ndvi), axis=0), np.nan, topt)


def t_epsilon1(topt):
    """Tε1 = 0.8 + 0.02·Topt − 0.0005·Topt²  (−)."""
    topt = np.asarray(topt, dtype=float)
    return T1_A + T1_B * topt - T1_C * topt**2


def _t_epsilon2_raw(t, topt, t2_constant):
    return (
        t2_constant
        / (1.0 + np.exp(T2_LOW_RATE * (topt - T2_SHIFT - t)))
        / (1.0 + np.exp(T2_HIGH_RATE * (-topt - T2_SHIFT + t)))
    )


def t_epsilon2(t, topt, t2_constant=1.1814, upper_offset=10.0, lower_offset=13.0):
    """Tε2 = c / (1 + e^{0.2(Topt − 10 − T)}) / (1 + e^{0.3(−Topt − 10 + T)})  (−).

    Edge rule (strict): where T − Topt > ``upper_offset`` or Topt − T >
    ``lower_offset``, Tε2 is half its value at T = Topt.
    """
    t = np.asarray(t, dtype=float)
    topt = np.asarray(topt, dtype=float)
    t2 = _t_epsilon2_raw(t, topt, t2_constant)
    edge = ((t - topt) > upper_offset) | ((topt - t) > lower_offset)
    at_opt = _t_epsilon2_raw(topt, topt, t2_constant) / 2.0
    return np.where(edge, at_opt, t2)


# ------------------------------------------------------------- water scalar
def heat_index(temperature):
    """Thornthwaite annual heat index I = Σ_{months with T > 0} (T/5)^1.514  (−).

    ``temperature``: the year's 12 monthly means (°C) on axis 0.
    """
    t = np.asarray(temperature, dtype=float)
    pos = np.where(t > 0, t, 0.0)
    return np.sum(np.where(t > 0, (pos / 5.0) ** THORNTHWAITE_EXP, 0.0), axis=0)


def thornthwaite_exponent(i):
    """a = 6.75e-7·I³ − 7.71e-5·I² + 1.792e-2·I + 0.49239  (−)."""
    i = np.asarray(i, dtype=float)
    c3, c2, c1, c0 = THORNTHWAITE_COEF
    return c3 * i**3 + c2 * i**2 + c1 * i + c0


def potential_et(temperature, i):
    """Thornthwaite Ep0 = 16·(10·T / I)^a for T > 0, else 0  (mm month-1)."""
    t = np.asarray(temperature, dtype=float)
    i = np.asarray(i, dtype=float)
    a = thornthwaite_exponent(i)
    ok = (t > 0) & (i > 0)
    base = np.where(ok, 10.0 * np.where(ok, t, 1.0) / np.where(i > 0, i, 1.0), 1.0)
    return np.where(ok, 16.0 * base**a, 0.0)


def net_radiation_equivalent(p, ep0):
    """Rn = 0.369·sqrt(Ep0·P) + 0.598·Ep0  (mm month-1; expanded form, safe at P = 0)."""
    p = np.asarray(p, dtype=float)
    ep0 = np.asarray(ep0, dtype=float)
    return RN_SQRT * np.sqrt(ep0 * p) + RN_LIN * ep0


def actual_et(p, rn):
    """Zhou–Zhang regional EET = P·Rn·(P² + Rn² + P·Rn) / [(P + Rn)·(P² + Rn²)]  (mm month-1).

    EET = 0 where P = 0 (or Rn = 0).
    """
    p = np.asarray(p, dtype=float)
    rn = np.asarray(rn, dtype=float)
    num = p * rn * (p * p + rn * rn + p * rn)
    den = (p + rn) * (p * p + rn * rn)
    safe = den > 0
    return np.where(safe, num / np.where(safe, den, 1.0), 0.0)


def w_epsilon(p, ep0):
    """Water stress Wε = 0.5 + 0.5·EET/PET, PET = (EET + Ep0)/2, clipped to [0.5, 1]  (−).

    Where Ep0 = 0 (T ≤ 0), Wε = 1.
    """
    ep0 = np.asarray(ep0, dtype=float)
    eet = actual_et(p, net_radiation_equivalent(p, ep0))
    pet = (eet + ep0) / 2.0
    ok = ep0 > 0
    w = 0.5 + 0.5 * eet / np.where(ok, pet, 1.0)
    return np.where(ok, np.clip(w, 0.5, 1.0), 1.0)


# ------------------------------------------------------------------ NPP
def npp_month(apar_value, t1, t2, w, epsilon_max, temperature, zero_temperature=-10.0):
    """NPP = APAR · Tε1 · Tε2 · Wε · ε_max  (gC m-2 month-1); 0 where T ≤ ``zero_temperature``."""
    val = apar_value * t1 * t2 * w * epsilon_max
    return np.where(np.asarray(temperature) <= zero_temperature, 0.0, val)


# ---------------------------------------------------------- NDVI extremes
def ndvi_percentiles_exact(ndvi, vtype, n_types, q_low=5.0, q_high=95.0):
    """Exact per-type NDVI percentiles over all pixels and months (np.percentile, linear).

    ``ndvi`` (12, …) and ``vtype`` (…) the vegetation-type index. Returns
    arrays (low, high, count) of length ``n_types``; NaN where a type has no
    valid NDVI.
    """
    ndvi = np.asarray(ndvi, dtype=float)
    vt = np.broadcast_to(np.asarray(vtype), ndvi.shape)
    lo = np.full(n_types, np.nan)
    hi = np.full(n_types, np.nan)
    cnt = np.zeros(n_types, dtype=np.int64)
    valid = np.isfinite(ndvi)
    for k in range(n_types):
        vals = ndvi[valid & (vt == k)]
        cnt[k] = vals.size
        if vals.size:
            lo[k], hi[k] = np.percentile(vals, [q_low, q_high])
    return lo, hi, cnt


def resolve_extremes(
    table: pd.DataFrame, casa: CasaParams, low=None, high=None, count=None
) -> pd.DataFrame:
    """The NDVI extremes each vegetation type is run with.

    ``table``: the vegetation table (:func:`~ecozone.carbon.tables.load_vegetation_table`).
    With ``casa.ndvi_extremes == "data"`` the data percentiles ``low``/``high``
    are used for every type with at least ``casa.ndvi_extremes_min_count``
    valid pixel-months and ``high − low ≥ 0.01``; other types keep the
    table's values, and the column ``extremes_source`` says which.
    Returns the table with columns ``ndvi_min, ndvi_max, extremes_source, count``.
    """
    out = table.copy()
    n = len(out)
    out["count"] = (
        np.zeros(n, dtype=np.int64) if count is None else np.asarray(count, dtype=np.int64)
    )
    out["extremes_source"] = "table"
    if casa.ndvi_extremes == "data" and low is not None:
        low = np.asarray(low, float)
        high = np.asarray(high, float)
        use = (
            (out["count"].to_numpy() >= casa.ndvi_extremes_min_count)
            & np.isfinite(low)
            & np.isfinite(high)
            & (high - low >= 0.01)
            & (high < 1.0)
            & (low > -1.0)
        )
        out.loc[use, "ndvi_min"] = low[use]
        out.loc[use, "ndvi_max"] = high[use]
        out.loc[use, "extremes_source"] = "data"
        out.loc[~use, "extremes_source"] = "table (too few pixels in the data)"
    return out


# ------------------------------------------------------- the whole model
def casa_reference(
    ndvi,
    temperature,
    precipitation,
    radiation,
    vtype,
    extremes: pd.DataFrame,
    params: CarbonParams | None = None,
    monthly: bool = False,
) -> dict[str, np.ndarray]:
    """NPP, Rh and NEP of one year, plain NumPy, formula by formula.

    Parameters
    ----------
    ndvi, temperature, precipitation, radiation:
        (12, …) monthly NDVI (−), T (°C), P (mm month-1), SOL (MJ m-2 month-1).
    vtype:
        (…) vegetation-type index: 0..n-1 rows of ``extremes``, −1
        non-vegetated, −2 nodata.
    extremes:
        :func:`resolve_extremes` output (ε_max, NDVI extremes per type).
    Returns
    -------
    dict with ``npp``, ``rh``, ``nep`` (gC m-2 yr-1) and, when ``monthly``,
    ``npp_monthly``, ``rh_monthly``, ``nep_monthly`` (gC m-2 month-1).
    NaN where any input of a computed pixel is NaN or the land cover is
    nodata; 0 on non-vegetated pixels when ``params.nep_on == "vegetated"``.
    """
    from ecozone.carbon.respiration import heterotrophic_respiration

    params = params or CarbonParams()
    c = params.casa
    ndvi = np.asarray(ndvi, dtype=float)
    t = np.asarray(temperature, dtype=float)
    p = np.asarray(precipitation, dtype=float)
    sol = np.asarray(radiation, dtype=float)
    vt = np.asarray(vtype).astype(np.int64)

    types = extremes["vegetation_type"].tolist()
    other = types.index("other_vegetation") if "other_vegetation" in types else 0
    nonveg = vt == INDEX_NON_VEGETATED
    k = np.where(nonveg, other, vt)
    k = np.where(k >= 0, k, 0)
    eps_max = extremes["epsilon_max"].to_numpy(float)[k]
    nmin = extremes["ndvi_min"].to_numpy(float)[k]
    nmax = extremes["ndvi_max"].to_numpy(float)[k]

    f = fpar(ndvi, nmin, nmax, c.alpha, c.fpar_min, c.fpar_max)
    ap = apar(sol, f, c.par_share)
    topt = optimum_temperature(ndvi, t)
    t1 = t_epsilon1(topt)
    t2 = t_epsilon2(t, topt, c.t2_constant, c.t2_upper_offset, c.t2_lower_offset)
    i = heat_index(t)
    w = w_epsilon(p, potential_et(t, i))
    npp_m = npp_month(ap, t1, t2, w, eps_max, t, c.npp_zero_temperature)
    rh_m = heterotrophic_respiration(t, p, params.respiration)

    bad = np.any(~(np.isfinite(ndvi) & np.isfinite(t) & np.isfinite(p) & np.isfinite(sol)), axis=0)
    nan_px = bad | (vt < INDEX_NON_VEGETATED)  # nodata / unknown class
    zero_px = nonveg & (params.nep_on == "vegetated")
    npp_m = np.where(zero_px, 0.0, np.where(nan_px, np.nan, npp_m))
    rh_m = np.where(zero_px, 0.0, np.where(nan_px, np.nan, rh_m))
    nep_m = npp_m - rh_m
    out = {"npp": npp_m.sum(axis=0), "rh": rh_m.sum(axis=0), "nep": nep_m.sum(axis=0)}
    if monthly:
        out.update(npp_monthly=npp_m, rh_monthly=rh_m, nep_monthly=nep_m)
    return out
