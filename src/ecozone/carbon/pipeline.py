"""CASA NPP, Rh and NEP of a year, in memory or streamed in chunks (METHODS §2.1–2.2).

- :func:`casa_year` takes xarray DataArrays (dims month, y, x; dask-backed,
  chunked in y/x) and returns a lazy :class:`xarray.Dataset` of annual NPP,
  Rh and NEP built with ``dask.array.blockwise`` of the fused Numba kernel:
  memory stays bounded by a few chunks whatever the grid, and the same graph
  runs on local threads or a dask.distributed cluster. Each block task gets
  the month chunks of its y/x block as a list (no (12, rows, cols) copy), and
  integer inputs carrying CF ``scale_factor``/``add_offset``/``_FillValue``
  attributes are unpacked inside the kernel (bit for bit as the float32
  arithmetic of :mod:`ecozone.inputs.rasters`), so no float temporaries are
  made either.
- :func:`casa_arrays` runs the fused Numba ``parallel=True`` kernel on NumPy
  arrays held in memory.

Before the chunked pass each year gets one eager pre-pass over the land
cover (every code must be in the land-cover table) and, with
``carbon.casa.ndvi_extremes = "data"``, over NDVI: a histogram of NDVI per
vegetation type in bins of 1e-4 (exact for NDVI stored in steps of 1e-4 such
as MODIS products, within 5e-5 otherwise) from which the 5th/95th
percentiles are read (see :func:`ecozone.carbon._kernels.percentiles_from_histogram`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecozone.carbon import _kernels as K
from ecozone.carbon.casa import resolve_extremes
from ecozone.carbon.params import CarbonParams
from ecozone.carbon.tables import (
    INDEX_UNKNOWN,
    check_landcover_codes,
    landcover_lut,
    load_landcover_table,
    load_vegetation_table,
    vegetation_index,
)
from ecozone.errors import InputError

MONTHLY_VARS = ("ndvi", "temperature", "precipitation", "radiation")
OUTPUT_VARS = ("npp", "rh", "nep")
_LONG_NAMES = {
    "npp": "net primary productivity",
    "rh": "heterotrophic respiration",
    "nep": "net ecosystem productivity (NPP - Rh)",
}
DEFAULT_CHUNK = 1024


class CasaTables:
    """The tables a CASA run needs, loaded and validated once."""

    def __init__(self, params: CarbonParams):
        self.params = params
        self.vegetation = load_vegetation_table(params.casa.epsilon_table)
        self.types = self.vegetation["vegetation_type"].tolist()
        self.landcover = load_landcover_table(params.landcover_classes, self.types)
        self.lut = landcover_lut(self.landcover, self.types)
        self.other = (
            self.types.index("other_vegetation") if "other_vegetation" in self.types else -1
        )
        if params.nep_on == "all" and self.other < 0:
            from ecozone.errors import ParameterError

            raise ParameterError(
                'nep_on = "all" needs a vegetation type other_vegetation for non-vegetated classes',
                where="[carbon.casa] epsilon_table",
                fix="add an other_vegetation row to the vegetation table",
            )

    def kernel_args(self, extremes: pd.DataFrame):
        return (
            extremes["epsilon_max"].to_numpy(np.float64),
            extremes["ndvi_min"].to_numpy(np.float64),
            extremes["ndvi_max"].to_numpy(np.float64),
            max(self.other, 0),
            self.params.nep_on == "all",
            K.pack_scalars(self.params),
        )


def _extremes_from_hist(tables: CasaTables, hist: np.ndarray | None) -> pd.DataFrame:
    c = tables.params.casa
    if c.ndvi_extremes == "table" or hist is None:
        return resolve_extremes(tables.vegetation, c)
    lo = K.percentiles_from_histogram(hist, c.ndvi_min_percentile)
    hi = K.percentiles_from_histogram(hist, c.ndvi_max_percentile)
    return resolve_extremes(tables.vegetation, c, lo, hi, hist.sum(axis=1))


def extremes_notes(extremes: pd.DataFrame, min_count: int) -> list[str]:
    """Notes on vegetation types present in the data whose NDVI extremes came from the table."""
    notes = []
    for _, r in extremes.iterrows():
        if r["count"] > 0 and r["extremes_source"] != "data" and r["extremes_source"] != "table":
            notes.append(
                f"NDVI extremes of {r['vegetation_type']} taken from the table: {int(r['count'])} valid "
                f"pixel-months (fewer than {min_count}) or a spread below 0.01"
            )
    return notes


def _check_codes_numpy(tables: CasaTables, landcover: np.ndarray, vt: np.ndarray, nodata) -> None:
    unknown = vt == INDEX_UNKNOWN
    if unknown.any():
        check_landcover_codes(
            np.unique(landcover[unknown]), tables.landcover, tables.params.landcover_classes, nodata
        )


# ------------------------------------------------------------------ in memory
def casa_arrays(
    ndvi: np.ndarray,
    temperature: np.ndarray,
    precipitation: np.ndarray,
    radiation: np.ndarray,
    landcover: np.ndarray,
    params: CarbonParams | None = None,
    monthly: bool = False,
    *,
    landcover_nodata: float | None = None,
    extremes: pd.DataFrame | None = None,
    parallel: bool = True,
    packed: dict[str, tuple[float, float, float | None]] | None = None,
) -> dict:
    """NPP, Rh, NEP of one year for arrays in memory (fused Numba kernel).

    ``ndvi``, ``temperature`` (°C), ``precipitation`` (mm month-1),
    ``radiation`` (MJ m-2 month-1): (12, rows, cols) arrays or sequences of
    12 (rows, cols) arrays; ``landcover``: (rows, cols) class codes.
    ``packed`` maps a variable name to ``(scale, offset, fill)`` of its
    integer array (value = scale · raw + offset in float32 arithmetic, NaN
    where raw == fill; fill may be None), as stored in scaled-integer products.
    Returns a dict with ``npp``, ``rh``, ``nep`` (gC m-2
    yr-1, float64), ``extremes`` (the table the run used: ε_max and NDVI
    extremes per vegetation type) and with ``monthly`` also ``npp_monthly``,
    ``rh_monthly``, ``nep_monthly`` (12, rows, cols; gC m-2 month-1), and
    ``notes`` (list of str: vegetation types whose data extremes fell back to the table).
    """
    params = params or CarbonParams()
    tables = CasaTables(params)
    layers = {
        name: K.months(a)
        for name, a in zip(MONTHLY_VARS, (ndvi, temperature, precipitation, radiation), strict=True)
    }
    _check_shapes({k: _stack_shape(v) for k, v in layers.items()}, landcover.shape)
    packed = packed or {}
    unp = np.stack(
        [
            _unpack_row(layers[k][0].dtype, *packed[k], where=k)
            if k in packed
            else _unpack_row(layers[k][0].dtype, where=k)
            for k in MONTHLY_VARS
        ]
    )
    vt = vegetation_index(landcover, tables.lut, landcover_nodata)
    _check_codes_numpy(tables, np.asarray(landcover), vt, landcover_nodata)
    if extremes is None:
        hist = None
        if params.casa.ndvi_extremes == "data":
            hist = K.ndvi_histogram(layers["ndvi"], vt, len(tables.types), unp[0])
        extremes = _extremes_from_hist(tables, hist)
    ny, nx = vt.shape
    out = np.empty((3, ny, nx), dtype=np.float64)
    out_m = np.empty((3, 12, ny, nx) if monthly else (3, 1, 1, 1), dtype=np.float64)
    kern = K.casa_parallel if parallel else K.casa_serial
    kern(
        *(layers[k] for k in MONTHLY_VARS),
        tuple(K.unpack_spec(row) for row in unp),
        vt,
        *tables.kernel_args(extremes),
        out,
        out_m,
        monthly,
    )
    res = {
        "npp": out[0],
        "rh": out[1],
        "nep": out[2],
        "extremes": extremes,
        "notes": extremes_notes(extremes, params.casa.ndvi_extremes_min_count),
    }
    if monthly:
        res.update(npp_monthly=out_m[0], rh_monthly=out_m[1], nep_monthly=out_m[2])
    return res


def _unpack_row(dtype, scale=1.0, offset=0.0, fill=None, *, where: str) -> np.ndarray:
    """The kernel's unpacking row of an input of ``dtype`` (see :func:`K.unpack_params`)."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        if fill is not None and not np.isfinite(float(fill)):
            fill = None
        return K.unpack_params(float(scale), float(offset), None if fill is None else float(fill))
    if float(scale) != 1.0 or float(offset) != 0.0:
        raise InputError(
            f"{where} holds {dtype} values with a scale factor {scale} / offset {offset}; only "
            "integer arrays are unpacked",
            where=where,
            fix="apply the scale factor (values in the units of METHODS 0.3) or pass the raw integers",
        )
    return K.unpack_params()


