"""Coefficient method of carbon sinks (METHODS §2.3), the estimate the seed contrasts with CASA.

CS_i = − Σ_class area_class × δ_class   (t C yr-1)

with δ (t C ha-1 yr-1) from :func:`~ecozone.carbon.tables.load_coefficients`
in the sign convention of the literature (negative = sink: forest −0.644,
grassland −0.021, water −0.253, unused land −0.005; cropland +0.422 is a
source). The minus sign makes CS positive for a net sink, like the NEP-based
CS, so the two estimates can be reported side by side. Land-cover codes are
grouped into coefficient classes by the land-cover table's
``coefficient_class`` column; classes without a coefficient (built-up land,
whose emissions are the energy emissions CE) contribute nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecozone.errors import InputError, ParameterError

_AREA_COLUMNS = {"area_m2": 1e-4, "area_ha": 1.0, "area_km2": 100.0}


def coefficient_sinks_by_class(
    class_areas: pd.DataFrame, landcover_table: pd.DataFrame, coefficients: pd.DataFrame
) -> pd.DataFrame:
    """Carbon sink of each coefficient class in each unit.

    ``class_areas``: ``unit_id, code`` and one of ``area_m2``, ``area_ha``,
    ``area_km2`` (true areas, from the zonal module), plus any key columns
    such as ``year`` or ``level``. Returns the keys, ``coefficient_class``,
    ``area_ha``, ``delta_tc_per_ha_yr`` and ``cs_tc`` = −area × δ (t C yr-1,
    positive = sink).
    """
    area_col = next((c for c in _AREA_COLUMNS if c in class_areas.columns), None)
    if (
        area_col is None
        or "code" not in class_areas.columns
        or "unit_id" not in class_areas.columns
    ):
        raise InputError(
            "class areas need columns unit_id, code and area_m2 (or area_ha, area_km2)",
            where="coefficient method",
            fix="tabulate land-cover class areas per unit first",
        )
    keys = [c for c in class_areas.columns if c not in ("code", area_col)]
    df = class_areas.copy()
    df["area_ha"] = df[area_col].astype(float) * _AREA_COLUMNS[area_col]
    cls = landcover_table.set_index("code")["coefficient_class"]
    unknown = sorted(set(df["code"].astype(int)) - set(cls.index))
    if unknown:
        raise ParameterError(
            f"land-cover code(s) {unknown} are not in the land-cover table",
            where="[carbon] landcover_classes",
            fix="give the legend of your land-cover rasters or add the codes to your table",
        )
    df["coefficient_class"] = df["code"].astype(int).map(cls).fillna("")
    df = df[df["coefficient_class"] != ""]
    delta = coefficients.set_index("coefficient_class")["delta_tc_per_ha_yr"]
    missing = sorted(set(df["coefficient_class"]) - set(delta.index))
    if missing:
        raise ParameterError(
            f"coefficient class(es) {missing} of the land-cover table have no coefficient",
            where="[carbon.coefficients] table",
            fix="add them to the coefficient table (delta_tc_per_ha_yr; 0 for none)",
        )
    out = df.groupby([*keys, "coefficient_class"], sort=True, as_index=False)["area_ha"].sum()
    out["delta_tc_per_ha_yr"] = out["coefficient_class"].map(delta).astype(float)
    out["cs_tc"] = -out["area_ha"] * out["delta_tc_per_ha_yr"]
    return out


def coefficient_sinks(
    class_areas: pd.DataFrame, landcover_table: pd.DataFrame, coefficients: pd.DataFrame
) -> pd.DataFrame:
    """CS per unit by the coefficient method: keys of ``class_areas`` and
    ``cs_coefficient`` (t C yr-1, positive = net sink)."""
    by = coefficient_sinks_by_class(class_areas, landcover_table, coefficients)
    keys = [
        c
        for c in by.columns
        if c not in ("coefficient_class", "area_ha", "delta_tc_per_ha_yr", "cs_tc")
    ]
    t = by.groupby(keys, sort=True, as_index=False)["cs_tc"].sum()
    return t.rename(columns={"cs_tc": "cs_coefficient"}).astype({"cs_coefficient": np.float64})
