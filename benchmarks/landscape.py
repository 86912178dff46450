"""Benchmark: FRAGSTATS class metrics of ~100 zones in one pass, against pylandstats.

Run from the project root:

    .venv/bin/python benchmarks/landscape.py                 # 5000 × 5000, 100 zones
    .venv/bin/python benchmarks/landscape.py --size 1500     # quick
    .venv/bin/python benchmarks/landscape.py --big 20000 --workdir /tmp/lb   # memory check

What it does: makes a synthetic land-cover raster (smoothed noise cut into 8
classes, 30 m cells, a few nodata blocks) and ~100 irregular zones (a coarse
Voronoi partition of random seeds, cells outside every zone along the top
edge), then times

- **ours**: ``class_metrics_by_zone`` (one pass over the raster, all zones)
  and ``landscape_metrics_by_zone``; Numba kernels are compiled (or loaded
  from their cache) on a small raster first and excluded;
- **pylandstats** (if installed; benchmark only, not a project dependency):
  ``Landscape(crop, res, nodata, neighborhood_rule="8")`` on every zone's
  bounding box with the cells outside the zone set to nodata, then
  ``compute_class_metrics_df`` of the metrics both tools have (NP, PD, LPI,
  ED, LSI, PLAND, CA, MESH) -- what pylandstats' ``ZonalAnalysis`` does
  after it has polygonised and masked the zones. ``--pls-zones N`` times N
  zones only and extrapolates by cell count (said in the output);
- **ours per zone** (``--per-zone``): ``class_metrics`` called on every
  zone's masked bounding box, for comparison with one pass.

It prints wall-clock and CPU times (both tools run on one core; CPU time is
the steadier measure on a shared machine), the ratios (pylandstats / ours)
and the largest relative difference between the two tools' values over all
zones and classes.

``--big N`` instead writes an N × N uint8 raster and an int16 zone raster
(≈400 zones) to raw files in ``--workdir`` stripe by stripe, then feeds
them back to :class:`~ecozone.ecology.landscape.LandscapeAccumulator` in
row stripes read with ``numpy.fromfile`` (as a caller reading windows from
a file would) and prints the time and the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
from scipy import ndimage

from ecozone.ecology.landscape import (
    STRIPE_CELLS,
    LandscapeAccumulator,
    class_metrics,
    class_metrics_by_zone,
    landscape_metrics_by_zone,
)

NODATA = 255
CELL = 30.0
SHARED_METRICS = {  # pylandstats name -> ours
    "number_of_patches": "NP",
    "patch_density": "PD",
    "largest_patch_index": "LPI",
    "edge_density": "ED",
    "landscape_shape_index": "LSI",
    "proportion_of_landscape": "PLAND",
    "total_area": "CA",
    "effective_mesh_size": "MESH",
}


def synthetic_classes(size: int, seed: int = 0, sigma: float = 3.0, k: int = 8) -> np.ndarray:
    """Smoothed noise cut into ``k`` classes (uint8, codes 1…k), with nodata blocks."""
    rng = np.random.default_rng(seed)
    field = ndimage.gaussian_filter(rng.standard_normal((size, size), np.float32), sigma)
    cuts = np.quantile(field[::7, ::7], np.linspace(0, 1, k + 1)[1:-1])
    classes = (np.digitize(field, cuts) + 1).astype(np.uint8)
    del field
    b = max(size // 20, 1)
    for r, c in rng.integers(0, size - b, (5, 2)):
        classes[r:r + b, c:c + b] = NODATA
    return classes


def synthetic_zones(size: int, n_zones: int = 100, seed: int = 1) -> np.ndarray:
    """A coarse Voronoi partition of ``n_zones`` random seeds (int32), −1 along the top edge."""
    rng = np.random.default_rng(seed)
    coarse = max(size // 10, 1)
    seeds = np.zeros((coarse, coarse), np.int32)
    pts = rng.integers(0, coarse, (n_zones, 2))
    seeds[pts[:, 0], pts[:, 1]] = np.arange(1, n_zones + 1)
    _, (ii, jj) = ndimage.distance_transform_edt(seeds == 0, return_indices=True)
    labels = seeds[ii, jj] - 1
    rep = -(-size // coarse)
    zones = np.repeat(np.repeat(labels, rep, axis=0), rep, axis=1)[:size, :size].copy()
    zones[: max(size // 100, 1)] = -1
    return zones


def zone_crops(classes: np.ndarray, zones: np.ndarray):
    """Each zone's bounding box of the classes, cells outside the zone set to nodata."""
    objects = ndimage.find_objects(zones + 1)
    for z, sl in enumerate(objects):
        if sl is None:
            continue
        crop = classes[sl].copy()
        crop[zones[sl] != z] = NODATA
        if (crop != NODATA).any():
            yield z, crop


