"""``[parks]`` parameters (METHODS §3): defaults and validation."""

from __future__ import annotations

import pydantic
import pytest

from ecozone.parks import ParksParams


def test_defaults_follow_methods():
    p = ParksParams()
    assert p.shoreline_m == 1000.0
    assert p.base_year is None
    assert p.capacity_bins_mw == [30.0, 300.0]
    assert p.reference_efficiency == 0.40
    assert p.gdi_table is None
    # every field documents itself
    assert all(f.description for f in ParksParams.model_fields.values())


@pytest.mark.parametrize(
    "bad",
    [
        {"shoreline_m": 0},
        {"capacity_bins_mw": [300, 30]},
        {"capacity_bins_mw": [30]},
        {"reference_efficiency": 1.5},
        {"shoreline": 1000},  # unknown key
    ],
)
def test_invalid(bad):
    with pytest.raises(pydantic.ValidationError):
        ParksParams(**bad)


def test_values_from_a_study_file():
    p = ParksParams(shoreline_m=500, base_year=2015, capacity_bins_mw=[25, 200], reference_efficiency=0.385)
    assert (p.shoreline_m, p.base_year, p.capacity_bins_mw, p.reference_efficiency) == (500.0, 2015, [25.0, 200.0], 0.385)
