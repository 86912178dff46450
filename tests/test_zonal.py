"""Tests of ecozone.zonal against exactextract, hand-derived values and geodesic areas."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import dask.array as da
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import xarray as xr
from affine import Affine
from exactextract import exact_extract
from exactextract.raster import NumPyRasterSource
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import CRS, Geod

from ecozone import zonal
from ecozone.errors import InputError
from ecozone.grid import Grid

UTM = CRS.from_epsg(32650)
WGS84 = CRS.from_epsg(4326)

# projected: 30 × 20 cells of 10 m, upper-left (500000, 3400200)
PROJ_GRID = Grid(UTM, Affine(10.0, 0, 500000.0, 0, -10.0, 3400200.0), 20, 30)
# geographic: 30 × 20 cells of 0.01°, upper-left (110°E, 30.2°N)
GEO_GRID = Grid(WGS84, Affine(0.01, 0, 110.0, 0, -0.01, 30.2), 20, 30)


@pytest.fixture(autouse=True)
def _fresh_cache():
    zonal.clear_cache()
    yield
    zonal.clear_cache()


def awkward_units(grid: Grid) -> gpd.GeoDataFrame:
    """Partial pixels, a hole, a multipolygon, a sub-pixel polygon, one outside and one
    straddling the edge of the grid, in grid units (cells of size dx, dy)."""
    left, bottom, right, top = grid.bounds
    dx, dy = grid.res

    def P(coords):  # cell coordinates (col, row-from-bottom) -> grid CRS
        return [(left + c * dx, bottom + r * dy) for c, r in coords]

    tri = shapely.Polygon(P([(0.3, 0.7), (9.6, 2.2), (4.1, 8.9)]))
    holed = shapely.Polygon(
        P([(11.2, 1.1), (19.7, 1.4), (19.2, 9.6), (10.9, 9.3)]),
        [P([(13.3, 3.4), (16.6, 3.9), (15.1, 7.2)])],
    )
    multi = shapely.MultiPolygon(
        [
            shapely.Polygon(P([(21.5, 0.5), (27.5, 0.5), (27.5, 4.25), (21.5, 4.25)])),
            shapely.Polygon(P([(22.0, 12.0), (26.3, 11.1), (28.8, 17.7), (23.4, 18.2)])),
        ]
    )
    tiny = shapely.Polygon(P([(5.2, 14.3), (5.6, 14.35), (5.4, 14.8)]))
    outside = shapely.box(*[*P([(40, 40)])[0], *P([(45, 45)])[0]])
    straddle = shapely.Polygon(P([(-3.5, 11.0), (9.3, 12.2), (8.8, 23.7), (-1.0, 22.5)]))
    return gpd.GeoDataFrame(
        {"uid": ["tri", "holed", "multi", "tiny", "outside", "straddle"]},
        geometry=[tri, holed, multi, tiny, outside, straddle],
        crs=grid.crs,
    )


def random_stack(grid: Grid, bands: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.random((bands, *grid.shape)) * 100 + 1).astype(np.float32)


def ee_stats(data2d: np.ndarray, grid: Grid, units, nodata=None) -> pd.DataFrame:
    """exactextract's sum/mean/count over a 2-D array on the grid (GeoDataFrame input)."""
    left, bottom, right, top = grid.bounds
    rs = NumPyRasterSource(
        data2d, left, bottom, right, top, nodata=nodata, srs_wkt=grid.crs.to_wkt()
    )
    return exact_extract(rs, units, ["sum", "mean", "count"], output="pandas")


