"""Four-quadrant coupling (§1.5), zones, entropy weights, typing and the
coupling coordination degree (§1.6)."""

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from ecozone.capacity.agglomeration import (
    classify_development,
    coordination_grade,
    coupling_coordination,
    development_index,
    development_typing,
    entropy_weights,
    fisher_jenks_breaks,
    minmax,
    normalise,
    normalise_values,
)
from ecozone.capacity.coupling import (
    four_quadrant,
    regional_gdp_per_capita,
    zone_share_from_ids,
    zone_share_from_polygons,
)
from ecozone.capacity.hierarchy import Hierarchy
from ecozone.errors import InputError, ParameterError

O, C, N = "overload", "critical", "non-overload"  # noqa: E741


def cities():
    # per-capita GDP: A 100, B 50, C 20 (CNY/person)
    return pd.DataFrame(
        {"unit_id": ["A", "B", "C"], "year": 2016, "state": [O, C, N],
         "gdp": [1000.0, 500.0, 600.0], "population": [10.0, 10.0, 30.0], "in_zone": [False, False, False]}
    )


def test_regional_gdp_total_and_mean():
    assert regional_gdp_per_capita([1000, 500, 600], [10, 10, 30], "total") == pytest.approx(2100 / 50)  # 42
    assert regional_gdp_per_capita([1000, 500, 600], [10, 10, 30], "mean") == pytest.approx((100 + 50 + 20) / 3)


def test_four_quadrants_by_hand():
    q = four_quadrant(cities()).set_index("unit_id")
    assert q["gdp_per_capita"].tolist() == pytest.approx([100, 50, 20])
    assert q["regional_gdp_per_capita"].iloc[0] == pytest.approx(42.0)
    # total: 42 → A, B high; critical counts as non-overload by default
    assert q["quadrant"].to_dict() == {"A": "high–overload", "B": "high–non-overload", "C": "low–non-overload"}
    # mean: 56.67 → B low; critical as overload → B overload
    q = four_quadrant(cities(), regional_gdp="mean", critical_as="overload").set_index("unit_id")
    assert q["quadrant"].to_dict() == {"A": "high–overload", "B": "low–overload", "C": "low–non-overload"}


def test_ecological_zone_is_a_fifth_type_taking_precedence():
    c = cities()
    c.loc[0, "in_zone"] = True
    q = four_quadrant(c).set_index("unit_id")
    assert q.loc["A", "type"] == "key-ecological-zone"
    assert q.loc["A", "quadrant"] == "high–overload"
    assert q.loc["B", "type"] == q.loc["B", "quadrant"]


def test_missing_gdp_gives_no_quadrant_and_says_why():
    c = cities()
    c.loc[2, "gdp"] = np.nan
    q = four_quadrant(c).set_index("unit_id")
    assert q.loc["C", "quadrant"] is None and "GDP" in q.loc["C", "note"]
    assert q["regional_gdp_per_capita"].iloc[0] == pytest.approx(1500 / 20)


def zone_hierarchy():
    # city X: counties a (1 km²), b (1 km²), c (2 km²); city Y: d
    finest = pd.DataFrame({"unit_id": ["a", "b", "c", "d"], "city": ["X", "X", "X", "Y"]})
    return Hierarchy.from_finest(finest, ["county", "city"], area=pd.Series({"a": 1.0, "b": 1.0, "c": 2.0, "d": 5.0}))


def test_zone_share_from_ids_more_than_half_rule():
    h = zone_hierarchy()
    s = zone_share_from_ids(["a", "b"], h, "city")
    assert s["X"] == pytest.approx(0.5)  # exactly half: not more than half
    assert s["Y"] == 0.0
    assert zone_share_from_ids(["c", "a"], h, "city")["X"] == pytest.approx(0.75)
    assert zone_share_from_ids(["Y"], h, "city")["Y"] == 1.0
    with pytest.raises(InputError) as e:
        zone_share_from_ids(["q"], h, "city")
    assert "ecological_function" in e.value.where


def test_zone_share_from_polygons():
    units = gpd.GeoDataFrame({"unit_id": ["X", "Y"]}, geometry=[box(0, 0, 2, 1), box(2, 0, 4, 1)], crs="EPSG:3857")
    zones = gpd.GeoDataFrame(geometry=[box(0, 0, 1.5, 1), box(3.9, 0, 5, 1)], crs="EPSG:3857")
    s = zone_share_from_polygons(units, zones, "EPSG:3857")
    assert s["X"] == pytest.approx(0.75) and s["Y"] == pytest.approx(0.05)


# ---------------------------------------------------------------- development and coupling


def test_minmax_directions():
    assert minmax([10, 20, 30]).tolist() == pytest.approx([0, 0.5, 1])
    assert minmax([10, 20, 30], "-").tolist() == pytest.approx([1, 0.5, 0])
    assert minmax([7, 7]).tolist() == [1, 1]  # all equal → 1 (METHODS §1.6)


