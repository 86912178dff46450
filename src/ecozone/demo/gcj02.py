"""GCJ-02 ("Mars coordinates") to WGS 84 and back.

Chinese web-map providers (Amap/高德, Tencent, Google China) publish
longitudes and latitudes in GCJ-02, the national obfuscated datum: WGS 84
coordinates shifted by a smooth, position-dependent offset of a few hundred
metres. The forward transform (WGS 84 → GCJ-02) is the widely published
algorithm (Krasovsky semi-major axis a = 6 378 245 m, e² = 0.006 693 421 622 965 94,
offset polynomials in (lon − 105°, lat − 35°)), as in the public
``eviltransform`` and ``coordtransform`` implementations.

The inverse has no closed form. :func:`gcj02_to_wgs84` solves
``wgs84_to_gcj02(w) = g`` by fixed-point iteration ``w ← w − (f(w) − g)``,
which converges quickly because the offset changes slowly (its Jacobian is
within ~1e-4 of the identity); iterations stop when the residual is below
1e-11 degrees (about 1 µm), far inside the 1 cm aimed at. The one-step
approximate inverse found in many code bases (``g − (f(g) − g)``) errs by up
to a few metres; this module does not use it.

All functions are vectorised over NumPy arrays; angles in decimal degrees.
No "outside China" short-cut is applied: callers pass Chinese coordinates.
"""

from __future__ import annotations

import numpy as np

_A = 6378245.0  # semi-major axis of the Krasovsky 1940 ellipsoid, m
_EE = 0.00669342162296594323  # first eccentricity squared


def _offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 offset (dlon, dlat) in degrees at WGS 84 position (lon, lat)."""
    x = lon - 105.0
    y = lat - 35.0
    pi = np.pi
    common = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat = dlat + common
    dlat = dlat + (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat = dlat + (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon = dlon + common
    dlon = dlon + (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon = dlon + (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * pi)
    return dlon, dlat


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS 84 → GCJ-02 (the published forward transform).

    Parameters: ``lon``, ``lat`` in degrees (scalars or arrays, WGS 84).
    Returns ``(lon, lat)`` in degrees, GCJ-02, as float64 arrays.
    """
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    dlon, dlat = _offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(
    lon, lat, *, tol: float = 1e-11, max_iter: int = 30
) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → WGS 84, the exact (iterative) inverse of :func:`wgs84_to_gcj02`.

    Parameters: ``lon``, ``lat`` in degrees, GCJ-02; ``tol`` the largest
    accepted residual |forward(result) − input| in degrees (default 1e-11°,
    about 1 µm). Returns ``(lon, lat)`` in degrees, WGS 84, float64 arrays.
    Raises ``ArithmeticError`` if the iteration does not converge (it does
    everywhere in China within 3–5 iterations).
    """
    glon = np.asarray(lon, dtype=np.float64)
    glat = np.asarray(lat, dtype=np.float64)
    dlon, dlat = _offset(glon, glat)
    wlon, wlat = glon - dlon, glat - dlat  # the usual one-step approximation as a start
    for _ in range(max_iter):
        flon, flat = wgs84_to_gcj02(wlon, wlat)
        rlon, rlat = flon - glon, flat - glat
        if rlon.size == 0 or max(np.max(np.abs(rlon)), np.max(np.abs(rlat))) < tol:
            return wlon, wlat
        wlon = wlon - rlon
        wlat = wlat - rlat
    raise ArithmeticError("GCJ-02 inverse did not converge")


def gcj02_to_wgs84_xy(xy: np.ndarray) -> np.ndarray:
    """(n, 2) array of GCJ-02 (lon, lat) → (n, 2) array of WGS 84 (lon, lat).

    The signature :func:`shapely.transform` expects.
    """
    lon, lat = gcj02_to_wgs84(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])
