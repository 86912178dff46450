"""Ids, lookups up the hierarchy and links between levels: the per-distinct-value
shortcuts give what value-by-value mapping gives."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecozone.capacity._checks import ids, map_distinct
from ecozone.capacity.hierarchy import Hierarchy, _members

sys.path.insert(0, str(Path(__file__).parents[1]))


def test_ids_of_numbers_text_and_mixed_columns():
    assert ids(pd.Series([101.0, np.nan, 102.0, 101.0])).tolist() == ["101", "", "102", "101"]
    assert ids(pd.Series([" 7 ", None, "A1", " 7 "], dtype="str")).tolist() == ["7", "", "A1", "7"]
    # an object column is mapped value by value: 1, 1.0 and True are equal keys but different ids
    assert ids(pd.Series([1, 1.0, True, "1 ", 2.5], dtype=object)).tolist() == ["1", "1", "True", "1", "2.5"]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["a", " b", "c ", "Ⅲ", "3.0"])), max_size=30))
def test_map_distinct_is_map(values):
    s = pd.Series(values, dtype="str")
    f = lambda v: f"<{v}>"  # noqa: E731
    assert map_distinct(s, f).tolist() == s.map(f).astype(object).tolist()


def hier():
    finest = pd.DataFrame({"unit_id": list("abcde"), "city": ["C1", "C1", "C2", "C3", ""],
                           "agglomeration": ["G1", "G1", "G1", "", ""]})
    return Hierarchy.from_finest(finest, ["county", "city", "agglomeration"])


def test_up_and_to_level_by_hand():
    h = hier()
    assert h.up(["a", "c", "a", "e", "zz"], "county", "agglomeration").tolist() == ["G1", "G1", "G1", "", ""]
    assert h.up(["C1", "C3", "C1"], "city", "agglomeration").tolist() == ["G1", "", "G1"]
    got = h.to_level(pd.Series(["a", "C2", "G1", "unknown", None, "d", "a"]), "agglomeration")
    assert got.tolist() == ["G1", "G1", "G1", "", "", "", "G1"]
    assert h.to_level(pd.Series(["G1", "a"]), "city").tolist() == ["", "C1"]  # G1 is above the city level


def test_links_from_units_are_units_members():
    from ecozone.inputs.units import Units, build_units
    from ecozone.study import DEFAULT_AREA_CRS

    from small_study import counties

    units = build_units(counties(), levels={"county": "unit_id", "city": "city_id", "agglomeration": "agglo_id"},
                        area_crs=DEFAULT_AREA_CRS)
    h = Hierarchy.from_units(units)
    for lv in units.levels[1:]:
        pd.testing.assert_series_equal(h.links[lv], units.members(units.parents[lv], lv))
    # a county layer whose city C1 spans two agglomerations: the most common one, as Units.members says
    f = units.finest.copy()
    f.loc[f["unit_id"] == "103", "agglomeration"] = "AX"
    odd = Units(levels=units.levels, parents=units.parents, finest=f, frame=units.frame,
                area_crs=units.area_crs)
    got = _members(odd, "city", "agglomeration")
    pd.testing.assert_series_equal(got, odd.members("city", "agglomeration"))
    assert got["C1"] == "AG"


@pytest.mark.parametrize("level", ["city", "agglomeration"])
def test_to_level_is_elementwise(level):
    h = hier()
    rng = np.random.default_rng(0)
    pool = np.array(["a", "b", "c", "d", "e", "C1", "C2", "C3", "G1", "x"], dtype=object)
    ids_ = pool[rng.integers(0, len(pool), 200)]
    one_by_one = [h.to_level(pd.Series([i]), level)[0] for i in ids_]
    assert h.to_level(pd.Series(ids_), level).tolist() == one_by_one
