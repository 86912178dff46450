"""The one raster → unit reduction: exact, area-weighted, fast on many rasters.

Zonal statistics are computed in two steps:

1. :func:`zonal_weights` asks exactextract, once per (units, grid) pair, which
   cells every unit covers and by what fraction (exact polygon/cell
   intersection, partial pixels included). The result, a :class:`ZonalWeights`
   (a sparse unit × cell coverage matrix), is cached in memory and optionally
   on disk, keyed by a hash of the unit ids and geometries and
   :meth:`ecozone.grid.Grid.key`.
2. :func:`zonal_reduce` reduces any number of rasters or bands on that grid
   with the weights (a Numba kernel, float64 accumulation), chunk by chunk for
   dask input so memory stays bounded. NaN and nodata cells are excluded and
   counted.

Definitions (per unit ``u`` and band; ``v`` cell value, ``c`` coverage
fraction of the cell by the unit in 0…1, ``A`` the true area of the cell in
m², sums over the cells of ``u`` whose value is valid)::

    sum          Σ v·c                 exactextract's ``sum`` (value × cells)
    count        Σ c                   exactextract's ``count`` (cells)
    cell_mean    Σ v·c / Σ c           exactextract's ``mean`` (value)
    area_sum     Σ v·c·A               value × m² (e.g. gC m-2 × m² = gC)
    area_m2      Σ c·A                 m² of the unit covered by valid cells
    mean         Σ v·c·A / Σ c·A       area-weighted mean (value)
    count_nodata Σ c over NaN/nodata cells (cells)

``A`` is :attr:`ecozone.grid.Grid.row_cell_area_m2`: exact on the ellipsoid
for a geographic grid (a cell spans fewer m² towards the poles), constant
for a projected grid. Within a partial cell the covered area is taken as
``c·A`` (``c`` is the planar fraction in grid coordinates, as exactextract
computes it). exactextract holds coverage fractions in float32 (exact to
~6e-8 relative); every sum over them is accumulated in float64 and agrees
with exactextract's own ``sum`` to ~1e-15.

``mean`` and ``cell_mean`` are NaN, by definition, for a unit with no valid
cell (``count == 0``: the unit lies outside the grid, see
:meth:`ZonalWeights.uncovered`, or all its cells are nodata); every other
statistic is then 0. Parts of a unit outside the grid are ignored.

Upper levels: either pass the dissolved units of the level to
:func:`zonal_weights`, or sum the finest-level results with
:func:`aggregate` (coverage is additive over non-overlapping members, so
both agree to the float32 precision of the coverage fractions; no second
coverage computation).

Example::

    w = zonal_weights(units.finest, "unit_id", grid, cache_dir=out / "cache")
    npp = zonal_reduce(w, npp_stack)            # (unit_id, month) × stats
    city = aggregate(npp, units.membership("city"))
"""

from __future__ import annotations

import hashlib
import math
import os
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import numba
import numpy as np
import pandas as pd
import shapely

from ecozone.errors import InputError
from ecozone.grid import Grid

__all__ = [
    "STATS",
    "ZonalWeights",
    "aggregate",
    "clear_cache",
    "zonal_reduce",
    "zonal_weights",
]

#: every statistic :func:`zonal_reduce` can return, see the module docstring
STATS = ("sum", "count", "cell_mean", "area_sum", "area_m2", "mean", "count_nodata")
#: statistics that add up over disjoint units (see :func:`aggregate`)
ADDITIVE = ("sum", "count", "area_sum", "area_m2", "count_nodata")
DEFAULT_STATS = ("sum", "mean", "area_sum", "area_m2", "count_nodata")

# accumulator slots of the kernel
_SUM, _AREA_SUM, _AREA, _COUNT, _NODATA = range(5)

_CACHE_VERSION = "ecozone-zonal-weights-v1"
_MEMORY_CACHE_SIZE = 4
_memory_cache: OrderedDict[str, ZonalWeights] = OrderedDict()


# --------------------------------------------------------------------------- weights