@pytest.mark.parametrize("grid", [PROJ_GRID, GEO_GRID], ids=["projected", "epsg4326"])
def test_matches_exactextract_on_awkward_polygons(grid):
    units = awkward_units(grid)
    data = random_stack(grid, 3)
    w = zonal.zonal_weights(units, "uid", grid)
    ours = zonal.zonal_reduce(w, data, stats=("sum", "cell_mean", "count"))
    for b in range(3):
        ee = ee_stats(data[b], grid, units)
        mine = ours.xs(b, level="band").loc[units["uid"]]
        np.testing.assert_allclose(mine["sum"], ee["sum"], rtol=1e-9, atol=0)
        np.testing.assert_allclose(mine["count"], ee["count"], rtol=1e-9, atol=0)
        np.testing.assert_allclose(mine["cell_mean"], ee["mean"], rtol=1e-9)  # NaN == NaN
    # entries sorted by cell, row_ptr delimiting rows
    assert (np.diff(w.cell) >= 0).all() and (w.coverage > 0).all()
    rows = w.cell // grid.width
    np.testing.assert_array_equal(np.searchsorted(rows, np.arange(grid.height + 1)), w.row_ptr)
    # the unit outside the grid: nothing, and a NaN mean by definition
    out = ours.xs("outside", level="unit_id")
    assert (out["sum"] == 0).all() and (out["count"] == 0).all() and out["cell_mean"].isna().all()
    assert w.uncovered() == ["outside"]
    # the sub-pixel polygon lies in one cell, with coverage = its area / cell area
    # (exactextract computes coverage fractions in float32)
    tiny = units.geometry.iloc[3]
    assert (w.unit_index == 3).sum() == 1
    cov = w.coverage[w.unit_index == 3][0]
    assert cov == pytest.approx(tiny.area / (grid.res[0] * grid.res[1]), rel=1e-6)


def test_hand_derived_rectangle_of_two_and_a_half_pixels():
    # 1 m cells; the rectangle covers cells (row 3, cols 1 and 2) fully and half of col 3
    grid = Grid(UTM, Affine(1.0, 0, 0.0, 0, -1.0, 4.0), 4, 5)
    rect = shapely.box(1.0, 0.0, 3.5, 1.0)
    units = gpd.GeoDataFrame({"id": ["r"]}, geometry=[rect], crs=UTM)
    data = np.zeros((4, 5))
    data[3, 1], data[3, 2], data[3, 3] = 2.0, 4.0, 10.0
    data[2, :] = 1000.0  # the row above must not count
    w = zonal.zonal_weights(units, "id", grid)
    assert sorted(zip(w.cell.tolist(), w.coverage.tolist(), strict=True)) == [
        (16, 1.0),
        (17, 1.0),
        (18, 0.5),
    ]
    r = zonal.zonal_reduce(w, data, stats=zonal.STATS).loc["r"]
    assert r["sum"] == pytest.approx(2 + 4 + 0.5 * 10)  # 11
    assert r["count"] == pytest.approx(2.5)
    assert r["area_m2"] == pytest.approx(2.5)
    assert r["area_sum"] == pytest.approx(11.0)  # value × m² with 1 m² cells
    assert r["mean"] == pytest.approx(11 / 2.5)
    assert r["cell_mean"] == pytest.approx(11 / 2.5)
    assert r["count_nodata"] == 0


def densified_cell(lon0, lat0, lon1, lat1, n=2000):
    """A graticule cell as a polygon whose parallels are densely sampled (for Geod)."""
    lons = np.linspace(lon0, lon1, n)
    lats = np.linspace(lat0, lat1, n)
    ring = (
        [(x, lat0) for x in lons]
        + [(lon1, y) for y in lats]
        + [(x, lat1) for x in lons[::-1]]
        + [(lon0, y) for y in lats[::-1]]
    )
    return shapely.Polygon(ring)