def _stack_shape(layers: tuple) -> tuple:
    """(months, rows, cols) of a tuple of monthly arrays; the odd one out when they differ."""
    shapes = [x.shape for x in layers]
    odd = [sh for sh in shapes if sh != shapes[0]] if shapes else []
    return (len(shapes), *(odd[0] if odd else shapes[0] if shapes else ()))


def _check_shapes(shapes: dict, lc_shape) -> None:
    ref = ("landcover", tuple(lc_shape))
    for name, shp in shapes.items():
        if len(shp) != 3 or shp[0] != 12 or tuple(shp[1:]) != ref[1]:
            raise InputError(
                f"{name} has shape {tuple(shp)}; expected (12 months, {ref[1][0]}, {ref[1][1]}) like the land cover",
                where=f"rasters.{name}",
                fix="give 12 monthly rasters aligned to the reference grid",
            )


# ------------------------------------------------------------------ streamed
_FULL_LUTS: dict = {}


def _vt_block(lc, lut, nodata):
    """Vegetation-type index of a land-cover block (:func:`vegetation_index`).

    Integer codes of ≤ 16 bits are looked up in a table over every possible
    code, built once with :func:`vegetation_index` itself (same result, a
    fraction of the time).
    """
    a = np.asarray(lc)
    if a.dtype.kind not in "iu" or a.dtype.itemsize > 2:
        return vegetation_index(a, lut, nodata)
    udt = np.dtype(f"u{a.dtype.itemsize}")
    key = (a.dtype.str, lut.tobytes(), None if nodata is None else float(nodata))
    full = _FULL_LUTS.get(key)
    if full is None:
        codes = np.arange(2 ** (8 * a.dtype.itemsize)).astype(udt).view(a.dtype)
        full = _FULL_LUTS[key] = vegetation_index(codes, lut, nodata)
    return np.take(full, a.view(udt))


