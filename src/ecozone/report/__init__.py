"""The report: a self-contained HTML page and static figures built from stored results.

``build_report(out_dir, lang="en")`` reads only ``results.gpkg``,
``rasters/`` and ``manifest.json`` of an output folder (nothing is
recomputed) and writes

- ``report.html``: one file, plotly.js and every figure's data inlined, no
  URL fetched (opens from ``file://`` offline): a section per analysis in the
  results (method note, standards and parameters, interactive maps with a
  year / level / indicator selector and hover of unit, value and unit,
  charts), and a provenance section;
- ``figures/*.png``: 300 dpi figures for papers and slides (the latest year
  of each map, every year of the zone map and the bar charts).

Languages: ``lang="en"`` or ``"zh"``; every label comes from the one label
table ``ecozone/params/labels.csv`` and the analyses' schemas (:mod:`ecozone.labels`).

The QGIS styles of the GeoPackage (:mod:`ecozone.qgis`) and the label
table (:mod:`ecozone.labels`) sit below the store, which uses them too.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

__all__ = ["build_report"]


def build_report(out_dir: Path, lang: str = "en", *, figures: bool = True) -> Path:
    """Write ``report.html`` and ``figures/*.png`` into ``out_dir``; return the report's path.

    Parameters
    ----------
    out_dir: an output folder written by ``ecozone run`` (results.gpkg, manifest.json, rasters/).
    lang: ``"en"`` or ``"zh"``.
    figures: also write the static 300 dpi PNGs (default True).
    """
    import html

    from ecozone.analysis import load_entry
    from ecozone.labels import Labels
    from ecozone.registry import ANALYSES
    from ecozone.report.context import Context
    from ecozone.report.data import DisplayGeometry, read_report_data
    from ecozone.report.figures import StaticFigures
    from ecozone.report.page import Page
    from ecozone.report.provenance import provenance_section

    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    out_dir = Path(out_dir)
    L = Labels(lang)
    data = read_report_data(out_dir)
    data.use_names(lang)
    geo = DisplayGeometry(data.units, data.area_crs, data.levels)
    timings["read + shapes"] = time.perf_counter() - t0
    page = Page(L, geo, data.tables)
    static = None
    if figures:
        fig_dir = out_dir / "figures"
        if fig_dir.is_dir():
            for old in fig_dir.glob("*.png"):
                old.unlink()
        static = StaticFigures(out_dir, lang, data.synthetic, L("ui.synthetic"), extent=geo.extent)
    ctx = Context(L=L, data=data, geo=geo, page=page, static=static)
    t1 = time.perf_counter()
    # one section per registered analysis (its declared report function), in registry order
    sections = [s for a in ANALYSES.values() if a.report for s in [load_entry(a.report)(ctx)] if s is not None]
    timings["sections"] = time.perf_counter() - t1 - (static.seconds if static else 0.0)
    if static is not None:
        timings["static figures"] = static.seconds
    t2 = time.perf_counter()
    sections.append(provenance_section(ctx, timings))
    m = data.manifest
    study = str(m.get("study") or "")
    title = f"{L('ui.title')} — {study}" if study else L("ui.title")
    header = (
        f'<header class="report-header"><h1>{html.escape(title)}</h1>'
        f'<div class="meta">ecozone {html.escape(str(m.get("ecozone_version", "")))} · '
        f'{html.escape(L("ui.created"))}: {html.escape(str(m.get("created", "")))} · '
        f'{html.escape(L("ui.years"))}: {html.escape(", ".join(map(str, m.get("years") or [])))}</div></header>'
    )
    if data.synthetic:
        header += f'<div class="banner-synthetic" id="synthetic-banner">{html.escape(L("ui.synthetic_banner"))}</div>'
    footer = html.escape(L("ui.generated_by", version=str(m.get("ecozone_version", ""))))
    text = page.render(title=title, header_html=header, sections=sections, footer=footer, lang=L.lang)
    path = out_dir / "report.html"
    tmp = out_dir / ".report.html.tmp"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    timings["html"] = time.perf_counter() - t2
    return path
