"""The industrial-parks section (METHODS §3; seed 001 Figs. 2, 3, 8 and §4.2).

Reads the tables ``parks``, ``parks_groups``, ``parks_industries`` and the
spatial layers ``parks_map`` and ``parks_rivers`` of ``results.gpkg``.
Figures: the parks on the map by level or by their latest GDI, with the
rivers and the outline of the study's units; the mean GDI by region and
level; the capacity structure and fuels of the energy units; wastewater
completion; the pillar industries; tables of the chemical parks within the
shoreline distance and of the parks not placed ``ok``. Every chart is also
written as a 300 dpi PNG (``figures/parks_*.png``).
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ecozone.report.context import Context, flatten
from ecozone.report.page import Figure, Section, table_html

esc = html.escape

REGIONS = ("upstream", "midstream", "downstream")
LEVELS = ("national_etdz", "national_htz", "national_border", "provincial", "other")
SIZES = ("small", "medium", "large")
FUELS = ("coal", "gas", "oil", "biomass", "waste", "other")
CHECKS = ("ok", "outside_province", "outside_study", "no_location")
MAX_ROWS = 300  # rows of a table shown in the report (the XLSX has them all)


def parks_section(ctx: Context) -> Section | None:
    parks = ctx.data.table("parks")
    if parks is None:
        return None
    L = ctx.L
    sec = Section("parks", L("sec.parks"), method=_method(ctx))
    rows = flatten(ctx.param("parks", default={}) or {})
    if rows:
        sec.params_html = f'<details><summary>{esc(L("ui.standards"))}</summary>{ctx.kv_table(rows)}</details>'
    groups = ctx.data.table("parks_groups")
    figs: list[Figure | None] = [_map(ctx, parks)]
    if groups is not None:
        figs += [_gdi_bars(ctx, groups), _energy(ctx, groups), _wwtp(ctx, groups)]
    ind = ctx.data.table("parks_industries")
    if ind is not None:
        figs.append(_industries(ctx, ind))
    figs += [_chemical(ctx, parks), _not_ok(ctx, parks)]
    sec.figures = [f for f in figs if f is not None]
    return sec


def _method(ctx: Context) -> str:
    p = ctx.param("parks", default={}) or {}
    bins = p.get("capacity_bins_mw") or [30, 300]
    base = p.get("base_year")
    return ctx.L(
        "method.parks",
        shoreline_m=f"{float(p.get('shoreline_m', 1000.0)):,.0f}",
        small=f"{float(bins[0]):g}",
        large=f"{float(bins[1]):g}",
        reference=f"{float(p.get('reference_efficiency', 0.40)):g}",
        base_year=str(base) if base else ctx.L("word.first_year"),
        gdi_table=p.get("gdi_table") or "parks_gdi.csv",
    )


def _flag(s: pd.Series) -> pd.Series:
    """A yes/no column as read from the GeoPackage (bool, 0/1 or empty) as booleans, empty = no."""
    return s.map(lambda v: False if v is None or pd.isna(v) else bool(v)).astype(bool)


def _code(L, category: str, code) -> str:
    return L.code(category, code) if isinstance(code, str) and code else ""


_EN_NAMES = {"innermongolia": "Inner Mongolia", "hongkong": "Hong Kong"}


def _province(L, name) -> str:
    """A province as the report's language writes it (the tables hold canonical Chinese names: 湖北)."""
    from ecozone.parks.indicators import PROVINCES

    s = "" if name is None or (isinstance(name, float) and name != name) else str(name)
    if L.lang == "en" and s in PROVINCES:
        en = PROVINCES[s][0]
        return _EN_NAMES.get(en, en.title())
    return s


def _read_layer(ctx: Context, name: str):
    import pyogrio

    path = ctx.data.out_dir / "results.gpkg"
    if name not in {str(n) for n, _g in pyogrio.list_layers(path)}:
        return None
    g = pyogrio.read_dataframe(path, layer=name)
    return g if len(g) else None


# --------------------------------------------------------------------------- map


