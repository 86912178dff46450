"""QGIS styles in the GeoPackage: styled spatial views of the capacity state and the carbon zone."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET

import pyogrio

from ecozone.labels import Labels
from ecozone.qgis import add_layer_styles


def styles(gpkg):
    con = sqlite3.connect(gpkg)
    try:
        return con.execute(
            "SELECT f_table_name, f_geometry_column, styleName, styleQML, styleSLD, useAsDefault FROM layer_styles"
        ).fetchall()
    finally:
        con.close()


def test_views_are_spatial_layers_with_the_latest_year(results):
    gpkg = results / "results.gpkg"
    made = add_layer_styles(gpkg)
    assert made == ["capacity_map_county", "capacity_map_city", "capacity_map_agglomeration",
                    "carbon_map_county", "carbon_map_city", "carbon_map_agglomeration"]
    layers = dict(pyogrio.list_layers(gpkg))
    assert layers["capacity_map_county"] == "MultiPolygon"
    v = pyogrio.read_dataframe(gpkg, layer="capacity_map_county")
    assert len(v) == 9 and str(v.crs) == "EPSG:4326"
    row = v[v["unit_id"] == "101"].iloc[0]
    # county 101 (i = 0): 2020 R_air = -0.45 (non-overload), R_w = 0.3 (overload) -> overload
    assert row["state"] == "overload" and row["state_air"] == "non-overload"
    assert abs(row["r_air"] - (-0.45)) < 1e-12
    assert row["state_2015"] == "overload" and row["state_2020"] == "overload"
    c = pyogrio.read_dataframe(gpkg, layer="carbon_map_city")
    # the carbon run's column names (ce_tc) are shown as ce; city C2 (i = 1) in 2020: CE = 2e5 * 1.2
    c2 = c[c["unit_id"] == "C2"].iloc[0]
    assert abs(c2["ce"] - 2.4e5) < 1e-6
    assert c2["zone"] == "low_carbon_optimisation" and c2["zone_2015"] == "low_carbon_economic"


def test_default_styles_are_categorized_by_state_and_zone(results):
    gpkg = results / "results.gpkg"
    add_layer_styles(gpkg, lang="zh")
    st = {r[0]: r for r in styles(gpkg)}
    assert set(st) == {"capacity_map_county", "capacity_map_city", "capacity_map_agglomeration",
                       "carbon_map_county", "carbon_map_city", "carbon_map_agglomeration"}
    name, geom, _style, qml, sld, default = st["capacity_map_county"]
    assert geom == "geom" and default == 1
    r = ET.fromstring(qml.split("?>")[-1].split("'SYSTEM'>", 1)[-1]).find("renderer-v2")
    assert r.get("type") == "categorizedSymbol" and r.get("attr") == "state"
    cats = {c.get("value"): c.get("label") for c in r.find("categories")}
    assert cats["overload"] == "超载" and cats["critical"] == "临界超载" and cats["non-overload"] == "不超载"
    # the symbol of "overload" carries the label table's colour
    sym = {c.get("value"): c.get("symbol") for c in r.find("categories")}["overload"]
    color = next(o.get("value") for s in r.find("symbols") if s.get("name") == sym
                 for o in s.iter("Option") if o.get("name") == "color")
    hexc = Labels("zh").color("state.overload").lstrip("#")
    assert color == ",".join(str(int(hexc[i:i + 2], 16)) for i in (0, 2, 4)) + ",255"
    zr = ET.fromstring(st["carbon_map_city"][3].split("'SYSTEM'>", 1)[-1]).find("renderer-v2")
    assert zr.get("attr") == "zone"
    assert {c.get("value") for c in zr.find("categories")} >= {"carbon_sink", "unclassified", ""}
    ET.fromstring(sld)  # well-formed SLD


def test_idempotent_and_units_untouched(results):
    gpkg = results / "results.gpkg"
    before = pyogrio.read_dataframe(gpkg, layer="units")
    add_layer_styles(gpkg)
    add_layer_styles(gpkg, lang="zh")
    assert len(styles(gpkg)) == 6
    after = pyogrio.read_dataframe(gpkg, layer="units")
    assert before.equals(after)
    con = sqlite3.connect(gpkg)
    try:
        n = con.execute("SELECT count(*) FROM gpkg_contents WHERE table_name LIKE '%_map_%'").fetchone()[0]
        assert n == 6
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()


def test_a_store_without_analyses_gets_no_styles(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    from ecozone.store import write_gpkg

    u = gpd.GeoDataFrame({"level": ["county"], "unit_id": ["1"], "name": ["a"], "area_km2": [1.0]},
                         geometry=[box(0, 0, 1, 1)], crs="EPSG:4326")
    write_gpkg(tmp_path / "r.gpkg", u, {})
    assert add_layer_styles(tmp_path / "r.gpkg") == []


def test_spatial_tables_get_point_and_line_styles(tmp_path):
    """A spatial output table (points, lines) gets a categorized / single-symbol QGIS style."""
    import sqlite3

    import geopandas as gpd
    from shapely.geometry import LineString, Point

    from ecozone import store
    from ecozone.analysis import LayerStyle

    from small_study import counties

    units = counties().assign(level="county")
    pts = gpd.GeoDataFrame({"park_id": ["P1", "P2"], "level": ["national_etdz", "provincial"]},
                           geometry=[Point(113.05, 30.05), Point(113.15, 30.05)], crs="EPSG:4326")
    riv = gpd.GeoDataFrame({"river_id": [1]}, geometry=[LineString([(113.0, 30.0), (113.3, 30.1)])], crs="EPSG:4326")
    path = tmp_path / "r.gpkg"
    store.write_gpkg(path, units, {"parks_map": pts, "parks_rivers": riv},
                     styles=[LayerStyle("parks_map", column="level", category="level"),
                             LayerStyle("parks_rivers", color="#4a90c2")])
    con = sqlite3.connect(path)
    rows = dict(con.execute("SELECT f_table_name, styleQML FROM layer_styles").fetchall())
    con.close()
    qml = rows["parks_map"]
    assert 'type="categorizedSymbol"' in qml and 'attr="level"' in qml and 'type="marker"' in qml
    assert 'value="national_etdz"' in qml and Labels("en").code("level", "national_etdz") in qml
    assert Labels("en").color("level.national_etdz").lstrip("#")[:2] in "".join(
        f"{int(x):02x}" for x in qml.split('name="color" value="')[1].split(",")[:3])
    assert 'type="singleSymbol"' in rows["parks_rivers"] and 'type="line"' in rows["parks_rivers"]
