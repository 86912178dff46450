"""The green analysis end to end on the tiny study of ``tests/green_study.py`` (numbers derived there by hand)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from green_study import make_green_study

from ecozone.errors import EcozoneError, InputError
from ecozone.progress import SilentReporter
from ecozone.registry import ANALYSES
from ecozone.run import read_inputs, run_study
from ecozone.study import load_study

# geodesic length of 1,000 m of UTM grid on the central meridian: 1,000 m / k0 (k0 = 0.9996)
KM = 1.0 / 0.9996
# the tiny study's layers are complete over both counties (the default extent, the layers' bounding
# boxes, would leave U2 and even U1 out: tests/green/test_extent.py)
COMPLETE = '[green]\nextent = "study"\n'


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    root = tmp_path_factory.mktemp("green")
    study = make_green_study(root / "study", extra=COMPLETE)
    res = run_study(study, out=root / "out", only=["green"], report=False)
    return res


def _analysis(study):
    """The green run function on the study's inputs (no output files written)."""
    return ANALYSES["green"].runner()(read_inputs(load_study(study)), SilentReporter())


def _row(res, level, unit, year):
    g = res.tables["green_infrastructure"]
    r = g[(g["level"] == level) & (g["unit_id"] == unit) & (g["year"] == year)]
    assert len(r) == 1
    return r.iloc[0]


def test_hand_derived_indicators(ran):
    u1 = _row(ran, "county", "U1", 2020)
    assert u1["forest_coverage"] == pytest.approx(0.4)           # x < 400 m of 1,000 m
    assert u1["redline_share"] == pytest.approx(0.2)             # union of the two red-line strips
    assert u1["greenway_km"] == pytest.approx(KM, rel=1e-5)
    assert u1["greenway_density"] == pytest.approx(KM, rel=1e-5)
    assert u1["green_space_km2"] == pytest.approx(0.2)
    assert u1["park_green_per_capita"] == pytest.approx(10.0)    # 200,000 m² / 20,000 persons
    assert u1["park_service_share_buffer"] == pytest.approx(0.75)  # R1, R2, R3 of R1–R4
    assert u1["park_service_share_network"] == pytest.approx(0.5)  # R1 (0 m), R2 (400 m); R3 walks 1,280 m
    assert u1["landcover_source"] == "landcover_fine"
    u2 = _row(ran, "county", "U2", 2020)
    assert u2["forest_coverage"] == 0.0 and u2["park_green_per_capita"] == 0.0
    assert u2["redline_share"] == pytest.approx(0.0, abs=1e-9)   # a sliver from the WGS 84 round trip
    assert u2["park_service_share_buffer"] == 0.0 and u2["park_service_share_network"] == 0.0
    assert u2["landcover_source"] == "landcover"


def test_upper_level_sums_and_population(ran):
    c = _row(ran, "city", "C1", 2020)
    assert c["area_km2"] == pytest.approx(2.0)
    assert c["population"] == 30_000                              # summed from both counties
    assert c["park_green_per_capita"] == pytest.approx(200_000 / 30_000)
    assert c["redline_share"] == pytest.approx(0.1)
    assert c["greenway_km"] == pytest.approx(2 * KM, rel=1e-5)
    assert c["park_service_share_buffer"] == pytest.approx(3 / 5)
    assert c["park_service_share_network"] == pytest.approx(2 / 5)
    assert c["forest_coverage"] == pytest.approx(0.2)            # the coarse land cover (fine covers half)
    assert c["landcover_source"] == "landcover"


def test_standards_pass_and_ranks(ran):
    y15, y20 = _row(ran, "county", "U1", 2015), _row(ran, "county", "U1", 2020)
    # GB 55014-2021 §2.1.3: "greater than 8.0 m² per person"
    assert y15["park_green_per_capita"] == pytest.approx(8.0) and not y15["pass_park_green_per_capita"]
    assert y20["pass_park_green_per_capita"]
    assert not y20["pass_park_service_share_buffer"]             # 0.75 < 0.9
    assert pd.isna(y20["pass_forest_coverage"])                   # no standard shipped
    assert (y20["n_pass"], y20["n_assessed"]) == (1, 3)
    assert y20["rank_park_green_per_capita"] == 1
    assert _row(ran, "county", "U2", 2020)["rank_park_green_per_capita"] == 2


def test_landscape_table(ran):
    land = ran.tables["landscape"]
    u1 = land[(land["unit_id"] == "U1") & (land["year"] == 2020)]
    top = u1[u1["class"].isna()].iloc[0]
    assert top["source"] == "landcover_fine" and top["cellsize_m"] == 50.0
    assert top["ta"] == pytest.approx(100.0) and top["np"] == 2 and top["pr"] == 2
    assert top["shdi"] == pytest.approx(-(0.4 * np.log(0.4) + 0.6 * np.log(0.6)))
    # one edge 1,000 m long between forest and cropland in 100 ha: ED = 10 m/ha
    assert top["ed"] == pytest.approx(10.0)
    forest = u1[u1["class"] == 1].iloc[0]
    assert forest["class_name"] == "Evergreen Needleleaf Forests"
    assert forest["pland"] == pytest.approx(40.0) and forest["ca"] == pytest.approx(40.0)
    assert forest["coverage"] == pytest.approx(1.0)
    assert set(land["level"]) == {"county", "city"}


