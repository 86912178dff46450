"""A tiny study for the green analysis, every number derivable by hand.

Two 1 km × 1 km counties side by side in UTM zone 50N (EPSG:32650, the
study's area CRS, on the zone's central meridian), U1 (x 0–1000 m) and U2
(x 1000–2000 m), both in city C1; coordinates below are metres from the
origin (X0, Y0), y up.

- land cover (``landcover``, 100 m cells, 20 × 10): forest (IGBP 1) where
  x < 400 m in U1, cropland (12) elsewhere; ``landcover_fine`` (50 m, over
  U1 only, 20 × 20): the same pattern, so U1's metrics come from it;
- green space: one park x 0–400, y 0–500 (0.2 km²) in U1;
- red lines: y 800–1000 over U1, plus an overlapping x 500–1000, y 900–1000
  (union 0.2 km²);
- greenway: y = 950 from x 0 to 2000 (1 km in each county);
- roads: y = 520 from x 0 to 1000 (vertices every 100 m), then a cul-de-sac
  (1000, 520) → (1000, 900) → (700, 900) (vertices every 100 m);
- residential points: R1 (300, 700), R2 (830, 650), R3 (700, 880),
  R4 (980, 100) in U1, R5 (1900, 900) in U2;
- economy: population U1 25,000 (2015) and 20,000 (2020); U2 10,000.

Hand-derived (service distance 500 m, entrances within 50 m of the park:
road nodes x = 0…400 on y = 520, 20 m from the park's north edge):

=====  ==========  ===========  ==============  =========  ==========
point  straight    served       nearest node    walk (m)   served
       line (m)    (buffer)                                (network)
=====  ==========  ===========  ==============  =========  ==========
R1     200         yes          (300, 520)      0          yes
R2     √(430²+150²) = 455.4     yes  (800, 520) 400        yes
R3     √(300²+380²) = 484.1     yes  (700, 900) 600+380+300 = 1280  no
R4     580         no           (1000, 520)     600        no
R5     1500+       no           (1000, 900)     600+380 = 980       no
=====  ==========  ===========  ==============  =========  ==========

(the cul-de-sac's vertices are (1000, 520), (1000, 600) … (1000, 900),
so its first leg is 380 m).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
from affine import Affine
from shapely.geometry import LineString, Point, box

CRS = "EPSG:32650"
X0, Y0 = 500_000.0, 3_300_000.0
YEARS = (2015, 2020)
POINTS = {"R1": (300, 700), "R2": (830, 650), "R3": (700, 880), "R4": (980, 100), "R5": (1900, 900)}
LAYERS = ("red_lines", "green_space", "greenways", "residential", "roads")


def _xy(x, y):
    return X0 + x, Y0 + y


def units() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"unit_id": ["U1", "U2"], "name": ["County One", "County Two"], "city_id": ["C1", "C1"],
         "city_name": ["City One", "City One"]},
        geometry=[box(*_xy(0, 0), *_xy(1000, 1000)), box(*_xy(1000, 0), *_xy(2000, 1000))],
        crs=CRS,
    )


def _line(*pts) -> LineString:
    return LineString([_xy(x, y) for x, y in pts])


def layers(residential: str = "points") -> dict[str, gpd.GeoDataFrame]:
    road_main = _line(*[(x, 520) for x in range(0, 1001, 100)])
    spur = [(1000, 520)] + [(1000, y) for y in range(600, 901, 100)] + [(900, 900), (800, 900), (700, 900)]
    if residential == "points":
        res = gpd.GeoDataFrame({"name": list(POINTS), "residents": [100, 200, 300, 400, 500]},
                               geometry=[Point(_xy(*xy)) for xy in POINTS.values()], crs=CRS)
    else:  # one block x 600–1000, y 0–200 in U1: 3/4 of it within 500 m of the park (x ≤ 900)
        res = gpd.GeoDataFrame({"name": ["block"]}, geometry=[box(*_xy(600, 0), *_xy(1000, 200))], crs=CRS)
    return {
        "green_space": gpd.GeoDataFrame({"name": ["park"]}, geometry=[box(*_xy(0, 0), *_xy(400, 500))], crs=CRS),
        "red_lines": gpd.GeoDataFrame(
            {"name": ["a", "b"]},
            geometry=[box(*_xy(0, 800), *_xy(1000, 1000)), box(*_xy(500, 900), *_xy(1000, 1000))], crs=CRS),
        "greenways": gpd.GeoDataFrame({"name": ["gw"]}, geometry=[_line((0, 950), (2000, 950))], crs=CRS),
        "roads": gpd.GeoDataFrame({"name": ["main", "spur"]}, geometry=[road_main, _line(*spur)], crs=CRS),
        "residential": res,
    }


def _raster(path: Path, arr: np.ndarray, cell: float, nodata=255) -> None:
    with rasterio.open(path, "w", driver="GTiff", width=arr.shape[1], height=arr.shape[0], count=1,
                       dtype="uint8", crs=CRS, transform=Affine(cell, 0, X0, 0, -cell, Y0 + 1000),
                       nodata=nodata) as ds:
        ds.write(arr.astype("uint8"), 1)


def landcover(cell: float, width_m: float) -> np.ndarray:
    nx, ny = int(width_m / cell), int(1000 / cell)
    xc = (np.arange(nx) + 0.5) * cell
    row = np.where(xc < 400, 1, 12)
    return np.repeat(row[None, :], ny, axis=0)


def make_green_study(root: Path, *, layers_given=LAYERS, economy: bool = True, fine: bool = True,
                     residential: str = "points", extra: str = "", years=YEARS) -> Path:
    """Write the study into ``root``; return its study file."""
    root.mkdir(parents=True, exist_ok=True)
    units().to_file(root / "units.gpkg", driver="GPKG")
    lay = layers(residential)
    for name in layers_given:
        lay[name].to_file(root / f"{name}.gpkg", driver="GPKG")
    for y in years:
        _raster(root / f"lc_{y}.tif", landcover(100.0, 2000.0), 100.0)
        if fine:
            _raster(root / f"lcf_{y}.tif", landcover(50.0, 1000.0), 50.0)
    pd.DataFrame({"unit_id": ["U1", "U2", "U1", "U2"], "year": [2015, 2015, 2020, 2020],
                  "gdp": [1e9, 1e9, 1e9, 1e9], "population": [25_000, 10_000, 20_000, 10_000]}).to_csv(
        root / "economy.csv", index=False)
    tables = '[tables]\neconomy = "economy.csv"\n' if economy else ""
    fine_line = 'landcover_fine = "lcf_{year}.tif"\n' if fine else ""
    lines = "".join(f'{n} = "{n}.gpkg"\n' for n in layers_given)
    toml = (
        '[study]\nname = "Green test study"\nyears = [' + ", ".join(map(str, years)) + ']\narea_crs = "EPSG:32650"\n\n'
        '[units]\npath = "units.gpkg"\nname = "name"\nlevels = { county = "unit_id", city = "city_id" }\n'
        'level_names = { city = "city_name" }\n\n'
        f'{tables}\n[rasters]\nlandcover = "lc_{{year}}.tif"\n{fine_line}\n'
        f'[layers]\n{lines}\n[landcover]\nclasses = "igbp"\n\n{extra}'
    )
    (root / "ecozone.toml").write_text(toml, encoding="utf-8")
    return root / "ecozone.toml"


__all__ = ["CRS", "LAYERS", "POINTS", "X0", "Y0", "layers", "make_green_study", "units"]
