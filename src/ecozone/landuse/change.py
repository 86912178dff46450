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

import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numba
import numpy as np
import pandas as pd

from ecozone.errors import InputError, ParameterError
from ecozone.landcover import ECO_GROUPS, NODATA_TYPE, codes_of
from ecozone.zonal import row_entries

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

# entries of the code lookup tables (LUT: raw code → position in the block's accumulator)
_UNSEEN = -1  # code not met yet in this block
_SKIP = -2  # the rasters' nodata: the cell is left out
# codes of a block converted to int32 (rasters of other dtypes than uint8/uint16)
_MISSING = -1  # NaN or nodata
_BAD = -2  # not a whole number in 0…65535

#: largest dense accumulator of one block (units × classes × classes entries, float64: 64 MB)
_DENSE_MAX = 8_000_000
#: largest dense (unit, class_from, class_to) array of the final merge (float64: 32 MB); else keys sorted
_MERGE_MAX = 4_000_000
#: rows of a numpy raster reduced as one block
_STRIPE = 1024
# first capacities of a block's accumulator (units, codes of each year); doubled when outgrown
_CAP_UNITS, _CAP_CODES = 128, 16


@numba.njit(nogil=True, cache=True)
def _accumulate_pairs(
    a, b, row0, col0, width, cell, unit_index, coverage, row_area, row_ptr,
    lut_a, lut_b, lut_u, codes_a, codes_b, units, acc, state, r_start, i_start,
):  # pragma: no cover - compiled
    """Add c·A (m²) of the block's entries to ``acc[unit, code_a, code_b]`` (the block's own positions).

    Rows from ``r_start`` (absolute), entries from ``i_start`` within it.
    ``state`` = (units, codes_a, codes_b met so far), updated. Returns
    (0, −1, −1) when done, (−1, row, col) at a ``_BAD`` code, or (axis + 1,
    row, entry) when ``acc`` has no room for a new unit / code along that
    axis (grow it and call again from there).
    """
    nrows, ncols = a.shape
    cap_u, cap_a, cap_b = acc.shape
    nu, na, nb = state[0], state[1], state[2]
    windowed = col0 > 0 or ncols < width
    for r in range(r_start, row0 + nrows):
        rr = r - row0
        lo, hi = row_entries(row_ptr, cell, r, width, col0, ncols, windowed)
        if lo == hi:
            continue
        base = r * width + col0
        if r == r_start and i_start > lo:
            lo = i_start
        ra = row_area[r]
        for i in range(lo, hi):
            col = cell[i] - base
            va = a[rr, col]
            vb = b[rr, col]
            if va < 0 or vb < 0:  # int32 codes only: no data, or no code
                if va == _MISSING or vb == _MISSING:
                    continue
                if (va >= 0 and lut_a[va] == _SKIP) or (vb >= 0 and lut_b[vb] == _SKIP):
                    continue
                return -1, r, col0 + col
            ia = lut_a[va]
            ib = lut_b[vb]
            if ia == _SKIP or ib == _SKIP:
                continue
            u = unit_index[i]
            iu = lut_u[u]
            if iu < 0:
                if nu == cap_u:
                    state[0], state[1], state[2] = nu, na, nb
                    return 1, r, i
                iu = nu
                lut_u[u] = iu
                units[iu] = u
                nu += 1
            if ia < 0:
                if na == cap_a:
                    state[0], state[1], state[2] = nu, na, nb
                    return 2, r, i
                ia = na
                lut_a[va] = ia
                codes_a[ia] = va
                na += 1
            if ib < 0:
                if nb == cap_b:
                    state[0], state[1], state[2] = nu, na, nb
                    return 3, r, i
                ib = nb
                lut_b[vb] = ib
                codes_b[ib] = vb
                nb += 1
            acc[iu, ia, ib] += coverage[i] * ra
    state[0], state[1], state[2] = nu, na, nb
    return 0, -1, -1