def test_area_weighted_mean_uses_true_cell_areas():
    # two cells of a coarse geographic grid, far apart in latitude: one on the
    # equator-ward row and one on the pole-ward row; values 1 and 3
    grid = Grid(WGS84, Affine(10.0, 0, 0.0, 0, -20.0, 80.0), 4, 1)  # rows 80-60-40-20-0°N
    units = gpd.GeoDataFrame(
        {"id": ["u"]},
        geometry=[shapely.MultiPolygon([shapely.box(0, 60, 10, 80), shapely.box(0, 0, 10, 20)])],
        crs=WGS84,
    )
    data = np.array([[1.0], [99.0], [99.0], [3.0]])
    geod = Geod(ellps="WGS84")
    a_north = abs(geod.geometry_area_perimeter(densified_cell(0, 60, 10, 80))[0])
    a_south = abs(geod.geometry_area_perimeter(densified_cell(0, 0, 10, 20))[0])
    w = zonal.zonal_weights(units, "id", grid)
    r = zonal.zonal_reduce(w, data, stats=zonal.STATS).loc["u"]
    assert r["area_m2"] == pytest.approx(a_north + a_south, rel=1e-6)
    assert r["mean"] == pytest.approx((1 * a_north + 3 * a_south) / (a_north + a_south), rel=1e-6)
    assert r["cell_mean"] == pytest.approx(2.0)  # exactextract's unweighted mean
    assert r["area_sum"] == pytest.approx(1 * a_north + 3 * a_south, rel=1e-6)


def test_unit_area_agrees_with_geodesic_area():
    # an irregular county-sized polygon on a fine geographic grid
    grid = Grid(WGS84, Affine(0.002, 0, 110.0, 0, -0.002, 31.0), 500, 500)
    poly = shapely.Polygon(
        [
            (110.13, 30.21),
            (110.71, 30.34),
            (110.93, 30.77),
            (110.52, 30.95),
            (110.41, 30.62),
            (110.08, 30.66),
        ]
    )
    poly = poly.difference(shapely.Point(110.5, 30.55).buffer(0.08))  # with a hole
    units = gpd.GeoDataFrame({"id": ["c"]}, geometry=[poly], crs=WGS84)
    w = zonal.zonal_weights(units, "id", grid)
    ours = w.unit_area_m2().loc["c"]
    # densify so that geodesic edges follow the straight lon/lat edges of the polygon
    geodesic = abs(Geod(ellps="WGS84").geometry_area_perimeter(shapely.segmentize(poly, 0.001))[0])
    assert ours == pytest.approx(geodesic, rel=2e-5)
    data = np.ones(grid.shape, np.float32)
    r = zonal.zonal_reduce(w, data).loc["c"]
    assert r["area_m2"] == pytest.approx(ours, rel=1e-12)
    assert r["area_sum"] == pytest.approx(ours, rel=1e-12)


def test_nodata_and_nan_are_excluded_and_counted():
    grid = Grid(UTM, Affine(1.0, 0, 0.0, 0, -1.0, 3.0), 3, 4)
    # covers rows 0-2 fully in cols 0-1, and half of col 2
    units = gpd.GeoDataFrame({"id": ["a"]}, geometry=[shapely.box(0, 0, 2.5, 3)], crs=UTM)
    data = np.arange(12, dtype=np.float64).reshape(3, 4) + 1.0
    data[0, 0] = -9999.0  # nodata, full coverage
    data[1, 2] = np.nan  # NaN, half coverage
    w = zonal.zonal_weights(units, "id", grid)
    r = zonal.zonal_reduce(w, data, stats=zonal.STATS, nodata=-9999.0).loc["a"]
    valid = [
        (0, 1, 1.0),
        (1, 0, 1.0),
        (1, 1, 1.0),
        (2, 0, 1.0),
        (2, 1, 1.0),
        (0, 2, 0.5),
        (2, 2, 0.5),
    ]
    expected_sum = sum(data[i, j] * c for i, j, c in valid)
    assert r["sum"] == pytest.approx(expected_sum)
    assert r["count"] == pytest.approx(6.0)
    assert r["count_nodata"] == pytest.approx(1.5)
    assert r["area_m2"] == pytest.approx(6.0)
    assert r["mean"] == pytest.approx(expected_sum / 6.0)
    ee = ee_stats(data, grid, units, nodata=-9999.0)
    assert r["sum"] == pytest.approx(ee["sum"][0], rel=1e-12)
    assert r["cell_mean"] == pytest.approx(ee["mean"][0], rel=1e-12)
    # a float32 raster whose nodata is given as a float64 number
    d32 = data.astype(np.float32)
    d32[0, 0] = np.float32(-3.4028234663852886e38)
    r32 = zonal.zonal_reduce(w, d32, nodata=-3.4028234663852886e38).loc["a"]
    assert r32["count_nodata"] == pytest.approx(1.5)
    # an integer raster
    di = np.where(np.isnan(data), -9999, data).astype(np.int16)
    ri = zonal.zonal_reduce(w, di, stats=("sum", "count_nodata"), nodata=-9999).loc["a"]
    assert ri["count_nodata"] == pytest.approx(1.5)
    assert ri["sum"] == pytest.approx(expected_sum - 0.0)
    # all-nodata unit: mean undefined, area 0
    rn = zonal.zonal_reduce(w, np.full(grid.shape, np.nan)).loc["a"]
    assert np.isnan(rn["mean"]) and rn["area_m2"] == 0 and rn["count_nodata"] == pytest.approx(7.5)


