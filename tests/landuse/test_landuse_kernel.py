"""The transitions kernel (METHODS §6, issue 12): against a plain loop over the coverage entries.

Every path of :func:`ecozone.landuse.transition_matrix` — uint8/uint16 codes
read as they are, other dtypes converted per block, the accumulator grown
for many units and codes, the sparse path of too many combinations, numpy
stripes and dask blocks — gives the areas of a reference that walks the
weights entry by entry (c·A of each covered cell to its unit and pair).
"""

from __future__ import annotations

from collections import defaultdict

import dask.array as da
import geopandas as gpd
import numpy as np
import pytest
import rioxarray  # noqa: F401 - the .rio accessor
import xarray as xr
from affine import Affine
from pyproj import CRS
from shapely.geometry import box

from ecozone import zonal
from ecozone.errors import InputError
from ecozone.grid import Grid
from ecozone.landcover import load_classes
from ecozone.landuse import change as lu_change
from ecozone.landuse import change_summary, transition_matrix

UTM = CRS.from_epsg(32650)
X0, Y0 = 500_000.0, 3_003_000.0


@pytest.fixture(autouse=True)
def _fresh_cache():
    zonal.clear_cache()
    yield
    zonal.clear_cache()


def grid_of(h: int, w: int, cell: float = 100.0) -> Grid:
    return Grid(UTM, Affine(cell, 0, X0, 0, -cell, Y0), h, w)


def random_units(rng, grid: Grid, n: int, size=(150.0, 900.0)) -> gpd.GeoDataFrame:
    """``n`` overlapping boxes of ``size`` m sides (partial cells everywhere), some reaching past the grid."""
    left, bottom, right, top = grid.bounds
    geoms = []
    for _ in range(n):
        x0, y0 = rng.uniform(left - 100, right - 100), rng.uniform(bottom - 100, top - 100)
        geoms.append(box(x0, y0, x0 + rng.uniform(*size), y0 + rng.uniform(*size)))
    return gpd.GeoDataFrame({"unit_id": [f"u{i:03d}" for i in range(n)]}, geometry=geoms, crs=grid.crs)


def missing(v: float, nodata) -> bool:
    return v != v or (nodata is not None and v == nodata)


def reference(a, b, w, nodata=None) -> dict:
    """Σ c·A (km²) per (unit, class_from, class_to), entry by entry."""
    out: dict = defaultdict(float)
    width = w.grid.width
    area = w.grid.row_cell_area_m2
    for u, cell, c in zip(w.unit_index, w.cell, w.coverage, strict=True):
        r, col = divmod(int(cell), width)
        va, vb = float(a[r, col]), float(b[r, col])
        if missing(va, nodata) or missing(vb, nodata):
            continue
        out[(str(w.unit_ids[u]), int(va), int(vb))] += c * area[r] / 1e6
    return dict(out)


def check(t, ref) -> None:
    got = {(r.unit_id, r.class_from, r.class_to): r.area_km2 for r in t.itertuples()}
    assert got.keys() == ref.keys()
    for k, v in ref.items():
        assert got[k] == pytest.approx(v, rel=1e-12), k
    # rows sorted by unit (the weights' order), class_from, class_to
    order = t.assign(u=t["unit_id"].str[1:].astype(int)).sort_values(["u", "class_from", "class_to"]).index
    assert list(order) == list(t.index)
    assert str(t["unit_id"].dtype) in ("str", "string", "object") and t["class_from"].dtype == np.int64


def test_uint8_with_nodata_partial_cells_and_blocks():
    rng = np.random.default_rng(1)
    grid = grid_of(23, 31)
    units = random_units(rng, grid, 12)
    w = zonal.zonal_weights(units, "unit_id", grid)
    a = rng.choice(np.array([1, 10, 12, 13, 17, 255], np.uint8), grid.shape)
    b = rng.choice(np.array([1, 10, 12, 13, 17, 255], np.uint8), grid.shape)
    ref = reference(a, b, w, nodata=255)
    assert any(k[1] == 12 and k[2] == 13 for k in ref)
    check(transition_matrix(a, b, w, nodata=255), ref)
    for chunks in ((5, 7), (23, 4), (1, 31)):  # windowed blocks of every shape
        check(transition_matrix(da.from_array(a, chunks=chunks), da.from_array(b, chunks=chunks), w, nodata=255), ref)
    # nodata undeclared: 255 is a class like any other
    check(transition_matrix(a, b, w), reference(a, b, w))


