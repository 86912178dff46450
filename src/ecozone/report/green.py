"""The green-infrastructure section (METHODS §4.5–§4.7; seed 003's city comparison).

Reads the tables ``green_infrastructure`` (``level, unit_id, year``, the
indicators of :data:`INDICATORS`, ``pass_<indicator>``, ``rank_<indicator>``,
``n_pass``, ``n_assessed``, ``landcover_source``), ``green_standards``
(``indicator, comparison, threshold, unit, standard, clause, verified``)
and ``landscape`` (``level, unit_id, year, class``, FRAGSTATS metrics; rows
with an empty ``class`` are the landscape level).

Figures: the city scorecard (one card per city of the latest year: every
indicator, its pass/fail against the standard and its rank among the
cities; only the cities inside the extent of the green-infrastructure layers,
``in_layer_extent``, and a note of how many lie outside), a comparison chart of the cities per indicator and year (bars
coloured by pass/fail, the threshold drawn), maps of the indicators and of
landscape metrics at every level, and a static PNG of the comparison.
"""

from __future__ import annotations

import html
import textwrap

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ecozone.report.context import Context, flatten
from ecozone.report.page import Figure, Section, Var, table_html

esc = html.escape

INDICATORS = ("forest_coverage", "redline_share", "greenway_km", "greenway_density", "park_green_per_capita",
              "park_service_share_buffer", "park_service_share_network")
#: shares shown in %, the rest in their own unit
PERCENT = {"forest_coverage", "redline_share", "park_service_share_buffer", "park_service_share_network"}
LANDSCAPE_VARS = ("shdi", "ed", "lpi", "contag")
PASS, FAIL, NONE = "#1a9850", "#d73027", "#4575b4"
TABLE = "green_infrastructure"
#: texts not (yet) in the label table: the label table's row wins when it has one
TEXTS = {
    "ui.green_outside_extent": {
        "en": "{n} of {m} units of the level {level} lie outside the extent of the green-infrastructure layers "
              "and have no card: their layer-based indicators (red lines, greenways, park green space and its "
              "service) were not assessed; their forest coverage is in the comparison chart and the maps.",
        "zh": "{level}中有 {n} / {m} 个位于绿色基础设施图层范围之外，不设卡片：其基于图层的指标（生态保护红线、"
              "绿道、公园绿地及其服务覆盖）未评价；其森林覆盖率见对比图与地图。",
    },
    "ui.green_none_inside": {
        "en": "No unit of the level {level} lies inside the extent of the green-infrastructure layers ({m} "
              "outside): no card.",
        "zh": "没有{level}位于绿色基础设施图层范围之内（{m} 个在范围外），不设卡片。",
    },
    "method.green_extent": {
        "en": " Red-line share, greenways, park green space per capita and park service coverage are assessed "
              "only in the units at least {share} % of whose area lies inside the extent of the layers ({extent}); "
              "elsewhere they are empty, not 0, and unranked.",
        "zh": "生态保护红线占比、绿道、人均公园绿地面积与公园绿地服务覆盖率仅对至少 {share} % 面积位于图层范围"
              "（{extent}）内的单元评价；其余单元为空值而非 0，且不参与排名。",
    },
    "method.green_extent_study": {
        "en": " The layers are taken as complete over the whole study.",
        "zh": "各图层视为覆盖整个研究区。",
    },
    "ui.green_extent_layers": {"en": "the union of the layers' bounding boxes, units a feature reaches",
                               "zh": "各图层外包矩形之并，且单元内至少有一个要素"},
    "ui.green_extent_hull": {"en": "the convex hull of the layers' features, units a feature reaches",
                             "zh": "全部要素的凸包，且单元内至少有一个要素"},
}


def _text(L, key: str, **fmt) -> str:
    return L(key, default=TEXTS[key].get(L.lang, TEXTS[key]["en"]), **fmt)