@pytest.mark.parametrize("grid", [PROJ_GRID, GEO_GRID], ids=["projected", "epsg4326"])
def test_dask_and_xarray_equal_numpy(grid):
    units = awkward_units(grid)
    data = random_stack(grid, 5, seed=7)
    data[1, 3:9, 4:12] = np.nan
    w = zonal.zonal_weights(units, "uid", grid)
    ref = zonal.zonal_reduce(w, data, stats=zonal.STATS)
    lazy = da.from_array(data, chunks=(2, 7, 11))  # windows not aligned with anything
    got = zonal.zonal_reduce(w, lazy, stats=zonal.STATS)
    pd.testing.assert_frame_equal(got, ref, rtol=1e-12)
    months = np.arange(1, 6)
    arr = xr.DataArray(
        lazy,
        dims=("month", "y", "x"),
        coords={"month": months, "y": grid.y_coords(), "x": grid.x_coords()},
    )
    gx = zonal.zonal_reduce(w, arr, stats=zonal.STATS)
    assert gx.index.names == ["unit_id", "month"]
    assert list(gx.index.get_level_values("month")[:5]) == list(months)
    np.testing.assert_allclose(gx.to_numpy(), ref.to_numpy(), rtol=1e-12)
    # a 2-D DataArray: indexed by unit only
    g2 = zonal.zonal_reduce(w, arr.isel(month=0))
    assert g2.index.name == "unit_id"
    np.testing.assert_allclose(g2["sum"], ref.xs(0, level="band")["sum"], rtol=1e-12)


def test_units_are_reprojected_to_the_grid():
    units_utm = awkward_units(PROJ_GRID)
    units_geo = units_utm.to_crs(WGS84)
    data = random_stack(PROJ_GRID, 1)[0]
    w = zonal.zonal_weights(units_geo, "uid", PROJ_GRID)
    r = zonal.zonal_reduce(w, data)
    ee = ee_stats(data, PROJ_GRID, units_geo.to_crs(UTM))
    np.testing.assert_allclose(r["sum"].loc[units_utm["uid"]], ee["sum"], rtol=1e-9)


