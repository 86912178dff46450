"""Benchmark: ecozone.ecology.effective_resistance against a plain SciPy spsolve.

A random resistance raster (default 1,000 × 1,000 cells, uniform in [1, 100),
8 neighbours) with 5 focal regions (squares of ``--region`` × ``--region``
cells spread over the raster) is solved for all 10 pairs:

(a) ours: ``effective_resistance`` (conjugate gradients + PyAMG smoothed
    aggregation, one solve per pair; the hierarchy is reused across pairs of
    single-cell regions, ``--region 1``);
(b) baseline: for each pair the same network assembled with SciPy (regions
    merged by an aggregation matrix, region b grounded) and solved by
    ``scipy.sparse.linalg.spsolve`` (SuperLU), as a plain SciPy user would.
    ``--spsolve-pairs k`` times only the first k pairs and extrapolates
    linearly to all pairs (each pair is an independent factorisation).

Prints both times, the ratio (spsolve / ours) and the largest relative
difference between the two sets of resistances. Run from the project root::

    .venv/bin/python benchmarks/circuit.py                 # full size (~5-8 min on 2 cores)
    .venv/bin/python benchmarks/circuit.py --spsolve-pairs 2
    .venv/bin/python benchmarks/circuit.py --size 300      # quick
"""

from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from ecozone.ecology.circuit import effective_resistance


def raster(size: int, n_regions: int, region: int, seed: int):
    rng = np.random.default_rng(seed)
    r = rng.uniform(1.0, 100.0, (size, size))
    lab = np.zeros((size, size), dtype=np.int32)
    # regions on a circle around the centre, well apart
    for k in range(n_regions):
        t = 2 * math.pi * k / n_regions
        y = int(size / 2 + 0.38 * size * math.sin(t))
        x = int(size / 2 + 0.38 * size * math.cos(t))
        lab[y : y + region, x : x + region] = k + 1
    return r, lab


def laplacian(r: np.ndarray) -> sp.csr_matrix:
    """8-neighbour Laplacian, conductance 1 / mean resistance (÷ √2 on diagonals)."""
    rows, cols = r.shape
    idx = np.arange(r.size).reshape(r.shape)
    ii, jj, gg = [], [], []
    for dr, dc, f in ((0, 1, 1.0), (1, 0, 1.0), (1, 1, math.sqrt(2)), (1, -1, math.sqrt(2))):
        s1 = (slice(0, rows - dr), slice(max(0, -dc), cols - max(0, dc)))
        s2 = (slice(dr, rows), slice(max(0, dc), cols - max(0, -dc)))
        ii.append(idx[s1].ravel())
        jj.append(idx[s2].ravel())
        gg.append((1.0 / (f * (r[s1] + r[s2]) / 2.0)).ravel())
    i, j, g = np.concatenate(ii), np.concatenate(jj), np.concatenate(gg)
    w = sp.coo_matrix((g, (i, j)), shape=(r.size, r.size))
    w = (w + w.T).tocsr()
    return (sp.diags(np.asarray(w.sum(axis=1)).ravel()) - w).tocsr()


def spsolve_pair(lap: sp.csr_matrix, lab: np.ndarray, a: int, b: int) -> float:
    """R_ab: regions merged by an aggregation matrix, b grounded, SuperLU solve."""
    n = lap.shape[0]
    flat = lab.ravel()
    ia, ib = np.flatnonzero(flat == a), np.flatnonzero(flat == b)
    others = np.ones(n, bool)
    others[ia] = others[ib] = False
    k = int(others.sum())
    col = np.empty(n, dtype=np.int64)
    col[others] = np.arange(k)
    col[ia], col[ib] = k, k + 1
    p = sp.csr_matrix((np.ones(n), (np.arange(n), col)), shape=(n, k + 2))
    m = (p.T @ lap @ p).tocsc()[: k + 1, : k + 1]  # drop b's node: grounded
    rhs = np.zeros(k + 1)
    rhs[k] = 1.0
    return float(spsolve(m, rhs)[k])


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=1000)
    ap.add_argument("--regions", type=int, default=5)
    ap.add_argument("--region", type=int, default=3, help="side of a focal region, cells")
    ap.add_argument("--spsolve-pairs", type=int, default=0, help="0 = all pairs")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="write the results to this file")
    args = ap.parse_args(argv)

    r, lab = raster(args.size, args.regions, args.region, args.seed)
    print(
        f"raster {args.size}×{args.size}, {args.regions} regions of {args.region}×{args.region} "
        f"cells, 8 neighbours"
    )
    t0 = time.perf_counter()
    ours = effective_resistance(r, lab, 8)
    t_ours = time.perf_counter() - t0
    pairs = list(zip(ours.a, ours.b, strict=True))
    print(f"ours   (cg + pyamg, {len(pairs)} pairs): {t_ours:8.1f} s")

    k = len(pairs) if args.spsolve_pairs <= 0 else min(args.spsolve_pairs, len(pairs))
    t0 = time.perf_counter()
    lap = laplacian(r)
    base = [spsolve_pair(lap, lab, a, b) for a, b in pairs[:k]]
    t_base = time.perf_counter() - t0
    t_all = t_base * len(pairs) / k
    note = "" if k == len(pairs) else f" (measured on {k} pairs, × {len(pairs) / k:.1f})"
    print(f"spsolve (SuperLU, {len(pairs)} pairs): {t_all:8.1f} s{note}")
    ratio = t_all / t_ours
    diff = float(np.max(np.abs(ours.resistance.to_numpy()[:k] - base) / np.abs(base)))
    print(f"ratio spsolve / ours: {ratio:.1f}×; largest relative difference in R: {diff:.1e}")
    out = {
        "size": args.size,
        "regions": args.regions,
        "region": args.region,
        "pairs": len(pairs),
        "ours_s": t_ours,
        "spsolve_s": t_all,
        "spsolve_pairs_measured": k,
        "ratio": ratio,
        "max_rel_diff": diff,
    }
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)
    return out


if __name__ == "__main__":
    main()
