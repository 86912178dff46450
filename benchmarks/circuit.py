"""Benchmark: ecozone.ecology.effective_resistance against a plain SciPy spsolve (issue 10's goals).

A random resistance raster (default 1,000 × 1,000 cells, uniform in [1, 100),
8 neighbours) with ``--regions`` focal regions (default 10: squares of
``--region`` × ``--region`` cells, default 3, spread on a circle) is solved for
all n(n − 1)/2 pairs (45 by default):

(a) ours: ``effective_resistance`` (conjugate gradients preconditioned by one
    smoothed-aggregation V-cycle shared by every pair, pairs on ``--workers``
    threads, default every core);
(b) baseline: for each pair the same network assembled with SciPy (regions
    merged by an aggregation matrix, region b grounded) and solved by
    ``scipy.sparse.linalg.spsolve`` (SuperLU), as a plain SciPy user would.
    ``--spsolve-pairs k`` times only the first k pairs and extrapolates
    linearly to all pairs (each pair is an independent factorisation).

Prints wall and CPU time of both, the ratio spsolve / ours, the largest
relative difference between the two sets of resistances and whether the goal
(≥ 5× faster, within 1e-6) is met. ``--memory 4000`` also solves one pair on a
4,000 × 4,000 raster in a fresh subprocess and prints its peak resident
memory (``ru_maxrss``, the raster and labels included) against the 2 GB goal
(2 × 10⁹ bytes). Run from the project root::

    .venv/bin/python benchmarks/circuit.py --spsolve-pairs 3                  # the goal case (~3 min)
    .venv/bin/python benchmarks/circuit.py --spsolve-pairs 3 --memory 4000    # and the memory goal
    .venv/bin/python benchmarks/circuit.py --memory 4000 --no-speed           # the memory goal only
    .venv/bin/python benchmarks/circuit.py --size 300 --regions 5             # quick

``goal_results(...)`` returns the same numbers as a dict for other benchmarks.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from ecozone.ecology.circuit import effective_resistance

SPEED_GOAL = 5.0  # spsolve / ours
DIFF_GOAL = 1e-6  # largest relative difference in R
MEMORY_GOAL = 2e9  # bytes of peak resident memory for one pair at 4,000²


def raster(size: int, n_regions: int, region: int, seed: int):
    """Resistance (uniform 1–100, float64) and focal labels (int32) of the benchmark."""
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


def _load() -> str:
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def speed_result(
    size: int = 1000,
    regions: int = 10,
    region: int = 3,
    spsolve_pairs: int = 0,
    seed: int = 0,
    workers: int | None = None,
    verbose: bool = True,
) -> dict:
    """Ours on every pair against spsolve on ``spsolve_pairs`` of them (0 = all), extrapolated."""
    say = print if verbose else (lambda *a, **k: None)
    r, lab = raster(size, regions, region, seed)
    say(
        f"raster {size}×{size}, {regions} regions of {region}×{region} cells, 8 neighbours "
        f"(load average {_load()})"
    )
    t0, c0 = time.perf_counter(), time.process_time()
    ours = effective_resistance(r, lab, 8, workers=workers)
    t_ours, c_ours = time.perf_counter() - t0, time.process_time() - c0
    pairs = list(zip(ours.a, ours.b, strict=True))
    say(f"ours    (cg + shared SA preconditioner, {len(pairs)} pairs): {t_ours:8.1f} s wall {c_ours:8.1f} s CPU")

    k = len(pairs) if spsolve_pairs <= 0 else min(spsolve_pairs, len(pairs))
    t0, c0 = time.perf_counter(), time.process_time()
    lap = laplacian(r)
    base = [spsolve_pair(lap, lab, a, b) for a, b in pairs[:k]]
    scale = len(pairs) / k
    t_base = (time.perf_counter() - t0) * scale
    c_base = (time.process_time() - c0) * scale
    note = "" if k == len(pairs) else f" (measured on {k} pairs, × {scale:.1f})"
    say(f"spsolve (SuperLU, {len(pairs)} pairs):                  {t_base:8.1f} s wall {c_base:8.1f} s CPU{note}")
    ratio, ratio_cpu = t_base / t_ours, c_base / c_ours
    got = ours.resistance.to_numpy()[:k]
    diff = float(np.max(np.abs(got - base) / np.abs(base)))
    met = ratio >= SPEED_GOAL and diff <= DIFF_GOAL
    say(
        f"ratio spsolve / ours: {ratio:.1f}× wall, {ratio_cpu:.1f}× CPU; largest relative difference "
        f"in R: {diff:.1e}  →  goal (≥ {SPEED_GOAL:g}×, ≤ {DIFF_GOAL:g}): {'met' if met else 'NOT met'}"
    )
    say(f"load average after: {_load()}")
    return {
        "size": size,
        "regions": regions,
        "region": region,
        "pairs": len(pairs),
        "workers": workers,
        "ours_wall_s": t_ours,
        "ours_cpu_s": c_ours,
        "spsolve_wall_s": t_base,
        "spsolve_cpu_s": c_base,
        "spsolve_pairs_measured": k,
        "ratio": ratio,
        "ratio_cpu": ratio_cpu,
        "max_rel_diff": diff,
        "speed_goal_met": met,
        "load_average": _load(),
    }


def _vm_hwm() -> int | None:
    """Peak resident memory of this process's address space (VmHWM), bytes; None off Linux."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _memory_child(size: int, seed: int) -> None:
    """In a fresh process: one pair at size², print peak RSS and times as JSON.

    ``ru_maxrss`` of a child started by ``subprocess`` starts at the parent's
    high-water mark (Linux keeps it across fork and exec), so the peak is read
    from VmHWM, which belongs to the child's own address space; ru_maxrss is
    reported beside it.
    """
    r, lab = raster(size, 2, 3, seed)
    t0, c0 = time.perf_counter(), time.process_time()
    t = effective_resistance(r, lab, 8, pairs=[(1, 2)], workers=1)
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    hwm = _vm_hwm()
    out = {
        "resistance": float(t.resistance.iloc[0]),
        "wall_s": time.perf_counter() - t0,
        "cpu_s": time.process_time() - c0,
        "peak_rss_bytes": hwm if hwm is not None else maxrss,
        "ru_maxrss_bytes": maxrss,
    }
    print(json.dumps(out))