def time_ours(classes, zones):
    class_metrics_by_zone(classes[:64, :64], zones[:64, :64], CELL, nodata=NODATA)  # compile
    t, c = time.perf_counter(), time.process_time()
    ours = class_metrics_by_zone(classes, zones, CELL, nodata=NODATA)
    t_class = (time.perf_counter() - t, time.process_time() - c)
    t, c = time.perf_counter(), time.process_time()
    landscape_metrics_by_zone(classes, zones, CELL, nodata=NODATA)
    t_land = (time.perf_counter() - t, time.process_time() - c)
    return ours, t_class, t_land


def time_pylandstats(classes, zones, max_zones):
    import pylandstats as pls

    crops = list(zone_crops(classes, zones))
    n_all = len(crops)
    cells_all = sum(int((c != NODATA).sum()) for _, c in crops)
    if max_zones:
        crops = crops[:max_zones]
    cells_done = sum(int((c != NODATA).sum()) for _, c in crops)
    frames = {}
    t, c = time.perf_counter(), time.process_time()
    for z, crop in crops:
        ls = pls.Landscape(crop, res=(CELL, CELL), nodata=NODATA, neighborhood_rule="8")
        frames[z] = ls.compute_class_metrics_df(metrics=list(SHARED_METRICS))
    scale = cells_all / cells_done
    elapsed = ((time.perf_counter() - t) * scale, (time.process_time() - c) * scale)
    return frames, elapsed, len(crops) < n_all


def compare(ours, frames) -> dict[str, float]:
    """Largest relative difference per metric, ours vs pylandstats."""
    gaps: dict[str, float] = {}
    for z, frame in frames.items():
        mine = ours.loc[z].copy()
        total_ha = mine["CA"].sum() / mine["PLAND"].sum() * 100
        # MESH (ha) = A / SPLIT with A the zone's area
        mine["MESH"] = total_ha / mine["SPLIT"]
        for theirs_name, name in SHARED_METRICS.items():
            a = mine[name].reindex(frame.index).to_numpy(float)
            b = frame[theirs_name].to_numpy(float)
            rel = np.abs(a - b) / np.maximum(np.abs(b), 1e-12)
            gaps[name] = max(gaps.get(name, 0.0), float(np.nanmax(rel)))
    return gaps


def time_per_zone(classes, zones):
    t, c = time.perf_counter(), time.process_time()
    for _, crop in zone_crops(classes, zones):
        class_metrics(crop, CELL, nodata=NODATA)
    return time.perf_counter() - t, time.process_time() - c


def _fmt(t) -> str:
    return f"{t[0]:8.2f} s wall {t[1]:8.2f} s CPU"


