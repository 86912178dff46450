"""Tests of ecozone.ecology.landscape: FRAGSTATS' own tables, hand-derived values,
an independent scipy.ndimage reference, zones and stripes."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage

from ecozone.ecology.landscape import (
    CLASS_COLUMNS,
    LANDSCAPE_COLUMNS,
    LandscapeAccumulator,
    class_metrics,
    class_metrics_by_zone,
    landscape_metrics,
    landscape_metrics_by_zone,
)
from ecozone.errors import InputError, ParameterError

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
FRAGSTATS = SHARED / "oracles" / "fragstats"
INT_COLUMNS = {"NP", "PR"}


# -- FRAGSTATS reference outputs ---------------------------------------------------------------


def _read_asc(path: Path) -> tuple[np.ndarray, float]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as f:
        header = {}
        for _ in range(6):
            key, value = f.readline().split()
            header[key.lower()] = float(value)
        values = np.loadtxt(f, dtype=np.int64)
    assert values.shape == (header["nrows"], header["ncols"])
    return values, header["cellsize"]


def _read_table(path: Path) -> pd.DataFrame:
    table = pd.read_csv(path, skipinitialspace=True, na_values=["N/A"])
    table.columns = [c.strip() for c in table.columns]
    return table


CASES = [
    ("landscape30.asc", "landscape.class", "landscape.land"),
    ("augusta_nlcd.asc.gz", "augusta_nlcd.class", "augusta_nlcd.land"),
]


def _case(raster: str, class_file: str, land_file: str):
    """Raster, cell size and FRAGSTATS class and landscape tables of one oracle case."""
    if not (FRAGSTATS / raster).exists():
        pytest.skip(f"FRAGSTATS reference outputs not found in {FRAGSTATS}")
    values, cellsize = _read_asc(FRAGSTATS / raster)
    cls = _read_table(FRAGSTATS / class_file)
    cls.index = pd.Index(cls.pop("TYPE").str.strip().str.removeprefix("cls_").astype(int),
                         name="class")
    land = _read_table(FRAGSTATS / land_file).iloc[0]
    return values, cellsize, cls.sort_index(), land


@pytest.fixture(scope="module", params=CASES, ids=["landscape30", "augusta_nlcd"])
def oracle(request):
    return _case(*request.param)


def _assert_printed(ours: pd.Series | pd.DataFrame, theirs, name: str) -> None:
    """Equal to FRAGSTATS' 4 printed decimals (half a unit of the last digit)."""
    ours = np.asarray(ours, np.float64)
    theirs = np.asarray(theirs, np.float64)
    gap = np.abs(ours - theirs)
    assert np.all(gap <= 0.5e-4 + 1e-9 * np.abs(theirs)), f"{name}: {ours} vs {theirs}"


@pytest.mark.parametrize("stripe_rows", [None, 7])
def test_class_table_equals_fragstats(oracle, stripe_rows):
    values, cellsize, expected, _ = oracle
    ours = class_metrics(values, cellsize, stripe_rows=stripe_rows)
    assert list(ours.index) == list(expected.index)
    assert list(ours.columns) == list(CLASS_COLUMNS)
    for col in CLASS_COLUMNS:
        _assert_printed(ours[col], expected[col], col)


@pytest.mark.parametrize("stripe_rows", [None, 7])
def test_landscape_table_equals_fragstats(oracle, stripe_rows):
    values, cellsize, _, expected = oracle
    ours = landscape_metrics(values, cellsize, stripe_rows=stripe_rows)
    assert list(ours.index) == list(LANDSCAPE_COLUMNS)
    for name in LANDSCAPE_COLUMNS:
        _assert_printed(ours[name], expected[name], name)


def test_landscape30_readme_values():
    """The values the oracle's README quotes, on the 30 × 30 raster."""
    values, cellsize, _, _ = _case(*CASES[0])
    assert values.shape == (30, 30) and cellsize == 1
    c = class_metrics(values, cellsize)
    assert c["NP"].tolist() == [9, 13, 6]
    assert c["CA"].tolist() == pytest.approx([0.0184, 0.0234, 0.0482])  # 184/234/482 cells
    # TE = ED · A: 181, 203 and 296 cell sides
    assert (c["ED"] * 0.09).round(9).tolist() == [181, 203, 296]


# -- hand-derived --------------------------------------------------------------------------------

# 10 m cells, A = 16 cells = 1600 m² = 0.16 ha
#   1 1 2 2       class 1: patches {3, 2} cells; class 2: one patch of 5;
#   1 2 2 3       class 3: patches {3, 3} (the column on the right, the L at bottom-left)
#   3 3 2 3
#   3 1 1 3
HAND = np.array([[1, 1, 2, 2], [1, 2, 2, 3], [3, 3, 2, 3], [3, 1, 1, 3]])


