"""Circuit theory against Circuitscape's published cases and hand-derived networks (METHODS §4.4)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecozone.ecology.circuit import (
    advanced_mode,
    current_density,
    effective_resistance,
    pair_solution,
    pairwise,
    pinch_points,
)
from ecozone.errors import InputError, ParameterError

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CS = SHARED / "oracles" / "circuitscape"
S2 = math.sqrt(2.0)


def _case(name: str) -> Path:
    d = CS / name
    if not d.is_dir():
        pytest.skip(f"Circuitscape oracle {name} not found (expected in {CS})")
    return d


def _asc(path: Path) -> tuple[dict, np.ndarray]:
    """ESRI ASCII grid: header dict and values (nodata kept as the raw number)."""
    lines = path.read_text().splitlines()
    hdr, k = {}, 0
    keys = {"ncols", "nrows", "xllcorner", "yllcorner", "cellsize", "nodata_value"}
    while lines[k].split() and lines[k].split()[0].lower() in keys:
        key, val = lines[k].split()[:2]
        hdr[key.lower()] = float(val)
        k += 1
    vals = np.array([[float(v) for v in ln.split()] for ln in lines[k:] if ln.strip()])
    assert vals.shape == (int(hdr["nrows"]), int(hdr["ncols"]))
    return hdr, vals


def _matrix(path: Path) -> dict[tuple[int, int], float]:
    """Circuitscape's resistance matrix file: first row/column are the ids."""
    m = np.loadtxt(path)
    ids = m[0, 1:].astype(int)
    return {(a, b): m[1 + i, 1 + j] for i, a in enumerate(ids) for j, b in enumerate(ids) if a < b}


def _grid_close(got: np.ndarray, want: np.ndarray) -> None:
    """Circuitscape.jl's grid criterion (Σ Δ² < 1e-6) and a pointwise bound.

    Circuitscape solved these cases with cg+amg at tolerance 1e-6, so its maps
    carry errors of about 1e-6; ours are solved to 1e-10.
    """
    d = got - want
    assert np.sum(d**2) < 1e-6
    assert np.max(np.abs(d)) < 1e-5 * max(1.0, np.max(np.abs(want)))


def _printed(got: float, want: float, digits: int = 10) -> None:
    """``got`` rounds to ``want`` as printed with ``digits`` significant digits."""
    if want == 0:
        assert got == 0
        return
    half_ulp = 0.5 * 10 ** (math.floor(math.log10(abs(want))) - digits + 1)
    assert abs(got - want) <= half_ulp * 1.01 + 1e-12 * abs(want)


def _sgverify(name, cellmap, points, conductances, connect):
    d = _case(name)
    _, cell = _asc(d / "input" / cellmap)
    _, pts = _asc(d / "input" / points)
    r = np.where(cell == -9999, np.nan, 1.0 / cell if conductances else cell)
    lab = np.where(pts == -9999, 0, pts).astype(int)
    return d, r, lab


