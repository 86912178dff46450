"""Cost distance, allocation, least-cost paths and corridors (METHODS §4.3)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra

from ecozone.ecology.corridors import corridors, gravity
from ecozone.ecology.cost import (
    adjacent_pairs,
    cost_allocation,
    cost_distance,
    least_cost_path,
    path_length,
)
from ecozone.errors import InputError, ParameterError

S2 = math.sqrt(2.0)


# ---------------------------------------------------------------------------
# an independent reference: Dijkstra on the 8- (or 4-) neighbour graph


def _graph(r: np.ndarray, cs: float, connect: int) -> sp.csr_matrix:
    """Directed-symmetric cost graph built cell by cell (no shared code with ecozone)."""
    rows, cols = r.shape
    steps = [(0, 1), (1, 0), (0, -1), (-1, 0)]
    if connect == 8:
        steps += [(1, 1), (1, -1), (-1, 1), (-1, -1)]
    ii, jj, ww = [], [], []
    for y in range(rows):
        for x in range(cols):
            if not np.isfinite(r[y, x]):
                continue
            for dy, dx in steps:
                y2, x2 = y + dy, x + dx
                if 0 <= y2 < rows and 0 <= x2 < cols and np.isfinite(r[y2, x2]):
                    length = cs * (S2 if dy and dx else 1.0)
                    ii.append(y * cols + x)
                    jj.append(y2 * cols + x2)
                    ww.append(length * (r[y, x] + r[y2, x2]) / 2.0)
    n = rows * cols
    return sp.csr_matrix((ww, (ii, jj)), shape=(n, n))


def _dijkstra(r, sources, cs, connect):
    g = _graph(r, cs, connect)
    idx = np.flatnonzero(sources.ravel() & np.isfinite(r.ravel()))
    d = dijkstra(g, directed=True, indices=idx, min_only=True)
    return d.reshape(r.shape)


# ---------------------------------------------------------------------------
# hand-derived cases


def test_two_cells():
    # one step of 10 m at the mean resistance (1 + 3) / 2 = 2
    assert cost_distance(np.array([[1.0, 3.0]]), np.array([[True, False]]), 10.0).tolist() == [
        [0.0, 20.0]
    ]


def test_hand_derived_3x3_matches_mcp_geometric_convention():
    r = np.array([[1.0, 2, 3], [4, 5, 6], [7, 8, 9]])
    src = np.zeros((3, 3), bool)
    src[0, 0] = True
    cwd = cost_distance(r, src, 10.0)
    # step = length (10 m, ×√2 diagonal) × mean of the two cells; cheapest of the candidates
    expected = np.array(
        [
            [0.0, 10 * 1.5, 15 + 10 * 2.5],  # 0, 15, 40
            [10 * 2.5, 10 * S2 * 3, 15 + 10 * S2 * 4],  # 25, 42.43 (diagonal), 71.57
            [
                25 + 10 * 5.5,
                10 * S2 * 3 + 10 * 6.5,
                10 * S2 * 3 + 10 * S2 * 7,
            ],  # 80, 107.43, 141.42
        ]
    )
    np.testing.assert_allclose(cwd, expected, rtol=1e-12)
    # rook moves only: (1, 1) must be reached via (0, 1): 15 + 10 × 3.5 = 50
    assert cost_distance(r, src, 10.0, connect=4)[1, 1] == pytest.approx(50.0)


def test_barriers_and_unreachable_are_inf():
    r = np.array([[1.0, np.nan, 1.0], [1.0, np.nan, 1.0], [1.0, np.nan, 1.0]])
    src = np.zeros((3, 3), bool)
    src[1, 0] = True
    cwd = cost_distance(r, src, 1.0)
    assert np.isinf(cwd[:, 1:]).all()
    np.testing.assert_allclose(cwd[:, 0], [1.0, 0.0, 1.0])
    # +inf is a barrier as well
    cwd_inf = cost_distance(np.where(np.isnan(r), np.inf, r), src, 1.0)
    np.testing.assert_array_equal(cwd, cwd_inf)


def test_diagonal_step_through_a_corner_is_allowed():
    # two barriers meeting at a corner do not stop a diagonal move (ArcGIS, MCP)
    r = np.array([[1.0, np.nan], [np.nan, 1.0]])
    cwd = cost_distance(r, np.array([[True, False], [False, False]]), 1.0)
    assert cwd[1, 1] == pytest.approx(S2)


def test_errors():
    r = np.ones((2, 2))
    src = np.array([[True, False], [False, False]])
    with pytest.raises(InputError, match="> 0"):
        cost_distance(np.array([[1.0, 0.0], [1, 1]]), src, 1.0)
    with pytest.raises(InputError, match="shape"):
        cost_distance(r, np.ones((3, 3), bool), 1.0)
    with pytest.raises(InputError, match="no cell on passable ground"):
        cost_distance(np.array([[np.nan, 1.0], [1, 1]]), src, 1.0)
    with pytest.raises(ParameterError, match="cellsize"):
        cost_distance(r, src, 0)
    with pytest.raises(ParameterError, match="connect"):
        cost_distance(r, src, 1.0, connect=6)


# ---------------------------------------------------------------------------
# against Dijkstra on random rasters


@st.composite
def rasters(draw):
    rows = draw(st.integers(1, 9))
    cols = draw(st.integers(1, 9))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    r = rng.uniform(1.0, 100.0, (rows, cols))
    r[rng.random((rows, cols)) < draw(st.sampled_from([0.0, 0.15, 0.35]))] = np.nan
    labels = np.zeros((rows, cols), dtype=int)
    k = draw(st.integers(1, 4))
    for lab in range(1, k + 1):
        labels[rng.integers(rows), rng.integers(cols)] = lab
    labels[np.isnan(r)] = 0
    return r, labels


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(rasters(), st.sampled_from([4, 8]), st.sampled_from([1.0, 30.0, 250.0]))
def test_cost_distance_equals_dijkstra(data, connect, cs):
    r, labels = data
    src = labels > 0
    if not src.any():
        return
    got = cost_distance(r, src, cs, connect)
    want = _dijkstra(r, src, cs, connect)
    assert np.array_equal(np.isinf(got), np.isinf(want))
    fin = np.isfinite(want)
    np.testing.assert_allclose(got[fin], want[fin], rtol=1e-12, atol=1e-9)

    # allocation: the allocated source alone reaches the cell at the overall CWD
    cwd, alloc = cost_allocation(r, labels, cs, connect)
    np.testing.assert_array_equal(cwd, got)
    assert np.array_equal(alloc > 0, fin)
    for lab in np.unique(alloc[alloc > 0]):
        own = _dijkstra(r, labels == lab, cs, connect)
        np.testing.assert_allclose(own[alloc == lab], cwd[alloc == lab], rtol=1e-12, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(rasters(), st.sampled_from([4, 8]))
def test_least_cost_path_cost_and_length(data, connect):
    r, labels = data
    ids = np.unique(labels[labels > 0])
    if ids.size < 2:
        return
    a, b = labels == ids[0], labels == ids[1]
    lcp = least_cost_path(r, a, b, 5.0, connect)
    cwd_a = cost_distance(r, a, 5.0, connect)
    cwd_b = cost_distance(r, b, 5.0, connect)
    assert lcp.lcd == pytest.approx(np.min(cwd_a + cwd_b), rel=1e-12, abs=1e-9)
    if not np.isfinite(lcp.lcd):
        assert len(lcp.cells) == 0
        return
    c = lcp.cells
    assert a[tuple(c[0])] and b[tuple(c[-1])]
    # the path's own step costs add up to the LCD
    steps = np.abs(np.diff(c, axis=0))
    assert steps.max() == 1 and (connect == 8 or steps.sum(axis=1).max() == 1)
    lengths = 5.0 * np.where(steps.sum(axis=1) == 2, S2, 1.0)
    cost = np.sum(lengths * (r[c[:-1, 0], c[:-1, 1]] + r[c[1:, 0], c[1:, 1]]) / 2)
    assert cost == pytest.approx(lcp.lcd, rel=1e-12)
    assert lcp.length_m == pytest.approx(lengths.sum())


def test_least_cost_path_hand_case():
    # a cheap diagonal lane through expensive ground
    r = np.full((4, 4), 50.0)
    np.fill_diagonal(r, 1.0)
    a = np.zeros((4, 4), bool)
    b = np.zeros((4, 4), bool)
    a[0, 0] = b[3, 3] = True
    lcp = least_cost_path(r, a, b, 2.0)
    assert lcp.cells.tolist() == [[0, 0], [1, 1], [2, 2], [3, 3]]
    assert lcp.lcd == pytest.approx(3 * 2 * S2 * 1.0)
    assert lcp.length_m == pytest.approx(6 * S2)
    assert path_length([[0, 0], [0, 1], [1, 2]], 10) == pytest.approx(10 + 10 * S2)


def test_adjacent_pairs():
    alloc = np.array([[1, 1, 2], [3, 3, 2], [3, 0, 4]])
    # sides: 1–2, 1–3, 2–3 ((1,1)–(1,2)), 2–4 ((1,2)–(2,2)); corner only: 3–4 ((1,1)–(2,2))
    assert adjacent_pairs(alloc, 8).values.tolist() == [[1, 2], [1, 3], [2, 3], [2, 4], [3, 4]]
    assert adjacent_pairs(alloc, 4).values.tolist() == [[1, 2], [1, 3], [2, 3], [2, 4]]
    diag = np.array([[1, 0], [0, 2]])
    assert adjacent_pairs(diag, 8).values.tolist() == [[1, 2]]
    assert adjacent_pairs(diag, 4).empty


# ---------------------------------------------------------------------------
# corridors and gravity


def test_gravity_hand_derived():
    e = math.e
    # N_a = ln(e²)/1 = 2 and ln(e⁴)/2 = 2; N_b = 2, 2; D = 10/20, 20/20
    g = gravity([1.0, 2.0], [e**2, e**4], [1.0, 1.0], [e**2, e**2], [10.0, 20.0])
    np.testing.assert_allclose(g, [16.0, 4.0])


def test_corridors_three_sources():
    r = np.ones((5, 9))
    r[:, 4] = 10.0  # a costly column between the left and right sources
    lab = np.zeros((5, 9), int)
    lab[0:2, 0:2] = 1  # 4 cells
    lab[3:5, 0:2] = 2  # 4 cells
    lab[2, 7:9] = 3  # 2 cells
    res = corridors(r, lab, 30.0)
    t = res.table
    assert list(t.columns) == ["source_a", "source_b", "lcd", "length_m", "gravity", "important"]
    assert t[["source_a", "source_b"]].values.tolist() == [[1, 2], [1, 3], [2, 3]]
    # 1–2: from row 1 to row 3 across one cell at resistance 1: 2 steps × 30 m
    row12 = t.iloc[0]
    assert row12.lcd == pytest.approx(60.0)
    assert row12.length_m == pytest.approx(60.0)
    for (a, b), cells in res.paths.items():
        lcp = least_cost_path(r, lab == a, lab == b, 30.0)
        assert t.set_index(["source_a", "source_b"]).loc[(a, b), "lcd"] == pytest.approx(lcp.lcd)
        assert np.all(res.nlcc[cells[:, 0], cells[:, 1]] == pytest.approx(0.0, abs=1e-9))
    assert np.all(res.nlcc >= 0)
    # gravity from P = 1 for every source, S = cells × 900 m²
    lcd = t.lcd.to_numpy()
    n = {1: math.log(4 * 900), 2: math.log(4 * 900), 3: math.log(2 * 900)}
    want = [
        n[a] * n[b] / (d / lcd.max()) ** 2
        for a, b, d in zip(t.source_a, t.source_b, lcd, strict=True)
    ]
    np.testing.assert_allclose(t.gravity, want)
    assert t.important.tolist() == (np.array(want) > np.mean(want)).tolist()
    # the cutoff keeps only cells within it
    cut = corridors(r, lab, 30.0, cutoff=100.0).nlcc
    assert np.all(np.isinf(cut[res.nlcc > 100.0]))
    np.testing.assert_array_equal(cut[res.nlcc <= 100.0], res.nlcc[res.nlcc <= 100.0])


def test_corridors_pairs_and_errors():
    r = np.ones((3, 3))
    lab = np.array([[1, 0, 2], [0, 0, 0], [0, 0, 0]])
    t = corridors(r, lab, 1.0, pairs=[(2, 1)]).table
    assert t[["source_a", "source_b"]].values.tolist() == [[1, 2]]
    assert t.lcd.iloc[0] == pytest.approx(2.0)
    with pytest.raises(InputError, match="no cell"):
        corridors(r, lab, 1.0, pairs=[(1, 7)])
    with pytest.raises(ParameterError, match="cutoff"):
        corridors(r, lab, 1.0, cutoff=-1)


# ---------------------------------------------------------------------------
# against scikit-image's MCP_Geometric (the reference the product used to call)


def _mcp_ref(r, mask, cs, connect):
    """CWD and traceback by MCP_Geometric (NaN → inf; unreached → inf)."""
    from skimage.graph import MCP_Geometric

    m = MCP_Geometric(np.where(np.isnan(r), np.inf, r), fully_connected=connect == 8,
                      sampling=(cs, cs))
    cwd, tb = m.find_costs(np.argwhere(mask & np.isfinite(r)))
    cwd = np.array(cwd, dtype=np.float64)
    cwd[~np.isfinite(cwd)] = np.inf
    return cwd


def _assert_same_cwd(got, want, rtol=1e-9):
    assert np.array_equal(np.isinf(got), np.isinf(want))
    fin = np.isfinite(want)
    np.testing.assert_allclose(got[fin], want[fin], rtol=rtol, atol=0)


def _random_case(seed, rows, cols, barrier_share=0.15, n_sources=3, spread=(1.0, 100.0)):
    rng = np.random.default_rng(seed)
    r = rng.uniform(*spread, (rows, cols))
    cut = rng.random((rows, cols)) < barrier_share
    r[cut] = np.where(rng.random(cut.sum()) < 0.5, np.nan, np.inf)
    labels = np.zeros((rows, cols), dtype=np.int64)
    for k in range(1, n_sources + 1):
        labels[rng.integers(rows), rng.integers(cols)] = k
    labels[~np.isfinite(r)] = 0
    return r, labels


@pytest.mark.parametrize("connect", [4, 8])
@pytest.mark.parametrize(
    "shape", [(1, 1), (1, 37), (41, 1), (2, 2), (23, 57), (64, 31), (120, 120)]
)
def test_equals_mcp_geometric_on_random_grids(shape, connect):
    for seed in range(4):
        r, labels = _random_case(seed, *shape, barrier_share=(0.0, 0.1, 0.3, 0.5)[seed])
        src = labels > 0
        if not src.any():
            continue
        for cs in (1.0, 30.0):
            got = cost_distance(r, src, cs, connect)
            want = _mcp_ref(r, src, cs, connect)
            _assert_same_cwd(got, want)
            # bitwise, in fact, where the search keeps MCP's paths
            assert np.mean(got[np.isfinite(want)] == want[np.isfinite(want)]) > 0.99


def test_equals_mcp_with_walls_and_unreachable_pockets():
    r = np.full((30, 40), 5.0)
    r[:, 20] = np.nan  # a wall: the right half is unreachable
    r[10:15, 5:10] = np.inf  # a block of +inf inside
    r[12, 7] = 1.0  # an enclosed passable cell: unreachable
    src = np.zeros(r.shape, bool)
    src[0, 0] = src[29, 3] = True
    for connect in (4, 8):
        got = cost_distance(r, src, 25.0, connect)
        _assert_same_cwd(got, _mcp_ref(r, src, 25.0, connect))
        assert np.isinf(got[:, 20:]).all() and np.isinf(got[12, 7])


def test_equals_mcp_when_resistances_span_many_orders():
    # steps costlier than the bucket ring (resistances over 1e-3 … 1e7) go through the
    # overflow heap; values stay MCP's
    for seed in range(3):
        rng = np.random.default_rng(seed)
        r = 10.0 ** rng.uniform(-3, 7, (60, 70))
        r[rng.random(r.shape) < 0.1] = np.nan
        src = np.zeros(r.shape, bool)
        src[rng.integers(60), rng.integers(70)] = True
        r[src] = 1.0
        for connect in (4, 8):
            _assert_same_cwd(cost_distance(r, src, 10.0, connect), _mcp_ref(r, src, 10.0, connect))


def test_integer_resistance_table_values_bitwise():
    # class resistances (1 … 500) as the ecology analysis builds them
    rng = np.random.default_rng(3)
    r = rng.choice([1.0, 10.0, 20.0, 50.0, 200.0, 500.0], (150, 90))
    src = np.zeros(r.shape, bool)
    src[70:73, 40:44] = True
    got = cost_distance(r, src, 30.0)
    want = _mcp_ref(r, src, 30.0, 8)
    _assert_same_cwd(got, want)


def _step_costs(r, cs, connect):
    """(from, to, cost) of every move between passable cells, flat indices."""
    rows, cols = r.shape
    moves = [(0, 1), (1, 0), (0, -1), (-1, 0)]
    if connect == 8:
        moves += [(1, 1), (1, -1), (-1, 1), (-1, -1)]
    out = []
    yy, xx = np.mgrid[0:rows, 0:cols]
    for dy, dx in moves:
        y2, x2 = yy + dy, xx + dx
        ok = (y2 >= 0) & (y2 < rows) & (x2 >= 0) & (x2 < cols)
        y1, x1, y2, x2 = yy[ok], xx[ok], y2[ok], x2[ok]
        ok2 = np.isfinite(r[y1, x1]) & np.isfinite(r[y2, x2])
        y1, x1, y2, x2 = y1[ok2], x1[ok2], y2[ok2], x2[ok2]
        length = cs * (S2 if dy and dx else 1.0)
        out.append((y1 * cols + x1, y2 * cols + x2, length * (r[y1, x1] + r[y2, x2]) / 2))
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(rasters(), st.sampled_from([4, 8]), st.sampled_from([1.0, 30.0]))
def test_properties_zero_on_sources_bellman_and_mcp(data, connect, cs):
    r, labels = data
    src = labels > 0
    if not src.any():
        return
    cwd = cost_distance(r, src, cs, connect)
    assert np.all(cwd[src] == 0.0)
    assert np.all(cwd[~src & np.isfinite(cwd)] > 0)
    assert np.all(np.isinf(cwd[~np.isfinite(r)]))
    flat = cwd.ravel()
    for u, v, w in _step_costs(r, cs, connect):
        # Bellman: no step improves a cell; a reached cell's neighbour is reached
        assert np.all(flat[v] <= flat[u] + w * (1 + 1e-12))
        assert np.array_equal(np.isfinite(flat[u]), np.isfinite(flat[v]))
    _assert_same_cwd(cwd, _mcp_ref(r, src, cs, connect))


@settings(max_examples=40, deadline=None)
@given(rasters(), st.sampled_from([4, 8]))
def test_traceback_paths_cost_what_the_cwd_says(data, connect):
    from ecozone.ecology.cost import _mcp, _predecessors, _trace

    r, labels = data
    src = labels > 0
    if not src.any():
        return
    cwd, tb, flat_off = _mcp(r, np.argwhere(src), 7.0, connect)
    assert set(np.unique(tb)) <= set(range(-2, connect))
    assert np.array_equal(tb == -1, src)  # roots: the source cells
    assert np.array_equal(tb == -2, np.isinf(cwd))  # unreached
    pred = _predecessors(tb, flat_off)
    for end in np.flatnonzero(np.isfinite(cwd)):
        c = _trace(pred, int(end), r.shape)
        assert src[tuple(c[0])]
        steps = np.abs(np.diff(c, axis=0))
        assert len(c) == 1 or steps.max() == 1
        lengths = 7.0 * np.where(steps.sum(axis=1) == 2, S2, 1.0)
        cost = np.sum(lengths * (r[c[:-1, 0], c[:-1, 1]] + r[c[1:, 0], c[1:, 1]]) / 2)
        assert cost == pytest.approx(cwd.ravel()[end], rel=1e-12, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(rasters(), st.sampled_from([4, 8]))
def test_allocation_is_the_per_source_minimum(data, connect):
    r, labels = data
    ids = np.unique(labels[labels > 0])
    if ids.size == 0:
        return
    cwd, alloc = cost_allocation(r, labels, 30.0, connect)
    per = np.stack([_mcp_ref(r, labels == s, 30.0, connect) for s in ids])
    _assert_same_cwd(cwd, per.min(axis=0))
    assert np.array_equal(alloc > 0, np.isfinite(cwd))
    assert set(np.unique(alloc)) <= set(ids) | {0}
    for k, s in enumerate(ids):
        own = alloc == s
        # the allocated source reaches the cell at the overall minimum …
        np.testing.assert_allclose(per[k][own], cwd[own], rtol=1e-12)
        # … and its own cells are its own
        assert np.all(alloc[labels == s] == s)


def test_least_cost_path_ends_at_the_cwd_minimum_on_a_larger_grid():
    r, labels = _random_case(11, 80, 90, barrier_share=0.1, n_sources=2)
    labels[:] = 0
    labels[5:8, 5:8] = 1
    labels[70:75, 80:84] = 2
    r[labels > 0] = 1.0
    lcp = least_cost_path(r, labels == 1, labels == 2, 30.0)
    cwd_a = _mcp_ref(r, labels == 1, 30.0, 8)
    assert lcp.lcd == pytest.approx(cwd_a[labels == 2].min(), rel=1e-12)
    assert cwd_a[tuple(lcp.cells[-1])] == pytest.approx(lcp.lcd, rel=1e-12)
    c = lcp.cells
    steps = np.abs(np.diff(c, axis=0))
    lengths = 30.0 * np.where(steps.sum(axis=1) == 2, S2, 1.0)
    cost = np.sum(lengths * (r[c[:-1, 0], c[:-1, 1]] + r[c[1:, 0], c[1:, 1]]) / 2)
    assert cost == pytest.approx(lcp.lcd, rel=1e-12)


# ---------------------------------------------------------------------------
# per-source runs: threads and the early stop


def test_early_stop_leaves_out_only_cells_beyond_the_partners_plus_extra():
    from ecozone.ecology.cost import _Grid, _source_cells, _SourceRuns

    r, _ = _random_case(5, 70, 80, barrier_share=0.05)
    lab = np.zeros(r.shape, np.int64)
    lab[10:13, 10:13] = 1
    lab[40:43, 30:33] = 2
    lab[60:63, 70:73] = 3
    r[lab > 0] = 2.0
    grid = _Grid(r, 30.0, 8)
    cells = _source_cells(lab, r, [1, 2, 3])
    full = {s: _mcp_ref(r, lab == s, 30.0, 8) for s in (1, 2, 3)}
    extra = 3000.0
    with _SourceRuns(grid, cells, [1, 2, 3], partners={1: [2], 2: [1, 3], 3: [2]},
                     extra=extra, workers=2) as pool:
        got = {s: pool.take(s)[0] for s in (1, 2, 3)}
    lcd = {(1, 2): full[1][lab == 2].min(), (2, 3): full[2][lab == 3].min()}
    limits = {1: lcd[(1, 2)] + extra, 2: max(lcd.values()) + extra, 3: lcd[(2, 3)] + extra}
    for s in (1, 2, 3):
        kept = np.isfinite(got[s])
        np.testing.assert_array_equal(got[s][kept], full[s][kept])  # settled cells are exact
        assert np.all(kept[full[s] <= limits[s]])  # everything within the limit is kept
        assert not kept[np.isfinite(full[s])].all()  # and the search did stop early


@pytest.mark.parametrize("connect", [4, 8])
def test_corridors_with_a_cutoff_equal_the_full_run_truncated(connect):
    for seed in range(3):
        r, lab = _random_case(seed, 60, 75, barrier_share=0.1, n_sources=6)
        full = corridors(r, lab, 30.0, connect=connect)
        for cut in (0.0, 2000.0, 20000.0):
            res = corridors(r, lab, 30.0, connect=connect, cutoff=cut)
            want = np.where(full.nlcc > cut, np.inf, full.nlcc)
            np.testing.assert_array_equal(res.nlcc, want)
            pd_cols = ["source_a", "source_b", "lcd", "length_m"]
            assert res.table[pd_cols].equals(full.table[pd_cols])
            assert res.paths.keys() == full.paths.keys()
            for p in full.paths:
                np.testing.assert_array_equal(res.paths[p], full.paths[p])


def test_corridors_one_worker_equals_two():
    r, lab = _random_case(9, 50, 50, barrier_share=0.1, n_sources=5)
    one = corridors(r, lab, 30.0, workers=1)
    two = corridors(r, lab, 30.0, workers=2)
    np.testing.assert_array_equal(one.nlcc, two.nlcc)
    assert one.table.equals(two.table)
    with pytest.raises(ParameterError, match="workers"):
        corridors(r, lab, 30.0, workers=0)
