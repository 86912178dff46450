"""The ecology analysis end to end on the three-block study (tests/ecology_study.py), values by hand.

Hand derivations (100 m cells, resistance: forest 1, cropland 50; square MSPA core,
edge width 1; a step costs its length × the mean resistance of its two cells):

- sources: the core patches A, B (13 × 13 cells, 1.69 km²) and C (13 × 14, 1.82 km²);
- LCD(A, B) = 23 forest steps along the strip = 23 × 100 = 2,300 (resistance × m);
- LCD(A, C): A's core corner (18, 18) → edge (19, 19) diagonal in forest (100√2),
  → (20, 20) diagonal forest→cropland (100√2 × 25.5), 19 cropland steps down (19 × 5,000),
  → C's edge (40, 20) (100 × 25.5) → C's core (41, 21) diagonal (100√2):
  100√2 × 27.5 + 95,000 + 2,550;
- network of the city (V = 3 sources, L = 3 corridors): α = (3 − 3 + 1)/(2·3 − 5) = 1,
  β = 3/3 = 1, γ = 3/(3·1) = 1; county L holds A and C (V = 2, L = 1: β = 0.5, α and γ
  empty), county R holds B (β = 0);
- the strip carries the A–B current: the strongest pinch point lies on it, and the road
  at col 30 crosses the A–B least-cost path there (a break point).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from ecology_study import CELL, CRS, X0, Y0, N, landcover, make_ecology_study, xy

from ecozone.errors import EcozoneError, InputError, ParameterError
from ecozone.run import run_study

S2 = math.sqrt(2.0)
STRIP = (slice(11, 13), slice(20, 40))


def _cell(x, y):
    """(row, col) of lon/lat points of the study grid."""
    from pyproj import Transformer

    tx, ty = Transformer.from_crs(4326, CRS, always_xy=True).transform(np.asarray(x), np.asarray(y))
    return np.round((Y0 + N * CELL - ty) / CELL - 0.5).astype(int), np.round((tx - X0) / CELL - 0.5).astype(int)


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    root = tmp_path_factory.mktemp("ecology-run")
    study = make_ecology_study(root / "study")
    return run_study(study, out=root / "out", only=["ecology"], report=False)


def _ids(res) -> dict[str, int]:
    """Source id of the blocks A, B, C (by their centroids)."""
    s = res.tables["ecology_sources"]
    rows, cols = _cell(s["x"], s["y"])
    out = {}
    for sid, r, c in zip(s["source_id"], rows, cols, strict=True):
        out["A" if (r < 30 and c < 30) else ("B" if r < 30 else "C")] = int(sid)
    return out


def test_three_sources_with_their_core_areas_and_units(result):
    s = result.tables["ecology_sources"].set_index("source_id")
    ids = _ids(result)
    assert sorted(ids) == ["A", "B", "C"] and len(s) == 3
    assert s.loc[ids["A"], "area_km2"] == pytest.approx(1.69)
    assert s.loc[ids["B"], "area_km2"] == pytest.approx(1.69)
    assert s.loc[ids["C"], "area_km2"] == pytest.approx(1.82)
    assert (s.loc[ids["A"], "unit_id"], s.loc[ids["B"], "unit_id"], s.loc[ids["C"], "unit_id"]) == ("L", "R", "L")
    assert set(s["origin"]) == {"mspa"} and sorted(s["rank"]) == [1, 2, 3]
    # dPC = intra + flux + connector; C, the largest patch, ranks first
    assert np.allclose(s["dpc"], s["dpc_intra"] + s["dpc_flux"] + s["dpc_connector"])
    assert s.loc[ids["C"], "rank"] == 1


def test_corridors_and_their_least_cost_distances(result):
    c = result.tables["ecology_corridors"]
    ids = _ids(result)
    got = {(int(a), int(b)): r for a, b, r in zip(c["source_a"], c["source_b"], c.itertuples(), strict=True)}
    pair = {k: tuple(sorted((ids[k[0]], ids[k[1]]))) for k in ("AB", "AC", "BC")}
    assert set(got) == set(pair.values())
    assert got[pair["AB"]].lcd == pytest.approx(2300.0)
    assert got[pair["AB"]].length_m == pytest.approx(2300.0)
    assert got[pair["AC"]].lcd == pytest.approx(100 * S2 * 27.5 + 95_000 + 2_550)
    # gravity: the short A-B corridor is the one above the mean
    assert got[pair["AB"]].important and not got[pair["AC"]].important
    assert (c["resistance"] > 0).all()
    assert c.geometry.geom_type.eq("LineString").all()


def test_network_indices_by_hand(result):
    n = result.tables["ecology_network"].set_index(["level", "unit_id"])
    city = n.loc[("city", "K")]
    assert (city["n_sources"], city["n_corridors"]) == (3, 3)
    assert (city["alpha"], city["beta"], city["gamma"]) == pytest.approx((1.0, 1.0, 1.0))
    left, right = n.loc[("county", "L")], n.loc[("county", "R")]
    assert (left["n_sources"], left["n_corridors"], right["n_sources"], right["n_corridors"]) == (2, 1, 1, 0)
    assert left["beta"] == pytest.approx(0.5) and right["beta"] == 0.0
    assert pd.isna(left["alpha"]) and pd.isna(left["gamma"])


def test_pc_iic_eca_of_the_city_against_an_independent_computation(result):
    # edge-to-edge distances between the core patches, by hand (closest cell centres, m):
    # A-B 23 cells apart in a row; A-C 23 rows and 3 columns; B-C 23 rows and 7 columns
    d = {("A", "B"): 2300.0, ("A", "C"): 100 * math.hypot(23, 3), ("B", "C"): 100 * math.hypot(23, 7)}
    area = {"A": 1.69, "B": 1.69, "C": 1.82}
    k = math.log(2) / 5000.0
    names = ["A", "B", "C"]
    cost = np.zeros((3, 3))
    for (a, b), v in d.items():
        cost[names.index(a), names.index(b)] = cost[names.index(b), names.index(a)] = k * v
    for m in range(3):  # Floyd-Warshall on −ln p: the maximum product probability p*
        cost = np.minimum(cost, cost[:, [m]] + cost[[m], :])
    a = np.array([area[x] for x in names])
    pc_num = float(a @ np.exp(-cost) @ a)
    iic_num = float(a @ a) + 2 * float(a[0] * a[1] + a[0] * a[2] + a[1] * a[2]) / 2  # all pairs linked (d ≤ 5 km)
    n = result.tables["ecology_network"].set_index(["level", "unit_id"]).loc[("city", "K")]
    assert n["pc"] == pytest.approx(pc_num / 36.0**2, rel=1e-9)
    assert n["iic"] == pytest.approx(iic_num / 36.0**2, rel=1e-9)
    assert n["eca"] == pytest.approx(math.sqrt(pc_num), rel=1e-9)


def test_pinch_point_on_the_strip_and_break_point_on_the_road(result):
    nodes = result.tables["ecology_nodes"]
    ids = _ids(result)
    pinch = nodes[nodes["kind"] == "pinch"].sort_values("score", ascending=False)
    r, c = _cell(pinch["x"].iloc[:1], pinch["y"].iloc[:1])
    assert 11 <= r[0] <= 12 and 20 <= c[0] <= 39
    br = nodes[(nodes["kind"] == "break")]
    ab = br[(br["source_a"] == min(ids["A"], ids["B"])) & (br["source_b"] == max(ids["A"], ids["B"]))]
    assert len(ab) == 1 and ab["what"].iloc[0] == "road"
    r, c = _cell(ab["x"], ab["y"])
    assert (11 <= r[0] <= 12) and c[0] == 30
    assert (nodes.loc[nodes["kind"] == "barrier", "score"] > 0).all()
    assert set(nodes["kind"]) == {"pinch", "barrier", "break"}
    assert nodes["node_id"].tolist() == list(range(1, len(nodes) + 1))


def test_rasters(result):
    import rasterio

    out = result.out_dir / "rasters"
    assert sorted(p.name for p in out.glob("*.tif")) == sorted(
        f"{n}_2020.tif" for n in ("mspa", "resistance", "corridors", "current", "barriers"))
    m = rasterio.open(out / "mspa_2020.tif").read(1)
    assert (m[STRIP] == 33).all()  # the strip is a bridge, entering the blocks' edges as transitions
    assert (m[11:13, [19, 40]] == 35).all() and (m[10, [19, 40]] == 3).all()
    assert (m[6:19, 6:19] == 17).all() and m[30, 30] == 0
    res = rasterio.open(out / "resistance_2020.tif").read(1)
    np.testing.assert_array_equal(res, np.where(landcover() == 1, 1.0, 50.0))
    cur = rasterio.open(out / "current_2020.tif").read(1)
    # 1 A per pair: every cut across the strip carries the A-B current (the rest flows round)
    assert 0.5 < cur[11:13, 30].sum() < 2.0
    corr = rasterio.open(out / "corridors_2020.tif").read(1)
    assert np.nanmin(corr) == 0.0 and np.isfinite(corr[STRIP]).all()


def test_windows_give_the_same_network(tmp_path, result):
    """Nine 20-cell windows with a 15-cell halo: the same sources and corridors as one window."""
    study = make_ecology_study(tmp_path / "study", extra="window_cells = 20\nhalo_cells = 15\n")
    res = run_study(study, out=tmp_path / "out", only=["ecology"], report=False)
    one, many = result.tables, res.tables
    assert set(many["ecology_sources"]["window"]) == {0, 2, 7}  # A, B, C owned by three windows
    key = lambda t: t.assign(k=[tuple(v) for v in np.round(t[["x", "y"]].to_numpy(), 6)]).set_index("k")  # noqa: E731
    a, b = key(one["ecology_sources"]), key(many["ecology_sources"])
    assert set(a.index) == set(b.index)
    np.testing.assert_allclose(b.loc[a.index, "area_km2"], a["area_km2"])
    lcd = lambda t: sorted(np.round(t["lcd"].to_numpy(), 6))  # noqa: E731
    assert lcd(many["ecology_corridors"]) == lcd(one["ecology_corridors"])
    assert (many["ecology_network"]["n_sources"].to_numpy() == one["ecology_network"]["n_sources"].to_numpy()).all()


# ---------------------------------------------------------------- bad inputs

def test_resistance_table_without_a_code_names_it(tmp_path):
    table = tmp_path / "res.csv"
    table.write_text("code,resistance\n1,1\n", encoding="utf-8")
    study = make_ecology_study(tmp_path / "study", extra=f'resistance = "{table.as_posix()}"\n')
    with pytest.raises(InputError, match=r"code\(s\) \[12\] have no resistance"):
        run_study(study, out=tmp_path / "out", only=["ecology"], report=False)
    table.write_text("code,resistance\n1,1\n12,0\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="row 3"):
        run_study(study, out=tmp_path / "out", only=["ecology"], report=False)


def test_land_cover_in_degrees_is_refused(tmp_path):
    import geopandas as gpd
    import rasterio
    from affine import Affine
    from shapely.geometry import box

    study = make_ecology_study(tmp_path / "study", roads=False)
    root = tmp_path / "study"
    with rasterio.open(root / "lc_2020.tif", "w", driver="GTiff", width=N, height=N, count=1, dtype="uint8",
                       crs="EPSG:4326", transform=Affine(0.001, 0, 117.0, 0, -0.001, 30.06), nodata=255) as ds:
        ds.write(landcover(), 1)
    gpd.GeoDataFrame({"unit_id": ["L", "R"], "name": ["Left", "Right"], "city_id": ["K", "K"],
                      "city_name": ["City", "City"]},
                     geometry=[box(117.0, 30.0, 117.03, 30.06), box(117.03, 30.0, 117.06, 30.06)],
                     crs=4326).to_file(root / "units.gpkg", driver="GPKG")
    with pytest.raises(InputError, match="degrees"):
        run_study(study, out=tmp_path / "out", only=["ecology"], report=False)


@pytest.mark.parametrize("extra, err, match", [
    ('corrections = ["ndvi"]\n', ParameterError, "needs \\[rasters\\] ndvi"),
    ("years = [1999]\n", ParameterError, "not study years"),
    ('circuit_domain = "corridor"\n', EcozoneError, "corridor_cutoff"),
    ('eco_groups = ["forests"]\n', EcozoneError, "forests"),
    ('landcover = "landcover_fine"\n', ParameterError, "no \\[rasters\\] landcover_fine"),
])
def test_bad_parameters_say_what_to_do(tmp_path, extra, err, match):
    study = make_ecology_study(tmp_path / "study", roads=False, extra=extra)
    with pytest.raises(err, match=match) as e:
        run_study(study, out=tmp_path / "out", only=["ecology"], report=False)
    assert e.value.where


def test_no_ecological_land_gives_empty_tables_and_a_note(tmp_path):
    study = make_ecology_study(tmp_path / "study", roads=False, lc=np.full((N, N), 12, np.uint8))
    res = run_study(study, out=tmp_path / "out", only=["ecology"], report=False)
    assert len(res.tables["ecology_sources"]) == 0 and len(res.tables["ecology_corridors"]) == 0
    net = res.tables["ecology_network"]
    assert (net["n_sources"] == 0).all() and (net["pc"] == 0).all()
    assert any("no source" in n for n in res.manifest["notes"])


def test_user_reserve_polygon_becomes_a_source(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    lc = np.full((N, N), 12, np.uint8)
    lc[5:20, 5:20] = 1  # one forest block: one MSPA source
    study = make_ecology_study(tmp_path / "study", roads=False, lc=lc, extra="")
    # a reserve on cropland (a source of its own) and one inside the forest block's core (no cell of its own)
    gpd.GeoDataFrame({"name": ["park", "inside"]}, geometry=[box(*xy(40, 50), *xy(50, 40)), box(*xy(8, 12), *xy(12, 8))],
                     crs=CRS).to_file(tmp_path / "study" / "reserves.gpkg", driver="GPKG")
    text = (tmp_path / "study" / "ecozone.toml").read_text(encoding="utf-8")
    text = text.replace("[rasters]", '[layers]\nreserves = "reserves.gpkg"\n\n[rasters]')
    (tmp_path / "study" / "ecozone.toml").write_text(text, encoding="utf-8")
    res = run_study(study, out=tmp_path / "out", only=["ecology"], report=False)
    s = res.tables["ecology_sources"]
    assert sorted(s["origin"]) == ["mspa", "reserves"]
    user = s[s["origin"] == "reserves"].iloc[0]
    assert user["area_km2"] == pytest.approx(1.0) and pd.isna(user["dpc"]) and pd.isna(user["rank"])
    assert len(res.tables["ecology_corridors"]) == 1
    assert any("1 polygon(s) of [layers] sources / reserves hold no cell" in n for n in res.manifest["notes"])


def test_report_section_in_both_languages(tmp_path):
    from ecology_study import LAYERS

    from ecozone.report import build_report

    study = make_ecology_study(tmp_path / "study", given=LAYERS)
    res = run_study(study, out=tmp_path / "out", only=["ecology"], report=True)
    html = (res.out_dir / "report.html").read_text(encoding="utf-8")
    for fig in ("ecology_map", "ecology_dpc", "ecology_network_map"):
        assert f'id="fig-{fig}"' in html
    assert "Ecological network" in html and "100 m" in html  # the method note names the cell size
    assert {p.name for p in (res.out_dir / "figures").glob("ecology_*.png")} == {
        "ecology_network_2020.png", "ecology_dpc_2020.png"}
    zh = build_report(res.out_dir, "zh", figures=False).read_text(encoding="utf-8")
    assert "生态网络" in zh and "生态夹点" in zh
