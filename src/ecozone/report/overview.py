"""The economic-overview section (METHODS §5.0; seed 000 §2.1).

Reads the table ``overview`` (``level, unit_id, year``; ``gdp`` CNY,
``population`` persons, ``area_km2`` km², ``gdp_per_capita`` CNY/person,
``population_density`` persons/km², shares 0–1, ``n_members_over_2m``).
Figures: the seed's picture of the upper units (the top level that groups
units, e.g. agglomerations) — their shares of the study's GDP, population
and land as bars, with a table of GDP, population, area, per-capita GDP,
density and members above 2 million residents, and the total of the level
(how much of the study the upper units hold together) — and a map of the
indicators at every level. Static PNGs: the bars and the table's year, and
per-capita GDP and density at the finest level.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ecozone.report.context import Context, flatten
from ecozone.report.figures import MapPanel
from ecozone.report.page import Figure, Section, Var, table_html

esc = html.escape

#: the section's own words (English, Chinese); column labels come from the schema
TEXT = {
    "sec": ("Economic overview", "经济概况"),
    "method": (
        "From the economy table (GDP in CNY, resident population in persons) and the units' areas (km², "
        "equal-area CRS), per unit of every level and year: GDP, population, area, per-capita GDP, population "
        "density, their shares of the study total and, for the units of the top level ({top}), of all its "
        "units together; the number and share of each unit's members with more than {large} residents. A "
        "unit's value is the one given for it, else the sum of its members' values when every member has one "
        "(no partial sums); empty cells are not known.",
        "基于经济数据（地区生产总值，元；常住人口，人）与单元面积（km²，等积投影），逐层级、逐年份计算：地区生产总值、"
        "人口、面积、人均GDP、人口密度，占研究区总量的比重，以及顶层单元（{top}）占该层级全部单元合计的比重；"
        "各单元常住人口超过 {large} 人的成员数及其占比。单元数值优先采用直接给定值，否则在全部成员均有数值时取成员之和"
        "（不做部分求和）；空值表示未知。",
    ),
    "fig_shares": ("Shares of the study's GDP, population and land area", "占研究区GDP、人口与土地面积的比重"),
    "fig_table": ("Economic overview of the {top} units", "{top}经济概况"),
    "fig_map": ("Economic indicators of the units", "各单元经济指标"),
    "fig_static": ("Per-capita GDP and population density", "人均GDP与人口密度"),
    "total": ("All {top} units", "全部{top}"),
    "share_axis": ("Share of the study (%)", "占研究区比重（%）"),
    "gdp_share": ("GDP", "地区生产总值"),
    "population_share": ("Population", "常住人口"),
    "area_share": ("Land area", "土地面积"),
    "members_over": ("Members over {large} residents", "常住人口超{large}的成员"),
    "table_note": (
        "Year {year}. GDP in 10⁸ CNY, population in 10⁴ persons; shares in % of the study total.",
        "{year}年。地区生产总值单位为亿元，人口单位为万人；比重为占研究区总量的百分比。",
    ),
}
SERIES = (("gdp_share", "#1b9e77"), ("population_share", "#d95f02"), ("area_share", "#7570b3"))


def _t(L, key: str, **fmt) -> str:
    en, zh = TEXT[key]
    return (zh if L.lang == "zh" else en).format(**fmt)


def _large(ctx: Context) -> float:
    return float(ctx.param("overview", "large_population", default=2_000_000) or 2_000_000)


def _fmt_large(L, v: float) -> str:
    if L.lang == "zh":
        return f"{v / 1e4:g}万"
    return f"{v / 1e6:g} million" if v >= 1e6 else f"{v:,.0f}"


def overview_section(ctx: Context) -> Section | None:
    """The section of the economic overview, or None when the results hold no ``overview`` table."""
    ov = ctx.data.table("overview")
    if ov is None:
        return None
    L = ctx.L
    ov = ov.copy()
    ov["year"] = ov["year"].astype(int)
    top = _top_level(ctx, ov)
    large = _fmt_large(L, _large(ctx))
    sec = Section("overview", _t(L, "sec"), method=_t(L, "method", top=L.level(top) if top else "—", large=large))
    rows = flatten(ctx.param("overview", default={}) or {})
    if rows:
        sec.params_html = f'<details><summary>{esc(L("ui.parameters"))}</summary>{ctx.kv_table(rows)}</details>'
    figs = [_shares(ctx, ov, top), _map(ctx, ov)]
    _static_map(ctx, ov)
    sec.figures = [f for f in figs if f is not None]
    return sec


def _top_level(ctx: Context, ov: pd.DataFrame) -> str | None:
    """The top level that groups units (the last level with data), else the only level (if small)."""
    levels = [lv for lv in ctx.data.levels if lv in set(ov["level"])]
    if not levels:
        return None
    if len(levels) > 1:
        return levels[-1]
    return levels[0] if ov.loc[ov["level"] == levels[0], "unit_id"].nunique() <= 40 else None


def _named(ctx: Context, df: pd.DataFrame) -> pd.DataFrame:
    names = ctx.data.names()
    df = df.copy()
    df["name"] = [str(names.get((lv, u), u)) for lv, u in zip(df["level"], df["unit_id"], strict=True)]
    return df


def _year_with_data(ov: pd.DataFrame, level: str) -> list[int]:
    t = ov[(ov["level"] == level) & (ov["gdp_share"].notna() | ov["population_share"].notna())]
    return sorted(int(y) for y in t["year"].unique())


def _shares(ctx: Context, ov: pd.DataFrame, top: str | None) -> Figure | None:
    L = ctx.L
    if top is None:
        return None
    years = _year_with_data(ov, top)
    if not years:
        return None
    t = _named(ctx, ov[ov["level"] == top]).sort_values(["gdp", "name"], ascending=[False, True])
    variants = {}
    for y in years:
        g = t[t["year"] == y]
        fig = go.Figure()
        for col, colour in SERIES:
            v = g[col] * 100
            hover = [f"<b>{esc(n)}</b> {y}<br>{esc(L.column(col, 'overview'))}: {x:.1f} %" if pd.notna(x) else
                     f"<b>{esc(n)}</b> {y}<br>{esc(L('ui.no_data'))}" for n, x in zip(g["name"], v, strict=True)]
            fig.add_bar(x=g["name"], y=v.round(2), name=L.column(col, "overview"), marker_color=colour,
                        hovertext=hover, hoverinfo="text")
        fig.update_layout(barmode="group", height=440, margin=dict(l=60, r=20, t=30, b=100),
                          yaxis=dict(title=_t(L, "share_axis")), legend=dict(orientation="h", y=1.1, x=0))
        variants[str(y)] = fig
    ctl = [ctx.page.controls("year", L("ui.year"), [(y, y) for y in years], years[-1])]
    y = years[-1]
    body = _table(ctx, t[t["year"] == y], top, y)
    fig = ctx.page.plotly_figure("overview_shares", f"{_t(L, 'fig_shares')} ({L.level(top)})", variants, ctl,
                                 ["year"], height=440, body=body)
    if ctx.static is not None:
        g = t[t["year"] == y]
        series = [(c, _t(L, c), colour) for c, colour in SERIES]
        group = {"title": f"{L.level(top)} · {y}", "years": g["name"].tolist(),
                 "values": {c: (g[c] * 100).fillna(0).to_numpy() for c, _l, _c in series}}
        ctx.static.draw(_draw_shares, ctx.static, f"overview_shares_{y}", group, series,
                        f"{_t(L, 'fig_shares')} ({L.level(top)})", _t(L, "share_axis"))
    return fig


def _table(ctx: Context, g: pd.DataFrame, top: str, year: int) -> str:
    """HTML table of the top level's units in ``year`` and their total."""
    L = ctx.L
    large = _fmt_large(L, _large(ctx))

    def pct(v):
        return "" if pd.isna(v) else f"{100 * v:.1f}"

    def num(v, scale=1.0, digits=0):
        return "" if pd.isna(v) else f"{v * scale:,.{digits}f}"

    rows = []
    for r in g.itertuples():
        over = "" if pd.isna(r.n_members_over_2m) else (
            f"{int(r.n_members_over_2m)}" + ("" if pd.isna(r.share_members_over_2m) else
                                            f" ({100 * r.share_members_over_2m:.0f} %)"))
        rows.append([r.name, num(r.gdp, 1e-8, 1), num(r.population, 1e-4, 1), num(r.area_km2), num(r.gdp_per_capita),
                     num(r.population_density, 1.0, 1), pct(r.gdp_share), pct(r.population_share), pct(r.area_share),
                     over])
    tot = [_t(L, "total", top=L.level(top)), num(g["gdp"].sum(min_count=1), 1e-8, 1),
           num(g["population"].sum(min_count=1), 1e-4, 1), num(g["area_km2"].sum(min_count=1)),
           num(g["gdp"].sum() / g["population"].sum() if g["population"].sum() > 0 and g["gdp"].notna().all()
               and g["population"].notna().all() else np.nan),
           num(g["population"].sum() / g["area_km2"].sum() if g["population"].notna().all() else np.nan, 1.0, 1),
           pct(g["gdp_share"].sum(min_count=1) if g["gdp_share"].notna().all() else np.nan),
           pct(g["population_share"].sum(min_count=1) if g["population_share"].notna().all() else np.nan),
           pct(g["area_share"].sum(min_count=1)), num(g["n_members_over_2m"].astype(float).sum(min_count=1))]
    rows.append(tot)
    heads = [L.level(top), f"{L.column('gdp', 'overview')} (10⁸ CNY)" if L.lang != "zh" else "地区生产总值（亿元）",
             f"{L.column('population', 'overview')} (10⁴)" if L.lang != "zh" else "常住人口（万人）",
             f"{L.column('area_km2', 'overview')} (km²)", f"{L.column('gdp_per_capita', 'overview')} "
             f"({L.column_unit('gdp_per_capita', 'overview')})",
             f"{L.column('population_density', 'overview')} ({L.column_unit('population_density', 'overview')})",
             f"{L.column('gdp_share', 'overview')} (%)", f"{L.column('population_share', 'overview')} (%)",
             f"{L.column('area_share', 'overview')} (%)", _t(L, "members_over", large=large)]
    df = pd.DataFrame(rows, columns=[f"c{i}" for i in range(len(heads))])
    note = f'<p class="fig-note">{esc(_t(L, "table_note", year=year))}</p>'
    return (f'<div class="table-wrap"><b>{esc(_t(L, "fig_table", top=L.level(top)))}</b>'
            + table_html(df, headers=heads, numeric={f"c{i}" for i in range(1, len(heads))}) + note + "</div>")


