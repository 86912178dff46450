"""Barriers (Barrier Mapper) and break points (METHODS §4.4).

Barrier Mapper (McRae et al. 2012) asks, for every cell and a search radius
r, how much the least-cost distance LCD_ab between two sources would drop if
the disk of radius r around the cell were restored to resistance 1. With
m_a and m_b the minima of CWD_a and CWD_b over the cells at distance r from
the centre (the annulus r − cell size < d ≤ r, d between cell centres), the
restored path costs m_a + m_b + 2r (crossing the disk, resistance 1 per
metre), so the improvement score per metre restored is

    IS_r = (LCD_ab − m_a − m_b − 2r) / (2r)   (0 where negative),

and the barrier score is the maximum of IS_r over the radii (and over the
pairs). Scores are dimensionless (resistance × metres saved per metre
restored).

The per-source cost distances run on worker threads, in the order and with
the memory bound of :func:`ecozone.ecology.corridors.corridors`; the search
from a source stops at the largest LCD of its pairs × (1 + 1e-9), since a
score is > 0 only where m_a < LCD (the scores are those of full searches).

Break points are where a least-cost path crosses a barrier line (roads,
railways, built-up cells).

References
----------
McRae, Hall, Beier & Theobald (2012), Where to restore ecological
connectivity? Detecting barriers and quantifying restoration benefits,
PLoS ONE 7(12), e52604.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
from scipy import ndimage

from ecozone.ecology.cost import (
    _allocation,
    _cellsize,
    _connect,
    _Grid,
    _labels,
    _pair_schedule,
    _resistance,
    _source_cells,
    _SourceRuns,
    adjacent_pairs,
)
from ecozone.errors import InputError, ParameterError

__all__ = ["annulus", "barrier_scores", "break_points", "improvement_score"]


def annulus(radius_cells: int) -> np.ndarray:
    """Footprint of the cells at distance r − 1 < d ≤ r (cells) from the centre.

    Parameters
    ----------
    radius_cells : int
        Radius r in cells (≥ 1).

    Returns
    -------
    numpy.ndarray of bool
        (2r + 1, 2r + 1) footprint.
    """
    r = int(radius_cells)
    y, x = np.mgrid[-r : r + 1, -r : r + 1]
    d = np.hypot(y, x)
    return (d > r - 1) & (d <= r)


def _radii(radii_cells) -> list[int]:
    radii = np.atleast_1d(np.asarray(radii_cells))
    if (
        radii.size == 0
        or not np.issubdtype(radii.dtype, np.number)
        or np.any(radii < 1)
        or np.any(radii != np.round(radii))
    ):
        raise ParameterError(
            f"barrier radii must be whole numbers of cells ≥ 1, got {radii_cells!r}",
            where="ecology.barrier_radius_cells",
            fix="use e.g. [1, 3, 5]",
        )
    return sorted({int(v) for v in radii})


def improvement_score(cwd_a, cwd_b, lcd: float, cellsize, radii_cells=(1, 3, 5)) -> np.ndarray:
    """Barrier Mapper improvement score of one source pair, maximum over radii.

    Parameters
    ----------
    cwd_a, cwd_b : (rows, cols) array_like
        Cost-weighted distances from sources a and b (resistance × metres;
        ``inf`` unreachable), e.g. from :func:`ecozone.ecology.cost.cost_distance`.
    lcd : float
        Least-cost distance between a and b (resistance × metres).
    cellsize : float
        Cell size in metres.
    radii_cells : sequence of int
        Search radii in cells (``ecology.barrier_radius_cells``).

    Returns
    -------
    numpy.ndarray of float64
        max_r (LCD − m_a − m_b − 2r) / (2r), 0 where negative or where an
        annulus reaches no finite CWD (dimensionless).
    """
    a = np.asarray(cwd_a, dtype=np.float64)
    b = np.asarray(cwd_b, dtype=np.float64)
    if a.ndim != 2 or a.shape != b.shape:
        raise InputError(
            f"cwd_a {a.shape} and cwd_b {b.shape} must be 2-D rasters of one shape",
            where="cwd_a, cwd_b",
            fix="pass two CWD rasters of the same grid",
        )
    if np.isnan(a).any() or np.isnan(b).any():
        raise InputError(
            "a CWD raster holds NaN",
            where="cwd_a, cwd_b",
            fix="use inf for unreachable cells (as cost_distance returns)",
        )
    lcd = float(lcd)
    if not (np.isfinite(lcd) and lcd >= 0):
        raise InputError(
            f"lcd must be finite and ≥ 0, got {lcd!r}",
            where="lcd",
            fix="score only pairs that are connected",
        )
    cs = _cellsize(cellsize)
    score = np.zeros(a.shape)
    for rc in _radii(radii_cells):
        fp = annulus(rc)
        ma = ndimage.minimum_filter(a, footprint=fp, mode="constant", cval=np.inf)
        mb = ndimage.minimum_filter(b, footprint=fp, mode="constant", cval=np.inf)
        diam = 2.0 * rc * cs
        with np.errstate(invalid="ignore"):
            s = (lcd - ma - mb - diam) / diam
        s[~np.isfinite(s)] = 0.0
        np.maximum(score, s, out=score)
    return score


def barrier_scores(
    resistance,
    source_labels,
    cellsize,
    *,
    radii_cells=(1, 3, 5),
    connect: int = 8,
    pairs=None,
    workers: int | None = None,
) -> np.ndarray:
    """Barrier Mapper scores mosaicked by the maximum over adjacent source pairs.

    Parameters
    ----------
    resistance : (rows, cols) array_like
        Resistance per cell (> 0; NaN / +inf = barrier).
    source_labels : (rows, cols) array_like of int
        Source id per cell (> 0).
    cellsize : float
        Cell size in metres.
    radii_cells : sequence of int
        Search radii in cells.
    connect : {8, 4}
        Neighbourhood of moves and of zone adjacency.
    pairs : DataFrame (``source_a, source_b``) or iterable of (a, b), optional
        Pairs to score; default the adjacent pairs
        (:func:`ecozone.ecology.cost.adjacent_pairs`).
    workers : int, optional
        Threads running the per-source cost-distance searches at once
        (default: the cores available to the process).

    Returns
    -------
    numpy.ndarray of float64
        Improvement score per cell (dimensionless, ≥ 0).
    """
    r = _resistance(resistance)
    lab = _labels(source_labels, r)
    cs = _cellsize(cellsize)
    connect = _connect(connect)
    radii = _radii(radii_cells)
    grid = _Grid(r, cs, connect)
    if pairs is None:
        _, alloc = _allocation(grid, r, lab)
        pairs = adjacent_pairs(alloc, connect)
        del alloc
    if isinstance(pairs, pd.DataFrame):
        pairs = pairs[["source_a", "source_b"]].to_numpy()
    plist = sorted({(min(int(a), int(b)), max(int(a), int(b))) for a, b in pairs})
    score = np.zeros(r.shape)
    if not plist:
        return score
    cells = _source_cells(lab, r, {s for p in plist for s in p})
    need = Counter(s for p in plist for s in p)
    partners: dict[int, list[int]] = {}
    for a, b in plist:
        partners.setdefault(a, []).append(b)
        partners.setdefault(b, []).append(a)
    schedule = _pair_schedule(plist)
    cwd: dict[int, np.ndarray] = {}
    # a score is > 0 only where m_a + m_b + 2r < LCD_ab, so only CWD_a below the
    # largest LCD of a's pairs matters: a's search stops there (same scores)
    with _SourceRuns(
        grid, cells, [s for s, _ in schedule], partners=partners, extra=0.0, workers=workers
    ) as pool:
        for s, ready in schedule:
            cwd[s] = pool.take(s)[0]
            for a, b in ready:
                lcd = float(np.min(cwd[a].ravel()[cells[b]]))
                if np.isfinite(lcd):
                    np.maximum(
                        score, improvement_score(cwd[a], cwd[b], lcd, cs, radii), out=score
                    )
                for x in (a, b):
                    need[x] -= 1
                    if need[x] == 0:
                        del cwd[x]
    return score


def break_points(path_cells, barrier_mask) -> pd.DataFrame:
    """Where a least-cost path crosses barrier cells (roads, railways, built-up).

    A crossing is a run of consecutive path cells on the barrier mask, or a
    diagonal step that slips between two barrier cells meeting at a corner
    (an 8-connected road line crossed without landing on it).

    Parameters
    ----------
    path_cells : (n, 2) array_like of int
        Row, column of consecutive path cells (e.g. ``Corridors.paths``).
    barrier_mask : (rows, cols) array_like of bool
        True on barrier cells.

    Returns
    -------
    pandas.DataFrame
        One row per crossing: ``row, col`` (the middle barrier cell of the run,
        or the corner cell for a diagonal slip), ``step`` (index of that cell
        along the path, or of the step's first cell), ``cells`` (barrier cells
        crossed; 0 for a diagonal slip).
    """
    p = np.asarray(path_cells, dtype=np.int64).reshape(-1, 2)
    m = np.asarray(barrier_mask, dtype=bool)
    if m.ndim != 2:
        raise InputError(
            "barrier_mask must be a 2-D raster",
            where="barrier_mask",
            fix="rasterise roads, railways and built-up cells to the grid",
        )
    if len(p) and (p.min() < 0 or np.any(p.max(axis=0) >= np.array(m.shape))):
        raise InputError(
            "a path cell lies outside the barrier raster",
            where="path_cells",
            fix="use the path and the mask of one grid",
        )
    rows = []
    on = m[p[:, 0], p[:, 1]] if len(p) else np.zeros(0, dtype=bool)
    k = 0
    while k < len(p):
        if on[k]:
            end = k
            while end + 1 < len(p) and on[end + 1]:
                end += 1
            mid = (k + end) // 2
            rows.append((int(p[mid, 0]), int(p[mid, 1]), mid, end - k + 1))
            k = end + 1
        else:
            if k + 1 < len(p) and not on[k + 1]:
                (r0, c0), (r1, c1) = p[k], p[k + 1]
                if abs(r1 - r0) == 1 and abs(c1 - c0) == 1 and m[r0, c1] and m[r1, c0]:
                    rows.append((int(r0), int(c1), k, 0))
            k += 1
    return pd.DataFrame(rows, columns=["row", "col", "step", "cells"]).astype(np.int64)
