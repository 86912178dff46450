"""Benchmark: landscape metrics of every unit of every level on a large raster, against pylandstats per unit.

Run from the project root:

    .venv/bin/python benchmarks/green.py                       # 10,000², ~1,000 units (+100 cities, 10 provinces)
    .venv/bin/python benchmarks/green.py --size 3000 --units 300 --pls-units 20     # quick
    .venv/bin/python benchmarks/green.py --workdir /tmp/gb     # keep the GeoTIFF and units between runs

What it does:

1. writes a SIZE × SIZE uint8 GeoTIFF (30 m cells, UTM 50N, tiled 256²,
   deflate) of 8 land-cover classes (smoothed noise, a 2,000² tile
   repeated with offsets, written stripe by stripe) with a few nodata
   blocks, and ~UNITS Voronoi units over it, grouped into UNITS/10 "cities"
   and UNITS/100 "provinces" (dissolves of whole units, as upper levels
   are);
2. **ours**, in a fresh process: :func:`ecozone.green.metrics.landscape_by_units`
   over all three levels in one pass, reading the GeoTIFF in full-width
   row stripes of ``--stripe-cells`` cells with rasterio (units burnt by
   their centre per stripe, levels added in parallel threads), class-level
   and landscape-level metrics of every unit; Numba kernels are loaded from
   their cache (compiled on a small raster first, excluded); it prints the
   wall time and the process's peak resident memory;
3. **pylandstats** (if installed in the environment; benchmark only, not a
   project dependency), in a fresh process: what a user does per unit —
   read the unit's bounding-box window, set the cells whose centre is
   outside the unit to nodata (``rasterio.features.rasterize``), then
   ``pylandstats.Landscape(..., neighborhood_rule="8")`` with
   ``compute_class_metrics_df`` and ``compute_landscape_metrics_df`` of the
   metrics both tools have (NP, PD, LPI, ED, LSI, PLAND, CA, and
   landscape-level NP, PD, LPI, ED, LSI); timed on ``--pls-units`` units
   of each level drawn at random and extrapolated to all units by cell
   count (said in the output);

and prints the ratio pylandstats / ours. Timings on a shared machine vary by
±50 %; compare the ratio within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CELL = 30.0
NODATA = 255
CRS = "EPSG:32650"
X0, Y0 = 300_000.0, 3_600_000.0  # upper-left corner


def _tile(seed: int = 3, n: int = 2000) -> np.ndarray:
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    field = ndimage.gaussian_filter(rng.standard_normal((n, n), np.float32), 3.0, mode="wrap")
    cuts = np.quantile(field[::7, ::7], np.linspace(0, 1, 9)[1:-1])
    return (np.digitize(field, cuts) + 1).astype(np.uint8)


def write_inputs(folder: Path, size: int, n_units: int) -> tuple[Path, Path]:
    """The GeoTIFF and the units (GeoPackage, levels unit / city / province), written once per folder."""
    import geopandas as gpd
    import rasterio
    import shapely
    from affine import Affine
    from rasterio.windows import Window

    tif, gpkg = folder / f"classes_{size}.tif", folder / f"units_{size}_{n_units}.gpkg"
    t = Affine(CELL, 0, X0, 0, -CELL, Y0)
    if not tif.exists():
        tile = _tile()
        rng = np.random.default_rng(5)
        blocks = rng.integers(0, max(size - size // 25, 1), (6, 2))
        prof = dict(driver="GTiff", width=size, height=size, count=1, dtype="uint8", crs=CRS, transform=t,
                    nodata=NODATA, tiled=True, blockxsize=256, blockysize=256, compress="deflate", BIGTIFF="IF_SAFER")
        tmp = tif.with_suffix(".tmp.tif")
        with rasterio.open(tmp, "w", **prof) as ds:
            for r0 in range(0, size, 512):
                h = min(512, size - r0)
                rows = np.arange(r0, r0 + h)
                cols = np.arange(size)
                # the tile repeated, shifted by a row-dependent offset so that it does not line up
                a = tile[(rows % 2000)[:, None], ((cols + 37 * (rows // 2000)[:, None]) % 2000)]
                for br, bc in blocks:
                    rr = (rows >= br) & (rows < br + size // 25)
                    a[rr, bc:bc + size // 25] = NODATA
                ds.write(a, 1, window=Window(0, r0, size, h))
        os.replace(tmp, tif)
    if not gpkg.exists():
        rng = np.random.default_rng(11)
        ext = (X0, Y0 - size * CELL, X0 + size * CELL, Y0)
        pts = np.column_stack([rng.uniform(ext[0], ext[2], n_units), rng.uniform(ext[1], ext[3], n_units)])
        box = shapely.box(*ext)
        cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=box))
        cells = shapely.intersection(cells, box)
        cells = cells[~shapely.is_empty(cells)]
        cen = shapely.get_coordinates(shapely.centroid(cells))

        def group(k):
            seeds = cen[rng.choice(len(cen), k, replace=False)]
            return np.argmin(((cen[:, None, :] - seeds[None]) ** 2).sum(-1), axis=1)

        city = group(max(n_units // 10, 2))
        # provinces are groups of whole cities
        city_cen = np.array([cen[city == c].mean(axis=0) for c in range(city.max() + 1)])
        seeds = city_cen[rng.choice(len(city_cen), max(n_units // 100, 2), replace=False)]
        prov_of_city = np.argmin(((city_cen[:, None, :] - seeds[None]) ** 2).sum(-1), axis=1)
        gdf = gpd.GeoDataFrame({"unit_id": [f"u{i}" for i in range(len(cells))],
                                "city_id": [f"c{c}" for c in city],
                                "province_id": [f"p{prov_of_city[c]}" for c in city]},
                               geometry=cells, crs=CRS)
        gdf.to_file(gpkg, driver="GPKG")
    return tif, gpkg


def _levels(gpkg: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Level → (ids, polygons): units, and the dissolves of whole units into cities and provinces."""
    import geopandas as gpd

    g = gpd.read_file(gpkg)
    out = {"unit": (g["unit_id"].to_numpy(), g.geometry.to_numpy())}
    for lv, col in (("city", "city_id"), ("province", "province_id")):
        d = g.dissolve(col)
        out[lv] = (d.index.to_numpy(), d.geometry.to_numpy())
    return out