def test_each_raster_its_own_nodata():
    rng = np.random.default_rng(2)
    grid = grid_of(9, 11)
    w = zonal.zonal_weights(random_units(rng, grid, 4, size=(300.0, 1200.0)), "unit_id", grid)
    a = rng.choice(np.array([0, 1, 2, 3], np.uint8), grid.shape)
    b = rng.choice(np.array([0, 1, 2, 3], np.uint8), grid.shape)
    xa = xr.DataArray(a, dims=("y", "x")).rio.write_nodata(0)
    xb = xr.DataArray(da.from_array(b, chunks=4), dims=("y", "x")).rio.write_nodata(3)
    ref: dict = defaultdict(float)
    width, area = grid.width, grid.row_cell_area_m2
    for u, cell, c in zip(w.unit_index, w.cell, w.coverage, strict=True):
        r, col = divmod(int(cell), width)
        if a[r, col] != 0 and b[r, col] != 3:
            ref[(str(w.unit_ids[u]), int(a[r, col]), int(b[r, col]))] += c * area[r] / 1e6
    check(transition_matrix(xa, xb, w), dict(ref))


@pytest.mark.parametrize("dtype", ["uint16", "int16", "int32", "int64", "float32", "float64"])
def test_other_dtypes(dtype):
    rng = np.random.default_rng(3)
    grid = grid_of(14, 17)
    w = zonal.zonal_weights(random_units(rng, grid, 6), "unit_id", grid)
    codes = np.array([0, 3, 40, 300, 65535] if dtype in ("uint16", "int32", "int64", "float64") else [0, 3, 40, 300])
    nodata = -9999 if dtype.startswith("int") else (np.nan if dtype.startswith("float") else 65534)
    a = rng.choice(codes, grid.shape).astype(dtype)
    b = rng.choice(codes, grid.shape).astype(dtype)
    a[rng.random(grid.shape) < 0.15] = nodata
    b[rng.random(grid.shape) < 0.15] = nodata
    ref = reference(a, b, w, nodata=None if dtype.startswith("float") else nodata)
    nd = None if dtype.startswith("float") else nodata
    check(transition_matrix(a, b, w, nodata=nd), ref)
    check(transition_matrix(da.from_array(a, chunks=5), da.from_array(b, chunks=(7, 3)), w, nodata=nd), ref)


def test_mixed_dtypes():
    rng = np.random.default_rng(4)
    grid = grid_of(10, 12)
    w = zonal.zonal_weights(random_units(rng, grid, 5), "unit_id", grid)
    a = rng.choice(np.array([1, 2, 255], np.uint8), grid.shape)
    b = rng.choice(np.array([1.0, 5.0, np.nan], np.float32), grid.shape)
    ref: dict = defaultdict(float)
    for k, v in reference(a, b, w).items():
        if k[1] != 255:
            ref[k] += v
    check(transition_matrix(a, b, w, nodata=255), dict(ref))


def test_many_units_and_codes_grow_the_accumulator():
    """More units and codes in one block than the first capacities: the accumulator doubles along each axis."""
    rng = np.random.default_rng(5)
    grid = grid_of(40, 45)
    units = random_units(rng, grid, lu_change._CAP_UNITS + 70, size=(100.0, 700.0))
    w = zonal.zonal_weights(units, "unit_id", grid)
    n_codes = 2 * lu_change._CAP_CODES + 5
    a = rng.integers(0, n_codes, grid.shape).astype(np.uint16) * 7
    b = rng.integers(0, n_codes, grid.shape).astype(np.uint8)
    ref = reference(a, b, w)
    assert len({k[0] for k in ref}) > lu_change._CAP_UNITS
    check(transition_matrix(a, b, w), ref)


