"""The geographical detector against the published values (METHODS §7).

Reference data and values: shared/realdata/geodetector/README.md (R package
geodetector 1.0-5 on the Heshun neural-tube-defect villages; gdverse on the
Inner Mongolia NDVI grid).
"""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import special, stats

from ecozone.drivers import (
    INTERACTION_TYPES,
    detect,
    ecological_detector,
    factor_detector,
    interaction_detector,
    interaction_type,
    risk_detector,
)
from ecozone.errors import InputError, ParameterError

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
GEODETECTOR = SHARED / "realdata" / "geodetector"
#: discretisation methods without natural breaks, whose mapclassify import takes
#: seconds (test_discretise covers them)
QUICK = ("quantile", "equal", "geometric")


def _read(name: str) -> pd.DataFrame:
    path = GEODETECTOR / name
    if not path.exists():
        pytest.skip(
            f"reference data {path.name} absent (needs the shared folder beside the project)"
        )
    return pd.read_csv(path)


@pytest.fixture(scope="module")
def heshun() -> pd.DataFrame:
    return _read("ntd_heshun_collectdata.csv")


@pytest.fixture(scope="module")
def ndvi() -> pd.DataFrame:
    return _read("ndvi_40_inner_mongolia.csv")


# --------------------------------------------------------------------------
# published values


@pytest.mark.parametrize(
    ("factor", "q", "p", "p_population_variance"),
    [
        # p of watershed: R prints 1.169914e-4, the exact upper tail is 1.169904e-4 (METHODS §7)
        ("watershed", 0.6377737, 1.169904e-4, 0.000128803),
        ("elevation", 0.6067087, 0.04080407, 0.043382244),
        ("soiltype", 0.3857168, 0.3632363, 0.372145486),
    ],
)
def test_factor_detector_heshun(heshun, factor, q, p, p_population_variance):
    res = factor_detector(heshun["incidence"], heshun[factor])
    assert res.q == pytest.approx(q, abs=1e-7)
    assert res.p == pytest.approx(p, rel=1e-6)
    # λ with the sample variance (R geodetector), not the population one (GD, gdverse)
    assert res.p != pytest.approx(p_population_variance, rel=1e-3)
    assert (res.n, res.n_dropped) == (185, 0)


def test_factor_detector_heshun_excel_coding(heshun):
    """The Excel 2018 file codes and orders the villages differently; q is the same."""
    xl = _read("ntd_heshun_excel2018_input.csv")
    for ours, theirs in [("watershed", "region"), ("elevation", "level"), ("soiltype", "type")]:
        a = factor_detector(heshun["incidence"], heshun[ours])
        b = factor_detector(xl["incidence"], xl[theirs])
        assert b.q == pytest.approx(a.q, abs=1e-12)
        assert b.n_strata == a.n_strata


@pytest.mark.parametrize(
    ("a", "b", "q"),
    [
        ("soiltype", "watershed", 0.7356805),
        ("soiltype", "elevation", 0.6635237),
        ("watershed", "elevation", 0.7135968),
    ],
)
def test_interaction_detector_heshun(heshun, a, b, q):
    q12, kind = interaction_detector(heshun["incidence"], heshun[a], heshun[b])
    assert q12 == pytest.approx(q, abs=1e-7)
    assert kind == "enhance_bi"


def test_risk_detector_heshun(heshun):
    """Pairs whose means do not differ (README); every other pair differs."""
    not_significant = {
        "soiltype": {(1, 5), (2, 3)},
        "elevation": {(2, 3)},
        "watershed": {(2, 4), (3, 7), (3, 8), (3, 9), (5, 6), (7, 8), (7, 9)},
    }
    y = heshun["incidence"]
    for factor, expected in not_significant.items():
        risk = risk_detector(y, heshun[factor])
        n_strata = heshun[factor].nunique()
        assert len(risk) == n_strata * (n_strata - 1) // 2  # no stratum below 2 units
        got = {
            (a, b)
            for a, b, s in risk[["stratum_a", "stratum_b", "significant"]].itertuples(index=False)
            if not s
        }
        assert got == expected, factor
        assert list(risk.columns) == [
            "stratum_a",
            "stratum_b",
            "mean_a",
            "mean_b",
            "t",
            "df",
            "significant",
        ]


