"""The geographical detector (Wang Jinfeng's GeoDetector; METHODS §7).

Four detectors, with the conventions of the R package ``geodetector`` 1.0-5:

- :func:`factor_detector` — q of a stratification and its p value
  (non-central F, computed exactly);
- :func:`interaction_detector` — q of the cross-stratification of two factors
  and the type of their interaction;
- :func:`risk_detector` — Welch t tests between the means of every two strata;
- :func:`ecological_detector` — F test of the within-strata sums of squares of
  two factors.

:func:`detect` runs all four over a table of units, discretising continuous
factors first (:mod:`ecozone.drivers.discretise`), and returns the rows of the
tables ``drivers``, ``drivers_interaction``, ``drivers_risk`` and
``drivers_ecological`` (without ``level`` and ``year``, which the caller adds).

The target ``y`` may be in any unit (t C, g C m-2, …): q is dimensionless, the
stratum means of the risk detector are in the unit of ``y``. Stratum labels
may be of any hashable type; missing labels (NaN, None) and missing ``y``
drop the unit, and the results report how many were dropped.

Every factor must have at least two strata and at least two units per stratum
on average (N ≥ 2 L, the "dispersed" check of the R package); ``y`` must
vary. Anything else raises :class:`ecozone.errors.InputError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from ecozone.drivers import _stats
from ecozone.drivers import discretise as _disc
from ecozone.errors import InputError, ParameterError

__all__ = [
    "INTERACTION_TYPES",
    "EcologicalResult",
    "FactorResult",
    "InteractionResult",
    "detect",
    "ecological_detector",
    "factor_detector",
    "interaction_detector",
    "interaction_type",
    "risk_detector",
]

#: Interaction types, from the weakest to the strongest (METHODS §7).
INTERACTION_TYPES = (
    "weaken_nonlinear",
    "weaken_uni",
    "enhance_bi",
    "independent",
    "enhance_nonlinear",
)

#: two-sided significance level of the risk and ecological detectors
ALPHA = 0.05

#: below this non-centrality the central F is used: SciPy's ``ncf.sf`` returns
#: a negative value at nc = 0 (scipy/scipy#26188) and underflows for nc
#: below ~1e-250, while the effect of such a λ on p is far below 1e-16.
_LAMBDA_CENTRAL = 1e-100

RISK_COLUMNS = ["stratum_a", "stratum_b", "mean_a", "mean_b", "t", "df", "significant"]
DRIVERS_COLUMNS = ["target", "factor", "q", "p", "n_strata", "method"]
INTERACTION_COLUMNS = ["target", "factor_a", "factor_b", "q", "type"]
RISK_TABLE_COLUMNS = ["target", "factor", *RISK_COLUMNS]
ECOLOGICAL_COLUMNS = ["target", "factor_a", "factor_b", "f", "p", "significant"]


# --------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class FactorResult:
    """Result of :func:`factor_detector`; unpacks as ``q, p``.

    Attributes
    ----------
    q : float
        Power of determinant, dimensionless, in [0, 1].
    p : float
        Upper tail of the non-central F(L − 1, N − L; λ) at ``f``.
    f : float
        F statistic, (N − L)/(L − 1) · q/(1 − q); ``inf`` when q = 1.
    lam : float
        Non-centrality parameter λ.
    n : int
        Units used.
    n_strata : int
        Strata L among the units used.
    n_dropped : int
        Units dropped because ``y`` or the stratum was missing.
    messages : tuple of str
        Notes for the user (units dropped).
    """

    q: float
    p: float
    f: float
    lam: float
    n: int
    n_strata: int
    n_dropped: int = 0
    messages: tuple[str, ...] = ()

    def __iter__(self):
        yield self.q
        yield self.p


@dataclass(frozen=True)
class InteractionResult:
    """Result of :func:`interaction_detector`; unpacks as ``q, type``.

    Attributes
    ----------
    q : float
        q of the cross-stratification x1 ∩ x2, dimensionless.
    type : str
        One of :data:`INTERACTION_TYPES`.
    q1, q2 : float
        q of each factor alone, on the same units.
    n : int
        Units used (those with ``y``, ``x1`` and ``x2``).
    n_strata : int
        Strata of the cross-stratification (every observed pair of labels).
    n_dropped : int
        Units dropped because a value was missing.
    messages : tuple of str
        Notes for the user.
    """

    q: float
    type: str
    q1: float
    q2: float
    n: int
    n_strata: int
    n_dropped: int = 0
    messages: tuple[str, ...] = ()

    def __iter__(self):
        yield self.q
        yield self.type


@dataclass(frozen=True)
class EcologicalResult:
    """Result of :func:`ecological_detector`; unpacks as ``F, p, significant``.

    Attributes
    ----------
    f : float
        SSW₁ / SSW₂ (within-strata sums of squares of x1 and x2, in the
        squared unit of ``y``, so the ratio is dimensionless).
    p : float
        Two-sided p of F(N − 1, N − 1): 2 min(P(F' ≤ f), P(F' ≥ f)).
    significant : bool
        ``p < 0.05``: the two factors differ in their effect on ``y``.
    ssw1, ssw2 : float
        The within-strata sums of squares, unit of ``y`` squared.
    n : int
        Units used.
    n_dropped : int
        Units dropped because a value was missing.
    messages : tuple of str
        Notes for the user.
    """

    f: float
    p: float
    significant: bool
    ssw1: float
    ssw2: float
    n: int
    n_dropped: int = 0
    messages: tuple[str, ...] = ()

    def __iter__(self):
        yield self.f
        yield self.p
        yield self.significant


# --------------------------------------------------------------------------
# preparation and checks


def _as_labels(x, n: int, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Stratum codes 0..L-1 (in the sorted order of the labels), -1 for missing."""
    if isinstance(x, _disc.Strata):
        x = x.labels
    if isinstance(x, pd.Series | pd.Index):
        # numpy-backed columns as ndarrays (pandas cannot sort-factorize their
        # NumpyExtensionArray); categorical, nullable and string ones as they are
        x = x.to_numpy() if isinstance(x.dtype, np.dtype) else x.array
    elif not isinstance(x, pd.Categorical | pd.api.extensions.ExtensionArray):
        x = np.asarray(x)
        if x.ndim != 1:
            raise InputError(
                f"the strata must be one-dimensional, got shape {x.shape}",
                where=name,
                fix="give one stratum label per unit",
            )
    if len(x) != n:
        raise InputError(
            f"has {len(x)} values but the target has {n}",
            where=name,
            fix="give one stratum label per unit, in the order of the target",
        )
    try:
        codes, uniques = pd.factorize(x, sort=True)
    except TypeError:  # labels of mixed types cannot be sorted
        codes, uniques = pd.factorize(x, sort=False)
    return np.asarray(codes, dtype=np.int64), np.asarray(uniques, dtype=object)


