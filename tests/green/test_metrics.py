"""Landscape metrics per unit in one streamed pass: FRAGSTATS' own tables, per-unit equivalence, stripes."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import CRS
from shapely.geometry import Polygon, box

from ecozone.ecology.landscape import (
    CLASS_COLUMNS,
    LANDSCAPE_COLUMNS,
    class_metrics,
    landscape_metrics,
)
from ecozone.errors import InputError
from ecozone.green.metrics import burn_units, cellsize_m, landscape_by_units
from ecozone.grid import Grid

FRAGSTATS = Path(__file__).resolve().parents[2].parent / "shared" / "oracles" / "fragstats"


def _asc(path: Path):
    with (gzip.open if path.suffix == ".gz" else open)(path, "rt") as f:
        h = {}
        for _ in range(6):
            k, v = f.readline().split()
            h[k.lower()] = float(v)
        return np.loadtxt(f, dtype=np.int64), h


def _table(path: Path) -> pd.DataFrame:
    t = pd.read_csv(path, skipinitialspace=True, na_values=["N/A"])
    t.columns = [c.strip() for c in t.columns]
    return t


def test_one_unit_over_augusta_equals_fragstats():
    """The whole pipeline (units burnt by centre, stripes, threads) on FRAGSTATS' own augusta_nlcd tables."""
    if not (FRAGSTATS / "augusta_nlcd.asc.gz").exists():
        pytest.skip(f"FRAGSTATS reference outputs not found in {FRAGSTATS}")
    values, h = _asc(FRAGSTATS / "augusta_nlcd.asc.gz")
    cs = h["cellsize"]
    top = h["yllcorner"] + cs * values.shape[0]
    t = Affine(cs, 0, h["xllcorner"], 0, -cs, top)
    # a unit a third of a cell inside the raster's edge: every cell centre is in it
    unit = box(h["xllcorner"] + cs / 3, h["yllcorner"] + cs / 3, h["xllcorner"] + cs * values.shape[1] - cs / 3,
               top - cs / 3)
    res = landscape_by_units(lambda r0, r1: values[r0:r1], values.shape, t,
                             {"one": np.array([unit]), "also": np.array([unit])}, cs, stripe_rows=37)
    cm, lm = res["one"]
    cls = _table(FRAGSTATS / "augusta_nlcd.class")
    cls.index = cls.pop("TYPE").str.strip().str.removeprefix("cls_").astype(int)
    land = _table(FRAGSTATS / "augusta_nlcd.land").iloc[0]
    ours = cm.loc[0].sort_index()
    theirs = cls.sort_index()
    assert list(ours.index) == list(theirs.index)
    for col in CLASS_COLUMNS:
        gap = np.abs(ours[col].to_numpy(float) - theirs[col].to_numpy(float))
        assert np.all(gap <= 0.5e-4 + 1e-9 * np.abs(theirs[col].to_numpy(float))), col
    for col in LANDSCAPE_COLUMNS:
        assert abs(float(lm.loc[0, col]) - float(land[col])) <= 0.5e-4 + 1e-9 * abs(float(land[col])), col
    pd.testing.assert_frame_equal(res["also"][0], cm)


def _centre_mask(poly, t, shape) -> np.ndarray:
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]]
    x, y = t @ (cols + 0.5, rows + 0.5)
    return shapely.contains_xy(poly, x, y)


def test_units_equal_masked_landscapes():
    """Each unit's metrics equal the single-landscape metrics of the raster masked to its cells (by centre)."""
    rng = np.random.default_rng(3)
    values = rng.integers(1, 5, (60, 45))
    values[rng.random(values.shape) < 0.05] = 0  # nodata
    t = Affine(30.0, 0, 1000.0, 0, -30.0, 5000.0)
    u = [Polygon([(1000, 5000), (2350, 5000), (1000, 3200)]), Polygon([(2350, 5000), (2350, 3200), (1000, 3200)]),
         box(1300, 3500, 1900, 4400)]
    res = landscape_by_units(lambda r0, r1: values[r0:r1], values.shape, t,
                             {"tri": np.array(u[:2]), "box": np.array(u[2:])}, 30.0, nodata=[0], stripe_rows=11)
    for lv, geoms in (("tri", u[:2]), ("box", u[2:])):
        cm, lm = res[lv]
        for z, g in enumerate(geoms):
            masked = np.where(_centre_mask(g, t, values.shape), values, 0)
            pd.testing.assert_frame_equal(cm.loc[z], class_metrics(masked, 30.0, nodata=0), check_names=False)
            pd.testing.assert_series_equal(lm.loc[z], landscape_metrics(masked, 30.0, nodata=0),
                                           check_names=False)


def test_burn_units_by_centre():
    t = Affine(10.0, 0, 0.0, 0, -10.0, 100.0)
    g = np.array([box(0, 0, 44, 100), box(44, 0, 100, 100)])
    z = burn_units(g, shapely.STRtree(g), t, 2, 5, 10)
    assert z.shape == (3, 10)
    assert (z[:, :4] == 0).all() and (z[:, 4:] == 1).all()  # centre x = 45 lies in the second unit


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), stripe=st.integers(1, 25), n_classes=st.integers(1, 5))
def test_stripes_do_not_change_the_metrics(seed, stripe, n_classes):
    rng = np.random.default_rng(seed)
    values = rng.integers(1, n_classes + 1, (23, 17)).astype(np.uint8)
    t = Affine(1.0, 0, 0.0, 0, -1.0, 23.0)
    units = {"a": np.array([box(0, 0, 9.2, 23), box(9.2, 0, 17, 23)])}
    whole = landscape_by_units(lambda r0, r1: values[r0:r1], values.shape, t, units, 1.0, stripe_rows=23)["a"]
    part = landscape_by_units(lambda r0, r1: values[r0:r1], values.shape, t, units, 1.0, stripe_rows=stripe)["a"]
    pd.testing.assert_frame_equal(whole[0], part[0])
    pd.testing.assert_frame_equal(whole[1], part[1])


def test_cell_sizes():
    utm = Grid(CRS.from_epsg(32650), Affine(30.0, 0, 0, 0, -30.0, 0), 10, 10)
    assert cellsize_m(utm) == (30.0, None)
    geo = Grid(CRS.from_epsg(4326), Affine(0.01, 0, 113.0, 0, -0.01, 30.1), 20, 20)
    side, note = cellsize_m(geo)
    assert side == pytest.approx(np.sqrt(geo.row_cell_area_m2[10])) and "degrees" in note
    with pytest.raises(InputError, match="not square"):
        cellsize_m(Grid(CRS.from_epsg(32650), Affine(30.0, 0, 0, 0, -20.0, 0), 10, 10))
