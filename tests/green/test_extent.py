"""Units outside the extent of the vector layers get empty layer-based indicators, not 0.

The tiny study of ``tests/green_study.py`` (counties U1: x 0–1000 m and U2:
x 1000–2000 m, y 0–1000 m, city C1); every coverage below is derived by hand
from the layers drawn there.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from green_study import CRS, X0, Y0, make_green_study, units
from shapely.geometry import LineString, box

from ecozone.errors import InputError
from ecozone.green.params import GreenParams
from ecozone.green.run import LAYER_INDICATORS, features_by_unit, layer_extent
from ecozone.progress import SilentReporter
from ecozone.registry import ANALYSES
from ecozone.run import read_inputs, run_study
from ecozone.study import load_study

OUTSIDE = "outside the extent of the green-infrastructure layers"


def _analysis(study):
    return ANALYSES["green"].runner()(read_inputs(load_study(study)), SilentReporter())


def _rows(res) -> pd.DataFrame:
    g = res.tables["green_infrastructure"]
    return g[g["year"] == 2020].set_index("unit_id")


def _box(x0, y0, x1, y1):
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def _two_cities(root):
    """U1 in city C1, U2 in city C2 (the units file of the tiny study rewritten)."""
    u = units()
    u.loc[u["unit_id"] == "U2", ["city_id", "city_name"]] = ["C2", "City Two"]
    u.to_file(root / "units.gpkg", driver="GPKG")


def test_layer_extent_boxes_hull_and_features():
    square = np.array([box(0, 0, 1, 1)], dtype=object)
    line = np.array([LineString([(2, 2), (3, 3)])], dtype=object)
    given = {"green_space": square, "greenways": line}
    boxes = layer_extent(None, GreenParams(), given)
    assert boxes.area == pytest.approx(2.0)                      # box(0,0,1,1) ∪ box(2,2,3,3)
    hull = layer_extent(None, GreenParams(extent="hull"), given)
    assert hull.area == pytest.approx(3.0)                       # (0,0) (1,0) (3,3) (0,1): shoelace 6 / 2
    assert layer_extent(None, GreenParams(extent="study"), given) is None
    flat = layer_extent(None, GreenParams(), {"greenways": np.array([LineString([(0, 0), (5, 0)])])})
    assert flat.area == 0.0                                      # one straight east-west line: no area
    cells = [box(0, 0, 1, 1), box(1.5, 1.5, 2.5, 2.5), box(5, 5, 6, 6), box(0.99, 0, 2, 1)]
    # the last overlaps the square by 0.01, less than the inset 0.1
    assert features_by_unit(cells, given.values(), inset_m=0.1).tolist() == [1.0, 1.0, 0.0, 0.0]
    assert features_by_unit(cells, given.values(), inset_m=0.0).tolist() == [1.0, 1.0, 0.0, 1.0]


def test_a_unit_outside_a_declared_extent_is_empty_and_the_inside_one_unchanged(tmp_path):
    """extent.gpkg = x −50…1050 m: U1 wholly inside, U2 50 m of 1,000 (5 %) inside."""
    got = {}
    for extent in ("study", "extent.gpkg"):
        root = tmp_path / extent.replace(".", "_")
        study = make_green_study(root, fine=False, years=(2020,), extra=f'[green]\nextent = "{extent}"\n')
        _two_cities(root)
        gpd.GeoDataFrame({"name": ["Ezhou"]}, geometry=[_box(-50, -50, 1050, 1050)], crs=CRS).to_file(
            root / "extent.gpkg", driver="GPKG")
        got[extent] = _analysis(study)
    whole, part = _rows(got["study"]), _rows(got["extent.gpkg"])
    # inside: the hand-derived values of test_green_run, every column the same as with "study"
    u1 = part.loc["U1"]
    assert u1["park_green_per_capita"] == pytest.approx(10.0) and u1["redline_share"] == pytest.approx(0.2)
    assert u1["park_service_share_buffer"] == pytest.approx(0.75)
    assert u1["park_service_share_network"] == pytest.approx(0.5)
    assert u1["layer_coverage"] == 1.0 and u1["in_layer_extent"]
    pd.testing.assert_frame_equal(part.loc[["U1", "C1"]], whole.loc[["U1", "C1"]])
    # outside: empty (the layers say nothing there), where "study" wrote 0 and a failed standard
    for unit in ("U2", "C2"):
        out, was = part.loc[unit], whole.loc[unit]
        assert was["park_green_per_capita"] == 0.0 and not was["pass_park_green_per_capita"]
        assert out["layer_coverage"] == pytest.approx(0.05) and not out["in_layer_extent"]
        for c in LAYER_INDICATORS:
            assert np.isnan(out[c]) and pd.isna(out[f"pass_{c}"]) and pd.isna(out[f"rank_{c}"]), (unit, c)
        assert np.isnan(out["green_space_km2"]) and np.isnan(out["redline_km2"])
        assert out["forest_coverage"] == was["forest_coverage"] == 0.0  # the land cover is not gated
        assert out["n_assessed"] == 0 and out["n_pass"] == 0
    assert part.loc["U1", "rank_park_green_per_capita"] == 1            # ranked among the assessed only
    assert whole.loc["U2", "rank_park_green_per_capita"] == 2
    notes = " ".join(got["extent.gpkg"].notes)
    assert OUTSIDE in notes and "1 of 2 county, 1 of 2 city" in notes
    assert "park_green_per_capita is empty" not in notes                # said once, with the extent
    assert OUTSIDE not in " ".join(got["study"].notes)
    land = {k: v.tables["landscape"] for k, v in got.items()}
    pd.testing.assert_frame_equal(land["study"], land["extent.gpkg"])   # landscape metrics unaffected


def test_the_default_extent_is_the_union_of_the_layers_bounding_boxes(tmp_path):
    """Boxes: park x 0–400 y 0–500; red lines y 800–1000 over U1; roads x 0–1000 y 520–900; residential
    points x 300–1900 y 100–900; the greenway (y = 950) has no area. In U1 they leave x 400–1000 of
    y 0–100 and x 0–300 of y 500–520 out: 0.934 inside; in U2 only the residential box: 0.72; C1 0.827."""
    study = make_green_study(tmp_path / "s", fine=False, years=(2020,))
    res = _analysis(study)
    t = _rows(res)
    assert t.loc["U1", "layer_coverage"] == pytest.approx(0.934, abs=1e-6)
    assert t.loc["U2", "layer_coverage"] == pytest.approx(0.72, abs=1e-6)
    assert t.loc["C1", "layer_coverage"] == pytest.approx(0.827, abs=1e-6)
    assert not t["in_layer_extent"].any() and t["park_green_per_capita"].isna().all()  # all < 95 %
    assert "2 of 2 county, 1 of 1 city" in " ".join(res.notes)
    study = make_green_study(tmp_path / "s", fine=False, years=(2020,),
                             extra="[green]\nextent_min_coverage = 0.9\n")
    t = _rows(_analysis(study))
    assert list(t.loc[["U1", "U2", "C1"], "in_layer_extent"]) == [True, False, False]
    assert t.loc["U1", "park_green_per_capita"] == pytest.approx(10.0)
    assert t.loc["U1", "park_service_share_network"] == pytest.approx(0.5)
    assert t.loc[["U2", "C1"], list(LAYER_INDICATORS)].isna().all().all()
    assert t.loc["C1", "forest_coverage"] == pytest.approx(0.2)


@pytest.mark.parametrize("extent", ["layers", "hull"])
def test_a_unit_no_feature_reaches_is_not_taken_as_empty(tmp_path, extent):
    """Parks: the tiny study's park (x 0–400, y 0–500, in U1) and one east of the study (x 2100–2200,
    y 900–1000); red lines y 800–1000 over U1 (touching U2 at x = 1000: not in it). Bounding boxes x 0–2200:
    U1, U2 and C1 wholly inside, but no feature lies in U2, which the layers cannot tell from an
    unmapped county. Hull (0,0) (400,0) (2200,900) (2200,1000) (0,1000): its edge y = (x − 400) / 2
    cuts 600 × 300 / 2 m² off U1 (0.91 inside) and 1000 × (300 + 800) / 2 off U2 (0.45)."""
    root = tmp_path / "s"
    study = make_green_study(root, fine=False, years=(2020,), layers_given=("green_space", "red_lines"),
                             extra=f'[green]\nextent = "{extent}"\nextent_min_coverage = 0.9\n')
    gpd.GeoDataFrame({"name": ["park", "park east"]}, geometry=[_box(0, 0, 400, 500), _box(2100, 900, 2200, 1000)],
                     crs=CRS).to_file(root / "green_space.gpkg", driver="GPKG")
    t = _rows(_analysis(study))
    cov = {"layers": (1.0, 1.0, 1.0), "hull": (0.91, 0.45, 0.68)}[extent]
    assert t.loc[["U1", "U2", "C1"], "layer_coverage"].tolist() == pytest.approx(cov, abs=1e-6)
    assert t.loc["U1", "park_green_per_capita"] == pytest.approx(200_000 / 20_000)
    assert t.loc["U1", "in_layer_extent"] and not t.loc["U2", "in_layer_extent"]
    assert np.isnan(t.loc["U2", "park_green_per_capita"])
    if extent == "layers":  # the city is reached (through U1) and wholly inside
        assert t.loc["C1", "park_green_per_capita"] == pytest.approx(200_000 / 30_000)
    else:
        assert np.isnan(t.loc["C1", "park_green_per_capita"])


def test_a_bad_extent_layer_is_clear(tmp_path):
    study = make_green_study(tmp_path / "s", fine=False, years=(2020,), extra='[green]\nextent = "nope.gpkg"\n')
    with pytest.raises(InputError, match="file not found") as e:
        _analysis(study)
    assert "[green] extent" in e.value.where and '"layers"' in e.value.fix
    study = make_green_study(tmp_path / "s", fine=False, years=(2020,), extra='[green]\nextent = "greenways.gpkg"\n')
    with pytest.raises(InputError, match="not polygon") as e:
        _analysis(study)
    assert "[green] extent" in e.value.where and "[layers]" not in (e.value.fix or "")
    with pytest.raises(ValueError):
        GreenParams(extent=" ")
    assert GreenParams(extent="Study").extent == "study"


def test_report_cards_only_for_cities_inside_the_extent(tmp_path):
    from ecozone.labels import Labels
    from ecozone.report.context import Context
    from ecozone.report.data import DisplayGeometry, read_report_data
    from ecozone.report.green import green_section
    from ecozone.report.page import Page

    root = tmp_path / "s"
    study = make_green_study(root, fine=False, years=(2020,), extra='[green]\nextent = "extent.gpkg"\n')
    _two_cities(root)
    gpd.GeoDataFrame(geometry=[_box(-50, -50, 1050, 1050)], crs=CRS).to_file(root / "extent.gpkg", driver="GPKG")
    res = run_study(study, out=tmp_path / "out", only=["green"], report=False)
    for lang, outside in (("en", "1 of 2 units of the level City lie outside"), ("zh", "1 / 2 个位于绿色基础设施图层范围之外")):
        L = Labels(lang)
        data = read_report_data(res.out_dir)
        geo = DisplayGeometry(data.units, data.area_crs, data.levels)
        sec = green_section(Context(L=L, data=data, geo=geo, page=Page(L, geo, data.tables), static=None))
        card = sec.figures[0]
        assert card.id == "green_scorecard"
        assert "City One" in card.body and "City Two" not in card.body  # 10 m²/person > 8: passes
        assert "10.00" in card.body and "✔" in card.body
        assert outside in card.note, card.note
        assert "extent.gpkg" in sec.method and "95 %" in sec.method
