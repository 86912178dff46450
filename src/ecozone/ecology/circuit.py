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

Solver
------
A pair is a Dirichlet problem on the grid: the cells of a are held at 1 V and
those of b at 0 V (short-circuiting a region makes it one equipotential
node), and the other nodes of the components holding both are solved for.
The current leaving a equals the power of that solution, P = Σ g ΔV² over
the links (1 V drives P amperes), so R_ab = 1 / P; P is stationary at the
solution, so its error is the square of the solve's. Scaling the solution by
R_ab gives the 1 A maps (voltages and flows are linear).

The solve is conjugate gradients on the grid, preconditioned by one
smoothed-aggregation multigrid V-cycle built once per raster and shared by
every pair (Circuitscape.jl likewise builds one preconditioner per
component). Its finest level works on the grid itself, without a matrix:
the cells are aggregated by 3 × 3 blocks (cells of a block not linked
within it form separate aggregates), the prolongation is the aggregates
smoothed by one weighted-Jacobi step, P = (I − ⅔ D⁻¹L) P₀, and the smoother
is Gauss–Seidel over the pair's free cells, so each pair's own Dirichlet rows
enter the finest level exactly. The coarse operator PᵀLP (nine-point on the
blocks, one node per component tied to ground) is built once and handed to
PyAMG, whose levels are then run by the same compiled V-cycle. The
preconditioner keeps its links in float32 (it only has to be a fixed
symmetric positive definite operator; its sums are float64); conjugate
gradients run in float64 on the exact conductances, so ``tol`` applies to
the float64 problem. A solve holds about 80 bytes per cell (float32 links,
four float64 vectors, the coarse levels, labels), the resistance raster is
read in place; on 4,000 × 4,000 cells one pair peaks at 1.7 GB with its
inputs. The pairs run on threads (the compiled code releases the GIL), as
many at once as ``workers`` and 1 GiB of work vectors allow.

Where both ids of a pair are single nodes (points) in one component and a
component's point pairs outnumber its points less one, the pairs come from
n − 1 solves instead of one per pair, as Circuitscape's "shortcut": one point is
grounded, 1 A is injected at each other point in turn, and R_ij = G_ii +
G_jj − G_ij − G_ji from the voltage G_ij at point i of the solve injecting at
j. A point is one node whatever the pair, so the network is the same for all
its pairs and the numbers equal the per-pair solves to the tolerance; with
maps, the pair's potential is G_·i − G_·j (kept while the n − 1 fields fit
in 256 MiB, else one solve per pair).

References
----------
McRae, Dickson, Keitt & Shah (2008), Using circuit theory to model
connectivity in ecology, evolution, and conservation, Ecology 89, 2712–2724.
Anantharaman, Hall, Shah & Edelman (2020), Circuitscape in Julia,
JuliaCon Proceedings 1(1), 58.
Vaněk, Mandel & Brezina (1996), Algebraic multigrid by smoothed aggregation
for second and fourth order elliptic problems, Computing 56, 179–196.
Bell & Olson (2023), PyAMG: algebraic multigrid solvers in Python, JOSS
7(72), 4142.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyamg
import scipy.sparse as sp
from numba import njit
from scipy import ndimage
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import cg
from threadpoolctl import threadpool_limits

from ecozone.ecology.cost import _connect, _labels, _resistance, _workers
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
# weight of the prolongation smoother: PyAMG's 4/3 over the Gershgorin bound 2·d of a Laplacian row
_OMEGA = 2.0 / 3.0
# Gauss–Seidel sweeps: 2 = symmetric before and after the coarse correction (PyAMG's default),
# 1 = forward before, backward after (cheaper V-cycle, ~15 % more iterations)
_SWEEPS = 2
_VEC_BUDGET = 1 << 30  # bytes of work vectors for the pairs solved at once
_FIELD_BUDGET = 1 << 28  # bytes of unit-current fields kept by the point shortcut when maps are asked
_MAX_DENSE = 4000  # largest coarsest level inverted densely


# ---------------------------------------------------------------------------
# the network as an edge list (advanced mode)


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


def _amg(mat: sp.csr_matrix):
    """Smoothed-aggregation hierarchy for an SPD graph Laplacian.

    The prolongation smoother is weighted locally (Gershgorin bound) instead of
    by an estimated spectral radius: same hierarchy quality on Laplacians,
    several times cheaper to set up.
    """
    return pyamg.smoothed_aggregation_solver(
        mat, symmetry="hermitian", max_coarse=50, smooth=("jacobi", {"weighting": "local"})
    )


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


# ---------------------------------------------------------------------------
# grid kernels
#
# Vectors live on the raster padded by one cell: cell (y, x) is
# k = (y + 1)·(W + 2) + x + 1, so every cell has its 8 neighbours at fixed
# offsets. The resistance raster itself is read as given (float64, NaN or
# +inf on nodata); the links of a row (east, and south, south-east and
# south-west to the next row) are formed in row buffers indexed by the
# padded column, 0 where a cell is missing. ``st`` marks a pair's cells:
# 0 free, 1 held at 0 V (or outside the pair's components), 2 held at 1 V
# (region a), 3 held at 0 V (region b). Vectors are kept at 0 on every held
# cell and on the pad.


@njit(inline="always")
def _link(a, b, c):
    """Conductance c / (a + b) of a link; 0 when a cell is nodata (NaN gives NaN, +inf gives 0)."""
    g = c / (a + b)
    return g if g == g else 0.0


@njit(cache=True, nogil=True, error_model="numpy")
def _row_links(r, y, eight, ge, gs, gse, gsw):
    """Links of raster row y into buffers indexed by padded column (east, south, south-east, south-west)."""
    rows, cols = r.shape
    c1 = 2.0
    c2 = 2.0 / math.sqrt(2.0)
    rc = r[y]
    for x in range(cols - 1):
        ge[x + 1] = _link(rc[x], rc[x + 1], c1)
    ge[cols] = 0.0
    if y + 1 < rows:
        rs = r[y + 1]
        for x in range(cols):
            gs[x + 1] = _link(rc[x], rs[x], c1)
        if eight:
            for x in range(cols - 1):
                gse[x + 1] = _link(rc[x], rs[x + 1], c2)
            gse[cols] = 0.0
            gsw[1] = 0.0
            for x in range(1, cols):
                gsw[x + 1] = _link(rc[x], rs[x - 1], c2)
        else:
            gse[:] = 0.0
            gsw[:] = 0.0
    else:
        gs[:] = 0.0
        gse[:] = 0.0
        gsw[:] = 0.0


@njit(cache=True, nogil=True)
def _pair_state(comp, dom, st):
    """st = 0 on the passable cells of the components flagged in ``dom``, 1 elsewhere."""
    rows, cols = comp.shape
    wp = cols + 2
    for y in range(rows):
        for x in range(cols):
            c = comp[y, x]
            st[(y + 1) * wp + x + 1] = 0 if (c > 0 and dom[c]) else 1


