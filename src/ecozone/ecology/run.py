"""The ecology analysis wired to the inputs (METHODS §4.1–4.5, §4.7).

For every year (``[ecology] years``, default all) on ``landcover_fine``
where the study gives it, else ``landcover`` (``[ecology] landcover``),
optionally aggregated by ``[ecology] coarsen``:

1. ecological land from the class groups → MSPA → core patches ≥
   ``min_core_km2`` → dPC ranking → sources (the top share, or ``n_sources``,
   or dPC ≥ ``dpc_min``) plus the polygons of ``[layers] sources`` and
   ``reserves``;
2. resistance from the class table (× the NDVI correction when asked);
3. per source one cost-distance run: adjacency of the cost-allocation
   zones, least-cost distances and paths, the NLCC mosaic, gravity; the
   circuit current over the adjacent pairs; pinch points; Barrier Mapper
   scores; break points where least-cost paths cross ``[layers] roads,
   railways`` or built-up cells;
4. α, β, γ, PC, IIC and ECA of every unit of every level.

Scale: the grid is cut into windows (``window_cells``, read with a halo of
``halo_cells``) that run independently — as dask tasks, in batches of the
scheduler's workers, so memory is bounded by a batch of windows whatever
the grid. Two passes: sources first (each window keeps the sources whose
first cell lies in its core and burns them into one label raster), then
corridors on that label raster (each window sees the sources of its halo
too). A corridor found by several windows is kept from the window owning
its first source. With one window (a grid up to ``window_cells + 2 ×
halo_cells`` on a side) the result is that of the whole grid.

Tables: ``ecology_sources``, ``ecology_corridors`` (also a line layer),
``ecology_nodes`` (a point layer), ``ecology_network``; rasters
``mspa_{year}``, ``resistance_{year}``, ``corridors_{year}``,
``current_{year}``, ``barriers_{year}`` (float32; see docs/ecology.md).
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ecozone.analysis import AnalysisResult, Inputs
from ecozone.ecology.network import (
    break_nodes,
    coarsen_classes,
    link_sources,
    ndvi_correction,
    network_metrics,
    patch_nodes,
    point_distances,
    resistance_surface,
    select_sources,
)
from ecozone.ecology.params import EcologyParams
from ecozone.errors import InputError, ParameterError
from ecozone.grid import Grid
from ecozone.inputs import rasters as rinputs
from ecozone.landcover import NODATA_TYPE, SCHEMES, codes_of, load_classes
from ecozone.params import data_path

NODATA = -1  # class sentinel of a window after reading (raster nodata and nodata classes)
RASTERS = {
    "mspa": ("MSPA class (GuidosToolbox codes)", "class"),
    "resistance": ("resistance", "-"),
    "corridors": ("normalised least-cost corridor", "resistance x m"),
    "current": ("cumulative current density", "A"),
    "barriers": ("Barrier Mapper improvement score", "-"),
}
USER_LAYERS = ("sources", "reserves")
LINE_LAYERS = (("roads", "road"), ("railways", "railway"))


# -- set-up ------------------------------------------------------------------------------------


def _landcover_var(inp: Inputs, p: EcologyParams) -> str:
    rs = inp.rasters
    fine = bool(rs.paths.get("landcover_fine"))
    if p.landcover == "landcover_fine" and not fine:
        raise ParameterError(
            "[ecology] landcover = 'landcover_fine' but the study gives no [rasters] landcover_fine",
            where=f"{inp.study.source}, key 'ecology.landcover'",
            fix="add [rasters] landcover_fine or use landcover = \"auto\"",
        )
    if p.landcover == "landcover":
        return "landcover"
    return "landcover_fine" if fine else "landcover"


def _years(inp: Inputs, p: EcologyParams) -> list[int]:
    years = list(inp.study.study.years)
    if p.years is None:
        return years
    bad = [y for y in p.years if y not in years]
    if bad:
        raise ParameterError(f"[ecology] years {bad} are not study years {years}",
                             where=f"{inp.study.source}, key 'ecology.years'",
                             fix="name years of [study] years, or remove the key")
    return [y for y in years if y in p.years]


def load_resistance(spec: Path | None, classes: pd.DataFrame, scheme: str, where: str) -> tuple[pd.Series, Path]:
    """Resistance per land-cover code from a resistance table (METHODS §4.2).

    Parameters
    ----------
    spec : Path or None
        The table (``[ecology] resistance``): CSV with ``code, resistance`` or
        ``group, resistance``. None: the shipped
        ``params/ecology_resistance_<scheme>.csv``, or for a class table given
        as a path ``params/ecology_resistance_groups.csv``.
    classes : pandas.DataFrame
        The study's class table (:func:`ecozone.landcover.load_classes`): a
        table keyed by ``group`` is expanded to the codes of each group.
    scheme : str
        ``[landcover] classes`` (a scheme name or a path).
    where : str
        Where the table is named, for messages.

    Returns
    -------
    resistance : pandas.Series
        Resistance (dimensionless, > 0; 1 = easiest) indexed by class code.
    path : Path
        The table read.

    Raises
    ------
    ParameterError
        A missing or unreadable table, missing columns, a resistance that is
        not a number > 0 (the row is named) or a code that is not an integer.
    """
    if spec is None:
        s = str(scheme).lower()
        path = data_path(f"ecology_resistance_{s}.csv" if s in SCHEMES else "ecology_resistance_groups.csv")
    else:
        path = Path(spec)
    try:
        t = pd.read_csv(path, skipinitialspace=True)
    except FileNotFoundError:
        raise ParameterError("resistance table not found", where=f"{path} ({where})",
                             fix="give an existing CSV with columns code, resistance (or group, resistance)") from None
    except Exception as e:  # noqa: BLE001 - parser errors vary
        raise ParameterError(f"resistance table cannot be read as CSV: {e}", where=f"{path} ({where})",
                             fix="save it as UTF-8 CSV") from None
    key = "code" if "code" in t.columns else ("group" if "group" in t.columns else None)
    if key is None or "resistance" not in t.columns:
        raise ParameterError(f"resistance table has columns {list(t.columns)}", where=f"{path} ({where})",
                             fix="give columns code, resistance (or group, resistance)")
    r = pd.to_numeric(t["resistance"], errors="coerce")
    bad = t.index[~(r > 0)].tolist()
    if bad:
        raise ParameterError(f"resistance {t['resistance'][bad[0]]!r} is not a number > 0",
                             where=f"{path}, row {bad[0] + 2}", fix="give every class a resistance > 0 (1 = easiest)")
    if key == "code":
        codes = pd.to_numeric(t["code"], errors="coerce")
        badc = t.index[codes.isna() | (codes != codes.round())].tolist()
        if badc:
            raise ParameterError(f"code {t['code'][badc[0]]!r} is not an integer", where=f"{path}, row {badc[0] + 2}",
                                 fix="give the land cover's integer codes")
        return pd.Series(r.to_numpy(), index=codes.astype(np.int64).to_numpy()), path
    by_group = dict(zip(t["group"].astype(str).str.strip().str.lower(), r, strict=True))
    out = {int(c): by_group[g] for c, g in zip(classes["code"], classes["group"], strict=True) if g in by_group}
    return pd.Series(out, dtype=float), path


def _grid_cellsize(grid: Grid, var: str) -> float:
    if grid.is_geographic:
        raise InputError(
            f"the {var} raster is in degrees: cost distances and areas need metres",
            where=f"[rasters] {var}",
            fix="warp it to a projected CRS with square cells in metres (e.g. gdalwarp -t_srs "
            "'+proj=aea +lat_1=25 +lat_2=47 +lon_0=105 +datum=WGS84' -tr 30 30)",
        )
    a, e = abs(grid.transform.a), abs(grid.transform.e)
    if not math.isclose(a, e, rel_tol=1e-6):
        raise InputError(f"the {var} raster's cells are not square ({a:g} × {e:g})", where=f"[rasters] {var}",
                         fix="warp it to square cells: gdalwarp -tr SIZE SIZE")
    unit = grid.crs.axis_info[0].unit_conversion_factor if grid.crs.axis_info else 1.0
    return a * unit


@dataclass(frozen=True)
class _Window:
    index: int
    core: tuple[int, int, int, int]  # r0, r1, c0, c1 (ecology grid cells)
    ext: tuple[int, int, int, int]

    @property
    def ext_shape(self) -> tuple[int, int]:
        return self.ext[1] - self.ext[0], self.ext[3] - self.ext[2]

    def core_in_ext(self) -> tuple[slice, slice]:
        return (slice(self.core[0] - self.ext[0], self.core[1] - self.ext[0]),
                slice(self.core[2] - self.ext[2], self.core[3] - self.ext[2]))


def windows(shape: tuple[int, int], size: int, halo: int) -> list[_Window]:
    """Processing windows over a grid.

    Parameters
    ----------
    shape : (rows, cols)
        Grid shape, cells.
    size : int
        Side of a window's core, cells: the cores tile the grid row by row.
    halo : int
        Cells read around each core (the extent, clipped to the grid).

    Returns
    -------
    list of windows
        ``index`` (row-major), ``core`` and ``ext`` as (r0, r1, c0, c1) cell
        ranges. A grid that fits in one window with its halo (each side ≤
        size + 2 halo) is one window whose core and extent are the grid.
    """
    rows, cols = shape
    if rows <= size + 2 * halo and cols <= size + 2 * halo:
        return [_Window(0, (0, rows, 0, cols), (0, rows, 0, cols))]
    out = []
    for r0 in range(0, rows, size):
        for c0 in range(0, cols, size):
            r1, c1 = min(r0 + size, rows), min(c0 + size, cols)
            out.append(_Window(len(out), (r0, r1, c0, c1), (max(0, r0 - halo), min(rows, r1 + halo),
                                                          max(0, c0 - halo), min(cols, c1 + halo))))
    return out


class _Layers:
    """The vector layers of the analysis in the ecology grid's CRS, burnt window by window."""

    def __init__(self, inp: Inputs, crs, units):
        self.user, self.user_origin = [], []
        for name in USER_LAYERS:
            if name in inp.layers:
                g = inp.layers[name].to_crs(crs).geometry.to_numpy()
                self.user += list(g)
                self.user_origin += [name] * len(g)
        self.lines = {what: inp.layers[name].to_crs(crs).geometry.to_numpy()
                      for name, what in LINE_LAYERS if name in inp.layers}
        self.red = inp.layers["red_lines"].to_crs(crs).geometry.to_numpy() if "red_lines" in inp.layers else None
        fin = units.of_level(units.finest_level)
        self.unit_ids = fin["unit_id"].astype(str).to_numpy()
        self.units = fin.to_crs(crs).geometry.to_numpy()
        self._cache: dict = {}
        self._cached_bytes = 0

    #: burnt windows kept for the next years up to this many bytes (many windows: burnt again each year)
    CACHE_BYTES = 256 * 2**20

    def burnt(self, name: str, transform, shape) -> np.ndarray | None:
        """A layer burnt onto a window (cached up to :attr:`CACHE_BYTES`: the same windows serve every year).

        ``units``: finest unit index (−1 outside); ``user``: feature index + 1;
        ``red``: 1 inside red lines; a line layer's name: 1 on the cells it touches.
        """
        key = (name, tuple(transform)[:6], tuple(shape))
        if key not in self._cache:
            if name == "units":
                got = self.burn(self.units, transform, shape, values=np.arange(len(self.units)), fill=-1)
            elif name == "user":
                got = self.burn(self.user, transform, shape, values=np.arange(1, len(self.user) + 1))
            elif name == "red":
                got = self.burn(self.red, transform, shape, dtype="uint8")
            else:
                b = self.burn(self.lines[name], transform, shape, all_touched=True, dtype="uint8")
                got = None if b is None else b.astype(bool)
            size = got.nbytes if got is not None else 0
            if self._cached_bytes + size > self.CACHE_BYTES:
                return got
            self._cache[key] = got
            self._cached_bytes += size
        return self._cache[key]

    def unit_at(self, grid: Grid, rows, cols) -> list:
        """Finest unit id holding each cell centre (None outside every unit)."""
        import shapely

        t = grid.transform
        pts = shapely.points(t.c + t.a * (np.asarray(cols, float) + 0.5), t.f + t.e * (np.asarray(rows, float) + 0.5))
        out = [None] * len(pts)
        if not len(pts) or not len(self.units):
            return out
        pi, ui = shapely.STRtree(self.units).query(pts, predicate="within")
        for i, u in zip(pi, ui, strict=True):
            if out[i] is None:
                out[i] = str(self.unit_ids[u])
        return out

    @staticmethod
    def burn(geoms, transform, shape, *, values=None, all_touched=False, fill=0, dtype="int32"):
        from rasterio.features import rasterize

        if geoms is None or not len(geoms):
            return None
        vals = values if values is not None else np.ones(len(geoms), int)
        shapes = [(g, int(v)) for g, v in zip(geoms, vals, strict=True) if g is not None and not g.is_empty]
        if not shapes:
            return np.full(shape, fill, dtype)
        return rasterize(shapes, out_shape=shape, transform=transform, fill=fill, all_touched=all_touched,
                         dtype=dtype)


