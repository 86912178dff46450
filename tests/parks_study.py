"""A small parks study built in a temp folder, with numbers one can check by hand.

Four 10 km × 10 km counties drawn directly in the study's equal-area CRS
(METHODS' Albers): 101 and 102 in 湖北省 (y 10–20 km above the origin), 201
and 202 in 湖南省 (y 0–10 km). A river runs straight along y = 10 km (the
provincial border), so a park's distance to it is its |y − 10 km|. Parks are
placed at chosen Albers coordinates, written as WGS 84 lon/lat (pyproj).

======  =============  ===============  ======  =====================  =========
park    level (as      province         county  distance to the river  chemical
        written)                                (m)
======  =============  ===============  ======  =====================  =========
P1      national_etdz  湖北省            101     500                    yes
P2      HTZ            Hubei            102     3,000                  no
P3      省级经济开发区  湖南省            201     800                    yes
P4      provincial     Hunan Province   202     5,000                  yes
P5      provincial     湖北             (201)   outside_province       no
P6      经济技术开发区  湖南             —       no_location            no
P7      national_etdz  江苏省            —       outside_study          yes
======  =============  ===============  ======  =====================  =========

``park_year`` (2019, 2020; value_added in 1e4 CNY, declared in the study file)
for P1–P4, ``energy_units`` and ``wwtp`` for some parks, and a GDI table with
given weights so that the GDI is hand-checkable (``gdi.csv``).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
from pyproj import Transformer
from shapely.geometry import LineString, box

AREA_CRS = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +datum=WGS84 +units=m +no_defs"
X0, Y0 = 780_000.0, 3_380_000.0  # south-west corner of the counties (Albers, m): about 113.1° E, 30.1° N
KM = 1000.0

#: park → Albers offset from (X0, Y0), m
POSITIONS = {
    "P1": (5 * KM, 10.5 * KM),
    "P2": (15 * KM, 13 * KM),
    "P3": (5 * KM, 9.2 * KM),
    "P4": (15 * KM, 5 * KM),
    "P5": (3 * KM, 3 * KM),
    "P7": (90 * KM, 90 * KM),
}


def lonlat(dx: float, dy: float) -> tuple[float, float]:
    t = Transformer.from_crs(AREA_CRS, "EPSG:4326", always_xy=True)
    return t.transform(X0 + dx, Y0 + dy)


def units() -> gpd.GeoDataFrame:
    rows = []
    for uid, (c, r), city, prov, pname in (
        ("101", (0, 1), "C1", "P42", "湖北省"), ("102", (1, 1), "C1", "P42", "湖北省"),
        ("201", (0, 0), "C2", "P43", "湖南省"), ("202", (1, 0), "C2", "P43", "湖南省"),
    ):
        x, y = X0 + c * 10 * KM, Y0 + r * 10 * KM
        rows.append({"unit_id": uid, "name": f"County {uid}", "city_id": city, "city_name": f"City {city}",
                     "province_id": prov, "province_name": pname, "geometry": box(x, y, x + 10 * KM, y + 10 * KM)})
    return gpd.GeoDataFrame(rows, crs=AREA_CRS)


def rivers() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": ["Demo river"]},
                            geometry=[LineString([(X0 - 5 * KM, Y0 + 10 * KM), (X0 + 25 * KM, Y0 + 10 * KM)])],
                            crs=AREA_CRS)


def parks() -> pd.DataFrame:
    rows = [
        ("P1", "Park One", "national_etdz", "湖北省", "yes", "装备制造、电子信息", 10.0),
        ("P2", "Park Two", "HTZ", "Hubei", "no", "电子信息;新材料", 5.0),
        ("P3", "Park Three", "省级经济开发区", "湖南省", "是", "化工、装备制造", 3.0),
        ("P4", "Park Four", "provincial", "Hunan Province", "1", "化工", 2.0),
        ("P5", "Park Five", "provincial", "湖北", "0", "食品", 1.0),
        ("P6", "Park Six", "经济技术开发区", "湖南", "否", "", None),
        ("P7", "Park Seven", "national_etdz", "江苏省", "true", "电子信息", 8.0),
    ]
    df = pd.DataFrame(rows, columns=["park_id", "name", "level", "province", "is_chemical", "pillar_industries",
                                     "approved_area_km2"])
    lon, lat = [], []
    for pid in df["park_id"]:
        if pid in POSITIONS:
            a, b = lonlat(*POSITIONS[pid])
            lon.append(round(a, 9))
            lat.append(round(b, 9))
        else:
            lon.append(None)
            lat.append(None)
    df["lon"], df["lat"] = lon, lat
    return df


def park_year() -> pd.DataFrame:
    # value_added in 1e4 CNY (the study file declares it): 1e5 → 1e9 CNY
    rows = [
        # park, year, value_added, energy_tce, fresh_water_m3, cod_kg, co2e_t
        ("P1", 2019, 1.0e5, 1.0e5, 1.0e7, 5.0e4, 5.0e5),
        ("P2", 2019, 2.0e5, 1.0e5, 1.0e7, 2.0e4, 4.0e5),
        ("P3", 2019, 1.0e5, 2.0e5, 2.0e7, 1.0e5, 9.0e5),
        ("P4", 2019, 0.5e5, 0.5e5, None, 1.0e4, 1.0e5),
        ("P1", 2020, 1.2e5, 1.0e5, 1.0e7, 3.0e4, 5.0e5),
        ("P2", 2020, 2.4e5, 1.0e5, 1.2e7, 2.4e4, 4.0e5),
        ("P3", 2020, 1.1e5, 2.2e5, 2.2e7, 1.1e5, 9.0e5),
        ("P4", 2020, 0.6e5, 0.6e5, 0.6e7, 0.0, 1.0e5),
    ]
    return pd.DataFrame(rows, columns=["park_id", "year", "value_added", "energy_tce", "fresh_water_m3", "cod_kg",
                                       "co2e_t"])


def energy_units() -> pd.DataFrame:
    return pd.DataFrame([
        ("E1", "P1", "chp", "coal", 25.0, 2005, 0.35),
        ("E2", "P1", "chp", "coal", 350.0, 2010, 0.42),
        ("E3", "P2", "heat", "gas", 100.0, 2015, 0.45),
        ("E4", "P3", "msw_incineration", "waste", 25.0, 2018, None),
    ], columns=["plant_id", "park_id", "unit_type", "fuel", "capacity_mw", "commissioning_year", "efficiency"])


def wwtp() -> pd.DataFrame:
    return pd.DataFrame([
        ("W1", "P1", 20000.0, 15000.0, 400.0, 40.0, 30.0, 3.0, "yes"),
        ("W2", "P3", 10000.0, 9000.0, 500.0, 50.0, 25.0, 5.0, "no"),
        ("W3", "P4", 5000.0, 2000.0, None, None, None, None, ""),
    ], columns=["wwtp_id", "park_id", "design_m3_per_day", "inflow_m3_per_day", "cod_in", "cod_out", "nh3n_in",
                "nh3n_out", "online_monitoring"])


#: GDI table with given weights and no benchmarks: min–max scores over the parks, GDI = 100 Σ w s
GDI_TABLE = """indicator,direction,benchmark,weight,source,verified
energy_productivity,+,,1,test,no
water_productivity,+,,1,test,no
cod_intensity,-,,2,test,no
"""


def write_parks_study(root: Path, *, park_year_table: bool = True, energy: bool = True, wwtp_table: bool = True,
                      rivers_layer: bool = True, polygons: bool = False, gdi_table: bool = True) -> Path:
    """Write the study into ``root``; return the study file. The flags leave inputs out."""
    root.mkdir(parents=True, exist_ok=True)
    units().to_file(root / "units.gpkg", layer="counties", driver="GPKG")
    parks().to_csv(root / "parks.csv", index=False)
    tables = ['parks = "parks.csv"']
    if park_year_table:
        park_year().to_csv(root / "park_year.csv", index=False)
        tables.append('park_year = { path = "park_year.csv", units = { value_added = "1e4 CNY" } }')
    if energy:
        energy_units().to_csv(root / "energy_units.csv", index=False)
        tables.append('energy_units = "energy_units.csv"')
    if wwtp_table:
        wwtp().to_csv(root / "wwtp.csv", index=False)
        tables.append('wwtp = "wwtp.csv"')
    layers = []
    if rivers_layer:
        rivers().to_file(root / "rivers.gpkg", driver="GPKG")
        layers.append('rivers = "rivers.gpkg"')
    if polygons:
        # P2 as a 2 km × 2 km square centred on its point
        x, y = X0 + POSITIONS["P2"][0], Y0 + POSITIONS["P2"][1]
        gpd.GeoDataFrame({"park_id": ["P2"]}, geometry=[box(x - KM, y - KM, x + KM, y + KM)],
                         crs=AREA_CRS).to_file(root / "park_polygons.gpkg", driver="GPKG")
        layers.append('parks = "park_polygons.gpkg"')
    parks_section = ""
    if gdi_table:
        (root / "gdi.csv").write_text(GDI_TABLE, encoding="utf-8")
        parks_section = '\n[parks]\ngdi_table = "gdi.csv"\n'
    toml = (
        '[study]\nname = "Small parks study"\nyears = [2019, 2020]\n\n'
        '[units]\npath = "units.gpkg"\nname = "name"\n'
        'levels = { county = "unit_id", city = "city_id", province = "province_id" }\n'
        'level_names = { city = "city_name", province = "province_name" }\n\n'
        "[tables]\n" + "\n".join(tables) + "\n"
        + ("\n[layers]\n" + "\n".join(layers) + "\n" if layers else "")
        + parks_section
    )
    (root / "ecozone.toml").write_text(toml, encoding="utf-8")
    return root / "ecozone.toml"
