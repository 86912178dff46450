"""Circuit theory as Circuitscape's raster pairwise mode (METHODS §4.4).

The raster is a resistor network. Every cell with a finite resistance r > 0
is a node; it is joined to its 4 (rook) or 8 (rook and bishop) neighbours by
a conductance of 1 / mean(r₁, r₂) on a cell side and 1 / (√2 · mean(r₁, r₂))
across a corner (Circuitscape's ``connect_using_avg_resistances``). Cells
whose resistance is NaN or +inf are nodata: no node. The cell size is not
used: resistances are per cell, as in Circuitscape.

Focal regions are the cells sharing one positive label. For a pair (a, b)
the cells of a are short-circuited into one node and so are the cells of b
(other focal regions stay ordinary cells); 1 A flows from b to a and the
effective resistance R_ab is the voltage between them, in the resistance
raster's unit (Ω when it holds ohms). A pair whose regions lie in different
components, or a region without a passable cell, gets R = −1.

Maps (Circuitscape's conventions): the current of a node is
max(Σ inflow, Σ outflow) in A; every cell of a focal region, nodata cells
included, carries its region's current and voltage; the cumulative current
is the sum over the pairs.

Each pair is one solve of the graph Laplacian (one node tied to ground, which
leaves voltage differences exact) by conjugate gradients preconditioned with
a PyAMG smoothed-aggregation hierarchy. The hierarchy of a connected component
is built once and reused by all pairs of single-cell focal nodes inside it;
a pair with a multi-cell region has its own matrix (the merged nodes) and so
its own hierarchy. Memory grows with the number of cells and edges, never
with the number of pairs.

References
----------
McRae, Dickson, Keitt & Shah (2008), Using circuit theory to model
connectivity in ecology, evolution, and conservation, Ecology 89, 2712–2724.
Anantharaman, Hall, Shah & Edelman (2020), Circuitscape in Julia,
JuliaCon Proceedings 1(1), 58.
Bell & Olson (2023), PyAMG: algebraic multigrid solvers in Python, JOSS
7(72), 4142.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyamg
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import cg
from threadpoolctl import threadpool_limits

from ecozone.ecology.cost import _connect, _labels, _resistance
from ecozone.errors import InputError, ParameterError

__all__ = [
    "PairSolution",
    "advanced_mode",
    "current_density",
    "effective_resistance",
    "pair_solution",
    "pairwise",
    "pinch_points",
]

_SQRT2 = math.sqrt(2.0)


# ---------------------------------------------------------------------------
# the network


def _edges(r: np.ndarray, connect: int):
    """Node number per cell (−1 nodata) and the edge list (i, j, conductance)."""
    valid = np.isfinite(r)
    n = int(valid.sum())
    itype = np.int32 if n < 2**31 - 1 else np.int64
    node = np.full(r.shape, -1, dtype=itype)
    node[valid] = np.arange(n, dtype=itype)
    rows, cols = r.shape
    steps = [(0, 1, 1.0), (1, 0, 1.0)]
    if connect == 8:
        steps += [(1, 1, 1.0 / _SQRT2), (1, -1, 1.0 / _SQRT2)]
    ii, jj, gg = [], [], []
    for dr, dc, w in steps:
        s1 = (slice(0, rows - dr), slice(max(0, -dc), cols - max(0, dc)))
        s2 = (slice(dr, rows), slice(max(0, dc), cols - max(0, -dc)))
        ok = valid[s1] & valid[s2]
        ii.append(node[s1][ok])
        jj.append(node[s2][ok])
        gg.append(w * 2.0 / (r[s1][ok] + r[s2][ok]))
    return node, n, np.concatenate(ii), np.concatenate(jj), np.concatenate(gg)


def _laplacian(li: np.ndarray, lj: np.ndarray, g: np.ndarray, m: int) -> sp.csr_matrix:
    w = sp.coo_matrix((g, (li, lj)), shape=(m, m))
    w = (w + w.T).tocsr()
    deg = np.asarray(w.sum(axis=1)).ravel()
    lap = (sp.diags(deg) - w).tocsr()
    lap.sum_duplicates()
    return lap


@dataclass
class _System:
    lap: sp.csr_matrix
    li: np.ndarray
    lj: np.ndarray
    g: np.ndarray
    ml: object  # pyamg multilevel solver


def _amg(mat: sp.csr_matrix):
    """Smoothed-aggregation hierarchy for an SPD graph Laplacian.

    The prolongation smoother is weighted locally (Gershgorin bound) instead of
    by an estimated spectral radius: same hierarchy quality on Laplacians,
    several times cheaper to set up.
    """
    return pyamg.smoothed_aggregation_solver(
        mat, symmetry="hermitian", max_coarse=50, smooth=("jacobi", {"weighting": "local"})
    )


def _system(li, lj, g, m: int, ground: int) -> _System:
    """Laplacian of a connected graph with one node tied to 0 V by a conductance.

    Tying node k to ground by any conductance δ > 0 makes the matrix SPD
    without changing the solution of L x = b for a right-hand side summing to
    zero: summing the rows gives δ x_k = Σ b = 0, so x_k = 0 and L x = b.
    One grounded matrix therefore serves every pair of its component.
    """
    lap = _laplacian(li, lj, g, m)
    shift = np.zeros(m)
    shift[ground] = lap[ground, ground] if lap[ground, ground] > 0 else 1.0
    lap = (lap + sp.diags(shift)).tocsr()
    return _System(lap, li, lj, g, _amg(lap))


def _cg(mat, b: np.ndarray, ml, tol: float):
    """Preconditioned CG with BLAS on one thread.

    CG's vector operations (dot products, axpy) are memory-bound: threaded
    BLAS only adds synchronisation, which on a busy machine made the solves
    several times slower.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return cg(
            mat,
            b,
            rtol=tol,
            atol=0.0,
            maxiter=max(1000, mat.shape[0]),
            M=ml.aspreconditioner(cycle="V"),
        )


