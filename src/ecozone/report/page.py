"""Assembling the self-contained HTML page: sections, figures, shared data, script.

Every figure's data lives once in one JSON block: the shapes of each level
(:meth:`DisplayGeometry.encoded`), the value columns per level and year
aligned to those shapes (``cols``), and per figure a small spec (which
columns, colours, selectors). plotly.js is inlined; there is no URL to fetch.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ecozone.labels import Labels
from ecozone.report.assets import CSS, EMPTY_TOPOJSON_JS, JS
from ecozone.report.data import DisplayGeometry

esc = html.escape


def _num(v, digits: int = 4):
    """A float rounded to ``digits`` significant digits for JSON (None when missing)."""
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    if not np.isfinite(f):
        return None
    return float(f"{f:.{digits}g}")


@dataclass
class Var:
    """One indicator a map can show.

    ``type`` is ``cat`` (codes of ``category`` coloured from the label table)
    or ``num`` (a colour scale, optionally on a log scale centred on ``mid``).
    ``hover``: further columns shown on hover, as ``(table, column)``.
    """

    key: str
    table: str
    col: str
    label: str
    type: str = "num"
    category: str | None = None
    unit: str = ""
    colorscale: str | list = "viridis"
    reverse: bool = False
    log: bool = False
    mid: float | None = None
    zmin: float | None = None
    scale: float = 1.0
    digits: int = 3
    hover: list[tuple[str, str]] = field(default_factory=list)
    order: list[str] | None = None


@dataclass
class Figure:
    """One figure of the page."""

    id: str
    title: str
    kind: str  # map | plotly | img | table
    spec: dict | None = None
    controls: list[dict] = field(default_factory=list)
    body: str = ""  # HTML for img / table figures (and extra HTML below a plot)
    note: str = ""
    height: int = 560


@dataclass
class Section:
    id: str
    title: str
    method: str = ""
    params_html: str = ""
    figures: list[Figure] = field(default_factory=list)
    body: str = ""


class Page:
    """Collects the shared data and figures of one report."""

    def __init__(self, L: Labels, geo: DisplayGeometry, tables: dict[str, pd.DataFrame]):
        self.L = L
        self.geo = geo
        self.tables = dict(tables)  # derived tables (e.g. LISA per variable) are added here
        self.cols: dict[str, dict] = {}
        self.levels_used: set[str] = set()
        self.figs: dict[str, dict] = {}

    # -- shared columns ----------------------------------------------------
    def column(self, table: str, col: str, category: str | None = None, scale: float = 1.0,
               order: list[str] | None = None, levels: list[str] | None = None) -> str:
        """Register ``table.col`` (per level and year, aligned to the level's shapes); return its key."""
        del levels  # every level with data is kept: one column serves every figure that uses it
        key = f"{table}:{col}" + (f"/{scale:g}" if scale != 1.0 else "")
        if key in self.cols:
            return key
        df = self.tables[table]
        entry: dict = {"v": {}}
        codes: list[str] = []
        text = category is None and not pd.api.types.is_numeric_dtype(df[col]) and not pd.api.types.is_bool_dtype(df[col])
        if category is None and pd.api.types.is_bool_dtype(df[col]):  # flags: yes / no
            codes = ["True", "False"]
            entry["cats"] = [{"code": "True", "label": self.L("ui.yes"), "color": "#bdbdbd"},
                             {"code": "False", "label": self.L("ui.no"), "color": "#bdbdbd"}]
            text = True
            df = df.assign(**{col: df[col].map(lambda v: None if pd.isna(v) else str(bool(v)))})
        elif text:  # free text (e.g. the primary pollutant): shown as it is
            codes = sorted({str(v) for v in pd.unique(df[col].dropna()) if str(v) != ""})
            entry["cats"] = [{"code": c, "label": c, "color": "#bdbdbd"} for c in codes]
        elif category is not None:
            present = [str(v) for v in pd.unique(df[col].dropna()) if str(v) != ""]
            pref = [c for c in (order or self.L.order(category)) if c in present]
            codes = pref + sorted(c for c in present if c not in pref)
            entry["cats"] = [
                {"code": c, "label": self.L.code(category, c), "color": self.L.color(f"{category}.{c}")}
                for c in codes
            ]
        index = {c: i for i, c in enumerate(codes)}
        has_year = "year" in df.columns
        for lv, shapes in self.geo.levels.items():
            sub = df[df["level"] == lv] if "level" in df.columns else df
            if not len(sub):
                continue
            ids = shapes.ids
            per_year = {}
            groups = sub.groupby("year") if has_year else [("all", sub)]
            for y, g in groups:
                s = g.drop_duplicates("unit_id").set_index("unit_id")[col].reindex(ids)
                if category is not None or text:
                    vals = [index.get(str(v)) if isinstance(v, str) and v != "" else None for v in s.astype(object)]
                else:
                    a = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float) * scale
                    vals = [_num(v) for v in a]
                if any(v is not None for v in vals):
                    per_year[str(int(y)) if has_year else "all"] = vals
            if per_year:
                entry["v"][lv] = per_year
                self.levels_used.add(lv)
        self.cols[key] = entry
        return key

    # -- figures ---------------------------------------------------------------
    def controls(self, name: str, label: str, options: list[tuple], value) -> dict:
        return {"name": name, "label": label, "options": [(str(v), str(t)) for v, t in options], "value": str(value)}

    def map_figure(self, fid: str, title: str, variables: list[Var], levels: list[str], years: list[int],
                   level: str | None = None, year: int | None = None, note: str = "", height: int = 560) -> Figure | None:
        levels = [lv for lv in levels if lv in self.geo.levels]
        if not levels or not variables:
            return None
        vars_spec = {}
        for v in variables:
            key = self.column(v.table, v.col, v.category, v.scale, v.order, levels)
            hover = []
            for t, c in v.hover:
                if t in self.tables and c in self.tables[t].columns and self.tables[t][c].notna().any():
                    cat = _category_of(c)
                    unit = self.L.column_unit(c, t)
                    scale = 1.0
                    if unit == "t C" and cat is None:  # carbon masses in Mt C, as on the maps and charts
                        scale, unit = 1e-6, "Mt C"
                    hk = self.column(t, c, cat, scale=scale, levels=levels)
                    hover.append({"col": hk, "label": self.L.column(c, t), "unit": unit, "digits": 3})
            vars_spec[v.key] = {
                "col": key, "type": v.type, "label": v.label, "unit": v.unit,
                "colorscale": _colorscale(v.colorscale, v.reverse), "reverse": False, "log": v.log, "mid": v.mid, "zmin": v.zmin, "digits": v.digits, "hover": hover,
            }
        L = self.L
        controls = []
        if len(variables) > 1:
            controls.append(self.controls("var", L("ui.variable"), [(v.key, v.label) for v in variables], variables[0].key))
        controls.append(self.controls("level", L("ui.level"), [(lv, L.level(lv)) for lv in levels], level or levels[0]))
        controls.append(self.controls("year", L("ui.year"), [(y, y) for y in years], year if year is not None else years[-1]))
        spec = {"kind": "map", "vars": vars_spec, "defaultVar": variables[0].key, "height": height,
                "parallels": self.parallels()}
        self.figs[fid] = spec
        return Figure(fid, title, "map", spec, controls, note=note or L("ui.map_hint"), height=height)

    def plotly_figure(self, fid: str, title: str, variants: dict[str, object], controls: list[dict],
                      keys: list[str], note: str = "", height: int = 480, body: str = "") -> Figure | None:
        if not variants:
            return None
        out = {}
        for k, fig in variants.items():
            j = json.loads(fig.to_json())
            j.setdefault("layout", {}).pop("template", None)  # one shared template (R.template)
            out[k] = {"data": j.get("data", []), "layout": j.get("layout", {})}
        spec = {"kind": "plotly", "variants": out, "keys": keys}
        self.figs[fid] = spec
        return Figure(fid, title, "plotly", spec, controls, note=note, height=height, body=body)

    def image_figure(self, fid: str, title: str, variants: dict[str, list[str]], panels: list[str], years: list[int],
                     year, legends: list[str], overlay: str = "", note: str = "") -> Figure:
        spec = {"kind": "img", "variants": {str(k): v for k, v in variants.items()}}
        self.figs[fid] = spec
        first = variants.get(year) or next(iter(variants.values()))
        cells = []
        for i, (title_i, legend) in enumerate(zip(panels, legends, strict=True)):
            cells.append(
                f'<div class="img-panel"><div class="img-title">{esc(title_i)}</div>'
                f'<div class="img-wrap"><img data-panel="{i}" alt="{esc(title_i)}" src="{first[i]}">{overlay}</div>'
                f"{legend}</div>"
            )
        controls = [self.controls("year", self.L("ui.year"), [(y, y) for y in years], year)] if len(years) > 1 else []
        return Figure(fid, title, "img", spec, controls, body=f'<div class="img-row">{"".join(cells)}</div>', note=note)

    def parallels(self) -> list[float]:
        lat0, lat1 = self.geo.lonlat_bounds[1], self.geo.lonlat_bounds[3]
        d = (lat1 - lat0) / 6
        return [round(lat0 + d, 2), round(lat1 - d, 2)] if lat1 > lat0 else [25, 47]

    # -- output ----------------------------------------------------------------
    def render(self, *, title: str, header_html: str, sections: list[Section], footer: str, lang: str) -> str:
        import plotly.io as pio
        from plotly.io.json import to_json_plotly
        from plotly.offline import get_plotlyjs

        L = self.L
        n = 0
        parts = []
        toc = []
        for sec in sections:
            toc.append(f'<a href="#sec-{sec.id}">{esc(sec.title)}</a>')
            figs_html = []
            for f in sec.figures:
                n += 1
                figs_html.append(_figure_html(f, n, L))
            parts.append(
                f'<section class="report-section" id="sec-{sec.id}" data-section="{sec.id}">'
                f"<h2>{esc(sec.title)}</h2>"
                + (f'<div class="method"><b>{esc(L("ui.method"))}.</b> {esc(sec.method)}</div>' if sec.method else "")
                + sec.params_html
                + sec.body
                + "".join(figs_html)
                + "</section>"
            )
        template = json.loads(to_json_plotly(pio.templates["plotly_white"].to_plotly_json()))
        data = {
            "geo": {lv: self.geo.encoded(lv) for lv in sorted(self.levels_used) if lv in self.geo.levels},
            "cols": _shared_columns(self.cols),
            "figs": self.figs,
            "ui": {"no_data": L("ui.no_data")},
            "locale": "zh-CN" if lang == "zh" else "en-US",
            "template": template,
        }
        payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        payload = payload.replace("</", "<\\/")
        html_lang = "zh-CN" if lang == "zh" else "en"
        return (
            f'<!DOCTYPE html>\n<html lang="{html_lang}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n"
            f"<script>{EMPTY_TOPOJSON_JS}</script>\n"
            f"<script>{get_plotlyjs()}</script>\n</head>\n<body>\n"
            f"{header_html}\n"
            f'<nav class="toc"><b>{esc(L("ui.contents"))}:</b> {"".join(toc)}</nav>\n'
            f'<main>{"".join(parts)}</main>\n'
            f"<footer>{footer}</footer>\n"
            f'<script type="application/json" id="ecozone-data">{payload}</script>\n'
            f"<script>{JS}</script>\n</body>\n</html>\n"
        )


