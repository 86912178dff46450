"""A results folder built by hand (no analysis run): the report's input contract.

Nine 0.1° counties in a 3 × 3 block (three cities of three counties, two of
the cities in agglomeration AG), two years, the ``capacity`` and
``capacity_shares`` tables as ``run_capacity`` writes them, a ``carbon``
table with the carbon run's column names (``ce_tc`` …), LISA clusters,
global Moran's I, gravity centres, NPP/NEP rasters and a manifest marked
synthetic. Values are chosen so that every category appears.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
from affine import Affine
from shapely.geometry import box

from ecozone import store

YEARS = (2015, 2020)
COUNTIES = [str(101 + i) for i in range(9)]
CITY_OF = {c: f"C{1 + i // 3}" for i, c in enumerate(COUNTIES)}
AGG_OF = {"C1": "AG", "C2": "AG", "C3": ""}
STATES = ["overload", "critical", "non-overload"]
ZONES = ["carbon_sink", "low_carbon_economic", "low_carbon_optimisation", "carbon_intensity_control",
         "high_carbon_optimisation", "unclassified"]

# the figures the report must contain for this folder
EXPECTED_FIGURES = [
    "cap_state_air", "cap_state_water", "cap_state_total", "cap_shares", "cap_quadrant", "cap_quadrant_map",
    "cap_types", "cap_coupling", "carbon_rasters", "carbon_budget_map", "carbon_budget_bars", "carbon_indices",
    "carbon_zones", "carbon_zone_shares", "carbon_transitions", "carbon_lisa", "carbon_gravity",
]
EXPECTED_SECTIONS = ["capacity", "carbon", "provenance"]


def units_frame() -> gpd.GeoDataFrame:
    rows = []
    for i, c in enumerate(COUNTIES):
        x0, y0 = 113.0 + 0.1 * (i % 3), 30.2 - 0.1 * (i // 3)
        rows.append(("county", c, f"县{c}", box(x0, y0, x0 + 0.1, y0 + 0.1)))
    for k, city in enumerate(("C1", "C2", "C3")):
        y0 = 30.2 - 0.1 * k
        rows.append(("city", city, f"城市{k + 1}", box(113.0, y0, 113.3, y0 + 0.1)))
    rows.append(("agglomeration", "AG", "示例城市群", box(113.0, 30.1, 113.3, 30.3)))
    g = gpd.GeoDataFrame(rows, columns=["level", "unit_id", "name", "geometry"], crs="EPSG:4326")
    g["area_km2"] = g.to_crs("+proj=aea +lat_1=25 +lat_2=47 +lon_0=105 +datum=WGS84").area / 1e6
    return g[["level", "unit_id", "name", "area_km2", "geometry"]]


def capacity_tables() -> dict[str, pd.DataFrame]:
    rows = []
    for y in YEARS:
        for i, c in enumerate(COUNTIES):
            r_air = -0.4 + 0.1 * i - (0.05 if y == 2020 else 0.0)
            r_w = 0.3 - 0.1 * i
            st_air = "overload" if r_air > 0 else ("critical" if r_air > -0.2 else "non-overload")
            st_w = "overload" if r_w > 0 else ("critical" if r_w > -0.3 else "non-overload")
            st = "overload" if "overload" in (st_air, st_w) else ("critical" if "critical" in (st_air, st_w) else "non-overload")
            rows.append(dict(level="county", unit_id=c, year=y, r_air=r_air, r_water=r_w, r_total=max(r_air, r_w),
                             state_air=st_air, state_water=st_w, state=st, media="air+water", air_primary="PM2.5",
                             air_standard="GB3095-2012 grade II", n_sections=2, n_pollutants=6))
        quads = {"C1": "high–overload", "C2": "low–non-overload", "C3": "key-ecological-zone"}
        grades = {"C1": "primary-coordination", "C2": "mild-disorder", "C3": "good-coordination"}
        for k, city in enumerate(("C1", "C2", "C3")):
            r = (0.2, -0.1, -0.3)[k]
            gpc = (9e4, 4e4, 3e4)[k]
            rows.append(dict(level="city", unit_id=city, year=y, r_air=r, r_water=r - 0.1, r_total=r,
                             state_air=STATES[k], state_water=STATES[k], state=STATES[k], media="air+water",
                             gdp_per_capita=gpc, regional_gdp_per_capita=5e4, quadrant=quads[city].replace(
                                 "key-ecological-zone", "low–non-overload"), type=quads[city],
                             economic="high" if gpc > 5e4 else "low", dev_index=(1.0, 0.4, 0.0)[k],
                             coupling_c=0.9, coupling_d=(0.65, 0.35, 0.85)[k], coupling_t=0.5,
                             coupling_grade=grades[city], coupling_grade_no=(7, 4, 9)[k], n_sections=6, n_pollutants=6))
        rows.append(dict(level="agglomeration", unit_id="AG", year=y, r_air=0.05, r_water=-0.1, r_total=0.05,
                         state_air="overload", state_water="critical", state="overload", media="air+water",
                         dev_index=0.7 if y == 2020 else np.nan, dev_class="mature" if y == 2020 else None,
                         type="mature–overload" if y == 2020 else None, coupling_d=0.5 if y == 2020 else np.nan,
                         coupling_grade="barely-coordinated" if y == 2020 else None, n_sections=12, n_pollutants=6))
    cap = pd.DataFrame(rows)
    sh = []
    for y in YEARS:
        for medium in ("air", "water", "total"):
            sh.append(dict(level="agglomeration", unit_id="AG", year=y, member_level="city", medium=medium,
                           n_members=2, n_assessed=2, n_overload=1, n_critical=1, n_non_overload=0,
                           share_overload=50.0, share_critical=50.0, share_non_overload=0.0, state_majority="tied"))
            for city in ("C1", "C2", "C3"):
                sh.append(dict(level="city", unit_id=city, year=y, member_level="county", medium=medium,
                               n_members=3, n_assessed=3, n_overload=2, n_critical=1, n_non_overload=0,
                               share_overload=66.7, share_critical=33.3, share_non_overload=0.0,
                               state_majority="overload"))
    return {"capacity": cap, "capacity_shares": pd.DataFrame(sh)}


def carbon_tables(units: gpd.GeoDataFrame) -> dict[str, pd.DataFrame]:
    rows = []
    area = units.set_index(["level", "unit_id"])["area_km2"]
    for y in YEARS:
        for lv, ids in (("county", COUNTIES), ("city", ["C1", "C2", "C3"]), ("agglomeration", ["AG"])):
            for i, u in enumerate(ids):
                ce = 1e5 * (1 + i) * (1.2 if y == 2020 else 1.0)
                cs = 8e4 * (len(ids) - i)
                zone = ZONES[(i + (y == 2020)) % len(ZONES)]
                rows.append(dict(level=lv, unit_id=u, year=y, ce_tc=ce, cs_tc=cs, cb_tc=ce - cs, cbi=ce / cs,
                                 ecc=0.5 + 0.25 * i, esc=2.0 / (1 + i), zone=zone,
                                 budget_state="carbon_deficit" if ce > cs else "carbon_surplus",
                                 net_source_ecosystem=False, emissions_filled=y == 2020, gdp_cny=1e10 * (1 + i),
                                 npp_mean=800.0 - 20 * i, nep_mean=300.0 - 30 * i, rh_mean=500.0,
                                 area_km2=float(area[(lv, u)])))
    carbon = pd.DataFrame(rows)
    lisa = ["HH", "LL", "LH", "HL", "not_significant", "not_significant", "HH", "LL", "not_significant"]
    sp = pd.DataFrame([
        dict(level="county", unit_id=c, year=y, variable=v, lisa_i=0.1 * i, quadrant=lisa[i][:2], lisa_p=0.01,
             cluster=lisa[i], gi_star_z=1.0, gi_p=0.02, spot="hot")
        for y in YEARS for v in ("cb_tc", "cbi", "nep_mean") for i, c in enumerate(COUNTIES)
    ])
    moran = pd.DataFrame([dict(level="county", year=y, variable=v, moran_i=0.3, expected_i=-0.125, z_norm=2.0,
                               p_norm=0.04, p_sim=0.03, n=9) for y in YEARS for v in ("cb_tc", "cbi", "nep_mean")])
    grav = pd.DataFrame([dict(level="city", variable=v, year=y, x=0.0, y=0.0, lon=113.15 + 0.01 * k, lat=30.15,
                              shift_m=np.nan if k == 0 else 1000.0, direction_deg=np.nan if k == 0 else 90.0)
                         for v in ("emission", "sequestration") for k, y in enumerate(YEARS)])
    return {"carbon": carbon, "carbon_spatial": sp, "carbon_moran": moran, "carbon_gravity": grav}


def write_rasters(out: Path) -> None:
    (out / "rasters").mkdir(parents=True, exist_ok=True)
    yy, xx = np.mgrid[0:16, 0:16]
    for y in YEARS:
        npp = (600 + 20 * xx + 5 * yy).astype("float32")
        nep = (npp - 800).astype("float32")
        npp[0, 0] = np.nan
        for name, a in (("npp", npp), ("nep", nep)):
            with rasterio.open(out / "rasters" / f"{name}_{y}.tif", "w", driver="GTiff", width=16, height=16, count=1,
                               dtype="float32", crs="EPSG:4326", transform=Affine(0.02, 0, 112.99, 0, -0.02, 30.31),
                               nodata=np.nan) as dst:
                dst.write(a, 1)


def make_results(out: Path, *, carbon: bool = True, synthetic: bool = True) -> Path:
    """Write the folder; return it."""
    out.mkdir(parents=True, exist_ok=True)
    u = units_frame()
    tables = capacity_tables()
    if carbon:
        tables.update(carbon_tables(u))
        write_rasters(out)
    about = pd.DataFrame([("study", "Report fixture")], columns=["key", "value"])
    store.write_gpkg(out / "results.gpkg", u, {**tables, "about": about})
    manifest = {
        "ecozone_version": "test", "study": "Report fixture", "synthetic": synthetic,
        "label": "synthetic demo data" if synthetic else None, "created": "2026-01-01T00:00:00+00:00",
        "python": "3.11", "years": list(YEARS), "levels": ["county", "city", "agglomeration"],
        "analyses": ["capacity", "carbon"] if carbon else ["capacity"], "skipped": {},
        "parameters": {"capacity": {"air": {"standard": "GB3095-2012", "grade": "II", "critical_threshold": -0.2},
                                    "coupling": {"level": "city"}, "typing": {"level": "agglomeration"}},
                       "carbon": {"zoning": {"threshold": 1.0}},
                       "area_crs": "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +datum=WGS84 +units=m +no_defs"},
        "inputs": {"units.gpkg": "0" * 64}, "outputs": ["results.gpkg"], "notes": ["a note"],
        "timings_s": {"total": 1.0},
    }
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return out
