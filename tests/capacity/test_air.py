"""Air excess index (eq. 1–2), HJ 663 statistics, aggregation, bad input."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecozone.capacity.air import (
    air_area_index,
    air_concentrations_by_level,
    air_index_by_level,
    air_pollutant_index,
    annual_statistics,
    check_air,
)
from ecozone.capacity.hierarchy import Hierarchy
from ecozone.capacity.state import classify_state
from ecozone.errors import InputError

S = pd.Series({"PM2.5": 35.0, "PM10": 70.0, "NO2": 40.0, "SO2": 60.0, "CO": 4.0, "O3": 160.0})
POLS = list(S.index)


def frame(values: dict, unit="A", year=2016):
    return pd.DataFrame(
        {"unit_id": unit, "year": year, "pollutant": list(values), "value": list(values.values())}
    )


def r_air(values: dict, limits=S):
    return air_area_index(air_pollutant_index(frame(values), limits))["r_air"].iloc[0]


def test_eq1_eq2_by_hand():
    # PM2.5 52.5/35 − 1 = 0.5; PM10 35/70 − 1 = −0.5; O3 200/160 − 1 = 0.25; CO 2/4 − 1 = −0.5
    p = air_pollutant_index(frame({"PM2.5": 52.5, "PM10": 35.0, "O3": 200.0, "CO": 2.0}), S)
    assert p.set_index("pollutant")["r"].to_dict() == pytest.approx(
        {"PM2.5": 0.5, "PM10": -0.5, "O3": 0.25, "CO": -0.5}
    )
    a = air_area_index(p).iloc[0]
    assert a["r_air"] == pytest.approx(0.5)
    assert a["air_primary"] == "PM2.5"
    assert a["n_pollutants"] == 4
    assert a["air_missing"] == "NO2,SO2"


def test_unit_with_only_some_pollutants_uses_those_present():
    a = air_area_index(air_pollutant_index(frame({"NO2": 44.0}), S)).iloc[0]
    assert a["r_air"] == pytest.approx(44 / 40 - 1)
    assert a["n_pollutants"] == 1
    assert a["air_missing"] == "PM2.5,PM10,SO2,CO,O3"


@pytest.mark.parametrize(
    "pm25, state",
    [
        (35.0, "critical"),  # R = 0 exactly: critical, not overload
        (35.0 * 1.000001, "overload"),
        (28.0, "non-overload"),  # R = 28/35 − 1 = −0.2 exactly (−0.19999999999999996 in binary)
        (28.01, "critical"),
        (27.99, "non-overload"),
    ],
)
def test_air_threshold_boundaries(pm25, state):
    assert classify_state([r_air({"PM2.5": pm25})], -0.2)[0] == state


def test_year_dependent_limits():
    lim = pd.DataFrame({"year": [2030, 2031], "pollutant": ["PM2.5", "PM2.5"], "limit": [30.0, 25.0]})
    c = pd.concat([frame({"PM2.5": 30.0}, year=2030), frame({"PM2.5": 30.0}, year=2031)])
    r = air_pollutant_index(c, lim)["r"].tolist()
    assert r == pytest.approx([0.0, 0.2])


conc = st.floats(min_value=0.01, max_value=1000, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    vals=st.fixed_dictionaries({p: conc for p in POLS}),
    which=st.sampled_from(POLS),
    bump=st.floats(min_value=0, max_value=500),
)
def test_raising_a_concentration_never_lowers_the_index(vals, which, bump):
    higher = dict(vals)
    higher[which] = vals[which] + bump
    assert r_air(higher) >= r_air(vals)


@settings(max_examples=60, deadline=None)
@given(vals=st.fixed_dictionaries({p: conc for p in POLS}), k=st.floats(min_value=1e-3, max_value=1e3))
def test_scaling_concentrations_and_limits_together_leaves_index_unchanged(vals, k):
    scaled = {p: v * k for p, v in vals.items()}
    assert r_air(scaled, S * k) == pytest.approx(r_air(vals), rel=1e-9, abs=1e-12)


# ---------------------------------------------------------------- checks


def air_table(rows):
    return pd.DataFrame(rows, columns=["unit_id", "year", "pollutant", "value", "unit"])


def test_check_air_converts_declared_units():
    t = air_table([("A", 2016, "CO", 1200, "ug/m3"), ("A", 2016, "PM2.5", 0.04, "mg/m3")])
    out = check_air(t).set_index("pollutant")["value"]
    assert out["CO"] == pytest.approx(1.2)
    assert out["PM2.5"] == pytest.approx(40.0)


@pytest.mark.parametrize(
    "rows, column, row, words",
    [
        ([("A", 2016, "PM2.5", 40, "ug/m3"), ("A", 2016, "PM10", -3, "ug/m3")], "value", "3", "negative"),
        ([("A", 2016, "PM2.5", "n/a", "ug/m3")], "value", "2", "not a number"),
        ([("A", 2016, "PM1", 12, "ug/m3")], "pollutant", "2", "unknown air pollutant"),
        ([("A", 2016, "PM2.5", 30, "ug/m3"), ("A", 2016, "CO", 1100, "mg/m3")], "value", "3", "1000×"),
        ([("A", 2016, "PM2.5", 30, "ppb")], "unit", "2", "unknown concentration unit"),
    ],
)
def test_bad_air_input(rows, column, row, words):
    with pytest.raises(InputError) as e:
        check_air(air_table(rows))
    err = e.value
    assert words in err.what
    assert "table 'air'" in err.where and f"column '{column}'" in err.where and f"row {row}" in err.where
    assert err.fix


def test_co_in_ug_without_unit_column_is_flagged():
    t = pd.DataFrame({"unit_id": ["A"], "year": [2016], "pollutant": ["CO"], "value": [1400.0]})
    with pytest.raises(InputError) as e:
        check_air(t)
    assert "CO" in e.value.what and "row 2" in e.value.where


def test_duplicate_rows_are_an_error():
    t = air_table([("A", 2016, "PM2.5", 40, "ug/m3"), ("A", 2016, "PM2.5", 41, "ug/m3")])
    with pytest.raises(InputError) as e:
        check_air(t)
    assert "rows 2, 3" in e.value.what


# ---------------------------------------------------------------- aggregation


def hierarchy():
    # counties a (1 km²) and b (3 km²) in city X; c (2 km²) in city Y; X and Y in agglomeration G
    finest = pd.DataFrame({"unit_id": ["a", "b", "c"], "city": ["X", "X", "Y"], "agglo": ["G", "G", "G"]})
    return Hierarchy.from_finest(
        finest, ["county", "city", "agglo"], area=pd.Series({"a": 1.0, "b": 3.0, "c": 2.0})
    )


def conc_rows(rows):
    return pd.DataFrame(rows, columns=["unit_id", "year", "pollutant", "value"])


def test_area_weighted_mean_then_index_recomputed():
    h = hierarchy()
    c = conc_rows([("a", 2016, "PM2.5", 40.0), ("b", 2016, "PM2.5", 20.0), ("c", 2016, "PM2.5", 70.0)])
    lv = air_concentrations_by_level(c, h, h.area)
    v = lv.set_index(["unit_id"])["value"]
    assert v["X"] == pytest.approx((40 * 1 + 20 * 3) / 4)  # 25
    assert v["G"] == pytest.approx((25 * 4 + 70 * 2) / 6)  # 40
    units, _ = air_index_by_level(lv, S)
    r = units.set_index("unit_id")["r_air"]
    assert r["X"] == pytest.approx(25 / 35 - 1)
    assert r["G"] == pytest.approx(40 / 35 - 1)


def test_population_weighted_mean():
    h = hierarchy()
    c = conc_rows([("a", 2016, "PM2.5", 40.0), ("b", 2016, "PM2.5", 20.0)])
    # populations of every unit with values at every level (run_capacity sums them up)
    pop = pd.Series({("a", 2016): 300.0, ("b", 2016): 100.0, ("c", 2016): 50.0, ("X", 2016): 400.0})
    pop.index = pd.MultiIndex.from_tuples(pop.index)
    lv = air_concentrations_by_level(c, h, pop, weight_name="population", weight_table="economy")
    x = lv[lv["unit_id"] == "X"].iloc[0]
    assert x["value"] == pytest.approx((40 * 300 + 20 * 100) / 400)  # 35 → R = 0 → critical
    units, _ = air_index_by_level(lv, S)
    assert classify_state(units.set_index("unit_id").loc[["X"], "r_air"], -0.2)[0] == "critical"


def test_value_given_for_upper_unit_wins_per_pollutant():
    h = hierarchy()
    c = conc_rows(
        [
            ("a", 2016, "PM2.5", 40.0), ("b", 2016, "PM2.5", 20.0),
            ("a", 2016, "NO2", 30.0), ("b", 2016, "NO2", 50.0),
            ("X", 2016, "PM2.5", 52.5),
        ]
    )
    lv = air_concentrations_by_level(c, h, h.area)
    x = lv[lv["unit_id"] == "X"].set_index("pollutant")
    assert x.loc["PM2.5", "value"] == 52.5 and x.loc["PM2.5", "source"] == "given"
    assert x.loc["NO2", "value"] == pytest.approx((30 + 50 * 3) / 4)
    assert x.loc["NO2", "source"] == "members"


def test_partial_coverage_is_noted():
    h = hierarchy()
    c = conc_rows([("a", 2016, "PM2.5", 40.0), ("c", 2016, "PM2.5", 70.0)])
    lv = air_concentrations_by_level(c, h, h.area)
    x = lv[lv["unit_id"] == "X"].iloc[0]
    assert x["value"] == 40.0 and x["coverage"] == pytest.approx(0.25)
    assert "25%" in x["note"]


def test_unknown_unit_and_missing_population_are_errors():
    h = hierarchy()
    with pytest.raises(InputError) as e:
        air_concentrations_by_level(conc_rows([("zz", 2016, "PM2.5", 40.0)]), h, h.area)
    assert "zz" in e.value.what
    pop = pd.Series({("a", 2016): 300.0})
    pop.index = pd.MultiIndex.from_tuples(pop.index)
    c = conc_rows([("a", 2016, "PM2.5", 40.0), ("b", 2016, "PM2.5", 20.0)])
    with pytest.raises(InputError) as e:
        air_concentrations_by_level(c, h, pop, weight_name="population", weight_table="economy")
    assert "'b'" in e.value.what and "economy" in e.value.where


# ---------------------------------------------------------------- daily data (HJ 663)


def daily_year(year, pollutant, values, unit="A"):
    dates = pd.date_range(f"{year}-01-01", f"{year}-12-31", freq="D")
    return pd.DataFrame({"unit_id": unit, "date": dates, "pollutant": pollutant, "value": values(len(dates))})


def test_statistics_mean_and_hj663_percentiles():
    n = 366  # 2016 is a leap year
    d = pd.concat(
        [
            daily_year(2016, "PM2.5", lambda n: np.arange(1, n + 1, dtype=float)),
            daily_year(2016, "CO", lambda n: np.arange(1, n + 1) / 100.0),
            daily_year(2016, "O3", lambda n: np.arange(1, n + 1, dtype=float)[::-1].copy()),
        ]
    )
    s = annual_statistics(d).set_index("pollutant")
    assert s.loc["PM2.5", "value"] == pytest.approx((1 + n) / 2)  # 183.5
    # HJ 663: k = 1 + (n − 1)·p; value = s_k + (k − ⌊k⌋)(s_{k+1} − s_k)
    # CO: k = 1 + 365 × 0.95 = 347.75 → 3.47 + 0.75 × 0.01
    assert s.loc["CO", "value"] == pytest.approx(3.4775)
    assert s.loc["O3", "value"] == pytest.approx(329.5)  # k = 1 + 365 × 0.9 = 329.5
    assert s["valid"].all() and (s["n_days"] == 366).all()
    assert s["statistic"].to_dict() == {
        "PM2.5": "annual_mean", "CO": "p95_daily_mean", "O3": "p90_daily_max8h"
    }


def _drop_days(d, dates):
    d = d.copy()
    d.loc[d["date"].isin(pd.to_datetime(dates)), "value"] = np.nan
    return d


def test_validity_324_days():
    full = daily_year(2017, "PM2.5", lambda n: np.full(n, 30.0))
    # remove 41 of 365 days without breaking the monthly rule (≥ 27 a month, ≥ 25 in February):
    # 324 valid → valid; one more removed (December still has 27): 323 → not valid
    allowed = []
    for m in range(1, 13):
        n_month = pd.Period(f"2017-{m:02d}").days_in_month
        spare = n_month - (25 if m == 2 else 27)
        allowed += [f"2017-{m:02d}-{d:02d}" for d in range(1, spare + 1)]
    drop = allowed[:41]
    assert len(allowed) >= 42 and allowed[41].startswith("2017-12")
    s = annual_statistics(_drop_days(full, drop)).iloc[0]
    assert s["n_days"] == 324 and s["valid"]
    s = annual_statistics(_drop_days(full, drop + [allowed[41]])).iloc[0]
    assert s["n_days"] == 323 and not s["valid"]
    assert "323 valid days" in s["note"]


def test_validity_monthly_27_and_february_25():
    full = daily_year(2016, "PM10", lambda n: np.full(n, 60.0))
    assert annual_statistics(_drop_days(full, [f"2016-03-{d:02d}" for d in range(1, 5)])).iloc[0]["valid"]  # 27
    s = annual_statistics(_drop_days(full, [f"2016-03-{d:02d}" for d in range(1, 6)])).iloc[0]  # 26
    assert not s["valid"] and "month 3" in s["note"]
    assert annual_statistics(_drop_days(full, [f"2016-02-{d:02d}" for d in range(1, 5)])).iloc[0]["valid"]  # 25
    s = annual_statistics(_drop_days(full, [f"2016-02-{d:02d}" for d in range(1, 6)])).iloc[0]  # 24
    assert not s["valid"] and "month 2" in s["note"]


def test_gas_series_crossing_september_2018_is_noted():
    d = pd.concat(
        [
            daily_year(2018, "NO2", lambda n: np.full(n, 30.0)),
            daily_year(2018, "PM2.5", lambda n: np.full(n, 30.0)),
        ]
    )
    s = annual_statistics(d).set_index("pollutant")
    assert "2018-09-01" in s.loc["NO2", "note"] and s.loc["NO2", "valid"]
    assert s.loc["PM2.5", "note"] == ""
    before = annual_statistics(daily_year(2017, "NO2", lambda n: np.full(n, 30.0)))
    assert before.iloc[0]["note"] == ""


def test_daily_bad_input():
    d = daily_year(2016, "PM2.5", lambda n: np.full(n, 30.0)).head(3).copy()
    d["value"] = d["value"].astype(object)
    d.loc[1, "value"] = "abc"
    with pytest.raises(InputError) as e:
        annual_statistics(d)
    assert "table 'air_daily'" in e.value.where and "row 3" in e.value.where
    d = daily_year(2016, "CO", lambda n: np.full(n, 900.0)).head(3)
    with pytest.raises(InputError):
        annual_statistics(d)
    d = daily_year(2016, "PM2.5", lambda n: np.full(n, 30.0)).head(3).astype({"date": object})
    d.loc[2, "date"] = "2016-13-45"
    with pytest.raises(InputError) as e:
        annual_statistics(d)
    assert "column 'date'" in e.value.where
