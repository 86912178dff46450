"""FRAGSTATS landscape metrics of every unit of every level in one streamed pass (METHODS §4.5).

The land-cover raster is read once, in full-width row stripes; for each
stripe the units of every level are burnt onto the stripe's cells (by their
centre: ``rasterio.features.rasterize`` with ``all_touched=False``, only
the units whose bounds meet the stripe) and the stripe is fed to one
:class:`ecozone.ecology.landscape.LandscapeAccumulator` per level, the
levels in parallel threads (the accumulator's kernel releases the GIL).
Memory is bounded by the stripe — about 60 bytes per stripe cell for each
level being added at a time — whatever the raster's size; the unit raster
is never held whole.

The metric definitions (8-neighbour patches, edges on cell sides, cells
outside the unit or nodata outside the landscape) are those of
:mod:`ecozone.ecology.landscape`, tested there against FRAGSTATS.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import shapely
from affine import Affine

from ecozone.ecology.landscape import CLASS_COLUMNS, LANDSCAPE_COLUMNS, LandscapeAccumulator
from ecozone.errors import InputError
from ecozone.grid import Grid

_GDAL_LOCK = threading.Lock()

#: Metric columns of the table ``landscape`` (lower-case FRAGSTATS names), in order.
METRIC_COLUMNS = tuple(dict.fromkeys(c.lower() for c in (*CLASS_COLUMNS, *LANDSCAPE_COLUMNS)))


def stripe_rows_for(width: int, stripe_cells: int) -> int:
    """Rows per stripe so that a stripe holds about ``stripe_cells`` cells (at least one row)."""
    return max(1, int(stripe_cells) // max(int(width), 1))


def burn_units(geoms: np.ndarray, tree: shapely.STRtree, transform: Affine, r0: int, r1: int,
               width: int) -> np.ndarray:
    """Unit index (int32, −1 outside every unit) of each cell of rows ``r0:r1``, cells by their centre.

    ``geoms`` are the units' polygons in the raster's CRS and ``tree`` an
    STRtree of them; ``transform`` the raster's affine transform (north up).
    """
    from rasterio.features import rasterize

    h = r1 - r0
    out_t = transform @ Affine.translation(0, r0)
    x0, y0 = out_t @ (0, 0)
    x1, y1 = out_t @ (width, h)
    hit = np.sort(tree.query(shapely.box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))))
    if not len(hit):
        return np.full((h, width), -1, np.int32)
    with _GDAL_LOCK:  # rasterio's in-memory datasets are not safe to create from several threads at once
        return rasterize(((geoms[i], int(i)) for i in hit), out_shape=(h, width), transform=out_t, fill=-1,
                         all_touched=False, dtype="int32")


def landscape_by_units(
    read: Callable[[int, int], np.ndarray],
    shape: tuple[int, int],
    transform: Affine,
    units: dict[str, np.ndarray],
    cellsize: float,
    *,
    nodata: list[int] | tuple[int, ...] = (),
    stripe_rows: int | None = None,
    threads: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """Class- and landscape-level metrics of every unit of every level, one pass over the raster.

    Parameters
    ----------
    read : callable
        ``read(r0, r1)`` returns rows ``r0:r1`` of the class raster (2-D integer array, full width).
    shape : (rows, cols)
        Shape of the raster.
    transform : affine.Affine
        Its north-up affine transform.
    units : dict
        Level name → array of the level's unit polygons in the raster's CRS;
        a unit is identified by its position in the array.
    cellsize : float
        Cell side (m).
    nodata : sequence of int
        Class codes outside the landscape (the raster's nodata, the class
        table's nodata classes).
    stripe_rows : int, optional
        Rows per stripe (default: about a million cells).
    threads : int, optional
        Levels added in parallel (default: the CPU count, at most the number of levels).
    progress : callable, optional
        Called with the number of rows done after each stripe.

    Returns
    -------
    dict
        Level → ``(class_metrics, landscape_metrics)``: the frames of
        :meth:`LandscapeAccumulator.class_metrics` (index ``(zone, class)``)
        and :meth:`LandscapeAccumulator.landscape_metrics` (index ``zone``),
        ``zone`` the unit's position; units without a landscape cell are
        absent (both frames empty when no unit has one).
    """
    rows, width = (int(shape[0]), int(shape[1]))
    stripe_rows = stripe_rows or stripe_rows_for(width, 1 << 20)
    codes = [int(c) for c in dict.fromkeys(nodata)]
    sentinel = codes[0] if codes else None
    levels = list(units)
    trees = {lv: shapely.STRtree(units[lv]) for lv in levels}
    accs = {lv: LandscapeAccumulator(cellsize, sentinel, by_zone=True) for lv in levels}
    used = {lv: False for lv in levels}
    n_threads = max(1, min(len(levels), threads or os.cpu_count() or 1))

    def feed(lv: str, cls: np.ndarray, r0: int, r1: int) -> None:
        zones = burn_units(units[lv], trees[lv], transform, r0, r1, width)
        if (zones >= 0).any():
            used[lv] = True
        accs[lv].add(cls, zones)

    with ThreadPoolExecutor(max_workers=n_threads) as pool:
        for r0 in range(0, rows, stripe_rows):
            r1 = min(r0 + stripe_rows, rows)
            cls = np.asarray(read(r0, r1))
            if cls.shape != (r1 - r0, width):
                raise InputError(f"rows {r0}:{r1} have shape {cls.shape}, expected {(r1 - r0, width)}",
                                 where="land cover", fix="give a single-band raster")
            if cls.dtype.kind == "f":
                if not np.all(np.isnan(cls) | (cls == np.round(cls))):
                    raise InputError("the land cover holds non-integer values", where="land cover",
                                     fix="give class codes (integers)")
            if len(codes) > 1:
                cls = cls.copy()
                cls[np.isin(cls, codes[1:])] = sentinel
            for f in [pool.submit(feed, lv, cls, r0, r1) for lv in levels]:
                f.result()
            if progress is not None:
                progress(r1 - r0)
    out = {}
    for lv in levels:
        acc = accs[lv]
        try:
            out[lv] = (acc.class_metrics(), acc.landscape_metrics()) if used[lv] else _empty()
        except InputError:  # units only over nodata
            out[lv] = _empty()
    return out


def _empty() -> tuple[pd.DataFrame, pd.DataFrame]:
    ci = pd.MultiIndex.from_arrays([np.empty(0, np.int64), np.empty(0, np.int64)], names=["zone", "class"])
    return (pd.DataFrame(columns=list(CLASS_COLUMNS), index=ci, dtype=float),
            pd.DataFrame(columns=list(LANDSCAPE_COLUMNS), index=pd.Index(np.empty(0, np.int64), name="zone"),
                         dtype=float))


def cellsize_m(grid: Grid) -> tuple[float, str | None]:
    """Cell side in metres of a north-up grid, and a note when it is approximate.

    Projected grids need square cells (FRAGSTATS): the side times the CRS's
    linear unit. Geographic grids (degrees) have no constant side: the
    square root of the true area of a cell of the middle row
    (:attr:`ecozone.grid.Grid.row_cell_area_m2`) is used, with a note.
    """
    a, e = abs(grid.transform.a), abs(grid.transform.e)
    if grid.is_geographic:
        side = math.sqrt(float(grid.row_cell_area_m2[grid.height // 2]))
        return side, (f"the land cover is in degrees ({a:g}° × {e:g}°): landscape metrics use square cells of "
                      f"{side:,.0f} m (the square root of a cell's true area at the raster's middle row); "
                      "give a land cover in a projected CRS with square cells for exact metrics")
    if not math.isclose(a, e, rel_tol=1e-6):
        raise InputError(
            f"the land cover's cells are not square ({a:g} × {e:g})",
            where="land cover grid",
            fix="FRAGSTATS metrics need square cells: warp it with gdalwarp -tr SIZE SIZE",
        )
    unit = grid.crs.axis_info[0].unit_conversion_factor if grid.crs.axis_info else 1.0
    return a * unit, None


__all__ = ["METRIC_COLUMNS", "burn_units", "cellsize_m", "landscape_by_units", "stripe_rows_for"]