def _hist_block(ndvi, vt, n_types, unp):
    """Histogram of one y/x block; ``ndvi``: list of the block's month chunks."""
    return K.ndvi_histogram(ndvi, vt, n_types, unp)[None, None]


def _unknown_block(vt):
    """Number of pixels of the block whose land-cover code is not in the table."""
    return np.full((1, 1), np.count_nonzero(vt == INDEX_UNKNOWN), dtype=np.int64)


def _casa_block(
    ndvi,
    tmp,
    pre,
    sol,
    vt,
    *,
    unp,
    eps_max,
    nmin,
    nmax,
    other,
    nep_all,
    scalars,
    monthly,
    out_dtype,
):
    """Kernel on one y/x block; the monthly inputs are lists of the block's month chunks,
    handed to the kernel as views (no concatenation)."""
    ny, nx = vt.shape
    out = np.empty((3, ny, nx), dtype=out_dtype)
    out_m = np.empty((3, 12, ny, nx) if monthly else (3, 1, 1, 1), dtype=out_dtype)
    K.casa_serial(
        K.months(ndvi),
        K.months(tmp),
        K.months(pre),
        K.months(sol),
        tuple(K.unpack_spec(row) for row in unp),
        vt,
        eps_max,
        nmin,
        nmax,
        other,
        nep_all,
        scalars,
        out,
        out_m,
        monthly,
    )
    if monthly:
        return np.concatenate([out, out_m.reshape(36, ny, nx)], axis=0)
    return out


