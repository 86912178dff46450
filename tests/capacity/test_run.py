"""run_capacity end to end on a hand-made hierarchy (every number derived by
hand below) and on the small study's real Units."""

import math
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from ecozone.capacity.hierarchy import Hierarchy
from ecozone.capacity.params import CapacityParams
from ecozone.capacity.run import CAPACITY_COLUMNS, run_capacity
from ecozone.errors import InputError, MissingInputs, ParameterError

sys.path.insert(0, str(Path(__file__).parents[1]))

O, C, N = "overload", "critical", "non-overload"  # noqa: E741
REQUIRED = ["level", "unit_id", "year", "r_air", "r_water", "r_total", "state_air", "state_water", "state",
            "media", "n_sections", "n_pollutants", "gdp_per_capita", "quadrant", "type", "dev_index",
            "coupling_c", "coupling_d", "coupling_grade"]


def hier():
    # counties a–f (1 km² each); cities C1 {a, b}, C2 {c, d}, C3 {e}, C4 {f};
    # agglomerations G1 {C1, C2}, G2 {C3}, G3 {C4}
    finest = pd.DataFrame(
        {"unit_id": list("abcdef"), "city": ["C1", "C1", "C2", "C2", "C3", "C4"],
         "agglomeration": ["G1", "G1", "G1", "G1", "G2", "G3"]}
    )
    return Hierarchy.from_finest(finest, ["county", "city", "agglomeration"])


def tables():
    pm = {"a": 52.5, "b": 17.5, "c": 35.0, "d": 21.0, "e": 28.0, "f": 70.0}  # R: .5 −.5 0 −.4 −.2 1
    air = pd.DataFrame({"unit_id": list(pm), "year": 2016, "pollutant": "PM2.5", "value": list(pm.values()),
                        "unit": "ug/m3"})
    water = pd.DataFrame([("S1", "a", 2016, "river", "III", "COD", 30.0)],  # R = 0.5
                         columns=["section_id", "unit_id", "year", "waterbody", "target_class", "pollutant", "value"])
    gdp = {"a": 300.0, "b": 100.0, "c": 50.0, "d": 50.0, "e": 90.0, "f": 10.0}
    economy = pd.DataFrame({"unit_id": list(gdp), "year": 2016, "gdp": list(gdp.values()), "population": 1.0})
    development = pd.DataFrame({"unit_id": ["G1", "G2", "G3"], "year": 2016, "gdp": [3.0, 1.0, 2.0]})
    eco = pd.DataFrame({"unit_id": ["e"], "zone_type": ["water conservation"]})
    return {"air": air, "water": water, "economy": economy, "development": development,
            "ecological_function": eco}


@pytest.fixture(scope="module")
def result():
    return run_capacity(hier(), tables(), CapacityParams())


def row(cap, level, uid):
    r = cap[(cap["level"] == level) & (cap["unit_id"] == uid)]
    assert len(r) == 1
    return r.iloc[0]


def test_columns(result):
    cap = result["capacity"]
    assert all(c in cap.columns for c in REQUIRED)
    assert list(cap.columns) == CAPACITY_COLUMNS
    assert set(result) >= {"capacity", "capacity_shares", "capacity_pollutants"}


def test_indices_and_states_at_every_level(result):
    cap = result["capacity"]
    a = row(cap, "county", "a")
    assert (a["r_air"], a["r_water"], a["r_total"]) == pytest.approx((0.5, 0.5, 0.5))
    assert (a["state_air"], a["state_water"], a["state"], a["media"]) == (O, O, O, "air+water")
    assert (a["n_sections"], a["n_pollutants"]) == (1, 1)
    b = row(cap, "county", "b")
    assert (b["state"], b["media"], b["n_sections"]) == (N, "air", 0)
    assert row(cap, "county", "c")["state"] == C  # R = 0 exactly
    assert row(cap, "county", "e")["state"] == N  # R = −0.2 exactly
    c1 = row(cap, "city", "C1")  # PM2.5 (52.5 + 17.5)/2 = 35 → 0 → critical; water 0.5 → overload
    assert c1["r_air"] == pytest.approx(0.0)
    assert (c1["state_air"], c1["state_water"], c1["state"]) == (C, O, O)
    g1 = row(cap, "agglomeration", "G1")  # PM2.5 (35·2 + 28·2)/4 = 31.5 → −0.1
    assert g1["r_air"] == pytest.approx(-0.1)
    assert g1["r_total"] == pytest.approx(0.5) and g1["state"] == O
    assert "missing" not in g1["notes"]


def test_shares_and_majority(result):
    sh = result["capacity_shares"]
    g1 = sh[(sh["level"] == "agglomeration") & (sh["unit_id"] == "G1") & (sh["medium"] == "total")]
    g1 = g1.set_index("member_level")
    # cities: C1 overload, C2 non-overload → tied
    assert (g1.loc["city", "n_members"], g1.loc["city", "n_overload"], g1.loc["city", "n_non_overload"]) == (2, 1, 1)
    assert g1.loc["city", "state_majority"] == "tied"
    # counties a O, b N, c C, d N → 25 / 25 / 50 %, 3 of 4 not overloaded
    assert g1.loc["county", ["share_overload", "share_critical", "share_non_overload"]].tolist() == pytest.approx(
        [25.0, 25.0, 50.0])
    assert g1.loc["county", "state_majority"] == N