def test_hand_example_class_level():
    got = class_metrics(HAND, 10.0)
    # like adjacencies g = 3, 4, 4; sides to other classes te = 8, 9, 9;
    # perimeters e = 4n − 2g = 14, 12, 16 (te plus 6, 3, 7 sides on the raster border)
    expected = pd.DataFrame(
        {
            "NP": [2, 1, 2],
            "CA": [0.05, 0.05, 0.06],
            "PLAND": [31.25, 31.25, 37.5],
            "PD": [1250.0, 625.0, 1250.0],
            "LPI": [18.75, 31.25, 18.75],
            "ED": [8 * 10 / 0.16, 9 * 10 / 0.16, 9 * 10 / 0.16],
            "LSI": [14 / 10, 12 / 10, 16 / 10],  # least perimeters of 5, 5, 6 cells: 10
            # patch perimeters: class 1: 8 (L of 3) and 6 (pair); class 2: 12; class 3: 8 and 8
            "COHESION": [
                100 * (1 - 14 / (8 * math.sqrt(3) + 6 * math.sqrt(2))) / 0.75,
                100 * (1 - 12 / (12 * math.sqrt(5))) / 0.75,
                100 * (1 - 16 / (16 * math.sqrt(3))) / 0.75,
            ],
            "AI": [100 * 3 / 5, 100 * 4 / 5, 100 * 4 / 7],  # max like: 5 cells 5, 6 cells 7
            "DIVISION": [1 - 13 / 256, 1 - 25 / 256, 1 - 18 / 256],
            "SPLIT": [256 / 13, 256 / 25, 256 / 18],
        },
        index=pd.Index([1, 2, 3], name="class"),
    )
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)


def test_hand_example_landscape_level():
    got = landscape_metrics(HAND, 10.0)
    p = np.array([5, 5, 6]) / 16
    # double-counted adjacencies g_ik (rows: class 1, 2, 3)
    g = np.array([[6, 4, 4], [4, 8, 5], [4, 5, 8]], float)
    q = p[:, None] * g / g.sum(axis=1, keepdims=True)
    shdi = -(p * np.log(p)).sum()
    expected = {
        "TA": 0.16,
        "NP": 5,
        "PD": 5 / 0.16 * 100,
        "LPI": 31.25,
        "ED": 13 * 10 / 0.16,          # 13 sides between classes
        "LSI": (13 + 16) / 16,          # + 16 border sides; least perimeter of 16 cells
        "COHESION": 100 * (1 - 42 / (24 * math.sqrt(3) + 6 * math.sqrt(2) + 12 * math.sqrt(5)))
        / 0.75,
        "AI": 100 * (5 / 16 * 3 / 5 + 5 / 16 * 4 / 5 + 6 / 16 * 4 / 7),
        "DIVISION": 1 - 56 / 256,
        "SPLIT": 256 / 56,
        "CONTAG": 100 * (1 + (q * np.log(q)).sum() / (2 * math.log(3))),
        "PR": 3,
        "SHDI": shdi,
        "SHEI": shdi / math.log(3),
    }
    pd.testing.assert_series_equal(got, pd.Series(expected, dtype=float), rtol=1e-12)


def test_nodata_is_boundary_not_edge():
    """A nodata hole and the raster border: perimeter and LSI count them, TE/ED do not."""
    a = np.array([[1, 1, 1], [1, 9, 1], [1, 1, 2]])
    got = class_metrics(a, 2.0, nodata=9)
    # class 1: 7 cells, 6 like sides, perimeter 28 − 12 = 16 = 10 on the border + 4 around
    # the hole + 2 to class 2; te = those 2 sides only
    assert got.loc[1, "ED"] == pytest.approx(2 * 2.0 / (8 * 4.0) * 1e4)
    assert got.loc[1, "LSI"] == pytest.approx(16 / 12)     # least perimeter of 7 cells: 12
    assert got.loc[2, "LSI"] == pytest.approx(1.0)
    assert got.loc[1, "PLAND"] == pytest.approx(100 * 7 / 8)
    land = landscape_metrics(a, 2.0, nodata=9)
    # 2 sides between classes, 16 boundary sides (12 outer + 4 around the hole); 8 cells
    assert land["ED"] == pytest.approx(2 * 2.0 / 32.0 * 1e4)
    assert land["LSI"] == pytest.approx((2 + 16) / 12)
    assert land["TA"] == pytest.approx(32.0 / 1e4)
    # the same landscape with NaN as nodata
    f = a.astype(float)
    f[a == 9] = np.nan
    pd.testing.assert_frame_equal(class_metrics(f, 2.0), got)