@dataclass(frozen=True, eq=False)
class ZonalWeights:
    """Coverage of units over a :class:`~ecozone.grid.Grid` (sparse, one entry per
    (unit, covered cell)).

    Attributes
    ----------
    unit_ids:
        Unit ids (str) in the order of the units passed to :func:`zonal_weights`.
    unit_index:
        int32 per entry: position of the entry's unit in ``unit_ids``.
    cell:
        int64 per entry: flat cell index ``row * grid.width + col``.
    coverage:
        float64 per entry: fraction of the cell covered by the unit, 0…1
        (exactextract's coverage fraction).
    row_ptr:
        int64 (grid.height + 1,): entries are sorted by cell (row, then
        column); those of rows ``r0..r1-1`` are ``row_ptr[r0]:row_ptr[r1]``.
    grid:
        The grid the weights refer to.
    key:
        Cache key: hash of the unit ids, geometries, CRS and ``grid.key()``.
    origin:
        ``"computed"``, ``"memory"`` or ``"disk"``: where this object came from.
    """

    unit_ids: np.ndarray
    unit_index: np.ndarray
    cell: np.ndarray
    coverage: np.ndarray
    row_ptr: np.ndarray
    grid: Grid
    key: str
    origin: str = "computed"

    @property
    def n_units(self) -> int:
        return len(self.unit_ids)

    @property
    def n_entries(self) -> int:
        return len(self.cell)

    @cached_property
    def cell_area_m2(self) -> np.ndarray:
        """float64 per entry: true area of the entry's whole cell, m²."""
        return self.grid.row_cell_area_m2[self.cell // self.grid.width]

    def unit_coverage(self) -> pd.Series:
        """Σ coverage per unit (cells, coverage-weighted), indexed by unit id."""
        s = np.bincount(self.unit_index, weights=self.coverage, minlength=self.n_units)
        return pd.Series(s, index=pd.Index(self.unit_ids, name="unit_id"), name="coverage")

    def unit_area_m2(self) -> pd.Series:
        """Area of each unit inside the grid, m²: Σ coverage × true cell area."""
        s = np.bincount(
            self.unit_index, weights=self.coverage * self.cell_area_m2, minlength=self.n_units
        )
        return pd.Series(s, index=pd.Index(self.unit_ids, name="unit_id"), name="area_m2")

    def uncovered(self) -> list[str]:
        """Ids of units that cover no cell of the grid (outside it, or empty)."""
        n = np.bincount(self.unit_index, minlength=self.n_units)
        return [str(u) for u in self.unit_ids[n == 0]]

    # -- persistence -------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Write the weights to ``path`` (.npz, uncompressed), atomically."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            np.savez(
                f,
                unit_ids=np.asarray(self.unit_ids, dtype=str),
                unit_index=self.unit_index,
                cell=self.cell,
                coverage=self.coverage,
                row_ptr=self.row_ptr,
                key=np.array(self.key),
                grid_key=np.array(self.grid.key()),
            )
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path, grid: Grid, key: str | None = None) -> ZonalWeights:
        """Read weights written by :meth:`save`; check they belong to ``grid``
        (and to ``key`` if given)."""
        with np.load(Path(path), allow_pickle=False) as z:
            if str(z["grid_key"]) != grid.key() or (key is not None and str(z["key"]) != key):
                raise InputError(
                    "cached zonal weights belong to another grid or other units",
                    where=str(path),
                    fix="delete the file; it will be recomputed",
                )
            return cls(
                unit_ids=z["unit_ids"].astype(object),
                unit_index=z["unit_index"],
                cell=z["cell"],
                coverage=z["coverage"],
                row_ptr=z["row_ptr"],
                grid=grid,
                key=str(z["key"]),
                origin="disk",
            )


def clear_cache() -> None:
    """Forget the zonal weights held in memory (the disk cache is untouched)."""
    _memory_cache.clear()


def _weights_key(ids: Sequence[str], geoms: np.ndarray, crs, grid: Grid) -> str:
    h = hashlib.sha256()
    h.update(_CACHE_VERSION.encode())
    h.update(grid.key().encode())
    h.update((crs.to_wkt() if crs is not None else "").encode())
    for i, w in zip(ids, shapely.to_wkb(geoms, hex=False, output_dimension=2), strict=True):
        b = str(i).encode()
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)
        h.update(len(w).to_bytes(8, "little"))
        h.update(w)
    return h.hexdigest()[:32]


