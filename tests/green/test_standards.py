"""The standards table (shipped and user's) and the pass/fail test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecozone.errors import ParameterError
from ecozone.green.standards import INDICATORS, assess, load_standards


def test_shipped_table_cites_and_states_the_standards():
    s = load_standards().set_index("indicator")
    pc = s.loc["park_green_per_capita"]
    # GB 55014-2021 §2.1.3: 人均公园绿地面积应大于8.0 m²/人 ("greater than")
    assert (pc["comparison"], pc["threshold"], pc["unit"]) == (">", 8.0, "m²/person")
    assert "GB 55014-2021" in pc["standard"] and pc["clause"] == "2.1.3" and pc["verified"] == "yes"
    for col in ("park_service_share_buffer", "park_service_share_network"):
        r = s.loc[col]
        assert (r["comparison"], r["threshold"], r["unit"]) == (">=", 0.9, "0–1")
        assert "GB/T 51346-2019" in r["standard"] and r["source"]
    assert set(s.index) <= set(INDICATORS)


def test_assess_at_the_thresholds():
    v = pd.DataFrame({"park_green_per_capita": [8.0, 8.0001, 7.9, np.nan],
                      "park_service_share_buffer": [0.9, 0.8999, 1.0, 0.0],
                      "forest_coverage": [0.5, 0.5, 0.5, 0.5]})
    got = assess(v, load_standards())
    assert got["pass_park_green_per_capita"].tolist()[:3] == [False, True, False]
    assert got["pass_park_green_per_capita"].isna().tolist() == [False, False, False, True]
    assert got["pass_park_service_share_buffer"].tolist() == [True, False, True, False]
    assert got["pass_forest_coverage"].isna().all()                  # no standard for it
    assert got["pass_park_service_share_network"].isna().all()        # no value for it
    assert list(got.columns) == [f"pass_{i}" for i in INDICATORS]


def test_user_table_in_percent_and_its_errors(tmp_path):
    p = tmp_path / "std.csv"
    p.write_text("indicator,comparison,threshold,unit,standard\nforest_coverage,>=,30,%,local plan\n"
                 "greenway_density,>=,500,m/km²,local plan\n", encoding="utf-8")
    s = load_standards(p).set_index("indicator")
    assert s.loc["forest_coverage", "threshold"] == pytest.approx(0.30)
    assert s.loc["greenway_density", "threshold"] == pytest.approx(0.5)
    got = assess(pd.DataFrame({"forest_coverage": [0.31, 0.29]}), load_standards(p))
    assert got["pass_forest_coverage"].tolist() == [True, False]
    for body, match in (
        ("forest_cover,>=,30,%\n", "unknown indicator 'forest_cover'"),
        ("forest_coverage,=>,30,%\n", "unknown comparison"),
        ("forest_coverage,>=,thirty,%\n", "not a number"),
        ("forest_coverage,>=,30,%\nforest_coverage,>=,40,%\n", "more than one standard"),
    ):
        p.write_text("indicator,comparison,threshold,unit\n" + body, encoding="utf-8")
        with pytest.raises(ParameterError, match=match) as e:
            load_standards(p)
        assert str(p) in str(e.value)
    with pytest.raises(ParameterError, match="not found"):
        load_standards(tmp_path / "missing.csv")


SHIPPED = load_standards()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=30))
def test_assess_is_the_comparison(values):
    got = assess(pd.DataFrame({"park_green_per_capita": values}), SHIPPED)
    assert got["pass_park_green_per_capita"].tolist() == [v > 8.0 for v in values]
