"""The vectorisable exp/log of the CASA kernel against the C library."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from ecozone.carbon._vmath import vexp, vlog


@njit
def _exp_all(x, out):
    for i in range(x.size):
        out[i] = vexp(x[i])


@njit
def _log_all(x, out):
    for i in range(x.size):
        out[i] = vlog(x[i])


def test_vexp_relative_error_over_the_range():
    x = np.concatenate(
        [np.linspace(-708, 709, 200_001), np.random.default_rng(0).uniform(-30, 30, 200_000)]
    )
    out = np.empty_like(x)
    _exp_all(x, out)
    assert np.max(np.abs(out / np.exp(x) - 1)) < 1e-15
    one = np.empty(1)
    _exp_all(np.array([0.0]), one)
    assert one[0] == 1.0


def test_vlog_error_over_the_range():
    x = np.exp(np.random.default_rng(1).uniform(-700, 700, 400_000))
    x = np.concatenate([x, [1.0, 2.0, 0.5, math.sqrt(2.0), 1e-300, 1.7e308]])
    out = np.empty_like(x)
    _log_all(x, out)
    ref = np.log(x)
    assert np.max(np.abs(out - ref) / np.maximum(1.0, np.abs(ref))) < 1e-15
    assert out[-6] == 0.0  # ln 1
    assert abs(out[-5] - math.log(2.0)) < 1e-16


@settings(max_examples=300, deadline=None)
@given(st.floats(-700.0, 700.0))
def test_vexp_property(x):
    out = np.empty(1)
    _exp_all(np.array([x]), out)
    assert math.isclose(out[0], math.exp(x), rel_tol=2e-15)


@settings(max_examples=300, deadline=None)
@given(st.floats(1e-300, 1e300))
def test_vlog_property(x):
    out = np.empty(1)
    _log_all(np.array([x]), out)
    assert math.isclose(out[0], math.log(x), rel_tol=1e-14, abs_tol=4e-16)