def zonal_weights(
    units: gpd.GeoDataFrame,
    id_column: str,
    grid: Grid,
    cache_dir: Path | None = None,
) -> ZonalWeights:
    """Exact coverage of every unit over every cell of ``grid``.

    Parameters
    ----------
    units:
        Polygons (one row per unit) with a CRS; reprojected to ``grid.crs``
        when it differs. Pass ``units.of_level(level)`` for an upper level, or
        use :func:`aggregate` on finest-level results.
    id_column:
        Column holding the unique unit ids (returned as str).
    grid:
        The reference grid (north-up).
    cache_dir:
        Optional folder for the disk cache (``zonal_weights_<key>.npz``); the
        in-memory cache (last few weights) is always used.

    Returns
    -------
    ZonalWeights
        Coverage fractions (0…1) of cells by units, entries sorted by cell.
        Parts of units outside the grid are ignored; empty geometries cover
        nothing (see :meth:`ZonalWeights.uncovered`).
    """
    if id_column not in units.columns:
        raise InputError(
            f"the units have no id column {id_column!r}",
            where=f"units, columns {list(units.columns)}",
            fix=f"name the column holding the unit ids (not {id_column!r})",
        )
    if units.crs is None:
        raise InputError(
            "the units have no coordinate reference system",
            where="units",
            fix="set the CRS of the units layer (e.g. EPSG:4326)",
        )
    t = grid.transform
    if t.b != 0 or t.d != 0 or t.a <= 0 or t.e >= 0:
        raise InputError(
            "the reference grid is rotated or not north-up",
            where=f"grid transform {tuple(t)[:6]}",
            fix="warp the reference raster to a north-up grid",
        )
    ids = units[id_column]
    if ids.isna().any():
        raise InputError(
            "a unit has no id",
            where=f"units, column {id_column!r}, row {int(np.flatnonzero(ids.isna())[0])}",
            fix="give every unit an id",
        )
    ids = ids.astype(str).to_numpy(dtype=object)
    dup = pd.Index(ids)[pd.Index(ids).duplicated()]
    if len(dup):
        raise InputError(
            f"unit ids are not unique: {list(dup[:5])}",
            where=f"units, column {id_column!r}",
            fix="dissolve duplicates or give them distinct ids",
        )
    geoms = np.asarray(units.geometry.values, dtype=object)
    missing = np.flatnonzero(shapely.is_missing(geoms))
    if len(missing):
        raise InputError(
            "a unit has no geometry",
            where=f"units, unit {ids[missing[0]]}",
            fix="give every unit a polygon or drop it",
        )
    types = shapely.get_type_id(geoms)
    bad = np.flatnonzero(~np.isin(types, (3, 6)) & ~shapely.is_empty(geoms))
    if len(bad):
        raise InputError(
            f"unit geometry is a {geoms[bad[0]].geom_type}, not a polygon",
            where=f"units, unit {ids[bad[0]]}",
            fix="units must be Polygon or MultiPolygon",
        )
    invalid = np.flatnonzero(~shapely.is_valid(geoms))
    if len(invalid):
        raise InputError(
            f"invalid geometry: {shapely.is_valid_reason(geoms[invalid[0]])}",
            where=f"units, unit {ids[invalid[0]]}",
            fix="repair it (load units with ecozone.inputs.units, or shapely.make_valid)",
        )

    key = _weights_key(ids, geoms, units.crs, grid)
    path = Path(cache_dir) / f"zonal_weights_{key}.npz" if cache_dir is not None else None
    if key in _memory_cache:
        _memory_cache.move_to_end(key)
        w = _memory_cache[key]
        if path is not None and not path.exists():
            w.save(path)
        return replace(w, origin="memory")
    if path is not None and path.exists():
        w = ZonalWeights.load(path, grid, key)
    else:
        if not units.crs.equals(grid.crs):
            geoms = np.asarray(units.geometry.to_crs(grid.crs).values, dtype=object)
            geoms = _repair_after_reprojection(geoms)
        w = _compute_weights(ids, geoms, grid, key)
        if path is not None:
            w.save(path)
    _memory_cache[key] = w
    while len(_memory_cache) > _MEMORY_CACHE_SIZE:
        _memory_cache.popitem(last=False)
    return w


