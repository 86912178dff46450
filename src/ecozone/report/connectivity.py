"""The connectivity section (METHODS §5.1; seed 000 §2.2): integration of the upper units.

Column contract of what is read (written by :mod:`ecozone.connectivity.run`):

``connectivity``
    ``level, unit_id, year, kind, member_level, n_nodes, n_links, density,
    internal_flow, external_flow, internal_share, intensity,
    reach_pairs_share, reach_population_share, core_id`` — flows in the unit
    of the flows' value, density and shares 0–1.
``connectivity_links`` (a line layer of ``results.gpkg``)
    ``level, origin, destination, year, kind, value, rank, origin_group,
    destination_group`` and the line between the units' centroids.

Figures: per upper unit, year and kind the indicators (internal flow,
intensity, density, internal share) as bars; the strongest links drawn over
the units (an interactive map by year and kind, and a static figure of the
latest year); the 2-hour reach (share of member pairs and of the population
within the reach time of the core) as bars. Static PNGs of the latest year.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ecozone.report.context import Context, flatten
from ecozone.report.page import Figure, Section

esc = html.escape

#: the section's own words (English, Chinese); column labels come from the schema
TEXT = {
    "sec": ("Connectivity networks", "城市群联系网络"),
    "method": (
        "Flows between {member} units (population, economic, transport …) form, for every upper unit, year and "
        "kind, a network of the unit's members ({directed}); a link is a flow > 0. Density = links / possible "
        "links; internal flow = Σ flows among the members, external flow = Σ flows between the members and "
        "units outside, internal share = internal / (internal + external), intensity = internal flow per "
        "ordered member pair. Per member: strength (Σ flows with the other members), degree centrality, "
        "betweenness (shortest paths of length 1/flow, networkx) and primacy (strength / the largest strength "
        "of the unit). Reach: the share of member pairs whose fastest travel time is at most {hours} h, and "
        "the share of the unit's population living within {hours} h of the core member (the largest GDP "
        "unless named).",
        "以{member}之间的流（人口、经济、交通等）为基础，按上级单元、年份与类型构建成员之间的网络（{directed}）；"
        "流量 > 0 即为一条联系。网络密度 = 联系数 / 可能联系数；内部联系总量 = 成员之间流量之和，外部联系总量 = "
        "成员与外部单元往来流量之和，内部联系占比 = 内部 /（内部 + 外部），联系强度 = 每对（有向）成员的平均内部流量。"
        "成员指标：联系强度（与其他成员的流量之和）、度中心性、中介中心性（以 1/流量 为路径长度，networkx）与首位度"
        "（强度 / 单元内最大强度）。互达性：最短通行时间不超过 {hours} 小时的成员对占比，以及居住在核心成员 {hours} "
        "小时范围内的人口占比（核心成员默认为GDP最大的成员）。",
    ),
    "directed": ("directed flows", "有向流"),
    "symmetric": ("both directions summed into undirected links", "双向流量合并为无向联系"),
    "fig_ind": ("Network indicators of the upper units", "上级单元网络指标"),
    "fig_links": ("Strongest links", "最强联系"),
    "fig_reach": ("Reach within {hours} h", "{hours}小时互达性"),
    "kind": ("Kind", "类型"),
    "ind_note": ("Flows and intensity in the unit of the kind's flows (e.g. persons, CNY, trains).",
                 "联系总量与强度的单位为该类型流量的单位（如人、元、列次）。"),
    "links_note": (
        "The {n} strongest links of the year and kind between the units' centroids; line width and colour by "
        "flow (quantiles). Hover over a link's middle for its value.",
        "当年该类型流量最大的 {n} 条联系，连接各单元质心；线宽与颜色按流量分位数分级。将鼠标移至联系中点查看数值。",
    ),
    "pairs": ("Member pairs within reach", "互达成员对占比"),
    "population": ("Population within reach of the core", "核心成员互达范围内人口占比"),
    "share_axis": ("Share (%)", "占比（%）"),
    "core": ("core", "核心"),
    "internal_flow": ("Internal flow", "内部联系总量"),
    "intensity": ("Intensity (per pair)", "联系强度（每对）"),
    "density": ("Density", "网络密度"),
    "internal_share": ("Internal share (%)", "内部联系占比（%）"),
}
KIND_COLOURS = {"population": "#d95f02", "economic": "#1b9e77", "transport": "#7570b3"}
OTHER_COLOURS = ("#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666")
INDICATORS = ("internal_flow", "intensity", "density", "internal_share")
LINK_CLASSES = ("#fdd49e", "#fc8d59", "#d7301f", "#7f0000")


def _t(L, key: str, **fmt) -> str:
    en, zh = TEXT[key]
    return (zh if L.lang == "zh" else en).format(**fmt)


KINDS = {"population": ("Population", "人口"), "economic": ("Economic", "经济"), "transport": ("Transport", "交通")}


def _kind_label(L, kind: str) -> str:
    en, zh = KINDS.get(kind, (str(kind).replace("_", " "),) * 2)
    return zh if L.lang == "zh" else en


def _kind_colour(kinds: list[str]) -> dict[str, str]:
    others = iter(OTHER_COLOURS * 4)
    return {k: KIND_COLOURS.get(k) or next(others) for k in kinds}


def connectivity_section(ctx: Context) -> Section | None:
    """The section of the connectivity networks, or None when the results hold no ``connectivity`` table."""
    c = ctx.data.table("connectivity")
    if c is None:
        return None
    L = ctx.L
    c = c.copy()
    c["year"] = c["year"].astype(int)
    c["kind"] = c["kind"].astype(str)
    names = ctx.data.names()
    c["name"] = [str(names.get((lv, u), u)) for lv, u in zip(c["level"], c["unit_id"], strict=True)]
    hours = ctx.param("connectivity", "reach_hours", default=2.0)
    symmetric = bool(ctx.param("connectivity", "symmetric", default=False))
    member = str(c["member_level"].dropna().iloc[0]) if c["member_level"].notna().any() else ""
    sec = Section("connectivity", _t(L, "sec"),
                  method=_t(L, "method", member=L.level(member), hours=f"{hours:g}",
                            directed=_t(L, "symmetric" if symmetric else "directed")))
    rows = flatten(ctx.param("connectivity", default={}) or {})
    if rows:
        sec.params_html = f'<details><summary>{esc(L("ui.parameters"))}</summary>{ctx.kv_table(rows)}</details>'
    levels = [lv for lv in ctx.data.levels if lv in set(c["level"])]
    kinds = sorted(c["kind"].unique())
    colours = _kind_colour(kinds)
    figs = [_indicators(ctx, c, levels, kinds, colours), _links(ctx, member), _reach(ctx, c, levels, hours)]
    sec.figures = [f for f in figs if f is not None]
    return sec


# --------------------------------------------------------------------------- indicators


def _indicators(ctx: Context, c: pd.DataFrame, levels: list[str], kinds: list[str], colours) -> Figure | None:
    """Bars of the four indicators of every upper unit, one figure per level, year and kind (flows of one
    kind share a unit: persons, CNY, trains …)."""
    from plotly.subplots import make_subplots

    L = ctx.L
    years = ctx.years_of(c)
    if not levels or not years:
        return None
    variants = {}
    for lv in levels:
        for y in years:
            g = c[(c["level"] == lv) & (c["year"] == y)]
            if not len(g):
                continue
            order = _order(g)
            for k in kinds:
                s = g[g["kind"] == k].set_index("name").reindex(order)
                fig = make_subplots(rows=1, cols=len(INDICATORS), horizontal_spacing=0.07,
                                    subplot_titles=[_ind_title(L, col) for col in INDICATORS])
                for j, col in enumerate(INDICATORS, start=1):
                    v = s[col] * (100.0 if col == "internal_share" else 1.0)
                    fig.add_bar(x=order, y=[float(f"{x:.4g}") if pd.notna(x) else None for x in v],
                                marker_color=colours[k], showlegend=False, row=1, col=j,
                                hovertext=[f"<b>{esc(n)}</b> {y} · {esc(_kind_label(L, k))}<br>"
                                           f"{esc(L.column(col, 'connectivity'))}: {_num(x)}"
                                           for n, x in zip(order, v, strict=True)], hoverinfo="text")
                fig.update_layout(height=420, margin=dict(l=50, r=20, t=50, b=110))
                fig.update_annotations(font_size=11)
                variants[f"{lv}|{y}|{k}"] = fig
    if not variants:
        return None
    default = levels[-1]
    ctl = [ctx.page.controls("level", L("ui.level"), [(lv, L.level(lv)) for lv in levels], default),
           ctx.page.controls("year", L("ui.year"), [(y, y) for y in years], years[-1]),
           ctx.page.controls("kind", _t(L, "kind"), [(k, _kind_label(L, k)) for k in kinds], kinds[0])]
    fig = ctx.page.plotly_figure("connectivity_indicators", _t(L, "fig_ind"), variants, ctl,
                                 ["level", "year", "kind"], height=420, note=_t(L, "ind_note"))
    if ctx.static is not None:
        y = years[-1]
        g = c[(c["level"] == default) & (c["year"] == y)]
        if len(g):
            ctx.static.draw(_draw_indicators, ctx.static, f"connectivity_indicators_{y}", g, kinds, colours, L,
                            f"{_t(L, 'fig_ind')} ({L.level(default)}, {y})")
    return fig


def _order(g: pd.DataFrame) -> list[str]:
    """Upper units by their internal share (mean over the kinds), largest first."""
    return g.groupby("name")["internal_share"].mean().sort_values(ascending=False, na_position="last").index.tolist()


def _num(v) -> str:
    """A value with 3 significant digits, exponents short (1.5e9)."""
    if v is None or not np.isfinite(v):
        return "—"
    return f"{v:.3g}".replace("e+0", "e").replace("e+", "e")


def _ind_title(L, col: str) -> str:
    """A short panel title (the full label is in the hover and the column dictionary)."""
    return _t(L, col)


def _draw_indicators(static, name: str, g: pd.DataFrame, kinds: list[str], colours, L, suptitle: str):
    """Small multiples: a row per kind, a panel per indicator, bars of every upper unit (PNG)."""
    order = _order(g)
    n = len(order)
    nk = len(kinds)
    fig = static._new(min(max(7.0, 2.0 + 0.3 * n * len(INDICATORS)), 12.0), 1.5 + 1.6 * nk)
    axes = fig.subplots(nk, len(INDICATORS), squeeze=False)
    x = np.arange(n)
    for r, k in enumerate(kinds):
        s = g[g["kind"] == k].set_index("name").reindex(order)
        for ax, col in zip(axes[r], INDICATORS, strict=True):
            scale = 100.0 if col == "internal_share" else 1.0
            ax.bar(x, (s[col] * scale).fillna(0).to_numpy(), width=0.7, color=colours[k])
            if r == nk - 1:
                ax.set_xticks(x, order, rotation=40, ha="right", fontsize=6)
            else:
                ax.set_xticks(x, [""] * n)
            if r == 0:
                ax.set_title(_ind_title(L, col), fontsize=7.5)
            if col == INDICATORS[0]:
                ax.set_ylabel(_kind_label(L, k), fontsize=7.5)
            ax.spines[["top", "right"]].set_visible(False)
            ax.grid(axis="y", color="#e5e5e5", lw=0.5)
            ax.set_axisbelow(True)
            ax.tick_params(axis="y", labelsize=6)
            ax.yaxis.get_offset_text().set_fontsize(6)
    static._title(fig, suptitle)
    return static._save(fig, name)


# --------------------------------------------------------------------------- strongest links


def _read_links(ctx: Context):
    import pyogrio

    path = ctx.data.out_dir / "results.gpkg"
    if "connectivity_links" not in {str(n) for n, _g in pyogrio.list_layers(path)}:
        return None
    g = pyogrio.read_dataframe(path, layer="connectivity_links")
    g = g[g.geometry.notna() & ~g.geometry.is_empty]
    if not len(g):
        return None
    g = g.to_crs(ctx.geo.area_crs)
    g["year"] = g["year"].astype(int)
    g["kind"] = g["kind"].astype(str)
    return g


def _outline_xy(geoms, tol: float):
    """x, y lists (whole km, None between rings) of the outer rings of projected polygons; parts smaller
    than (3 tol)² (islets) are left out."""
    import shapely

    xs: list = []
    ys: list = []
    for geom in geoms:
        if geom is None or geom.is_empty:
            continue
        for part in shapely.get_parts(geom):
            if part.geom_type != "Polygon" or part.area < (3 * tol) ** 2:
                continue
            ring = shapely.simplify(part.exterior, tol)
            a = np.round(np.asarray(ring.coords)[:, :2] / 1000.0).astype(int)
            if len(a) >= 3:
                xs += a[:, 0].tolist() + [None]
                ys += a[:, 1].tolist() + [None]
    return xs, ys


def _classes(v: np.ndarray) -> np.ndarray:
    """Quantile class 0–3 of every link's value (within one year and kind)."""
    if len(v) < 4:
        return np.full(len(v), len(LINK_CLASSES) - 1)
    edges = np.quantile(v, [0.5, 0.8, 0.95])
    return np.searchsorted(edges, v, side="right")


