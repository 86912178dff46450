"""Rasters (METHODS §0.3): discover, validate and open lazily on one grid.

Files are found by the study's patterns (``{year}`` and ``{month:02d}`` are
filled in); missing months are reported by name. Every raster is aligned to
the reference grid (the land-cover raster of the first year unless
``[rasters] reference`` names another) — on the fly through a GDAL warped VRT
when its grid differs: bilinear for continuous fields, nearest for classes —
and opened as a dask-backed :class:`xarray.DataArray` read in chunks, so
memory stays bounded whatever the grid. Nodata and scale factors are honoured
(a scale declared in the study file wins over the file's own).
"""

from __future__ import annotations

import calendar
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr

from ecozone.errors import InputError
from ecozone.grid import Grid

# GDAL's default block cache (5 % of RAM) doubles peak memory of a streamed pass
# without speeding it up; 256 MB is plenty for chunked reading (a user's setting wins).
os.environ.setdefault("GDAL_CACHEMAX", "256")

MONTHLY = ("ndvi", "temperature", "precipitation", "radiation")
ANNUAL = ("landcover", "landcover_fine")
#: rasters read on their own grid, never aligned to the reference grid (METHODS §0.3.1)
OWN_GRID = ("landcover_fine",)
#: one file for all years (no {year}), stored under the key (0, 0) of :attr:`RasterSet.paths`
STATIC = ("dem",)
CONTINUOUS = set(MONTHLY) | set(STATIC)

#: plausible ranges after scaling and unit conversion (contract units)
RANGES = {
    "ndvi": (-1.0, 1.0, "NDVI must lie in -1...1"),
    "temperature": (-70.0, 60.0, "monthly mean temperature in °C"),
    "precipitation": (0.0, 3000.0, "monthly precipitation in mm"),
    "radiation": (0.0, 1500.0, "monthly total solar radiation in MJ m-2"),
    "dem": (-500.0, 9000.0, "elevation in metres above sea level"),
}


@dataclass
class RasterSet:
    """The rasters of a study: which files exist for which variable and period."""

    paths: dict[str, dict[tuple[int, int], Path]] = field(default_factory=dict)
    missing: dict[str, list[str]] = field(default_factory=dict)
    grid: Grid | None = None
    reference: Path | None = None
    notes: list[str] = field(default_factory=list)

    def complete(self, var: str) -> bool:
        """All files of ``var`` for every study year are present."""
        return var in self.paths and not self.missing.get(var)

    def files(self) -> list[Path]:
        return [p for d in self.paths.values() for p in d.values()]


def _fill(pattern: str, year: int, month: int | None, where: str = "[rasters]") -> str:
    try:
        if month is None:
            return pattern.format(year=year)
        return pattern.format(year=year, month=month)
    except (KeyError, IndexError, ValueError, AttributeError) as e:
        what = f"unknown field {{{e.args[0]}}}" if isinstance(e, KeyError) else str(e)
        raise InputError(
            f"pattern {pattern!r} cannot be filled ({what})",
            where=where,
            fix="use only {year} and {month:02d} in raster patterns, e.g. \"ndvi/ndvi_{year}_{month:02d}.tif\" "
            "(write a literal brace as {{ or }})",
        ) from None


