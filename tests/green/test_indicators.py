"""Indicator building blocks: overlaps counted once, geodesic lengths, points on borders, population sums."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import LineString, Point, box

from ecozone.errors import InputError
from ecozone.green.indicators import (
    aggregate,
    area_by_unit,
    cascade_population,
    indicator_frame,
    length_by_unit,
    point_unit,
    residential_pieces,
    served_by_buffer,
)
from ecozone.inputs.units import build_units

U = np.array([box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)])


def test_overlapping_polygons_count_once_and_split_by_units():
    polys = [box(900, 0, 1100, 100), box(950, 0, 1100, 100)]  # union 200 × 100, half in each unit
    np.testing.assert_allclose(area_by_unit(U, polys), [10_000.0, 10_000.0])
    assert area_by_unit(U, []).tolist() == [0.0, 0.0]


def test_lengths_are_geodesic():
    # one degree of longitude along the equator, clipped from a 2° line (coordinates in degrees)
    crs = "EPSG:4326"
    unit = np.array([box(100.0, -1.0, 101.0, 1.0)])
    km = length_by_unit(unit, [LineString([(99.5, 0.0), (101.5, 0.0)])], crs)
    want = Geod(ellps="WGS84").inv(100.0, 0.0, 101.0, 0.0)[2] / 1e3
    assert km[0] == pytest.approx(want, rel=1e-9)  # 111.32 km
    # overlapping lines count once
    km2 = length_by_unit(unit, [LineString([(100.0, 0.0), (100.5, 0.0)]), LineString([(100.2, 0.0), (100.7, 0.0)])],
                         crs)
    assert km2[0] == pytest.approx(Geod(ellps="WGS84").inv(100.0, 0.0, 100.7, 0.0)[2] / 1e3, rel=1e-9)


def test_points_on_a_shared_border_go_to_one_unit():
    pts = [Point(1000, 500), Point(10, 10), Point(5000, 5000)]
    assert point_unit(U, pts).tolist() == [0, 0, -1]


def test_mixed_residential_kinds_are_refused():
    with pytest.raises(InputError, match="mixes 1 polygon"):
        residential_pieces(U, [box(0, 0, 10, 10), Point(5, 5)])


@settings(max_examples=30, deadline=None)
@given(x=st.floats(0, 2000), y=st.floats(0, 1000), d=st.floats(1, 800))
def test_buffer_share_of_a_point_is_its_distance_test(x, y, d):
    park = box(0, 0, 400, 500)
    parts = residential_pieces(U, [Point(x, y)])
    served = served_by_buffer(parts, [park], d)
    dist = park.distance(Point(x, y))
    if abs(dist - d) > 1e-6:
        assert served.tolist() == ([1.0] if dist <= d else [0.0])


def _units():
    g = gpd.GeoDataFrame({"unit_id": ["a", "b", "c"], "name": ["A", "B", "C"], "city": ["X", "X", "Y"]},
                         geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)], crs="EPSG:4326")
    return build_units(g, levels={"county": "unit_id", "city": "city"}, area_crs="EPSG:32650")


def test_population_sums_members_only_when_all_are_known():
    u = _units()
    e = pd.DataFrame({"unit_id": ["a", "b", "c", "a", "c", "Y"], "year": [2020, 2020, 2020, 2015, 2015, 2015],
                      "population": [1.0, 2.0, 3.0, 5.0, 7.0, 100.0]})
    pop = cascade_population(e, u)
    assert pop["city"][("X", 2020)] == 3.0
    assert ("X", 2015) not in pop["city"].index       # b is missing in 2015: no partial sum
    assert pop["city"][("Y", 2015)] == 100.0           # given for the city: wins over its member's 7
    assert pop["city"][("Y", 2020)] == 3.0


def test_aggregate_and_ratios():
    u = _units()
    sums = pd.DataFrame({"redline_km2": [1.0, 0.0, 2.0], "res_total": [1.0, 0.0, 0.0],
                         "res_served_buffer": [1.0, 0.0, 0.0]}, index=pd.Index(["a", "b", "c"]))
    up = aggregate(sums, u.membership("city"))
    assert up.loc["X", "redline_km2"] == 1.0 and up.loc["Y", "redline_km2"] == 2.0
    f = indicator_frame(pd.DataFrame({"area_km2": [4.0, 0.0], "redline_km2": [1.0, 0.0],
                                      "res_total": [0.0, 2.0], "res_served_buffer": [0.0, 1.0]}))
    assert f["redline_share"].tolist()[0] == 0.25 and np.isnan(f["redline_share"][1])   # zero area
    assert np.isnan(f["park_service_share_buffer"][0]) and f["park_service_share_buffer"][1] == 0.5
    assert f["park_green_per_capita"].isna().all()   # inputs not given
