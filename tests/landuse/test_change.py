"""Land-use change (METHODS §6): a 3×3 raster pair by hand, exactextract, dask, properties."""

from __future__ import annotations

import dask.array as da
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rioxarray  # noqa: F401 - the .rio accessor
import xarray as xr
from affine import Affine
from exactextract import exact_extract
from exactextract.raster import NumPyRasterSource
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pyproj import CRS
from shapely.geometry import box

from ecozone import zonal
from ecozone.errors import InputError, ParameterError
from ecozone.grid import Grid
from ecozone.inputs.units import build_units
from ecozone.landcover import load_classes
from ecozone.landuse import (
    BUILT_CHANGE_NODATA,
    CHANGE_COLUMNS,
    LanduseParams,
    built_change,
    change_summary,
    sum_to_levels,
    transition_matrix,
)

UTM = CRS.from_epsg(32650)
X0, Y0 = 500_000.0, 3_003_000.0
GRID = Grid(UTM, Affine(1000.0, 0, X0, 0, -1000.0, Y0), 3, 3)  # 3 × 3 cells of 1 km²
IGBP = load_classes("igbp")

# IGBP: 1 forest, 10 grassland, 12 cropland, 13 built, 17 water, 255 fill (nodata)
LC_2015 = np.array([[12, 12, 13], [1, 12, 13], [17, 10, 255]], np.uint8)
LC_2020 = np.array([[13, 12, 13], [13, 1, 12], [17, 13, 13]], np.uint8)


def two_units():
    """U1 = the left 1.5 columns, U2 = the right 1.5 columns (the middle column is split), both in city C."""
    gdf = gpd.GeoDataFrame(
        {
            "uid": ["U1", "U2"],
            "name": ["U1", "U2"],
            "city": ["C", "C"],
            "geometry": [box(X0, Y0 - 3000, X0 + 1500, Y0), box(X0 + 1500, Y0 - 3000, X0 + 3000, Y0)],
        },
        crs=UTM,
    )
    return build_units(gdf, levels={"county": "uid", "city": "city"}, area_crs="EPSG:32650")


@pytest.fixture(autouse=True)
def _fresh_cache():
    zonal.clear_cache()
    yield
    zonal.clear_cache()


@pytest.fixture(scope="module")
def units():
    return two_units()


def weights_of(units):
    return zonal.zonal_weights(units.finest, "unit_id", GRID)


def as_dict(t):
    return {(r.unit_id, r.class_from, r.class_to): r.area_km2 for r in t.itertuples()}


HAND = {
    ("U1", 12, 13): 1.0, ("U1", 1, 13): 1.0, ("U1", 17, 17): 1.0,
    ("U1", 12, 12): 0.5, ("U1", 12, 1): 0.5, ("U1", 10, 13): 0.5,
    ("U2", 12, 12): 0.5, ("U2", 12, 1): 0.5, ("U2", 10, 13): 0.5,
    ("U2", 13, 13): 1.0, ("U2", 13, 12): 1.0,  # (2, 2) is 255 in 2015: left out
}


def test_transition_matrix_by_hand(units):
    t = transition_matrix(LC_2015, LC_2020, weights_of(units), nodata=255)
    assert list(t.columns) == ["unit_id", "class_from", "class_to", "area_km2"]
    assert t["class_from"].dtype == np.int64
    got = as_dict(t)
    assert got.keys() == HAND.keys()
    for k, v in HAND.items():
        assert got[k] == pytest.approx(v, rel=1e-12), k


def test_dask_and_xarray_give_the_same(units):
    w = weights_of(units)
    ref = as_dict(transition_matrix(LC_2015, LC_2020, w, nodata=255))
    a = da.from_array(LC_2015, chunks=(2, 2))
    b = da.from_array(LC_2020, chunks=(1, 3))  # other chunks: rechunked to a's
    got = as_dict(transition_matrix(a, b, w, nodata=255))
    assert got.keys() == ref.keys() and all(got[k] == pytest.approx(ref[k], rel=1e-12) for k in ref)
    xa = xr.DataArray(LC_2015, dims=("y", "x")).rio.write_nodata(255)
    xb = xr.DataArray(da.from_array(LC_2020, chunks=2), dims=("y", "x")).rio.write_nodata(255)
    got = as_dict(transition_matrix(xa, xb, w))  # nodata from the DataArrays
    assert got.keys() == ref.keys()


