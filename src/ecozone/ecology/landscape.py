"""FRAGSTATS landscape metrics (METHODS §4.5), per landscape or per unit, in one pass.

Class-level metrics (:func:`class_metrics`, :func:`class_metrics_by_zone`)
and landscape-level metrics (:func:`landscape_metrics`,
:func:`landscape_metrics_by_zone`) as FRAGSTATS 4 defines them for
categorical rasters, with its settings spelled out:

- patches are 8-neighbour (queen's case) groups of cells of one class;
- edges are counted on cell sides (4-neighbour adjacencies);
- nodata cells and cells outside the landscape (outside the raster, or
  outside the unit when metrics are computed by zone) are *not* part of the
  landscape: their interface with a class is **not edge** in TE/ED and
  CONTAG, but it **is boundary** in LSI and in patch perimeters (COHESION);
  there is no background class and no border strip.

These settings reproduce the FRAGSTATS tables of the landscapemetrics test
rasters to their printed four decimals (tests/ecology/test_landscape.py).

Definitions
-----------
Notation for one landscape (one zone): ``s`` cell size (m); ``N`` the
number of cells in the landscape, ``A = N s²`` its area (m²); for class
``i``: ``n_i`` cells, ``a_ij`` the cells of its patch ``j``, ``p_ij`` that
patch's perimeter in cell sides (sides facing any cell not of the patch,
nodata or the outside), ``g_ii`` like adjacencies (cell sides shared by two
cells of class ``i``, each counted once), ``te_i`` cell sides shared with a
cell of another class inside the landscape.

=========  ========================================================  ==========
column     class level (class ``i``)                                 unit
=========  ========================================================  ==========
NP         number of patches                                         count
CA         ``n_i s² / 10⁴``                                          ha
PLAND      ``100 n_i / N``                                           %
PD         ``NP / A · 10⁴ · 100``                                    per 100 ha
LPI        ``100 max_j a_ij / N``                                    %
ED         ``te_i s / A · 10⁴``                                      m/ha
LSI        ``e_i / min e_i``; ``e_i = Σ_j p_ij = 4 n_i − 2 g_ii``;   −
           ``min e_i`` the least perimeter of ``n_i`` cells
           (``4m``, ``4m + 2`` or ``4m + 4``, ``m = ⌊√n_i⌋``)
COHESION   ``100 (1 − Σ_j p_ij / Σ_j p_ij √a_ij) / (1 − 1/√N)``      −
AI         ``100 g_ii / max g_ii`` (He et al. 2000; ``max g_ii`` the  %
           most like adjacencies ``n_i`` cells can have)
DIVISION   ``1 − Σ_j (a_ij / N)²``                                   −
SPLIT      ``N² / Σ_j a_ij²``                                        −
=========  ========================================================  ==========

Landscape level: TA (``A / 10⁴``, ha); NP, PD, LPI, DIVISION, SPLIT and
COHESION over all patches of all classes; ED from the edges between
different classes, each counted once (``Σ_i te_i / 2``); LSI
``= E / min e(N)`` with ``E`` those edges plus the landscape boundary (all
cell sides between a landscape cell and a nodata or outside cell or the
raster's border); AI ``= Σ_i P_i AI_i`` (``P_i = n_i / N``); PR the number
of classes ``m``; SHDI ``= −Σ_i P_i ln P_i``; SHEI ``= SHDI / ln m``;
CONTAG ``= 100 [1 + Σ_i Σ_k q_ik ln q_ik / (2 ln m)]`` with
``q_ik = P_i g_ik / Σ_k g_ik`` and ``g_ik`` the cell adjacencies between
classes ``i`` and ``k`` inside the landscape by the double-count method
(like adjacencies counted twice).

Undefined values are NaN, as FRAGSTATS prints them N/A: AI of a class of a
single cell (``max g_ii = 0``); COHESION of a landscape of a single cell;
CONTAG of a landscape with fewer than two classes. SHEI of a landscape of
one class is 0 (no diversity, as FRAGSTATS defines it). In the landscape AI
a one-cell class adds 0; in CONTAG a class whose cells touch no other
landscape cell adds 0.

Zones and memory
----------------
The ``_by_zone`` functions take an integer zone raster on the same grid
(a unit's cells by their centre, e.g. ``rasterio.features.rasterize`` of the
units with ``all_touched=False``). Each zone is its own landscape: cells of
other zones and cells whose zone is negative or ``zone_nodata`` lie outside
it. The results equal calling the single-landscape function on each zone's
masked raster, but all zones are computed in one pass.

The raster is read in row stripes (``stripe_rows`` rows at a time; by
default about a million cells); patches are labelled in each stripe with
a union-find that also merges them with the open patches of the stripe
above; patches that do not reach the stripe's last row are complete and
folded into per-(zone, class) sums. Memory is bounded by the stripe (about
50 bytes per cell of one stripe), the open patches of one row and the
``zones × classes²`` adjacency counts, not by the raster (a 20,000 ×
20,000 raster with 400 zones, fed in stripes of 52 rows, took ~75 MB above
the interpreter's own). Patches are labelled by this union-find rather than
``scipy.ndimage.label``, which labels one binary mask at a time: zones need
"same class *and* same zone" connectivity, and a mask per class would be a
pass per class (the tests check the patches against ``scipy.ndimage.label``).
The array
functions slice ``classes[r0:r1]`` and convert each slice with
``numpy.asarray``, so a ``numpy.memmap``, dask or xarray (file-backed)
array is never loaded whole. To feed windows read from a file yourself, use
:class:`LandscapeAccumulator`::

    acc = LandscapeAccumulator(cellsize=30.0, nodata=0, by_zone=True)
    with rasterio.open(landcover) as lc, rasterio.open(units) as un:
        for r0 in range(0, lc.height, 512):
            win = Window(0, r0, lc.width, min(512, lc.height - r0))
            acc.add(lc.read(1, window=win), un.read(1, window=win))
    per_class = acc.class_metrics()       # index (zone, class)
    per_zone = acc.landscape_metrics()    # index zone

References
----------
McGarigal, K., Cushman, S. A. & Ene, E. (2023). FRAGSTATS v4: Spatial
Pattern Analysis Program for Categorical Maps. University of Massachusetts,
Amherst. https://www.fragstats.org

He, H. S., DeZonia, B. E. & Mladenoff, D. J. (2000). An aggregation index
(AI) to quantify spatial patterns of landscapes. Landscape Ecology 15,
591–601.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import pandas as pd

from ecozone.errors import InputError, ParameterError

__all__ = [
    "CLASS_COLUMNS",
    "LANDSCAPE_COLUMNS",
    "LandscapeAccumulator",
    "class_metrics",
    "class_metrics_by_zone",
    "landscape_metrics",
    "landscape_metrics_by_zone",
]

#: Columns of the class-level tables, in order.
CLASS_COLUMNS = (
    "NP", "CA", "PLAND", "PD", "LPI", "ED", "LSI", "COHESION", "AI", "DIVISION", "SPLIT",
)
#: Entries of the landscape-level series / columns of the by-zone table, in order.
LANDSCAPE_COLUMNS = (
    "TA", "NP", "PD", "LPI", "ED", "LSI", "COHESION", "AI", "DIVISION", "SPLIT",
    "CONTAG", "PR", "SHDI", "SHEI",
)

#: Cells per stripe when ``stripe_rows`` is not given.
STRIPE_CELLS = 1 << 20
#: Largest value range mapped with a lookup table (larger ranges are sorted).
_LUT_RANGE = 1 << 22


# -- kernels ---------------------------------------------------------------------------------


@numba.njit(cache=True, nogil=True)
def _find(parent, i):  # pragma: no cover - compiled
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@numba.njit(cache=True, nogil=True)
def _union(parent, a, b):  # pragma: no cover - compiled
    ra = _find(parent, a)
    rb = _find(parent, b)
    if ra == rb:
        return ra
    if ra < rb:
        parent[rb] = ra
        return ra
    parent[ra] = rb
    return rb


@numba.njit(cache=True, nogil=True)
def _stripe(cls, zone, up_lab, o_area, o_perim, o_zone, o_cls, close_all,
            n_cells, like, adj, n_patch, max_area, sum_a2, sum_perim,
            sum_psa):  # pragma: no cover - compiled
    """Label, count and close the patches of one stripe.

    ``cls`` and ``zone`` are ``(h + 1, w)`` int32: row 0 is the last row of
    the stripe above (all −1 for the first stripe), rows 1… the stripe;
    ``cls`` is −1 outside the landscape. ``up_lab`` holds the open-patch id
    (index into ``o_*``) of every cell of row 0, −1 where none. The per
    (zone, class) sums are updated in place; returns the open-patch ids of
    the stripe's last row and the ``o_*`` arrays of the patches that reach
    it (none when ``close_all``).
    """
    h = cls.shape[0] - 1
    w = cls.shape[1]
    n_open = o_area.shape[0]
    cap = n_open + h * w
    parent = np.empty(cap, np.int64)
    area = np.empty(cap, np.int64)
    perim = np.empty(cap, np.int64)
    pz = np.empty(cap, np.int32)
    pc = np.empty(cap, np.int32)
    for i in range(n_open):
        parent[i] = i
        area[i] = o_area[i]
        perim[i] = o_perim[i]
        pz[i] = o_zone[i]
        pc[i] = o_cls[i]
    nl = n_open
    lab_up = up_lab.copy()
    lab_cur = np.empty(w, np.int64)
    for r in range(1, h + 1):
        for x in range(w):
            k = cls[r, x]
            if k < 0:
                lab_cur[x] = -1
                continue
            z = zone[r, x]
            lab = -1
            likes = 0
            west = False
            north = False
            if x > 0:
                k2 = cls[r, x - 1]
                if k2 >= 0 and zone[r, x - 1] == z:
                    if k2 == k:
                        lab = lab_cur[x - 1]
                        likes += 1
                        west = True
                    else:
                        adj[z, k, k2] += 1
                        adj[z, k2, k] += 1
            k2 = cls[r - 1, x]
            if k2 >= 0 and zone[r - 1, x] == z:
                if k2 == k:
                    likes += 1
                    north = True
                    if lab < 0:
                        lab = lab_up[x]
                    else:
                        lab = _union(parent, lab, lab_up[x])
                else:
                    adj[z, k, k2] += 1
                    adj[z, k2, k] += 1
            # diagonal neighbours join patches but share no side; a diagonal of
            # the same class next to a like west or north cell is joined already
            if not west and not north and x > 0:
                if cls[r - 1, x - 1] == k and zone[r - 1, x - 1] == z:
                    if lab < 0:
                        lab = lab_up[x - 1]
                    else:
                        lab = _union(parent, lab, lab_up[x - 1])
            if not north and x + 1 < w:
                if cls[r - 1, x + 1] == k and zone[r - 1, x + 1] == z:
                    if lab < 0:
                        lab = lab_up[x + 1]
                    else:
                        lab = _union(parent, lab, lab_up[x + 1])
            if lab < 0:
                lab = nl
                parent[nl] = nl
                area[nl] = 0
                perim[nl] = 0
                pz[nl] = z
                pc[nl] = k
                nl += 1
            n_cells[z, k] += 1
            like[z, k] += likes
            area[lab] += 1
            perim[lab] += 4 - 2 * likes
            lab_cur[x] = lab
        lab_up, lab_cur = lab_cur, lab_up

    for i in range(nl):
        root = _find(parent, i)
        if root != i:
            area[root] += area[i]
            perim[root] += perim[i]

    new_id = np.full(nl, -1, np.int64)
    new_lab = np.full(w, -1, np.int64)
    n_new = 0
    if not close_all:
        for x in range(w):
            lab = lab_up[x]
            if lab >= 0:
                root = _find(parent, lab)
                if new_id[root] < 0:
                    new_id[root] = n_new
                    n_new += 1
                new_lab[x] = new_id[root]
    n_area = np.empty(n_new, np.int64)
    n_perim = np.empty(n_new, np.int64)
    n_zone = np.empty(n_new, np.int32)
    n_cls = np.empty(n_new, np.int32)
    for i in range(nl):
        if parent[i] != i:
            continue
        j = new_id[i]
        if j >= 0:
            n_area[j] = area[i]
            n_perim[j] = perim[i]
            n_zone[j] = pz[i]
            n_cls[j] = pc[i]
        else:
            z = pz[i]
            k = pc[i]
            a = area[i]
            p = perim[i]
            n_patch[z, k] += 1
            if a > max_area[z, k]:
                max_area[z, k] = a
            sum_a2[z, k] += a * a
            sum_perim[z, k] += p
            sum_psa[z, k] += p * math.sqrt(a)
    return new_lab, n_area, n_perim, n_zone, n_cls


# -- value → index mapping -------------------------------------------------------------------


@numba.njit(cache=True, nogil=True)
def _scan(values, valid, floats):  # pragma: no cover - compiled
    """Least and greatest valid value, and the flat index of the first non-integer one."""
    h, w = values.shape
    lo = np.int64(0)
    hi = np.int64(-1)
    first = True
    for r in range(h):
        for x in range(w):
            if not valid[r, x]:
                continue
            if floats:
                f = np.float64(values[r, x])
                if not (f - f == 0.0) or f != np.floor(f):
                    return lo, hi, r * w + x
            v = np.int64(values[r, x])
            if first:
                lo = v
                hi = v
                first = False
            elif v < lo:
                lo = v
            elif v > hi:
                hi = v
    return lo, hi, -1


@numba.njit(cache=True, nogil=True)
def _presence(values, valid, lo, size):  # pragma: no cover - compiled
    seen = np.zeros(size, np.bool_)
    h, w = values.shape
    for r in range(h):
        for x in range(w):
            if valid[r, x]:
                seen[np.int64(values[r, x]) - lo] = True
    return seen


@numba.njit(cache=True, nogil=True)
def _apply(values, valid, lo, lut, out):  # pragma: no cover - compiled
    h, w = values.shape
    for r in range(h):
        for x in range(w):
            out[r, x] = lut[np.int64(values[r, x]) - lo] if valid[r, x] else -1


class _Codes:
    """Dense indices 0, 1, … for the distinct values met so far (in order of discovery)."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.values: list[int] = []
        self._index: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self.values)

    def index(self, values: np.ndarray, valid: np.ndarray, out: np.ndarray, row0: int) -> None:
        """Write the index (int32) of every valid value to ``out``, −1 elsewhere."""
        lo, hi, bad = _scan(values, valid, values.dtype.kind == "f")
        if bad >= 0:
            r, x = divmod(int(bad), values.shape[1])
            raise InputError(
                f"{self.what} holds a value that is not an integer code ({values[r, x]!r})",
                where=f"{self.what}, row {row0 + r}, column {x}",
                fix=f"give {self.what} as integer codes (NaN or nodata where there is none)",
            )
        if hi < lo:                                        # no valid cell
            out.fill(-1)
        elif hi - lo < _LUT_RANGE:
            present = np.flatnonzero(_presence(values, valid, lo, hi - lo + 1))
            lut = np.full(hi - lo + 1, -1, np.int32)
            lut[present] = self._register(present + lo)
            _apply(values, valid, lo, lut, out)
        else:
            present, inverse = np.unique(values[valid].astype(np.int64), return_inverse=True)
            out.fill(-1)
            out[valid] = self._register(present)[inverse]

    def _register(self, present: np.ndarray) -> np.ndarray:
        out = np.empty(present.size, np.int32)
        for j, val in enumerate(present.tolist()):
            idx = self._index.get(val)
            if idx is None:
                idx = len(self.values)
                self._index[val] = idx
                self.values.append(val)
            out[j] = idx
        return out


