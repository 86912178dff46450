"""A road network that does not connect is noted (issue 11: roads that do not connect)."""

import numpy as np
from shapely.geometry import LineString

from ecozone.green.network import road_graph


def test_unconnected_road_parts_are_counted():
    lines = [LineString([(0, 0), (100, 0)]), LineString([(100, 0), (200, 0)]),  # one part of 3 nodes
             LineString([(0, 500), (50, 500)])]                                 # a second part of 2 nodes
    g = road_graph(np.array(lines, dtype=object), snap_m=1.0)
    n, off = g.components()
    assert n == 2 and off == 2 / 5
    whole = road_graph(np.array(lines[:2], dtype=object), snap_m=1.0)
    assert whole.components() == (1, 0.0)
