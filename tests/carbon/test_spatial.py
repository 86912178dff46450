"""Spatial autocorrelation and gravity centres (METHODS §2.6) against hand computations."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from ecozone.carbon.params import SpatialParams
from ecozone.carbon.spatial import (
    contiguity_weights,
    global_moran,
    gravity_centre,
    gravity_centre_migration,
    hot_spots,
    local_moran,
    spatial_autocorrelation,
)

AEA = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +datum=WGS84 +units=m +no_defs"


def lattice(n, m, size=10_000.0, crs=AEA):
    """n × m square cells; unit_id 'r{i}c{j}', row-major."""
    cells = [(i, j) for i in range(n) for j in range(m)]
    return gpd.GeoDataFrame(
        {
            "unit_id": [f"r{i}c{j}" for i, j in cells],
            "row": [i for i, _ in cells],
            "col": [j for _, j in cells],
        },
        geometry=[box(j * size, -(i + 1) * size, (j + 1) * size, -i * size) for i, j in cells],
        crs=crs,
    )


def neighbours(i, j, n, m, queen):
    out = []
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if (di, dj) == (0, 0) or (not queen and di and dj):
                continue
            if 0 <= i + di < n and 0 <= j + dj < m:
                out.append((i + di, j + dj))
    return out


def test_checkerboard_is_minus_one_on_rook_weights():
    g = lattice(4, 4)
    y = np.where((g["row"] + g["col"]) % 2 == 0, 1.0, -1.0)
    w = contiguity_weights(g, "rook")
    assert global_moran(y, w, permutations=0)["moran_i"] == pytest.approx(-1.0, abs=1e-12)


def test_moran_i_by_hand_on_queen_lattice():
    n = m = 3
    g = lattice(n, m)
    vals = np.array([[1.0, 2.0, 3.0], [2.0, 5.0, 4.0], [1.0, 0.0, 9.0]])
    y = vals.ravel()
    z = y - y.mean()
    num = 0.0
    for i in range(n):
        for j in range(m):
            nb = neighbours(i, j, n, m, queen=True)
            lag = sum(z[a * m + b] for a, b in nb) / len(nb)  # row-standardised
            num += z[i * m + j] * lag
    i_hand = num / (z @ z)  # n / S0 = 1 for row-standardised weights
    w = contiguity_weights(g, "queen")
    res = global_moran(y, w, permutations=99, seed=1)
    assert res["moran_i"] == pytest.approx(i_hand, rel=1e-12)
    assert res["expected_i"] == pytest.approx(-1 / 8)
    assert 0 < res["p_sim"] <= 1


def test_lisa_quadrants_by_hand():
    n = m = 5
    g = lattice(n, m)
    vals = np.zeros((n, m))
    vals[:2, :2] = 10.0  # a high corner
    vals[4, 4] = 8.0  # a high outlier among lows
    y = vals.ravel()
    z = y - y.mean()
    w = contiguity_weights(g, "queen")
    res = local_moran(y, w, permutations=999, seed=3)
    for i in range(n):
        for j in range(m):
            nb = neighbours(i, j, n, m, queen=True)
            lag = sum(z[a * m + b] for a, b in nb) / len(nb)
            zi = z[i * m + j]
            quad = ("H" if zi > 0 else "L") + ("H" if lag > 0 else "L")
            row = res.loc[f"r{i}c{j}"]
            assert row["quadrant"] == quad
            # esda's local I: (n − 1)·z_i·lag_i / Σ z²
            assert row["lisa_i"] == pytest.approx((n * m - 1) * zi * lag / (z @ z), rel=1e-9)
    assert res.loc["r0c0", "cluster"] == "HH"
    assert res.loc["r4c4", "quadrant"] == "HL"
    assert set(res["cluster"]) <= {"HH", "LH", "LL", "HL", "not_significant"}


def test_gi_star_by_hand_and_shift_invariance():
    n = m = 4
    g = lattice(n, m)
    rng = np.random.default_rng(0)
    y = rng.uniform(0, 10, n * m)
    y[:3] += 20
    w = contiguity_weights(g, "queen")
    res = hot_spots(y, w, permutations=199, seed=4)
    N = n * m
    xbar = y.mean()
    s = math.sqrt((y**2).mean() - xbar**2)
    for i in range(n):
        for j in range(m):
            nb = [(i, j), *neighbours(i, j, n, m, queen=True)]  # Gi*: self included, binary
            sw = len(nb)
            num = sum(y[a * m + b] for a, b in nb) - xbar * sw
            den = s * math.sqrt((N * sw - sw**2) / (N - 1))
            assert res.loc[f"r{i}c{j}", "gi_star_z"] == pytest.approx(num / den, rel=1e-9)
    shifted = hot_spots(y - 100.0, w, permutations=199, seed=4)
    np.testing.assert_allclose(shifted["gi_star_z"], res["gi_star_z"], rtol=1e-9)
    np.testing.assert_allclose(shifted["p_sim"], res["p_sim"])
    assert res.loc["r0c1", "spot"] == "hot"


def test_spatial_autocorrelation_over_years():
    g = lattice(4, 4)
    y = np.where((g["row"] + g["col"]) % 2 == 0, 1.0, -1.0)
    t = pd.concat(
        [
            pd.DataFrame({"unit_id": g["unit_id"], "year": yr, "cb": y * k})
            for yr, k in ((2005, 1), (2010, 2))
        ]
    )
    gl, lo, notes = spatial_autocorrelation(
        g, t, ["cb"], SpatialParams(contiguity="rook", permutations=99)
    )
    assert gl["moran_i"].tolist() == pytest.approx([-1.0, -1.0])
    assert len(lo) == 32 and set(lo.columns) >= {"unit_id", "year", "cluster", "spot"}
    assert notes == []


def test_gravity_centre_and_migration():
    g = lattice(1, 3)  # centroids at x = 5, 15, 25 km, y = −5 km
    x, y = gravity_centre(g, [1.0, 0.0, 3.0], AEA)
    assert x == pytest.approx((5_000 * 1 + 25_000 * 3) / 4)
    assert y == pytest.approx(-5_000)
    assert gravity_centre(g, [-5.0, 1.0, 1.0], AEA)[0] == pytest.approx(
        20_000
    )  # negative weight → 0
    t = pd.DataFrame(
        {
            "unit_id": list(g["unit_id"]) * 2,
            "year": [2005] * 3 + [2010] * 3,
            "ce": [1.0, 1.0, 1.0, 0.0, 0.0, 1.0],
        }
    )
    mig = gravity_centre_migration(g, t, "ce", AEA).set_index("year")
    assert mig.loc[2005, "x"] == pytest.approx(15_000)
    assert mig.loc[2010, "shift_m"] == pytest.approx(10_000)
    assert mig.loc[2010, "direction_deg"] == pytest.approx(90.0)  # moved east
    assert np.isnan(mig.loc[2005, "shift_m"])
    assert 100 < mig.loc[2005, "lon"] < 110


def test_permutation_p_values_match_exact_enumeration():
    """Corner cell of a 3 × 3 queen lattice: 3 neighbours drawn from the 8 others,
    all C(8, 3) = 56 subsets equally likely; folded one-sided p as in esda."""
    from itertools import combinations

    g = lattice(3, 3)
    y = np.array([9.0, 7.0, 1.0, 6.0, 8.0, 2.0, 0.5, 3.0, 4.0])
    w = contiguity_weights(g, "queen")
    res = local_moran(y, w, permutations=20_000, seed=9)
    others = y[1:]
    obs = y[1] + y[3] + y[4]  # neighbours of r0c0: r0c1, r1c0, r1c1
    sums = [sum(c) for c in combinations(others, 3)]
    ge = np.mean([s >= obs - 1e-12 for s in sums])
    exact = min(ge, 1 - ge)
    assert res.loc["r0c0", "p_sim"] == pytest.approx(exact, abs=0.01)
    assert res.loc["r0c0", "p_sim"] < 0.1


def test_island_is_noted_once_with_its_name_and_gets_no_local_statistic():
    g = lattice(3, 3)
    island = gpd.GeoDataFrame(
        {"unit_id": ["isle"], "row": [9], "col": [9]},
        geometry=[box(100_000.0, 100_000.0, 110_000.0, 110_000.0)],
        crs=AEA,
    )
    g = pd.concat([g, island], ignore_index=True)
    g["name"] = [f"U{i}" for i in range(9)] + ["Shengsi"]
    rng = np.random.default_rng(1)
    t = pd.concat(
        [
            pd.DataFrame({"unit_id": g["unit_id"], "year": yr, "cb": rng.normal(size=10), "nep": rng.normal(size=10)})
            for yr in (2005, 2010)
        ]
    )
    t.loc[(t["year"] == 2010) & (t["unit_id"] == "r0c0"), "nep"] = np.nan  # another set of units, same island
    _, lo, notes = spatial_autocorrelation(g, t, ["cb", "nep"], SpatialParams(permutations=0))
    assert notes == ["units without neighbours get no local statistic: isle Shengsi"]
    isle = lo[lo["unit_id"] == "isle"]
    assert len(isle) == 4 and isle["lisa_i"].isna().all()
    assert len(lo) == 10 * 4 - 1


# ------------------------------------------------------------------ speed-ups give the plain results


def _queen_sets(w):
    return {k: set(v) for k, v in w.neighbors.items()}


def test_queen_neighbours_are_libpysal_queen():
    from libpysal.weights import Queen
    from shapely.geometry import MultiPolygon, Polygon

    g = lattice(4, 5)
    # a cell with a hole, a two-part unit touching the lattice at one corner only, and a
    # cell whose shared corner is written with −0.0 in one polygon and 0.0 in the other
    holed = Polygon(
        [(50_000, -10_000), (60_000, -10_000), (60_000, 0), (50_000, 0)],
        [[(52_000, -8_000), (58_000, -8_000), (58_000, -2_000), (52_000, -2_000)]],
    )
    two = MultiPolygon([box(50_000, -50_000, 60_000, -40_000), box(80_000, -50_000, 90_000, -40_000)])
    neg = Polygon([(-10_000, 0.0), (-0.0, 0.0), (-0.0, 10_000), (-10_000, 10_000)])
    extra = gpd.GeoDataFrame({"unit_id": ["holed", "two", "neg"]}, geometry=[holed, two, neg], crs=AEA)
    g = pd.concat([g, extra], ignore_index=True)
    ours = contiguity_weights(g, "queen")
    ref = Queen.from_dataframe(g, ids=g["unit_id"].tolist(), use_index=False, silence_warnings=True)
    assert ours.id_order == ref.id_order == g["unit_id"].tolist()
    assert _queen_sets(ours) == _queen_sets(ref)
    assert _queen_sets(ours)["two"] == {"r3c4"}  # corner (50 km, −40 km) of the last row's last cell
    assert "neg" in _queen_sets(ours)["r0c0"]
    assert _queen_sets(ours)["holed"] == {"r0c4", "r1c4"}
    assert ours.islands == []
    assert all(abs(sum(ours.weights[k]) - 1) < 1e-12 for k in ours.id_order)  # row-standardised


@settings(max_examples=25, deadline=None)
@given(st.lists(st.booleans(), min_size=30, max_size=30))
def test_queen_on_any_set_of_cells_is_libpysal_queen(keep):
    from libpysal.weights import Queen

    g = lattice(5, 6)
    g = g[np.asarray(keep)].reset_index(drop=True)
    if len(g) < 2:
        return
    ours = contiguity_weights(g, "queen")
    ref = Queen.from_dataframe(g, ids=g["unit_id"].tolist(), use_index=False, silence_warnings=True)
    assert _queen_sets(ours) == _queen_sets(ref)
    assert sorted(ours.islands) == sorted(ref.islands)


def _with_island():
    g = lattice(4, 4)
    island = gpd.GeoDataFrame(
        {"unit_id": ["isle"], "row": [9], "col": [9]},
        geometry=[box(100_000.0, 100_000.0, 110_000.0, 110_000.0)],
        crs=AEA,
    )
    return pd.concat([g, island], ignore_index=True)


def test_global_p_value_is_esdas_own_permutation_loop():
    import esda

    g = _with_island()
    y = np.random.default_rng(7).lognormal(size=len(g))
    w = contiguity_weights(g, "queen")
    saved = np.random.get_state()
    try:
        for seed in (12345, 3):
            before = np.random.get_state()[1].copy()
            ours = global_moran(y, w, permutations=499, seed=seed)
            np.testing.assert_array_equal(np.random.get_state()[1], before)  # NumPy's global generator untouched
            np.random.seed(seed)
            ref = esda.Moran(y, w, permutations=499)
            assert ours["p_sim"] == ref.p_sim
            assert ours["moran_i"] == ref.I
    finally:
        np.random.set_state(saved)
    assert np.isnan(global_moran(y, w, permutations=0)["p_sim"])


def _plain_conditional_p(v, w, weights, permutations, seed):
    """The documented algorithm, one unit at a time (the pre-Numba formulation)."""
    n = v.size
    idx = {k: i for i, k in enumerate(w.id_order)}
    cards = [len(w.neighbors[k]) for k in w.id_order]
    kmax = min(max(cards), n - 1)
    scale = float(np.abs(v - v.mean()).max()) or 1.0
    perm = np.argsort(np.random.default_rng(seed).random((permutations, n - 1)), axis=1)[:, :kmax]
    out = np.full(n, np.nan)
    for i, k in enumerate(w.id_order):
        if cards[i] == 0:
            continue
        nb = [idx[j] for j in w.neighbors[k]]
        wi = np.asarray(weights[i], dtype=float)
        obs = float(v[nb] @ wi)
        ids = perm[:, : cards[i]].copy()
        ids[ids >= i] += 1
        sims = v[ids] @ wi
        larger = int(np.count_nonzero(sims >= obs - 1e-9 * scale * float(np.abs(wi).sum())))
        larger = min(larger, permutations - larger)
        out[i] = (larger + 1.0) / (permutations + 1.0)
    return out


def test_permutation_kernel_gives_the_plain_p_values():
    from ecozone.carbon.spatial import conditional_permutation_p

    g = _with_island()
    w = contiguity_weights(g, "queen")
    rng = np.random.default_rng(11)
    for y in (rng.normal(size=len(g)), np.round(rng.uniform(0, 4, len(g)))):  # the second with many ties
        for weights in ([np.asarray(w.weights[k]) for k in w.id_order],
                        [np.ones(len(w.neighbors[k])) for k in w.id_order]):
            ours = conditional_permutation_p(y, w, weights, 299, 5)
            ref = _plain_conditional_p(y, w, weights, 299, 5)
            np.testing.assert_array_equal(ours, ref)
    assert np.isnan(ours[-1])  # the island


def test_missing_values_use_the_contiguity_of_the_units_with_values():
    g = _with_island()
    rng = np.random.default_rng(2)
    t = pd.DataFrame({"unit_id": g["unit_id"], "year": 2020, "cb": rng.normal(size=len(g))})
    t.loc[t["unit_id"].isin(["r1c1", "r0c1", "r1c0"]), "cb"] = np.nan  # r0c0 loses all its neighbours
    p = SpatialParams(permutations=199, seed=8)
    gl, lo, notes = spatial_autocorrelation(g, t, ["cb"], p)
    sub = g[~g["unit_id"].isin(["r1c1", "r0c1", "r1c0"])]
    w = contiguity_weights(sub, "queen")  # built for the subset directly
    y = t.set_index("unit_id").loc[w.id_order, "cb"].to_numpy()
    ref = global_moran(y, w, 199, 8)
    assert gl.iloc[0]["moran_i"] == ref["moran_i"] and gl.iloc[0]["p_sim"] == ref["p_sim"]
    lm = local_moran(y, w, 199, 8)
    hs = hot_spots(y, w, 199, 8)
    lo = lo.set_index("unit_id").loc[w.id_order]
    np.testing.assert_array_equal(lo["lisa_i"].to_numpy(), lm["lisa_i"].to_numpy())
    np.testing.assert_array_equal(lo["lisa_p"].to_numpy(), lm["p_sim"].to_numpy())
    np.testing.assert_array_equal(lo["gi_star_z"].to_numpy(), hs["gi_star_z"].to_numpy())
    np.testing.assert_array_equal(lo["gi_p"].to_numpy(), hs["p_sim"].to_numpy())
    assert lo.loc["r0c0", "cluster"] == "island" and lo.loc["isle", "spot"] == "island"
    assert "r0c0" in notes[0] and "isle" in notes[0]


def test_seeded_results_repeat_and_depend_on_the_seed():
    g = lattice(5, 5)
    t = pd.DataFrame({"unit_id": g["unit_id"], "year": 2020, "cb": np.random.default_rng(4).normal(size=25)})
    a = spatial_autocorrelation(g, t, ["cb"], SpatialParams(permutations=99, seed=1))
    b = spatial_autocorrelation(g, t, ["cb"], SpatialParams(permutations=99, seed=1))
    c = spatial_autocorrelation(g, t, ["cb"], SpatialParams(permutations=99, seed=2))
    pd.testing.assert_frame_equal(a[0], b[0])
    pd.testing.assert_frame_equal(a[1], b[1])
    assert not np.array_equal(a[1]["lisa_p"].to_numpy(), c[1]["lisa_p"].to_numpy())
