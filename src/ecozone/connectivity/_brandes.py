"""Weighted betweenness centrality of small dense graphs (Brandes 2001 with Dijkstra), compiled.

The flow graph of one upper unit has a few dozen to a few hundred members
and is nearly complete, so a dense O(n³) Brandes is both simpler and much
faster than a heap-based one in Python. It follows networkx's
``betweenness_centrality(G, weight=..., normalized=True)`` step for step:
a shortest path to ``w`` through ``v`` has length ``d(v) + weight(v, w)``
summed from the source outwards, paths of exactly equal length are all
counted, endpoints are not counted, and the sum over ordered (s, t) pairs is
divided by (n − 1)(n − 2) for directed and undirected (symmetric) graphs
alike (n < 3: all 0). Results agree with networkx to rounding (~1e-15).
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def betweenness_dense(w: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """Normalised betweenness of every node of a dense graph.

    Parameters
    ----------
    w:
        (n, n) float64 edge lengths (> 0); ``inf`` where there is no edge;
        the diagonal is ignored. Symmetric for an undirected graph.

    Returns
    -------
    numpy.ndarray
        (n,) betweenness, normalised by (n − 1)(n − 2) (0 for n < 3).
    """
    n = w.shape[0]
    bc = np.zeros(n)
    if n < 3:
        return bc
    dist = np.empty(n)
    sigma = np.empty(n)
    delta = np.empty(n)
    done = np.empty(n, np.bool_)
    pred = np.empty((n, n), np.bool_)
    order = np.empty(n, np.int64)
    for s in range(n):
        dist[:] = np.inf
        sigma[:] = 0.0
        done[:] = False
        pred[:, :] = False
        dist[s] = 0.0
        sigma[s] = 1.0
        cnt = 0
        while True:
            u = -1
            best = np.inf
            for k in range(n):
                if not done[k] and dist[k] < best:
                    best = dist[k]
                    u = k
            if u < 0:
                break
            done[u] = True
            order[cnt] = u
            cnt += 1
            du = dist[u]
            su = sigma[u]
            for k in range(n):
                if k == u or done[k]:
                    continue
                wk = w[u, k]
                if wk == np.inf:
                    continue
                nd = du + wk
                if nd < dist[k]:
                    dist[k] = nd
                    sigma[k] = su
                    pred[k, :] = False
                    pred[k, u] = True
                elif nd == dist[k]:
                    sigma[k] += su
                    pred[k, u] = True
        delta[:] = 0.0
        for j in range(cnt - 1, -1, -1):
            x = order[j]
            coeff = (1.0 + delta[x]) / sigma[x]
            for v in range(n):
                if pred[x, v]:
                    delta[v] += sigma[v] * coeff
            if x != s:
                bc[x] += delta[x]
    scale = 1.0 / ((n - 1) * (n - 2))
    for k in range(n):
        bc[k] *= scale
    return bc