def test_geopackage_types(ran, tmp_path):
    con = sqlite3.connect(Path(ran.out_dir) / "results.gpkg")
    try:
        cols = {r[1]: r[2] for r in con.execute('PRAGMA table_info("landscape")')}
        gcols = {r[1]: r[2] for r in con.execute('PRAGMA table_info("green_infrastructure")')}
    finally:
        con.close()
    assert cols["class"] == "INTEGER" and cols["shdi"] == "REAL"
    assert gcols["pass_park_green_per_capita"] == "BOOLEAN" and gcols["rank_greenway_km"] == "INTEGER"


def test_polygons_weights_and_gaps(tmp_path):
    study = make_green_study(tmp_path / "s", residential="polygons", layers_given=("green_space", "residential"),
                             economy=False, fine=False, years=(2020,), extra=COMPLETE)
    res = _analysis(study)
    g = res.tables["green_infrastructure"]
    u1 = g[(g["unit_id"] == "U1") & (g["year"] == 2020)].iloc[0]
    assert u1["park_service_share_buffer"] == pytest.approx(0.75, abs=1e-9)  # x 600–900 of 600–1000
    assert np.isnan(u1["park_service_share_network"]) and np.isnan(u1["park_green_per_capita"])
    notes = " ".join(res.notes)
    assert "park_service_share_network is empty" in notes and "[layers] roads" in notes
    assert "no [tables] economy" in notes and "redline_share is empty" in notes


def test_residential_weight_column(tmp_path):
    study = make_green_study(tmp_path / "s", fine=False, years=(2020,),
                             extra=COMPLETE + 'residential_weight = "residents"\n')
    g = _analysis(study).tables["green_infrastructure"]
    u1 = g[(g["unit_id"] == "U1") & (g["year"] == 2020)].iloc[0]
    assert u1["park_service_share_buffer"] == pytest.approx(600 / 1000)   # R1+R2+R3 of R1..R4
    assert u1["park_service_share_network"] == pytest.approx(300 / 1000)  # R1+R2


def test_bad_inputs_are_clear(tmp_path):
    study = make_green_study(tmp_path / "s", fine=False, years=(2020,),
                             extra='[green]\nresidential_weight = "nope"\n')
    with pytest.raises(InputError, match="no column 'nope'"):
        _analysis(study)
    (tmp_path / "s" / "std.csv").write_text("indicator,comparison,threshold,unit\nforest_coverage,>=,30,kg\n",
                                            encoding="utf-8")
    study = make_green_study(tmp_path / "s", fine=False, years=(2020,), layers_given=(),
                             extra='[green]\nstandards = "std.csv"\n')
    with pytest.raises(EcozoneError, match="unit 'kg' is not a unit of forest_coverage") as e:
        _analysis(study)
    assert "row 2" in str(e.value)


def test_fine_land_cover_on_its_own_grid_and_its_coverage_rule(tmp_path):
    """A fine raster over 8 % of the reference grid is read on its own grid; it serves a unit it covers enough."""
    import rasterio
    from affine import Affine
    from green_study import CRS, X0, Y0

    def study(name, extra=""):
        s = make_green_study(tmp_path / name, years=(2020,), layers_given=(), economy=False, extra=extra)
        with rasterio.open(s.parent / "lcf_2020.tif", "w", driver="GTiff", width=10, height=10, count=1,
                           dtype="uint8", crs=CRS, transform=Affine(40.0, 0, X0, 0, -40.0, Y0 + 1000),
                           nodata=255) as ds:  # x 0–400, y 600–1000 m of U1, all forest
            ds.write(np.ones((10, 10), "uint8"), 1)
        return s

    got = _analysis(study("default")).tables
    lc = got["green_infrastructure"]
    u1 = lc[(lc["unit_id"] == "U1")].iloc[0]
    assert u1["landcover_source"] == "landcover" and u1["forest_coverage"] == pytest.approx(0.4)
    got = _analysis(study("lower", "[green]\nfine_min_coverage = 0.1\n")).tables
    lc, land = got["green_infrastructure"], got["landscape"]
    u1 = lc[(lc["unit_id"] == "U1")].iloc[0]
    assert u1["landcover_source"] == "landcover_fine" and u1["forest_coverage"] == 1.0
    top = land[(land["unit_id"] == "U1") & land["class"].isna()].iloc[0]
    assert top["cellsize_m"] == 40.0 and top["coverage"] == pytest.approx(0.16)


def test_report_section_in_both_languages(ran, tmp_path):
    from ecozone.labels import Labels
    from ecozone.report.context import Context
    from ecozone.report.data import DisplayGeometry, read_report_data
    from ecozone.report.figures import StaticFigures
    from ecozone.report.green import green_section
    from ecozone.report.page import Page

    for lang, per_capita in (("en", "Park green space per capita"), ("zh", "人均公园绿地面积")):
        L = Labels(lang)
        data = read_report_data(ran.out_dir)
        geo = DisplayGeometry(data.units, data.area_crs, data.levels)
        static = (StaticFigures(tmp_path / lang, lang, data.synthetic, L("ui.synthetic"), extent=geo.extent)
                  if lang == "zh" else None)  # one 300 dpi figure is enough (the slow part)
        sec = green_section(Context(L=L, data=data, geo=geo, page=Page(L, geo, data.tables), static=static))
        assert [f.id for f in sec.figures] == ["green_scorecard", "green_compare", "green_map",
                                               "green_landscape_map"]
        card = sec.figures[0].body
        # City One, 2020: 200,000 m² / 30,000 persons = 6.67 m²/person fails "> 8"; rank 1 of 1 city
        assert "City One" in card and per_capita in card and "6.67" in card and "✘" in card and "1/1" in card
        assert "GB 55014-2021" in sec.params_html
    assert (tmp_path / "zh" / "figures" / "green_compare_2020.png").is_file()
