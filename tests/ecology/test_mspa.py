"""MSPA against pyguidos reference maps and hand-derived cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage

from ecozone.ecology.mspa import (
    BORDER_OPENING,
    BRANCH,
    BRIDGE,
    CORE,
    CORE_OPENING,
    EDGE,
    IN_EDGE,
    INTERNAL,
    ISLET,
    LOOP,
    NODATA,
    PERFORATION,
    core_patches,
    mspa,
    mspa_core_tiled,
)
from ecozone.errors import InputError, ParameterError

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
ORACLE = SHARED / "oracles" / "mspa"


def _asc(path: Path) -> np.ndarray:
    return np.loadtxt(path, skiprows=5).astype(int)


@pytest.mark.parametrize(("conn", "width"), [(8, 1), (4, 1), (8, 2)])
def test_pyguidos_reference_maps(conn, width):
    if not (ORACLE / "tiny_input.asc").exists():
        pytest.skip("shared/oracles/mspa (pyguidos reference maps) not present")
    binary = _asc(ORACLE / "tiny_input.asc") == 2
    want = _asc(ORACLE / f"tiny_mspa_{conn}_{width}_1_1.asc")
    got = mspa(binary, edge_width=width, connectivity=conn)
    bad = np.argwhere(got != want)
    assert bad.size == 0, [(int(i), int(j), int(want[i, j]), int(got[i, j])) for i, j in bad[:10]]


def test_pyguidos_reference_counts_8_1():
    # the README's table for 8-conn / edge 1, independent of the .asc reader
    if not (ORACLE / "tiny_input.asc").exists():
        pytest.skip("shared/oracles/mspa (pyguidos reference maps) not present")
    got = mspa(_asc(ORACLE / "tiny_input.asc") == 2)
    counts = dict(zip(*np.unique(got, return_counts=True), strict=True))
    assert counts == {17: 452, 3: 186, 105: 20, 9: 4, 1: 9, 65: 10, 67: 2, 33: 22, 35: 4,
                      100: 16, 220: 12, 0: 1183}


def test_square_5x5_core_and_edge_ring():
    x = np.zeros((9, 9), bool)
    x[2:7, 2:7] = True
    got = mspa(x, edge_width=1)
    want = np.zeros((9, 9), np.uint8)
    want[2:7, 2:7] = EDGE
    want[3:6, 3:6] = CORE
    np.testing.assert_array_equal(got, want)


def test_islet():
    x = np.zeros((8, 8), bool)
    x[3:5, 3:5] = True  # 2x2: no cell is 2 cells from the background
    got = mspa(x)
    assert (got[x] == ISLET).all() and (got[~x] == 0).all()


def test_perforation_core_opening_and_internal_islet():
    # 13x13 block, 5x5 hole holding a 1-cell islet, walls 4 cells wide, edge width 1:
    # outer edge ring 48, core ring 11x11 - 7x7 = 72, perforation 7x7 - 5x5 = 24,
    # core-opening 25 - 1 = 24, the islet inside it is internal (109)
    x = np.zeros((17, 17), bool)
    x[2:15, 2:15] = True
    x[6:11, 6:11] = False
    x[8, 8] = True
    got = mspa(x)
    counts = dict(zip(*np.unique(got, return_counts=True), strict=True))
    assert counts == {0: 17 * 17 - 169, EDGE: 48, CORE: 72, PERFORATION + INTERNAL: 24,
                      CORE_OPENING: 24, ISLET + INTERNAL: 1}
    assert got[5, 5] == PERFORATION + INTERNAL and got[2, 2] == EDGE and got[3, 3] == CORE


def test_single_hole_perforation():
    # 7x7 block with its centre missing: 24 edge, 16 core (ring), 8 perforation, 1 opening
    x = np.zeros((11, 11), bool)
    x[2:9, 2:9] = True
    x[5, 5] = False
    got = mspa(x)
    counts = dict(zip(*np.unique(got, return_counts=True), strict=True))
    assert counts == {0: 121 - 49, EDGE: 24, CORE: 16, PERFORATION + INTERNAL: 8, CORE_OPENING: 1}


def test_bridge_loop_branch_by_hand():
    x = np.zeros((14, 30), bool)
    x[2:9, 2:9] = True  # A
    x[2:9, 20:27] = True  # B
    x[5, 9:20] = True  # 1-cell line A-B
    x[9:12, 5] = True  # dead end below A
    got = mspa(x)
    assert (got[5, 9:20] == BRIDGE).all()
    # where the bridge crosses each 1-cell edge: bridge in edge
    assert got[5, 8] == BRIDGE + IN_EDGE and got[5, 20] == BRIDGE + IN_EDGE
    assert got[4, 8] == EDGE and got[6, 8] == EDGE
    assert (got[9:12, 5] == BRANCH).all() and got[8, 5] == EDGE
    # a loop leaving B and coming back to it encloses a border-opening
    y = np.zeros((16, 16), bool)
    y[2:9, 2:9] = True
    y[4, 9:13] = True
    y[4:8, 12] = True
    y[7, 9:13] = True
    got = mspa(y, connectivity=4)
    assert (got[5:7, 12] == LOOP).all() and got[4, 12] == LOOP
    assert got[4, 8] == LOOP + IN_EDGE and got[7, 8] == LOOP + IN_EDGE
    assert (got[5:7, 9:12] == BORDER_OPENING).all()
    # with 8-connectivity the loop's corner cells are not needed: branch
    got8 = mspa(y, connectivity=8)
    assert got8[4, 12] == BRANCH and got8[7, 12] == BRANCH and got8[5, 12] == LOOP


@pytest.mark.parametrize("width", [1, 2, 3, 4, 6])
def test_core_is_euclidean_disk_erosion(width):
    # one background cell in a foreground field: with core_structure="disk" the
    # non-core cells are the disk i^2 + j^2 < (w + 1)^2 (GTB; for w = 1, 2 the full square)
    x = np.ones((31, 31), bool)
    x[15, 15] = False
    got = mspa(x, edge_width=width, core_structure="disk")
    i, j = np.mgrid[-15:16, -15:16]
    noncore = i**2 + j**2 < (width + 1) ** 2
    np.testing.assert_array_equal(got != CORE, noncore)
    if width <= 2:
        assert noncore.sum() == (2 * width + 1) ** 2
    if width == 3:
        assert noncore.sum() == 45  # 7x7 square less its 4 corners


@pytest.mark.parametrize("width", [1, 2, 3, 4, 6])
def test_core_is_square_erosion_by_default(width):
    # METHODS §4.1: no background within chessboard distance w, the (2w + 1)-square
    x = np.ones((31, 31), bool)
    x[15, 15] = False
    got = mspa(x, edge_width=width)
    i, j = np.mgrid[-15:16, -15:16]
    noncore = np.maximum(abs(i), abs(j)) <= width
    np.testing.assert_array_equal(got != CORE, noncore)
    assert noncore.sum() == (2 * width + 1) ** 2
    # the opening by the same square reaches every non-core foreground cell: all boundary
    # (perforation, internal: they lie inside a hole of the core)
    np.testing.assert_array_equal(got == PERFORATION + 100, noncore & x)


def test_nodata_is_not_background():
    x = np.zeros((12, 12), bool)
    x[2:10, 2:10] = True
    nd = np.zeros_like(x)
    nd[:, 6:] = True
    got = mspa(x, nodata=nd)
    assert (got[nd] == NODATA).all()
    # no edge along the no-data side
    assert (got[3:9, 5] == CORE).all()
    assert (got[2, 2:6] == EDGE).all()


@st.composite
def rasters(draw):
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    n = draw(st.integers(12, 40))
    f = ndimage.gaussian_filter(rng.standard_normal((n, n)), draw(st.floats(0.8, 3.0)))
    return f > np.quantile(f, draw(st.floats(0.2, 0.7)))


@settings(max_examples=25, deadline=None)
@given(rasters(), st.integers(1, 4), st.sampled_from([4, 8]), st.sampled_from(["square", "disk"]))
def test_partition_properties(x, width, conn, structure):
    got = mspa(x, edge_width=width, connectivity=conn, core_structure=structure)
    fg_codes = {17, 9, 5, 3, 65, 67, 69, 33, 35, 37, 1}
    fg_codes |= {c + 100 for c in fg_codes}
    assert set(np.unique(got[x]).tolist()) <= fg_codes
    assert set(np.unique(got[~x]).tolist()) <= {0, 100, 220}
    # core by an independent route: binary erosion with the structure, outside = foreground
    r = np.arange(-width, width + 1)
    disk = r[:, None] ** 2 + r[None, :] ** 2 < (width + 1) ** 2
    se = disk if structure == "disk" else np.ones_like(disk)
    core = ndimage.binary_erosion(x, se, border_value=1)
    np.testing.assert_array_equal(np.isin(got, (17, 117)), core)
    # islets are exactly the components without core
    lab, _ = ndimage.label(x, np.ones((3, 3)) if conn == 8 else None)
    with_core = np.unique(lab[core])
    np.testing.assert_array_equal(np.isin(got, (9, 109)), x & ~np.isin(lab, with_core))
    # the local classes agree with the tiled computation
    tiled = mspa_core_tiled(x, edge_width=width, tile=7, core_structure=structure)
    np.testing.assert_array_equal(tiled == CORE, core)
    boundary = np.isin(got % 100, (3, 5)) | np.isin(got % 100, (35, 37, 67, 69))
    np.testing.assert_array_equal(tiled == EDGE, boundary)


def test_core_patches_areas():
    x = np.zeros((20, 20), bool)
    x[1:6, 1:6] = True  # 3x3 core
    x[8:19, 8:19] = True  # 9x9 core
    cls = mspa(x)
    labels, areas = core_patches(cls, cellsize=100.0, min_core_km2=0.0)
    np.testing.assert_allclose(sorted(areas), [0.09, 0.81])
    assert labels.max() == 2
    labels, areas = core_patches(cls, cellsize=100.0, min_core_km2=0.5)
    np.testing.assert_allclose(areas, [0.81])
    assert (labels[9:18, 9:18] == 1).all() and labels[3, 3] == 0


@pytest.mark.parametrize(
    ("call", "err"),
    [
        (lambda: mspa(np.ones((5, 5)), edge_width=0), ParameterError),
        (lambda: mspa(np.ones((5, 5)), connectivity=6), ParameterError),
        (lambda: mspa(np.ones((5, 5)), core_structure="round"), ParameterError),
        (lambda: mspa(np.full((5, 5), 2)), InputError),
        (lambda: mspa(np.ones(5)), InputError),
        (lambda: mspa(np.full((5, 5), np.nan)), InputError),
        (lambda: core_patches(np.zeros((3, 3)), cellsize=0), ParameterError),
        (lambda: core_patches(np.zeros((3, 3)), cellsize=30, min_core_km2=-1), ParameterError),
    ],
)
def test_bad_inputs(call, err):
    with pytest.raises(err):
        call()
