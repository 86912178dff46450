"""The land-use change section (METHODS §6; seed 000 §2.3).

Column contract of the tables read (written by :mod:`ecozone.landuse.run`):

``landuse_change``
    ``level, unit_id, year_from, year_to`` and ``built_from_km2,
    built_to_km2, built_gain_km2, built_loss_km2, eco_from_km2, eco_to_km2,
    eco_loss_km2, eco_gain_km2, eco_to_built_km2, cropland_to_built_km2``
    (km²), ``built_rate`` (per year), ``expansion_intensity`` (% of the
    unit's area per year).
``landuse_transitions``
    ``level, unit_id, year_from, year_to, class_from, class_to, area_km2``
    (km²), optional ``class_name_from, class_name_to``.

Figures: a map of expansion intensity (and the other change indicators)
with a level and a period selector; the Sankey of the transitions between
class groups (km²) of the whole study and of each unit of the top level
(the agglomerations) per period; a table of the ecological land lost. The
class groups come from the class table the run used (the manifest's
``[landcover] classes``); when it cannot be read, classes are shown by name.
Static PNGs: the expansion-intensity map and the group transition matrix of
the whole study, latest period.
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

#: group order of the Sankey and the matrix (METHODS §0.3.1)
GROUP_ORDER = ["forest", "shrub", "grassland", "wetland", "water", "cropland", "built", "barren", "other"]
#: indicators of the map: column, colour scale, scale factor, unit override
MAP_VARS = (
    ("expansion_intensity", "YlOrRd", 1.0, None),
    ("built_gain_km2", "Reds", 1.0, None),
    ("built_rate", "OrRd", 100.0, "%"),
    ("eco_loss_km2", "Greens", 1.0, None),
    ("eco_to_built_km2", "PuRd", 1.0, None),
    ("cropland_to_built_km2", "YlOrBr", 1.0, None),
)
HOVER = ("built_from_km2", "built_to_km2", "built_gain_km2", "eco_to_built_km2", "cropland_to_built_km2")
#: the whole study's key in the Sankey selector
WHOLE = "__all__"
#: top-level units shown one by one in the Sankey and the table (more: the whole study only)
MAX_UNITS = 40


def landuse_section(ctx: Context) -> Section | None:
    """The section of land-use change, or None when the results hold no ``landuse_change`` table."""
    chg = ctx.data.table("landuse_change")
    if chg is None:
        return None
    L = ctx.L
    chg = chg.copy()
    for c in ("year_from", "year_to"):
        chg[c] = chg[c].astype(int)
    periods = sorted({(int(a), int(b)) for a, b in zip(chg["year_from"], chg["year_to"], strict=True)})
    p = ctx.param("landuse", default={}) or {}
    classes = str(ctx.param("landcover", "classes", default="") or "")
    eco = ", ".join(p.get("eco_groups") or GROUP_ORDER[:5])
    sec = Section("landuse", L("sec.landuse"), method=L(
        "method.landuse", classes=_short(classes), eco=eco, periods=", ".join(f"{a}–{b}" for a, b in periods)))
    rows = flatten(p)
    if rows:
        sec.params_html = f'<details><summary>{esc(L("ui.parameters"))}</summary>{ctx.kv_table(rows)}</details>'
    top = _top_level(ctx, chg)
    trans = ctx.data.table("landuse_transitions")
    figs = [_map(ctx, chg, periods)]
    if trans is not None:
        figs.append(_sankey(ctx, trans, top, periods, classes))
    figs.append(_eco_lost(ctx, chg, top, periods))
    sec.figures = [f for f in figs if f is not None]
    return sec


def _short(classes: str) -> str:
    """A class-scheme name, or the file name of a user's class table."""
    return classes.replace("\\", "/").rsplit("/", 1)[-1]


def _top_level(ctx: Context, chg: pd.DataFrame) -> str | None:
    """The top level of the study (agglomerations) when it is not the finest and is small enough."""
    levels = [lv for lv in ctx.data.levels if lv in set(chg["level"])]
    if len(levels) < 2:
        return None
    n = chg.loc[chg["level"] == levels[-1], "unit_id"].nunique()
    return levels[-1] if 1 <= n <= MAX_UNITS else None


def _period_label(y0: int, y1: int) -> str:
    return f"{y0}–{y1}"


# -- map ---------------------------------------------------------------------------------

def _default_level(ctx: Context, levels: list[str]) -> str:
    return "city" if "city" in levels else levels[0]