def big(size: int, workdir: Path, stripe_rows: int) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    lc_path, zone_path = workdir / "classes.u8", workdir / "zones.i16"
    tile = synthetic_classes(2000, seed=3)
    zs = 20  # zones per side: 400 zones
    t = time.perf_counter()
    with open(lc_path, "wb") as lc, open(zone_path, "wb") as zf:
        for r0 in range(0, size, 50):
            rows = np.arange(r0, min(r0 + 50, size))
            cols = np.arange(size)
            lc.write(np.ascontiguousarray(tile[(rows % 2000)[:, None], (cols % 2000)[None, :]]))
            wave = (40 * np.sin(cols / 300.0)).astype(int)
            zr = np.clip((rows[:, None] + wave[None, :]) * zs // size, 0, zs - 1)
            zf.write((zr * zs + cols[None, :] * zs // size).astype(np.int16).tobytes())
    print(f"wrote {size}×{size} classes and zones in {time.perf_counter() - t:.1f} s")
    stripe_rows = stripe_rows or max(1, STRIPE_CELLS // size)
    acc = LandscapeAccumulator(CELL, nodata=NODATA, by_zone=True)
    t = time.perf_counter()
    for r0 in range(0, size, stripe_rows):
        h = min(stripe_rows, size - r0)
        c = np.fromfile(lc_path, np.uint8, count=h * size, offset=r0 * size).reshape(h, size)
        z = np.fromfile(zone_path, np.int16, count=h * size, offset=2 * r0 * size)
        acc.add(c, z.reshape(h, size))
    per_class = acc.class_metrics()
    per_zone = acc.landscape_metrics()
    elapsed = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{size}×{size} ({size * size / 1e6:.0f} M cells), {len(per_zone)} zones, "
          f"{len(per_class)} zone-class rows, stripes of {stripe_rows} rows: {elapsed:.1f} s; "
          f"peak resident memory of the process {peak:.0f} MB "
          f"(the raster and zones are {size * size * 3 / 2**20:.0f} MB on disk)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=5000)
    ap.add_argument("--zones", type=int, default=100)
    ap.add_argument("--pls-zones", type=int, default=0,
                    help="time pylandstats on this many zones only and extrapolate (0: all)")
    ap.add_argument("--per-zone", action="store_true",
                    help="also time our class_metrics called zone by zone")
    ap.add_argument("--big", type=int, default=0, help="memory check on a BIG × BIG raster")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/ecozone-landscape-bench"))
    ap.add_argument("--stripe-rows", type=int, default=0,
                    help="rows per stripe in --big (default: about a million cells)")
    args = ap.parse_args(argv)

    if args.big:
        big(args.big, args.workdir, args.stripe_rows)
        return 0

    classes = synthetic_classes(args.size)
    zones = synthetic_zones(args.size, args.zones)
    n_zones = len(np.unique(zones[zones >= 0]))
    print(f"raster {args.size}×{args.size}, 8 classes, {n_zones} zones, 30 m cells")
    ours, t_class, t_land = time_ours(classes, zones)
    print(f"ours   class_metrics_by_zone      {_fmt(t_class)}  ({len(ours)} zone-class rows)")
    print(f"ours   landscape_metrics_by_zone  {_fmt(t_land)}")
    if args.per_zone:
        t_pz = time_per_zone(classes, zones)
        print(f"ours   class_metrics per zone     {_fmt(t_pz)}  "
              f"(ratio per-zone / one pass: wall {t_pz[0] / t_class[0]:.1f}, "
              f"CPU {t_pz[1] / t_class[1]:.1f})")
    try:
        import pylandstats
    except ImportError:
        print("pylandstats is not installed: `.venv/bin/pip install pylandstats` to compare")
        return 0
    frames, t_pls, extrapolated = time_pylandstats(classes, zones, args.pls_zones)
    note = f" (extrapolated from {len(frames)} zones by cell count)" if extrapolated else ""
    print(f"pylandstats {pylandstats.__version__} per zone   {_fmt(t_pls)}{note}")
    print(f"ratio pylandstats / ours (class metrics): wall {t_pls[0] / t_class[0]:.1f}, "
          f"CPU {t_pls[1] / t_class[1]:.1f}")
    print("largest relative difference, ours vs pylandstats, over "
          f"{len(frames)} zones and their classes:")
    for name, gap in compare(ours, frames).items():
        print(f"  {name:6s} {gap:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
