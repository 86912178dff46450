"""Corridors and Barrier Mapper scores against MCP_Geometric run once per source.

The reference is the Linkage Mapper way (and what ecozone did before its own
search): scikit-image's ``MCP_Geometric`` from each source alone, the LCD as
CWD_a's minimum over b's cells, the NLCC mosaic in numpy. Ours runs the
per-source searches on threads, with an early stop under a cutoff (and for
Barrier Mapper); the results must not change.
"""

from __future__ import annotations

import numpy as np
import pytest
from skimage.graph import MCP_Geometric

from ecozone.ecology.barriers import barrier_scores, improvement_score
from ecozone.ecology.corridors import corridors
from ecozone.ecology.cost import adjacent_pairs, cost_allocation

S2 = np.sqrt(2.0)


def _mcp(r, mask, cs, connect):
    m = MCP_Geometric(np.where(np.isnan(r), np.inf, r), fully_connected=connect == 8,
                      sampling=(cs, cs))
    cwd, _ = m.find_costs(np.argwhere(mask & np.isfinite(r)))
    cwd = np.array(cwd, dtype=np.float64)
    cwd[~np.isfinite(cwd)] = np.inf
    return cwd


def _case(seed, rows=70, cols=90, n=7):
    rng = np.random.default_rng(seed)
    r = rng.uniform(1.0, 100.0, (rows, cols))
    r[rng.random((rows, cols)) < 0.08] = np.nan
    lab = np.zeros((rows, cols), np.int64)
    for k in range(1, n + 1):
        y, x = rng.integers(0, rows - 3), rng.integers(0, cols - 3)
        lab[y : y + 3, x : x + 3] = k
    r[(lab > 0) & (rng.random((rows, cols)) < 0.3)] = np.nan  # sources partly on barriers
    return r, lab


def _reference(r, lab, cs, connect, pairs):
    runs = {s: _mcp(r, lab == s, cs, connect) for s in {s for p in pairs for s in p}}
    nlcc = np.full(r.shape, np.inf)
    lcds = {}
    for a, b in pairs:
        lcd = float(np.min(np.where(lab == b, runs[a], np.inf)))
        lcds[(a, b)] = lcd
        if np.isfinite(lcd):
            nlcc = np.fmin(nlcc, np.maximum(runs[a] + runs[b] - lcd, 0.0))
    return runs, lcds, nlcc


@pytest.mark.parametrize("connect", [8, 4])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_corridors_equal_mcp_once_per_source(seed, connect):
    r, lab = _case(seed)
    res = corridors(r, lab, 30.0, connect=connect, workers=2)
    pairs = [tuple(p) for p in res.table[["source_a", "source_b"]].to_numpy()]
    assert pairs  # adjacent pairs found
    runs, lcds, nlcc = _reference(r, lab, 30.0, connect, pairs)
    lcd = dict(zip(pairs, res.table["lcd"], strict=True))
    for p, v in lcds.items():
        assert lcd[p] == pytest.approx(v, rel=1e-9) if np.isfinite(v) else np.isinf(lcd[p])
    assert np.array_equal(np.isinf(res.nlcc), np.isinf(nlcc))
    fin = np.isfinite(nlcc)
    np.testing.assert_allclose(res.nlcc[fin], nlcc[fin], rtol=1e-9, atol=1e-9)
    for (a, b), c in res.paths.items():
        # from a cell of a to b's cheapest cell; the steps cost the LCD (ties may pick
        # another path than MCP's, never a costlier one)
        assert lab[tuple(c[0])] == a and lab[tuple(c[-1])] == b
        steps = np.abs(np.diff(c, axis=0))
        lengths = 30.0 * np.where(steps.sum(axis=1) == 2, S2, 1.0)
        cost = np.sum(lengths * (r[c[:-1, 0], c[:-1, 1]] + r[c[1:, 0], c[1:, 1]]) / 2)
        assert cost == pytest.approx(lcds[(a, b)], rel=1e-12)
    # with a cutoff: the same, truncated (the searches stop early)
    for cut in (0.0, 5000.0):
        got = corridors(r, lab, 30.0, connect=connect, cutoff=cut, workers=2).nlcc
        want = np.where(nlcc > cut, np.inf, nlcc)
        assert np.array_equal(np.isinf(got), np.isinf(want))
        np.testing.assert_allclose(got[np.isfinite(want)], want[np.isfinite(want)], rtol=1e-9,
                                   atol=1e-9)


@pytest.mark.parametrize("seed", [0, 3])
def test_barrier_scores_equal_mcp_once_per_source(seed):
    r, lab = _case(seed, n=5)
    _, alloc = cost_allocation(r, lab, 30.0, 8)
    pairs = [tuple(p) for p in adjacent_pairs(alloc, 8).to_numpy()]
    runs, lcds, _ = _reference(r, lab, 30.0, 8, pairs)
    want = np.zeros(r.shape)
    for (a, b), lcd in lcds.items():
        if np.isfinite(lcd):
            want = np.maximum(want, improvement_score(runs[a], runs[b], lcd, 30.0, (1, 3)))
    got = barrier_scores(r, lab, 30.0, radii_cells=(1, 3), workers=2)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)
    assert got.max() > 0