def memory_result(size: int = 4000, seed: int = 0, verbose: bool = True) -> dict:
    """Peak resident memory of one pair solve at size² cells, measured in a fresh subprocess."""
    say = print if verbose else (lambda *a, **k: None)
    say(f"memory: one pair on {size}×{size} (8 neighbours) in a fresh process (load average {_load()})")
    proc = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--memory-child", str(size), "--seed", str(seed)],
        capture_output=True,
        text=True,
        check=True,
    )
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["size"] = size
    out["memory_goal_met"] = out["peak_rss_bytes"] <= MEMORY_GOAL
    say(
        f"peak RSS {out['peak_rss_bytes'] / 1e9:.2f} GB ({out['peak_rss_bytes'] / 2**20:,.0f} MiB; VmHWM, "
        f"raster and labels included; ru_maxrss {out['ru_maxrss_bytes'] / 1e9:.2f} GB), "
        f"{out['wall_s']:.1f} s wall {out['cpu_s']:.1f} s CPU  →  goal "
        f"(≤ {MEMORY_GOAL / 1e9:g} GB): {'met' if out['memory_goal_met'] else 'NOT met'}"
    )
    return out


def goal_results(
    size: int = 1000,
    regions: int = 10,
    region: int = 3,
    spsolve_pairs: int = 0,
    seed: int = 0,
    workers: int | None = None,
    memory: int | None = 4000,
    speed: bool = True,
    verbose: bool = True,
) -> dict:
    """Issue 10's goals: {"speed": speed_result(...), "memory": memory_result(...)} (either may be None).

    Parameters
    ----------
    size, regions, region, seed
        The speed case: size² cells, ``regions`` focal squares of ``region``² cells.
    spsolve_pairs : int
        Pairs timed with spsolve (0 = all), extrapolated to all pairs.
    workers : int, optional
        Threads of ``effective_resistance`` (default every core).
    memory : int, optional
        Side of the raster of the memory case (None: skip it).
    speed : bool
        Run the speed case.
    """
    # memory first: a child started by a large parent inherits its ru_maxrss (VmHWM is read anyway)
    mem = memory_result(memory, seed, verbose) if memory else None
    spd = speed_result(size, regions, region, spsolve_pairs, seed, workers, verbose) if speed else None
    return {"speed": spd, "memory": mem}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=1000)
    ap.add_argument("--regions", type=int, default=10)
    ap.add_argument("--region", type=int, default=3, help="side of a focal region, cells")
    ap.add_argument("--spsolve-pairs", type=int, default=0, help="0 = all pairs")
    ap.add_argument("--workers", type=int, default=None, help="threads of ours (default every core)")
    ap.add_argument("--memory", type=int, default=None, metavar="SIZE", help="also measure one pair at SIZE²")
    ap.add_argument("--no-speed", action="store_true", help="skip the speed case")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="write the results to this file")
    ap.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.memory_child:
        _memory_child(args.memory_child, args.seed)
        return {}
    out = goal_results(
        args.size, args.regions, args.region, args.spsolve_pairs, args.seed, args.workers,
        memory=args.memory, speed=not args.no_speed,
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)
    return out


if __name__ == "__main__":
    main()