def _draw_shares(static, name: str, group: dict, series, suptitle: str, ylabel: str):
    """One panel of grouped bars: the shares of every upper unit (PNG)."""
    n = len(group["years"])
    fig = static._new(max(6.5, 0.9 * n + 1.5), 3.6)
    ax = fig.add_subplot(111)
    x = np.arange(n)
    w = 0.8 / len(series)
    for k, (key, label, colour) in enumerate(series):
        ax.bar(x + (k - (len(series) - 1) / 2) * w, group["values"][key], width=w, color=colour, label=label)
    turn = n > 5 or max((len(str(t)) for t in group["years"]), default=0) * n > 60
    ax.set_xticks(x, group["years"], rotation=30 if turn else 0, ha="right" if turn else "center")
    ax.set_ylabel(ylabel)
    ax.set_title(group["title"])
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#e5e5e5", lw=0.5)
    ax.set_axisbelow(True)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=len(series), frameon=False)
    static._title(fig, suptitle)
    return static._save(fig, name)


MAP_VARS = (
    ("gdp_per_capita", "YlGnBu", True),
    ("population_density", "YlOrRd", True),
    ("gdp", "Blues", True),
    ("population", "Oranges", True),
    ("gdp_share", "Greens", False),
    ("population_share", "Purples", False),
    ("n_members_over_2m", "viridis", False),
)


