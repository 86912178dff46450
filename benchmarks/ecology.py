"""Benchmark: the ecology analysis' windowed pipeline on large synthetic land covers — memory bound and time.

Writes a synthetic land cover of ``--size`` × ``--size`` cells of 30 m
(IGBP codes, Albers; a smooth random field with fine detail thresholded
into forest, grassland, water, cropland and built-up — patches of a few km
with hedges, clearings and ponds, fragmented like a lowland mosaic; the
GeoTIFF is written block by block, never held whole), a study of four counties (its quadrants), and runs ``ecozone run
--only ecology`` on it in a fresh process for each size, reporting

- the wall time and the CPU time of the run (from the manifest: the
  ecology steps, and the total);
- the peak resident memory of the process (``ru_maxrss`` of the child);
- windows, cells, sources, corridors and nodes.

The point: with windows (``[ecology] window_cells``, ``halo_cells``) the
peak memory depends on the window, not on the grid — compare the sizes —
while the time grows with the number of cells. The whole grid as one
window (``--window 0``) shows what the bound saves.

Run from the project root::

    .venv/bin/python benchmarks/ecology.py                               # 2,500² and 5,000² (~10 min on 2 cores)
    .venv/bin/python benchmarks/ecology.py --sizes 10000 --json /tmp/eco10k.json   # the 10,000² case (~1 h)
    .venv/bin/python benchmarks/ecology.py --sizes 2500 --window 0      # one window (no bound)

Options: ``--sizes`` (cells per side), ``--window`` / ``--halo`` (cells),
``--coarsen``, ``--cutoff`` (corridor width, resistance × m; the circuits
run on each corridor, Pinchpoint Mapper style — the whole-window
Circuitscape mode is the default of the analysis but costs minutes per pair
at millions of cells), ``--workdir`` (keep the rasters), ``--json``.

``--goals`` instead times the goals of issue 10 in one run: first the cost-distance goals in one process,
ours against scikit-image's ``MCP_Geometric`` (the reference), on a random
``--goal-size``² grid (default 4,000²: resistance uniform in [1, 100], 5 %
NaN barriers, 30 m cells, 8 neighbours, seed ``--goal-seed``):

1. one source (a 5 × 5 patch): ``ecozone.ecology.cost.cost_distance`` vs
   ``MCP_Geometric(...).find_costs`` — wall, CPU, ratio, largest relative
   difference of the CWD; goal ≥ 2× with ≤ 1e-9 relative difference;
2. the corridors of 20 sources (5 × 5 patches): ``ecozone.ecology.corridors``
   (per-source searches on ``--workers`` threads, LCDs, least-cost paths,
   NLCC mosaic) vs ``MCP_Geometric`` once per source with the same LCD, path
   and numpy mosaic (Linkage Mapper's way) on the same adjacent pairs (found
   once beforehand; the allocation run of each is timed on its own) — goal
   ≥ 2×, without a cutoff (the default); a run with a cutoff (``--goal-cutoff``,
   resistance × m, default a tenth of the median LCD) shows the early stop.

3. then (unless ``--no-circuit-goals``) the circuit goals by
   ``benchmarks/circuit.py``'s ``goal_results``: the 45 pairs of 10 focal
   regions on 1,000² against SciPy's ``spsolve`` (``--spsolve-pairs`` timed,
   extrapolated; goal ≥ 5× within 1e-6) and the peak memory of one pair at
   4,000² in a fresh process (goal ≤ 2 GB).

The Numba kernels are compiled or loaded from their cache first (timed
apart); CPU time is the process's (all threads). ::

    .venv/bin/python benchmarks/ecology.py --goals                      # 4,000² (~5 min on 2 cores)
    .venv/bin/python benchmarks/ecology.py --goals --goal-size 1000     # quick
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

AEA = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +datum=WGS84 +units=m +no_defs"
X0, Y0 = 1_000_000.0, 3_500_000.0
CELL = 30.0


def write_landcover(path: Path, size: int, seed: int = 7, block: int = 2048) -> None:
    """A size × size IGBP land cover, written block by block (memory: a few blocks)."""
    import rasterio
    from affine import Affine
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    k = 16  # the fields are drawn at 16 × 30 m = 480 m and interpolated: patches of a few km
    n = size // k + 3
    field = ndimage.gaussian_filter(rng.standard_normal((n, n)).astype(np.float32), 2.5)
    urban = ndimage.gaussian_filter(rng.standard_normal((n, n)).astype(np.float32), 6.0)
    wet = ndimage.gaussian_filter(rng.standard_normal((n, n)).astype(np.float32), 1.5)
    field, urban, wet = (f / f.std() for f in (field, urban, wet))
    with rasterio.open(path, "w", driver="GTiff", width=size, height=size, count=1, dtype="uint8", crs=AEA,
                       transform=Affine(CELL, 0, X0, 0, -CELL, Y0 + size * CELL), nodata=255, tiled=True,
                       blockxsize=256, blockysize=256, compress="deflate") as ds:
        for r0 in range(0, size, block):
            for c0 in range(0, size, block):
                h, w = min(block, size - r0), min(block, size - c0)
                rr = (np.arange(r0, r0 + h) + 0.5) / k
                cc = (np.arange(c0, c0 + w) + 0.5) / k
                yy, xx = np.meshgrid(rr, cc, indexing="ij")
                # fine detail (hedges, clearings, ponds): noise smoothed over ~2 cells, seeded per block
                fine = np.random.default_rng([seed, r0, c0]).standard_normal((h, w)).astype(np.float32)
                fine = ndimage.gaussian_filter(fine, 1.5)
                f = ndimage.map_coordinates(field, [yy, xx], order=1) + 0.9 * fine / max(float(fine.std()), 1e-6)
                u = ndimage.map_coordinates(urban, [yy, xx], order=1)
                q = ndimage.map_coordinates(wet, [yy, xx], order=1)
                lc = np.full((h, w), 12, np.uint8)  # cropland
                lc[f > 0.45] = 5  # mixed forest
                lc[(f > 0.15) & (f <= 0.45)] = 10  # grassland
                lc[q > 1.9] = 17  # water
                lc[u > 1.3] = 13  # built-up
                ds.write(lc, 1, window=rasterio.windows.Window(c0, r0, w, h))


def write_study(root: Path, size: int, args) -> Path:
    import geopandas as gpd
    from shapely.geometry import box

    root.mkdir(parents=True, exist_ok=True)
    lc = root / "lc_2020.tif"
    if not lc.exists():
        write_landcover(lc, size)
    half = size * CELL / 2
    boxes = [box(X0 + i * half, Y0 + j * half, X0 + (i + 1) * half, Y0 + (j + 1) * half) for j in (1, 0) for i in (0, 1)]
    gpd.GeoDataFrame({"unit_id": ["NW", "NE", "SW", "SE"], "name": ["NW", "NE", "SW", "SE"],
                      "prov_id": ["P"] * 4}, geometry=boxes, crs=AEA).to_file(root / "units.gpkg", driver="GPKG")
    window = f"window_cells = {args.window}\nhalo_cells = {args.halo}\n" if args.window else (
        f"window_cells = {size}\nhalo_cells = 0\n")
    (root / "ecozone.toml").write_text(
        f'[study]\nname = "ecology benchmark {size}"\nyears = [2020]\n\n'
        '[units]\npath = "units.gpkg"\nname = "name"\nlevels = { county = "unit_id", province = "prov_id" }\n\n'
        '[rasters]\nlandcover = "lc_{year}.tif"\n\n'
        f'[ecology]\ncoarsen = {args.coarsen}\ncorridor_cutoff = {args.cutoff}\ncircuit_domain = "corridor"\n'
        f"{window}",
        encoding="utf-8")
    return root / "ecozone.toml"


CHILD = """
import json, resource, sys, time
t0 = time.perf_counter(); c0 = time.process_time()
from ecozone.run import run_study
r = run_study(sys.argv[1], out=sys.argv[2], only=["ecology"], report=False)
print(json.dumps({"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "timings": r.manifest["timings_s"],
                  "rows": {k: len(v) for k, v in r.tables.items()}}))
