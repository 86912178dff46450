"""The carrying-capacity section (METHODS §1; seed 000's maps and four-quadrant chart).

Reads the tables ``capacity`` and ``capacity_shares``. Figures: air, water
and comprehensive state maps (every level and year), the members' state
shares of the upper units, the four-quadrant chart of the coupling level
(x: per-capita GDP against the regional value, log scale; y: −R, up is
better; city labels; the key-ecological-zone type marked), the four-quadrant
types on the map, the development types of the typing level, and the
coupling coordination degree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ecozone.report.context import Context, color_array, flatten
from ecozone.report.figures import MapPanel
from ecozone.report.page import Figure, Section, Var, table_html

STATE_ORDER = ["overload", "critical", "non-overload"]
QUADRANT_ORDER = ["high–non-overload", "low–non-overload", "high–overload", "low–overload", "key-ecological-zone"]
ECO = "key-ecological-zone"


def grade_order(L) -> list[str]:
    return [k.split(".", 1)[1] for k in L.table if k.startswith("grade.")]


def type_order(L) -> list[str]:
    return QUADRANT_ORDER + [k.split(".", 1)[1] for k in L.table if k.startswith("type.")]


def capacity_section(ctx: Context) -> Section | None:
    cap = ctx.data.table("capacity")
    if cap is None:
        return None
    L = ctx.L
    sec = Section("capacity", L("sec.capacity"), method=_method(ctx, cap))
    p = ctx.param("capacity", default={}) or {}
    rows = [(k, v) for k, v in flatten(p)]
    if rows:
        sec.params_html = (f'<details><summary>{L("ui.standards")}</summary>'
                           f"{ctx.kv_table(rows)}</details>")
    years = ctx.years_of(cap)
    for builder in (_state_maps, _shares, _quadrant, _quadrant_map, _types, _coupling):
        figs = builder(ctx, cap, years)
        for f in figs or []:
            if f is not None:
                sec.figures.append(f)
    return sec


def _method(ctx: Context, cap: pd.DataFrame) -> str:
    L = ctx.L
    air = ctx.param("capacity", "air", default={}) or {}
    water = ctx.param("capacity", "water", default={}) or {}
    coup = ctx.param("capacity", "coupling", default={}) or {}
    stds = sorted({str(s) for s in cap.get("air_standard", pd.Series(dtype=object)).dropna() if str(s)})
    air_std = "; ".join(stds) or f"{air.get('standard', 'GB3095-2012')} grade {air.get('grade', 'II')}"
    if L.lang == "zh":
        air_std = air_std.replace("grade II", "二级").replace("grade I", "一级")
    # results written before the parameter existed used the plain min–max
    norm = L(f"method.capacity_norm.{coup.get('normalisation', 'minmax')}")
    return L(
        "method.capacity",
        air_standard=air_std,
        water_standard=water.get("standard", "GB3838-2002"),
        air_crit=air.get("critical_threshold", -0.2),
        water_crit=water.get("critical_threshold", -0.3),
        aggregation=L(f"word.{air.get('aggregation', 'area')}"),
        regional_gdp=L(f"word.{coup.get('regional_gdp', 'total')}"),
        critical_as=L(f"word.{coup.get('critical_as', 'non-overload')}"),
        zone_share=coup.get("zone_share", 0.5),
    ) + ("" if L.lang == "zh" else " ") + norm


def _state_maps(ctx: Context, cap: pd.DataFrame, years: list[int]) -> list[Figure | None]:
    L = ctx.L
    out = []
    media = [
        ("air", "state_air", "r_air", ["air_primary", "air_standard", "n_pollutants"], "cap_state_air"),
        ("water", "state_water", "r_water", ["water_primary", "n_sections"], "cap_state_water"),
        ("total", "state", "r_total", ["media", "state_air", "state_water"], "cap_state_total"),
    ]
    panels = []
    for medium, col, rcol, extra, fid in media:
        if col not in cap.columns or cap[col].isna().all():
            continue
        levels = ctx.data.levels_with(cap, col)
        yrs = ctx.years_of(cap, col)
        var = Var(col, "capacity", col, L.column(col), type="cat", category="state", order=STATE_ORDER,
                  hover=[("capacity", rcol)] + [("capacity", c) for c in extra])
        out.append(ctx.page.map_figure(fid, L(f"fig.{fid}"), [var], levels, yrs))
        if ctx.static is not None and levels and levels[0] in ctx.geo.levels:
            lv, y = levels[0], yrs[-1]
            codes = ctx.aligned(cap, lv, y, col)
            present = [c for c in STATE_ORDER if c in set(codes.dropna())]
            panels.append(MapPanel(
                title=f"{L(f'medium.{medium}')} · {L.level(lv)} · {y}", paths=ctx.paths(lv),
                facecolors=color_array(L, "state", codes), legend=[(L.color(f"state.{c}"), L.code("state", c)) for c in present],
                outline=_outline(ctx, lv), linewidth=0.1 if len(codes) > 400 else 0.3,
            ))
    if panels and ctx.static is not None:
        y = years[-1]
        ctx.static.draw(ctx.static.maps, f"capacity_states_{y}", panels, L("fig.cap_states"))
    return out


def _outline(ctx: Context, level: str):
    lv = ctx.outline_level(exclude=level)
    if lv is None or lv == level:
        return None
    return ctx.paths(lv)


def _shares(ctx: Context, cap: pd.DataFrame, years: list[int]) -> list[Figure | None]:
    L = ctx.L
    sh = ctx.data.table("capacity_shares")
    if sh is None or "medium" not in sh.columns:
        return []
    sh = sh[sh["medium"] == "total"].copy()
    names = ctx.data.names()
    sh["name"] = [names.get((lv, u), u) for lv, u in zip(sh["level"], sh["unit_id"], strict=True)]
    order = {lv: i for i, lv in enumerate(ctx.data.levels)}
    combos = []
    for (lv, mlv), g in sh.groupby(["level", "member_level"]):
        if g["unit_id"].nunique() <= 30:
            combos.append((order.get(lv, 99), order.get(mlv, 99), lv, mlv))
    if not combos:
        return []
    combos.sort(key=lambda c: (-c[0], -c[1]))
    tlv = ctx.param("capacity", "typing", "level", default="agglomeration")
    default = next((c for c in combos if c[2] == tlv), combos[0])
    series = [("overload", "share_overload", "n_overload"), ("critical", "share_critical", "n_critical"),
              ("non-overload", "share_non_overload", "n_non_overload")]
    variants, options = {}, []
    for _o1, _o2, lv, mlv in combos:
        g = sh[(sh["level"] == lv) & (sh["member_level"] == mlv)].sort_values(["name", "year"])
        x = [g["name"].tolist(), [str(y) for y in g["year"]]]
        fig = go.Figure()
        for code, scol, ncol in series:
            lab = L.code("state", code)
            hover = [
                f"<b>{n}</b> {y}<br>{lab}: {int(k)} / {int(m)} ({s:.1f} %)"
                for n, y, k, m, s in zip(g["name"], g["year"], g[ncol].fillna(0), g["n_assessed"].fillna(0),
                                         g[scol].fillna(0), strict=True)
            ]
            fig.add_bar(x=x, y=g[scol].round(2), name=lab, marker_color=L.color(f"state.{code}"),
                        text=[f"{v:.0f}" if v >= 8 else "" for v in g[scol].fillna(0)], textposition="inside",
                        hovertext=hover, hoverinfo="text")
        fig.update_layout(barmode="stack", height=460, margin=dict(l=60, r=20, t=30, b=90),
                          yaxis=dict(title=f"{L('ui.share')} (%)", range=[0, 100]),
                          legend=dict(orientation="h", y=1.08, x=0, traceorder="normal"))
        key = f"{lv}|{mlv}"
        variants[key] = fig
        options.append((key, f"{L.level(lv)} — {L('ui.members_of')}: {L.level(mlv)}"))
    dkey = f"{default[2]}|{default[3]}"
    ctl = [ctx.page.controls("grouping", L("ui.grouping"), options, dkey)]
    fig = ctx.page.plotly_figure("cap_shares", L("fig.cap_shares"), variants, ctl, ["grouping"], height=460)
    if ctx.static is not None:
        lv, mlv = default[2], default[3]
        g = sh[(sh["level"] == lv) & (sh["member_level"] == mlv)].sort_values(["name", "year"])
        ctx.static.draw(
            ctx.static.stacked_shares, "capacity_shares",
            [f"{n}  {y}" for n, y in zip(g["name"], g["year"], strict=True)],
            {code: g[scol].to_numpy() for code, scol, _n in series},
            [(code, L.code("state", code), L.color(f"state.{code}")) for code, _s, _n in series],
            f"{L('fig.cap_shares')} ({L.level(lv)} — {L('ui.members_of')}: {L.level(mlv)})",
            f"{L('ui.share')} (%)",
        )
    return [fig]


def _quadrant_data(ctx: Context, cap: pd.DataFrame):
    clv = ctx.param("capacity", "coupling", "level", default="city")
    need = {"gdp_per_capita", "regional_gdp_per_capita", "r_total", "type"}
    if not need <= set(cap.columns):
        return None, clv
    q = cap[(cap["level"] == clv) & cap["type"].notna() & cap["gdp_per_capita"].notna()
            & cap["regional_gdp_per_capita"].notna() & cap["r_total"].notna()].copy()
    if not len(q):
        return None, clv
    names = ctx.data.names()
    q["name"] = [names.get((clv, u), u) for u in q["unit_id"]]
    q["x"] = q["gdp_per_capita"] / q["regional_gdp_per_capita"]
    q["y"] = -q["r_total"]
    q = q[np.isfinite(q["x"]) & (q["x"] > 0)]
    return (q if len(q) else None), clv


def _quadrant(ctx: Context, cap: pd.DataFrame, years: list[int]) -> list[Figure | None]:
    L = ctx.L
    q, clv = _quadrant_data(ctx, cap)
    if q is None:
        return []
    present = [t for t in type_order(L) if t in set(q["type"])]
    corners = _corner_labels(L)
    variants = {}
    yrs = sorted(q["year"].unique())
    for y in yrs:
        g = q[q["year"] == y]
        mx = max(float(np.nanmax(np.abs(np.log10(g["x"].to_numpy())))) * 1.12, 0.05)
        my = max(float(np.nanmax(np.abs(g["y"]))) * 1.15, 0.05)
        ticks = [t for t in (0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 10) if abs(np.log10(t)) <= mx]
        fig = go.Figure()
        for t in present:
            s = g[g["type"] == t]
            if not len(s):
                continue
            eco = t == ECO
            hover = [
                f"<b>{n}</b><br>{L.column('gdp_per_capita')}: {gp:,.0f} {L.column_unit('gdp_per_capita')}"
                f"<br>× {L('ui.quadrant_line_x')}: {x:.2f}<br>R: {-yy:.3f}<br>{L.column('state')}: {L.code('state', st)}"
                for n, gp, x, yy, st in zip(s["name"], s["gdp_per_capita"], s["x"], s["y"], s["state"], strict=True)
            ]
            fig.add_scatter(
                x=s["x"].round(4), y=s["y"].round(4), mode="markers+text", name=L.code("type", t), text=s["name"],
                textposition="top center", textfont=dict(size=9, color="#333"), hovertext=hover, hoverinfo="text",
                marker=dict(color=L.color(f"quadrant.{t}"), size=12 if eco else 9,
                            symbol="diamond" if eco else "circle", line=dict(color="#333", width=0.7)),
            )
        shapes = [
            dict(type="rect", xref="x", yref="y", x0=10 ** -mx, x1=1, y0=0, y1=my, fillcolor="#fff7e6", line_width=0, layer="below"),
            dict(type="rect", xref="x", yref="y", x0=1, x1=10 ** mx, y0=0, y1=my, fillcolor="#eaf4ea", line_width=0, layer="below"),
            dict(type="rect", xref="x", yref="y", x0=10 ** -mx, x1=1, y0=-my, y1=0, fillcolor="#fdecea", line_width=0, layer="below"),
            dict(type="rect", xref="x", yref="y", x0=1, x1=10 ** mx, y0=-my, y1=0, fillcolor="#fff3e0", line_width=0, layer="below"),
            dict(type="line", xref="x", yref="y", x0=1, x1=1, y0=-my, y1=my, line=dict(color="#555", dash="dash", width=1)),
            dict(type="line", xref="x", yref="y", x0=10 ** -mx, x1=10 ** mx, y0=0, y1=0, line=dict(color="#555", dash="dash", width=1)),
        ]
        ann = [dict(xref="paper", yref="paper", x=1 if "right" in k else 0, y=1 if "top" in k else 0,
                    xanchor="right" if "right" in k else "left", yanchor="top" if "top" in k else "bottom",
                    text=f"<b>{v}</b>", showarrow=False, font=dict(size=12, color="#555")) for k, v in corners.items()]
        fig.update_layout(
            height=640, margin=dict(l=70, r=20, t=50, b=110), shapes=shapes, annotations=ann,
            xaxis=dict(type="log", range=[-mx, mx], title=L("ui.x_quadrant"), showgrid=False, zeroline=False,
                       tickvals=ticks, ticktext=[f"{t:g}" for t in ticks]),
            yaxis=dict(range=[-my, my], title=L("ui.y_quadrant"), showgrid=False, zeroline=False),
            legend=dict(orientation="h", y=-0.16, x=0),
            updatemenus=[dict(type="buttons", direction="right", x=0, xanchor="left", y=1.02, yanchor="bottom",
                              pad=dict(l=0, t=0, r=0, b=0), font=dict(size=11),
                              showactive=True, buttons=[
                                  dict(label=f"{L('ui.labels')}: {L('ui.show')}", method="restyle", args=[{"mode": "markers+text"}]),
                                  dict(label=f"{L('ui.labels')}: {L('ui.hide')}", method="restyle", args=[{"mode": "markers"}]),
                              ])],
        )
        variants[str(y)] = fig
    ctl = [ctx.page.controls("year", L("ui.year"), [(y, y) for y in yrs], yrs[-1])]
    title = f"{L('fig.cap_quadrant')} ({L.level(clv)})"
    fig = ctx.page.plotly_figure("cap_quadrant", title, variants, ctl, ["year"], height=640)
    if ctx.static is not None:
        y = yrs[-1]
        g = q[q["year"] == y]
        ctx.static.draw(
            ctx.static.quadrant, f"capacity_quadrant_{y}", g["x"].to_numpy(), g["y"].to_numpy(), g["name"].tolist(),
            [L.color(f"quadrant.{t}") for t in g["type"]], ["D" if t == ECO else "o" for t in g["type"]],
            [(L.color(f"quadrant.{t}"), "D" if t == ECO else "o", L.code("type", t)) for t in present],
            L("ui.x_quadrant"), L("ui.y_quadrant"), f"{title} · {y}", corners,
        )
    return [fig]


def _corner_labels(L) -> dict[str, str]:
    return {
        "top right": L.code("quadrant", "high–non-overload"),
        "top left": L.code("quadrant", "low–non-overload"),
        "bottom right": L.code("quadrant", "high–overload"),
        "bottom left": L.code("quadrant", "low–overload"),
    }


def _quadrant_map(ctx: Context, cap: pd.DataFrame, years: list[int]) -> list[Figure | None]:
    L = ctx.L
    clv = ctx.param("capacity", "coupling", "level", default="city")
    if "quadrant" not in cap.columns or clv not in ctx.geo.levels:
        return []
    sub = cap[(cap["level"] == clv) & cap["type"].notna()]
    if not len(sub):
        return []
    yrs = ctx.years_of(sub)
    var = Var("type", "capacity", "type", L.column("quadrant"), type="cat", category="type", order=type_order(L),
              hover=[("capacity", "gdp_per_capita"), ("capacity", "regional_gdp_per_capita"), ("capacity", "r_total"),
                     ("capacity", "zone_share")])
    return [ctx.page.map_figure("cap_quadrant_map", L("fig.cap_quadrant_map"), [var], [clv], yrs)]


def _types(ctx: Context, cap: pd.DataFrame, years: list[int]) -> list[Figure | None]:
    L = ctx.L
    tlv = ctx.param("capacity", "typing", "level", default="agglomeration")
    if "dev_class" not in cap.columns:
        return []
    sub = cap[(cap["level"] == tlv) & cap["dev_class"].notna()].copy()
    if not len(sub) or tlv not in ctx.geo.levels:
        return []
    yrs = ctx.years_of(sub)
    var = Var("type", "capacity", "type", L.column("type"), type="cat", category="type", order=type_order(L),
              hover=[("capacity", "dev_index"), ("capacity", "dev_class"), ("capacity", "state"),
                     ("capacity", "coupling_d")])
    names = ctx.data.names()
    sub["name"] = [names.get((tlv, u), u) for u in sub["unit_id"]]
    sub = sub.sort_values(["year", "dev_index"], ascending=[True, False])
    tab = pd.DataFrame({
        "name": sub["name"], "year": sub["year"], "dev_index": sub["dev_index"].map(lambda v: f"{v:.3f}"),
        "dev_class": [L.code("devclass", c) for c in sub["dev_class"]],
        "type": [L.code("type", t) for t in sub["type"]],
        "coupling_d": sub["coupling_d"].map(lambda v: "" if pd.isna(v) else f"{v:.3f}"),
        "coupling_grade": [L.code("grade", g) for g in sub["coupling_grade"]],
    })
    body = (f'<details open><summary>{L("ui.type_table")}</summary>'
            + table_html(tab, [L.column(c) for c in tab.columns], numeric={"dev_index", "coupling_d"}) + "</details>")
    fig = ctx.page.map_figure("cap_types", L("fig.cap_types"), [var], [tlv], yrs, height=480)
    if fig is not None:
        fig.body = body
    if ctx.static is not None and fig is not None:
        y = yrs[-1]
        codes = ctx.aligned(cap, tlv, y, "type")
        present = [t for t in type_order(L) if t in set(codes.dropna())]
        ctx.static.draw(ctx.static.maps, f"capacity_types_{y}", [MapPanel(
            title=f"{L.level(tlv)} · {y}", paths=ctx.paths(tlv), facecolors=color_array(L, "type", codes, "#f0f0f0"),
            legend=[(L.color(f"type.{t}"), L.code("type", t)) for t in present], outline=None, linewidth=0.5,
        )], L("fig.cap_types"), ncols=1, panel_size=(6.0, 4.6))
    return [fig]


def _coupling(ctx: Context, cap: pd.DataFrame, years: list[int]) -> list[Figure | None]:
    L = ctx.L
    if "coupling_grade" not in cap.columns or cap["coupling_grade"].isna().all():
        return []
    levels = ctx.data.levels_with(cap, "coupling_grade")
    yrs = ctx.years_of(cap, "coupling_grade")
    clv = ctx.param("capacity", "coupling", "level", default="city")
    var = Var("coupling_grade", "capacity", "coupling_grade", L.column("coupling_grade"), type="cat",
              category="grade", order=grade_order(L),
              hover=[("capacity", "coupling_d"), ("capacity", "coupling_c"), ("capacity", "coupling_t"),
                     ("capacity", "dev_index"), ("capacity", "env_index")])
    level = clv if clv in levels else (levels[0] if levels else None)
    fig = ctx.page.map_figure("cap_coupling", L("fig.cap_coupling"), [var], levels, yrs, level=level)
    if ctx.static is not None and fig is not None and level in ctx.geo.levels:
        y = ctx.years_of(cap[cap["level"] == level], "coupling_grade")[-1]
        codes = ctx.aligned(cap, level, y, "coupling_grade")
        present = [g for g in grade_order(L) if g in set(codes.dropna())]
        ctx.static.draw(ctx.static.maps, f"capacity_coupling_{y}", [MapPanel(
            title=f"{L.level(level)} · {y}", paths=ctx.paths(level),
            facecolors=color_array(L, "grade", codes), legend=[(L.color(f"grade.{g}"), L.code("grade", g)) for g in present],
            outline=_outline(ctx, level), linewidth=0.3,
        )], L("fig.cap_coupling"), ncols=1, panel_size=(6.0, 4.6))
    return [fig]