def test_risk_detector_matches_scipy_welch(heshun):
    y, x = heshun["incidence"].to_numpy(), heshun["watershed"].to_numpy()
    risk = risk_detector(y, x)
    for r in risk.itertuples(index=False):
        ya, yb = y[x == r.stratum_a], y[x == r.stratum_b]
        ref = stats.ttest_ind(ya, yb, equal_var=False)
        assert r.t == pytest.approx(ref.statistic, rel=1e-12)
        assert r.df == round(ref.df)
        assert (r.mean_a, r.mean_b) == pytest.approx((ya.mean(), yb.mean()), rel=1e-14)
        assert r.significant == (abs(r.t) > stats.t.ppf(0.975, r.df))


@pytest.mark.parametrize(
    ("a", "b", "f", "p", "significant"),
    [
        ("soiltype", "watershed", 1.6959, 0.000375, True),
        ("soiltype", "elevation", 1.5619, 0.00263, True),
        ("watershed", "elevation", 0.9210, 0.577, False),
    ],
)
def test_ecological_detector_heshun(heshun, a, b, f, p, significant):
    res = ecological_detector(heshun["incidence"], heshun[a], heshun[b])
    f_, p_, sig = res
    assert f_ == pytest.approx(f, abs=5e-5)
    assert p_ == pytest.approx(p, rel=2e-3)
    assert sig is significant


def test_ndvi_inner_mongolia(ndvi):
    y = ndvi["NDVIchange"]
    assert factor_detector(y, ndvi["Climatezone"]).q == pytest.approx(0.8218335, abs=1e-7)
    assert factor_detector(y, ndvi["Mining"]).q == pytest.approx(0.1411154, abs=1e-7)
    inter = interaction_detector(y, ndvi["Climatezone"], ndvi["Mining"])
    assert inter.q == pytest.approx(0.8344877, abs=1e-7)
    assert inter.type == "enhance_bi"


def test_q_and_f_match_scipy_one_way_anova(ndvi):
    y, x = ndvi["NDVIchange"].to_numpy(), ndvi["Climatezone"].to_numpy()
    res = factor_detector(y, x)
    groups = [y[x == h] for h in np.unique(x)]
    anova = stats.f_oneway(*groups)
    n, n_strata = y.size, len(groups)
    assert res.f == pytest.approx(anova.statistic, rel=1e-10)
    eta2 = anova.statistic * (n_strata - 1) / (anova.statistic * (n_strata - 1) + n - n_strata)
    assert res.q == pytest.approx(eta2, rel=1e-10)


# --------------------------------------------------------------------------
# hand-derived values


def _ncf_sf_series(f, d1, d2, lam, terms=400):
    """Upper tail of the non-central F as a Poisson mixture of beta tails."""
    x = d1 * f / (d1 * f + d2)
    j = np.arange(terms)
    return float(np.sum(stats.poisson.pmf(j, lam / 2) * special.betainc(d2 / 2, d1 / 2 + j, 1 - x)))


def test_factor_detector_hand_example():
    # y = 1..6 in two strata {1,2,3}, {4,5,6}: SST = 17.5, SSW = 2 + 2 = 4
    res = factor_detector([1, 2, 3, 4, 5, 6], ["a", "a", "a", "b", "b", "b"])
    assert res.q == pytest.approx(27 / 35, rel=1e-15)  # 1 - 4/17.5
    assert res.f == pytest.approx(13.5, rel=1e-14)  # 4/1 · (27/35)/(8/35)
    # λ = [2² + 5² - (√3·2 + √3·5)²/6] / (17.5/5) = (29 - 24.5)/3.5
    assert res.lam == pytest.approx(9 / 7, rel=1e-14)
    assert res.p == pytest.approx(_ncf_sf_series(13.5, 1, 4, 9 / 7), rel=1e-9)
    assert (res.n, res.n_strata, res.n_dropped) == (6, 2, 0)


