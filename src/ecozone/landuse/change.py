"""Land-use change between two land-cover years (METHODS §6; seed 000 §2.3, seed 002).

- :func:`transition_matrix`: the area (km²) of every (class_from, class_to)
  pair in every unit, in one pass over the two rasters: each covered cell's
  two codes form one pair code, and the zonal engine's coverage weights
  (:func:`ecozone.zonal.zonal_weights`: exact coverage fraction c of the cell
  by the unit, true cell area A in m²) add c·A to that pair of that unit. Area
  exact: partial cells count with their covered share, and the areas of a
  unit sum to the unit's area covered by valid cells of both years.
- :func:`sum_to_levels`: finest-unit rows summed to every level.
- :func:`change_summary`: the table ``landuse_change`` from the transitions
  and the class table (groups of METHODS §0.3.1).
- :func:`built_change`: the raster of built-up change (0 unchanged, 1 new
  built-up, 2 built-up lost, 255 no data), block-wise on dask arrays.

Cells whose code is NaN or the rasters' nodata in either year are left out
of the transitions (their change is unknown); so are, in the summary, pairs
involving a class whose ``vegetation_type`` is ``nodata`` in the class table.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numba
import numpy as np
import pandas as pd

from ecozone.errors import InputError, ParameterError
from ecozone.landcover import ECO_GROUPS, NODATA_TYPE, codes_of

if TYPE_CHECKING:  # types only
    from ecozone.inputs.units import Units
    from ecozone.zonal import ZonalWeights

__all__ = [
    "BUILT_CHANGE_NODATA",
    "CHANGE_COLUMNS",
    "TRANSITION_COLUMNS",
    "built_change",
    "change_summary",
    "sum_to_levels",
    "transition_matrix",
]

#: columns of :func:`transition_matrix` (the table ``landuse_transitions`` adds level, year_from, year_to)
TRANSITION_COLUMNS = ("unit_id", "class_from", "class_to", "area_km2")
#: value columns of the table ``landuse_change`` (after level, unit_id, year_from, year_to)
CHANGE_COLUMNS = (
    "built_from_km2",
    "built_to_km2",
    "built_gain_km2",
    "built_loss_km2",
    "built_rate",
    "expansion_intensity",
    "eco_from_km2",
    "eco_to_km2",
    "eco_loss_km2",
    "eco_gain_km2",
    "eco_to_built_km2",
    "cropland_to_built_km2",
)
#: value of :func:`built_change` where either year has no data
BUILT_CHANGE_NODATA = 255

_SHIFT = 16  # pair code = class_from << 16 | class_to
_MAX_CODE = (1 << _SHIFT) - 1


# --------------------------------------------------------------------------- transitions


@numba.njit(nogil=True, cache=True)
def _pairs_block(
    a, b, row0, col0, width, cell, unit_index, coverage, row_area, row_ptr,
    nod_a, has_a, nod_b, has_b, out_unit, out_pair, out_area,
):  # pragma: no cover - compiled
    """Entries of the block's rows: unit, pair code, covered area (m²). Returns (count, bad row, bad col).

    ``a``/``b`` are (rows, cols) blocks whose first cell is (row0, col0) of the
    grid. A code that is not a whole number in 0…65535 stops the pass and
    returns its position (count = −1).
    """
    nrows, ncols = a.shape
    windowed = col0 > 0 or ncols < width
    k = 0
    for rr in range(nrows):
        r = row0 + rr
        lo = row_ptr[r]
        hi = row_ptr[r + 1]
        if lo == hi:
            continue
        base = r * width + col0
        if windowed:
            first = lo
            lo = first + np.searchsorted(cell[first:hi], base)
            hi = first + np.searchsorted(cell[first:hi], base + ncols)
        ra = row_area[r]
        for i in range(lo, hi):
            col = cell[i] - base
            va = np.float64(a[rr, col])
            vb = np.float64(b[rr, col])
            if va != va or vb != vb or (has_a and va == nod_a) or (has_b and vb == nod_b):
                continue
            if va < 0 or va > 65535 or va != np.floor(va) or vb < 0 or vb > 65535 or vb != np.floor(vb):
                return -1, r, col0 + col
            out_unit[k] = unit_index[i]
            out_pair[k] = (np.int64(va) << 16) | np.int64(vb)
            out_area[k] = coverage[i] * ra
            k += 1
    return k, -1, -1


#: largest dense accumulator of one block (units × classes × classes entries, float64)
_DENSE_MAX = 8_000_000


@numba.njit(nogil=True, cache=True)
def _pairs_dense(
    a, b, row0, col0, width, cell, unit_index, coverage, row_area, row_ptr,
    nod_a, has_a, nod_b, has_b, u0, acc,
):  # pragma: no cover - compiled
    """Add each entry's covered area (m²) to ``acc[unit − u0, code_a, code_b]``.

    Returns (0, −1, −1), or (−1, row, col) at a code that is not a whole
    number within the accumulator (the caller then takes the general path).
    """
    nrows, ncols = a.shape
    ka, kb = acc.shape[1], acc.shape[2]
    windowed = col0 > 0 or ncols < width
    for rr in range(nrows):
        r = row0 + rr
        lo = row_ptr[r]
        hi = row_ptr[r + 1]
        if lo == hi:
            continue
        base = r * width + col0
        if windowed:
            first = lo
            lo = first + np.searchsorted(cell[first:hi], base)
            hi = first + np.searchsorted(cell[first:hi], base + ncols)
        ra = row_area[r]
        for i in range(lo, hi):
            col = cell[i] - base
            va = np.float64(a[rr, col])
            vb = np.float64(b[rr, col])
            if va != va or vb != vb or (has_a and va == nod_a) or (has_b and vb == nod_b):
                continue
            if va < 0 or va >= ka or va != np.floor(va) or vb < 0 or vb >= kb or vb != np.floor(vb):
                return -1, r, col0 + col
            acc[unit_index[i] - u0, np.int64(va), np.int64(vb)] += coverage[i] * ra
    return 0, -1, -1


def _nodata_of(x, nodata):
    if nodata is not None:
        return nodata
    import xarray as xr

    if not isinstance(x, xr.DataArray):
        return None
    import rioxarray  # noqa: F401 - registers the .rio accessor

    try:
        return x.rio.nodata
    except Exception:  # no spatial dimensions: no nodata metadata
        return x.attrs.get("_FillValue", x.attrs.get("nodata"))


def _data(x):
    import xarray as xr

    return x.data if isinstance(x, xr.DataArray) else x


def _finite_max(x: np.ndarray) -> float:
    m = np.nanmax(x) if x.dtype.kind == "f" else x.max()
    return float(m) if np.isfinite(m) else -1.0


def _dense_block(a, b, r0, c0, weights: ZonalWeights, row_area, nods, n):
    """The block's (keys, areas m²) by one dense accumulation, or None when the codes are too many."""
    (nod_a, has_a), (nod_b, has_b) = nods
    r1 = r0 + a.shape[0]
    units = weights.unit_index[weights.row_ptr[r0]:weights.row_ptr[r1]]
    u0, u1 = int(units.min()), int(units.max())
    ka, kb = int(_finite_max(a)) + 1, int(_finite_max(b)) + 1
    if ka <= 0 or kb <= 0 or ka > _MAX_CODE + 1 or kb > _MAX_CODE + 1 or (u1 - u0 + 1) * ka * kb > _DENSE_MAX:
        return None
    acc = np.zeros((u1 - u0 + 1, ka, kb))
    grid = weights.grid
    k, _br, _bc = _pairs_dense(
        a, b, r0, c0, grid.width, weights.cell, weights.unit_index, weights.coverage, row_area,
        weights.row_ptr, nod_a, has_a, nod_b, has_b, u0, acc,
    )
    if k < 0:  # a code that is no whole number: the general path says where
        return None
    flat = acc.ravel()
    nz = np.flatnonzero(flat)
    uu, rem = np.divmod(nz, ka * kb)
    ca, cb = np.divmod(rem, kb)
    return ((uu + u0) << 32) | (ca << _SHIFT) | cb, flat[nz]


