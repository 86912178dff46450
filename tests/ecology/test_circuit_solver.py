"""The circuit solver's own paths against direct SciPy solves (METHODS §4.4).

Every pair is solved with one preconditioner shared by all pairs of a raster
(a smoothed-aggregation V-cycle whose finest level is the grid), points take
n − 1 unit-current solves per component, and the solves run on threads. Each
path is checked here against an independent ``scipy.sparse.linalg.spsolve``
of the merged network (the pair's regions short-circuited, b grounded).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import spsolve

from ecozone.ecology import circuit as C
from ecozone.ecology.circuit import effective_resistance, pair_solution, pairwise

S2 = math.sqrt(2.0)


# ---------------------------------------------------------------------------
# the reference: SciPy on the merged network


def _laplacian(r: np.ndarray, connect: int):
    """Sparse Laplacian over the finite cells and the node number of each cell (−1 nodata)."""
    rows, cols = r.shape
    ok = np.isfinite(r)
    node = np.full(r.shape, -1)
    node[ok] = np.arange(int(ok.sum()))
    ii, jj, gg = [], [], []
    steps = [(0, 1, 1.0), (1, 0, 1.0)] + ([(1, 1, S2), (1, -1, S2)] if connect == 8 else [])
    for y in range(rows):
        for x in range(cols):
            for dy, dx, f in steps:
                y2, x2 = y + dy, x + dx
                if ok[y, x] and 0 <= y2 < rows and 0 <= x2 < cols and ok[y2, x2]:
                    ii.append(node[y, x])
                    jj.append(node[y2, x2])
                    gg.append(1.0 / (f * (r[y, x] + r[y2, x2]) / 2.0))
    n = int(ok.sum())
    w = sp.coo_matrix((gg, (ii, jj)), shape=(n, n))
    w = (w + w.T).tocsr()
    return (sp.diags(np.asarray(w.sum(axis=1)).ravel()) - w).tocsr(), node


def _reference(r, lab, a, b, connect):
    """(R_ab, potential per node for 1 A from a to b, domain mask per node) or (−1, None, None)."""
    lap, node = _laplacian(r, connect)
    n = lap.shape[0]
    ok = node >= 0
    ia, ib = node[(lab == a) & ok], node[(lab == b) & ok]
    _, comp = connected_components(lap, directed=False)
    common = np.intersect1d(comp[ia], comp[ib])
    if ia.size == 0 or ib.size == 0 or common.size == 0:
        return -1.0, None, None
    dom = np.isin(comp, common)
    ia, ib = ia[dom[ia]], ib[dom[ib]]
    others = dom.copy()
    others[ia] = others[ib] = False
    k = int(others.sum())
    col = np.full(n, -1)
    col[others] = np.arange(k)
    col[ia], col[ib] = k, k + 1
    rows = np.flatnonzero(col >= 0)
    agg = sp.csr_matrix((np.ones(rows.size), (rows, col[rows])), shape=(n, k + 2))
    m = (agg.T @ lap @ agg).tocsc()[: k + 1, : k + 1]  # b's merged node grounded
    rhs = np.zeros(k + 1)
    rhs[k] = 1.0
    x = spsolve(m, rhs)
    u = np.zeros(n)
    u[rows] = np.append(x, 0.0)[col[rows]]
    return float(x[k]), u, dom


def _reference_maps(r, lab, a, b, connect):
    """Circuitscape's per-pair current and voltage maps from the reference solve."""
    res, u, dom = _reference(r, lab, a, b, connect)
    lap, node = _laplacian(r, connect)
    cur = np.zeros(r.shape)
    volt = np.zeros(r.shape)
    if u is None:
        return res, cur, volt
    off = sp.triu(-lap, k=1).tocoo()
    f = off.data * (u[off.row] - u[off.col])  # flow i → j
    n = u.size
    pos, neg = np.maximum(f, 0), np.maximum(-f, 0)
    out = np.bincount(off.row, pos, n) + np.bincount(off.col, neg, n)
    inn = np.bincount(off.col, pos, n) + np.bincount(off.row, neg, n)
    ok = node >= 0
    cur[ok] = np.maximum(out, inn)[node[ok]]
    u_a = u[node[(lab == a) & ok][0]] if np.any((lab == a) & ok) else 0.0
    volt[ok] = np.where(dom, u_a - u, 0.0)[node[ok]]
    for lab_id, v_reg in ((a, 0.0), (b, res)):
        m = np.zeros(n, bool)
        m[node[(lab == lab_id) & ok]] = True
        m &= dom
        leave, enter = m[off.row] & ~m[off.col], m[off.col] & ~m[off.row]
        o = pos[leave].sum() + neg[enter].sum()
        i_ = neg[leave].sum() + pos[enter].sum()
        cur[lab == lab_id] = max(o, i_)
        volt[lab == lab_id] = v_reg
    return res, cur, volt


