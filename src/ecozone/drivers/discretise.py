"""Discretisation of continuous factors for the geographical detector (METHODS §7).

Four methods, each with k classes (3–8 in the optimal search):

- ``quantile`` — breaks at the quantiles j/k of the values (linear
  interpolation, R's default type 7);
- ``equal`` — k intervals of equal width between the minimum and maximum;
- ``natural`` — Jenks natural breaks, the exact Fisher–Jenks optimisation of
  :class:`mapclassify.FisherJenks`;
- ``geometric`` — breaks in geometric progression from the minimum to the
  maximum, min · r^j with r = (max/min)^(1/k), as the R package GD; values
  with a minimum ≤ 0 are shifted by 1 − min first (for a minimum of 0 this
  is GD's shift by 1).

Classes are closed on the right, the first one on both sides:
[b0, b1], (b1, b2], …, (b(k-1), bk]. Classes left empty (ties, gaps) are
dropped, so a discretisation may have fewer strata than classes asked for;
:attr:`Strata.n_strata` says how many. :func:`optimal_discretisation`
chooses, per factor, the method and number of classes with the largest q.

Values keep the unit of the factor (m, %, CNY km-2, …); the breaks and the
stratum labels are in that unit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from ecozone.drivers import _stats
from ecozone.errors import InputError, ParameterError

__all__ = [
    "DEFAULT_CLASSES",
    "METHODS",
    "Strata",
    "class_breaks",
    "stratify",
    "optimal_discretisation",
]

#: discretisation methods, in the order the optimal choice prefers on ties
METHODS = ("quantile", "equal", "natural", "geometric")

#: numbers of classes the optimal choice tries (METHODS §7: 3–8)
DEFAULT_CLASSES = tuple(range(3, 9))


@dataclass(frozen=True, eq=False)
class Strata:
    """A discretised factor.

    Attributes
    ----------
    labels : pandas.Categorical
        Stratum of each unit as an ordered interval label (``"[0, 12.5]"``,
        ``"(12.5, 30]"``, … in the unit of the factor); NaN where the value
        is missing. Pass it to the detectors as ``x``.
    codes : numpy.ndarray of int
        Stratum of each unit, 0 … n_strata − 1 in increasing order of the
        values; −1 where the value is missing.
    edges : numpy.ndarray of float, shape (n_strata, 2)
        Lower and upper bound of each stratum (unit of the factor).
    method : str
        One of :data:`METHODS`.
    k : int
        Number of classes asked for.
    q : float or None
        q of the stratification (set by :func:`optimal_discretisation`).
    candidates : pandas.DataFrame or None
        Every candidate tried by :func:`optimal_discretisation`: ``method``,
        ``k``, ``n_strata``, ``usable`` (at least 2 strata and 2 units per
        stratum), ``q`` (NaN when not usable).
    """

    labels: pd.Categorical
    codes: np.ndarray
    edges: np.ndarray
    method: str
    k: int
    q: float | None = None
    candidates: pd.DataFrame | None = None

    @property
    def n_strata(self) -> int:
        """Number of non-empty strata."""
        return int(self.edges.shape[0])


def _values(x, name: str) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise InputError(
            "the factor is not numeric, so it cannot be discretised",
            where=name,
            fix="give numbers, or use the factor's labels as strata directly",
        ) from None
    if arr.ndim != 1:
        raise InputError(
            f"the factor must be one-dimensional, got shape {arr.shape}",
            where=name,
            fix="give one value per unit",
        )
    if np.isinf(arr).any():
        bad = np.flatnonzero(np.isinf(arr))
        raise InputError(
            f"the factor has {bad.size} infinite value(s), first at position {bad[0]}",
            where=name,
            fix="replace infinite values by NaN (they are then dropped) or correct them",
        )
    return arr


def _check_method(method: str, k) -> int:
    if method not in METHODS:
        raise ParameterError(
            f"unknown discretisation method {method!r}",
            where="drivers.discretisation",
            fix=f"use one of {', '.join(METHODS)}",
        )
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 2:
        raise ParameterError(
            f"the number of classes must be an integer ≥ 2, got {k!r}",
            where="drivers.classes",
            fix="use 3 to 8 classes",
        )
    return int(k)


def class_breaks(x, method: str = "quantile", k: int = 5, *, x_name: str = "x") -> np.ndarray:
    """Class breaks b0 ≤ b1 ≤ … of a continuous factor.

    Parameters
    ----------
    x : array_like of float, shape (N,)
        Values of the factor (any unit); NaN values are ignored.
    method : str
        One of :data:`METHODS`.
    k : int
        Number of classes (≥ 2).
    x_name : str
        Name used in error messages.

    Returns
    -------
    numpy.ndarray of float
        k + 1 breaks from the minimum to the maximum, in the unit of ``x``
        (fewer for ``natural`` when ``x`` has at most k distinct values: then
        every value is a class). Quantile breaks repeat where values tie.

    Raises
    ------
    InputError
        ``x`` is not numeric, infinite, or has no value.
    ParameterError
        Unknown method, or k < 2.
    """
    k = _check_method(method, k)
    arr = _values(x, x_name)
    v = arr[~np.isnan(arr)]
    if v.size == 0:
        raise InputError(
            "the factor has no value", where=x_name, fix="give the factor for some units"
        )
    lo, hi = float(v.min()), float(v.max())
    if lo == hi:
        return np.array([lo, hi])
    if method == "quantile":
        return np.quantile(v, np.linspace(0.0, 1.0, k + 1))
    if method == "equal":
        return np.linspace(lo, hi, k + 1)
    if method == "natural":
        uniq = np.unique(v)
        if uniq.size <= k:
            return np.concatenate([[lo], uniq])
        return np.concatenate([[lo], _fisher_jenks(np.sort(v).tobytes(), k)])
    # geometric
    shift = 0.0 if lo > 0 else 1.0 - lo
    a, b = lo + shift, hi + shift
    r = (b / a) ** (1.0 / k)
    if np.isfinite(r):
        edges = a * r ** np.arange(k + 1) - shift  # as GD: min · r^j
    else:  # a minimum near the smallest float: the ratio overflows, go through logs
        edges = np.exp(np.linspace(np.log(a), np.log(b), k + 1)) - shift
    edges[0], edges[-1] = lo, hi
    return edges


@lru_cache(maxsize=64)
def _fisher_jenks(sorted_values: bytes, k: int) -> np.ndarray:
    """Upper bounds of the k Fisher–Jenks classes of the (sorted, float64) values given as bytes.

    Cached: the optimal discretisation of one factor tries the same values
    for every target, and the exact optimisation is O(k n²).
    """
    import mapclassify  # imported here: it takes seconds (numba, scikit-learn)

    bins = mapclassify.FisherJenks(np.frombuffer(sorted_values, dtype=np.float64), k=k).bins
    out = np.array(bins, dtype=np.float64)
    out.flags.writeable = False
    return out


def _fmt(v: float, digits: int) -> str:
    return f"{v:.{digits}g}"


def _labels(lower: np.ndarray, upper: np.ndarray, first_closed: bool) -> list[str]:
    for digits in (6, 10, 17):
        out = [
            f"{'[' if (i == 0 and first_closed) else '('}{_fmt(a, digits)}, {_fmt(b, digits)}]"
            for i, (a, b) in enumerate(zip(lower, upper, strict=True))
        ]
        if len(set(out)) == len(out):
            return out
    return out  # pragma: no cover - distinct floats differ at 17 digits


def _codes(arr: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stratum codes 0..L-1 (−1 for NaN) and the classes present (indices into the classes of ``edges``)."""
    ok = ~np.isnan(arr)
    raw = np.full(arr.shape, -1, dtype=np.int64)
    raw[ok] = np.searchsorted(edges[1:-1], arr[ok], side="left")
    present, inverse = np.unique(raw[ok], return_inverse=True)
    codes = np.full(arr.shape, -1, dtype=np.int64)
    codes[ok] = inverse
    return codes, present