def green_section(ctx: Context) -> Section | None:
    gi = ctx.data.table(TABLE)
    land = ctx.data.table("landscape")
    if gi is None and land is None:
        return None
    L = ctx.L
    sec = Section("green", L("sec.green"), method=_method(ctx))
    std = ctx.data.table("green_standards")
    rows = flatten(ctx.param("green", default={}) or {})
    parts = []
    if std is not None:
        parts.append(_standards_table(ctx, std))
    if rows:
        parts.append(ctx.kv_table(rows))
    if parts:
        sec.params_html = f'<details><summary>{esc(L("ui.standards"))}</summary>{"".join(parts)}</details>'
    figs: list[Figure | None] = []
    if gi is not None:
        level = _card_level(ctx, gi)
        if level is not None:
            figs.append(_scorecard(ctx, gi, std, level))
            figs.append(_compare(ctx, gi, std, level))
        figs.append(_indicator_map(ctx, gi))
    if land is not None:
        figs.append(_landscape_map(ctx, land))
    sec.figures = [f for f in figs if f is not None]
    return sec


def _method(ctx: Context) -> str:
    p = ctx.param("green", default={}) or {}
    L = ctx.L
    text = L("method.green", distance=f"{p.get('service_distance_m', 500):g}",
             node=f"{p.get('park_node_distance_m', 50):g}", noding=p.get("road_noding", "intersections"),
             forest=", ".join(p.get("forest_groups") or ["forest"]),
             coverage=f"{100 * float(p.get('fine_min_coverage', 0.95)):g}")
    extent = str(p.get("extent", "layers"))
    if extent == "study":
        return text + _text(L, "method.green_extent_study")
    if extent in ("layers", "hull"):
        where = _text(L, f"ui.green_extent_{extent}")
    else:  # a polygon layer: its file name
        where = extent.replace("\\", "/").rsplit("/", 1)[-1]
    share = f"{100 * float(p.get('extent_min_coverage', 0.95)):g}"
    return text + _text(L, "method.green_extent", share=share, extent=where)


def _standards_table(ctx: Context, std: pd.DataFrame) -> str:
    L = ctx.L
    t = pd.DataFrame({
        "indicator": [L.column(i, TABLE) for i in std["indicator"]],
        "test": [_rule(r.comparison, r.threshold, r.indicator, L.column_unit(r.indicator, TABLE)) for r in std.itertuples()],
        "standard": [f"{s} {('§' + c) if c else ''}".strip() for s, c in zip(std["standard"], std["clause"].fillna(""),
                                                                            strict=True)],
        "verified": [L("ui.yes") if str(v).lower() in ("yes", "true") else L("ui.no") for v in std["verified"]],
    })
    heads = [L("ui.variable"), L("ui.green_standard"), L("col.green_standards.standard"),
             L("col.green_standards.verified")]
    return table_html(t, heads)


def _rule(comparison: str, threshold: float, indicator: str, unit: str) -> str:
    sym = {">=": "≥", "<=": "≤"}.get(comparison, comparison)
    if indicator in PERCENT:
        return f"{sym} {100 * float(threshold):g} %"
    return f"{sym} {float(threshold):g} {unit}"


def _truth(v) -> bool | None:
    """A stored pass/fail value as True, False or None (missing)."""
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    return bool(v)


def _colours(flags) -> list[str]:
    return [PASS if t is True else (FAIL if t is False else NONE) for t in map(_truth, flags)]


def _fmt(indicator: str, v, unit: str) -> str:
    if v is None or pd.isna(v):
        return "–"
    v = float(v)
    if indicator in PERCENT:
        return f"{100 * v:.1f} %"
    return f"{v:,.2f} {unit}" if abs(v) < 1000 else f"{v:,.0f} {unit}"


def _card_level(ctx: Context, gi: pd.DataFrame) -> str | None:
    """The level of the scorecard: ``city`` when the study has it, else the coarsest level with several units."""
    levels = [lv for lv in ctx.data.levels if (gi["level"] == lv).any()]
    if not levels:
        return None
    if "city" in levels:
        return "city"
    several = [lv for lv in levels if gi.loc[gi["level"] == lv, "unit_id"].nunique() > 1]
    return several[-1] if several else levels[0]


