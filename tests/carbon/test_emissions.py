"""ARIMA gap-filling of emissions (METHODS §2.5)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecozone.carbon.emissions import fill_emissions, fit_arima, holdout_check
from ecozone.carbon.params import EmissionsParams


def _series(unit, years, values):
    return pd.DataFrame({"unit_id": unit, "year": list(years), "value": list(values)})


def test_fewer_than_eight_observations_are_never_filled():
    df = _series("u7", range(2011, 2018), 100 + 10 * np.arange(7.0))
    res = fill_emissions(df, [2015, 2018, 2020])
    assert not res.table["emissions_filled"].any()
    assert set(res.table["year"]) == set(range(2011, 2018))
    note = res.notes.set_index("unit_id").loc["u7", "note"]
    assert "7 observed years" in note and "fewer than 8" in note and "2018" in note


def test_filled_years_are_flagged_with_intervals():
    rng = np.random.default_rng(1)
    years = range(2005, 2018)  # 13 observations, CEADs-like end in 2017
    df = _series("u", years, 1000 + 40 * np.arange(13.0) + rng.normal(0, 10, 13))
    res = fill_emissions(df, [2005, 2010, 2015, 2020], EmissionsParams())
    t = res.table.set_index("year")
    assert bool(t.loc[2020, "emissions_filled"]) and not t.loc[2015, "emissions_filled"]
    assert t["emissions_filled"].sum() == 1
    r = t.loc[2020]
    assert r["lower"] < r["value"] < r["upper"]
    assert r["arima_order"].startswith("ARIMA(")
    # a linear trend continues: 2020 is about 1000 + 40·15
    assert r["value"] == pytest.approx(1600, rel=0.05)
    assert np.isnan(t.loc[2015, "lower"])
    assert res.notes.empty


def test_interior_gap_and_years_before_first_observation():
    years = [2003, 2004, 2005, 2006, 2008, 2009, 2010, 2011, 2012]
    noise = np.random.default_rng(4).normal(0, 0.3, len(years))  # an exact line makes ARIMA fits crawl
    df = _series("g", years, [50.0 + 3 * (y - 2003) + e for y, e in zip(years, noise, strict=True)])
    res = fill_emissions(df, [2000, 2007, 2013], EmissionsParams(max_p=1, max_q=1))
    t = res.table.set_index("year")
    assert bool(t.loc[2007, "emissions_filled"]) and bool(t.loc[2013, "emissions_filled"])
    assert 2000 not in t.index
    assert "2000" in res.notes["note"].iloc[0]
    assert t.loc[2007, "lower"] <= t.loc[2007, "value"] <= t.loc[2007, "upper"]


def test_order_search_respects_bounds():
    rng = np.random.default_rng(5)
    y = np.cumsum(rng.normal(2, 1, 20)) + 50
    fit = fit_arima(range(2000, 2020), y, EmissionsParams(max_p=1, max_d=1, max_q=1))
    assert all(o <= 1 for o in fit.order)
    # AIC of the chosen model is the least among the grid (re-fit one other order by hand)
    from statsmodels.tsa.arima.model import ARIMA

    other = ARIMA(y, order=(0, 0, 0), trend="c").fit()
    assert fit.aic <= other.aic + 1e-9


def test_holdout_check():
    years = range(2000, 2015)
    df = pd.concat(
        [
            _series(
                "lin", years, 200 + 10 * np.arange(15.0) + np.random.default_rng(2).normal(0, 2, 15)
            ),
            _series("short", range(2000, 2009), np.arange(9.0) + 1),
        ]
    )
    h = holdout_check(df, n_holdout=3)
    assert set(h["unit_id"]) == {"lin"}  # 9 obs < 8 + 3
    assert len(h) == 3
    assert h.attrs["mape"] < 5
    assert h["inside"].mean() >= 2 / 3
