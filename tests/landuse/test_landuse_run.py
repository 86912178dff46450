"""``ecozone run --only landuse`` end to end on the small study (METHODS §6).

The small study (tests/small_study.py) has IGBP land cover of 2015 and 2020
on a 0.02° lon/lat grid whose cell edges fall on the county boundaries (every
county is exactly 5 × 5 cells). A copy changes a few cells of 2020 (forest and
cropland turned built-up, one town cell turned cropland, one cell without
data, one code the class table lacks). The expected areas are derived here
cell by cell: each cell's area is its lon/lat outline, densified along the
parallels, projected to the study's equal-area CRS (pyproj) — nothing of the
zonal engine. Also: the ``built_change`` GeoTIFF cell by cell, the report
section in both languages, a one-year study (skipped with its reason), and a
property: on random land cover the new built-up cells of the raster add up
to the table's built-up gain of every county.
"""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pyproj import Transformer

from ecozone.errors import MissingInputs
from ecozone.progress import SilentReporter
from ecozone.registry import ANALYSES
from ecozone.run import plan, read_inputs, run_study
from ecozone.study import load_study

from small_study import RES, X0, Y0, H, W

AREA_CRS = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +datum=WGS84"  # METHODS' default
TO_AEA = Transformer.from_crs("EPSG:4326", AREA_CRS, always_xy=True)