def _latest(gi: pd.DataFrame, level: str) -> tuple[int, pd.DataFrame]:
    sub = gi[gi["level"] == level]
    have = sub[sub[list(c for c in INDICATORS if c in sub.columns)].notna().any(axis=1)]
    y = int(have["year"].max()) if len(have) else int(sub["year"].max())
    return y, sub[sub["year"] == y]


def _inside(sub: pd.DataFrame) -> pd.Series | None:
    """Per row, whether the unit lies inside the extent of the layers (None: no layer, nothing was gated)."""
    if "in_layer_extent" not in sub.columns:
        return None
    flags = sub["in_layer_extent"].map(_truth)
    if flags.isna().all():
        return None
    return flags.eq(True)


def _scorecard(ctx: Context, gi: pd.DataFrame, std: pd.DataFrame | None, level: str) -> Figure | None:
    L = ctx.L
    year, sub = _latest(gi, level)
    inside = _inside(sub)
    outside_note = ""
    # ranks are among every unit of the level with a value (also those without a card)
    n_ranked = {c[len("rank_"):]: int(sub[c].notna().sum()) for c in sub.columns if c.startswith("rank_")}
    if inside is not None and not inside.all():
        n_out, m = int((~inside).sum()), len(sub)
        sub = sub[inside.to_numpy()]
        if not len(sub):
            msg = _text(L, "ui.green_none_inside", level=L.level(level), m=n_out)
            return Figure("green_scorecard", L("fig.green_scorecard"), "table", None, body="", note=msg)
        outside_note = ("" if L.lang == "zh" else " ") + _text(L, "ui.green_outside_extent", n=n_out, m=m,
                                                                level=L.level(level))
    inds = [i for i in INDICATORS if i in sub.columns and sub[i].notna().any()]
    if not inds:
        return None
    rules = {} if std is None else {r.indicator: _rule(r.comparison, r.threshold, r.indicator, L.column_unit(r.indicator, TABLE))
                                    for r in std.itertuples()}
    names = ctx.data.names()
    sub = sub.assign(name=[names.get((level, u), u) for u in sub["unit_id"]],
                     n_have=sub[inds].notna().sum(axis=1))
    sub = sub[sub["n_have"] > 0].sort_values(["n_have", "n_pass", "name"], ascending=[False, False, True])
    n_units = {i: n_ranked.get(i, int(sub[i].notna().sum())) for i in inds}
    cards = []
    for r in sub.itertuples():
        body = []
        for i in inds:
            v = getattr(r, i)
            ok = _truth(getattr(r, f"pass_{i}", None))
            mark, colour = ("✔", PASS) if ok is True else (("✘", FAIL) if ok is False else ("", NONE))
            rk = getattr(r, f"rank_{i}", None)
            rank = f"{int(rk)}/{n_units[i]}" if rk is not None and not pd.isna(rk) else "–"
            body.append(
                f"<tr><td>{esc(L.column(i, TABLE))}</td><td class=\"num\">{esc(_fmt(i, v, L.column_unit(i, TABLE)))}"
                f"</td><td>{esc(rules.get(i, ''))}</td><td style=\"color:{colour};font-weight:700\">{mark}</td>"
                f"<td class=\"num\">{esc(rank)}</td></tr>")
        lc = str(getattr(r, "landcover_source", "") or "")
        head = (f"<div style=\"font-weight:700;font-size:14px;margin-bottom:4px\">{esc(str(r.name))}</div>"
                f"<div style=\"font-size:12px;color:#555\">{esc(L('ui.green_passed', n=int(r.n_pass or 0), m=int(r.n_assessed or 0)))}"
                + (f" · {esc(L('ui.green_landcover'))}: {esc(lc)}" if lc else "") + "</div>")
        thead = (f"<thead><tr><th>{esc(L('ui.variable'))}</th><th>{esc(L('ui.value'))}</th>"
                 f"<th>{esc(L('ui.green_standard'))}</th><th></th><th>{esc(L('ui.green_rank'))}</th></tr></thead>")
        cards.append(f'<div class="green-card" style="border:1px solid #ddd;border-radius:6px;padding:8px 10px;'
                     f'background:#fff">{head}<table class="data" style="font-size:12px">{thead}<tbody>'
                     f'{"".join(body)}</tbody></table></div>')
    grid = ('<div class="green-cards" style="display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));'
            f'gap:10px">{"".join(cards)}</div>')
    note = L("ui.green_cards_note", level=L.level(level), year=year) + outside_note
    body = f'<details open><summary>{esc(L.level(level))} · {year} ({len(cards)})</summary>{grid}</details>'
    return Figure("green_scorecard", L("fig.green_scorecard"), "table", None, body=body, note=note)