def _map(ctx: Context, chg: pd.DataFrame, periods: list[tuple[int, int]]) -> Figure | None:
    L = ctx.L
    # one period per year_to: the map's period selector keys the columns by the period's last year
    t = chg.assign(year=chg["year_to"])
    ctx.page.tables["landuse_change"] = t
    variables = []
    for col, cmap, scale, unit in MAP_VARS:
        if col not in t.columns or t[col].isna().all():
            continue
        variables.append(Var(col, "landuse_change", col, L.column(col, "landuse_change"),
                             unit=unit or L.column_unit(col, "landuse_change"), colorscale=cmap, scale=scale,
                             zmin=None if col == "built_rate" else 0.0,  # a rate may be negative
                             hover=[("landuse_change", h) for h in HOVER if h != col]))
    levels = [lv for lv in ctx.data.levels_with(t, "expansion_intensity") if lv in ctx.geo.levels]
    if not variables or not levels:
        return None
    level = _default_level(ctx, levels)
    fig = ctx.page.map_figure("landuse_map", L("fig.landuse_map"), variables, levels, [b for _a, b in periods],
                              level=level)
    if fig is None:
        return None
    for c in fig.controls:  # the year selector picks a period (its last year is the key)
        if c["name"] == "year":
            c["label"] = L("ui.period")
            c["options"] = [(str(b), _period_label(a, b)) for a, b in periods]
    if ctx.static is not None:
        _static_map(ctx, t, level, periods[-1])
    return fig


def _static_map(ctx: Context, t: pd.DataFrame, level: str, period: tuple[int, int]) -> None:
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    L = ctx.L
    y0, y1 = period
    vals = ctx.aligned(t, level, y1, "expansion_intensity").to_numpy(dtype=float)
    finite = vals[np.isfinite(vals)]
    hi = float(np.percentile(finite, 98)) if finite.size else 1.0
    norm = Normalize(vmin=0.0, vmax=hi if hi > 0 else 1.0)
    cmap = colormaps["YlOrRd"]
    colours = [cmap(norm(v)) if np.isfinite(v) else "#f0f0f0" for v in vals]
    outline = ctx.outline_level(exclude=level)
    label = f"{L.column('expansion_intensity', 'landuse_change')} ({L.column_unit('expansion_intensity', 'landuse_change')})"
    panel = MapPanel(title="", paths=ctx.paths(level), facecolors=colours,
                     cmap=ScalarMappable(norm=norm, cmap=cmap), cbar_label=label,
                     outline=ctx.paths(outline) if outline and outline != level else None,
                     linewidth=0.1 if len(vals) > 400 else 0.3)
    ctx.static.draw(ctx.static.maps, f"landuse_expansion_{y0}_{y1}", [panel],
                    f"{L.column('expansion_intensity', 'landuse_change')} ({L.level(level)}, {_period_label(y0, y1)})",
                    ncols=1,
                    panel_size=(6.0, 4.6))


# -- transitions between class groups -----------------------------------------------------------

def _class_groups(classes: str) -> dict[int, str] | None:
    """Code → group of the class table the run used (None when it cannot be read here)."""
    if not classes:
        return None
    from ecozone.errors import EcozoneError
    from ecozone.landcover import load_classes

    try:
        t = load_classes(classes)
    except (EcozoneError, OSError):
        return None
    return dict(zip(t["code"].astype(int), t["group"], strict=True))


def _grouped(trans: pd.DataFrame, groups: dict[int, str] | None) -> pd.DataFrame:
    """``level, unit_id, year_from, year_to, from, to, area_km2`` by class group (or class name)."""
    t = trans.copy()
    if groups is not None:
        t["from"] = t["class_from"].astype(int).map(groups).fillna("other")
        t["to"] = t["class_to"].astype(int).map(groups).fillna("other")
    else:
        for side in ("from", "to"):
            name = t.get(f"class_name_{side}")
            code = t[f"class_{side}"].astype(int).astype(str)
            t[side] = name.where(name.notna() & (name.astype(str) != ""), code) if name is not None else code
    keys = ["level", "unit_id", "year_from", "year_to", "from", "to"]
    return t.groupby(keys, sort=False)["area_km2"].sum().reset_index()


def _node_order(values) -> list[str]:
    present = set(values)
    return [g for g in GROUP_ORDER if g in present] + sorted(v for v in present if v not in GROUP_ORDER)


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    return "rgba({},{},{},{})".format(*(int(h[i:i + 2], 16) for i in (0, 2, 4)), alpha)