def _repair_after_reprojection(geoms: np.ndarray) -> np.ndarray:
    """Reprojection can create tiny self-intersections: repair, keep polygons."""
    bad = np.flatnonzero(~shapely.is_valid(geoms))
    for i in bad:
        g = shapely.make_valid(geoms[i])
        if g.geom_type == "GeometryCollection":
            parts = [p for p in g.geoms if p.geom_type in ("Polygon", "MultiPolygon")]
            g = shapely.union_all(parts) if parts else shapely.Polygon()
        geoms[i] = g
    return geoms


def _compute_weights(ids: np.ndarray, geoms: np.ndarray, grid: Grid, key: str) -> ZonalWeights:
    cells, covs = _exactextract_coverage(geoms, grid)
    lengths = np.fromiter((len(c) for c in cells), dtype=np.int64, count=len(cells))
    cell = (
        np.concatenate(cells).astype(np.int64, copy=False) if len(cells) else np.zeros(0, np.int64)
    )
    coverage = np.concatenate(covs).astype(np.float64, copy=False) if len(covs) else np.zeros(0)
    unit_index = np.repeat(np.arange(len(ids), dtype=np.int32), lengths)
    cell, unit_index, coverage, row_ptr = _sort_by_row(
        cell, unit_index, coverage, grid.width, grid.height
    )
    return ZonalWeights(
        unit_ids=ids,
        unit_index=unit_index,
        cell=cell,
        coverage=coverage,
        row_ptr=row_ptr,
        grid=grid,
        key=key,
    )


