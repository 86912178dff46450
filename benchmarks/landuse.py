"""Benchmark: the land-use transition matrix (METHODS §6) against exactextract.

A synthetic pair of land-cover rasters (default 10,000 × 10,000 cells of
30 m, Albers equal-area, IGBP codes, uint8 GeoTIFFs tiled 512², nodata 255 in
a strip) over ``--units`` Voronoi units (default 1,068, the demo's counties), the
second year with built-up land grown around the first year's towns and
scattered changes. Times (Numba compiled or loaded from its cache first,
reported apart):

(a) ours: :func:`ecozone.landuse.transition_matrix` — one pass over both
    rasters read from the GeoTIFFs (rioxarray/dask, ``--chunk`` squares, the
    local threaded scheduler, as ``ecozone run`` opens them), with the
    coverage weights of :func:`ecozone.zonal.zonal_weights` computed first
    ("first run") and cached ("weights cached": every further period and
    analysis of a study reuses them); against the goal of issue 12, the
    zonal engine's reduction of one band (:func:`ecozone.zonal.zonal_reduce`,
    ``area_sum`` of the first year's codes as float32) on the same grid,
    chunks and cached weights: each is run once untimed, then both in turn
    ``--repeats`` times, best wall and best CPU time kept;
(b) the naive way: for every (class_from, class_to) pair present, an
    indicator raster (lc_from == a) & (lc_to == b) and one
    ``exact_extract(..., "sum")`` over all units; ``--naive-pairs`` of the
    pairs are timed (each is an independent pass of the same cost) and the
    time is extrapolated to all pairs;
(c) exactextract in one pass: ``exact_extract(pair code raster, ["unique",
    "frac", "count"])`` — the same areas as frac × count × cell area.

Prints the times, the ratios (their time / ours, measured in this run), the
largest relative difference of our areas from (b) and (c), the peak
resident memory after (a) and the peak of the streamed pass alone (its
rise over the memory held before it), and the load average. Run from the
project root::

    .venv/bin/python benchmarks/landuse.py                     # 10,000², 1,068 units (~3 min)
    .venv/bin/python benchmarks/landuse.py --size 2000 --units 200 --naive-pairs 0   # quick
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from affine import Affine
from pyproj import CRS

from ecozone import zonal
from ecozone.grid import Grid
from ecozone.landuse import transition_matrix

AEA = CRS.from_proj4("+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +datum=WGS84")
CELL = 30.0  # m
X0, Y0 = 600_000.0, 3_500_000.0  # upper-left corner (Albers), around 31.5° N 111° E
NODATA = 255
#: IGBP codes and their shares in the first year (forest, shrub, grass, wetland, crop, built, barren, water)
CLASSES = np.array([1, 2, 4, 5, 6, 8, 10, 11, 12, 13, 14, 16, 17], np.uint8)
SHARES = np.array([4, 14, 5, 8, 2, 6, 8, 2, 25, 5, 12, 2, 7], float)


def make_grid(size: int) -> Grid:
    return Grid(AEA, Affine(CELL, 0, X0, 0, -CELL, Y0), size, size)


def county_grid_and_units(size: int) -> tuple[Grid, gpd.GeoDataFrame]:
    """The demo's 1,068 YREB counties (Albers) and a size × size grid of square cells covering them.

    The counties come from the demo's loader (``ecozone.demo.boundaries.read_counties``); the cell
    size is what it takes to cover the belt (~200 m at 10,000²).
    """
    from ecozone.demo.boundaries import read_counties

    units = read_counties()[["unit_id", "geometry"]].to_crs(AEA)
    left, bottom, right, top = units.total_bounds
    cell = float(np.ceil(max(right - left, top - bottom) * 1.002 / size))
    x0, y0 = left - (size * cell - (right - left)) / 2, top + (size * cell - (top - bottom)) / 2
    return Grid(AEA, Affine(cell, 0, x0, 0, -cell, y0), size, size), units


def cell_km2(grid: Grid) -> float:
    return abs(grid.transform.a * grid.transform.e) / 1e6


def make_units(grid: Grid, n: int, seed: int = 3) -> gpd.GeoDataFrame:
    """``n`` Voronoi polygons of random points, clipped to the grid's extent less a 1 % margin."""
    rng = np.random.default_rng(seed)
    left, bottom, right, top = grid.bounds
    m = 0.01 * (right - left)
    pts = shapely.points(rng.uniform(left + m, right - m, n), rng.uniform(bottom + m, top - m, n))
    frame = shapely.box(left + m, bottom + m, right - m, top - m)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=frame))
    cells = shapely.intersection(cells, frame)
    return gpd.GeoDataFrame({"unit_id": [f"U{i:04d}" for i in range(len(cells))]}, geometry=cells, crs=AEA)