def discover(study) -> RasterSet:
    """Find the raster files of a study; list missing ones by name (no reading)."""
    rs = RasterSet()
    years = study.study.years
    for var in MONTHLY + ANNUAL:
        spec = study.rasters.spec(var)
        if spec is None:
            continue
        found: dict[tuple[int, int], Path] = {}
        missing: list[str] = []
        for y in years:
            months = range(1, 13) if var in MONTHLY else [0]
            if var in MONTHLY and "{month" not in spec.pattern:
                raise InputError(
                    f"the {var} pattern {spec.pattern!r} has no {{month}} field",
                    where=f"{study.source}, key 'rasters.{var}'",
                    fix="monthly rasters need one file per month: add {month:02d} to the pattern",
                )
            for m in months:
                rel = _fill(spec.pattern, y, m if m else None, f"{study.source}, key 'rasters.{var}'")
                p = study.resolve(rel)
                if p.exists():
                    found[(y, m)] = p
                else:
                    missing.append(rel)
        rs.paths[var] = found
        rs.missing[var] = missing
    for var in STATIC:
        spec = study.rasters.spec(var)
        if spec is None:
            continue
        key = f"{study.source}, key 'rasters.{var}'"
        if "{year" in spec.pattern or "{month" in spec.pattern:
            raise InputError(
                f"the {var} pattern {spec.pattern!r} has a {{year}} or {{month}} field",
                where=key,
                fix=f"{var} is one file for all years: give its path, e.g. {var} = \"rasters/{var}.tif\"",
            )
        rel = _fill(spec.pattern, years[0], None, key)
        p = study.resolve(rel)
        rs.paths[var] = {(0, 0): p} if p.exists() else {}
        rs.missing[var] = [] if p.exists() else [rel]
    ref = study.rasters.reference
    if ref is not None:
        rs.reference = study.resolve(_fill(ref, years[0], 1, f"{study.source}, key 'rasters.reference'"))
    elif rs.paths.get("landcover"):
        rs.reference = rs.paths["landcover"][min(rs.paths["landcover"])]
    else:
        for var in MONTHLY + STATIC:
            if rs.paths.get(var):
                rs.reference = rs.paths[var][min(rs.paths[var])]
                break
    if rs.reference is not None:
        if not rs.reference.exists():
            raise InputError(
                "reference raster not found",
                where=str(rs.reference),
                fix="correct [rasters] reference",
            )
        rs.grid = _grid_of(rs.reference)
    return rs


def _grid_of(path: Path) -> Grid:
    import rasterio

    try:
        with rasterio.open(path) as ds:
            if ds.crs is None:
                raise InputError(
                    "raster has no coordinate reference system",
                    where=str(path),
                    fix="assign one, e.g. `gdal_edit.py -a_srs EPSG:4326 FILE`",
                )
            if ds.transform.b != 0 or ds.transform.d != 0:
                raise InputError(
                    "raster is rotated",
                    where=str(path),
                    fix="warp it to a north-up grid with gdalwarp",
                )
            return Grid.from_rasterio(ds)
    except InputError:
        raise
    except Exception as e:  # noqa: BLE001
        empty = path.is_file() and path.stat().st_size == 0
        raise InputError(
            "the file is empty (0 bytes)" if empty else f"cannot be read as a raster ({e})",
            where=str(path),
            fix="give a GeoTIFF or another raster GDAL reads, complete (copy or download it again if it was cut short)",
        ) from None


def _open_one(path: Path, var: str, grid: Grid, chunks: int | tuple[int, int], spec) -> xr.DataArray:
    """One file as a lazy (y, x) float32/int array on ``grid``, scaled and masked."""
    import rasterio
    import rioxarray
    from rasterio.enums import Resampling
    from rasterio.vrt import WarpedVRT

    src_grid = _grid_of(path)
    cy, cx = chunks if isinstance(chunks, tuple) else (chunks, chunks)
    src = rasterio.open(path)
    file_scale = float(src.scales[0]) if src.scales else 1.0
    file_offset = float(src.offsets[0]) if src.offsets else 0.0
    nodata = src.nodata if src.nodata is not None else spec.nodata
    obj = src
    if src_grid != grid:
        _check_overlap(path, src_grid, grid)
        obj = WarpedVRT(
            src,
            crs=grid.crs.to_wkt(),
            transform=grid.transform,
            width=grid.width,
            height=grid.height,
            resampling=Resampling.bilinear if var in CONTINUOUS else Resampling.nearest,
            src_nodata=nodata,
            nodata=nodata,
        )
    da = rioxarray.open_rasterio(
        obj, chunks={"band": 1, "y": cy, "x": cx}, masked=False, mask_and_scale=False, lock=False
    ).isel(band=0, drop=True)
    if var in CONTINUOUS:
        da = da.astype("float32")
        if nodata is not None:
            da = da.where(da != np.float32(nodata))
        scale = spec.scale_factor if spec.scale_factor != 1.0 or spec.add_offset != 0.0 else file_scale
        offset = spec.add_offset if spec.scale_factor != 1.0 or spec.add_offset != 0.0 else file_offset
        if scale != 1.0 or offset != 0.0:
            da = da * np.float32(scale) + np.float32(offset)
    da = da.assign_coords(x=grid.x_coords(), y=grid.y_coords())
    da.attrs = {"source": str(path)}
    if var not in CONTINUOUS and nodata is not None:
        da.attrs["nodata"] = nodata  # class rasters keep their nodata code
    return da