@dataclass(frozen=True)
class _Prepared:
    y: np.ndarray
    codes: list[np.ndarray]  # 0..L-1 among kept units
    labels: list[np.ndarray]  # label of each code
    n_dropped: int
    messages: tuple[str, ...]


def _prepare(y, xs: Sequence, y_name: str, x_names: Sequence[str]) -> _Prepared:
    """Drop units with a missing value; recode the strata of the units kept."""
    yy = _stats.as_target(y, y_name)
    coded = [_as_labels(x, yy.size, nm) for x, nm in zip(xs, x_names, strict=True)]
    keep = ~np.isnan(yy)
    for codes, _ in coded:
        keep &= codes >= 0
    n_dropped = int(yy.size - keep.sum())
    messages = []
    if n_dropped:
        names = ", ".join([y_name, *x_names])
        messages.append(f"{n_dropped} of {yy.size} units dropped: a value of {names} is missing")
    out_codes, out_labels = [], []
    for codes, uniques in coded:
        kept = codes[keep]
        present, inverse = np.unique(kept, return_inverse=True)
        out_codes.append(inverse.astype(np.int64))
        out_labels.append(uniques[present])
    return _Prepared(yy[keep], out_codes, out_labels, n_dropped, tuple(messages))


def _check_factor(codes: np.ndarray, labels: np.ndarray, n: int, name: str) -> None:
    n_strata = labels.size
    if n_strata < 2:
        only = labels[0] if n_strata else "(none)"
        raise InputError(
            f"the factor has one stratum only ({only!r}) among the {n} units with data",
            where=name,
            fix="choose a factor that varies between units, or discretise it in more classes",
        )
    if n < 2 * n_strata:
        raise InputError(
            f"too few units: the factor has {n_strata} strata, so the detector needs "
            f"at least {2 * n_strata} units with data (two per stratum), got {n}",
            where=name,
            fix="use fewer classes (strata) or more units",
        )


