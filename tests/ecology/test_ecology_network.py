"""The window pipeline's pure steps (ecozone.ecology.network): hand-derived values and properties."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecozone.ecology.conefor import connectivity, edge_distances
from ecozone.ecology.cost import cost_distance
from ecozone.ecology.network import (
    break_nodes,
    coarsen_classes,
    link_sources,
    ndvi_correction,
    network_metrics,
    patch_nodes,
    point_distances,
    resistance_surface,
    select_sources,
)
from ecozone.ecology.run import windows
from ecozone.errors import InputError, ParameterError


def test_coarsen_majority_ties_and_nodata():
    c = np.array([[1, 1, 2, 2],
                  [1, 3, 2, 9],
                  [9, 9, 5, 6],
                  [9, 4, 6, 5]])
    got = coarsen_classes(c, 2, nodata=[9])
    # block 1: 1 ×3; block 2: 2 ×3 (9 does not vote); block 3: 3 of 4 nodata → nodata;
    # block 4: 5 and 6 twice each → the smaller code
    np.testing.assert_array_equal(got, [[1, 2], [9, 5]])
    # a partial block at the edge counts its missing cells as nodata: 2 valid of 4 are enough, 1 is not
    np.testing.assert_array_equal(coarsen_classes(np.array([[1, 1, 7]]), 2, nodata=[0]), [[1, 0]])
    np.testing.assert_array_equal(coarsen_classes(c, 1), c)
    with pytest.raises(ParameterError, match="coarsen"):
        coarsen_classes(c, 0)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 12), st.integers(1, 12), st.integers(1, 4), st.integers(0, 2**31 - 1))
def test_coarsen_takes_codes_of_the_block(rows, cols, f, seed):
    rng = np.random.default_rng(seed)
    c = rng.integers(0, 4, (rows, cols))
    got = coarsen_classes(c, f, nodata=[0])
    assert got.shape == (-(-rows // f), -(-cols // f))
    for i in range(got.shape[0]):
        for j in range(got.shape[1]):
            block = c[i * f:(i + 1) * f, j * f:(j + 1) * f]
            valid = block[block != 0]
            if 2 * valid.size < f * f:
                assert got[i, j] == 0
            else:
                counts = np.bincount(valid, minlength=4)
                assert got[i, j] == int(np.argmax(counts))


def test_resistance_surface_and_ndvi_correction():
    table = pd.Series({1: 1.0, 12: 50.0, 13: 500.0})
    r = resistance_surface(np.array([[1, 12], [13, 255]]), table, nodata=[255])
    np.testing.assert_array_equal(r, [[1.0, 50.0], [500.0, np.nan]])
    with pytest.raises(InputError, match=r"\[7\]"):
        resistance_surface(np.array([[1, 7]]), table)
    # r × (1 − NDVI clipped to 0…1), never below 1; NaN NDVI leaves r
    got = ndvi_correction(np.array([[50.0, 500.0, 1.0, 50.0]]), np.array([[0.6, -0.2, 0.9, np.nan]]))
    np.testing.assert_allclose(got, [[20.0, 500.0, 1.0, 50.0]])
    np.testing.assert_allclose(ndvi_correction(np.array([[2.0]]), np.array([[0.99]])), [[1.0]])


def test_cost_distance_on_a_grid_wider_than_127_cells():
    # MCP's offsets are int8: flat offsets must be widened before scaling by the width (was an overflow)
    r = np.ones((2, 300))
    src = np.zeros((2, 300), bool)
    src[0, 0] = True
    cwd = cost_distance(r, src, 10.0)
    assert cwd[0, 299] == pytest.approx(2990.0)
    assert cwd[1, 299] == pytest.approx(2980.0 + 10 * math.sqrt(2))


def test_select_sources_ranks_by_dpc_and_takes_the_top_share():
    eco = np.zeros((40, 40), bool)
    eco[2:12, 2:12] = True  # core 8 × 8 = 64 cells
    eco[2:8, 20:26] = True  # core 4 × 4 = 16
    eco[25:38, 25:38] = True  # core 11 × 11 = 121
    nd = np.zeros_like(eco)
    s = select_sources(eco, nd, 100.0, min_core_km2=0.1, dpc_top_share=0.5)
    c = s.candidates.sort_values("area_km2")
    assert c["area_km2"].tolist() == pytest.approx([0.16, 0.64, 1.21])
    assert c["rank"].tolist() == [3, 2, 1]  # the largest core matters most here
    assert s.table["area_km2"].tolist() == pytest.approx([1.21, 0.64])  # ⌈0.5 × 3⌉ = 2 sources, by rank
    assert s.labels.max() == 2 and (s.labels[30, 30], s.labels[5, 5], s.labels[5, 22]) == (1, 2, 0)
    assert len(select_sources(eco, nd, 100.0, min_core_km2=0.1, n_sources=1).table) == 1
    # the 0.16 km² core is no candidate
    assert len(select_sources(eco, nd, 100.0, min_core_km2=0.5, dpc_top_share=1.0).table) == 2
    # dPC as Conefor computes it on the same patches (edge-to-edge distances)
    con = connectivity(c.sort_values("candidate")["area_km2"].to_numpy(),
                       edge_distances(np.where(s.mspa == 17, _core_labels(s.mspa), 0), 100.0).to_numpy(),
                       5000.0, 0.5, 16.0)
    np.testing.assert_allclose(s.candidates["dpc"], con["dpc"].to_numpy())


def _core_labels(mspa):
    from scipy import ndimage

    return ndimage.label(mspa == 17, np.ones((3, 3)))[0]


def test_link_sources_two_blocks_by_hand():
    # two 1-cell sources 4 cells apart in a corridor of resistance 2, walls of 1000 around
    r = np.full((3, 7), 1000.0)
    r[1, :] = 2.0
    lab = np.zeros((3, 7), int)
    lab[1, 1], lab[1, 5] = 1, 2
    links = link_sources(r, lab, 10.0, radii_cells=(1,))
    t = links.table
    assert (t["source_a"].tolist(), t["source_b"].tolist()) == ([1], [2])
    assert t["lcd"].iloc[0] == pytest.approx(4 * 10 * 2.0)
    assert t["length_m"].iloc[0] == pytest.approx(40.0)
    np.testing.assert_array_equal(links.paths[(1, 2)], [[1, c] for c in range(1, 6)])
    # NLCC is 0 along the path, CWD_a + CWD_b − LCD elsewhere
    assert (links.nlcc[1, 1:6] == 0).all() and links.nlcc[0, 3] > 0
    # circuit: four links of 2 Ω in series along the row (8 Ω); the walls (1000) add weak parallel paths
    assert 7.5 < t["resistance"].iloc[0] < 8.0
    assert 0.95 < links.current[1, 3] <= 1.0 and links.current[0, 3] < 0.05


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**31 - 1), st.sampled_from([4, 8]))
def test_link_sources_properties(seed, connect):
    rng = np.random.default_rng(seed)
    r = rng.choice([1.0, 10.0, 100.0], (14, 16))
    lab = np.zeros((14, 16), int)
    for k, (y, x) in enumerate([(1, 1), (12, 2), (3, 13), (11, 14)], start=1):
        lab[y, x] = k
    links = link_sources(r, lab, 30.0, connect=connect, radii_cells=(1, 2))
    assert (links.nlcc[np.isfinite(links.nlcc)] >= 0).all()
    assert (links.barriers >= 0).all() and (links.current >= 0).all()
    t = links.table
    for (a, b), cells in links.paths.items():
        lcd = t.set_index(["source_a", "source_b"]).loc[(a, b), "lcd"]
        assert links.nlcc[cells[:, 0], cells[:, 1]] == pytest.approx(0.0, abs=1e-9 * lcd)
        assert lab[tuple(cells[0])] == a and lab[tuple(cells[-1])] == b
    assert (t["source_a"] < t["source_b"]).all()
    if len(t) > 1:  # important = above the mean: never all of them
        assert not t["important"].all()


def test_patch_nodes_top_share_and_break_nodes():
    s = np.zeros((5, 6))
    s[1, 1:3] = [5.0, 4.0]  # one patch of two cells
    s[3, 4] = 3.0
    s[4, 0] = 1.0
    mask = s > 0
    got = patch_nodes(s, mask, 0.75)  # ⌈0.75 × 4⌉ = 3 cells: 5, 4, 3
    assert got[["row", "col", "score", "cells"]].to_numpy().tolist() == [[1, 1, 5.0, 2], [3, 4, 3.0, 1]]
    assert len(patch_nodes(s, np.zeros_like(mask), 0.5)) == 0
    road = np.zeros((5, 6), bool)
    road[:, 3] = True
    built = np.zeros((5, 6), bool)
    built[2, 3] = True
    paths = {(1, 2): np.array([[2, c] for c in range(6)])}
    b = break_nodes(paths, {"road": road, "built": built})
    assert b[["source_a", "source_b", "row", "col", "cells", "what"]].to_numpy().tolist() == [[1, 2, 2, 3, 1, "road"]]
    assert len(break_nodes(paths, {"road": None})) == 0


def test_network_metrics_against_conefor():
    areas = np.array([2.0, 1.0, 3.0])
    pts = [np.array([[0, 0]]), np.array([[0, 30]]), np.array([[40, 0], [40, 1]])]
    d = point_distances(pts, 100.0)
    assert d[0, 1] == pytest.approx(3000.0) and d[0, 2] == pytest.approx(4000.0) and d[1, 2] == pytest.approx(
        100 * math.hypot(40, 29))
    got = network_metrics(areas, d, 2, 50.0, 5000.0, 0.5)
    con = connectivity(areas, d, 5000.0, 0.5, 50.0)
    assert got["pc"] == pytest.approx(con["pc"]) and got["iic"] == pytest.approx(con["iic"])
    assert got["eca"] == pytest.approx(con["eca"])
    assert (got["alpha"], got["beta"], got["gamma"]) == pytest.approx((0.0, 2 / 3, 2 / 3))
    empty = network_metrics([], np.zeros((0, 0)), 0, 50.0, 5000.0, 0.5)
    assert (empty["pc"], empty["eca"], empty["n_sources"]) == (0.0, 0.0, 0) and np.isnan(empty["beta"])


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1), st.sampled_from([None, 61.0, 151.0]))  # bounds off the cell-distance lattice
def test_point_distances_equal_edge_distances(seed, bound):
    # the bounding-box pruning of point_distances against conefor's plain KD-tree queries
    rng = np.random.default_rng(seed)
    lab = rng.integers(0, 6, (15, 13)) * (rng.random((15, 13)) < 0.3)
    ids = np.unique(lab[lab > 0])
    want = edge_distances(lab, 30.0, max_distance=bound).to_numpy()
    got = point_distances([np.argwhere(lab == i) for i in ids], 30.0, max_distance=bound)
    np.testing.assert_allclose(got, want)


def test_windows_tile_the_grid():
    one = windows((100, 120), 128, 8)
    assert len(one) == 1 and one[0].core == one[0].ext == (0, 100, 0, 120)
    w = windows((100, 120), 50, 10)
    assert len(w) == 6
    cover = np.zeros((100, 120), int)
    for x in w:
        cover[x.core[0]:x.core[1], x.core[2]:x.core[3]] += 1
        assert x.ext[0] == max(0, x.core[0] - 10) and x.ext[3] == min(120, x.core[3] + 10)
    assert (cover == 1).all()


@settings(max_examples=100, deadline=None)  # the old rounding failure hit ~5 % of these cases
@given(st.floats(0.01, 1000.0), st.integers(0, 2**31 - 1))
def test_point_distances_with_any_cell_size(cellsize, seed):
    # closest cells at the corner of the other patch's box: the box bound and the tree's distance
    # are the same number computed twice; rounding must not lose the pair (a benchmark run did)
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 50, (6, 2))
    b = a.max(axis=0) + rng.integers(1, 5, 2) + rng.integers(0, 30, (5, 2))
    got = point_distances([a, b, b + 60], cellsize, max_distance=cellsize * 1e3)
    want = min(float(np.hypot(*(p - q))) for p in a for q in b) * cellsize
    assert got[0, 1] == pytest.approx(want, rel=1e-12) and got[1, 0] == got[0, 1]
