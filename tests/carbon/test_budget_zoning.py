"""Carbon budget, indices and zones (METHODS §2.4) against hand computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecozone.carbon.budget import budget_totals, carbon_budget, emissions_to_tc, percent_changes
from ecozone.carbon.zoning import (
    ZONES,
    assign_zones,
    classify_zones,
    transition_matrix,
    zone_summary,
    zone_transitions,
)
from ecozone.errors import InputError


def test_emissions_to_tc():
    assert emissions_to_tc(44.0, "t CO2") == pytest.approx(12.0)
    assert emissions_to_tc(1.0, "Mt CO2") == pytest.approx(1e6 * 12 / 44)
    assert emissions_to_tc(5.0, "t C") == 5.0
    s = emissions_to_tc(pd.Series([44.0, 2.0, 1.0]), pd.Series(["t CO2", "t C", "Mt CO2"]))
    np.testing.assert_allclose(s, [12.0, 2.0, 272727.2727272727])
    with pytest.raises(InputError, match="kg CO2"):
        emissions_to_tc(1.0, "kg CO2")


def _three_units():
    return pd.DataFrame(
        {
            "unit_id": ["a", "b", "c"],
            "year": 2020,
            "ce": [100.0, 50.0, 30.0],
            "cs": [20.0, 80.0, -5.0],
            "gdp": [500.0, 100.0, 400.0],
        }
    )


def test_budget_indices_by_hand():
    b = carbon_budget(_three_units()).set_index("unit_id")
    ce_t, cs_t, g_t = 180.0, 95.0, 1000.0
    assert b.loc["a", "cb"] == 80.0 and b.loc["b", "cb"] == -30.0 and b.loc["c", "cb"] == 35.0
    assert b.loc["a", "cbi"] == pytest.approx(5.0)
    assert b.loc["b", "cbi"] == pytest.approx(0.625)
    assert np.isnan(b.loc["c", "cbi"]) and bool(b.loc["c", "net_source_ecosystem"])
    assert not b.loc["a", "net_source_ecosystem"]
    assert b.loc["a", "ecc"] == pytest.approx((500 / g_t) / (100 / ce_t))
    assert b.loc["a", "esc"] == pytest.approx((20 / cs_t) / (100 / ce_t))
    assert b.loc["b", "esc"] == pytest.approx((80 / cs_t) / (50 / ce_t))
    assert b.loc["c", "esc"] == pytest.approx((-5 / cs_t) / (30 / ce_t))
    assert list(b["budget_state"]) == ["carbon_deficit", "carbon_surplus", "carbon_deficit"]
    z = assign_zones(carbon_budget(_three_units())).set_index("unit_id")["zone"]
    assert z["a"] == "high_carbon_optimisation"  # CS<CE, ESC 0.38, ECC 0.9
    assert z["b"] == "carbon_sink"  # CS>CE, ESC 3.03
    assert z["c"] == "carbon_intensity_control"  # CS ≤ 0: ESC < 0 < 1, ECC 2.4


def test_budget_state_balance():
    df = pd.DataFrame({"unit_id": ["a", "b"], "year": 2020, "ce": [10.0, 5.0], "cs": [10.0, 1.0]})
    assert carbon_budget(df)["budget_state"].tolist() == ["carbon_balance", "carbon_deficit"]


@pytest.mark.parametrize(
    "cs, ce, esc, ecc, zone",
    [
        (10, 5, 1.5, 0.2, "carbon_sink"),
        (10, 5, 1.0, 0.2, "carbon_sink"),  # ESC tie at 1 counts as > 1
        (10, 5, 0.99, 5.0, "unclassified"),  # CS > CE with ESC < 1
        (5, 10, 1.5, 1.5, "low_carbon_economic"),
        (5, 10, 1.0, 1.0, "low_carbon_economic"),  # both ties
        (5, 10, 1.5, 0.99, "low_carbon_optimisation"),
        (5, 10, 0.99, 1.5, "carbon_intensity_control"),
        (5, 10, 0.99, 1.0, "carbon_intensity_control"),  # ECC tie
        (5, 10, 0.5, 0.5, "high_carbon_optimisation"),
        (10, 10, 1.2, 0.5, "low_carbon_optimisation"),  # CS = CE belongs to CS ≤ CE
        (-3, 10, -0.2, 0.5, "high_carbon_optimisation"),  # CS ≤ 0
        (5, 10, 1 - 1e-14, 1 - 1e-14, "low_carbon_economic"),  # floating-point ties
        (5, 10, np.nan, 1.5, "unclassified"),
        (5, 10, 1.5, np.nan, "unclassified"),
        (np.nan, 10, 1.5, 1.5, "unclassified"),
    ],
)
def test_every_row_of_table_3(cs, ce, esc, ecc, zone):
    z, note = classify_zones([cs], [ce], [esc], [ecc])
    assert z[0] == zone
    assert (note[0] != "") == (zone == "unclassified")


def test_unclassified_is_reported_through_budget():
    # unit a: CS > CE but its share of CS is smaller than its share of CE
    df = pd.DataFrame(
        {
            "unit_id": ["a", "b"],
            "year": 2020,
            "ce": [10.0, 1.0],
            "cs": [12.0, 50.0],
            "gdp": [1.0, 1.0],
        }
    )
    z = assign_zones(carbon_budget(df)).set_index("unit_id")
    assert z.loc["a", "esc"] == pytest.approx((12 / 62) / (10 / 11))
    assert z.loc["a", "zone"] == "unclassified" and "ESC < 1" in z.loc["a", "zone_note"]
    assert z.loc["b", "zone"] == "carbon_sink"


def test_exact_ties_through_budget():
    # equal shares of CS, CE and G → ESC = ECC = 1; CS < CE
    df = pd.DataFrame(
        {
            "unit_id": ["a", "b", "c"],
            "year": 2020,
            "ce": [0.1, 0.2, 0.7],
            "cs": [0.03, 0.06, 0.21],
            "gdp": [1.0, 2.0, 7.0],
        }
    )
    z = assign_zones(carbon_budget(df))
    np.testing.assert_allclose(z["esc"], 1.0, rtol=1e-12)
    np.testing.assert_allclose(z["ecc"], 1.0, rtol=1e-12)
    assert (z["zone"] == "low_carbon_economic").all()


def test_totals_per_level_and_year():
    df = pd.concat(
        [
            _three_units().assign(level="city"),
            _three_units().assign(level="county", ce=[1.0, 2.0, 3.0]),
        ]
    )
    b = carbon_budget(df)
    assert (b.loc[b.level == "city", "ce_total"] == 180.0).all()
    assert (b.loc[b.level == "county", "ce_total"] == 6.0).all()
    t = budget_totals(b).set_index("level")
    assert t.loc["city", "cb"] == 85.0 and t.loc["city", "cbi"] == pytest.approx(180 / 95)


def test_percent_changes():
    df = pd.DataFrame(
        {
            "unit_id": "a",
            "year": [2005, 2010, 2015],
            "ce": [100.0, 150.0, 120.0],
            "cs": [50.0, 50.0, 60.0],
        }
    )
    b = carbon_budget(df)
    ch = percent_changes(b)
    assert ch["year_from"].tolist() == [2005, 2010] and ch["year_to"].tolist() == [2010, 2015]
    assert ch["ce_pct"].tolist() == pytest.approx([50.0, -20.0])
    assert ch["cb_pct"].tolist() == pytest.approx([100.0, -40.0])  # 50→100→60
    assert ch["cbi_pct"].tolist() == pytest.approx([50.0, -33.333333333])
    neg = percent_changes(
        pd.DataFrame({"unit_id": "a", "year": [1, 2], "cb": [-10.0, -5.0]}), columns=["cb"]
    )
    assert neg["cb_pct"].iloc[0] == pytest.approx(50.0)  # surplus shrank: CB rose


def _zoned():
    return pd.DataFrame(
        {
            "unit_id": ["a", "b", "c", "a", "b", "c"],
            "year": [2005] * 3 + [2010] * 3,
            "zone": [
                "carbon_sink",
                "carbon_sink",
                "high_carbon_optimisation",
                "carbon_sink",
                "low_carbon_economic",
                "high_carbon_optimisation",
            ],
            "area_km2": [100.0, 300.0, 600.0] * 2,
        }
    )


def test_zone_summary_counts_and_shares():
    s = zone_summary(_zoned())
    assert len(s) == 2 * len(ZONES)
    y05 = s[s.year == 2005].set_index("zone")
    assert y05.loc["carbon_sink", "count"] == 2
    assert y05.loc["carbon_sink", "area_share"] == pytest.approx(0.4)
    assert y05.loc["unclassified", "count"] == 0
    assert s.groupby("year")["area_share"].sum().tolist() == pytest.approx([1.0, 1.0])


def test_zone_transitions():
    t = zone_transitions(_zoned())
    row = t[(t.zone_from == "carbon_sink") & (t.zone_to == "low_carbon_economic")]
    assert row["count"].tolist() == [1] and row["area_km2"].tolist() == [300.0]
    assert t["count"].sum() == 3
    m = transition_matrix(_zoned(), 2005, 2010)
    assert m.shape == (6, 6)
    assert m.loc["carbon_sink", "carbon_sink"] == 1
    assert m.loc["carbon_sink", "low_carbon_economic"] == 1
    assert m.loc["high_carbon_optimisation", "high_carbon_optimisation"] == 1
    assert m.values.sum() == 3