def _solve(system: _System, b: np.ndarray, tol: float, where: str) -> np.ndarray:
    x, info = _cg(system.lap, b, system.ml, tol)
    if info != 0:
        raise ParameterError(
            f"conjugate gradients did not reach the relative tolerance {tol:g}",
            where=where,
            fix="pass a larger tol, or check for extreme resistance contrasts (e.g. 1e-9 vs 1e9)",
        )
    return x


def _node_currents(system: _System, x: np.ndarray) -> np.ndarray:
    m = x.size
    f = system.g * (x[system.li] - x[system.lj])
    pos = np.maximum(f, 0.0)
    neg = np.maximum(-f, 0.0)
    out = np.bincount(system.li, pos, m) + np.bincount(system.lj, neg, m)
    inn = np.bincount(system.lj, pos, m) + np.bincount(system.li, neg, m)
    return np.maximum(out, inn)


class _Network:
    """The resistor network of one raster, solved pair by pair."""

    def __init__(self, resistance, focal_labels, connect, tol):
        self.r = _resistance(resistance)
        self.lab = _labels(focal_labels, self.r, "focal_labels")
        self.connect = _connect(connect)
        if not (0 < float(tol) < 1):
            raise ParameterError(
                f"tol must lie in (0, 1), got {tol!r}", where="tol", fix="use e.g. 1e-10"
            )
        self.tol = float(tol)
        self.node, self.n, self.i, self.j, self.g = _edges(self.r, self.connect)
        adj = sp.coo_matrix(
            (np.ones(self.i.size, dtype=np.int8), (self.i, self.j)), shape=(self.n, self.n)
        )
        _, self.comp = connected_components(adj, directed=False)
        self.ids = np.unique(self.lab[self.lab > 0])
        self._cache: tuple[int, np.ndarray, _System] | None = None

    def pairs(self, pairs) -> list[tuple[int, int]]:
        if pairs is None:
            ids = self.ids.tolist()
            return [(a, b) for k, a in enumerate(ids) for b in ids[k + 1 :]]
        if isinstance(pairs, pd.DataFrame):
            pairs = pairs.iloc[:, :2].to_numpy()
        out = []
        for p in pairs:
            a, b = (int(v) for v in p)
            if a == b or a <= 0 or b <= 0:
                raise InputError(
                    f"pair ({a}, {b}) must join two different focal ids > 0",
                    where="pairs",
                    fix="list pairs of focal region ids",
                )
            for s in (a, b):
                if s not in self.ids:
                    raise InputError(
                        f"focal id {s} of pair ({a}, {b}) has no cell",
                        where="pairs",
                        fix="name ids present in focal_labels",
                    )
            out.append((a, b))
        return out

    def _component_system(self, c: int):
        if self._cache is not None and self._cache[0] == c:
            return self._cache[1], self._cache[2]
        self._cache = None  # release the previous hierarchy before building the next
        members = np.flatnonzero(self.comp == c)
        loc = np.full(self.n, -1, dtype=np.int64)
        loc[members] = np.arange(members.size)
        li, lj = loc[self.i], loc[self.j]
        keep = li >= 0
        system = _system(li[keep], lj[keep], self.g[keep], members.size, 0)
        self._cache = (c, members, system)
        return members, system

    def solve(self, a: int, b: int, maps: bool):
        """R_ab, and when asked the node-current and voltage maps of the pair."""
        na = self.node[self.lab == a]
        nb = self.node[self.lab == b]
        na, nb = na[na >= 0], nb[nb >= 0]
        if na.size == 0 or nb.size == 0:
            return -1.0, None
        common = np.intersect1d(self.comp[na], self.comp[nb])
        if common.size == 0:
            return -1.0, None
        in_dom = np.isin(self.comp, common)
        na, nb = na[in_dom[na]], nb[in_dom[nb]]
        if not (na.size == 1 and nb.size == 1 and common.size == 1):
            return self._solve_regions(a, b, na, nb, in_dom, maps)
        members, system = self._component_system(int(common[0]))
        newidx = np.full(self.n, -1, dtype=np.int64)
        newidx[members] = np.arange(members.size)
        alpha, beta = int(newidx[na[0]]), int(newidx[nb[0]])
        rhs = np.zeros(system.lap.shape[0])
        rhs[alpha], rhs[beta] = 1.0, -1.0
        x = _solve(system, rhs, self.tol, f"pair ({a}, {b})")
        res = float(x[alpha] - x[beta])
        if not maps:
            return res, None
        cur = _node_currents(system, x)
        volt = x[alpha] - x  # V(a) = 0, V(b) = R_ab as Circuitscape writes it
        cells = self.node >= 0
        idx = np.where(cells, newidx[np.where(cells, self.node, 0)], -1)
        inside = idx >= 0
        cmap = np.zeros(self.r.shape)
        vmap = np.zeros(self.r.shape)
        cmap[inside] = cur[idx[inside]]
        vmap[inside] = volt[idx[inside]]
        for lab_id, k in ((a, alpha), (b, beta)):
            region = self.lab == lab_id
            cmap[region] = cur[k]
            vmap[region] = volt[k]
        return res, (cmap, vmap)

    def _solve_regions(self, a: int, b: int, na: np.ndarray, nb: np.ndarray, in_dom: np.ndarray, maps: bool):
        """A pair with a region of several cells (or spread over components): Dirichlet form.

        Short-circuiting a region makes its cells one equipotential node.
        Instead of merging them (a node with thousands of links, which makes
        the multigrid hierarchy dense and slow), the cells of a are held at
        1 V and those of b at 0 V, and the other nodes of the components
        holding both are solved for (a grounded, SPD grid Laplacian). The
        current leaving a is I = 1/R_ab; scaling by R_ab gives the 1 A
        solution of the merged network exactly (voltages and flows are linear).
        """
        fixed = np.zeros(self.n, dtype=bool)
        fixed[na] = True
        fixed[nb] = True
        v = np.zeros(self.n)  # 0 outside the domain: no edge joins it to the domain
        v[na] = 1.0
        free = np.flatnonzero(in_dom & ~fixed)
        if free.size:
            idx = np.full(self.n, -1, dtype=np.int64)
            idx[free] = np.arange(free.size)
            li, lj = idx[self.i], idx[self.j]
            inner = (li >= 0) & (lj >= 0)
            deg = np.bincount(self.i, self.g, self.n) + np.bincount(self.j, self.g, self.n)
            w = sp.coo_matrix((self.g[inner], (li[inner], lj[inner])), shape=(free.size, free.size))
            mat = (sp.diags(deg[free]) - (w + w.T)).tocsr()
            rhs = np.zeros(free.size)
            e1 = (li >= 0) & (lj < 0)
            e2 = (lj >= 0) & (li < 0)
            np.add.at(rhs, li[e1], self.g[e1] * v[self.j[e1]])
            np.add.at(rhs, lj[e2], self.g[e2] * v[self.i[e2]])
            x, info = _cg(mat, rhs, _amg(mat), self.tol)
            if info != 0:
                raise ParameterError(
                    f"conjugate gradients did not reach the relative tolerance {self.tol:g}",
                    where=f"pair ({a}, {b})",
                    fix="pass a larger tol, or check for extreme resistance contrasts (e.g. 1e-9 vs 1e9)",
                )
            v[free] = x
        f = self.g * (v[self.i] - v[self.j])  # flows of the 1 V solution, i → j
        in_a = np.zeros(self.n, dtype=bool)
        in_a[na] = True
        out_a, into_a = in_a[self.i] & ~in_a[self.j], in_a[self.j] & ~in_a[self.i]
        current = float(f[out_a].sum() - f[into_a].sum())
        if not current > 0:
            return -1.0, None
        res = 1.0 / current
        if not maps:
            return res, None
        f *= res  # 1 A
        pos, neg = np.maximum(f, 0.0), np.maximum(-f, 0.0)
        out = np.bincount(self.i, pos, self.n) + np.bincount(self.j, neg, self.n)
        inn = np.bincount(self.j, pos, self.n) + np.bincount(self.i, neg, self.n)
        cur = np.maximum(out, inn)
        cur[~in_dom] = 0.0
        volt = np.where(in_dom, res * (1.0 - v), 0.0)  # V(a) = 0, V(b) = R_ab as Circuitscape writes it
        cells = self.node >= 0
        cmap = np.zeros(self.r.shape)
        vmap = np.zeros(self.r.shape)
        cmap[cells] = cur[self.node[cells]]
        vmap[cells] = volt[self.node[cells]]
        # a region's current is that of its merged node: max(outflow, inflow) across its boundary
        for lab_id, nodes, v_reg in ((a, na, 0.0), (b, nb, res)):
            m = np.zeros(self.n, dtype=bool)
            m[nodes] = True
            leave, enter = m[self.i] & ~m[self.j], m[self.j] & ~m[self.i]
            o = pos[leave].sum() + neg[enter].sum()
            n_in = neg[leave].sum() + pos[enter].sum()
            region = self.lab == lab_id
            cmap[region] = max(o, n_in)
            vmap[region] = v_reg
        return res, (cmap, vmap)