def _as_month_yx(arr, name: str):
    import xarray as xr

    if not isinstance(arr, xr.DataArray):
        raise InputError(
            f"{name} must be an xarray.DataArray with dims (month, y, x)",
            where=name,
            fix="open the rasters with ecozone.inputs.rasters",
        )
    if set(arr.dims) != {"month", "y", "x"}:
        raise InputError(
            f"{name} has dims {arr.dims}; expected (month, y, x)",
            where=name,
            fix="name the dimensions month, y, x",
        )
    return arr.transpose("month", "y", "x")


def casa_year(
    ndvi,
    temperature,
    precipitation,
    radiation,
    landcover,
    params: CarbonParams | None = None,
    monthly: bool = False,
    *,
    landcover_nodata: float | None = None,
    extremes: pd.DataFrame | None = None,
    dtype="float32",
    chunks: int | tuple[int, int] | None = None,
):
    """Annual NPP, Rh and NEP of one year on any grid, lazily in chunks.

    Parameters
    ----------
    ndvi, temperature, precipitation, radiation:
        ``xarray.DataArray`` (month, y, x), 12 months: NDVI (−), T (°C),
        P (mm month-1), SOL (MJ m-2 month-1). Dask-backed arrays keep their
        y/x chunks (all inputs are rechunked to NDVI's; month chunks are kept
        as they are); NumPy-backed arrays are chunked by ``chunks`` (default
        1024). Integer arrays are packed values: value = ``scale_factor`` ·
        raw + ``add_offset`` in float32, NaN where raw equals ``_FillValue``
        (or ``nodata``); float arrays are used as they are (any scale
        attributes are taken as already applied).
    landcover:
        ``xarray.DataArray`` (y, x) of class codes of the legend
        ``params.landcover_classes``; ``landcover_nodata`` (default: the
        array's ``_FillValue``/``nodata``) and NaN mark nodata.
    params:
        :class:`~ecozone.carbon.params.CarbonParams` (defaults of METHODS §2).
    monthly:
        Also return ``npp_monthly``, ``rh_monthly``, ``nep_monthly`` (month, y, x).
    extremes:
        A table from an earlier run's ``extremes`` to skip the NDVI pre-pass.
    dtype:
        dtype of the output rasters (computation is float64).

    Returns
    -------
    xarray.Dataset with lazy ``npp``, ``rh``, ``nep`` (y, x) in gC m-2 yr-1
    (NaN where an input is NaN or the land cover is nodata; 0 on
    non-vegetated classes when ``nep_on = "vegetated"``), and the eager
    per-type table used (dim ``vegetation_type``: ``epsilon_max``,
    ``ndvi_min``, ``ndvi_max``, ``ndvi_extremes_source``, ``ndvi_count``);
    ``attrs["notes"]`` names vegetation types whose data extremes fell back to
    the table.
    Compute the output variables together (``dask.compute`` or one
    ``Dataset.compute()``/write) so each chunk runs the kernel once.

    Raises
    ------
    ParameterError
        A land-cover code is not in the land-cover table.
    InputError
        Shapes or dimensions do not match.
    """
    import dask
    import dask.array as da
    import xarray as xr

    params = params or CarbonParams()
    tables = CasaTables(params)
    arrays = {
        "ndvi": _as_month_yx(ndvi, "ndvi"),
        "temperature": _as_month_yx(temperature, "temperature"),
        "precipitation": _as_month_yx(precipitation, "precipitation"),
        "radiation": _as_month_yx(radiation, "radiation"),
    }
    if not isinstance(landcover, xr.DataArray) or set(landcover.dims) != {"y", "x"}:
        raise InputError(
            "landcover must be an xarray.DataArray with dims (y, x)",
            where="landcover",
            fix="open the land-cover raster with ecozone.inputs.rasters",
        )
    landcover = landcover.transpose("y", "x")
    _check_shapes({k: v.shape for k, v in arrays.items()}, landcover.shape)
    if landcover_nodata is None:
        landcover_nodata = _nodata_of(landcover)

    ny, nx = landcover.shape
    base = arrays["ndvi"].data
    if isinstance(base, da.Array):
        ych, xch = base.chunks[1], base.chunks[2]
    elif isinstance(landcover.data, da.Array):
        ych, xch = landcover.data.chunks
    else:
        cy, cx = (
            (chunks, chunks)
            if isinstance(chunks, int)
            else (chunks or (DEFAULT_CHUNK, DEFAULT_CHUNK))
        )
        ych, xch = da.core.normalize_chunks((cy, cx), (ny, nx))

    def to_dask3(a):
        # months keep their chunks: each block task gets the month chunks as a list
        # (blockwise, concatenate=False), never one (12, rows, cols) copy
        d = (
            a.data
            if isinstance(a.data, da.Array)
            else da.from_array(np.asarray(a.data), chunks=(12, ych, xch))
        )
        return d.rechunk({1: ych, 2: xch})

    d = {k: to_dask3(v) for k, v in arrays.items()}
    unp = np.stack([_unpack_of(arrays[k], k) for k in MONTHLY_VARS])
    lc = (
        landcover.data
        if isinstance(landcover.data, da.Array)
        else da.from_array(np.asarray(landcover.data))
    )
    lc = lc.rechunk((ych, xch))
    vt = lc.map_blocks(_vt_block, tables.lut, landcover_nodata, dtype=np.int8)
    nby, nbx = len(ych), len(xch)

    # ---- eager pre-pass: land-cover codes (+ NDVI histogram for data extremes)
    n_unknown = vt.map_blocks(_unknown_block, dtype=np.int64, chunks=((1,) * nby, (1,) * nbx)).sum()
    todo = [n_unknown]
    want_hist = extremes is None and params.casa.ndvi_extremes == "data"
    if want_hist:
        n_types = len(tables.types)
        hist = da.blockwise(
            _hist_block,
            "yxkb",
            d["ndvi"],
            "myx",
            vt,
            "yx",
            n_types,
            None,
            unp[0],
            None,
            new_axes={"k": n_types, "b": K.HIST_BINS},
            adjust_chunks={"y": 1, "x": 1},
            concatenate=False,
            dtype=np.int64,
        ).sum(axis=(0, 1))
        todo.append(hist)
    done = dask.compute(*todo)
    if done[0]:
        # codes not in the table: name them (error path only)
        unknown = np.unique(lc[vt == INDEX_UNKNOWN].compute())
        check_landcover_codes(unknown, tables.landcover, params.landcover_classes, landcover_nodata)
    if extremes is None:
        extremes = _extremes_from_hist(tables, done[1] if want_hist else None)

    # ---- the chunked pass
    nout = 3 + (36 if monthly else 0)
    eps_max, nmin, nmax, other, nep_all, scalars = tables.kernel_args(extremes)
    out = da.blockwise(
        _casa_block,
        "oyx",
        d["ndvi"],
        "myx",
        d["temperature"],
        "myx",
        d["precipitation"],
        "myx",
        d["radiation"],
        "myx",
        vt,
        "yx",
        new_axes={"o": nout},
        concatenate=False,
        dtype=np.dtype(dtype),
        name="casa-"
        + dask.base.tokenize(
            d["ndvi"],
            d["temperature"],
            d["precipitation"],
            d["radiation"],
            vt,
            unp,
            extremes.to_json(),
            params.model_dump_json(),
            monthly,
            str(dtype),
        ),
        unp=unp,
        eps_max=eps_max,
        nmin=nmin,
        nmax=nmax,
        other=other,
        nep_all=nep_all,
        scalars=scalars,
        monthly=monthly,
        out_dtype=np.dtype(dtype),
    )
    coords = {}
    for src in (arrays["ndvi"], landcover):
        coords.update(
            {c: src.coords[c] for c in src.coords if set(src.coords[c].dims) <= {"y", "x"}}
        )
    units = "gC m-2 yr-1"
    data_vars = {
        name: xr.DataArray(
            out[i],
            dims=("y", "x"),
            coords=coords,
            attrs={"units": units, "long_name": _LONG_NAMES[name]},
        )
        for i, name in enumerate(OUTPUT_VARS)
    }
    if monthly:
        month = (
            arrays["ndvi"].coords["month"] if "month" in arrays["ndvi"].coords else np.arange(1, 13)
        )
        for j, name in enumerate(OUTPUT_VARS):
            data_vars[f"{name}_monthly"] = xr.DataArray(
                out[3 + 12 * j : 15 + 12 * j],
                dims=("month", "y", "x"),
                coords={**coords, "month": month},
                attrs={"units": "gC m-2 month-1", "long_name": "monthly " + _LONG_NAMES[name]},
            )
    vt_coord = {"vegetation_type": extremes["vegetation_type"].to_numpy()}
    for col, name, unit in (
        ("epsilon_max", "epsilon_max", "gC MJ-1"),
        ("ndvi_min", "ndvi_min", "1"),
        ("ndvi_max", "ndvi_max", "1"),
        ("extremes_source", "ndvi_extremes_source", ""),
        ("count", "ndvi_count", "pixel-months"),
    ):
        data_vars[name] = xr.DataArray(
            extremes[col].to_numpy(),
            dims="vegetation_type",
            coords=vt_coord,
            attrs={"units": unit} if unit else {},
        )
    return xr.Dataset(
        data_vars,
        attrs={
            "method": "improved CASA (ecozone METHODS 2.1-2.2)",
            "ndvi_extremes": params.casa.ndvi_extremes,
            "nep_on": params.nep_on,
            "landcover_classes": params.landcover_classes,
            "notes": "; ".join(extremes_notes(extremes, params.casa.ndvi_extremes_min_count)),
        },
    )