# --------------------------------------------------------------------------
# the statistics


def _noncentral_f_sf(f: float, dfn: float, dfd: float, lam: float) -> float:
    if np.isinf(f):
        return 0.0
    if lam < _LAMBDA_CENTRAL:
        return float(stats.f.sf(f, dfn, dfd))
    return float(min(1.0, max(0.0, stats.ncf.sf(f, dfn, dfd, lam))))


def _factor(y: np.ndarray, codes: np.ndarray) -> tuple[float, float, float, float]:
    """q, p, F and λ of one stratification (checked inputs)."""
    n = y.size
    sst = _stats.total_ss(y)
    cnt, mean, ss = _stats.strata_sums(y, codes)
    n_strata = cnt.size
    ssw = float(ss.sum())
    q = float(min(1.0, max(0.0, 1.0 - ssw / sst)))
    ssb = max(sst - ssw, 0.0)
    f = np.inf if ssw == 0 else (n - n_strata) / (n_strata - 1) * ssb / ssw
    # λ = [Σ Ȳh² − (Σ √Nh Ȳh)² / N] / s²: the squared length of the part of the
    # vector of stratum means orthogonal to (√Nh)/√N, computed as such to
    # avoid the cancellation of the two large sums when y is far from 0.
    u = np.sqrt(cnt / n)
    resid = mean - (u @ mean) * u
    lam = float(resid @ resid) / (sst / (n - 1))
    p = _noncentral_f_sf(f, n_strata - 1, n - n_strata, lam)
    return q, p, float(f), lam


def factor_detector(y, x, *, y_name: str = "y", x_name: str = "x") -> FactorResult:
    """Factor detector: how much of the variance of ``y`` the strata ``x`` explain.

    q = 1 − Σ_h N_h σ_h² / (N σ²) with population variances (METHODS §7);
    F = (N − L)/(L − 1) · q/(1 − q) follows the non-central
    F(L − 1, N − L; λ) with λ = [Σ_h Ȳ_h² − (Σ_h √N_h Ȳ_h)² / N] / s²
    (s² the sample variance of ``y``), and p is its upper tail, computed
    exactly (SciPy ``ncf``; the R package prints 1.169914e-4 for the Heshun
    watershed factor where the exact value is 1.169904e-4). As in the R
    package, λ uses the uncentred stratum means, so p (not q) changes when a
    constant is added to ``y``: with unequal strata and a target far from 0
    relative to its spread (e.g. t C of similar counties), λ is large and p
    tends to 1.

    Parameters
    ----------
    y : array_like of float, shape (N,)
        The target per unit, in any unit; NaN drops the unit.
    x : array_like, shape (N,)
        Stratum label of each unit (any hashable, or a
        :class:`~ecozone.drivers.discretise.Strata`); NaN/None drops the unit.
    y_name, x_name : str
        Names used in error messages.

    Returns
    -------
    FactorResult
        Unpacks as ``q, p`` (dimensionless); also holds ``f``, ``lam``,
        ``n``, ``n_strata``, ``n_dropped`` and ``messages``.

    Raises
    ------
    InputError
        ``y`` is not numeric, infinite or constant; ``x`` has one stratum;
        fewer than 2 L units with data.

    Examples
    --------
    >>> q, p = factor_detector([1, 2, 3, 4, 5, 6], ["a", "a", "a", "b", "b", "b"])
    >>> round(q, 6)  # 27/35
    0.771429
    """
    prep = _prepare(y, [x], y_name, [x_name])
    _stats.check_target(prep.y, y_name)
    _check_factor(prep.codes[0], prep.labels[0], prep.y.size, x_name)
    q, p, f, lam = _factor(prep.y, prep.codes[0])
    return FactorResult(
        q=q,
        p=p,
        f=f,
        lam=lam,
        n=int(prep.y.size),
        n_strata=int(prep.labels[0].size),
        n_dropped=prep.n_dropped,
        messages=prep.messages,
    )


