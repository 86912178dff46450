"""The network step's per-source searches on threads and with an early stop: the results do not change.

``link_sources`` (and the cost-distance dPC of ``select_sources``) run one
search per source on worker threads, in reverse Cuthill–McKee order, and stop
each search at the cutoff. Tables and rasters must be bit for bit those of a
plain sequential run: every source searched to the end, the pairs taken one
after another in sorted order (the reference below, what network.py did
before).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest

from ecozone.ecology.barriers import improvement_score
from ecozone.ecology.circuit import pairwise
from ecozone.ecology.cost import _lcp_from, _mcp, _start_cells, adjacent_pairs, cost_allocation
from ecozone.ecology.network import _lcd_matrix, link_sources


def _case(seed, rows=60, cols=80, n=8):
    rng = np.random.default_rng(seed)
    r = rng.choice([1.0, 3.0, 10.0, 50.0], (rows, cols), p=[0.4, 0.3, 0.2, 0.1])
    r = r * rng.uniform(1.0, 1.5, (rows, cols))
    r[rng.random((rows, cols)) < 0.05] = np.nan
    lab = np.zeros((rows, cols), np.int64)
    for k in range(1, n + 1):
        y, x = rng.integers(0, rows - 3), rng.integers(0, cols - 3)
        lab[y : y + 3, x : x + 3] = k
    lab[~np.isfinite(r)] = 0
    return r, lab


def _reference(r, lab, cs, connect, cutoff, domain, radii, tol=1e-6):
    """link_sources the plain way: full searches, pairs in sorted order, one after another."""
    _, alloc = cost_allocation(r, lab, cs, connect)
    plist = [tuple(int(v) for v in p) for p in adjacent_pairs(alloc, connect).to_numpy()]
    need = Counter(s for p in plist for s in p)
    runs = {}
    nlcc = np.full(r.shape, np.inf)
    barriers = np.zeros(r.shape)
    current = np.zeros(r.shape)
    rows, paths, circuit_pairs, res_of = [], {}, [], {}
    for a, b in plist:
        for s in (a, b):
            if s not in runs:
                runs[s] = _mcp(r, _start_cells(lab == s, r, "s"), cs, connect)
        cwd_a, tb_a, off = runs[a]
        cwd_b = runs[b][0]
        lcp = _lcp_from(cwd_a, tb_a, off, (lab == b) & np.isfinite(r), cs)
        if np.isfinite(lcp.lcd):
            with np.errstate(invalid="ignore"):
                pair = np.maximum(cwd_a + cwd_b - lcp.lcd, 0.0)
            pair[~np.isfinite(pair)] = np.inf
            np.fmin(nlcc, pair, out=nlcc)
            paths[(a, b)] = lcp.cells
            np.maximum(barriers, improvement_score(cwd_a, cwd_b, lcp.lcd, cs, radii), out=barriers)
            if domain == "corridor":
                dom = (pair <= cutoff) | (lab == a) | (lab == b)
                rr, cc = np.nonzero(dom)
                box = (slice(rr.min(), rr.max() + 1), slice(cc.min(), cc.max() + 1))
                sub_l = np.where(lab[box] == a, a, np.where(lab[box] == b, b, 0))
                t, cur = pairwise(np.where(dom[box], r[box], np.nan), sub_l, connect, pairs=[(a, b)], tol=tol)
                current[box] += cur
                res_of[(a, b)] = float(t["resistance"].iloc[0])
            else:
                circuit_pairs.append((a, b))
        rows.append((a, b, lcp.lcd, lcp.length_m if np.isfinite(lcp.lcd) else np.inf))
        for s in (a, b):
            need[s] -= 1
            if need[s] == 0:
                del runs[s]
    if cutoff is not None:
        nlcc[nlcc > cutoff] = np.inf
    if circuit_pairs:
        t, cur = pairwise(r, lab, connect, pairs=circuit_pairs, tol=tol)
        current += cur
        res_of.update({(int(x), int(y)): float(v) for x, y, v in t.itertuples(index=False)})
    return rows, paths, nlcc, current, barriers, res_of


def _same(x: np.ndarray, y: np.ndarray) -> bool:
    return x.shape == y.shape and x.dtype == y.dtype and x.tobytes() == y.tobytes()


def _assert_identical(a, b):
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=True)
    assert list(a.paths) == list(b.paths)
    for k in a.paths:
        assert _same(a.paths[k], b.paths[k])
    for name in ("nlcc", "current", "barriers"):
        assert _same(getattr(a, name), getattr(b, name)), name


@pytest.mark.parametrize(("domain", "cut_share", "connect", "seed"), [
    ("corridor", 0.3, 8, 0),
    ("corridor", 0.05, 4, 1),
    ("window", 0.2, 8, 2),
    ("window", None, 8, 3),
])
def test_link_sources_same_with_threads_and_early_stop(domain, cut_share, connect, seed):
    r, lab = _case(seed)
    cs, radii = 30.0, (1, 3)
    _, alloc = cost_allocation(r, lab, cs, connect)
    assert len(adjacent_pairs(alloc, connect)) >= 6
    cutoff = None
    if cut_share is not None:  # a cutoff that leaves out part of the grid: the early stop does something
        lcds = link_sources(r, lab, cs, connect=connect, radii_cells=radii, workers=1).table["lcd"]
        cutoff = float(cut_share * np.median(lcds[np.isfinite(lcds)]))
    kw = dict(connect=connect, cutoff=cutoff, circuit_domain=domain, radii_cells=radii)
    runs = {(w, e): link_sources(r, lab, cs, workers=w, early_stop=e, **kw) for w in (1, 2) for e in (False, True)}
    base = runs[(1, False)]
    for got in runs.values():
        _assert_identical(base, got)
    if cutoff is not None:
        assert np.isfinite(base.nlcc).any() and not np.isfinite(base.nlcc).all()
    # and all of them equal the plain sequential run
    rows, paths, nlcc, current, barriers, res_of = _reference(r, lab, cs, connect, cutoff, domain, radii)
    t = base.table
    assert list(zip(t["source_a"], t["source_b"], strict=True)) == [x[:2] for x in rows]
    assert _same(t["lcd"].to_numpy(), np.array([x[2] for x in rows], float))
    assert _same(t["length_m"].to_numpy(), np.array([x[3] for x in rows], float))
    assert t["resistance"].tolist() == [res_of.get(x[:2], -1.0) for x in rows]
    assert list(base.paths) == list(paths)
    for k in paths:
        assert _same(base.paths[k], paths[k])
    assert _same(base.nlcc, nlcc)
    assert _same(base.current, current)
    assert _same(base.barriers, barriers)


def test_link_sources_explicit_pairs_and_workers_check():
    r, lab = _case(4)
    pairs = [(3, 1), (1, 2), (5, 8), (2, 7), (1, 3)]
    a = link_sources(r, lab, 30.0, pairs=pairs, cutoff=500.0, circuit_domain="corridor", workers=1,
                     early_stop=False, radii_cells=(1,))
    b = link_sources(r, lab, 30.0, pairs=pairs, cutoff=500.0, circuit_domain="corridor", workers=2,
                     radii_cells=(1,))
    _assert_identical(a, b)
    assert list(zip(a.table["source_a"], a.table["source_b"], strict=True)) == [(1, 2), (1, 3), (2, 7), (5, 8)]
    with pytest.raises(Exception, match="workers"):
        link_sources(r, lab, 30.0, workers=0)


@pytest.mark.parametrize("connect", [8, 4])
def test_lcd_matrix_same_with_threads_and_early_stop(connect):
    r, lab = _case(5, n=10)
    cs = 30.0
    got = {(w, e): _lcd_matrix(r, lab, cs, connect, workers=w, early_stop=e) for w in (1, 2) for e in (False, True)}
    for m in got.values():
        assert _same(m, got[(1, False)])
    # reference: a full search from a, CWD_a's minimum over b's cells
    _, alloc = cost_allocation(r, lab, cs, connect)
    pairs = adjacent_pairs(alloc, connect).to_numpy()
    assert len(pairs) >= 6
    ref = np.full((10, 10), np.inf)
    np.fill_diagonal(ref, 0.0)
    for a, b in pairs:
        cwd = _mcp(r, _start_cells(lab == a, r, "a"), cs, connect)[0]
        ref[a - 1, b - 1] = ref[b - 1, a - 1] = float(np.min(np.where(lab == b, cwd, np.inf)))
    assert _same(got[(1, True)], ref)