def _reduce_block(a, b, r0, c0, weights: ZonalWeights, nods) -> tuple[np.ndarray, np.ndarray]:
    """(keys = unit << 32 | pair, areas m²) of one block, summed per key."""
    a = np.ascontiguousarray(np.asarray(a))
    b = np.ascontiguousarray(np.asarray(b))
    r1 = r0 + a.shape[0]
    n = int(weights.row_ptr[r1] - weights.row_ptr[r0])
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0)
    grid = weights.grid
    row_area = np.ascontiguousarray(grid.row_cell_area_m2, dtype=np.float64)
    (nod_a, has_a), (nod_b, has_b) = nods
    # the usual case, few classes: accumulate straight into a dense (unit, class, class) array
    dense = _dense_block(a, b, r0, c0, weights, row_area, nods, n)
    if dense is not None:
        return dense
    out_unit = np.empty(n, np.int64)
    out_pair = np.empty(n, np.int64)
    out_area = np.empty(n)
    k, br, bc = _pairs_block(
        a, b, r0, c0, grid.width, weights.cell, weights.unit_index, weights.coverage, row_area,
        weights.row_ptr, nod_a, has_a, nod_b, has_b, out_unit, out_pair, out_area,
    )
    if k < 0:
        va, vb = a[br - r0, bc - c0], b[br - r0, bc - c0]
        raise InputError(
            f"land-cover codes {va!r} → {vb!r} at pixel (row {br}, column {bc}) are not whole numbers in "
            f"0…{_MAX_CODE}",
            where="land-cover rasters",
            fix="give class codes as integers (declare the rasters' nodata value if this is a fill value)",
        )
    if k == 0:
        return np.zeros(0, np.int64), np.zeros(0)
    unit, pair, area = out_unit[:k], out_pair[:k], out_area[:k]
    pa, pb = pair >> _SHIFT, pair & _MAX_CODE
    ka, kb = int(pa.max()) + 1, int(pb.max()) + 1
    u0 = int(unit.min())
    size = (int(unit.max()) - u0 + 1) * ka * kb
    if size <= _DENSE_MAX:  # few classes (the usual case): one dense bincount, no sort
        acc = np.bincount(((unit - u0) * ka + pa) * kb + pb, area, minlength=size)
        nz = np.flatnonzero(acc)
        uu, rem = np.divmod(nz, ka * kb)
        ca, cb = np.divmod(rem, kb)
        return ((uu + u0) << 32) | (ca << _SHIFT) | cb, acc[nz]
    keys = (unit << 32) | pair
    uk, inv = np.unique(keys, return_inverse=True)
    return uk, np.bincount(inv, area, minlength=len(uk)).astype(np.float64, copy=False)