def interaction_type(q12: float, q1: float, q2: float, *, tol: float = _stats.Q_TOL) -> str:
    """Type of the interaction of two factors from their q values (METHODS §7).

    ``weaken_nonlinear`` q12 < min(q1, q2); ``weaken_uni`` min ≤ q12 ≤ max;
    ``independent`` |q12 − (q1 + q2)| ≤ tol; ``enhance_bi``
    max < q12 < q1 + q2; ``enhance_nonlinear`` q12 > q1 + q2. Values within
    ``tol`` of min, max or q1 + q2 count as equal to them; ``independent``
    wins when it overlaps another type (a factor with q = 0).

    Parameters
    ----------
    q12, q1, q2 : float
        q of the cross-stratification and of each factor, dimensionless.
    tol : float
        Tolerance of the comparisons (default 1e-12).

    Returns
    -------
    str
        One of :data:`INTERACTION_TYPES`.
    """
    lo, hi, total = min(q1, q2), max(q1, q2), q1 + q2
    if abs(q12 - total) <= tol:
        return "independent"
    if q12 < lo - tol:
        return "weaken_nonlinear"
    if q12 <= hi + tol:
        return "weaken_uni"
    if q12 < total:
        return "enhance_bi"
    return "enhance_nonlinear"


def interaction_detector(
    y, x1, x2, *, y_name: str = "y", x1_name: str = "x1", x2_name: str = "x2"
) -> InteractionResult:
    """Interaction detector: q of x1 ∩ x2 and the type of the interaction.

    The cross-stratification has one stratum per observed pair of labels
    (singletons kept); its q uses the total sum of squares of all units, as
    the R package. q1 and q2 are computed on the same units (those where
    ``y``, ``x1`` and ``x2`` are all present); the type follows
    :func:`interaction_type`.

    Parameters
    ----------
    y : array_like of float, shape (N,)
        The target per unit, in any unit; NaN drops the unit.
    x1, x2 : array_like, shape (N,)
        Stratum labels of each unit for the two factors.
    y_name, x1_name, x2_name : str
        Names used in error messages.

    Returns
    -------
    InteractionResult
        Unpacks as ``q, type``; also holds ``q1``, ``q2``, ``n``,
        ``n_strata`` (of the cross-stratification), ``n_dropped``,
        ``messages``.

    Raises
    ------
    InputError
        As :func:`factor_detector`, for either factor.
    """
    prep = _prepare(y, [x1, x2], y_name, [x1_name, x2_name])
    _stats.check_target(prep.y, y_name)
    n = prep.y.size
    for codes, labels, name in zip(prep.codes, prep.labels, (x1_name, x2_name), strict=True):
        _check_factor(codes, labels, n, name)
    c1, c2 = prep.codes
    _, c12 = np.unique(c1 * (int(c2.max()) + 1) + c2, return_inverse=True)
    n12 = int(c12.max()) + 1
    sst = _stats.total_ss(prep.y)
    q1, q2, q12 = (_stats.q_statistic(prep.y, c, sst) for c in (c1, c2, c12))
    messages = list(prep.messages)
    if n < 2 * n12:
        messages.append(
            f"{x1_name} ∩ {x2_name}: {n12} strata for {n} units (fewer than two units "
            "per stratum on average); the q of the interaction is inflated"
        )
    return InteractionResult(
        q=q12,
        type=interaction_type(q12, q1, q2),
        q1=q1,
        q2=q2,
        n=int(n),
        n_strata=n12,
        n_dropped=prep.n_dropped,
        messages=tuple(messages),
    )