@numba.njit(cache=True)
def _sort_by_row(cell, unit_index, coverage, width, height):  # pragma: no cover - compiled
    """Sort the entries by cell (row, then column), dropping zero coverage.

    A stable counting sort by row (cache-friendly: exactextract delivers each
    unit's cells row by row), then a counting sort by column inside every row
    that is not yet in order. Entries of one cell keep the order of their
    units. Returns (cell, unit_index, coverage, row_ptr).
    """
    n = cell.shape[0]
    row_ptr = np.zeros(height + 1, np.int64)
    for i in range(n):
        if coverage[i] > 0:
            row_ptr[cell[i] // width + 1] += 1
    for r in range(height):
        row_ptr[r + 1] += row_ptr[r]
    m = row_ptr[height]
    fill = row_ptr[:-1].copy()
    out_cell = np.empty(m, np.int64)
    out_unit = np.empty(m, np.int32)
    out_cov = np.empty(m, np.float64)
    for i in range(n):
        if coverage[i] > 0:
            r = cell[i] // width
            j = fill[r]
            out_cell[j] = cell[i]
            out_unit[j] = unit_index[i]
            out_cov[j] = coverage[i]
            fill[r] = j + 1
    longest = 0
    for r in range(height):
        longest = max(longest, row_ptr[r + 1] - row_ptr[r])
    count = np.zeros(width + 1, np.int64)
    tmp_cell = np.empty(longest, np.int64)
    tmp_unit = np.empty(longest, np.int32)
    tmp_cov = np.empty(longest, np.float64)
    for r in range(height):
        lo = row_ptr[r]
        hi = row_ptr[r + 1]
        if hi - lo < 2:
            continue
        ordered = True
        cmin = out_cell[lo]
        cmax = cmin
        for k in range(lo + 1, hi):
            c = out_cell[k]
            if c < out_cell[k - 1]:
                ordered = False
            cmin = min(cmin, c)
            cmax = max(cmax, c)
        if ordered:
            continue
        span = cmax - cmin + 1
        count[: span + 1] = 0
        for k in range(lo, hi):
            count[out_cell[k] - cmin + 1] += 1
        for c in range(span):
            count[c + 1] += count[c]
        for k in range(lo, hi):
            c = out_cell[k] - cmin
            j = count[c]
            tmp_cell[j] = out_cell[k]
            tmp_unit[j] = out_unit[k]
            tmp_cov[j] = out_cov[k]
            count[c] = j + 1
        out_cell[lo:hi] = tmp_cell[: hi - lo]
        out_unit[lo:hi] = tmp_unit[: hi - lo]
        out_cov[lo:hi] = tmp_cov[: hi - lo]
    return out_cell, out_unit, out_cov, row_ptr


def wkb_features(wkbs: list[bytes], wkt: str):
    """exactextract feature classes for geometries passed as WKB (no GeoJSON round trip).

    Returns ``(FeatureClass, source)``: ``source`` is a FeatureSource over
    ``wkbs`` in the CRS ``wkt``, whose features carry the property ``id`` =
    their position; ``FeatureClass()`` makes an empty feature for writers.
    """
    from exactextract._exactextract import Feature
    from exactextract.feature import FeatureSource

    class _Feat(Feature):
        def __init__(self, wkb=None, fid=0):
            Feature.__init__(self)
            self.wkb = wkb
            self.props = {"id": fid}

        def geometry(self):
            return self.wkb

        def set_geometry_format(self):
            return "wkb"

        def set_geometry(self, wkb):  # results need no geometry
            pass

        def get(self, name):
            return self.props[name]

        def set(self, name, value):
            self.props[name] = value

        def fields(self):
            return list(self.props)

    class _Source(FeatureSource):
        def __init__(self, wkbs):
            super().__init__()
            self.wkbs = wkbs

        def count(self):
            return len(self.wkbs)

        def __iter__(self):
            for i, w in enumerate(self.wkbs):
                yield _Feat(w, i)

        def srs_wkt(self):
            return wkt


    return _Feat, _Source(wkbs)


def _exactextract_coverage(geoms: np.ndarray, grid: Grid):
    """Per unit: (cell ids, coverage fractions) from exactextract.

    Geometries go to exactextract as WKB through a minimal FeatureSource and
    results come back through a minimal Writer: GeoDataFrame input would
    round-trip every vertex through GeoJSON text, which costs more than the
    coverage computation itself.
    """
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource
    from exactextract.writer import Writer

    wkt = grid.crs.to_wkt()
    keep = ~shapely.is_empty(geoms)
    wkbs = [bytes(w) for w in shapely.to_wkb(geoms[keep], hex=False, output_dimension=2)]
    feature_class, source = wkb_features(wkbs, wkt)

    class _Collect(Writer):
        def __init__(self):
            super().__init__()
            self.cells: list[np.ndarray] = []
            self.covs: list[np.ndarray] = []

        def add_operation(self, op):
            pass

        def add_column(self, name):
            pass

        def add_geometry(self):
            pass

        def write(self, feature):
            f = feature_class()
            feature.copy_to(f)
            self.cells.append(np.asarray(f.props.get("cell_id", ()), dtype=np.int64))
            self.covs.append(np.asarray(f.props.get("coverage", ()), dtype=np.float64))

        def features(self):
            return self

    # exactextract needs a raster for the grid; a zero-strided array costs no memory
    zeros = np.broadcast_to(np.float64(0), grid.shape)
    left, bottom, right, top = grid.bounds
    rast = NumPyRasterSource(zeros, left, bottom, right, top, srs_wkt=wkt)
    cells: list[np.ndarray] = [np.zeros(0, np.int64)] * len(geoms)
    covs: list[np.ndarray] = [np.zeros(0)] * len(geoms)
    if wkbs:
        out = _Collect()
        exact_extract(rast, source, ["cell_id", "coverage"], output=out)
        for j, i in enumerate(np.flatnonzero(keep)):
            cells[i] = out.cells[j]
            covs[i] = out.covs[j]
    return cells, covs


# --------------------------------------------------------------------------- reduce


@numba.njit(nogil=True, cache=True, inline="always")
def row_entries(row_ptr, cell, r, width, col0, ncols, windowed):  # pragma: no cover - compiled
    """``(lo, hi)``: the coverage entries of grid row ``r`` within columns col0..col0+ncols.

    The weights' entries are sorted by row (``row_ptr``) and, within a row, by
    flat cell index; a block narrower than the grid (``windowed``) takes the
    slice of its columns by binary search. Shared by every streamed kernel
    (the zonal reduction, the land-use transitions).
    """
    lo = row_ptr[r]
    hi = row_ptr[r + 1]
    if windowed and lo < hi:
        base = r * width + col0
        first = lo
        lo = first + np.searchsorted(cell[first:hi], base)
        hi = first + np.searchsorted(cell[first:hi], base + ncols)
    return lo, hi


@numba.njit(nogil=True, cache=True)
def _accumulate(
    data,
    nodata,
    has_nodata,
    row0,
    col0,
    width,
    cell,
    unit_index,
    coverage,
    row_area,
    row_ptr,
    r_start,
    r_end,
    out,
):  # pragma: no cover
    """Add the entries of rows r_start..r_end (absolute) to ``out``.

    ``data`` is a (bands, rows, cols) block whose first cell is (row0, col0)
    of the grid; only entries inside it are used. ``out`` is (units, bands,
    5): Σv·c, Σv·c·A, Σc·A, Σc over valid cells, Σc over NaN/nodata cells.
    Entries are streamed once and all bands read per entry.
    """
    nb = data.shape[0]
    ncols = data.shape[2]
    windowed = col0 > 0 or ncols < width
    for r in range(r_start, r_end):
        lo, hi = row_entries(row_ptr, cell, r, width, col0, ncols, windowed)
        if lo == hi:
            continue
        base = r * width + col0
        ra = row_area[r]
        rr = r - row0
        for i in range(lo, hi):
            col = cell[i] - base
            u = unit_index[i]
            c = coverage[i]
            ca = c * ra
            for b in range(nb):
                v = np.float64(data[b, rr, col])
                if v != v or (has_nodata and v == nodata):
                    out[u, b, 4] += c
                else:
                    out[u, b, 0] += v * c
                    out[u, b, 1] += v * ca
                    out[u, b, 2] += ca
                    out[u, b, 3] += c


def _n_threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _row_jobs(row_ptr: np.ndarray, n_jobs: int) -> list[tuple[int, int]]:
    """Split all rows into at most n_jobs ranges of about equal entry counts."""
    height = len(row_ptr) - 1
    n = int(row_ptr[-1])
    if n < 200_000 or n_jobs <= 1:
        return [(0, height)]
    targets = (n * np.arange(1, n_jobs)) // n_jobs
    inner = np.searchsorted(row_ptr, targets, side="left")
    edges = np.unique(np.concatenate([[0], inner, [height]]))
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True)]