def _sankey_figure(ctx: Context, m: pd.DataFrame, y0: int, y1: int, by_group: bool) -> go.Figure:
    L = ctx.L
    froms, tos = _node_order(m["from"]), _node_order(m["to"])

    def label(g: str) -> str:
        return L.code("lcgroup", g) if by_group else str(g)

    def colour(g: str) -> str:
        return L.color(f"lcgroup.{g}", "#9e9e9e") if by_group else "#9e9e9e"

    idx_from = {g: i for i, g in enumerate(froms)}
    idx_to = {g: len(froms) + i for i, g in enumerate(tos)}
    km2 = L.unit("col.area_km2") or "km²"
    fig = go.Figure(go.Sankey(
        arrangement="snap",
        node=dict(label=[label(g) for g in froms] + [label(g) for g in tos],
                  color=[colour(g) for g in froms] + [colour(g) for g in tos],
                  customdata=[str(y0)] * len(froms) + [str(y1)] * len(tos),
                  x=[0.01] * len(froms) + [0.99] * len(tos), pad=10, thickness=14,
                  line=dict(color="#666", width=0.3),
                  hovertemplate=f"%{{customdata}} · %{{label}}: %{{value:.4g}} {km2}<extra></extra>"),
        link=dict(source=[idx_from[a] for a in m["from"]], target=[idx_to[b] for b in m["to"]],
                  value=[float(f"{v:.4g}") for v in m["area_km2"]],
                  color=[_rgba(colour(a), 0.45) for a in m["from"]],
                  hovertemplate=(f"{y0} %{{source.label}} → {y1} %{{target.label}}: %{{value:.4g}} {km2}"
                                 "<extra></extra>")),
    ))
    ann = [dict(x=x, y=1.07, xref="paper", yref="paper", text=f"<b>{y}</b>", showarrow=False)
           for x, y in ((0.0, y0), (1.0, y1))]
    fig.update_layout(height=460, margin=dict(l=20, r=20, t=40, b=20), annotations=ann, font=dict(size=11))
    return fig


def _sankey(ctx: Context, trans: pd.DataFrame, top: str | None, periods: list[tuple[int, int]],
            classes: str) -> Figure | None:
    L = ctx.L
    groups = _class_groups(classes)
    g = _grouped(trans, groups)
    finest = ctx.data.levels[0] if ctx.data.levels else None
    whole = g[g["level"] == finest].groupby(["year_from", "year_to", "from", "to"], sort=False)["area_km2"].sum()
    whole = whole.reset_index()
    names = ctx.data.names()
    units: list[tuple[str, str]] = [(WHOLE, L("ui.landuse_whole"))]
    if top is not None:
        ids = sorted(set(g.loc[g["level"] == top, "unit_id"]))
        units += sorted(((u, str(names.get((top, u), u))) for u in ids), key=lambda x: x[1])
    variants = {}
    for uid, _name in units:
        sub = whole if uid == WHOLE else g[(g["level"] == top) & (g["unit_id"] == uid)]
        for y0, y1 in periods:
            m = sub[(sub["year_from"] == y0) & (sub["year_to"] == y1) & (sub["area_km2"] > 0)]
            if len(m):
                variants[f"{uid}|{y1}"] = _sankey_figure(ctx, m, y0, y1, groups is not None)
    if not variants:
        return None
    units = [(u, n) for u, n in units if any(k.startswith(f"{u}|") for k in variants)]
    ctl = [ctx.page.controls("unit", L.level(top) if top else L("ui.landuse_whole"), units, WHOLE),
           ctx.page.controls("period", L("ui.period"), [(b, _period_label(a, b)) for a, b in periods],
                             periods[-1][1])]
    note = L("ui.landuse_sankey_note")
    if groups is None:
        note += " " + L("ui.landuse_no_groups", classes=_short(classes))
    fig = ctx.page.plotly_figure("landuse_sankey", L("fig.landuse_sankey"), variants, ctl, ["unit", "period"],
                                 note=note, height=460)
    if ctx.static is not None and groups is not None:
        y0, y1 = periods[-1]
        m = whole[(whole["year_from"] == y0) & (whole["year_to"] == y1)]
        if len(m):
            rows, cols = _node_order(m["from"]), _node_order(m["to"])
            mat = m.pivot_table(index="from", columns="to", values="area_km2", aggfunc="sum").reindex(
                index=rows, columns=cols).fillna(0.0).to_numpy()
            ctx.static.draw(_draw_matrix, ctx.static, f"landuse_transitions_{y0}_{y1}", mat,
                            [L.code("lcgroup", r) for r in rows], [L.code("lcgroup", c) for c in cols],
                            f"{L('fig.landuse_matrix')} — {L('ui.landuse_whole')}, {_period_label(y0, y1)}",
                            L("ui.landuse_class_to", y1=y1), L("ui.landuse_class_from", y0=y0))
    return fig