def test_cache_in_memory_and_on_disk(tmp_path):
    units = awkward_units(GEO_GRID)
    w0 = zonal.zonal_weights(units, "uid", GEO_GRID)
    assert w0.origin == "computed" and not list(tmp_path.iterdir())
    zonal.clear_cache()
    w1 = zonal.zonal_weights(units, "uid", GEO_GRID, cache_dir=tmp_path)
    assert w1.origin == "computed" and w1.key == w0.key
    files = list(tmp_path.glob("zonal_weights_*.npz"))
    assert [f.name for f in files] == [f"zonal_weights_{w1.key}.npz"]
    w2 = zonal.zonal_weights(units, "uid", GEO_GRID, cache_dir=tmp_path)
    assert w2.origin == "memory" and w2.cell is w1.cell
    zonal.clear_cache()
    w3 = zonal.zonal_weights(units, "uid", GEO_GRID, cache_dir=tmp_path)
    assert w3.origin == "disk"
    for name in ("unit_index", "cell", "coverage", "row_ptr"):
        np.testing.assert_array_equal(getattr(w3, name), getattr(w1, name))
    assert list(w3.unit_ids) == list(w1.unit_ids)
    # another grid, other geometries or other ids: another key, recomputed
    moved = units.copy()
    moved.geometry = moved.translate(0.001, 0)
    w4 = zonal.zonal_weights(moved, "uid", GEO_GRID, cache_dir=tmp_path)
    renamed = units.assign(uid=[f"x{i}" for i in range(len(units))])
    w5 = zonal.zonal_weights(renamed, "uid", GEO_GRID, cache_dir=tmp_path)
    w6 = zonal.zonal_weights(units, "uid", PROJ_GRID, cache_dir=tmp_path)
    assert {w.origin for w in (w4, w5, w6)} == {"computed"}
    assert len({w1.key, w4.key, w5.key, w6.key}) == 4
    assert len(list(tmp_path.glob("zonal_weights_*.npz"))) == 4
    # weights held in memory are written to a cache folder named later
    other = tmp_path / "later"
    assert zonal.zonal_weights(units, "uid", PROJ_GRID, cache_dir=other).origin == "memory"
    assert [f.name for f in other.iterdir()] == [f"zonal_weights_{w6.key}.npz"]
    # a cache file of another grid is refused
    with pytest.raises(InputError, match="another grid"):
        zonal.ZonalWeights.load(files[0], PROJ_GRID)


def test_aggregate_equals_weights_of_dissolved_units():
    grid = GEO_GRID
    left, bottom, right, top = grid.bounds
    # four finest units tiling the grid with irregular borders; two upper units
    xs = [left, left + 0.073, left + 0.1612, left + 0.2357, right]
    finest = gpd.GeoDataFrame(
        {"unit_id": ["a", "b", "c", "d"], "up": ["N", "N", "S", ""]},
        geometry=[
            shapely.Polygon(
                [
                    (xs[i], bottom),
                    (xs[i + 1], bottom),
                    (xs[i + 1] + 0.004, top),
                    (xs[i] + (0.004 if i else 0), top),
                ]
            )
            for i in range(4)
        ],
        crs=WGS84,
    )
    data = random_stack(grid, 2, seed=3)
    data[0, 2:5, 3:9] = np.nan
    res = zonal.zonal_reduce(zonal.zonal_weights(finest, "unit_id", grid), data, stats=zonal.STATS)
    agg = zonal.aggregate(res, finest.set_index("unit_id")["up"])
    upper = finest[finest["up"] != ""].dissolve("up").reset_index()
    direct = zonal.zonal_reduce(zonal.zonal_weights(upper, "up", grid), data, stats=zonal.STATS)
    assert list(agg.index.get_level_values("unit_id").unique()) == ["N", "S"]
    # coverage is additive up to the float32 precision of exactextract's fractions
    np.testing.assert_allclose(agg.to_numpy(), direct.loc[agg.index].to_numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="additive"):
        zonal.aggregate(res[["mean"]], finest.set_index("unit_id")["up"])