def _check_overlap(path: Path, src: Grid, ref: Grid) -> None:
    from pyproj import Transformer

    left, bottom, right, top = src.bounds
    tr = Transformer.from_crs(src.crs, ref.crs, always_xy=True)
    xs, ys = tr.transform([left, right, right, left], [bottom, bottom, top, top])
    l2, b2, r2, t2 = ref.bounds
    ix = max(0.0, min(max(xs), r2) - max(min(xs), l2))
    iy = max(0.0, min(max(ys), t2) - max(min(ys), b2))
    share = ix * iy / ((r2 - l2) * (t2 - b2))
    if share < 0.5:
        raise InputError(
            f"grid mismatch: this raster covers only {share:.0%} of the reference grid "
            f"(its bounds {tuple(round(v, 4) for v in src.bounds)} in {src.crs.to_string()[:40]}; "
            f"reference bounds {tuple(round(v, 4) for v in ref.bounds)})",
            where=str(path),
            fix="give rasters covering the study area (check the CRS and georeferencing), or set "
            "[rasters] reference to the grid you mean",
        )


def _units_extent(study, units):
    """(bounds, crs) of the study's units: from ``units`` when given, else from the units file's header."""
    if units is not None:
        frame = getattr(units, "frame", units)
        return tuple(float(v) for v in frame.total_bounds), frame.crs
    import pyogrio

    try:
        info = pyogrio.read_info(study.resolve(study.units.path), layer=study.units.layer, force_total_bounds=True)
    except Exception:  # noqa: BLE001 - an unreadable units file is reported by the units reader
        return None, None
    if info.get("crs") is None or info.get("total_bounds") is None:
        return None, None
    return tuple(float(v) for v in info["total_bounds"]), info["crs"]


def _check_units_covered(study, rs: RasterSet, units) -> list[str]:
    """An error when the reference grid misses most of the units' extent; a note when it misses some."""
    from pyproj import CRS, Transformer

    bounds, crs = _units_extent(study, units)
    if bounds is None or crs is None:
        return []
    grid = rs.grid
    try:
        tr = Transformer.from_crs(CRS.from_user_input(crs), grid.crs, always_xy=True)
        ux0, uy0, ux1, uy1 = tr.transform_bounds(*bounds, densify_pts=21)
    except Exception:  # noqa: BLE001 - units outside the grid CRS's area of use
        ux0 = uy0 = ux1 = uy1 = float("nan")
    if not all(np.isfinite([ux0, uy0, ux1, uy1])):
        share = 0.0
    else:
        gx0, gy0, gx1, gy1 = grid.bounds
        ix = max(0.0, min(ux1, gx1) - max(ux0, gx0))
        iy = max(0.0, min(uy1, gy1) - max(uy0, gy0))
        area = max(ux1 - ux0, 1e-12) * max(uy1 - uy0, 1e-12)
        share = min(1.0, ix * iy / area)
    shown = tuple(round(v, 4) for v in bounds)
    if share < 0.5:
        raise InputError(
            f"the rasters do not cover the units: the reference grid ({rs.reference.name}, bounds "
            f"{tuple(round(v, 4) for v in grid.bounds)} in {grid.crs.to_string()[:40]}) covers "
            f"{share:.0%} of the units' extent (bounds {shown})",
            where=str(rs.reference),
            fix="give rasters covering the study area; check their georeferencing and CRS "
            "(`gdalinfo FILE`) and the units' CRS, or set [rasters] reference to the grid you mean",
        )
    if share < 0.99:
        return [f"rasters: the reference grid covers {share:.0%} of the units' extent; "
                "the parts of units outside it have no raster values"]
    return []


