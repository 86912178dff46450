"""The carbon section (METHODS §2; seed 004's Figs. 3–7, seed 002's clusters).

Column contract of the tables read (columns beyond the key are used when present):

``carbon``
    ``level, unit_id, year`` and ``ce, cs, cb`` (t C), ``cbi, ecc, esc`` (−),
    ``budget_state`` (``carbon_surplus`` | ``carbon_balance`` |
    ``carbon_deficit``), ``zone`` (the six codes of METHODS §2.4); optional
    ``gdp`` (CNY), ``npp, nep`` (unit means, gC m-2 yr-1),
    ``emissions_filled`` (bool), ``zone_note``, ``net_source_ecosystem``.
``carbon_zones`` (optional)
    ``level, year, zone, count, area_km2, area_share`` (0–1); computed from
    ``carbon`` and the units' areas when absent.
any table with ``unit_id, year, variable, cluster`` (optional ``level``, ``lisa_i``, ``lisa_p``, ``spot``)
    LISA clusters (``HH, LH, LL, HL, not_significant, island``) per variable;
    a table with ``variable, moran_i`` gives the global Moran's I.
``rasters/npp_<year>.tif``, ``rasters/nep_<year>.tif``
    annual NPP and NEP grids (gC m-2 yr-1), shown downsampled.

Zone transitions are counted from ``carbon`` (units present in both years).
"""

from __future__ import annotations

import base64
import html
import io

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ecozone.report.context import Context, color_array, flatten
from ecozone.report.figures import MapPanel
from ecozone.report.page import Figure, Section, Var, table_html

esc = html.escape

ZONE_ORDER = ["carbon_sink", "low_carbon_economic", "low_carbon_optimisation", "carbon_intensity_control",
              "high_carbon_optimisation", "unclassified"]
BUDGET_ORDER = ["carbon_surplus", "carbon_balance", "carbon_deficit"]
LISA_ORDER = ["HH", "HL", "LH", "LL", "not_significant", "island"]
SERIES = [("ce", "#d6604d"), ("cs", "#4d9221"), ("cb", "#5e4fa2")]
MT = 1e-6  # t C -> Mt C
#: canonical column -> the name the carbon run writes (unit in the name); either is accepted
ALIASES = {"ce": "ce_tc", "cs": "cs_tc", "cb": "cb_tc", "gdp": "gdp_cny", "npp": "npp_mean", "nep": "nep_mean",
           "rh": "rh_mean"}
VAR_ALIASES = {v: k for k, v in ALIASES.items()}


def normalise(c: pd.DataFrame) -> pd.DataFrame:
    """The ``carbon`` table with canonical column names (``ce_tc`` → ``ce`` …)."""
    ren = {a: k for k, a in ALIASES.items() if k not in c.columns and a in c.columns}
    return c.rename(columns=ren)


def _var_label(L, v: str) -> str:
    k = VAR_ALIASES.get(v, v)
    return L(f"var.{k}") if L.has(f"var.{k}") else v


def carbon_section(ctx: Context) -> Section | None:
    c = ctx.data.table("carbon")
    rasters = {v: ctx.data.rasters[v] for v in ("npp", "nep") if v in ctx.data.rasters}
    if c is None and not rasters:
        return None
    L = ctx.L
    sec = Section("carbon", L("sec.carbon"), method=_method(ctx))
    p = ctx.param("carbon", default={}) or {}
    rows = flatten(p)
    if rows:
        sec.params_html = f'<details><summary>{esc(L("ui.standards"))}</summary>{ctx.kv_table(rows)}</details>'
    figs: list[Figure | None] = []
    if rasters:
        figs.append(_rasters(ctx, rasters))
    if c is not None:
        c = normalise(c)
        ctx.page.tables["carbon"] = c
        level = _default_level(ctx, c)
        for builder in (_budget_map, _budget_bars, _indices, _zones, _zone_shares, _transitions, _lisa, _gravity):
            figs.extend(builder(ctx, c, level) or [])
    sec.figures = [f for f in figs if f is not None]
    return sec


def _method(ctx: Context) -> str:
    L = ctx.L
    p = ctx.param("carbon", default={}) or {}
    casa = p.get("casa", {}) or {}
    sp = p.get("spatial", {}) or {}
    zon = p.get("zoning", {}) or {}
    return L("method.carbon", ndvi_extremes=casa.get("ndvi_extremes", "data"),
             landcover=p.get("landcover_classes", ""), threshold=zon.get("threshold", 1.0),
             contiguity=sp.get("contiguity", "queen"), permutations=sp.get("permutations", 999),
             significance=sp.get("significance", 0.05))


def _default_level(ctx: Context, c: pd.DataFrame) -> str:
    levels = [lv for lv in ctx.data.levels_with(c, "ce") if lv in ctx.geo.levels]
    if "city" in levels:
        return "city"
    return levels[0] if levels else ctx.data.levels[0]


