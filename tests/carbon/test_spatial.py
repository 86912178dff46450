"""Spatial autocorrelation and gravity centres (METHODS §2.6) against hand computations."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
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