def _bases(ctx: Context, member: str):
    """Outlines (km) for the interactive map: the member level when it has few units (else the level
    covering the study with the fewest units, e.g. provinces), thin; the top level (e.g. agglomerations),
    thick. Every year-and-kind variant repeats them, so they are simplified to 1/500 of the extent."""
    x0, y0, x1, y1 = ctx.geo.extent
    tol = max(x1 - x0, y1 - y0, 1.0) / 500.0
    out = []
    thin = member if member in ctx.geo.levels and len(ctx.geo.levels[member].ids) <= 60 else ctx.outline_level()
    if thin in ctx.geo.levels:
        out.append((_outline_xy(ctx.geo.levels[thin].projected, tol), "#bdbdbd", 0.6))
    top = ctx.data.levels[-1] if ctx.data.levels else None
    if top and top != thin and top in ctx.geo.levels:
        out.append((_outline_xy(ctx.geo.levels[top].projected, tol), "#636363", 1.2))
    return out


def _links(ctx: Context, member: str) -> Figure | None:
    L = ctx.L
    g = _read_links(ctx)
    if g is None:
        return None
    names = ctx.data.names()
    lv = str(g["level"].iloc[0]) if "level" in g.columns and g["level"].notna().any() else member
    bases = _bases(ctx, lv)
    x0, y0, x1, y1 = (v / 1000.0 for v in ctx.geo.extent)
    dx, dy = (x1 - x0) * 0.03, (y1 - y0) * 0.03
    layout = dict(height=620, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.04, x=0),
                  xaxis=dict(visible=False, range=[x0 - dx, x1 + dx]),
                  yaxis=dict(visible=False, scaleanchor="x", scaleratio=1, range=[y0 - dy, y1 + dy]),
                  plot_bgcolor="white")
    years = sorted(g["year"].unique())
    kinds = sorted(g["kind"].unique())
    variants = {}
    for y in years:
        for k in kinds:
            s = g[(g["year"] == y) & (g["kind"] == k)].sort_values("rank", ascending=False)
            if not len(s):
                continue
            fig = go.Figure([go.Scatter(x=xy[0], y=xy[1], mode="lines", line=dict(color=col, width=w),
                                        hoverinfo="skip", showlegend=False) for xy, col, w in bases])
            v = s["value"].to_numpy(dtype=float)
            cls = _classes(v)
            coords = [np.asarray(geom.coords)[:, :2] / 1000.0 for geom in s.geometry]
            edges = np.quantile(v, [0, 0.5, 0.8, 0.95, 1]) if len(v) >= 4 else np.array([v.min()] * 4 + [v.max()])
            for c_i, colour in enumerate(LINK_CLASSES):
                sel = np.flatnonzero(cls == c_i)
                if not len(sel):
                    continue
                xs, ys = [], []
                for i in sel:
                    xs += np.round(coords[i][:, 0], 1).tolist() + [None]
                    ys += np.round(coords[i][:, 1], 1).tolist() + [None]
                lo, hi = edges[c_i], edges[c_i + 1]
                fig.add_scatter(x=xs, y=ys, mode="lines", line=dict(color=colour, width=0.8 + 1.3 * c_i),
                                name=f"{_num(lo)}–{_num(hi)}", hoverinfo="skip")
            mid = np.array([c.mean(axis=0) for c in coords])
            hover = [f"<b>{esc(str(names.get((lv, o), o)))} → {esc(str(names.get((lv, d), d)))}</b><br>"
                     f"{esc(_kind_label(L, k))} {y}: {_num(val)} (#{int(r)})"
                     for o, d, val, r in zip(s["origin"], s["destination"], v, s["rank"], strict=True)]
            fig.add_scatter(x=mid[:, 0].round(1), y=mid[:, 1].round(1), mode="markers", hovertext=hover,
                            hoverinfo="text", marker=dict(size=6, color="rgba(0,0,0,0)"), showlegend=False)
            fig.update_layout(**layout)
            variants[f"{y}|{k}"] = fig
    if not variants:
        return None
    n = int(g.groupby(["year", "kind"]).size().max())
    ctl = [ctx.page.controls("year", L("ui.year"), [(y, y) for y in years], years[-1]),
           ctx.page.controls("kind", _t(L, "kind"), [(k, _kind_label(L, k)) for k in kinds], kinds[0])]
    fig = ctx.page.plotly_figure("connectivity_links", f"{_t(L, 'fig_links')} ({L.level(lv)})", variants, ctl,
                                 ["year", "kind"], height=620, note=_t(L, "links_note", n=n))
    if ctx.static is not None:
        y = years[-1]
        ctx.static.draw(_draw_links, ctx, g[g["year"] == y], kinds, lv,
                        f"{_t(L, 'fig_links')} ({L.level(lv)}, {y})", f"connectivity_links_{y}")
    return fig


