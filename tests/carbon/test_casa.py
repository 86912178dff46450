"""CASA NPP and Rh (METHODS §2.1–2.2): golden pixel, edge rules, properties, kernel == reference.

Expected values are derived in the tests with plain ``math`` from the
formulas of METHODS, never by calling the code under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecozone.carbon import casa
from ecozone.carbon.params import CarbonParams, RespirationParams
from ecozone.carbon.pipeline import casa_arrays
from ecozone.carbon.respiration import heterotrophic_respiration
from ecozone.carbon.tables import load_vegetation_table

# ---------------------------------------------------------------- golden pixel
NDVI, NMIN, NMAX = 0.60, 0.023, 0.676  # evergreen broadleaf forest
T, TOPT, P, HEAT, SOL, EPS = 25.0, 28.0, 150.0, 100.0, 500.0, 0.985


def _golden_by_hand():
    """Every quantity of the golden pixel, step by step from METHODS §2.1."""
    fpar_ndvi = (NDVI - NMIN) / (NMAX - NMIN) * (0.95 - 0.001) + 0.001

    def sr(v):
        return (1 + v) / (1 - v)

    fpar_sr = (sr(NDVI) - sr(NMIN)) / (sr(NMAX) - sr(NMIN)) * (0.95 - 0.001) + 0.001
    fpar = 0.5 * fpar_ndvi + 0.5 * fpar_sr
    t1 = 0.8 + 0.02 * TOPT - 0.0005 * TOPT**2
    t2 = 1.1814 / (1 + math.exp(0.2 * (TOPT - 10 - T))) / (1 + math.exp(0.3 * (-TOPT - 10 + T)))
    a = 6.75e-7 * HEAT**3 - 7.71e-5 * HEAT**2 + 1.792e-2 * HEAT + 0.49239
    ep0 = 16 * (10 * T / HEAT) ** a
    rn = 0.369 * math.sqrt(ep0 * P) + 0.598 * ep0
    eet = P * rn * (P**2 + rn**2 + P * rn) / ((P + rn) * (P**2 + rn**2))
    pet = (eet + ep0) / 2
    w = 0.5 + 0.5 * eet / pet
    npp = SOL * fpar * 0.5 * t1 * t2 * w * EPS
    return dict(fpar=fpar, t1=t1, t2=t2, w=w, npp=npp, ep0=ep0, rn=rn, eet=eet)


def test_golden_by_hand_matches_methods():
    g = _golden_by_hand()
    assert g["fpar"] == pytest.approx(0.759888, abs=1e-6)
    assert g["t1"] == pytest.approx(0.968000, abs=1e-6)
    assert g["t2"] == pytest.approx(0.928897, abs=1e-6)
    assert g["w"] == pytest.approx(0.955359, abs=1e-6)
    assert g["npp"] == pytest.approx(160.7442, abs=1e-4)


def test_golden_pixel_reference_functions():
    g = _golden_by_hand()
    f = casa.fpar(NDVI, NMIN, NMAX)
    assert f == pytest.approx(g["fpar"], abs=1e-12)
    assert f == pytest.approx(0.759888, abs=1e-6)
    assert casa.t_epsilon1(TOPT) == pytest.approx(0.968000, abs=1e-6)
    assert casa.t_epsilon2(T, TOPT) == pytest.approx(0.928897, abs=1e-6)
    ep0 = casa.potential_et(T, HEAT)
    assert ep0 == pytest.approx(g["ep0"], rel=1e-12)
    assert casa.net_radiation_equivalent(P, ep0) == pytest.approx(g["rn"], rel=1e-12)
    assert casa.actual_et(P, g["rn"]) == pytest.approx(g["eet"], rel=1e-12)
    w = casa.w_epsilon(P, ep0)
    assert w == pytest.approx(0.955359, abs=1e-6)
    npp = casa.npp_month(
        casa.apar(SOL, f), casa.t_epsilon1(TOPT), casa.t_epsilon2(T, TOPT), w, EPS, T
    )
    assert npp == pytest.approx(160.7442, abs=1e-4)


def test_rh_golden():
    by_hand = 0.22 * (math.exp(0.0913 * 25) + math.log(0.3145 * 150 + 1)) * 30 * 0.465
    assert by_hand == pytest.approx(41.9716, abs=1e-4)
    assert heterotrophic_respiration(25.0, 150.0) == pytest.approx(41.9716, abs=1e-4)
    assert heterotrophic_respiration(25.0, 150.0, RespirationParams()) == pytest.approx(
        by_hand, rel=1e-12
    )


def _golden_year():
    """A 12-month pixel whose heat index I is exactly 100, Topt = 28 °C (month 7,
    NDVI max) and month 6 is the golden month (NDVI 0.6, T 25, P 150, SOL 500)."""
    rest = (HEAT - (TOPT / 5) ** 1.514 - (T / 5) ** 1.514) / 10
    t_other = 5 * rest ** (1 / 1.514)
    t = np.full(12, t_other)
    t[5], t[6] = T, TOPT
    assert sum((x / 5) ** 1.514 for x in t) == pytest.approx(100.0, rel=1e-13)
    ndvi = np.full(12, 0.5)
    ndvi[5], ndvi[6] = NDVI, 0.65
    p = np.full(12, 80.0)
    p[5] = P
    sol = np.full(12, 400.0)
    sol[5] = SOL
    return [a.reshape(12, 1, 1) for a in (ndvi, t, p, sol)]


@pytest.mark.parametrize("parallel", [True, False])
def test_golden_pixel_through_fused_kernel(parallel):
    ndvi, t, p, sol = _golden_year()
    params = CarbonParams(casa={"ndvi_extremes": "table"})
    lc = np.array([[2]])  # IGBP 2 = evergreen broadleaf forest
    out = casa_arrays(ndvi, t, p, sol, lc, params, monthly=True, parallel=parallel)
    assert out["npp_monthly"][5, 0, 0] == pytest.approx(160.7442, abs=1e-4)
    assert out["rh_monthly"][5, 0, 0] == pytest.approx(41.9716, abs=1e-4)
    assert out["npp"][0, 0] == pytest.approx(out["npp_monthly"][:, 0, 0].sum(), rel=1e-12)
    nep = (out["npp_monthly"] - out["rh_monthly"]).sum(axis=0)[0, 0]
    assert out["nep"][0, 0] == pytest.approx(nep, rel=1e-12)


# ---------------------------------------------------------------- edge rules
C = 1.1814


def _t2_by_hand(t, topt):
    return C / (1 + math.exp(0.2 * (topt - 10 - t))) / (1 + math.exp(0.3 * (-topt - 10 + t)))


def test_t2_upper_edge_is_strict():
    topt = 20.0
    at10 = casa.t_epsilon2(30.0, topt)  # T − Topt = 10: ordinary formula
    assert at10 == pytest.approx(C / (1 + math.exp(-4.0)) / 2.0, rel=1e-12)
    assert at10 == pytest.approx(_t2_by_hand(30.0, topt), rel=1e-12)
    past = casa.t_epsilon2(30.001, topt)  # T − Topt = 10.001: half of Tε2(T = Topt)
    assert past == pytest.approx(C / (1 + math.exp(-2.0)) / (1 + math.exp(-3.0)) / 2, rel=1e-12)


def test_t2_lower_edge_is_strict():
    topt = 20.0
    at13 = casa.t_epsilon2(7.0, topt)
    assert at13 == pytest.approx(_t2_by_hand(7.0, topt), rel=1e-12)
    past = casa.t_epsilon2(6.999, topt)
    assert past == pytest.approx(_t2_by_hand(topt, topt) / 2, rel=1e-12)
    assert past != pytest.approx(_t2_by_hand(6.999, topt), rel=1e-3)


def test_w_epsilon_dry_month_and_cold_month():
    ep0 = casa.potential_et(10.0, 50.0)
    assert ep0 > 0
    assert casa.actual_et(0.0, casa.net_radiation_equivalent(0.0, ep0)) == 0.0
    assert casa.w_epsilon(0.0, ep0) == 0.5  # P = 0: EET = 0 → 0.5
    assert casa.w_epsilon(1e-6, ep0) > 0.5
    for t in (0.0, -5.0):  # T ≤ 0: Ep0 = 0 → Wε = 1, whatever P
        e = casa.potential_et(t, 50.0)
        assert e == 0.0
        assert casa.w_epsilon(0.0, e) == 1.0
        assert casa.w_epsilon(120.0, e) == 1.0
    assert casa.potential_et(0.001, 50.0) > 0


def test_npp_zero_at_minus_ten():
    t1, t2, w = 0.9, 0.5, 1.0
    ap = 100.0
    assert casa.npp_month(ap, t1, t2, w, 0.5, -10.0) == 0.0
    assert casa.npp_month(ap, t1, t2, w, 0.5, -9.999) == pytest.approx(
        100 * 0.9 * 0.5 * 0.5, rel=1e-12
    )


def test_edge_rules_through_kernel():
    """Months placed on both sides of every boundary; kernel == hand values."""
    topt = 20.0
    temps = [20.0, 30.0, 30.001, 7.0, 6.999, -10.0, -9.999, 0.0, 5.0, 12.0, 15.0, 18.0]
    t = np.array(temps).reshape(12, 1, 1)
    ndvi = np.full((12, 1, 1), 0.4)
    ndvi[0] = 0.6  # month of maximum NDVI: Topt = 20
    p = np.full((12, 1, 1), 100.0)
    p[8] = 0.0  # dry month with T > 0 → Wε = 0.5
    sol = np.full((12, 1, 1), 300.0)
    params = CarbonParams(casa={"ndvi_extremes": "table"})
    out = casa_arrays(ndvi, t, p, sol, np.array([[12]]), params, monthly=True)  # cropland
    npp = out["npp_monthly"][:, 0, 0]
    # hand values
    heat = sum((x / 5) ** 1.514 for x in temps if x > 0)
    a = 6.75e-7 * heat**3 - 7.71e-5 * heat**2 + 1.792e-2 * heat + 0.49239

    def w_hand(tt, pp):
        if tt <= 0:
            return 1.0
        ep0 = 16 * (10 * tt / heat) ** a
        rn = 0.369 * math.sqrt(ep0 * pp) + 0.598 * ep0
        eet = (
            0.0 if pp == 0 else pp * rn * (pp**2 + rn**2 + pp * rn) / ((pp + rn) * (pp**2 + rn**2))
        )
        return min(1.0, max(0.5, 0.5 + 0.5 * eet / ((eet + ep0) / 2)))

    lo, hi = 0.023, 0.634  # cropland, table extremes

    def fpar_hand(v):
        v = min(max(v, lo), hi)

        def sr(x):
            return (1 + x) / (1 - x)

        f1 = (v - lo) / (hi - lo) * 0.949 + 0.001
        f2 = (sr(v) - sr(lo)) / (sr(hi) - sr(lo)) * 0.949 + 0.001
        return 0.5 * f1 + 0.5 * f2

    t1 = 0.8 + 0.02 * topt - 0.0005 * topt**2
    half = _t2_by_hand(topt, topt) / 2
    for m, tt in enumerate(temps):
        d = tt - topt
        t2 = half if (d > 10 or -d > 13) else _t2_by_hand(tt, topt)
        expect = (
            0.0
            if tt <= -10
            else 300 * fpar_hand(ndvi[m, 0, 0]) * 0.5 * t1 * t2 * w_hand(tt, p[m, 0, 0]) * 0.542
        )
        assert npp[m] == pytest.approx(expect, rel=1e-12, abs=1e-12), (m, tt)
    assert npp[5] == 0.0 and npp[6] > 0
    assert w_hand(5.0, 0.0) == 0.5


# ---------------------------------------------------------------- properties
ndvi_s = st.floats(-0.999, 0.999)


@settings(max_examples=300, deadline=None)
@given(v=ndvi_s, lo=st.floats(-0.5, 0.5), width=st.floats(0.01, 0.49))
def test_fpar_bounds(v, lo, width):
    f = casa.fpar(v, lo, lo + width)
    assert 0.001 - 1e-12 <= f <= 0.95 + 1e-12


@settings(max_examples=300, deadline=None)
@given(t=st.floats(-40, 45), p=st.floats(0, 2000), i=st.floats(0.01, 250))
def test_w_epsilon_bounds_and_eet(t, p, i):
    ep0 = casa.potential_et(t, i)
    w = casa.w_epsilon(p, ep0)
    assert 0.5 <= w <= 1.0
    rn = casa.net_radiation_equivalent(p, ep0)
    eet = casa.actual_et(p, rn)
    assert eet <= min(p, rn) * (1 + 1e-12) + 1e-12
    assert eet >= 0


def _random_year(rng, ny, nx, quantize=True):
    ndvi = rng.uniform(-0.3, 0.95, (12, ny, nx))
    if quantize:
        ndvi = np.round(ndvi * 1e4) / 1e4
    t = rng.uniform(-25, 38, (12, ny, nx))
    p = rng.uniform(0, 400, (12, ny, nx))
    p[:, rng.random((ny, nx)) < 0.1] = 0.0
    sol = rng.uniform(30, 700, (12, ny, nx))
    return [a.astype(np.float32) for a in (ndvi, t, p, sol)]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.floats(0.1, 10.0))
def test_npp_linear_in_sol_and_epsilon_max(seed, k):
    rng = np.random.default_rng(seed)
    ndvi, t, p, sol = (a.astype(np.float64) for a in _random_year(rng, 4, 5))
    lc = rng.choice([1, 2, 4, 10, 12], (4, 5))
    params = CarbonParams(casa={"ndvi_extremes": "table"})
    base = casa_arrays(ndvi, t, p, sol, lc, params, parallel=False)
    scaled = casa_arrays(ndvi, t, p, sol * k, lc, params, parallel=False)
    np.testing.assert_allclose(scaled["npp"], k * base["npp"], rtol=1e-12)
    np.testing.assert_allclose(scaled["rh"], base["rh"], rtol=1e-12)
    ext = base["extremes"].copy()
    ext["epsilon_max"] *= k
    eps = casa_arrays(ndvi, t, p, sol, lc, params, extremes=ext, parallel=False)
    np.testing.assert_allclose(eps["npp"], k * base["npp"], rtol=1e-12)


# ------------------------------------------------------- kernel == reference
@pytest.mark.parametrize("nep_on", ["vegetated", "all"])
@pytest.mark.parametrize("extremes", ["data", "table"])
def test_kernel_equals_numpy_reference(nep_on, extremes):
    rng = np.random.default_rng(7)
    ny, nx = 40, 33
    ndvi, t, p, sol = _random_year(rng, ny, nx)
    ndvi[4, 1, 2] = np.nan
    t[0, 3, 3] = np.nan
    lc = rng.choice([1, 2, 3, 4, 5, 6, 9, 11, 12, 13, 16, 17, 255], (ny, nx)).astype(np.uint8)
    params = CarbonParams(
        nep_on=nep_on, casa={"ndvi_extremes": extremes, "ndvi_extremes_min_count": 10}
    )
    out = casa_arrays(ndvi, t, p, sol, lc, params, monthly=True)
    from ecozone.carbon.tables import landcover_lut, load_landcover_table, vegetation_index

    types = load_vegetation_table()["vegetation_type"].tolist()
    vt = vegetation_index(lc, landcover_lut(load_landcover_table("igbp", types), types))
    ref = casa.casa_reference(ndvi, t, p, sol, vt, out["extremes"], params, monthly=True)
    for key in ("npp", "rh", "nep", "npp_monthly", "rh_monthly", "nep_monthly"):
        a, b = out[key], ref[key]
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=key)
        m = ~np.isnan(b)
        np.testing.assert_allclose(
            a[m], b[m], rtol=1e-6, atol=1e-6 * np.abs(b[m]).max(), err_msg=key
        )
    assert np.isnan(out["npp"][1, 2]) and np.isnan(out["nep"][3, 3])
    assert np.all(np.isnan(out["npp"][lc == 255]))
    nonveg = np.isin(lc, [13, 16, 17]) & ~np.isnan(ref["npp"])
    if nep_on == "vegetated":
        assert np.all(out["nep"][np.isin(lc, [13, 16, 17])] == 0.0)
    else:
        assert np.all(out["rh"][nonveg] > 0)


def test_data_extremes_are_percentiles_of_each_type():
    rng = np.random.default_rng(3)
    ny, nx = 30, 30
    ndvi, t, p, sol = _random_year(rng, ny, nx)
    lc = rng.choice([2, 10, 17], (ny, nx))
    params = CarbonParams(casa={"ndvi_extremes_min_count": 10})
    ext = casa_arrays(ndvi, t, p, sol, lc, params)["extremes"].set_index("vegetation_type")
    for code, vtype in ((2, "evergreen_broadleaf_forest"), (10, "grassland")):
        vals = ndvi[:, lc == code].astype(np.float64).ravel()
        lo, hi = np.percentile(vals, [5, 95])
        assert ext.loc[vtype, "ndvi_min"] == pytest.approx(lo, abs=1e-7)
        assert ext.loc[vtype, "ndvi_max"] == pytest.approx(hi, abs=1e-7)
        assert ext.loc[vtype, "extremes_source"] == "data"
        assert ext.loc[vtype, "count"] == vals.size
    # a type absent from the data keeps the table values
    assert ext.loc["shrub", "ndvi_max"] == 0.636
    assert ext.loc["shrub", "extremes_source"].startswith("table")


def test_histogram_percentiles_equal_numpy_on_quantized_ndvi():
    from ecozone.carbon import _kernels as K

    rng = np.random.default_rng(11)
    v = (np.round(rng.normal(0.4, 0.2, (12, 50, 40)).clip(-1, 1) * 1e4) / 1e4).astype(np.float32)
    vt = rng.integers(0, 3, (50, 40)).astype(np.int8)
    h = K.ndvi_histogram(v, vt, 3)
    for q in (0, 5, 37.5, 95, 100):
        got = K.percentiles_from_histogram(h, q)
        for k in range(3):
            want = np.percentile(v[:, vt == k].astype(np.float64), q)
            assert got[k] == pytest.approx(want, abs=1e-7)