def _shared_columns(cols: dict) -> dict:
    """Columns with identical content stored once: a repeat becomes ``{"same": first key}``.

    (The same unit values often feed two sections, e.g. GDP in carbon and overview.)
    """
    out, seen = {}, {}
    for key, entry in cols.items():
        sig = json.dumps(entry, sort_keys=True, separators=(",", ":"), allow_nan=True)
        if sig in seen:
            out[key] = {"same": seen[sig]}
        else:
            seen[sig] = key
            out[key] = entry
    return out


def _colorscale(name, reverse: bool = False) -> list:
    """A plotly colour scale sampled from the matplotlib colormap of that name, so the HTML maps and the
    static figures use the same colours (plotly's own "YlOrRd" etc. run the other way round)."""
    if not isinstance(name, str):
        return name
    from matplotlib import colormaps

    base = name if name in colormaps else name.lower()
    cmap = colormaps[base + ("_r" if reverse else "")] if base in colormaps else colormaps["viridis"]
    return [[i / 10, "rgb({},{},{})".format(*(int(round(255 * c)) for c in cmap(i / 10)[:3]))] for i in range(11)]


def _category_of(col: str) -> str | None:
    from ecozone.labels import CODE_CATEGORIES

    for cat, cols in CODE_CATEGORIES.items():
        if col in cols and cat not in ("level", "medium"):
            return cat
    return None


