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

References
----------
van der Walt et al. (2014), scikit-image: image processing in Python,
PeerJ 2:e453 (``skimage.graph.MCP_Geometric``).
McRae & Kavanagh (2011), Linkage Mapper Connectivity Analysis Software
(adjacency of cost-allocation zones).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from skimage.graph import MCP_Geometric

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
# the MCP run


def _mcp(r: np.ndarray, starts: np.ndarray, cs: float, connect: int):
    """Run MCP_Geometric from the start cells; return (cwd, traceback, flat offsets)."""
    cost = np.where(np.isnan(r), np.inf, r)  # MCP mishandles NaN; inf is impassable
    mcp = MCP_Geometric(cost, fully_connected=connect == 8, sampling=(cs, cs))
    cwd, tb = mcp.find_costs(starts)
    off = np.asarray(mcp.offsets, dtype=np.int64)  # MCP's offsets are int8: widen before scaling
    flat_off = off[:, 0] * r.shape[1] + off[:, 1]
    cwd = np.asarray(cwd, dtype=np.float64)
    cwd[~np.isfinite(cwd)] = np.inf
    return cwd, np.asarray(tb), flat_off


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
        unreachable or a barrier). Ties go to whichever source the search
        settles first.
    """
    r = _resistance(resistance)
    lab = _labels(source_labels, r)
    cwd, tb, flat_off = _mcp(
        r, _start_cells(lab > 0, r, "source_labels"), _cellsize(cellsize), _connect(connect)
    )
    # pointer jumping along the traceback: every cell's root (the source cell it came from)
    root = _predecessors(tb, flat_off)
    while True:
        nxt = root[root]
        if np.array_equal(nxt, root):
            break
        root = nxt
    alloc = np.where(np.isfinite(cwd.ravel()), lab.ravel()[root], 0).reshape(r.shape)
    return cwd, alloc.astype(np.int64)


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


def _lcp_from(
    cwd_a: np.ndarray, tb_a: np.ndarray, flat_off: np.ndarray, mask_b: np.ndarray, cs: float
) -> LeastCostPath:
    """Least-cost path from source A (its MCP run) to the cells of mask B."""
    vals = np.where(mask_b, cwd_a, np.inf)
    end = int(np.argmin(vals))
    lcd = float(vals.ravel()[end])
    if not np.isfinite(lcd):
        return LeastCostPath(np.inf, np.empty((0, 2), dtype=np.int64), np.nan)
    cells = _trace(_predecessors(tb_a, flat_off), end, cwd_a.shape)
    return LeastCostPath(lcd, cells, path_length(cells, cs))


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