def test_quadrants_and_fifth_type(result):
    cap = result["capacity"]
    # per-capita GDP: C1 200, C2 50, C3 90, C4 10; regional 600/6 = 100
    got = {u: row(cap, "city", u) for u in ("C1", "C2", "C3", "C4")}
    assert [got[u]["gdp_per_capita"] for u in got] == pytest.approx([200, 50, 90, 10])
    assert got["C1"]["quadrant"] == "high–overload"
    assert got["C2"]["quadrant"] == "low–non-overload"
    assert got["C3"]["quadrant"] == "low–non-overload" and got["C3"]["type"] == "key-ecological-zone"
    assert got["C4"]["type"] == "low–overload"
    assert row(cap, "county", "a")["quadrant"] is None


def test_agglomeration_typing_and_coupling(result):
    cap = result["capacity"]
    g = {u: row(cap, "agglomeration", u) for u in ("G1", "G2", "G3")}
    # U1 from gdp [3, 1, 2], shifted min–max (default): 0.01 + 0.99·(x − 1)/2 → 1, 0.01, 0.505
    assert [g[u]["dev_index"] for u in g] == pytest.approx([1.0, 0.01, 0.505])
    assert g["G1"]["type"] == "mature–tied"
    assert g["G2"]["type"] == "incubating–non-overload"
    assert g["G3"]["type"] == "fast-growing–overload"
    # U2 from −R: R = 0.5, −0.2, 1.0 → −R = −0.5, 0.2, −1 (range 1.2) → 0.01 + 0.99·(0.5/1.2, 1, 0)
    u2 = {"G1": 0.01 + 0.99 * 0.5 / 1.2, "G2": 1.0, "G3": 0.01}  # 0.4225, 1, 0.01
    u1 = {"G1": 1.0, "G2": 0.01, "G3": 0.505}
    for u in g:
        assert g[u]["env_index"] == pytest.approx(u2[u])
        c = 2 * math.sqrt(u1[u] * u2[u]) / (u1[u] + u2[u])
        assert g[u]["coupling_c"] == pytest.approx(c)
        assert g[u]["coupling_d"] == pytest.approx(math.sqrt(c * 0.5 * (u1[u] + u2[u])))
    # G1: C = 2·√0.4225/1.4225 = 1.3/1.4225, T = 1.4225/2, so D = √(C·T) = √0.65 = 0.80623
    assert g["G1"]["coupling_d"] == pytest.approx(math.sqrt(0.65))
    assert g["G1"]["coupling_grade"] == "good-coordination"
    # G2, the least developed: C = 0.2/1.01, T = 0.505, D = √0.1 = 0.3162, no longer 0
    assert g["G2"]["coupling_d"] == pytest.approx(math.sqrt(0.1))
    assert g["G2"]["coupling_grade"] == "mild-disorder"


def test_agglomeration_coupling_with_plain_minmax():
    p = CapacityParams.model_validate({"coupling": {"normalisation": "minmax"}})
    cap = run_capacity(hier(), tables(), p)["capacity"]
    g = {u: row(cap, "agglomeration", u) for u in ("G1", "G2", "G3")}
    # U1 from gdp [3, 1, 2] → 1, 0, 0.5
    assert [g[u]["dev_index"] for u in g] == pytest.approx([1.0, 0.0, 0.5])
    assert g["G3"]["type"] == "fast-growing–overload"  # the same classes as shifted
    # U2 = minmax(−R): R = 0.5, −0.2, 1.0 → −R = −0.5, 0.2, −1 → 0.5/1.2, 1, 0
    u2 = 0.5 / 1.2
    c = 2 * math.sqrt(1.0 * u2) / (1.0 + u2)
    assert g["G1"]["coupling_c"] == pytest.approx(c)
    assert g["G1"]["coupling_d"] == pytest.approx(math.sqrt(c * 0.5 * (1 + u2)))  # 0.8034
    assert g["G1"]["coupling_grade"] == "good-coordination"
    assert g["G2"]["coupling_d"] == 0.0 and g["G2"]["coupling_grade"] == "extreme-disorder"


def test_city_coupling_falls_back_to_gdp_per_capita(result):
    cap = result["capacity"]
    c2 = row(cap, "city", "C2")
    # per-capita GDP C1 200, C2 50, C3 90, C4 10 → shifted: 0.01 + 0.99·(50 − 10)/(200 − 10)
    u1 = 0.01 + 0.99 * 40 / 190  # 0.21842
    assert c2["dev_index"] == pytest.approx(u1)
    assert row(cap, "city", "C4")["dev_index"] == pytest.approx(0.01)
    # R: C1 .5, C2 −.2, C3 −.2, C4 1 → −R max at C2 → U2(C2) = 1
    assert c2["env_index"] == pytest.approx(1.0)
    assert c2["coupling_d"] == pytest.approx(math.sqrt(2 * math.sqrt(u1) / (1 + u1) * (u1 + 1) / 2))
    assert "gdp_per_capita" in c2["notes"]
    d = cap.loc[cap["coupling_d"].notna(), "coupling_d"]
    assert len(d) >= 7 and (d > 0).all()  # 4 cities and 3 agglomerations, none at 0