def _compare(ctx: Context, gi: pd.DataFrame, std: pd.DataFrame | None, level: str) -> Figure | None:
    L = ctx.L
    sub = gi[gi["level"] == level]
    names = ctx.data.names()
    thr = {} if std is None else {r.indicator: (r.comparison, float(r.threshold)) for r in std.itertuples()}
    variants, opts = {}, []
    years = ctx.years_of(sub)
    for i in INDICATORS:
        if i not in sub.columns or sub[i].isna().all():
            continue
        scale = 100.0 if i in PERCENT else 1.0
        unit = "%" if i in PERCENT else L.column_unit(i, TABLE)
        opts.append((i, L.column(i, TABLE)))
        for y in years:
            g = sub[(sub["year"] == y) & sub[i].notna()].sort_values(i, ascending=False)
            if not len(g):
                continue
            ok = g.get(f"pass_{i}")
            colours = _colours(ok.tolist() if ok is not None else [None] * len(g))
            label = [names.get((level, u), u) for u in g["unit_id"]]
            fig = go.Figure()
            fig.add_bar(x=label, y=(g[i] * scale).round(4), marker_color=colours,
                        hovertemplate="%{x}: %{y:.4g} " + unit + "<extra></extra>")
            shapes = []
            if i in thr:
                t = thr[i][1] * scale
                shapes.append(dict(type="line", xref="paper", x0=0, x1=1, y0=t, y1=t,
                                   line=dict(color="#333", dash="dash", width=1.2)))
            fig.update_layout(height=460, margin=dict(l=60, r=20, t=30, b=120), shapes=shapes, showlegend=False,
                              yaxis=dict(title=f"{L.column(i, TABLE)} ({unit})"), xaxis=dict(tickangle=-60))
            variants[f"{i}|{y}"] = fig
    if not variants:
        return None
    ctl = [ctx.page.controls("indicator", L("ui.variable"), opts, opts[0][0]),
           ctx.page.controls("year", L("ui.year"), [(y, y) for y in years], years[-1])]
    fig = ctx.page.plotly_figure("green_compare", f"{L('fig.green_compare')} ({L.level(level)})", variants, ctl,
                                 ["indicator", "year"], note=L("ui.green_compare_note"), height=460)
    if ctx.static is not None:
        _static_compare(ctx, sub, std, level, names)
    return fig


def _static_compare(ctx: Context, sub: pd.DataFrame, std, level: str, names) -> None:
    L = ctx.L
    year, cur = _latest(sub, level)
    inds = [i for i in INDICATORS if i in cur.columns and cur[i].notna().any()]
    if not inds:
        return
    thr = {} if std is None else {r.indicator: float(r.threshold) for r in std.itertuples()}
    panels = []
    for i in inds[:9]:
        g = cur[cur[i].notna() & (cur[i] != 0)].sort_values(i, ascending=False).head(25)
        if not len(g):
            continue
        scale = 100.0 if i in PERCENT else 1.0
        ok = g.get(f"pass_{i}")
        panels.append({
            "title": L.column(i, TABLE),
            "unit": "%" if i in PERCENT else L.column_unit(i, TABLE),
            "labels": [names.get((level, u), u) for u in g["unit_id"]],
            "values": (g[i] * scale).to_numpy(float),
            "colours": _colours(ok.tolist() if ok is not None else [None] * len(g)),
            "threshold": thr[i] * scale if i in thr else None,
        })
    if not panels:
        return
    title = f"{L('fig.green_compare')} ({L.level(level)}, {year}; {L('ui.green_nonzero')})"
    ctx.static.draw(_draw_compare, ctx.static, f"green_compare_{year}", panels, title, L("ui.green_threshold"))