def _lines(geoms, tolerance: float):
    """x, y lists (km, None between parts) of the boundaries or lines of projected geometries."""
    import shapely

    xs: list = []
    ys: list = []
    for g in geoms:
        if g is None or g.is_empty:
            continue
        b = g.boundary if g.geom_type in ("Polygon", "MultiPolygon") else g
        b = shapely.simplify(b, tolerance)
        for part in shapely.get_parts(b):
            c = np.asarray(part.coords)[:, :2] / 1000.0
            if len(c) < 2:
                continue
            xs += np.round(c[:, 0], 1).tolist() + [None]
            ys += np.round(c[:, 1], 1).tolist() + [None]
    return xs, ys


def _map_data(ctx: Context):
    """Projected parks (representative points), rivers and outline of the study."""
    import geopandas as gpd

    pm = _read_layer(ctx, "parks_map")
    if pm is None:
        return None
    pm = pm[pm.geometry.notna() & ~pm.geometry.is_empty].copy()
    if not len(pm):
        return None
    pm = pm.to_crs(ctx.geo.area_crs)
    pts = pm.geometry.representative_point()
    pm["x"], pm["y"] = pts.x.to_numpy(), pts.y.to_numpy()
    x0, y0, x1, y1 = ctx.geo.extent
    tol = max(x1 - x0, y1 - y0, 1.0) / 600.0
    outline_level = ctx.outline_level() or (ctx.data.levels[0] if ctx.data.levels else None)
    outline = None
    if outline_level in ctx.geo.levels and len(ctx.geo.levels[outline_level].ids) <= 400:
        outline = ctx.geo.levels[outline_level].projected
    rivers = _read_layer(ctx, "parks_rivers")
    river_geoms = gpd.GeoSeries(rivers.geometry, crs=rivers.crs).to_crs(ctx.geo.area_crs).to_numpy() \
        if rivers is not None else None
    return pm, outline, river_geoms, tol