def _nodata_pair(v, dtype) -> tuple[float, bool]:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return 0.0, False
    if np.dtype(dtype).kind == "f":
        return float(np.asarray(v).astype(dtype)), True
    return float(v), True


def transition_matrix(lc_from, lc_to, weights: ZonalWeights, nodata: float | None = None) -> pd.DataFrame:
    """Area of every class transition in every unit, km² (METHODS §6).

    Parameters
    ----------
    lc_from, lc_to:
        Land-cover class codes of the two years (numpy, dask or
        :class:`xarray.DataArray`, 2-D, on ``weights.grid``): whole numbers
        0…65535; NaN is no data.
    weights:
        Coverage of the units over the grid
        (:func:`ecozone.zonal.zonal_weights`, usually of the finest units).
    nodata:
        Code meaning "no data" in both rasters (default: each DataArray's
        ``rio.nodata``).

    Returns
    -------
    pandas.DataFrame
        :data:`TRANSITION_COLUMNS`: ``unit_id`` (str), ``class_from`` and
        ``class_to`` (int64 codes of the rasters), ``area_km2`` (km², > 0;
        Σ c·A over the unit's cells of that pair, true cell areas). Rows
        sorted by unit (the weights' order), class_from, class_to.

    Raises
    ------
    InputError
        Rasters not of the grid's shape, or a code that is not a whole
        number in 0…65535.
    """
    import dask
    import dask.array as da

    grid = weights.grid
    a, b = _data(lc_from), _data(lc_to)
    for name, x in (("lc_from", a), ("lc_to", b)):
        if tuple(x.shape) != tuple(grid.shape):
            raise InputError(
                f"{name} has shape {tuple(x.shape)}, not the grid's {tuple(grid.shape)}",
                where="land-cover rasters",
                fix="align both land-cover rasters to the reference grid (ecozone.inputs.rasters does this)",
            )
    nods = (_nodata_pair(_nodata_of(lc_from, nodata), a.dtype), _nodata_pair(_nodata_of(lc_to, nodata), b.dtype))
    if isinstance(a, da.Array) or isinstance(b, da.Array):
        a = a if isinstance(a, da.Array) else da.from_array(np.asarray(a), chunks=b.chunks)
        b = b.rechunk(a.chunks) if isinstance(b, da.Array) else da.from_array(np.asarray(b), chunks=a.chunks)
        oy = np.concatenate([[0], np.cumsum(a.chunks[0])])
        ox = np.concatenate([[0], np.cumsum(a.chunks[1])])
        ba, bb = a.to_delayed(), b.to_delayed()

        def block(x, y, r0, c0):  # weights by closure: dask does not traverse or hash them
            return _reduce_block(x, y, r0, c0, weights, nods)

        tasks = [
            dask.delayed(block, pure=False)(ba[i, j], bb[i, j], int(oy[i]), int(ox[j]))
            for i in range(len(a.chunks[0]))
            for j in range(len(a.chunks[1]))
        ]
        parts = list(dask.compute(*tasks))
    else:
        parts = [_reduce_block(a, b, 0, 0, weights, nods)]
    keys = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
    areas = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0)
    uk, inv = np.unique(keys, return_inverse=True)
    area = np.bincount(inv, areas, minlength=len(uk)).astype(np.float64, copy=False)
    unit = uk >> 32
    pair = uk & 0xFFFFFFFF
    keep = area > 0
    out = pd.DataFrame(
        {
            "unit_id": np.asarray(weights.unit_ids, dtype=object)[unit[keep]].astype(str),
            "class_from": (pair[keep] >> _SHIFT).astype(np.int64),
            "class_to": (pair[keep] & _MAX_CODE).astype(np.int64),
            "area_km2": area[keep] / 1e6,
        }
    )
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- levels