def test_p_at_zero_noncentrality_is_central_f():
    # balanced strata with equal means: q = 0, λ = 0 (SciPy's ncf.sf is negative there)
    res = factor_detector([-1.0, 1.0, 1.0, -1.0], ["a", "a", "b", "b"])
    assert (res.q, res.lam, res.p) == (0.0, 0.0, 1.0)
    res = factor_detector([-1.0, 1.0, 1.0, -1.0, 3.0, 5.0], ["a", "a", "a", "a", "b", "b"])
    assert res.lam > 0 and 0.0 < res.p < 1.0
    # unbalanced strata with means ∝ √N_h: λ = 0 but F > 0
    res = factor_detector([1.0, 1.0, 3.0, 2.0, 2.0], ["a", "b", "b", "b", "b"])
    assert res.lam == pytest.approx(0.0, abs=1e-12)
    assert res.p == pytest.approx(stats.f.sf(res.f, 1, 3), rel=1e-9)


def test_q_one_gives_p_zero():
    res = factor_detector([1.0, 1.0, 5.0, 5.0, 5.0], [0, 0, 1, 1, 1])
    assert (res.q, res.f, res.p) == (1.0, np.inf, 0.0)


def test_interaction_hand_examples():
    y = [1, 2, 3, 4, 5, 6]
    x1 = ["a", "a", "a", "b", "b", "b"]
    x2 = ["p", "q", "p", "q", "p", "q"]
    # q2: {1,3,5}, {2,4,6}: SSW = 16, q2 = 1.5/17.5; x1 ∩ x2: {1,3},{2},{5},{4,6}: SSW = 4
    res = interaction_detector(y, x1, x2)
    assert res.q1 == pytest.approx(27 / 35)
    assert res.q2 == pytest.approx(3 / 35)
    assert res.q == pytest.approx(27 / 35)
    assert res.type == "weaken_uni"  # q12 = max(q1, q2): min ≤ q12 ≤ max
    assert res.n_strata == 4
    assert any("inflated" in m for m in res.messages)  # 4 strata for 6 units

    # additive and balanced: y = 2·[x1 = b] + [x2 = v]; q1 = 0.8, q2 = 0.2, q12 = 1
    res = interaction_detector([0, 1, 2, 3], ["a", "a", "b", "b"], ["u", "v", "u", "v"])
    assert (res.q1, res.q2, res.q) == pytest.approx((0.8, 0.2, 1.0))
    assert res.type == "independent"

    # exclusive or: neither factor alone explains anything, both together everything
    res = interaction_detector([0, 1, 1, 0, 0, 1, 1, 0], list("aabbaabb"), list("uvuvuvuv"))
    assert (res.q1, res.q2, res.q) == pytest.approx((0.0, 0.0, 1.0))
    assert res.type == "enhance_nonlinear"


@pytest.mark.parametrize(
    ("q12", "q1", "q2", "kind"),
    [
        (0.10, 0.20, 0.30, "weaken_nonlinear"),
        (0.20, 0.20, 0.30, "weaken_uni"),
        (0.25, 0.20, 0.30, "weaken_uni"),
        (0.30, 0.20, 0.30, "weaken_uni"),
        (0.30 + 1e-13, 0.20, 0.30, "weaken_uni"),
        (0.40, 0.20, 0.30, "enhance_bi"),
        (0.50, 0.20, 0.30, "independent"),
        (0.1 + 0.2, 0.1, 0.2, "independent"),  # 0.30000000000000004
        (0.50 + 1e-13, 0.20, 0.30, "independent"),
        (0.60, 0.20, 0.30, "enhance_nonlinear"),
        (0.30, 0.00, 0.30, "independent"),
    ],
)
def test_interaction_type(q12, q1, q2, kind):
    assert interaction_type(q12, q1, q2) == kind
    assert interaction_type(q12, q2, q1) == kind
    assert kind in INTERACTION_TYPES