def run_ours(tif: Path, gpkg: Path, stripe_cells: int) -> dict:
    import rasterio
    from affine import Affine
    from rasterio.windows import Window
    from shapely.geometry import box

    from ecozone.green.metrics import landscape_by_units, stripe_rows_for

    levels = _levels(gpkg)
    small = np.random.default_rng(0).integers(1, 4, (40, 40)).astype(np.uint8)  # compile / load the kernels
    landscape_by_units(lambda a, b: small[a:b], small.shape, Affine(1, 0, 0, 0, -1, 40),
                       {"x": np.array([box(0, 0, 40, 40)])}, 1.0)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # interpreter, libraries, units
    t0 = time.perf_counter()
    with rasterio.open(tif) as ds:
        rows = stripe_rows_for(ds.width, stripe_cells)

        def read(r0, r1):
            return ds.read(1, window=Window(0, r0, ds.width, r1 - r0))

        res = landscape_by_units(read, (ds.height, ds.width), ds.transform,
                                 {lv: geoms for lv, (_ids, geoms) in levels.items()}, CELL, nodata=[NODATA],
                                 stripe_rows=rows)
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "base_mb": base,
            "units": {lv: int(len(lm)) for lv, (_cm, lm) in res.items()},
            "class_rows": int(sum(len(cm) for cm, _lm in res.values())), "stripe_rows": rows}