def _draw_links(ctx: Context, g, kinds: list[str], level: str, suptitle: str, name: str):
    """One panel per kind: the strongest links over the units, width and colour by value class (PNG)."""
    from matplotlib.collections import LineCollection, PatchCollection
    from matplotlib.lines import Line2D
    from matplotlib.patches import PathPatch

    st, L = ctx.static, ctx.L
    n = len(kinds)
    ncols = min(n, 3)
    nrows = int(np.ceil(n / ncols))
    w, h = st._panel((3.6, 2.9), 0.35)
    fig = st._new(w * ncols, h * nrows + 0.5)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    top = ctx.data.levels[-1] if ctx.data.levels else None
    for ax, k in zip(axes.ravel(), kinds, strict=False):
        if level in ctx.geo.levels:
            ax.add_collection(PatchCollection([PathPatch(p) for p in ctx.paths(level)], facecolors="#f5f5f5",
                                              edgecolors="#c8c8c8", linewidths=0.25))
        if top and top != level and top in ctx.geo.levels:
            ax.add_collection(PatchCollection([PathPatch(p) for p in ctx.paths(top)], facecolors="none",
                                              edgecolors="#636363", linewidths=0.6))
        s = g[g["kind"] == k].sort_values("rank", ascending=False)
        v = s["value"].to_numpy(dtype=float)
        cls = _classes(v)
        segs = [np.asarray(geom.coords)[:, :2] for geom in s.geometry]
        ax.add_collection(LineCollection(segs, colors=[LINK_CLASSES[c] for c in cls],
                                         linewidths=[0.3 + 0.45 * c for c in cls], zorder=3))
        edges = np.quantile(v, [0, 0.5, 0.8, 0.95, 1]) if len(v) >= 4 else None
        if edges is not None:
            ax.legend(handles=[Line2D([], [], color=col, lw=0.6 + 0.6 * i,
                                      label=f"{_num(edges[i])}–{_num(edges[i + 1])}")
                               for i, col in enumerate(LINK_CLASSES)],
                      loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=2, frameon=False, fontsize=5.5)
        if st.extent:
            x0, y0, x1, y1 = st.extent
            dx, dy = (x1 - x0) * 0.02, (y1 - y0) * 0.02
            ax.set_xlim(x0 - dx, x1 + dx)
            ax.set_ylim(y0 - dy, y1 + dy)
        ax.set_aspect("equal")
        ax.set_axis_off()
        ax.set_title(_kind_label(L, k))
        st._scalebar(ax)
    for ax in axes.ravel()[n:]:
        ax.set_axis_off()
    st._title(fig, suptitle)
    return st._save(fig, name)