def _map(ctx: Context, parks: pd.DataFrame) -> Figure | None:
    L = ctx.L
    md = _map_data(ctx)
    if md is None:
        return None
    pm, outline, river_geoms, tol = md
    names = ctx.data.names()
    finest = ctx.data.levels[0] if ctx.data.levels else None
    base = []
    if outline is not None:
        ox, oy = _lines(outline, tol)
        base.append(go.Scatter(x=ox, y=oy, mode="lines", line=dict(color="#9e9e9e", width=0.7), hoverinfo="skip",
                               showlegend=False))
    if river_geoms is not None:
        rx, ry = _lines(river_geoms, tol / 2)
        base.append(go.Scatter(x=rx, y=ry, mode="lines", line=dict(color="#3b83bd", width=1.4),
                               name=L("ui.river"), hoverinfo="skip"))
    hover = []
    for r in pm.itertuples():
        unit = names.get((finest, r.unit_id), r.unit_id) if isinstance(r.unit_id, str) and r.unit_id else "—"
        dist = f"{r.dist_river_m:,.0f} m" if pd.notna(r.dist_river_m) else "—"
        gdi = f"{r.gdi:.1f} ({int(r.gdi_year)})" if pd.notna(r.gdi) else "—"
        hover.append(
            f"<b>{esc(str(r.name))}</b> ({esc(str(r.park_id))})<br>{esc(_code(L, 'level', r.level))} · "
            f"{esc(_code(L, 'region', r.region))} · {esc(_province(L, r.province))}<br>{esc(L.column('unit_id', 'parks'))}: "
            f"{esc(str(unit))}<br>{esc(L.column('location_check', 'parks'))}: "
            f"{esc(_code(L, 'location', r.location_check))}<br>{esc(L.column('dist_river_m', 'parks'))}: {dist}"
            f"<br>GDI: {gdi}")
    pm["hover"] = hover
    chem = _flag(pm["is_chemical"]).to_numpy() if "is_chemical" in pm else np.zeros(len(pm), bool)
    placed = (pm["location_check"] == "ok").to_numpy()
    symbols = np.where(~placed, "x", np.where(chem, "diamond", "circle"))
    x0, y0, x1, y1 = (v / 1000.0 for v in ctx.geo.extent)
    dx, dy = (x1 - x0) * 0.03, (y1 - y0) * 0.03
    layout = dict(height=600, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.04, x=0),
                  xaxis=dict(visible=False, range=[x0 - dx, x1 + dx]),
                  yaxis=dict(visible=False, scaleanchor="x", scaleratio=1, range=[y0 - dy, y1 + dy]),
                  plot_bgcolor="white")
    variants, options = {}, []
    fig = go.Figure(base)
    for lv in [v for v in LEVELS if v in set(pm["level"])]:
        s = pm["level"].to_numpy() == lv
        fig.add_scatter(x=(pm["x"][s] / 1000).round(2), y=(pm["y"][s] / 1000).round(2), mode="markers",
                        name=_code(L, "level", lv), hovertext=pm["hover"][s], hoverinfo="text",
                        marker=dict(color=L.color(f"level.{lv}"), size=9, symbol=symbols[s],
                                    line=dict(color="#333", width=0.6)))
    fig.update_layout(**layout)
    variants["level"] = fig
    options.append(("level", L.column("level", "parks")))
    if pm["gdi"].notna().any():
        fig = go.Figure(base)
        have = pm["gdi"].notna().to_numpy()
        fig.add_scatter(x=(pm["x"][~have] / 1000).round(2), y=(pm["y"][~have] / 1000).round(2), mode="markers",
                        name=L("ui.no_data"), hovertext=pm["hover"][~have], hoverinfo="text",
                        marker=dict(color="#d9d9d9", size=7, symbol=symbols[~have],
                                    line=dict(color="#777", width=0.5)))
        fig.add_scatter(x=(pm["x"][have] / 1000).round(2), y=(pm["y"][have] / 1000).round(2), mode="markers",
                        name="GDI", hovertext=pm["hover"][have], hoverinfo="text", showlegend=False,
                        marker=dict(color=pm["gdi"][have].round(1), colorscale="RdYlGn", cmin=0, cmax=100, size=10,
                                    symbol=symbols[have],
                                    line=dict(color="#333", width=0.6),
                                    colorbar=dict(title="GDI", thickness=12, len=0.6)))
        fig.update_layout(**layout)
        variants["gdi"] = fig
        options.append(("gdi", L.column("gdi", "parks_map")))
    ctl = [ctx.page.controls("var", L("ui.variable"), options, "level")] if len(options) > 1 else []
    out = ctx.page.plotly_figure("parks_map", L("fig.parks_map"), variants, ctl, ["var"], height=600,
                                 note=L("ui.parks_map_hint"))
    if ctx.static is not None:
        ctx.static.draw(_static_map, ctx, pm, outline, river_geoms, chem)
    return out


