"""The ecological-network section (METHODS §4.1–4.5, §4.7).

Reads ``ecology_sources`` (``year, source_id, area_km2, unit_id, dpc,
rank, origin, x, y``), ``ecology_network`` (``level, unit_id, year``, α, β,
γ, PC, IIC, ECA, counts), the spatial layers ``ecology_corridors`` (lines)
and ``ecology_nodes`` (points, ``kind`` pinch | barrier | break) of
``results.gpkg``, and the rasters ``resistance_<year>.tif`` and
``mspa_<year>.tif`` (shown downsampled).

Figures: the network map of every year (resistance image, MSPA core,
sources, corridors — important ones bold —, pinch points, barriers, break
points; a PNG per year in the page and a 300 dpi PNG of the latest year),
the dPC ranking of the sources, and the network metrics of every unit.
"""

from __future__ import annotations

import base64
import html
import io

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ecozone.report.context import Context, flatten
from ecozone.report.page import Figure, Section, Var

esc = html.escape

NODE_STYLE = {"pinch": ("^", 26), "barrier": ("s", 20), "break": ("X", 30)}
CORE_COLOUR, SOURCE, CORRIDOR, IMPORTANT = "#a6dba0", "#00441b", "#4292c6", "#08306b"
METRICS = ("n_sources", "n_corridors", "alpha", "beta", "gamma", "pc", "iic", "eca")
TOP = 30  # sources shown in the dPC ranking


def ecology_section(ctx: Context) -> Section | None:
    src = ctx.data.table("ecology_sources")
    net = ctx.data.table("ecology_network")
    if src is None and net is None:
        return None
    L = ctx.L
    sec = Section("ecology", L("sec.ecology"), method=_method(ctx))
    rows = flatten(ctx.param("ecology", default={}) or {})
    if rows:
        sec.params_html = f'<details><summary>{esc(L("ui.standards"))}</summary>{ctx.kv_table(rows)}</details>'
    figs: list[Figure | None] = [_network_map(ctx, src)]
    if src is not None:
        figs.append(_dpc(ctx, src))
    if net is not None:
        figs.append(_metrics_map(ctx, net))
    sec.figures = [f for f in figs if f is not None]
    return sec


def _method(ctx: Context) -> str:
    p = ctx.param("ecology", default={}) or {}
    L = ctx.L
    cell = _cellsize(ctx)
    grid = L("ui.ecology_grid", cell=f"{cell:,.0f}", coarsen=int(p.get("coarsen", 1) or 1),
             landcover=str(p.get("landcover", "auto"))) if cell else ""
    return L("method.ecology", edge=p.get("edge_width", 1), structure=p.get("core_structure", "square"),
             min_core=f"{float(p.get('min_core_km2', 1.0)):g}", share=f"{100 * float(p.get('dpc_top_share', 0.2)):g}",
             distance=f"{float(p.get('distance_m', 5000)):g}", p=f"{float(p.get('p_at_distance', 0.5)):g}",
             pinch=f"{100 * float(p.get('pinch_share', 0.1)):g}", domain=p.get("circuit_domain", "window"),
             radii=", ".join(str(r) for r in p.get("barrier_radius_cells", [1, 3, 5]))) + (" " + grid if grid else "")


def _cellsize(ctx: Context) -> float | None:
    import rasterio

    paths = ctx.data.rasters.get("resistance") or {}
    if not paths:
        return None
    with rasterio.open(next(iter(paths.values()))) as ds:
        return float(abs(ds.transform.a))


# -- the network map -------------------------------------------------------------------------


def _read_layer(ctx: Context, name: str):
    import pyogrio

    path = ctx.data.out_dir / "results.gpkg"
    if not path.exists() or name not in {str(n) for n, _g in pyogrio.list_layers(path)}:
        return None
    g = pyogrio.read_dataframe(path, layer=name)
    return g if len(g) else None