@numba.njit(nogil=True, cache=True)
def _block_transitions(
    a, b, row0, col0, width, cell, unit_index, coverage, row_area, row_ptr, lut_a0, lut_b0, n_units,
    dense_max,
):  # pragma: no cover - compiled
    """Covered area (m²) of every (unit, code_a, code_b) of one block, in one pass over its weight entries.

    ``a``/``b`` are the two years' codes of a (rows, cols) block whose first
    cell is (row0, col0) of the grid: uint8/uint16 raw codes (their nodata
    marked ``_SKIP`` in the lookup tables ``lut_a0``/``lut_b0``, one entry
    per possible code), or int32 codes with ``_MISSING``/``_BAD``. The
    entries of the block's rows (sorted by cell; windowed by column as in
    :func:`ecozone.zonal._accumulate`) add c·A to a dense accumulator
    indexed by the block's own unit and code positions (lookup tables filled
    as codes and units are met; the accumulator doubles when outgrown).

    Returns (status, row, col, keys, areas, codes_a, codes_b): status 0 and
    keys = unit << 32 | code_a << 16 | code_b of the non-zero entries with
    their areas (m²) and the codes met; status −1 at a ``_BAD`` code (row,
    col of the grid); status 1 when the accumulator would outgrow
    ``dense_max`` entries (the caller takes the sparse path).
    """
    lut_a = lut_a0.copy()
    lut_b = lut_b0.copy()
    lut_u = np.full(n_units, -1, np.int32)
    codes_a = np.empty(lut_a.shape[0], np.int64)
    codes_b = np.empty(lut_b.shape[0], np.int64)
    units = np.empty(n_units, np.int64)
    limits = (n_units, lut_a.shape[0], lut_b.shape[0])
    acc = np.zeros((min(n_units, _CAP_UNITS), min(limits[1], _CAP_CODES), min(limits[2], _CAP_CODES)))
    state = np.zeros(3, np.int64)
    none = np.zeros(0, np.int64)
    r, i = row0, 0
    while True:
        status, r, i = _accumulate_pairs(
            a, b, row0, col0, width, cell, unit_index, coverage, row_area, row_ptr,
            lut_a, lut_b, lut_u, codes_a, codes_b, units, acc, state, r, i,
        )
        if status == 0:
            break
        if status < 0:
            return -1, r, i, none, np.zeros(0), none, none
        if 2 * acc.size > dense_max:
            return 1, -1, -1, none, np.zeros(0), none, none
        shape = [acc.shape[0], acc.shape[1], acc.shape[2]]
        shape[status - 1] = min(2 * shape[status - 1], limits[status - 1])
        grown = np.zeros((shape[0], shape[1], shape[2]))
        grown[: acc.shape[0], : acc.shape[1], : acc.shape[2]] = acc
        acc = grown
    nu, na, nb = state[0], state[1], state[2]
    # the non-zero entries, as (unit, code_a, code_b) keys
    n = 0
    for iu in range(nu):
        for ia in range(na):
            for ib in range(nb):
                if acc[iu, ia, ib] != 0.0:
                    n += 1
    keys = np.empty(n, np.int64)
    areas = np.empty(n)
    k = 0
    for iu in range(nu):
        ku = units[iu] << 32
        for ia in range(na):
            kab = ku | (codes_a[ia] << 16)
            for ib in range(nb):
                v = acc[iu, ia, ib]
                if v != 0.0:
                    keys[k] = kab | codes_b[ib]
                    areas[k] = v
                    k += 1
    return 0, -1, -1, keys, areas, codes_a[:na].copy(), codes_b[:nb].copy()


@numba.njit(nogil=True, cache=True)
def _pairs_block(
    a, b, row0, col0, width, cell, unit_index, coverage, row_area, row_ptr,
    lut_a, lut_b, out_unit, out_pair, out_area,
):  # pragma: no cover - compiled
    """Entries of the block's rows: unit, pair code, covered area (m²). Returns (count, bad row, bad col).

    The sparse path of blocks with too many codes for a dense accumulator;
    ``a``/``b`` and the lookup tables as in :func:`_block_transitions`. A
    ``_BAD`` code stops the pass and returns its position (count = −1).
    """
    nrows, ncols = a.shape
    windowed = col0 > 0 or ncols < width
    k = 0
    for rr in range(nrows):
        r = row0 + rr
        lo, hi = row_entries(row_ptr, cell, r, width, col0, ncols, windowed)
        if lo == hi:
            continue
        base = r * width + col0
        ra = row_area[r]
        for i in range(lo, hi):
            col = cell[i] - base
            va = a[rr, col]
            vb = b[rr, col]
            if va < 0 or vb < 0:  # int32 codes only: no data, or no code
                if va == _MISSING or vb == _MISSING:
                    continue
                if (va >= 0 and lut_a[va] == _SKIP) or (vb >= 0 and lut_b[vb] == _SKIP):
                    continue
                return -1, r, col0 + col
            if lut_a[va] == _SKIP or lut_b[vb] == _SKIP:
                continue
            out_unit[k] = unit_index[i]
            out_pair[k] = (np.int64(va) << 16) | np.int64(vb)
            out_area[k] = coverage[i] * ra
            k += 1
    return k, -1, -1


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


