"""A tiny but complete study built in a temp folder, for fast end-to-end and bad-input tests.

Six 0.1° × 0.1° counties near 113.0–113.3°E, 30.0–30.2°N: cities C1 (counties
101–103, in agglomeration AG) and C2 (104–106, in none). Monthly rasters on a
0.02° grid for 2015 and 2020, IGBP land cover, a DEM, and the four tables.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
from affine import Affine
from shapely.geometry import box

YEARS = (2015, 2020)
X0, Y0, RES = 112.98, 30.22, 0.02  # raster origin (upper left) and cell size, degrees
W, H = 18, 13


def counties() -> gpd.GeoDataFrame:
    rows = []
    for i in range(6):
        col, row = i % 3, i // 3
        x0 = 113.0 + 0.1 * col
        y0 = 30.1 - 0.1 * row
        rows.append(
            {
                "unit_id": str(101 + i),
                "name": f"County {101 + i}",
                "city_id": "C1" if i < 3 else "C2",
                "city_name": "City One" if i < 3 else "City Two",
                "agglo_id": "AG" if i < 3 else "",
                "geometry": box(x0, y0, x0 + 0.1, y0 + 0.1),
            }
        )
    return gpd.GeoDataFrame(rows, crs="EPSG:4326")


def _write_raster(path: Path, arr: np.ndarray, dtype="float32", nodata=-9999.0):
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=arr.shape[1],
        height=arr.shape[0],
        count=1,
        dtype=dtype,
        crs="EPSG:4326",
        transform=Affine(RES, 0, X0, 0, -RES, Y0),
        nodata=nodata,
    ) as dst:
        dst.write(arr.astype(dtype), 1)


#: the DEM: metres, rising DEM_STEP m per column eastwards from DEM_BASE (so a county's mean elevation
#: is DEM_BASE + DEM_STEP × its mean column, and its slope arctan(DEM_STEP / cell width in m))
DEM_BASE, DEM_STEP = 100.0, 30.0


def write_dem(root: Path) -> None:
    """``rasters/dem.tif``: a plane rising eastwards (METHODS §7 terrain factors)."""
    xx = np.mgrid[0:H, 0:W][1]
    _write_raster(root / "rasters/dem.tif", DEM_BASE + DEM_STEP * xx)


def write_rasters(root: Path, years=YEARS) -> None:
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[0:H, 0:W]
    write_dem(root)
    for y in years:
        lc = np.where(xx < 6, 2, np.where(xx < 12, 12, 4)).astype("uint8")
        lc[0:2, 14:18] = 17  # a lake
        lc[10:13, 0:3] = 13  # a town
        _write_raster(root / f"rasters/lc_{y}.tif", lc, dtype="uint8", nodata=0)
        for m in range(1, 13):
            season = np.sin((m - 4) / 12 * 2 * np.pi)
            ndvi = 0.45 + 0.25 * season + 0.05 * rng.standard_normal((H, W))
            ndvi[lc == 17] = 0.02
            tmp = 17 + 11 * season - 0.05 * yy + 0 * xx
            pre = np.clip(110 + 90 * season + 10 * rng.standard_normal((H, W)), 0, None)
            sol = 380 + 170 * season + 0 * xx
            _write_raster(root / f"rasters/ndvi_{y}_{m:02d}.tif", np.clip(ndvi, -1, 1))
            _write_raster(root / f"rasters/tmp_{y}_{m:02d}.tif", tmp)
            _write_raster(root / f"rasters/pre_{y}_{m:02d}.tif", pre)
            _write_raster(root / f"rasters/sol_{y}_{m:02d}.tif", sol)


def tables() -> dict[str, pd.DataFrame]:
    ids = [str(101 + i) for i in range(6)]
    air = []
    conc = {"PM2.5": 40.0, "PM10": 65.0, "NO2": 30.0, "SO2": 12.0, "CO": 1.2, "O3": 150.0}
    for y in YEARS:
        for k, uid in enumerate(ids):
            for p, v in conc.items():
                unit = "mg/m3" if p == "CO" else "ug/m3"
                air.append((uid, y, p, round(v * (0.8 + 0.08 * k) * (0.9 if y == 2020 else 1.0), 3), unit))
    air = pd.DataFrame(air, columns=["unit_id", "year", "pollutant", "value", "unit"])
    water = []
    lim3 = {"COD": 20, "NH3-N": 1.0, "TN": 1.0, "TP": 0.2, "CODMn": 6, "BOD5": 4}
    for y in YEARS:
        for k, uid in enumerate(ids):
            for s in range(2):
                for p, v in lim3.items():
                    water.append((f"S{uid}{s}", uid, y, "river", "III", p, round(v * (0.5 + 0.12 * k + 0.1 * s), 4)))
    water = pd.DataFrame(
        water, columns=["section_id", "unit_id", "year", "waterbody", "target_class", "pollutant", "value"]
    )
    economy = pd.DataFrame(
        [(uid, y, 5e10 * (1 + k) * (1.3 if y == 2020 else 1), 4e5 + 1e5 * k) for y in YEARS for k, uid in enumerate(ids)],
        columns=["unit_id", "year", "gdp", "population"],
    )
    emissions = pd.DataFrame(
        [(uid, y, 2e6 * (1 + 0.3 * k) * (1 + 0.02 * (y - 2005)), "t CO2") for y in range(2005, 2021) for k, uid in enumerate(ids)],
        columns=["unit_id", "year", "value", "unit"],
    )
    return {"air": air, "water": water, "economy": economy, "emissions": emissions}


STUDY_TOML = """
[study]
name = "Small test study"
years = [2015, 2020]

[units]
path = "units.gpkg"
name = "name"
levels = { county = "unit_id", city = "city_id", agglomeration = "agglo_id" }
level_names = { city = "city_name" }

[tables]
air = "air.csv"
water = "water.csv"
economy = "economy.csv"
emissions = "emissions.csv"

[rasters]
ndvi = "rasters/ndvi_{year}_{month:02d}.tif"
temperature = "rasters/tmp_{year}_{month:02d}.tif"
precipitation = "rasters/pre_{year}_{month:02d}.tif"
radiation = "rasters/sol_{year}_{month:02d}.tif"
landcover = "rasters/lc_{year}.tif"
dem = "rasters/dem.tif"

[carbon]
landcover_classes = "igbp"
"""


def make_small_study(root: Path, *, rasters: bool = True) -> Path:
    """Write the small study into ``root``; return the study file."""
    root.mkdir(parents=True, exist_ok=True)
    counties().to_file(root / "units.gpkg", layer="counties", driver="GPKG")
    for name, df in tables().items():
        df.to_csv(root / f"{name}.csv", index=False)
    toml = STUDY_TOML
    if rasters:
        write_rasters(root)
    else:
        toml = toml.split("[rasters]")[0]
    (root / "ecozone.toml").write_text(toml, encoding="utf-8")
    return root / "ecozone.toml"
