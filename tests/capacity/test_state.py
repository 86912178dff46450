"""States, the comprehensive index (eq. 7), member shares and the majority rule."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecozone.capacity.hierarchy import Hierarchy
from ecozone.capacity.state import (
    classify_state,
    combine_state,
    comprehensive,
    majority,
    member_shares,
    shares_by_level,
)

O, C, N = "overload", "critical", "non-overload"  # noqa: E741

# METHODS §1.3, written out: either overloaded → overload; otherwise either critical → critical
TABLE = {
    (O, O): O, (O, C): O, (O, N): O,
    (C, O): O, (C, C): C, (C, N): C,
    (N, O): O, (N, C): C, (N, N): N,
}


@pytest.mark.parametrize("air, water", list(TABLE))
def test_state_rule_table(air, water):
    assert combine_state(air, water) == (TABLE[(air, water)], "air+water")


@pytest.mark.parametrize("s", [O, C, N])
def test_single_medium_decides_alone(s):
    assert combine_state(s, None) == (s, "air")
    assert combine_state(None, s) == (s, "water")
    assert combine_state(s, np.nan) == (s, "air")


def test_neither_medium():
    assert combine_state(None, None) == (None, "")


def test_classify_boundaries():
    assert list(classify_state([0.0, 1e-9, -0.2, -0.2 + 1e-9, -0.3], -0.2)) == [C, O, N, C, N]
    assert list(classify_state([0.0, -0.3, -0.3 + 1e-9, -0.31], -0.3)) == [C, N, C, N]
    assert classify_state([np.nan], -0.2)[0] is None


def test_eq7_and_state_from_states_not_from_r():
    # air −0.25 is non-overload (≤ −0.2); water −0.25 is critical (> −0.3): the state is critical
    df = comprehensive([-0.25, 0.1, np.nan, -0.5], [-0.25, np.nan, -0.4, -0.1],
                       [N, O, None, N], [C, None, N, C])
    assert df["r_total"].tolist() == pytest.approx([-0.25, 0.1, -0.4, -0.1])
    assert df["state"].tolist() == [C, O, N, C]
    assert df["media"].tolist() == ["air+water", "air", "water", "air+water"]


def test_majority_rule():
    # (n_overload, n_critical, n_assessed)
    assert list(majority([3, 2, 2, 1], [0, 0, 1, 2], [5, 4, 4, 4])) == [O, "tied", "tied", N]
    # critical counted as overload
    assert list(majority([1, 2], [2, 0], [4, 4], critical_as="overload")) == [O, "tied"]


def test_member_shares_by_hand():
    # the paper's "761 of 1069 districts (71.2 %)": here 3 of 4 members with data, 1 without
    states = pd.DataFrame(
        {"unit_id": ["a", "b", "c", "d"], "year": 2016, "state_air": [O, O, C, N],
         "state_water": [N, None, None, None], "state": [O, O, C, N]}
    )
    members = pd.Series({"a": "X", "b": "X", "c": "X", "d": "X", "e": "X"})
    sh = member_shares(states, members, member_level="county").set_index("medium")
    air = sh.loc["air"]
    assert (air["n_members"], air["n_assessed"], air["n_overload"], air["n_critical"], air["n_non_overload"]) == (
        5, 4, 2, 1, 1)
    assert air["share_overload"] == pytest.approx(50.0)
    assert air["state_majority"] == "tied"  # 2 of 4 overloaded, 2 of 4 not
    water = sh.loc["water"]
    assert water["n_assessed"] == 1 and water["share_non_overload"] == pytest.approx(100.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([O, C, N, None]), min_size=1, max_size=30))
def test_shares_sum_to_100(states):
    ids = [f"u{i}" for i in range(len(states))]
    df = pd.DataFrame({"unit_id": ids, "year": 2016, "state_air": states, "state_water": states, "state": states})
    members = pd.Series(["X" if i % 2 else "Y" for i in range(len(ids))], index=ids)
    sh = member_shares(df, members, member_level="county")
    if len(sh):
        total = sh[["share_overload", "share_critical", "share_non_overload"]].sum(axis=1)
        assert np.allclose(total, 100.0)
        assert (sh["n_overload"] + sh["n_critical"] + sh["n_non_overload"] == sh["n_assessed"]).all()


def test_shares_by_level_for_level_below_and_finest():
    finest = pd.DataFrame({"unit_id": ["a", "b", "c", "d"], "city": ["X", "X", "Y", "Y"], "agglo": ["G", "G", "G", "G"]})
    h = Hierarchy.from_finest(finest, ["county", "city", "agglo"])
    cap = pd.DataFrame(
        {"level": ["county"] * 4 + ["city"] * 2, "unit_id": ["a", "b", "c", "d", "X", "Y"], "year": 2016,
         "state_air": [O, O, O, N, O, N], "state_water": [None] * 6, "state": [O, O, O, N, O, N]}
    )
    sh = shares_by_level(cap, h)
    g = sh[(sh["level"] == "agglo") & (sh["medium"] == "total")].set_index("member_level")
    assert g.loc["city", "n_overload"] == 1 and g.loc["city", "state_majority"] == "tied"
    assert g.loc["county", "n_overload"] == 3 and g.loc["county", "state_majority"] == O
    assert g.loc["county", "share_overload"] == pytest.approx(75.0)
    x = sh[(sh["level"] == "city") & (sh["unit_id"] == "Y") & (sh["medium"] == "air")].iloc[0]
    assert x["member_level"] == "county" and x["n_members"] == 2 and x["state_majority"] == "tied"
