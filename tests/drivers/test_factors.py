"""The factors of the geographical detector: slope (Horn), terrain means, land-use shares, economy, the user's table.

Hand-derived values: a plane's slope (arctan of its gradient; at a grid corner
the edge rule gives arctan(s·√10/8)), the ellipsoid's cell widths, class
shares of hand-drawn rasters, densities and GDP-weighted shares of a
three-unit hierarchy.
"""

from __future__ import annotations

import dask.array as dsa
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pyproj import CRS
from shapely.geometry import box

from ecozone.drivers.factors import (
    FACTORS,
    economy_factors,
    landuse_shares,
    terrain_factors,
    user_factors,
)
from ecozone.errors import InputError
from ecozone.grid import Grid
from ecozone.inputs.rasters import cell_size_m, slope_degrees, slope_horn
from ecozone.inputs.tables import load_table
from ecozone.landcover import load_classes
from ecozone.zonal import zonal_weights

# WGS 84
A, F = 6378137.0, 1 / 298.257223563
E2 = F * (2 - F)


def _projected(h: int, w: int, res: float = 10.0) -> Grid:
    return Grid(CRS.from_epsg(32650), Affine(res, 0, 500000.0, 0, -res, 3300000.0), h, w)


# --------------------------------------------------------------------------- slope


def test_slope_of_a_plane_and_at_a_corner():
    g = _projected(6, 7, 30.0)
    yy, xx = np.mgrid[0:6, 0:7]
    z = 0.1 * 30.0 * xx + 0.05 * 30.0 * yy  # gradient 0.1 east, 0.05 south
    s = slope_horn(z, 30.0, 30.0)
    inner = np.degrees(np.arctan(np.hypot(0.1, 0.05)))
    np.testing.assert_allclose(s[1:-1, 1:-1], inner, rtol=1e-12)
    # corner: missing neighbours take the centre's value: gx = 3s/8, gy = s/8 for a plane z = s·x
    east = slope_horn(0.2 * 30.0 * xx, 30.0, 30.0)
    assert east[0, 0] == pytest.approx(np.degrees(np.arctan(0.2 * np.sqrt(10) / 8)), rel=1e-12)
    # the lazy version, chunked oddly, is the same everywhere (edges included)
    lazy = slope_degrees(xr.DataArray(dsa.from_array(z, chunks=(4, 3)), dims=("y", "x")), g).values
    np.testing.assert_allclose(lazy, s, rtol=1e-6)


def test_cell_sizes_on_the_ellipsoid():
    one_deg = Grid(CRS.from_epsg(4326), Affine(1.0, 0, 0.0, 0, -1.0, 0.5), 1, 1)  # a cell centred on the equator
    dx, dy = cell_size_m(one_deg)
    assert dx[0] == pytest.approx(A * np.pi / 180 * np.cos(np.radians(0.0)), rel=1e-4)  # 111 319.5 m
    assert dy[0] == pytest.approx(A * (1 - E2) * np.pi / 180, rel=1e-4)  # 110 574.3 m
    assert cell_size_m(_projected(3, 3, 25.0))[0].tolist() == [25.0, 25.0, 25.0]


def test_slope_on_a_geographic_grid_uses_metres_of_each_row():
    res, step = 0.02, 30.0
    g = Grid(CRS.from_epsg(4326), Affine(res, 0, 112.98, 0, -res, 30.22), 13, 18)
    z = 100.0 + step * np.mgrid[0:13, 0:18][1]
    s = slope_degrees(xr.DataArray(dsa.from_array(z.astype("float32"), chunks=5), dims=("y", "x")), g).values
    phi = np.radians(30.22 - res * (np.arange(13) + 0.5))
    width = A / np.sqrt(1 - E2 * np.sin(phi) ** 2) * np.cos(phi) * np.radians(res)  # N(φ)·cos φ·Δλ
    want = np.degrees(np.arctan(step / width))
    np.testing.assert_allclose(s[1:-1, 1:-1], np.repeat(want[1:-1, None], 16, axis=1), rtol=1e-5)


