"""Conefor-style PC/IIC/ECA/dPC, edge distances and network indices."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist

from ecozone.ecology.conefor import connectivity, edge_distances, network_indices
from ecozone.errors import InputError, ParameterError

# shared/oracles/conefor/README.md: three patches on a line, d12 = d23 = 1,
# d13 = 2.5, p = 0.5 at distance 1 (conefor convention, pij_min = 0)
D3 = np.array([[0.0, 1.0, 2.5], [1.0, 0.0, 1.0], [2.5, 1.0, 0.0]])
COLS = [
    "dpc", "dpc_intra", "dpc_flux", "dpc_connector",
    "diic", "diic_intra", "diic_flux", "diic_connector",
]
EXAMPLE_A = {
    "areas": (1, 1, 1), "AL": 10, "pc_num": 5.5, "pc": 0.055, "eca": 2.3452079,
    "iic_num": 5.6666667, "iic": 0.0566667,
    "table": [
        [45.454545, 18.181818, 27.272727, 0, 47.058824, 17.647059, 29.411765, 0],
        [57.208120, 18.181818, 36.363636, 2.662666, 64.705882, 17.647059, 35.294118, 11.764706],
        [45.454545, 18.181818, 27.272727, 0, 47.058824, 17.647059, 29.411765, 0],
    ],
}
EXAMPLE_B = {
    "areas": (4, 1, 2), "AL": 20, "pc_num": 31, "pc": 0.0775, "eca": 5.5677644,
    "iic_num": 32.333333, "iic": 0.0808333,
    "table": [
        [77.419355, 51.612903, 25.806452, 0, 78.350515, 49.484536, 28.865979, 0],
        [26.359913, 3.225806, 19.354839, 3.779267, 38.144330, 3.092784, 18.556701, 16.494845],
        [32.258065, 12.903226, 19.354839, 0, 35.051546, 12.371134, 22.680412, 0],
    ],
}


@pytest.mark.parametrize("ex", [EXAMPLE_A, EXAMPLE_B], ids=["A", "B"])
def test_readme_examples(ex):
    r = connectivity(ex["areas"], D3, distance_m=1.0, p=0.5, landscape_area=ex["AL"])
    assert r["pc_num"] == pytest.approx(ex["pc_num"], abs=5e-7)
    assert r["pc"] == pytest.approx(ex["pc"], abs=5e-8)
    assert r["eca"] == pytest.approx(ex["eca"], abs=5e-8)
    assert r["iic_num"] == pytest.approx(ex["iic_num"], abs=5e-7)
    assert r["iic"] == pytest.approx(ex["iic"], abs=5e-8)
    for k, row in enumerate(ex["table"]):
        for col, want in zip(COLS, row, strict=True):
            assert r[col].iloc[k] == pytest.approx(want, abs=5e-7), (k, col)


def test_best_path_beats_direct_link():
    # p*13 = 0.25 through patch 2, not the direct 2**-2.5 = 0.177
    r = connectivity([0, 0, 1e-9], D3, 1.0, 0.5, 1.0)
    assert r["pc_num"] == pytest.approx(1e-18)
    r = connectivity([1, 0, 1], D3, 1.0, 0.5, 1.0)
    assert r["pc_num"] == pytest.approx(1 + 1 + 2 * 0.25)


def _brute(a, d, dist, p):
    """PC and IIC numerators by enumerating every simple path."""
    n = len(a)
    k = -math.log(p) / dist
    best = np.eye(n)
    hops = np.where(np.eye(n, dtype=bool), 0, np.inf)
    for i, j in itertools.permutations(range(n), 2):
        others = [m for m in range(n) if m not in (i, j)]
        for r in range(len(others) + 1):
            for mid in itertools.permutations(others, r):
                path = (i, *mid, j)
                steps = list(itertools.pairwise(path))
                prob = math.prod(math.exp(-k * d[u][v]) for u, v in steps)
                best[i, j] = max(best[i, j], prob)
                if all(d[u][v] <= dist for u, v in steps):
                    hops[i, j] = min(hops[i, j], len(steps))
    pc = sum(a[i] * a[j] * best[i, j] for i in range(n) for j in range(n))
    iic = sum(a[i] * a[j] / (1 + hops[i, j]) for i in range(n) for j in range(n) if np.isfinite(hops[i, j]))
    return pc, iic


@st.composite
def graphs(draw):
    n = draw(st.integers(1, 5))
    a = draw(st.lists(st.floats(0.1, 50), min_size=n, max_size=n))
    d = np.zeros((n, n))
    for i, j in itertools.combinations(range(n), 2):
        d[i, j] = d[j, i] = draw(st.one_of(st.floats(0, 3000), st.just(np.inf)))
    return np.array(a), d


@settings(max_examples=40, deadline=None)
@given(graphs(), st.floats(200, 2000), st.floats(0.05, 0.95))
def test_pc_iic_equal_path_enumeration(g, dist, p):
    a, d = g
    al = float(a.sum()) * 3
    r = connectivity(a, d, dist, p, al)
    pc, iic = _brute(a, d, dist, p)
    assert r["pc_num"] == pytest.approx(pc, rel=1e-9)
    assert r["iic_num"] == pytest.approx(iic, rel=1e-9)
    assert r["eca"] ** 2 == pytest.approx(r["pc"] * al**2, rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(graphs(), st.floats(200, 2000), st.floats(0.05, 0.95))
def test_dpc_fractions(g, dist, p):
    a, d = g
    r = connectivity(a, d, dist, p, 1e4)
    total = r["dpc_intra"] + r["dpc_flux"] + r["dpc_connector"]
    np.testing.assert_allclose(total, r["dpc"], atol=1e-9)
    # removing a node cannot raise p* among the others: connector >= 0
    assert (r["dpc_connector"] >= -1e-9).all()
    assert (r["dpc_intra"] > 0).all() and (r["dpc_flux"] >= 0).all()
    assert (r["dpc"] <= 100 + 1e-9).all()
    # an independent dPC: recompute PC without each node by enumeration
    for k in range(len(a)):
        keep = [i for i in range(len(a)) if i != k]
        wo = _brute(a[keep], d[np.ix_(keep, keep)], dist, p)[0] if keep else 0.0
        assert r["dpc"].iloc[k] == pytest.approx(100 * (r["pc_num"] - wo) / r["pc_num"], abs=1e-9)


def test_ids_index_the_series():
    r = connectivity((1, 1, 1), D3, 1.0, 0.5, 10, ids=["a", "b", "c"])
    assert list(r["dpc"].index) == ["a", "b", "c"]
    assert r["dpc"].idxmax() == "b"


@pytest.mark.parametrize(
    ("kwargs", "err"),
    [
        ({"distances": [[0, np.nan, 1], [np.nan, 0, 1], [1, 1, 0]]}, InputError),
        ({"distances": [[0, -1, 1], [-1, 0, 1], [1, 1, 0]]}, InputError),
        ({"distances": [[0, 1, 1], [2, 0, 1], [1, 1, 0]]}, InputError),
        ({"distances": np.zeros((2, 2))}, InputError),
        ({"areas": (1, -1, 1)}, InputError),
        ({"p": 1.0}, ParameterError),
        ({"p": 0.0}, ParameterError),
        ({"distance_m": 0.0}, ParameterError),
        ({"landscape_area": 0.0}, ParameterError),
    ],
)
def test_bad_inputs(kwargs, err):
    args = {"areas": (1, 1, 1), "distances": D3, "distance_m": 1.0, "p": 0.5, "landscape_area": 10}
    args.update(kwargs)
    with pytest.raises(err):
        connectivity(**args)


def test_edge_distances_hand():
    lab = np.zeros((6, 10), np.int32)
    lab[1:3, 1:3] = 1  # 2x2
    lab[1:3, 6:9] = 2  # gap of 3 empty columns: closest cells 4 apart
    lab[5, 2] = 7  # below patch 1: rows 2 -> 5
    d = edge_distances(lab, cellsize=30.0)
    assert list(d.index) == [1, 2, 7]
    assert d.loc[1, 2] == pytest.approx(4 * 30.0)
    assert d.loc[1, 7] == pytest.approx(3 * 30.0)
    assert d.loc[2, 7] == pytest.approx(30.0 * math.hypot(3, 4))
    assert (np.diag(d) == 0).all()
    assert edge_distances(lab, 30.0, max_distance=100.0).loc[1, 2] == np.inf


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_edge_distances_equal_all_cell_pairs(seed):
    rng = np.random.default_rng(seed)
    lab = rng.integers(0, 5, size=(12, 14)).astype(np.int32)
    lab[rng.random(lab.shape) < 0.5] = 0
    d = edge_distances(lab, cellsize=10.0)
    for i, j in itertools.combinations(d.index, 2):
        pi = np.argwhere(lab == i) * 10.0
        pj = np.argwhere(lab == j) * 10.0
        assert d.loc[i, j] == pytest.approx(cdist(pi, pj).min())


def test_edge_distances_feed_connectivity_like_networkx():
    nx = pytest.importorskip("networkx")  # installed with scikit-image
    lab = np.zeros((5, 20), np.int32)
    lab[2, 1], lab[2, 6], lab[2, 11], lab[2, 16] = 1, 2, 3, 4
    d = edge_distances(lab, cellsize=100.0)  # 500 m steps
    r = connectivity(np.ones(4), d.to_numpy(), distance_m=500.0, p=0.5, landscape_area=100.0)
    g = nx.Graph()
    for i, j in itertools.combinations(range(4), 2):
        if d.iloc[i, j] <= 500:
            g.add_edge(i, j)
    nl = dict(nx.all_pairs_shortest_path_length(g))
    iic = sum(1 / (1 + nl[i][j]) for i in range(4) for j in range(4))
    assert r["iic_num"] == pytest.approx(iic)


def test_network_indices():
    a, b, g = network_indices(5, 6)
    assert a == pytest.approx(2 / 5)
    assert b == pytest.approx(6 / 5)
    assert g == pytest.approx(6 / 9)
    a, b, g = network_indices(3, 3)  # a triangle: one circuit of one possible
    assert (a, b, g) == (pytest.approx(1.0), pytest.approx(1.0), pytest.approx(1.0))
    a, b, g = network_indices(2, 1)
    assert math.isnan(a) and math.isnan(g) and b == 0.5
    with pytest.raises(ParameterError):
        network_indices(-1, 0)