def _check_table(r, lab, connect, table, rel=1e-8):
    for a, b, v in table.itertuples(index=False):
        want = _reference(r, lab, a, b, connect)[0]
        if want == -1:
            assert v == -1, (a, b)
        else:
            assert v == pytest.approx(want, rel=rel), (a, b)


# ---------------------------------------------------------------------------
# rasters


@st.composite
def rasters(draw):
    """Small rasters with nodata, several components and regions of one to many cells."""
    rows, cols = draw(st.integers(1, 13)), draw(st.integers(2, 13))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    r = rng.uniform(1.0, 100.0, (rows, cols))
    if draw(st.booleans()):
        r = np.exp(rng.normal(0.0, 2.0, (rows, cols)))  # contrasts of 1e3 and more
    r[rng.random((rows, cols)) < draw(st.sampled_from([0.0, 0.15, 0.35]))] = np.nan
    lab = np.zeros((rows, cols), np.int32)
    for k in range(1, draw(st.integers(2, 5)) + 1):
        h, w = draw(st.integers(1, 3)), draw(st.integers(1, 3))
        y, x = rng.integers(0, rows), rng.integers(0, cols)
        lab[y : y + h, x : x + w] = k
    if not (lab > 0).any() or np.unique(lab[lab > 0]).size < 2:
        lab.flat[:2] = [1, 2]
    return r, lab


@settings(max_examples=60, deadline=None)
@given(rasters(), st.sampled_from([4, 8]))
def test_shared_preconditioner_matches_spsolve(data, connect):
    r, lab = data
    _check_table(r, lab, connect, effective_resistance(r, lab, connect, workers=1))


@pytest.mark.parametrize("connect", [8, 4])
@pytest.mark.parametrize("nodata", [0.0, 0.3])
def test_several_levels_match_spsolve(connect, nodata):
    """Rasters large enough for a hierarchy of several coarse levels (and several components)."""
    rng = np.random.default_rng(7)
    r = rng.uniform(1.0, 100.0, (61, 74))
    r[rng.random(r.shape) < nodata] = np.nan
    r[30, :] = np.nan  # a wall: two components
    lab = np.zeros(r.shape, np.int32)
    lab[3:6, 4:7] = 1  # regions of 9 cells
    lab[50:54, 60:62] = 2
    lab[20, 50] = 3  # points
    lab[40, 10] = 4
    lab[10:12, 30] = 5
    lab[28:33, 40] = 6  # a region across the wall: in both components
    net = C._Network(r, lab, connect, 1e-10, 1)
    net._prepare()
    assert net.grid._hier[0].size >= 3  # coarse levels from PyAMG below the grid's own
    _check_table(r, lab, connect, effective_resistance(r, lab, connect, workers=1))


def test_region_across_components():
    """A region with cells in two components is one node; a pair spans the components holding both."""
    r = np.ones((5, 7))
    r[:, 3] = np.nan
    lab = np.zeros((5, 7), np.int32)
    lab[0, 0] = lab[0, 6] = 1  # region 1 on both sides of the wall
    lab[4, 2] = 2  # region 2 left only
    lab[4, 4] = lab[2, 5] = 3  # region 3 right only, two cells
    for connect in (4, 8):
        t = effective_resistance(r, lab, connect)
        _check_table(r, lab, connect, t)
        assert t.set_index(["a", "b"]).loc[(2, 3), "resistance"] == -1