def test_diagonal_cells_form_one_patch():
    """8-neighbour patches; edges only on cell sides."""
    got = class_metrics(np.array([[1, 2], [2, 1]]), 1.0)
    assert got["NP"].tolist() == [1, 1]
    assert got["AI"].tolist() == [0.0, 0.0]           # no like side
    assert got["ED"].tolist() == [4 / 4 * 1e4] * 2     # 4 sides to the other class, 4 m²
    assert got["LSI"].tolist() == [8 / 6] * 2           # perimeter 8; least for 2 cells 6


def test_undefined_values():
    one = landscape_metrics(np.array([[4]]), 30.0)
    assert math.isnan(one["COHESION"]) and math.isnan(one["CONTAG"])
    # a one-cell class adds nothing to the landscape AI
    assert one["SHDI"] == 0 and one["SHEI"] == 0 and one["AI"] == 0 and one["LSI"] == 1
    c = class_metrics(np.array([[4, 5, 5]]), 30.0)
    assert math.isnan(c.loc[4, "AI"])          # a class of one cell has no possible like side
    assert c.loc[5, "AI"] == 100
    single = landscape_metrics(np.full((3, 3), 7), 1.0)
    assert math.isnan(single["CONTAG"]) and single["SHEI"] == 0 and single["PR"] == 1


# -- independent reference (scipy.ndimage) --------------------------------------------------------


def _least_perimeter(n):
    """Least perimeter of n cells: 2⌈2√n⌉ (Harary & Harborth 1976)."""
    n = np.asarray(n, np.int64)
    return 2 * (np.array([math.isqrt(int(4 * k - 1)) for k in n.ravel()]).reshape(n.shape) + 1)


def _reference(a: np.ndarray, cellsize: float):
    """Class and landscape metrics from scipy.ndimage labels and NumPy side counts."""
    valid = ~np.isnan(a)
    total = int(valid.sum())
    area_m2 = total * cellsize**2
    rows, perims_all, areas_all = {}, [], []
    vp = np.pad(valid, 1)
    classes = np.unique(a[valid])
    like_sum, te_sum = [], []
    for k in classes:
        m = a == k
        mp = np.pad(m, 1)
        lab, npatch = ndimage.label(m, structure=np.ones((3, 3)))
        areas = np.bincount(lab.ravel())[1:]
        same = mp[:-2, 1:-1].astype(int) + mp[2:, 1:-1] + mp[1:-1, :-2] + mp[1:-1, 2:]
        other = ((vp & ~mp)[:-2, 1:-1].astype(int) + (vp & ~mp)[2:, 1:-1]
                 + (vp & ~mp)[1:-1, :-2] + (vp & ~mp)[1:-1, 2:])
        perims = ndimage.sum_labels(4 - same, lab, np.arange(1, npatch + 1))
        n = int(m.sum())
        like = int(same[m].sum()) // 2
        te = int(other[m].sum())
        perims_all.append(perims)
        areas_all.append(areas)
        like_sum.append(like)
        te_sum.append(te)
        max_like = (4 * n - _least_perimeter(n)) // 2
        rows[int(k)] = {
            "NP": npatch,
            "CA": n * cellsize**2 / 1e4,
            "PLAND": 100 * n / total,
            "PD": npatch / area_m2 * 1e6,
            "LPI": 100 * areas.max() / total,
            "ED": te * cellsize / area_m2 * 1e4,
            "LSI": perims.sum() / _least_perimeter(n),
            "COHESION": (100 * (1 - perims.sum() / (perims * np.sqrt(areas)).sum())
                         / (1 - 1 / math.sqrt(total)) if total > 1 else np.nan),
            "AI": 100 * like / max_like if max_like else np.nan,
            "DIVISION": 1 - (areas.astype(float) ** 2).sum() / total**2,
            "SPLIT": total**2 / (areas.astype(float) ** 2).sum(),
        }
    cls = pd.DataFrame.from_dict(rows, orient="index")[list(CLASS_COLUMNS)]
    cls.index.name = "class"
    perims, areas = np.concatenate(perims_all), np.concatenate(areas_all)
    border = int((4 - (vp[:-2, 1:-1].astype(int) + vp[2:, 1:-1] + vp[1:-1, :-2]
                       + vp[1:-1, 2:]))[valid].sum())
    return cls, total, perims, areas, sum(te_sum) // 2, border


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_matches_ndimage_reference(data):
    h = data.draw(st.integers(1, 14))
    w = data.draw(st.integers(1, 14))
    k = data.draw(st.integers(1, 4))
    seed = data.draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    a = rng.integers(0, k, (h, w)).astype(float)
    a[rng.random((h, w)) < data.draw(st.sampled_from([0.0, 0.2]))] = np.nan
    if np.isnan(a).all():
        a[0, 0] = 0
    stripe = data.draw(st.integers(1, h))
    ref, total, perims, areas, edges, border = _reference(a, 5.0)
    got = class_metrics(a, 5.0, stripe_rows=stripe)
    pd.testing.assert_frame_equal(got, ref, check_exact=False, rtol=1e-10, check_dtype=False)
    land = landscape_metrics(a, 5.0, stripe_rows=stripe)
    assert land["NP"] == len(areas)
    assert land["LSI"] == pytest.approx((edges + border) / _least_perimeter(total))
    assert land["ED"] == pytest.approx(edges * 5.0 / (total * 25.0) * 1e4)
    assert land["SPLIT"] == pytest.approx(total**2 / (areas.astype(float) ** 2).sum())


