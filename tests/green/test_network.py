"""Road graph and walking distance: hand-derived on the tiny study, and against networkx."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from green_study import POINTS, X0, Y0, layers, units
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, box

from ecozone.green.indicators import residential_pieces, served_by_network
from ecozone.green.network import entrances, nearest_nodes, road_graph, walking_distance

nx = pytest.importorskip("networkx")


def _nx_graph(lines):
    """networkx graph built independently: nodes = vertex coordinates, edges = consecutive vertices."""
    g = nx.Graph()
    for line in lines:
        c = [tuple(np.round(p, 6)) for p in np.asarray(line.coords)]
        for a, b in zip(c[:-1], c[1:], strict=True):
            w = float(np.hypot(b[0] - a[0], b[1] - a[1]))
            if not g.has_edge(a, b) or g[a][b]["weight"] > w:
                g.add_edge(a, b, weight=w)
    return g


def test_walking_distances_of_the_tiny_study_match_networkx():
    lay = layers()
    roads = lay["roads"].geometry.to_numpy()
    graph = road_graph(roads, noding="vertices", snap_m=0)
    park = lay["green_space"].geometry.to_numpy()
    src = entrances(graph, park, 50.0)
    # entrances: the nodes x = 0…400 m of the road 20 m north of the park
    got = sorted((graph.xy[src] - [X0, Y0]).round(6).tolist())
    assert got == [[float(x), 520.0] for x in range(0, 401, 100)]
    dist = walking_distance(graph, src)
    g = _nx_graph(roads)
    ref = nx.multi_source_dijkstra_path_length(g, {tuple(np.round(graph.xy[i], 6)) for i in src})
    for i, xy in enumerate(graph.xy):
        assert dist[i] == pytest.approx(ref[tuple(np.round(xy, 6))], abs=1e-6)
    pts = shapely.points([(X0 + x, Y0 + y) for x, y in POINTS.values()])
    walk = dist[nearest_nodes(graph, pts)]
    np.testing.assert_allclose(walk, [0.0, 400.0, 1280.0, 600.0, 980.0])


def test_limit_and_unreachable():
    lines = [LineString([(0, 0), (100, 0), (200, 0)]), LineString([(500, 0), (600, 0)])]
    graph = road_graph(lines, noding="vertices")
    d = walking_distance(graph, [0])
    assert d[1] == 100.0 and d[2] == 200.0 and np.isinf(d[3:]).all()
    assert np.isinf(walking_distance(graph, [0], limit=150.0)[2])
    assert np.isinf(walking_distance(graph, [])).all()


def test_noding_joins_crossing_roads_only_when_asked():
    cross = [LineString([(0, 0), (200, 0)]), LineString([(100, -100), (100, 100)])]
    apart = road_graph(cross, noding="vertices")
    joined = road_graph(cross, noding="intersections")
    far_end = lambda g: int(np.flatnonzero((g.xy == [100.0, 100.0]).all(axis=1))[0])  # noqa: E731
    start = lambda g: int(np.flatnonzero((g.xy == [0.0, 0.0]).all(axis=1))[0])  # noqa: E731
    assert np.isinf(walking_distance(apart, [start(apart)])[far_end(apart)])
    assert walking_distance(joined, [start(joined)])[far_end(joined)] == pytest.approx(200.0)
    assert (apart.n_nodes, joined.n_nodes) == (4, 5)


def test_snapping_merges_close_vertices():
    lines = [LineString([(0, 0), (100, 0)]), LineString([(100.4, 0.3), (200, 0)])]
    assert np.isinf(walking_distance(road_graph(lines, noding="vertices", snap_m=0), [0])).any()
    d = walking_distance(road_graph(lines, noding="vertices", snap_m=1.0), [0])
    assert np.isfinite(d).all()


def test_served_by_network_polygons_count_by_centroid():
    lay = layers("polygons")
    u = units().geometry.to_numpy()
    res = lay["residential"].geometry.to_numpy()
    parts = residential_pieces(u, res)
    graph = road_graph(lay["roads"].geometry.to_numpy())
    served = served_by_network(parts, res, graph, lay["green_space"].geometry.to_numpy(), 500.0, 50.0)
    # the block's centroid (800, 100) is nearest to node (800, 520), 400 m from the entrances: all served
    np.testing.assert_allclose(served, parts["weight"].to_numpy())
    assert parts["weight"].sum() == pytest.approx(400 * 200)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(3, 7), seed=st.integers(0, 10_000), drop=st.floats(0.0, 0.4))
def test_random_street_grids_match_networkx(n, seed, drop):
    rng = np.random.default_rng(seed)
    lines = []
    for i in range(n):
        for j in range(n - 1):
            for a, b in (((i, j), (i, j + 1)), ((j, i), (j + 1, i))):
                if rng.random() >= drop:
                    jitter = rng.uniform(-20, 20, 2).round(2)  # vertices to the centimetre, as nodes are
                    mid = ((a[0] + b[0]) * 50 + jitter[0], (a[1] + b[1]) * 50 + jitter[1])
                    lines.append(LineString([(a[0] * 100, a[1] * 100), mid, (b[0] * 100, b[1] * 100)]))
    if not lines:
        return
    graph = road_graph(lines, noding="vertices", snap_m=0)
    park = box(-10, -10, 10, 10)
    src = entrances(graph, [park], 0.0)
    if not len(src):
        return
    ours = walking_distance(graph, src)
    ref = nx.multi_source_dijkstra_path_length(_nx_graph(lines), {tuple(np.round(graph.xy[i], 6)) for i in src})
    for i, xy in enumerate(graph.xy):
        want = ref.get(tuple(np.round(xy, 6)), np.inf)
        assert ours[i] == pytest.approx(want, abs=1e-6)