@njit(cache=True, nogil=True, error_model="numpy")
def _matvec(r, st, p, q, eight):
    """q = L p on the free cells (exact float64 conductances), 0 on held cells.

    The north links of a row are the previous row's south links. (The
    kernels index row views with the column, which the compiler knows is
    ≥ 0: with flat indices such as k − wp it checks for negative indices and
    does not vectorise.)
    """
    rows, cols = r.shape
    wp = cols + 2
    ge = np.zeros(wp)
    gs = np.zeros(wp)
    gse = np.zeros(wp)
    gsw = np.zeros(wp)
    ps = np.zeros(wp)
    pse = np.zeros(wp)
    psw = np.zeros(wp)
    for y in range(1, rows + 1):
        b = y * wp
        _row_links(r, y - 1, eight, ge, gs, gse, gsw)
        pc = p[b : b + wp]
        pn = p[b - wp : b]
        pv = p[b + wp : b + 2 * wp]
        sc = st[b : b + wp]
        qc = q[b : b + wp]
        if eight:
            for x in range(1, cols + 1):
                px = pc[x]
                acc = (ge[x] * (px - pc[x + 1]) + ge[x - 1] * (px - pc[x - 1])) + (
                    gs[x] * (px - pv[x]) + ps[x] * (px - pn[x])
                )
                acc += (gse[x] * (px - pv[x + 1]) + pse[x - 1] * (px - pn[x - 1])) + (
                    gsw[x] * (px - pv[x - 1]) + psw[x + 1] * (px - pn[x + 1])
                )
                qc[x] = acc if sc[x] == 0 else 0.0
        else:
            for x in range(1, cols + 1):
                px = pc[x]
                acc = (ge[x] * (px - pc[x + 1]) + ge[x - 1] * (px - pc[x - 1])) + (
                    gs[x] * (px - pv[x]) + ps[x] * (px - pn[x])
                )
                qc[x] = acc if sc[x] == 0 else 0.0
        ps, gs = gs, ps
        pse, gse = gse, pse
        psw, gsw = gsw, psw


@njit(cache=True, nogil=True, error_model="numpy")
def _dirichlet_rhs(r, st, b, eight):
    """b = current into each free cell from the cells held at 1 V (−L_fF v_F)."""
    rows, cols = r.shape
    wp = cols + 2
    ge = np.zeros(wp)
    gs = np.zeros(wp)
    gse = np.zeros(wp)
    gsw = np.zeros(wp)
    ps = np.zeros(wp)
    pse = np.zeros(wp)
    psw = np.zeros(wp)
    for y in range(1, rows + 1):
        o = y * wp
        _row_links(r, y - 1, eight, ge, gs, gse, gsw)
        sc = st[o : o + wp]
        sn = st[o - wp : o]
        sv = st[o + wp : o + 2 * wp]
        bc = b[o : o + wp]
        for x in range(1, cols + 1):
            if sc[x] != 0:
                continue
            acc = 0.0
            if sc[x + 1] == 2:
                acc += ge[x]
            if sc[x - 1] == 2:
                acc += ge[x - 1]
            if sv[x] == 2:
                acc += gs[x]
            if sn[x] == 2:
                acc += ps[x]
            if sv[x + 1] == 2:
                acc += gse[x]
            if sn[x - 1] == 2:
                acc += pse[x - 1]
            if sv[x - 1] == 2:
                acc += gsw[x]
            if sn[x + 1] == 2:
                acc += psw[x + 1]
            bc[x] = acc
        ps, gs = gs, ps
        pse, gse = gse, pse
        psw, gsw = gsw, psw


@njit(cache=True, nogil=True, error_model="numpy")
def _power(r, phi, eight):
    """Σ g (φ_i − φ_j)² over the links: the power a potential φ dissipates (W for φ in V)."""
    rows, cols = r.shape
    wp = cols + 2
    ge = np.zeros(wp)
    gs = np.zeros(wp)
    gse = np.zeros(wp)
    gsw = np.zeros(wp)
    tot = 0.0
    for y in range(1, rows + 1):
        o = y * wp
        _row_links(r, y - 1, eight, ge, gs, gse, gsw)
        pc = phi[o : o + wp]
        pv = phi[o + wp : o + 2 * wp]
        for x in range(1, cols + 1):
            px = pc[x]
            de = px - pc[x + 1]
            ds = px - pv[x]
            dse = px - pv[x + 1]
            dsw = px - pv[x - 1]
            tot += (ge[x] * de * de + gs[x] * ds * ds) + (gse[x] * dse * dse + gsw[x] * dsw * dsw)
    return tot


@njit(cache=True, nogil=True, error_model="numpy")
def _node_currents(r, phi, scale, eight, out):
    """out[y, x] = max(Σ inflow, Σ outflow) of each node for the potential scale·φ, A."""
    rows, cols = r.shape
    wp = cols + 2
    ge = np.zeros(wp)
    gs = np.zeros(wp)
    gse = np.zeros(wp)
    gsw = np.zeros(wp)
    ps = np.zeros(wp)
    pse = np.zeros(wp)
    psw = np.zeros(wp)
    g = np.zeros(8)
    dv = np.zeros(8)
    for y in range(1, rows + 1):
        o = y * wp
        _row_links(r, y - 1, eight, ge, gs, gse, gsw)
        pc = phi[o : o + wp]
        pn = phi[o - wp : o]
        pv = phi[o + wp : o + 2 * wp]
        for x in range(1, cols + 1):
            px = pc[x]
            g[0] = ge[x]
            dv[0] = px - pc[x + 1]
            g[1] = ge[x - 1]
            dv[1] = px - pc[x - 1]
            g[2] = gs[x]
            dv[2] = px - pv[x]
            g[3] = ps[x]
            dv[3] = px - pn[x]
            g[4] = gse[x]
            dv[4] = px - pv[x + 1]
            g[5] = pse[x - 1]
            dv[5] = px - pn[x - 1]
            g[6] = gsw[x]
            dv[6] = px - pv[x - 1]
            g[7] = psw[x + 1]
            dv[7] = px - pn[x + 1]
            o_sum = 0.0
            i_sum = 0.0
            for e in range(8):
                f = scale * g[e] * dv[e]
                if f > 0.0:
                    o_sum += f
                else:
                    i_sum -= f
            out[y - 1, x - 1] = max(o_sum, i_sum)
        ps, gs = gs, ps
        pse, gse = gse, pse
        psw, gsw = gsw, psw


@njit(cache=True, nogil=True, error_model="numpy")
def _region_current(r, st, mark, nodes, phi, scale, eight):
    """max(outflow, inflow) across the boundary of the merged node ``nodes`` (padded; st == mark)."""
    rows, cols = r.shape
    wp = cols + 2
    c2 = 2.0 / math.sqrt(2.0)
    o_sum = 0.0
    i_sum = 0.0
    for k in nodes:
        y = k // wp - 1
        x = k % wp - 1
        for dy in range(-1, 2):
            for dx in range(-1, 2):
                if (dy == 0 and dx == 0) or (not eight and dy != 0 and dx != 0):
                    continue
                yy = y + dy
                xx = x + dx
                if yy < 0 or yy >= rows or xx < 0 or xx >= cols:
                    continue
                j = k + dy * wp + dx
                if st[j] == mark:
                    continue
                g = _link(r[y, x], r[yy, xx], 2.0 if (dy == 0 or dx == 0) else c2)
                f = scale * g * (phi[k] - phi[j])
                if f > 0.0:
                    o_sum += f
                else:
                    i_sum -= f
    return max(o_sum, i_sum)


# -- the preconditioner's finest level (float32 conductances gt[d, k] = g(k, k + off[d]))


