"""Barrier Mapper improvement scores and break points (METHODS §4.4)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecozone.ecology.barriers import annulus, barrier_scores, break_points, improvement_score
from ecozone.ecology.cost import cost_distance
from ecozone.errors import InputError, ParameterError


def _line():
    """1 × 9 cells of 1 with a wall of 100 in the middle; sources at both ends."""
    r = np.array([[1.0, 1, 1, 1, 100, 1, 1, 1, 1]])
    a = np.zeros(r.shape, bool)
    b = np.zeros(r.shape, bool)
    a[0, 0] = b[0, 8] = True
    return r, a, b


def test_line_hand_derived():
    r, a, b = _line()
    cwd_a = cost_distance(r, a, 1.0)
    cwd_b = cost_distance(r, b, 1.0)
    # CWD_a = 0 1 2 3 53.5 104 105 106 107 (steps at the mean resistance)
    np.testing.assert_allclose(cwd_a[0], [0, 1, 2, 3, 53.5, 104, 105, 106, 107])
    lcd = 107.0
    s1 = improvement_score(cwd_a, cwd_b, lcd, 1.0, [1])
    # wall cell, r = 1: annulus = its two neighbours, m_a = m_b = 3: (107 − 3 − 3 − 2) / 2
    assert s1[0, 4] == pytest.approx(49.5)
    # beside the wall, r = 1: m_a = min(2, 53.5) = 2, m_b = min(105, 53.5) = 53.5
    assert s1[0, 3] == pytest.approx((107 - 2 - 53.5 - 2) / 2)
    # r = 2 at the wall: annulus cells 2 and 6 → (107 − 2 − 2 − 4) / 4
    s2 = improvement_score(cwd_a, cwd_b, lcd, 1.0, [2])
    assert s2[0, 4] == pytest.approx(24.75)
    both = improvement_score(cwd_a, cwd_b, lcd, 1.0, [1, 2])
    np.testing.assert_allclose(both, np.maximum(s1, s2))
    # far from the wall nothing improves
    assert s1[0, 1] == 0.0 and s1[0, 7] == 0.0
    # metres: the same raster at 10 m scales CWD and 2r alike, so scores are unchanged
    s10 = improvement_score(cwd_a * 10, cwd_b * 10, lcd * 10, 10.0, [1])
    np.testing.assert_allclose(s10, s1)


def test_annulus_footprints():
    assert annulus(1).astype(int).tolist() == [[0, 1, 0], [1, 0, 1], [0, 1, 0]]
    # 1 < d ≤ 2: (±2, 0), (0, ±2) and the four diagonals (√2)
    assert int(annulus(2).sum()) == 8 and annulus(2)[1, 1] and not annulus(2)[0, 1]


def _brute_force(cwd_a, cwd_b, lcd, cs, radii):
    rows, cols = cwd_a.shape
    out = np.zeros(cwd_a.shape)
    for y in range(rows):
        for x in range(cols):
            for rc in radii:
                ma = mb = np.inf
                for y2 in range(rows):
                    for x2 in range(cols):
                        d = np.hypot(y2 - y, x2 - x)
                        if rc - 1 < d <= rc:
                            ma = min(ma, cwd_a[y2, x2])
                            mb = min(mb, cwd_b[y2, x2])
                s = (lcd - ma - mb - 2 * rc * cs) / (2 * rc * cs)
                if np.isfinite(s):
                    out[y, x] = max(out[y, x], s)
    return out


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 8), st.integers(2, 8), st.integers(0, 2**32 - 1))
def test_improvement_score_matches_brute_force(rows, cols, seed):
    rng = np.random.default_rng(seed)
    r = rng.choice([1.0, 5.0, 80.0, np.nan], size=(rows, cols), p=[0.5, 0.2, 0.2, 0.1])
    cells = rng.permutation(rows * cols)[:2]
    a = np.zeros((rows, cols), bool)
    b = np.zeros((rows, cols), bool)
    a.flat[cells[0]] = b.flat[cells[1]] = True
    r[a | b] = 1.0
    cwd_a = cost_distance(r, a, 30.0)
    cwd_b = cost_distance(r, b, 30.0)
    lcd = float(np.min(np.where(b, cwd_a, np.inf)))
    if not np.isfinite(lcd):
        return
    got = improvement_score(cwd_a, cwd_b, lcd, 30.0, [1, 2, 3])
    np.testing.assert_allclose(got, _brute_force(cwd_a, cwd_b, lcd, 30.0, [1, 2, 3]), rtol=1e-12)
    assert np.all(got >= 0)


def test_barrier_scores_mosaic_the_pairs():
    r = np.ones((7, 7))
    r[:, 3] = 60.0  # a wall between the left and right sources
    lab = np.zeros((7, 7), int)
    lab[3, 0] = 1
    lab[3, 6] = 2
    lab[0, 6] = 3
    score = barrier_scores(r, lab, 10.0, radii_cells=[1, 2])
    # the best restoration sits on the wall
    assert np.unravel_index(np.argmax(score), score.shape)[1] == 3
    pairs = [(1, 2), (1, 3), (2, 3)]
    by_hand = np.zeros(r.shape)
    for a, b in pairs:
        ca, cb = cost_distance(r, lab == a, 10.0), cost_distance(r, lab == b, 10.0)
        lcd = float(ca[lab == b].min())
        by_hand = np.maximum(by_hand, improvement_score(ca, cb, lcd, 10.0, [1, 2]))
    np.testing.assert_allclose(
        barrier_scores(r, lab, 10.0, radii_cells=[1, 2], pairs=pairs), by_hand
    )


def test_break_points():
    road = np.zeros((6, 6), bool)
    road[:, 2] = True  # a north–south road, 1 cell wide
    road[4, 3:5] = True  # a spur
    path = [[0, 0], [0, 1], [0, 2], [0, 3], [1, 4], [2, 4], [3, 4], [4, 4], [5, 4]]
    bp = break_points(path, road)
    assert bp.values.tolist() == [[0, 2, 2, 1], [4, 4, 7, 1]]
    # a two-cell run reports its middle (lower) index
    wide = road.copy()
    wide[:, 3] = True
    bp2 = break_points(path, wide)
    assert bp2.values.tolist()[0] == [0, 2, 2, 2]
    # a diagonal step between two road cells that meet at a corner
    diag = np.zeros((3, 3), bool)
    diag[0, 1] = diag[1, 0] = True
    assert break_points([[0, 0], [1, 1], [2, 2]], diag).values.tolist() == [[0, 1, 0, 0]]
    assert break_points([[0, 0], [0, 1]], np.zeros((2, 2), bool)).empty


def test_errors():
    c = np.zeros((3, 3))
    with pytest.raises(ParameterError, match="radii"):
        improvement_score(c, c, 1.0, 1.0, [0])
    with pytest.raises(InputError, match="NaN"):
        improvement_score(np.full((3, 3), np.nan), c, 1.0, 1.0)
    with pytest.raises(InputError, match="outside"):
        break_points([[5, 5]], np.zeros((3, 3), bool))