#: (row, col) of the grid → county id: county 101 + i covers rows 1–5 / 6–10 and columns 1–5 / 6–10 / 11–15
COUNTY_BLOCKS = {str(101 + i): (1 + 5 * (i // 3), 1 + 5 * (i % 3)) for i in range(6)}
NEW_BUILT_FOREST = [(3, 4), (3, 5)]  # county 101: evergreen broadleaf forest (2) → built-up (13)
NEW_BUILT_CROP = [(2, 7), (2, 8), (3, 7)]  # county 102: cropland (12) → built-up
LOST_BUILT = (10, 1)  # county 104: a town cell (13) → cropland
NO_DATA = (7, 8)  # county 105: nodata (0) in 2020
UNKNOWN = (8, 12)  # county 106: forest (4) → code 99, not in the IGBP table


def cell_km2(row: int, n: int = 64) -> float:
    """Area (km²) of a cell of ``row`` in the equal-area CRS: its outline densified along the parallels."""
    top = Y0 - row * RES
    lons = np.linspace(X0, X0 + RES, n)
    ring_lon = np.concatenate([lons, lons[::-1]])
    ring_lat = np.concatenate([np.full(n, top), np.full(n, top - RES)])
    x, y = TO_AEA.transform(ring_lon, ring_lat)
    return shapely.Polygon(np.column_stack([x, y])).area / 1e6


A = {r: cell_km2(r) for r in range(H)}


def box_km2(lon0: float, lat0: float, lon1: float, lat1: float) -> float:
    """Area (km²) of a unit's box polygon (its four corners) in the equal-area CRS, as the units are given."""
    x, y = TO_AEA.transform([lon0, lon1, lon1, lon0], [lat0, lat0, lat1, lat1])
    return shapely.Polygon(np.column_stack([x, y])).area / 1e6


def _read(path):
    with rasterio.open(path) as r:
        return r.read(1), r.profile


def changed_study(root):
    """Change the 2020 land cover of a copy of the small study as the module docstring says."""
    lc15, _ = _read(root / "rasters/lc_2015.tif")
    lc20, prof = _read(root / "rasters/lc_2020.tif")
    assert (lc15 == lc20).all()
    for rc in NEW_BUILT_FOREST:
        assert lc20[rc] == 2
        lc20[rc] = 13
    for rc in NEW_BUILT_CROP:
        assert lc20[rc] == 12
        lc20[rc] = 13
    assert lc20[LOST_BUILT] == 13
    lc20[LOST_BUILT] = 12
    lc20[NO_DATA] = 0
    assert lc20[UNKNOWN] == 4
    lc20[UNKNOWN] = 99
    with rasterio.open(root / "rasters/lc_2020.tif", "w", **prof) as dst:
        dst.write(lc20, 1)
    return lc15, lc20


def brute_force_transitions(lc15, lc20) -> dict:
    """(county, class_from, class_to) → km², cell by cell over each county's 5 × 5 block."""
    out: dict = {}
    for uid, (r0, c0) in COUNTY_BLOCKS.items():
        for r in range(r0, r0 + 5):
            for c in range(c0, c0 + 5):
                a, b = int(lc15[r, c]), int(lc20[r, c])
                if a == 0 or b == 0:  # the rasters' nodata
                    continue
                out[(uid, a, b)] = out.get((uid, a, b), 0.0) + A[r]
    return out


@pytest.fixture(scope="module")
def landuse_run(tmp_path_factory, small_study_template):
    root = tmp_path_factory.mktemp("landuse") / "study"
    shutil.copytree(small_study_template, root)
    lc15, lc20 = changed_study(root)
    res = run_study(root, out=root / "out", only=["landuse"], report=False)
    return root, res, lc15, lc20


def test_transitions_cell_by_cell(landuse_run):
    _root, res, lc15, lc20 = landuse_run
    t = res.tables["landuse_transitions"]
    assert list(t.columns) == ["level", "unit_id", "year_from", "year_to", "class_from", "class_name_from",
                               "class_to", "class_name_to", "area_km2"]
    assert set(zip(t["year_from"], t["year_to"], strict=True)) == {(2015, 2020)}
    county = t[t["level"] == "county"]
    got = {(r.unit_id, r.class_from, r.class_to): r.area_km2 for r in county.itertuples()}
    want = brute_force_transitions(lc15, lc20)
    assert set(got) == set(want)
    for k, v in want.items():
        assert got[k] == pytest.approx(v, rel=1e-7), k
    # by hand: the two forest cells of row 3 that turned built-up, the town cell lost, the unknown code
    assert got[("101", 2, 13)] == pytest.approx(2 * A[3], rel=1e-7)
    assert got[("102", 12, 13)] == pytest.approx(2 * A[2] + A[3], rel=1e-7)
    assert got[("104", 13, 12)] == pytest.approx(A[10], rel=1e-7)
    assert got[("106", 4, 99)] == pytest.approx(A[8], rel=1e-7)
    assert ("105", 12, 0) not in got  # no data in 2020: left out
    # a cell of about 2.2 km × 1.9 km at 30° N
    assert 4.2 < A[3] < 4.35
    names = county.set_index(["unit_id", "class_from", "class_to"])
    assert names.loc[("101", 2, 13), "class_name_from"] == "Evergreen Broadleaf Forests"
    assert names.loc[("101", 2, 13), "class_name_to"] == "Urban and Built-up Lands"
    assert pd.isna(names.loc[("106", 4, 99), "class_name_to"])
    # upper levels: city C1 = counties 101–103 = agglomeration AG; C2 = 104–106
    for lv, uid, members in (("city", "C1", ("101", "102", "103")), ("agglomeration", "AG", ("101", "102", "103")),
                             ("city", "C2", ("104", "105", "106"))):
        up = t[(t["level"] == lv) & (t["unit_id"] == uid)].set_index(["class_from", "class_to"])["area_km2"]
        summed = county[county["unit_id"].isin(members)].groupby(["class_from", "class_to"])["area_km2"].sum()
        pd.testing.assert_series_equal(up.sort_index(), summed.sort_index(), check_names=False, rtol=1e-12)


def test_change_summary_by_hand(landuse_run):
    _root, res, _lc15, _lc20 = landuse_run
    c = res.tables["landuse_change"].set_index(["level", "unit_id"])
    rows = lambda r0: range(r0, r0 + 5)  # noqa: E731
    area = {uid: box_km2(113.0 + 0.1 * (i % 3), 30.1 - 0.1 * (i // 3), 113.1 + 0.1 * (i % 3), 30.2 - 0.1 * (i // 3))
            for i, uid in enumerate(COUNTY_BLOCKS)}
    area["C1"] = area["101"] + area["102"] + area["103"]  # their dissolve keeps the shared corners

    r = c.loc[("county", "101")]
    assert (r.year_from, r.year_to) == (2015, 2020)
    assert r.built_from_km2 == 0 and r.built_to_km2 == pytest.approx(2 * A[3], rel=1e-7)
    assert r.built_gain_km2 == pytest.approx(2 * A[3], rel=1e-7) and r.built_loss_km2 == 0
    assert pd.isna(r.built_rate)  # no built-up land in 2015: empty
    assert r.expansion_intensity == pytest.approx(2 * A[3] / area["101"] / 5 * 100, rel=1e-6)
    assert r.eco_from_km2 == pytest.approx(sum(5 * A[k] for k in rows(1)), rel=1e-7)  # all forest
    assert r.eco_loss_km2 == pytest.approx(2 * A[3], rel=1e-7)
    assert r.eco_to_built_km2 == pytest.approx(2 * A[3], rel=1e-7) and r.cropland_to_built_km2 == 0

    r = c.loc[("county", "102")]
    assert r.cropland_to_built_km2 == pytest.approx(2 * A[2] + A[3], rel=1e-7)
    assert r.eco_from_km2 == 0 and r.eco_to_built_km2 == 0

    r = c.loc[("county", "104")]  # two town cells of row 10, one turned cropland
    assert r.built_from_km2 == pytest.approx(2 * A[10], rel=1e-7)
    assert r.built_to_km2 == pytest.approx(A[10], rel=1e-7) and r.built_loss_km2 == pytest.approx(A[10], rel=1e-7)
    assert r.built_rate == pytest.approx(0.5 ** (1 / 5) - 1, rel=1e-9)  # (1/2)^(1/5) − 1 = −12.9 % per year
    assert r.expansion_intensity == 0

    r = c.loc[("county", "106")]  # code 99 is left out of the summary: forest of 2015 less that cell
    assert r.eco_from_km2 == pytest.approx(sum(4 * A[k] for k in rows(6)) - A[8], rel=1e-7)
    assert r.eco_loss_km2 == 0

    gain = 2 * A[3] + 2 * A[2] + A[3]
    for lv, uid in (("city", "C1"), ("agglomeration", "AG")):
        r = c.loc[(lv, uid)]
        assert r.built_gain_km2 == pytest.approx(gain, rel=1e-7)
        assert r.expansion_intensity == pytest.approx(gain / area["C1"] / 5 * 100, rel=1e-6)
        assert r.eco_to_built_km2 == pytest.approx(2 * A[3], rel=1e-7)
    assert c.loc[("city", "C2")].built_loss_km2 == pytest.approx(A[10], rel=1e-7)
    # balances: to − from = gain − loss, for built-up and ecological land, in every row
    t = res.tables["landuse_change"]
    np.testing.assert_allclose(t.built_to_km2 - t.built_from_km2, t.built_gain_km2 - t.built_loss_km2, atol=1e-9)
    np.testing.assert_allclose(t.eco_to_km2 - t.eco_from_km2, t.eco_gain_km2 - t.eco_loss_km2, atol=1e-9)


def test_unknown_code_is_a_note(landuse_run):
    _root, res, _lc15, _lc20 = landuse_run
    notes = [n for n in res.manifest["notes"] if n.startswith("landuse 2015–2020")]
    assert len(notes) == 1 and "[99]" in notes[0] and "[landcover] classes" in notes[0]
    assert f"{A[8]:.4g} km²" in notes[0]


def test_built_change_raster_cell_by_cell(landuse_run):
    root, res, lc15, _lc20 = landuse_run
    assert res.rasters == ["rasters/built_change_2015_2020.tif"]
    v, prof = _read(root / "out/rasters/built_change_2015_2020.tif")
    _lc, lc_prof = _read(root / "rasters/lc_2015.tif")
    assert v.shape == (H, W) and prof["transform"] == lc_prof["transform"]
    want = np.zeros((H, W))
    for rc in NEW_BUILT_FOREST + NEW_BUILT_CROP:
        want[rc] = 1
    want[LOST_BUILT] = 2
    want[NO_DATA] = np.nan
    np.testing.assert_array_equal(v, want)  # NaN where either year has no data; the unknown code: 0
    assert lc15[10, 2] == 13 and v[10, 2] == 0  # built-up in both years: unchanged


def test_report_section_in_both_languages(landuse_run, tmp_path):
    from ecozone.report import build_report

    root, _res, _lc15, _lc20 = landuse_run
    out = tmp_path / "out"
    shutil.copytree(root / "out", out)
    for lang, title in (("zh", "土地利用变化与建设用地扩张"), ("en", "Land-use change and built-up expansion")):
        text = build_report(out, lang=lang, figures=lang == "en").read_text(encoding="utf-8")
        assert 'data-section="landuse"' in text and title in text
        for fig in ("landuse_map", "landuse_sankey", "landuse_eco_lost"):
            assert f'id="fig-{fig}"' in text, (lang, fig)
    assert "2015–2020" in text and "Whole study area" in text
    assert sorted(p.name for p in (out / "figures").glob("landuse_*.png")) == [
        "landuse_expansion_2015_2020.png", "landuse_transitions_2015_2020.png"]


def _one_year(root) -> None:
    """Keep 2020 only, with the air table and the land cover."""
    (root / "ecozone.toml").write_text(
        '[study]\nname = "One year"\nyears = [2020]\n\n[units]\npath = "units.gpkg"\nname = "name"\n'
        'levels = { county = "unit_id", city = "city_id", agglomeration = "agglo_id" }\n\n'
        '[tables]\nair = "air.csv"\n\n[rasters]\nlandcover = "rasters/lc_{year}.tif"\n',
        encoding="utf-8",
    )


def test_one_year_is_skipped_with_its_reason(small_study, tmp_path):
    _one_year(small_study)
    why = plan(load_study(small_study))["landuse"]
    assert why == ["land cover of two study years or more ([study] years has only 2020; land-use change runs "
                   "between consecutive years)"]
    with pytest.raises(MissingInputs) as e:
        run_study(small_study, out=tmp_path / "only", only=["landuse"], report=False)
    assert "landuse" in e.value.what and "two study years" in e.value.what
    assert not (tmp_path / "only").exists()
    # the run function itself says so too (a notebook calling it directly)
    got = ANALYSES["landuse"].runner()(read_inputs(load_study(small_study)), SilentReporter())
    assert not got.tables and not got.rasters
    assert "two study years" in got.notes[0] and "2020" in got.notes[0]


# ---------------------------------------------------------------- property

@pytest.fixture(scope="module")
def random_inputs(tmp_path_factory, small_study_template):
    root = tmp_path_factory.mktemp("landuse-random") / "study"
    shutil.copytree(small_study_template, root)
    return root, read_inputs(load_study(root))


CODES = st.sampled_from([0, 2, 10, 12, 13, 17])  # nodata, forest, grassland, cropland, built-up, water


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=arrays(np.uint8, (H, W), elements=CODES), b=arrays(np.uint8, (H, W), elements=CODES))
def test_property_raster_and_tables_agree(random_inputs, a, b):
    """New built-up cells of the raster (× their area) = built_gain_km2 of each county; lost likewise;
    the transitions of each county add up to its cells with data in both years."""
    root, inp = random_inputs
    for y, arr in ((2015, a), (2020, b)):
        _lc, prof = _read(root / f"rasters/lc_{y}.tif")
        with rasterio.open(root / f"rasters/lc_{y}.tif", "w", **prof) as dst:
            dst.write(arr, 1)
    res = ANALYSES["landuse"].runner()(dataclasses.replace(inp, results={}, notes=[]), SilentReporter())
    bc = res.rasters["built_change_2015_2020"].values
    if "landuse_change" not in res.tables:  # no cell of a county with data in both years
        assert all(np.isnan(bc[r0:r0 + 5, c0:c0 + 5]).all() for r0, c0 in COUNTY_BLOCKS.values())
        assert "no unit has a cell with land cover in both years" in res.notes[-1]
        return
    chg = res.tables["landuse_change"].set_index(["level", "unit_id"])
    t = res.tables["landuse_transitions"]
    for uid, (r0, c0) in COUNTY_BLOCKS.items():
        block = bc[r0:r0 + 5, c0:c0 + 5]
        rows_km2 = np.array([A[r] for r in range(r0, r0 + 5)])[:, None]
        valid = float((np.isfinite(block) * rows_km2).sum())
        got_valid = t[(t["level"] == "county") & (t["unit_id"] == uid)]["area_km2"].sum()
        assert got_valid == pytest.approx(valid, rel=1e-7, abs=1e-9)
        if valid == 0:
            assert ("county", uid) not in chg.index
            continue
        r = chg.loc[("county", uid)]
        assert r.built_gain_km2 == pytest.approx(float(((block == 1) * rows_km2).sum()), rel=1e-7, abs=1e-9)
        assert r.built_loss_km2 == pytest.approx(float(((block == 2) * rows_km2).sum()), rel=1e-7, abs=1e-9)