def _classify(arr: np.ndarray, edges: np.ndarray, method: str, k: int) -> Strata:
    codes, present = _codes(arr, edges)
    lower, upper = edges[present], edges[present + 1]
    first_closed = bool(present.size and present[0] == 0)
    names = _labels(lower, upper, first_closed)
    labels = pd.Categorical.from_codes(codes, categories=names, ordered=True)
    return Strata(
        labels=labels,
        codes=codes,
        edges=np.column_stack([lower, upper]) if present.size else np.empty((0, 2)),
        method=method,
        k=k,
    )


def stratify(x, method: str = "quantile", k: int = 5, *, x_name: str = "x") -> Strata:
    """Discretise a continuous factor into at most k strata.

    Parameters
    ----------
    x : array_like of float, shape (N,)
        Values of the factor (any unit); NaN values get no stratum.
    method : str
        One of :data:`METHODS` (default ``"quantile"``).
    k : int
        Number of classes (default 5; the optimal choice tries 3–8).
    x_name : str
        Name used in error messages.

    Returns
    -------
    Strata
        Labels, codes and bounds of the non-empty strata.

    Raises
    ------
    InputError
        ``x`` is not numeric, infinite, or has no value.
    ParameterError
        Unknown method, or k < 2.

    Examples
    --------
    >>> s = stratify([1, 2, 3, 4, 5, 6, 7, 8, 9], "equal", 4)
    >>> s.codes.tolist()
    [0, 0, 0, 1, 1, 2, 2, 3, 3]
    >>> list(s.labels.categories)
    ['[1, 3]', '(3, 5]', '(5, 7]', '(7, 9]']
    """
    k = _check_method(method, k)
    arr = _values(x, x_name)
    edges = class_breaks(arr, method, k, x_name=x_name)
    return _classify(arr, edges, method, k)


