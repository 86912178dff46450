"""GCJ-02 ↔ WGS 84 (ecozone.demo.gcj02)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecozone.demo.gcj02 import gcj02_to_wgs84, gcj02_to_wgs84_xy, wgs84_to_gcj02

# Published test vectors of the eviltransform project (googollee/eviltransform,
# its Python test file): (wgs lat, wgs lon, gcj lat, gcj lon).
KNOWN = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]

# 1e-7 degrees is about 1 cm
TOL = 1e-7


@pytest.mark.parametrize("wlat,wlon,glat,glon", KNOWN)
def test_forward_matches_published_pairs(wlat, wlon, glat, glon):
    lon, lat = wgs84_to_gcj02(wlon, wlat)
    assert abs(lon - glon) < 1e-9
    assert abs(lat - glat) < 1e-9


@pytest.mark.parametrize("wlat,wlon,glat,glon", KNOWN)
def test_inverse_recovers_published_wgs84(wlat, wlon, glat, glon):
    lon, lat = gcj02_to_wgs84(glon, glat)
    assert abs(lon - wlon) < TOL
    assert abs(lat - wlat) < TOL


def test_offset_at_reference_point_by_hand():
    # At (105°E, 35°N) every sine term vanishes (x = y = 0): the polynomial gives
    # −100 "metres" north and +300 east, turned into degrees with the meridian
    # (M) and prime-vertical (N) radii of the Krasovsky ellipsoid.
    a, e2 = 6378245.0, 0.00669342162296594323
    phi = math.radians(35.0)
    w = 1.0 - e2 * math.sin(phi) ** 2
    m_radius = a * (1.0 - e2) / w**1.5
    n_radius = a / math.sqrt(w)
    dlat = -100.0 / m_radius * 180.0 / math.pi
    dlon = 300.0 / (n_radius * math.cos(phi)) * 180.0 / math.pi
    lon, lat = wgs84_to_gcj02(105.0, 35.0)
    assert lon == pytest.approx(105.0 + dlon, abs=1e-12)
    assert lat == pytest.approx(35.0 + dlat, abs=1e-12)


def test_one_step_approximation_is_worse_than_iteration():
    # the shift is a few hundred metres; the naive inverse g − (f(g) − g) errs
    # by more than 1 cm somewhere, the iterative one nowhere
    rng = np.random.default_rng(1)
    lon = rng.uniform(98, 122, 2000)
    lat = rng.uniform(21, 35, 2000)
    glon, glat = wgs84_to_gcj02(lon, lat)
    f_lon, f_lat = wgs84_to_gcj02(glon, glat)
    naive_lon, naive_lat = glon - (f_lon - glon), glat - (f_lat - glat)
    assert max(np.abs(naive_lon - lon).max(), np.abs(naive_lat - lat).max()) > TOL
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    assert np.abs(wlon - lon).max() < TOL
    assert np.abs(wlat - lat).max() < TOL


@settings(max_examples=200, deadline=None)
@given(
    lon=st.floats(73.0, 135.0, allow_nan=False),
    lat=st.floats(18.0, 53.0, allow_nan=False),
)
def test_forward_of_inverse_is_identity(lon, lat):
    wlon, wlat = gcj02_to_wgs84(lon, lat)
    back_lon, back_lat = wgs84_to_gcj02(wlon, wlat)
    assert abs(back_lon - lon) < TOL
    assert abs(back_lat - lat) < TOL
    # and the shift is of the known size: tens of metres to ~1 km
    shift_m = math.hypot((wlon - lon) * 111e3 * math.cos(math.radians(lat)), (wlat - lat) * 111e3)
    assert 1.0 < shift_m < 1500.0


@settings(max_examples=200, deadline=None)
@given(
    lon=st.floats(73.0, 135.0, allow_nan=False),
    lat=st.floats(18.0, 53.0, allow_nan=False),
)
def test_inverse_of_forward_is_identity(lon, lat):
    glon, glat = wgs84_to_gcj02(lon, lat)
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    assert abs(wlon - lon) < TOL
    assert abs(wlat - lat) < TOL


def test_xy_form_and_empty_input():
    xy = np.array([[k[3], k[2]] for k in KNOWN])
    out = gcj02_to_wgs84_xy(xy)
    np.testing.assert_allclose(out, [[k[1], k[0]] for k in KNOWN], atol=TOL, rtol=0)
    empty = gcj02_to_wgs84_xy(np.zeros((0, 2)))
    assert empty.shape == (0, 2)