def _as_3d(data):
    """(array (bands, y, x), band name, band labels, nodata from metadata)."""
    import xarray as xr

    nodata = None
    labels = None
    dim = "band"
    if isinstance(data, xr.DataArray):
        spatial = {"x", "y", "lon", "lat", "longitude", "latitude"}
        if data.ndim == 3 and str(data.dims[0]) in spatial:
            raise InputError(
                f"raster dimensions {data.dims} are not (band, y, x)",
                where="raster given to zonal statistics",
                fix="transpose it so that the band/month dimension comes first",
            )
        try:
            nodata = data.rio.nodata
        except Exception:  # rioxarray absent or no spatial dims
            nodata = None
        if data.ndim == 3:
            dim = str(data.dims[0])
            labels = data[dim].to_numpy() if dim in data.coords else None
        arr = data.data
    else:
        arr = data
    if arr.ndim == 2:
        return arr[None], None, None, nodata
    if arr.ndim != 3:
        raise InputError(
            f"a raster for zonal statistics must have 2 or 3 dimensions, not {arr.ndim}",
            where=f"raster of shape {arr.shape}",
            fix="pass (y, x) or (band, y, x)",
        )
    if labels is None:
        labels = np.arange(arr.shape[0])
    return arr, dim, labels, nodata


def zonal_reduce(
    weights: ZonalWeights,
    data,
    stats: Sequence[str] = DEFAULT_STATS,
    nodata: float | None = None,
) -> pd.DataFrame:
    """Reduce a raster (or a stack of bands) to units with exact, area-weighted weights.

    Parameters
    ----------
    weights:
        From :func:`zonal_weights` on the raster's grid.
    data:
        numpy array, dask array or :class:`xarray.DataArray` of shape
        ``(y, x)`` or ``(band, y, x)`` on ``weights.grid``, any numeric dtype,
        in any unit ``[v]``. Dask input is reduced chunk by chunk with the
        current dask scheduler (local threads, or a dask.distributed
        cluster: the weights are one task of the graph, sent once to each
        worker that reduces a chunk); memory stays at a few chunks. Chunks
        holding all bands are fastest (each chunk streams its weight
        entries once).
    stats:
        Any of :data:`STATS` (see the module docstring for definitions and
        units: ``sum`` [v]·cells, ``count`` cells, ``cell_mean`` [v],
        ``area_sum`` [v]·m², ``area_m2`` m², ``mean`` [v] (area-weighted),
        ``count_nodata`` cells).
    nodata:
        Value marking missing cells, besides NaN (always missing). Defaults
        to the DataArray's ``rio.nodata`` when there is one.

    Returns
    -------
    pandas.DataFrame
        One column per statistic; indexed by ``unit_id`` for a 2-D input, by
        (``unit_id``, band) for a 3-D one, the band level named after the
        DataArray's first dimension (e.g. ``month``, labels from its
        coordinate) or ``band`` (0, 1, …).
    """
    unknown = [s for s in stats if s not in STATS]
    if unknown:
        raise ValueError(f"unknown zonal statistics {unknown}; choose from {STATS}")
    arr, dim, labels, meta_nodata = _as_3d(data)
    if nodata is None:
        nodata = meta_nodata
    grid = weights.grid
    if tuple(arr.shape[-2:]) != grid.shape:
        raise InputError(
            f"raster shape {tuple(arr.shape[-2:])} is not the grid's {grid.shape}",
            where="raster given to zonal statistics",
            fix="align the raster to the reference grid (ecozone.inputs.rasters does this)",
        )
    _check_coords(data, grid)
    acc = _reduce_array(weights, arr, nodata)
    return _to_frame(weights, acc, stats, dim, labels)