def test_change_summary_by_hand(units):
    t = transition_matrix(LC_2015, LC_2020, weights_of(units), nodata=255)
    s = change_summary(t, IGBP, units.frame, 2015, 2020).set_index("unit_id")
    assert list(s.columns) == ["year_from", "year_to", *CHANGE_COLUMNS]
    u1, u2 = s.loc["U1"], s.loc["U2"]
    assert (u1["year_from"], u1["year_to"]) == (2015, 2020)
    # U1: built 0 → 12→13 (1) + 1→13 (1) + 10→13 (0.5)
    assert u1["built_from_km2"] == 0.0 and u1["built_to_km2"] == pytest.approx(2.5)
    assert u1["built_gain_km2"] == pytest.approx(2.5) and u1["built_loss_km2"] == 0.0
    assert np.isnan(u1["built_rate"])  # from = 0
    assert u1["expansion_intensity"] == pytest.approx(2.5 / 4.5 / 5 * 100)
    # ecological land (forest 1, grassland 10, water 17): 1 + 1 + 0.5 → 1 (water) + 0.5 (12→1)
    assert u1["eco_from_km2"] == pytest.approx(2.5) and u1["eco_to_km2"] == pytest.approx(1.5)
    assert u1["eco_loss_km2"] == pytest.approx(1.5) and u1["eco_gain_km2"] == pytest.approx(0.5)
    assert u1["eco_to_built_km2"] == pytest.approx(1.5)
    assert u1["cropland_to_built_km2"] == pytest.approx(1.0)
    # U2: built 13→13 (1) + 13→12 (1) → 13→13 (1) + 10→13 (0.5)
    assert u2["built_from_km2"] == pytest.approx(2.0) and u2["built_to_km2"] == pytest.approx(1.5)
    assert u2["built_gain_km2"] == pytest.approx(0.5) and u2["built_loss_km2"] == pytest.approx(1.0)
    assert u2["built_rate"] == pytest.approx((1.5 / 2.0) ** (1 / 5) - 1)
    assert u2["expansion_intensity"] == pytest.approx(0.5 / 4.5 / 5 * 100)
    assert u2["eco_from_km2"] == pytest.approx(0.5) and u2["eco_to_km2"] == pytest.approx(0.5)
    assert u2["eco_loss_km2"] == pytest.approx(0.5) and u2["eco_gain_km2"] == pytest.approx(0.5)
    assert u2["eco_to_built_km2"] == pytest.approx(0.5) and u2["cropland_to_built_km2"] == 0.0
    # other ecological groups: cropland counted as ecological too
    s2 = change_summary(t, IGBP, units.frame, 2015, 2020, eco_groups=["forest", "cropland"]).set_index("unit_id")
    assert s2.loc["U1", "eco_from_km2"] == pytest.approx(1 + 1 + 0.5 + 0.5)  # 1, 12, 12, 12 → …


def test_upward_sums_and_summary_per_level(units):
    t = transition_matrix(LC_2015, LC_2020, weights_of(units), nodata=255)
    lv = sum_to_levels(t, units)
    assert set(lv["level"]) == {"county", "city"}
    city = lv[lv["level"] == "city"]
    assert city.set_index(["class_from", "class_to"]).loc[(12, 12), "area_km2"] == pytest.approx(1.0)
    assert city["area_km2"].sum() == pytest.approx(8.0)  # 9 cells, one without data
    s = change_summary(lv, IGBP, units.frame, 2015, 2020).set_index(["level", "unit_id"])
    c = s.loc[("city", "C")]
    assert c["built_from_km2"] == pytest.approx(2.0) and c["built_to_km2"] == pytest.approx(4.0)
    assert c["built_gain_km2"] == pytest.approx(3.0) and c["built_loss_km2"] == pytest.approx(1.0)
    assert c["built_rate"] == pytest.approx(2 ** 0.2 - 1)
    assert c["expansion_intensity"] == pytest.approx(3 / 9 / 5 * 100)
    # unit areas as a Series indexed by unit_id serve as well
    area = units.frame.set_index("unit_id")["area_km2"]
    s3 = change_summary(lv, IGBP, area, 2015, 2020).set_index(["level", "unit_id"])
    assert s3.loc[("city", "C"), "expansion_intensity"] == pytest.approx(c["expansion_intensity"])


