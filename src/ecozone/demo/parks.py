"""Synthetic industrial parks of the demo study (METHODS §3.0): SYNTHETIC DEMO DATA.

Fifty parks in real counties of the 11 provinces (3–7 per province), with
the tables of the parks analysis and a river layer:

- ``tables/parks.csv``: park id, a made-up name ending in ``（演示）``, level
  (national ETDZ / HTZ / border zone, provincial, other), province, city,
  chemical flag, pillar industries (``、``-separated), approved area (km²) and
  a point (lon, lat, WGS 84) inside its county; chemical parks are put close
  to the rivers more often than the others. Two parks show what the location
  check reports: ``DP49`` names Zhejiang but its point is a geocoder's
  fallback in Hefei (Anhui), ``DP50`` has no coordinates.
- ``tables/park_year.csv``: 2015–2020, value added in 1e4 CNY (declared in
  the study file), energy (tce), fresh water and water intake by source
  (m³), COD and NH3-N (kg), SO2, NOx and CO2e (t); productivities and
  intensities drawn around the magnitudes seed 001 reports (energy
  productivity 1e4–1e5 CNY/tce, COD 1–300 kg per million CNY, about two
  thirds of the intake surface water), improving over the years for most
  parks; two cells are missing (written ``—``).
- ``tables/energy_units.csv``: units of about 40 % of the parks, many small
  and a few large, mostly coal (seed 001: 84 % coal, 11 % gas by capacity),
  efficiency 0.25–0.45 (some not given).
- ``tables/wwtp.csv``: a plant in most parks (design capacity, inflow,
  influent and effluent COD and NH3-N in mg/L, online monitoring).
- ``layers/rivers.geojson``: the Yangtze main stream and seven tributaries
  as lines through approximate points of their real course (city
  coordinates, a gentle synthetic meander): a sketch of the real geography,
  not a hydrographic dataset.

Deterministic: every draw comes from :func:`ecozone.demo.synthetic.rng_for`.
No row is copied from any catalogue of real parks.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, Point

from ecozone.demo.synthetic import AEA, rng_for

PARK_YEARS = tuple(range(2015, 2021))
#: Parks per province (50 in all).
PARKS_PER_PROVINCE = {
    "310000": 3, "320000": 7, "330000": 6, "340000": 5, "360000": 4, "420000": 5, "430000": 4,
    "500000": 4, "510000": 5, "520000": 3, "530000": 4,
}
#: Approximate courses (lon, lat) through real cities; drawn as smooth lines.
RIVERS: dict[str, list[tuple[float, float]]] = {
    "长江干流 Yangtze main stream": [
        (101.72, 26.58), (102.9, 26.3), (103.9, 27.9), (104.63, 28.77), (105.44, 28.87), (106.26, 29.29),
        (106.58, 29.57), (107.39, 29.71), (108.1, 30.3), (108.40, 30.81), (109.47, 31.04), (110.4, 31.0),
        (111.29, 30.70), (112.24, 30.33), (112.9, 29.6), (113.13, 29.42), (113.9, 30.0), (114.30, 30.59),
        (115.05, 30.22), (115.99, 29.72), (116.6, 30.0), (117.05, 30.51), (117.81, 30.93), (118.38, 31.33),
        (118.80, 32.07), (119.45, 32.21), (120.28, 31.95), (120.89, 31.98), (121.50, 31.40), (121.95, 31.25),
    ],
    "岷江 Min River": [(103.62, 31.0), (103.85, 30.45), (103.76, 29.55), (104.2, 29.0), (104.63, 28.77)],
    "嘉陵江 Jialing River": [(105.84, 32.43), (105.96, 31.6), (106.08, 30.80), (106.27, 30.0), (106.58, 29.57)],
    "乌江 Wu River": [(105.3, 26.9), (106.3, 27.1), (107.5, 27.9), (107.76, 29.05), (107.39, 29.71)],
    "汉江 Han River": [(110.8, 32.65), (111.5, 32.55), (112.14, 32.04), (112.2, 31.2), (113.1, 30.6),
                     (114.30, 30.59)],
    "湘江 Xiang River": [(111.2, 26.0), (112.57, 26.89), (112.94, 27.83), (112.94, 28.23), (112.9, 28.9),
                       (113.13, 29.42)],
    "赣江 Gan River": [(114.93, 25.83), (114.98, 27.11), (115.4, 28.0), (115.86, 28.68), (116.2, 29.2),
                     (115.99, 29.72)],
    "沅江 Yuan River": [(109.0, 27.4), (110.0, 27.9), (110.7, 28.5), (111.7, 28.9), (112.4, 29.0)],
}
_LEVEL_P = {"national_etdz": 0.30, "national_htz": 0.20, "provincial": 0.44, "other": 0.06}
_SUFFIX = {"national_etdz": "经济技术开发区", "national_htz": "高新技术产业开发区",
           "national_border": "边境经济合作区", "provincial": "工业园区", "other": "产业园"}
_INDUSTRIES = ("装备制造", "电子信息", "新材料", "汽车及零部件", "生物医药", "食品饮料", "新能源", "纺织服装",
               "冶金", "建材", "现代物流")
_IND_P = np.array([18, 16, 12, 8, 8, 7, 7, 5, 5, 4, 3], dtype=float)
#: A geocoder's fallback point: Hefei (Anhui), given for a Zhejiang park.
FALLBACK_POINT = (117.23, 31.82)


def river_lines() -> gpd.GeoDataFrame:
    """The synthetic river layer (EPSG:4326): one line per river, through its points with a gentle meander."""
    rng = rng_for("parks-rivers")
    geoms, names = [], []
    for name, pts in RIVERS.items():
        xy = np.asarray(pts, dtype=float)
        seg = np.linalg.norm(np.diff(xy, axis=0), axis=1)
        s = np.r_[0.0, np.cumsum(seg)]
        t = np.linspace(0.0, s[-1], max(int(s[-1] / 0.02), 2))
        x, y = np.interp(t, s, xy[:, 0]), np.interp(t, s, xy[:, 1])
        # a meander across the line, zero at the given points' ends
        dx, dy = np.gradient(x), np.gradient(y)
        norm = np.hypot(dx, dy) + 1e-12
        amp = 0.02 + 0.015 * rng.random()
        wave = amp * np.sin(t / (0.35 + 0.1 * rng.random()) * np.pi) * np.sin(np.pi * t / s[-1])
        geoms.append(LineString(np.c_[np.round(x - wave * dy / norm, 5), np.round(y + wave * dx / norm, 5)]))
        names.append(name)
    return gpd.GeoDataFrame({"name": names, "note": "synthetic demo data: approximate course"},
                            geometry=geoms, crs="EPSG:4326")


def _point_in(geom, rng: np.random.Generator, tries: int = 200) -> Point:
    x0, y0, x1, y1 = geom.bounds
    for _ in range(tries):
        p = Point(rng.uniform(x0, x1), rng.uniform(y0, y1))
        if geom.contains(p):
            return p
    return geom.representative_point()


def parks_table(counties: gpd.GeoDataFrame, rivers: gpd.GeoDataFrame) -> pd.DataFrame:
    """The synthetic ``parks`` table (see the module docstring)."""
    rng = rng_for("parks")
    c = counties.reset_index(drop=True)
    c_aea = c.to_crs(AEA)
    river = shapely.union_all(rivers.to_crs(AEA).geometry.to_numpy())
    shapely.prepare(river)
    dist = c_aea.geometry.distance(river).to_numpy()
    is_district = c["name"].astype(str).str.endswith("区").to_numpy()
    rows = []
    k = 0
    for prov, n in PARKS_PER_PROVINCE.items():
        idx = list(np.flatnonzero(c["province_id"].astype(str).to_numpy() == prov))
        for j in range(min(n, len(idx))):
            k += 1
            level = str(rng.choice(list(_LEVEL_P), p=list(_LEVEL_P.values())))
            chemical = bool(rng.random() < (0.5 if level in ("provincial", "other") else 0.25))
            # chemical parks favour counties the rivers cross (seed 001 §4.2: parks along the shoreline)
            d = dist[idx]
            w = (np.where(d < 1.0, 8.0, np.where(d < 20_000, 3.0, 1.0)) if chemical
                 else np.where(d < 20_000, 2.0, 1.0)) * np.where(is_district[idx], 2.0, 1.0)
            i = int(rng.choice(idx, p=w / w.sum()))
            if prov == "530000" and j == 0:  # one border zone, in Ruili
                ruili = np.flatnonzero(c["name"].astype(str).to_numpy() == "瑞丽市")
                i = int(ruili[0]) if len(ruili) else i
                level, chemical = "national_border", False
            if i in idx:
                idx.remove(i)
            geom = c.geometry.iloc[i]
            pt = None
            if chemical and dist[i] < 1.0 and rng.random() < 0.85:
                # by the river: a river point inside the county, moved 150–900 m across the river
                inside = shapely.intersection(river, c_aea.geometry.iloc[i])
                on = shapely.line_interpolate_point(shapely.line_merge(inside) if inside.geom_type ==
                                                    "MultiLineString" else inside, rng.uniform(0.2, 0.8),
                                                    normalized=True) if not inside.is_empty else None
                if on is not None and not on.is_empty:
                    ang = rng.uniform(0, 2 * np.pi)
                    off = rng.uniform(150, 900)
                    cand = gpd.GeoSeries([Point(on.x + off * np.cos(ang), on.y + off * np.sin(ang))],
                                         crs=AEA).to_crs(4326).iloc[0]
                    if geom.contains(cand):
                        pt = cand
            if pt is None:
                pt = _point_in(geom, rng)
            n_ind = int(rng.integers(2, 4))
            inds = list(rng.choice(_INDUSTRIES, size=n_ind, replace=False, p=_IND_P / _IND_P.sum()))
            if chemical:
                inds = ["化工", *inds[: n_ind - 1]]
            area = {"national_etdz": 12.0, "national_htz": 8.0, "national_border": 4.0, "provincial": 5.0,
                    "other": 3.0}[level] * float(np.exp(rng.normal(0.0, 0.5)))
            county = str(c["name"].iloc[i])
            rows.append({
                "park_id": f"DP{k:02d}",
                "name": f"{county}{_SUFFIX[level]}（演示）",
                "level": level,
                "province": str(c["province_name"].iloc[i]),
                "city": str(c["city_name"].iloc[i]),
                "is_chemical": "yes" if chemical else "no",
                "pillar_industries": "、".join(inds),
                "approved_area_km2": round(area, 2),
                "lon": round(pt.x, 6),
                "lat": round(pt.y, 6),
            })
    df = pd.DataFrame(rows)
    # the location check's cases, last: a geocoder fallback in another province, and no coordinates
    zj = df.index[df["province"] == "浙江省"][-1]
    sc = df.index[df["province"] == "四川省"][-1]
    df.loc[zj, ["lon", "lat"]] = FALLBACK_POINT
    df.loc[sc, ["lon", "lat"]] = np.nan
    df = pd.concat([df.drop(index=[zj, sc]), df.loc[[zj, sc]]], ignore_index=True)
    df["park_id"] = [f"DP{i + 1:02d}" for i in range(len(df))]
    return df


def park_year_table(parks: pd.DataFrame) -> pd.DataFrame:
    """``park_year`` for 2015–2020 (value added in 1e4 CNY; see the module docstring)."""
    rng = rng_for("parks-year")
    base_va = {"national_etdz": 3e10, "national_htz": 2e10, "national_border": 1.5e9, "provincial": 6e9,
               "other": 2e9}
    cod_region = {"上海市": 0.9, "江苏省": 1.0, "浙江省": 1.0, "安徽省": 1.1, "江西省": 1.2, "湖北省": 1.2,
                  "湖南省": 1.2, "重庆市": 0.9, "四川省": 0.9, "贵州省": 0.8, "云南省": 0.8}
    region = {"上海市": 1.3, "江苏省": 1.3, "浙江省": 1.3, "安徽省": 1.1, "江西省": 0.9, "湖北省": 0.95,
              "湖南省": 0.9, "重庆市": 0.85, "四川省": 0.8, "贵州省": 0.75, "云南省": 0.75}
    rows = []
    for p in parks.itertuples():
        chem = p.is_chemical == "yes"
        f = region.get(p.province, 1.0)
        va0 = base_va[p.level] * float(np.exp(rng.normal(0.0, 0.6)))
        growth = rng.normal(0.07, 0.03)
        ep0 = 2.5e4 * f * float(np.exp(rng.normal(0.0, 0.5))) * (0.4 if chem else 1.0)  # CNY/tce
        wp0 = 600.0 * f * float(np.exp(rng.normal(0.0, 0.6))) * (0.5 if chem else 1.0)  # CNY/m3
        ci0 = 60.0 * float(np.exp(rng.normal(0.0, 0.7))) * (2.0 if chem else 1.0) * cod_region.get(p.province, 1.0)
        ci_trend = rng.normal(-0.12, 0.08) if rng.random() > 0.12 else rng.uniform(0.01, 0.05)
        shares = rng.dirichlet([27, 2, 8, 2, 1])  # surface, ground, tap, reclaimed, other
        for t, y in enumerate(PARK_YEARS):
            va = va0 * (1 + growth) ** t
            energy = va / (ep0 * 1.03 ** t)
            water = va / (wp0 * 1.04 ** t)
            cod = min(max(ci0 * (1 + ci_trend) ** t, 1.0), 300.0) * va / 1e6
            rows.append({
                "park_id": p.park_id, "year": y, "value_added": round(va / 1e4, 1),
                "energy_tce": round(energy, 1), "fresh_water_m3": round(water, 0),
                "cod_kg": round(cod, 1), "nh3n_kg": round(cod * rng.uniform(0.06, 0.14), 1),
                "so2_t": round(energy * rng.uniform(0.0008, 0.003), 2),
                "nox_t": round(energy * rng.uniform(0.001, 0.004), 2),
                "co2e_t": round(energy * rng.uniform(2.2, 2.7), 1),
                **{f"intake_{s}_m3": round(water * sh * 1.05, 0)
                   for s, sh in zip(("surface", "ground", "tap", "reclaimed", "other"), shares, strict=True)},
            })
    df = pd.DataFrame(rows).astype(object)
    # two missing cells, as statistical tables write them
    df.loc[(df["park_id"] == parks["park_id"].iloc[3]) & (df["year"] == 2015), "fresh_water_m3"] = "—"
    df.loc[(df["park_id"] == parks["park_id"].iloc[7]) & (df["year"] == 2016), "cod_kg"] = "—"
    return df


def energy_units_table(parks: pd.DataFrame) -> pd.DataFrame:
    """``energy_units`` (see the module docstring)."""
    rng = rng_for("parks-energy")
    rows = []
    k = 0
    for p in parks.itertuples():
        chance = 0.6 if p.level in ("national_etdz", "national_htz") or p.is_chemical == "yes" else 0.25
        if rng.random() > chance:
            continue
        for _ in range(int(rng.integers(1, 6))):
            k += 1
            u = rng.random()
            if u < 0.6:
                cap, eff = rng.uniform(6, 29.9), rng.uniform(0.25, 0.35)
            elif u < 0.88:
                cap, eff = rng.uniform(30, 299), rng.uniform(0.33, 0.40)
            else:
                cap, eff = rng.uniform(300, 1000), rng.uniform(0.39, 0.45)
            fuel = rng.choice(["coal", "gas", "oil", "biomass", "waste"], p=[0.75, 0.15, 0.02, 0.03, 0.05])
            unit_type = {"coal": "chp" if cap < 300 else "power", "gas": "heat" if cap < 30 else "chp",
                         "oil": "heat", "biomass": "biomass", "waste": "msw_incineration"}[fuel]
            hours = rng.uniform(4000, 5500)
            gen = cap * hours
            rows.append({
                "plant_id": f"DE{k:03d}", "park_id": p.park_id, "unit_type": unit_type, "fuel": fuel,
                "capacity_mw": round(cap, 1), "commissioning_year": int(rng.integers(1995, 2020)),
                "efficiency": round(eff, 3) if rng.random() > 0.1 else None,
                "generation_mwh": round(gen, 0),
                "co2e_t": round(gen * {"coal": 0.85, "gas": 0.40, "oil": 0.70, "biomass": 0.05, "waste": 0.30}[fuel], 0),
                "so2_t": round(gen * (2e-4 if fuel == "coal" else 2e-5), 1),
                "nox_t": round(gen * (3e-4 if fuel in ("coal", "oil") else 1e-4), 1),
            })
    return pd.DataFrame(rows)


def wwtp_table(parks: pd.DataFrame, park_year: pd.DataFrame) -> pd.DataFrame:
    """``wwtp`` (see the module docstring)."""
    rng = rng_for("parks-wwtp")
    water = pd.to_numeric(park_year.loc[park_year["year"] == 2020].set_index("park_id")["fresh_water_m3"],
                          errors="coerce")
    rows = []
    k = 0
    for p in parks.itertuples():
        if rng.random() > 0.85:
            continue
        n = 2 if p.level == "national_etdz" and rng.random() < 0.3 else 1
        for _ in range(n):
            k += 1
            daily = float(water.get(p.park_id, 1e7)) * 0.6 / 365 / n
            design = max(round(daily / rng.uniform(0.5, 0.95), -2), 2000.0)
            inflow = round(design * rng.uniform(0.45, 1.05), 0)
            rows.append({
                "wwtp_id": f"DW{k:03d}", "park_id": p.park_id, "design_m3_per_day": design,
                "inflow_m3_per_day": inflow, "industrial_share": round(rng.uniform(0.2, 0.6), 2),
                "cod_in": round(rng.uniform(250, 600), 0), "cod_out": round(rng.uniform(20, 50), 1),
                "nh3n_in": round(rng.uniform(20, 45), 1), "nh3n_out": round(rng.uniform(0.5, 5), 2),
                "online_monitoring": "yes" if rng.random() < 0.92 else "no",
            })
    return pd.DataFrame(rows)


#: The lines the demo study file gets (paths relative to the study file).
TABLES_TOML = (
    'parks = "tables/parks.csv"\n'
    'park_year = { path = "tables/park_year.csv", units = { value_added = "1e4 CNY" } }\n'
    'energy_units = "tables/energy_units.csv"\n'
    'wwtp = "tables/wwtp.csv"\n'
)
LAYERS_TOML = 'rivers = "layers/rivers.geojson"   # synthetic: approximate courses\n'


def write_parks(folder: Path, counties: gpd.GeoDataFrame) -> dict[str, pd.DataFrame]:
    """Write the parks tables into ``folder/tables`` and the rivers into ``folder/layers``; return the tables."""
    rivers = river_lines()
    parks = parks_table(counties, rivers)
    py = park_year_table(parks)
    tables = {"parks": parks, "park_year": py, "energy_units": energy_units_table(parks),
              "wwtp": wwtp_table(parks, py)}
    tdir = folder / "tables"
    tdir.mkdir(exist_ok=True)
    for name, df in tables.items():
        df.to_csv(tdir / f"{name}.csv", index=False, lineterminator="\n")
    ldir = folder / "layers"
    ldir.mkdir(exist_ok=True)
    (ldir / "rivers.geojson").write_text(rivers.to_json(drop_id=True), encoding="utf-8")
    return tables


SOURCES_MD = """
## Industrial parks (SYNTHETIC DEMO DATA)

`tables/parks.csv`, `park_year.csv`, `energy_units.csv`, `wwtp.csv` and
`layers/rivers.geojson` are synthetic (`ecozone.demo.parks`): 50 made-up parks
(names end in （演示）) at random points of real counties, 3–7 per province,
levels, industries, areas and yearly values (2015–2020; value added in 1e4
CNY) drawn around the magnitudes of seed 001. DP49 names Zhejiang but its
point is in Hefei (a geocoder's fallback) and DP50 has no coordinates: the
parks analysis lists both. The rivers are the Yangtze main stream and seven
tributaries drawn through approximate points of their real course with a
synthetic meander: a sketch, not hydrographic data. No row comes from a
catalogue of real parks.
"""
