"""The report in headless Chromium, opened from file://: no network request, no console error,
every section and figure drawn, a screenshot that is not blank.

Needs Debian's ``chromium`` (``apt-get install chromium fonts-noto-cjk``); skipped with that reason
when it is absent. The demo's report is checked too (marked slow: it runs ``ecozone demo`` unless
``$ECOZONE_DEMO_OUT`` names a finished demo output folder).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from chromium import Browser, find_chromium
from PIL import Image
from results_fixture import EXPECTED_FIGURES, EXPECTED_SECTIONS

CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium not installed (Debian: apt-get install chromium fonts-noto-cjk); "
    "CI installs it, so this test never skips there",
)

LOCAL = ("file:", "data:", "blob:", "about:")
FIGURE_RECTS = """JSON.stringify(Array.from(document.querySelectorAll('figure.report-figure')).map(function (f) {
  var r = f.getBoundingClientRect();
  return {id: f.id, x: r.left + window.scrollX, y: r.top + window.scrollY, w: r.width, h: r.height,
          kind: f.dataset.kind || '',
          drawn: !!f.querySelector('.js-plotly-plot .main-svg') || !!f.querySelector('img[data-panel][src^="data:image/png"]')
                 || (f.dataset.kind === 'table' && !!f.querySelector('table tbody tr'))};
}))"""


def open_report(out: Path, shots: Path, lang_check: str | None = None) -> dict:
    """Open the report, wait until every figure is drawn; return what the page did."""
    shots.mkdir(parents=True, exist_ok=True)
    with Browser(CHROMIUM) as b:
        b.open((out / "report.html").resolve().as_uri())
        b.wait_for("window.ECOZONE_STATUS && window.ECOZONE_STATUS.done", timeout=240)
        status = json.loads(b.evaluate("JSON.stringify(window.ECOZONE_STATUS)"))
        sections = b.evaluate("Array.from(document.querySelectorAll('section[data-section]')).map(s => s.dataset.section)")
        figs = json.loads(b.evaluate(FIGURE_RECTS))
        b.screenshot(shots / "top.png")
        for f in figs:
            b.screenshot(shots / f"{f['id']}.png", clip={"x": f["x"], "y": f["y"], "width": f["w"], "height": f["h"]})
        # the page's decoder returns the shapes of a level as GeoJSON the maps use
        n_features = b.evaluate("window.ecozoneGeo(Object.keys(JSON.parse(document.getElementById('ecozone-data')"
                                ".textContent).geo)[0]).features.length")
        # hovering a unit of the first map shows its name, the value and its unit
        r = json.loads(b.evaluate(
            "(function(){var d=document.querySelector('figure[data-kind=map] .plot'); var r0=d.getBoundingClientRect();"
            "window.scrollTo({top: r0.top + window.scrollY - 100, behavior: 'instant'});"
            "var r=d.getBoundingClientRect(); return JSON.stringify({x: r.left + r.width * 0.47, y: r.top + r.height * 0.5});})()"))
        for k in range(6):
            b.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": r["x"] + 3 * k, "y": r["y"] + 2 * k})
            b.evaluate("new Promise(r => setTimeout(r, 120))")
        hover = b.evaluate("(document.querySelector('figure[data-kind=map] .hoverlayer') || {textContent: ''}).textContent")
        names = b.evaluate("[].concat.apply([], Object.values(JSON.parse(document.getElementById('ecozone-data')"
                           ".textContent).geo).map(g => g.names))")
        # switching a selector redraws without error
        b.evaluate("(function(){var s=document.querySelector('figure[data-kind=map] select[data-ctl=year]');"
                   "if(s){s.selectedIndex=0;s.dispatchEvent(new Event('change'));}})()")
        b.evaluate("new Promise(r => setTimeout(r, 1500))")
        return {"status": status, "sections": sections, "figs": figs, "requests": b.requests(),
                "errors": b.console_errors(), "n_features": n_features, "hover": hover, "names": names}


def not_blank(png: Path) -> bool:
    a = np.asarray(Image.open(png).convert("RGB"), dtype=float)
    return a.std() > 8 and len(np.unique(a.reshape(-1, 3)[::53], axis=0)) > 20


def check(page: dict, shots: Path, sections: list[str], figures: list[str], *, exact: bool = True) -> None:
    """``exact``: the page has exactly ``figures``; else at least them, in that order, among others."""
    remote = [u for u in page["requests"] if not u.startswith(LOCAL)]
    assert remote == [], remote
    assert page["errors"] == [], page["errors"]
    st = page["status"]
    drawn_by_script = [f for f in page["figs"] if f.get("kind") != "table"]  # tables are plain HTML
    assert st["done"] and st["failed"] == 0 and st["rendered"] == st["total"] == len(drawn_by_script), st
    assert page["sections"] == sections
    ids = [f["id"] for f in page["figs"]]
    if exact:
        assert ids == [f"fig-{f}" for f in figures]
    else:
        got = [i for i in ids if i in {f"fig-{f}" for f in figures}]
        assert got == [f"fig-{f}" for f in figures], ids
    assert all(f["drawn"] for f in page["figs"]), [f["id"] for f in page["figs"] if not f["drawn"]]
    assert page["n_features"] > 0
    hover = page["hover"]
    assert any(n in hover for n in page["names"]), hover
    # the first map is the air state: its label, a state and the index R_air with its value
    assert ("Air state" in hover or "大气承载状态" in hover) and "R_air" in hover, hover
    assert any(s in hover for s in ("Overload", "Critical overload", "Non-overload", "超载", "临界超载", "不超载"))
    assert re.search(r"R_air: -?\d", hover), hover
    assert not_blank(shots / "top.png")
    for f in page["figs"]:
        assert not_blank(shots / f"{f['id']}.png"), f["id"]


@needs_chromium
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_report_in_chromium(results, lang, tmp_path):
    from ecozone.report import build_report

    build_report(results, lang=lang, figures=False)
    shots = tmp_path / f"shots-{lang}"
    page = open_report(results, shots)
    check(page, shots, EXPECTED_SECTIONS, EXPECTED_FIGURES)
    keep = Path(__file__).parent / ".screenshots"
    if keep.is_dir():  # developers: mkdir tests/report/.screenshots to look at them
        shutil.copytree(shots, keep / f"fixture-{lang}", dirs_exist_ok=True)


DEMO_FIGURES_CAPACITY = ["cap_state_air", "cap_state_water", "cap_state_total", "cap_shares", "cap_quadrant",
                         "cap_quadrant_map", "cap_types", "cap_coupling"]
DEMO_FIGURES_CARBON = ["carbon_rasters", "carbon_budget_map", "carbon_budget_bars", "carbon_indices", "carbon_zones",
                       "carbon_zone_shares", "carbon_transitions", "carbon_lisa", "carbon_gravity"]


@pytest.mark.slow
@needs_chromium
def test_demo_report_in_chromium(demo_out, tmp_path):
    html = demo_out / "report.html"
    assert html.stat().st_size < 15e6, html.stat().st_size
    manifest = json.loads((demo_out / "manifest.json").read_text(encoding="utf-8"))
    from ecozone.registry import ANALYSES

    # one section per analysis that ran and has a report section, in registry order
    sections = [n for n, a in ANALYSES.items() if a.report and n in manifest["analyses"]] + ["provenance"]
    figures = (DEMO_FIGURES_CAPACITY if "capacity" in sections else []) + (
        DEMO_FIGURES_CARBON if "carbon" in sections else [])
    shots = tmp_path / "shots-demo"
    page = open_report(demo_out, shots)
    check(page, shots, sections, figures, exact=False)
    if manifest.get("synthetic"):
        assert "synthetic-banner" in html.read_text(encoding="utf-8")
    keep = Path(__file__).parent / ".screenshots"
    if keep.is_dir():
        shutil.copytree(shots, keep / "demo", dirs_exist_ok=True)


@pytest.mark.slow
def test_demo_store_is_qgis_ready_and_xlsx_bilingual(demo_out):
    import sqlite3

    import openpyxl
    import pyogrio

    gpkg = demo_out / "results.gpkg"
    con = sqlite3.connect(gpkg)
    try:
        has = con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'layer_styles'").fetchone()[0]
        assert has, "results.gpkg has no layer_styles: run_study must call ecozone.qgis.add_layer_styles"
        styled = {r[0] for r in con.execute("SELECT f_table_name FROM layer_styles WHERE useAsDefault")}
        views = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
    finally:
        con.close()
    assert {"capacity_map_county", "capacity_map_city", "carbon_map_city"} <= styled, styled
    assert {"parks_map", "parks_rivers"} <= styled, styled  # an analysis' own points and lines
    # every result table is a sheet: attribute tables and spatial tables (parks_map …), not the
    # units layer, the styles or the styled views (capacity_map_<level> …)
    tables = [n for n, _g in pyogrio.list_layers(gpkg) if n not in ("layer_styles", "units") and n not in views]
    wb = openpyxl.load_workbook(demo_out / "results.xlsx", read_only=True)
    assert set(wb.sheetnames) == {t[:31] for t in tables} | {"columns"}
    head = [list(r) for r in wb["capacity"].iter_rows(min_row=1, max_row=3, values_only=True)]
    assert head[0][:6] == ["Level", "Unit id", "Name", "English name", "Year", "Air excess index R_air"]
    assert head[1][:6] == ["层级", "单元编码", "名称", "英文名称", "年份", "大气污染物超标指数 R_air"]
    assert head[2][5] == "–"
    carbon = [list(r) for r in wb["carbon"].iter_rows(min_row=1, max_row=4, values_only=True)]
    assert carbon[0][5] == "Carbon emissions CE" and carbon[2][5] == "t C"
    assert carbon[3][:4] == ["county", "310101", "黄浦区", "Huangpu District"]