def test_errors(units):
    w = weights_of(units)
    with pytest.raises(InputError, match="not the grid's"):
        transition_matrix(LC_2015[:2], LC_2020, w)
    bad = LC_2015.astype(float)
    bad[1, 1] = 3.5
    with pytest.raises(InputError, match=r"pixel \(row 1, column 1\)"):
        transition_matrix(bad, LC_2020, w)
    t = transition_matrix(LC_2015, LC_2020, w)  # 255 not declared: it is the IGBP fill class
    s = change_summary(t, IGBP, units.frame, 2015, 2020).set_index("unit_id")
    assert s.loc["U2", "built_to_km2"] == pytest.approx(1.5)  # 255 → 13 left out (nodata class)
    t2 = t.copy()
    t2.loc[0, "class_to"] = 99
    with pytest.raises(InputError, match=r"code\(s\) \[99\]"):
        change_summary(t2, IGBP, units.frame, 2015, 2020)
    with pytest.raises(ParameterError):
        change_summary(t, IGBP, units.frame, 2020, 2015)
    with pytest.raises(InputError, match="no area for unit U2"):
        change_summary(t, IGBP, units.frame[units.frame["unit_id"] != "U2"], 2015, 2020)


def test_built_change():
    expected = np.array([[1, 0, 0], [1, 0, 2], [0, 1, BUILT_CHANGE_NODATA]], np.uint8)
    got = built_change(LC_2015, LC_2020, [13], nodata=255)
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, expected)
    lazy = built_change(da.from_array(LC_2015, chunks=2), da.from_array(LC_2020, chunks=2), [13], nodata=255)
    assert isinstance(lazy, da.Array)
    np.testing.assert_array_equal(lazy.compute(), expected)
    x = xr.DataArray(
        da.from_array(LC_2015, chunks=2), dims=("y", "x"), coords={"y": [2.5, 1.5, 0.5], "x": [0.5, 1.5, 2.5]}
    ).rio.write_nodata(255)
    y = x.copy(data=da.from_array(LC_2020, chunks=2))
    res = built_change(x, y, [13])
    assert res.name == "built_change" and res.rio.nodata == BUILT_CHANGE_NODATA
    np.testing.assert_array_equal(res.values, expected)
    np.testing.assert_array_equal(res["y"].values, [2.5, 1.5, 0.5])
    f = LC_2015.astype("float32")
    f[0, 0] = np.nan
    assert built_change(f, LC_2020, [13])[0, 0] == BUILT_CHANGE_NODATA


def test_params():
    assert LanduseParams().eco_groups == ["forest", "shrub", "grassland", "wetland", "water"]
    with pytest.raises(ValueError):
        LanduseParams(eco_groups=["urban"])
    with pytest.raises(ValueError):
        LanduseParams(eco_groups=[])


def _random_units(rng, grid: Grid, n: int) -> gpd.GeoDataFrame:
    left, bottom, right, top = grid.bounds
    geoms = []
    for _ in range(n):
        x0, y0 = rng.uniform(left - 500, right - 800), rng.uniform(bottom - 500, top - 800)
        geoms.append(box(x0, y0, x0 + rng.uniform(700, 4000), y0 + rng.uniform(700, 4000)))
    return gpd.GeoDataFrame({"unit_id": [f"u{i}" for i in range(n)]}, geometry=geoms, crs=grid.crs)