def run_pylandstats(tif: Path, gpkg: Path, per_level: int) -> dict:
    import pylandstats as pls
    import rasterio
    import shapely
    from rasterio.features import rasterize
    from rasterio.windows import Window, from_bounds

    levels = _levels(gpkg)
    rng = np.random.default_rng(2)
    done_cells = all_cells = 0
    t_sum = 0.0
    n_done = 0
    with rasterio.open(tif) as ds:
        for _lv, (_ids, geoms) in levels.items():
            areas = shapely.area(geoms)
            all_cells += float(areas.sum()) / CELL ** 2
            pick = rng.choice(len(geoms), min(per_level, len(geoms)), replace=False)
            for i in pick:
                g = geoms[i]
                t0 = time.perf_counter()
                w = from_bounds(*g.bounds, transform=ds.transform).round_offsets().round_lengths()
                w = w.intersection(Window(0, 0, ds.width, ds.height))
                a = ds.read(1, window=w)
                inside = rasterize([(g, 1)], out_shape=a.shape, transform=ds.window_transform(w), fill=0,
                                   all_touched=False, dtype="uint8").astype(bool)
                a = np.where(inside, a, NODATA)
                ls = pls.Landscape(a, res=(CELL, CELL), nodata=NODATA, neighborhood_rule="8")
                ls.compute_class_metrics_df(metrics=["number_of_patches", "patch_density", "largest_patch_index",
                                                     "edge_density", "landscape_shape_index",
                                                     "proportion_of_landscape", "total_area"])
                ls.compute_landscape_metrics_df(metrics=["number_of_patches", "patch_density",
                                                         "largest_patch_index", "edge_density",
                                                         "landscape_shape_index"])
                t_sum += time.perf_counter() - t0
                done_cells += float(areas[i]) / CELL ** 2
                n_done += 1
    return {"wall_s": t_sum * all_cells / done_cells, "measured_s": t_sum, "units_timed": n_done,
            "cells_share": done_cells / all_cells, "version": pls.__version__,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _child(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(out.stdout + out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=10_000)
    ap.add_argument("--units", type=int, default=1000)
    ap.add_argument("--stripe-cells", type=int, default=1 << 20)
    ap.add_argument("--pls-units", type=int, default=25, help="units per level timed with pylandstats (0: skip)")
    ap.add_argument("--workdir", type=Path, default=None, help="keep the inputs here (default: a temp folder)")
    ap.add_argument("--child", choices=["ours", "pls"], help=argparse.SUPPRESS)
    ap.add_argument("--tif", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--gpkg", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child == "ours":
        print(json.dumps(run_ours(args.tif, args.gpkg, args.stripe_cells)))
        return 0
    if args.child == "pls":
        print(json.dumps(run_pylandstats(args.tif, args.gpkg, args.pls_units)))
        return 0

    tmp = None
    folder = args.workdir
    if folder is None:
        tmp = tempfile.TemporaryDirectory(prefix="ecozone-green-bench-")
        folder = Path(tmp.name)
    folder.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    tif, gpkg = write_inputs(folder, args.size, args.units)
    print(f"inputs: {args.size}×{args.size} classes ({tif.stat().st_size / 2**20:.0f} MB GeoTIFF), units in "
          f"{gpkg.name} ({time.perf_counter() - t:.1f} s to prepare)")
    common = ["--tif", str(tif), "--gpkg", str(gpkg)]
    ours = _child(["--child", "ours", "--stripe-cells", str(args.stripe_cells), *common])
    n = ours["units"]
    print(f"ours          {ours['wall_s']:8.1f} s wall, peak resident memory {ours['peak_mb']:.0f} MB "
          f"({ours['base_mb']:.0f} MB before the pass) "
          f"(the raster is {args.size * args.size / 2**20:.0f} MB as uint8); units with metrics: "
          f"{n}; {ours['class_rows']:,} unit-class rows; stripes of {ours['stripe_rows']} rows")
    if args.pls_units:
        try:
            import pylandstats  # noqa: F401
        except ImportError:
            print("pylandstats is not installed: `.venv/bin/pip install pylandstats` to compare")
            return 0
        pls = _child(["--child", "pls", "--pls-units", str(args.pls_units), *common])
        print(f"pylandstats {pls['version']} per unit {pls['wall_s']:8.1f} s wall (extrapolated by cell count from "
              f"{pls['units_timed']} units, {100 * pls['cells_share']:.1f} % of the cells, timed "
              f"{pls['measured_s']:.1f} s), peak resident memory {pls['peak_mb']:.0f} MB")
        print(f"ratio pylandstats / ours: {pls['wall_s'] / ours['wall_s']:.1f}")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
