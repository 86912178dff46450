"""Synthetic tables of the demo study (long format, METHODS §0.2).

SYNTHETIC DEMO DATA, generated from the fixed seed of
:mod:`ecozone.demo.synthetic`, with magnitudes like the real ones:

- ``economy``: county GDP (CNY) and resident population (persons) for the
  study years. Province totals follow approximate official 2005 and 2020
  values (``economy_anchors.csv``; log-linear in between), and 12 large
  cities are pinned to approximate 2020 values (Wuhan 1.56e12 CNY ...). The
  rest is shared out by a settlement model: density 550·exp(−z/1000 m)
  persons/km², much denser in small urban districts, per-capita GDP higher in
  districts and lower in mountains; urban districts grow faster.
- ``emissions``: county CO2, 1997–2017 (CEADs ends in 2017; the study
  year 2020 is gap-filled by the carbon analysis, as seed 004 does). REAL
  for the counties matched to the CEADs county inventory
  (``ceads_county_co2.csv.gz``, Mt CO2, see ``SOURCES.md`` of this
  package); SYNTHETIC (labelled ``source = synthetic``, t CO2, 2000–2017)
  for the rest: 3.4e9 t CO2 in 2017 over the 11 provinces,
  shared by GDP^0.75 × a provincial energy-structure factor × noise, along
  China's aggregate path (rising to a plateau after 2013).
- ``air``: county annual statistics of the six GB 3095 pollutants (µg/m3, CO
  mg/m3): low-lying, northern and Sichuan-basin counties more polluted;
  PM2.5 30–70 µg/m3 up to 2015, about a third lower by 2020; SO2 falls
  steeply, O3 rises.
- ``water``: 2–4 monitored sections per county (river, or lake where the
  county touches a large lake, and some reservoirs), target class II–IV, six
  pollutants (mg/L), cleaner in the mountains and improving over time.
- ``development``: agglomeration indicators for 2020 (GDP and population
  summed from ``economy``; density; per-capita green space, connectivity and
  the share of cities within 2 h of the central city set to plausible values
  ranked as seed 000 describes).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from ecozone.demo.synthetic import YEARS, rng_for

EMISSION_YEARS = tuple(range(2000, 2021))
#: Last year of the emission series (the CEADs county inventory ends in 2017).
LAST_EMISSION_YEAR = 2017
#: China's aggregate CO2 path, 2017 = 1 (shape after CEADs national inventories, rounded).
# fmt: off
EMISSION_PATH = (0.36, 0.38, 0.41, 0.47, 0.54, 0.60, 0.66, 0.72, 0.75, 0.79,
                 0.85, 0.93, 0.96, 1.00, 1.00, 0.98, 0.97, 1.00, 1.02, 1.04, 1.03)
# fmt: on
#: Total CO2 of the 11 provinces in 2017, t CO2 (order of magnitude of the CEADs county totals).
EMISSIONS_TOTAL_2017 = 3.4e9
#: Relative carbon intensity of the provinces' energy structure (synthetic).
PROVINCE_CARBON_FACTOR = {
    "310000": 0.8,
    "320000": 1.0,
    "330000": 0.85,
    "340000": 1.25,
    "360000": 1.1,
    "420000": 1.05,
    "430000": 1.0,
    "500000": 1.0,
    "510000": 0.8,
    "520000": 1.7,
    "530000": 1.1,
}
POLLUTANTS_AIR = ("PM2.5", "PM10", "NO2", "SO2", "CO", "O3")
POLLUTANTS_WATER = ("COD", "NH3-N", "TN", "TP", "CODMn", "BOD5")


def _lognormal(rng: np.random.Generator, sigma: float, n: int) -> np.ndarray:
    return np.exp(rng.normal(-0.5 * sigma * sigma, sigma, n))


def anchors() -> pd.DataFrame:
    """The shipped ``economy_anchors.csv`` (province 2005/2020 and city 2020 values)."""
    path = Path(str(resources.files("ecozone.demo").joinpath("economy_anchors.csv")))
    return pd.read_csv(path, dtype={"adcode": str})


def _share(total: float, weights: np.ndarray) -> np.ndarray:
    return total * weights / weights.sum()


def economy(attrs: pd.DataFrame, anch: pd.DataFrame | None = None) -> pd.DataFrame:
    """County GDP (CNY) and population (persons) for :data:`YEARS`.

    ``attrs``: one row per county with ``unit_id, city_id, province_id,
    area_km2, elev_m, is_district``. Returns columns ``unit_id, year, gdp,
    population`` (integers), sorted by unit_id, year.
    """
    anch = anchors() if anch is None else anch
    rng = rng_for("economy")
    n = len(attrs)
    z = attrs["elev_m"].to_numpy(float)
    area = attrs["area_km2"].to_numpy(float)
    dist = attrs["is_district"].to_numpy(bool)
    density = (
        550.0 * np.exp(-np.maximum(z, 0.0) / 1000.0) * (1.0 + 12.0 * np.exp(-area / 120.0) * dist)
    )
    w_pop = area * density * _lognormal(rng, 0.25, n)
    pc = (1.0 + 0.8 * dist) * np.exp(-np.maximum(z, 0.0) / 3000.0) * _lognormal(rng, 0.2, n)
    prov = anch[anch.level == "province"].pivot(index="adcode", columns="year")
    city20 = anch[(anch.level == "city") & (anch.year == 2020)].set_index("adcode")

    pop20 = np.zeros(n)
    gdp20 = np.zeros(n)
    city = attrs["city_id"].to_numpy()
    province = attrs["province_id"].to_numpy()
    for p in np.unique(province):
        in_p = province == p
        for col, out, w in (("population", pop20, w_pop), ("gdp_cny", gdp20, None)):
            total = float(prov.loc[p, (col, 2020)])
            weights = w if w is not None else pop20 * pc
            cities = np.unique(city[in_p])
            pinned = [c for c in cities if c in city20.index and c != p]
            free = in_p & ~np.isin(city, pinned)
            rest = total - sum(float(city20.loc[c, col]) for c in pinned)
            for c in pinned:
                m = city == c
                out[m] = _share(float(city20.loc[c, col]), weights[m])
            out[free] = _share(rest, weights[free])

    g_pop = 0.25 * dist - 0.05 + 0.05 * rng.standard_normal(n)  # extra log-growth 2005→2020
    g_gdp = 0.10 * rng.standard_normal(n)
    rows = []
    for y in YEARS:
        f = (2020 - y) / 15.0
        pop = pop20 * np.exp(-f * g_pop)
        gdp = gdp20 * np.exp(-f * g_gdp)
        for p in np.unique(province):
            m = province == p
            for col, arr in (("population", pop), ("gdp_cny", gdp)):
                v05, v20 = float(prov.loc[p, (col, 2005)]), float(prov.loc[p, (col, 2020)])
                target = v20 * (v05 / v20) ** f
                arr[m] *= target / arr[m].sum()
        rows.append(
            pd.DataFrame(
                {
                    "unit_id": attrs["unit_id"].to_numpy(),
                    "year": y,
                    "gdp": np.round(gdp).astype(np.int64),
                    "population": np.round(pop).astype(np.int64),
                }
            )
        )
    return pd.concat(rows).sort_values(["unit_id", "year"], kind="stable").reset_index(drop=True)


def real_emissions() -> pd.DataFrame:
    """The shipped CEADs county series (``unit_id, year, value``; Mt CO2, 1997–2017)."""
    path = Path(str(resources.files("ecozone.demo").joinpath("ceads_county_co2.csv.gz")))
    return pd.read_csv(path, dtype={"unit_id": str})


def emissions(attrs: pd.DataFrame, econ: pd.DataFrame) -> pd.DataFrame:
    """County CO2 emissions: real CEADs series where matched, synthetic elsewhere.

    Columns ``unit_id, year, value, unit, source``: real rows are
    ``Mt CO2`` 1997–2017 with ``source = "CEADs"``; the other counties get
    the synthetic series below in ``t CO2`` for 2000–2017 with
    ``source = "synthetic"``. No county has a value after 2017 (the CEADs
    inventory ends there), so the carbon analysis fills 2020 for every one.
    """
    rng = rng_for("emissions")
    n = len(attrs)
    gdp15 = (
        econ[econ.year == 2015]
        .set_index("unit_id")["gdp"]
        .reindex(attrs["unit_id"])
        .to_numpy(float)
    )
    factor = attrs["province_id"].map(PROVINCE_CARBON_FACTOR).to_numpy(float)
    w = gdp15**0.75 * factor * _lognormal(rng, 0.45, n)
    e17 = _share(EMISSIONS_TOTAL_2017, w)
    k = 1.0 + 0.25 * rng.standard_normal(n)
    path = np.asarray(EMISSION_PATH)[None, :] ** k[:, None]
    ar = np.zeros((n, len(EMISSION_YEARS)))
    eps = rng.normal(0.0, 0.03, ar.shape)
    for t in range(len(EMISSION_YEARS)):
        ar[:, t] = (0.6 * ar[:, t - 1] if t else 0.0) + eps[:, t]
    i17 = EMISSION_YEARS.index(2017)
    values = e17[:, None] * path * np.exp(ar - ar[:, i17 : i17 + 1])
    df = pd.DataFrame(values, index=attrs["unit_id"].to_numpy(), columns=list(EMISSION_YEARS))
    df = df.stack().rename("value").rename_axis(["unit_id", "year"]).reset_index()
    df["value"] = np.round(df["value"]).astype(np.int64)
    df["unit"] = "t CO2"
    df["source"] = "synthetic"
    df = df[df["year"] <= LAST_EMISSION_YEAR]
    real = real_emissions()
    real = real[real["unit_id"].isin(set(attrs["unit_id"]))].assign(unit="Mt CO2", source="CEADs")
    df = pd.concat([df[~df["unit_id"].isin(set(real["unit_id"]))], real], ignore_index=True)
    return df.sort_values(["unit_id", "year"], kind="stable").reset_index(drop=True)


def _gauss(lon, lat, lon0, lat0, slon, slat):
    return np.exp(-((lon - lon0) ** 2 / (2 * slon**2) + (lat - lat0) ** 2 / (2 * slat**2)))


def urbanity(attrs: pd.DataFrame, econ: pd.DataFrame) -> np.ndarray:
    """0–1 urban intensity of each county from its 2020 population density."""
    pop = (
        econ[econ.year == 2020]
        .set_index("unit_id")["population"]
        .reindex(attrs["unit_id"])
        .to_numpy(float)
    )
    dens = pop / attrs["area_km2"].to_numpy(float)
    return np.clip(np.log10(np.maximum(dens, 1.0) / 200.0) / 2.0, 0.0, 1.0)


def air(attrs: pd.DataFrame, econ: pd.DataFrame) -> pd.DataFrame:
    """County annual air-quality statistics. Columns ``unit_id, year, pollutant, value, unit``.

    Values are the HJ 663 annual statistics (annual means; CO 95th and O3
    90th percentiles), µg/m3 except CO in mg/m3.
    """
    rng = rng_for("air")
    n = len(attrs)
    lon, lat = attrs["lon"].to_numpy(float), attrs["lat"].to_numpy(float)
    z = np.maximum(attrs["elev_m"].to_numpy(float), 0.0)
    h = np.exp(-z / 900.0)  # low-lying: pooling and density
    north = np.clip((lat - 22.0) / 12.0, 0.0, 1.0)
    basin = _gauss(lon, lat, 105.5, 30.0, 2.0, 1.5)
    coal = _gauss(lon, lat, 106.5, 26.8, 2.0, 1.5)  # Guizhou high-sulphur coal
    u = urbanity(attrs, econ)
    base = {
        "PM2.5": 18.0 + 50.0 * h * (0.45 + 0.55 * north) + 15.0 * basin + 6.0 * u,
        "NO2": 14.0 + 20.0 * u + 8.0 * h,
        "SO2": 8.0 + 16.0 * h * north + 18.0 * coal,
        "CO": 0.9 + 0.6 * h + 0.3 * u + 0.3 * coal,
        "O3": 105.0 + 55.0 * h * north + 10.0 * u,
    }
    base["PM10"] = base["PM2.5"] * (1.55 + 0.08 * rng.standard_normal(n))
    year_factor = {
        "PM2.5": {2005: 1.05, 2010: 1.08, 2015: 1.0, 2020: 0.64},
        "PM10": {2005: 1.15, 2010: 1.12, 2015: 1.0, 2020: 0.68},
        "NO2": {2005: 0.95, 2010: 1.0, 2015: 1.0, 2020: 0.85},
        "SO2": {2005: 3.0, 2010: 2.0, 2015: 1.0, 2020: 0.45},
        "CO": {2005: 1.3, 2010: 1.2, 2015: 1.0, 2020: 0.8},
        "O3": {2005: 0.85, 2010: 0.92, 2015: 1.0, 2020: 1.05},
    }
    county_noise = {p: _lognormal(rng, 0.10, n) for p in POLLUTANTS_AIR}
    frames = []
    for y in YEARS:
        for p in POLLUTANTS_AIR:
            v = base[p] * year_factor[p][y] * county_noise[p] * _lognormal(rng, 0.05, n)
            frames.append(
                pd.DataFrame(
                    {
                        "unit_id": attrs["unit_id"].to_numpy(),
                        "year": y,
                        "pollutant": p,
                        "value": np.round(v, 3 if p == "CO" else 1),
                        "unit": "mg/m3" if p == "CO" else "ug/m3",
                    }
                )
            )
    out = pd.concat(frames)
    order = {p: i for i, p in enumerate(POLLUTANTS_AIR)}
    out["_o"] = out["pollutant"].map(order)
    return (
        out.sort_values(["unit_id", "year", "_o"], kind="stable")
        .drop(columns="_o")
        .reset_index(drop=True)
    )


#: Concentration (mg/L) of a section at pollution level 1.
WATER_TYPICAL = {"COD": 17.0, "NH3-N": 0.60, "TN": 1.15, "TP": 0.15, "CODMn": 4.2, "BOD5": 3.0}
WATER_TYPICAL_LAKE = {"TP": 0.07, "TN": 1.2}


def water(attrs: pd.DataFrame, econ: pd.DataFrame) -> pd.DataFrame:
    """Monitored sections (2–4 per county). Columns ``section_id, unit_id, year,
    waterbody, target_class, pollutant, value`` (value in mg/L)."""
    rng = rng_for("water")
    n = len(attrs)
    z = np.maximum(attrs["elev_m"].to_numpy(float), 0.0)
    u = urbanity(attrs, econ)
    lake = attrs["lake_share"].to_numpy(float) > 0.0
    level = (0.35 + 0.45 * np.exp(-z / 800.0) + 0.45 * u) * _lognormal(rng, 0.25, n)
    year_factor = {2005: 1.35, 2010: 1.25, 2015: 1.1, 2020: 0.85}
    rows = []
    n_sec = rng.integers(2, 5, n)
    for i in range(n):
        uid = attrs["unit_id"].iat[i]
        for k in range(n_sec[i]):
            is_lake = (lake[i] and k == 0) or rng.random() < 0.12
            wb = "lake" if is_lake else "river"
            if z[i] > 1000.0:
                cls = rng.choice(["II", "III"], p=[0.6, 0.4])
            elif u[i] > 0.5:
                cls = rng.choice(["III", "IV"], p=[0.55, 0.45])
            else:
                cls = rng.choice(["II", "III", "IV"], p=[0.15, 0.6, 0.25])
            sec_level = level[i] * _lognormal(rng, 0.3, 1)[0]
            for y in YEARS:
                for p in POLLUTANTS_WATER:
                    typical = (
                        WATER_TYPICAL_LAKE.get(p, WATER_TYPICAL[p]) if is_lake else WATER_TYPICAL[p]
                    )
                    v = typical * sec_level * year_factor[y] * _lognormal(rng, 0.2, 1)[0]
                    rows.append((f"{uid}-W{k + 1}", uid, y, wb, cls, p, float(f"{v:.3g}")))
    out = pd.DataFrame(
        rows,
        columns=[
            "section_id",
            "unit_id",
            "year",
            "waterbody",
            "target_class",
            "pollutant",
            "value",
        ],
    )
    return out.sort_values(["section_id", "year"], kind="stable").reset_index(drop=True)


#: Development indicators other than GDP and population, 2020 (synthetic; ranked as in seed 000).
DEVELOPMENT_EXTRA = {
    # agglo: (green space per capita m2/person, population connectivity 0-1, share of cities within 2 h of the centre 0-1)
    "YRD": (14.8, 0.86, 0.92),
    "CY": (13.4, 0.78, 0.75),
    "MRYR": (13.9, 0.62, 0.58),
    "CYN": (11.9, 0.36, 0.60),
    "CGZ": (12.4, 0.33, 0.67),
}


def development(attrs: pd.DataFrame, econ: pd.DataFrame, agglo: pd.Series) -> pd.DataFrame:
    """Agglomeration development indicators for 2020.

    ``agglo``: county unit_id → agglomeration id ("" for none). Columns
    ``unit_id, year, gdp`` (CNY), ``population`` (persons),
    ``population_density`` (persons/km²), ``green_space_per_capita``
    (m²/person), ``connectivity`` (0–1), ``share_2h_reach`` (0–1); all
    larger-is-more-developed.
    """
    e = econ[econ.year == 2020].set_index("unit_id")
    df = pd.DataFrame(
        {
            "agglo": agglo.reindex(attrs["unit_id"]).to_numpy(),
            "gdp": e["gdp"].reindex(attrs["unit_id"]).to_numpy(float),
            "population": e["population"].reindex(attrs["unit_id"]).to_numpy(float),
            "area": attrs["area_km2"].to_numpy(float),
        }
    )
    df = df[df.agglo != ""].groupby("agglo").sum()
    rows = []
    for a in DEVELOPMENT_EXTRA:
        green, conn, reach = DEVELOPMENT_EXTRA[a]
        r = df.loc[a]
        rows.append(
            {
                "unit_id": a,
                "year": 2020,
                "gdp": int(round(r.gdp)),
                "population": int(round(r.population)),
                "population_density": round(r.population / r.area, 1),
                "green_space_per_capita": green,
                "connectivity": conn,
                "share_2h_reach": reach,
            }
        )
    return pd.DataFrame(rows)