def _check_coords(data, grid: Grid) -> None:
    """A DataArray with spatial coordinates must sit on the grid (half a cell)."""
    import xarray as xr

    if not isinstance(data, xr.DataArray):
        return
    xd, yd = data.dims[-1], data.dims[-2]
    if xd not in data.coords or yd not in data.coords:
        return
    ax, ay = grid.res
    x = np.asarray(data[xd].values, dtype=float)
    y = np.asarray(data[yd].values, dtype=float)
    gx, gy = grid.x_coords(), grid.y_coords()
    if np.abs(x - gx).max() > ax / 2 or np.abs(y - gy).max() > ay / 2:
        raise InputError(
            "raster coordinates do not match the reference grid",
            where="raster given to zonal statistics",
            fix="align the raster to the reference grid (ecozone.inputs.rasters does this)",
        )


def _reduce_array(weights: ZonalWeights, arr, nodata) -> np.ndarray:
    """(bands, units, 5) accumulators of ``arr`` (numpy or dask, (bands, y, x))."""
    grid = weights.grid
    has_nodata = nodata is not None and not (isinstance(nodata, float) and math.isnan(nodata))
    if has_nodata and arr.dtype.kind == "f":
        # compare in the data's own precision (a float32 nodata is not its float64 text)
        nod = float(np.asarray(nodata).astype(arr.dtype))
    else:
        nod = float(nodata) if has_nodata else 0.0
    row_area = np.ascontiguousarray(grid.row_cell_area_m2, dtype=np.float64)
    nb, nu = arr.shape[0], weights.n_units
    wargs = (weights.cell, weights.unit_index, weights.coverage, row_area, weights.row_ptr)

    import dask.array as da

    if not isinstance(arr, da.Array):
        arr = np.asarray(arr)
        jobs = _row_jobs(weights.row_ptr, 2 * _n_threads())
        outs = [np.zeros((nu, nb, 5)) for _ in jobs]

        def one(k: int) -> None:
            r0, r1 = jobs[k]
            _accumulate(arr, nod, has_nodata, 0, 0, grid.width, *wargs, r0, r1, outs[k])

        if len(jobs) == 1:
            one(0)
        else:
            with ThreadPoolExecutor(_n_threads()) as pool:
                list(pool.map(one, range(len(jobs))))
        return np.sum(outs, axis=0).transpose(1, 0, 2)

    # dask: one small accumulator per chunk (serial kernel, GIL released),
    # summed by dask's tree reduction; memory stays at a few chunks. The weights are
    # one task of the graph that every block depends on: a dask.distributed worker
    # receives them once, not with every chunk.
    import dask

    wtask = dask.delayed(wargs, name=f"ecozone-zonal-weights-{weights.key}", traverse=False)
    nr, nc = len(arr.chunks[1]), len(arr.chunks[2])
    parts = da.map_blocks(
        _reduce_block,
        arr,
        wtask,
        nu=nu,
        nod=nod,
        has_nodata=has_nodata,
        width=grid.width,
        chunks=(arr.chunks[0], (1,) * nr, (1,) * nc, (nu,), (5,)),
        new_axis=[3, 4],
        dtype=np.float64,
        meta=np.empty((0, 0, 0, 0, 0)),
        name=f"ecozone-zonal-{weights.key}-{arr.name}-{nod}-{has_nodata}",
    )
    return parts.sum(axis=(1, 2)).compute()