def _static_map(ctx: Context, pm, outline, river_geoms, chem) -> None:
    """Two panels: parks by level, and by latest GDI, over the outline and the rivers (PNG)."""
    from matplotlib.collections import LineCollection, PatchCollection
    from matplotlib.lines import Line2D
    from matplotlib.patches import PathPatch

    from ecozone.report.figures import unit_paths

    st, L = ctx.static, ctx.L
    panels = ["level"] + (["gdi"] if pm["gdi"].notna().any() else [])
    w, h = st._panel((4.2, 3.4), 0.5)
    fig = st._new(w * len(panels), h + 0.4)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    segs = []
    if river_geoms is not None:
        import shapely

        for g in river_geoms:
            for part in shapely.get_parts(g) if g is not None else []:
                segs.append(np.asarray(part.coords)[:, :2])
    for ax, kind in zip(axes, panels, strict=True):
        if outline is not None:
            ax.add_collection(PatchCollection([PathPatch(p) for p in unit_paths(outline)], facecolors="#f7f7f7",
                                              edgecolors="#9e9e9e", linewidths=0.4))
        if segs:
            ax.add_collection(LineCollection(segs, colors="#3b83bd", linewidths=0.9))
        x, y = pm["x"].to_numpy(), pm["y"].to_numpy()
        marker = np.where((pm["location_check"] != "ok").to_numpy(), "X", np.where(chem, "D", "o"))
        if kind == "level":
            handles = []
            for lv in [v for v in LEVELS if v in set(pm["level"])]:
                s = pm["level"].to_numpy() == lv
                for m in ("o", "D", "X"):
                    k = s & (marker == m)
                    if k.any():
                        ax.scatter(x[k], y[k], s=14, marker=m, c=L.color(f"level.{lv}"), edgecolors="#333333",
                                   linewidths=0.4, zorder=3)
                handles.append(Line2D([], [], marker="o", ls="", markerfacecolor=L.color(f"level.{lv}"),
                                      markeredgecolor="#333333", markersize=5, label=_code(L, "level", lv)))
            handles.append(Line2D([], [], marker="D", ls="", markerfacecolor="white", markeredgecolor="#333333",
                                  markersize=4.5, label=L("ui.chemical_park")))
            if (marker == "X").any():
                handles.append(Line2D([], [], marker="X", ls="", markerfacecolor="white",
                                      markeredgecolor="#333333", markersize=5, label=L("ui.park_not_placed")))
            ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3, frameon=False,
                      fontsize=6)
            ax.set_title(L.column("level", "parks"))
        else:
            have = pm["gdi"].notna().to_numpy()
            ax.scatter(x[~have], y[~have], s=10, c="#d9d9d9", edgecolors="#777777", linewidths=0.3, zorder=3)
            sc = None
            for m in ("o", "D", "X"):
                k = have & (marker == m)
                if k.any():
                    sc = ax.scatter(x[k], y[k], s=16, marker=m, c=pm["gdi"].to_numpy()[k], cmap="RdYlGn", vmin=0,
                                    vmax=100, edgecolors="#333333", linewidths=0.4, zorder=4)
            if sc is not None:
                cb = fig.colorbar(sc, ax=ax, orientation="horizontal", fraction=0.045, pad=0.02, shrink=0.8)
                cb.set_label("GDI (0–100)", fontsize=7)
                cb.ax.tick_params(labelsize=6)
            ax.set_title(L.column("gdi", "parks_map"))
        if st.extent:
            x0, y0, x1, y1 = st.extent
            dx, dy = (x1 - x0) * 0.02, (y1 - y0) * 0.02
            ax.set_xlim(x0 - dx, x1 + dx)
            ax.set_ylim(y0 - dy, y1 + dy)
        ax.set_aspect("equal")
        ax.set_axis_off()
        st._scalebar(ax)
    st._title(fig, L("fig.parks_map"))
    st._save(fig, "parks_map")


# --------------------------------------------------------------------------- charts


def _latest_rows(groups: pd.DataFrame, grouping: str, col: str) -> tuple[pd.DataFrame, list[int]]:
    g = groups[(groups["grouping"] == grouping) & groups["year"].notna()]
    g = g[g[col].notna()]
    years = sorted(int(y) for y in pd.unique(g["year"]))
    return g, years


def _gdi_bars(ctx: Context, groups: pd.DataFrame) -> Figure | None:
    L = ctx.L
    g, years = _latest_rows(groups, "region_level", "gdi_mean")
    if not years:
        return None
    regions = [r for r in REGIONS if r in set(g["region"])]
    levels = [lv for lv in LEVELS if lv in set(g["level"])]
    variants = {}
    for y in years:
        gy = g[g["year"] == y]
        fig = go.Figure()
        for lv in levels:
            s = gy[gy["level"] == lv].set_index("region").reindex(regions)
            fig.add_bar(x=[_code(L, "region", r) for r in regions], y=s["gdi_mean"].round(1),
                        name=_code(L, "level", lv), marker_color=L.color(f"level.{lv}"),
                        customdata=np.c_[s["share_above_mean"].fillna(np.nan) * 100],
                        hovertemplate="%{x}<br>" + esc(_code(L, "level", lv)) + ": %{y:.1f}<br>"
                        + esc(L.column("share_above_mean", "parks_groups")) + ": %{customdata[0]:.0f} %<extra></extra>")
        fig.update_layout(barmode="group", height=420, margin=dict(l=60, r=20, t=30, b=50),
                          yaxis=dict(title=L.column("gdi_mean", "parks_groups") + " (0–100)", range=[0, 100]),
                          legend=dict(orientation="h", y=1.1, x=0))
        variants[str(y)] = fig
    ctl = [ctx.page.controls("year", L("ui.year"), [(y, y) for y in years], years[-1])]
    out = ctx.page.plotly_figure("parks_gdi", L("fig.parks_gdi"), variants, ctl, ["year"], height=420)
    if ctx.static is not None:
        y = years[-1]
        gy = g[g["year"] == y]
        values = {lv: gy[gy["level"] == lv].set_index("region").reindex(regions)["gdi_mean"].to_numpy()
                  for lv in levels}
        ctx.static.draw(ctx.static.grouped_bars, "parks_gdi",
                        [dict(title=str(y), years=[_code(L, "region", r) for r in regions], values=values)],
                        L("fig.parks_gdi"), L.column("gdi_mean", "parks_groups"),
                        [(lv, _code(L, "level", lv), L.color(f"level.{lv}")) for lv in levels])
    return out