def _codes(x, nod: tuple[float, bool]) -> tuple[np.ndarray, np.ndarray]:
    """(codes, lookup table) of one block: uint8/uint16 as they are (nodata marked in the table), other
    dtypes as int32 with ``_MISSING`` (NaN, nodata) and ``_BAD`` (not a whole number in 0…65535)."""
    x = np.asarray(x)
    value, has = nod
    if x.dtype == np.uint8 or x.dtype == np.uint16:
        lut = np.full(256 if x.dtype == np.uint8 else _MAX_CODE + 1, _UNSEEN, np.int32)
        if has and value == np.floor(value) and 0 <= value < len(lut):
            lut[int(value)] = _SKIP
        return np.ascontiguousarray(x), lut
    lut = np.full(_MAX_CODE + 1, _UNSEEN, np.int32)
    if x.dtype.kind == "f":
        missing = np.isnan(x)
        if has:
            missing |= x == value
        with np.errstate(invalid="ignore"):
            bad = ~missing & ((x < 0) | (x > _MAX_CODE) | (x != np.floor(x)))
    else:
        missing = (x == value) if has else np.zeros(x.shape, bool)
        bad = ~missing & ((x < 0) | (x > _MAX_CODE))
    out = np.where(missing | bad, 0, x).astype(np.int32)
    out[missing] = _MISSING
    out[bad] = _BAD
    return out, lut


def _transition_block(x, y, r0: int, c0: int, w: tuple, width: int, n_units: int, nods):
    """(keys = unit << 32 | code_a << 16 | code_b, areas m², codes_a met, codes_b met) of one block.

    ``w`` = (cell, unit_index, coverage, row_area, row_ptr) of the weights. A
    module-level function (dask.distributed workers import it and its kernel).
    """
    cell, unit_index, coverage, row_area, row_ptr = w
    empty = np.zeros(0, np.int64)
    r1 = r0 + x.shape[0]
    if row_ptr[r1] == row_ptr[r0]:  # no entries in these rows
        return empty, np.zeros(0), empty, empty
    a, lut_a = _codes(x, nods[0])
    b, lut_b = _codes(y, nods[1])
    status, br, bc, keys, areas, codes_a, codes_b = _block_transitions(
        a, b, r0, c0, width, cell, unit_index, coverage, row_area, row_ptr, lut_a, lut_b, n_units, _DENSE_MAX,
    )
    sparse = status == 1
    if sparse:  # too many (unit, code, code) combinations for a dense accumulator: one entry per cell
        n = int(row_ptr[r1] - row_ptr[r0])
        out_unit, out_pair, out_area = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n)
        k, br, bc = _pairs_block(
            a, b, r0, c0, width, cell, unit_index, coverage, row_area, row_ptr, lut_a, lut_b,
            out_unit, out_pair, out_area,
        )
        status = -1 if k < 0 else 0
    if status < 0:
        va, vb = np.asarray(x)[br - r0, bc - c0], np.asarray(y)[br - r0, bc - c0]
        raise InputError(
            f"land-cover codes {va!r} → {vb!r} at pixel (row {br}, column {bc}) are not whole numbers in "
            f"0…{_MAX_CODE}",
            where="land-cover rasters",
            fix="give class codes as integers (declare the rasters' nodata value if this is a fill value)",
        )
    if not sparse:
        return keys, areas, codes_a, codes_b
    keys = (out_unit[:k] << 32) | out_pair[:k]
    uk, inv = np.unique(keys, return_inverse=True)
    pair = uk & 0xFFFFFFFF
    return (uk, np.bincount(inv, out_area[:k], minlength=len(uk)).astype(np.float64, copy=False),
            np.unique(pair >> _SHIFT), np.unique(pair & _MAX_CODE))


def _merge(parts, n_units: int) -> tuple[np.ndarray, np.ndarray]:
    """Sum the blocks' (keys, areas) per key: (sorted unique keys, areas m² > 0)."""
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0)
    keys = np.concatenate([p[0] for p in parts])
    areas = np.concatenate([p[1] for p in parts])
    codes_a = np.unique(np.concatenate([p[2] for p in parts]))
    codes_b = np.unique(np.concatenate([p[3] for p in parts]))
    ka, kb = len(codes_a), len(codes_b)
    if len(keys) == 0:
        return keys, areas
    if n_units * ka * kb <= _MERGE_MAX:  # few classes (the usual case): one dense bincount, no sort
        pos_a = np.zeros(_MAX_CODE + 1, np.int64)
        pos_b = np.zeros(_MAX_CODE + 1, np.int64)
        pos_a[codes_a] = np.arange(ka)
        pos_b[codes_b] = np.arange(kb)
        flat = ((keys >> 32) * ka + pos_a[(keys >> _SHIFT) & _MAX_CODE]) * kb + pos_b[keys & _MAX_CODE]
        acc = np.bincount(flat, areas, minlength=n_units * ka * kb)
        nz = np.flatnonzero(acc)
        uu, rem = np.divmod(nz, ka * kb)
        ca, cb = np.divmod(rem, kb)
        return (uu << 32) | (codes_a[ca] << _SHIFT) | codes_b[cb], acc[nz]
    uk, inv = np.unique(keys, return_inverse=True)
    area = np.bincount(inv, areas, minlength=len(uk)).astype(np.float64, copy=False)
    keep = area > 0
    return uk[keep], area[keep]


