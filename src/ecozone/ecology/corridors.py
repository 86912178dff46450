"""Least-cost corridors between adjacent sources and their gravity (METHODS §4.3).

For every pair of *adjacent* sources (their cost-allocation zones touch,
Linkage Mapper's rule; :func:`ecozone.ecology.cost.adjacent_pairs`):

- the least-cost distance LCD_ab (resistance × metres) and the least-cost
  path (cells, length in metres);
- the normalised least-cost corridor NLCC_ab = CWD_a + CWD_b − LCD_ab
  (0 along the least-cost path), mosaicked over all pairs by the minimum and
  truncated at ``cutoff``;
- the gravity model (Kong et al. 2010)

      G_ab = N_a N_b / D_ab²,   N = (1/P) ln S,   D_ab = LCD_ab / LCD_max,

  with P the mean resistance of the source's cells, S its area in m² and
  LCD_max the largest LCD among the pairs; corridors whose G is above the
  mean G are "important".

CWD_a is computed with source a alone as the start (the other sources are
ordinary cells), as in Linkage Mapper. The per-source searches run on worker
threads, one source after another in reverse Cuthill–McKee order of the pair
graph, each pair mosaicked as soon as both its CWDs are there and a CWD
dropped after its last pair (memory: the CWDs waiting for a partner, few in
that order, plus one search per worker). With a cutoff, the search
from a stops once its cost passes (the largest LCD_ab of a's pairs + cutoff)
× (1 + 1e-9): beyond it CWD_a + CWD_b − LCD_ab > cutoff for every pair of a,
so NLCC, LCDs and paths are those of full searches.

References
----------
McRae & Kavanagh (2011), Linkage Mapper Connectivity Analysis Software,
The Nature Conservancy.
Kong, Yin, Nakagoshi & Zong (2010), Urban green space network development
for biodiversity conservation: identification based on graph theory and
gravity modeling, Landscape and Urban Planning 95, 16–27.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ecozone.ecology.cost import (
    _allocation,
    _cellsize,
    _connect,
    _Grid,
    _labels,
    _lcp_at,
    _mosaic_min,
    _pair_schedule,
    _resistance,
    _source_cells,
    _SourceRuns,
    adjacent_pairs,
)
from ecozone.errors import InputError, ParameterError

__all__ = ["Corridors", "corridors", "gravity"]

_COLUMNS = ["source_a", "source_b", "lcd", "length_m", "gravity", "important"]


def gravity(mean_resistance_a, area_a, mean_resistance_b, area_b, lcd) -> np.ndarray:
    """Gravity-model interaction between pairs of sources.

    G_ab = N_a N_b / D_ab², N = (1/P) ln S, D_ab = LCD_ab / max(LCD).

    Parameters
    ----------
    mean_resistance_a, mean_resistance_b : array_like
        P: mean resistance of each source's cells (dimensionless, > 0).
    area_a, area_b : array_like
        S: area of each source in m² (> 0).
    lcd : array_like
        Least-cost distance of each pair, resistance × metres (> 0). The
        maximum over the finite values normalises D.

    Returns
    -------
    numpy.ndarray of float64
        G per pair (dimensionless); 0 for pairs with an infinite LCD.
    """
    pa, pb, sa, sb, d = (
        np.asarray(x, dtype=np.float64)
        for x in (mean_resistance_a, mean_resistance_b, area_a, area_b, lcd)
    )
    for name, x in (
        ("mean_resistance", np.concatenate([pa.ravel(), pb.ravel()])),
        ("area", np.concatenate([sa.ravel(), sb.ravel()])),
    ):
        if not np.all(np.isfinite(x) & (x > 0)):
            raise InputError(
                f"every source's {name} must be finite and > 0",
                where=name,
                fix="check the sources' cells and the resistance raster",
            )
    if np.any(~(d > 0)):
        raise InputError(
            "every least-cost distance must be > 0", where="lcd", fix="sources must not overlap"
        )
    finite = np.isfinite(d)
    if not finite.any():
        return np.zeros(d.shape)
    dn = d / d[finite].max()
    g = (np.log(sa) / pa) * (np.log(sb) / pb) / dn**2
    return np.where(finite, g, 0.0)


@dataclass(frozen=True)
class Corridors:
    """Least-cost corridors of one resistance raster.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per pair: ``source_a, source_b`` (ids), ``lcd`` (resistance ×
        metres), ``length_m`` (least-cost path length, m), ``gravity``
        (dimensionless), ``important`` (G above the mean G).
    nlcc : numpy.ndarray
        Normalised least-cost corridor, the minimum of CWD_a + CWD_b − LCD_ab
        over the pairs (resistance × metres); ``inf`` outside every corridor
        (beyond the cutoff or unreachable).
    paths : dict
        (source_a, source_b) → (n, 2) int64 row/col cells of the least-cost
        path from a to b.
    """

    table: pd.DataFrame
    nlcc: np.ndarray
    paths: dict = field(default_factory=dict)


def _pairs_from(pairs, ids: np.ndarray) -> list[tuple[int, int]]:
    if isinstance(pairs, pd.DataFrame):
        pairs = pairs[["source_a", "source_b"]].to_numpy()
    out = []
    for p in pairs:
        a, b = (int(v) for v in p)
        for s in (a, b):
            if s not in ids:
                raise InputError(
                    f"pair ({a}, {b}) names source {s}, which has no cell",
                    where="pairs",
                    fix="name sources present in source_labels",
                )
        if a == b:
            raise InputError(
                f"pair ({a}, {b}) joins a source to itself",
                where="pairs",
                fix="list pairs of two different sources",
            )
        out.append((min(a, b), max(a, b)))
    return sorted(set(out))


def corridors(
    resistance,
    source_labels,
    cellsize,
    *,
    connect: int = 8,
    cutoff: float | None = None,
    pairs=None,
    workers: int | None = None,
) -> Corridors:
    """Least-cost corridors, their lengths and gravity between adjacent sources.

    Parameters
    ----------
    resistance : (rows, cols) array_like
        Resistance per cell (dimensionless, > 0; NaN / +inf = barrier).
    source_labels : (rows, cols) array_like of int
        Source id per cell (> 0); 0 or negative elsewhere.
    cellsize : float
        Cell size in metres.
    connect : {8, 4}
        Neighbourhood of moves and of zone adjacency.
    cutoff : float, optional
        Corridor width cutoff in resistance × metres: cells whose NLCC exceeds
        it are outside the corridors (``ecology.corridor_cutoff``).
    pairs : DataFrame or iterable of (a, b), optional
        Pairs to link instead of the adjacent ones.
    workers : int, optional
        Threads running the per-source cost-distance searches at once (default:
        the cores available to the process). Each search holding its CWD
        (8 bytes per cell) and traceback (1 byte per cell), memory grows by
        about 9 bytes per cell for each worker.

    Returns
    -------
    Corridors
        ``table``, ``nlcc`` and ``paths`` (see :class:`Corridors`).
    """
    r = _resistance(resistance)
    lab = _labels(source_labels, r)
    cs = _cellsize(cellsize)
    connect = _connect(connect)
    if cutoff is not None and not (np.isfinite(float(cutoff)) and float(cutoff) >= 0):
        raise ParameterError(
            f"corridor cutoff must be a number ≥ 0, got {cutoff!r}",
            where="ecology.corridor_cutoff",
            fix="give a cost-weighted distance in resistance × metres, or none",
        )
    ids = np.unique(lab[lab > 0])
    if ids.size == 0:
        raise InputError(
            "source_labels has no source (no cell > 0)",
            where="source_labels",
            fix="label the sources 1, 2, …",
        )
    grid = _Grid(r, cs, connect)
    if pairs is None:
        _, alloc = _allocation(grid, r, lab)
        plist = [tuple(int(v) for v in p) for p in adjacent_pairs(alloc, connect).to_numpy()]
        del alloc
    else:
        plist = _pairs_from(pairs, ids)

    cells = _source_cells(lab, r, {s for p in plist for s in p})
    need = Counter(s for p in plist for s in p)
    partners: dict[int, list[int]] = {}
    for a, b in plist:
        partners.setdefault(a, []).append(b)
        partners.setdefault(b, []).append(a)
    schedule = _pair_schedule(plist)
    runs: dict[int, tuple] = {}
    nlcc = np.full(r.shape, np.inf)
    found: dict[tuple[int, int], tuple] = {}
    # with a cutoff, a cell whose CWD_a exceeds LCD_ab + cutoff for every partner b
    # of a is outside all of a's corridors: a's search stops there (same result)
    with _SourceRuns(
        grid,
        cells,
        [s for s, _ in schedule],
        partners=partners,
        extra=None if cutoff is None else float(cutoff),
        workers=workers,
    ) as pool:
        for s, ready in schedule:
            runs[s] = pool.take(s)
            for a, b in ready:
                cwd_a, tb_a = runs[a]
                cwd_b = runs[b][0]
                lcp = _lcp_at(cwd_a, tb_a, grid.flat_off, cells[b], cs)
                if np.isfinite(lcp.lcd):
                    _mosaic_min(nlcc.ravel(), cwd_a.ravel(), cwd_b.ravel(), lcp.lcd)
                found[(a, b)] = lcp
                for x in (a, b):
                    need[x] -= 1
                    if need[x] == 0:
                        del runs[x]
    rows, paths = [], {}
    for a, b in plist:
        lcp = found[(a, b)]
        if np.isfinite(lcp.lcd):
            paths[(a, b)] = lcp.cells
        rows.append((a, b, lcp.lcd, lcp.length_m if np.isfinite(lcp.lcd) else np.inf))
    if cutoff is not None:
        nlcc[nlcc > float(cutoff)] = np.inf

    table = pd.DataFrame(rows, columns=_COLUMNS[:4]).astype(
        {"source_a": np.int64, "source_b": np.int64, "lcd": np.float64, "length_m": np.float64}
    )
    if len(table):
        p_mean, area = _source_stats(r, lab, ids, cs)
        ia = np.searchsorted(ids, table["source_a"].to_numpy())
        ib = np.searchsorted(ids, table["source_b"].to_numpy())
        g = gravity(p_mean[ia], area[ia], p_mean[ib], area[ib], table["lcd"].to_numpy())
    else:
        g = np.zeros(0)
    table["gravity"] = g
    table["important"] = g > g.mean() if g.size else np.zeros(0, dtype=bool)
    return Corridors(table=table, nlcc=nlcc, paths=paths)


def _source_stats(r: np.ndarray, lab: np.ndarray, ids: np.ndarray, cs: float):
    """Mean resistance of each source's passable cells and its area (all cells) in m²."""
    flat = lab.ravel()
    pos = flat > 0
    idx = np.searchsorted(ids, flat[pos])
    rr = r.ravel()[pos]
    ok = np.isfinite(rr)
    n_all = np.bincount(idx, minlength=ids.size)
    n_ok = np.bincount(idx[ok], minlength=ids.size)
    s_ok = np.bincount(idx[ok], weights=rr[ok], minlength=ids.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_mean = s_ok / n_ok
    return p_mean, n_all * cs * cs