def _figure_html(f: Figure, n: int, L: Labels) -> str:
    word = "图" if L.lang == "zh" else "Figure"
    ctl = ""
    if f.controls:
        items = []
        for c in f.controls:
            opts = "".join(
                f'<option value="{esc(v)}"{" selected" if v == c["value"] else ""}>{esc(t)}</option>'
                for v, t in c["options"]
            )
            items.append(f'<label>{esc(c["label"])} <select data-ctl="{esc(c["name"])}">{opts}</select></label>')
        ctl = f'<div class="controls">{"".join(items)}</div>'
    if f.kind in ("map", "plotly"):
        inner = (f'<div class="plot" style="height:{f.height}px"><div class="loading">…</div></div>' + f.body)
    else:
        inner = f.body
    note = f'<p class="fig-note">{esc(f.note)}</p>' if f.note else ""
    attrs = f'id="fig-{f.id}" data-kind="{f.kind}"' + (f' data-fig="{f.id}"' if f.spec is not None else f' data-static="{f.id}"')
    return (
        f'<figure class="report-figure" {attrs}><figcaption><span class="fig-no">{word} {n}</span>{esc(f.title)}'
        f"</figcaption>{ctl}{inner}{note}</figure>"
    )


def table_html(df: pd.DataFrame, headers: list[str] | None = None, numeric: set[str] | None = None,
               cls: str = "data") -> str:
    """A small HTML table (cells escaped)."""
    cols = list(df.columns)
    heads = headers or cols
    numeric = numeric or set()
    rows = []
    for _, r in df.iterrows():
        cells = []
        for c in cols:
            v = r[c]
            s = "" if v is None or (isinstance(v, float) and not np.isfinite(v)) else v
            klass = ' class="num"' if c in numeric else (' class="hash"' if c == "sha256" else "")
            cells.append(f"<td{klass}>{esc(str(s))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    head = "".join(f"<th>{esc(str(h))}</th>" for h in heads)
    thead = f"<thead><tr>{head}</tr></thead>" if any(str(h) for h in heads) else ""
    return f'<table class="{cls}">{thead}<tbody>{"".join(rows)}</tbody></table>'