def _inventory(groups: pd.DataFrame, grouping: str) -> pd.DataFrame:
    g = groups[(groups["grouping"] == grouping) & groups["year"].isna()].copy()
    key = "region" if grouping == "region" else "level"
    order = REGIONS if key == "region" else LEVELS
    g["_o"] = g[key].map({v: i for i, v in enumerate(order)})
    return g.sort_values("_o")


def _group_label(L, grouping: str, row) -> str:
    return _code(L, "region", row["region"]) if grouping == "region" else _code(L, "level", row["level"])


def _energy(ctx: Context, groups: pd.DataFrame) -> Figure | None:
    L = ctx.L
    if "capacity_mw" not in groups.columns or not (groups["capacity_mw"].fillna(0) > 0).any():
        return None
    kinds = {"size": [(c, f"share_capacity_{c}", "capclass") for c in SIZES],
             "fuel": [(f, f"share_capacity_{f}", "fuel") for f in FUELS]}
    variants, static = {}, {}
    for grouping in ("region", "level"):
        inv = _inventory(groups, grouping)
        inv = inv[inv["capacity_mw"].fillna(0) > 0]
        if not len(inv):
            continue
        labels = [_group_label(L, grouping, r) for _, r in inv.iterrows()]
        for kind, series in kinds.items():
            fig = go.Figure()
            for code, col, cat in series:
                v = (inv[col].fillna(0) * 100).round(1)
                if not (v > 0).any():
                    continue
                fig.add_bar(y=labels, x=v, orientation="h", name=_code(L, cat, code),
                            marker_color=L.color(f"{cat}.{code}"),
                            customdata=np.c_[inv["capacity_mw"].round(0)],
                            hovertemplate="%{y}<br>" + esc(_code(L, cat, code)) + ": %{x:.1f} %<br>"
                            + esc(L.column("capacity_mw", "parks_groups")) + ": %{customdata[0]:,.0f} MW<extra></extra>")
            fig.update_layout(barmode="stack", height=380, margin=dict(l=150, r=20, t=30, b=50),
                              xaxis=dict(title=f"{L('ui.capacity_share')} (%)", range=[0, 100]),
                              yaxis=dict(autorange="reversed"), legend=dict(orientation="h", y=1.12, x=0))
            variants[f"{kind}|{grouping}"] = fig
            static.setdefault(kind, []).append((grouping, labels, inv))
    if not variants:
        return None
    kinds_present = sorted({k.split("|")[0] for k in variants}, key=["size", "fuel"].index)
    groupings = [g for g in ("region", "level") if any(k.endswith("|" + g) for k in variants)]
    ctl = [ctx.page.controls("kind", L("ui.structure"), [(k, L(f"ui.structure_{k}")) for k in kinds_present],
                             kinds_present[0]),
           ctx.page.controls("grouping", L("ui.grouping"), [(g, L(f"grouping.{g}")) for g in groupings],
                             groupings[0])]
    out = ctx.page.plotly_figure("parks_energy", L("fig.parks_energy"), variants, ctl, ["kind", "grouping"],
                                 height=380)
    if ctx.static is not None:
        for kind, parts in static.items():
            rows, shares = [], {code: [] for code, _c, _cat in kinds[kind]}
            for _grouping, labels, inv in parts:
                rows += labels
                for code, col, _cat in kinds[kind]:
                    shares[code] += (inv[col].fillna(0) * 100).tolist()
            series = [(code, _code(L, cat, code), L.color(f"{cat}.{code}")) for code, _col, cat in kinds[kind]
                      if any(v > 0 for v in shares[code])]
            ctx.static.draw(ctx.static.stacked_shares, f"parks_energy_{kind}", rows,
                            {k: np.asarray(v) for k, v in shares.items()}, series,
                            f"{L('fig.parks_energy')} — {L(f'ui.structure_{kind}')}", f"{L('ui.capacity_share')} (%)")
    return out


