"""§3.4 scores, entropy weights, GDI, TOPSIS and group summaries: a 3-park example
worked by hand, the table's rules, and properties."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecozone.errors import InputError, ParameterError
from ecozone.parks import (
    check_gdi_table,
    entropy_weights,
    gdi,
    gdi_groups,
    gdi_weights,
    green_development,
    read_gdi_table,
    score,
    scores,
    topsis,
    topsis_rank,
)

IND = ["energy_productivity", "water_productivity", "cod_intensity"]


def _table(directions=("+", "+", "−"), benchmarks=("", "", ""), weights=("", "", "")):
    return pd.DataFrame({
        "indicator": IND, "direction": list(directions), "benchmark": list(benchmarks),
        "weight": list(weights), "source": ["test"] * 3, "verified": ["no"] * 3,
    })


def _values():
    # three parks, one year: CNY/tce, CNY/m3, kg per million CNY
    return pd.DataFrame({
        "park_id": ["A", "B", "C"], "year": [2020] * 3,
        "energy_productivity": [10.0, 20.0, 30.0],
        "water_productivity": [100.0, 300.0, 200.0],
        "cod_intensity": [50.0, 100.0, 250.0],
    })


# Hand derivation of the example.
# min–max scores:  energy (+): (10,20,30) → (0, 0.5, 1)
#                  water  (+): (100,300,200) → (0, 1, 0.5)
#                  cod    (−): (250 − x)/200 → (1, 0.75, 0)
# entropy of (0, .5, 1): p = (0, 1/3, 2/3); e = [ln3 − (2/3) ln2] / ln3, so 1 − e = (2/3) ln2 / ln3
# entropy of (1, .75, 0): p = (4/7, 3/7, 0); e = [ln7 − (4/7) ln4 − (3/7) ln3] / ln3
D1 = (2 / 3) * math.log(2) / math.log(3)  # 0.420620
D3 = 1 - (math.log(7) - 4 / 7 * math.log(4) - 3 / 7 * math.log(3)) / math.log(3)  # 0.378390
W1 = D1 / (2 * D1 + D3)  # energy = water = 0.344875
W3 = D3 / (2 * D1 + D3)  # cod = 0.310250


def test_hand_constants():
    assert D1 == pytest.approx(0.420620, abs=1e-6)
    assert D3 == pytest.approx(0.378390, abs=1e-6)
    assert (W1, W3) == pytest.approx((0.344875, 0.310250), abs=1e-6)


def test_scores_by_hand():
    s = scores(_values(), _table())
    assert s["energy_productivity"].tolist() == [0.0, 0.5, 1.0]
    assert s["water_productivity"].tolist() == [0.0, 1.0, 0.5]
    assert s["cod_intensity"].tolist() == [1.0, 0.75, 0.0]


def test_benchmark_scores_by_hand():
    # + with b = 25: 10/25 = 0.4, 20/25 = 0.8, 30/25 → 1
    assert score([10, 20, 30], "+", 25).tolist() == pytest.approx([0.4, 0.8, 1.0])
    # − with b = 100: 100/50 → 1, 100/100 = 1, 100/250 = 0.4; x ≤ 0 scores 1
    assert score([50, 100, 250, 0, -3], "−", 100).tolist() == pytest.approx([1, 1, 0.4, 1, 1])
    assert score([50, 100], "-", 100).tolist() == pytest.approx([1, 1])  # ASCII minus
    # min–max, all equal → 1; NaN stays NaN
    out = score([7.0, 7.0, np.nan], "+")
    assert out[:2].tolist() == [1.0, 1.0] and np.isnan(out[2])


def test_entropy_weights_by_hand():
    w = entropy_weights(scores(_values(), _table())[IND])
    assert w.tolist() == pytest.approx([W1, W1, W3], rel=1e-12)
    assert w.sum() == pytest.approx(1.0)
    # a constant indicator (all scores 1) carries no weight
    s = pd.DataFrame({"a": [0.0, 0.5, 1.0], "b": [1.0, 1.0, 1.0]})
    assert entropy_weights(s).tolist() == pytest.approx([1.0, 0.0])
    # nothing informative: equal weights over the indicators present
    s = pd.DataFrame({"a": [1.0, 1.0], "b": [1.0, 1.0], "c": [np.nan, np.nan]})
    assert entropy_weights(s).tolist() == pytest.approx([0.5, 0.5, 0.0])


def test_gdi_by_hand():
    s = scores(_values(), _table())
    g = gdi(s, _table())
    # A = 100·W3·1; B = 100(0.5 W1 + W1 + 0.75 W3) = 75 exactly (2 W1 + W3 = 1); C = 100·1.5 W1
    assert g["gdi"].tolist() == pytest.approx([100 * W3, 75.0, 150 * W1], rel=1e-12)
    assert g["gdi"].tolist() == pytest.approx([31.0250, 75.0, 51.7312], abs=1e-3)
    assert g["gdi_n"].tolist() == [3, 3, 3]
    assert (g["note"] == "").all()


def test_gdi_given_weights_and_missing_indicators():
    # weights 2, 1, 1 → 0.5, 0.25, 0.25
    t = _table(weights=("2", "1", "1"))
    v = _values()
    v.loc[2, "water_productivity"] = np.nan  # C lacks water: renormalise over energy and cod
    v = pd.concat([v, pd.DataFrame({"park_id": ["D"], "year": [2020], "energy_productivity": [20.0],
                                    "water_productivity": [np.nan], "cod_intensity": [np.nan]})],
                  ignore_index=True)
    s = scores(v, t)
    # water over A, B only: (100, 300) → (0, 1); energy (10,20,30,20) → (0, .5, 1, .5)
    g = gdi(s, t).set_index("park_id")
    assert g.loc["A", "gdi"] == pytest.approx(100 * (0.5 * 0 + 0.25 * 0 + 0.25 * 1))  # 25
    assert g.loc["B", "gdi"] == pytest.approx(100 * (0.5 * 0.5 + 0.25 * 1 + 0.25 * 0.75))  # 68.75
    # C: (0.5·1 + 0.25·0) / (0.5 + 0.25) = 2/3
    assert g.loc["C", "gdi"] == pytest.approx(100 * 0.5 / 0.75)
    assert g.loc["C", "gdi_n"] == 2 and "missing water_productivity" in g.loc["C", "note"]
    # D has 1 of 3 (fewer than half): no GDI, and a note says why
    assert np.isnan(g.loc["D", "gdi"]) and g.loc["D", "gdi_n"] == 1
    assert "fewer than half" in g.loc["D", "note"]
    w = gdi_weights(s, t)
    assert w["weight"].tolist() == pytest.approx([0.5, 0.25, 0.25])


def test_topsis_by_hand():
    s = scores(_values(), _table())[IND]
    w = pd.Series([W1, W1, W3], index=IND)
    c = topsis(s, w)
    # v = w·s; ideal (W1, W1, W3), anti-ideal (0, 0, 0)
    dp = [W1 * math.sqrt(2), math.hypot(0.5 * W1, 0.25 * W3), math.hypot(0.5 * W1, W3)]
    dm = [W3, math.sqrt(1.25 * W1**2 + 0.5625 * W3**2), W1 * math.sqrt(1.25)]
    expect = [m / (p + m) for p, m in zip(dp, dm, strict=True)]
    assert c.tolist() == pytest.approx(expect, rel=1e-12)
    assert c.tolist() == pytest.approx([0.388796, 0.704302, 0.520682], abs=1e-6)
    assert topsis_rank(c).tolist() == [3, 1, 2]
    # a park lacking an indicator gets none
    s2 = s.copy()
    s2.iloc[0, 1] = np.nan
    assert np.isnan(topsis(s2, w).iloc[0])
    # identical parks all sit at the ideal
    assert topsis(pd.DataFrame({"a": [0.5, 0.5]}), pd.Series({"a": 1.0})).tolist() == [1.0, 1.0]


def test_green_development_by_hand():
    out = green_development(_values(), _table())
    assert out["gdi"].tolist() == pytest.approx([100 * W3, 75.0, 150 * W1])
    assert out["topsis_rank"].tolist() == [3, 1, 2]
    assert list(out.columns) == ["park_id", "year", "gdi", "gdi_n", "topsis", "topsis_rank", "note"]


def test_years_are_scored_separately():
    v = pd.concat([_values(), _values().assign(year=2021, energy_productivity=[1.0, 2.0, 3.0])],
                  ignore_index=True)
    s = scores(v, _table())
    # 2021 energy (1,2,3) scores as 2020's (10,20,30): min–max within each year
    assert s.loc[s.year == 2021, "energy_productivity"].tolist() == [0.0, 0.5, 1.0]
    g = gdi(s, _table())
    assert g.loc[g.year == 2021, "gdi"].tolist() == pytest.approx([100 * W3, 75.0, 150 * W1])


def test_gdi_rejects_raw_values():
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        gdi(_values(), _table())
    v = _values().astype({"water_productivity": object})
    v.loc[1, "water_productivity"] = "n/a"
    with pytest.raises(InputError, match="n/a"):
        scores(v, _table())


def test_groups_by_hand():
    # GDI 20, 40, 60, 80, 100 → mean 60; above: 80 (mid), 100 (down)
    f = pd.DataFrame({
        "park_id": list("abcdef"), "year": [2020] * 6,
        "gdi": [20.0, 40.0, 60.0, 80.0, 100.0, np.nan],
        "region": ["upstream", "upstream", "midstream", "midstream", "downstream", "downstream"],
    })
    g = gdi_groups(f, "region").set_index("region")
    assert g.loc["upstream", ["n_parks", "gdi_mean", "n_above_mean"]].tolist() == [2, 30.0, 0]
    assert g.loc["midstream", "gdi_mean"] == 70.0
    assert g.loc["midstream", "share_above_mean"] == 0.5  # 1 of 2
    assert g.loc["downstream", "n_parks"] == 1  # f has no GDI
    assert g.loc["downstream", "share_above_mean"] == 1.0
    # the seed's split: of the parks above the mean, which region holds how many
    assert g["share_of_above_mean"].to_dict() == {"downstream": 0.5, "midstream": 0.5, "upstream": 0.0}
    assert g["share_of_above_mean"].sum() == pytest.approx(1.0)


# --------------------------------------------------------------------------- table


def test_shipped_table():
    t = read_gdi_table()
    assert set(t["indicator"]) == {"energy_productivity", "water_productivity", "cod_intensity",
                                   "cod_intensity_change", "co2_intensity"}
    assert dict(zip(t["indicator"], t["direction"], strict=True)) == {
        "energy_productivity": "+", "water_productivity": "+", "cod_intensity": "-",
        "cod_intensity_change": "-", "co2_intensity": "-"}
    # no benchmark value could be verified: min–max scoring, marked unverified
    assert t["benchmark"].isna().all() and (t["verified"] == "no").all()
    assert t["weight"].isna().all() and (t["source"].str.len() > 0).all()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"direction": ["+", "up", "−"]}, "direction"),
        ({"benchmark": ["", "-5", ""]}, "benchmark"),
        ({"weight": ["1", "", ""]}, "only some"),
        ({"weight": ["0", "0", "0"]}, "sum to 0"),
        ({"indicator": IND[:2] + IND[:1]}, "repeated"),
        ({"verified": ["yes", "maybe", "no"]}, "verified"),
    ],
)
def test_table_errors(change, message):
    t = _table()
    for k, v in change.items():
        t[k] = v
    with pytest.raises(ParameterError, match=message):
        check_gdi_table(t)


def test_user_table_replaces_shipped(tmp_path):
    p = tmp_path / "gdi.csv"
    _table(weights=("1", "1", "2")).to_csv(p, index=False)
    assert read_gdi_table(p)["weight"].tolist() == [1.0, 1.0, 2.0]
    with pytest.raises(ParameterError, match="no such file"):
        read_gdi_table(tmp_path / "absent.csv")


# --------------------------------------------------------------------------- properties

_values_st = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def _frames(draw, with_missing=True):
    n = draw(st.integers(2, 8))
    cols = {}
    for c in IND:
        vals = draw(st.lists(_values_st, min_size=n, max_size=n))
        if with_missing:
            miss = draw(st.lists(st.booleans(), min_size=n, max_size=n))
            vals = [np.nan if m else v for v, m in zip(vals, miss, strict=True)]
        cols[c] = vals
    df = pd.DataFrame({"park_id": [f"p{i}" for i in range(n)], "year": 2020, **cols})
    return df


@settings(max_examples=30, deadline=None)
@given(_frames())
def test_properties_weights_gdi_range(v):
    s = scores(v, _table())
    x = s[IND].to_numpy(dtype=float)
    assert np.all((x[~np.isnan(x)] >= 0) & (x[~np.isnan(x)] <= 1))
    if s[IND].notna().any().any():
        w = gdi_weights(s, _table())
        assert w["weight"].sum() == pytest.approx(1.0)
        assert (w["weight"] >= 0).all()
    g = gdi(s, _table())
    vals = g["gdi"].dropna()
    assert ((vals >= 0) & (vals <= 100)).all()
    # every empty GDI says why
    assert (g.loc[g["gdi"].isna(), "note"] != "").all()


@settings(max_examples=30, deadline=None)
@given(_frames(with_missing=False))
def test_properties_topsis_range(v):
    out = green_development(v, _table())
    assert ((out["topsis"] >= 0) & (out["topsis"] <= 1)).all()
    assert out["topsis_rank"].min() == 1


@settings(max_examples=30, deadline=None)
@given(_frames(with_missing=False), st.floats(1e-3, 1e3), st.sampled_from(IND))
def test_ranks_invariant_to_scaling_an_indicator(v, factor, col):
    a = green_development(v, _table())
    scaled = v.copy()
    scaled[col] = scaled[col] * factor
    b = green_development(scaled, _table())
    assert a["topsis_rank"].tolist() == b["topsis_rank"].tolist()
    assert np.allclose(a["gdi"], b["gdi"], equal_nan=True, atol=1e-9)
    ra = a["gdi"].rank(method="min").tolist()
    rb = b["gdi"].rank(method="min").tolist()
    assert ra == rb


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.floats(0, 1), min_size=3, max_size=3), min_size=1, max_size=10))
def test_entropy_weights_sum_to_one(rows):
    w = entropy_weights(pd.DataFrame(rows, columns=IND))
    assert w.sum() == pytest.approx(1.0) and (w >= 0).all()