def test_ecological_detector_hand_example():
    y = [1, 2, 3, 4, 5, 6]
    x1 = ["a", "a", "a", "b", "b", "b"]  # SSW 4
    x2 = ["p", "q", "p", "q", "p", "q"]  # SSW 16
    f, p, sig = ecological_detector(y, x1, x2)
    assert f == pytest.approx(0.25)
    assert p == pytest.approx(2 * stats.f.cdf(0.25, 5, 5))
    assert sig is False
    f2, p2, _ = ecological_detector(y, x2, x1)
    assert f2 == pytest.approx(4.0)
    assert p2 == pytest.approx(p, rel=1e-12)


def test_ecological_detector_both_factors_exact():
    res = ecological_detector([1, 1, 2, 2], ["a", "a", "b", "b"], ["u", "u", "v", "v"])
    assert (res.f, res.p, res.significant) == (1.0, 1.0, False)


# --------------------------------------------------------------------------
# missing values, notes and errors


def test_missing_values_dropped_and_counted():
    y = [1, 2, 3, np.nan, 4, 5, 6, 7]
    x = ["a", "a", "a", "b", "b", None, "b", "b"]
    res = factor_detector(y, x)
    ref = factor_detector([1, 2, 3, 4, 6, 7], ["a", "a", "a", "b", "b", "b"])
    assert res.q == pytest.approx(ref.q, rel=1e-15)
    assert res.p == pytest.approx(ref.p, rel=1e-12)
    assert (res.n, res.n_dropped) == (6, 2)
    assert "2 of 8 units dropped" in res.messages[0]
    assert risk_detector(y, x).attrs["n_dropped"] == 2
    assert interaction_detector(y, x, x).n_dropped == 2
    assert ecological_detector(y, x, x).n_dropped == 2


def test_risk_detector_skips_small_and_constant_strata():
    y = [1.0, 2.0, 3.0, 5.0, 5.0, 7.0, 7.0, 9.0]
    x = ["a", "a", "a", "b", "b", "c", "c", "d"]
    risk = risk_detector(y, x)
    # d has one unit; b and c are both constant (t undefined)
    assert set(zip(risk.stratum_a, risk.stratum_b, strict=True)) == {("a", "b"), ("a", "c")}
    notes = " ".join(risk.attrs["messages"])
    assert "d have fewer than 2 units" in notes
    assert "b and c are both constant" in notes
    # a: mean 2, var 1; b: mean 5, var 0 → t = -3/√(1/3), df = n_a - 1 = 2
    ab = risk.iloc[0]
    assert ab.t == pytest.approx(-3 / np.sqrt(1 / 3))
    assert ab.df == 2
    assert ab.significant == (abs(ab.t) > stats.t.ppf(0.975, 2))


@pytest.mark.parametrize(
    ("y", "x", "match"),
    [
        ([1, 2, 3, 4, 5, 6], ["a"] * 6, "one stratum"),
        ([2.0] * 6, list("aaabbb"), "no variance"),
        ([1, 2, 3], list("aab"), "needs at least 4"),
        ([1, 2, 3, 4, 5, 6, 7], list("aabbccd"), "needs at least 8 units"),
        (["a", "b", "c", "d"], list("aabb"), "not numeric"),
        ([1, 2, np.inf, 4], list("aabb"), "infinite"),
        ([1, 2, 3, 4], list("aab"), "has 3 values but the target has 4"),
    ],
)
def test_bad_inputs_raise(y, x, match):
    with pytest.raises(InputError, match=match):
        factor_detector(y, x)