def _latest(ctx: Context, df: pd.DataFrame, level: str, col: str) -> int | None:
    ys = ctx.years_of(df[df["level"] == level], col) if col in df.columns else []
    return ys[-1] if ys else None


def _outline(ctx: Context, level: str):
    lv = ctx.outline_level(exclude=level)
    return ctx.paths(lv) if lv is not None and lv != level else None


# -- rasters ------------------------------------------------------------------------

def _read_display(path, max_px: int = 900):
    """A raster read at reduced resolution (GDAL overviews / average), with its bounds and CRS."""
    import rasterio
    from rasterio.enums import Resampling

    with rasterio.open(path) as ds:
        f = max(1, int(np.ceil(max(ds.width, ds.height) / max_px)))
        shape = (max(1, ds.height // f), max(1, ds.width // f))
        a = ds.read(1, out_shape=shape, resampling=Resampling.average, masked=True).astype("float64")
        arr = a.filled(np.nan)
        b = ds.bounds
        return arr, (b.left, b.right, b.bottom, b.top), ds.crs, (ds.width, ds.height)


def _png(rgba: np.ndarray, colors: int = 128) -> str:
    """An RGBA image as a PNG data URL, quantized to a palette of ``colors`` (transparency kept).

    A colour-mapped raster holds few distinct colours; the palette PNG is about
    a fifth of the RGBA one and looks the same at display size.
    """
    from PIL import Image

    buf = io.BytesIO()
    img = Image.fromarray(rgba)
    if colors:
        img = img.quantize(colors=colors, method=Image.Quantize.FASTOCTREE)
    img.save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _norm_for(var: str, arrays: list[np.ndarray]):
    from matplotlib import colormaps
    from matplotlib.colors import Normalize, TwoSlopeNorm

    vals = np.concatenate([a[np.isfinite(a)].ravel() for a in arrays]) if arrays else np.array([0.0])
    if not vals.size:
        vals = np.array([0.0, 1.0])
    lo, hi = np.percentile(vals, [2, 98])
    if var == "nep" and lo < 0 < hi:
        w = max(abs(lo), abs(hi))
        return colormaps["RdYlGn"], TwoSlopeNorm(vcenter=0.0, vmin=-w, vmax=w), "both"
    if hi <= lo:
        hi = lo + 1
    return colormaps["YlGn"], Normalize(vmin=max(0.0, lo) if var == "npp" else lo, vmax=hi), "max"


def _legend_html(cmap, norm, label: str) -> str:
    stops = ", ".join(
        "rgb({},{},{}) {:.0f}%".format(*(int(255 * c) for c in cmap(i / 10)[:3]), i * 10) for i in range(11)
    )
    ticks = np.linspace(norm.vmin, norm.vmax, 5)
    tick_html = "".join(f"<span>{t:.0f}</span>" for t in ticks)
    return (f'<div class="cbar"><div class="ramp" style="background:linear-gradient(to right, {stops})"></div>'
            f'<div class="ticks">{tick_html}</div><div>{esc(label)}</div></div>')


def _overlay_svg(ctx: Context, bounds, crs, shape) -> str:
    """Boundaries of the outline level as an SVG over the raster image (pixel coordinates)."""
    import geopandas as gpd
    import shapely

    lv = ctx.outline_level()
    if lv is None:
        return ""
    geoms = gpd.GeoSeries(ctx.geo.levels[lv].projected, crs=ctx.geo.area_crs)
    try:
        geoms = geoms.to_crs(crs)
    except Exception:  # noqa: BLE001 - a raster without a usable CRS: no outline
        return ""
    h, w = shape
    left, right, bottom, top = bounds
    sx, sy = w / (right - left), h / (top - bottom)
    parts = []
    for g in geoms:
        for p in shapely.get_parts(shapely.boundary(g)) if g is not None else []:
            c = np.asarray(p.coords)[:, :2]
            if len(c) < 2:
                continue
            px = (c[:, 0] - left) * sx
            py = (top - c[:, 1]) * sy
            parts.append("M" + " L".join(f"{x:.1f} {y:.1f}" for x, y in zip(px, py, strict=True)))
    return (f'<svg viewBox="0 0 {w} {h}" preserveAspectRatio="none"><path d="{"".join(parts)}" fill="none" '
            f'stroke="#333" stroke-width="0.6" vector-effect="non-scaling-stroke"/></svg>')


def _rasters(ctx: Context, rasters: dict) -> Figure | None:
    L = ctx.L
    vars_ = [v for v in ("npp", "nep") if v in rasters]
    years = sorted(set().union(*(set(rasters[v]) for v in vars_)))
    read = {(v, y): _read_display(rasters[v][y]) for v in vars_ for y in years if y in rasters[v]}
    if not read:
        return None
    norms = {v: _norm_for(v, [read[(v, y)][0] for y in years if (v, y) in read]) for v in vars_}
    variants = {}
    for y in years:
        srcs = []
        for v in vars_:
            if (v, y) not in read:
                srcs.append("")
                continue
            arr = read[(v, y)][0]
            cmap, norm, _ext = norms[v]
            rgba = (cmap(norm(np.where(np.isfinite(arr), arr, np.nan))) * 255).astype(np.uint8)
            rgba[~np.isfinite(arr)] = 0
            srcs.append(_png(rgba))
        variants[y] = srcs
    any_read = next(iter(read.values()))
    _arr, bounds, crs, full = any_read
    overlay = _overlay_svg(ctx, bounds, crs, _arr.shape)
    unit = L.unit("var.npp")
    legends = [_legend_html(norms[v][0], norms[v][1], f"{L(f'var.{v}')} ({unit})") for v in vars_]
    note = L("ui.downsampled", w=_arr.shape[1], h=_arr.shape[0]) if _arr.shape[1] < full[0] else ""
    fig = ctx.page.image_figure("carbon_rasters", L("fig.carbon_rasters"), variants, [L(f"var.{v}") for v in vars_],
                                years, years[-1], legends, overlay=overlay, note=note)
    if ctx.static is not None:
        y = max(y for y in years if all((v, y) in read for v in vars_)) if all(
            any((v, y) in read for y in years) for v in vars_) else years[-1]
        outline_lv = ctx.outline_level()
        outline = None
        if outline_lv is not None:
            import geopandas as gpd

            from ecozone.report.figures import unit_paths

            try:
                outline = unit_paths(gpd.GeoSeries(ctx.geo.levels[outline_lv].projected, crs=ctx.geo.area_crs)
                                     .to_crs(crs).to_numpy())
            except Exception:  # noqa: BLE001
                outline = None
        panels = []
        for v in vars_:
            if (v, y) not in read:
                continue
            arr, b, _c, _f = read[(v, y)]
            cmap, norm, ext = norms[v]
            panels.append(dict(title=f"{L(f'short.{v}')} · {y}", array=np.ma.masked_invalid(arr), extent=b, cmap=cmap,
                               norm=norm, label=f"{L(f'var.{v}')} ({unit})", outline=outline, extend=ext))
        if panels:
            ctx.static.draw(ctx.static.rasters, f"carbon_npp_nep_{y}", panels, L("fig.carbon_rasters"))
    return fig


# -- budget ---------------------------------------------------------------------------

def _budget_vars(ctx: Context, c: pd.DataFrame) -> list[Var]:
    L = ctx.L
    out = []
    hov = [("carbon", h) for h in ("budget_state", "emissions_filled", "gdp")]
    neg_cs = "cs" in c.columns and (c["cs"] < 0).any()
    specs = {
        "ce": dict(colorscale="YlOrRd"),
        "cs": dict(colorscale="RdYlGn", mid=0.0) if neg_cs else dict(colorscale="YlGn", zmin=0.0),
        "cb": dict(colorscale="RdBu", reverse=True, mid=0.0),
    }
    for k in ("ce", "cs", "cb"):
        if k in c.columns and c[k].notna().any():
            out.append(Var(k, "carbon", k, L(f"var.{k}"), unit=L.unit(f"var.{k}"), scale=MT, hover=hov, **specs[k]))
    return out


def _budget_map(ctx: Context, c: pd.DataFrame, level: str) -> list[Figure | None]:
    L = ctx.L
    vars_ = _budget_vars(ctx, c)
    if not vars_:
        return []
    levels = [lv for lv in ctx.data.levels_with(c, vars_[0].col)]
    years = ctx.years_of(c, vars_[0].col)
    fig = ctx.page.map_figure("carbon_budget_map", L("fig.carbon_budget_map"), vars_, levels, years, level=level)
    y = _latest(ctx, c, level, vars_[0].col)
    if ctx.static is not None and y is not None and level in ctx.geo.levels:
        panels = []
        for v in vars_:
            vals = ctx.aligned(c, level, y, v.col).to_numpy(dtype=float) * MT
            panels.append(_numeric_panel(ctx, f"{L(f'short.{v.key}')} · {y}", level, vals, v, f"{v.label} ({v.unit})"))
        ctx.static.draw(ctx.static.maps, f"carbon_budget_{y}", panels, f"{L('fig.carbon_budget_map')} ({L.level(level)})")
    return [fig]


def _numeric_panel(ctx: Context, title: str, level: str, vals: np.ndarray, v: Var, label: str) -> MapPanel:
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    name = v.colorscale if isinstance(v.colorscale, str) else "viridis"
    cmap = colormaps[name + ("_r" if v.reverse else "")] if name + ("_r" if v.reverse else "") in colormaps else colormaps["viridis"]
    x = np.where(vals > 0, np.log10(np.where(vals > 0, vals, 1)), np.nan) if v.log else vals
    finite = x[np.isfinite(x)]
    if finite.size:
        lo, hi = np.percentile(finite, [2, 98])
    else:
        lo, hi = 0.0, 1.0
    ticks = None
    if v.mid is not None:
        m = np.log10(v.mid) if v.log else v.mid
        w = max(abs(hi - m), abs(m - lo)) or 1.0
        lo, hi = m - w, m + w
    elif v.zmin is not None:
        lo = v.zmin
    if hi <= lo:
        hi = lo + 1
    if v.log:
        vals_t = [t for e in range(int(np.floor(lo)) - 1, int(np.ceil(hi)) + 2) for t in (1 * 10.0 ** e, 2 * 10.0 ** e, 5 * 10.0 ** e)
                  if lo - 1e-9 <= np.log10(t) <= hi + 1e-9]
        ticks = ([np.log10(t) for t in vals_t], [f"{t:g}" for t in vals_t])
    norm = Normalize(vmin=lo, vmax=hi)
    colors = [cmap(norm(val)) if np.isfinite(val) else "#f0f0f0" for val in x]
    sm = ScalarMappable(norm=norm, cmap=cmap)
    return MapPanel(title=title, paths=ctx.paths(level), facecolors=colors, cmap=sm, cbar_label=label,
                    cbar_ticks=ticks, outline=_outline(ctx, level), linewidth=0.1 if len(vals) > 400 else 0.3)


def _region_level(ctx: Context, c: pd.DataFrame) -> str | None:
    for lv in ctx.data.levels:
        sub = c[c["level"] == lv]
        if len(sub) and sub["ce"].notna().all() and sub["cs"].notna().all():
            return lv
    return None


def _group_levels(ctx: Context, c: pd.DataFrame, region_level: str | None) -> list[str]:
    out = []
    for lv in ctx.data.levels:
        if lv == region_level:
            continue
        n = c.loc[c["level"] == lv, "unit_id"].nunique()
        if 2 <= n <= 12:
            out.append((n, lv))
    return [lv for _n, lv in sorted(out)]


def _budget_bars(ctx: Context, c: pd.DataFrame, level: str) -> list[Figure | None]:
    L = ctx.L
    if not {"ce", "cs"} <= set(c.columns):
        return []
    if "cb" not in c.columns:
        c = c.assign(cb=c["ce"] - c["cs"])
    rl = _region_level(ctx, c)
    groups = _group_levels(ctx, c, rl)
    names = ctx.data.names()
    series = [(k, L(f"var.{k}"), col) for k, col in SERIES]
    unit = L.unit("var.ce")
    variants, options, static_groups = {}, [], []
    if rl is not None:
        t = c[c["level"] == rl].groupby("year")[["ce", "cs", "cb"]].sum(min_count=1).sort_index() * MT
        fig = go.Figure()
        for k, lab, col in series:
            fig.add_bar(x=[str(y) for y in t.index], y=t[k].round(3), name=lab, marker_color=col,
                        hovertemplate=f"{lab}<br>%{{x}}: %{{y:.3f}} {unit}<extra></extra>")
        fig.update_layout(barmode="group", height=440, margin=dict(l=70, r=20, t=30, b=50),
                          yaxis=dict(title=f"{L('ui.value')} ({unit})", zeroline=True, zerolinecolor="#444"),
                          legend=dict(orientation="h", y=1.08, x=0))
        variants["region"] = fig
        options.append(("region", L("ui.region")))
        static_groups.append(dict(title=L("ui.region"), years=list(t.index), values={k: t[k].to_numpy() for k, _l, _c in series}))
    for lv in groups:
        sub = c[c["level"] == lv].copy()
        sub["name"] = [names.get((lv, u), u) for u in sub["unit_id"]]
        sub = sub.sort_values(["name", "year"])
        x = [sub["name"].tolist(), [str(y) for y in sub["year"]]]
        fig = go.Figure()
        for k, lab, col in series:
            fig.add_bar(x=x, y=(sub[k] * MT).round(3), name=lab, marker_color=col,
                        hovertemplate=f"{lab}<br>%{{x}}: %{{y:.3f}} {unit}<extra></extra>")
        fig.update_layout(barmode="group", height=440, margin=dict(l=70, r=20, t=30, b=90),
                          yaxis=dict(title=f"{L('ui.value')} ({unit})", zeroline=True, zerolinecolor="#444"),
                          legend=dict(orientation="h", y=1.08, x=0))
        variants[lv] = fig
        options.append((lv, L.level(lv)))
    if not variants:
        return []
    ctl = [ctx.page.controls("grouping", L("ui.grouping"), options, options[0][0])] if len(options) > 1 else []
    fig = ctx.page.plotly_figure("carbon_budget_bars", L("fig.carbon_budget_bars"), variants, ctl, ["grouping"],
                                 height=440)
    if ctx.static is not None:
        if groups:
            lv = groups[0]
            sub = c[c["level"] == lv]
            for u, g in sub.groupby("unit_id"):
                g = g.sort_values("year")
                static_groups.append(dict(title=str(names.get((lv, u), u)), years=g["year"].tolist(),
                                          values={k: (g[k] * MT).to_numpy() for k, _l, _c in series}))
        ctx.static.draw(ctx.static.grouped_bars, "carbon_budget_bars", static_groups[:6], L("fig.carbon_budget_bars"),
                        f"{L('ui.value')} ({unit})", series)
    return [fig]


# -- indices ----------------------------------------------------------------------------

def _indices(ctx: Context, c: pd.DataFrame, level: str) -> list[Figure | None]:
    L = ctx.L
    hov = [("carbon", "ce"), ("carbon", "cs"), ("carbon", "zone")]
    vars_ = [
        Var(k, "carbon", k, L(f"var.{k}"), unit="", log=True, mid=1.0, colorscale="RdBu", reverse=(k == "cbi"),
            hover=[h for h in hov])
        for k in ("cbi", "ecc", "esc") if k in c.columns and c[k].notna().any()
    ]
    if not vars_:
        return []
    levels = ctx.data.levels_with(c, vars_[0].col)
    years = ctx.years_of(c, vars_[0].col)
    fig = ctx.page.map_figure("carbon_indices", L("fig.carbon_indices"), vars_, levels, years, level=level,
                              note=f"{L('ui.map_hint')} {L('ui.log_colour')[:1].upper()}{L('ui.log_colour')[1:]}.")
    y = _latest(ctx, c, level, vars_[0].col)
    if ctx.static is not None and y is not None and level in ctx.geo.levels:
        panels = [_numeric_panel(ctx, f"{L(f'short.{v.key}')} · {y}", level,
                                 ctx.aligned(c, level, y, v.col).to_numpy(dtype=float),
                                 v, f"{v.label}\n({L('ui.log_colour')})") for v in vars_]
        ctx.static.draw(ctx.static.maps, f"carbon_indices_{y}", panels, f"{L('fig.carbon_indices')} ({L.level(level)})")
    return [fig]


# -- zones ------------------------------------------------------------------------------

def _zones(ctx: Context, c: pd.DataFrame, level: str) -> list[Figure | None]:
    L = ctx.L
    if "zone" not in c.columns or c["zone"].isna().all():
        return []
    levels = ctx.data.levels_with(c, "zone")
    years = ctx.years_of(c, "zone")
    var = Var("zone", "carbon", "zone", L.column("zone"), type="cat", category="zone", order=ZONE_ORDER,
              hover=[("carbon", "ce"), ("carbon", "cs"), ("carbon", "ecc"), ("carbon", "esc"), ("carbon", "zone_note")])
    fig = ctx.page.map_figure("carbon_zones", L("fig.carbon_zones"), [var], levels, years, level=level)
    if ctx.static is not None and level in ctx.geo.levels:
        yrs = ctx.years_of(c[c["level"] == level], "zone")
        panels, present = [], set()
        for y in yrs:
            codes = ctx.aligned(c, level, y, "zone")
            present |= set(codes.dropna())
            panels.append(MapPanel(title=str(y), paths=ctx.paths(level), facecolors=color_array(L, "zone", codes),
                                   outline=_outline(ctx, level), linewidth=0.1 if len(codes) > 400 else 0.3))
        legend = [(L.color(f"zone.{z}"), L.code("zone", z)) for z in ZONE_ORDER if z in present]
        if panels:
            ctx.static.draw(ctx.static.shared_legend_maps, "carbon_zones", panels,
                            f"{L('fig.carbon_zones')} ({L.level(level)})", legend, ncols=2 if len(panels) > 1 else 1)
    return [fig]


def _zone_table(ctx: Context, c: pd.DataFrame) -> pd.DataFrame:
    z = ctx.data.table("carbon_zones")
    if z is not None and {"level", "year", "zone", "count", "area_share"} <= set(z.columns):
        return z
    u = ctx.data.units[["level", "unit_id", "area_km2"]]
    d = c[["level", "unit_id", "year", "zone"]].dropna(subset=["zone"]).merge(u, on=["level", "unit_id"], how="left")
    g = d.groupby(["level", "year", "zone"]).agg(count=("unit_id", "size"), area_km2=("area_km2", "sum")).reset_index()
    tot = d.groupby(["level", "year"])["area_km2"].sum().rename("tot").reset_index()
    g = g.merge(tot, on=["level", "year"])
    g["area_share"] = g["area_km2"] / g["tot"]
    return g.drop(columns="tot")


def _zone_shares(ctx: Context, c: pd.DataFrame, level: str) -> list[Figure | None]:
    L = ctx.L
    if "zone" not in c.columns or c["zone"].isna().all():
        return []
    z = _zone_table(ctx, c)
    variants, options = {}, []
    for lv in ctx.data.levels:
        sub = z[z["level"] == lv]
        if not len(sub) or sub["area_share"].isna().all():
            continue
        fig = go.Figure()
        years = sorted(sub["year"].unique())
        for zc in ZONE_ORDER:
            s = sub[sub["zone"] == zc].set_index("year").reindex(years)
            if s["count"].fillna(0).sum() == 0:
                continue
            share = (s["area_share"].fillna(0) * 100).round(2)
            fig.add_bar(x=[str(y) for y in years], y=share, name=L.code("zone", zc), marker_color=L.color(f"zone.{zc}"),
                        text=[f"{v:.1f}" if v >= 4 else "" for v in share], textposition="inside",
                        customdata=s["count"].fillna(0).astype(int),
                        hovertemplate=f"{L.code('zone', zc)}<br>%{{x}}: %{{y:.1f}} % · %{{customdata}} "
                                      f"{L.column('count')}<extra></extra>")
        fig.update_layout(barmode="stack", height=420, margin=dict(l=70, r=20, t=30, b=40),
                          yaxis=dict(title=f"{L('ui.area_share')} (%)", range=[0, 100]),
                          legend=dict(orientation="v", x=1.02, y=1, traceorder="normal"))
        variants[lv] = fig
        options.append((lv, L.level(lv)))
    if not variants:
        return []
    dflt = level if level in variants else options[0][0]
    ctl = [ctx.page.controls("level", L("ui.level"), options, dflt)]
    sub = z[(z["level"] == dflt)]
    years = sorted(sub["year"].unique())
    tab = sub.pivot_table(index="zone", columns="year", values="area_share", aggfunc="sum").reindex(
        [zc for zc in ZONE_ORDER if zc in set(sub["zone"])])
    cnt = sub.pivot_table(index="zone", columns="year", values="count", aggfunc="sum").reindex(tab.index)
    df = pd.DataFrame({L.column("zone"): [L.code("zone", zc) for zc in tab.index]})
    for y in years:
        df[str(y)] = [f"{int(n)} · {100 * s:.1f} %" if pd.notna(s) else "" for n, s in zip(cnt[y], tab[y], strict=True)]
    body = (f'<details><summary>{esc(L("ui.zone_table"))} ({esc(L.level(dflt))})</summary>'
            + table_html(df, numeric={str(y) for y in years}) + "</details>")
    fig = ctx.page.plotly_figure("carbon_zone_shares", L("fig.carbon_zone_shares"), variants, ctl, ["level"], height=420,
                                 body=body)
    if ctx.static is not None and dflt in variants:
        share = {zc: np.array([float(sub[(sub["zone"] == zc) & (sub["year"] == y)]["area_share"].sum()) * 100 for y in years])
                 for zc in ZONE_ORDER}
        keep = [zc for zc in ZONE_ORDER if share[zc].sum() > 0]
        ctx.static.draw(ctx.static.stacked_shares, "carbon_zone_shares", [str(y) for y in years],
                        {zc: share[zc] for zc in keep}, [(zc, L.code("zone", zc), L.color(f"zone.{zc}")) for zc in keep],
                        f"{L('fig.carbon_zone_shares')} ({L.level(dflt)})", f"{L('ui.area_share')} (%)")
    return [fig]


def _transitions(ctx: Context, c: pd.DataFrame, level: str) -> list[Figure | None]:
    L = ctx.L
    if "zone" not in c.columns:
        return []
    variants, options = {}, []
    last_matrix = None
    for lv in ctx.data.levels:
        sub = c[(c["level"] == lv) & c["zone"].notna()]
        years = sorted(sub["year"].unique())
        if len(years) < 2:
            continue
        piv = sub.pivot_table(index="unit_id", columns="year", values="zone", aggfunc="first")
        nodes, idx = [], {}
        for y in years:
            for zc in ZONE_ORDER:
                if (piv[y] == zc).any():
                    idx[(y, zc)] = len(nodes)
                    nodes.append((y, zc))
        src, tgt, val, col = [], [], [], []
        for y0, y1 in zip(years[:-1], years[1:], strict=True):
            pair = piv[[y0, y1]].dropna()
            cnt = pair.groupby([y0, y1]).size()
            for (a, b), n in cnt.items():
                src.append(idx[(y0, a)])
                tgt.append(idx[(y1, b)])
                val.append(int(n))
                rgb = L.color(f"zone.{a}").lstrip("#")
                col.append("rgba({},{},{},0.45)".format(*(int(rgb[i:i + 2], 16) for i in (0, 2, 4))))
            if lv == level and y1 == years[-1]:
                last_matrix = (y0, y1, pd.crosstab(pair[y0], pair[y1]))
        xs = {y: (i / (len(years) - 1)) * 0.98 + 0.01 for i, y in enumerate(years)}
        fig = go.Figure(go.Sankey(
            arrangement="snap",
            node=dict(label=[f"{L.code('zone', z)}" for _y, z in nodes], color=[L.color(f"zone.{z}") for _y, z in nodes],
                      x=[xs[y] for y, _z in nodes], pad=12, thickness=14, line=dict(color="#666", width=0.3),
                      customdata=[str(y) for y, _z in nodes], hovertemplate="%{customdata} · %{label}: %{value}<extra></extra>"),
            link=dict(source=src, target=tgt, value=val, color=col,
                      hovertemplate="%{source.customdata} %{source.label} → %{target.customdata} %{target.label}: %{value}<extra></extra>"),
        ))
        ann = [dict(x=xs[y], y=1.06, xref="paper", yref="paper", text=f"<b>{y}</b>", showarrow=False) for y in years]
        fig.update_layout(height=480, margin=dict(l=20, r=20, t=40, b=20), annotations=ann, font=dict(size=11))
        variants[lv] = fig
        options.append((lv, L.level(lv)))
    if not variants:
        return []
    dflt = level if level in variants else options[0][0]
    body = ""
    if last_matrix is not None:
        y0, y1, m = last_matrix
        rows = [zc for zc in ZONE_ORDER if zc in m.index]
        cols = [zc for zc in ZONE_ORDER if zc in m.columns]
        m = m.reindex(index=rows, columns=cols, fill_value=0)
        df = pd.DataFrame({"": [L.code("zone", r) for r in rows]})
        for cc in cols:
            df[L.code("zone", cc)] = m[cc].astype(int).to_numpy()
        body = (f'<details open><summary>{esc(L("ui.matrix_caption", y0=y0, y1=y1))} ({esc(L.level(level))})</summary>'
                + table_html(df, numeric=set(df.columns[1:])) + "</details>")
        if ctx.static is not None:
            ctx.static.draw(ctx.static.matrix, f"carbon_transitions_{y0}_{y1}", m.to_numpy(),
                            [L.code("zone", r) for r in rows], [L.code("zone", cc) for cc in cols],
                            f"{L('fig.carbon_transitions')} ({L.level(level)}) {y0} → {y1}", str(y1), str(y0))
    ctl = [ctx.page.controls("level", L("ui.level"), options, dflt)]
    return [ctx.page.plotly_figure("carbon_transitions", L("fig.carbon_transitions"), variants, ctl, ["level"],
                                   height=480, body=body)]


# -- spatial clusters -----------------------------------------------------------------------

def _spatial_tables(ctx: Context):
    local = glob = None
    for name, t in ctx.data.tables.items():
        cols = set(t.columns)
        if local is None and {"unit_id", "year", "variable", "cluster"} <= cols and len(t):
            local = (name, t)
        if glob is None and {"variable", "moran_i"} <= cols and len(t):
            glob = (name, t)
    return local, glob


def _infer_level(ctx: Context, ids) -> str | None:
    u = ctx.data.units
    best = None
    ids = set(map(str, ids))
    for lv in ctx.data.levels:
        n = len(ids & set(u.loc[u["level"] == lv, "unit_id"]))
        if n and (best is None or n > best[1]):
            best = (lv, n)
    return best[0] if best else None


def _lisa(ctx: Context, c: pd.DataFrame, level: str) -> list[Figure | None]:
    L = ctx.L
    local, glob = _spatial_tables(ctx)
    if local is None:
        return []
    name, t = local
    t = t.copy()
    if "level" not in t.columns:
        t["level"] = _infer_level(ctx, t["unit_id"].unique())
    rank = {v: i for i, v in enumerate(("cb", "cbi", "nep", "ce", "cs"))}
    variables = sorted(set(t["variable"]), key=lambda v: (rank.get(VAR_ALIASES.get(v, v), 99), v))
    vars_ = []
    for v in variables:
        key = f"{name}:{v}"
        ctx.page.tables[key] = t[t["variable"] == v]
        hov = [(key, h) for h in ("lisa_i", "lisa_p", "spot") if h in t.columns]
        label = _var_label(L, v)
        vars_.append(Var(v, key, "cluster", label, type="cat", category="lisa", order=LISA_ORDER, hover=hov))
    levels = [lv for lv in ctx.data.levels if lv in set(t["level"])]
    years = ctx.years_of(t)
    dl = level if level in levels else (levels[0] if levels else None)
    body = ""
    if glob is not None:
        g = glob[1]
        if "level" in g.columns and dl is not None:
            g = g[g["level"] == dl]
        cols = [k for k in ("year", "variable", "moran_i", "z_norm", "p_sim", "n") if k in g.columns]
        g = g[cols].copy()
        for k in ("moran_i", "z_norm", "p_sim"):
            if k in g.columns:
                g[k] = g[k].map(lambda x: "" if pd.isna(x) else f"{x:.3f}")
        if "variable" in g.columns:
            g["variable"] = [_var_label(L, v) for v in g["variable"]]
        body = (f'<details><summary>{esc(L("ui.moran_table"))} ({esc(L.level(dl))})</summary>'
                + table_html(g, [L.column(k) for k in cols], numeric={"moran_i", "z_norm", "p_sim", "n"}) + "</details>")
    fig = ctx.page.map_figure("carbon_lisa", L("fig.carbon_lisa"), vars_, levels, years, level=dl)
    if fig is not None:
        fig.body = body
    if ctx.static is not None and fig is not None and dl in ctx.geo.levels:
        v = vars_[0]
        sub = ctx.page.tables[v.table]
        y = ctx.years_of(sub[sub["level"] == dl])[-1]
        codes = ctx.aligned(sub, dl, y, "cluster")
        present = [k for k in LISA_ORDER if k in set(codes.dropna())]
        ctx.static.draw(ctx.static.maps, f"carbon_lisa_{VAR_ALIASES.get(v.key, v.key)}_{y}", [MapPanel(
            title=f"{v.label} · {L.level(dl)} · {y}", paths=ctx.paths(dl), facecolors=color_array(L, "lisa", codes),
            legend=[(L.color(f"lisa.{k}"), L.code("lisa", k)) for k in present], outline=_outline(ctx, dl),
            linewidth=0.1 if len(codes) > 400 else 0.3,
        )], L("fig.carbon_lisa"), ncols=1, panel_size=(6.0, 4.6))
    return [fig]


# -- gravity centres --------------------------------------------------------------------------

def _gravity(ctx: Context, c: pd.DataFrame, level: str) -> list[Figure | None]:
    """Movement of the emission and sequestration gravity centres (METHODS §2.6), zoomed in on the centres."""
    L = ctx.L
    g = None
    for t in ctx.data.tables.values():
        if {"variable", "year", "lon", "lat"} <= set(t.columns) and len(t):
            g = t
            break
    if g is None:
        return []
    if "level" not in g.columns:
        g = g.assign(level=level)
    g = g.dropna(subset=["lon", "lat"])
    variants, options = {}, []
    for lv in ctx.data.levels:
        sub = g[g["level"] == lv]
        if not len(sub) or lv not in ctx.geo.levels:
            continue
        ctx.page.levels_used.add(lv)
        ids = ctx.geo.levels[lv].ids
        fig = go.Figure()
        fig.add_choropleth(geojson="@" + lv, featureidkey="id", locations=ids, z=[1] * len(ids), zmin=0, zmax=1,
                           colorscale=[[0, "#eeeeee"], [1, "#eeeeee"]], showscale=False, hoverinfo="skip",
                           marker=dict(line=dict(color="#999999", width=0.6)), showlegend=False)
        for var, s in sub.sort_values("year").groupby("variable", sort=False):
            col = L.color(f"gravity.{var}", "#444444")
            hover = [f"<b>{L(f'gravity.{var}', default=str(var))}</b> {y}<br>{lo:.3f}°E, {la:.3f}°N"
                     + ("" if pd.isna(d) else f"<br>{L.column('shift_m')}: {d / 1000:.1f} km, {a:.0f}°")
                     for y, lo, la, d, a in zip(s["year"], s["lon"], s["lat"], s.get("shift_m", np.nan),
                                                s.get("direction_deg", np.nan), strict=True)]
            ys = s["year"].tolist()
            fig.add_scattergeo(lon=s["lon"].round(5), lat=s["lat"].round(5), mode="lines+markers+text",
                               text=[str(y) if y in (ys[0], ys[-1]) else "" for y in ys], textposition="top right",
                               name=L(f"gravity.{var}", default=str(var)), hovertext=hover, hoverinfo="text",
                               marker=dict(size=8, color=col, line=dict(color="#333", width=0.6)),
                               line=dict(color=col, width=2))
        lo0, lo1 = float(sub["lon"].min()), float(sub["lon"].max())
        la0, la1 = float(sub["lat"].min()), float(sub["lat"].max())
        b = ctx.geo.lonlat_bounds
        span = max(1.5 * max(lo1 - lo0, la1 - la0), 0.08 * max(b[2] - b[0], b[3] - b[1]), 0.02) * 0.8
        cx, cy = (lo0 + lo1) / 2, (la0 + la1) / 2
        fig.update_layout(
            height=480, margin=dict(l=0, r=0, t=10, b=0), legend=dict(x=0.01, y=0.99),
            geo=dict(visible=False, projection=dict(type="conic equal area", parallels=ctx.page.parallels(),
                                                    rotation=dict(lon=cx)),
                     lonaxis=dict(range=[cx - span, cx + span]), lataxis=dict(range=[cy - span * 0.6, cy + span * 0.6])),
        )
        variants[lv] = fig
        options.append((lv, L.level(lv)))
    if not variants:
        return []
    dflt = level if level in variants else options[0][0]
    ctl = [ctx.page.controls("level", L("ui.level"), options, dflt)]
    fig = ctx.page.plotly_figure("carbon_gravity", L("fig.carbon_gravity"), variants, ctl, ["level"], height=480)
    if ctx.static is not None and dflt in ctx.geo.levels and {"x", "y"} <= set(g.columns):
        sub = g[g["level"] == dflt]
        x0, y0, x1, y1 = ctx.geo.extent
        ctx.static.draw(ctx.static.gravity, "carbon_gravity", ctx.paths(dflt), 0.08 * max(x1 - x0, y1 - y0),
                        [(L(f"gravity.{var}", default=str(var)), L.color(f"gravity.{var}", "#444444"),
                          s.sort_values("year")[["x", "y"]].to_numpy(float), s.sort_values("year")["year"].tolist())
                         for var, s in sub.groupby("variable", sort=False)],
                        f"{L('fig.carbon_gravity')} ({L.level(dflt)})")
    return [fig]
