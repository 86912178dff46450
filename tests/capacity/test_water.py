"""Water excess index (eq. 3–6), pooling, TN at rivers, bad input."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecozone.capacity.hierarchy import Hierarchy
from ecozone.capacity.standards import water_limits
from ecozone.capacity.state import classify_state
from ecozone.capacity.water import (
    check_water,
    section_index,
    water_index_by_level,
    water_pollutant_index,
)
from ecozone.errors import InputError

COLS = ["section_id", "unit_id", "year", "waterbody", "target_class", "pollutant", "value"]


def table(rows):
    return pd.DataFrame(rows, columns=COLS)


def hierarchy():
    finest = pd.DataFrame({"unit_id": ["a", "b", "c"], "city": ["X", "X", "Y"]})
    return Hierarchy.from_finest(finest, ["county", "city"])


ROWS = [
    # S1, river, class III: COD 30/20 − 1 = 0.5; NH3-N 0.5/1 − 1 = −0.5; TP 0.1/0.2 − 1 = −0.5 → section 0.5
    ("S1", "a", 2016, "river", "III", "COD", 30.0),
    ("S1", "a", 2016, "river", "III", "NH3-N", 0.5),
    ("S1", "a", 2016, "river", "III", "TP", 0.1),
    # S2, lake, class II: COD 9/15 − 1 = −0.4; TP 0.05/0.025 − 1 = 1.0; TN 0.25/0.5 − 1 = −0.5 → section 1.0
    ("S2", "a", 2016, "lake", "II", "COD", 9.0),
    ("S2", "a", 2016, "lake", "II", "TP", 0.05),
    ("S2", "a", 2016, "lake", "II", "TN", 0.25),
    # S3 in b, river, class II: COD 6/15 − 1 = −0.6; TN 0.6 (lake limit 0.5 → 0.2) → section 0.2
    ("S3", "b", 2016, "river", "II", "COD", 6.0),
    ("S3", "b", 2016, "river", "II", "TN", 0.6),
]


def run(rows, tn_rivers="lake_limits"):
    w = check_water(table(rows))
    p, left = water_pollutant_index(w, water_limits(tn_rivers=tn_rivers))
    s = section_index(p)
    u, pol = water_index_by_level(p, s, hierarchy())
    return p, s, u, pol, left


def test_eq3_to_eq6_by_hand():
    p, s, u, pol, left = run(ROWS)
    r = p.set_index(["section_id", "pollutant"])["r"]
    assert r[("S1", "COD")] == pytest.approx(0.5)
    assert r[("S2", "TP")] == pytest.approx(1.0)
    assert r[("S3", "TN")] == pytest.approx(0.2)
    assert s.set_index("section_id")["r_section"].to_dict() == pytest.approx({"S1": 0.5, "S2": 1.0, "S3": 0.2})
    ua = u.set_index(["level", "unit_id"])
    assert ua.loc[("county", "a"), "r_water"] == pytest.approx((0.5 + 1.0) / 2)  # eq. 6
    assert ua.loc[("county", "a"), "n_sections"] == 2
    # pooled at the city: the three sections of a and b
    assert ua.loc[("city", "X"), "r_water"] == pytest.approx((0.5 + 1.0 + 0.2) / 3)
    assert ua.loc[("city", "X"), "n_sections"] == 3
    # eq. 4 per pollutant over the sections measuring it
    pa = pol[(pol["level"] == "county") & (pol["unit_id"] == "a")].set_index("pollutant")
    assert pa.loc["COD", "r"] == pytest.approx((0.5 - 0.4) / 2)
    assert pa.loc["TP", "r"] == pytest.approx((-0.5 + 1.0) / 2)
    assert pa.loc["NH3-N", "r"] == pytest.approx(-0.5) and pa.loc["NH3-N", "n_sections"] == 1
    assert ua.loc[("county", "a"), "water_primary"] == "TP"
    assert len(left) == 0
    assert "Y" not in set(u["unit_id"])  # no sections there


def test_tn_at_rivers_skipped_by_parameter():
    p, s, u, pol, left = run(ROWS, tn_rivers="skip")
    assert ((p["section_id"] == "S3") & (p["pollutant"] == "TN")).sum() == 0
    assert len(left) == 1 and left.iloc[0]["section_id"] == "S3"
    assert s.set_index("section_id").loc["S3", "r_section"] == pytest.approx(-0.6)
    x = u.set_index(["level", "unit_id"]).loc[("city", "X"), "r_water"]
    assert x == pytest.approx((0.5 + 1.0 - 0.6) / 3)
    # lake TN is rated either way
    assert ((p["section_id"] == "S2") & (p["pollutant"] == "TN")).sum() == 1


def test_do_is_not_less_than():
    # DO class III limit 5: C = 4 → 5/4 − 1 = 0.25 (worse when lower)
    p, *_ = run([("S9", "a", 2016, "river", "III", "DO", 4.0)])
    assert p["r"].iloc[0] == pytest.approx(0.25)


@pytest.mark.parametrize(
    "value, state",
    [
        (20.0, "critical"),  # R = 0 exactly
        (14.0, "non-overload"),  # 14/20 − 1 = −0.3 exactly (−0.30000000000000004 in binary)
        (14.01, "critical"),
        (20.01, "overload"),
    ],
)
def test_water_threshold_boundaries(value, state):
    _, _, u, _, _ = run([("S1", "a", 2016, "river", "III", "COD", value)])
    r = u[u["level"] == "county"]["r_water"]
    assert classify_state(r, -0.3)[0] == state


def test_class_and_waterbody_aliases():
    w = check_water(table([("S1", "a", 2016, "reservoir", "Ⅲ", "cod", 10.0), ("S2", "a", 2016, "river", 2, "TP", 0.1)]))
    assert w["target_class"].tolist() == ["III", "II"]
    assert w["waterbody"].tolist() == ["lake", "river"]
    assert w["pollutant"].tolist() == ["COD", "TP"]


@pytest.mark.parametrize(
    "row, column, words",
    [
        (("S1", "a", 2016, "river", "", "COD", 10.0), "target_class", "no target class"),
        (("S1", "a", 2016, "river", None, "COD", 10.0), "target_class", "no target class"),
        (("S1", "a", 2016, "river", "VI", "COD", 10.0), "target_class", "unknown target class"),
        (("S1", "a", 2016, "sea", "II", "COD", 10.0), "waterbody", "unknown waterbody"),
        (("S1", "a", 2016, "river", "II", "Hg", 0.1), "pollutant", "unknown water pollutant"),
        (("S1", "a", 2016, "river", "II", "COD", -1.0), "value", "negative"),
        (("S1", "a", 2016, "river", "II", "COD", "12 mg/L"), "value", "not a number"),
    ],
)
def test_bad_water_input(row, column, words):
    ok = ("S0", "a", 2016, "river", "II", "COD", 10.0)
    with pytest.raises(InputError) as e:
        check_water(table([ok, row]))
    err = e.value
    assert words in err.what
    assert "table 'water'" in err.where and f"column '{column}'" in err.where and "row 3" in err.where
    assert err.fix


def test_section_changing_class_within_a_year_is_an_error():
    rows = [("S1", "a", 2016, "river", "II", "COD", 10.0), ("S1", "a", 2016, "river", "III", "TP", 0.1)]
    with pytest.raises(InputError) as e:
        check_water(table(rows))
    assert "target_class" in e.value.where


def test_section_of_unknown_unit_is_an_error():
    w = check_water(table([("S1", "zz", 2016, "river", "II", "COD", 10.0)]))
    p, _ = water_pollutant_index(w, water_limits())
    with pytest.raises(InputError) as e:
        water_index_by_level(p, section_index(p), hierarchy())
    assert "zz" in e.value.what


pollutant = st.sampled_from(["COD", "NH3-N", "TN", "TP", "CODMn", "BOD5"])
value = st.floats(min_value=0.001, max_value=100, allow_nan=False)
section = st.tuples(
    st.sampled_from(["river", "lake"]),
    st.sampled_from(["I", "II", "III", "IV", "V"]),
    st.dictionaries(pollutant, value, min_size=1),
)


def rows_of(sections):
    rows = []
    for k, (wb, cls, vals) in enumerate(sections):
        for pol, v in vals.items():
            rows.append((f"S{k}", "a", 2016, wb, cls, pol, v))
    return rows


def area_r(rows, limits=None):
    w = check_water(table(rows))
    p, _ = water_pollutant_index(w, water_limits() if limits is None else limits)
    u, _ = water_index_by_level(p, section_index(p), hierarchy())
    return u.set_index(["level", "unit_id"]).loc[("county", "a"), "r_water"]


@settings(max_examples=50, deadline=None)
@given(sections=st.lists(section, min_size=1, max_size=4), pick=st.integers(0, 100),
       bump=st.floats(min_value=0, max_value=50))
def test_raising_a_water_concentration_never_lowers_the_index(sections, pick, bump):
    rows = rows_of(sections)
    i = pick % len(rows)
    higher = list(rows)
    r = list(higher[i])
    r[-1] = r[-1] + bump
    higher[i] = tuple(r)
    assert area_r(higher) >= area_r(rows) - 1e-12


@settings(max_examples=50, deadline=None)
@given(sections=st.lists(section, min_size=1, max_size=4), k=st.floats(min_value=1e-3, max_value=1e3))
def test_scaling_water_concentrations_and_limits_leaves_index_unchanged(sections, k):
    rows = rows_of(sections)
    scaled = [(*r[:-1], r[-1] * k) for r in rows]
    lim = water_limits()
    lim_k = lim.assign(limit=lim["limit"] * k)
    assert area_r(scaled, lim_k) == pytest.approx(area_r(rows), rel=1e-9, abs=1e-12)
