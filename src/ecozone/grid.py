"""The reference grid every raster is aligned to, and its true cell areas."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from affine import Affine
from pyproj import CRS


@dataclass(frozen=True)
class Grid:
    """A north-up raster grid: CRS, affine transform and shape (rows, cols).

    ``transform`` maps (col, row) of a cell's upper-left corner to x, y in the
    grid's CRS, as in rasterio.
    """

    crs: CRS
    transform: Affine
    height: int
    width: int

    @classmethod
    def from_rasterio(cls, ds) -> Grid:
        """Grid of an open rasterio dataset."""
        return cls(CRS.from_user_input(ds.crs.to_wkt()), ds.transform, ds.height, ds.width)

    @classmethod
    def from_path(cls, path) -> Grid:
        """Grid of a raster file."""
        import rasterio

        with rasterio.open(path) as ds:
            return cls.from_rasterio(ds)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.height, self.width)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in grid CRS units."""
        t = self.transform
        left, top = t.c, t.f
        right = left + t.a * self.width
        bottom = top + t.e * self.height
        return (left, bottom, right, top)

    @property
    def res(self) -> tuple[float, float]:
        return (self.transform.a, -self.transform.e)

    @property
    def is_geographic(self) -> bool:
        return self.crs.is_geographic

    def key(self) -> str:
        """A short stable hash of the grid (CRS, transform, shape) for caches."""
        h = hashlib.sha256()
        h.update(self.crs.to_wkt().encode())
        h.update(repr(tuple(self.transform)[:6]).encode())
        h.update(repr(self.shape).encode())
        return h.hexdigest()[:16]

    def x_coords(self) -> np.ndarray:
        """Cell-centre x coordinates (width,)."""
        t = self.transform
        return t.c + t.a * (np.arange(self.width) + 0.5)

    def y_coords(self) -> np.ndarray:
        """Cell-centre y coordinates (height,)."""
        t = self.transform
        return t.f + t.e * (np.arange(self.height) + 0.5)

    @cached_property
    def row_cell_area_m2(self) -> np.ndarray:
        """True area of one cell of each row, m² (height,).

        For a geographic grid the area of a cell bounded by two meridians and
        two parallels on the CRS's ellipsoid (exact for a graticule cell); for
        a projected grid ``|a·e|`` times the squared linear unit (constant,
        exact for an equal-area projection).
        """
        t = self.transform
        if self.is_geographic:
            # exact area of a graticule cell on the ellipsoid:
            # A = dλ · b² · [q(φ1) − q(φ0)],
            # q(φ) = sinφ / (2(1 − e² sin²φ)) + ln((1 + e sinφ)/(1 − e sinφ)) / (4e)
            ellps = self.crs.ellipsoid
            a, b = ellps.semi_major_metre, ellps.semi_minor_metre
            e = np.sqrt(1.0 - (b / a) ** 2)
            phi = np.radians(t.f + t.e * np.arange(self.height + 1))
            s = np.sin(phi)
            if e < 1e-12:  # sphere
                q = s / 2.0
            else:
                q = s / (2.0 * (1.0 - e * e * s * s)) + np.log((1 + e * s) / (1 - e * s)) / (4 * e)
            return np.abs(np.radians(t.a) * b * b * np.diff(q))
        unit = self.crs.axis_info[0].unit_conversion_factor if self.crs.axis_info else 1.0
        return np.full(self.height, abs(t.a * t.e) * unit * unit)
