"""Standards shipped as data (METHODS §1.7) and the parameter model."""

import pytest
from pydantic import ValidationError

from ecozone.capacity.params import CapacityParams
from ecozone.capacity.standards import (
    air_limits,
    air_limits_by_year,
    coordination_grades,
    gb3095_table,
    gb3838_table,
    water_limits,
)
from ecozone.errors import ParameterError

# METHODS §1.7, typed by hand
GB3095_2012_II = {"PM2.5": 35, "PM10": 70, "NO2": 40, "SO2": 60, "CO": 4, "O3": 160}
GB3095_2012_I = {"PM2.5": 15, "PM10": 40, "NO2": 40, "SO2": 20, "CO": 4, "O3": 100}
GB3095_2026_TRANSITION = {"PM2.5": 30, "PM10": 60, "NO2": 40, "SO2": 60, "CO": 4, "O3": 160}
GB3095_2026_FINAL = {"PM2.5": 25, "PM10": 50, "NO2": 30, "SO2": 20, "CO": 4, "O3": 160}
GB3838 = {  # pollutant: (river I..V, lake I..V)
    "COD": ([15, 15, 20, 30, 40],) * 2,
    "CODMn": ([2, 4, 6, 10, 15],) * 2,
    "BOD5": ([3, 3, 4, 6, 10],) * 2,
    "NH3-N": ([0.15, 0.5, 1.0, 1.5, 2.0],) * 2,
    "TP": ([0.02, 0.1, 0.2, 0.3, 0.4], [0.01, 0.025, 0.05, 0.1, 0.2]),
    "TN": ([0.2, 0.5, 1.0, 1.5, 2.0],) * 2,  # rivers use the lake limits by default
}


def test_gb3095_2012_grades():
    assert air_limits("GB3095-2012", "II").to_dict() == GB3095_2012_II
    assert air_limits("GB3095-2012", "I").to_dict() == GB3095_2012_I


def test_gb3095_2026_phases_by_year_and_by_parameter():
    assert air_limits("GB3095-2026", "II", year=2030).to_dict() == GB3095_2026_TRANSITION
    assert air_limits("GB3095-2026", "II", year=2031).to_dict() == GB3095_2026_FINAL
    assert air_limits("GB3095-2026", "II", year=2027, phase="final").to_dict() == GB3095_2026_FINAL
    assert air_limits("GB3095-2026", "II", year=2035, phase="transition").to_dict() == GB3095_2026_TRANSITION
    by_year = air_limits_by_year([2030, 2031], "GB3095-2026", "II").set_index(["year", "pollutant"])["limit"]
    assert by_year[(2030, "PM2.5")] == 30 and by_year[(2031, "PM2.5")] == 25


def test_2026_grade_i_not_shipped_is_a_parameter_error_unless_overridden():
    with pytest.raises(ParameterError) as e:
        air_limits("GB3095-2026", "I", year=2027)
    assert "limits" in e.value.fix
    full = {"PM2.5": 10, "PM10": 40, "NO2": 30, "SO2": 20, "CO": 4, "O3": 100}
    assert air_limits("GB3095-2026", "I", year=2027, overrides=full).to_dict() == full


def test_override_one_limit():
    s = air_limits("GB3095-2012", "II", overrides={"PM2.5": 10})
    assert s["PM2.5"] == 10 and s["PM10"] == 70


def test_gb3838_limits_with_tn_at_rivers():
    t = water_limits().set_index(["pollutant", "waterbody", "target_class"])["limit"]
    for pol, (river, lake) in GB3838.items():
        for k, cls in enumerate(["I", "II", "III", "IV", "V"]):
            assert t[(pol, "river", cls)] == river[k]
            assert t[(pol, "lake", cls)] == lake[k]
    skip = water_limits(tn_rivers="skip")
    assert not ((skip["pollutant"] == "TN") & (skip["waterbody"] == "river")).any()
    assert ((skip["pollutant"] == "TN") & (skip["waterbody"] == "lake")).sum() == 5


def test_every_table_cites_its_source():
    for t in (gb3095_table(), gb3838_table(), coordination_grades()):
        assert "source" in t.columns
        assert (t["source"].str.len() > 10).all()


def test_grade_table_has_ten_grades_in_both_languages():
    g = coordination_grades()
    assert list(g["grade"]) == list(range(1, 11))
    assert g["d_min"].tolist() == pytest.approx([i / 10 for i in range(10)])
    assert g.loc[0, "name_zh"] == "极度失调" and g.loc[9, "name_en"] == "high-quality coordination"


def test_params_defaults_are_the_papers():
    p = CapacityParams()
    assert (p.air.standard, p.air.grade, p.air.aggregation) == ("GB3095-2012", "II", "area")
    assert (p.air.critical_threshold, p.water.critical_threshold) == (-0.2, -0.3)
    assert p.water.tn_rivers == "lake_limits"
    assert (p.coupling.regional_gdp, p.coupling.critical_as) == ("total", "non-overload")
    assert p.coupling.normalisation == "shifted"  # METHODS §1.6 default
    assert (p.typing.weights, p.typing.classes, p.typing.a, p.typing.b) == ("entropy", "jenks", 0.5, 0.5)
    for model in (p.air, p.water, p.coupling, p.typing):
        for name, f in type(model).model_fields.items():
            assert f.description, f"{type(model).__name__}.{name} has no description"


@pytest.mark.parametrize(
    "data",
    [
        {"air": {"grade": "III"}},
        {"air": {"aggregation": "median"}},
        {"air": {"limits": {"PM1": 5}}},
        {"water": {"tn_rivers": "river_limits"}},
        {"typing": {"a": 0.7, "b": 0.5}},
        {"typing": {"classes": [0.6, 0.3]}},
        {"typing": {"weights": {"gdp": -1}}},
        {"coupling": {"regional_gdp": "median"}},
        {"coupling": {"normalisation": "zscore"}},
        {"air": {"unknown_key": 1}},
    ],
)
def test_bad_params_rejected(data):
    with pytest.raises(ValidationError):
        CapacityParams.model_validate(data)