# --------------------------------------------------------------------------- reach


def _reach(ctx: Context, c: pd.DataFrame, levels: list[str], hours) -> Figure | None:
    L = ctx.L
    r = c.drop_duplicates(["level", "unit_id", "year"])
    r = r[r["reach_pairs_share"].notna() | r["reach_population_share"].notna()]
    if not len(r):
        return None
    levels = [lv for lv in levels if lv in set(r["level"])]
    years = ctx.years_of(r)
    names = ctx.data.names()
    series = (("reach_pairs_share", _t(L, "pairs"), "#3182bd"), ("reach_population_share", _t(L, "population"),
                                                                  "#31a354"))
    variants = {}
    for lv in levels:
        for y in years:
            g = r[(r["level"] == lv) & (r["year"] == y)].sort_values("reach_population_share", ascending=False)
            if not len(g):
                continue
            fig = go.Figure()
            member = g["member_level"].iloc[0]
            for col, label, colour in series:
                v = g[col] * 100
                hover = [f"<b>{esc(n)}</b> {y}<br>{esc(label)}: {x:.1f} %"
                         + (f"<br>{esc(_t(L, 'core'))}: {esc(str(names.get((member, co), co)))}" if isinstance(co, str)
                            and co else "") if pd.notna(x) else f"<b>{esc(n)}</b><br>{esc(L('ui.no_data'))}"
                         for n, x, co in zip(g["name"], v, g["core_id"], strict=True)]
                fig.add_bar(x=g["name"], y=v.round(1), name=label, marker_color=colour, hovertext=hover,
                            hoverinfo="text")
            fig.update_layout(barmode="group", height=420, margin=dict(l=60, r=20, t=30, b=100),
                              yaxis=dict(title=_t(L, "share_axis"), range=[0, 100]),
                              legend=dict(orientation="h", y=1.1, x=0))
            variants[f"{lv}|{y}"] = fig
    if not variants:
        return None
    default = levels[-1]
    ctl = [ctx.page.controls("level", L("ui.level"), [(lv, L.level(lv)) for lv in levels], default),
           ctx.page.controls("year", L("ui.year"), [(y, y) for y in years], years[-1])]
    title = _t(L, "fig_reach", hours=f"{hours:g}")
    fig = ctx.page.plotly_figure("connectivity_reach", title, variants, ctl, ["level", "year"], height=420)
    if ctx.static is not None:
        y = years[-1]
        g = r[(r["level"] == default) & (r["year"] == y)].sort_values("reach_population_share", ascending=False)
        if len(g):
            group = {"names": g["name"].tolist(), "values": {col: (g[col] * 100).to_numpy() for col, _l, _c in series}}
            ctx.static.draw(_draw_reach, ctx.static, f"connectivity_reach_{y}", group, series,
                            f"{title} ({L.level(default)}, {y})", _t(L, "share_axis"))
    return fig


def _draw_reach(static, name: str, group: dict, series, suptitle: str, ylabel: str):
    n = len(group["names"])
    fig = static._new(max(6.5, 0.9 * n + 1.5), 3.4)
    ax = fig.add_subplot(111)
    x = np.arange(n)
    w = 0.8 / len(series)
    for k, (key, label, colour) in enumerate(series):
        ax.bar(x + (k - (len(series) - 1) / 2) * w, np.nan_to_num(group["values"][key]), width=w, color=colour,
               label=label)
    turn = n > 5 or max((len(str(t)) for t in group["names"]), default=0) * n > 60
    ax.set_xticks(x, group["names"], rotation=30 if turn else 0, ha="right" if turn else "center")
    ax.set_ylim(0, 100)
    ax.set_ylabel(ylabel)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#e5e5e5", lw=0.5)
    ax.set_axisbelow(True)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=len(series), frameon=False)
    static._title(fig, suptitle)
    return static._save(fig, name)