def _map(ctx: Context, ov: pd.DataFrame) -> Figure | None:
    L = ctx.L
    variables = []
    levels: list[str] = []
    for col, cmap, log in MAP_VARS:
        if col not in ov.columns or ov[col].isna().all():
            continue
        unit = L.column_unit(col, "overview")
        scale = 100.0 if unit == "0–1" else 1.0
        variables.append(Var(col, "overview", col, L.column(col, "overview"), unit="%" if scale == 100 else unit,
                             colorscale=cmap, log=log, scale=scale, digits=3,
                             hover=[("overview", c) for c in ("gdp", "population", "area_km2", "gdp_per_capita",
                                                              "population_density") if c != col]))
        levels += [lv for lv in ctx.data.levels_with(ov, col) if lv not in levels]
    levels = [lv for lv in ctx.data.levels if lv in levels]
    years = ctx.years_of(ov, "gdp") or ctx.years_of(ov)
    if not variables or not years:
        return None
    return ctx.page.map_figure("overview_map", _t(L, "fig_map"), variables, levels, years,
                               level=levels[-1] if len(levels) > 1 else None)


def _static_map(ctx: Context, ov: pd.DataFrame) -> None:
    """Per-capita GDP and population density at the finest level with data, latest year (PNG)."""
    if ctx.static is None:
        return
    L = ctx.L
    levels = [lv for lv in ctx.data.levels_with(ov, "gdp_per_capita") if lv in ctx.geo.levels]
    if not levels:
        return
    lv = levels[0]
    years = ctx.years_of(ov[ov["level"] == lv], "gdp_per_capita")
    if not years:
        return
    y = years[-1]
    panels = []
    for col, cmap, _log in MAP_VARS[:2]:
        vals = ctx.aligned(ov, lv, y, col).to_numpy(dtype=float)
        label = f"{L.column(col, 'overview')} ({L.column_unit(col, 'overview')})"
        panels.append(_log_panel(ctx, f"{L.column(col, 'overview')} · {L.level(lv)} · {y}", lv, vals, cmap, label))
    ctx.static.draw(ctx.static.maps, f"overview_map_{y}", panels, f"{_t(L, 'fig_static')} ({L.level(lv)}, {y})")


