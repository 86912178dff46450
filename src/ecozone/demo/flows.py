"""Synthetic flows and travel times among the demo's cities (METHODS §5.1): SYNTHETIC DEMO DATA.

For 2015 and 2020, between the prefecture-level units (``city_id``) of the
demo, a gravity model of the demo's own synthetic economy (``economy.csv``
summed to cities) and of the distance between the cities' centres (the
population-weighted mean of their counties' representative points, Albers
equal-area), with lognormal noise from a fixed seed:

- ``population``: persons per year, F = k P_i P_j / max(d, 30 km)² × noise,
  every ordered pair (like the AMap inter-city matrices); scaled so that the
  largest flow is :data:`TOP_POPULATION`;
- ``economic``: CNY per year (inter-city investment),
  F = k G_i^0.8 G_j^0.8 / max(d, 30 km)^1.5 × noise, pairs within
  :data:`ECONOMIC_KM` with at least 1 million CNY (rounded to millions);
  the largest :data:`TOP_ECONOMIC`;
- ``transport``: passenger trains per day, F = k (P_i P_j)^0.5 / max(d, 30 km)^1.5
  × noise, rounded, between the pairs a rail line serves (:func:`rail_pairs`:
  about 70 % of the pairs, the same in both directions and years) within
  :data:`TRANSPORT_KM` with at least one train; the largest :data:`TOP_TRANSPORT`.

Travel times (h) for the pairs within :data:`TRAVEL_KM`, both directions:
road = 1.3 d / 90 km/h + 0.25 h, and rail (the pairs a rail line serves) =
1.25 d / v + 0.5 h with v = 160 km/h in 2015 and 200 km/h in 2020
(high-speed lines built in between).

Deterministic: every draw comes from :func:`ecozone.demo.synthetic.rng_for`.
Nothing here is an observation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ecozone.demo.synthetic import rng_for

__all__ = [
    "FLOW_YEARS",
    "SOURCES_MD",
    "TABLES_TOML",
    "city_centres",
    "gravity_flows",
    "rail_pairs",
    "travel_times",
    "write_flows",
]

FLOW_YEARS = (2015, 2020)
#: the largest flow of each kind (persons per year, CNY per year, trains per day)
TOP_POPULATION = 2.5e7
TOP_ECONOMIC = 6e10
TOP_TRANSPORT = 320.0
ECONOMIC_KM = 900.0
TRANSPORT_KM = 700.0
TRAVEL_KM = 600.0
MIN_KM = 30.0
RAIL_KMH = {2015: 160.0, 2020: 200.0}
ROAD_KMH = 90.0


def city_centres(attrs: pd.DataFrame, econ: pd.DataFrame, years=FLOW_YEARS) -> pd.DataFrame:
    """Centre (Albers x, y in m) and GDP (CNY) and population (persons) of every city and year.

    Parameters
    ----------
    attrs:
        ``unit_id, city_id, x, y`` of every county (Albers representative points, m).
    econ:
        ``unit_id, year, gdp, population`` of the counties (CNY, persons).
    years:
        The years wanted.

    Returns
    -------
    pandas.DataFrame
        ``city_id, year, x, y, gdp, population``; the centre is the
        population-weighted mean of the counties' points of that year.
    """
    e = econ[econ["year"].isin(years)].merge(attrs[["unit_id", "city_id", "x", "y"]], on="unit_id")
    e = e.assign(px=e["x"] * e["population"], py=e["y"] * e["population"])
    g = e.groupby(["city_id", "year"], sort=True)[["gdp", "population", "px", "py"]].sum().reset_index()
    g["x"], g["y"] = g["px"] / g["population"], g["py"] / g["population"]
    return g[["city_id", "year", "x", "y", "gdp", "population"]]


def _pairs(c: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices (i, j), i ≠ j, and distances (km) of all ordered pairs of the rows of ``c``."""
    n = len(c)
    i, j = np.divmod(np.arange(n * n), n)
    keep = i != j
    i, j = i[keep], j[keep]
    x, y = c["x"].to_numpy(), c["y"].to_numpy()
    return i, j, np.hypot(x[i] - x[j], y[i] - y[j]) / 1000.0