def _reduce_block(x: np.ndarray, w: tuple, nu: int, nod: float, has_nodata: bool, width: int,
                  block_info=None) -> np.ndarray:
    """Accumulators of one dask chunk ``x`` (bands, rows, cols); ``w``: the weight arrays.

    A module-level function, so that dask.distributed workers import it and its
    Numba kernel (compiled once, cached on disk) rather than receive a pickled copy.
    """
    (_, _), (r0, r1), (c0, _) = block_info[0]["array-location"]
    out = np.zeros((nu, x.shape[0], 5))
    if w[-1][r1] > w[-1][r0]:  # row_ptr: there are entries in these rows
        _accumulate(np.ascontiguousarray(x), nod, has_nodata, r0, c0, width, *w, r0, r1, out)
    return out.transpose(1, 0, 2)[:, None, None]


def _to_frame(weights: ZonalWeights, acc: np.ndarray, stats, dim, labels) -> pd.DataFrame:
    """(bands, units, 5) accumulators → tidy DataFrame of the requested stats."""
    a = acc.transpose(1, 0, 2).reshape(-1, 5)  # unit-major, band-minor
    with np.errstate(invalid="ignore", divide="ignore"):
        cols = {
            "sum": a[:, _SUM],
            "count": a[:, _COUNT],
            "cell_mean": np.where(a[:, _COUNT] > 0, a[:, _SUM] / a[:, _COUNT], np.nan),
            "area_sum": a[:, _AREA_SUM],
            "area_m2": a[:, _AREA],
            "mean": np.where(a[:, _AREA] > 0, a[:, _AREA_SUM] / a[:, _AREA], np.nan),
            "count_nodata": a[:, _NODATA],
        }
    ids = pd.Index(weights.unit_ids.astype(str), name="unit_id", dtype=object)
    if dim is None:
        index = ids
    else:
        index = pd.MultiIndex.from_product([ids, pd.Index(labels, name=dim)])
    return pd.DataFrame({s: cols[s] for s in stats}, index=index)


def aggregate(result: pd.DataFrame, membership: pd.Series) -> pd.DataFrame:
    """Sum finest-level zonal results up to an upper level.

    Parameters
    ----------
    result:
        Output of :func:`zonal_reduce` for the finest units. Must hold the
        additive statistics needed: ``sum``/``count`` for ``cell_mean``,
        ``area_sum``/``area_m2`` for ``mean``.
    membership:
        Finest ``unit_id`` → upper-level id (``units.membership(level)``);
        ``""`` or NaN = belongs to none (dropped).

    Returns
    -------
    pandas.DataFrame
        Same columns and index layout with upper-level ids as ``unit_id``:
        additive statistics summed, ``mean = Σarea_sum / Σarea_m2`` and
        ``cell_mean = Σsum / Σcount`` recomputed (NaN without valid cells).
        Equal to :func:`zonal_reduce` on the dissolved upper units when every
        upper unit is the union of non-overlapping members, up to the float32
        precision of exactextract's coverage fractions (~1e-7 relative).
    """
    cols = list(result.columns)
    need = set()
    if "mean" in cols:
        need |= {"area_sum", "area_m2"}
    if "cell_mean" in cols:
        need |= {"sum", "count"}
    if need - set(cols):
        raise ValueError(
            f"aggregate needs the additive statistics {sorted(need - set(cols))} in the result"
        )
    df = result.reset_index()
    up = df["unit_id"].map(membership)
    df = df[up.notna() & (up.astype(str) != "")].copy()
    df["unit_id"] = up[df.index].astype(str)
    keys = ["unit_id"] + [n for n in result.index.names if n != "unit_id"]
    out = df.groupby(keys, sort=True)[[c for c in cols if c in ADDITIVE]].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        if "mean" in cols:
            out["mean"] = np.where(out["area_m2"] > 0, out["area_sum"] / out["area_m2"], np.nan)
        if "cell_mean" in cols:
            out["cell_mean"] = np.where(out["count"] > 0, out["sum"] / out["count"], np.nan)
    return out[cols]