# -- zones -------------------------------------------------------------------------------------


def _masked(a: np.ndarray, zones: np.ndarray, z: int) -> np.ndarray:
    out = a.astype(float)
    out[zones != z] = np.nan
    return out


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_by_zone_equals_masked_calls(data):
    h = data.draw(st.integers(1, 12))
    w = data.draw(st.integers(1, 12))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    a = rng.integers(0, data.draw(st.integers(1, 4)), (h, w))
    a[rng.random((h, w)) < 0.1] = 99                         # nodata
    # blocky zones (as units are) or salt-and-pepper ones; −1 outside every zone
    if data.draw(st.booleans()):
        zones = rng.integers(-1, 4, (h, w))
    else:
        zones = (np.arange(h)[:, None] * 3 // max(h, 1)) * 2 + (np.arange(w)[None, :] * 2 // w)
        zones[rng.random((h, w)) < 0.1] = -1
    stripe = data.draw(st.integers(1, h))
    present = [z for z in np.unique(zones) if z >= 0 and ((zones == z) & (a != 99)).any()]
    if not present:
        with pytest.raises(InputError, match="no landscape cell inside a zone"):
            class_metrics_by_zone(a, zones, 30.0, nodata=99)
        return
    by_class = class_metrics_by_zone(a, zones, 30.0, nodata=99, stripe_rows=stripe)
    by_land = landscape_metrics_by_zone(a, zones, 30.0, nodata=99, stripe_rows=stripe)
    assert by_class.index.names == ["zone", "class"]
    assert list(by_land.index) == present
    for z in present:
        masked = _masked(a, zones, z)
        masked[a == 99] = np.nan
        pd.testing.assert_frame_equal(by_class.loc[z], class_metrics(masked, 30.0),
                                      check_exact=False, rtol=1e-12)
        pd.testing.assert_series_equal(by_land.loc[z], landscape_metrics(masked, 30.0),
                                       check_exact=False, rtol=1e-12, check_names=False)


def test_zone_nodata_and_float_zones():
    a = np.array([[1, 1, 2], [2, 2, 1], [1, 2, 2]])
    zones = np.array([[0, 0, 3], [0, 3, 3], [5, 5, 5]])
    got = class_metrics_by_zone(a, zones, 1.0, zone_nodata=0)
    assert sorted(set(got.index.get_level_values("zone"))) == [3, 5]
    fz = zones.astype(float)
    fz[zones == 0] = np.nan
    pd.testing.assert_frame_equal(class_metrics_by_zone(a, fz, 1.0), got)
    pd.testing.assert_frame_equal(got.loc[5], class_metrics(_masked(a, zones, 5), 1.0))


# -- stripes -----------------------------------------------------------------------------------


def _blobs(shape, k, seed, sigma=2.0):
    rng = np.random.default_rng(seed)
    field = ndimage.gaussian_filter(rng.standard_normal(shape), sigma)
    cuts = np.quantile(field, np.linspace(0, 1, k + 1)[1:-1])
    return np.digitize(field, cuts)


def test_stripes_equal_whole_raster():
    a = _blobs((61, 47), 5, 1).astype(np.int16)
    a[10:14, 5:30] = -1                                       # a nodata band across stripes
    zones = (np.arange(61)[:, None] // 20) * 3 + np.arange(47)[None, :] // 16
    whole_c = class_metrics_by_zone(a, zones, 25.0, nodata=-1, stripe_rows=61)
    whole_l = landscape_metrics_by_zone(a, zones, 25.0, nodata=-1, stripe_rows=61)
    for rows in (1, 2, 3, 8, 60):
        pd.testing.assert_frame_equal(
            class_metrics_by_zone(a, zones, 25.0, nodata=-1, stripe_rows=rows), whole_c,
            check_exact=False, rtol=1e-13)
        pd.testing.assert_frame_equal(
            landscape_metrics_by_zone(a, zones, 25.0, nodata=-1, stripe_rows=rows), whole_l,
            check_exact=False, rtol=1e-13)
    # uneven windows fed by hand, as a caller reading a file would
    acc = LandscapeAccumulator(25.0, nodata=-1, by_zone=True)
    edges = [0, 5, 6, 19, 40, 41, 61]
    for r0, r1 in zip(edges[:-1], edges[1:], strict=True):
        acc.add(a[r0:r1], zones[r0:r1])
    pd.testing.assert_frame_equal(acc.class_metrics(), whole_c, check_exact=False, rtol=1e-13)
    pd.testing.assert_frame_equal(acc.landscape_metrics(), whole_l, check_exact=False, rtol=1e-13)
    # integer counts are exact
    assert (acc.class_metrics()["NP"] == whole_c["NP"]).all()


def test_a_patch_winding_across_many_stripes():
    """A U-shaped patch whose arms only join in the last row, and a spiral."""
    u = np.zeros((9, 5), int)
    u[:, 0] = 1
    u[:, 4] = 1
    u[8, :] = 1
    for rows in (1, 2, 4, 9):
        got = class_metrics(u, 1.0, stripe_rows=rows)
        assert got.loc[1, "NP"] == 1 and got.loc[0, "NP"] == 1
    spiral = np.array([
        [1, 1, 1, 1, 1, 1, 1],
        [0, 0, 0, 0, 0, 0, 1],
        [1, 1, 1, 1, 1, 0, 1],
        [1, 0, 0, 0, 1, 0, 1],
        [1, 0, 1, 0, 0, 0, 1],
        [1, 0, 1, 1, 1, 1, 1],
    ])
    for rows in (1, 2, 3):
        got = class_metrics(spiral, 1.0, stripe_rows=rows)
        assert got["NP"].tolist() == [1, 2]  # 0: one winding corridor; 1: ring and inner hook
        pd.testing.assert_frame_equal(got, class_metrics(spiral, 1.0), rtol=1e-13)


def test_memmap_input_is_read_by_stripes(tmp_path):
    a = _blobs((80, 33), 4, 7).astype(np.uint8)
    mm = np.memmap(tmp_path / "lc.u8", dtype=np.uint8, mode="w+", shape=a.shape)
    mm[:] = a
    mm.flush()
    ro = np.memmap(tmp_path / "lc.u8", dtype=np.uint8, mode="r", shape=a.shape)
    pd.testing.assert_frame_equal(class_metrics(ro, 30.0, stripe_rows=9), class_metrics(a, 30.0),
                                  check_exact=False, rtol=1e-13)


# -- errors ------------------------------------------------------------------------------------


def test_errors():
    with pytest.raises(InputError, match="not an integer code"):
        class_metrics(np.array([[1.0, 1.5]]), 30.0)
    with pytest.raises(InputError, match="no landscape cell"):
        class_metrics(np.full((2, 2), np.nan), 30.0)
    with pytest.raises(InputError, match="2-D"):
        class_metrics(np.zeros(4, int), 30.0)
    with pytest.raises(InputError, match="must hold integer codes"):
        class_metrics(np.array([["a"]]), 30.0)
    with pytest.raises(ParameterError, match="positive"):
        class_metrics(np.zeros((2, 2), int), 0.0)
    with pytest.raises(ParameterError, match="square"):
        class_metrics(np.zeros((2, 2), int), (30.0, 20.0))
    with pytest.raises(ParameterError, match="stripe_rows"):
        class_metrics(np.zeros((2, 2), int), 30.0, stripe_rows=0)
    with pytest.raises(InputError, match="shape"):
        class_metrics_by_zone(np.zeros((2, 2), int), np.zeros((2, 3), int), 30.0)
    acc = LandscapeAccumulator(30.0)
    acc.add(np.zeros((2, 3), int))
    with pytest.raises(InputError, match="width"):
        acc.add(np.zeros((2, 4), int))
    acc.class_metrics()
    with pytest.raises(InputError, match="after the metrics were read"):
        acc.add(np.zeros((2, 3), int))
    assert class_metrics(np.zeros((2, 2), int), (30.0, -30.0))["CA"].iloc[0] == pytest.approx(0.36)