def _check_kind(a: np.ndarray, what: str) -> None:
    if a.dtype.kind not in "biuf":
        raise InputError(
            f"{what} must hold integer codes, not {a.dtype}",
            where=what,
            fix=f"pass {what} as an integer (or float with NaN) array",
        )


def _cellsize(cellsize) -> float:
    try:
        sizes = np.abs(np.atleast_1d(np.asarray(cellsize, dtype=float)))
    except (TypeError, ValueError):
        sizes = np.array([np.nan])
    if sizes.ndim != 1 or sizes.size not in (1, 2) or not np.all(np.isfinite(sizes)) or \
            not np.all(sizes > 0):
        raise ParameterError(
            f"cellsize must be a positive number of metres, got {cellsize!r}",
            where="cellsize",
            fix="pass the cell side in metres (a projected grid)",
        )
    if sizes.size == 2 and not math.isclose(sizes[0], sizes[1], rel_tol=1e-9):
        raise ParameterError(
            f"FRAGSTATS metrics need square cells, got {sizes[0]} × {sizes[1]} m",
            where="cellsize",
            fix="resample the land cover to square cells",
        )
    return float(sizes[0])


# -- accumulator -----------------------------------------------------------------------------


class LandscapeAccumulator:
    """FRAGSTATS metrics of a raster fed in row stripes, top to bottom, for one or many zones.

    Parameters
    ----------
    cellsize : float
        Cell side in metres (square cells; a pair ``(xres, yres)`` of equal
        magnitude is accepted).
    nodata : int or float, optional
        Class value of cells outside the landscape. NaN cells of a float
        raster are always outside.
    by_zone : bool, default False
        Whether :meth:`add` takes a zone raster beside the classes.
    zone_nodata : int, optional
        Zone value of cells outside every zone, besides negative values (and
        NaN of a float zone raster), e.g. 0 for a raster burnt with fill 0.

    Notes
    -----
    Call :meth:`add` with consecutive full-width row stripes (any number of
    rows, same width), then :meth:`class_metrics` and/or
    :meth:`landscape_metrics`; the first of these closes the raster's
    bottom edge, after which no rows can be added. Memory: about 50 bytes per
    cell of the largest stripe, plus the patches open at a stripe's last row,
    plus ``8 · zones · classes²`` bytes of adjacency counts.
    """

    def __init__(self, cellsize, nodata=None, *, by_zone: bool = False, zone_nodata=None):
        self.cellsize = _cellsize(cellsize)
        self.nodata = nodata
        self.by_zone = bool(by_zone)
        self.zone_nodata = zone_nodata
        self._classes = _Codes("classes")
        self._zones = _Codes("zones")
        self._width: int | None = None
        self._rows = 0
        self._closed = False
        self._prev_cls: np.ndarray | None = None
        self._prev_zone: np.ndarray | None = None
        self._prev_lab: np.ndarray | None = None
        self._open = (
            np.empty(0, np.int64), np.empty(0, np.int64),
            np.empty(0, np.int32), np.empty(0, np.int32),
        )
        self._alloc(1, 1)

    # storage of the per (zone, class) sums, grown as zones and classes appear
    def _alloc(self, nz: int, nk: int) -> None:
        old = getattr(self, "_sums", None)
        sums = {
            "n_cells": np.zeros((nz, nk), np.int64),
            "like": np.zeros((nz, nk), np.int64),
            "adj": np.zeros((nz, nk, nk), np.int64),
            "n_patch": np.zeros((nz, nk), np.int64),
            "max_area": np.zeros((nz, nk), np.int64),
            "sum_a2": np.zeros((nz, nk), np.int64),
            "sum_perim": np.zeros((nz, nk), np.int64),
            "sum_psa": np.zeros((nz, nk), np.float64),
        }
        if old is not None:
            oz, ok = old["n_cells"].shape
            for name, arr in old.items():
                if arr.ndim == 2:
                    sums[name][:oz, :ok] = arr
                else:
                    sums[name][:oz, :ok, :ok] = arr
        self._sums = sums

    def _grow(self) -> None:
        nz, nk = self._sums["n_cells"].shape
        need_z, need_k = max(len(self._zones), 1), max(len(self._classes), 1)
        if need_z > nz or need_k > nk:
            self._alloc(max(need_z, 2 * nz if need_z > nz else nz),
                        max(need_k, 2 * nk if need_k > nk else nk))

    def add(self, classes, zones=None) -> None:
        """Add the next row stripe.

        Parameters
        ----------
        classes : array_like, 2-D (rows, width)
            Class codes (integers; floats with integral values and NaN are
            accepted) of the next rows of the raster.
        zones : array_like, 2-D, optional
            Zone ids (integers) of the same cells; required when the
            accumulator was made with ``by_zone=True``, refused otherwise.
        """
        if self._closed:
            raise InputError(
                "rows were added after the metrics were read",
                where="LandscapeAccumulator.add",
                fix="add every stripe first, then read class_metrics() / landscape_metrics()",
            )
        c = np.asarray(classes)
        if c.ndim != 2:
            raise InputError(f"classes must be a 2-D raster, got {c.ndim} dimension(s)",
                             where="classes", fix="pass one band (rows × columns)")
        _check_kind(c, "classes")
        h, w = c.shape
        if self._width is None:
            self._width = w
            self._prev_cls = np.full(w, -1, np.int32)
            self._prev_zone = np.full(w, -1, np.int32)
            self._prev_lab = np.full(w, -1, np.int64)
        elif w != self._width:
            raise InputError(
                f"stripe of width {w} after stripes of width {self._width}",
                where=f"classes, rows {self._rows}…",
                fix="feed full-width row stripes of one raster, top to bottom",
            )
        if c.dtype.kind == "f":
            valid = ~np.isnan(c)
            if self.nodata is not None and not np.isnan(self.nodata):
                valid &= c != self.nodata
        elif self.nodata is not None and not (isinstance(self.nodata, float)
                                              and np.isnan(self.nodata)):
            valid = c != self.nodata
        else:
            valid = np.ones(c.shape, bool)
        if self.by_zone:
            if zones is None:
                raise InputError("zones are missing", where="zones",
                                 fix="pass the zone raster of the same rows")
            zarr = np.asarray(zones)
            if zarr.shape != c.shape:
                raise InputError(
                    f"zones have shape {zarr.shape}, classes {c.shape}",
                    where="zones", fix="give the zones on the grid of the classes",
                )
            _check_kind(zarr, "zones")
            if zarr.dtype.kind == "f":
                valid &= ~np.isnan(zarr)
            valid &= zarr >= 0
            if self.zone_nodata is not None:
                valid &= zarr != self.zone_nodata
        elif zones is not None:
            raise InputError("zones given to an accumulator made without by_zone",
                             where="zones", fix="make it with by_zone=True")
        cls = np.empty((h + 1, w), np.int32)
        zone = np.empty((h + 1, w), np.int32)
        cls[0] = self._prev_cls
        zone[0] = self._prev_zone
        self._classes.index(c, valid, cls[1:], self._rows)
        if self.by_zone:
            self._zones.index(zarr, valid, zone[1:], self._rows)
        else:
            zone[1:] = 0
            if not len(self._zones):
                self._zones._register(np.zeros(1, np.int64))
        self._grow()
        self._run(cls, zone, close_all=False)
        self._rows += h

    def _run(self, cls: np.ndarray, zone: np.ndarray, close_all: bool) -> None:
        s = self._sums
        lab, *self._open = _stripe(
            cls, zone, self._prev_lab, *self._open, close_all,
            s["n_cells"], s["like"], s["adj"], s["n_patch"], s["max_area"], s["sum_a2"],
            s["sum_perim"], s["sum_psa"],
        )
        self._prev_lab = lab
        self._prev_cls = cls[-1].copy()
        self._prev_zone = zone[-1].copy()

    def _close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._width is None:
            return
        self._run(self._prev_cls[None, :].copy(), self._prev_zone[None, :].copy(),
                  close_all=True)

    def _table(self):
        """Per (zone, class) sums of the cells met, zones and classes in value order."""
        self._close()
        nz, nk = len(self._zones), len(self._classes)
        if nz == 0 or nk == 0 or not self._sums["n_cells"][:nz, :nk].any():
            raise InputError(
                "the raster has no landscape cell" + (" inside a zone" if self.by_zone else ""),
                where="classes",
                fix="check nodata" + (", the zone raster and zone_nodata" if self.by_zone else ""),
            )
        zo = np.argsort(np.asarray(self._zones.values, np.int64), kind="stable")
        ko = np.argsort(np.asarray(self._classes.values, np.int64), kind="stable")
        s = {name: (a[:nz, :nk][zo][:, ko] if a.ndim == 2 else a[:nz, :nk, :nk][zo][:, ko][:, :, ko])
             for name, a in self._sums.items()}
        zv = np.asarray(self._zones.values, np.int64)[zo]
        kv = np.asarray(self._classes.values, np.int64)[ko]
        return s, zv, kv

    def class_metrics(self) -> pd.DataFrame:
        """Class-level metrics (columns :data:`CLASS_COLUMNS`, units in the module doc).

        Returns
        -------
        pandas.DataFrame
            Index ``(zone, class)`` when ``by_zone``, else ``class``; one row
            per class present in the landscape (zone).
        """
        s, zv, kv = self._table()
        return _class_frame(s, zv, kv, self.cellsize, self.by_zone)

    def landscape_metrics(self) -> pd.DataFrame:
        """Landscape-level metrics, one row per zone (columns :data:`LANDSCAPE_COLUMNS`).

        Returns
        -------
        pandas.DataFrame
            Index ``zone`` (one row, zone 0, when not ``by_zone``); zones
            without a landscape cell are absent.
        """
        s, zv, _ = self._table()
        return _landscape_frame(s, zv, self.cellsize)