def test_shifted_normalisation_by_hand():
    # x' = 0.01 + 0.99·(x − min)/(max − min): 10, 20, 30 → 0.01, 0.01 + 0.99·0.5 = 0.505, 1
    assert normalise_values([10, 20, 30]).tolist() == pytest.approx([0.01, 0.505, 1.0])
    assert normalise_values([10, 20, 30], "-").tolist() == pytest.approx([1.0, 0.505, 0.01])
    # 2, 3, 7: (x − 2)/5 = 0, 0.2, 1 → 0.01, 0.01 + 0.198 = 0.208, 1
    assert normalise_values([3.0, 7.0, 2.0]).tolist() == pytest.approx([0.208, 1.0, 0.01])
    assert normalise_values([7, 7, 7]).tolist() == [1, 1, 1]
    got = normalise_values([10.0, np.nan, 30.0])
    assert got[0] == pytest.approx(0.01) and np.isnan(got[1]) and got[2] == pytest.approx(1.0)
    assert normalise_values([10, 20, 30], method="minmax").tolist() == pytest.approx([0, 0.5, 1])
    with pytest.raises(ParameterError):
        normalise_values([1, 2], method="zscore")


def test_entropy_weights_with_the_shifted_normalisation_by_hand():
    x = pd.DataFrame({"A": [10.0, 20.0, 30.0], "B": [5.0, 5.0, 9.0]})
    norm = normalise(x)  # A → 0.01, 0.505, 1; B → 0.01, 0.01, 1
    assert norm["B"].tolist() == pytest.approx([0.01, 0.01, 1.0])

    def d(col):  # 1 − e with p = x'/Σx', e = −(1/ln 3) Σ p ln p
        tot = sum(col)
        return 1 + sum(v / tot * math.log(v / tot) for v in col) / math.log(3)

    d_a, d_b = d([0.01, 0.505, 1.0]), d([0.01, 0.01, 1.0])  # 0.38691, 0.89978
    w = entropy_weights(norm)
    assert w["A"] == pytest.approx(d_a / (d_a + d_b))  # 0.30070
    assert w["A"] == pytest.approx(0.30070, abs=1e-5)
    u1 = development_index(norm, w)
    assert u1.tolist() == pytest.approx([0.01, 0.505 * w["A"] + 0.01 * w["B"], 1.0])


def test_entropy_weights_hand_example():
    x = pd.DataFrame({"A": [10.0, 20.0, 30.0], "B": [5.0, 5.0, 9.0]})
    norm = normalise(x, method="minmax")  # A → 0, .5, 1; B → 0, 0, 1
    # A: p = 0, 1/3, 2/3; e = −(1/ln 3)(1/3 ln 1/3 + 2/3 ln 2/3); B: p = 0, 0, 1 → e = 0
    e_a = -(1 / math.log(3)) * ((1 / 3) * math.log(1 / 3) + (2 / 3) * math.log(2 / 3))
    d_a, d_b = 1 - e_a, 1.0
    w = entropy_weights(norm)
    assert w["A"] == pytest.approx(d_a / (d_a + d_b))  # 0.29609
    assert w["B"] == pytest.approx(d_b / (d_a + d_b))  # 0.70391
    assert w["A"] == pytest.approx(0.29609, abs=1e-5)
    u1 = development_index(norm, w)
    assert u1.tolist() == pytest.approx([0.0, 0.5 * w["A"], 1.0])


def test_user_weights_and_negative_direction():
    dev = pd.DataFrame({"unit_id": ["P", "Q", "R"], "year": 2016,
                        "gdp": [1.0, 2.0, 3.0], "pollution": [30.0, 20.0, 10.0]})
    out, notes = development_typing(dev, ["gdp", "pollution"], weights={"gdp": 3, "pollution": 1},
                                    directions={"pollution": "-"}, normalisation="minmax")
    # gdp → 0, .5, 1; pollution (less is better) → 0, .5, 1; weights .75/.25
    assert out["dev_index"].tolist() == pytest.approx([0.0, 0.5, 1.0])
    assert notes == []
    out, _ = development_typing(dev, ["gdp", "pollution"], weights={"gdp": 3, "pollution": 1},
                                directions={"pollution": "-"})
    # shifted (default): both → 0.01, 0.505, 1
    assert out["dev_index"].tolist() == pytest.approx([0.01, 0.505, 1.0])
    with pytest.raises(ParameterError):
        development_typing(dev, ["gdp", "pollution"], directions={"density": "-"})
    with pytest.raises(ParameterError):
        development_typing(dev, ["gdp", "pollution"], weights={"green": 1.0})


def test_constant_indicator_gets_no_weight_and_a_note():
    dev = pd.DataFrame({"unit_id": ["P", "Q", "R"], "year": 2016, "gdp": [1.0, 2.0, 3.0], "flat": [4.0, 4.0, 4.0]})
    out, notes = development_typing(dev, ["gdp", "flat"])
    # flat → 1 for every unit (all equal), entropy weight 0; gdp → 0.01, 0.505, 1
    assert out["dev_index"].tolist() == pytest.approx([0.01, 0.505, 1.0])
    assert "flat" in notes[0]
    assert "flat=0.000" in out["dev_weights"].iloc[0]