def test_equal_indices_normalise_to_one():
    t = tables()
    t["development"] = pd.DataFrame({"unit_id": ["G1", "G2", "G3"], "year": 2016, "gdp": [3.0, 1.0, 2.0]})
    # every agglomeration at PM2.5 35 (R = 0) and no water: −R all equal → U2 = 1
    t["air"]["value"] = 35.0
    del t["water"]
    cap = run_capacity(hier(), t)["capacity"]
    g = cap[cap["level"] == "agglomeration"]
    assert g["env_index"].tolist() == pytest.approx([1.0, 1.0, 1.0])


def test_pollutant_table(result):
    p = result["capacity_pollutants"]
    x = p[(p["unit_id"] == "G1") & (p["medium"] == "air")].iloc[0]
    assert (x["concentration"], x["limit"], x["r"]) == pytest.approx((31.5, 35.0, -0.1))
    w = p[(p["unit_id"] == "a") & (p["medium"] == "water")].iloc[0]
    assert (w["pollutant"], w["r"], w["n_sections"]) == ("COD", pytest.approx(0.5), 1)


def test_population_weighting_and_grade_parameters():
    t = tables()
    t["economy"].loc[t["economy"]["unit_id"] == "a", "population"] = 3.0  # C1: (52.5·3 + 17.5)/4 = 43.75
    p = CapacityParams.model_validate({"air": {"aggregation": "population"}})
    cap = run_capacity(hier(), t, p)["capacity"]
    assert row(cap, "city", "C1")["r_air"] == pytest.approx(43.75 / 35 - 1)
    p = CapacityParams.model_validate({"air": {"grade": "I"}})
    cap = run_capacity(hier(), t, p)["capacity"]
    assert row(cap, "county", "b")["r_air"] == pytest.approx(17.5 / 15 - 1)
    assert row(cap, "county", "b")["air_standard"] == "GB3095-2012 grade I"


def test_missing_inputs_and_bad_parameters():
    with pytest.raises(MissingInputs):
        run_capacity(hier(), {"economy": tables()["economy"]})
    t = tables()
    del t["economy"]
    with pytest.raises(ParameterError):
        run_capacity(hier(), t, CapacityParams.model_validate({"air": {"aggregation": "population"}}))


def test_daily_data_through_run():
    dates = pd.date_range("2016-01-01", "2016-12-31", freq="D")
    full = pd.DataFrame({"unit_id": "a", "date": dates, "pollutant": "PM2.5", "value": 70.0})
    short = pd.DataFrame({"unit_id": "b", "date": dates[:300], "pollutant": "PM2.5", "value": 10.0})
    t = {"air_daily": pd.concat([full, short], ignore_index=True)}
    cap = run_capacity(hier(), t)["capacity"]
    assert row(cap, "county", "a")["r_air"] == pytest.approx(1.0)
    assert "b" not in set(cap.loc[cap["level"] == "county", "unit_id"])  # invalid year left out
    p = CapacityParams.model_validate({"air": {"daily_incomplete": "error"}})
    with pytest.raises(InputError) as e:
        run_capacity(hier(), t, p)
    assert "air_daily" in e.value.where


def test_small_study_units_and_polygon_zones():
    from ecozone.inputs.tables import validate_table
    from ecozone.inputs.units import build_units
    from ecozone.study import DEFAULT_AREA_CRS

    from small_study import counties
    from small_study import tables as small_tables

    units = build_units(counties(), levels={"county": "unit_id", "city": "city_id", "agglomeration": "agglo_id"},
                        area_crs=DEFAULT_AREA_CRS)
    t = {k: validate_table(k, v, where=k) for k, v in small_tables().items() if k in ("air", "water", "economy")}
    # zone polygon covering the two western thirds of city C1 (counties 101, 102): share ≈ 2/3 → in
    t["ecological_function"] = gpd.GeoDataFrame({"zone_type": ["water"]}, geometry=[box(113.0, 30.1, 113.2, 30.2)],
                                                crs="EPSG:4326")
    out = run_capacity(units, t, CapacityParams())
    cap = out["capacity"]
    assert set(cap["level"]) == {"county", "city", "agglomeration"}
    c1 = cap[(cap["level"] == "city") & (cap["unit_id"] == "C1")].iloc[0]
    assert c1["zone_share"] == pytest.approx(2 / 3, abs=1e-3)
    assert c1["type"] == "key-ecological-zone"
    c2 = cap[(cap["level"] == "city") & (cap["unit_id"] == "C2")].iloc[0]
    assert c2["zone_share"] == pytest.approx(0.0) and c2["type"] != "key-ecological-zone"
    assert not cap["r_total"].isna().any()
    assert np.all(cap["media"] == "air+water")