def test_bad_inputs_raise_in_pairwise_detectors():
    y, ok = [1, 2, 3, 4, 5, 6], list("aaabbb")
    for fn in (interaction_detector, ecological_detector):
        with pytest.raises(InputError, match="one stratum") as e:
            fn(y, ok, ["z"] * 6, x2_name="slope")
        assert "slope" in str(e.value)
    with pytest.raises(InputError, match="no variance"):
        risk_detector([3] * 6, ok)


# --------------------------------------------------------------------------
# the batch


def test_detect_heshun_tables(heshun):
    factors = ["watershed", "soiltype", "elevation"]
    out = detect(heshun, ["incidence"], factors, categorical=factors)
    assert set(out) == {"drivers", "drivers_interaction", "drivers_risk", "drivers_ecological"}
    d = out["drivers"]
    assert list(d.columns) == ["target", "factor", "q", "p", "n_strata", "method"]
    assert d["q"].to_numpy() == pytest.approx([0.6377737, 0.3857168, 0.6067087], abs=1e-7)
    assert d["p"].to_numpy() == pytest.approx([1.169904e-4, 0.3632363, 0.04080407], rel=1e-6)
    assert list(d["n_strata"]) == [9, 5, 7]
    assert set(d["method"]) == {"categorical"}
    i = out["drivers_interaction"]
    assert list(i.columns) == ["target", "factor_a", "factor_b", "q", "type"]
    assert list(zip(i.factor_a, i.factor_b, strict=True)) == list(combinations(factors, 2))
    assert i["q"].to_numpy() == pytest.approx([0.7356805, 0.7135968, 0.6635237], abs=1e-7)
    r = out["drivers_risk"]
    assert list(r.columns) == [
        "target",
        "factor",
        "stratum_a",
        "stratum_b",
        "mean_a",
        "mean_b",
        "t",
        "df",
        "significant",
    ]
    assert len(r) == 36 + 10 + 21
    ns = r.loc[~r.significant & (r.factor == "soiltype"), ["stratum_a", "stratum_b"]]
    assert {tuple(v) for v in ns.to_numpy()} == {("1", "5"), ("2", "3")}
    e = out["drivers_ecological"]
    assert list(e.columns) == ["target", "factor_a", "factor_b", "f", "p", "significant"]
    assert list(e.significant) == [True, False, True]  # ws-soil, ws-elev, soil-elev
    assert e["f"].iloc[0] == pytest.approx(1 / 1.6959, rel=1e-4)


def test_detect_discretises_and_reports(ndvi):
    sub = ndvi.iloc[:200].copy()
    sub.loc[sub.index[:3], "GDP"] = np.nan
    # natural breaks left out here: importing mapclassify costs seconds (test_discretise has them)
    out = detect(
        sub,
        ["NDVIchange"],
        ["Climatezone", "Tempchange", "GDP"],
        methods=("quantile", "equal", "geometric"),
    )
    d = out["drivers"].set_index("factor")
    assert d.loc["Climatezone", "method"] == "categorical"
    assert d.loc["Tempchange", "method"] in ("quantile", "equal", "geometric")
    assert 2 <= d.loc["GDP", "n_strata"] <= 8
    assert any("3 units without GDP dropped" in m for m in out["drivers"].attrs["messages"])
    fixed = detect(sub, ["NDVIchange"], ["Tempchange"], discretisation="equal", n_classes=4)
    assert fixed["drivers"].loc[0, "method"] == "equal"
    assert fixed["drivers"].loc[0, "n_strata"] <= 4
    # the chosen stratification is the one the pure functions see
    y = sub["NDVIchange"].to_numpy()
    labels = pd.cut(
        sub["Tempchange"],
        np.linspace(sub.Tempchange.min(), sub.Tempchange.max(), 5),
        include_lowest=True,
    )
    assert fixed["drivers"].loc[0, "q"] == pytest.approx(
        factor_detector(y, labels.cat.codes).q, rel=1e-12
    )


