"""A small study for the ecology analysis, every outcome checkable by hand.

A 60 × 60 land cover of 100 m cells (6 km × 6 km, UTM zone 50N, EPSG:32650),
IGBP codes: cropland (12) everywhere except three forest (1) blocks

- A: rows 5–19, cols 5–19 (15 × 15 cells),
- B: rows 5–19, cols 40–54 (15 × 15),
- C: rows 40–54, cols 20–35 (15 × 16),

and a forest strip two cells wide (rows 11–12, cols 20–39) joining A and B:
too narrow for MSPA core (edge width 1), so it is a bridge. With the square
core (METHODS §4.1) the core patches are the blocks less their one-cell
edge: A and B 13 × 13 cells (1.69 km²), C 13 × 14 (1.82 km²).

Units: two counties L (x 0–3 km, cols 0–29) and R (cols 30–59) in city K.
Sources by their largest part: A and C in L (C: 10 of its 14 core columns),
B in R. A road runs north–south at x = 3.05 km (col 30), across the strip.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
from affine import Affine
from shapely.geometry import LineString, box

CRS = "EPSG:32650"
X0, Y0 = 500_000.0, 3_300_000.0
CELL = 100.0
N = 60
YEARS = (2020,)


def landcover() -> np.ndarray:
    lc = np.full((N, N), 12, np.uint8)
    lc[5:20, 5:20] = 1
    lc[5:20, 40:55] = 1
    lc[40:55, 20:36] = 1
    lc[11:13, 20:40] = 1
    return lc


def xy(col: float, row: float) -> tuple[float, float]:
    """Map coordinates of a point given in cell units (col, row from the top-left corner)."""
    return X0 + col * CELL, Y0 + N * CELL - row * CELL


def units() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"unit_id": ["L", "R"], "name": ["Left", "Right"], "city_id": ["K", "K"], "city_name": ["City", "City"]},
        geometry=[box(*xy(0, N), *xy(30, 0)), box(*xy(30, N), *xy(60, 0))], crs=CRS)


def write_raster(path: Path, arr: np.ndarray, crs: str = CRS, cell: float = CELL, nodata=255) -> None:
    with rasterio.open(path, "w", driver="GTiff", width=arr.shape[1], height=arr.shape[0], count=1,
                       dtype=arr.dtype.name, crs=crs, transform=Affine(cell, 0, X0, 0, -cell, Y0 + N * CELL),
                       nodata=nodata) as ds:
        ds.write(arr, 1)


LAYERS = ("roads", "railways", "red_lines", "sources", "reserves")


def layers() -> dict[str, gpd.GeoDataFrame]:
    """Every layer the analysis reads: a road across the strip (col 30.5), a railway across the map
    (row 30.5), red lines over block A's west half, a user source (rows 45–55, cols 45–55, cropland)
    and a reserve (rows 25–35, cols 5–12)."""
    def frame(geom):
        return gpd.GeoDataFrame({"name": ["x"]}, geometry=[geom], crs=CRS)

    return {
        "roads": frame(LineString([xy(30.5, 0), xy(30.5, N)])),
        "railways": frame(LineString([xy(0, 30.5), xy(N, 30.5)])),
        "red_lines": frame(box(*xy(0, 20), *xy(12, 0))),
        "sources": frame(box(*xy(45, 55), *xy(55, 45))),
        "reserves": frame(box(*xy(5, 35), *xy(12, 25))),
    }


def make_ecology_study(root: Path, *, ecology: str = "dpc_top_share = 1.0\n", roads: bool = True,
                       lc: np.ndarray | None = None, extra: str = "", given=None) -> Path:
    """Write the study into ``root``; return the study file.

    ``given``: the layers written (default: the road only when ``roads``).
    """
    root.mkdir(parents=True, exist_ok=True)
    units().to_file(root / "units.gpkg", driver="GPKG")
    for y in YEARS:
        write_raster(root / f"lc_{y}.tif", landcover() if lc is None else lc)
    given = (("roads",) if roads else ()) if given is None else tuple(given)
    section = ""
    if given:
        lay = layers()
        for name in given:
            lay[name].to_file(root / f"{name}.gpkg", driver="GPKG")
        section = "[layers]\n" + "".join(f'{n} = "{n}.gpkg"\n' for n in given) + "\n"
    (root / "ecozone.toml").write_text(
        '[study]\nname = "ecology test"\nyears = [2020]\narea_crs = "EPSG:32650"\n\n'
        '[units]\npath = "units.gpkg"\nname = "name"\nlevels = { county = "unit_id", city = "city_id" }\n'
        'level_names = { city = "city_name" }\n\n'
        f'{section}[rasters]\nlandcover = "lc_{{year}}.tif"\n\n[landcover]\nclasses = "igbp"\n\n'
        f"[ecology]\n{ecology}{extra}",
        encoding="utf-8")
    return root / "ecozone.toml"