@pytest.mark.parametrize(
    "r, lab",
    [
        (np.array([[2.0, 6.0]]), np.array([[1, 2]])),
        (np.array([[2.0], [6.0]]), np.array([[1], [2]])),
        (np.array([[1.0, 2.0, 3.0, 4.0, 5.0]]), np.array([[1, 0, 2, 0, 3]])),
        (np.full((3, 3), 4.0), np.array([[1, 1, 2], [1, 1, 2], [3, 3, 2]])),  # every cell focal
        (np.array([[1.0, np.nan], [np.nan, 1.0]]), np.array([[1, 0], [0, 2]])),  # diagonal only
    ],
)
def test_tiny_rasters(r, lab):
    for connect in (4, 8):
        _check_table(r, lab, connect, effective_resistance(r, lab, connect))


# ---------------------------------------------------------------------------
# points: n − 1 solves per component


def _points():
    rng = np.random.default_rng(11)
    r = rng.uniform(1.0, 50.0, (40, 45))
    r[:, 30] = np.nan  # a second component right of the wall
    r[5, 5] = np.nan  # point 9 sits on nodata
    lab = np.zeros(r.shape, np.int32)
    for k, (y, x) in enumerate([(3, 3), (35, 4), (20, 20), (8, 27), (30, 15), (22, 8)], start=1):
        lab[y, x] = k  # six points left
    lab[5, 40] = 7  # two points right
    lab[33, 38] = 8
    lab[5, 5] = 9
    lab[12:15, 12:15] = 10  # a region left
    return r, lab


def _count_solves(monkeypatch):
    calls = []
    real = C._Grid.solve

    def counted(self, *a, **k):
        calls.append(1)
        return real(self, *a, **k)

    monkeypatch.setattr(C._Grid, "solve", counted)
    return calls


@pytest.mark.parametrize("connect", [8, 4])
def test_points_take_n_minus_one_solves(connect, monkeypatch):
    r, lab = _points()
    calls = _count_solves(monkeypatch)
    monkeypatch.setattr(C, "_FIELD_BUDGET", 0)  # without maps only the points' voltages are kept
    t = effective_resistance(r, lab, connect, workers=1)
    # left: 6 points → 5 solves for their 15 pairs; right: 2 points, 1 pair → its own solve;
    # region 10 with each left point → 6 solves (with 7 and 8 across the wall, 9 on nodata: −1, no solve)
    assert len(calls) == 5 + 1 + 6
    _check_table(r, lab, connect, t)
    assert (t[(t.a == 9) | (t.b == 9)].resistance == -1).all()
    assert t.set_index(["a", "b"]).loc[(1, 7), "resistance"] == -1


def test_point_maps_from_fields_equal_pair_solves(monkeypatch):
    r, lab = _points()
    t1, cum1 = pairwise(r, lab, 8, workers=1)
    monkeypatch.setattr(C, "_FIELD_BUDGET", 0)  # fields too large to keep: one solve per pair
    calls = _count_solves(monkeypatch)
    t2, cum2 = pairwise(r, lab, 8, workers=1)
    assert len(calls) == 15 + 1 + 6
    np.testing.assert_allclose(t1.resistance, t2.resistance, rtol=1e-9)
    np.testing.assert_allclose(cum1, cum2, rtol=1e-7, atol=1e-9)


# ---------------------------------------------------------------------------
# maps


@settings(max_examples=25, deadline=None)
@given(rasters(), st.sampled_from([4, 8]))
def test_pair_maps_match_spsolve(data, connect):
    r, lab = data
    ids = np.unique(lab[lab > 0])
    a, b = int(ids[0]), int(ids[1])
    res, cur, volt = _reference_maps(r, lab, a, b, connect)
    sol = pair_solution(r, lab, a, b, connect)
    if res == -1:
        assert sol.resistance == -1
        return
    assert sol.resistance == pytest.approx(res, rel=1e-8)
    scale = max(1.0, res)
    np.testing.assert_allclose(sol.current, cur, atol=1e-8)
    np.testing.assert_allclose(sol.voltage, volt, atol=1e-8 * scale)


# ---------------------------------------------------------------------------
# threads