def make_landcover(size: int, seed: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Two years of IGBP codes (uint8): patches of ~3 km with pixel noise; year 2 grows built-up land."""
    rng = np.random.default_rng(seed)
    block = 100
    nb = -(-size // block)
    coarse = rng.choice(CLASSES, (nb, nb), p=SHARES / SHARES.sum())
    a = np.repeat(np.repeat(coarse, block, 0), block, 1)[:size, :size].copy()
    noise = rng.random((size, size), dtype=np.float32)
    a[noise < 0.08] = rng.choice(CLASSES, int((noise < 0.08).sum()))
    a[size - max(size // 50, 1):, :] = NODATA  # a strip without data
    b = a.copy()
    # built-up grows into the blocks next to built-up blocks (cropland first), ~30 % of their cells
    near = np.zeros_like(coarse, bool)
    built = coarse == 13
    near[1:, :] |= built[:-1, :]
    near[:-1, :] |= built[1:, :]
    near[:, 1:] |= built[:, :-1]
    near[:, :-1] |= built[:, 1:]
    grow = np.repeat(np.repeat(near & ~built, block, 0), block, 1)[:size, :size]
    take = grow & (noise > 0.7) & (a != NODATA) & (a != 17)
    b[take] = 13
    flip = (noise > 0.985) & (a != NODATA)  # scattered changes between any classes
    b[flip] = rng.choice(CLASSES, int(flip.sum()))
    return a, b


def write(path: Path, arr: np.ndarray, grid: Grid) -> None:
    import rasterio

    with rasterio.open(path, "w", driver="GTiff", width=grid.width, height=grid.height, count=1, dtype="uint8",
                       crs=grid.crs.to_wkt(), transform=grid.transform, nodata=NODATA, tiled=True,
                       blockxsize=512, blockysize=512) as dst:
        dst.write(arr, 1)


def open_lazy(path: Path, chunk: int):
    import rioxarray

    return rioxarray.open_rasterio(path, chunks={"band": 1, "y": chunk, "x": chunk}, masked=False,
                                   mask_and_scale=False, lock=False).isel(band=0, drop=True)


def warm_up() -> float:
    """Compile (or load from the cache) the Numba kernel on a tiny input."""
    t = time.perf_counter()
    g = make_grid(8)
    u = make_units(g, 3)
    w = zonal.zonal_weights(u, "unit_id", g)
    a = np.full(g.shape, 12, np.uint8)
    transition_matrix(a, a, w, nodata=NODATA)
    zonal.clear_cache()
    return time.perf_counter() - t


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # kB on Linux


def _status_gb(field: str) -> float | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1e6  # kB
    except OSError:
        pass
    return None


def pass_peak_gb(fn) -> tuple[float | None, float | None]:
    """(resident memory before, peak resident memory during ``fn()``), GB (Linux; None elsewhere)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:  # resets this process's peak (VmHWM) to its RSS
            f.write("5")
    except OSError:
        return None, None
    before = _status_gb("VmRSS")
    fn()
    return before, _status_gb("VmHWM")


def best_of(fns: dict, repeats: int) -> dict:
    """Best (wall, CPU) seconds of every function: one untimed run each, then all in turn ``repeats`` times."""
    for fn in fns.values():
        fn()
    best = {k: (float("inf"), float("inf")) for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            t, c = time.perf_counter(), time.process_time()
            fn()
            t, c = time.perf_counter() - t, time.process_time() - c
            best[k] = (min(best[k][0], t), min(best[k][1], c))
    return best


def naive_pairs(a: np.ndarray, b: np.ndarray, units: gpd.GeoDataFrame, grid: Grid, pairs, n_timed: int):
    """exactextract "sum" of an indicator raster per class pair (``n_timed`` of them): areas and seconds."""
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource

    left, bottom, right, top = grid.bounds
    km2 = cell_km2(grid)
    out, secs = {}, []
    for ca, cb in pairs[:n_timed]:
        t, c = time.perf_counter(), time.process_time()
        ind = ((a == ca) & (b == cb)).astype(np.float32)
        src = NumPyRasterSource(ind, left, bottom, right, top, srs_wkt=grid.crs.to_wkt())
        res = exact_extract(src, units, ["sum"], include_cols=["unit_id"], output="pandas")
        secs.append((time.perf_counter() - t, time.process_time() - c))
        for uid, s in zip(res["unit_id"], res["sum"], strict=True):
            if s > 0:
                out[(uid, int(ca), int(cb))] = s * km2
    return out, secs


def one_pass_exactextract(a: np.ndarray, b: np.ndarray, units: gpd.GeoDataFrame, grid: Grid):
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource

    left, bottom, right, top = grid.bounds
    pair = a.astype(np.int32) * 256 + b
    pair[(a == NODATA) | (b == NODATA)] = -1
    src = NumPyRasterSource(pair, left, bottom, right, top, nodata=-1, srs_wkt=grid.crs.to_wkt())
    res = exact_extract(src, units, ["unique", "frac", "count"], include_cols=["unit_id"], output="pandas")
    km2 = cell_km2(grid)
    out = {}
    for r in res.itertuples():
        for code, frac in zip(r.unique, r.frac, strict=True):
            out[(r.unit_id, int(code) // 256, int(code) % 256)] = frac * r.count * km2
    return out


def max_rel_diff(ours: dict, theirs: dict, keys=None) -> float:
    keys = list(theirs) if keys is None else keys
    worst = 0.0
    for k in keys:
        o, t = ours.get(k, 0.0), theirs.get(k, 0.0)
        if max(abs(o), abs(t)) > 1e-9:
            worst = max(worst, abs(o - t) / max(abs(o), abs(t)))
    return worst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=10_000, help="grid size N (N × N cells of 30 m)")
    ap.add_argument("--units", type=int, default=1068, help="number of Voronoi units")
    ap.add_argument("--counties", action="store_true",
                    help="the demo's 1,068 YREB counties as units, on a grid of square cells covering them")
    ap.add_argument("--chunk", type=int, default=1024, help="dask chunk (cells) of the rasters, as [compute] chunk_size")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs of ours and of one band (best kept)")
    ap.add_argument("--naive-pairs", type=int, default=3, help="class pairs timed for the naive loop (0: skip it)")
    ap.add_argument("--no-one-pass", action="store_true", help="skip exactextract's one-pass variant")
    ap.add_argument("--in-memory", action="store_true",
                    help="also time ours on the numpy arrays in memory (1024-row stripes on threads)")
    ap.add_argument("--workdir", type=Path, default=None, help="keep the GeoTIFFs here (default: a temp folder)")
    args = ap.parse_args()

    work = args.workdir or Path(tempfile.mkdtemp(prefix="ecozone-landuse-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        t = time.perf_counter()
        if args.counties:
            grid, units = county_grid_and_units(args.size)
        else:
            grid = make_grid(args.size)
            units = make_units(grid, args.units)
        a, b = make_landcover(args.size)
        p0, p1 = work / "lc_2015.tif", work / "lc_2020.tif"
        if not (p0.exists() and p1.exists()):
            write(p0, a, grid)
            write(p1, b, grid)
        for p in (p0, p1):  # into the page cache (not timed)
            p.read_bytes()
        print(f"grid {args.size:,} × {args.size:,} cells of {grid.transform.a:g} m ({args.size ** 2 / 1e6:.0f} M cells), "
              f"{len(units):,} units, inputs made in {time.perf_counter() - t:.1f} s "
              f"(threads: {os.cpu_count()} cores, dask chunks {args.chunk}²)")
        print(f"numba warm-up (compile or cache load, not timed below): {warm_up():.2f} s")

        # ------------------------------------------------------------------ ours
        t, c = time.perf_counter(), time.process_time()
        w = zonal.zonal_weights(units, "unit_id", grid)
        t_weights, c_weights = time.perf_counter() - t, time.process_time() - c
        lc0, lc1 = open_lazy(p0, args.chunk), open_lazy(p1, args.chunk)
        t, c = time.perf_counter(), time.process_time()
        ours_df = transition_matrix(lc0, lc1, w)
        t_once, c_once = time.perf_counter() - t, time.process_time() - c
        peak = peak_rss_gb()
        rss0, pass_peak = pass_peak_gb(lambda: transition_matrix(lc0, lc1, w))
        # the goal of issue 12: ≤ 2× the zonal engine's reduction of one band on the same grid, chunks and weights
        band = open_lazy(p0, args.chunk).astype("float32")
        band_rss0, band_peak = pass_peak_gb(lambda: zonal.zonal_reduce(w, band, stats=("area_sum",)))
        best = best_of({"ours": lambda: transition_matrix(lc0, lc1, w),
                        "band": lambda: zonal.zonal_reduce(w, band, stats=("area_sum",))}, args.repeats)
        (t_ours, c_ours), (t_band, c_band) = best["ours"], best["band"]
        t_mem = None
        if args.in_memory:
            t = time.perf_counter()
            transition_matrix(a, b, w, nodata=NODATA)
            t_mem = time.perf_counter() - t
        load = " · ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"\nbest of {args.repeats} (after one untimed run each; load average {load}):")
        print(f"  transitions {t_ours:.3f} s (CPU {c_ours:.3f} s); zonal engine, one band (area_sum of the first "
              f"year's codes): {t_band:.3f} s (CPU {c_band:.3f} s)")
        print(f"  transitions / one band = {t_ours / t_band:.2f} × wall, {c_ours / c_band:.2f} × CPU "
              f"(goal ≤ 2 ×: {'met' if t_ours / t_band <= 2 else 'not met'})")
        ours = {(r.unit_id, r.class_from, r.class_to): r.area_km2 for r in ours_df.itertuples()}
        pairs = sorted({(k[1], k[2]) for k in ours}, key=lambda p: -sum(v for k, v in ours.items() if k[1:] == p))
        mem = f" (numpy arrays in memory: {t_mem:.2f} s)" if t_mem is not None else ""
        print(f"\nours: coverage weights {t_weights:.2f} s (CPU {c_weights:.2f} s; {w.n_entries / 1e6:.1f} M entries); "
              f"transitions from the GeoTIFFs {t_ours:.2f} s (CPU {c_ours:.2f} s; the process's first call "
              f"{t_once:.2f} s, CPU {c_once:.2f} s, imports dask.distributed and opens the files){mem}; first run "
              f"{t_weights + t_ours:.2f} s")
        print(f"  {len(ours_df):,} rows, {len(pairs)} class pairs; peak RSS after the streamed pass {peak:.2f} GB "
              "(the two rasters in memory for the peers included)")
        if pass_peak is not None:
            print(f"  the streamed pass alone: peak RSS {pass_peak:.2f} GB over {rss0:.2f} GB held before it "
                  f"(+{(pass_peak - rss0) * 1e3:.0f} MB; one band: +{(band_peak - band_rss0) * 1e3:.0f} MB; "
                  "both with GDAL's block cache, GDAL_CACHEMAX)")

        # ------------------------------------------------------------------ peers
        rows = []
        if args.naive_pairs > 0:
            n = min(args.naive_pairs, len(pairs))
            # time the largest and the smallest pairs alike: every pass costs a full raster
            picked = pairs[: (n + 1) // 2] + pairs[len(pairs) - n // 2:] if n < len(pairs) else pairs
            naive, secs = naive_pairs(a, b, units, grid, picked, n)
            wall, cpu = np.mean(secs, axis=0)
            est, est_cpu = float(wall) * len(pairs), float(cpu) * len(pairs)
            keys = [k for k in set(ours) | set(naive) if (k[1], k[2]) in set(picked[:n])]
            print(f"\nnaive (exactextract 'sum' per class pair): {n} of {len(pairs)} pairs timed, "
                  f"{wall:.2f} s per pair (CPU {cpu:.2f} s) → {est:.1f} s for all (extrapolated; CPU {est_cpu:.1f} s)")
            print(f"  largest relative difference from ours on those pairs: {max_rel_diff(ours, naive, keys):.2e}")
            rows.append(("naive loop, all pairs (extrapolated)", est, est_cpu))
        if not args.no_one_pass:
            t, c = time.perf_counter(), time.process_time()
            one = one_pass_exactextract(a, b, units, grid)
            t_one, c_one = time.perf_counter() - t, time.process_time() - c
            print(f"\nexactextract one pass (unique/frac/count of a pair-code raster): {t_one:.2f} s (CPU {c_one:.2f} s)")
            print(f"  largest relative difference from ours: {max_rel_diff(ours, one, set(ours) | set(one)):.2e}")
            rows.append(("exactextract one pass", t_one, c_one))

        print("\nratios (their time / ours, this run; wall · CPU):")
        for name, s, cs in rows:
            print(f"  {name:38s} {s:7.1f} s · {cs:7.1f} s   / first run {s / (t_weights + t_ours):5.1f} × · "
                  f"{cs / (c_weights + c_ours):5.1f} ×   / weights cached {s / t_ours:5.1f} × · {cs / c_ours:5.1f} ×")
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
