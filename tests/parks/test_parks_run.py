"""The parks analysis end to end (METHODS §3): the small parks study by hand, bad inputs, real data.

The small study (``tests/parks_study.py``) is drawn in the study's Albers
CRS, so distances to the river are exact by construction; its GDI table
gives weights 1, 1, 2 to energy productivity (+), water productivity (+) and
COD intensity (−) without benchmarks, so every score is a min–max fraction
and the GDI a weighted mean one can write down.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from parks_study import AREA_CRS, write_parks_study
from shapely.geometry import box
from typer.testing import CliRunner

from ecozone.cli import app
from ecozone.errors import InputError, ParameterError
from ecozone.parks.run import parks_tables, split_industries
from ecozone.run import run_study

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CATALOGUE = SHARED / "realdata" / "parks" / "yreb_national_zones_2018.csv"


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    root = tmp_path_factory.mktemp("parks") / "study"
    write_parks_study(root)
    res = run_study(root, out=root / "out", only=["parks"], report=False)
    return root, res


def _by(df: pd.DataFrame, key: str = "park_id") -> pd.DataFrame:
    return df.set_index(key)


# --------------------------------------------------------------------------- parks (§3.1, §3.3)


def test_every_park_placed_and_joined_to_its_unit(ran):
    _, res = ran
    p = _by(res.tables["parks"])
    assert list(p.index) == [f"P{i}" for i in range(1, 8)]  # every park kept, in the table's order
    assert p["location_check"].to_dict() == {
        "P1": "ok", "P2": "ok", "P3": "ok", "P4": "ok",
        "P5": "outside_province", "P6": "no_location", "P7": "outside_study"}
    assert p["unit_id"].dropna().to_dict() == {"P1": "101", "P2": "102", "P3": "201", "P4": "202"}
    # the river runs along y = 10 km: the distance is |y − 10 km|, exact in the Albers the study measures in
    assert p.loc[["P1", "P2", "P3", "P4"], "dist_river_m"].tolist() == pytest.approx([500, 3000, 800, 5000], abs=0.01)
    assert p.loc[["P1", "P2", "P3", "P4"], "within_1km"].tolist() == [True, False, True, False]
    assert p.loc[["P5", "P6", "P7"], ["unit_id", "dist_river_m", "within_1km"]].isna().all().all()
    assert "湖南省" in p.loc["P5", "note"] and p.loc["P6", "note"] == "no geometry"
    # levels and provinces as written → codes and canonical names; region from the province
    assert p["level"].to_dict() == {"P1": "national_etdz", "P2": "national_htz", "P3": "provincial",
                                    "P4": "provincial", "P5": "provincial", "P6": "national_etdz",
                                    "P7": "national_etdz"}
    assert p["province"].tolist() == ["湖北", "湖北", "湖南", "湖南", "湖北", "湖南", "江苏"]
    assert p["region"].tolist() == ["midstream"] * 6 + ["downstream"]
    assert p["is_chemical"].tolist() == [True, False, True, True, False, False, True]
    # energy units and wastewater plants per park
    assert p["n_energy_units"].tolist() == [2, 1, 1, 0, 0, 0, 0]
    assert p["capacity_mw"].tolist() == [375.0, 100.0, 25.0, 0.0, 0.0, 0.0, 0.0]
    assert p["has_wwtp"].tolist() == [True, False, True, True, False, False, False]
    assert p.loc["P1", "located_by"] == "point" and p.loc["P6", "located_by"] == ""


def test_parks_not_ok_are_listed_in_the_notes(ran):
    _, res = ran
    note = next(n for n in res.manifest["notes"] if "not placed ok" in n)
    assert note.startswith("parks: 3 of 7 park(s) not placed ok")
    for pid in ("P5", "P6", "P7"):
        assert pid in note


# --------------------------------------------------------------------------- parks_year (§3.2, §3.4)


def test_indicators_gdi_and_topsis_by_hand(ran):
    _, res = ran
    y = res.tables["parks_year"].set_index(["park_id", "year"])
    p1 = y.loc[("P1", 2019)]
    # value_added 1e5 × 1e4 CNY (declared) = 1e9 CNY
    assert p1["energy_productivity"] == pytest.approx(1e9 / 1e5)  # CNY/tce
    assert p1["water_productivity"] == pytest.approx(1e9 / 1e7)  # CNY/m³
    assert p1["cod_intensity"] == pytest.approx(5e4 / 1e3)  # kg per million CNY
    assert p1["co2_intensity"] == pytest.approx(5e5 / 1e5)  # t per 1e4 CNY
    assert y.loc[("P1", 2020), "cod_intensity_change"] == pytest.approx(25 / 50 - 1)
    assert y.loc[("P4", 2020), "cod_intensity_change"] == pytest.approx(-1.0)  # no COD at all in 2020
    # 2019 scores (min–max over P1–P4): EP (1, 2, 0.5, 1)e4 → 1/3, 1, 0, 1/3; WP (100, 200, 50, –) → 1/3, 1, 0;
    # COD (50, 10, 100, 20), lower is better → 5/9, 1, 0, 8/9; weights 1, 1, 2 → 1/4, 1/4, 1/2
    assert y.loc[("P1", 2019), "gdi"] == pytest.approx(100 * (1 / 12 + 1 / 12 + 5 / 18))
    assert y.loc[("P2", 2019), "gdi"] == pytest.approx(100.0)
    assert y.loc[("P3", 2019), "gdi"] == pytest.approx(0.0)
    # P4 lacks water: weights renormalised over EP and COD (1/4 + 1/2)
    assert y.loc[("P4", 2019), "gdi"] == pytest.approx(100 * (1 / 12 + 4 / 9) / 0.75)
    assert y.loc[("P4", 2019), "gdi_n"] == 2 and y.loc[("P1", 2019), "gdi_n"] == 3
    assert "no fresh_water_m3" in y.loc[("P4", 2019), "note"]
    # TOPSIS over the complete parks P1–P3: ideal = P2, anti-ideal = P3 (all zero)
    v1 = np.array([1 / 12, 1 / 12, 5 / 18])
    dp, dm = np.linalg.norm(v1 - [0.25, 0.25, 0.5]), np.linalg.norm(v1)
    assert y.loc[("P1", 2019), "topsis"] == pytest.approx(dm / (dp + dm))
    assert y.loc[(["P2", "P1", "P3"], 2019), "topsis_rank"].tolist() == [1, 2, 3]
    assert pd.isna(y.loc[("P4", 2019), "topsis"]) and pd.isna(y.loc[("P4", 2019), "topsis_rank"])
    assert set(y.index.get_level_values("park_id")) == {"P1", "P2", "P3", "P4"}


# --------------------------------------------------------------------------- parks_groups (§3.3–3.5)


def test_groups_by_hand(ran):
    _, res = ran
    g = res.tables["parks_groups"]
    assert list(pd.unique(g["grouping"])) == ["region", "level", "region_level", "province"]
    mid = g[(g["grouping"] == "region") & (g["region"] == "midstream")].set_index("year", drop=False)
    inv = mid[mid["year"].isna()].iloc[0]
    assert (inv["n_parks"], inv["n_chemical"], inv["n_chemical_within_1km"]) == (6, 3, 2)  # P1, P3 by the river
    assert inv["approved_area_km2"] == pytest.approx(10 + 5 + 3 + 2 + 1)
    # energy units E1 25 MW coal (0.35), E2 350 MW coal (0.42), E3 100 MW gas (0.45), E4 25 MW waste (–)
    assert inv["capacity_mw"] == pytest.approx(500.0)
    assert inv["share_capacity_small"] == pytest.approx(50 / 500)
    assert inv["share_capacity_large"] == pytest.approx(350 / 500)
    assert inv["share_capacity_coal"] == pytest.approx(375 / 500)
    assert inv["efficiency_weighted"] == pytest.approx((25 * 0.35 + 350 * 0.42 + 100 * 0.45) / 475)
    assert inv["share_capacity_below_reference"] == pytest.approx(25 / 475)
    assert inv["wwtp_completion"] == pytest.approx(3 / 6) and inv["monitoring_completion"] == pytest.approx(1 / 6)
    y19 = mid[mid["year"] == 2019].iloc[0]
    assert y19["n_parks"] == 4 and y19["value_added"] == pytest.approx(4.5e9)
    assert y19["energy_productivity"] == pytest.approx(4.5e9 / 4.5e5)
    assert y19["water_productivity"] == pytest.approx(4.0e9 / 4.0e7)  # over the parks with both
    assert y19["cod_intensity"] == pytest.approx(1.8e5 / 4.5e3)
    gdis = [100 * (1 / 12 + 1 / 12 + 5 / 18), 100.0, 0.0, 100 * (1 / 12 + 4 / 9) / 0.75]
    assert y19["gdi_mean"] == pytest.approx(np.mean(gdis))
    assert y19["share_above_mean"] == pytest.approx(0.5) and y19["share_of_above_mean"] == pytest.approx(1.0)
    down = g[(g["grouping"] == "region") & (g["region"] == "downstream")]
    assert len(down) == 1 and down["n_parks"].iloc[0] == 1  # P7: inventory only, no park_year rows
    prov = g[(g["grouping"] == "province") & g["year"].isna()].set_index("province")
    assert prov["n_parks"].to_dict() == {"江苏": 1, "湖北": 3, "湖南": 3}


def test_industries_and_wwtp(ran):
    _, res = ran
    ind = res.tables["parks_industries"]
    allp = ind[ind["grouping"] == "all"].set_index("industry")
    assert allp["n_parks"].to_dict() == {"电子信息": 3, "化工": 2, "装备制造": 2, "新材料": 1, "食品": 1}
    assert allp["rank"].to_dict() == {"电子信息": 1, "化工": 2, "装备制造": 2, "新材料": 4, "食品": 4}
    prov = ind[(ind["grouping"] == "level") & (ind["level"] == "provincial")].set_index("industry")["n_parks"]
    assert prov.to_dict() == {"化工": 2, "装备制造": 1, "食品": 1}
    assert split_industries("化工、装备制造；新材料;化工") == ["化工", "装备制造", "新材料"]
    w = _by(res.tables["parks_wwtp"], "wwtp_id")
    assert w.loc["W1", ["load_rate", "cod_removal", "nh3n_removal"]].tolist() == pytest.approx([0.75, 0.9, 0.9])
    assert w.loc["W2", "online_monitoring"] == False  # noqa: E712 - a nullable boolean
    assert pd.isna(w.loc["W3", "cod_removal"]) and "no cod_in" in w.loc["W3", "note"]


def test_map_layer_and_rivers_are_spatial_layers_in_wgs84(ran):
    root, _ = ran
    gpkg = root / "out" / "results.gpkg"
    con = sqlite3.connect(gpkg)
    try:
        kinds = dict(con.execute("SELECT table_name, data_type FROM gpkg_contents").fetchall())
        srs = dict(con.execute("SELECT table_name, srs_id FROM gpkg_geometry_columns").fetchall())
    finally:
        con.close()
    assert kinds["parks_map"] == "features" and kinds["parks_rivers"] == "features" and kinds["parks"] == "attributes"
    assert srs["parks_map"] == 4326 and srs["parks_rivers"] == 4326
    m = pyogrio.read_dataframe(gpkg, layer="parks_map").set_index("park_id")
    assert m.loc["P6", "geometry"] is None and m.loc["P1"].geometry.geom_type == "Point"
    # 2020: EP (1.2, 2.4, 0.5, 1)e4 → P1 7/19; WP (120, 200, 50, 100) → 7/15; COD (25, 10, 100, 0) → 3/4
    assert m.loc["P1", "gdi_year"] == 2020
    assert m.loc["P1", "gdi"] == pytest.approx(100 * (7 / 19 / 4 + 7 / 15 / 4 + 3 / 4 / 2))
    # the XLSX sheet carries the attributes, not the geometry
    from openpyxl import load_workbook

    ws = load_workbook(root / "out" / "results.xlsx", read_only=True)["parks_map"]
    header = [c.value for c in next(ws.iter_rows(max_row=1))]
    assert "geometry" not in header and header[0] == "Park id"


def test_polygon_wins_over_point(tmp_path):
    write_parks_study(tmp_path / "s", polygons=True, park_year_table=False, energy=False, wwtp_table=False)
    res = run_study(tmp_path / "s", out=tmp_path / "s" / "out", only=["parks"], report=False)
    p = _by(res.tables["parks"])
    assert p.loc["P2", "located_by"] == "polygon" and p.loc["P1", "located_by"] == "point"
    # the 2 km square around P2 (3 km from the river): its edge is 2 km from the river
    assert p.loc["P2", "dist_river_m"] == pytest.approx(2000.0, abs=0.01)
    assert p.loc["P2", "unit_id"] == "102"
    m = pyogrio.read_dataframe(tmp_path / "s" / "out" / "results.gpkg", layer="parks_map").set_index("park_id")
    assert m.loc["P2"].geometry.geom_type in ("Polygon", "MultiPolygon")
    # without park_year, energy units and wastewater plants: said, not silently empty
    notes = " ".join(res.manifest["notes"])
    assert "no park_year table" in notes and "no energy_units table" in notes and "no wwtp table" in notes
    assert res.tables["parks"]["has_wwtp"].isna().all()


# --------------------------------------------------------------------------- inputs as users write them


def test_chinese_headers_and_level_names(tmp_path):
    root = tmp_path / "s"
    write_parks_study(root, park_year_table=False, energy=False, wwtp_table=False, rivers_layer=False, gdi_table=False)
    df = pd.read_csv(root / "parks.csv", dtype=str)
    df["level"] = ["国家级经济技术开发区", "高新区", "省级工业园区", "其他", "省级", "边境/跨境经济合作区", "ETDZ"]
    df["region"] = ["中游", "", "", "", "", "", "下游"]
    df = df.rename(columns={"park_id": "园区编号", "name": "园区名称", "level": "级别", "province": "省份",
                            "pillar_industries": "主导产业", "lon": "经度", "lat": "纬度", "region": "区域"})
    df.to_csv(root / "parks.csv", index=False)
    res = run_study(root, out=root / "out", only=["parks"], report=False)
    p = _by(res.tables["parks"])
    assert p["level"].tolist() == ["national_etdz", "national_htz", "provincial", "other", "provincial",
                                   "national_border", "national_etdz"]
    assert p.loc["P1", "location_check"] == "ok" and p.loc["P1", "unit_id"] == "101"
    assert p.loc["P7", "region"] == "downstream"
    assert "no [layers] rivers" in " ".join(res.manifest["notes"])


def _break(root: Path, table: str, fn) -> None:
    path = root / f"{table}.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    fn(df).to_csv(path, index=False)


def test_bad_inputs_name_file_row_and_fix(tmp_path):
    cases = {
        "unknown level": ("parks", lambda d: d.assign(level=d["level"].where(d.index != 1, "national zone")),
                          ("parks.csv", "row 3", "unknown park level 'national zone'"), "use one of: national_etdz"),
        "park_id repeated": ("parks", lambda d: d.assign(park_id=d["park_id"].where(d.index != 3, "P1")),
                             ("parks.csv", "rows 2, 5", "park_id=P1"), "keep one row per park_id"),
        "park_year names an unknown park": ("park_year", lambda d: d.assign(
            park_id=d["park_id"].where(d.index != 5, "P99")), ("park_year.csv", "row 7", "'P99'"),
            "add the park to"),
        "chemical flag not yes/no": ("parks", lambda d: d.assign(is_chemical=d["is_chemical"].where(
            d.index != 0, "maybe")), ("parks.csv", "row 2", "'maybe' is not yes or no"), "true/false"),
        "text in a number": ("park_year", lambda d: d.assign(energy_tce=d["energy_tce"].where(
            d.index != 2, "2e5 tce")), ("park_year.csv", "row 4", "energy_tce"), "numbers only"),
    }
    for name, (table, fn, whats, fix) in cases.items():
        root = tmp_path / re.sub(r"\W+", "_", name)
        write_parks_study(root)
        _break(root, table, fn)
        with pytest.raises(InputError) as e:
            run_study(root, out=root / "out", only=["parks"], report=False)
        text = " ".join(str(e.value).split())
        for w in whats:
            assert w in text, (name, w, text)
        assert fix in (e.value.fix or ""), (name, e.value.fix)
        assert not (root / "out").exists()


def test_river_layer_without_crs_is_exit_1(tmp_path):
    root = tmp_path / "s"
    write_parks_study(root, park_year_table=False, energy=False, wwtp_table=False)
    (root / "rivers.gpkg").unlink()
    # a shapefile without its .prj: no CRS
    from parks_study import rivers

    rivers().set_crs(None, allow_override=True).to_file(root / "rivers.shp")
    assert not (root / "rivers.prj").exists()
    toml = (root / "ecozone.toml").read_text(encoding="utf-8").replace('rivers = "rivers.gpkg"',
                                                                        'rivers = "rivers.shp"')
    (root / "ecozone.toml").write_text(toml, encoding="utf-8")
    res = CliRunner().invoke(app, ["run", str(root), "--only", "parks"], catch_exceptions=False)
    assert res.exit_code == 1, res.output
    flat = " ".join(res.output.split())
    assert "rivers.shp" in flat and "[layers] rivers" in flat and "no CRS" in flat and "Fix:" in flat
    assert "Traceback" not in res.output


def test_gdi_table_naming_an_unknown_indicator(tmp_path):
    root = tmp_path / "s"
    write_parks_study(root, energy=False, wwtp_table=False)
    (root / "gdi.csv").write_text("indicator,direction,benchmark,weight,source,verified\n"
                                  "so2_intensity,-,,,test,no\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="so2_intensity") as e:
        run_study(root, out=root / "out", only=["parks"], report=False)
    assert "energy_productivity" in e.value.fix


# --------------------------------------------------------------------------- properties


def _units() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"unit_id": ["u1", "u2"], "province": ["湖北省", "江苏省"]},
                            geometry=[box(0, 0, 10_000, 10_000), box(10_000, 0, 20_000, 10_000)], crs=AREA_CRS)


PROVINCES = {"湖北": "midstream", "江苏": "downstream", "四川": "upstream"}


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(sorted(PROVINCES)), st.sampled_from(["national_etdz", "provincial"]),
                          st.floats(1e7, 1e10), st.floats(1e3, 1e6), st.floats(0, 1e6)),
                min_size=2, max_size=12))
def test_groups_partition_the_parks(rows):
    parks = pd.DataFrame({"park_id": [f"Q{i}" for i in range(len(rows))], "name": "x",
                          "level": [r[1] for r in rows], "province": [r[0] for r in rows],
                          "region": [PROVINCES[r[0]] for r in rows]})
    py = pd.DataFrame({"park_id": parks["park_id"], "year": 2020, "value_added": [r[2] for r in rows],
                       "energy_tce": [r[3] for r in rows], "cod_kg": [r[4] for r in rows]})
    tables, notes = parks_tables(parks, units=_units(), park_year=py)
    g = tables["parks_groups"]
    for grouping in ("region", "level", "region_level", "province"):
        inv = g[(g["grouping"] == grouping) & g["year"].isna()]
        assert inv["n_parks"].sum() == len(parks)
        yr = g[(g["grouping"] == grouping) & (g["year"] == 2020)]
        assert yr["n_parks"].sum() == len(parks)
        assert yr["value_added"].sum() == pytest.approx(py["value_added"].sum())
        share = yr["share_of_above_mean"].dropna()
        assert share.sum() == pytest.approx(1.0) or share.sum() == 0.0
        assert ((yr["share_above_mean"].dropna() >= 0) & (yr["share_above_mean"].dropna() <= 1)).all()
    y = tables["parks_year"]
    assert y["gdi"].between(0, 100).all() and y["topsis"].dropna().between(0, 1).all()
    assert (tables["parks"]["location_check"] == "no_location").all()  # no coordinates given
    assert any("not placed ok" in n for n in notes)


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def catalogue_parks():
    if not CATALOGUE.is_file():
        pytest.skip(f"the shared real data are absent ({CATALOGUE.name} not found beside the project)")
    from ecozone.inputs.tables import load_table
    from ecozone.parks.inputs import PARKS

    # the file as published: its own headers (code, city_short, approval_level, leading_industries,
    # lon_wgs84, lat_wgs84) are header aliases of the parks table
    return load_table("parks", CATALOGUE, schema=PARKS)


def test_real_catalogue_inventory(catalogue_parks):
    df = catalogue_parks
    assert len(df) == 182 and df["park_id"].is_unique and df["park_id"].str.startswith("G").all()
    # one unit around the 11 provinces: the inventory does not depend on the units
    units = gpd.GeoDataFrame({"unit_id": ["YREB"]}, geometry=[box(97.3, 21.1, 122.0, 35.2)], crs="EPSG:4326")
    tables, notes = parks_tables(df, units=units, area_crs=AREA_CRS)
    g = tables["parks_groups"]
    rl = g[(g["grouping"] == "region_level") & g["year"].isna()].set_index(["level", "region"])["n_parks"]
    # README of the shared data: ETDZ down 65 / mid 25 / up 18; HTZ 32 / 23 / 14; 5 border zones upstream
    assert rl.to_dict() == {
        ("national_etdz", "upstream"): 18, ("national_etdz", "midstream"): 25, ("national_etdz", "downstream"): 65,
        ("national_htz", "upstream"): 14, ("national_htz", "midstream"): 23, ("national_htz", "downstream"): 32,
        ("national_border", "upstream"): 5}
    area = g[(g["grouping"] == "level") & g["year"].isna()].set_index("level")["approved_area_km2"]
    assert area.round(2).to_dict() == {"national_etdz": 1302.59, "national_htz": 606.22, "national_border": 23.32}
    # pillar industries counted per park, against a count of the raw cells
    raw = pd.read_csv(CATALOGUE, dtype=str)
    counts: dict[str, int] = {}
    for cell in raw.iloc[:, 12].fillna(""):
        for ind in {s.strip() for s in cell.split("、") if s.strip()}:
            counts[ind] = counts.get(ind, 0) + 1
    ind = tables["parks_industries"]
    allp = ind[ind["grouping"] == "all"].set_index("industry")["n_parks"]
    assert allp.to_dict() == counts
    top = ind[(ind["grouping"] == "all") & (ind["rank"] == 1)]["industry"].tolist()
    assert top == [max(counts, key=counts.get)]
    # the geocodes far outside the belt (山东, 广东, 新疆 …) are outside the study and listed
    p = tables["parks"].set_index("park_id")
    assert p.loc["G311012", "location_check"] == "outside_study"  # 虹桥 → 山东德州
    assert any("G311012" in n for n in notes)


# --------------------------------------------------------------------------- report


def test_report_section(ran):
    from ecozone.report import build_report

    root, _ = ran
    html = build_report(root / "out", lang="zh").read_text(encoding="utf-8")
    assert 'id="sec-parks"' in html and "工业园区绿色发展" in html
    for fid in ("parks_map", "parks_gdi", "parks_energy", "parks_wwtp", "parks_industries", "parks_chemical",
                "parks_not_ok"):
        assert f'id="fig-{fid}"' in html, fid
    # the chemical parks within 1 km: P1 (500 m) and P3 (800 m), not P4 (5 km)
    table = html[html.index('id="fig-parks_chemical"'):html.index('id="fig-parks_not_ok"')]
    assert "Park One" in table and "Park Three" in table and "Park Four" not in table
    assert "距河流 1,000 米以内的化工园区 (2)" in table
    figures = {p.name for p in (root / "out" / "figures").glob("parks_*.png")}
    assert {"parks_map.png", "parks_gdi.png", "parks_energy_size.png", "parks_wwtp.png"} <= figures
