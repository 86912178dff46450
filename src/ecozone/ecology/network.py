"""The ecological network of one raster window, step by step (METHODS §4.1–4.5).

Pure functions on arrays (cell size in metres) that chain the formulas of
:mod:`~ecozone.ecology.mspa`, :mod:`~ecozone.ecology.conefor`,
:mod:`~ecozone.ecology.cost`, :mod:`~ecozone.ecology.corridors`,
:mod:`~ecozone.ecology.circuit` and :mod:`~ecozone.ecology.barriers` the
way the ``ecology`` analysis runs them:

1. :func:`coarsen_classes`: optional majority aggregation of a land cover;
2. :func:`resistance_surface` and :func:`ndvi_correction` (§4.2);
3. :func:`select_sources`: MSPA core patches ≥ ``min_core_km2``, ranked by
   dPC, the top ones plus user polygons (§4.1, §4.5);
4. :func:`link_sources`: one cost-distance run per source (on worker
   threads, stopped early at the corridor cutoff) gives the adjacent pairs,
   least-cost distances and paths, the NLCC mosaic, the gravity of every
   corridor and the Barrier Mapper scores (§4.3–4.4); the
   circuit current flows over the same pairs, on the whole window
   (Circuitscape's pairwise mode) or on each pair's corridor (Linkage
   Mapper's Pinchpoint Mapper);
5. :func:`patch_nodes` (pinch points, barriers) and :func:`break_nodes`
   (least-cost paths crossing roads, railways, built-up cells);
6. :func:`network_metrics`: α, β, γ, PC, IIC and ECA of a set of sources
   (§4.5), with :func:`point_distances` between them.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import ndimage as ndi
from scipy.spatial import cKDTree

from ecozone.ecology.barriers import _radii, break_points, improvement_score
from ecozone.ecology.circuit import pairwise
from ecozone.ecology.conefor import _iic_num, _pc_num, connectivity, edge_distances, network_indices
from ecozone.ecology.corridors import gravity
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
    _workers,
    adjacent_pairs,
)
from ecozone.ecology.mspa import CORE, INTERNAL, core_patches, mspa
from ecozone.errors import InputError, ParameterError

__all__ = [
    "Links",
    "Sources",
    "break_nodes",
    "coarsen_classes",
    "link_sources",
    "ndvi_correction",
    "network_metrics",
    "patch_nodes",
    "point_distances",
    "resistance_surface",
    "select_sources",
]

_S8 = np.ones((3, 3), bool)
_S4 = ndi.generate_binary_structure(2, 1)


# -- land cover and resistance -------------------------------------------------------------


def coarsen_classes(classes, factor: int, nodata=()) -> np.ndarray:
    """Majority class of every ``factor`` × ``factor`` block of a class raster.

    Parameters
    ----------
    classes : (rows, cols) array_like of int
        Class codes.
    factor : int
        Block side in cells (≥ 1; 1 returns the input).
    nodata : sequence of int
        Codes that are no data: they do not vote. Partial blocks at the
        right and bottom edges count their missing cells as no data.

    Returns
    -------
    numpy.ndarray
        (⌈rows / factor⌉, ⌈cols / factor⌉) codes, dtype of ``classes``: the
        most frequent valid code of the block (ties: the smallest code), or
        the first ``nodata`` code when fewer than half of the block's cells
        are valid (0 when no nodata code is given).
    """
    c = np.asarray(classes)
    if c.ndim != 2:
        raise InputError("the land cover must be a 2-D raster", where="coarsen_classes(classes)",
                         fix="pass one band")
    if isinstance(factor, bool) or int(factor) != factor or factor < 1:
        raise ParameterError(f"coarsen must be a whole number ≥ 1, got {factor!r}", where="ecology.coarsen",
                             fix="use 1 (no aggregation) or e.g. 4")
    f = int(factor)
    nodata = [int(v) for v in nodata]
    fill = nodata[0] if nodata else 0
    if f == 1:
        return c.copy()
    rows, cols = c.shape
    R, C = -(-rows // f), -(-cols // f)
    codes, inv = np.unique(c, return_inverse=True)
    inv = inv.reshape(c.shape).astype(np.int64)
    valid_code = ~np.isin(codes, nodata)
    k = codes.size
    pad = np.full((R * f, C * f), -1, np.int64)
    pad[:rows, :cols] = np.where(valid_code[inv], inv, -1)
    block = (np.arange(R * f)[:, None] // f) * C + (np.arange(C * f)[None, :] // f)
    ok = pad >= 0
    counts = np.bincount((block[ok] * k + pad[ok]), minlength=R * C * k).reshape(R * C, k)
    best = counts.argmax(axis=1)
    n_valid = counts.sum(axis=1)
    out = codes[best].astype(c.dtype)
    out[n_valid * 2 < f * f] = fill
    return out.reshape(R, C)


def resistance_surface(classes, table: pd.Series, nodata=()) -> np.ndarray:
    """Resistance of every cell from its land-cover class (METHODS §4.2).

    Parameters
    ----------
    classes : (rows, cols) array_like of int
        Class codes.
    table : pandas.Series
        Resistance (dimensionless, ≥ 1 typically; > 0) indexed by class code.
    nodata : sequence of int
        Codes that are no data (resistance NaN: no node, never crossed).

    Returns
    -------
    numpy.ndarray of float64
        Resistance per cell; NaN on no data.

    Raises
    ------
    InputError
        A code of the raster has no resistance in the table.
    """
    c = np.asarray(classes)
    codes, inv = np.unique(c, return_inverse=True)
    nod = np.isin(codes, list(nodata))
    vals = np.array(pd.to_numeric(table, errors="coerce").reindex([int(v) for v in codes]), dtype=float)
    missing = codes[np.isnan(vals) & ~nod]
    if missing.size:
        raise InputError(
            f"land-cover code(s) {missing.tolist()[:10]} have no resistance",
            where="[ecology] resistance table",
            fix="add a row per code (code, resistance), or declare the codes as nodata classes",
        )
    bad = codes[(vals <= 0) & ~nod]
    if bad.size:
        raise InputError(f"code(s) {bad.tolist()[:10]} have a resistance ≤ 0", where="[ecology] resistance table",
                         fix="give every class a resistance > 0 (1 = easiest)")
    vals[nod] = np.nan
    return vals[inv].reshape(c.shape)


def ndvi_correction(resistance, ndvi) -> np.ndarray:
    """NDVI correction of a resistance surface: r × (1 − ndvi_norm), at least 1 (METHODS §4.2).

    Parameters
    ----------
    resistance : (rows, cols) array_like
        Resistance (dimensionless; NaN no data).
    ndvi : (rows, cols) array_like
        NDVI (−1…1) of the same cells; ``ndvi_norm`` = NDVI clipped to 0…1.
        Cells without NDVI (NaN) keep their resistance.

    Returns
    -------
    numpy.ndarray of float64
        max(1, r × (1 − ndvi_norm)) where NDVI is given; r elsewhere. Cells of
        resistance below 1 keep it (the floor never raises a resistance).
    """
    r = np.asarray(resistance, dtype=np.float64)
    v = np.asarray(ndvi, dtype=np.float64)
    if v.shape != r.shape:
        raise InputError(f"NDVI {v.shape} and resistance {r.shape} differ in shape", where="ndvi_correction",
                         fix="align NDVI to the land-cover grid")
    norm = np.clip(v, 0.0, 1.0)
    out = r * (1.0 - norm)
    out = np.maximum(out, np.minimum(r, 1.0))
    return np.where(np.isfinite(v), out, r)


# -- sources -----------------------------------------------------------------------------------


@dataclass
class Sources:
    """The sources of one window.

    Attributes
    ----------
    mspa : numpy.ndarray of uint8
        MSPA classes (GuidosToolbox codes).
    labels : numpy.ndarray of int32
        0 outside the sources, 1..n the sources: first the selected core
        patches by rank, then the user polygons (their cells outside those).
    table : pandas.DataFrame
        One row per source ``source`` (1..n): ``origin`` (``mspa`` or the user
        layer's name), ``feature`` (the user feature's index, −1 for core
        patches), ``area_km2``, ``dpc``, ``dpc_intra``, ``dpc_flux``,
        ``dpc_connector`` (%; NaN for user sources, which are not ranked) and
        ``rank`` (1 = the highest dPC among the candidates).
    candidates : pandas.DataFrame
        Every candidate core patch: ``candidate`` (1..m, the label of
        :func:`~ecozone.ecology.mspa.core_patches`), ``area_km2``, the dPC
        columns, ``rank`` and ``selected``.
    pc, eca : float
        PC and ECA (km²) of the candidates in the window.
    """

    mspa: np.ndarray
    labels: np.ndarray
    table: pd.DataFrame
    candidates: pd.DataFrame
    pc: float = float("nan")
    eca: float = float("nan")


_DPC = ["dpc", "dpc_intra", "dpc_flux", "dpc_connector"]


def _lcd_matrix(resistance, labels: np.ndarray, cellsize: float, connect: int, *, workers: int | None = None,
                early_stop: bool = True) -> np.ndarray:
    """Least-cost distances between adjacent labelled patches (inf for the others); n × n.

    The LCD of a pair (a < b) is CWD_a's minimum over b's cells, from one search per source a on
    worker threads (:class:`~ecozone.ecology.cost._SourceRuns`); with ``early_stop`` the search from
    a stops once its cost passes the largest LCD of a's pairs (the LCDs do not change).
    """
    n = int(labels.max()) if labels.size else 0
    d = np.full((n, n), np.inf)
    np.fill_diagonal(d, 0.0)
    if n < 2:
        return d
    r = _resistance(resistance)
    lab = _labels(labels, r, "labels")
    grid = _Grid(r, _cellsize(cellsize), _connect(connect))
    _, alloc = _allocation(grid, r, lab)
    pairs = [tuple(int(v) for v in p) for p in adjacent_pairs(alloc, connect).to_numpy()]
    del alloc
    if not pairs:
        return d
    cells = _source_cells(lab, r, {s for p in pairs for s in p})
    partners: dict[int, list[int]] = {}
    for a, b in pairs:
        partners.setdefault(a, []).append(b)
    with _SourceRuns(grid, cells, sorted(partners), partners=partners, extra=0.0 if early_stop else None,
                     workers=workers) as pool:
        for a in sorted(partners):
            cwd = pool.take(a)[0].ravel()
            for b in partners[a]:
                d[a - 1, b - 1] = d[b - 1, a - 1] = float(np.min(cwd[cells[b]]))
            del cwd
    return d


def select_sources(
    eco,
    nodata,
    cellsize: float,
    *,
    edge_width: int = 1,
    core_structure: str = "square",
    connect: int = 8,
    min_core_km2: float = 1.0,
    dpc_top_share: float = 0.2,
    n_sources: int | None = None,
    dpc_min: float | None = None,
    distance: str = "euclidean",
    distance_m: float = 5000.0,
    p_at_distance: float = 0.5,
    resistance=None,
    user_labels=None,
    user_origin=None,
    workers: int | None = None,
) -> Sources:
    """MSPA core patches ranked by dPC; the top ones and the user polygons are the sources (METHODS §4.1).

    Parameters
    ----------
    eco : (rows, cols) array_like of bool
        Ecological land (the MSPA foreground).
    nodata : (rows, cols) array_like of bool
        No-data cells (neither foreground nor background).
    cellsize : float
        Cell side, m.
    edge_width, core_structure, connect
        MSPA parameters (:func:`~ecozone.ecology.mspa.mspa`); ``connect`` also
        joins core cells into patches.
    min_core_km2 : float
        Smallest candidate core patch, km².
    dpc_top_share, n_sources, dpc_min
        Selection: the ``n_sources`` highest dPC when given, else the
        candidates with dPC ≥ ``dpc_min`` when given, else the top
        ⌈share · m⌉ of the m candidates (at least one).
    distance : {"euclidean", "cost"}
        d_ij of dPC: edge-to-edge Euclidean (m) or the least-cost distance
        between adjacent patches (resistance × m, needs ``resistance``).
    distance_m, p_at_distance
        Dispersal distance (m) and its probability (PC's k = −ln p / d).
    resistance : (rows, cols) array_like, optional
        Resistance surface (for ``distance="cost"``).
    user_labels : (rows, cols) array_like of int, optional
        User polygons (``sources``, ``reserves`` layers) burnt in: feature
        index + 1, 0 elsewhere.
    user_origin : sequence of str, optional
        Layer name of each user feature (index = label − 1).
    workers : int, optional
        Threads of the per-patch cost-distance searches of ``distance="cost"``
        (default: the cores available to the process).

    Returns
    -------
    Sources
        The MSPA map, the source labels and their tables. A window with no
        foreground or no candidate gets no MSPA source (user sources stay).
        The landscape area A_L of dPC is the window's area with data.
    """
    eco = np.asarray(eco, dtype=bool)
    nd = np.asarray(nodata, dtype=bool)
    cls = mspa(eco & ~nd, edge_width=edge_width, connectivity=connect, nodata=nd, core_structure=core_structure)
    cand, areas = core_patches(cls, cellsize, min_core_km2, connectivity=connect)
    m = areas.size
    ctab = pd.DataFrame({"candidate": np.arange(1, m + 1), "area_km2": areas})
    for c in _DPC:
        ctab[c] = np.nan
    ctab["rank"] = pd.array([pd.NA] * m, dtype="Int64")
    ctab["selected"] = False
    pc = eca = float("nan")
    if m:
        if distance == "cost":
            if resistance is None:
                raise ParameterError("distance = 'cost' needs the resistance surface", where="ecology.distance",
                                     fix="pass resistance=")
            d = _lcd_matrix(resistance, cand, cellsize, connect, workers=workers)
        else:
            far = distance_m * np.log(1e9) / -np.log(p_at_distance)  # p_ij < 1e-9 beyond: unlinked
            d = edge_distances(cand, cellsize, max_distance=far).to_numpy()
        landscape = float((~nd).sum()) * cellsize * cellsize / 1e6
        con = connectivity(areas, d, distance_m, p_at_distance, max(landscape, float(areas.sum())))
        pc, eca = con["pc"], con["eca"]
        for c in _DPC:
            ctab[c] = con[c].to_numpy()
        order = np.lexsort((np.arange(m), -ctab["dpc"].to_numpy()))
        rank = np.empty(m, np.int64)
        rank[order] = np.arange(1, m + 1)
        ctab["rank"] = pd.array(rank, dtype="Int64")
        if n_sources is not None:
            k = min(int(n_sources), m)
            chosen = order[:k]
        elif dpc_min is not None:
            chosen = order[ctab["dpc"].to_numpy()[order] >= float(dpc_min)]
        else:
            chosen = order[: max(1, int(np.ceil(float(dpc_top_share) * m - 1e-9)))]
        ctab.loc[chosen, "selected"] = True
    else:
        chosen = np.zeros(0, np.int64)
    remap = np.zeros(m + 1, np.int32)
    remap[chosen + 1] = np.arange(1, chosen.size + 1, dtype=np.int32)
    labels = remap[cand]
    rows = [("mspa", -1, ctab.loc[i, "area_km2"], *ctab.loc[i, _DPC].tolist(), int(ctab.loc[i, "rank"]))
            for i in chosen]
    if user_labels is not None:
        ul = np.asarray(user_labels)
        if ul.shape != labels.shape:
            raise InputError("user source labels differ in shape from the land cover", where="user_labels",
                             fix="burn the sources' polygons onto the same window")
        free = (ul > 0) & (labels == 0) & ~nd
        feats = np.unique(ul[free])
        nxt = chosen.size
        origin = list(user_origin or [])
        for f in feats:
            nxt += 1
            cells = free & (ul == f)
            labels[cells] = nxt
            name = origin[int(f) - 1] if int(f) - 1 < len(origin) else "sources"
            rows.append((name, int(f) - 1, float(cells.sum()) * cellsize * cellsize / 1e6,
                         np.nan, np.nan, np.nan, np.nan, pd.NA))
    table = pd.DataFrame(rows, columns=["origin", "feature", "area_km2", *_DPC, "rank"])
    table.insert(0, "source", np.arange(1, len(table) + 1, dtype=np.int64))
    table["feature"] = table["feature"].astype(np.int64)
    table["rank"] = pd.array(table["rank"].tolist(), dtype="Int64")
    # areas of the final labels (user polygons lose the cells a core source holds)
    if len(table):
        counts = np.bincount(labels.ravel(), minlength=len(table) + 1)[1:]
        table["area_km2"] = counts * cellsize * cellsize / 1e6
    return Sources(mspa=cls, labels=labels, table=table, candidates=ctab, pc=pc, eca=eca)


# -- corridors, circuits and barriers --------------------------------------------------------------


@dataclass
class Links:
    """Corridors between the sources of one window.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per adjacent pair ``source_a < source_b``: ``lcd``
        (resistance × m), ``length_m`` (least-cost path, m), ``gravity``,
        ``important`` (gravity above the mean), ``resistance`` (effective
        resistance R_ab of the pair's circuit; −1 when not connected).
    paths : dict
        (source_a, source_b) → (n, 2) row, col cells of the least-cost path.
    nlcc : numpy.ndarray
        Normalised least-cost corridors, minimum over the pairs (resistance ×
        m; ``inf`` outside every corridor or beyond the cutoff).
    current : numpy.ndarray
        Cumulative current over the pairs, A (1 A per pair).
    barriers : numpy.ndarray
        Barrier Mapper improvement score, maximum over the pairs and radii.
    """

    table: pd.DataFrame
    paths: dict = field(default_factory=dict)
    nlcc: np.ndarray | None = None
    current: np.ndarray | None = None
    barriers: np.ndarray | None = None


_LINK_COLUMNS = ["source_a", "source_b", "lcd", "length_m", "gravity", "important", "resistance"]


def _empty_links(shape) -> Links:
    t = pd.DataFrame({c: pd.Series([], dtype=np.int64 if c.startswith("source") else float) for c in _LINK_COLUMNS})
    t["important"] = t["important"].astype(bool)
    return Links(t, {}, np.full(shape, np.inf), np.zeros(shape), np.zeros(shape))


def link_sources(
    resistance,
    labels,
    cellsize: float,
    *,
    connect: int = 8,
    cutoff: float | None = None,
    circuit_domain: str = "window",
    tol: float = 1e-6,
    radii_cells=(1, 3, 5),
    pairs=None,
    workers: int | None = None,
    early_stop: bool = True,
) -> Links:
    """Least-cost corridors, gravity, circuit current and barrier scores of adjacent sources (METHODS §4.3–4.4).

    One cost-distance run per source (source alone as the start, as Linkage
    Mapper) serves its least-cost distances and paths, the NLCC and the
    Barrier Mapper scores of all its pairs. The runs are those of
    :func:`~ecozone.ecology.corridors.corridors`: on worker threads, in
    reverse Cuthill–McKee order of the pair graph, each pair done as soon as
    both its runs are there and a run dropped after its last pair. With a
    ``cutoff`` the run from a stops once its cost passes (the largest LCD of
    a's pairs + cutoff) × (1 + 1e-9): beyond it CWD_a + CWD_b − LCD_ab >
    cutoff for every pair of a, so the NLCC, the corridor circuits, the LCDs,
    paths and Barrier Mapper scores (> 0 only where CWD_a < LCD) are those of
    full runs. The corridor circuits (``circuit_domain="corridor"``) are
    solved on as many threads as the searches, a pair's as soon as its
    corridor is known; whatever the order of the runs and solves, the
    currents are added in the order of the pairs, so the result does not
    depend on ``workers`` or ``early_stop`` (bit for bit). Barrier Mapper
    scores are computed on the box of the cells with CWD_a or CWD_b below the
    LCD, widened by the largest radius (0 outside it, as on the whole window).

    Parameters
    ----------
    resistance : (rows, cols) array_like
        Resistance (> 0; NaN = no data, never crossed).
    labels : (rows, cols) array_like of int
        Source id per cell (> 0), 0 elsewhere.
    cellsize : float
        Cell side, m.
    connect : {8, 4}
        Neighbourhood of moves, zone adjacency and circuit links.
    cutoff : float, optional
        Corridor width (resistance × m): NLCC above it is outside the corridors.
    circuit_domain : {"window", "corridor"}
        Where each pair's current flows: every cell (Circuitscape pairwise
        mode), or only the pair's corridor (CWD_a + CWD_b − LCD ≤ ``cutoff``)
        and the two sources (Pinchpoint Mapper; needs ``cutoff``).
    tol : float
        Relative residual of the circuit solves.
    radii_cells : sequence of int
        Barrier Mapper radii, cells.
    pairs : iterable of (a, b), optional
        Pairs to link instead of the adjacent ones.
    workers : int, optional
        Threads running the per-source searches at once, and as many solving
        the corridor circuits (default: the cores available to the process);
        a search holds a CWD and a traceback (9 bytes per cell) while it runs,
        a solve its corridor's box.
    early_stop : bool
        Stop the searches at the cutoff (default; no effect without a
        cutoff). The results are the same either way.

    Returns
    -------
    Links
    """
    r = np.asarray(resistance, dtype=np.float64)
    lab = np.asarray(labels).astype(np.int64, copy=False)
    if lab.shape != r.shape:
        raise InputError(f"labels {lab.shape} and resistance {r.shape} differ in shape", where="link_sources",
                         fix="pass rasters of one window")
    if circuit_domain not in ("window", "corridor"):
        raise ParameterError(f"circuit_domain must be 'window' or 'corridor', got {circuit_domain!r}",
                             where="ecology.circuit_domain", fix="use 'window' or 'corridor'")
    if circuit_domain == "corridor" and cutoff is None:
        raise ParameterError("circuit_domain 'corridor' needs a corridor cutoff", where="ecology.corridor_cutoff",
                             fix="give corridor_cutoff (resistance × m) or use circuit_domain = 'window'")
    ids = np.unique(lab[lab > 0])
    if ids.size < 2:
        return _empty_links(r.shape)
    cs = _cellsize(cellsize)
    connect = _connect(connect)
    radii = _radii(radii_cells)
    if pairs is None:
        r = _resistance(r)
        grid = _Grid(r, cs, connect)
        _, alloc = _allocation(grid, r, lab)
        plist = [tuple(int(v) for v in p) for p in adjacent_pairs(alloc, connect).to_numpy()]
        del alloc
    else:
        plist = sorted({(min(int(a), int(b)), max(int(a), int(b))) for a, b in pairs})
        grid = None
    if not plist:
        return _empty_links(r.shape)
    if grid is None:
        grid = _Grid(r, cs, connect)
    cells = _source_cells(lab, r, {s for p in plist for s in p})
    need = Counter(s for p in plist for s in p)
    partners: dict[int, list[int]] = {}
    for a, b in plist:
        partners.setdefault(a, []).append(b)
        partners.setdefault(b, []).append(a)
    schedule = _pair_schedule(plist)
    corridor = circuit_domain == "corridor"
    runs: dict[int, tuple] = {}
    nlcc = np.full(r.shape, np.inf)
    barriers = np.zeros(r.shape)
    current = np.zeros(r.shape)
    found: dict[tuple[int, int], object] = {}
    # corridor circuits waiting for their turn: the domain, or its solve on a thread
    domains: dict[tuple[int, int], tuple | Future | None] = {}
    res_of: dict[tuple[int, int], float] = {}
    turn = 0  # the next pair of plist whose corridor circuit is added
    nw = max(1, min(_workers(workers), len(plist)))
    solver = ThreadPoolExecutor(max_workers=nw) if corridor and nw > 1 else None

    def flush(final: bool = False) -> None:
        # the corridor circuits' currents are added in the order of plist, whatever order they
        # were solved in: the sum is that of a sequential run
        nonlocal turn
        while turn < len(plist) and plist[turn] in domains:
            p = plist[turn]
            item = domains[p]
            if isinstance(item, Future):
                if not (final or item.done()):
                    return
                item = item.result()
            elif item is not None:  # a domain not solved yet (no solver threads)
                item = _domain_circuit(r, lab, p[0], p[1], item, connect, tol)
            del domains[p]
            if item is not None:
                res_of[p], box, cur = item
                current[box] += cur
            turn += 1

    extra = float(cutoff) if (cutoff is not None and early_stop) else None
    try:
        with _SourceRuns(grid, cells, [s for s, _ in schedule], partners=partners, extra=extra,
                         workers=workers) as pool:
            for s, ready in schedule:
                runs[s] = pool.take(s)
                for a, b in ready:
                    cwd_a, tb_a = runs[a]
                    cwd_b = runs[b][0]
                    lcp = _lcp_at(cwd_a, tb_a, grid.flat_off, cells[b], cs)
                    found[(a, b)] = lcp
                    dom = None
                    if np.isfinite(lcp.lcd):
                        if corridor:
                            with np.errstate(invalid="ignore"):
                                pair = np.maximum(cwd_a + cwd_b - lcp.lcd, 0.0)
                            pair[~np.isfinite(pair)] = np.inf
                            np.fmin(nlcc, pair, out=nlcc)
                            dom = _corridor_domain(lab, a, b, pair <= float(cutoff))
                            del pair
                            if solver is not None:
                                dom = solver.submit(_domain_circuit, r, lab, a, b, dom, connect, tol)
                        else:
                            _mosaic_min(nlcc.ravel(), cwd_a.ravel(), cwd_b.ravel(), lcp.lcd)
                        _add_barrier_scores(barriers, cwd_a, cwd_b, lcp.lcd, cs, radii)
                    if corridor:
                        domains[(a, b)] = dom
                    for x in (a, b):
                        need[x] -= 1
                        if need[x] == 0:
                            del runs[x]
                if corridor:
                    flush()
        if corridor:
            flush(final=True)
    finally:
        if solver is not None:
            for f in domains.values():
                if isinstance(f, Future):
                    f.cancel()
            solver.shutdown(wait=True)
    rows, paths, circuit_pairs = [], {}, []
    for a, b in plist:
        lcp = found[(a, b)]
        if np.isfinite(lcp.lcd):
            paths[(a, b)] = lcp.cells
            if not corridor:
                circuit_pairs.append((a, b))
        rows.append((a, b, lcp.lcd, lcp.length_m if np.isfinite(lcp.lcd) else np.inf))
    if cutoff is not None:
        nlcc[nlcc > float(cutoff)] = np.inf
    if circuit_pairs:
        t, cur = pairwise(r, lab, connect, pairs=circuit_pairs, tol=tol)
        current += cur
        res_of.update({(int(x), int(y)): float(v) for x, y, v in t.itertuples(index=False)})
    table = pd.DataFrame(rows, columns=_LINK_COLUMNS[:4]).astype(
        {"source_a": np.int64, "source_b": np.int64, "lcd": float, "length_m": float})
    p_mean, area = _source_stats(r, lab, ids, cs)
    ia = np.searchsorted(ids, table["source_a"].to_numpy())
    ib = np.searchsorted(ids, table["source_b"].to_numpy())
    ok = np.isfinite(p_mean[ia]) & np.isfinite(p_mean[ib])
    g = np.zeros(len(table))
    if ok.any():
        g[ok] = gravity(p_mean[ia][ok], area[ia][ok], p_mean[ib][ok], area[ib][ok], table["lcd"].to_numpy()[ok])
    table["gravity"] = g
    table["important"] = g > g.mean() if g.size else np.zeros(0, bool)
    table["resistance"] = [res_of.get((a, b), -1.0) for a, b in zip(table["source_a"], table["source_b"],
                                                                     strict=True)]
    return Links(table=table, paths=paths, nlcc=nlcc, current=current, barriers=barriers)


def _add_barrier_scores(barriers: np.ndarray, cwd_a: np.ndarray, cwd_b: np.ndarray, lcd: float, cs: float,
                        radii: list[int]) -> None:
    """barriers ← max(barriers, the pair's Barrier Mapper score), computed on the cells where it can be > 0.

    A score is > 0 only where an annulus holds a cell of CWD_a < LCD and one of CWD_b < LCD, so
    only within the largest radius of the box of those cells; on that box (the cells outside it
    have CWD ≥ LCD, as the filters' padding) the minima below LCD and so the scores are those of
    the whole window, and 0 elsewhere.
    """
    near = (cwd_a < lcd) | (cwd_b < lcd)
    rows = np.flatnonzero(near.any(axis=1))
    if rows.size == 0:
        return
    cols = np.flatnonzero(near.any(axis=0))
    del near
    m = max(radii)
    box = (slice(max(int(rows[0]) - m, 0), min(int(rows[-1]) + m + 1, cwd_a.shape[0])),
           slice(max(int(cols[0]) - m, 0), min(int(cols[-1]) + m + 1, cwd_a.shape[1])))
    sub = barriers[box]
    np.maximum(sub, improvement_score(cwd_a[box], cwd_b[box], lcd, cs, radii), out=sub)


def _corridor_domain(lab: np.ndarray, a: int, b: int, corridor: np.ndarray) -> tuple:
    """The cells of a pair's corridor circuit: its corridor and its two sources, as (box, packed bits, shape)."""
    dom = corridor | (lab == a) | (lab == b)
    rr, cc = np.nonzero(dom)
    box = (slice(int(rr.min()), int(rr.max()) + 1), slice(int(cc.min()), int(cc.max()) + 1))
    sub = dom[box]
    return box, np.packbits(sub, axis=None), sub.shape


def _domain_circuit(r, lab, a: int, b: int, domain: tuple, connect: int, tol: float) -> tuple:
    """Circuit of one pair on its corridor and its two sources (cropped to their box).

    Returns (R_ab, box, current of the box).
    """
    box, bits, shape = domain
    dom = np.unpackbits(bits, count=shape[0] * shape[1]).reshape(shape).astype(bool)
    sub_r = np.where(dom, r[box], np.nan)
    sub_l = np.where(lab[box] == a, a, np.where(lab[box] == b, b, 0))
    t, cur = pairwise(sub_r, sub_l, connect, pairs=[(a, b)], tol=tol, workers=1)
    return float(t["resistance"].iloc[0]), box, cur


def _source_stats(r: np.ndarray, lab: np.ndarray, ids: np.ndarray, cs: float):
    """Mean resistance of each source's passable cells (P) and its area in m² (S)."""
    flat = lab.ravel()
    pos = flat > 0
    idx = np.searchsorted(ids, flat[pos])
    rr = r.ravel()[pos]
    ok = np.isfinite(rr)
    n_all = np.bincount(idx, minlength=ids.size)
    n_ok = np.bincount(idx[ok], minlength=ids.size)
    s_ok = np.bincount(idx[ok], weights=rr[ok], minlength=ids.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_mean = np.where(n_ok > 0, s_ok / np.maximum(n_ok, 1), np.nan)
    area = n_all * cs * cs
    # ln S must be > 0 for the gravity model: a one-cell source of < 1 m² cannot occur on a metric grid
    return p_mean, np.maximum(area, 1.0 + 1e-9)


# -- nodes ------------------------------------------------------------------------------------------


def patch_nodes(score, mask, share: float, connect: int = 8) -> pd.DataFrame:
    """Point nodes of the top-scoring cells: pinch points and barriers (METHODS §4.4).

    The cells of ``mask`` whose ``score`` is in the top ``share`` (the
    ⌈share · n⌉ highest of the n cells, and those tied with the lowest of
    them) are joined into patches; each patch is one node at its
    highest-scoring cell.

    Parameters
    ----------
    score : (rows, cols) array_like
        Current (A) for pinch points, improvement score for barriers.
    mask : (rows, cols) array_like of bool
        Cells taking part (corridor cells; cells with a positive barrier score).
    share : float
        Share kept, in (0, 1].
    connect : {8, 4}
        Neighbourhood joining the kept cells into patches.

    Returns
    -------
    pandas.DataFrame
        ``row, col`` (the patch's highest cell), ``score`` (its value),
        ``cells`` (cells of the patch), sorted by score descending.
    """
    s = np.asarray(score, dtype=np.float64)
    m = np.asarray(mask, dtype=bool) & np.isfinite(s)
    if not (0 < float(share) <= 1):
        raise ParameterError(f"share must lie in (0, 1], got {share!r}", where="ecology.pinch_share",
                             fix="use e.g. 0.1 for the top 10 %")
    empty = pd.DataFrame({"row": pd.Series([], dtype=np.int64), "col": pd.Series([], dtype=np.int64),
                          "score": pd.Series([], dtype=float), "cells": pd.Series([], dtype=np.int64)})
    vals = s[m]
    if vals.size == 0:
        return empty
    k = int(np.ceil(float(share) * vals.size - 1e-9))
    k = min(max(k, 1), vals.size)
    thr = np.partition(vals, vals.size - k)[vals.size - k]
    keep = m & (s >= thr)
    lab, n = ndi.label(keep, _S8 if connect == 8 else _S4)
    if n == 0:
        return empty
    flat = lab.ravel()
    idx = np.flatnonzero(flat)
    order = np.lexsort((idx, -s.ravel()[idx], flat[idx]))  # per patch: highest score, then first cell
    first = idx[order][np.r_[True, np.diff(flat[idx][order]) != 0]]
    rr, cc = np.unravel_index(first, s.shape)
    out = pd.DataFrame({"row": rr.astype(np.int64), "col": cc.astype(np.int64), "score": s.ravel()[first],
                        "cells": np.bincount(flat, minlength=n + 1)[1:].astype(np.int64)})
    return out.sort_values(["score", "row", "col"], ascending=[False, True, True], kind="stable").reset_index(
        drop=True)


def break_nodes(paths: dict, masks: dict) -> pd.DataFrame:
    """Break points: where least-cost paths cross roads, railways or built-up cells (METHODS §4.4).

    Parameters
    ----------
    paths : dict
        (source_a, source_b) → (n, 2) path cells (:attr:`Links.paths`).
    masks : dict
        What crosses (e.g. ``"road"``, ``"railway"``, ``"built"``) → (rows,
        cols) bool mask; a crossing takes the first name whose mask holds its
        cell.

    Returns
    -------
    pandas.DataFrame
        One row per crossing: ``source_a, source_b, row, col, step, cells``
        (:func:`~ecozone.ecology.barriers.break_points`) and ``what``.
    """
    cols = ["source_a", "source_b", "row", "col", "step", "cells", "what"]
    names = [k for k, v in masks.items() if v is not None]
    if not names or not paths:
        return pd.DataFrame({c: pd.Series([], dtype=object if c == "what" else np.int64) for c in cols})
    union = np.zeros(np.asarray(masks[names[0]]).shape, bool)
    for k in names:
        union |= np.asarray(masks[k], bool)
    frames = []
    for (a, b), cells in paths.items():
        bp = break_points(cells, union)
        if not len(bp):
            continue
        what = np.full(len(bp), "", dtype=object)
        for k in reversed(names):  # the first name wins
            on = np.asarray(masks[k], bool)[bp["row"].to_numpy(), bp["col"].to_numpy()]
            what[on] = k
        frames.append(bp.assign(source_a=int(a), source_b=int(b), what=what))
    if not frames:
        return pd.DataFrame({c: pd.Series([], dtype=object if c == "what" else np.int64) for c in cols})
    return pd.concat(frames, ignore_index=True)[cols]


# -- network metrics --------------------------------------------------------------------------------


def point_distances(points: list, cellsize: float = 1.0, max_distance: float | None = None) -> np.ndarray:
    """Edge-to-edge distances between patches given by their boundary cells.

    Parameters
    ----------
    points : list of (k_i, 2) arrays
        Cell coordinates (row, col) of each patch's boundary cells (any cells
        of the patch will do; boundary cells are enough and fewer).
    cellsize : float
        Cell side, m.
    max_distance : float, optional
        Pairs farther apart (m) get ``inf``.

    Returns
    -------
    numpy.ndarray
        n × n distances between the centres of the closest cells, m (0 on
        the diagonal), as :func:`~ecozone.ecology.conefor.edge_distances`.

    Notes
    -----
    Exact, with pruning: for a pair (A, B) the point of A nearest to B's
    bounding box is queried first (distance d₀ to B); only the points of A
    within d₀ of that box can be closer, and only they are queried (a KD-tree
    per patch, :class:`scipy.spatial.cKDTree`).
    """
    n = len(points)
    out = np.full((n, n), np.inf)
    np.fill_diagonal(out, 0.0)
    pts = [np.asarray(p, dtype=float).reshape(-1, 2) * float(cellsize) for p in points]
    trees = [cKDTree(p) if len(p) else None for p in pts]
    lo = [p.min(axis=0) if len(p) else None for p in pts]
    hi = [p.max(axis=0) if len(p) else None for p in pts]
    bound = np.inf if max_distance is None else float(max_distance)
    for i in range(n):
        for j in range(i + 1, n):
            if trees[i] is None or trees[j] is None:
                continue
            a, b = (i, j) if len(pts[i]) <= len(pts[j]) else (j, i)
            gap = np.maximum(np.maximum(lo[b] - pts[a], pts[a] - hi[b]), 0.0)
            dbox = np.hypot(gap[:, 0], gap[:, 1])  # a lower bound of each point's distance to B
            k = int(np.argmin(dbox))
            if dbox[k] > bound:
                continue
            d0 = float(trees[b].query(pts[a][k])[0])
            reach = min(d0, bound) * (1 + 1e-12) + 1e-9  # a hair above: rounding of the two distances
            cand = pts[a][dbox <= reach]
            m = d0
            if len(cand):
                dd, _ = trees[b].query(cand, k=1, distance_upper_bound=reach)
                m = min(m, float(np.min(dd)))
            out[i, j] = out[j, i] = m if m <= bound else np.inf
    return out


def network_metrics(areas_km2, distances, n_links: int, landscape_km2: float, distance_m: float,
                    p_at_distance: float) -> dict:
    """Graph indices and connectivity of one unit's network (METHODS §4.5).

    Parameters
    ----------
    areas_km2 : array_like
        Areas of the unit's sources, km².
    distances : (n, n) array_like
        d_ij between them (m, or resistance × m for cost distances; ``inf`` =
        no link).
    n_links : int
        Corridors with both ends among the sources.
    landscape_km2 : float
        A_L, the unit's area, km².
    distance_m, p_at_distance : float
        Dispersal distance (m) and its probability.

    Returns
    -------
    dict
        ``n_sources``, ``n_corridors``, ``alpha``, ``beta``, ``gamma`` (NaN:
        α and γ when V < 3, β when V = 0, as METHODS defines them), ``pc``
        and ``iic`` (0…1; 0 without sources), ``eca`` (km²; 0 without sources).
    """
    a = np.asarray(areas_km2, dtype=float)
    n = a.size
    alpha, beta, gamma = network_indices(n, int(n_links))
    out = {"n_sources": n, "n_corridors": int(n_links), "alpha": alpha, "beta": beta, "gamma": gamma,
           "pc": 0.0, "iic": 0.0, "eca": 0.0}
    if n == 0:
        return out
    if not (np.isfinite(landscape_km2) and landscape_km2 > 0):
        raise InputError(f"landscape area must be > 0, got {landscape_km2!r}", where="network_metrics",
                         fix="pass the unit's area in km²")
    d = np.asarray(distances, dtype=float)
    k = -np.log(float(p_at_distance)) / float(distance_m)
    pc_num, _ = _pc_num(a, d, k)
    linked = (d <= distance_m) & ~np.eye(n, dtype=bool)
    iic_num, _ = _iic_num(a, linked)
    A2 = float(landscape_km2) ** 2
    out.update(pc=pc_num / A2, iic=iic_num / A2, eca=float(np.sqrt(pc_num)))
    return out


def core_cells(mspa_classes) -> np.ndarray:
    """Core cells (external and internal) of an MSPA map."""
    return np.isin(np.asarray(mspa_classes), (CORE, CORE + INTERNAL))