def _convert_unit(
    da: xr.DataArray, var: str, unit: str | None, year: int, month: int, where: str | None = None
) -> xr.DataArray:
    if unit is None:
        return da
    u = unit.strip().lower().replace(" ", "")
    if var == "temperature" and u in ("k", "kelvin"):
        return da - np.float32(273.15)
    if var == "temperature" and u in ("c", "°c", "degc", "celsius"):
        return da
    if var == "radiation" and u in ("wm-2", "w/m2", "w/m^2"):
        seconds = calendar.monthrange(year, month)[1] * 86400.0
        return da * np.float32(seconds / 1e6)
    if var == "radiation" and u in ("mjm-2", "mj/m2", "mjm-2month-1"):
        return da
    if var == "radiation" and u in ("0.1mjm-2", "0.1mj/m2"):
        return da * np.float32(0.1)
    if var == "precipitation" and u in ("mm", "mm/month"):
        return da
    if var == "precipitation" and u in ("0.1mm",):
        return da * np.float32(0.1)
    if var == "dem" and u in ("m", "metre", "metres", "meter", "meters"):
        return da
    if var == "dem" and u in ("ft", "foot", "feet"):
        return da * np.float32(0.3048)
    raise InputError(
        f"unknown unit {unit!r} declared for {var}",
        where=where or f"[rasters] {var}.unit",
        fix={
            "temperature": "use 'C' or 'K'",
            "radiation": "use 'MJ m-2' (monthly total) or 'W m-2' (monthly mean flux)",
            "precipitation": "use 'mm' or '0.1 mm'",
            "dem": "use 'm' or 'ft' (converted to metres)",
        }.get(var, "remove the unit"),
    )


def open_monthly(study, rs: RasterSet, var: str, year: int, *, packed: bool = False) -> xr.DataArray:
    """The 12 months of ``var`` in ``year`` as a lazy (month, y, x) DataArray, a chunk per month.

    Values are in the contract's units (METHODS §0.3): float32, NaN where nodata.
    With ``packed=True``, integer files on the reference grid whose months share
    one linear map to those units (scale factor, offset, unit conversion) are
    returned as their raw integers with CF attributes ``scale_factor``,
    ``add_offset`` and ``_FillValue`` (value = raw · scale_factor + add_offset
    in float32), for consumers that unpack inside their kernel (the CASA pass):
    half the bytes of float32 and no unpacking pass. Anything else falls back
    to float32.
    """
    if rs.grid is None:
        raise InputError("no reference raster", where="[rasters]", fix="add a landcover pattern")
    spec = study.rasters.spec(var)
    chunks = study.compute.chunk_size
    paths = []
    for m in range(1, 13):
        p = rs.paths[var].get((year, m))
        if p is None:
            raise InputError(
                f"{var} of {year}-{m:02d} is missing",
                where=_fill(spec.pattern, year, m),
                fix="add the file or remove the year from [study] years",
            )
        paths.append(p)
    packing = _common_packing(paths, var, spec, year, rs.grid) if packed else None
    layers = []
    for m, p in enumerate(paths, start=1):
        if packing is not None:
            layers.append(_open_raw(p, rs.grid, chunks))
        else:
            da = _open_one(p, var, rs.grid, chunks, spec)
            layers.append(_convert_unit(da, var, spec.unit, year, m))
    # one chunk per month: the CASA kernel takes the months as a list of blocks (no concatenation copy)
    out = xr.concat(layers, dim=xr.Variable("month", np.arange(1, 13)))
    out.name = var
    out.attrs = {"pattern": spec.pattern, "year": year, "grid": rs.grid}
    if packing is not None:
        out.attrs.update(packing)
    return out


def _linear_unit(var: str, unit: str | None, year: int, month: int) -> tuple[float, float]:
    """(a, b) with value_in_contract_units = a · value_as_declared + b (:func:`_convert_unit`)."""
    probe = xr.DataArray(np.array([0.0, 1.0], dtype=np.float64))
    y0, y1 = (float(v) for v in _convert_unit(probe, var, unit, year, month).values)
    return y1 - y0, y0


