"""Cost distance, cost allocation and least-cost paths (METHODS §4.3).

Convention (ArcGIS *Cost Distance*, scikit-image ``MCP_Geometric``): moving
from a cell to one of its 4 or 8 neighbours costs the length of the step
(the cell size, × √2 on a diagonal) times the mean of the two cells'
resistance. A path's cost is the sum of its steps, the cost-weighted distance
(CWD) of a cell is the cost of the cheapest path from any source cell to it,
and source cells cost 0. Resistance is dimensionless (1 = easiest), so a
CWD is in resistance × metres.

Barriers: a cell whose resistance is NaN or +inf is not entered (its CWD is
``inf``), and a cell no path reaches has CWD ``inf``. A diagonal step between
two passable cells is allowed even when both cells beside it are barriers
(as in ArcGIS and scikit-image).

Implementation: Dijkstra's algorithm on the cell grid, compiled with Numba
(no GIL held), with a bucket queue whose buckets are narrower than the
cheapest step, so that it settles cells in an order Dijkstra allows without a
heap (see :func:`_advance`). The step cost is the expression MCP_Geometric
evaluates, so the CWD equals MCP_Geometric's (bitwise on the grids tested;
sums along two different equal-cost paths could differ in the last bits,
≤ 1e-9 relative is what the tests allow). Among paths of exactly equal cost
the search may keep another one than MCP_Geometric: the least-cost path
cells, and the allocation of a cell two sources reach at exactly the same
cost, can differ from MCP's; costs do not. Per-source searches (corridors,
Barrier Mapper) run on worker threads, and stop early where the cells
beyond cannot change the result (:class:`_SourceRuns`).

References
----------
van der Walt et al. (2014), scikit-image: image processing in Python,
PeerJ 2:e453 (``skimage.graph.MCP_Geometric``).
Dial (1969), Algorithm 360: shortest-path forest with topological ordering,
Communications of the ACM 12(11), 632–633 (the bucket queue); Cherkassky,
Goldberg & Radzik (1996), Shortest paths algorithms: theory and experimental
evaluation, Mathematical Programming 73, 129–174 (buckets no wider than the
shortest arc).
McRae & Kavanagh (2011), Linkage Mapper Connectivity Analysis Software
(adjacency of cost-allocation zones).
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from typing import NamedTuple

import numpy as np
import pandas as pd
from numba import njit

from ecozone.errors import InputError, ParameterError

__all__ = [
    "LeastCostPath",
    "adjacent_pairs",
    "cost_allocation",
    "cost_distance",
    "least_cost_path",
    "path_length",
]


# ---------------------------------------------------------------------------
# checks shared by the ecology network modules


def _resistance(resistance, name: str = "resistance") -> np.ndarray:
    """Float64 copy-free view of a 2-D resistance raster, checked.

    Valid values are finite and > 0; NaN and +inf mark barriers / nodata.
    """
    r = np.asarray(resistance)
    if r.ndim != 2:
        raise InputError(
            f"{name} must be a 2-D raster, got an array of shape {r.shape}",
            where=name,
            fix="pass one band (rows × columns)",
        )
    if r.size == 0:
        raise InputError(f"{name} is empty", where=name, fix="pass a raster with cells")
    if not (np.issubdtype(r.dtype, np.floating) or np.issubdtype(r.dtype, np.integer)):
        raise InputError(
            f"{name} must be numeric, got dtype {r.dtype}", where=name, fix="pass numbers"
        )
    r = r.astype(np.float64, copy=False)
    bad = ~(r > 0) & ~np.isnan(r)  # zero, negative or -inf
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise InputError(
            f"{name} must be > 0 (or NaN for a barrier); {int(bad.sum())} cells are not, "
            f"the first is {r[i, j]!r}",
            where=f"{name} pixel (row {i}, col {j})",
            fix="give every passable cell a resistance ≥ 1 and set barriers / nodata to NaN",
        )
    return r


def _cellsize(cellsize) -> float:
    try:
        cs = float(cellsize)
    except (TypeError, ValueError):
        cs = float("nan")
    if not (np.isfinite(cs) and cs > 0):
        raise ParameterError(
            f"cellsize must be a positive number of metres, got {cellsize!r}",
            where="cellsize",
            fix="pass the raster's cell size in metres (a projected grid)",
        )
    return cs


def _connect(connect) -> int:
    if connect not in (4, 8):
        raise ParameterError(
            f"connect must be 4 or 8, got {connect!r}",
            where="ecology.connect",
            fix="use 8 (rook and bishop moves) or 4 (rook moves only)",
        )
    return int(connect)


def _same_shape(a: np.ndarray, r: np.ndarray, name: str) -> None:
    if a.shape != r.shape:
        raise InputError(
            f"{name} has shape {a.shape} but the resistance raster has shape {r.shape}",
            where=name,
            fix="align both rasters to the same grid",
        )


def _labels(source_labels, r: np.ndarray, name: str = "source_labels") -> np.ndarray:
    lab = np.asarray(source_labels)
    _same_shape(lab, r, name)
    if np.issubdtype(lab.dtype, np.floating):
        finite = np.where(np.isfinite(lab), lab, 0)
        if np.any(finite != np.round(finite)):
            raise InputError(
                f"{name} must hold integer ids", where=name, fix="label sources 1, 2, …"
            )
        lab = finite.astype(np.int64)
    elif not np.issubdtype(lab.dtype, np.integer) and lab.dtype != bool:
        raise InputError(
            f"{name} must hold integer ids, got dtype {lab.dtype}",
            where=name,
            fix="label sources 1, 2, … and leave 0 elsewhere",
        )
    return lab.astype(np.int64, copy=False)


# ---------------------------------------------------------------------------
# the search: Dijkstra on the cell grid (Numba)
#
# The grid is padded by one barrier cell (+inf) on every side, so a move never
# needs a bounds check, and a step into a barrier costs inf and is never taken.
# The step cost is computed exactly as in MCP_Geometric, (length × 0.5) ×
# (r_from + r_to), and added to the cost of the cell it leaves.
#
# The priority queue is a bucket queue (Dial 1969) with buckets narrower than
# the cheapest step of the grid (δ = 2 × half the shortest move × the smallest
# resistance, less 1e-4): a step from a cell of bucket b always lands in a
# bucket > b, so when bucket b comes up every cell in it already has its final
# cost and the cells of one bucket can be settled in any order. That is still
# Dijkstra's algorithm — every cell gets min over its neighbours of (their cost
# + the step), the values MCP_Geometric computes — without the heap's log n and
# branchy sifts. The buckets form a ring of W = 2^k ≤ 65,536 slots covering
# the costs [cur δ, (cur + W) δ); a step costing more than W δ (resistances
# spanning more than ~4.6e4 : 1) goes to an overflow binary heap and enters
# the ring when the front comes near.

# neighbour moves (row, col) in scikit-image's order (``make_offsets``): the
# traceback codes mean what MCP_Geometric's do
_MOVES = {
    8: np.array(
        [[-1, -1], [-1, 0], [-1, 1], [0, -1], [0, 1], [1, -1], [1, 0], [1, 1]], dtype=np.int64
    ),
    4: np.array([[-1, 0], [0, -1], [0, 1], [1, 0]], dtype=np.int64),
}
_ROOT = -1  # traceback code of a source cell
_UNREACHED = -2  # traceback code of a cell no path reaches (as MCP)
_SETTLED = 32  # added to a cell's traceback code while searching once its cost is final
# relative slack of an early stop: far above the rounding of a path sum
# (n steps × 2⁻⁵³), so a cell left out can never pass a cutoff in floating point
_MARGIN = 1e-9
_MAX_RING = 1 << 16  # bucket slots at most
# state of a search between calls of _advance (int64 slots)
_TOP, _FREE, _NFREE, _LIVE, _CUR, _HN, _NFOUND, _DONE = range(8)


@njit(cache=True, nogil=True)
def _advance(rp, offsets, half, delta, dist, tb, ids, want_ids, head, pcell, pnext, hk, hv,
             st, marks, slot, lcd, found, extra, fs):
    """Settle cells until the queue is empty, the early stop, or a store is full.

    ``dist`` and ``tb`` are the padded cost and traceback codes (a settled
    cell's code is raised by _SETTLED), ``head`` the first entry of each bucket
    slot, the entries linked lists in ``pcell`` (cell) and ``pnext`` (next
    entry; freed entries are chained from ``st[_FREE]``). Returns 0 when the
    search is over, 1 when the entry pool or the overflow heap (``hk``, ``hv``)
    must grow first. ``st`` holds the integer state, ``fs[0]`` the early-stop
    limit.
    """
    nb = offsets.size
    inv = 1.0 / delta
    ring = head.size
    mask = ring - 1
    cap = pcell.size
    hcap = hk.size
    top = st[_TOP]
    free = st[_FREE]
    nfree = st[_NFREE]
    live = st[_LIVE]
    cur = st[_CUR]
    hn = st[_HN]
    nfound = st[_NFOUND]
    npart = found.size if extra >= 0.0 else 0
    limit = fs[0]
    status = 0
    while True:
        # overflow entries whose bucket has come within the ring
        while hn > 0 and np.int64(hk[0] * inv) < cur + ring:
            if nfree == 0 and top == cap:
                status = 1
                break
            v = hv[0]
            b = max(np.int64(hk[0] * inv), cur)
            hn -= 1  # pop the heap's root: sift the last entry down
            if hn > 0:
                lk = hk[hn]
                lv = hv[hn]
                i = 0
                while True:
                    c = 2 * i + 1
                    if c >= hn:
                        break
                    if c + 1 < hn and hk[c + 1] < hk[c]:
                        c += 1
                    if hk[c] >= lk:
                        break
                    hk[i] = hk[c]
                    hv[i] = hv[c]
                    i = c
                hk[i] = lk
                hv[i] = lv
            if nfree > 0:
                f = free
                free = pnext[f]
                nfree -= 1
            else:
                f = top
                top += 1
            pcell[f] = v
            pnext[f] = head[b & mask]
            head[b & mask] = f
            live += 1
        if status:
            break
        if cap - top + nfree < nb or hcap - hn < nb:
            status = 1
            break
        sl = cur & mask
        e = head[sl]
        if e >= 0:
            head[sl] = pnext[e]
            pnext[e] = free
            free = e
            nfree += 1
            live -= 1
            u = pcell[e]
            if tb[u] >= _SETTLED - 2:
                continue  # settled already
            tb[u] += _SETTLED
            key = dist[u]
            if npart > 0:
                m = marks[u]
                if m > 0:
                    k = slot[m]
                    if k >= 0:
                        if not found[k]:
                            found[k] = True
                            nfound += 1
                            lcd[k] = key
                        elif key < lcd[k]:
                            lcd[k] = key
            ru = rp[u]
            for k in range(nb):
                v = u + offsets[k]
                old = dist[v]
                nd = key + half[k] * (ru + rp[v])  # inf into a barrier: never < old
                if nd < old:
                    dist[v] = nd
                    tb[v] = k
                    if want_ids:
                        ids[v] = ids[u]
                    b = max(np.int64(nd * inv), cur + 1)
                    if old < np.inf and max(np.int64(old * inv), cur + 1) == b:
                        continue  # its entry already sits in that bucket
                    if b < cur + ring:
                        if nfree > 0:
                            f = free
                            free = pnext[f]
                            nfree -= 1
                        else:
                            f = top
                            top += 1
                        pcell[f] = v
                        pnext[f] = head[b & mask]
                        head[b & mask] = f
                        live += 1
                    else:  # beyond the ring: overflow heap (sift up)
                        i = hn
                        hn += 1
                        while i > 0:
                            p = (i - 1) >> 1
                            if hk[p] <= nd:
                                break
                            hk[i] = hk[p]
                            hv[i] = hv[p]
                            i = p
                        hk[i] = nd
                        hv[i] = v
            continue
        # bucket cur is settled: the partners' least-cost distances are final
        if npart > 0 and nfound == npart and limit == np.inf:
            lmax = 0.0
            for k in range(npart):
                lmax = max(lmax, lcd[k])
            limit = (lmax + extra) * (1.0 + _MARGIN)
        cur += 1
        if cur * delta > limit:  # early stop: forget the cells not settled
            for s in range(ring):
                e = head[s]
                while e >= 0:
                    v = pcell[e]
                    if tb[v] < _SETTLED - 2:
                        dist[v] = np.inf
                        tb[v] = _UNREACHED
                        if want_ids:
                            ids[v] = 0
                    e = pnext[e]
                head[s] = -1
            for i in range(hn):
                v = hv[i]
                if tb[v] < _SETTLED - 2:
                    dist[v] = np.inf
                    tb[v] = _UNREACHED
                    if want_ids:
                        ids[v] = 0
            live = 0
            hn = 0
            break
        if live == 0:
            if hn == 0:
                break
            cur = max(cur, np.int64(hk[0] * inv))  # jump over empty buckets
    st[_TOP] = top
    st[_FREE] = free
    st[_NFREE] = nfree
    st[_LIVE] = live
    st[_CUR] = cur
    st[_HN] = hn
    st[_NFOUND] = nfound
    fs[0] = limit
    return status


@njit(cache=True, nogil=True)
def _grown(a, size):
    out = np.empty(size, dtype=a.dtype)
    out[: a.size] = a
    return out


@njit(cache=True, nogil=True)
def _dijkstra(rp, rows, cols, starts, start_ids, offsets, half, delta, ring, want_ids, marks,
              slot, extra):
    """Cheapest-path costs on the padded grid ``rp`` (flat, width cols + 2).

    ``starts`` are padded flat indices (cost 0), ``start_ids`` their source ids
    (propagated along the paths when ``want_ids``); ``delta`` the bucket width
    (≤ the cheapest step), ``ring`` the number of bucket slots (a power of 2).
    Early stop when ``extra >= 0``: once every cell ``u`` with
    ``slot[marks[u]] >= 0`` (the partner sources) has been reached — the
    cheapest cell of each partner k at the least-cost distance L_k — the search
    stops at cost (max L_k + extra) × (1 + _MARGIN), and the cells beyond it
    are left unreached (inf).

    Returns the cropped (rows, cols) cost (float64), traceback (int8: index
    into ``offsets`` of the move into the cell; -1 start, -2 unreached) and,
    when ``want_ids``, the id of the source reached (int32, 0 for none).
    """
    n = rp.size
    width = cols + 2
    dist = np.full(n, np.inf)
    tb = np.full(n, _UNREACHED, dtype=np.int8)
    ids = np.zeros(n if want_ids else 1, dtype=np.int32)
    head = np.full(ring, -1, dtype=np.int64)
    cap = max(1024, 2 * starts.size)
    pcell = np.empty(cap, dtype=np.int64)
    pnext = np.empty(cap, dtype=np.int64)
    hk = np.empty(256, dtype=np.float64)
    hv = np.empty(256, dtype=np.int64)
    npart = 0
    for k in range(slot.size):
        if slot[k] >= 0:
            npart += 1
    if npart == 0:
        extra = -1.0
    lcd = np.full(max(npart, 1), np.inf)
    found = np.zeros(npart if extra >= 0.0 else 0, dtype=np.bool_)
    st = np.zeros(8, dtype=np.int64)
    st[_FREE] = -1
    fs = np.full(1, np.inf)
    top = 0
    for j in range(starts.size):
        s = starts[j]
        if dist[s] == 0.0:
            continue
        dist[s] = 0.0
        tb[s] = _ROOT
        if want_ids:
            ids[s] = start_ids[j]
        pcell[top] = s
        pnext[top] = head[0]
        head[0] = top
        top += 1
    st[_TOP] = top
    st[_LIVE] = top
    while _advance(rp, offsets, half, delta, dist, tb, ids, want_ids, head, pcell, pnext,
                   hk, hv, st, marks, slot, lcd, found, extra, fs):
        if pcell.size - st[_TOP] + st[_NFREE] < offsets.size + 1:
            pcell = _grown(pcell, 2 * pcell.size)
            pnext = _grown(pnext, 2 * pnext.size)
        if hk.size - st[_HN] < offsets.size + 1:
            hk = _grown(hk, 2 * hk.size)
            hv = _grown(hv, 2 * hv.size)

    cwd = np.empty((rows, cols), dtype=np.float64)
    tbc = np.empty((rows, cols), dtype=np.int8)
    idc = np.zeros((rows, cols) if want_ids else (0, 0), dtype=np.int32)
    for i in range(rows):
        o = (i + 1) * width + 1
        for j in range(cols):
            cwd[i, j] = dist[o + j]
            t = tb[o + j]
            tbc[i, j] = t - _SETTLED if t >= _SETTLED - 2 else t
            if want_ids:
                idc[i, j] = ids[o + j]
    return cwd, tbc, idc


@njit(cache=True, nogil=True)
def _finite_range(rp):
    """Smallest and largest finite value (inf, 0 when none)."""
    lo = np.inf
    hi = 0.0
    for i in range(rp.size):
        x = rp[i]
        if x < np.inf:
            if x < lo:
                lo = x
            if x > hi:
                hi = x
    return lo, hi


@njit(cache=True, nogil=True)
def _walk(tb, flat_off, end):
    """Flat indices of the path from its root to ``end`` along the traceback."""
    n = 1
    p = end
    while tb[p] >= 0:
        p -= flat_off[tb[p]]
        n += 1
    out = np.empty(n, dtype=np.int64)
    p = end
    for i in range(n - 1, -1, -1):
        out[i] = p
        if i:
            p -= flat_off[tb[p]]
    return out


@njit(cache=True, nogil=True)
def _mosaic_min(nlcc, cwd_a, cwd_b, lcd):
    """nlcc ← min(nlcc, max(CWD_a + CWD_b − LCD, 0)) cell by cell (flat arrays)."""
    for i in range(nlcc.size):
        v = (cwd_a[i] + cwd_b[i]) - lcd
        if v < 0.0:
            v = 0.0
        if v < nlcc[i]:
            nlcc[i] = v


_NO_MARKS = np.zeros(1, dtype=np.int32)
_NO_SLOT = np.full(1, -1, dtype=np.int32)
_NO_IDS = np.zeros(1, dtype=np.int32)


class _Grid:
    """A resistance raster prepared for searches: padded, flat, with the moves.

    ``rp`` is float64 of (rows + 2) × (cols + 2) cells, +inf on barriers and on
    the border; ``offsets`` the moves as padded flat offsets, ``flat_off`` the
    same moves on the unpadded grid (what a traceback code means), ``half``
    half the length of each move in metres (cell size, × √2 diagonal).
    """

    def __init__(self, r: np.ndarray, cs: float, connect: int):
        rows, cols = r.shape
        self.shape = r.shape
        rp = np.full((rows + 2, cols + 2), np.inf)
        inner = rp[1:-1, 1:-1]
        inner[...] = r
        inner[np.isnan(inner)] = np.inf
        self.rp = rp.ravel()
        moves = _MOVES[connect]
        self.offsets = moves[:, 0] * (cols + 2) + moves[:, 1]
        self.flat_off = moves[:, 0] * cols + moves[:, 1]
        # the lengths as MCP_Geometric computes them, halved (exact)
        self.half = np.sqrt(np.sum((np.array([cs, cs]) * moves) ** 2, axis=1)) * 0.5
        lo, hi = _finite_range(self.rp)
        if not np.isfinite(lo):  # no passable cell: nothing to search
            lo = hi = 1.0
        # bucket width: below the cheapest step (rounding of a step cost and of
        # cost × 1/δ are ~1e-16 relative, the slack 1e-4)
        self.delta = float(self.half.min() * (2.0 * lo)) * (1.0 - 1e-4)
        span = 2.0 * self.half.max() * hi / self.delta + 2.0
        self.ring = int(min(_MAX_RING, 1 << max(1, int(np.ceil(np.log2(span))))))

    def padded(self, flat: np.ndarray) -> np.ndarray:
        """Padded flat indices of unpadded flat indices."""
        cols = self.shape[1]
        return flat + (flat // cols) * 2 + cols + 3

    def search(self, starts: np.ndarray, start_ids=None, marks=None, slot=None, extra=None):
        """(cwd, traceback, ids) from the start cells (unpadded flat indices)."""
        want = start_ids is not None
        return _dijkstra(
            self.rp,
            self.shape[0],
            self.shape[1],
            self.padded(np.asarray(starts, dtype=np.int64)),
            np.asarray(start_ids, dtype=np.int32) if want else _NO_IDS,
            self.offsets,
            self.half,
            self.delta,
            self.ring,
            want,
            _NO_MARKS if marks is None else marks,
            _NO_SLOT if slot is None else slot,
            -1.0 if extra is None else float(extra),
        )


def _mcp(r: np.ndarray, starts: np.ndarray, cs: float, connect: int):
    """Cost distance from the start cells (MCP_Geometric's convention).

    Returns (cwd, traceback, flat offsets): CWD (float64, inf unreached), the
    int8 traceback (index into the moves of the step into each cell; -1 on
    start cells, -2 unreached) and the moves as flat offsets (int64), as
    :func:`_predecessors` reads them.
    """
    grid = _Grid(r, cs, connect)
    starts = np.asarray(starts, dtype=np.int64).reshape(-1, 2)
    cwd, tb, _ = grid.search(starts[:, 0] * r.shape[1] + starts[:, 1])
    return cwd, tb, grid.flat_off


def _start_cells(mask: np.ndarray, r: np.ndarray, name: str) -> np.ndarray:
    ok = mask & np.isfinite(r)
    if not ok.any():
        raise InputError(
            f"{name} has no cell on passable ground"
            + (" (all its cells have NaN/inf resistance)" if mask.any() else " (it is empty)"),
            where=name,
            fix="mark at least one source cell with a finite resistance",
        )
    return np.argwhere(ok)


def _predecessors(tb: np.ndarray, flat_off: np.ndarray) -> np.ndarray:
    """Flat index of each cell's predecessor on its least-cost path (itself for roots)."""
    t = tb.ravel()
    idx = np.arange(t.size, dtype=np.int64)
    pred = idx.copy()
    step = t >= 0
    pred[step] = idx[step] - flat_off[t[step]]
    return pred


def _allocation(grid: _Grid, r: np.ndarray, lab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CWD to the nearest labelled source and its id (one search from all sources)."""
    _start_cells(lab > 0, r, "source_labels")  # raises if no source cell is passable
    flat = lab.ravel()
    starts = np.flatnonzero((flat > 0) & np.isfinite(r).ravel())
    ids, dense = np.unique(flat[starts], return_inverse=True)
    cwd, _, reached = grid.search(starts, start_ids=dense + 1)
    alloc = np.where(reached > 0, ids[np.maximum(reached, 1) - 1], 0).astype(np.int64)
    return cwd, alloc


class _SourceRuns:
    """Cost distance from each source alone, computed ahead on worker threads.

    ``order`` lists the sources in the order :meth:`take` asks for them; up to
    ``workers`` searches run at once (the kernel releases the GIL), so at most
    that many results wait beside those the caller keeps. With ``partners``
    and ``extra`` (resistance × metres), the search from a source stops once
    its cost exceeds (the largest LCD to its partners + extra) × (1 + 1e-9):
    the cells beyond are left at inf (see :func:`_dijkstra`).
    """

    def __init__(self, grid, cells, order, *, partners=None, extra=None, workers=None):
        self.grid = grid
        self.cells = cells  # source id → unpadded flat indices of its passable cells
        self.order = list(order)
        self.extra = extra
        self.slots = {}
        self.marks = None
        if extra is not None and partners:
            ids = sorted(cells)
            dense = {s: k + 1 for k, s in enumerate(ids)}
            marks = np.zeros(grid.rp.size, dtype=np.int32)
            for s in ids:
                marks[grid.padded(cells[s])] = dense[s]
            self.marks = marks
            for s, ps in partners.items():
                slot = np.full(len(ids) + 1, -1, dtype=np.int32)
                for k, b in enumerate(sorted(set(ps))):
                    slot[dense[b]] = k
                self.slots[s] = slot
        self.workers = max(1, min(_workers(workers), len(self.order)))
        self.pool = ThreadPoolExecutor(max_workers=self.workers) if self.workers > 1 else None
        self.pending: dict[int, Future] = {}
        self.next = 0
        self._fill()

    def _run(self, s: int):
        slot = self.slots.get(s)
        cwd, tb, _ = self.grid.search(
            self.cells[s],
            marks=self.marks if slot is not None else None,
            slot=slot,
            extra=self.extra if slot is not None else None,
        )
        return cwd, tb

    def _fill(self) -> None:
        if self.pool is None:
            return
        while self.next < len(self.order) and len(self.pending) < self.workers:
            s = self.order[self.next]
            self.pending[s] = self.pool.submit(self._run, s)
            self.next += 1

    def take(self, s: int):
        """(cwd, traceback) of source ``s``."""
        fut = self.pending.pop(s, None)
        self._fill()
        return fut.result() if fut is not None else self._run(s)

    def close(self) -> None:
        if self.pool is not None:
            for f in self.pending.values():
                f.cancel()
            self.pool.shutdown(wait=True)
            self.pending.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _workers(workers) -> int:
    if workers is None:
        try:
            return len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            return os.cpu_count() or 1
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise ParameterError(
            f"workers must be a whole number ≥ 1, got {workers!r}",
            where="workers",
            fix="pass the number of threads, or None for every available core",
        )
    return int(workers)


def _pair_schedule(plist) -> list[tuple[int, list[tuple[int, int]]]]:
    """The order to run the sources of ``plist`` in, and the pairs each completes.

    Returns [(source, pairs whose other source ran before)], sources in reverse
    Cuthill–McKee order of the pair graph (a small bandwidth), so that few
    per-source CWDs wait for a partner at any time — with pairs in sorted
    order a source paired with a late one is held all along.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import reverse_cuthill_mckee

    ids = sorted({s for p in plist for s in p})
    if not ids:
        return []
    k = {s: i for i, s in enumerate(ids)}
    a = np.array([k[p[0]] for p in plist] + [k[p[1]] for p in plist], dtype=np.int64)
    b = np.array([k[p[1]] for p in plist] + [k[p[0]] for p in plist], dtype=np.int64)
    g = coo_matrix((np.ones(a.size), (a, b)), shape=(len(ids), len(ids))).tocsr()
    order = [ids[i] for i in reverse_cuthill_mckee(g, symmetric_mode=True)]
    pos = {s: i for i, s in enumerate(order)}
    done: list[list[tuple[int, int]]] = [[] for _ in order]
    for p in sorted(plist):
        done[max(pos[p[0]], pos[p[1]])].append(p)
    return list(zip(order, done, strict=True))


def _source_cells(lab: np.ndarray, r: np.ndarray, wanted) -> dict[int, np.ndarray]:
    """Unpadded flat indices of each wanted source's passable cells (sorted)."""
    flat = lab.ravel()
    pos = np.flatnonzero(flat > 0)
    order = pos[np.argsort(flat[pos], kind="stable")]
    ids, first, count = np.unique(flat[order], return_index=True, return_counts=True)
    passable = np.isfinite(r).ravel()
    out = {}
    for s in sorted({int(v) for v in wanted}):
        k = int(np.searchsorted(ids, s))
        cells = order[first[k] : first[k] + count[k]] if k < ids.size and ids[k] == s else pos[:0]
        ok = cells[passable[cells]]
        if ok.size == 0:
            name = f"source {s}"
            raise InputError(
                f"{name} has no cell on passable ground"
                + (" (all its cells have NaN/inf resistance)" if cells.size else " (it is empty)"),
                where=name,
                fix="mark at least one source cell with a finite resistance",
            )
        out[s] = ok
    return out


def cost_distance(resistance, sources_mask, cellsize, connect: int = 8) -> np.ndarray:
    """Cost-weighted distance from the nearest source cell.

    Parameters
    ----------
    resistance : (rows, cols) array_like
        Resistance per cell (dimensionless, > 0; 1 = easiest). NaN or +inf
        marks a barrier (never entered).
    sources_mask : (rows, cols) array_like of bool
        True on source cells. Source cells on a barrier are not sources.
    cellsize : float
        Cell size in metres.
    connect : {8, 4}
        Moves to the 8 neighbours (default) or to the 4 rook neighbours.

    Returns
    -------
    numpy.ndarray of float64
        CWD in resistance × metres: 0 on source cells, ``inf`` on barriers and
        where no path reaches.

    Raises
    ------
    InputError
        Shapes differ, resistance ≤ 0, or no source cell on passable ground.

    Examples
    --------
    >>> import numpy as np
    >>> cost_distance(np.array([[1.0, 3.0]]), np.array([[True, False]]), 10.0)
    array([[ 0., 20.]])
    """
    r = _resistance(resistance)
    m = np.asarray(sources_mask)
    _same_shape(m, r, "sources_mask")
    cwd, _, _ = _mcp(
        r, _start_cells(m.astype(bool), r, "sources_mask"), _cellsize(cellsize), _connect(connect)
    )
    return cwd


def cost_allocation(
    resistance, source_labels, cellsize, connect: int = 8
) -> tuple[np.ndarray, np.ndarray]:
    """Cost-weighted distance to the nearest source and which source that is.

    Parameters
    ----------
    resistance : (rows, cols) array_like
        Resistance per cell (> 0; NaN / +inf = barrier).
    source_labels : (rows, cols) array_like of int
        Source id per cell (> 0); 0 or negative = not a source.
    cellsize : float
        Cell size in metres.
    connect : {8, 4}
        Neighbourhood of a move.

    Returns
    -------
    cwd : numpy.ndarray of float64
        CWD to the nearest source, resistance × metres (``inf`` unreachable).
    allocation : numpy.ndarray of int64
        Id of the source whose least-cost path reaches the cell (0 where
        unreachable or a barrier): the source at the root of the cell's
        least-cost path. Where two sources reach a cell at exactly the same
        cost, the cell goes to the one whose path reached it first in the
        search (as in MCP_Geometric; the order among equal costs may differ).
    """
    r = _resistance(resistance)
    lab = _labels(source_labels, r)
    return _allocation(_Grid(r, _cellsize(cellsize), _connect(connect)), r, lab)


def adjacent_pairs(allocation, connect: int = 8) -> pd.DataFrame:
    """Sources whose cost-allocation zones touch (Linkage Mapper's adjacency).

    Parameters
    ----------
    allocation : (rows, cols) array_like of int
        Source id per cell from :func:`cost_allocation` (≤ 0 = none).
    connect : {8, 4}
        Zones touch across a cell side (4) or also across a corner (8, the
        default, matching 8-neighbour moves).

    Returns
    -------
    pandas.DataFrame
        Columns ``source_a < source_b`` (int64), one row per adjacent pair,
        sorted.
    """
    a = np.asarray(allocation)
    if a.ndim != 2:
        raise InputError(
            "allocation must be a 2-D raster",
            where="allocation",
            fix="pass the allocation returned by cost_allocation",
        )
    a = a.astype(np.int64, copy=False)
    shifts = [(0, 1), (1, 0)] + ([(1, 1), (1, -1)] if _connect(connect) == 8 else [])
    found = []
    rows, cols = a.shape
    for dr, dc in shifts:
        s1 = a[: rows - dr, max(0, -dc) : cols - max(0, dc)]
        s2 = a[dr:, max(0, dc) : cols - max(0, -dc)]
        keep = (s1 > 0) & (s2 > 0) & (s1 != s2)
        if keep.any():
            found.append(
                np.stack([np.minimum(s1[keep], s2[keep]), np.maximum(s1[keep], s2[keep])], axis=1)
            )
    if not found:
        return pd.DataFrame(
            {"source_a": pd.Series([], dtype=np.int64), "source_b": pd.Series([], dtype=np.int64)}
        )
    pairs = np.unique(np.concatenate(found), axis=0)
    return pd.DataFrame({"source_a": pairs[:, 0], "source_b": pairs[:, 1]})


class LeastCostPath(NamedTuple):
    """A least-cost path between two sources.

    Attributes
    ----------
    lcd : float
        Least-cost distance, resistance × metres (``inf`` when unconnected).
    cells : numpy.ndarray
        (n, 2) int64 row, column of the path's cells, from a cell of source A
        to a cell of source B (empty when unconnected).
    length_m : float
        Geometric length of the path in metres (steps × cell size, diagonals
        × √2).
    """

    lcd: float
    cells: np.ndarray
    length_m: float


def path_length(cells, cellsize) -> float:
    """Length of a cell path in metres (each step: cell size, × √2 if diagonal).

    Parameters
    ----------
    cells : (n, 2) array_like of int
        Consecutive cells (row, col); each step to one of the 8 neighbours.
    cellsize : float
        Cell size in metres.

    Returns
    -------
    float
        Length in metres.
    """
    c = np.asarray(cells, dtype=np.int64).reshape(-1, 2)
    if len(c) < 2:
        return 0.0
    d = np.abs(np.diff(c, axis=0))
    if np.any(d.max(axis=1) != 1):
        raise InputError(
            "a path step does not move to a neighbouring cell",
            where="cells",
            fix="pass consecutive 8-neighbour cells",
        )
    diag = d.sum(axis=1) == 2
    return float(
        _cellsize(cellsize) * (np.count_nonzero(~diag) + np.sqrt(2.0) * np.count_nonzero(diag))
    )


def _trace(pred: np.ndarray, end: int, shape) -> np.ndarray:
    """Cells (row, col) from the root to ``end`` by following predecessors."""
    seq = [end]
    while pred[seq[-1]] != seq[-1]:
        seq.append(int(pred[seq[-1]]))
    seq.reverse()
    return np.stack(np.unravel_index(np.asarray(seq, dtype=np.int64), shape), axis=1)


def _lcp_at(
    cwd_a: np.ndarray, tb_a: np.ndarray, flat_off: np.ndarray, cells_b: np.ndarray, cs: float
) -> LeastCostPath:
    """Least-cost path from source A (its search) to B's cells (flat indices, ascending).

    The path ends at B's cheapest cell (the first in row-major order among
    equal costs) and follows the traceback back to a cell of A.
    """
    if cells_b.size == 0:
        return LeastCostPath(np.inf, np.empty((0, 2), dtype=np.int64), np.nan)
    vals = cwd_a.ravel()[cells_b]
    k = int(np.argmin(vals))
    lcd = float(vals[k])
    if not np.isfinite(lcd):
        return LeastCostPath(np.inf, np.empty((0, 2), dtype=np.int64), np.nan)
    seq = _walk(tb_a.ravel(), flat_off, np.int64(cells_b[k]))
    cells = np.stack(np.unravel_index(seq, cwd_a.shape), axis=1)
    return LeastCostPath(lcd, cells, path_length(cells, cs))


def _lcp_from(
    cwd_a: np.ndarray, tb_a: np.ndarray, flat_off: np.ndarray, mask_b: np.ndarray, cs: float
) -> LeastCostPath:
    """Least-cost path from source A (its search, :func:`_mcp`) to the cells of mask B."""
    return _lcp_at(cwd_a, tb_a, flat_off, np.flatnonzero(mask_b), cs)


def least_cost_path(resistance, source_a, source_b, cellsize, connect: int = 8) -> LeastCostPath:
    """Least-cost distance and path between two sources.

    Parameters
    ----------
    resistance : (rows, cols) array_like
        Resistance per cell (> 0; NaN / +inf = barrier).
    source_a, source_b : (rows, cols) array_like of bool
        Cells of the two sources (must not overlap).
    cellsize : float
        Cell size in metres.
    connect : {8, 4}
        Neighbourhood of a move.

    Returns
    -------
    LeastCostPath
        ``lcd`` (resistance × metres; equal to the minimum of CWD_A over B's
        cells, and of CWD_A + CWD_B over all cells), ``cells`` from A to B and
        ``length_m``. ``lcd = inf`` and no cells when B is unreachable.
    """
    r = _resistance(resistance)
    ma = np.asarray(source_a, dtype=bool)
    mb = np.asarray(source_b, dtype=bool)
    _same_shape(ma, r, "source_a")
    _same_shape(mb, r, "source_b")
    if (ma & mb).any():
        raise InputError(
            "source_a and source_b share cells",
            where="source_a, source_b",
            fix="pass two disjoint sources",
        )
    cs = _cellsize(cellsize)
    _start_cells(mb, r, "source_b")
    cwd, tb, off = _mcp(r, _start_cells(ma, r, "source_a"), cs, _connect(connect))
    return _lcp_from(cwd, tb, off, mb & np.isfinite(r), cs)