def optimal_discretisation(
    y,
    x,
    *,
    methods: Sequence[str] = METHODS,
    classes: Iterable[int] = DEFAULT_CLASSES,
    y_name: str = "y",
    x_name: str = "x",
) -> Strata:
    """The discretisation of ``x`` with the largest q for ``y`` (METHODS §7).

    Every method × number of classes is tried on the units that have both
    ``y`` and ``x``; a candidate is usable when it has at least 2 strata and
    at least two units per stratum (N ≥ 2 L, as the factor detector needs).
    The one with the largest q wins; ties (within 1e-12) go to fewer classes,
    then to the earlier method of ``methods``. Units without ``y`` get no
    stratum.

    Parameters
    ----------
    y : array_like of float, shape (N,)
        The target per unit (any unit); NaN drops the unit.
    x : array_like of float, shape (N,)
        Values of the factor (any unit); NaN drops the unit.
    methods : sequence of str
        Methods to try (default all of :data:`METHODS`).
    classes : iterable of int
        Numbers of classes to try (default 3–8).
    y_name, x_name : str
        Names used in error messages.

    Returns
    -------
    Strata
        The chosen discretisation, with ``q`` set and every candidate in
        ``candidates``.

    Raises
    ------
    InputError
        ``y`` constant or too short, ``x`` with one value, or no candidate
        usable (too few units for the classes; the message says how many are
        needed).
    ParameterError
        Unknown method, a number of classes < 2, or none given.
    """
    methods, classes = tuple(methods), tuple(classes)
    ks = sorted({_check_method(m, k) for m in methods for k in classes})
    if not methods or not ks:
        raise ParameterError(
            "no discretisation to try",
            where="drivers",
            fix="give at least one method and one number of classes",
        )
    yy = _stats.as_target(y, y_name)
    arr = _values(x, x_name)
    if yy.size != arr.size:
        raise InputError(
            f"has {arr.size} values but the target has {yy.size}",
            where=x_name,
            fix="give one value per unit, in the order of the target",
        )
    both = ~np.isnan(yy) & ~np.isnan(arr)
    xs = np.where(both, arr, np.nan)
    y_used = yy[both]
    _stats.check_target(y_used, y_name)
    if np.unique(xs[both]).size < 2:
        raise InputError(
            f"the factor has one value only among the {int(both.sum())} units with data",
            where=x_name,
            fix="choose a factor that varies between units",
        )
    sst = _stats.total_ss(y_used)
    n = y_used.size
    rows, best, best_q = [], None, -np.inf
    for k in ks:
        for m in methods:
            edges = class_breaks(xs, m, k, x_name=x_name)
            codes, present = _codes(xs, edges)  # the labels are made for the winner only
            n_strata = int(present.size)
            usable = 2 <= n_strata and n >= 2 * n_strata
            q = _stats.q_statistic(y_used, codes[both], sst) if usable else np.nan
            rows.append((m, k, n_strata, usable, q))
            if usable and q > best_q + _stats.Q_TOL:
                best, best_q = (edges, m, k), q
    candidates = pd.DataFrame(rows, columns=["method", "k", "n_strata", "usable", "q"])
    if best is None:
        need = 2 * max(2, int(candidates["n_strata"].clip(lower=2).min()))
        raise InputError(
            f"too few units to discretise the factor: {n} units with data, the smallest "
            f"discretisation tried needs at least {need} (two per stratum)",
            where=x_name,
            fix="use more units, or fewer classes (drivers.classes)",
        )
    best = _classify(xs, *best)
    return Strata(
        labels=best.labels,
        codes=best.codes,
        edges=best.edges,
        method=best.method,
        k=best.k,
        q=float(best_q),
        candidates=candidates,
    )