def _common_packing(paths: list[Path], var: str, spec, year: int, grid: Grid) -> dict | None:
    """CF packing attributes shared by the 12 monthly files, or None when they cannot be packed.

    Packed when every file is an integer raster on the reference grid (no
    resampling) and every month maps its integers to the contract's units by
    the same scale and offset (a W m-2 radiation differs by month: not packed).
    """
    import rasterio

    rows = set()
    for m, p in enumerate(paths, start=1):
        if _grid_of(p) != grid:
            return None
        with rasterio.open(p) as src:
            if np.dtype(src.dtypes[0]).kind not in "iu":
                return None
            declared = spec.scale_factor != 1.0 or spec.add_offset != 0.0
            scale = spec.scale_factor if declared else (float(src.scales[0]) if src.scales else 1.0)
            offset = spec.add_offset if declared else (float(src.offsets[0]) if src.offsets else 0.0)
            nodata = src.nodata if src.nodata is not None else spec.nodata
        a, b = _linear_unit(var, spec.unit, year, m)
        rows.add((np.float32(a * scale).item(), np.float32(a * offset + b).item(), nodata))
    if len(rows) != 1:
        return None
    scale, offset, nodata = rows.pop()
    return {"scale_factor": scale, "add_offset": offset, "_FillValue": nodata}


def _open_raw(path: Path, grid: Grid, chunks: int) -> xr.DataArray:
    """One file's raw values as a lazy (y, x) array on ``grid`` (already on it: no warping)."""
    import rioxarray

    da = rioxarray.open_rasterio(
        path, chunks={"band": 1, "y": chunks, "x": chunks}, masked=False, mask_and_scale=False, lock=False
    ).isel(band=0, drop=True)
    da = da.assign_coords(x=grid.x_coords(), y=grid.y_coords())
    da.attrs = {"source": str(path)}
    return da


def open_landcover(study, rs: RasterSet, year: int) -> xr.DataArray:
    """Land-cover class codes of ``year`` as a lazy (y, x) integer DataArray on the grid."""
    spec = study.rasters.spec("landcover")
    p = rs.paths["landcover"].get((year, 0))
    if p is None:
        raise InputError(
            f"landcover of {year} is missing",
            where=_fill(spec.pattern, year, None),
            fix="add the file or remove the year from [study] years",
        )
    da = _open_one(p, "landcover", rs.grid, study.compute.chunk_size, spec)
    da.name = "landcover"
    return da


def open_classes(study, rs: RasterSet, var: str, year: int, *, rows: int | None = None) -> xr.DataArray:
    """Class codes of ``var`` in ``year`` as a lazy (y, x) integer DataArray, read in row stripes.

    ``landcover`` is on the reference grid (warped with nearest neighbour
    when its file is not); ``landcover_fine`` (METHODS §0.3.1) stays on its
    own grid, never resampled. ``attrs["grid"]`` is the :class:`Grid` the
    array is on, ``attrs["nodata"]`` the class nodata code (when declared).
    With ``rows``, the chunks are ``rows`` full-width rows (for consumers
    that stream row stripes, e.g. landscape metrics); otherwise
    ``[compute] chunk_size`` squares.
    """
    if var not in ANNUAL:
        raise InputError(f"{var} is not a class raster", where=f"[rasters] {var}",
                         fix=f"use one of {', '.join(ANNUAL)}")
    spec = study.rasters.spec(var)
    p = rs.paths.get(var, {}).get((year, 0))
    if spec is None or p is None:
        raise InputError(
            f"{var} of {year} is missing",
            where=_fill(spec.pattern, year, None) if spec is not None else f"[rasters] {var}",
            fix=f"add the file (or the [rasters] {var} pattern) or remove the year from [study] years",
        )
    grid = _grid_of(p) if var in OWN_GRID else rs.grid
    if grid is None:
        raise InputError("no reference raster", where="[rasters]", fix="add a landcover pattern")
    chunks = (int(rows), grid.width) if rows else study.compute.chunk_size
    da = _open_one(p, var, grid, chunks, spec)
    da.name = var
    da.attrs["grid"] = grid
    return da


