"""Discretisation of continuous factors (METHODS §7)."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecozone.drivers import (
    METHODS,
    class_breaks,
    factor_detector,
    optimal_discretisation,
    stratify,
)
from ecozone.errors import InputError, ParameterError

SHARED = Path(__file__).resolve().parents[2].parent / "shared"


# --------------------------------------------------------------------------
# hand-derived breaks


def test_equal_intervals_by_hand():
    s = stratify(np.arange(1, 10), "equal", 4)
    assert list(class_breaks(np.arange(1, 10), "equal", 4)) == [1, 3, 5, 7, 9]
    # closed on the right, the first class on both sides
    assert list(s.codes) == [0, 0, 0, 1, 1, 2, 2, 3, 3]
    assert list(s.labels.categories) == ["[1, 3]", "(3, 5]", "(5, 7]", "(7, 9]"]
    assert s.labels.ordered
    assert (s.method, s.k, s.n_strata) == ("equal", 4, 4)
    assert s.edges.tolist() == [[1, 3], [3, 5], [5, 7], [7, 9]]


@pytest.mark.parametrize(
    ("x", "edges", "codes"),
    [
        # min · r^j with r = (max/min)^(1/k): 1, 2, 4, 8
        (np.arange(1, 9), [1, 2, 4, 8], [0, 0, 1, 1, 2, 2, 2, 2]),
        # minimum 0: shifted by 1 as GD, 1..8 → 0, 1, 3, 7
        (np.arange(0, 8), [0, 1, 3, 7], [0, 0, 1, 1, 2, 2, 2, 2]),
        # negative minimum: shifted by 1 - min = 4
        (np.arange(-3, 5), [-3, -2, 0, 4], [0, 0, 1, 1, 2, 2, 2, 2]),
    ],
)
def test_geometric_intervals_by_hand(x, edges, codes):
    assert class_breaks(x, "geometric", 3) == pytest.approx(edges, abs=1e-12)
    assert list(stratify(x, "geometric", 3).codes) == codes


def test_quantile_ties_leave_fewer_strata():
    x = np.array([1, 1, 1, 1, 1, 1, 2, 3, 4, 5.0])
    s = stratify(x, "quantile", 5)
    # type-7 quantiles at positions 0, 1.8, 3.6, 5.4, 7.2, 9 of the sorted values:
    # breaks 1, 1, 1, 1.4, 3.2, 5; classes (1, 1] and (1, 1.4] are empty and dropped
    assert class_breaks(x, "quantile", 5) == pytest.approx([1, 1, 1, 1.4, 3.2, 5])
    assert s.n_strata == 3
    assert list(s.codes) == [0] * 6 + [1, 1, 2, 2]
    assert list(s.labels.categories) == ["[1, 1]", "(1.4, 3.2]", "(3.2, 5]"]
    assert np.bincount(s.codes).min() > 0


def test_missing_values_get_no_stratum():
    s = stratify([3.0, np.nan, 1.0, 2.0, 4.0], "equal", 3)
    assert list(s.codes) == [1, -1, 0, 0, 2]  # breaks 1, 2, 3, 4
    assert pd.isna(s.labels[1])


def test_constant_factor_is_one_stratum():
    s = stratify([2.0, 2.0, 2.0], "natural", 3)
    assert s.n_strata == 1


def test_natural_with_few_values_classes_each_value():
    s = stratify([1, 1, 2, 5, 5, 5], "natural", 4)
    assert s.n_strata == 3
    assert list(s.codes) == [0, 0, 1, 2, 2, 2]


# --------------------------------------------------------------------------
# independent implementations


def test_quantile_matches_pandas_qcut():
    x = np.random.default_rng(7).gamma(2.0, size=97)
    for k in range(3, 9):
        ref = pd.qcut(x, k, labels=False)
        assert np.array_equal(stratify(x, "quantile", k).codes, ref), k


def test_equal_matches_pandas_cut():
    x = np.random.default_rng(8).normal(size=83)
    for k in range(3, 9):
        ref = pd.cut(x, np.linspace(x.min(), x.max(), k + 1), labels=False, include_lowest=True)
        assert np.array_equal(stratify(x, "equal", k).codes, ref), k


def _jenks_brute_force(x: np.ndarray, k: int) -> np.ndarray:
    """Upper bounds of the k classes of sorted x with the least within sum of squares."""
    v = np.sort(x)
    best, best_cut = np.inf, None
    for cut in combinations(range(1, v.size), k - 1):
        parts = np.split(v, cut)
        ss = sum(((p - p.mean()) ** 2).sum() for p in parts)
        if ss < best:
            best, best_cut = ss, parts
    return np.array([p.max() for p in best_cut])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_natural_breaks_are_the_optimal_jenks_breaks(seed):
    x = np.random.default_rng(seed).lognormal(size=14)
    for k in (3, 4):
        assert class_breaks(x, "natural", k)[1:] == pytest.approx(_jenks_brute_force(x, k))


# --------------------------------------------------------------------------
# optimal choice


def test_optimal_is_the_best_candidate():
    rng = np.random.default_rng(11)
    x = rng.lognormal(size=120)
    y = np.sqrt(x) + rng.normal(scale=0.3, size=x.size)
    s = optimal_discretisation(y, x)
    c = s.candidates
    assert len(c) == len(METHODS) * 6 and c["usable"].all()
    assert set(c["k"]) == set(range(3, 9))
    # every candidate's q is the factor detector's q of that discretisation
    for r in c.itertuples(index=False):
        assert r.q == pytest.approx(
            factor_detector(y, stratify(x, r.method, r.k).labels).q, abs=1e-14
        )
    best = c.loc[c["q"].idxmax()]
    assert s.q == best.q
    assert (s.method, s.k, s.n_strata) == (best.method, best.k, best.n_strata)
    assert s.q == pytest.approx(factor_detector(y, s.labels).q, abs=1e-14)
    assert factor_detector(y, s).q == pytest.approx(s.q, abs=1e-14)  # Strata taken as x


def test_optimal_ties_go_to_fewer_classes_then_method_order():
    x = np.repeat([1.0, 2.0, 3.0], 4)
    s = optimal_discretisation(10 * x, x)
    assert s.q == 1.0
    assert (s.method, s.k, s.n_strata) == ("quantile", 3, 3)
    # three equal thirds explain y exactly; quantiles do not (x is dense below 0.3)
    x = np.r_[np.linspace(0, 0.3, 20), np.linspace(0.34, 0.6, 5), np.linspace(0.7, 1.0, 5)]
    y = np.digitize(x, [1 / 3, 2 / 3]).astype(float)
    s = optimal_discretisation(y, x, classes=[3])
    assert (s.method, s.k, s.q) == ("equal", 3, 1.0)
    q_quantile = s.candidates.set_index("method").loc["quantile", "q"]
    assert q_quantile < 1.0


def test_optimal_on_units_with_the_target():
    x = np.arange(12, dtype=float)
    y = np.where(np.arange(12) < 6, 0.0, 1.0)
    y[0] = np.nan
    s = optimal_discretisation(y, x, methods=["equal"], classes=[3])
    assert s.codes[0] == -1  # no target, no stratum
    assert s.edges[0, 0] == 1.0  # breaks from the units with a target


def test_optimal_errors():
    y = np.arange(5, dtype=float)
    with pytest.raises(InputError, match="needs at least 6"):
        optimal_discretisation(y, np.arange(5.0))
    with pytest.raises(InputError, match="one value only"):
        optimal_discretisation(np.arange(8.0), np.ones(8))
    with pytest.raises(InputError, match="no variance"):
        optimal_discretisation(np.ones(8), np.arange(8.0))
    with pytest.raises(InputError, match="has 4 values"):
        optimal_discretisation(np.arange(8.0), np.arange(4.0))
    with pytest.raises(ParameterError, match="kmeans"):
        optimal_discretisation(np.arange(8.0), np.arange(8.0), methods=["kmeans"])
    with pytest.raises(ParameterError):
        optimal_discretisation(np.arange(8.0), np.arange(8.0), classes=[1])
    with pytest.raises(ParameterError):
        optimal_discretisation(np.arange(8.0), np.arange(8.0), classes=[])


@pytest.mark.parametrize(
    ("x", "kw", "error", "match"),
    [
        ([1.0, 2.0], {"method": "jenks"}, ParameterError, "unknown"),
        ([1.0, 2.0], {"k": 1}, ParameterError, "≥ 2"),
        ([1.0, 2.0], {"k": 2.5}, ParameterError, "integer"),
        ([1.0, np.inf], {}, InputError, "infinite"),
        ([np.nan, np.nan], {}, InputError, "no value"),
        (["a", "b"], {}, InputError, "not numeric"),
    ],
)
def test_stratify_errors(x, kw, error, match):
    with pytest.raises(error, match=match):
        stratify(x, **kw)


def test_ndvi_continuous_factors_discretised():
    path = SHARED / "realdata" / "geodetector" / "ndvi_40_inner_mongolia.csv"
    if not path.exists():
        pytest.skip("reference data ndvi_40_inner_mongolia.csv absent (needs the shared folder)")
    d = pd.read_csv(path)
    y = d["NDVIchange"].to_numpy()
    for factor in ["Tempchange", "Precipitation", "GDP", "Popdensity"]:
        s = optimal_discretisation(y, d[factor].to_numpy())
        assert 3 <= s.n_strata <= 8
        assert s.q == pytest.approx(s.candidates["q"].max(), abs=1e-12)
    # precipitation explains NDVI change better than climate zones do (q 0.82)
    assert optimal_discretisation(y, d["Precipitation"].to_numpy()).q > 0.8218335


# --------------------------------------------------------------------------
# properties

values = st.lists(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False),
    min_size=2,
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(values, st.sampled_from(METHODS), st.integers(min_value=2, max_value=8))
def test_strata_are_ordered_nonempty_intervals(xs, method, k):
    x = np.asarray(xs)
    s = stratify(x, method, k)
    assert 1 <= s.n_strata <= k
    assert s.codes.min() == 0 and s.codes.max() == s.n_strata - 1
    assert np.bincount(s.codes).min() > 0  # no empty stratum
    order = np.argsort(x, kind="stable")
    assert np.all(np.diff(s.codes[order]) >= 0)  # larger values, same or higher stratum
    lower, upper = s.edges[s.codes, 0], s.edges[s.codes, 1]
    first = s.codes == 0
    assert np.all(x <= upper)
    assert np.all(np.where(first, x >= lower, x > lower))
    assert np.array_equal(s.labels.codes, s.codes)
    assert len(set(s.labels.categories)) == s.n_strata