# -- metric formulas -------------------------------------------------------------------------


def _isqrt(n: np.ndarray) -> np.ndarray:
    m = np.floor(np.sqrt(n.astype(np.float64))).astype(np.int64)
    m -= m * m > n
    m += (m + 1) * (m + 1) <= n
    return m


def _min_edge(n: np.ndarray) -> np.ndarray:
    """Least perimeter (cell sides) of ``n ≥ 1`` cells (FRAGSTATS ``min e``)."""
    m = _isqrt(n)
    return np.where(n == m * m, 4 * m, np.where(n <= m * (m + 1), 4 * m + 2, 4 * m + 4))


def _max_like(n: np.ndarray) -> np.ndarray:
    """Most like adjacencies (single count) of ``n ≥ 1`` cells (He et al. 2000)."""
    m = _isqrt(n)
    r = n - m * m
    base = 2 * m * (m - 1)
    return np.where(r == 0, base, np.where(r <= m, base + 2 * r - 1, base + 2 * r - 2))


def _ratio(num, den):
    """num / den, NaN where den is 0 (an undefined metric, documented)."""
    num = np.asarray(num, np.float64)
    den = np.asarray(den, np.float64)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _class_frame(s, zv, kv, cellsize, by_zone) -> pd.DataFrame:
    n = s["n_cells"]
    total = n.sum(axis=1, keepdims=True)                 # cells per zone
    zi, ki = np.nonzero(n)
    nn = n[zi, ki]
    tot = total[zi, 0].astype(np.float64)
    cell_m2 = cellsize * cellsize
    te = s["adj"].sum(axis=2)[zi, ki]
    like = s["like"][zi, ki]
    npatch = s["n_patch"][zi, ki]
    sum_a2 = s["sum_a2"][zi, ki].astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        cohesion_den = 1.0 - 1.0 / np.sqrt(tot)
    data = {
        "NP": npatch,
        "CA": nn * cell_m2 / 1e4,
        "PLAND": 100.0 * nn / tot,
        "PD": npatch / (tot * cell_m2) * 1e6,
        "LPI": 100.0 * s["max_area"][zi, ki] / tot,
        "ED": te * cellsize / (tot * cell_m2) * 1e4,
        "LSI": s["sum_perim"][zi, ki] / _min_edge(nn),
        "COHESION": 100.0 * _ratio(1.0 - s["sum_perim"][zi, ki] / s["sum_psa"][zi, ki],
                                   cohesion_den),
        "AI": 100.0 * _ratio(like, _max_like(nn)),
        "DIVISION": 1.0 - sum_a2 / (tot * tot),
        "SPLIT": tot * tot / sum_a2,
    }
    if by_zone:
        index = pd.MultiIndex.from_arrays([zv[zi], kv[ki]], names=["zone", "class"])
    else:
        index = pd.Index(kv[ki], name="class")
    return pd.DataFrame(data, index=index, columns=list(CLASS_COLUMNS))