CASES = {
    "sgVerify4": ("cellmap.asc", "points.asc", False, 4),
    "sgVerify10": ("cellmap7.asc", "points_polys7.asc", True, 8),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_sgverify_resistances_and_cumulative_current(name):
    d, r, lab = _sgverify(name, *CASES[name])
    table, cum = pairwise(r, lab, connect=CASES[name][3])
    got = {(a, b): v for a, b, v in table.itertuples(index=False)}
    out = _matrix(d / "expected" / f"{name}_resistances.out")
    py4 = _matrix(d / "expected" / f"py4_{name}_resistances.txt")
    assert set(got) == set(out) == set(py4)  # same ids: the −9 point is not focal
    for pair, want in out.items():
        if want == -1:
            assert got[pair] == -1, pair
        else:
            _printed(got[pair], want)  # to the 10 printed digits
            assert got[pair] == pytest.approx(py4[pair], rel=1e-9)  # py4's full precision
    _, cum_want = _asc(d / "expected" / f"{name}_cum_curmap.asc")
    _grid_close(cum, cum_want)
    np.testing.assert_array_equal(current_density(r, lab, CASES[name][3]), cum)


def test_sgverify_sample_values():
    _, r, lab = _sgverify("sgVerify4", *CASES["sgVerify4"])
    t = effective_resistance(r, lab, 4, pairs=[(1, 2), (4, 9), (5, 8), (3, 6)])
    np.testing.assert_allclose(
        t.resistance, [10.775106986705975, 1.346854974413408, 8.386535062149774, -1], rtol=1e-9
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_sgverify_pair_maps(name):
    d, r, lab = _sgverify(name, *CASES[name])
    files = sorted((d / "expected").glob(f"{name}_curmap_*.asc"))
    assert files
    for f in files:
        a, b = (int(v) for v in f.stem.split("_")[-2:])
        sol = pair_solution(r, lab, a, b, CASES[name][3])
        _grid_close(sol.current, _asc(f)[1])
        _grid_close(sol.voltage, _asc(d / "expected" / f"{name}_voltmap_{a}_{b}.asc")[1])
        # a focal region's cells, nodata ones included, carry the pair's 1 A
        assert sol.current[lab == a] == pytest.approx(1.0)


def test_sgverify17_sites_include_pairs():
    d = _case("sgVerify17")
    hdr, cell = _asc(d / "input" / "raster_331464e2628f.asc")
    r = np.where(cell == -9999, np.nan, cell)
    nrows = r.shape[0]
    where = {}
    for line in (d / "input" / "sites.txt").read_text().split("\n"):
        if line.strip():
            i, x, y = line.split()
            col = math.floor((float(x) - hdr["xllcorner"]) / hdr["cellsize"])
            row = nrows - 1 - math.floor((float(y) - hdr["yllcorner"]) / hdr["cellsize"])
            where[int(i)] = (row, col)
    lines = (d / "input" / "pairs_to_include.txt").read_text().split("\n")
    assert lines[0].strip() == "mode include"
    include = [tuple(int(v) for v in ln.split()) for ln in lines[1:] if ln.strip()]
    out = _matrix(d / "expected" / "sgVerify17_resistances.out")
    # sites 1 and 11 share a cell: one node, R = 0
    assert where[1] == where[11] and out[(1, 11)] == 0
    lab = np.zeros(r.shape, int)
    for i, (row, col) in sorted(where.items()):
        if i != 11:
            lab[row, col] = i
    pairs = [p for p in include if 11 not in p]
    got = effective_resistance(r, lab, 8, pairs=pairs)
    assert len(got) == 24
    # an independent dense solve: R_ab = L⁺_aa + L⁺_bb − 2 L⁺_ab
    pinv = np.linalg.pinv(_dense_laplacian(r, 8))
    node = np.cumsum(np.isfinite(r).ravel()).reshape(r.shape) - 1
    for a, b, v in got.itertuples(index=False):
        want = out[(a, b)]
        assert abs(v - want) <= 1e-3  # Circuitscape.jl's own test tolerance
        assert v == pytest.approx(want, rel=1e-7)
        i, j = node[where[a]], node[where[b]]
        assert v == pytest.approx(pinv[i, i] + pinv[j, j] - 2 * pinv[i, j], rel=1e-9)
    # every pair outside the include list is −1 in Circuitscape's output
    assert all(v == -1 for p, v in out.items() if p not in include and p != (1, 11))


def test_mgverify2_advanced_mode():
    d = _case("mgVerify2")
    _, cell = _asc(d / "input" / "cellmap10x10.asc")
    _, src = _asc(d / "input" / "sources10x10.asc")
    _, gnd = _asc(d / "input" / "grounds10x10.asc")
    r = np.where(cell == -9999, np.nan, cell)
    v, c = advanced_mode(r, np.where(src == -9999, 0, src), np.where(gnd == -9999, np.nan, gnd), 4)
    _grid_close(v, _asc(d / "expected" / "mgVerify2_voltmap.asc")[1])
    _grid_close(c, _asc(d / "expected" / "mgVerify2_curmap.asc")[1])
    # 2 A net injected; the 10 Ω ground takes V/10 and the direct ground the rest
    assert v[8, 3] / 10 == pytest.approx(3.0, rel=1e-8)
    assert v[1, 8] == 0.0


# ---------------------------------------------------------------------------
# hand-derived networks


def test_two_cells_and_series_line():
    assert effective_resistance(np.array([[2.0, 6.0]]), np.array([[1, 2]])).resistance[0] == (
        pytest.approx(4.0)
    )
    r = np.array([[1.0, 2.0, 3.0, 10.0]])
    t = effective_resistance(r, np.array([[1, 0, 2, 3]]), connect=4)
    # series: (1+2)/2 + (2+3)/2 = 4 between 1 and 2; + (3+10)/2 to 3
    np.testing.assert_allclose(t.resistance, [4.0, 10.5, 6.5], rtol=1e-10)
    cur = current_density(r, np.array([[1, 0, 2, 0]]), connect=4)
    np.testing.assert_allclose(cur, [[1.0, 1.0, 1.0, 0.0]], atol=1e-9)


def test_diagonal_square():
    # 2×2 of 1 Ω cells, focal corners (0,0)–(1,1): diagonal 1/√2 S in parallel with two
    # 2 Ω rook paths (the other diagonal joins equal potentials and carries nothing)
    lab = np.array([[1, 0], [0, 2]])
    r8 = effective_resistance(np.ones((2, 2)), lab, 8).resistance[0]
    r4 = effective_resistance(np.ones((2, 2)), lab, 4).resistance[0]
    assert r8 == pytest.approx(1.0 / (1.0 + 1.0 / S2), rel=1e-10)
    assert r4 == pytest.approx(1.0, rel=1e-10)


def test_focal_regions_are_short_circuited():
    # 2 rows × 3 columns of 2 Ω: region 1 = left column, region 2 = right column.
    # Two parallel chains of 2 + 2 Ω → 2 Ω; the middle column's rungs carry nothing.
    lab = np.array([[1, 0, 2], [1, 0, 2]])
    assert effective_resistance(np.full((2, 3), 2.0), lab, 4).resistance[0] == pytest.approx(2.0)
    cur = current_density(np.full((2, 3), 2.0), lab, 4)
    np.testing.assert_allclose(cur, [[1.0, 0.5, 1.0], [1.0, 0.5, 1.0]], atol=1e-9)
    # a third focal region in between is an ordinary cell for the pair (1, 2)
    lab3 = np.array([[1, 3, 2], [1, 3, 2]])
    t = effective_resistance(np.full((2, 3), 2.0), lab3, 4)
    assert t.set_index(["a", "b"]).loc[(1, 2), "resistance"] == pytest.approx(2.0)
    # (1, 3): the middle column is short-circuited: two 2 Ω links in parallel → 1 Ω
    assert t.set_index(["a", "b"]).loc[(1, 3), "resistance"] == pytest.approx(1.0)


def test_disconnected_and_nodata_regions():
    r = np.array([[1.0, np.nan, 1.0], [1.0, np.nan, np.nan]])
    lab = np.array([[1, 0, 2], [0, 3, 0]])
    t = effective_resistance(r, lab, 8)
    assert t.resistance.tolist() == [-1.0, -1.0, -1.0]  # 3 sits on nodata, 1 and 2 are apart
    assert current_density(r, lab, 8).sum() == 0.0
    # region 1 keeps its link to 2 through (0, 0); its island cell (0, 2) adds nothing
    lab2 = np.array([[1, 0, 1], [2, 0, 0]])
    assert effective_resistance(r, lab2, 8).resistance[0] == pytest.approx(1.0)


def test_errors():
    with pytest.raises(InputError, match="> 0"):
        effective_resistance(np.array([[1.0, -2.0]]), np.array([[1, 2]]))
    with pytest.raises(InputError, match="shape"):
        effective_resistance(np.ones((2, 2)), np.ones((3, 3), int))
    with pytest.raises(ParameterError, match="connect"):
        effective_resistance(np.ones((2, 2)), np.array([[1, 0], [0, 2]]), connect=6)
    with pytest.raises(InputError, match="has no cell"):
        effective_resistance(np.ones((2, 2)), np.array([[1, 0], [0, 2]]), pairs=[(1, 5)])


def test_pinch_points():
    cur = np.arange(1.0, 11.0).reshape(1, 10)
    corridor = np.ones((1, 10), bool)
    assert np.flatnonzero(pinch_points(cur, corridor, 0.1)).tolist() == [9]
    assert np.flatnonzero(pinch_points(cur, corridor, 0.25)).tolist() == [7, 8, 9]  # ⌈2.5⌉
    corridor[0, 9] = False  # outside the corridor: never a pinch point
    assert np.flatnonzero(pinch_points(cur, corridor, 0.1)).tolist() == [8]
    tied = np.array([[5.0, 5.0, 1.0, 1.0]])
    assert pinch_points(tied, np.ones((1, 4), bool), 0.25).tolist() == [[True, True, False, False]]
    with pytest.raises(ParameterError):
        pinch_points(cur, corridor, 0)


# ---------------------------------------------------------------------------
# independent solves on random rasters


def _dense_laplacian(r: np.ndarray, connect: int) -> np.ndarray:
    """Dense Laplacian over the finite cells, built cell by cell."""
    rows, cols = r.shape
    ok = np.isfinite(r)
    node = np.cumsum(ok.ravel()).reshape(r.shape) - 1
    n = int(ok.sum())
    lap = np.zeros((n, n))
    steps = [(0, 1, 1.0), (1, 0, 1.0)] + ([(1, 1, S2), (1, -1, S2)] if connect == 8 else [])
    for y in range(rows):
        for x in range(cols):
            for dy, dx, f in steps:
                y2, x2 = y + dy, x + dx
                if ok[y, x] and 0 <= y2 < rows and 0 <= x2 < cols and ok[y2, x2]:
                    g = 1.0 / (f * (r[y, x] + r[y2, x2]) / 2.0)
                    i, j = node[y, x], node[y2, x2]
                    lap[i, i] += g
                    lap[j, j] += g
                    lap[i, j] -= g
                    lap[j, i] -= g
    return lap


def _dirichlet_resistance(r, lab, a, b, connect):
    """R_ab from a fixed-voltage solve: V = 1 on a's cells, 0 on b's, R = 1 / current."""
    lap = _dense_laplacian(r, connect)
    node = np.cumsum(np.isfinite(r).ravel()).reshape(r.shape) - 1
    ok = np.isfinite(r)
    ia = node[(lab == a) & ok]
    ib = node[(lab == b) & ok]
    fixed = np.concatenate([ia, ib])
    free = np.setdiff1d(np.arange(lap.shape[0]), fixed)
    v = np.zeros(lap.shape[0])
    v[ia] = 1.0
    # only the free nodes linked to the fixed ones matter; singular blocks (islands) are dropped
    sub = lap[np.ix_(free, free)]
    rhs = -lap[np.ix_(free, ia)].sum(axis=1)
    v[free] = np.linalg.lstsq(sub, rhs, rcond=None)[0]
    current = (lap @ v)[ia].sum()
    return 1.0 / current if current > 1e-12 else -1.0


@st.composite
def networks(draw):
    rows, cols = draw(st.integers(2, 7)), draw(st.integers(2, 7))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    r = rng.uniform(1.0, 50.0, (rows, cols))
    r[rng.random((rows, cols)) < draw(st.sampled_from([0.0, 0.2]))] = np.nan
    lab = np.zeros((rows, cols), int)
    cells = rng.permutation(rows * cols)[: draw(st.integers(2, min(6, rows * cols)))]
    lab.flat[cells] = rng.integers(1, 4, cells.size)  # regions 1–3, some with several cells
    return r, lab


@settings(max_examples=40, deadline=None)
@given(networks(), st.sampled_from([4, 8]))
def test_resistance_matches_dense_dirichlet_solve(data, connect):
    r, lab = data
    t = effective_resistance(r, lab, connect)
    for a, b, v in t.itertuples(index=False):
        want = _dirichlet_resistance(r, lab, a, b, connect)
        if want == -1:
            assert v == -1
        else:
            assert v == pytest.approx(want, rel=1e-7)


@settings(max_examples=30, deadline=None)
@given(st.integers(3, 8), st.integers(3, 8), st.integers(0, 2**32 - 1), st.sampled_from([4, 8]))
def test_symmetry_and_triangle_inequality(rows, cols, seed, connect):
    rng = np.random.default_rng(seed)
    r = rng.uniform(1.0, 100.0, (rows, cols))
    lab = np.zeros((rows, cols), int)
    lab.flat[rng.permutation(rows * cols)[:4]] = [1, 2, 3, 4]  # single-cell focal nodes
    fwd = effective_resistance(r, lab, connect)
    rev = effective_resistance(r, lab, connect, pairs=fwd[["b", "a"]].to_numpy())
    np.testing.assert_allclose(fwd.resistance, rev.resistance, rtol=1e-8)
    rr = {(a, b): v for a, b, v in fwd.itertuples(index=False)}
    rr.update({(b, a): v for (a, b), v in list(rr.items())})
    for a in range(1, 5):
        for b in range(1, 5):
            for c in range(1, 5):
                if len({a, b, c}) == 3:
                    assert rr[(a, c)] <= rr[(a, b)] + rr[(b, c)] + 1e-9