"""


def run(size: int, args, work: Path) -> dict:
    folder = work / f"study{size}"
    t = time.perf_counter()
    study = write_study(folder, size, args)
    prep = time.perf_counter() - t
    out = folder / f"out-w{args.window}"
    p = subprocess.run([sys.executable, "-c", CHILD, str(study), str(out)], capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(p.stdout + p.stderr)
    got = json.loads(p.stdout.strip().splitlines()[-1])
    steps = {k: v for k, v in got["timings"].items() if k.startswith("ecology")}
    windows = next((k.split("(")[1].split(" window")[0] for k in steps if "window" in k), "?")
    return {"size": size, "cells": size * size, "windows": windows, "prepare_s": round(prep, 1),
            "wall_s": round(got["wall_s"], 1), "cpu_s": round(got["cpu_s"], 1),
            "ecology_s": round(sum(steps.values()), 1), "peak_rss_mb": round(got["rss_mb"]), "rows": got["rows"],
            "steps": steps}


# ---------------------------------------------------------------------------
# --goals: cost distance and corridors against MCP_Geometric (issue 10)


def _timed(f, *a, **k):
    """(result, wall s, CPU s of the process — every thread)."""
    t, c = time.perf_counter(), time.process_time()
    out = f(*a, **k)
    return out, time.perf_counter() - t, time.process_time() - c


def goal_grid(size: int, seed: int, n_sources: int = 20, patch: int = 5):
    """Random resistance (uniform 1–100, 5 % NaN) and ``n_sources`` square patches apart."""
    rng = np.random.default_rng(seed)
    r = rng.uniform(1.0, 100.0, (size, size))
    r[rng.random((size, size)) < 0.05] = np.nan
    lab = np.zeros((size, size), np.int64)
    centres: list[tuple[int, int]] = []
    gap = size / (2 * np.sqrt(n_sources))
    while len(centres) < n_sources:
        y, x = (int(v) for v in rng.integers(patch, size - 2 * patch, 2))
        if all(np.hypot(y - a, x - b) > gap for a, b in centres):
            centres.append((y, x))
    for k, (y, x) in enumerate(centres, start=1):
        lab[y : y + patch, x : x + patch] = k
        r[y : y + patch, x : x + patch] = rng.uniform(1.0, 10.0, (patch, patch))  # habitat: passable
    return r, lab


def _mcp_run(cost: np.ndarray, mask: np.ndarray, cs: float):
    """MCP_Geometric from the cells of mask: (cwd, traceback, MCP offsets)."""
    from skimage.graph import MCP_Geometric

    m = MCP_Geometric(cost, fully_connected=True, sampling=(cs, cs))
    cwd, tb = m.find_costs(np.argwhere(mask))
    return np.asarray(cwd), np.asarray(tb), np.asarray(m.offsets, dtype=np.int64)


def corridors_mcp(r: np.ndarray, lab: np.ndarray, cs: float, plist):
    """The corridors the Linkage Mapper way: MCP_Geometric once per source, numpy mosaic.

    Same pairs, same LCD (CWD_a's minimum over b's cells), path from MCP's
    traceback, NLCC = min over pairs of max(CWD_a + CWD_b − LCD, 0); runs in
    ecozone's order, each pair as soon as both runs are there, a run dropped
    after its last pair (the same memory pattern as ecozone's).
    """
    from collections import Counter

    cost = np.where(np.isnan(r), np.inf, r)
    passable = np.isfinite(cost)
    from ecozone.ecology.cost import _pair_schedule  # the order of the runs only (memory)

    need = Counter(s for p in plist for s in p)
    runs: dict[int, tuple] = {}
    nlcc = np.full(r.shape, np.inf)
    lcds, paths = {}, {}
    for s, ready in _pair_schedule(plist):
        runs[s] = _mcp_run(cost, (lab == s) & passable, cs)
        for a, b in ready:
            cwd_a, tb_a, off = runs[a]
            cwd_b = runs[b][0]
            vals = np.where(lab == b, cwd_a, np.inf)
            end = int(np.argmin(vals))
            lcd = float(vals.ravel()[end])
            lcds[(a, b)] = lcd
            if np.isfinite(lcd):
                y, x = np.unravel_index(end, r.shape)
                cells = [(int(y), int(x))]
                while tb_a[y, x] >= 0:
                    dy, dx = off[tb_a[y, x]]
                    y, x = y - dy, x - dx
                    cells.append((int(y), int(x)))
                paths[(a, b)] = np.array(cells[::-1])
                with np.errstate(invalid="ignore"):
                    pair = np.maximum(cwd_a + cwd_b - lcd, 0.0)
                np.fmin(nlcc, pair, out=nlcc)
            for x in (a, b):
                need[x] -= 1
                if need[x] == 0:
                    del runs[x]
    return lcds, nlcc, paths


def _rel_diff(ours: np.ndarray, ref: np.ndarray) -> tuple[float, bool]:
    """Largest relative difference over the cells finite in both; same inf pattern?"""
    ours, ref = np.asarray(ours, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    same = bool(np.array_equal(np.isfinite(ours), np.isfinite(ref)))
    f = np.isfinite(ours) & np.isfinite(ref)
    if not f.any():
        return 0.0, same
    d = np.abs(ours[f] - ref[f]) / np.maximum(np.abs(ref[f]), np.finfo(float).tiny)
    return float(d.max()), same


def goals(args) -> dict:
    from ecozone.ecology.corridors import corridors
    from ecozone.ecology.cost import adjacent_pairs, cost_allocation, cost_distance

    size, cs = args.goal_size, 30.0
    out: dict = {"size": size, "cells": size * size, "workers": args.workers}
    # Numba: compile, or load from the cache, before timing
    tr, tl = goal_grid(64, 0, n_sources=3, patch=2)
    _, w, c = _timed(lambda: (cost_distance(tr, tl == 1, cs), corridors(tr, tl, cs, cutoff=1e4)))
    out["numba_load_s"] = round(w, 2)
    print(f"numba kernels compiled / loaded from cache: {w:.2f} s wall ({c:.2f} s CPU)")

    (r, lab), w, _ = _timed(goal_grid, size, args.goal_seed)
    print(f"grid {size:,}² ({size * size / 1e6:.1f} M cells, {np.isnan(r).mean():.1%} NaN), "
          f"20 sources of 5 × 5 cells, 30 m, 8 neighbours (made in {w:.1f} s)")
    cost = np.where(np.isnan(r), np.inf, r)

    # goal 1: one source
    src = lab == 1
    ours, w1, c1 = _timed(cost_distance, r, src, cs)
    from skimage.graph import MCP_Geometric

    m, wi, _ = _timed(MCP_Geometric, cost, fully_connected=True, sampling=(cs, cs))
    (ref, _), w2, c2 = _timed(m.find_costs, np.argwhere(src))
    del m
    ref = np.where(np.isfinite(ref), ref, np.inf)
    diff, same = _rel_diff(ours, ref)
    exact = float(np.mean(ours[np.isfinite(ref)] == ref[np.isfinite(ref)]))
    del ours, ref
    g1 = w2 / w1
    out["one_source"] = {"ours_wall_s": round(w1, 2), "ours_cpu_s": round(c1, 2),
                         "mcp_find_costs_wall_s": round(w2, 2), "mcp_find_costs_cpu_s": round(c2, 2),
                         "mcp_init_wall_s": round(wi, 2), "ratio": round(g1, 2),
                         "max_rel_diff": diff, "same_unreached": same, "bitwise_equal_share": exact}
    print(f"1 source : ours {w1:6.2f} s wall / {c1:6.2f} s CPU | MCP_Geometric.find_costs {w2:6.2f} s wall / "
          f"{c2:6.2f} s CPU (+ {wi:.2f} s to build it) | ratio {g1:.1f}x | max rel. diff {diff:.1e}, "
          f"same unreached cells: {same}, bitwise equal: {exact:.1%}")

    # adjacent pairs (each side's allocation run timed on its own)
    (_, alloc), wa, ca = _timed(cost_allocation, r, lab, cs)
    plist = [tuple(int(v) for v in p) for p in adjacent_pairs(alloc, 8).to_numpy()]
    del alloc
    _, wm, _ = _timed(_mcp_run, cost, lab > 0, cs)
    print(f"allocation (adjacent pairs: {len(plist)} among 20 sources): ours {wa:.2f} s wall / {ca:.2f} s CPU "
          f"| MCP_Geometric multi-source find_costs alone {wm:.2f} s")

    # goal 2: the corridors of 20 sources
    res, w3, c3 = _timed(corridors, r, lab, cs, pairs=plist, workers=args.workers)
    rss_ours = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    (lcds, nlcc_ref, paths_ref), w4, c4 = _timed(corridors_mcp, r, lab, cs, plist)
    t = res.table.set_index(["source_a", "source_b"])
    lcd_diff = max(abs(t.loc[p, "lcd"] - v) / v if np.isfinite(v) else float(np.isfinite(t.loc[p, "lcd"]))
                   for p, v in lcds.items())
    nlcc_diff, same_n = _rel_diff(res.nlcc, nlcc_ref)
    same_paths = sum(np.array_equal(res.paths[p], paths_ref[p]) for p in paths_ref)
    g2 = w4 / w3
    out["corridors"] = {"pairs": len(plist), "ours_wall_s": round(w3, 2), "ours_cpu_s": round(c3, 2),
                        "mcp_wall_s": round(w4, 2), "mcp_cpu_s": round(c4, 2), "ratio": round(g2, 2),
                        "lcd_max_rel_diff": lcd_diff, "nlcc_max_rel_diff": nlcc_diff,
                        "nlcc_same_inf": same_n, "paths_identical": f"{same_paths}/{len(paths_ref)}"}
    print(f"corridors: ours {w3:6.2f} s wall / {c3:6.2f} s CPU ({args.workers or 'all'} workers) | MCP once per "
          f"source {w4:6.2f} s wall / {c4:6.2f} s CPU | ratio {g2:.1f}x | LCD max rel. diff {lcd_diff:.1e}, "
          f"NLCC {nlcc_diff:.1e} (same inf: {same_n}); paths identical {same_paths}/{len(paths_ref)} "
          "(others: equal-cost ties broken differently)")
    median_lcd = float(np.median(res.table["lcd"][np.isfinite(res.table["lcd"])]))
    del res
    if args.goal_cutoff is None or args.goal_cutoff >= 0:
        cut = 0.1 * median_lcd if args.goal_cutoff is None else float(args.goal_cutoff)
        res, w5, c5 = _timed(corridors, r, lab, cs, pairs=plist, cutoff=cut, workers=args.workers)
        ref_cut = np.where(nlcc_ref > cut, np.inf, nlcc_ref)
        d5, same5 = _rel_diff(res.nlcc, ref_cut)
        out["corridors_cutoff"] = {"cutoff": cut, "ours_wall_s": round(w5, 2), "ours_cpu_s": round(c5, 2),
                                   "ratio": round(w4 / w5, 2), "nlcc_max_rel_diff": d5, "nlcc_same_inf": same5,
                                   "corridor_cells": int(np.isfinite(res.nlcc).sum())}
        print(f"  with cutoff {cut:,.0f}: ours {w5:6.2f} s wall / {c5:6.2f} s CPU (early stop) | ratio "
              f"{w4 / w5:.1f}x | NLCC max rel. diff {d5:.1e} (same inf: {same5}), "
              f"{np.isfinite(res.nlcc).mean():.1%} of cells in a corridor")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["peak_rss_mb"] = round(rss)
    out["peak_rss_after_our_corridors_mb"] = round(rss_ours)
    ok1 = g1 >= 2 and diff <= 1e-9 and same
    ok2 = g2 >= 2 and nlcc_diff <= 1e-9 and lcd_diff <= 1e-9 and same_n
    out["goals_met"] = {"one_source": ok1, "corridors": ok2}
    print(f"goal 1 (cost distance ≥ 2x MCP_Geometric, ≤ 1e-9 rel. diff): {'met' if ok1 else 'NOT met'} ({g1:.1f}x)")
    print(f"goal 2 (corridors of 20 sources ≥ 2x MCP once per source): {'met' if ok2 else 'NOT met'} ({g2:.1f}x)")
    print(f"peak RSS {rss:,.0f} MB (up to the end of our corridors: {rss_ours:,.0f} MB)")
    return out


def circuit_goals(args) -> dict:
    """The circuit goals of issue 10, run here by ``benchmarks/circuit.py``'s ``goal_results``."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_circuit", Path(__file__).with_name("circuit.py"))
    circuit = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(circuit)
    print("\ncircuits (benchmarks/circuit.py): 10 focal regions of 3 × 3 cells on 1,000², 45 pairs, "
          "against spsolve; one pair on 4,000² for the memory")
    res = circuit.goal_results(size=1000, regions=10, region=3, spsolve_pairs=args.spsolve_pairs,
                               workers=args.workers, memory=4000)
    speed = res["speed"]
    res["goals_met"] = {
        "circuit_speed": bool(speed["ratio"] >= circuit.SPEED_GOAL and speed["max_rel_diff"] <= circuit.DIFF_GOAL),
        "circuit_memory": bool(res["memory"]["memory_goal_met"]),
    }
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[2500, 5000])
    ap.add_argument("--window", type=int, default=1024, help="window_cells (0: the whole grid as one window)")
    ap.add_argument("--halo", type=int, default=128)
    ap.add_argument("--coarsen", type=int, default=1)
    ap.add_argument("--cutoff", type=float, default=20000.0, help="corridor_cutoff, resistance x m")
    ap.add_argument("--workdir", help="keep the studies here (default: a temporary folder, deleted)")
    ap.add_argument("--json", help="write the results to this file")
    ap.add_argument("--goals", action="store_true",
                    help="time cost distance and corridors against MCP_Geometric (issue 10) instead")
    ap.add_argument("--goal-size", type=int, default=4000, help="--goals: cells per side")
    ap.add_argument("--goal-seed", type=int, default=10)
    ap.add_argument("--goal-cutoff", type=float, default=None,
                    help="--goals: also time the corridors with this cutoff (resistance x m; default a tenth "
                         "of the median LCD; < 0: skip)")
    ap.add_argument("--workers", type=int, default=None, help="--goals: threads of the corridor searches")
    ap.add_argument("--no-circuit-goals", dest="circuit_goals", action="store_false",
                    help="--goals: skip the circuit goals (benchmarks/circuit.py: 45 pairs at 1,000² against "
                         "spsolve, one pair's memory at 4,000²)")
    ap.add_argument("--spsolve-pairs", type=int, default=3,
                    help="--goals: pairs timed with spsolve for the circuit goal (extrapolated to all 45)")
    args = ap.parse_args()
    if args.goals:
        res = goals(args)
        if args.circuit_goals:
            res["circuit"] = circuit_goals(args)
            met = {**res["goals_met"], **res["circuit"]["goals_met"]}
            print("\nissue 10's goals, this run: " + ", ".join(f"{k} {'met' if v else 'NOT met'}"
                                                          for k, v in met.items()))
        if args.json:
            Path(args.json).write_text(json.dumps({"args": vars(args), "goals": res}, indent=2), encoding="utf-8")
        return
    tmp = None
    if args.workdir:
        work = Path(args.workdir)
        work.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="ecozone-bench-ecology-")
        work = Path(tmp.name)
    rows = []
    try:
        for size in args.sizes:
            r = run(size, args, work)
            rows.append(r)
            print(f"{size:>6,}² ({r['cells'] / 1e6:,.1f} M cells, {r['windows']} window(s)): "
                  f"wall {r['wall_s']:,.1f} s (ecology {r['ecology_s']:,.1f} s), CPU {r['cpu_s']:,.1f} s, "
                  f"peak RSS {r['peak_rss_mb']:,} MB; prepare {r['prepare_s']:,.1f} s; rows {r['rows']}")
    finally:
        if tmp is not None:
            tmp.cleanup()
    parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"(this script's own peak RSS, writing the rasters: {parent:,.0f} MB)")
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "runs": rows}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