def _nodata_pair(v, dtype) -> tuple[float, bool]:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return 0.0, False
    if np.dtype(dtype).kind == "f":
        return float(np.asarray(v).astype(dtype)), True
    return float(v), True


def transition_matrix(lc_from, lc_to, weights: ZonalWeights, nodata: float | None = None) -> pd.DataFrame:
    """Area of every class transition in every unit, km² (METHODS §6).

    One streamed pass over both rasters, block by block as the zonal
    engine's reduction of one band (:func:`ecozone.zonal.zonal_reduce`):
    every block streams its rows' coverage entries once through one compiled
    kernel that looks the two codes up in per-block tables and adds c·A (m²)
    to a dense (unit, class_from, class_to) accumulator of the block; the
    blocks' non-zero entries are summed at the end. Memory: a few blocks and
    their accumulators, and the output.

    Parameters
    ----------
    lc_from, lc_to:
        Land-cover class codes of the two years (numpy, dask or
        :class:`xarray.DataArray`, 2-D, on ``weights.grid``): whole numbers
        0…65535 (any dtype; uint8 and uint16 are read as they are); NaN is
        no data. Dask input is computed chunk by chunk with the current
        scheduler (``lc_to`` rechunked to ``lc_from``'s chunks).
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
        Σ c·A over the unit's cells of that pair, c the coverage fraction,
        A the true cell area). Rows sorted by unit (the weights' order),
        class_from, class_to.

    Raises
    ------
    InputError
        Rasters not of the grid's shape, or a code of a covered cell that is
        not a whole number in 0…65535.
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
    row_area = np.ascontiguousarray(grid.row_cell_area_m2, dtype=np.float64)
    wargs = (weights.cell, weights.unit_index, weights.coverage, row_area, weights.row_ptr)
    nu, width = weights.n_units, grid.width
    if isinstance(a, da.Array) or isinstance(b, da.Array):
        a = a if isinstance(a, da.Array) else da.from_array(np.asarray(a), chunks=b.chunks)
        b = b.rechunk(a.chunks) if isinstance(b, da.Array) else da.from_array(np.asarray(b), chunks=a.chunks)
        oy = np.concatenate([[0], np.cumsum(a.chunks[0])])
        ox = np.concatenate([[0], np.cumsum(a.chunks[1])])
        ba, bb = a.to_delayed(), b.to_delayed()
        # the weights are one task of the graph (as in zonal_reduce): sent once to a distributed worker
        wtask = dask.delayed(wargs, name=f"ecozone-landuse-weights-{weights.key}", traverse=False)
        block = dask.delayed(_transition_block, pure=True)
        tasks = [
            block(ba[i, j], bb[i, j], int(oy[i]), int(ox[j]), wtask, width, nu, nods)
            for i in range(len(a.chunks[0]))
            for j in range(len(a.chunks[1]))
        ]
        parts = list(dask.compute(*tasks))
    else:  # numpy: stripes of rows, on threads (the kernel releases the GIL)
        a, b = np.asarray(a), np.asarray(b)
        step = _STRIPE
        edges = list(range(0, grid.height, step)) or [0]
        with ThreadPoolExecutor(max(1, min(len(edges), os.cpu_count() or 1))) as pool:
            parts = list(pool.map(lambda r0: _transition_block(a[r0:r0 + step], b[r0:r0 + step], r0, 0, wargs,
                                                               width, nu, nods), edges))
    keys, area = _merge(parts, nu)
    unit = keys >> 32
    out = pd.DataFrame(
        {
            # ids taken from a string array of the units (not one Python str per row)
            "unit_id": pd.Series(np.asarray(weights.unit_ids, dtype=object).astype(str)).array.take(unit),
            "class_from": ((keys >> _SHIFT) & _MAX_CODE).astype(np.int64),
            "class_to": (keys & _MAX_CODE).astype(np.int64),
            "area_km2": area / 1e6,
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