def test_detect_errors():
    frame = pd.DataFrame(
        {"cb": [1.0, 2, 3, 4, 5, 6, 7, 8], "slope": [1.0, 2, 3, 4, 5, 6, 7, 8], "flat": [0.0] * 8}
    )
    with pytest.raises(InputError, match="flat"):
        detect(frame, ["cb"], ["slope", "flat"], methods=QUICK)
    out = detect(frame, ["cb"], ["slope", "flat"], errors="note", methods=QUICK)
    assert list(out["drivers"]["factor"]) == ["slope"]
    assert any("flat" in m and "left out" in m for m in out["drivers"].attrs["messages"])
    assert out["drivers_interaction"].empty and list(out["drivers_interaction"].columns)
    with pytest.raises(InputError, match="not found"):
        detect(frame, ["cb"], ["nope"])
    with pytest.raises(ParameterError):
        detect(frame, ["cb"], ["slope"], discretisation="kmeans")
    with pytest.raises(InputError, match="no variance"):
        detect(frame.assign(cb=1.0), ["cb"], ["slope"])


# --------------------------------------------------------------------------
# properties

labels_st = st.integers(min_value=0, max_value=3)
values_st = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False)


@st.composite
def samples(draw, n_factors=1):
    n = draw(st.integers(min_value=8, max_value=40))
    y = np.array(draw(st.lists(values_st, min_size=n, max_size=n)))
    xs = [np.array(draw(st.lists(labels_st, min_size=n, max_size=n))) for _ in range(n_factors)]
    return y, xs


def _usable(y, x):
    return np.ptp(y) > 1e-6 and np.unique(x).size >= 2


@settings(max_examples=80, deadline=None)
@given(samples())
def test_q_between_zero_and_one(sample):
    y, (x,) = sample
    assume(_usable(y, x))
    q, p = factor_detector(y, x)
    assert 0.0 <= q <= 1.0
    assert 0.0 <= p <= 1.0


@settings(max_examples=80, deadline=None)
@given(samples(), st.lists(values_st, min_size=4, max_size=4, unique=True))
def test_q_is_one_when_every_stratum_is_constant(sample, level):
    _, (x,) = sample
    assume(np.unique(x).size >= 2)
    y = np.asarray(level)[x]
    assume(np.ptp(y) > 1e-6)
    assert factor_detector(y, x).q == pytest.approx(1.0, abs=1e-12)


@settings(max_examples=80, deadline=None)
@given(samples(), st.permutations(["w", "x", "y", "z"]))
def test_q_invariant_to_relabelling(sample, names):
    y, (x,) = sample
    assume(_usable(y, x))
    relabelled = np.asarray(names, dtype=object)[x]
    a, b = factor_detector(y, x), factor_detector(y, relabelled)
    assert b.q == pytest.approx(a.q, abs=1e-12)
    assert b.p == pytest.approx(a.p, rel=1e-9, abs=1e-300)


@settings(max_examples=80, deadline=None)
@given(samples(n_factors=2))
def test_interaction_q_at_least_the_larger_q(sample):
    y, (x1, x2) = sample
    assume(_usable(y, x1) and _usable(y, x2))
    res = interaction_detector(y, x1, x2)
    assert res.q >= max(res.q1, res.q2) - 1e-12
    assert res.type != "weaken_nonlinear"
    assert res.q1 == pytest.approx(factor_detector(y, x1).q, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(samples(n_factors=2))
def test_ecological_f_is_antisymmetric(sample):
    y, (x1, x2) = sample
    assume(_usable(y, x1) and _usable(y, x2))
    a, b = ecological_detector(y, x1, x2), ecological_detector(y, x2, x1)
    assume(a.ssw1 > 1e-9 and a.ssw2 > 1e-9)
    assert a.f * b.f == pytest.approx(1.0, rel=1e-12)
    assert a.p == pytest.approx(b.p, rel=1e-9, abs=1e-300)