def open_dem(study, rs: RasterSet) -> xr.DataArray:
    """The digital elevation model ``[rasters] dem`` as a lazy (y, x) DataArray on the reference grid.

    Metres above sea level, float32, NaN where nodata; a declared
    ``unit = "ft"`` is converted to metres. A file on another grid is
    resampled bilinearly, like every continuous field (METHODS §0.3).
    ``attrs["grid"]`` is the reference grid.
    """
    spec = study.rasters.spec("dem")
    p = rs.paths.get("dem", {}).get((0, 0))
    if spec is None or p is None:
        raise InputError(
            "no digital elevation model" if spec is None else f"the DEM {spec.pattern!r} is missing",
            where=f"{study.source}, key 'rasters.dem'",
            fix='give [rasters] dem = "rasters/dem.tif" (one file, metres above sea level)',
        )
    if rs.grid is None:
        raise InputError("no reference raster", where="[rasters]", fix="add a landcover pattern")
    da = _open_one(p, "dem", rs.grid, study.compute.chunk_size, spec)
    da = _convert_unit(da, "dem", spec.unit, 0, 0, f"{study.source}, key 'rasters.dem.unit'")
    da.name = "dem"
    da.attrs = {"source": str(p), "units": "m", "grid": rs.grid}
    return da


def cell_size_m(grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """Width and height of the cells of each row of ``grid``, in metres: two arrays (height,).

    Geographic grid: on the CRS's ellipsoid at the row's centre latitude φ,
    width = N(φ)·cos φ·Δλ and height = M(φ)·Δφ with N = a/√(1 − e² sin²φ)
    the prime-vertical and M = a(1 − e²)/(1 − e² sin²φ)^{3/2} the meridional
    radius of curvature (Δλ, Δφ in radians). Projected grid: the cell size in
    the CRS's linear unit converted to metres (distances on the map; a
    regional equal-area or conformal projection keeps them within ~1–2 % of
    the ground distances).
    """
    t = grid.transform
    if grid.is_geographic:
        ellps = grid.crs.ellipsoid
        a, b = ellps.semi_major_metre, ellps.semi_minor_metre
        e2 = 1.0 - (b / a) ** 2
        phi = np.radians(t.f + t.e * (np.arange(grid.height) + 0.5))
        w = np.sqrt(1.0 - e2 * np.sin(phi) ** 2)
        dx = a / w * np.cos(phi) * np.radians(abs(t.a))
        dy = a * (1.0 - e2) / w**3 * np.radians(abs(t.e))
        return np.maximum(dx, 1e-9), dy
    unit = grid.crs.axis_info[0].unit_conversion_factor if grid.crs.axis_info else 1.0
    return np.full(grid.height, abs(t.a) * unit), np.full(grid.height, abs(t.e) * unit)


def _horn_padded(zp: np.ndarray, dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """Slope (degrees) of the inner cells of ``zp`` (h + 2, w + 2); ``dx`` (h + 2,) and ``dy`` (h,) in m."""
    c = zp[1:-1, 1:-1]

    def nb(r: slice, s: slice) -> np.ndarray:  # a missing neighbour takes the centre's value
        v = zp[r, s]
        return np.where(np.isnan(v), c, v)

    top, mid, bot, left, centre, right = slice(None, -2), slice(1, -1), slice(2, None), slice(None, -2), \
        slice(1, -1), slice(2, None)
    a, b, cc = nb(top, left), nb(top, centre), nb(top, right)
    d, f = nb(mid, left), nb(mid, right)
    g, h, i = nb(bot, left), nb(bot, centre), nb(bot, right)
    gx = ((cc - a) / dx[:-2, None] + 2.0 * (f - d) / dx[1:-1, None] + (i - g) / dx[2:, None]) / 8.0
    gy = ((g + 2.0 * h + i) - (a + 2.0 * b + cc)) / (8.0 * dy[:, None])
    return np.where(np.isnan(c), np.nan, np.degrees(np.arctan(np.hypot(gx, gy))))


def slope_horn(z, dx_m, dy_m) -> np.ndarray:
    """Slope in degrees of an elevation grid by Horn's method (in memory).

    Horn (1981): with the 3 × 3 window a b c / d e f / g h i around each
    cell, ∂z/∂x = ((c + 2f + i) − (a + 2d + g)) / (8 Δx) and ∂z/∂y =
    ((g + 2h + i) − (a + 2b + c)) / (8 Δy); slope = arctan √(∂z/∂x² +
    ∂z/∂y²). When the width Δx differs between the window's rows (a
    geographic grid), each row's difference uses its own width:
    ∂z/∂x = ((c − a)/Δx_top + 2(f − d)/Δx_mid + (i − g)/Δx_bottom) / 8. A
    neighbour outside the grid or missing (NaN) takes the centre cell's value
    (as ``gdaldem slope -compute_edges``); a missing centre gives NaN.

    Parameters
    ----------
    z : array_like, shape (H, W)
        Elevation, m (NaN = missing).
    dx_m, dy_m : float or array_like of shape (H,)
        Cell width and height of each row, m (:func:`cell_size_m`).

    Returns
    -------
    numpy.ndarray of float64, shape (H, W)
        Slope, degrees (0–90).
    """
    z = np.asarray(z, dtype=np.float64)
    rows = z.shape[0]
    dx = np.broadcast_to(np.asarray(dx_m, dtype=np.float64), (rows,))
    dy = np.broadcast_to(np.asarray(dy_m, dtype=np.float64), (rows,))
    zp = np.pad(z, 1, constant_values=np.nan)
    dxp = np.concatenate([dx[:1], dx, dx[-1:]])
    return _horn_padded(zp, dxp, dy)


def slope_degrees(dem: xr.DataArray, grid: Grid) -> xr.DataArray:
    """Slope of a DEM in degrees, lazily: Horn's method (:func:`slope_horn`) per chunk.

    Each chunk is computed with a one-cell halo from its neighbours
    (``dask.array.map_overlap``), with the true cell sizes in metres of its
    rows (:func:`cell_size_m`), so the result does not depend on the
    chunking. ``dem``: elevation in metres on ``grid`` (e.g. :func:`open_dem`).
    Returns a float32 DataArray like ``dem`` (degrees, NaN where the DEM is).
    """
    import dask.array as dsa

    dx, dy = cell_size_m(grid)
    arr = dem.data
    if not isinstance(arr, dsa.Array):
        arr = dsa.from_array(np.asarray(arr), chunks=1024)
    arr = arr.astype(np.float32)
    starts = np.concatenate([[0], np.cumsum(arr.chunks[0])])
    last = grid.height - 1

    def block(zp: np.ndarray, block_id=None) -> np.ndarray:
        rows = np.clip(np.arange(zp.shape[0]) + starts[block_id[0]] - 1, 0, last)
        out = np.full(zp.shape, np.nan, dtype=np.float32)
        out[1:-1, 1:-1] = _horn_padded(zp.astype(np.float64), dx[rows], dy[rows][1:-1])
        return out

    out = dsa.map_overlap(block, arr, depth=1, boundary=np.nan, trim=True, dtype=np.float32)
    return xr.DataArray(out, coords=dem.coords, dims=dem.dims, name="slope",
                        attrs={"units": "degree", "grid": grid})


def _sample(path: Path, max_pixels: int = 4_000_000):
    """The raster's first band, read whole when small, decimated otherwise.

    Returns (array, step, scale, offset, nodata) where ``step`` is the
    decimation factor (1 = exact) and scale/offset/nodata are the file's own.
    """
    import rasterio

    try:
        with rasterio.open(path) as ds:
            n = ds.width * ds.height
            step = max(1, int(np.ceil(np.sqrt(n / max_pixels))))
            out_shape = (max(1, ds.height // step), max(1, ds.width // step))
            arr = ds.read(1, out_shape=out_shape, masked=True)
            scale = float(ds.scales[0]) if ds.scales else 1.0
            offset = float(ds.offsets[0]) if ds.offsets else 0.0
            return arr, step, scale, offset, ds.nodata
    except Exception as e:  # noqa: BLE001 - GDAL's message (often in the cause) is the useful part
        detail = str(e.__cause__ or e).strip().splitlines()[0] if str(e.__cause__ or e).strip() else type(e).__name__
        raise InputError(
            f"the raster's pixels cannot be read: the file is damaged or incomplete ({detail})",
            where=str(path),
            fix="copy or download the file again (`gdalinfo -checksum FILE` tells whether GDAL can read it all)",
        ) from None


def validate_rasters(study, rs: RasterSet, units=None) -> list[str]:
    """Check coverage, ranges and units of every raster file (reading a decimated sample of large ones).

    Parameters
    ----------
    study: the :class:`~ecozone.study.Study`.
    rs: its rasters, from :func:`discover`.
    units: the study's :class:`~ecozone.inputs.units.Units` (or a GeoDataFrame of them), whose
        extent the reference grid must cover; by default the extent of the units file is read.

    Raises :class:`InputError` for the first problem (naming the file and the
    pixel); returns notes (e.g. rasters resampled to the reference grid, a
    grid covering only part of the units).
    """
    notes: list[str] = []
    for var, missing in rs.missing.items():
        if missing:
            shown = ", ".join(missing[:12])
            more = f" and {len(missing) - 12} more" if len(missing) > 12 else ""
            raise InputError(
                f"{len(missing)} {var} file(s) missing: {shown}{more}",
                where=f"{study.source}, key 'rasters.{var}'",
                fix="add the files, correct the pattern, or remove the years that have no data",
            )
    if rs.grid is not None:
        notes += _check_units_covered(study, rs, units)
    for var, files in rs.paths.items():
        spec = study.rasters.spec(var)
        grids_differ = False
        yearly_means: dict[int, list[float]] = {}
        for (year, month), p in sorted(files.items()):
            g = _grid_of(p)
            if rs.grid is not None and g != rs.grid and var not in OWN_GRID:
                _check_overlap(p, g, rs.grid)
                grids_differ = True
            arr, step, file_scale, file_offset, file_nodata = _sample(p)
            if var not in RANGES:
                if not np.ma.count(arr) or (spec.nodata is not None and file_nodata is None
                                            and not np.ma.count(np.ma.masked_equal(arr, spec.nodata))):
                    raise InputError(
                        "raster holds no valid pixel (all nodata)",
                        where=str(p),
                        fix="check the nodata value and the data",
                    )
                continue
            data = arr.astype("float64")
            if spec.nodata is not None and file_nodata is None:
                data = np.ma.masked_equal(data, spec.nodata)
            declared = spec.scale_factor != 1.0 or spec.add_offset != 0.0
            scale, offset = (spec.scale_factor, spec.add_offset) if declared else (file_scale, file_offset)
            data = data * scale + offset
            vals = np.ma.filled(data, np.nan)
            if spec.unit:
                vals = np.asarray(_convert_unit(xr.DataArray(vals.astype("float32")), var, spec.unit, year, month,
                                                f"{study.source}, key 'rasters.{var}.unit'"))
            finite = np.isfinite(vals)
            if not finite.any():
                raise InputError(
                    "raster holds no valid pixel (all nodata)",
                    where=str(p),
                    fix="check the nodata value and the data",
                )
            lo, hi, what = RANGES[var]
            mean = float(np.nanmean(vals))
            if var == "temperature" and mean > 200:
                raise InputError(
                    f"mean temperature {mean:.1f} looks like Kelvin, not °C",
                    where=str(p),
                    fix="declare it with [rasters] temperature = { pattern = ..., unit = \"K\" } "
                    "(converted to °C), or convert the files",
                )
            bad = finite & ((vals < lo) | (vals > hi))
            if bad.any():
                r, c = np.argwhere(bad)[0]
                v = vals[r, c]
                hint = ""
                if var == "ndvi" and np.nanmax(np.abs(vals)) > 1:
                    hint = (
                        "; scaled integers need their factor: [rasters] ndvi = "
                        "{ pattern = ..., scale_factor = 0.0001 }"
                    )
                exact = "" if step == 1 else f" (near; sampled every {step} pixels)"
                raise InputError(
                    f"pixel row {r * step}, col {c * step}{exact}: {var} = {v:g} is outside {lo:g}...{hi:g} "
                    f"({what})",
                    where=str(p),
                    fix=f"check the data, its nodata value and scale factor{hint}",
                )
            yearly_means.setdefault(year, []).append(mean)
        if var == "radiation":
            for year, means in yearly_means.items():
                if len(means) == 12 and float(np.mean(means)) < 200:
                    raise InputError(
                        f"radiation of {year} averages {np.mean(means):.0f} per month: this looks like "
                        "a mean flux in W m-2, not a monthly total in MJ m-2",
                        where=f"{study.source}, key 'rasters.radiation'",
                        fix="declare { pattern = ..., unit = \"W m-2\" } (converted with the month's "
                        "length) or convert the files to MJ m-2 per month",
                    )
        if grids_differ:
            notes.append(f"{var}: resampled on the fly to the reference grid of {rs.reference.name}")
    return notes