def rail_pairs(n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Whether a rail line serves each pair (i, j) of ``n`` cities: about 70 %, symmetric, fixed seed."""
    draw = rng_for("connectivity rail").random((n, n))
    return draw[np.minimum(i, j), np.maximum(i, j)] < 0.7


def gravity_flows(centres: pd.DataFrame) -> pd.DataFrame:
    """Synthetic flows ``origin, destination, year, kind, value`` among the cities (see the module docstring).

    Parameters
    ----------
    centres:
        :func:`city_centres` (m, CNY, persons).

    Returns
    -------
    pandas.DataFrame
        One row per ordered city pair, year and kind kept; ``value`` in
        persons per year (population), CNY per year (economic) or trains per
        day (transport).
    """
    parts = []
    years = sorted(centres["year"].unique())
    first = centres[centres["year"] == years[0]].reset_index(drop=True)
    i, j, d = _pairs(first)
    dd = np.maximum(d, MIN_KM)
    rail = rail_pairs(len(first), i, j)
    rng = rng_for("connectivity flows")
    base = {k: rng.lognormal(0.0, s, len(i)) for k, s in (("population", 0.35), ("economic", 0.6),
                                                           ("transport", 0.3))}
    scale: dict[str, float] = {}
    for y in years:
        c = centres[centres["year"] == y].set_index("city_id").reindex(first["city_id"])
        p, g = c["population"].to_numpy(float), c["gdp"].to_numpy(float)
        ids = first["city_id"].to_numpy()
        yearly = {k: rng.lognormal(0.0, 0.08, len(i)) for k in base}
        raw = {
            "population": p[i] * p[j] / dd**2,
            "economic": np.where(d <= ECONOMIC_KM, g[i] ** 0.8 * g[j] ** 0.8 / dd**1.5, 0.0),
            "transport": np.where((d <= TRANSPORT_KM) & rail, np.sqrt(p[i] * p[j]) / dd**1.5, 0.0),
        }
        for k, r in raw.items():
            v = r * base[k] * yearly[k]
            if k not in scale:  # the first year sets the scale: later years grow with the economy
                top = {"population": TOP_POPULATION, "economic": TOP_ECONOMIC, "transport": TOP_TRANSPORT}[k]
                scale[k] = top / v.max()
            v = v * scale[k]
            v = np.round(v, {"population": -1, "economic": -6, "transport": 0}[k])
            keep = v > 0 if k != "population" else np.ones(len(v), bool)
            parts.append(pd.DataFrame({"origin": ids[i[keep]], "destination": ids[j[keep]], "year": int(y),
                                       "kind": k, "value": v[keep]}))
    return pd.concat(parts, ignore_index=True)


def travel_times(centres: pd.DataFrame) -> pd.DataFrame:
    """Synthetic travel times ``origin, destination, year, mode, hours`` (h) among cities within TRAVEL_KM."""
    years = sorted(centres["year"].unique())
    first = centres[centres["year"] == years[0]].reset_index(drop=True)
    i, j, d = _pairs(first)
    near = d <= TRAVEL_KM
    i, j, d = i[near], j[near], d[near]
    ids = first["city_id"].to_numpy()
    rng = rng_for("connectivity travel times")
    rail = rail_pairs(len(ids), i, j)
    jitter = rng.uniform(0.95, 1.1, len(i))
    parts = []
    for y in years:
        road = 1.3 * d / ROAD_KMH * jitter + 0.25
        parts.append(pd.DataFrame({"origin": ids[i], "destination": ids[j], "year": int(y), "mode": "road",
                                   "hours": np.round(road, 2)}))
        kmh = RAIL_KMH.get(int(y), RAIL_KMH[max(RAIL_KMH)])
        rt = 1.25 * d / kmh * jitter + 0.5
        parts.append(pd.DataFrame({"origin": ids[i][rail], "destination": ids[j][rail], "year": int(y),
                                   "mode": "rail", "hours": np.round(rt[rail], 2)}))
    return pd.concat(parts, ignore_index=True)


def write_flows(folder: Path, attrs: pd.DataFrame, econ: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Write ``tables/flows.csv`` and ``tables/travel_times.csv`` into ``folder``; return the tables."""
    centres = city_centres(attrs, econ)
    tables = {"flows": gravity_flows(centres), "travel_times": travel_times(centres)}
    tdir = Path(folder) / "tables"
    tdir.mkdir(exist_ok=True)
    for name, df in tables.items():
        df.to_csv(tdir / f"{name}.csv", index=False, lineterminator="\n")
    return tables


TABLES_TOML = (
    'flows = "tables/flows.csv"                 # synthetic: gravity model among the cities\n'
    'travel_times = "tables/travel_times.csv"   # synthetic: distance / mode speed\n'
)

SOURCES_MD = """
## Inter-city flows and travel times (SYNTHETIC DEMO DATA)

`tables/flows.csv` (`origin, destination, year, kind, value`) and
`tables/travel_times.csv` (`origin, destination, year, mode, hours`) are
synthetic (`ecozone.demo.flows`), for 2015 and 2020, between the
prefecture-level units: a gravity model of the demo's synthetic GDP and
population (summed to cities) and of the distance between the cities'
population-weighted centres, with lognormal noise from a fixed seed.
`population`: persons per year, every ordered pair (P_i P_j / d²);
`economic`: CNY per year, pairs within 900 km with at least 1 million CNY
(G_i^0.8 G_j^0.8 / d^1.5);
`transport`: trains per day on the pairs a rail line serves (about 70 %)
within 700 km, at least one train (√(P_i P_j) / d^1.5). Travel times for
pairs within 600 km: road 1.3 d / 90 km/h + 0.25 h; rail on the same rail
pairs, 1.25 d / v + 0.5 h with v = 160 km/h (2015) and 200 km/h (2020). Not observations: real inter-city flows
(e.g. AMap or Tencent migration, enterprise investment, train timetables)
replace them in a real study.
"""