def _wwtp(ctx: Context, groups: pd.DataFrame) -> Figure | None:
    L = ctx.L
    if "wwtp_completion" not in groups.columns or groups["wwtp_completion"].isna().all():
        return None
    series = [("wwtp_completion", "#1f78b4"), ("monitoring_completion", "#a6cee3")]
    variants, static_groups = {}, []
    for grouping in ("region", "level"):
        inv = _inventory(groups, grouping)
        inv = inv[inv["wwtp_completion"].notna()]
        if not len(inv):
            continue
        labels = [_group_label(L, grouping, r) for _, r in inv.iterrows()]
        fig = go.Figure()
        for col, colour in series:
            if inv[col].isna().all():
                continue
            fig.add_bar(x=labels, y=(inv[col] * 100).round(1), name=L.column(col, "parks_groups"),
                        marker_color=colour, customdata=np.c_[inv["n_parks"]],
                        hovertemplate="%{x}: %{y:.1f} %<br>" + esc(L.column("n_parks", "parks_groups"))
                        + ": %{customdata[0]}<extra></extra>")
        fig.update_layout(barmode="group", height=400, margin=dict(l=60, r=20, t=30, b=60),
                          yaxis=dict(title="%", range=[0, 100]), legend=dict(orientation="h", y=1.1, x=0))
        variants[grouping] = fig
        static_groups.append(dict(title=L(f"grouping.{grouping}"), years=labels,
                                  values={c: (inv[c] * 100).to_numpy() for c, _k in series}))
    if not variants:
        return None
    opts = [(g, L(f"grouping.{g}")) for g in variants]
    ctl = [ctx.page.controls("grouping", L("ui.grouping"), opts, opts[0][0])]
    out = ctx.page.plotly_figure("parks_wwtp", L("fig.parks_wwtp"), variants, ctl, ["grouping"], height=400)
    if ctx.static is not None:
        ctx.static.draw(ctx.static.grouped_bars, "parks_wwtp", static_groups, L("fig.parks_wwtp"), "%",
                        [(c, L.column(c, "parks_groups"), k) for c, k in series])
    return out


def _industries(ctx: Context, ind: pd.DataFrame, top: int = 10) -> Figure | None:
    L = ctx.L
    variants, options = {}, []
    for grouping, key in (("all", None), ("level", "level"), ("region", "region")):
        sub = ind[ind["grouping"] == grouping]
        if not len(sub):
            continue
        codes = [None] if key is None else [v for v in (LEVELS if key == "level" else REGIONS)
                                            if v in set(sub[key])]
        for code in codes:
            s = sub if key is None else sub[sub[key] == code]
            s = s.sort_values(["rank", "industry"]).head(top)
            name = L("ui.all_parks") if key is None else _code(L, key, code)
            fig = go.Figure(go.Bar(y=[_industry(L, i) for i in s["industry"]], x=s["n_parks"], orientation="h",
                                   marker_color="#6a51a3",
                                   hovertemplate="%{y}: %{x}<extra></extra>"))
            fig.update_layout(height=380, margin=dict(l=170, r=20, t=30, b=50),
                              xaxis=dict(title=L.column("n_parks", "parks_industries")),
                              yaxis=dict(autorange="reversed"))
            k = "all" if key is None else f"{key}:{code}"
            variants[k] = fig
            options.append((k, name))
    if not variants:
        return None
    ctl = [ctx.page.controls("group", L("ui.grouping"), options, options[0][0])]
    out = ctx.page.plotly_figure("parks_industries", L("fig.parks_industries"), variants, ctl, ["group"],
                                 height=380)
    if ctx.static is not None:
        s = ind[ind["grouping"] == "all"].sort_values(["rank", "industry"]).head(top)
        if len(s):
            ctx.static.draw(ctx.static.grouped_bars, "parks_industries",
                            [dict(title=L("ui.all_parks"), years=[_industry(L, i) for i in s["industry"]],
                                  values={"n": s["n_parks"].to_numpy(dtype=float)})],
                            L("fig.parks_industries"), L.column("n_parks", "parks_industries"),
                            [("n", L.column("n_parks", "parks_industries"), "#6a51a3")])
    return out