CODES = np.array([1, 10, 12, 13, 17], np.uint8)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    arrays(np.uint8, (6, 7), elements=st.sampled_from(CODES.tolist())),
    arrays(np.uint8, (6, 7), elements=st.sampled_from(CODES.tolist() + [0])),
    st.integers(0, 2**31),
)
def test_property_rows_and_columns_sum_to_class_areas(a, b, seed):
    grid = Grid(UTM, Affine(1000.0, 0, X0, 0, -1000.0, Y0), 6, 7)
    units = _random_units(np.random.default_rng(seed), grid, 3)
    w = zonal.zonal_weights(units, "unit_id", grid)
    t = transition_matrix(a, b, w, nodata=0)  # 0 = no data in the second year
    valid = b != 0
    for code in CODES:
        z_from = zonal.zonal_reduce(w, ((a == code) & valid).astype("float64"), stats=("area_sum",))["area_sum"]
        z_to = zonal.zonal_reduce(w, ((b == code) & valid).astype("float64"), stats=("area_sum",))["area_sum"]
        rows = t[t["class_from"] == code].groupby("unit_id")["area_km2"].sum()
        cols = t[t["class_to"] == code].groupby("unit_id")["area_km2"].sum()
        np.testing.assert_allclose(rows.reindex(z_from.index, fill_value=0), z_from / 1e6, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(cols.reindex(z_to.index, fill_value=0), z_to / 1e6, rtol=1e-12, atol=1e-12)
    s = change_summary(t, IGBP, pd.Series(1e3, index=w.unit_ids.astype(str)), 2000, 2010)
    assert np.allclose(s["built_to_km2"] - s["built_from_km2"], s["built_gain_km2"] - s["built_loss_km2"])
    assert np.allclose(s["eco_to_km2"] - s["eco_from_km2"], s["eco_gain_km2"] - s["eco_loss_km2"])
    assert (s["eco_to_built_km2"] <= s["built_gain_km2"] + 1e-12).all()


def test_areas_as_exactextract_on_a_pair_code_raster():
    """Independent: exactextract's coverage-weighted ``frac`` of a pair-code raster × covered area."""
    rng = np.random.default_rng(11)
    grid = Grid(UTM, Affine(1000.0, 0, X0, 0, -1000.0, Y0), 12, 15)
    a = rng.choice(CODES, grid.shape)
    b = rng.choice(CODES, grid.shape)
    units = _random_units(rng, grid, 6)
    ours = as_dict(transition_matrix(a, b, zonal.zonal_weights(units, "unit_id", grid)))
    pair = a.astype("float64") * 256 + b
    left, bottom, right, top = grid.bounds
    src = NumPyRasterSource(pair, left, bottom, right, top, srs_wkt=UTM.to_wkt())
    res = exact_extract(src, units, ["unique", "frac", "count"], include_cols=["unit_id"], output="pandas")
    for r in res.itertuples():
        for code, frac in zip(r.unique, r.frac, strict=True):
            key = (r.unit_id, int(code) // 256, int(code) % 256)
            assert ours[key] == pytest.approx(frac * r.count * 1.0, rel=1e-6)  # 1 km² cells
    n_theirs = sum(len(u) for u in res["unique"])
    assert len(ours) == n_theirs


def test_true_cell_areas_on_a_geographic_grid():
    """On a lon/lat grid every row of cells has its own area: the transitions of a unit add up to its
    area inside the grid (the engine's exact coverage × ellipsoidal cell area), not to cells × a constant."""
    geo = Grid(CRS.from_epsg(4326), Affine(0.05, 0, 110.0, 0, -0.05, 40.0), 40, 30)
    rng = np.random.default_rng(5)
    a, b = rng.choice(CODES, geo.shape), rng.choice(CODES, geo.shape)
    units = gpd.GeoDataFrame(
        {"unit_id": ["n", "s"]}, geometry=[box(110.3, 39.0, 111.2, 39.93), box(110.3, 38.1, 111.2, 39.0)], crs=4326
    )
    w = zonal.zonal_weights(units, "unit_id", geo)
    t = transition_matrix(a, b, w)
    got = t.groupby("unit_id")["area_km2"].sum()
    np.testing.assert_allclose(got.to_numpy(), w.unit_area_m2().loc[got.index].to_numpy() / 1e6, rtol=1e-12)
    # the same boxes in degrees hold different km² (the northern one, 0.93° tall, is not 0.93/0.9 of the other)
    assert got["n"] / got["s"] == pytest.approx((0.93 / 0.9) * np.cos(np.radians(39.47)) / np.cos(np.radians(38.55)),
                                                rel=2e-3)