def test_sparse_path_when_the_accumulator_would_be_too_large(monkeypatch):
    rng = np.random.default_rng(6)
    grid = grid_of(20, 24)
    w = zonal.zonal_weights(random_units(rng, grid, 30), "unit_id", grid)
    a = rng.integers(0, 50, grid.shape).astype(np.int32)
    b = rng.integers(0, 50, grid.shape).astype(np.uint8)
    b[0, :] = 255
    ref = reference(a, b, w, nodata=255)
    monkeypatch.setattr(lu_change, "_DENSE_MAX", 100)  # every block gives up the dense accumulator
    check(transition_matrix(a, b, w, nodata=255), ref)
    check(transition_matrix(da.from_array(a, chunks=7), da.from_array(b, chunks=7), w, nodata=255), ref)
    monkeypatch.setattr(lu_change, "_MERGE_MAX", 10)  # and the merge sorts the keys
    check(transition_matrix(a, b, w, nodata=255), ref)


def test_numpy_stripes(monkeypatch):
    rng = np.random.default_rng(7)
    grid = grid_of(17, 9)
    w = zonal.zonal_weights(random_units(rng, grid, 7), "unit_id", grid)
    a = rng.choice(np.array([1, 2, 3], np.uint8), grid.shape)
    b = rng.choice(np.array([1, 2, 3], np.uint8), grid.shape)
    ref = reference(a, b, w)
    monkeypatch.setattr(lu_change, "_STRIPE", 4)
    check(transition_matrix(a, b, w), ref)


def test_codes_that_are_no_whole_numbers(monkeypatch):
    rng = np.random.default_rng(8)
    grid = grid_of(8, 10)
    units = gpd.GeoDataFrame({"unit_id": ["u000"]}, geometry=[box(X0, Y0 - 500, X0 + 600, Y0)], crs=UTM)  # 5 × 6 cells
    w = zonal.zonal_weights(units, "unit_id", grid)
    a = rng.choice([1.0, 2.0], grid.shape)
    b = rng.choice([1.0, 2.0], grid.shape)
    a[7, 9] = 2.5  # outside the unit: never looked at
    b[6, 8] = 70_000.0
    check(transition_matrix(a, b, w), reference(a, b, w))
    a[1, 2] = np.nan
    b[1, 2] = -3.0  # no data in the other year: left out
    a[2, 3] = 5.0
    b[2, 3] = 1e6  # past 65535
    for mp in (False, True):
        if mp:
            monkeypatch.setattr(lu_change, "_DENSE_MAX", 1)  # the sparse path reports it too
        with pytest.raises(InputError, match=r"pixel \(row 2, column 3\)"):
            transition_matrix(a, b, w)
        with pytest.raises(InputError, match=r"pixel \(row 2, column 3\)"):
            transition_matrix(da.from_array(a, chunks=(3, 4)), da.from_array(b, chunks=(3, 4)), w)
    ai = np.where(np.isnan(a), 0, a).astype(np.int64)
    ai[2, 3] = -7  # a negative integer
    bi = b.copy()
    bi[1, 2] = 1.0
    with pytest.raises(InputError, match=r"-7\)? → .* at pixel \(row 2, column 3\)"):
        transition_matrix(ai, bi, w)


def test_a_class_missing_from_the_table_is_the_summary_error():
    grid = grid_of(4, 4)
    units = gpd.GeoDataFrame({"unit_id": ["u000"]}, geometry=[box(X0, Y0 - 400, X0 + 400, Y0)], crs=UTM)
    w = zonal.zonal_weights(units, "unit_id", grid)
    a = np.full(grid.shape, 12, np.uint8)
    b = a.copy()
    b[0, :2] = 99  # no IGBP class
    t = transition_matrix(a, b, w)
    assert set(zip(t["class_from"], t["class_to"], strict=True)) == {(12, 12), (12, 99)}
    assert t.loc[t["class_to"] == 99, "area_km2"].iloc[0] == pytest.approx(0.02, rel=1e-12)
    with pytest.raises(InputError, match=r"code\(s\) \[99\]"):
        change_summary(t, load_classes("igbp"), w.unit_area_m2() / 1e6, 2015, 2020)


def test_no_covered_cell():
    grid = grid_of(5, 5)
    units = gpd.GeoDataFrame({"unit_id": ["far"]}, geometry=[box(0, 0, 10, 10)], crs=UTM)
    w = zonal.zonal_weights(units, "unit_id", grid)
    a = np.ones(grid.shape, np.uint8)
    for x, y in ((a, a), (da.from_array(a, chunks=2), a), (np.full(grid.shape, 255, np.uint8), a)):
        t = transition_matrix(x, y, w, nodata=255)
        assert len(t) == 0 and list(t.columns) == ["unit_id", "class_from", "class_to", "area_km2"]
