"""Economic overview (METHODS §5.0): hand-derived values, upward sums, errors, properties."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from ecozone.errors import InputError, ParameterError
from ecozone.inputs.units import build_units
from ecozone.overview import OVERVIEW_COLUMNS, OverviewParams, overview

UTM = "EPSG:32650"


def make_units():
    """Counties a1 (100 km²), a2 (200) in city A; b1 (300) in B; C (400) in C, same id as its city.

    A and B form agglomeration AG; C belongs to none. 10 km wide strips, so areas are exact.
    """
    rows, x = [], 500_000.0
    for cid, city, agg, h in (("a1", "A", "AG", 10), ("a2", "A", "AG", 20), ("b1", "B", "AG", 30), ("C", "C", "", 40)):
        rows.append({"cid": cid, "name": cid, "city": city, "agg": agg,
                     "geometry": box(x, 3_000_000.0, x + 10_000, 3_000_000.0 + h * 1000)})
        x += 10_000
    gdf = gpd.GeoDataFrame(rows, crs=UTM)
    return build_units(gdf, levels={"county": "cid", "city": "city", "agglomeration": "agg"}, area_crs=UTM)


ECONOMY = pd.DataFrame(
    [
        ("a1", 2020, 100.0, 1_500_000.0),
        ("a2", 2020, 300.0, 1_000_000.0),
        ("b1", 2020, 200.0, 2_500_000.0),
        ("B", 2020, 250.0, np.nan),  # given for the city: wins over b1's 200 (population still summed)
        ("C", 2020, 400.0, 3_000_000.0),  # names county C (and through it city C)
        ("a1", 2015, 80.0, 1_400_000.0),
        ("a2", 2015, 220.0, 900_000.0),
    ],
    columns=["unit_id", "year", "gdp", "population"],
)


def row(t, level, uid, year):
    r = t[(t["level"] == level) & (t["unit_id"] == uid) & (t["year"] == year)]
    assert len(r) == 1
    return r.iloc[0]


@pytest.fixture(scope="module")
def table():
    return overview(ECONOMY, make_units())


def test_columns_and_rows(table):
    assert tuple(table.columns) == OVERVIEW_COLUMNS
    # 4 counties + 3 cities + 1 agglomeration, 2 years
    assert len(table) == 8 * 2
    assert not np.isinf(table.select_dtypes("number").to_numpy(dtype=float)).any()


def test_values_summed_upwards_and_given_upper_values_win(table):
    a = row(table, "city", "A", 2020)
    assert a["gdp"] == 400.0 and a["population"] == 2_500_000.0
    b = row(table, "city", "B", 2020)
    assert b["gdp"] == 250.0  # given for B, not b1's 200
    assert b["population"] == 2_500_000.0  # B's own row has none: b1's
    c = row(table, "city", "C", 2020)
    assert c["gdp"] == 400.0 and c["population"] == 3_000_000.0
    ag = row(table, "agglomeration", "AG", 2020)
    assert ag["gdp"] == 650.0  # A 400 + B 250 (B's given value feeds upwards)
    assert ag["population"] == 5_000_000.0


def test_hand_derived_indicators_2020(table):
    a = row(table, "city", "A", 2020)
    assert a["area_km2"] == pytest.approx(300.0)
    assert a["gdp_per_capita"] == pytest.approx(400 / 2.5e6)
    assert a["population_density"] == pytest.approx(2.5e6 / 300)
    # study total: the cities cover the study (the agglomeration does not): 400 + 250 + 400
    assert a["gdp_share"] == pytest.approx(400 / 1050)
    assert a["population_share"] == pytest.approx(2.5 / 8)
    assert a["area_share"] == pytest.approx(300 / 1000)
    a1 = row(table, "county", "a1", 2020)
    assert a1["gdp_share"] == pytest.approx(100 / 1050)
    assert a1["area_share"] == pytest.approx(0.1)
    ag = row(table, "agglomeration", "AG", 2020)
    assert ag["gdp_share"] == pytest.approx(650 / 1050)
    assert ag["area_share"] == pytest.approx(0.6)
    # the only agglomeration is all of its level
    assert ag["gdp_share_of_level"] == pytest.approx(1.0)
    assert ag["population_share_of_level"] == pytest.approx(1.0)
    assert ag["area_share_of_level"] == pytest.approx(1.0)
    assert np.isnan(a["gdp_share_of_level"])  # only the top grouping level


def test_members_over_two_million(table):
    ag = row(table, "agglomeration", "AG", 2020)
    assert ag["n_members_over_2m"] == 2 and ag["share_members_over_2m"] == 1.0  # A 2.5 M, B 2.5 M
    a = row(table, "city", "A", 2020)
    assert a["n_members_over_2m"] == 0 and a["share_members_over_2m"] == 0.0  # 1.5 M, 1.0 M
    b = row(table, "city", "B", 2020)
    assert b["n_members_over_2m"] == 1 and b["share_members_over_2m"] == 1.0
    assert pd.isna(row(table, "county", "a1", 2020)["n_members_over_2m"])
    # threshold is strict: a member of exactly the threshold does not count
    t = overview(ECONOMY, make_units(), large_population=2_500_000)
    assert row(t, "agglomeration", "AG", 2020)["n_members_over_2m"] == 0
    t = overview(ECONOMY, make_units(), large_population=1_200_000)
    assert row(t, "city", "A", 2020)["n_members_over_2m"] == 1
    assert row(t, "city", "A", 2020)["share_members_over_2m"] == 0.5


def test_incomplete_members_give_empty_values_not_partial_sums(table):
    a = row(table, "city", "A", 2015)
    assert a["gdp"] == 300.0 and a["gdp_per_capita"] == pytest.approx(300 / 2.3e6)
    b = row(table, "city", "B", 2015)
    assert np.isnan(b["gdp"]) and np.isnan(b["gdp_per_capita"])
    ag = row(table, "agglomeration", "AG", 2015)
    assert np.isnan(ag["gdp"]) and pd.isna(ag["n_members_over_2m"])
    # no covering level is complete in 2015: shares unknown, area shares known
    assert np.isnan(a["gdp_share"]) and a["area_share"] == pytest.approx(0.3)


def test_errors_name_the_row_and_the_fix():
    units = make_units()
    bad = ECONOMY.copy()
    bad.loc[3, "unit_id"] = "Z9"
    with pytest.raises(InputError, match=r"row 5: unit_id 'Z9'"):
        overview(bad, units, where="economy.csv")
    dup = pd.concat([ECONOMY, ECONOMY.iloc[[0]]], ignore_index=True)
    with pytest.raises(InputError, match=r"rows 2, 9 repeat"):
        overview(dup, units)
    neg = ECONOMY.copy()
    neg.loc[1, "gdp"] = -1.0
    with pytest.raises(InputError, match=r"row 3: gdp"):
        overview(neg, units)
    with pytest.raises(InputError, match="lacks column"):
        overview(ECONOMY.drop(columns="population"), units)
    with pytest.raises(ParameterError):
        overview(ECONOMY, units, large_population=-1)


def test_params():
    assert OverviewParams().large_population == 2_000_000
    with pytest.raises(ValueError):
        OverviewParams(large_population=-5)
    with pytest.raises(ValueError):
        OverviewParams(threshold=3)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.floats(0, 1e12, allow_nan=False), min_size=4, max_size=4),
    st.lists(st.floats(1, 1e8, allow_nan=False), min_size=4, max_size=4),
)
def test_property_sums_and_shares(gdp, pop):
    units = _UNITS
    e = pd.DataFrame({"unit_id": ["a1", "a2", "b1", "C"], "year": 2020, "gdp": gdp, "population": pop})
    t = overview(e, units)
    city = t[t["level"] == "city"].set_index("unit_id")
    county = t[t["level"] == "county"].set_index("unit_id")
    assert city.loc["A", "gdp"] == pytest.approx(gdp[0] + gdp[1], rel=1e-12)
    assert city.loc["A", "population"] == pytest.approx(pop[0] + pop[1], rel=1e-12)
    # shares of a covering level sum to 1; of the agglomeration, to its members' sum
    if sum(gdp) > 0:
        assert city["gdp_share"].sum() == pytest.approx(1.0)
        assert county["gdp_share"].sum() == pytest.approx(1.0)
    assert city["population_share"].sum() == pytest.approx(1.0)
    assert city["area_share"].sum() == pytest.approx(1.0)
    ag = t[t["level"] == "agglomeration"].iloc[0]
    assert ag["population"] == pytest.approx(pop[0] + pop[1] + pop[2], rel=1e-12)
    n_over = int(city.loc["A", "population"] > 2e6) + int(city.loc["B", "population"] > 2e6)
    assert ag["n_members_over_2m"] == n_over
    shares = t[["gdp_share", "population_share", "area_share", "share_members_over_2m"]].to_numpy(dtype=float)
    ok = shares[~np.isnan(shares)]
    assert ((ok >= 0) & (ok <= 1 + 1e-12)).all()


_UNITS = make_units()
