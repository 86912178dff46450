"""Gap-filling of emissions (METHODS §2.5): ARIMA / drift / naive, hold-out selection."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecozone.carbon.emissions import (
    choose_d,
    fill_emissions,
    fit_arima,
    fit_drift,
    fit_naive,
    holdout_check,
    psi_weights,
    select_model,
)
from ecozone.carbon.params import EmissionsParams

Z95 = 1.959963984540054  # standard normal 97.5 % quantile
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
CEADS = SHARED / "realdata" / "emissions" / "ceads_county_co2_1997_2017.xlsx"


def _series(unit, years, values):
    return pd.DataFrame({"unit_id": unit, "year": list(years), "value": list(values)})


# y 2010..2017; first differences 2, -1, 2, 1, -1, 2, 1 (Σd² = 16, Σd = 6)
Y8 = [10.0, 12.0, 11.0, 13.0, 14.0, 13.0, 15.0, 16.0]


def test_naive_forecast_and_interval_by_hand():
    fc = fit_naive(np.array(Y8), 2010).forecast([2018, 2020])
    s2 = 16 / 7  # Σ Δy² / (T − 1)
    assert fc["value"].tolist() == [16.0, 16.0]
    half = Z95 * np.sqrt(s2 * np.array([1, 3]))
    np.testing.assert_allclose(fc["upper"] - fc["value"], half, rtol=1e-12)
    np.testing.assert_allclose(fc["value"] - fc["lower"], half, rtol=1e-12)


def test_drift_forecast_and_interval_by_hand():
    fc = fit_drift(np.array(Y8), 2010).forecast([2018, 2020])
    c = 6 / 7  # (y_T − y_1) / (T − 1)
    s2 = (16 - 7 * c**2) / 6  # Σ (Δy − c)² / (T − 2)
    np.testing.assert_allclose(fc["value"], [16 + c, 16 + 3 * c], rtol=1e-12)
    var = s2 * np.array([1, 3]) * (1 + np.array([1, 3]) / 7)
    np.testing.assert_allclose(fc["upper"] - fc["value"], Z95 * np.sqrt(var), rtol=1e-12)


def test_selection_picks_least_holdout_error():
    # a steady trend with a little noise: drift must beat naive on every origin
    y = np.array([100, 104, 107, 112, 115, 121, 124, 128, 133, 136, 141.0])
    years = np.arange(2000, 2011)
    p = EmissionsParams(candidates=["drift", "naive"], holdout_origins=3, holdout_horizon=1)
    sel = select_model(years, y, p)
    # by hand: origin o = training length; one step ahead
    naive, drift = [], []
    for o in (10, 9, 8):
        naive.append(abs(y[o - 1] - y[o]) / y[o])
        drift.append(abs(y[o - 1] + (y[o - 1] - y[0]) / (o - 1) - y[o]) / y[o])
    assert sel.errors["naive"] == pytest.approx(100 * np.mean(naive), rel=1e-12)
    assert sel.errors["drift"] == pytest.approx(100 * np.mean(drift), rel=1e-12)
    assert sel.chosen == "drift" and sel.errors["drift"] < sel.errors["naive"]
    # a flat noisy series: the last value is the better guess
    flat = np.array([50, 53, 49, 52, 48, 51, 50, 47, 52, 49, 51.0])
    assert select_model(years, flat, p).chosen == "naive"


def test_fill_table_names_model_and_holdout_error():
    rng = np.random.default_rng(1)
    years = range(2000, 2018)  # CEADs-like end in 2017
    df = _series("u", years, 1000 + 40 * np.arange(18.0) + rng.normal(0, 10, 18))
    res = fill_emissions(df, [2005, 2010, 2015, 2020])
    t = res.table.set_index("year")
    assert bool(t.loc[2020, "emissions_filled"]) and not t.loc[2015, "emissions_filled"]
    assert t["emissions_filled"].sum() == 1
    r = t.loc[2020]
    assert r["lower"] < r["value"] < r["upper"]
    assert r["model"] in ("naive", "drift") or r["model"].startswith("ARIMA(")
    assert 0 <= r["holdout_mape"] < 5
    assert r["value"] == pytest.approx(1000 + 40 * 20, rel=0.05)  # the trend continues
    assert np.isnan(t.loc[2015, "lower"]) and t.loc[2015, "model"] == ""
    assert res.notes.empty


def test_fewer_than_eight_observations_are_never_filled():
    df = _series("u7", range(2011, 2018), 100 + 10 * np.arange(7.0))
    res = fill_emissions(df, [2015, 2018, 2020])
    assert not res.table["emissions_filled"].any()
    assert set(res.table["year"]) == set(range(2011, 2018))
    note = res.notes.set_index("unit_id").loc["u7", "note"]
    assert "7 observed years" in note and "fewer than 8" in note and "2018" in note


def test_interior_gap_is_the_random_walk_bridge():
    years = [2003, 2004, 2005, 2006, 2008, 2009, 2010, 2011, 2012]
    vals = [50.0, 53.0, 55.0, 59.0, 61.0, 66.0, 68.0, 71.0, 75.0]
    res = fill_emissions(_series("g", years, vals), [2000, 2007])
    t = res.table.set_index("year")
    r = t.loc[2007]
    assert bool(r["emissions_filled"]) and r["model"] == "interpolation"
    assert r["value"] == pytest.approx(60.0)  # halfway between 59 and 61
    # random-walk σ²: mean of Δy²/gap over the 8 pairs of successive observations
    s2 = (9 + 4 + 16 + 4 / 2 + 25 + 4 + 9 + 16) / 8
    assert r["upper"] - r["value"] == pytest.approx(Z95 * np.sqrt(s2 * 1 * 1 / 2), rel=1e-9)
    assert 2000 not in t.index and "2000" in res.notes["note"].iloc[0]


def test_cache_is_read_back_and_keyed_by_parameters(tmp_path):
    rng = np.random.default_rng(7)
    df = _series("c", range(2000, 2018), 500 + np.cumsum(rng.normal(5, 3, 18)))
    first = fill_emissions(df, [2020], cache_dir=tmp_path).table
    files = list(tmp_path.glob("emissions_fill_*.json"))
    assert len(files) == 1
    cache = json.loads(files[0].read_text())
    (key,) = cache
    cache[key][0][0][1] = 12345.0  # tamper with the cached 2020 value
    files[0].write_text(json.dumps(cache))
    again = fill_emissions(df, [2020], cache_dir=tmp_path).table
    assert again.loc[again["year"] == 2020, "value"].item() == 12345.0  # a cache hit
    other = fill_emissions(df, [2020], EmissionsParams(interval=0.9), cache_dir=tmp_path).table
    v = other.loc[other["year"] == 2020, "value"].item()
    assert v == pytest.approx(first.loc[first["year"] == 2020, "value"].item())  # recomputed
    assert len(list(tmp_path.glob("emissions_fill_*.json"))) == 2


def test_css_ar1_equals_ols_autoreg():
    from statsmodels.tsa.ar_model import AutoReg

    rng = np.random.default_rng(3)
    e = rng.normal(0, 1, 80)
    y = np.empty(80)
    y[0] = 10
    for t in range(1, 80):
        y[t] = 10 + 0.6 * (y[t - 1] - 10) + e[t]
    fit = fit_arima(range(80), y, EmissionsParams(max_p=1, max_q=0, max_d=0))
    assert fit.order == (1, 0, 0)
    ols = AutoReg(y, lags=1, trend="c").fit()  # CSS of an AR(1) is OLS on y_{t-1}
    const, phi = ols.params
    assert fit.ar[0] == pytest.approx(phi, rel=1e-6)
    assert fit.mean * (1 - fit.ar[0]) == pytest.approx(const, rel=1e-6)
    assert fit.sigma2 == pytest.approx(ols.sigma2, rel=1e-6)


def test_psi_weights_match_statsmodels():
    from statsmodels.tsa.arima_process import arma2ma

    ar, ma = np.array([0.5, -0.2]), np.array([0.3])
    np.testing.assert_allclose(psi_weights(ar, ma, 0, 8), arma2ma(np.r_[1, -ar], np.r_[1, ma], 8))
    full = np.convolve(np.r_[1, -ar], [1, -1])  # φ(B)(1 − B)
    np.testing.assert_allclose(psi_weights(ar, ma, 1, 8), arma2ma(full, np.r_[1, ma], 8))


def test_unit_root_test_chooses_d():
    rng = np.random.default_rng(11)
    assert choose_d(rng.normal(0, 1, 40)) == 0
    assert choose_d(np.cumsum(rng.normal(0, 1, 40)) + 100) >= 1
    assert choose_d(np.cumsum(rng.normal(0, 1, 40)), EmissionsParams(max_d=0)) == 0


def test_holdout_check_uses_training_years_only():
    rng = np.random.default_rng(2)
    df = _series("lin", range(2000, 2015), 200 + 10 * np.arange(15.0) + rng.normal(0, 2, 15))
    short = _series("short", range(2000, 2010), np.arange(10.0) + 1)
    h = holdout_check(pd.concat([df, short]), n_holdout=3)
    assert set(h["unit_id"]) == {"lin"}  # 10 obs < 8 + 3
    assert set(h["method"]) == {"select", "arima", "drift", "naive"}
    assert sorted(h["horizon"].unique()) == [1, 2, 3]
    changed = df.copy()
    changed.loc[changed["year"] >= 2012, "value"] *= 3  # the hidden years do not feed the forecasts
    h2 = holdout_check(changed, n_holdout=3)
    np.testing.assert_allclose(h2["predicted"], h["predicted"])
    s = h.attrs["summary"].set_index(["method", "horizon"])
    assert s.loc[("drift", 0), "mape"] < 5


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.floats(0.5, 5.0), min_size=10, max_size=20),
    st.sampled_from(["arima", "drift", "naive"]),
)
def test_intervals_contain_forecast_and_widen(vals, kind):
    y = np.cumsum(vals)  # a positive rising series
    years = np.arange(2000, 2000 + len(y))
    if kind == "arima":
        fit = fit_arima(years, y, EmissionsParams(max_p=1, max_q=1))
        if fit is None:
            return
    else:
        fit = (fit_drift if kind == "drift" else fit_naive)(y, 2000)
    fc = fit.forecast(range(fit.end_year + 1, fit.end_year + 4))
    assert (fc["lower"] <= fc["value"]).all() and (fc["value"] <= fc["upper"]).all()
    width = (fc["upper"] - fc["lower"]).to_numpy()
    assert np.all(np.diff(width) >= -1e-9 * width.max())


def _ceads_long(province: str, n: int) -> pd.DataFrame:
    if not CEADS.is_file():
        pytest.skip(f"CEADs county inventory not found at {CEADS}")
    x = pd.read_excel(CEADS, dtype={"DISTCODE地区代码": str})
    x = x[x["Province Name"] == province].head(n)
    cols = [f"C{y}" for y in range(1997, 2018)]
    long = x.melt(id_vars="DISTCODE地区代码", value_vars=cols, var_name="year", value_name="value")
    long["year"] = long["year"].str[1:].astype(int)
    return long.rename(columns={"DISTCODE地区代码": "unit_id"})


def test_real_ceads_selection_beats_naive_one_year_ahead():
    long = _ceads_long("江西省", 30)  # 30 Jiangxi counties, 2017 held out
    h = holdout_check(long, n_holdout=1)
    s = h.attrs["summary"].set_index(["method", "horizon"])["mape"]
    assert h["unit_id"].nunique() == 30
    assert s[("select", 1)] <= s[("naive", 1)]