@njit(cache=True, nogil=True, error_model="numpy")
def _pre_conductances(r, act, eight, scale, gt):
    """gt[d, k] = scale · the link from cell k along d (east, south, south-east, south-west), float32,
    where both cells are active."""
    rows, cols = r.shape
    wp = cols + 2
    ge = np.zeros(wp)
    gs = np.zeros(wp)
    gse = np.zeros(wp)
    gsw = np.zeros(wp)
    for y in range(1, rows + 1):
        o = y * wp
        _row_links(r, y - 1, eight, ge, gs, gse, gsw)
        ac = act[o : o + wp]
        av = act[o + wp : o + 2 * wp]
        g0 = gt[0, o : o + wp]
        g1 = gt[1, o : o + wp]
        g2 = gt[2, o : o + wp]
        g3 = gt[3, o : o + wp]
        for x in range(1, cols + 1):
            if ac[x]:
                g0[x] = scale * ge[x] if ac[x + 1] else 0.0
                g1[x] = scale * gs[x] if av[x] else 0.0
                g2[x] = scale * gse[x] if av[x + 1] else 0.0
                g3[x] = scale * gsw[x] if av[x - 1] else 0.0


@njit(cache=True, nogil=True)
def _aggregate(act, rows, cols, eight, agg):
    """Aggregates: the pieces of each 3 × 3 block that are linked within it.

    Writes the coarse node of every active cell into ``agg`` (−1 elsewhere)
    and returns the first coarse node of each block (length blocks + 1).
    """
    wp = cols + 2
    nby = (rows + 2) // 3
    nbx = (cols + 2) // 3
    npc = np.zeros(nby * nbx, np.int64)
    ly = np.empty(9, np.int64)
    lx = np.empty(9, np.int64)
    lk = np.empty(9, np.int64)
    lab = np.empty(9, np.int64)
    stack = np.empty(9, np.int64)
    for by in range(nby):
        for bx in range(nbx):
            m = 0
            for yy in range(3 * by, min(3 * by + 3, rows)):
                for xx in range(3 * bx, min(3 * bx + 3, cols)):
                    k = (yy + 1) * wp + xx + 1
                    if act[k]:
                        ly[m] = yy
                        lx[m] = xx
                        lk[m] = k
                        lab[m] = -1
                        m += 1
            p = 0
            for i in range(m):
                if lab[i] >= 0:
                    continue
                lab[i] = p
                stack[0] = i
                top = 1
                while top > 0:
                    top -= 1
                    u = stack[top]
                    for v in range(m):
                        if lab[v] < 0:
                            dy = abs(ly[u] - ly[v])
                            dx = abs(lx[u] - lx[v])
                            if (dy <= 1 and dx <= 1) if eight else (dy + dx == 1):
                                lab[v] = p
                                stack[top] = v
                                top += 1
                p += 1
            for i in range(m):
                agg[lk[i]] = lab[i]
            npc[by * nbx + bx] = p
    start = np.zeros(nby * nbx + 1, np.int64)
    for b in range(nby * nbx):
        start[b + 1] = start[b] + npc[b]
    for y in range(rows):
        for x in range(cols):
            k = (y + 1) * wp + x + 1
            if agg[k] >= 0:
                agg[k] += start[(y // 3) * nbx + x // 3]
    return start


@njit(cache=True, nogil=True, error_model="numpy")
def _prow(gt, agg, k, off, omega, cc, vv):
    """Row k of the smoothed prolongation P = (I − ω D⁻¹ L) P₀: coarse nodes cc, values vv."""
    a = agg[k]
    nd = off.size
    d = 0.0
    for dd in range(nd):
        d += np.float64(gt[dd, k]) + np.float64(gt[dd, k - off[dd]])
    cc[0] = a
    vv[0] = 1.0
    n = 1
    if d == 0.0:
        return n
    w = omega / d
    for dd in range(nd):
        o = off[dd]
        for side in range(2):
            if side == 0:
                j = k + o
                g = np.float64(gt[dd, k])
            else:
                j = k - o
                g = np.float64(gt[dd, j])
            if g == 0.0:
                continue
            cj = agg[j]
            if cj == a:
                continue
            wg = w * g
            vv[0] -= wg
            found = False
            for e in range(1, n):
                if cc[e] == cj:
                    vv[e] += wg
                    found = True
                    break
            if not found:
                cc[n] = cj
                vv[n] = wg
                n += 1
    return n


@njit(cache=True, nogil=True, error_model="numpy")
def _galerkin(gt, agg, rows, cols, off, omega, start, grounds):
    """The coarse operator PᵀLP as CSR (indptr, indices, data), nine-point on the blocks.

    Summed link by link: PᵀLP = Σ g (P_i − P_j)ᵀ(P_i − P_j). A column of P
    reaches one cell beyond its block, so two coarse nodes couple only when
    their blocks touch (3-cell blocks); every row lists all the pieces of the
    9 blocks around its own (a few stay 0 and are dropped by the caller).
    The coarse nodes ``grounds`` get their diagonal doubled (one per
    component, so that the operator is definite) and a node without links
    (a component of one cell, never free) gets 1.
    """
    nby = (rows + 2) // 3
    nbx = (cols + 2) // 3
    nblk = nby * nbx
    nc = start[nblk]
    nboff = np.full((nblk, 9), -1, np.int32)
    rowlen = np.zeros(nblk, np.int64)
    for by in range(nby):
        for bx in range(nbx):
            b = by * nbx + bx
            o = 0
            for t in range(9):
                yb = by + t // 3 - 1
                xb = bx + t % 3 - 1
                if 0 <= yb < nby and 0 <= xb < nbx:
                    nboff[b, t] = o
                    o += start[yb * nbx + xb + 1] - start[yb * nbx + xb]
            rowlen[b] = o
    cblock = np.empty(nc, np.int64)
    cby = np.empty(nc, np.int64)  # block row, block column and piece of each coarse node
    cbx = np.empty(nc, np.int64)
    cq = np.empty(nc, np.int64)
    for b in range(nblk):
        for c in range(start[b], start[b + 1]):
            cblock[c] = b
            cby[c] = b // nbx
            cbx[c] = b % nbx
            cq[c] = c - start[b]
    indptr = np.zeros(nc + 1, np.int64)
    for c in range(nc):
        indptr[c + 1] = indptr[c] + rowlen[cblock[c]]
    indices = np.empty(indptr[nc], np.int32)
    data = np.zeros(indptr[nc], np.float64)
    for c in range(nc):
        b = cblock[c]
        by = b // nbx
        bx = b % nbx
        pos = indptr[c]
        for t in range(9):
            if nboff[b, t] >= 0:
                nb = (by + t // 3 - 1) * nbx + bx + t % 3 - 1
                for e in range(start[nb], start[nb + 1]):
                    indices[pos] = e
                    pos += 1
    wp = cols + 2
    nd = off.size
    # the P rows of two grid rows (this one and the next), each computed once
    rc = np.zeros((2, wp, 9), np.int64)
    rv = np.zeros((2, wp, 9), np.float64)
    rn = np.zeros((2, wp), np.int64)
    for x in range(1, cols + 1):
        k = wp + x
        if agg[k] >= 0:
            rn[1, x] = _prow(gt, agg, k, off, omega, rc[1, x], rv[1, x])
    cu = np.empty(18, np.int64)
    vu = np.empty(18, np.float64)
    for y in range(1, rows + 1):
        cur = y % 2
        nxt = 1 - cur
        for x in range(1, cols + 1):
            k = (y + 1) * wp + x
            live = y < rows and agg[k] >= 0
            rn[nxt, x] = _prow(gt, agg, k, off, omega, rc[nxt, x], rv[nxt, x]) if live else 0
        for x in range(1, cols + 1):
            k = y * wp + x
            if agg[k] < 0:
                continue
            ni = rn[cur, x]
            ci = rc[cur, x]
            vi = rv[cur, x]
            for d in range(nd):
                g = np.float64(gt[d, k])
                if g == 0.0:
                    continue
                # the other end: east on this row, south / south-east / south-west on the next
                if d == 0:
                    slot, xj = cur, x + 1
                elif d == 1:
                    slot, xj = nxt, x
                elif d == 2:
                    slot, xj = nxt, x + 1
                else:
                    slot, xj = nxt, x - 1
                nj = rn[slot, xj]
                cj = rc[slot, xj]
                vj = rv[slot, xj]
                nu = ni
                for a in range(ni):
                    cu[a] = ci[a]
                    vu[a] = vi[a]
                for a in range(nj):
                    found = False
                    for e in range(nu):
                        if cu[e] == cj[a]:
                            vu[e] -= vj[a]
                            found = True
                            break
                    if not found:
                        cu[nu] = cj[a]
                        vu[nu] = -vj[a]
                        nu += 1
                for a in range(nu):
                    ca = cu[a]
                    va = g * vu[a]
                    if va == 0.0:
                        continue
                    ba = cblock[ca]
                    t0 = 4 - 3 * cby[ca] - cbx[ca]
                    row0 = indptr[ca]
                    for e in range(nu):
                        ce = cu[e]
                        t = t0 + 3 * cby[ce] + cbx[ce]
                        data[row0 + nboff[ba, t] + cq[ce]] += va * vu[e]
    for c in range(nc):
        pos = indptr[c] + nboff[cblock[c], 4] + c - start[cblock[c]]
        if data[pos] == 0.0:
            data[pos] = 1.0
    for c in grounds:
        data[indptr[c] + nboff[cblock[c], 4] + c - start[cblock[c]]] *= 2.0
    return indptr, indices, data


@njit(inline="always")
def _stencil(g0, g1, g2, g3, g1n, g2n, g3n, vc, vn, vs, x):
    """(d, s) of cell x of a row: the diagonal Σ g and the sum Σ g·v over its 8 links.

    Row views: g0..g3 the row's float32 links (east, south, south-east,
    south-west), g1n..g3n those of the row above, vc / vn / vs the values on
    the row, above and below. Sums in float64.
    """
    ge = np.float64(g0[x])
    gw = np.float64(g0[x - 1])
    gs = np.float64(g1[x])
    gn = np.float64(g1n[x])
    gse = np.float64(g2[x])
    gnw = np.float64(g2n[x - 1])
    gsw = np.float64(g3[x])
    gne = np.float64(g3n[x + 1])
    d = ((ge + gw) + (gs + gn)) + ((gse + gnw) + (gsw + gne))
    s = ((ge * vc[x + 1] + gw * vc[x - 1]) + (gs * vs[x] + gn * vn[x])) + (
        (gse * vs[x + 1] + gnw * vn[x - 1]) + (gsw * vs[x - 1] + gne * vn[x + 1])
    )
    return d, s


@njit(cache=True, nogil=True, error_model="numpy")
def _gs(gt, st, z, r, rows, cols, backward, ra, rb):
    """One Gauss–Seidel sweep of L_ff z = r over the free cells (lexicographic or reversed).

    Row by row: the part of each update that does not wait for the cell
    just before (west going forward, east going back) is formed for the
    whole row first (z = ra + rb·z_previous), then the row is swept with one
    multiply-add per cell.
    """
    wp = cols + 2
    for yy in range(rows):
        y = rows - yy if backward else yy + 1
        b = y * wp
        g0 = gt[0, b : b + wp]
        g1 = gt[1, b : b + wp]
        g2 = gt[2, b : b + wp]
        g3 = gt[3, b : b + wp]
        g1n = gt[1, b - wp : b]
        g2n = gt[2, b - wp : b]
        g3n = gt[3, b - wp : b]
        zc = z[b : b + wp]
        zn = z[b - wp : b]
        zs = z[b + wp : b + 2 * wp]
        rc = r[b : b + wp]
        sc = st[b : b + wp]
        if backward:
            for x in range(1, cols + 1):
                d, s = _stencil(g0, g1, g2, g3, g1n, g2n, g3n, zc, zn, zs, x)
                c = np.float64(g0[x])
                inv = 1.0 / d if d > 0.0 else 0.0
                free = sc[x] == 0
                ra[x] = (rc[x] + s - c * zc[x + 1]) * inv if free else 0.0
                rb[x] = c * inv if free else 0.0
            zr = zc[::-1]  # reversed views: the column index stays provably ≥ 0
            ar = ra[::-1]
            br = rb[::-1]
            for x in range(wp - 1 - cols, wp - 1):
                zr[x] = ar[x] + br[x] * zr[x - 1]
        else:
            for x in range(1, cols + 1):
                d, s = _stencil(g0, g1, g2, g3, g1n, g2n, g3n, zc, zn, zs, x)
                c = np.float64(g0[x - 1])
                inv = 1.0 / d if d > 0.0 else 0.0
                free = sc[x] == 0
                ra[x] = (rc[x] + s - c * zc[x - 1]) * inv if free else 0.0
                rb[x] = c * inv if free else 0.0
            for x in range(1, cols + 1):
                zc[x] = ra[x] + rb[x] * zc[x - 1]


@njit(cache=True, nogil=True, error_model="numpy")
def _residual_restrict(gt, st, agg, z, r, bc, rows, cols, omega, tb, ra):
    """bc = Pᵀ (r − L_ff z): the residual of the free cells (0 on held ones) on the aggregates.

    With t = D⁻¹ (r − L_ff z): Pᵀ D t = P₀ᵀ (D t − ω L t). The rows of t are
    formed in a ring of three rows ``tb`` and restricted one row behind, so
    t never takes a full vector.
    """
    wp = cols + 2
    bc[:] = 0.0
    tb[:, :] = 0.0
    for y in range(1, rows + 2):
        if y <= rows:
            b = y * wp
            g0 = gt[0, b : b + wp]
            g1 = gt[1, b : b + wp]
            g2 = gt[2, b : b + wp]
            g3 = gt[3, b : b + wp]
            g1n = gt[1, b - wp : b]
            g2n = gt[2, b - wp : b]
            g3n = gt[3, b - wp : b]
            zc = z[b : b + wp]
            zn = z[b - wp : b]
            zs = z[b + wp : b + 2 * wp]
            rc = r[b : b + wp]
            sc = st[b : b + wp]
            tc = tb[y % 3]
            for x in range(1, cols + 1):
                d, s = _stencil(g0, g1, g2, g3, g1n, g2n, g3n, zc, zn, zs, x)
                tc[x] = (rc[x] - (d * zc[x] - s)) / d if (sc[x] == 0 and d > 0.0) else 0.0
        else:
            tb[y % 3, :] = 0.0
        yr = y - 1
        if yr >= 1:
            b = yr * wp
            g0 = gt[0, b : b + wp]
            g1 = gt[1, b : b + wp]
            g2 = gt[2, b : b + wp]
            g3 = gt[3, b : b + wp]
            g1n = gt[1, b - wp : b]
            g2n = gt[2, b - wp : b]
            g3n = gt[3, b - wp : b]
            tc = tb[yr % 3]
            tn = tb[(yr - 1) % 3]
            ts = tb[(yr + 1) % 3]
            ac = agg[b : b + wp]
            for x in range(1, cols + 1):
                d, s = _stencil(g0, g1, g2, g3, g1n, g2n, g3n, tc, tn, ts, x)
                ra[x] = (1.0 - omega) * d * tc[x] + omega * s
            for x in range(1, cols + 1):
                c = ac[x]
                if c >= 0:
                    bc[c] += ra[x]


@njit(cache=True, nogil=True, error_model="numpy")
def _prolong(gt, agg, st, xc, z, rows, cols, omega, tb):
    """z += P xc on the free cells: P xc = t − ω D⁻¹ L t, t = P₀ xc formed in a ring of three rows."""
    wp = cols + 2
    tb[:, :] = 0.0
    for y in range(1, rows + 1):
        for yy in range(y if y == 1 else y + 1, y + 2):
            t = tb[yy % 3]
            if yy > rows:
                t[:] = 0.0
                continue
            ac = agg[yy * wp : yy * wp + wp]
            for x in range(1, cols + 1):
                c = ac[x]
                t[x] = xc[c] if c >= 0 else 0.0
        b = y * wp
        g0 = gt[0, b : b + wp]
        g1 = gt[1, b : b + wp]
        g2 = gt[2, b : b + wp]
        g3 = gt[3, b : b + wp]
        g1n = gt[1, b - wp : b]
        g2n = gt[2, b - wp : b]
        g3n = gt[3, b - wp : b]
        tc = tb[y % 3]
        tn = tb[(y - 1) % 3]
        ts = tb[(y + 1) % 3]
        zc = z[b : b + wp]
        sc = st[b : b + wp]
        for x in range(1, cols + 1):
            d, s = _stencil(g0, g1, g2, g3, g1n, g2n, g3n, tc, tn, ts, x)
            zc[x] += (1.0 - omega) * tc[x] + omega * s / d if (sc[x] == 0 and d > 0.0) else 0.0


# -- the coarse levels (CSR, from PyAMG), concatenated level after level


@njit(cache=True, nogil=True, error_model="numpy")
def _csr_gs(ptr, idx, dat, dinv, x, b, backward):
    """Gauss–Seidel sweep on a CSR matrix stored without its diagonal (1 / diagonal in ``dinv``).

    Unsigned column indices (no negative-index check on x[idx]); two
    accumulators halve the chain of dependent additions in a row.
    """
    n = ptr.size - 1
    for ii in range(n):
        i = n - 1 - ii if backward else ii
        s0 = b[i]
        s1 = 0.0
        jj = ptr[i]
        end = ptr[i + 1]
        while jj + 1 < end:
            s0 -= dat[jj] * x[idx[jj]]
            s1 -= dat[jj + 1] * x[idx[jj + 1]]
            jj += 2
        if jj < end:
            s0 -= dat[jj] * x[idx[jj]]
        x[i] = (s0 + s1) * dinv[i]


@njit(cache=True, nogil=True, error_model="numpy")
def _csr_matvec(ptr, idx, dat, x, y, add):
    """y = A x (or y += A x)."""
    n = ptr.size - 1
    for i in range(n):
        s0 = 0.0
        s1 = 0.0
        jj = ptr[i]
        end = ptr[i + 1]
        while jj + 1 < end:
            s0 += dat[jj] * x[idx[jj]]
            s1 += dat[jj + 1] * x[idx[jj + 1]]
            jj += 2
        if jj < end:
            s0 += dat[jj] * x[idx[jj]]
        y[i] = y[i] + (s0 + s1) if add else s0 + s1


@njit(cache=True, nogil=True, error_model="numpy")
def _csr_tmatvec(ptr, idx, dat, x, y):
    """y = Aᵀ x."""
    y[:] = 0.0
    for i in range(ptr.size - 1):
        xi = x[i]
        for jj in range(ptr[i], ptr[i + 1]):
            y[idx[jj]] += dat[jj] * xi


@njit(cache=True, nogil=True, error_model="numpy")
def _coarse_cycle(hier, xs, bs, rs):
    """One V-cycle on the coarse levels: xs[level 0] ≈ A₁⁻¹ bs[level 0].

    Each level's matrix is kept without its diagonal (``a_*``) beside its
    diagonal ``dg`` (all levels concatenated, offsets ``vo``).
    """
    lev_n, vo, a_po, a_io, a_ptr, a_idx, a_dat, p_po, p_io, p_ptr, p_idx, p_dat, dg, dgi, cinv = hier
    nl = lev_n.size
    for lv in range(nl - 1):
        n = lev_n[lv]
        v = vo[lv]
        ptr = a_ptr[a_po[lv] : a_po[lv] + n + 1]
        idx = a_idx[a_io[lv] :]
        dat = a_dat[a_io[lv] :]
        x = xs[v : v + n]
        b = bs[v : v + n]
        r = rs[v : v + n]
        x[:] = 0.0
        _csr_gs(ptr, idx, dat, dgi[v : v + n], x, b, False)
        _csr_gs(ptr, idx, dat, dgi[v : v + n], x, b, True)
        _csr_matvec(ptr, idx, dat, x, r, False)
        for i in range(n):
            r[i] = b[i] - r[i] - dg[v + i] * x[i]
        n1 = lev_n[lv + 1]
        v1 = vo[lv + 1]
        pp = p_ptr[p_po[lv] : p_po[lv] + n + 1]
        _csr_tmatvec(pp, p_idx[p_io[lv] :], p_dat[p_io[lv] :], r, bs[v1 : v1 + n1])
    lv = nl - 1
    n = lev_n[lv]
    v = vo[lv]
    if cinv.shape[0] == n:
        for i in range(n):
            s = 0.0
            for j in range(n):
                s += cinv[i, j] * bs[v + j]
            xs[v + i] = s
    else:  # too large to invert: symmetric Gauss–Seidel sweeps (a fixed SPD operator)
        ptr = a_ptr[a_po[lv] : a_po[lv] + n + 1]
        idx = a_idx[a_io[lv] :]
        dat = a_dat[a_io[lv] :]
        x = xs[v : v + n]
        b = bs[v : v + n]
        x[:] = 0.0
        for _ in range(20):
            _csr_gs(ptr, idx, dat, dgi[v : v + n], x, b, False)
            _csr_gs(ptr, idx, dat, dgi[v : v + n], x, b, True)
    for lv in range(nl - 2, -1, -1):
        n = lev_n[lv]
        v = vo[lv]
        n1 = lev_n[lv + 1]
        v1 = vo[lv + 1]
        ptr = a_ptr[a_po[lv] : a_po[lv] + n + 1]
        idx = a_idx[a_io[lv] :]
        dat = a_dat[a_io[lv] :]
        x = xs[v : v + n]
        b = bs[v : v + n]
        pp = p_ptr[p_po[lv] : p_po[lv] + n + 1]
        _csr_matvec(pp, p_idx[p_io[lv] :], p_dat[p_io[lv] :], xs[v1 : v1 + n1], x, True)
        _csr_gs(ptr, idx, dat, dgi[v : v + n], x, b, False)
        _csr_gs(ptr, idx, dat, dgi[v : v + n], x, b, True)


@njit(cache=True, nogil=True, error_model="numpy")
def _precondition(gt, agg, st, hier, r, z, xs, bs, rs, rows, cols, omega, sweeps, ra, rb, tb):
    """z = M r: one V-cycle whose finest level is the grid with the pair's held cells."""
    z[:] = 0.0
    _gs(gt, st, z, r, rows, cols, False, ra, rb)
    if sweeps == 2:
        _gs(gt, st, z, r, rows, cols, True, ra, rb)
    n1 = hier[0][0]
    _residual_restrict(gt, st, agg, z, r, bs[:n1], rows, cols, omega, tb, ra)
    _coarse_cycle(hier, xs, bs, rs)
    _prolong(gt, agg, st, xs[:n1], z, rows, cols, omega, tb)
    if sweeps == 2:
        _gs(gt, st, z, r, rows, cols, False, ra, rb)
    _gs(gt, st, z, r, rows, cols, True, ra, rb)


@njit(cache=True, nogil=True, error_model="numpy")
def _pcg(res, gt, agg, st, hier, b, x, r, p, q, xs, bs, rs, rows, cols, eight, omega, sweeps, tol,
         maxiter):
    """Preconditioned conjugate gradients for L_ff x = b; returns (iterations, converged).

    Vectors: x, r (may be b itself), p and q (also the preconditioned
    residual): four of the grid's size, plus row buffers.
    """
    n = b.size
    ra = np.zeros(cols + 2)
    rb = np.zeros(cols + 2)
    tb = np.zeros((3, cols + 2))
    bn = 0.0
    for k in range(n):
        bn += b[k] * b[k]
    bn = math.sqrt(bn)
    x[:] = 0.0
    if bn == 0.0:
        return 0, True
    r[:] = b
    _precondition(gt, agg, st, hier, r, q, xs, bs, rs, rows, cols, omega, sweeps, ra, rb, tb)
    rz = 0.0
    for k in range(n):
        rz += r[k] * q[k]
    p[:] = q
    for it in range(1, maxiter + 1):
        _matvec(res, st, p, q, eight)
        pq = 0.0
        for k in range(n):
            pq += p[k] * q[k]
        if not pq > 0.0:
            return it, False
        alpha = rz / pq
        rn = 0.0
        for k in range(n):
            x[k] += alpha * p[k]
            r[k] -= alpha * q[k]
            rn += r[k] * r[k]
        if math.sqrt(rn) <= tol * bn:
            return it, True
        _precondition(gt, agg, st, hier, r, q, xs, bs, rs, rows, cols, omega, sweeps, ra, rb, tb)
        rz_new = 0.0
        for k in range(n):
            rz_new += r[k] * q[k]
        beta = rz_new / rz
        rz = rz_new
        for k in range(n):
            p[k] = q[k] + beta * p[k]
    return maxiter, False


@njit(cache=True, nogil=True)
def _split_diagonal(indptr, indices, data, ptr, idx, dat, dg):
    """A CSR matrix without its diagonal into (ptr, idx, dat), the diagonal into dg; returns the count kept."""
    m = 0
    ptr[0] = 0
    for i in range(indptr.size - 1):
        for jj in range(indptr[i], indptr[i + 1]):
            j = indices[jj]
            if j == i:
                dg[i] += data[jj]
            else:
                idx[m] = j
                dat[m] = data[jj]
                m += 1
        ptr[i + 1] = m
    return m


def _flatten(ml) -> tuple:
    """PyAMG's levels as the concatenated arrays :func:`_coarse_cycle` reads (the levels are emptied).

    Each level's matrix is split into its diagonal and the rest; column
    indices become uint32. Arrays are allocated at their final size and
    each PyAMG matrix is released once copied, so the peak stays near one
    copy of the hierarchy.
    """
    levels = ml.levels
    lev_n = np.array([lv.A.shape[0] for lv in levels], dtype=np.int64)
    vo = np.concatenate([[0], np.cumsum(lev_n)]).astype(np.int64)
    nl = len(levels)
    a_nnz = [lv.A.nnz for lv in levels]  # an upper bound: the diagonal leaves
    p_nnz = [lv.P.nnz for lv in levels[:-1]]
    a_po = np.zeros(nl, np.int64)
    a_io = np.zeros(nl, np.int64)
    p_po = np.zeros(max(nl - 1, 1), np.int64)
    p_io = np.zeros(max(nl - 1, 1), np.int64)
    a_ptr = np.zeros(int(lev_n.sum()) + nl, np.int64)
    a_idx = np.zeros(max(sum(a_nnz), 1), np.uint32)
    a_dat = np.zeros(max(sum(a_nnz), 1))
    p_ptr = np.zeros(max(int(lev_n[:-1].sum()) + nl - 1, 1), np.int64)
    p_idx = np.zeros(max(sum(p_nnz), 1), np.uint32)
    p_dat = np.zeros(max(sum(p_nnz), 1))
    dg = np.zeros(int(lev_n.sum()))
    po = io = 0
    qo = jo = 0
    for k, lv in enumerate(levels):
        a = sp.csr_matrix(lv.A)
        lv.A = None
        n = a.shape[0]
        a_po[k], a_io[k] = po, io
        m = _split_diagonal(a.indptr, a.indices, a.data, a_ptr[po : po + n + 1], a_idx[io:], a_dat[io:],
                            dg[vo[k] : vo[k] + n])
        po += n + 1
        io += m
        del a
        if k < nl - 1:
            pm = sp.csr_matrix(lv.P)
            lv.P = lv.R = None
            p_po[k], p_io[k] = qo, jo
            p_ptr[qo : qo + n + 1] = pm.indptr
            p_idx[jo : jo + pm.nnz] = pm.indices
            p_dat[jo : jo + pm.nnz] = pm.data
            qo += n + 1
            jo += pm.nnz
            del pm
    dgi = np.divide(1.0, dg, out=np.zeros_like(dg), where=dg != 0)
    last = lev_n[-1]
    if last <= _MAX_DENSE:
        n = int(last)
        dense = np.zeros((n, n))
        o = a_po[-1]
        for i in range(n):
            for jj in range(a_ptr[o + i], a_ptr[o + i + 1]):
                dense[i, a_idx[a_io[-1] + jj]] += a_dat[a_io[-1] + jj]
        dense[np.arange(n), np.arange(n)] += dg[vo[-2] : vo[-2] + n]
        cinv = np.linalg.pinv(dense, hermitian=True)
    else:
        cinv = np.zeros((0, 0))
    return (lev_n, vo, a_po, a_io, a_ptr, a_idx, a_dat, p_po, p_io, p_ptr, p_idx, p_dat,
            dg, dgi, np.ascontiguousarray(cinv))


class _Grid:
    """The raster on a padded grid, its components and the shared preconditioner."""

    def __init__(self, r: np.ndarray, connect: int):
        rows, cols = r.shape
        self.rows, self.cols, self.wp = rows, cols, cols + 2
        self.size = (rows + 2) * (cols + 2)
        self.eight = connect == 8
        wp = self.wp
        off = np.array([1, wp, wp + 1, wp - 1], dtype=np.int64)  # east, south, south-east, south-west
        self.off = off[: 4 if self.eight else 2].copy()
        self.r = r
        structure = np.ones((3, 3), bool) if self.eight else ndimage.generate_binary_structure(2, 1)
        comp, self.ncomp = ndimage.label(np.isfinite(r), structure=structure)
        narrow = np.uint8 if self.ncomp < 2**8 else np.uint16 if self.ncomp < 2**16 else None
        self.comp = comp.astype(narrow) if narrow is not None else comp  # one byte a cell, usually
        del comp
        self._hier = None

    def padded(self, flat: np.ndarray) -> np.ndarray:
        """Padded index of unpadded flat cell indices."""
        flat = np.asarray(flat, dtype=np.int64)
        return flat + self.wp + 1 + 2 * (flat // self.cols)

    def state(self, comps) -> np.ndarray:
        dom = np.zeros(self.ncomp + 1, dtype=np.bool_)
        dom[np.asarray(comps, dtype=np.int64)] = True
        st = np.empty(self.size, dtype=np.uint8)
        _pair_state(self.comp, dom, st)
        st[: self.wp] = 1
        st[-self.wp :] = 1
        st.reshape(self.rows + 2, self.wp)[:, [0, -1]] = 1
        return st

    def build(self, active_comps: np.ndarray, grounds: np.ndarray) -> None:
        """The shared hierarchy over the components ``active_comps``, grounded at cells ``grounds`` (padded)."""
        if self._hier is not None:
            return
        self._links(active_comps)
        start = self._start
        ground_nodes = np.unique(self.agg[grounds]).astype(np.int64)
        indptr, indices, data = _galerkin(
            self.gt, self.agg, self.rows, self.cols, self.off, _OMEGA, start, ground_nodes
        )
        nc = int(start[-1])
        # the finest level is rebuilt after PyAMG's setup, whose peak it would add to
        self.gt = self.agg = None
        if indptr[-1] < 2**31 - 1:
            indptr = indptr.astype(np.int32)
        a1 = sp.csr_matrix((data, indices, indptr), shape=(nc, nc), copy=False)
        del data, indices, indptr
        a1.eliminate_zeros()
        ml = pyamg.smoothed_aggregation_solver(
            a1, symmetry="hermitian", strength=None, max_coarse=50,
            smooth=("jacobi", {"weighting": "local"}),
        )
        del a1
        self._hier = _flatten(ml)
        del ml
        self.coarse_size = int(self._hier[1][-1])
        self._links(active_comps)

    def _links(self, active_comps) -> None:
        """The preconditioner's float32 links ``gt`` and the aggregates ``agg`` of the active cells."""
        act = (self.state(active_comps) == 0).view(np.uint8)
        rmin = float(np.nanmin(self.r))  # links scaled to at most 1 before float32
        self.gt = np.zeros((4, self.size), dtype=np.float32)  # rows 2, 3 stay 0 with 4 neighbours
        _pre_conductances(self.r, act, self.eight, rmin, self.gt)
        self.agg = np.full(self.size, -1, dtype=np.int32)
        self._start = _aggregate(act, self.rows, self.cols, self.eight, self.agg)

    def vector_bytes(self) -> int:
        """Bytes of the work vectors of one solve."""
        return 4 * 8 * self.size + self.size + 3 * 8 * (self.size // 8)

    def solve(self, st: np.ndarray, b: np.ndarray, tol: float, where: str) -> np.ndarray:
        """x with L_ff x = b on the free cells of ``st`` (0 on held cells); ``b`` is overwritten."""
        n = self.size
        x, p, q = (np.zeros(n) for _ in range(3))
        r = b  # the residual starts as b: one vector less
        m = self.coarse_size
        xs, bs, rs = np.zeros(m), np.zeros(m), np.zeros(m)
        free = int(np.count_nonzero(st == 0))
        _, ok = _pcg(
            self.r, self.gt, self.agg, st, self._hier, b, x, r, p, q, xs, bs, rs,
            self.rows, self.cols, self.eight, _OMEGA, _SWEEPS, tol, max(1000, free),
        )
        if not ok:
            raise ParameterError(
                f"conjugate gradients did not reach the relative tolerance {tol:g}",
                where=where,
                fix="pass a larger tol, or check for extreme resistance contrasts (e.g. 1e-9 vs 1e9)",
            )
        return x

    def currents(self, phi: np.ndarray, scale: float) -> np.ndarray:
        out = np.empty((self.rows, self.cols))
        _node_currents(self.r, phi, scale, self.eight, out)
        return out

    def unpad(self, v: np.ndarray) -> np.ndarray:
        return v.reshape(self.rows + 2, self.wp)[1:-1, 1:-1]


def _focal_labels(focal_labels, r: np.ndarray) -> np.ndarray:
    """Checked focal labels; integer arrays are used as they are (no int64 copy)."""
    lab = np.asarray(focal_labels)
    if np.issubdtype(lab.dtype, np.integer) and lab.shape == r.shape:
        return lab
    return _labels(focal_labels, r, "focal_labels")


class _Network:
    """The resistor network of one raster and its focal regions."""

    def __init__(self, resistance, focal_labels, connect, tol, workers=None):
        self.r = _resistance(resistance)
        self.lab = _focal_labels(focal_labels, self.r)
        self.connect = _connect(connect)
        if not (0 < float(tol) < 1):
            raise ParameterError(
                f"tol must lie in (0, 1), got {tol!r}", where="tol", fix="use e.g. 1e-10"
            )
        self.tol = float(tol)
        self.workers = _workers(workers)
        self.grid = _Grid(self.r, self.connect)
        flat = self.lab.reshape(-1)
        pos = np.flatnonzero(flat > 0)
        vals = flat[pos]
        order = np.argsort(vals, kind="stable")
        pos, vals = pos[order], vals[order]
        ids, first = np.unique(vals, return_index=True)
        bounds = np.append(first, vals.size)
        self.ids = ids
        valid = np.isfinite(self.r).reshape(-1)
        comp = self.grid.comp.reshape(-1)
        self.cells, self.nodes, self.comps = {}, {}, {}
        for k, i in enumerate(ids.tolist()):
            cells = pos[bounds[k] : bounds[k + 1]]
            nodes = cells[valid[cells]]
            self.cells[i] = cells
            self.nodes[i] = nodes
            self.comps[i] = np.unique(comp[nodes])

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
                if s not in self.cells:
                    raise InputError(
                        f"focal id {s} of pair ({a}, {b}) has no cell",
                        where="pairs",
                        fix="name ids present in focal_labels",
                    )
            out.append((a, b))
        return out

    # -- the shared preconditioner

    def _prepare(self) -> None:
        comps, grounds = [], []
        for i in self.ids.tolist():
            nodes = self.nodes[i]
            if nodes.size:
                c = self.grid.comp.reshape(-1)[nodes]
                for cc in np.unique(c).tolist():
                    if cc not in comps:
                        comps.append(cc)
                        grounds.append(nodes[np.flatnonzero(c == cc)[0]])
        grounds = self.grid.padded(np.array(grounds, dtype=np.int64))
        self.grid.build(np.array(comps, dtype=np.int64), grounds)

    def _point(self, i: int) -> bool:
        return self.nodes[i].size == 1

    # -- one pair, Dirichlet form

    def _domain(self, a: int, b: int):
        na, nb = self.nodes[a], self.nodes[b]
        if na.size == 0 or nb.size == 0:
            return None
        common = np.intersect1d(self.comps[a], self.comps[b])
        return common if common.size else None

    def solve(self, a: int, b: int, maps: bool, volt: bool = True):
        """R_ab by the Dirichlet form, and when asked the current and (``volt``) voltage maps of the pair.

        Call :meth:`_prepare` first (not thread-safe).
        """
        common = self._domain(a, b)
        if common is None:
            return -1.0, None
        grid = self.grid
        comp = grid.comp.reshape(-1)
        dom = np.zeros(grid.ncomp + 1, dtype=bool)
        dom[common] = True
        na, nb = self.nodes[a], self.nodes[b]
        ia = grid.padded(na[dom[comp[na]]])
        ib = grid.padded(nb[dom[comp[nb]]])
        st = grid.state(common)
        st[ia] = 2
        st[ib] = 3
        rhs = np.zeros(grid.size)
        _dirichlet_rhs(grid.r, st, rhs, grid.eight)
        phi = grid.solve(st, rhs, self.tol, f"pair ({a}, {b})")
        del rhs
        phi[ia] = 1.0
        power = _power(grid.r, phi, grid.eight)
        if not power > 0:
            return -1.0, None
        res = 1.0 / power
        if not maps:
            return res, None
        cmap = grid.currents(phi, res)
        vmap = np.where(dom[grid.comp], res * (1.0 - grid.unpad(phi)), 0.0) if volt else None
        for lab_id, nodes, mark, v_reg in ((a, ia, 2, 0.0), (b, ib, 3, res)):
            if nodes.size == 1:
                cur = float(cmap.reshape(-1)[self.nodes[lab_id][dom[comp[self.nodes[lab_id]]]][0]])
            else:
                cur = _region_current(grid.r, st, mark, nodes, phi, res, grid.eight)
            cells = self.cells[lab_id]
            cmap.reshape(-1)[cells] = cur
            if vmap is not None:
                vmap.reshape(-1)[cells] = v_reg
        return res, (cmap, vmap)

    # -- points: n − 1 solves per component

    def _shortcut_groups(self, pairs, maps: bool):
        """{component: [point ids]} where n − 1 solves beat one per pair."""
        by_comp: dict[int, set] = {}
        count: dict[int, int] = {}
        for a, b in pairs:
            if self._point(a) and self._point(b):
                ca, cb = int(self.comps[a][0]), int(self.comps[b][0])
                if ca == cb:
                    by_comp.setdefault(ca, set()).update((a, b))
                    count[ca] = count.get(ca, 0) + 1
        out = {}
        for c, ids in by_comp.items():
            if count[c] <= len(ids) - 1:
                continue
            if maps and (len(ids) - 1) * 8 * self.grid.size > _FIELD_BUDGET:
                continue
            out[c] = sorted(ids)
        return out

    def _workers_for(self, tasks: int) -> int:
        per = max(1, self.grid.vector_bytes())
        return max(1, min(self.workers, tasks, _VEC_BUDGET // per))

    def run(self, pairs, maps: bool, cum: np.ndarray | None = None) -> list[float]:
        """Resistances of ``pairs`` (in order); with ``maps`` their current maps are summed into ``cum``.

        The solves (one per pair, or one per point of a shortcut group) run on
        threads; results are taken in submission order, so ``cum`` sums the
        same maps in the same order whatever the number of workers.
        """
        res: list = [None] * len(pairs)
        groups = self._shortcut_groups(pairs, maps)
        group_of = {i: c for c, ids in groups.items() for i in ids}
        shortcut = [group_of.get(a, -1) >= 0 and group_of.get(a) == group_of.get(b) for a, b in pairs]
        if groups or any(self._domain(a, b) is not None for a, b in pairs):
            self._prepare()  # before the threads: they share it
        # per group: the points' cells, G[i, j] = voltage at point i with 1 A in at point j (point 0
        # grounded: row and column 0 stay 0) and, for maps, the fields themselves
        states, points, volts, fields = {}, {}, {}, {}
        tasks = []
        for c, ids in groups.items():
            pts = self.grid.padded(np.concatenate([self.nodes[i] for i in ids]))
            st = self.grid.state([c])
            st[pts[0]] = 3
            states[c], points[c] = st, pts
            volts[c] = np.zeros((len(ids), len(ids)))
            fields[c] = {}
            tasks += [("f", (c, j)) for j in range(1, len(ids))]
        tasks += [("p", k) for k in range(len(pairs)) if not shortcut[k]]

        def work(kind, key):
            if kind == "f":
                c, j = key
                rhs = np.zeros(self.grid.size)
                rhs[points[c][j]] = 1.0
                return self.grid.solve(states[c], rhs, self.tol, f"focal point {groups[c][j]}")
            a, b = pairs[key]
            return self.solve(a, b, maps, volt=False)

        def take(kind, key, value):
            if kind == "f":
                c, j = key
                volts[c][:, j] = value[points[c]]
                if maps:
                    fields[c][j] = value
                return
            res[key], m = value
            if m is not None:
                cum[...] += m[0]

        workers = self._workers_for(len(tasks))
        if workers <= 1:
            for kind, key in tasks:
                take(kind, key, work(kind, key))
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                window: deque = deque()
                for kind, key in tasks:
                    window.append((kind, key, pool.submit(work, kind, key)))
                    if len(window) >= 2 * workers:
                        kind0, key0, fut = window.popleft()
                        take(kind0, key0, fut.result())
                while window:
                    kind0, key0, fut = window.popleft()
                    take(kind0, key0, fut.result())
        for k, (a, b) in enumerate(pairs):
            if shortcut[k]:
                c = group_of[a]
                i, j = groups[c].index(a), groups[c].index(b)
                v = volts[c]
                res[k] = float(v[i, i] + v[j, j] - v[i, j] - v[j, i])
                if maps:
                    w = np.zeros(self.grid.size)
                    if i:
                        w += fields[c][i]
                    if j:
                        w -= fields[c][j]
                    cum += self._point_current(a, b, w)
        return res

    def _point_current(self, a, b, w):
        """Current map of a pair of points from the potential w of 1 A in at a and out at b, A."""
        cmap = self.grid.currents(w, 1.0)
        flat = cmap.reshape(-1)
        for lab_id in (a, b):
            flat[self.cells[lab_id]] = flat[self.nodes[lab_id][0]]  # nodata cells of the id too
        return cmap


# ---------------------------------------------------------------------------
# public API


def pairwise(
    resistance,
    focal_labels,
    connect: int = 8,
    *,
    pairs: Iterable | None = None,
    tol: float = 1e-10,
    workers: int | None = None,
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
        Relative residual (‖b − Ax‖ / ‖b‖, dimensionless) at which conjugate
        gradients stops.
    workers : int, optional
        Solves run at once on threads; default every available core. Fewer
        when the work vectors of that many solves would pass 1 GiB.

    Returns
    -------
    table : pandas.DataFrame
        Columns ``a, b, resistance`` (resistance in the raster's unit, −1 for
        disconnected pairs or a region without a passable cell).
    current : numpy.ndarray of float64
        Cumulative current over the pairs, A per cell (1 A per pair).
    """
    net = _Network(resistance, focal_labels, connect, tol, workers)
    pl = net.pairs(pairs)
    cum = np.zeros(net.r.shape)
    res = net.run(pl, maps=True, cum=cum)
    return _table([(a, b, v) for (a, b), v in zip(pl, res, strict=True)]), cum


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
    workers: int | None = None,
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
        Relative residual of the conjugate-gradient solve (dimensionless).
    workers : int, optional
        Solves run at once on threads (default every available core).

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
    net = _Network(resistance, focal_labels, connect, tol, workers)
    pl = net.pairs(pairs)
    res = net.run(pl, maps=False)
    return _table([(a, b, v) for (a, b), v in zip(pl, res, strict=True)])


def current_density(
    resistance,
    focal_labels,
    connect: int = 8,
    *,
    pairs: Iterable | None = None,
    tol: float = 1e-10,
    workers: int | None = None,
) -> np.ndarray:
    """Cumulative current over all focal pairs (Circuitscape ``cum_curmap``).

    Parameters
    ----------
    resistance, focal_labels, connect, pairs, tol, workers
        As :func:`pairwise`.

    Returns
    -------
    numpy.ndarray of float64
        Current in A per cell summed over the pairs, each pair carrying 1 A:
        a node's current is max(inflow, outflow); every cell of a pair's focal
        regions carries its region's current; 0 on nodata and on cells no
        current reaches.
    """
    return pairwise(resistance, focal_labels, connect, pairs=pairs, tol=tol, workers=workers)[1]


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
    m = None
    res = -1.0
    if net._domain(a, b) is not None:
        net._prepare()
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