def sum_to_levels(
    finest: pd.DataFrame,
    units: Units,
    keys: Iterable[str] = ("class_from", "class_to"),
    values: Iterable[str] = ("area_km2",),
) -> pd.DataFrame:
    """Rows of the finest units summed to every level (areas are additive).

    Parameters
    ----------
    finest:
        ``unit_id`` (finest units), ``keys`` and ``values`` columns (e.g. the
        output of :func:`transition_matrix`).
    units:
        The study's units (levels and membership).
    keys, values:
        Columns grouped by, and summed (km² or any additive unit).

    Returns
    -------
    pandas.DataFrame
        ``level, unit_id, *keys, *values`` for every level, finest first; a
        unit in no upper unit of a level adds to none there.
    """
    keys, values = list(keys), list(values)
    out = [finest.assign(level=units.finest_level)]
    for lv in units.levels[1:]:
        m = units.membership(lv)
        f = finest.assign(up=finest["unit_id"].map(m))
        f = f[f["up"].notna() & (f["up"] != "")]
        g = f.groupby(["up", *keys], sort=True)[values].sum().reset_index().rename(columns={"up": "unit_id"})
        out.append(g.assign(level=lv))
    res = pd.concat(out, ignore_index=True)
    return res[["level", "unit_id", *keys, *values]]


# --------------------------------------------------------------------------- summary


def _areas(unit_area_km2, frame: pd.DataFrame, by: list[str]) -> np.ndarray:
    """Unit area (km²) of every row of ``frame`` (keys ``by``)."""
    if isinstance(unit_area_km2, pd.DataFrame):
        cols = [c for c in ("level", "unit_id") if c in unit_area_km2.columns and c in by]
        s = unit_area_km2.drop_duplicates(cols).set_index(cols)["area_km2"]
    else:
        s = unit_area_km2
    names = [n for n in s.index.names if n is not None]
    if s.index.nlevels == 2 and names == ["level", "unit_id"] and "level" in by:
        idx = pd.MultiIndex.from_frame(frame[["level", "unit_id"]])
    else:
        if s.index.nlevels == 2:
            s = s.groupby(level=-1).first()
        idx = pd.Index(frame["unit_id"].astype(str))
        s.index = s.index.astype(str)
    area = s.reindex(idx).to_numpy(dtype=float)
    if np.isnan(area).any():
        i = int(np.flatnonzero(np.isnan(area))[0])
        raise InputError(
            f"no area for unit {frame['unit_id'].iloc[i]}",
            where="unit areas given to change_summary",
            fix="give the area (km²) of every unit of the transitions (Units.frame has area_km2)",
        )
    return area