def test_parallel_pairs_are_identical():
    """Pairs on threads give the same table and the same cumulative map, bit for bit."""
    r, lab = _points()
    t1, cum1 = pairwise(r, lab, 8, workers=1)
    t3, cum3 = pairwise(r, lab, 8, workers=3)
    np.testing.assert_array_equal(t1.to_numpy(), t3.to_numpy())
    np.testing.assert_array_equal(cum1, cum3)
    e3 = effective_resistance(r, lab, 4, workers=3)
    _check_table(r, lab, 4, e3)


def test_workers_bounded_by_memory(monkeypatch):
    r, lab = _points()
    net = C._Network(r, lab, 8, 1e-10, 4)
    assert net._workers_for(10) == 4
    assert net._workers_for(2) == 2
    monkeypatch.setattr(C, "_VEC_BUDGET", net.grid.vector_bytes() * 2)
    assert net._workers_for(10) == 2


def test_workers_checked():
    with pytest.raises(Exception, match="workers"):
        effective_resistance(np.ones((2, 2)), np.array([[1, 0], [0, 2]]), workers=0)


# ---------------------------------------------------------------------------
# the preconditioner itself


@pytest.mark.parametrize("connect", [8, 4])
def test_preconditioner_is_a_symmetric_v_cycle_on_the_galerkin_operator(connect):
    """Restriction = Pᵀ of the prolongation, A₁ = PᵀL̃P off its grounded diagonal, M symmetric > 0."""
    rng = np.random.default_rng(3)
    rows, cols = 17, 23
    r = rng.uniform(1.0, 100.0, (rows, cols))
    r[rng.random((rows, cols)) < 0.15] = np.nan
    lab = np.zeros((rows, cols), np.int32)
    lab[2:4, 2:4], lab[12, 18], lab[8, 10:12] = 1, 2, 3
    net = C._Network(r, lab, connect, 1e-10, 1)
    net._prepare()
    g = net.grid
    n, n1, wp = g.size, int(g._hier[0][0]), cols + 2
    tb = np.zeros((3, wp))
    all_free = (g.agg < 0).astype(np.uint8)
    prol = np.zeros((n, n1))
    for c in range(n1):
        e = np.zeros(n1)
        e[c] = 1.0
        C._prolong(g.gt, g.agg, all_free, e, prol[:, c], rows, cols, C._OMEGA, tb)
    lt = np.zeros((n, n))
    for d, o in enumerate([1, wp, wp + 1, wp - 1]):
        for k in np.flatnonzero(g.gt[d]):
            w = float(g.gt[d, k])
            lt[k, k] += w
            lt[k + o, k + o] += w
            lt[k, k + o] -= w
            lt[k + o, k] -= w
    a1 = prol.T @ lt @ prol
    lev_n, vo, a_po, a_io, a_ptr, a_idx, a_dat = g._hier[:7]
    got = np.zeros((n1, n1))
    for i in range(n1):
        for jj in range(a_ptr[i], a_ptr[i + 1]):
            got[i, a_idx[jj]] += a_dat[jj]
    assert np.abs(got - (a1 - np.diag(np.diag(a1)))).max() <= 1e-12 * np.abs(a1).max()
    v = rng.random(n) * (all_free == 0)
    bc = np.zeros(n1)
    C._residual_restrict(g.gt, all_free, g.agg, np.zeros(n), v, bc, rows, cols, C._OMEGA, tb, np.zeros(wp))
    np.testing.assert_allclose(bc, prol.T @ v, rtol=1e-12, atol=1e-14)
    stt = g.state(np.unique(np.concatenate([net.comps[i] for i in net.ids])))
    stt[g.padded(net.nodes[1])] = 2
    stt[g.padded(net.nodes[2])] = 3
    m = g.coarse_size

    def precondition(vec):
        z = np.zeros(n)
        C._precondition(g.gt, g.agg, stt, g._hier, vec, z, np.zeros(m), np.zeros(m), np.zeros(m),
                        rows, cols, C._OMEGA, C._SWEEPS, np.zeros(wp), np.zeros(wp), tb)
        return z

    x, y = rng.random(n) * (stt == 0), rng.random(n) * (stt == 0)
    assert x @ precondition(y) == pytest.approx(y @ precondition(x), rel=1e-12)
    assert x @ precondition(x) > 0
    assert np.all(precondition(x)[stt != 0] == 0)