def _log_panel(ctx: Context, title: str, level: str, vals: np.ndarray, cmap_name: str, label: str) -> MapPanel:
    """A map panel coloured on a log scale (2nd–98th percentile), ticks at 1, 2, 5 × 10^k."""
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    cmap = colormaps[cmap_name]
    x = np.where(vals > 0, np.log10(np.where(vals > 0, vals, 1)), np.nan)
    finite = x[np.isfinite(x)]
    lo, hi = (np.percentile(finite, [2, 98]) if finite.size else (0.0, 1.0))
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    ticks_v = [t for e in range(int(np.floor(lo)) - 1, int(np.ceil(hi)) + 2) for t in (10.0 ** e, 2 * 10.0 ** e,
                                                                                       5 * 10.0 ** e)
               if lo - 1e-9 <= np.log10(t) <= hi + 1e-9]
    if len(ticks_v) < 3:  # a narrow range: four rounded ticks across it
        ticks_v = sorted({float(f"{10 ** v:.2g}") for v in np.linspace(lo, hi, 4)})
    norm = Normalize(vmin=lo, vmax=hi)
    colours = [cmap(norm(v)) if np.isfinite(v) else "#f0f0f0" for v in x]
    outline = ctx.outline_level(exclude=level)
    return MapPanel(title=title, paths=ctx.paths(level), facecolors=colours, cmap=ScalarMappable(norm=norm, cmap=cmap),
                    cbar_label=label, cbar_ticks=([np.log10(t) for t in ticks_v], [f"{t:g}" for t in ticks_v]),
                    outline=ctx.paths(outline) if outline and outline != level else None,
                    linewidth=0.1 if len(vals) > 400 else 0.3)
