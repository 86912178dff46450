"""Shared statistics of the geographical detector: the target checks and q (METHODS §7).

Private to :mod:`ecozone.drivers`; both :mod:`~ecozone.drivers.geodetector`
and :mod:`~ecozone.drivers.discretise` build on it.
"""

from __future__ import annotations

import numpy as np

from ecozone.errors import InputError

#: q values this close are equal when an interaction is typed (METHODS §7:
#: ``independent`` when |q12 − (q1 + q2)| ≤ 1e-12; the same tolerance decides
#: q12 = min and q12 = max, which nested factors reach exactly).
Q_TOL = 1e-12


def as_target(y, name: str) -> np.ndarray:
    """The target as a 1-D float array (NaN kept); InputError if not numeric or infinite."""
    try:
        arr = np.asarray(y, dtype=float)
    except (TypeError, ValueError):
        raise InputError(
            "the target is not numeric",
            where=name,
            fix="give the target as numbers (missing values as NaN)",
        ) from None
    if arr.ndim != 1:
        raise InputError(
            f"the target must be one-dimensional, got shape {arr.shape}",
            where=name,
            fix="give one value per unit",
        )
    if np.isinf(arr).any():
        bad = np.flatnonzero(np.isinf(arr))
        raise InputError(
            f"the target has {bad.size} infinite value(s), first at position {bad[0]}",
            where=name,
            fix="replace infinite values by NaN (they are then dropped) or correct them",
        )
    return arr


def check_target(y: np.ndarray, name: str) -> None:
    """InputError unless the target (without NaN) has at least 4 units and varies."""
    if y.size < 4:
        raise InputError(
            f"too few units: {y.size} with data, the detector needs at least 4 "
            "(two strata of two units)",
            where=name,
            fix="use more units (a finer level) or fill the missing values",
        )
    if np.ptp(y) == 0:
        raise InputError(
            f"the target has no variance: all {y.size} units have the value {y[0]:g}",
            where=name,
            fix="choose a target that varies between units",
        )


def total_ss(y: np.ndarray) -> float:
    """Σ (y − ȳ)², in the squared unit of y."""
    r = y - y.mean()
    return float(r @ r)


def strata_sums(y: np.ndarray, codes: np.ndarray):
    """Counts, means and within sums of squares per stratum (two-pass)."""
    n_strata = int(codes.max()) + 1
    cnt = np.bincount(codes, minlength=n_strata).astype(float)
    mean = np.bincount(codes, weights=y, minlength=n_strata) / cnt
    r = y - mean[codes]
    ss = np.bincount(codes, weights=r * r, minlength=n_strata)
    return cnt, mean, ss


def q_statistic(y: np.ndarray, codes: np.ndarray, sst: float) -> float:
    """q = 1 − SSW/SST, clipped to [0, 1] against rounding."""
    _, _, ss = strata_sums(y, codes)
    return float(min(1.0, max(0.0, 1.0 - ss.sum() / sst)))
