"""report.html and figures/*.png from a hand-built results folder (no browser needed here)."""

from __future__ import annotations

import hashlib
import json
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from results_fixture import EXPECTED_FIGURES, EXPECTED_SECTIONS, make_results
from typer.testing import CliRunner

from ecozone.cli import app
from ecozone.report import build_report
from ecozone.report.data import DisplayGeometry, read_report_data

URL = re.compile(r"""(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


def html_of(out):
    return (out / "report.html").read_text(encoding="utf-8")


def test_self_contained_no_url_to_fetch(built_report):
    from ecozone.report.assets import CSS, JS

    h = html_of(built_report)
    markup = re.sub(r"<script[^>]*>.*?</script>", "<script></script>", h, flags=re.S)
    assert not URL.search(markup), URL.search(markup)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", h, re.I)
    assert "@import" not in CSS and "http" not in CSS and "http" not in JS
    assert "<script src" not in h.lower() and "<link" not in h.lower() and "<iframe" not in h.lower()
    data = re.search(r'<script type="application/json" id="ecozone-data">(.*?)</script>', h, re.S).group(1)
    assert "http://" not in data and "https://" not in data
    # plotly.js is inlined, and the world topojson plotly would fetch for geo maps is supplied empty
    assert "plotly.js v" in h or "Plotly" in h
    assert "PlotlyGeoAssets" in h
    assert (built_report / "report.html").stat().st_size < 15e6


def test_sections_and_figures_present(built_report):
    h = html_of(built_report)
    sections = re.findall(r'<section class="report-section" id="sec-(\w+)" data-section="(\w+)"', h)
    assert [s[1] for s in sections] == EXPECTED_SECTIONS
    figs = re.findall(r'<figure class="report-figure" id="fig-(\w+)"', h)
    assert figs == EXPECTED_FIGURES
    data = json.loads(re.search(r'<script type="application/json" id="ecozone-data">(.*?)</script>', h, re.S)
                      .group(1).replace("<\\/", "</"))
    assert set(data["figs"]) == set(EXPECTED_FIGURES)
    assert set(data["geo"]) == {"county", "city", "agglomeration"}
    # numeric columns are aligned to the shapes of their level: 9 counties, one value each
    assert len(data["cols"]["capacity:r_total"]["v"]["county"]["2020"]) == 9


def test_provenance_and_synthetic_banner(built_report):
    h = html_of(built_report)
    assert 'id="synthetic-banner"' in h and "SYNTHETIC DEMO DATA" in h
    assert "Report fixture" in h and "0" * 64 in h  # study name and input checksum
    assert "a note" in h


def test_no_banner_for_user_data(tmp_path):
    out = make_results(tmp_path / "out", carbon=False, synthetic=False)
    build_report(out, figures=False)
    h = html_of(out)
    assert "synthetic-banner" not in h
    assert 'data-section="carbon"' not in h and 'data-section="capacity"' in h
    assert not (out / "figures").exists()


def test_chinese_report(results):
    build_report(results, lang="zh")
    h = html_of(results)
    assert '<html lang="zh-CN">' in h
    for text in ("环境承载力", "碳收支与碳平衡分区", "数据来源与参数", "合成演示数据", "碳汇功能区", "超载", "图 1"):
        assert text in h, text
    for text in ("Environmental carrying capacity", "Carbon-balance zones", "Figure 1"):
        assert text not in h, text


def test_static_figures_300_dpi_not_blank(built_report):
    pngs = sorted((built_report / "figures").glob("*.png"))
    names = {p.stem for p in pngs}
    for stem in ("capacity_states_2020", "capacity_quadrant_2020", "capacity_shares", "capacity_coupling_2020",
                 "carbon_zones", "carbon_budget_bars", "carbon_npp_nep_2020", "carbon_indices_2020",
                 "carbon_transitions_2015_2020", "carbon_lisa_cb_2020", "carbon_zone_shares", "carbon_gravity"):
        assert stem in names, stem
    for p in pngs:
        im = Image.open(p)
        dpi = im.info.get("dpi")
        assert dpi is not None and round(dpi[0]) == 300, p.name
        a = np.asarray(im.convert("RGB"), dtype=float)
        assert a.std() > 10, p.name  # not a blank page
        assert len(np.unique(a.reshape(-1, 3)[::97], axis=0)) > 8, p.name


def test_report_reads_only_and_is_regenerated(results):
    digest = hashlib.sha256((results / "results.gpkg").read_bytes()).hexdigest()
    build_report(results)
    first = sorted(p.name for p in (results / "figures").glob("*.png"))
    build_report(results, lang="zh")
    assert hashlib.sha256((results / "results.gpkg").read_bytes()).hexdigest() == digest
    assert sorted(p.name for p in (results / "figures").glob("*.png")) == first
    assert not list(results.glob(".report*"))


def test_cli_report_command(results):
    r = CliRunner().invoke(app, ["report", str(results), "--lang", "zh"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert str(results / "report.html") in r.output.replace("\n", "")
    assert "图 1" in html_of(results)
    r = CliRunner().invoke(app, ["report", str(results), "--lang", "fr"])
    assert r.exit_code == 1 and "en or zh" in r.output


def decode(enc: dict, i: int) -> list[list[np.ndarray]]:
    """The page script's decoding of one feature, restated in Python."""
    out = []
    for rings in enc["f"][i]:
        out.append([np.cumsum(np.asarray(d, dtype=float).reshape(-1, 2), axis=0) / enc["scale"] for d in rings])
    return out


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(100, 120), st.floats(20, 40), st.floats(0.01, 2.0)), min_size=1, max_size=4))
def test_encoded_shapes_decode_to_the_display_shapes(boxes):
    import geopandas as gpd
    import shapely
    from shapely.geometry import box

    units = gpd.GeoDataFrame(
        {"level": "l", "unit_id": [str(i) for i in range(len(boxes))], "name": "n"},
        geometry=[box(x, y, x + w, y + w) for x, y, w in boxes], crs="EPSG:4326",
    )
    geo = DisplayGeometry(units, "+proj=aea +lat_1=25 +lat_2=47 +lon_0=105 +datum=WGS84", ["l"])
    enc = geo.encoded("l")
    tol = 0.5 / enc["scale"] + 1e-9
    for i, g in enumerate(geo.levels["l"].lonlat):
        polys = decode(enc, i)
        parts = [p for p in shapely.get_parts(g)]
        assert len(polys) == len(parts)
        for rings, p in zip(polys, parts, strict=True):
            ext = np.asarray(p.exterior.coords)
            # consecutive duplicates (after rounding) are dropped; every decoded vertex is a vertex of the shape
            d = np.abs(rings[0][:, None, :] - ext[None, :, :]).max(axis=2).min(axis=1)
            assert (d <= tol).all()
            # exteriors run clockwise (d3-geo's convention for plotly geo maps)
            x, y = rings[0][:, 0], rings[0][:, 1]
            assert np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]) < 0


def test_read_report_data_skips_the_qgis_layers(results):
    from ecozone.qgis import add_layer_styles

    add_layer_styles(results / "results.gpkg")
    d = read_report_data(results)
    assert "layer_styles" not in d.tables and not any("_map_" in t for t in d.tables)
    assert d.levels == ["county", "city", "agglomeration"]
    assert set(d.rasters) == {"npp", "nep"} and sorted(d.rasters["npp"]) == [2015, 2020]


def test_not_an_output_folder(tmp_path):
    from ecozone.errors import EcozoneError

    with pytest.raises(EcozoneError) as e:
        build_report(tmp_path)
    assert "manifest.json" in e.value.message


def test_english_report_uses_english_unit_names_where_given(results):
    d = read_report_data(results)
    chinese = d.units["name"].tolist()
    d.units["name_en"] = [f"Unit {i}" if i % 2 else "" for i in range(len(d.units))]
    d.use_names("zh")
    assert d.units["name"].tolist() == chinese
    d.use_names("en")
    assert d.units["name"].tolist() == [f"Unit {i}" if i % 2 else c for i, c in enumerate(chinese)]