@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(3, 9), st.integers(3, 9)),
              elements=st.floats(-500, 5000, allow_nan=False)), st.floats(-1000, 1000))
def test_slope_properties(z, shift):
    s = slope_horn(z, 30.0, 25.0)
    assert np.all((s >= 0) & (s < 90))
    np.testing.assert_allclose(slope_horn(z + shift, 30.0, 25.0), s, atol=1e-6)  # a datum shift changes nothing
    np.testing.assert_allclose(slope_horn(-z, 30.0, 25.0), s, atol=1e-9)  # nor does turning the relief over
    np.testing.assert_allclose(slope_horn(z[:, ::-1], 30.0, 25.0), s[:, ::-1], atol=1e-9)


def test_slope_is_nan_only_where_the_dem_is():
    z = np.full((5, 5), 100.0)
    z[2, 2] = np.nan
    s = slope_horn(z, 10.0, 10.0)
    assert np.isnan(s[2, 2]) and np.isfinite(np.delete(s.ravel(), 12)).all()
    assert np.nanmax(s) == 0.0


# --------------------------------------------------------------------------- zonal factors


def _two_units(grid: Grid):
    import geopandas as gpd

    x0, y0 = grid.transform.c, grid.transform.f
    a = box(x0, y0 - 40, x0 + 20, y0)  # columns 0-1 of a 4 x 4 grid of 10 m cells
    b = box(x0 + 20, y0 - 40, x0 + 40, y0)  # columns 2-3
    units = gpd.GeoDataFrame({"unit_id": ["A", "B"]}, geometry=[a, b], crs=grid.crs)
    return zonal_weights(units, "unit_id", grid)


def test_landuse_shares_by_hand():
    g = _projected(4, 4)
    lc = np.array([[1, 1, 17, 17],
                   [1, 12, 13, 255],
                   [12, 12, 13, 255],
                   [4, 12, 17, 99]], dtype=np.uint8)  # 255 = IGBP fill, 99 = not a class of the table
    out = landuse_shares(_two_units(g), lc, load_classes("igbp")).set_index("unit_id")
    # A: forest 1, 1, 1, 4 (4 cells), cropland 12 x 4; B: water 3, built 2 (255 and 99 count in no group)
    assert out.loc["A", "share_forest"] == pytest.approx(0.5)
    assert out.loc["A", "share_cropland"] == pytest.approx(0.5)
    assert out.loc["B", "share_water"] == pytest.approx(3 / 5)
    assert out.loc["B", "share_built"] == pytest.approx(2 / 5)
    assert out.loc["B", "share_forest"] == 0.0
    assert set(out.columns) == {"share_forest", "share_water", "share_cropland", "share_built"}
    lazy = landuse_shares(_two_units(g), xr.DataArray(dsa.from_array(lc, chunks=3), dims=("y", "x")),
                          load_classes("igbp")).set_index("unit_id")
    pd.testing.assert_frame_equal(lazy, out)


def test_terrain_means_are_area_weighted_and_aggregate_to_upper_units():
    g = _projected(4, 4)
    z = np.tile(np.array([10.0, 20.0, 30.0, np.nan]), (4, 1))
    s = np.ones((4, 4))
    w = _two_units(g)
    out = terrain_factors(w, z, s).set_index("unit_id")
    assert out.loc["A", "elevation"] == pytest.approx(15.0)
    assert out.loc["B", "elevation"] == pytest.approx(30.0)  # the nodata column has no weight
    up = terrain_factors(w, z, s, pd.Series({"A": "U", "B": "U"})).set_index("unit_id")
    assert up.loc["U", "elevation"] == pytest.approx((10 + 20 + 30) / 3)
    assert up.loc["U", "slope"] == pytest.approx(1.0)


# --------------------------------------------------------------------------- economy


