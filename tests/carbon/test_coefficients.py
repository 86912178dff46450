"""Coefficient method of carbon sinks (METHODS §2.3)."""

from __future__ import annotations

import pandas as pd
import pytest

from ecozone.carbon.coefficients import coefficient_sinks, coefficient_sinks_by_class
from ecozone.carbon.tables import load_coefficients, load_landcover_table
from ecozone.errors import ParameterError


def test_hand_computed_sink():
    # unit a: 100 ha forest (21), 50 ha paddy (11), 10 ha lake (42), 20 ha urban (51), 4 ha sandy (61)
    areas = pd.DataFrame(
        {
            "unit_id": ["a"] * 5 + ["b"],
            "year": 2020,
            "code": [21, 11, 42, 51, 61, 31],
            "area_m2": [100e4, 50e4, 10e4, 20e4, 4e4, 1e6],
        }
    )
    cs = coefficient_sinks(areas, load_landcover_table("resdc"), load_coefficients()).set_index(
        "unit_id"
    )
    expect_a = 100 * 0.644 + 10 * 0.253 + 4 * 0.005 - 50 * 0.422
    assert cs.loc["a", "cs_coefficient"] == pytest.approx(expect_a, rel=1e-12)
    assert cs.loc["b", "cs_coefficient"] == pytest.approx(100 * 0.021, rel=1e-12)
    by = coefficient_sinks_by_class(areas, load_landcover_table("resdc"), load_coefficients())
    row = by[(by.unit_id == "a") & (by.coefficient_class == "cropland")].iloc[0]
    assert row["area_ha"] == pytest.approx(50.0) and row["cs_tc"] == pytest.approx(-21.1)


def test_unknown_code_is_named():
    areas = pd.DataFrame({"unit_id": ["a"], "code": [77], "area_ha": [1.0]})
    with pytest.raises(ParameterError, match="77"):
        coefficient_sinks(areas, load_landcover_table("resdc"), load_coefficients())