def risk_detector(y, x, *, y_name: str = "y", x_name: str = "x") -> pd.DataFrame:
    """Risk detector: do the means of ``y`` differ between two strata?

    For every two strata a < b (labels in sorted order) that both have at
    least 2 units: Welch's t = (Ȳ_a − Ȳ_b) / √(s_a²/n_a + s_b²/n_b) with
    sample variances, Welch–Satterthwaite degrees of freedom rounded to an
    integer (half to even, as R's ``round``), significant when
    |t| > t(0.975, df). Strata with fewer than 2 units, and pairs of two
    constant strata (t undefined), are skipped with a note in
    ``attrs["messages"]``.

    Parameters
    ----------
    y : array_like of float, shape (N,)
        The target per unit, in any unit; NaN drops the unit.
    x : array_like, shape (N,)
        Stratum label of each unit.
    y_name, x_name : str
        Names used in error messages and notes.

    Returns
    -------
    pandas.DataFrame
        Columns ``stratum_a``, ``stratum_b`` (labels), ``mean_a``,
        ``mean_b`` (unit of ``y``), ``t`` (signed, dimensionless), ``df``
        (int), ``significant`` (bool). ``attrs`` holds ``messages`` (list of
        str) and ``n_dropped``.

    Raises
    ------
    InputError
        As :func:`factor_detector`.
    """
    prep = _prepare(y, [x], y_name, [x_name])
    _stats.check_target(prep.y, y_name)
    codes, labels = prep.codes[0], prep.labels[0]
    _check_factor(codes, labels, prep.y.size, x_name)
    cnt, mean, ss = _stats.strata_sums(prep.y, codes)
    messages = list(prep.messages)
    small = np.flatnonzero(cnt < 2)
    if small.size:
        which = ", ".join(str(labels[i]) for i in small)
        messages.append(
            f"{x_name}: stratum/strata {which} have fewer than 2 units and are left "
            "out of the risk detector"
        )
    rows = []
    with np.errstate(divide="ignore", invalid="ignore"):
        var = ss / (cnt - 1)
    for a, b in combinations(range(labels.size), 2):
        if cnt[a] < 2 or cnt[b] < 2:
            continue
        va, vb = var[a] / cnt[a], var[b] / cnt[b]
        se2 = va + vb
        if se2 == 0:
            messages.append(
                f"{x_name}: strata {labels[a]} and {labels[b]} are both constant; "
                "their t test is undefined and left out"
            )
            continue
        t = (mean[a] - mean[b]) / np.sqrt(se2)
        df = int(np.round(se2**2 / (va**2 / (cnt[a] - 1) + vb**2 / (cnt[b] - 1))))
        rows.append(
            (
                labels[a],
                labels[b],
                float(mean[a]),
                float(mean[b]),
                float(t),
                df,
                bool(abs(t) > stats.t.ppf(1 - ALPHA / 2, df)),
            )
        )
    out = pd.DataFrame(rows, columns=RISK_COLUMNS)
    out = out.astype({"mean_a": float, "mean_b": float, "t": float, "df": int, "significant": bool})
    out.attrs["messages"] = messages
    out.attrs["n_dropped"] = prep.n_dropped
    return out


def ecological_detector(
    y, x1, x2, *, y_name: str = "y", x1_name: str = "x1", x2_name: str = "x2"
) -> EcologicalResult:
    """Ecological detector: do two factors differ in their effect on ``y``?

    F = SSW₁ / SSW₂, the ratio of the within-strata sums of squares of the
    two stratifications over the same N units, compared with F(N − 1, N − 1)
    (Wang & Xu 2017 with N_X1 = N_X2); p = 2 min(P(F' ≤ F), P(F' ≥ F)),
    significant when p < 0.05 (METHODS §7). When both sums are 0 the factors
    are equivalent: F = 1, p = 1.

    Parameters
    ----------
    y : array_like of float, shape (N,)
        The target per unit, in any unit; NaN drops the unit.
    x1, x2 : array_like, shape (N,)
        Stratum labels of each unit for the two factors.
    y_name, x1_name, x2_name : str
        Names used in error messages.

    Returns
    -------
    EcologicalResult
        Unpacks as ``F, p, significant``; also holds ``ssw1``, ``ssw2``,
        ``n``, ``n_dropped``, ``messages``.

    Raises
    ------
    InputError
        As :func:`factor_detector`, for either factor.
    """
    prep = _prepare(y, [x1, x2], y_name, [x1_name, x2_name])
    _stats.check_target(prep.y, y_name)
    n = prep.y.size
    for codes, labels, name in zip(prep.codes, prep.labels, (x1_name, x2_name), strict=True):
        _check_factor(codes, labels, n, name)
    ssw1 = float(_stats.strata_sums(prep.y, prep.codes[0])[2].sum())
    ssw2 = float(_stats.strata_sums(prep.y, prep.codes[1])[2].sum())
    if ssw1 == 0 and ssw2 == 0:
        f, p = 1.0, 1.0
    elif ssw2 == 0:
        f, p = np.inf, 0.0
    else:
        f = ssw1 / ssw2
        dist = stats.f(n - 1, n - 1)
        p = float(min(1.0, 2 * min(dist.cdf(f), dist.sf(f))))
    return EcologicalResult(
        f=float(f),
        p=p,
        significant=bool(p < ALPHA),
        ssw1=ssw1,
        ssw2=ssw2,
        n=int(n),
        n_dropped=prep.n_dropped,
        messages=prep.messages,
    )