def _read_display(path, max_px: int = 700, resampling: str = "average"):
    import rasterio
    from rasterio.enums import Resampling

    with rasterio.open(path) as ds:
        f = max(1, int(np.ceil(max(ds.width, ds.height) / max_px)))
        shape = (max(1, ds.height // f), max(1, ds.width // f))
        a = ds.read(1, out_shape=shape, resampling=getattr(Resampling, resampling), masked=True)
        b = ds.bounds
        return a.astype("float64").filled(np.nan), (b.left, b.right, b.bottom, b.top), ds.crs, (ds.width, ds.height)


def _map_layers(ctx: Context, src: pd.DataFrame | None):
    """Per year the display data of the map: resistance, core, sources, corridors, nodes (raster CRS)."""
    import geopandas as gpd
    from pyproj import Transformer

    res_paths = ctx.data.rasters.get("resistance") or {}
    mspa_paths = ctx.data.rasters.get("mspa") or {}
    if not res_paths:
        return None, None
    corridors = _read_layer(ctx, "ecology_corridors")
    nodes = _read_layer(ctx, "ecology_nodes")
    outline = None
    years = sorted(res_paths)
    crs = None
    out = {}
    for y in years:
        res, extent, crs, full = _read_display(res_paths[y])
        core = None
        if y in mspa_paths:
            m, *_ = _read_display(mspa_paths[y], resampling="nearest")
            core = np.isin(m, (17, 117))
        tr = Transformer.from_crs(4326, crs, always_xy=True)
        s = src[src["year"] == y] if src is not None else pd.DataFrame()
        sx, sy = tr.transform(s["x"].to_numpy(float), s["y"].to_numpy(float)) if len(s) else ([], [])
        lines = []
        if corridors is not None:
            c = corridors[corridors["year"] == y]
            if len(c):
                g = gpd.GeoSeries(c.geometry.to_numpy(), crs=4326).to_crs(crs)
                lines = [(np.asarray(geom.coords), bool(imp)) for geom, imp in zip(g, c["important"], strict=True)
                         if geom is not None and not geom.is_empty]
        pts = {}
        if nodes is not None:
            nd = nodes[nodes["year"] == y]
            for kind in NODE_STYLE:
                k = nd[nd["kind"] == kind]
                if len(k):
                    pts[kind] = tr.transform(k["x"].to_numpy(float), k["y"].to_numpy(float))
        out[y] = dict(res=res, core=core, extent=extent, full=full, sources=(np.asarray(sx), np.asarray(sy),
                      s["area_km2"].to_numpy(float) if len(s) else np.zeros(0),
                      s["source_id"].to_numpy() if len(s) else np.zeros(0)), lines=lines, nodes=pts)
    lv = ctx.outline_level()
    if lv is not None and crs is not None:
        from ecozone.report.figures import unit_paths

        try:
            outline = unit_paths(gpd.GeoSeries(ctx.geo.levels[lv].projected, crs=ctx.geo.area_crs).to_crs(crs)
                                 .to_numpy())
        except Exception:  # noqa: BLE001 - a raster without a usable CRS: no outline
            outline = None
    return out, outline


def _draw_map(fig, d: dict, outline, L, title: str, legend: bool = True) -> None:
    from matplotlib import colormaps
    from matplotlib.collections import LineCollection, PatchCollection
    from matplotlib.colors import ListedColormap, LogNorm
    from matplotlib.lines import Line2D
    from matplotlib.patches import PathPatch

    ax = fig.add_subplot(1, 1, 1)
    res = np.ma.masked_invalid(d["res"])
    lo, hi = (np.nanmin(d["res"]), np.nanmax(d["res"])) if np.isfinite(d["res"]).any() else (1.0, 10.0)
    im = ax.imshow(res, extent=d["extent"], cmap=colormaps["YlOrBr"], norm=LogNorm(max(lo, 1e-3), max(hi, lo * 10)),
                   interpolation="nearest", alpha=0.75)
    if d["core"] is not None:
        core = np.ma.masked_where(~d["core"], np.ones(d["core"].shape))
        ax.imshow(core, extent=d["extent"], cmap=ListedColormap([CORE_COLOUR]), interpolation="nearest", alpha=0.85)
    if outline:
        ax.add_collection(PatchCollection([PathPatch(q) for q in outline], facecolors="none", edgecolors="#555555",
                                          linewidths=0.3))
    if d["lines"]:
        segs = [c[:, :2] for c, _imp in d["lines"]]
        imp = np.array([i for _c, i in d["lines"]])
        ax.add_collection(LineCollection([s for s, i in zip(segs, imp, strict=True) if not i], colors=CORRIDOR,
                                         linewidths=0.8, alpha=0.9))
        ax.add_collection(LineCollection([s for s, i in zip(segs, imp, strict=True) if i], colors=IMPORTANT,
                                         linewidths=2.0))
    sx, sy, area, ids = d["sources"]
    if len(sx):
        size = 12 + 60 * np.sqrt(area / max(area.max(), 1e-9))
        ax.scatter(sx, sy, s=size, c=SOURCE, edgecolors="white", linewidths=0.6, zorder=5)
    colours = {"pinch": "#e31a1c", "barrier": "#6a3d9a", "break": "#111111"}
    for kind, (x, y) in d["nodes"].items():
        marker, s = NODE_STYLE[kind]
        ax.scatter(x, y, marker=marker, s=s * 0.6, c=colours[kind], edgecolors="white", linewidths=0.4, zorder=6)
    ax.set_xlim(d["extent"][0], d["extent"][1])
    ax.set_ylim(d["extent"][2], d["extent"][3])
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(title)
    cb = fig.colorbar(im, ax=ax, orientation="horizontal", fraction=0.04, pad=0.02, shrink=0.6)
    cb.set_label(L("ui.ecology_resistance"), fontsize=7)
    cb.ax.tick_params(labelsize=6)
    if legend:
        h = [Line2D([], [], color=IMPORTANT, lw=2.0, label=L("ui.ecology_important")),
             Line2D([], [], color=CORRIDOR, lw=0.8, label=L("ui.ecology_corridor")),
             Line2D([], [], marker="o", ls="", color=SOURCE, label=L("ui.ecology_source")),
             Line2D([], [], marker="s", ls="", color=CORE_COLOUR, label=L("ui.ecology_core"))]
        h += [Line2D([], [], marker=NODE_STYLE[k][0], ls="", color=colours[k], label=L.code("ecology_node", k))
              for k in NODE_STYLE]
        ax.legend(handles=h, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=4, frameon=False, fontsize=6.5)


def _png(fig, dpi: int) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white", pil_kwargs={"compress_level": 9})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _network_map(ctx: Context, src: pd.DataFrame | None) -> Figure | None:
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    from ecozone.report.figures import font_rc

    L = ctx.L
    data, outline = _map_layers(ctx, src)
    if not data:
        return None
    years = sorted(data)
    variants = {}
    with matplotlib.rc_context(font_rc(L.lang)):
        for y in years:
            fig = MplFigure(figsize=(7.5, 5.6), layout="constrained")
            FigureCanvasAgg(fig)
            _draw_map(fig, data[y], outline, L, str(y))
            variants[y] = [_png(fig, 90)]
    d = data[years[-1]]
    shown = d["res"].shape
    note = L("ui.ecology_map_note")
    if shown[1] < d["full"][0]:
        note += " " + L("ui.downsampled", w=shown[1], h=shown[0])
    fig = ctx.page.image_figure("ecology_map", L("fig.ecology_map"), variants, [L("fig.ecology_map")], years,
                                years[-1], [""], note=note)
    if ctx.static is not None:
        ctx.static.draw(_static_map, ctx.static, d, outline, L, years[-1])
    return fig


def _static_map(static, d: dict, outline, L, year: int):
    fig = static._new(7.0, 5.8)
    _draw_map(fig, d, outline, L, str(year))
    static._title(fig, L("fig.ecology_map"))
    return static._save(fig, f"ecology_network_{year}")


# -- dPC ranking ---------------------------------------------------------------------------------


def _dpc(ctx: Context, src: pd.DataFrame) -> Figure | None:
    L = ctx.L
    s = src[src["dpc"].notna()]
    if not len(s):
        return None
    names = ctx.data.names()
    finest = ctx.data.levels[0] if ctx.data.levels else None
    years = ctx.years_of(s)
    variants = {}
    for y in years:
        g = s[s["year"] == y].sort_values("dpc", ascending=False).head(TOP)
        label = [f"S{int(i)}" for i in g["source_id"]]
        unit = [names.get((finest, u), u) if isinstance(u, str) else "" for u in g["unit_id"]]
        fig = go.Figure()
        dpc = g["dpc"].to_numpy(float)
        pos = dpc[dpc > 0]
        log = bool(pos.size and pos.max() > 100 * pos.min())  # one source dominates: total dPC, log axis
        if log:
            fig.add_bar(x=label, y=np.where(dpc > 0, dpc, np.nan), name="dPC", marker_color="#2171b5")
        else:
            fig.add_bar(x=label, y=g["dpc_intra"].round(3), name=L.column("dpc_intra", "ecology_sources"),
                        marker_color="#74c476")
            fig.add_bar(x=label, y=g["dpc_flux"].round(3), name=L.column("dpc_flux", "ecology_sources"),
                        marker_color="#2171b5")
            fig.add_bar(x=label, y=g["dpc_connector"].clip(lower=0).round(3),
                        name=L.column("dpc_connector", "ecology_sources"), marker_color="#fd8d3c")
        fig.update_traces(customdata=np.column_stack([unit, g["area_km2"].round(2), g["dpc"].round(3)]),
                          hovertemplate="%{x} · %{customdata[0]}<br>" + L.column("area_km2", "ecology_sources")
                          + ": %{customdata[1]} km²<br>dPC %{customdata[2]} %<extra>%{fullData.name}</extra>")
        fig.update_layout(barmode="stack", height=420, margin=dict(l=60, r=20, t=30, b=60),
                          yaxis=dict(title="dPC (%)", type="log" if log else "linear"),
                          legend=dict(orientation="h", y=1.08))
        variants[str(y)] = fig
    ctl = [ctx.page.controls("year", L("ui.year"), [(y, y) for y in years], years[-1])]
    fig = ctx.page.plotly_figure("ecology_dpc", L("fig.ecology_dpc"), variants, ctl, ["year"],
                                 note=L("ui.ecology_dpc_note", n=TOP), height=420)
    if ctx.static is not None:
        y = years[-1]
        g = s[s["year"] == y].sort_values("dpc", ascending=False).head(25)
        ctx.static.draw(_static_dpc, ctx.static, g, f"{L('fig.ecology_dpc')} · {y}", L, y)
    return fig


def _static_dpc(static, g: pd.DataFrame, title: str, L, year: int):
    fig = static._new(6.0, 0.18 * len(g) + 1.2)
    ax = fig.add_subplot(1, 1, 1)
    y = np.arange(len(g))[::-1]
    dpc = g["dpc"].to_numpy(float)
    pos = dpc[dpc > 0]
    if pos.size and pos.max() > 100 * pos.min():  # one source dominates: total dPC on a log scale
        ax.barh(y, np.where(dpc > 0, dpc, np.nan), color="#2171b5", height=0.75)
        ax.set_xscale("log")
    else:  # the fractions stacked
        left = np.zeros(len(g))
        for col, colour in (("dpc_intra", "#74c476"), ("dpc_flux", "#2171b5"), ("dpc_connector", "#fd8d3c")):
            v = g[col].clip(lower=0).to_numpy(float)
            ax.barh(y, v, left=left, color=colour, height=0.75, label=L.column(col, "ecology_sources"))
            left += v
        ax.legend(fontsize=6, frameon=False, loc="lower right")
    ax.set_yticks(y, [f"S{int(i)}" for i in g["source_id"]], fontsize=6)
    ax.set_xlabel("dPC (%)", fontsize=7)
    ax.spines[["top", "right"]].set_visible(False)
    static._title(fig, title)
    return static._save(fig, f"ecology_dpc_{year}")


# -- network metrics per unit ---------------------------------------------------------------------


def _metrics_map(ctx: Context, net: pd.DataFrame) -> Figure | None:
    L = ctx.L
    variables = [Var(m, "ecology_network", m, L.column(m, "ecology_network"),
                     unit=L.column_unit(m, "ecology_network"), colorscale="YlGn",
                     hover=[("ecology_network", "n_sources"), ("ecology_network", "n_corridors")])
                 for m in METRICS if m in net.columns and net[m].notna().any()]
    levels = [lv for lv in ctx.data.levels if lv in ctx.data.levels_with(net, "n_sources")]
    if not variables or not levels:
        return None
    default = "city" if "city" in levels else levels[0]
    return ctx.page.map_figure("ecology_network_map", L("fig.ecology_network_map"), variables, levels,
                               ctx.years_of(net), level=default, note=L("ui.ecology_network_note"))


__all__ = ["ecology_section"]