def test_economy_densities_complete_members_and_direct_rows():
    areas_fine = pd.Series({"1": 100.0, "2": 300.0, "3": 50.0})
    eco = pd.DataFrame({
        "unit_id": ["1", "2", "3", "1", "2", "C"],
        "year": [2020, 2020, 2020, 2015, 2015, 2015],
        "gdp": [1e9, 3e9, 5e9, 2e9, np.nan, 7e9],
        "population": [1e4, 3e4, 5e4, 1e4, 1e4, 9e4],
        "industry_share": ["0.4", "0.2", "—", "0.5", "0.5", "0.3"],
    })
    fine = economy_factors(eco, areas_fine).set_index(["unit_id", "year"])
    assert fine.loc[("1", 2020), "gdp_density"] == pytest.approx(1e7)  # CNY per km²
    assert fine.loc[("2", 2020), "population_density"] == pytest.approx(100.0)  # persons per km²
    assert np.isnan(fine.loc[("3", 2020), "industry_share"])  # a missing-value marker
    # city C = counties 1 and 2 (400 km²); county 3 belongs to no city
    membership = pd.Series({"1": "C", "2": "C", "3": ""})
    city = economy_factors(eco, pd.Series({"C": 400.0}), membership).set_index(["unit_id", "year"])
    assert city.loc[("C", 2020), "gdp_density"] == pytest.approx(4e9 / 400)
    assert city.loc[("C", 2020), "industry_share"] == pytest.approx((0.4 * 1e9 + 0.2 * 3e9) / 4e9)
    # 2015: county 2 lacks GDP, so no sum; the row given for the city itself wins
    assert city.loc[("C", 2015), "gdp_density"] == pytest.approx(7e9 / 400)
    assert city.loc[("C", 2015), "population_density"] == pytest.approx(9e4 / 400)
    assert city.loc[("C", 2015), "industry_share"] == pytest.approx(0.3)


def test_text_in_industry_share_names_unit_and_year():
    eco = pd.DataFrame({"unit_id": ["1"], "year": [2020], "gdp": [1.0], "population": [1.0],
                        "industry_share": ["high"]})
    with pytest.raises(InputError) as e:
        economy_factors(eco, pd.Series({"1": 1.0}), where="economy.csv")
    assert "unit 1, year 2020: industry_share = 'high'" in str(e.value) and e.value.where == "economy.csv"


# --------------------------------------------------------------------------- the user's table


def _read(tmp_path, text: str) -> pd.DataFrame:
    p = tmp_path / "factors.csv"
    p.write_text(text, encoding="utf-8")
    return load_table("factors", p, schema=FACTORS, unit_ids={"1", "2", "3"})


def test_factors_table_numbers_and_categories(tmp_path):
    t = _read(tmp_path, "unit_id,year,name,soil,organic_c\n1,2020,A,red,1.5\n2,2020,B,yellow,—\n3,2020,C,red,2\n")
    assert t["organic_c"].dtype == float and np.isnan(t["organic_c"][1]) and t["organic_c"][2] == 2.0
    assert t["soil"].tolist() == ["red", "yellow", "red"]
    assert user_factors(t, ["1", "3"]).columns.tolist() == ["unit_id", "year", "soil", "organic_c"]
    assert user_factors(t, ["1", "3"])["unit_id"].tolist() == ["1", "3"]


@pytest.mark.parametrize("text, words, fix", [
    ("unit_id,year,soil\n1,2020,1.5\n2,2020,red\n", "row 3, column 'soil'", "[drivers] categorical"),
    ("unit_id,year,gdp_per_cap\n1,2020,\"12,345\"\n2,2020,\"9,876\"\n", "'12,345'", "thousands separators"),
    ("unit_id,year\n1,2020\n", "no factor column", "one column per factor"),
])
def test_factors_table_errors_name_the_cell_and_the_fix(tmp_path, text, words, fix):
    with pytest.raises(InputError) as e:
        _read(tmp_path, text)
    assert words in str(e.value) and fix in e.value.fix and e.value.where.endswith("factors.csv")