def _landscape_frame(s, zv, cellsize) -> pd.DataFrame:
    n = s["n_cells"]
    total = n.sum(axis=1)
    keep = total > 0
    s = {name: a[keep] for name, a in s.items()}
    n = s["n_cells"]
    zv = zv[keep]
    tot = total[keep].astype(np.float64)
    cell_m2 = cellsize * cellsize
    adj = s["adj"]
    te = adj.sum(axis=2)                                   # (zone, class)
    like = s["like"]
    edges = te.sum(axis=1) / 2                             # between classes, once
    boundary = s["sum_perim"].sum(axis=1) - te.sum(axis=1)
    present = n > 0
    pr = present.sum(axis=1)
    p = n / tot[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        ai_class = np.where(present, like / _max_like(np.maximum(n, 1)), 0.0)
        ai_class = np.where(np.isfinite(ai_class), ai_class, 0.0)
        plogp = np.where(present, p * np.log(np.where(present, p, 1.0)), 0.0)
        # CONTAG: g_ik double-counted, like adjacencies twice
        g = adj.astype(np.float64)
        k = np.arange(n.shape[1])
        g[:, k, k] = 2.0 * like
        row = g.sum(axis=2, keepdims=True)
        q = np.where(row > 0, p[:, :, None] * g / np.where(row > 0, row, 1.0), 0.0)
        qlogq = np.where(q > 0, q * np.log(np.where(q > 0, q, 1.0)), 0.0).sum(axis=(1, 2))
        shdi = -plogp.sum(axis=1)
        log_m = np.log(pr.astype(np.float64))
        contag = np.where(pr >= 2, 100.0 * (1.0 + qlogq / (2.0 * np.where(pr >= 2, log_m, 1.0))),
                          np.nan)
        shei = np.where(pr >= 2, shdi / np.where(pr >= 2, log_m, 1.0), 0.0)
        cohesion_den = 1.0 - 1.0 / np.sqrt(tot)
    sum_a2 = s["sum_a2"].sum(axis=1).astype(np.float64)
    npatch = s["n_patch"].sum(axis=1)
    data = {
        "TA": tot * cell_m2 / 1e4,
        "NP": npatch,
        "PD": npatch / (tot * cell_m2) * 1e6,
        "LPI": 100.0 * s["max_area"].max(axis=1) / tot,
        "ED": edges * cellsize / (tot * cell_m2) * 1e4,
        "LSI": (edges + boundary) / _min_edge(total[keep]),
        "COHESION": 100.0 * _ratio(1.0 - s["sum_perim"].sum(axis=1) / s["sum_psa"].sum(axis=1),
                                   cohesion_den),
        "AI": 100.0 * (ai_class * p).sum(axis=1),
        "DIVISION": 1.0 - sum_a2 / (tot * tot),
        "SPLIT": tot * tot / sum_a2,
        "CONTAG": contag,
        "PR": pr,
        "SHDI": shdi,
        "SHEI": shei,
    }
    return pd.DataFrame(data, index=pd.Index(zv, name="zone"), columns=list(LANDSCAPE_COLUMNS))


# -- array API -------------------------------------------------------------------------------


def _stripes(shape, stripe_rows):
    rows, width = shape
    if stripe_rows is None:
        stripe_rows = max(1, STRIPE_CELLS // max(width, 1))
    elif int(stripe_rows) < 1:
        raise ParameterError(f"stripe_rows must be at least 1, got {stripe_rows!r}",
                             where="stripe_rows", fix="pass a positive number of rows")
    stripe_rows = int(stripe_rows)
    return [(r0, min(r0 + stripe_rows, rows)) for r0 in range(0, rows, stripe_rows)]


def _shape(a, what) -> tuple[int, int]:
    shape = tuple(getattr(a, "shape", np.shape(a)))
    if len(shape) != 2:
        raise InputError(f"{what} must be a 2-D raster, got shape {shape}",
                         where=what, fix="pass one band (rows × columns)")
    return shape


def _accumulate(classes, zones, cellsize, nodata, zone_nodata, stripe_rows):
    shape = _shape(classes, "classes")
    acc = LandscapeAccumulator(cellsize, nodata, by_zone=zones is not None,
                               zone_nodata=zone_nodata)
    if zones is not None and _shape(zones, "zones") != shape:
        raise InputError(f"zones have shape {_shape(zones, 'zones')}, classes {shape}",
                         where="zones", fix="give the zones on the grid of the classes")
    for r0, r1 in _stripes(shape, stripe_rows):
        acc.add(classes[r0:r1], None if zones is None else zones[r0:r1])
    return acc


def class_metrics(classes, cellsize, nodata=None, *, stripe_rows=None) -> pd.DataFrame:
    """FRAGSTATS class-level metrics of one landscape.

    Parameters
    ----------
    classes : array_like, 2-D
        Class codes (integers; floats with integral values and NaN are
        accepted). Any array that supports row slicing: numpy, memmap, dask,
        xarray.
    cellsize : float
        Cell side in metres (square cells).
    nodata : int or float, optional
        Class value of cells outside the landscape (NaN always is).
    stripe_rows : int, optional
        Rows processed at a time (default: about a million cells).

    Returns
    -------
    pandas.DataFrame
        Index ``class`` (the raster's codes, ascending); columns NP (count),
        CA (ha), PLAND (%), PD (patches per 100 ha), LPI (%), ED (m/ha),
        LSI (−), COHESION (−, 0–100), AI (%), DIVISION (−, 0–1), SPLIT (−).
        Definitions in the module documentation.

    Raises
    ------
    InputError
        No landscape cell, a non-integer class code, a raster that is not 2-D.
    ParameterError
        A cell size that is not a positive number of metres.
    """
    return _accumulate(classes, None, cellsize, nodata, None, stripe_rows).class_metrics()


def landscape_metrics(classes, cellsize, nodata=None, *, stripe_rows=None) -> pd.Series:
    """FRAGSTATS landscape-level metrics of one landscape.

    Parameters
    ----------
    classes, cellsize, nodata, stripe_rows
        As :func:`class_metrics`.

    Returns
    -------
    pandas.Series
        TA (ha), NP (count), PD (per 100 ha), LPI (%), ED (m/ha), LSI (−),
        COHESION (−), AI (%), DIVISION (−), SPLIT (−), CONTAG (%), PR (count
        of classes), SHDI (nats), SHEI (−, 0–1).
    """
    frame = _accumulate(classes, None, cellsize, nodata, None, stripe_rows).landscape_metrics()
    return frame.iloc[0].rename(None)


def class_metrics_by_zone(classes, zones, cellsize, nodata=None, *, zone_nodata=None,
                          stripe_rows=None) -> pd.DataFrame:
    """FRAGSTATS class-level metrics of every zone, in one pass over the raster.

    Each zone is its own landscape: equal to :func:`class_metrics` of the
    raster with every cell outside the zone set to nodata.

    Parameters
    ----------
    classes : array_like, 2-D
        Class codes, as :func:`class_metrics`.
    zones : array_like, 2-D, integer
        Zone id of every cell (cells by their centre in the unit); negative
        values, NaN and ``zone_nodata`` are outside every zone.
    cellsize : float
        Cell side in metres.
    nodata : int or float, optional
        Class value of cells outside the landscape.
    zone_nodata : int, optional
        A further zone value meaning "outside every zone" (e.g. 0).
    stripe_rows : int, optional
        Rows processed at a time.

    Returns
    -------
    pandas.DataFrame
        Index ``(zone, class)``; columns and units as :func:`class_metrics`.
        Zones without a landscape cell are absent.
    """
    acc = _accumulate(classes, zones, cellsize, nodata, zone_nodata, stripe_rows)
    return acc.class_metrics()


def landscape_metrics_by_zone(classes, zones, cellsize, nodata=None, *, zone_nodata=None,
                              stripe_rows=None) -> pd.DataFrame:
    """FRAGSTATS landscape-level metrics of every zone, in one pass over the raster.

    Parameters
    ----------
    classes, zones, cellsize, nodata, zone_nodata, stripe_rows
        As :func:`class_metrics_by_zone`.

    Returns
    -------
    pandas.DataFrame
        Index ``zone``; columns and units as :func:`landscape_metrics`.
    """
    acc = _accumulate(classes, zones, cellsize, nodata, zone_nodata, stripe_rows)
    return acc.landscape_metrics()