def test_user_errors():
    units = awkward_units(PROJ_GRID)
    with pytest.raises(InputError, match="id column"):
        zonal.zonal_weights(units, "nope", PROJ_GRID)
    with pytest.raises(InputError, match="not unique"):
        zonal.zonal_weights(units.assign(uid="same"), "uid", PROJ_GRID)
    with pytest.raises(InputError, match="coordinate reference"):
        zonal.zonal_weights(units.set_crs(None, allow_override=True), "uid", PROJ_GRID)
    lines = units.assign(geometry=units.boundary)
    with pytest.raises(InputError, match="not a polygon"):
        zonal.zonal_weights(lines, "uid", PROJ_GRID)
    bowtie = shapely.Polygon(
        [(500000, 3400000), (500100, 3400100), (500100, 3400000), (500000, 3400100)]
    )
    with pytest.raises(InputError, match="invalid geometry"):
        zonal.zonal_weights(units.iloc[:1].assign(geometry=[bowtie]), "uid", PROJ_GRID)
    w = zonal.zonal_weights(units, "uid", PROJ_GRID)
    with pytest.raises(InputError, match="grid"):
        zonal.zonal_reduce(w, np.zeros((5, 5)))
    with pytest.raises(ValueError, match="unknown zonal statistics"):
        zonal.zonal_reduce(w, np.zeros(PROJ_GRID.shape), stats=("median",))
    shifted = xr.DataArray(
        np.zeros(PROJ_GRID.shape),
        dims=("y", "x"),
        coords={"y": PROJ_GRID.y_coords(), "x": PROJ_GRID.x_coords() + 50},
    )
    with pytest.raises(InputError, match="do not match"):
        zonal.zonal_reduce(w, shifted)
    bands_last = xr.DataArray(np.zeros((*PROJ_GRID.shape, 2)), dims=("y", "x", "month"))
    with pytest.raises(InputError, match=r"not \(band, y, x\)"):
        zonal.zonal_reduce(w, bands_last)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    x0=st.floats(-5, 32),
    y0=st.floats(-5, 22),
    wdt=st.floats(0.05, 20),
    hgt=st.floats(0.05, 20),
    angle=st.floats(0, 90),
    c=st.floats(-1e3, 1e3).filter(lambda v: abs(v) > 1e-6),
    geographic=st.booleans(),
)
def test_constant_raster_properties(x0, y0, wdt, hgt, angle, c, geographic):
    grid = GEO_GRID if geographic else PROJ_GRID
    left, bottom, _, _ = grid.bounds
    dx, dy = grid.res
    box = shapely.box(x0, y0, x0 + wdt, y0 + hgt)
    box = shapely.affinity.rotate(box, angle, origin="centroid")
    poly = shapely.affinity.affine_transform(box, [dx, 0, 0, dy, left, bottom])
    units = gpd.GeoDataFrame({"id": ["p"]}, geometry=[poly], crs=grid.crs)
    w = zonal.zonal_weights(units, "id", grid)
    r = zonal.zonal_reduce(w, np.full(grid.shape, c), stats=zonal.STATS).loc["p"]
    sum_cov = float(w.coverage.sum())
    assert r["sum"] == pytest.approx(c * sum_cov, rel=1e-12, abs=1e-9)
    assert r["count"] == pytest.approx(sum_cov, rel=1e-12, abs=1e-12)
    # Σ coverage equals the polygon's area inside the grid, in cells (shapely), to
    # the float32 precision of exactextract's coverage fractions
    inside = poly.intersection(shapely.box(*grid.bounds)).area / (dx * dy)
    assert sum_cov == pytest.approx(inside, rel=1e-6, abs=1e-6)
    if sum_cov > 0:
        assert r["mean"] == pytest.approx(c, rel=1e-12)
        assert r["cell_mean"] == pytest.approx(c, rel=1e-12)
    else:
        assert np.isnan(r["mean"])


def test_benchmark_smoke(tmp_path, capsys):
    path = Path(__file__).parents[1] / "benchmarks" / "zonal.py"
    spec = importlib.util.spec_from_file_location("bench_zonal", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out_json = tmp_path / "res.json"
    args = ["--size", "60", "--bands", "2", "--repeat", "1", "--rasterstats-bands", "1"]
    args += ["--no-wkb-exactextract", "--workdir", str(tmp_path), "--json", str(out_json)]
    assert bench.main(args) == 0
    import json

    res = json.loads(out_json.read_text())
    assert res["units"] == 1068
    assert res["max_rel_diff_sum"] < 1e-9
    assert "exactextract / ours reduce" in capsys.readouterr().out
