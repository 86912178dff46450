"""§3.3 energy infrastructure and wastewater plants: hand-derived values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecozone.errors import InputError, ParameterError
from ecozone.parks import (
    capacity_class,
    capacity_structure,
    cod_removal,
    efficiency_stats,
    energy_summary,
    fuel_shares,
    load_rate,
    nh3n_removal,
    wwtp_completion,
    wwtp_performance,
)


def _units():
    # park P1: 10 MW coal 0.30, 30 MW gas 0.45, 300 MW coal 0.42; park P2: 25 MW biomass (no efficiency)
    return pd.DataFrame({
        "plant_id": ["u1", "u2", "u3", "u4"],
        "park_id": ["P1", "P1", "P1", "P2"],
        "region": ["upstream", "upstream", "upstream", "downstream"],
        "unit_type": ["chp", "heat", "power", "biomass"],
        "fuel": ["coal", "Gas", "coal", "biomass"],
        "capacity_mw": [10.0, 30.0, 300.0, 25.0],
        "efficiency": [0.30, 0.45, 0.42, np.nan],
    })


def test_capacity_class_edges():
    # small < 30 ≤ medium < 300 ≤ large
    out = capacity_class([0.0, 29.999, 30.0, 299.9, 300.0, 1000.0, np.nan])
    assert out.tolist() == ["small", "small", "medium", "medium", "large", "large", None]
    assert capacity_class([50.0], bins=[60, 600]).tolist() == ["small"]
    with pytest.raises(ParameterError, match="capacity_bins_mw"):
        capacity_class([1.0], bins=[300, 30])


def test_capacity_structure_by_hand():
    out = capacity_structure(_units(), "park_id").set_index("park_id")
    p1 = out.loc["P1"]
    assert p1["n_units"] == 3 and p1["capacity_mw"] == 340.0
    assert (p1["n_units_small"], p1["n_units_medium"], p1["n_units_large"]) == (1, 1, 1)
    # 10/340, 30/340, 300/340
    assert p1["share_capacity_small"] == pytest.approx(10 / 340)
    assert p1["share_capacity_large"] == pytest.approx(300 / 340)
    assert p1["share_units_large"] == pytest.approx(1 / 3)
    assert out.loc["P2", "share_capacity_small"] == 1.0
    # all units together (the seed's 79 % / 19 % kind of figure): 300 of 365 MW large, 1 of 4 units
    allu = capacity_structure(_units(), None).iloc[0]
    assert allu["share_capacity_large"] == pytest.approx(300 / 365)
    assert allu["share_units_large"] == pytest.approx(0.25)
    assert allu["share_units_small"] == pytest.approx(0.5)


def test_fuel_shares_by_hand():
    out = fuel_shares(_units(), "region").set_index("region")
    # upstream: coal 310/340, gas 30/340
    assert out.loc["upstream", "share_capacity_coal"] == pytest.approx(310 / 340)
    assert out.loc["upstream", "share_capacity_gas"] == pytest.approx(30 / 340)
    assert out.loc["downstream", "share_capacity_biomass"] == 1.0
    shares = out.filter(like="share_capacity_").sum(axis=1)
    assert shares.tolist() == pytest.approx([1.0, 1.0])
    bad = _units()
    bad.loc[0, "fuel"] = "lignite"
    with pytest.raises(InputError, match="lignite"):
        fuel_shares(bad)


def test_efficiency_by_hand():
    out = efficiency_stats(_units(), "park_id", reference_efficiency=0.40).set_index("park_id")
    p1 = out.loc["P1"]
    # weighted: (10·0.30 + 30·0.45 + 300·0.42) / 340 = 142.5 / 340
    assert p1["efficiency_weighted"] == pytest.approx(142.5 / 340)
    assert p1["efficiency_mean"] == pytest.approx((0.30 + 0.45 + 0.42) / 3)
    # below 0.40: only the 10 MW unit → 10/340
    assert p1["share_capacity_below_reference"] == pytest.approx(10 / 340)
    assert p1["n_efficiency"] == 3
    p2 = out.loc["P2"]
    assert np.isnan(p2["efficiency_weighted"]) and "no unit gives an efficiency" in p2["note"]
    # with reference 0.43 the 300 MW unit is below too: 310/340
    r = efficiency_stats(_units(), "park_id", reference_efficiency=0.43).set_index("park_id")
    assert r.loc["P1", "share_capacity_below_reference"] == pytest.approx(310 / 340)
    bad = _units()
    bad.loc[0, "efficiency"] = 39.0
    with pytest.raises(InputError, match="fractions"):
        efficiency_stats(bad)


def test_energy_summary_joins():
    out = energy_summary(_units(), ["region"])
    assert {"share_capacity_large", "share_capacity_coal", "efficiency_weighted"} <= set(out.columns)
    assert list(out["region"]) == ["downstream", "upstream"]
    assert out.columns[-1] == "note"


def test_wwtp_formulas_by_hand():
    # 8,000 of 10,000 m3/d → 0.8; COD 400 → 40 mg/L → 0.9; NH3-N 30 → 1.5 → 0.95
    assert load_rate([8000.0], [10000.0])[0] == pytest.approx(0.8)
    assert cod_removal([400.0], [40.0])[0] == pytest.approx(0.9)
    assert nh3n_removal([30.0], [1.5])[0] == pytest.approx(0.95)
    assert np.isnan(load_rate([5.0], [0.0])[0]) and np.isnan(cod_removal([0.0], [1.0])[0])


def test_wwtp_performance_and_completion():
    wwtp = pd.DataFrame({
        "wwtp_id": ["w1", "w2", "w3"], "park_id": ["P1", "P1", "P3"],
        "design_m3_per_day": [10000.0, 0.0, 5000.0], "inflow_m3_per_day": [8000.0, 10.0, 6000.0],
        "cod_in": [400.0, np.nan, 200.0], "cod_out": [40.0, 30.0, 50.0],
        "online_monitoring": ["yes", "no", False],
    })
    perf = wwtp_performance(wwtp).set_index("wwtp_id")
    assert perf.loc["w1", "load_rate"] == pytest.approx(0.8)
    assert perf.loc["w3", "load_rate"] == pytest.approx(1.2)  # overloaded
    assert perf.loc["w3", "cod_removal"] == pytest.approx(0.75)
    assert np.isnan(perf.loc["w2", "load_rate"]) and "design capacity is 0" in perf.loc["w2", "note"]
    assert "no cod_in" in perf.loc["w2", "note"]
    assert perf["nh3n_removal"].isna().all()

    parks = pd.DataFrame({"park_id": ["P1", "P2", "P3", "P4"],
                          "region": ["upstream", "upstream", "downstream", "downstream"]})
    c = wwtp_completion(parks, wwtp, "region").set_index("region")
    # upstream: P1 has plants (one monitored) → 1/2 and 1/2; downstream: P3 has one, unmonitored
    assert c.loc["upstream", ["wwtp_completion", "monitoring_completion"]].tolist() == [0.5, 0.5]
    assert c.loc["downstream", ["wwtp_completion", "monitoring_completion"]].tolist() == [0.5, 0.0]
    total = wwtp_completion(parks, wwtp).iloc[0]
    assert (total["n_parks"], total["n_parks_wwtp"], total["wwtp_completion"]) == (4, 2, 0.5)
    no_mon = wwtp_completion(parks, wwtp.drop(columns="online_monitoring")).iloc[0]
    assert np.isnan(no_mon["monitoring_completion"]) and "online_monitoring" in no_mon["note"]


def test_negative_capacity_is_an_input_error():
    bad = _units()
    bad.loc[1, "capacity_mw"] = -3.0
    with pytest.raises(InputError, match="negative") as e:
        capacity_structure(bad)
    assert "row 3" in str(e.value)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 2000), st.sampled_from(["coal", "gas", "oil", "biomass", "waste", "other"]),
                          st.floats(0.05, 0.6)), min_size=1, max_size=30))
def test_shares_sum_to_one(rows):
    df = pd.DataFrame(rows, columns=["capacity_mw", "fuel", "efficiency"]).assign(park_id="P")
    if df["capacity_mw"].sum() == 0:
        return
    out = energy_summary(df).iloc[0]
    assert sum(out[f"share_capacity_{c}"] for c in ("small", "medium", "large")) == pytest.approx(1.0)
    assert out.filter(like="share_capacity_").drop(
        ["share_capacity_small", "share_capacity_medium", "share_capacity_large",
         "share_capacity_below_reference"]).sum() == pytest.approx(1.0)
    assert df["efficiency"].min() - 1e-12 <= out["efficiency_weighted"] <= df["efficiency"].max() + 1e-12
