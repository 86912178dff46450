"""The connectivity analysis end to end (METHODS §5.1): `ecozone run --only connectivity` on the small study.

The flows and travel times are those of tests/connectivity_study.py (values derived there by hand); the
economy is the small study's (county k = 0…5: GDP 5e10 (1 + k) × 1.3 CNY in 2020, 4e5 + 1e5 k persons).
Bad flows go through `ecozone validate`; the real AMap 2020 matrix through the table reader and the network.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from connectivity_study import add_connectivity_tables
from typer.testing import CliRunner

from ecozone.cli import app
from ecozone.run import run_study
from ecozone.store import read_results

from small_study import make_small_study

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
FLOWS = ROOT.parent / "shared" / "realdata" / "flows"


def _study(root: Path, **kw) -> Path:
    """The small study without rasters (connectivity reads none), with the flow tables."""
    make_small_study(root, rasters=False)
    return add_connectivity_tables(root, **kw).parent


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    root = _study(tmp_path_factory.mktemp("connectivity") / "study")
    out = root / "out"
    res = runner.invoke(app, ["run", str(root), "--only", "connectivity", "--out", str(out)],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return out, read_results(out)


def _one(t: pd.DataFrame, **key) -> pd.Series:
    sel = np.ones(len(t), bool)
    for k, v in key.items():
        sel &= (t[k] == v).to_numpy()
    assert sel.sum() == 1, key
    return t[sel].iloc[0]


def test_network_indicators_by_hand(ran):
    _out, r = ran
    c = r["connectivity"]
    # every upper level made of counties: city (C1, C2) and agglomeration (AG = C1's counties)
    assert set(zip(c["level"], c["unit_id"], strict=True)) == {("city", "C1"), ("city", "C2"),
                                                               ("agglomeration", "AG")}
    assert len(c) == 3 * 3  # (2015, population), (2020, population), (2020, transport)
    for lv, uid in (("city", "C1"), ("agglomeration", "AG")):
        row = _one(c, level=lv, unit_id=uid, year=2020, kind="population")
        assert row["member_level"] == "county" and row["n_nodes"] == 3 and row["n_links"] == 4
        assert row["density"] == pytest.approx(4 / 6)
        assert row["internal_flow"] == pytest.approx(21.0)  # 10 + 5 + 2 + 4
        assert row["external_flow"] == pytest.approx(4.0)  # 101→104 3 + 104→103 1
        assert row["internal_share"] == pytest.approx(21 / 25)
        assert row["intensity"] == pytest.approx(3.5)
    c2 = _one(c, level="city", unit_id="C2", year=2020, kind="population")
    assert (c2["n_links"], c2["internal_flow"], c2["external_flow"]) == (3, 9.0, 4.0)
    assert c2["internal_share"] == pytest.approx(9 / 13) and c2["intensity"] == pytest.approx(1.5)
    assert _one(c, level="city", unit_id="C1", year=2015, kind="population")["internal_flow"] == pytest.approx(10.5)
    t2 = _one(c, level="city", unit_id="C2", year=2020, kind="transport")  # no train among C2's counties
    assert t2["n_links"] == 0 and t2["internal_flow"] == 0 and pd.isna(t2["internal_share"])
    n = r["connectivity_nodes"]
    one = _one(n, unit_id="101", year=2020, kind="population", group_level="city")
    assert (one["group_id"], one["strength_out"], one["strength_in"], one["strength"]) == ("C1", 12.0, 5.0, 17.0)
    assert one["degree_centrality"] == 1.5 and one["betweenness"] == pytest.approx(0.5)
    assert one["primacy"] == pytest.approx(17 / 19)
    # C2 is a directed cycle 104→105→106→104: each county lies on one shortest path of the other two
    cyc = n[(n["group_id"] == "C2") & (n["year"] == 2020) & (n["kind"] == "population")]
    assert cyc["betweenness"].tolist() == pytest.approx([0.5, 0.5, 0.5])


def test_reach_by_hand(ran):
    _out, r = ran
    c = r["connectivity"]
    # C1: cores by GDP 103; 101–102 0.5 h, 101–103 1.5 h within 2 h, 102–103 2.5 h not: pairs 2/3;
    # population within 2 h of 103: 103 and 101 = (0.6 + 0.4) / 1.5 million
    for lv, uid in (("city", "C1"), ("agglomeration", "AG")):
        row = _one(c, level=lv, unit_id=uid, year=2020, kind="population")
        assert row["core_id"] == "103"
        assert row["reach_pairs_share"] == pytest.approx(2 / 3)
        assert row["reach_population_share"] == pytest.approx(2 / 3)
    c2 = _one(c, level="city", unit_id="C2", year=2020, kind="transport")  # the same for every kind
    assert c2["core_id"] == "106" and c2["reach_population_share"] == pytest.approx((0.9 + 0.7) / 2.4)
    assert pd.isna(_one(c, level="city", unit_id="C1", year=2015, kind="population")["reach_pairs_share"])
    n = r["connectivity_nodes"]
    n = n[(n["group_level"] == "city") & (n["year"] == 2020) & (n["kind"] == "population")].set_index("unit_id")
    assert n["hours_to_core"].to_dict() == pytest.approx({"101": 1.5, "102": 2.5, "103": 0.0,
                                                          "104": 2.0, "105": 3.0, "106": 0.0})
    assert n["within_reach"].astype(bool).to_dict() == {"101": True, "102": False, "103": True,
                                                        "104": True, "105": False, "106": True}


def test_links_layer_report_and_notes(ran):
    out, r = ran
    links = r["connectivity_links"]
    assert links.crs.to_epsg() == 4326 and set(links.geom_type) == {"LineString"}
    top = links[(links["year"] == 2020) & (links["kind"] == "population")].sort_values("rank")
    assert top["value"].tolist()[:3] == [10.0, 6.0, 5.0]
    first = top.iloc[0]
    assert (first["origin"], first["destination"], first["origin_group"]) == ("101", "102", "AG")
    assert pd.isna(top.iloc[1]["origin_group"])  # 104 is in no agglomeration
    # the line joins the centroids of the 0.1° boxes of 101 (113.0–113.1, 30.1–30.2) and 102
    (x0, y0), (x1, y1) = first.geometry.coords
    assert (x0, y0, x1, y1) == pytest.approx((113.05, 30.15, 113.15, 30.15), abs=2e-3)
    html = (out / "report.html").read_text(encoding="utf-8")
    for fid in ("connectivity_indicators", "connectivity_links", "connectivity_reach"):
        assert f'id="fig-{fid}"' in html
    assert {p.name for p in (out / "figures").glob("*.png")} == {
        "connectivity_indicators_2020.png", "connectivity_links_2020.png", "connectivity_reach_2020.png"}
    import json

    notes = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["notes"]
    assert any("no travel times for [2015]" in m for m in notes)


def test_parameters_and_no_economy(tmp_path):
    """symmetric, a named core, two links; without economy the GDP core and the population share are empty."""
    study = _study(tmp_path / "study", economy=False, extra=(
        '[connectivity]\nsymmetric = true\nstrongest_links = 2\ncore = { AG = "101" }\n'))
    res = run_study(study, out=tmp_path / "out", only=["connectivity"], report=False)
    c = res.tables["connectivity"]
    c1 = _one(c, level="city", unit_id="C1", year=2020, kind="population")
    assert c1["n_links"] == 3 and c1["density"] == 1.0  # {101,102} 15, {101,103} 2, {102,103} 4
    assert c1["internal_flow"] == pytest.approx(21.0)  # flow totals do not depend on symmetric
    assert pd.isna(c1["core_id"]) and pd.isna(c1["reach_population_share"])
    assert c1["reach_pairs_share"] == pytest.approx(2 / 3)
    ag = _one(c, level="agglomeration", unit_id="AG", year=2020, kind="population")
    assert ag["core_id"] == "101" and pd.isna(ag["reach_population_share"])
    n = res.tables["connectivity_nodes"]
    s = n[(n["group_id"] == "C1") & (n["year"] == 2020) & (n["kind"] == "population")].set_index("unit_id")
    assert s["strength"].tolist() == [17.0, 19.0, 6.0] and (s["strength_out"] == s["strength_in"]).all()
    a = n[(n["group_id"] == "AG") & (n["year"] == 2020) & (n["kind"] == "population")].set_index("unit_id")
    assert a["hours_to_core"].tolist() == [0.0, 0.5, 1.5]
    links = res.tables["connectivity_links"]
    top = links[(links["year"] == 2020) & (links["kind"] == "population")]
    assert top[["origin", "destination", "value"]].values.tolist() == [["101", "102", 15.0], ["104", "105", 6.0]]
    assert any("no [tables] economy" in m for m in res.manifest["notes"])


def test_core_that_is_no_upper_unit(tmp_path):
    study = _study(tmp_path / "study", extra='[connectivity]\ncore = { XX = "101" }\n')
    res = runner.invoke(app, ["run", str(study), "--only", "connectivity"], catch_exceptions=False)
    assert res.exit_code == 1 and "[connectivity] core" in res.output and "XX" in res.output


# ---------------------------------------------------------------- bad inputs through `ecozone validate`

def _break(rows: list[tuple], header: str = "origin,destination,year,kind,value") -> str:
    return header + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows)


GOOD = [("101", "102", 2020, "population", 10), ("102", "101", 2020, "population", 5)]
BAD_FLOWS = {
    "unknown id": (GOOD + [("101", "999", 2020, "population", 1)], "row 4", "999", "correct the id"),
    "self-flow": (GOOD + [("103", "103", 2020, "population", 1)], "row 4", "same unit '103'", "remove flows"),
    "negative": (GOOD + [("101", "103", 2020, "population", -2)], "row 4", "-2", "cannot be negative"),
    "repeated pair": (GOOD + [("101", "102", 2020, "population", 7)], "rows 2, 4", "repeat", "keep one row"),
    "two levels": (GOOD + [("101", "C2", 2020, "population", 1)], "row 4", "level county",
                   "join two units of one level"),
}


@pytest.mark.parametrize("case", list(BAD_FLOWS), ids=lambda c: c.replace(" ", "-"))
def test_bad_flows_are_named_by_validate(tmp_path, case):
    rows, row, what, fix = BAD_FLOWS[case]
    study = _study(tmp_path / "study")
    (study / "flows.csv").write_text(_break(rows), encoding="utf-8")
    res = runner.invoke(app, ["validate", str(study)], catch_exceptions=False)
    out = " ".join(res.output.split())
    assert res.exit_code == 1, out
    assert "flows.csv" in out and row in out and what in out and fix in out.lower(), out


def test_bad_travel_times_are_named_by_validate(tmp_path):
    study = _study(tmp_path / "study")
    (study / "travel_times.csv").write_text(
        _break([("101", "102", 2020, "rail", 0.5), ("101", "101", 2020, "road", 0.2)],
               "origin,destination,year,mode,hours"), encoding="utf-8")
    res = runner.invoke(app, ["validate", str(study)], catch_exceptions=False)
    out = " ".join(res.output.split())
    assert res.exit_code == 1 and "travel_times.csv" in out and "row 3" in out and "same unit '101'" in out


def test_validate_accepts_chinese_headers_and_kinds(tmp_path):
    study = _study(tmp_path / "study", travel=False)
    (study / "flows.csv").write_text("起点,终点,年份,类型,流量\n101,102,2020,人口,10\n102,101,2020,交通,3\n",
                                     encoding="utf-8")
    res = runner.invoke(app, ["validate", str(study)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    from ecozone.run import read_inputs
    from ecozone.study import load_study

    f = read_inputs(load_study(study)).tables["flows"]
    assert sorted(f["kind"].astype(str)) == ["population", "transport"] and f["value"].sum() == 13.0


# ---------------------------------------------------------------- real data: AMap 2020, 130 YREB units

def test_real_amap_2020_read_and_grouped_by_province(tmp_path):
    """The AMap export read by the flows reader (its own headers), checked against the 130 units, then the
    networks of the 11 provinces (the upper level made of whole cities) against plain pandas sums."""
    src = FLOWS / "amap_intercity_flows_2020_yreb.csv"
    if not src.exists():
        pytest.skip(f"real AMap flows not here ({src}); they live in the project's shared folder")
    from ecozone.connectivity.inputs import FLOWS as FLOW_SCHEMA
    from ecozone.connectivity.network import network_indicators
    from ecozone.connectivity.run import upper_levels
    from ecozone.inputs.tables import load_table

    raw = pd.read_csv(src, encoding="utf-8-sig")
    f = raw.assign(year=2020, kind="人口")  # the export has no year or kind
    f.to_csv(tmp_path / "amap.csv", index=False)
    ids = sorted(set(raw["from_city_code"].astype(str)))
    prov = sorted({i[:2] + "0000" for i in ids})
    units = pd.DataFrame({"level": ["city"] * len(ids) + ["province"] * len(prov), "unit_id": ids + prov})
    flows = load_table("flows", tmp_path / "amap.csv", schema=FLOW_SCHEMA, units=units)
    assert len(flows) == 130 * 129 and set(flows["kind"]) == {"population"}
    assert upper_levels(["county", "city", "province"], {"city": "county", "province": "city"}, "city") == ["province"]
    m = pd.Series({i: i[:2] + "0000" for i in ids}, name="province").rename_axis("city")
    r = network_indicators(flows, m)
    hn = r.connectivity.set_index("unit_id").loc["430000"]
    o, d = raw["from_city_code"] // 10000 == 43, raw["to_city_code"] // 10000 == 43
    assert hn["n_nodes"] == 14 and hn["internal_flow"] == pytest.approx(raw.loc[o & d, "real_value"].sum(), rel=1e-12)
    assert hn["external_flow"] == pytest.approx(raw.loc[o ^ d, "real_value"].sum(), rel=1e-12)
    # README sample: 长沙→岳阳 167.311 is Changsha's largest flow within Hunan
    cs = r.nodes.set_index("unit_id").loc["430100"]
    assert cs["strength_out"] == pytest.approx(raw.loc[(raw["from_city_code"] == 430100) & d, "real_value"].sum())
    assert raw.loc[(raw["from_city_code"] == 430100) & (raw["to_city_code"] == 430600), "real_value"].iloc[0] == \
        pytest.approx(167.311, abs=5e-4)