def test_classes_by_jenks_and_thresholds():
    u = pd.Series([0.05, 0.1, 0.5, 0.55, 0.95, 1.0], index=list("abcdef"))
    assert classify_development(u).tolist() == ["incubating"] * 2 + ["fast-growing"] * 2 + ["mature"] * 2
    # thresholds: U1 < 0.5 incubating, 0.5 ≤ U1 < 0.95 fast-growing, ≥ 0.95 mature
    assert classify_development(u, [0.5, 0.95]).tolist() == [
        "incubating", "incubating", "fast-growing", "fast-growing", "mature", "mature"]
    with pytest.raises(ValueError):
        classify_development(pd.Series([0.1, 0.1, 0.9]))


@pytest.mark.parametrize("k", [2, 3, 4])
def test_natural_breaks_are_mapclassify_fisher_jenks(k):
    import mapclassify

    cases = [
        [0.05, 0.1, 0.5, 0.55, 0.95, 1.0],
        [1.0, 1.0, 1.0, 2.0, 2.0, 9.0, 9.0, 10.0],  # ties, several equally good breaks
        [3.0, 1.0, 2.0, 2.0, 4.0],
        list(np.random.default_rng(5).lognormal(size=40)),
    ]
    for v in cases:
        v = np.asarray(v)
        m = mapclassify.FisherJenks(v, k=k)
        np.testing.assert_array_equal(fisher_jenks_breaks(v, k), m.bins)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 12), min_size=3, max_size=25), st.integers(2, 4))
def test_natural_breaks_match_mapclassify_on_any_values(ints, k):
    import mapclassify

    v = np.asarray(ints, dtype=float) / 4.0
    if len(np.unique(v)) < k:
        return
    m = mapclassify.FisherJenks(v, k=k)
    b = fisher_jenks_breaks(v, k)
    np.testing.assert_array_equal(b, m.bins)
    np.testing.assert_array_equal(np.searchsorted(b, v, side="left"), m.yb)


@settings(max_examples=80, deadline=None)
@given(
    st.integers(2, 9).flatmap(
        lambda n: st.tuples(
            st.lists(st.lists(st.floats(-1e6, 1e6), min_size=n, max_size=n), min_size=1, max_size=4),
            st.lists(st.floats(-5, 5), min_size=n, max_size=n),
            st.sampled_from(["entropy", "weights"]),
        )
    )
)
def test_shifted_normalisation_never_gives_zero(data):
    """With the shifted normalisation no unit gets U1, U2, C or D = 0, and U1,
    U2 stay in [0.01, 1] (D in [0.1, 1]: its least value is U1 = U2 = 0.01)."""
    cols, r, how = data
    n = len(r)
    dev = pd.DataFrame({"unit_id": [f"G{i}" for i in range(n)], "year": 2020})
    for j, c in enumerate(cols):
        dev[f"x{j}"] = c
    ind = [f"x{j}" for j in range(len(cols))]
    weights = "entropy" if how == "entropy" else {c: 1.0 + j for j, c in enumerate(ind)}
    out, _ = development_typing(dev, ind, weights=weights)
    if len(out) == 0:  # user weights on constant indicators only: no index (said in a note)
        return
    u1 = out["dev_index"].to_numpy()
    u2 = normalise_values(-np.asarray(r))
    for u in (u1, u2):
        assert np.all(u >= 0.01 - 1e-12) and np.all(u <= 1 + 1e-12)
    c, _, d = coupling_coordination(u1, u2)
    assert np.all(c > 0) and np.all(d >= 0.1 - 1e-12) and np.all(d <= 1 + 1e-12)


def test_coupling_degree_is_the_right_formula():
    c, t, d = coupling_coordination([0.3], [0.2])
    # C = 2·√(0.3·0.2)/(0.3 + 0.2) = 0.9798; the miswritten √2·√(U1U2)/(U1+U2) would give 0.693
    assert c[0] == pytest.approx(0.980, abs=5e-4)
    assert c[0] != pytest.approx(0.693, abs=1e-2)
    assert t[0] == pytest.approx(0.25)
    assert d[0] == pytest.approx(math.sqrt(2 * math.sqrt(0.06) / 0.5 * 0.25))  # 0.4950
    c, t, d = coupling_coordination([0.6, 0.0, 1.0], [0.6, 0.0, 1.0], a=0.5, b=0.5)
    assert c.tolist() == pytest.approx([1.0, 0.0, 1.0])
    assert d.tolist() == pytest.approx([math.sqrt(0.6), 0.0, 1.0])


def test_coordination_grades_at_boundaries():
    g = coordination_grade([0.0, 0.0999, 0.1, 0.3, 0.1 + 0.2, 0.495, 0.9, 1.0, np.nan])
    assert g["grade"].tolist()[:8] == [1, 1, 2, 4, 4, 5, 10, 10]
    assert g["code"].iloc[5] == "verge-of-disorder" and g["name_zh"].iloc[5] == "濒临失调"
    assert g["grade"].iloc[8] is None