def extremes_of(ds) -> pd.DataFrame:
    """The per-type table (ε_max, NDVI extremes) of a :func:`casa_year` result, as a DataFrame."""
    return pd.DataFrame(
        {
            "vegetation_type": ds["vegetation_type"].values,
            "epsilon_max": ds["epsilon_max"].values,
            "ndvi_min": ds["ndvi_min"].values,
            "ndvi_max": ds["ndvi_max"].values,
            "extremes_source": ds["ndvi_extremes_source"].values,
            "count": ds["ndvi_count"].values,
        }
    )


def _unpack_of(arr, name: str) -> np.ndarray:
    """Unpacking row of a monthly DataArray: integer arrays are unpacked with their CF
    attributes ``scale_factor``, ``add_offset`` and ``_FillValue`` (or ``nodata``).

    Float arrays are taken as unpacked whatever their attributes say (xarray
    carries ``scale_factor`` over to the result of ``raw * scale_factor``).
    """
    a = arr.attrs
    if np.dtype(arr.dtype).kind not in "iu":
        return K.unpack_params()
    return _unpack_row(
        arr.dtype,
        a.get("scale_factor", 1.0),
        a.get("add_offset", 0.0),
        _nodata_of(arr) if np.dtype(arr.dtype).kind in "iu" else None,
        where=name,
    )


def _nodata_of(arr):
    for key in ("_FillValue", "nodata", "missing_value"):
        if key in arr.attrs and arr.attrs[key] is not None:
            return arr.attrs[key]
        if key in arr.encoding and arr.encoding[key] is not None:
            return arr.encoding[key]
    try:
        nd = arr.rio.nodata  # rioxarray accessor, when imported
    except Exception:
        nd = None
    return nd