# -- reading a window -------------------------------------------------------------------------------


class _Reader:
    """Reads windows of the land cover (and NDVI) of one year on the ecology grid."""

    def __init__(self, inp: Inputs, var: str, year: int, p: EcologyParams, nodata_codes: list[int]):
        self.da = rinputs.open_classes(inp.study, inp.rasters, var, year)
        self.src: Grid = self.da.attrs["grid"]
        self.f = p.coarsen
        nd = [int(self.da.attrs["nodata"])] if self.da.attrs.get("nodata") is not None else []
        self.nodata = sorted(set(nd) | set(nodata_codes))
        t = self.src.transform
        from affine import Affine

        self.grid = Grid(self.src.crs, Affine(t.a * self.f, t.b, t.c, t.d, t.e * self.f, t.f),
                         -(-self.src.height // self.f), -(-self.src.width // self.f))
        self.ndvi = None
        if "ndvi" in p.corrections:
            if not inp.rasters.paths.get("ndvi"):
                raise ParameterError("[ecology] corrections = [\"ndvi\"] needs [rasters] ndvi",
                                     where=f"{inp.study.source}, key 'ecology.corrections'",
                                     fix="add the NDVI rasters or remove \"ndvi\" from the corrections")
            self.ndvi = rinputs.open_monthly(inp.study, inp.rasters, "ndvi", year).mean("month", skipna=True)
            self.ref: Grid = inp.rasters.grid

    def transform(self, w: _Window):
        from affine import Affine

        return self.grid.transform @ Affine.translation(w.ext[2], w.ext[0])

    def classes(self, w: _Window) -> np.ndarray:
        """Class codes of the window's extent on the ecology grid (int32; NODATA where no data)."""
        R0, R1, C0, C1 = w.ext
        f = self.f
        r0, r1 = R0 * f, min(R1 * f, self.src.height)
        c0, c1 = C0 * f, min(C1 * f, self.src.width)
        raw = np.asarray(self.da.isel(y=slice(r0, r1), x=slice(c0, c1)).values)
        if raw.dtype.kind == "f":
            bad = ~np.isfinite(raw)
            raw = np.where(bad, NODATA, raw)
        a = raw.astype(np.int64)
        a[np.isin(a, self.nodata)] = NODATA
        if f > 1:
            full = np.full(((R1 - R0) * f, (C1 - C0) * f), NODATA, np.int64)
            full[: a.shape[0], : a.shape[1]] = a
            a = coarsen_classes(full, f, [NODATA])
        return a.astype(np.int32)

    def ndvi_window(self, w: _Window) -> np.ndarray | None:
        """The year's mean NDVI on the window's extent (bilinear, or the average of finer cells)."""
        if self.ndvi is None:
            return None
        from rasterio.enums import Resampling
        from rasterio.warp import reproject, transform_bounds

        shape = w.ext_shape
        dst_t = self.transform(w)
        left, top = dst_t.c, dst_t.f
        right, bottom = left + dst_t.a * shape[1], top + dst_t.e * shape[0]
        bl, bb, br, bt = transform_bounds(self.grid.crs, self.ref.crs, left, bottom, right, top, densify_pts=21)
        inv = ~self.ref.transform
        cols = sorted([(inv * (bl, bt))[0], (inv * (br, bb))[0]])
        rows = sorted([(inv * (bl, bt))[1], (inv * (br, bb))[1]])
        c0, c1 = max(0, int(np.floor(cols[0])) - 2), min(self.ref.width, int(np.ceil(cols[1])) + 2)
        r0, r1 = max(0, int(np.floor(rows[0])) - 2), min(self.ref.height, int(np.ceil(rows[1])) + 2)
        out = np.full(shape, np.nan, np.float32)
        if c1 <= c0 or r1 <= r0:
            return out
        src = np.asarray(self.ndvi.isel(y=slice(r0, r1), x=slice(c0, c1)).values, dtype=np.float32)
        from affine import Affine

        src_t = self.ref.transform @ Affine.translation(c0, r0)
        coarser = abs(dst_t.a) > abs(self.ref.transform.a) * 1.5 and self.grid.crs == self.ref.crs
        reproject(src, out, src_transform=src_t, src_crs=self.ref.crs, dst_transform=dst_t,
                  dst_crs=self.grid.crs, src_nodata=np.nan, dst_nodata=np.nan,
                  resampling=Resampling.average if coarser else Resampling.bilinear)
        return out


# -- the two passes over the windows -------------------------------------------------------------


def _anchors(labels: np.ndarray) -> dict[int, int]:
    """First cell (row-major flat index in the array) of every label > 0."""
    flat = labels.ravel()
    idx = np.flatnonzero(flat)
    if not idx.size:
        return {}
    lab = flat[idx]
    order = np.argsort(lab, kind="stable")
    lab, idx = lab[order], idx[order]
    first = np.r_[True, lab[1:] != lab[:-1]]
    return dict(zip(lab[first].tolist(), idx[first].tolist(), strict=True))


def _boundary(mask: np.ndarray) -> np.ndarray:
    """Cells of ``mask`` with a 4-neighbour outside it (or on the array's edge)."""
    from scipy import ndimage as ndi

    return mask & ~ndi.binary_erosion(mask, border_value=0)


def _pass1(w: _Window, cls: np.ndarray, ndvi, user, red, units, *, p: EcologyParams, eco_codes, res_table,
           cellsize: float, grid_shape: tuple[int, int]) -> dict:
    """Sources of one window: the MSPA core region and the sources it owns (cells, stats, boundaries)."""
    nd = cls == NODATA
    eco = np.isin(cls, eco_codes) & ~nd
    res = None
    if p.distance == "cost":
        res = _resistance(cls, ndvi, res_table)
    src = select_sources(
        eco, nd, cellsize, edge_width=p.edge_width, core_structure=p.core_structure, connect=p.connect,
        min_core_km2=p.min_core_km2, dpc_top_share=p.dpc_top_share, n_sources=p.n_sources, dpc_min=p.dpc_min,
        distance=p.distance, distance_m=p.distance_m, p_at_distance=p.p_at_distance, resistance=res,
        user_labels=user[0] if user is not None else None, user_origin=user[1] if user is not None else None,
    )
    lab = src.labels
    core = w.core_in_ext()
    height, width = lab.shape
    anchors = _anchors(lab)
    owned = []
    for s, a in anchors.items():
        r, c = divmod(a, width)
        if core[0].start <= r < core[0].stop and core[1].start <= c < core[1].stop:
            owned.append(s)
    rows = []
    keep = np.zeros(lab.shape, np.int32)
    from scipy import ndimage as ndi

    objs = ndi.find_objects(lab)
    for k, s in enumerate(owned, start=1):
        sl = objs[s - 1]
        m = lab[sl] == s
        keep[sl][m] = k
        rr, cc = np.nonzero(m)
        rr, cc = rr + sl[0].start, cc + sl[1].start
        # cut: the source reaches an edge of the extent that is not the grid's edge
        cut = ((sl[0].start == 0 and w.ext[0] > 0) or (sl[1].start == 0 and w.ext[2] > 0)
               or (sl[0].stop == height and w.ext[1] < grid_shape[0])
               or (sl[1].stop == width and w.ext[3] < grid_shape[1]))
        bnd = _boundary(m)
        br, bc = np.nonzero(bnd)
        info = src.table.iloc[s - 1]
        unit = -1
        if units is not None:
            u = units[sl][m]
            u = u[u >= 0]
            if u.size:
                unit = int(np.bincount(u).argmax())
        red_share = np.nan
        if red is not None:
            red_share = float(red[sl][m].mean())
        rows.append({
            "local": k, "origin": info["origin"], "feature": int(info["feature"]), "area_km2": info["area_km2"],
            "dpc": info["dpc"], "dpc_intra": info["dpc_intra"], "dpc_flux": info["dpc_flux"],
            "dpc_connector": info["dpc_connector"], "rank": info["rank"], "unit": unit, "redline_share": red_share,
            "row": float(rr.mean()) + w.ext[0], "col": float(cc.mean()) + w.ext[2],
            "boundary": np.column_stack([br + sl[0].start + w.ext[0], bc + sl[1].start + w.ext[2]]).astype(np.int32),
            "cut": bool(cut),
        })
    n_cand = int(len(src.candidates))
    return {"window": w.index, "mspa": src.mspa[core], "owned": keep, "sources": rows, "candidates": n_cand}


def _resistance(cls: np.ndarray, ndvi, res_table: pd.Series) -> np.ndarray:
    r = resistance_surface(cls, res_table, nodata=[NODATA])
    if ndvi is not None:
        r = ndvi_correction(r, ndvi)
    return r


def _pass2(w: _Window, cls: np.ndarray, labels: np.ndarray, ndvi, lines: dict, *, p: EcologyParams, res_table,
           built_codes, cellsize: float) -> dict:
    """Corridors, circuits, barriers and nodes of one window (labels: global source ids)."""
    res = _resistance(cls, ndvi, res_table)
    lab = np.where(np.isfinite(res), labels, 0).astype(np.int64)
    links = link_sources(res, lab, cellsize, connect=p.connect, cutoff=p.corridor_cutoff,
                         circuit_domain=p.circuit_domain, tol=p.circuit_tol, radii_cells=p.barrier_radius_cells)
    core = w.core_in_ext()
    corridor = np.isfinite(links.nlcc)
    masks = {**lines, "built": np.isin(cls, built_codes) if len(built_codes) else None}
    breaks = break_nodes(links.paths, masks)
    pinch = patch_nodes(links.current, corridor & (lab == 0), p.pinch_share, p.connect)
    barrier = patch_nodes(links.barriers, links.barriers > 0, p.barrier_share, p.connect)

    def in_core(df):
        ok = ((df["row"] >= core[0].start) & (df["row"] < core[0].stop) & (df["col"] >= core[1].start)
              & (df["col"] < core[1].stop))
        out = df[ok].copy()
        out["row"] += w.ext[0]
        out["col"] += w.ext[2]
        return out

    cur_at = links.current
    if len(breaks):
        breaks = breaks.assign(score=cur_at[breaks["row"].to_numpy(), breaks["col"].to_numpy()])
    paths = {k: v + np.array([w.ext[0], w.ext[2]], np.int64) for k, v in links.paths.items()}
    nan = ~np.isfinite(res)

    def f32(a, fill_nan=None):
        a = a.astype(np.float32)
        if fill_nan is not None:
            a[fill_nan] = np.nan
        return a[core]

    return {
        "window": w.index, "corridors": links.table, "paths": paths,
        "breaks": breaks.assign(row=breaks["row"] + w.ext[0], col=breaks["col"] + w.ext[2]) if len(breaks) else breaks,
        "pinch": in_core(pinch), "barrier": in_core(barrier),
        "resistance": f32(res), "corridors_r": f32(np.where(corridor, links.nlcc, np.nan)),
        "current": f32(links.current, nan), "barriers": f32(links.barriers, nan),
    }


def _compute(tasks: list) -> list:
    """Run independent window tasks with dask (the run's scheduler: threads, or a distributed client)."""
    import dask

    return list(dask.compute(*tasks)) if len(tasks) > 1 else [t.compute() for t in tasks]


def _batch_size() -> int:
    import dask

    n = dask.config.get("num_workers", None)
    return max(1, int(n) if n else (os.cpu_count() or 1))


# -- the analysis ---------------------------------------------------------------------------------


def run(inp: Inputs, rep) -> AnalysisResult:
    """Run the ecology analysis on a study's inputs (the module docstring says how).

    Parameters
    ----------
    inp : Inputs
        The study's validated inputs (``[ecology]`` parameters in ``inp.study.ecology``).
    rep : SilentReporter
        Receives the steps (one per year and pass) and their progress.

    Returns
    -------
    AnalysisResult
        Tables ``ecology_sources``, ``ecology_corridors`` (line layer),
        ``ecology_nodes`` (point layer), ``ecology_network``; rasters
        ``mspa_<year>``, ``resistance_<year>``, ``corridors_<year>``,
        ``current_<year>``, ``barriers_<year>`` (float32, backed by scratch
        files deleted after the store wrote them).
    """
    st = inp.study
    p: EcologyParams = st.ecology
    notes: list[str] = []
    var = _landcover_var(inp, p)
    years = _years(inp, p)
    classes = load_classes(st.landcover.classes)
    eco_codes = codes_of(classes, p.eco_groups)
    built_codes = codes_of(classes, ["built"])
    nodata_codes = [int(c) for c in classes.loc[classes["vegetation_type"] == NODATA_TYPE, "code"]]
    res_path = st.resolve(p.resistance) if p.resistance is not None else None
    res_table, res_file = load_resistance(res_path, classes, st.landcover.classes,
                                          f"{st.source}, key 'ecology.resistance'")
    scratch = Path(tempfile.mkdtemp(prefix="ecozone-ecology-"))
    try:
        frames = {k: [] for k in ("sources", "corridors", "nodes", "network")}
        rasters = {}
        layers: dict = {}  # the vector layers burnt per window, shared by the years (one per grid CRS)
        for y in years:
            got = _year(inp, p, var, y, eco_codes, built_codes, nodata_codes, res_table, scratch, rep, notes,
                        layers)
            for k in frames:
                if len(got[k]):
                    frames[k].append(got[k])
            rasters.update(got["rasters"])
        shipped = "the shipped table " if res_path is None else ""
        notes.append(f"ecology: resistance from {shipped}{res_file.name}"
                     + (" × the NDVI correction" if "ndvi" in p.corrections else "")
                     + f"; network on {var}" + (f" aggregated × {p.coarsen}" if p.coarsen > 1 else ""))
        tables = {
            "ecology_sources": _concat(frames["sources"], SOURCE_COLUMNS),
            "ecology_corridors": _geo_concat(frames["corridors"], CORRIDOR_COLUMNS, inp),
            "ecology_nodes": _geo_concat(frames["nodes"], NODE_COLUMNS, inp),
            "ecology_network": _concat(frames["network"], NETWORK_COLUMNS),
        }
        res = AnalysisResult(tables=tables, rasters=rasters, notes=notes)
        res.scratch.append(scratch)
        return res
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise


SOURCE_COLUMNS = ["year", "source_id", "area_km2", "unit_id", "dpc", "dpc_intra", "dpc_flux", "dpc_connector",
                  "rank", "origin", "redline_share", "window", "x", "y"]
CORRIDOR_COLUMNS = ["year", "source_a", "source_b", "lcd", "length_m", "gravity", "important", "resistance"]
NODE_COLUMNS = ["year", "node_id", "kind", "x", "y", "score", "cells", "what", "source_a", "source_b", "unit_id"]
NETWORK_COLUMNS = ["level", "unit_id", "year", "n_sources", "n_corridors", "alpha", "beta", "gamma", "pc", "iic",
                   "eca"]


def _concat(frames: list, cols: list[str]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
    return pd.concat(frames, ignore_index=True)[cols]


def _geo_concat(frames: list, cols: list[str], inp: Inputs):
    import geopandas as gpd

    if not frames:
        return gpd.GeoDataFrame({c: pd.Series([], dtype=object) for c in cols}, geometry=gpd.GeoSeries([], crs=4326))
    g = pd.concat([f.to_crs(4326) for f in frames], ignore_index=True)
    return gpd.GeoDataFrame(g[cols], geometry=g.geometry.to_numpy(), crs=4326)


def _open_raster(path: Path, grid: Grid, name: str, year: int, chunk: int):
    import rioxarray

    da = rioxarray.open_rasterio(path, chunks={"band": 1, "y": chunk, "x": chunk}, masked=False, lock=False)
    da = da.isel(band=0, drop=True)
    long_name, units = RASTERS[name]
    da.attrs = {"grid": grid, "units": units, "long_name": f"{long_name} {year}"}
    return da


def _new_raster(path: Path, grid: Grid, dtype: str, nodata):
    import rasterio

    return rasterio.open(path, "w", driver="GTiff", width=grid.width, height=grid.height, count=1, dtype=dtype,
                         crs=grid.crs.to_wkt(), transform=grid.transform, nodata=nodata, tiled=True,
                         blockxsize=256, blockysize=256, compress="deflate", BIGTIFF="IF_SAFER")


def _year(inp, p, var, year, eco_codes, built_codes, nodata_codes, res_table, scratch, rep, notes,
          layer_cache: dict) -> dict:
    import dask
    import rasterio
    from rasterio.windows import Window

    reader = _Reader(inp, var, year, p, nodata_codes)
    grid = reader.grid
    cellsize = _grid_cellsize(reader.src, var) * p.coarsen
    key = grid.crs.to_wkt()
    if key not in layer_cache:
        layer_cache[key] = _Layers(inp, grid.crs, inp.units)
    layers = layer_cache[key]
    # a grid of up to 16 M cells keeps its classes between the two passes (int32: 64 MB at most)
    keep_classes = grid.height * grid.width <= 16_000_000
    read: dict[int, np.ndarray] = {}
    wins = windows(grid.shape, p.window_cells, p.halo_cells)
    batch = _batch_size()
    paths = {n: scratch / f"{n}_{year}.tif" for n in RASTERS}
    lab_path = scratch / f"sources_{year}.tif"
    src_rows: list[dict] = []
    owner: dict[int, int] = {}
    what = f"ecology {year}: sources ({len(wins)} window{'s' if len(wins) > 1 else ''}, {grid.height:,} × " \
           f"{grid.width:,} cells of {cellsize:g} m)"

    def inputs1(w):
        cls = reader.classes(w)
        if keep_classes:
            read[w.index] = cls
        t = reader.transform(w)
        shape = w.ext_shape
        user = (layers.burnt("user", t, shape), layers.user_origin) if layers.user else None
        red = layers.burnt("red", t, shape) if layers.red is not None else None
        units = layers.burnt("units", t, shape)
        ndvi = reader.ndvi_window(w) if p.distance == "cost" else None
        return cls, ndvi, user, red, units

    with rep.step(what, total=len(wins)) as s:
        for path, dtype, nodata in ((paths["mspa"], "float32", np.nan), (lab_path, "int32", 0)):
            _new_raster(path, grid, dtype, nodata).close()
        next_id = 0
        for k in range(0, len(wins), batch):
            part = wins[k : k + batch]
            tasks = []
            for w in part:
                cls, ndvi, user, red, units = inputs1(w)
                tasks.append(dask.delayed(_pass1)(w, cls, ndvi, user, red, units, p=p, eco_codes=eco_codes,
                                                  res_table=res_table, cellsize=cellsize, grid_shape=grid.shape))
            for w, got in zip(part, _compute(tasks), strict=True):
                r0, r1, c0, c1 = w.core
                R0, R1, C0, C1 = w.ext
                with rasterio.open(paths["mspa"], "r+") as dst:
                    dst.write(got["mspa"].astype(np.float32), 1, window=Window(c0, r0, c1 - c0, r1 - r0))
                if got["sources"]:
                    ids = np.zeros(len(got["sources"]) + 1, np.int32)
                    for row in got["sources"]:
                        next_id += 1
                        ids[row["local"]] = next_id
                        owner[next_id] = w.index
                        src_rows.append({**row, "source_id": next_id, "window": w.index})
                    with rasterio.open(lab_path, "r+") as dst:
                        win = Window(C0, R0, C1 - C0, R1 - R0)
                        cur = dst.read(1, window=win)
                        own = got["owned"] > 0
                        cur[own] = ids[got["owned"][own]]
                        dst.write(cur, 1, window=win)
                s.advance(1)
    n_cut = sum(1 for r in src_rows if r["cut"])
    if n_cut:
        notes.append(f"ecology {year}: {n_cut} source(s) reach beyond their window's halo and are cut at it "
                     f"([ecology] halo_cells = {p.halo_cells})")
    if layers.user:
        placed = {r["feature"] for r in src_rows if r["origin"] != "mspa"}
        lost = len(layers.user) - len(placed)
        if lost:
            notes.append(f"ecology {year}: {lost} polygon(s) of [layers] sources / reserves hold no cell of their "
                         "own (smaller than a cell, outside the grid, or inside a core source): not sources")
    outside = sum(1 for r in src_rows if r["unit"] < 0)
    if outside:
        notes.append(f"ecology {year}: {outside} source(s) lie outside every unit: in no unit's network")
    if not src_rows:
        notes.append(f"ecology {year}: no source (no MSPA core patch of at least {p.min_core_km2:g} km² and no "
                     "[layers] sources / reserves polygon): no corridor, node or network")

    # -- pass 2: corridors, circuits, barriers, nodes
    corridor_rows, break_rows, pinch_rows, barrier_rows = [], [], [], []
    paths_of: dict[tuple[int, int], tuple[int, np.ndarray]] = {}
    with rep.step(f"ecology {year}: corridors, circuits, barriers", total=len(wins)) as s:
        for n in ("resistance", "corridors", "current", "barriers"):
            _new_raster(paths[n], grid, "float32", np.nan).close()
        for k in range(0, len(wins), batch):
            part = wins[k : k + batch]
            tasks = []
            for w in part:
                cls = read.pop(w.index) if w.index in read else reader.classes(w)
                t = reader.transform(w)
                R0, R1, C0, C1 = w.ext
                with rasterio.open(lab_path) as src:
                    labels = src.read(1, window=Window(C0, R0, C1 - C0, R1 - R0))
                ndvi = reader.ndvi_window(w)
                lines = {what_: layers.burnt(what_, t, w.ext_shape) for what_ in layers.lines}
                tasks.append(dask.delayed(_pass2)(w, cls, labels, ndvi, lines, p=p, res_table=res_table,
                                                  built_codes=built_codes, cellsize=cellsize))
            for w, got in zip(part, _compute(tasks), strict=True):
                r0, r1, c0, c1 = w.core
                win = Window(c0, r0, c1 - c0, r1 - r0)
                for n, key in (("resistance", "resistance"), ("corridors", "corridors_r"), ("current", "current"),
                               ("barriers", "barriers")):
                    with rasterio.open(paths[n], "r+") as dst:
                        dst.write(got[key], 1, window=win)
                t = got["corridors"]
                for row in t.itertuples(index=False):
                    a, b = int(row.source_a), int(row.source_b)
                    prio = 0 if owner.get(a) == w.index else (1 if owner.get(b) == w.index else 2)
                    corridor_rows.append((prio, w.index, row._asdict()))
                    if (a, b) in got["paths"]:
                        paths_of.setdefault((w.index, a, b), got["paths"][(a, b)])
                if len(got["breaks"]):
                    break_rows.append(got["breaks"].assign(window=w.index))
                if len(got["pinch"]):
                    pinch_rows.append(got["pinch"])
                if len(got["barrier"]):
                    barrier_rows.append(got["barrier"])
                s.advance(1)

    with rep.step(f"ecology {year}: network metrics per unit"):
        sources = _source_table(src_rows, layers, grid, year)
        corridors = _corridor_table(corridor_rows, paths_of, grid, year)
        nodes = _node_table(pinch_rows, barrier_rows, break_rows, corridors, grid, layers, year)
        network = _network_table(inp, p, sources, src_rows, corridors, cellsize, year)
    rasters = {f"{n}_{year}": _open_raster(paths[n], grid, n, year, inp.study.compute.chunk_size) for n in RASTERS}
    return {"sources": sources, "corridors": corridors, "nodes": nodes, "network": network, "rasters": rasters}


# -- tables -------------------------------------------------------------------------------------------


def _to_lonlat(grid: Grid, rows, cols) -> tuple[np.ndarray, np.ndarray]:
    from pyproj import Transformer

    t = grid.transform
    x = t.c + t.a * (np.asarray(cols, float) + 0.5)
    y = t.f + t.e * (np.asarray(rows, float) + 0.5)
    if not len(x):
        return x, y
    tr = Transformer.from_crs(grid.crs, "EPSG:4326", always_xy=True)
    return tr.transform(x, y)


def _source_table(rows: list[dict], layers: _Layers, grid: Grid, year: int) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame(columns=SOURCE_COLUMNS)
    df = pd.DataFrame([{k: v for k, v in r.items() if k != "boundary"} for r in rows])
    lon, lat = _to_lonlat(grid, df["row"], df["col"])
    df["x"], df["y"] = lon, lat
    df["unit_id"] = [layers.unit_ids[u] if u >= 0 else None for u in df["unit"]]
    df["year"] = int(year)
    df["rank"] = pd.array(df["rank"].tolist(), dtype="Int64")
    return df[SOURCE_COLUMNS]


def _line(grid: Grid, cells: np.ndarray):
    import shapely

    t = grid.transform
    x = t.c + t.a * (cells[:, 1] + 0.5)
    y = t.f + t.e * (cells[:, 0] + 0.5)
    if len(x) < 2:
        x, y = np.r_[x, x], np.r_[y, y]
    return shapely.simplify(shapely.linestrings(np.column_stack([x, y])), abs(t.a) * 0.5)


def _corridor_table(rows, paths_of, grid: Grid, year: int):
    import geopandas as gpd

    if not rows:
        return gpd.GeoDataFrame(columns=CORRIDOR_COLUMNS, geometry=gpd.GeoSeries([], crs=grid.crs.to_wkt()))
    best: dict[tuple[int, int], tuple] = {}
    for prio, win, r in rows:
        key = (int(r["source_a"]), int(r["source_b"]))
        if key not in best or (prio, win) < best[key][:2]:
            best[key] = (prio, win, r)
    recs, geoms = [], []
    for key in sorted(best):
        _prio, win, r = best[key]
        recs.append({**r, "window": win})
        cells = paths_of.get((win, *key))
        geoms.append(_line(grid, cells) if cells is not None and len(cells) else None)
    df = pd.DataFrame(recs)
    df["year"] = int(year)
    df["length_m"] = df["length_m"].where(np.isfinite(df["length_m"]))
    df["lcd"] = df["lcd"].where(np.isfinite(df["lcd"]))
    return gpd.GeoDataFrame(df[[*CORRIDOR_COLUMNS, "window"]], geometry=geoms, crs=grid.crs.to_wkt())


def _node_table(pinch, barrier, breaks, corridors, grid: Grid, layers: _Layers, year: int):
    import geopandas as gpd

    parts = []
    for kind, frames in (("pinch", pinch), ("barrier", barrier)):
        if frames:
            f = pd.concat(frames, ignore_index=True).sort_values(["score", "row", "col"], ascending=[False, True, True])
            f["kind"], f["what"], f["source_a"], f["source_b"] = kind, None, pd.NA, pd.NA
            parts.append(f)
    if breaks:
        b = pd.concat(breaks, ignore_index=True)
        keep = corridors[["source_a", "source_b", "window"]] if len(corridors) else None
        if keep is not None:
            b = b.merge(keep, on=["source_a", "source_b", "window"], how="inner")
        else:
            b = b.iloc[0:0]
        b = b.drop_duplicates(["row", "col", "source_a", "source_b"])
        b["kind"] = "break"
        parts.append(b.sort_values(["source_a", "source_b", "step"]))
    if not parts:
        return gpd.GeoDataFrame(columns=NODE_COLUMNS, geometry=gpd.GeoSeries([], crs=4326))
    df = pd.concat(parts, ignore_index=True)
    df["node_id"] = np.arange(1, len(df) + 1)
    df["year"] = int(year)
    lon, lat = _to_lonlat(grid, df["row"], df["col"])
    df["x"], df["y"] = lon, lat
    df["unit_id"] = layers.unit_at(grid, df["row"].to_numpy(), df["col"].to_numpy())
    for c in ("source_a", "source_b"):
        df[c] = pd.array(df[c].tolist(), dtype="Int64")
    df["cells"] = pd.array(df["cells"].tolist(), dtype="Int64")
    return gpd.GeoDataFrame(df[NODE_COLUMNS], geometry=gpd.points_from_xy(lon, lat), crs=4326)


def _network_table(inp: Inputs, p: EcologyParams, sources: pd.DataFrame, src_rows: list[dict], corridors,
                   cellsize: float, year: int) -> pd.DataFrame:
    units = inp.units
    finest = units.finest_level
    bnd = {r["source_id"]: r["boundary"] for r in src_rows}
    area = dict(zip(sources["source_id"], sources["area_km2"], strict=True)) if len(sources) else {}
    unit_of = dict(zip(sources["source_id"], sources["unit_id"], strict=True)) if len(sources) else {}
    pairs = [(int(a), int(b), float(lcd)) for a, b, lcd in
             zip(corridors["source_a"], corridors["source_b"], corridors["lcd"], strict=True)] if len(corridors) else []
    far = p.distance_m * np.log(1e9) / -np.log(p.p_at_distance)
    ids_all = sorted(int(s) for s in area)
    at = {s: i for i, s in enumerate(ids_all)}
    if p.distance == "cost":
        dist = np.full((len(ids_all), len(ids_all)), np.inf)
        np.fill_diagonal(dist, 0.0)
        for a, b, lcd in pairs:
            if a in at and b in at and np.isfinite(lcd):
                dist[at[a], at[b]] = dist[at[b], at[a]] = lcd
    else:  # once for all sources, then a sub-matrix per unit
        dist = point_distances([bnd[s] for s in ids_all], cellsize, max_distance=far)
    rows = []
    for lv in units.levels:
        lvu = units.of_level(lv)
        if lv == finest:
            member = {s: u for s, u in unit_of.items() if u is not None}
        else:
            m = units.membership(lv)
            member = {s: m.get(u, "") for s, u in unit_of.items() if u is not None}
        by_unit: dict[str, list[int]] = {}
        for s, u in member.items():
            if u:
                by_unit.setdefault(str(u), []).append(int(s))
        for uid, a_km2 in zip(lvu["unit_id"].astype(str), lvu["area_km2"], strict=True):
            ids = sorted(by_unit.get(uid, []))
            idx = {s: i for i, s in enumerate(ids)}
            links = [(a, b, lcd) for a, b, lcd in pairs if a in idx and b in idx]
            sub = [at[s] for s in ids]
            d = dist[np.ix_(sub, sub)]
            m = network_metrics([area[s] for s in ids], d, len(links), float(a_km2), p.distance_m, p.p_at_distance)
            rows.append({"level": lv, "unit_id": uid, "year": int(year), **m})
    return pd.DataFrame(rows, columns=NETWORK_COLUMNS)


__all__ = ["load_resistance", "run", "windows"]
