"""The road graph and walking distances to green spaces (METHODS §4.6, park_service_share_network).

A road layer (lines, projected CRS in metres) becomes an undirected graph:
nodes are the lines' vertices (merged when closer than ``snap_m``), edges
the segments between consecutive vertices, weighted by their length (m).
With ``noding="intersections"`` the lines are first split where they cross
(:func:`shapely.node`), so crossing roads meet at a node even where the
data has no shared vertex; ``noding="vertices"`` joins roads only at
shared vertices (bridges and tunnels stay apart, as in OpenStreetMap).

Walking distance to the nearest green space is a multi-source Dijkstra
(``scipy.sparse.csgraph.dijkstra(min_only=True)``) from the *entrances*:
the nodes within ``node_distance_m`` of a green space (inside it included).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy import sparse
from scipy.sparse import csgraph

from ecozone.errors import InputError


@dataclass(frozen=True)
class RoadGraph:
    """An undirected road graph.

    Attributes
    ----------
    xy : numpy.ndarray, (n, 2)
        Node coordinates (m, the layer's projected CRS).
    matrix : scipy.sparse.csr_matrix, (n, n)
        Edge lengths (m), symmetric; the shortest segment where several join two nodes.
    """

    xy: np.ndarray
    matrix: sparse.csr_matrix

    @property
    def n_nodes(self) -> int:
        return len(self.xy)

    @property
    def n_edges(self) -> int:
        return int(self.matrix.nnz // 2)

    def components(self) -> tuple[int, float]:
        """(number of connected parts, share of the nodes outside the largest part)."""
        if self.n_nodes == 0:
            return 0, 0.0
        n, labels = csgraph.connected_components(self.matrix, directed=False)
        largest = np.bincount(labels).max()
        return int(n), float(1 - largest / self.n_nodes)


def _merge_close(xy: np.ndarray, snap_m: float) -> np.ndarray:
    """Label of each point: points within ``snap_m`` of each other (transitively) share one."""
    from scipy.spatial import cKDTree

    n = len(xy)
    if snap_m <= 0 or n < 2:
        return np.arange(n)
    pairs = cKDTree(xy).query_pairs(r=snap_m, output_type="ndarray")
    if not len(pairs):
        return np.arange(n)
    adj = sparse.coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    return csgraph.connected_components(adj, directed=False)[1]


def road_graph(lines, *, noding: str = "intersections", snap_m: float = 1.0) -> RoadGraph:
    """The road graph of a line layer.

    Parameters
    ----------
    lines : array_like of shapely geometries
        LineStrings / MultiLineStrings in a projected CRS (m); others are ignored.
    noding : {"intersections", "vertices"}
        Split the lines where they cross, or join them at shared vertices only.
    snap_m : float
        Vertices closer than this (m) become one node (default 1 m).

    Returns
    -------
    RoadGraph

    Raises
    ------
    InputError
        No line with at least two distinct vertices.
    """
    if noding not in ("intersections", "vertices"):
        raise InputError(f"unknown noding {noding!r}", where="[green] road_noding",
                         fix='use "intersections" or "vertices"')
    geoms = np.asarray(lines, dtype=object)
    geoms = geoms[~shapely.is_missing(geoms)] if len(geoms) else geoms
    parts = shapely.get_parts(geoms) if len(geoms) else np.empty(0, object)
    parts = parts[np.isin(shapely.get_type_id(parts), (1, 2))] if len(parts) else parts  # LineString, LinearRing
    if noding == "intersections" and len(parts):
        parts = shapely.get_parts(shapely.node(shapely.multilinestrings(parts)))
    if not len(parts):
        raise InputError("the road layer has no line", where="[layers] roads", fix="give road centre lines")
    coords, idx = shapely.get_coordinates(parts, return_index=True)
    same = idx[1:] == idx[:-1]
    a = np.flatnonzero(same)                       # segment k joins vertices a[k] and a[k] + 1
    key = np.round(coords / 0.01).astype(np.int64)  # identical to the centimetre
    uniq, inverse = np.unique(key, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    xy_u = uniq.astype(np.float64) * 0.01
    label = _merge_close(xy_u, snap_m)
    n = int(label.max()) + 1 if len(label) else 0
    # node coordinates: the mean of the vertices merged into it
    cnt = np.bincount(label, minlength=n).astype(np.float64)
    xy = np.column_stack([np.bincount(label, xy_u[:, k], minlength=n) / cnt for k in (0, 1)])
    node = label[inverse]
    i, j = node[a], node[a + 1]
    length = np.hypot(*(coords[a + 1] - coords[a]).T)
    keep = i != j
    i, j, length = i[keep], j[keep], length[keep]
    if not len(i):
        raise InputError("the road layer has no segment of positive length", where="[layers] roads",
                         fix="give road centre lines")
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    order = np.lexsort((length, hi, lo))
    lo, hi, length = lo[order], hi[order], length[order]
    first = np.ones(len(lo), bool)
    first[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])  # the shortest of parallel segments
    lo, hi, length = lo[first], hi[first], length[first]
    m = sparse.coo_matrix((np.concatenate([length, length]), (np.concatenate([lo, hi]), np.concatenate([hi, lo]))),
                          shape=(n, n)).tocsr()
    return RoadGraph(xy=xy, matrix=m)


def entrances(graph: RoadGraph, green, within_m: float) -> np.ndarray:
    """Nodes within ``within_m`` metres of a green-space polygon (inside it included), sorted."""
    geoms = np.asarray(green, dtype=object)
    if not len(geoms) or not graph.n_nodes:
        return np.empty(0, np.int64)
    pts = shapely.points(graph.xy)
    tree = shapely.STRtree(geoms)
    if within_m > 0:
        hit = tree.query(pts, predicate="dwithin", distance=within_m)
    else:
        hit = tree.query(pts, predicate="intersects")
    return np.unique(hit[0]).astype(np.int64)


def nearest_nodes(graph: RoadGraph, points) -> np.ndarray:
    """Index of the node nearest each point (the first when tied)."""
    pts = np.asarray(points, dtype=object)
    if not len(pts):
        return np.empty(0, np.int64)
    tree = shapely.STRtree(shapely.points(graph.xy))
    got = tree.query_nearest(pts, all_matches=False)
    out = np.full(len(pts), -1, np.int64)
    out[got[0]] = got[1]
    return out


def walking_distance(graph: RoadGraph, sources, limit: float | None = None) -> np.ndarray:
    """Shortest distance (m) along the roads from the nearest of ``sources`` to every node.

    Parameters
    ----------
    graph : RoadGraph
    sources : array_like of int
        Source nodes (distance 0).
    limit : float, optional
        Search no farther than this (m): nodes beyond are ``inf`` (faster).

    Returns
    -------
    numpy.ndarray, (n_nodes,)
        Metres; ``inf`` where no source is reachable (within ``limit``).
    """
    src = np.unique(np.asarray(sources, dtype=np.int64))
    if not len(src):
        return np.full(graph.n_nodes, np.inf)
    d = csgraph.dijkstra(graph.matrix, directed=False, indices=src, min_only=True,
                         limit=np.inf if limit is None else float(limit))
    return np.asarray(d, dtype=np.float64)


__all__ = ["RoadGraph", "entrances", "nearest_nodes", "road_graph", "walking_distance"]