# ---------------------------------------------------------------------------
# public API


def pairwise(
    resistance,
    focal_labels,
    connect: int = 8,
    *,
    pairs: Iterable | None = None,
    tol: float = 1e-10,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Effective resistances and cumulative current density in one pass.

    Parameters
    ----------
    resistance : (rows, cols) array_like
        Resistance per cell (> 0, e.g. Ω or the dimensionless resistance
        surface); NaN or +inf = nodata (no node).
    focal_labels : (rows, cols) array_like of int
        Focal region id per cell (> 0); labels ≤ 0 are not focal. Cells of one
        id form one region, short-circuited when it is part of the pair.
    connect : {8, 4}
        8 (default) or 4 neighbours.
    pairs : iterable of (a, b), optional
        The pairs to solve (Circuitscape's include list); default all pairs
        a < b of the ids present.
    tol : float
        Relative residual at which conjugate gradients stops.

    Returns
    -------
    table : pandas.DataFrame
        Columns ``a, b, resistance`` (resistance in the raster's unit, −1 for
        disconnected pairs or a region without a passable cell).
    current : numpy.ndarray of float64
        Cumulative current over the pairs, A per cell (1 A per pair).
    """
    net = _Network(resistance, focal_labels, connect, tol)
    rows = []
    cum = np.zeros(net.r.shape)
    for a, b in net.pairs(pairs):
        res, m = net.solve(a, b, maps=True)
        rows.append((a, b, res))
        if m is not None:
            cum += m[0]
    return _table(rows), cum


def _table(rows) -> pd.DataFrame:
    t = pd.DataFrame(rows, columns=["a", "b", "resistance"])
    return t.astype({"a": np.int64, "b": np.int64, "resistance": np.float64})


def effective_resistance(
    resistance,
    focal_labels,
    connect: int = 8,
    *,
    pairs: Iterable | None = None,
    tol: float = 1e-10,
) -> pd.DataFrame:
    """Pairwise effective resistance between focal regions (Circuitscape pairwise).

    Parameters
    ----------
    resistance : (rows, cols) array_like
        Resistance per cell (> 0); NaN or +inf = nodata.
    focal_labels : (rows, cols) array_like of int
        Focal region id per cell (> 0); ≤ 0 = not focal.
    connect : {8, 4}
        Neighbourhood.
    pairs : iterable of (a, b), optional
        Pairs to solve; default every pair a < b.
    tol : float
        Relative residual of the conjugate-gradient solve.

    Returns
    -------
    pandas.DataFrame
        ``a, b, resistance``: R_ab in the unit of the resistance raster
        (Ω for ohms), −1 for pairs that are not connected.

    Examples
    --------
    >>> import numpy as np
    >>> effective_resistance(np.array([[1.0, 2.0, 3.0]]), np.array([[1, 0, 2]]))
       a  b  resistance
    0  1  2         4.0
    """
    net = _Network(resistance, focal_labels, connect, tol)
    return _table([(a, b, net.solve(a, b, maps=False)[0]) for a, b in net.pairs(pairs)])


def current_density(
    resistance,
    focal_labels,
    connect: int = 8,
    *,
    pairs: Iterable | None = None,
    tol: float = 1e-10,
) -> np.ndarray:
    """Cumulative current over all focal pairs (Circuitscape ``cum_curmap``).

    Parameters
    ----------
    resistance, focal_labels, connect, pairs, tol
        As :func:`effective_resistance`.

    Returns
    -------
    numpy.ndarray of float64
        Current in A per cell summed over the pairs, each pair carrying 1 A:
        a node's current is max(inflow, outflow); every cell of a pair's focal
        regions carries its region's current; 0 on nodata and on cells no
        current reaches.
    """
    return pairwise(resistance, focal_labels, connect, pairs=pairs, tol=tol)[1]


@dataclass(frozen=True)
class PairSolution:
    """Solution for one pair of focal regions.

    Attributes
    ----------
    resistance : float
        R_ab (−1 when not connected).
    voltage : numpy.ndarray
        V per cell when 1 A flows from b to a: 0 on a, R_ab on b, 0 outside
        the pair's component and on nodata (V per A).
    current : numpy.ndarray
        Current per cell, A.
    """

    resistance: float
    voltage: np.ndarray
    current: np.ndarray


def pair_solution(
    resistance, focal_labels, a: int, b: int, connect: int = 8, *, tol: float = 1e-10
) -> PairSolution:
    """Resistance, voltage and current maps of one pair (Circuitscape's per-pair maps).

    Parameters
    ----------
    resistance, focal_labels, connect, tol
        As :func:`effective_resistance`.
    a, b : int
        The two focal ids.

    Returns
    -------
    PairSolution
    """
    net = _Network(resistance, focal_labels, connect, tol)
    ((a, b),) = net.pairs([(a, b)])
    res, m = net.solve(a, b, maps=True)
    if m is None:
        zero = np.zeros(net.r.shape)
        return PairSolution(res, zero, zero.copy())
    return PairSolution(res, m[1], m[0])


def advanced_mode(
    resistance,
    sources,
    grounds,
    connect: int = 8,
    *,
    tol: float = 1e-10,
) -> tuple[np.ndarray, np.ndarray]:
    """Voltages and currents for given current sources and grounds (Circuitscape advanced mode).

    Parameters
    ----------
    resistance : (rows, cols) array_like
        Resistance per cell (> 0); NaN / +inf = nodata.
    sources : (rows, cols) array_like
        Current injected at each cell, A (positive in, negative out; 0 or NaN
        none).
    grounds : (rows, cols) array_like
        Resistance of each cell's connection to ground (0 V), in the
        resistance raster's unit; 0 = a direct ground; NaN or +inf = none.
        Sources and grounds on the same cell are both kept (``keepall``).
    connect : {8, 4}
        Neighbourhood.
    tol : float
        Relative residual of the conjugate-gradient solve.

    Returns
    -------
    voltage : numpy.ndarray
        Node voltage per cell (0 on nodata and in components with no ground).
    current : numpy.ndarray
        max(inflow, outflow) per node, with the ground and source currents
        counted as flows, A.
    """
    r = _resistance(resistance)
    connect = _connect(connect)
    src = np.asarray(sources, dtype=np.float64)
    gnd = np.asarray(grounds, dtype=np.float64)
    for name, x in (("sources", src), ("grounds", gnd)):
        if x.shape != r.shape:
            raise InputError(
                f"{name} has shape {x.shape}, resistance has {r.shape}",
                where=name,
                fix="align the rasters",
            )
    src = np.where(np.isfinite(src), src, 0.0)
    if np.any(gnd < 0):
        raise InputError(
            "ground resistances must be ≥ 0",
            where="grounds",
            fix="use 0 for a direct ground and NaN for none",
        )
    node, n, i, j, g = _edges(r, connect)
    valid = node >= 0
    s_node = np.zeros(n)
    s_node[node[valid]] = src[valid]
    gres = np.full(n, np.inf)
    gres[node[valid]] = np.where(np.isfinite(gnd[valid]), gnd[valid], np.inf)
    direct = gres == 0
    with np.errstate(divide="ignore"):
        gcond = np.where(np.isfinite(gres) & ~direct, 1.0 / gres, 0.0)
    adj = sp.coo_matrix((np.ones(i.size, dtype=np.int8), (i, j)), shape=(n, n))
    _, comp = connected_components(adj, directed=False)
    grounded = np.zeros(comp.max() + 1 if n else 0, dtype=bool)
    grounded[comp[direct | (gcond > 0)]] = True
    solve = grounded[comp] & ~direct  # unknown voltages
    v = np.zeros(n)
    if solve.any():
        idx = np.full(n, -1, dtype=np.int64)
        idx[solve] = np.arange(int(solve.sum()))
        li, lj = idx[i], idx[j]
        keep = (li >= 0) & (lj >= 0)
        lap = _laplacian(li[keep], lj[keep], g[keep], int(solve.sum()))
        # edges to direct grounds act as conductance to 0 V
        to_gnd = np.zeros(int(solve.sum()))
        e1 = (li >= 0) & direct[j]
        e2 = (lj >= 0) & direct[i]
        np.add.at(to_gnd, li[e1], g[e1])
        np.add.at(to_gnd, lj[e2], g[e2])
        mat = (lap + sp.diags(to_gnd + gcond[solve])).tocsr()
        ml = _amg(mat)
        x, info = _cg(mat, s_node[solve], ml, tol)
        if info != 0:
            raise ParameterError(
                f"conjugate gradients did not reach {tol:g}", where="tol", fix="pass a larger tol"
            )
        v[solve] = x
    f = g * (v[i] - v[j])
    pos, neg = np.maximum(f, 0.0), np.maximum(-f, 0.0)
    out = np.bincount(i, pos, n) + np.bincount(j, neg, n)
    inn = np.bincount(j, pos, n) + np.bincount(i, neg, n)
    # ground current leaves the node; a source injects (or withdraws) current
    out += np.maximum(v * gcond, 0.0)
    inn += np.maximum(-v * gcond, 0.0)
    inn += np.maximum(s_node, 0.0)
    out += np.maximum(-s_node, 0.0)
    # a direct ground takes the net inflow of its node
    net_in = inn - out
    out[direct] += np.maximum(net_in[direct], 0.0)
    inn[direct] += np.maximum(-net_in[direct], 0.0)
    cur = np.maximum(inn, out)
    vmap = np.zeros(r.shape)
    cmap = np.zeros(r.shape)
    vmap[valid] = v[node[valid]]
    cmap[valid] = cur[node[valid]]
    return vmap, cmap


def pinch_points(current, corridor_mask, share: float = 0.1) -> np.ndarray:
    """Pinch points: corridor cells whose current is in the top ``share``.

    Parameters
    ----------
    current : (rows, cols) array_like
        Current density, A (e.g. :func:`current_density`).
    corridor_mask : (rows, cols) array_like of bool
        Corridor cells (e.g. finite NLCC within the cutoff).
    share : float
        Share of corridor cells kept, in (0, 1] (``ecology.pinch_share``,
        default 0.1): the ⌈share · n⌉ highest-current cells, and any cell tied
        with the lowest of them.

    Returns
    -------
    numpy.ndarray of bool
        True on pinch-point cells (label patches with ``scipy.ndimage.label``).
    """
    c = np.asarray(current, dtype=np.float64)
    m = np.asarray(corridor_mask, dtype=bool)
    if c.shape != m.shape:
        raise InputError(
            f"corridor_mask has shape {m.shape}, current has {c.shape}",
            where="corridor_mask",
            fix="align the rasters",
        )
    if not (0 < float(share) <= 1):
        raise ParameterError(
            f"pinch share must lie in (0, 1], got {share!r}",
            where="ecology.pinch_share",
            fix="use e.g. 0.1 for the top 10 %",
        )
    vals = c[m]
    if np.any(~np.isfinite(vals)):
        raise InputError(
            "current is not finite on some corridor cells",
            where="current",
            fix="pass the current map from current_density",
        )
    if vals.size == 0:
        return np.zeros(c.shape, dtype=bool)
    k = math.ceil(float(share) * vals.size)
    threshold = np.partition(vals, vals.size - k)[vals.size - k]
    return m & (c >= threshold)