def _industry(L, name: str) -> str:
    return L(f"industry.{name}") if L.has(f"industry.{name}") else str(name)


# --------------------------------------------------------------------------- tables


def _table_figure(fid: str, title: str, body: str, note: str = "") -> Figure:
    return Figure(fid, title, "table", None, [], body=body, note=note)


def _chemical(ctx: Context, parks: pd.DataFrame) -> Figure | None:
    L = ctx.L
    if "is_chemical" not in parks.columns or "within_1km" not in parks.columns:
        return None
    sel = parks[_flag(parks["is_chemical"]) & _flag(parks["within_1km"])]
    sel = sel.sort_values("dist_river_m")
    shore = float((ctx.param("parks", default={}) or {}).get("shoreline_m", 1000.0))
    title = L("fig.parks_chemical", shoreline_m=f"{shore:,.0f}")
    if not len(sel):
        if parks["dist_river_m"].notna().any():
            return _table_figure("parks_chemical", title, f"<p>{esc(L('ui.none'))}</p>")
        return None
    names = ctx.data.names()
    finest = ctx.data.levels[0] if ctx.data.levels else None
    shown = sel.head(MAX_ROWS)
    tab = pd.DataFrame({
        "name": shown["name"].astype(str),
        "level": [_code(L, "level", v) for v in shown["level"]],
        "region": [_code(L, "region", v) for v in shown["region"]],
        "province": [_province(L, v) for v in shown["province"]],
        "unit": [names.get((finest, u), u) for u in shown["unit_id"]],
        "dist": shown["dist_river_m"].map(lambda v: f"{v:,.0f}"),
    })
    heads = [L.column("name", "parks"), L.column("level", "parks"), L.column("region", "parks"),
             L.column("province", "parks"), L.column("unit_id", "parks"),
             f"{L.column('dist_river_m', 'parks')} ({L.column_unit('dist_river_m', 'parks')})"]
    note = L("ui.rows_shown", n=MAX_ROWS, total=len(sel)) if len(sel) > MAX_ROWS else ""
    return _table_figure("parks_chemical", f"{title} ({len(sel)})",
                         table_html(tab, heads, numeric={"dist"}), note=note)


def _not_ok(ctx: Context, parks: pd.DataFrame) -> Figure | None:
    L = ctx.L
    bad = parks[parks["location_check"] != "ok"]
    if not len(bad):
        return None
    shown = bad.head(MAX_ROWS)
    tab = pd.DataFrame({
        "park_id": shown["park_id"].astype(str),
        "name": shown["name"].astype(str),
        "province": [_province(L, v) for v in shown["province"]],
        "check": [_code(L, "location", v) for v in shown["location_check"]],
        "note": shown["note"].fillna("").astype(str),
    })
    heads = [L.column(c, "parks") for c in ("park_id", "name", "province", "location_check", "note")]
    body = (f"<details><summary>{esc(L('ui.parks_not_ok', n=len(bad), total=len(parks)))}</summary>"
            + table_html(tab, heads) + "</details>")
    return _table_figure("parks_not_ok", L("fig.parks_not_ok"), body)
