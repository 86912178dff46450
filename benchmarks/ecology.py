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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[2500, 5000])
    ap.add_argument("--window", type=int, default=1024, help="window_cells (0: the whole grid as one window)")
    ap.add_argument("--halo", type=int, default=128)
    ap.add_argument("--coarsen", type=int, default=1)
    ap.add_argument("--cutoff", type=float, default=20000.0, help="corridor_cutoff, resistance x m")
    ap.add_argument("--workdir", help="keep the studies here (default: a temporary folder, deleted)")
    ap.add_argument("--json", help="write the results to this file")
    args = ap.parse_args()
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