def _draw_compare(static, name: str, panels: list[dict], title: str, threshold_label: str):
    """Small multiples of horizontal bars (one panel per indicator), the threshold dashed."""
    n = len(panels)
    ncols = min(n, 3)
    nrows = int(np.ceil(n / ncols))
    # each row of panels as tall as its longest panel; bars equally thick in every panel
    per_row = [max(len(p["labels"]) for p in panels[r * ncols:(r + 1) * ncols]) for r in range(nrows)]
    fig = static._new(3.3 * ncols, sum(0.16 * k + 1.0 for k in per_row) + 0.6)
    gs = fig.add_gridspec(nrows, ncols, height_ratios=[0.16 * k + 1.0 for k in per_row])
    axes = np.array([[fig.add_subplot(gs[r, c]) for c in range(ncols)] for r in range(nrows)])
    for k, (ax, p) in enumerate(zip(axes.ravel(), panels, strict=False)):
        rows = per_row[k // ncols]
        y = np.arange(len(p["labels"]))[::-1] + (rows - len(p["labels"]))
        ax.barh(y, p["values"], color=p["colours"], height=0.75)
        ax.set_yticks(y, p["labels"], fontsize=5.5)
        ax.set_ylim(-0.6, rows - 0.4)
        if p["threshold"] is not None:
            ax.axvline(p["threshold"], color="#333333", ls="--", lw=0.8, label=threshold_label)
            ax.legend(loc="lower right", fontsize=5.5, frameon=False)
        ax.set_title(textwrap.fill(p["title"], 40), fontsize=7)
        ax.set_xlabel(p["unit"], fontsize=6)
        ax.tick_params(axis="x", labelsize=6)
        ax.spines[["top", "right"]].set_visible(False)
    for ax in axes.ravel()[n:]:
        ax.set_axis_off()
    static._title(fig, title)
    return static._save(fig, name)


def _indicator_map(ctx: Context, gi: pd.DataFrame) -> Figure | None:
    L = ctx.L
    variables = []
    for i in INDICATORS:
        if i not in gi.columns or gi[i].isna().all():
            continue
        pct = i in PERCENT
        variables.append(Var(i, TABLE, i, L.column(i, TABLE), unit="%" if pct else L.column_unit(i, TABLE),
                             colorscale="YlGn", scale=100.0 if pct else 1.0,
                             hover=[(TABLE, f"pass_{i}"), (TABLE, f"rank_{i}")]))
    if not variables:
        return None
    levels = [lv for lv in ctx.data.levels if any(lv in ctx.data.levels_with(gi, v.col) for v in variables)]
    years = ctx.years_of(gi)
    default = "city" if "city" in levels else (levels[0] if levels else None)
    return ctx.page.map_figure("green_map", L("fig.green_map"), variables, levels, years, level=default)


def _landscape_map(ctx: Context, land: pd.DataFrame) -> Figure | None:
    L = ctx.L
    top = land[land["class"].isna()].copy()
    if not len(top):
        return None
    ctx.page.tables["landscape_units"] = top
    variables = [Var(v, "landscape_units", v, L.column(v, "landscape"), unit=L.column_unit(v, "landscape"),
                     colorscale="viridis", hover=[("landscape_units", "coverage")])
                 for v in LANDSCAPE_VARS if v in top.columns and top[v].notna().any()]
    levels = ctx.data.levels_with(top, "shdi")
    if not variables or not levels:
        return None
    return ctx.page.map_figure("green_landscape_map", L("fig.green_landscape_map"), variables, levels,
                               ctx.years_of(top), note=L("ui.green_landscape_note"))


__all__ = ["green_section"]