def change_summary(
    transitions: pd.DataFrame,
    classes: pd.DataFrame,
    unit_area_km2: pd.Series | pd.DataFrame,
    year_from: int,
    year_to: int,
    eco_groups: Iterable[str] = ECO_GROUPS,
) -> pd.DataFrame:
    """Built-up and ecological land change of every unit (METHODS §6, table ``landuse_change``).

    Parameters
    ----------
    transitions:
        ``[level,] unit_id, class_from, class_to, area_km2`` (from
        :func:`transition_matrix`, or :func:`sum_to_levels`).
    classes:
        The class table (:func:`ecozone.landcover.load_classes`): ``code``,
        ``group``, ``vegetation_type``. Built-up = group ``built``, cropland =
        ``cropland``, ecological land = ``eco_groups``.
    unit_area_km2:
        Area of every unit, km²: a Series indexed by ``unit_id`` or by
        (``level``, ``unit_id``), or a frame with ``[level,] unit_id,
        area_km2`` (``Units.frame``).
    year_from, year_to:
        The two years (Δt = year_to − year_from > 0).
    eco_groups:
        Groups that are ecological land (``landuse.eco_groups``).

    Returns
    -------
    pandas.DataFrame
        ``[level,] unit_id, year_from, year_to`` and :data:`CHANGE_COLUMNS`:
        areas in km² — built-up land in each year, its gross gain (other
        classes → built-up) and loss (built-up → other), ecological land in
        each year, its gross loss (ecological → non-ecological) and gain,
        ecological land and cropland turned built-up; ``built_rate`` =
        (to / from)^(1/Δt) − 1 per year (empty when from = 0);
        ``expansion_intensity`` = built_gain / unit area / Δt × 100 (% of the
        unit's area per year).

    Raises
    ------
    InputError
        A code of the transitions missing from the class table, or a unit
        without area.
    ParameterError
        year_to ≤ year_from, or an unknown group in ``eco_groups``.
    """
    dt = int(year_to) - int(year_from)
    if dt <= 0:
        raise ParameterError(
            f"year_to ({year_to}) must be after year_from ({year_from})",
            where="land-use change period",
            fix="give two land-cover years in increasing order",
        )
    eco = set(codes_of(classes, list(eco_groups)))
    built = set(codes_of(classes, ["built"]))
    crop = set(codes_of(classes, ["cropland"]))
    known = set(int(c) for c in classes["code"])
    nodata = set(int(c) for c in classes.loc[classes["vegetation_type"] == NODATA_TYPE, "code"])
    t = transitions
    codes = pd.unique(pd.concat([t["class_from"], t["class_to"]], ignore_index=True))
    unknown = sorted(int(c) for c in codes if int(c) not in known)
    if unknown:
        raise InputError(
            f"land-cover code(s) {unknown[:10]} of the rasters are not in the class table",
            where="[landcover] classes",
            fix="add them to the class table (code, name, vegetation_type, group), or declare the rasters' "
            "nodata value if they are fill values",
        )
    cf, ct = t["class_from"].astype(np.int64), t["class_to"].astype(np.int64)
    valid = ~(cf.isin(nodata) | ct.isin(nodata))
    t = t[valid]
    cf, ct = cf[valid], ct[valid]
    by = [c for c in ("level", "unit_id") if c in t.columns]
    a = t["area_km2"].astype(float)
    f_built, t_built = cf.isin(built), ct.isin(built)
    f_eco, t_eco = cf.isin(eco), ct.isin(eco)
    parts = pd.DataFrame(
        {
            "built_from_km2": a.where(f_built, 0.0),
            "built_to_km2": a.where(t_built, 0.0),
            "built_gain_km2": a.where(~f_built & t_built, 0.0),
            "built_loss_km2": a.where(f_built & ~t_built, 0.0),
            "eco_from_km2": a.where(f_eco, 0.0),
            "eco_to_km2": a.where(t_eco, 0.0),
            "eco_loss_km2": a.where(f_eco & ~t_eco, 0.0),
            "eco_gain_km2": a.where(~f_eco & t_eco, 0.0),
            "eco_to_built_km2": a.where(f_eco & t_built, 0.0),
            "cropland_to_built_km2": a.where(cf.isin(crop) & t_built, 0.0),
        }
    )
    for c in by:
        parts[c] = t[c].astype(str).to_numpy() if c == "unit_id" else t[c].to_numpy()
    s = parts.groupby(by, sort=False).sum().reset_index()
    bf, bt = s["built_from_km2"].to_numpy(), s["built_to_km2"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        s["built_rate"] = np.where(bf > 0, np.power(bt / np.where(bf > 0, bf, 1.0), 1.0 / dt) - 1.0, np.nan)
    area = _areas(unit_area_km2, s, by)
    with np.errstate(divide="ignore", invalid="ignore"):
        s["expansion_intensity"] = np.where(
            area > 0, s["built_gain_km2"].to_numpy() / np.where(area > 0, area, 1.0) / dt * 100.0, np.nan
        )
    s["year_from"] = np.int64(year_from)
    s["year_to"] = np.int64(year_to)
    return s[[*by, "year_from", "year_to", *CHANGE_COLUMNS]].reset_index(drop=True)


# --------------------------------------------------------------------------- raster


def _built_change_block(a, b, built: np.ndarray, nod_a, nod_b) -> np.ndarray:
    a = np.asarray(a)
    b = np.asarray(b)
    fa, fb = np.isin(a, built), np.isin(b, built)
    out = np.zeros(a.shape, np.uint8)
    out[~fa & fb] = 1
    out[fa & ~fb] = 2
    missing = np.zeros(a.shape, bool)
    for x, nod in ((a, nod_a), (b, nod_b)):
        if x.dtype.kind == "f":
            missing |= np.isnan(x)
        if nod is not None and not (isinstance(nod, float) and np.isnan(nod)):
            missing |= x == nod
    out[missing] = BUILT_CHANGE_NODATA
    return out


def built_change(lc_from, lc_to, built_codes: Iterable[int], nodata: float | None = None):
    """Built-up change between two land-cover rasters (METHODS §6, ``built_change_{y0}_{y1}.tif``).

    Parameters
    ----------
    lc_from, lc_to:
        Class codes of the two years (numpy, dask or :class:`xarray.DataArray`,
        same shape); dask input is computed block by block, lazily.
    built_codes:
        Codes of built-up land (``codes_of(classes, ["built"])``).
    nodata:
        Code meaning "no data" (default: each DataArray's ``rio.nodata``);
        NaN is always no data.

    Returns
    -------
    numpy.ndarray, dask.array.Array or xarray.DataArray
        uint8 of the input's kind and shape: 0 unchanged, 1 new built-up
        (not built-up → built-up), 2 built-up lost (built-up → other),
        255 (:data:`BUILT_CHANGE_NODATA`) no data in either year. A
        DataArray keeps the coordinates of ``lc_from``, with ``_FillValue``
        and ``flag_values`` / ``flag_meanings`` attributes.
    """
    import dask.array as da
    import xarray as xr

    built = np.array(sorted({int(c) for c in built_codes}), dtype=np.int64)
    a, b = _data(lc_from), _data(lc_to)
    if tuple(a.shape) != tuple(b.shape):
        raise InputError(
            f"the land-cover rasters differ in shape: {tuple(a.shape)} and {tuple(b.shape)}",
            where="land-cover rasters",
            fix="align both to the reference grid (ecozone.inputs.rasters does this)",
        )
    nod_a, nod_b = _nodata_of(lc_from, nodata), _nodata_of(lc_to, nodata)
    if isinstance(a, da.Array) or isinstance(b, da.Array):
        a = a if isinstance(a, da.Array) else da.from_array(np.asarray(a), chunks=b.chunks)
        b = b.rechunk(a.chunks) if isinstance(b, da.Array) else da.from_array(np.asarray(b), chunks=a.chunks)
        out = da.map_blocks(_built_change_block, a, b, built, nod_a, nod_b, dtype=np.uint8)
    else:
        out = _built_change_block(a, b, built, nod_a, nod_b)
    if isinstance(lc_from, xr.DataArray):
        res = lc_from.copy(data=out)
        res.name = "built_change"
        res.attrs = {
            "flag_values": [0, 1, 2],
            "flag_meanings": "unchanged new_built_up built_up_lost",
            "long_name": "built-up change",
        }
        res.encoding = {}
        import rioxarray  # noqa: F401 - registers the .rio accessor

        try:
            res = res.rio.write_nodata(BUILT_CHANGE_NODATA)
        except Exception:  # no spatial dimensions
            res.attrs["_FillValue"] = BUILT_CHANGE_NODATA
        return res
    return out