# --------------------------------------------------------------------------
# batch


def _label_text(v) -> str:
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return str(v)


def _notes(messages: Sequence[str], n_dropped: int) -> list[str]:
    """The notes of a result without its note on dropped units (always first)."""
    return list(messages[1:] if n_dropped else messages)


def _is_categorical(s: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s))


def detect(
    frame: pd.DataFrame,
    targets: Sequence[str],
    factors: Sequence[str],
    *,
    discretisation: str = "optimal",
    n_classes: int = 5,
    classes: Iterable[int] = _disc.DEFAULT_CLASSES,
    methods: Sequence[str] = _disc.METHODS,
    categorical: Iterable[str] = (),
    errors: str = "raise",
) -> dict[str, pd.DataFrame]:
    """All four detectors for every target and factor of a table of units.

    Continuous (numeric) factors are discretised per target: with
    ``discretisation="optimal"`` (default) by the method and number of
    classes with the largest q (:func:`~ecozone.drivers.discretise.optimal_discretisation`),
    otherwise by the named method with ``n_classes`` classes. Factors of a
    non-numeric dtype, those named in ``categorical``, and all factors when
    ``discretisation="none"``, are used as they are (method
    ``"categorical"``). Units without the target are dropped per target, units
    without a factor per factor (and per pair for the pairwise detectors).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per unit, with the target and factor columns.
    targets : sequence of str
        Target columns (numeric, any unit, e.g. t C).
    factors : sequence of str
        Factor columns.
    discretisation : str
        ``"optimal"``, ``"none"`` or one of
        :data:`~ecozone.drivers.discretise.METHODS`.
    n_classes : int
        Classes of a fixed discretisation method (default 5).
    classes : iterable of int
        Numbers of classes the optimal choice tries (default 3–8).
    methods : sequence of str
        Methods the optimal choice tries (default all four).
    categorical : iterable of str
        Numeric factors whose values are stratum labels already.
    errors : {"raise", "note"}
        What a factor or target that cannot be analysed (one stratum, no
        variance, too few units) does: raise :class:`InputError`, or be left
        out with a note in the messages.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``drivers`` (target, factor, q, p, n_strata, method),
        ``drivers_interaction`` (target, factor_a, factor_b, q, type),
        ``drivers_risk`` (target, factor, stratum_a, stratum_b, mean_a,
        mean_b, t, df, significant; stratum labels as text, intervals of the
        factor's unit for discretised factors) and ``drivers_ecological``
        (target, factor_a, factor_b, f, p, significant). q, t, f and p are
        dimensionless, means in the target's unit. ``drivers.attrs["messages"]``
        lists every note (units dropped, strata skipped, factors left out).

    Raises
    ------
    InputError
        A column is missing or a target is not numeric; with
        ``errors="raise"``, a factor or target that cannot be analysed.
    ParameterError
        An unknown ``discretisation``, method or ``errors`` value.
    """
    if errors not in ("raise", "note"):
        raise ParameterError(
            f"unknown errors={errors!r}", where="drivers.errors", fix='use "raise" or "note"'
        )
    if discretisation not in ("optimal", "none", *_disc.METHODS):
        raise ParameterError(
            f"unknown discretisation {discretisation!r}",
            where="drivers.discretisation",
            fix=f'use "optimal", "none" or one of {", ".join(_disc.METHODS)}',
        )
    missing = [c for c in [*targets, *factors] if c not in frame.columns]
    if missing:
        raise InputError(
            f"column(s) {', '.join(map(repr, missing))} not found",
            where="drivers table",
            fix=f"choose among the columns {', '.join(map(str, frame.columns))}",
        )
    categorical = set(categorical)
    messages: list[str] = []
    rows: dict[str, list] = {"drivers": [], "interaction": [], "risk": [], "ecological": []}

    def attempt(fn, *args, **kw):
        try:
            return fn(*args, **kw)
        except InputError as e:
            if errors == "raise":
                raise
            messages.append(f"left out: {e.message}")
            return None

    for target in targets:
        y = _stats.as_target(frame[target].to_numpy(), f"target {target!r}")
        has_y = ~np.isnan(y)
        if (~has_y).any():
            messages.append(f"{target}: {int((~has_y).sum())} of {y.size} units have no value")
        try:
            _stats.check_target(y[has_y], f"target {target!r}")
        except InputError as e:
            if errors == "raise":
                raise
            messages.append(f"left out: {e.message}")
            continue
        strata: dict[str, tuple[pd.Categorical, str]] = {}
        for factor in factors:
            col = frame[factor]
            where = f"factor {factor!r} (target {target!r})"
            if discretisation == "none" or factor in categorical or _is_categorical(col):
                labels, method = col.to_numpy(), "categorical"
            else:
                # the classes are found among the units that have the target
                x = np.where(has_y, col.to_numpy(dtype=float), np.nan)
                if discretisation == "optimal":
                    s = attempt(
                        _disc.optimal_discretisation,
                        y,
                        x,
                        methods=methods,
                        classes=classes,
                        x_name=where,
                    )
                else:
                    s = attempt(_disc.stratify, x, discretisation, n_classes, x_name=where)
                if s is None:
                    continue
                labels, method = s.labels, s.method
            res = attempt(factor_detector, y, labels, y_name=f"target {target!r}", x_name=where)
            if res is None:
                continue
            strata[factor] = (labels, method)
            n_no_x = res.n_dropped - int((~has_y).sum())
            if n_no_x:
                messages.append(f"{target} × {factor}: {n_no_x} units without {factor} dropped")
            rows["drivers"].append((target, factor, res.q, res.p, res.n_strata, method))
            risk = risk_detector(y, labels, y_name=target, x_name=factor)
            messages.extend(
                f"{target}: {m}" for m in _notes(risk.attrs["messages"], risk.attrs["n_dropped"])
            )
            for r in risk.itertuples(index=False):
                rows["risk"].append(
                    (
                        target,
                        factor,
                        _label_text(r.stratum_a),
                        _label_text(r.stratum_b),
                        r.mean_a,
                        r.mean_b,
                        r.t,
                        r.df,
                        r.significant,
                    )
                )
        for fa, fb in combinations([f for f in factors if f in strata], 2):
            xa, xb = strata[fa][0], strata[fb][0]
            kw = {"y_name": f"target {target!r}", "x1_name": fa, "x2_name": fb}
            inter = attempt(interaction_detector, y, xa, xb, **kw)
            if inter is not None:
                messages.extend(f"{target}: {m}" for m in _notes(inter.messages, inter.n_dropped))
                rows["interaction"].append((target, fa, fb, inter.q, inter.type))
            eco = attempt(ecological_detector, y, xa, xb, **kw)
            if eco is not None:
                rows["ecological"].append((target, fa, fb, eco.f, eco.p, eco.significant))

    out = {
        "drivers": pd.DataFrame(rows["drivers"], columns=DRIVERS_COLUMNS),
        "drivers_interaction": pd.DataFrame(rows["interaction"], columns=INTERACTION_COLUMNS),
        "drivers_risk": pd.DataFrame(rows["risk"], columns=RISK_TABLE_COLUMNS),
        "drivers_ecological": pd.DataFrame(rows["ecological"], columns=ECOLOGICAL_COLUMNS),
    }
    out["drivers"] = out["drivers"].astype({"q": float, "p": float, "n_strata": int})
    out["drivers_risk"] = out["drivers_risk"].astype({"df": int, "significant": bool})
    out["drivers_ecological"] = out["drivers_ecological"].astype({"significant": bool})
    out["drivers"].attrs["messages"] = messages
    return out