def _draw_matrix(static, name: str, m: np.ndarray, rows: list[str], cols: list[str], suptitle: str,
                 xlabel: str, ylabel: str):
    """The transition matrix (km², 3 significant digits) as a heat map on a log scale (PNG)."""
    fig = static._new(6.4, 5.2)
    ax = fig.add_subplot(111)
    ax.imshow(np.log1p(m), cmap="Blues", aspect="auto")
    top = np.log1p(m.max()) if m.size else 1.0
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            if m[i, j] > 0:
                ax.text(j, i, f"{m[i, j]:.3g}", ha="center", va="center", fontsize=6.5,
                        color="white" if np.log1p(m[i, j]) > 0.6 * top else "#111111")
    ax.set_xticks(range(len(cols)), cols, rotation=30, ha="right", fontsize=6.5)
    ax.set_yticks(range(len(rows)), rows, fontsize=6.5)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    static._title(fig, suptitle)
    return static._save(fig, name)


# -- ecological land lost --------------------------------------------------------------------

ECO_COLS = ("eco_from_km2", "eco_loss_km2", "eco_gain_km2", "eco_to_built_km2")


def _eco_lost(ctx: Context, chg: pd.DataFrame, top: str | None, periods: list[tuple[int, int]]) -> Figure | None:
    L = ctx.L
    if not set(ECO_COLS) <= set(chg.columns):
        return None
    finest = ctx.data.levels[0] if ctx.data.levels else None
    cols = [*ECO_COLS, "eco_to_km2"]
    whole = chg[chg["level"] == finest].groupby(["year_from", "year_to"])[cols].sum().reset_index()
    whole["unit_id"] = WHOLE
    parts = [whole]
    if top is not None:
        parts.append(chg[chg["level"] == top][["unit_id", "year_from", "year_to", *cols]])
    t = pd.concat(parts, ignore_index=True)
    names = ctx.data.names()
    order = {u: i for i, u in enumerate([WHOLE])}
    t["name"] = [L("ui.landuse_whole") if u == WHOLE else str(names.get((top, u), u)) for u in t["unit_id"]]
    t["_o"] = t["unit_id"].map(order).fillna(1)
    t = t.sort_values(["year_from", "_o", "eco_loss_km2"], ascending=[False, True, False])  # latest period first

    def num(v) -> str:
        return "" if pd.isna(v) else f"{v:,.4g}" if abs(v) < 1000 else f"{v:,.0f}"

    rows = []
    for r in t.itertuples():
        share = r.eco_loss_km2 / r.eco_from_km2 * 100 if r.eco_from_km2 > 0 else np.nan
        rows.append([_period_label(r.year_from, r.year_to), r.name, num(r.eco_from_km2), num(r.eco_loss_km2),
                     num(r.eco_gain_km2), num(r.eco_to_km2 - r.eco_from_km2), num(r.eco_to_built_km2),
                     "" if pd.isna(share) else f"{share:.2f}"])
    heads = [L("ui.period"), L.level(top) if top else L("ui.landuse_whole")]
    heads += [f"{L.column(c, 'landuse_change')} (km²)" for c in ECO_COLS[:3]]
    heads += [f"{L('ui.landuse_net')} (km²)", f"{L.column('eco_to_built_km2', 'landuse_change')} (km²)",
              f"{L('ui.landuse_lost_share')} (%)"]
    df = pd.DataFrame(rows, columns=[f"c{i}" for i in range(len(heads))])
    body = '<div class="table-wrap">' + table_html(df, headers=heads, numeric={f"c{i}" for i in range(2, 8)}) + "</div>"
    return Figure("landuse_eco_lost", L("fig.landuse_eco_lost"), "table", None, [], body=body,
                  note=L("ui.landuse_eco_note"))


__all__ = ["landuse_section"]
