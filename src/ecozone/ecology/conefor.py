"""Conefor-style habitat connectivity (PC, IIC, ECA, dPC) and graph indices.

Saura & Pascual-Hortal (2007) *Landscape and Urban Planning* 83: 91-103
(IIC, PC); Saura & Rubio (2010) *Ecography* 33: 523-537 (dPC fractions);
METHODS §4.5.

Conventions (the ``conefor`` convention of the reference values in
``shared/oracles/conefor``): sums run over all ordered pairs including
``i = j`` (``p*_ii = 1``, ``nl_ii = 0``); no probability threshold
(``pij_min = 0``); a node's removal leaves the landscape area ``A_L``
unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import shortest_path
from scipy.spatial import cKDTree

from ecozone.errors import InputError, ParameterError

__all__ = ["connectivity", "edge_distances", "network_indices"]


def _check_inputs(areas, distances, distance_m, p, landscape_area):
    a = np.asarray(areas, dtype=float)
    if a.ndim != 1 or a.size == 0:
        raise InputError(
            "patch areas must be a non-empty 1-D array",
            where="connectivity(areas)",
            fix="pass one area per patch",
        )
    if not np.isfinite(a).all() or (a < 0).any():
        bad = int(np.flatnonzero(~np.isfinite(a) | (a < 0))[0])
        raise InputError(
            f"patch area {a[bad]!r} at position {bad} is not a finite number >= 0",
            where="connectivity(areas)",
            fix="give every patch a finite, non-negative area",
        )
    if a.sum() <= 0:
        raise InputError(
            "all patch areas are zero",
            where="connectivity(areas)",
            fix="pass the patches' areas (at least one > 0)",
        )
    d = np.asarray(distances, dtype=float)
    n = a.size
    if d.shape != (n, n):
        raise InputError(
            f"distances must be a {n}x{n} matrix for {n} patches, got shape {d.shape}",
            where="connectivity(distances)",
            fix="pass the square matrix of distances between the patches, in metres",
        )
    off = ~np.eye(n, dtype=bool)
    if np.isnan(d).any():
        i, j = np.argwhere(np.isnan(d))[0]
        raise InputError(
            f"distance between patches {i} and {j} is NaN",
            where="connectivity(distances)",
            fix="use numpy.inf for pairs without a connection",
        )
    if (d[off] < 0).any():
        i, j = np.argwhere((d < 0) & off)[0]
        raise InputError(
            f"distance between patches {i} and {j} is negative ({d[i, j]})",
            where="connectivity(distances)",
            fix="distances are edge-to-edge lengths in metres (>= 0)",
        )
    both = np.isfinite(d) & np.isfinite(d.T)
    if (np.isfinite(d) != np.isfinite(d.T)).any() or not np.allclose(d[both], d.T[both]):
        raise InputError(
            "the distance matrix is not symmetric",
            where="connectivity(distances)",
            fix="pass d[i, j] == d[j, i]",
        )
    if not np.isfinite(distance_m) or distance_m <= 0:
        raise ParameterError(
            f"distance_m must be a positive distance in metres, got {distance_m!r}",
            where="ecology.distance_m",
            fix="use the species' dispersal distance, e.g. 5000",
        )
    if not np.isfinite(p) or not 0 < p < 1:
        raise ParameterError(
            f"p must lie strictly between 0 and 1, got {p!r}",
            where="ecology.p_at_distance",
            fix="use the dispersal probability at distance_m, e.g. 0.5",
        )
    if not np.isfinite(landscape_area) or landscape_area <= 0:
        raise ParameterError(
            f"landscape_area must be a positive area, got {landscape_area!r}",
            where="connectivity(landscape_area)",
            fix="pass A_L in the same unit as the patch areas",
        )
    return a, d


def _pc_num(a: np.ndarray, cost: np.ndarray, k: float) -> tuple[float, np.ndarray]:
    """Σ_i Σ_j a_i a_j p*_ij and p* (max-product paths = shortest paths on k·d)."""
    n = a.size
    if n == 0:
        return 0.0, np.zeros((0, 0))
    # explicit sparse entries: a zero distance is an edge (probability 1)
    off = ~np.eye(n, dtype=bool) & np.isfinite(cost)
    r, c = np.nonzero(off)
    g = csr_matrix((cost[r, c], (r, c)), shape=(n, n))
    sp = shortest_path(g, method="D", directed=False)
    pstar = np.exp(-k * sp)
    return float(a @ pstar @ a), pstar


def _iic_num(a: np.ndarray, linked: np.ndarray) -> tuple[float, np.ndarray]:
    """Σ_i Σ_j a_i a_j / (1 + nl_ij) with nl the topological distance."""
    n = a.size
    if n == 0:
        return 0.0, np.zeros((0, 0))
    nl = shortest_path(linked.astype(float), method="D", directed=False, unweighted=True)
    inv = np.where(np.isfinite(nl), 1.0 / (1.0 + nl), 0.0)
    return float(a @ inv @ a), inv


def _importance(a, num, mat, num_without):
    """dX, intra, flux, connector for every node (percent)."""
    dx = 100.0 * (num - num_without) / num
    intra = 100.0 * a**2 / num
    off = mat - np.diag(np.diag(mat))
    flux = 100.0 * 2.0 * a * (off @ a) / num
    return dx, intra, flux, dx - intra - flux


def connectivity(
    areas,
    distances,
    distance_m: float,
    p: float,
    landscape_area: float,
    ids=None,
) -> dict:
    """Probability of connectivity (PC), IIC, ECA and node importance dPC.

    Parameters
    ----------
    areas : array_like of float, shape (n,)
        Patch areas a_i (any area unit, the same as ``landscape_area``).
    distances : array_like of float, shape (n, n)
        Symmetric distances between patches d_ij, metres (edge-to-edge, see
        :func:`edge_distances`, or least-cost distances); ``inf`` = no link.
        The diagonal is ignored.
    distance_m : float
        Dispersal distance, metres: the distance at which the direct
        dispersal probability is ``p``, and the IIC link threshold
        (``d_ij <= distance_m``).
    p : float
        Dispersal probability at ``distance_m`` (0 < p < 1); k = −ln p /
        distance_m and p_ij = exp(−k d_ij).
    landscape_area : float
        Landscape area A_L, same unit as ``areas``.
    ids : sequence, optional
        Index for the per-patch Series (default 0..n−1).

    Returns
    -------
    dict
        ``pc``, ``iic`` (dimensionless, 0..1), ``eca`` (area unit of
        ``areas``), ``pc_num`` and ``iic_num`` (area unit squared) as floats;
        ``dpc``, ``dpc_intra``, ``dpc_flux``, ``dpc_connector``, ``diic``,
        ``diic_intra``, ``diic_flux``, ``diic_connector`` as
        :class:`pandas.Series` in percent, indexed by ``ids``.

    Raises
    ------
    InputError
        Bad areas or distance matrix (NaN, negative, not square/symmetric).
    ParameterError
        ``distance_m``, ``p`` or ``landscape_area`` out of range.

    Notes
    -----
    p*_ij is the maximum product probability over all paths, found as the
    shortest path on −ln p_ij = k d_ij (Dijkstra, :mod:`scipy.sparse.csgraph`);
    nl_ij is the number of links on the shortest path of the graph with
    links ``d_ij <= distance_m`` (pairs not connected add 0 to IIC).
    dX_k = 100 (X − X_without_k) / X with A_L unchanged; intra_k =
    100 a_k² / num; flux_k = 100 · 2 a_k Σ_{j≠k} a_j p*_kj / num (p* of the
    full graph); connector_k = dX_k − intra_k − flux_k.  Cost: one
    all-pairs shortest path per removed node, O(n^4) at worst; fine for a
    few hundred patches.
    """
    a, d = _check_inputs(areas, distances, distance_m, p, landscape_area)
    n = a.size
    index = pd.RangeIndex(n) if ids is None else pd.Index(ids)
    if len(index) != n:
        raise InputError(
            f"{len(index)} ids for {n} patches", where="connectivity(ids)", fix="pass one id per patch"
        )
    k = -np.log(p) / float(distance_m)
    linked = (d <= distance_m) & ~np.eye(n, dtype=bool)

    pc_num, pstar = _pc_num(a, d, k)
    iic_num, inv = _iic_num(a, linked)

    pc_wo = np.empty(n)
    iic_wo = np.empty(n)
    for j in range(n):
        keep = np.ones(n, bool)
        keep[j] = False
        pc_wo[j] = _pc_num(a[keep], d[np.ix_(keep, keep)], k)[0]
        iic_wo[j] = _iic_num(a[keep], linked[np.ix_(keep, keep)])[0]

    dpc, pintra, pflux, pconn = _importance(a, pc_num, pstar, pc_wo)
    A2 = float(landscape_area) ** 2
    out = {
        "pc": pc_num / A2,
        "iic": iic_num / A2,
        "eca": float(np.sqrt(pc_num)),
        "pc_num": pc_num,
        "iic_num": iic_num,
        "dpc": pd.Series(dpc, index=index, name="dpc"),
        "dpc_intra": pd.Series(pintra, index=index, name="dpc_intra"),
        "dpc_flux": pd.Series(pflux, index=index, name="dpc_flux"),
        "dpc_connector": pd.Series(pconn, index=index, name="dpc_connector"),
    }
    # iic_num > 0: the i = j terms alone give Σ a_i² > 0
    diic, iintra, iflux, iconn = _importance(a, iic_num, inv, iic_wo)
    out.update(
        diic=pd.Series(diic, index=index, name="diic"),
        diic_intra=pd.Series(iintra, index=index, name="diic_intra"),
        diic_flux=pd.Series(iflux, index=index, name="diic_flux"),
        diic_connector=pd.Series(iconn, index=index, name="diic_connector"),
    )
    return out


def edge_distances(labels, cellsize: float, max_distance: float | None = None) -> pd.DataFrame:
    """Edge-to-edge Euclidean distances between labelled patches.

    Parameters
    ----------
    labels : array_like of int, shape (rows, cols)
        Patch labels (> 0); 0 and negative values are not patches.
    cellsize : float
        Cell side, metres (square cells, projected grid).
    max_distance : float, optional
        Pairs farther apart than this many metres get ``inf`` (faster on
        many patches).

    Returns
    -------
    pandas.DataFrame
        Square frame indexed and columned by the patch labels (ascending):
        the distance in metres between the centres of the two closest cells
        of the two patches (cells of one patch: 0 on the diagonal; cells that
        touch by a side are ``cellsize`` apart, by a corner
        ``sqrt(2) * cellsize``).

    Notes
    -----
    Only boundary cells (with a 4-neighbour outside the patch) can be the
    closest cells, so a KD-tree (:class:`scipy.spatial.cKDTree`) of each
    patch's boundary cells is queried with the others' boundary cells.
    """
    lab = np.asarray(labels)
    if lab.ndim != 2 or lab.dtype.kind not in "iu":
        raise InputError(
            "patch labels must be a 2-D integer raster",
            where="edge_distances(labels)",
            fix="label the patches with scipy.ndimage.label or core_patches",
        )
    if not np.isfinite(cellsize) or cellsize <= 0:
        raise ParameterError(
            f"cellsize must be a positive number of metres, got {cellsize!r}",
            where="edge_distances(cellsize)",
        )
    ids = np.unique(lab[lab > 0])
    n = ids.size
    out = np.full((n, n), np.inf)
    np.fill_diagonal(out, 0.0)
    if n == 0:
        return pd.DataFrame(out, index=ids, columns=ids)
    padded = np.pad(lab, 1, constant_values=0)
    inner = padded[1:-1, 1:-1]
    same = np.ones(lab.shape, bool)
    for sl in (
        (slice(0, -2), slice(1, -1)),
        (slice(2, None), slice(1, -1)),
        (slice(1, -1), slice(0, -2)),
        (slice(1, -1), slice(2, None)),
    ):
        same &= padded[sl] == inner
    boundary = (lab > 0) & ~same
    pts = []
    rr, cc = np.nonzero(boundary)
    bl = lab[rr, cc]
    order = np.argsort(bl, kind="stable")
    rr, cc, bl = rr[order], cc[order], bl[order]
    starts = np.searchsorted(bl, ids)
    ends = np.searchsorted(bl, ids, side="right")
    for s, e in zip(starts, ends, strict=True):
        pts.append(np.column_stack([rr[s:e], cc[s:e]]).astype(float) * float(cellsize))
    trees = [cKDTree(q) for q in pts]
    bound = np.inf if max_distance is None else float(max_distance)
    for i in range(n):
        for j in range(i + 1, n):
            # query the smaller set against the other's tree
            a, b = (i, j) if len(pts[i]) <= len(pts[j]) else (j, i)
            dd, _ = trees[b].query(pts[a], k=1, distance_upper_bound=bound)
            m = float(dd.min())
            out[i, j] = out[j, i] = m
    return pd.DataFrame(out, index=ids, columns=ids)


def network_indices(n_nodes: int, n_links: int) -> tuple[float, float, float]:
    """Graph indices alpha, beta, gamma of an ecological network.

    Parameters
    ----------
    n_nodes : int
        Number of nodes V (sources).
    n_links : int
        Number of links L (corridors).

    Returns
    -------
    tuple of float
        ``alpha = (L − V + 1) / (2V − 5)`` (circuitry), ``beta = L / V``
        (links per node), ``gamma = L / (3 (V − 2))`` (connectivity), all
        dimensionless.  alpha and gamma are NaN ("empty") when V < 3, where
        they are undefined; beta is NaN when V = 0.
    """
    for name, v in (("n_nodes", n_nodes), ("n_links", n_links)):
        if isinstance(v, bool) or int(v) != v or v < 0:
            raise ParameterError(
                f"{name} must be a whole number >= 0, got {v!r}",
                where=f"network_indices({name})",
            )
    V, L = int(n_nodes), int(n_links)
    beta = L / V if V > 0 else float("nan")
    if V < 3:
        return float("nan"), beta, float("nan")
    return (L - V + 1) / (2 * V - 5), beta, L / (3 * (V - 2))
